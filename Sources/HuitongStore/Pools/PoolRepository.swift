import Foundation
import HuitongCore
import SQLKit

/// One version of a resource pool (资源池): a table holding an entry's rows as delivered by one load.
public struct PoolVersion: Sendable, Hashable, Codable {
    public var entryID: Int64
    public var version: Int
    public var tableName: String
    public var columns: [String]
    public var keyColumns: [String]
    public var rowCount: Int64
    public var status: PoolVersionStatus
    public var createdAt: Date
    public var activatedAt: Date?
}

public enum PoolVersionStatus: String, Sendable, Hashable, Codable {
    /// Being loaded; nobody reads it.
    case building
    /// The version readers see.
    case active
    /// An earlier version, kept for rollback.
    case retired
    /// A load that failed or was interrupted: its table is gone, and its number is never given to another load,
    /// so that a load declared dead can never write into, or publish, the table of the load after it.
    case abandoned
}

/// Resource pools: each load builds a new version table beside the active one and switches to it in one
/// transaction, so readers see the old rows or the new ones, never a mix.
public protocol PoolRepository: PoolReader {
    /// Creates the table of the entry's next version, empty or (for changes by key) a copy of the active rows.
    func beginVersion(entryID: Int64, columns: [String], keyColumns: [String], copyingActive: Bool) async throws
        -> PoolVersion
    /// Adds rows (values in `columns` order; nil for empty) to a version being built, in one transaction. Rows
    /// whose key is already present replace it when `replacingKeys`; otherwise a repeated key makes `activate`
    /// fail (the key's index is built then), and the version must be abandoned.
    func insert(_ rows: [[String?]], into version: PoolVersion, replacingKeys: Bool) async throws
    /// Removes the rows with these keys from a version being built; returns how many were removed.
    func delete(keys: [[String]], from version: PoolVersion) async throws -> Int
    /// Makes a built version the one readers see and retires the previous one, keeping `keep` retired versions.
    func activate(_ version: PoolVersion, keep: Int) async throws -> PoolVersion
    /// Drops a version that was being built (a failed or interrupted load).
    func abandon(_ version: PoolVersion) async throws
    func active(entryID: Int64) async throws -> PoolVersion?
    func versions(entryID: Int64) async throws -> [PoolVersion]
    /// Rows of the active version whose key columns equal `key` (values in `keyColumns` order).
    func rows(entryID: Int64, key: [String]) async throws -> [[String: String?]]
    /// Drops versions still marked as building, except those of `keepingEntries` (loads that are alive).
    func abandonInterrupted(keepingEntries: Set<Int64>) async throws -> [PoolVersion]
    /// Makes a retired version the one readers see again and retires the active one, in one transaction (a
    /// rollback). An unknown version is not found; one being built or already active is a conflict.
    func reactivate(entryID: Int64, version: Int) async throws -> PoolVersion
}

struct SQLPoolRepository: PoolRepository {
    let provider: any DatabaseProvider

    /// The largest number of bound values per statement both engines accept comfortably.
    static let bindsPerStatement = 30_000

    func beginVersion(entryID: Int64, columns: [String], keyColumns: [String], copyingActive: Bool) async throws
        -> PoolVersion
    {
        try Self.checkIdentifiers(columns + keyColumns)
        let now = Date()
        return try await provider.transaction { sql in
            let next =
                (try await sql.raw(
                    "SELECT MAX(version) AS v FROM pool_versions WHERE entry_id = \(bind: entryID)"
                ).first()?.decode(column: "v", as: Int?.self) ?? 0) + 1
            let table = "pool_e\(entryID)_v\(next)"
            let definitions = columns.map { "\($0) TEXT" }.joined(separator: ", ")
            // The key's unique index comes after the rows: built from sorted keys at the end, a million rows load
            // several times faster than through an index that every insert must update.
            try await sql.raw(SQLQueryString(unsafeRaw: "CREATE TABLE \(table) (\(definitions))")).run()
            var rowCount: Int64 = 0
            if copyingActive, let active = try await Self.active(entryID, sql) {
                let shared = columns.filter(active.columns.contains)
                if !shared.isEmpty {
                    let list = shared.joined(separator: ", ")
                    try await sql.raw(
                        SQLQueryString(
                            unsafeRaw: "INSERT INTO \(table) (\(list)) SELECT \(list) FROM \(active.tableName)")
                    ).run()
                    rowCount = active.rowCount
                }
            }
            if copyingActive { try await Self.indexKey(table, keyColumns, sql) }
            try await sql.raw(
                """
                INSERT INTO pool_versions (entry_id, version, table_name, columns, key_columns, row_count, status,
                    created_at)
                VALUES (\(bind: entryID), \(bind: next), \(bind: table), \(bind: columns.joined(separator: ",")),
                    \(bind: keyColumns.joined(separator: ",")), \(bind: rowCount), 'building', \(bind: now))
                """
            ).run()
            return PoolVersion(
                entryID: entryID, version: next, tableName: table, columns: columns, keyColumns: keyColumns,
                rowCount: rowCount, status: .building, createdAt: now, activatedAt: nil)
        }
    }

