import Foundation
import SQLKit

/// The queries the `bench-*` commands need beside the repositories: the peers a benchmark compares the platform
/// with, and the inputs it draws. Nothing on a node's own paths calls them.
public struct BenchmarkQueries: Sendable {
    let provider: any DatabaseProvider
    let cipher: PoolColumnCipher

    /// After a bulk fill on PostgreSQL, vacuums and analyses the catalog's tables, as an operator would after a
    /// large load, so that autovacuum's pass over the new rows does not run during the measurements.
    public func settleCatalog() async throws {
        guard provider.backend == .postgres else { return }
        try await provider.read { sql in
            try await sql.raw(
                """
                VACUUM (ANALYZE) catalog_entries, catalog_items, catalog_entry_tags, catalog_entry_versions,
                    catalog_events, catalog_changes
                """
            ).run()
        }
    }

    /// Published entries whose name or content contains every term, found by scanning each row: what a catalog
    /// without a full-text index does.
    public func naiveCatalogScan(terms: [String]) async throws -> Int {
        try await provider.read { sql in
            var condition: SQLQueryString = "status = 'published'"
            for term in terms { condition = condition + " AND (name || ' ' || content) LIKE \(bind: "%\(term)%")" }
            return try await sql.raw("SELECT COUNT(*) AS n FROM catalog_entries WHERE \(condition)").first()?
                .decode(column: "n", as: Int.self) ?? 0
        }
    }

    /// Up to `limit` keys of a pool version's rows, in random order.
    public func randomKeys(of version: PoolVersion, column: String, limit: Int) async throws -> [String] {
        guard version.columns.contains(column) else { return [] }
        let stored = try await provider.read { sql in
            try await sql.raw(
                """
                SELECT \(ident: column) AS k FROM \(ident: version.tableName)
                WHERE \(unsafeRaw: SQLPoolRepository.visible(at: version.version)) ORDER BY random() LIMIT \(bind: limit)
                """
            ).all().map { try $0.decode(column: "k", as: String.self) }
        }
        return try cipher.opened(stored.map { [$0] }, columns: [column], version).compactMap { $0[0] }
    }
}

extension Store {
    public var benchmarks: BenchmarkQueries { BenchmarkQueries(provider: provider, cipher: poolCipher) }
}
