import Foundation
import HuitongCore
import SQLKit
import Synchronization

/// A node's in-memory projection of the fields catalog search filters, counts and sorts on.
///
/// Facet counts over a query that matches half of a 100,000-entry catalog cost SQLite some 150 ms however the
/// SQL is written (every matching row must be visited); over this projection they cost a few milliseconds. The
/// projection is derived data, never the truth: every catalog write appends the entry's id to `catalog_changes`
/// in its transaction, and each search first applies the changes it has not seen, so every node (several may
/// share one PostgreSQL) answers from the committed state.
final class CatalogFacetIndex: Sendable {
    struct Row: Sendable {
        var id: Int64
        var status: String
        var departmentID: Int64
        var classification: String
        var shareType: String
        var openness: String
        var updateCycle: String
        var grade: String
        var formats: [String] = []
        var keywords: [String] = []
        /// Lower-cased, for ranking entries whose name contains the first search term first.
        var name: String
    }

    private struct Snapshot: Sendable {
        /// The last `catalog_changes.id` applied; -1 before the first load.
        var lastChange: Int64 = -1
        var rows: [Int64: Row] = [:]
    }

    private let snapshot = Mutex(Snapshot())

    /// The projection as of the latest committed change.
    func rows(_ sql: any SQLDatabase) async throws -> [Int64: Row] {
        let current = snapshot.withLock { $0 }
        let latest =
            try await sql.raw("SELECT COALESCE(MAX(id), 0) AS n FROM catalog_changes").first()?
            .decode(column: "n", as: Int64.self) ?? 0
        if latest == current.lastChange { return current.rows }
        var rows = current.rows
        if current.lastChange < 0 {
            rows = try await Self.load(ids: nil, sql)
        } else {
            let changed = try await sql.raw(
                """
                SELECT DISTINCT entry_id FROM catalog_changes
                WHERE id > \(bind: current.lastChange) AND id <= \(bind: latest)
                """
            ).all().map { try $0.decode(column: "entry_id", as: Int64.self) }
            for chunk in stride(from: 0, to: changed.count, by: 500) {
                let ids = Array(changed[chunk..<min(chunk + 500, changed.count)])
                let fresh = try await Self.load(ids: ids, sql)
                for id in ids { rows[id] = fresh[id] }
            }
        }
        let result = rows
        snapshot.withLock { stored in
            // Another search may have applied newer changes meanwhile; keep whichever is newer.
            if latest > stored.lastChange { stored = Snapshot(lastChange: latest, rows: result) }
        }
        return result
    }

    static func load(ids: [Int64]?, _ sql: any SQLDatabase) async throws -> [Int64: Row] {
        let entryScope: SQLQueryString = ids.map { "WHERE id IN (\(binds: $0))" } ?? ""
        let tagScope: SQLQueryString = ids.map { "WHERE entry_id IN (\(binds: $0))" } ?? ""
        var rows: [Int64: Row] = [:]
        for row in try await sql.raw(
            """
            SELECT id, status, department_id, classification_code, share_type, openness, update_cycle, grade, name
            FROM catalog_entries \(entryScope)
            """
        ).all() {
            let id = try row.decode(column: "id", as: Int64.self)
            rows[id] = Row(
                id: id, status: try row.decode(column: "status", as: String.self),
                departmentID: try row.decode(column: "department_id", as: Int64.self),
                classification: try row.decode(column: "classification_code", as: String.self),
                shareType: try row.decode(column: "share_type", as: String.self),
                openness: try row.decode(column: "openness", as: String.self),
                updateCycle: try row.decode(column: "update_cycle", as: String.self),
                grade: try row.decode(column: "grade", as: String.self),
                name: try row.decode(column: "name", as: String.self).lowercased())
        }
        for tag in try await sql.raw("SELECT entry_id, kind, value FROM catalog_entry_tags \(tagScope)").all() {
            let id = try tag.decode(column: "entry_id", as: Int64.self)
            let value = try tag.decode(column: "value", as: String.self)
            switch try tag.decode(column: "kind", as: String.self) {
            case "format": rows[id]?.formats.append(value)
            case "keyword": rows[id]?.keywords.append(value)
            default: break
            }
        }
        return rows
    }
}
