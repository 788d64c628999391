import Foundation
import SQLKit

/// The catalog and sharing counts a node reports upward in its monitoring report (运行监测).
public struct NodeFigures: Sendable, Hashable {
    public var publishedEntries: Int
    /// Entries whose pool has an active version.
    public var mountedResources: Int
    public var applications: Int
    public var grants: Int
}

extension SQLFederationRepository {
    func figures() async throws -> NodeFigures {
        try await provider.read { sql in
            func count(_ query: SQLQueryString) async throws -> Int {
                try await sql.raw(query).first()?.decode(column: "n", as: Int.self) ?? 0
            }
            return NodeFigures(
                publishedEntries: try await count(
                    "SELECT COUNT(*) AS n FROM catalog_entries WHERE status = 'published'"),
                mountedResources: try await count(
                    "SELECT COUNT(DISTINCT entry_id) AS n FROM pool_versions WHERE status = 'active'"),
                applications: try await count("SELECT COUNT(*) AS n FROM sharing_applications"),
                grants: try await count("SELECT COUNT(*) AS n FROM grants"))
        }
    }
}
