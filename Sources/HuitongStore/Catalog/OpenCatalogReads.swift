import Foundation
import HuitongCore
import SQLKit

/// Reads the open-data portal needs beyond catalog search: the freshest published entries and how many rows their
/// pools hold. Both filter on the entry columns the search index also reads, so they agree with it.
extension Store {
    /// Published entries with one of `openness`, the most recently updated data first (entries never loaded sort
    /// by their last metadata change), at most `limit` of them.
    public func recentlyUpdatedEntries(openness: [Openness], limit: Int) async throws -> [CatalogEntry] {
        guard !openness.isEmpty, limit > 0 else { return [] }
        let values = openness.map(\.rawValue)
        let ids = try await provider.read { sql in
            var query: SQLQueryString = "SELECT id FROM catalog_entries WHERE status = 'published' AND openness IN ("
            for (index, value) in values.enumerated() {
                if index > 0 { query.appendLiteral(", ") }
                query.appendInterpolation(bind: value)
            }
            query.appendLiteral(") ORDER BY COALESCE(data_updated_at, updated_at) DESC, id DESC LIMIT ")
            query.appendInterpolation(bind: limit)
            return try await sql.raw(query).all().map { try $0.decode(column: "id", as: Int64.self) }
        }
        return try await catalog.entries(ids: ids).filter {
            $0.status == .published && openness.contains($0.content.openness)
        }
    }

    /// The rows in the active pool versions of published entries with one of `openness`.
    public func activePoolRowCount(openness: [Openness]) async throws -> Int64 {
        guard !openness.isEmpty else { return 0 }
        let values = openness.map(\.rawValue)
        return try await provider.read { sql in
            var query: SQLQueryString = """
                SELECT CAST(COALESCE(SUM(v.row_count), 0) AS BIGINT) AS total FROM pool_versions v \
                JOIN catalog_entries e ON e.id = v.entry_id \
                WHERE v.status = 'active' AND e.status = 'published' AND e.openness IN (
                """
            for (index, value) in values.enumerated() {
                if index > 0 { query.appendLiteral(", ") }
                query.appendInterpolation(bind: value)
            }
            query.appendLiteral(")")
            return try await sql.raw(query).first()?.decode(column: "total", as: Int64.self) ?? 0
        }
    }
}