    func insert(_ rows: [[String?]], into version: PoolVersion, replacingKeys: Bool) async throws {
        try await provider.bulkInsert(
            BulkInsert(
                table: version.tableName, columns: version.columns, rows: rows,
                replacingKeys: replacingKeys && !version.keyColumns.isEmpty ? version.keyColumns : nil))
    }

    func delete(keys: [[String]], from version: PoolVersion) async throws -> Int {
        guard !keys.isEmpty, !version.keyColumns.isEmpty else { return 0 }
        let width = version.keyColumns.count
        let perStatement = max(1, Self.bindsPerStatement / width)
        return try await provider.transaction { sql in
            var removed = 0
            for start in stride(from: 0, to: keys.count, by: perStatement) {
                let batch = keys[start..<min(start + perStatement, keys.count)]
                // `(a, b) IN (VALUES (…), (…))` compares whole keys; RETURNING counts what went.
                var query = SQLQueryString(
                    unsafeRaw:
                        "DELETE FROM \(version.tableName) WHERE (\(version.keyColumns.joined(separator: ", "))) IN (VALUES "
                )
                for (index, key) in batch.enumerated() {
                    if index > 0 { query.appendLiteral(", ") }
                    query.appendLiteral("(")
                    query.appendInterpolation(binds: (0..<width).map { $0 < key.count ? key[$0] : "" })
                    query.appendLiteral(")")
                }
                query.appendLiteral(") RETURNING 1 AS gone")
                removed += try await sql.raw(query).all().count
            }
            return removed
        }
    }

    func activate(_ version: PoolVersion, keep: Int) async throws -> PoolVersion {
        // The key index and the row count are settled first, outside the switch, which then stays short.
        try await provider.transaction { sql in
            try await Self.indexKey(version.tableName, version.keyColumns, sql)
            try await Self.recount(version, sql)
        }
        let now = Date()
        return try await provider.transaction { sql in try await Self.publish(version, keep: keep, at: now, sql) }
    }

    /// Switches readers to a built version inside the caller's transaction (so that a correction can close its
    /// objection in the same one) and drops retired versions beyond `keep`. The key index and the row count must
    /// be settled first.
    static func publish(_ version: PoolVersion, keep: Int, at now: Date, _ sql: any SQLDatabase) async throws
        -> PoolVersion
    {
        let versions = try await lockedVersions(version.entryID, sql)
        guard versions.contains(where: { $0.version == version.version && $0.status == .building }) else {
            throw StoreError.conflict(
                BilingualText(zh: "该版本已不在装载中", en: "this pool version is no longer being built"))
        }
        try await switchActive(version.entryID, to: version.version, at: now, sql)
        // Old versions beyond the ones kept for rollback go, tables and all.
        let retired = try await sql.raw(
            """
            SELECT version, table_name FROM pool_versions
            WHERE entry_id = \(bind: version.entryID) AND status = 'retired' ORDER BY version DESC
            """
        ).all()
        for row in retired.dropFirst(max(0, keep)) {
            let table = try row.decode(column: "table_name", as: String.self)
            try await sql.raw(SQLQueryString(unsafeRaw: "DROP TABLE IF EXISTS \(table)")).run()
            try await sql.raw(
                """
                DELETE FROM pool_versions WHERE entry_id = \(bind: version.entryID)
                AND version = \(bind: try row.decode(column: "version", as: Int.self))
                """
            ).run()
        }
        return try await active(version.entryID, sql)!
    }

    func abandon(_ version: PoolVersion) async throws {
        try await provider.transaction { sql in
            try await Self.drop(version.entryID, version.version, version.tableName, sql)
        }
    }

    func abandonInterrupted(keepingEntries: Set<Int64>) async throws -> [PoolVersion] {
        try await provider.transaction { sql in
            let building = try await sql.raw("SELECT * FROM pool_versions WHERE status = 'building'").all().map(
                Self.decode
            ).filter { !keepingEntries.contains($0.entryID) }
            for version in building {
                try await Self.drop(version.entryID, version.version, version.tableName, sql)
            }
            return building
        }
    }

    func active(entryID: Int64) async throws -> PoolVersion? {
        try await provider.read { sql in try await Self.active(entryID, sql) }
    }

    func versions(entryID: Int64) async throws -> [PoolVersion] {
        try await provider.read { sql in
            try await sql.raw(
                """
                SELECT * FROM pool_versions WHERE entry_id = \(bind: entryID) AND status <> 'abandoned' ORDER BY version
                """
            ).all().map(Self.decode)
        }
    }

    func rows(entryID: Int64, key: [String]) async throws -> [[String: String?]] {
        try await provider.read { sql in
            guard let active = try await Self.active(entryID, sql), !active.keyColumns.isEmpty else { return [] }
            var query = SQLQueryString(
                unsafeRaw: "SELECT \(active.columns.joined(separator: ", ")) FROM \(active.tableName) WHERE ")
            for (index, column) in active.keyColumns.enumerated() {
                if index > 0 { query.appendLiteral(" AND ") }
                query.appendInterpolation(unsafeRaw: column)
                query.appendLiteral(" = ")
                query.appendInterpolation(bind: index < key.count ? key[index] : "")
            }
            return try await sql.raw(query).all().map { row in
                var values: [String: String?] = [:]
                for column in active.columns { values[column] = try row.decode(column: column, as: String?.self) }
                return values
            }
        }
    }

    // MARK: Helpers

    /// The entry's versions, locked on PostgreSQL so that two switches of one entry (a load going live, a
    /// rollback) take turns; SQLite has one writer anyway.
    static func lockedVersions(_ entryID: Int64, _ sql: any SQLDatabase) async throws -> [PoolVersion] {
        let lock = sql.dialect.name == "postgresql" ? " FOR UPDATE" : ""
        return try await sql.raw(
            "SELECT * FROM pool_versions WHERE entry_id = \(bind: entryID)\(unsafeRaw: lock)"
        ).all().map(decode)
    }

    /// Retires the active version and makes `version` the one readers see, inside the caller's transaction.
    static func switchActive(_ entryID: Int64, to version: Int, at now: Date, _ sql: any SQLDatabase) async throws {
        try await sql.raw(
            "UPDATE pool_versions SET status = 'retired' WHERE entry_id = \(bind: entryID) AND status = 'active'"
        ).run()
        try await sql.raw(
            """
            UPDATE pool_versions SET status = 'active', activated_at = \(bind: now)
            WHERE entry_id = \(bind: entryID) AND version = \(bind: version)
            """
        ).run()
    }

    /// The unique index on a version's key. A repeated key makes it fail, and with it the load.
    static func indexKey(_ table: String, _ keyColumns: [String], _ sql: any SQLDatabase) async throws {
        guard !keyColumns.isEmpty else { return }
        do {
            try await sql.raw(
                SQLQueryString(
                    unsafeRaw:
                        "CREATE UNIQUE INDEX IF NOT EXISTS \(table)_key ON \(table) (\(keyColumns.joined(separator: ", ")))"
                )
            ).run()
        } catch  where StoreError.uniqueViolation(in: error) != nil {
            throw StoreError.conflict(
                BilingualText(
                    zh: "数据中有重复的主键（\(keyColumns.joined(separator: "+"))），未能建立主键索引",
                    en:
                        "the rows repeat a key (\(keyColumns.joined(separator: "+"))), so its unique index cannot be built"
                ))
        }
    }

    static func active(_ entryID: Int64, _ sql: any SQLDatabase) async throws -> PoolVersion? {
        try await sql.raw(
            "SELECT * FROM pool_versions WHERE entry_id = \(bind: entryID) AND status = 'active'"
        ).first().map(decode)
    }

    /// Drops the table of a version still being built and marks it abandoned; a version that went live (or was
    /// already abandoned) is left alone.
    static func drop(_ entryID: Int64, _ version: Int, _ table: String, _ sql: any SQLDatabase) async throws {
        let building = try await sql.raw(
            """
            UPDATE pool_versions SET status = 'abandoned'
            WHERE entry_id = \(bind: entryID) AND version = \(bind: version) AND status = 'building'
            RETURNING version
            """
        ).all()
        guard !building.isEmpty else { return }
        try await sql.raw(SQLQueryString(unsafeRaw: "DROP TABLE IF EXISTS \(table)")).run()
    }

    static func count(_ table: String, _ sql: any SQLDatabase) async throws -> Int {
        try await sql.raw(SQLQueryString(unsafeRaw: "SELECT COUNT(*) AS n FROM \(table)")).first()?
            .decode(column: "n", as: Int.self) ?? 0
    }

    static func recount(_ version: PoolVersion, _ sql: any SQLDatabase) async throws {
        let rows = try await count(version.tableName, sql)
        try await sql.raw(
            """
            UPDATE pool_versions SET row_count = \(bind: rows)
            WHERE entry_id = \(bind: version.entryID) AND version = \(bind: version.version)
            """
        ).run()
    }

    /// Table and column names are built from validated column names only (`[a-z][a-z0-9_]*`); checked again
    /// here because they are the one part of these statements that cannot be bound.
    static func checkIdentifiers(_ names: [String]) throws(ValidationError) {
        for name in names where !CatalogEntryContent.isColumnName(name) {
            throw ValidationError(
                field: "columns", BilingualText(zh: "字段名“\(name)”无效", en: "invalid column name \"\(name)\""))
        }
    }

    static func decode(_ row: any SQLRow) throws -> PoolVersion {
        func list(_ column: String) throws -> [String] {
            try row.decode(column: column, as: String.self).split(separator: ",").map(String.init)
        }
        return PoolVersion(
            entryID: try row.decode(column: "entry_id", as: Int64.self),
            version: try row.decode(column: "version", as: Int.self),
            tableName: try row.decode(column: "table_name", as: String.self), columns: try list("columns"),
            keyColumns: try list("key_columns"), rowCount: try row.decode(column: "row_count", as: Int64.self),
            status: PoolVersionStatus(rawValue: try row.decode(column: "status", as: String.self)) ?? .retired,
            createdAt: try row.decode(column: "created_at", as: Date.self),
            activatedAt: try row.decode(column: "activated_at", as: Date?.self))
    }

    // MARK: Rollback

    func reactivate(entryID: Int64, version: Int) async throws -> PoolVersion {
        let now = Date()
        return try await provider.transaction { sql in
            let versions = try await Self.lockedVersions(entryID, sql)
            guard let target = versions.first(where: { $0.version == version }) else {
                throw StoreError.notFound(entity: "pool version", key: "\(version)")
            }
            switch target.status {
            case .retired:
                break
            case .active:
                throw StoreError.conflict(
                    BilingualText(zh: "版本 \(version) 已是当前版本", en: "version \(version) is already the active one"))
            case .abandoned:
                throw StoreError.notFound(entity: "pool version", key: "\(version)")
            case .building:
                throw StoreError.conflict(
                    BilingualText(
                        zh: "版本 \(version) 正在装载，不能启用",
                        en: "version \(version) is still being loaded and cannot be activated"))
            }
            try await Self.switchActive(entryID, to: version, at: now, sql)
            return try await Self.active(entryID, sql)!
        }
    }
}
