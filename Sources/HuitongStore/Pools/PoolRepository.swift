import Foundation
import HuitongCore
import SQLKit

/// One version of a resource pool (资源池): the rows of an entry as one load left them.
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
    /// The version this one was built on by changes, in the same table; nil for a version loaded whole into a
    /// table of its own.
    public var baseVersion: Int?
    /// The type of each column its table stores it in; a column not named is text. A table keeps the types it was
    /// created with: a version built by changes takes its base's, and an item whose type changed gets its new type
    /// at the pool's next whole load.
    public var columnTypes: [String: ColumnType] = [:]
    /// The columns whose values its table holds SM4-encrypted (`PoolColumnCipher`), stored as text whatever the
    /// item's type. A table keeps the set it was created with, as it keeps its types.
    public var encryptedColumns: Set<String> = []

    /// The type `column` is stored in.
    public func type(of column: String) -> ColumnType { columnTypes[column] ?? .text }
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

/// Resource pools. A load by changes (upsert, delete, sync, a correction) writes only the rows it changes into
/// the table of the version it builds on: every row carries the version that added it (`_added_in`) and the one
/// that retired it (`_retired_in`), and a version shows the rows added at or before it and not retired by then.
/// A load of a whole file starts a table of its own. Either way the new version becomes the one readers see by
/// switching one pointer in one transaction, so readers see the old rows or the new ones, never a mix.
/// (docs/pools.md has the design and its invariants.)
public protocol PoolRepository: PoolReader {
    /// Starts the entry's next version: empty in a table of its own, or (`copyingActive`, for changes by key)
    /// building on the active version in its table. `types` are the column types of a new table (a column not
    /// named is text); `expectedRows`, an estimate of the rows a whole load brings, lets a large pool's table be
    /// partitioned from the start (`PoolLayout`). `encrypting` names the columns a new table holds encrypted at
    /// rest; a version built on another keeps its table's (a column it adds is encrypted when named). One version
    /// of an entry is built at a time; a second is a conflict.
    func beginVersion(
        entryID: Int64, columns: [String], types: [String: ColumnType], keyColumns: [String], copyingActive: Bool,
        expectedRows: Int64, encrypting: Set<String>
    ) async throws -> PoolVersion
    /// Adds rows (values in `columns` order; nil for empty) to a version being built, in one transaction. Rows
    /// whose key is already present replace it when `replacingKeys`; otherwise a repeated key is an error, at
    /// once or (for a version in a table of its own) when `activate` builds the key's index.
    func insert(_ rows: [[String?]], into version: PoolVersion, replacingKeys: Bool) async throws
    /// Takes rows of a full snapshot (`sync`) into a version built on the active one: new and changed rows are
    /// written, unchanged ones only noted as seen. Returns how many rows were written.
    func sync(_ rows: [[String?]], into version: PoolVersion) async throws -> Int
    /// Notes keys as seen in a snapshot without writing rows for them (rows the load refused for a defect): their
    /// current rows are not retired by `retireUnseen`.
    func keep(keys: [[String]], in version: PoolVersion) async throws
    /// Once every row of a snapshot went through `sync`: retires the rows the snapshot no longer holds, and
    /// returns how many.
    func retireUnseen(in version: PoolVersion) async throws -> Int
    /// Removes the rows with these keys from a version being built; returns how many were removed.
    func delete(keys: [[String]], from version: PoolVersion) async throws -> Int
    /// Makes a built version the one readers see and retires the previous one, keeping `keep` retired versions.
    func activate(_ version: PoolVersion, keep: Int) async throws -> PoolVersion
    /// Undoes a version that was being built (a failed or interrupted load).
    func abandon(_ version: PoolVersion) async throws
    func active(entryID: Int64) async throws -> PoolVersion?
    func versions(entryID: Int64) async throws -> [PoolVersion]
    /// Rows of the active version whose key columns equal `key` (values in `keyColumns` order).
    func rows(entryID: Int64, key: [String]) async throws -> [[String: String?]]
    /// Undoes versions still marked as building, except those of `keepingEntries` (loads that are alive).
    func abandonInterrupted(keepingEntries: Set<Int64>) async throws -> [PoolVersion]
    /// Makes a retired version the one readers see again and retires the active one, in one transaction (a
    /// rollback: a pointer switch, whatever the pool's size). An unknown version is not found; one being built
    /// or already active is a conflict.
    func reactivate(entryID: Int64, version: Int) async throws -> PoolVersion
}

extension PoolRepository {
    /// Starts a version that encrypts no column it adds.
    public func beginVersion(
        entryID: Int64, columns: [String], types: [String: ColumnType], keyColumns: [String], copyingActive: Bool,
        expectedRows: Int64
    ) async throws -> PoolVersion {
        try await beginVersion(
            entryID: entryID, columns: columns, types: types, keyColumns: keyColumns, copyingActive: copyingActive,
            expectedRows: expectedRows, encrypting: [])
    }

    /// Starts a version whose columns are all text.
    public func beginVersion(entryID: Int64, columns: [String], keyColumns: [String], copyingActive: Bool)
        async throws -> PoolVersion
    {
        try await beginVersion(
            entryID: entryID, columns: columns, types: [:], keyColumns: keyColumns, copyingActive: copyingActive,
            expectedRows: 0)
    }

    /// Starts a version with these column types, of a size not known in advance.
    public func beginVersion(
        entryID: Int64, columns: [String], types: [String: ColumnType], keyColumns: [String], copyingActive: Bool
    ) async throws -> PoolVersion {
        try await beginVersion(
            entryID: entryID, columns: columns, types: types, keyColumns: keyColumns, copyingActive: copyingActive,
            expectedRows: 0)
    }
}

struct SQLPoolRepository: PoolRepository {
    let provider: any DatabaseProvider
    var layout = PoolLayout()
    var cipher = PoolColumnCipher()

    /// The largest number of bound values per statement both engines accept comfortably.
    static let bindsPerStatement = 30_000
    /// The version that added a row, and the one that retired it (NULL while it is current). Item column names
    /// start with a letter, so these can never clash with one.
    static let added = "_added_in"
    static let retired = "_retired_in"

    func beginVersion(
        entryID: Int64, columns: [String], types: [String: ColumnType], keyColumns: [String], copyingActive: Bool,
        expectedRows: Int64, encrypting: Set<String>
    ) async throws -> PoolVersion {
        try Self.checkIdentifiers(columns + keyColumns)
        let layout = layout
        let encrypting = encrypting.intersection(columns)
        // Ciphertext is text, whatever the item's type.
        let types = types.filter { columns.contains($0.key) && $0.value != .text && !encrypting.contains($0.key) }
        let now = Date()
        return try await provider.transaction { sql in
            let versions = try await Self.lockedVersions(entryID, sql)
            if versions.contains(where: { $0.status == .building }) {
                throw StoreError.conflict(
                    BilingualText(
                        zh: "该资源正在装载另一版本，请等它完成后再试",
                        en: "another version of this resource is being loaded; try again when it is done"
                    ))
            }
            let next = (versions.map(\.version).max() ?? 0) + 1
            let active = versions.first { $0.status == .active }
            var version = PoolVersion(
                entryID: entryID, version: next, tableName: "pool_e\(entryID)_v\(next)", columns: columns,
                keyColumns: keyColumns, rowCount: 0, status: .building, createdAt: now, activatedAt: nil,
                columnTypes: types, encryptedColumns: encrypting)
            if copyingActive, let active, active.keyColumns == keyColumns, !keyColumns.isEmpty {
                // Built on the active version, in its table: only what changes is written.
                version.tableName = active.tableName
                version.baseVersion = active.version
                version.rowCount = active.rowCount
                // The table's columns keep their types; a column it lacks is added with the type asked for.
                var present: [String: ColumnType] = [:]
                var encrypted: Set<String> = []
                for sibling in versions where sibling.tableName == active.tableName {
                    for column in sibling.columns { present[column] = sibling.type(of: column) }
                    encrypted.formUnion(sibling.encryptedColumns)
                }
                for column in columns where present[column] == nil {
                    let type = version.type(of: column)
                    if encrypting.contains(column) { encrypted.insert(column) }
                    try await sql.raw(
                        SQLQueryString(
                            unsafeRaw:
                                "ALTER TABLE \(active.tableName) ADD COLUMN \(column) \(Self.sqlType(type, sql))")
                    ).run()
                    present[column] = type
                }
                version.columnTypes = present.filter { columns.contains($0.key) && $0.value != .text }
                version.encryptedColumns = encrypted.intersection(columns)
                version.rowCount -= try await Self.leaveDeadBranch(
                    active.tableName, columns: columns, base: active.version, next: next, sql)
            } else {
                // A pool known to be large is split by its key from its first row: the key is also what Citus
                // distributes by (docs/pools.md).
                let size = max(expectedRows, active?.rowCount ?? 0)
                let partitions =
                    Self.isPostgres(sql) && !keyColumns.isEmpty && size >= layout.partitionRows
                    ? layout.partitions : 0
                if copyingActive, let active {
                    // A column copied keeps its encryption as it is (SQL cannot encrypt or decrypt); the others
                    // take what was asked for.
                    let shared = columns.filter(active.columns.contains)
                    version.encryptedColumns =
                        active.encryptedColumns.intersection(shared).union(encrypting.subtracting(shared))
                    version.columnTypes = version.columnTypes.filter { !version.encryptedColumns.contains($0.key) }
                }
                try await Self.createTable(version, partitions: partitions, sql)
                if copyingActive, let active {
                    // A key that changed: the active rows are copied once into a table of the new shape.
                    let shared = columns.filter(active.columns.contains)
                    if !shared.isEmpty {
                        // Through each column's text, so a column whose type changed takes the new type.
                        let values = shared.map { column in
                            Self.converted(
                                Self.textExpression(column, active.type(of: column), sql), to: version.type(of: column),
                                sql)
                        }
                        try await sql.raw(
                            SQLQueryString(
                                unsafeRaw: """
                                    INSERT INTO \(version.tableName) (\(shared.joined(separator: ", ")), \(Self.added))
                                    SELECT \(values.joined(separator: ", ")), \(next) FROM \(active.tableName)
                                    WHERE \(Self.visible(at: active.version))
                                    """)
                        ).run()
                    }
                }
                // Changes by key need the key's index while they are written; a whole load builds it at the end.
                if copyingActive { try await Self.indexTable(version, sql) }
            }
            try await sql.raw(
                """
                INSERT INTO pool_versions (entry_id, version, table_name, columns, key_columns, row_count, status,
                    created_at, base_version, base_row_count, column_types, encrypted_columns)
                VALUES (\(bind: entryID), \(bind: next), \(bind: version.tableName),
                    \(bind: columns.joined(separator: ",")), \(bind: keyColumns.joined(separator: ",")),
                    \(bind: version.rowCount), 'building', \(bind: now), \(bind: version.baseVersion),
                    \(bind: version.baseVersion == nil ? nil : version.rowCount),
                    \(bind: Self.encode(version.columnTypes)),
                    \(bind: version.encryptedColumns.sorted().joined(separator: ",")))
                """
            ).run()
            return version
        }
    }

    /// After a rollback to `base`, the versions after it in its table are a branch no longer followed. The next
    /// version (`next`) must not see that branch: rows it added are retired at `next`, and rows live at `base`
    /// that it retired come back as copies added at `next`. Costs the size of that branch (nothing without one).
    /// Returns how many rows came back, which `prepare` would otherwise count twice.
    static func leaveDeadBranch(
        _ table: String, columns: [String], base: Int, next: Int, _ sql: any SQLDatabase
    ) async throws -> Int64 {
        let present = columns.joined(separator: ", ")
        let revived = try await count(table, where: "\(retired) > \(base) AND \(added) <= \(base)", sql)
        try await sql.raw(
            SQLQueryString(
                unsafeRaw: """
                    INSERT INTO \(table) (\(present), \(added))
                    SELECT \(present), \(next) FROM \(table) WHERE \(retired) > \(base) AND \(added) <= \(base)
                    """)
        ).run()
        try await sql.raw(
            SQLQueryString(
                unsafeRaw: """
                    UPDATE \(table) SET \(retired) = \(next)
                    WHERE \(changedRows(table)) AND \(retired) IS NULL AND \(added) > \(base) AND \(added) < \(next)
                    """)
        ).run()
        return Int64(revived)
    }

    func insert(_ rows: [[String?]], into version: PoolVersion, replacingKeys: Bool) async throws {
        guard !rows.isEmpty else { return }
        // From here on values are as stored: keys worked out of these rows are stored keys.
        let rows = try cipher.sealed(rows, version)
        if replacingKeys && !version.keyColumns.isEmpty {
            let rows = Self.lastOfEachKey(rows, version)
            try await write(rows, keys: rows.map { Self.key(of: $0, version) }, into: version)
            return
        }
        if version.baseVersion != nil {
            let keys = Self.distinctKeys(of: rows, version)
            try await provider.transaction { sql in
                if try await Self.liveCount(keys, in: version, sql) > 0 { throw Self.repeatedKey(version.keyColumns) }
            }
        }
        let stamp = String(version.version)
        try await provider.bulkInsert(
            BulkInsert(
                table: version.tableName, columns: version.columns + [Self.added],
                rows: stored(rows, version), sharedValues: [stamp]))
    }

    /// Makes `rows` the current rows of their keys (`keys[i]` is the key of `rows[i]`, all distinct): the rows
    /// they replace are retired at `version`, and a key written earlier by the same version is overwritten. Rows
    /// and keys as stored (encrypted where the version encrypts).
    private func write(_ rows: [[String?]], keys: [[String]], into version: PoolVersion) async throws {
        guard !rows.isEmpty else { return }
        if version.baseVersion != nil {
            _ = try await provider.transaction { sql in try await Self.retire(keys, in: version, sql) }
        }
        let stamp = String(version.version)
        try await provider.bulkInsert(
            BulkInsert(
                table: version.tableName, columns: version.columns + [Self.added],
                rows: stored(rows, version), sharedValues: [stamp], replacingKeys: version.keyColumns + [Self.added]))
    }

    func sync(_ rows: [[String?]], into version: PoolVersion) async throws -> Int {
        guard !rows.isEmpty else { return 0 }
        // Each key's row once, and each key worked out once for the note, the read and the write. Compared as
        // stored: a value encrypts the same way every time, so an unchanged row is found unchanged.
        let rows = try cipher.sealed(Self.lastOfEachKey(rows, version), version)
        let keys = rows.map { Self.key(of: $0, version) }
        guard version.baseVersion != nil else {
            // Nothing to compare with: the snapshot is the first rows of the pool.
            try await write(rows, keys: keys, into: version)
            return rows.count
        }
        try await keep(storedKeys: keys, in: version)
        // What the version holds now for these keys: a row that did not change is not written again.
        // In a transaction of its own: `keyBatches` sets how its statements are planned, for that transaction only.
        let current = try await provider.transaction { sql in
            var found: [[String]: [String?]] = [:]
            for (table, batch) in try await Self.keyBatches(keys, in: version, sql) {
                var part = version
                part.tableName = table
                var query = Self.selectClause(PoolSelection(columns: version.columns), from: part, sql)
                query.appendLiteral(" WHERE ")
                Self.appendKeyMatch(version.keyColumns, batch, to: &query)
                query.appendInterpolation(unsafeRaw: " AND \(Self.retired) IS NULL")
                for row in try await sql.raw(query).all() {
                    let values = try version.columns.map { try row.decode(column: $0, as: String?.self) }
                    found[Self.key(of: values, version)] = values
                }
            }
            return found
        }
        let changed = rows.indices.filter { current[keys[$0]] != rows[$0] }
        try await write(changed.map { rows[$0] }, keys: changed.map { keys[$0] }, into: version)
        return changed.count
    }

    func keep(keys: [[String]], in version: PoolVersion) async throws {
        guard !keys.isEmpty, version.baseVersion != nil else { return }
        try await keep(storedKeys: try cipher.sealed(keys: keys, version), in: version)
    }

    private func keep(storedKeys keys: [[String]], in version: PoolVersion) async throws {
        guard !keys.isEmpty, version.baseVersion != nil else { return }
        let seen = Self.seenTable(version)
        let width = version.keyColumns.count
        try await provider.transaction { sql in
            try await sql.raw(
                SQLQueryString(
                    unsafeRaw:
                        "CREATE TABLE IF NOT EXISTS \(seen) (\(version.keyColumns.map { "\($0) TEXT" }.joined(separator: ", ")))"
                )
            ).run()
        }
        try await provider.bulkInsert(
            BulkInsert(
                table: seen, columns: version.keyColumns,
                rows: keys.map { key in (0..<width).map { $0 < key.count ? key[$0] : "" } }))
    }

    func retireUnseen(in version: PoolVersion) async throws -> Int {
        guard version.baseVersion != nil else { return 0 }
        let seen = Self.seenTable(version)
        return try await provider.transaction { sql in
            let exists = try await Self.tableExists(seen, sql)
            if !exists {
                // An empty snapshot: every row it does not hold goes.
                try await sql.raw(
                    SQLQueryString(
                        unsafeRaw:
                            "CREATE TABLE \(seen) (\(version.keyColumns.map { "\($0) TEXT" }.joined(separator: ", ")))"
                    )
                ).run()
            }
            let keyList = version.keyColumns.joined(separator: ", ")
            try await sql.raw(
                SQLQueryString(unsafeRaw: "CREATE INDEX IF NOT EXISTS \(seen)_key ON \(seen) (\(keyList))")
            )
            .run()
            let table = version.tableName
            let match = version.keyColumns.map { "s.\($0) = \(table).\($0)" }.joined(separator: " AND ")
            let gone = try await sql.raw(
                SQLQueryString(
                    unsafeRaw: """
                        UPDATE \(version.tableName) SET \(Self.retired) = \(version.version)
                        WHERE \(Self.retired) IS NULL AND \(Self.added) < \(version.version)
                        AND NOT EXISTS (SELECT 1 FROM \(seen) s WHERE \(match))
                        RETURNING 1 AS gone
                        """)
            ).all().count
            try await sql.raw(SQLQueryString(unsafeRaw: "DROP TABLE IF EXISTS \(seen)")).run()
            return gone
        }
    }

    func delete(keys: [[String]], from version: PoolVersion) async throws -> Int {
        guard !keys.isEmpty, !version.keyColumns.isEmpty else { return 0 }
        let width = version.keyColumns.count
        let keys = try cipher.sealed(
            keys: keys.map { key in (0..<width).map { $0 < key.count ? key[$0] : "" } }, version)
        return try await provider.transaction { sql in
            var removed = 0
            for (table, batch) in try await Self.keyBatches(keys, in: version, sql) {
                // Rows this version added go; rows it found are retired at it.
                var query = SQLQueryString(
                    unsafeRaw: "DELETE FROM \(table) WHERE \(Self.added) = \(version.version) AND ")
                Self.appendKeyMatch(version.keyColumns, batch, to: &query)
                query.appendLiteral(" RETURNING 1 AS gone")
                removed += try await sql.raw(query).all().count
            }
            if version.baseVersion != nil {
                removed += try await Self.retire(keys, in: version, sql)
            }
            return removed
        }
    }

    func activate(_ version: PoolVersion, keep: Int) async throws -> PoolVersion {
        // The key index and the row count are settled first, outside the switch, which then stays short.
        try await provider.transaction { sql in try await Self.prepare(version, sql) }
        let now = Date()
        return try await provider.transaction { sql in try await Self.publish(version, keep: keep, at: now, sql) }
    }

    /// Settles what a version needs before it can go live: the indexes of a table of its own (a repeated key
    /// fails here) and the row count — counted for a whole load, worked out from the changes for one built on
    /// another version.
    static func prepare(_ version: PoolVersion, _ sql: any SQLDatabase) async throws {
        let rows: Int
        if let base = version.baseVersion {
            // Set by `beginVersion`: the base's rows less those a dead branch brought back as copies.
            let baseCount = try await sql.raw(
                """
                SELECT base_row_count FROM pool_versions
                WHERE entry_id = \(bind: version.entryID) AND version = \(bind: version.version)
                """
            ).first()?.decode(column: "base_row_count", as: Int?.self)
            let v = version.version
            let addedCount = try await count(
                version.tableName, where: "\(changedRows(version.tableName)) AND \(added) = \(v)", sql)
            if let baseCount {
                let retiredCount = try await count(
                    version.tableName, where: "\(retired) = \(v) AND \(added) <= \(base)", sql)
                rows = baseCount + addedCount - retiredCount
            } else {
                rows = try await count(version.tableName, where: visible(at: v), sql)
            }
        } else {
            try await indexTable(version, sql)
            rows = try await count(version.tableName, where: "1 = 1", sql)
        }
        try await sql.raw(
            """
            UPDATE pool_versions SET row_count = \(bind: rows)
            WHERE entry_id = \(bind: version.entryID) AND version = \(bind: version.version)
            """
        ).run()
    }

    /// Switches readers to a built version inside the caller's transaction (so that a correction can close its
    /// objection in the same one), and lets go of retired versions beyond `keep`: a table no kept version uses
    /// is dropped, and rows no kept version can see are deleted from the others. `prepare` must have run.
    static func publish(_ version: PoolVersion, keep: Int, at now: Date, _ sql: any SQLDatabase) async throws
        -> PoolVersion
    {
        let versions = try await lockedVersions(version.entryID, sql)
        guard versions.contains(where: { $0.version == version.version && $0.status == .building }) else {
            throw StoreError.conflict(
                BilingualText(zh: "该版本已不在装载中", en: "this pool version is no longer being built"))
        }
        try await switchActive(version.entryID, to: version.version, at: now, sql)
        let retiredVersions = versions.filter { $0.status == .retired || $0.status == .active }
            .filter { $0.version != version.version }.sorted { $0.version > $1.version }
        let dropped = Array(retiredVersions.dropFirst(max(0, keep)))
        guard !dropped.isEmpty else { return try await active(version.entryID, sql)! }
        for old in dropped {
            try await sql.raw(
                "DELETE FROM pool_versions WHERE entry_id = \(bind: version.entryID) AND version = \(bind: old.version)"
            ).run()
        }
        let droppedNumbers = Set(dropped.map(\.version))
        let remaining = versions.filter {
            !droppedNumbers.contains($0.version) && $0.status != .abandoned
        }
        // A reader that remembered the version active until now (the gateway, for a second) may still read it
        // once: in a table still in use its rows stay until the next switch, even when no retired version is
        // kept. (A table no version uses goes at once; that reader then finds it gone and reads again.)
        let previous = versions.first { $0.status == .active && $0.version != version.version }
        for table in Set(dropped.map(\.tableName)) {
            let users = remaining.filter { $0.tableName == table }.map(\.version)
            if let kept = users.min() {
                let oldest = min(kept, previous.flatMap { $0.tableName == table ? $0.version : nil } ?? kept)
                // Rows retired at or before the oldest version still read are seen by none of them.
                try await sql.raw(
                    SQLQueryString(unsafeRaw: "DELETE FROM \(table) WHERE \(retired) <= \(oldest)")
                ).run()
            } else {
                try await sql.raw(SQLQueryString(unsafeRaw: "DROP TABLE IF EXISTS \(table)")).run()
            }
        }
        return try await active(version.entryID, sql)!
    }

    func abandon(_ version: PoolVersion) async throws {
        try await provider.transaction { sql in try await Self.undo(version.entryID, version.version, sql) }
    }

    func abandonInterrupted(keepingEntries: Set<Int64>) async throws -> [PoolVersion] {
        try await provider.transaction { sql in
            let building = try await sql.raw("SELECT * FROM pool_versions WHERE status = 'building'").all().map(
                Self.decode
            ).filter { !keepingEntries.contains($0.entryID) }
            for version in building { try await Self.undo(version.entryID, version.version, sql) }
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
        let cipher = cipher
        return try await provider.read { sql in
            guard let active = try await Self.active(entryID, sql), !active.keyColumns.isEmpty else { return [] }
            let key = try cipher.sealed(
                keys: [active.keyColumns.indices.map { $0 < key.count ? key[$0] : "" }], active)[0]
            var query = Self.selectClause(PoolSelection(columns: active.columns), from: active, sql)
            query.appendInterpolation(unsafeRaw: " WHERE \(Self.visible(at: active.version))")
            for (index, column) in active.keyColumns.enumerated() {
                query.appendInterpolation(unsafeRaw: " AND \(column) = ")
                query.appendInterpolation(bind: key[index])
            }
            let rows = try await sql.raw(query).all().map { try Self.values($0, active.columns) }
            return try cipher.opened(rows, columns: active.columns, active).map { row in
                Dictionary(uniqueKeysWithValues: zip(active.columns, row))
            }
        }
    }

    // MARK: Helpers

    /// The rows written by changes into `table` (after the version that created it): the condition of its
    /// `…_added` index, spelled as the index spells it. SQLite uses a partial index only for a query that names
    /// the index's own condition; it does not infer it from `_added_in = 7`.
    static func changedRows(_ table: String) -> String {
        "\(added) > \(generation(of: table))"
    }

    /// The version that created a pool table (`pool_e{entry}_v{version}`).
    static func generation(of table: String) -> Int {
        table.range(of: "_v", options: .backwards).flatMap { Int(table[$0.upperBound...]) } ?? 0
    }

    /// The rows version `v` of a table shows.
    static func visible(at v: Int) -> String {
        "\(added) <= \(v) AND (\(retired) IS NULL OR \(retired) > \(v))"
    }

    /// A table of its own for `version`: the items in their types, then the two version columns.
    /// With `partitions` > 0 (PostgreSQL, a keyed pool), the table is hash-partitioned by the key into that many
    /// tables `…_p0`, `…_p1`, …; everything else reads and writes the parent as it would a plain table.
    static func createTable(_ version: PoolVersion, partitions: Int = 0, _ sql: any SQLDatabase) async throws {
        let table = version.tableName
        let definitions =
            version.columns.map { "\($0) \(sqlType(version.type(of: $0), sql))" }
            + ["\(added) INTEGER NOT NULL", "\(retired) INTEGER"]
        let partitioning =
            partitions > 0 ? " PARTITION BY HASH (\(version.keyColumns.joined(separator: ", ")))" : ""
        try await sql.raw(
            SQLQueryString(
                unsafeRaw: "CREATE TABLE \(table) (\(definitions.joined(separator: ", ")))\(partitioning)")
        ).run()
        for remainder in 0..<max(0, partitions) {
            try await sql.raw(
                SQLQueryString(
                    unsafeRaw:
                        "CREATE TABLE \(table)_p\(remainder) PARTITION OF \(table) FOR VALUES WITH (MODULUS \(partitions), REMAINDER \(remainder))"
                )
            ).run()
        }
    }

    /// The indexes of a pool table: the key with the version that added the row (unique, so a repeated key in one
    /// load fails, and the index every read by key uses), and, small because they hold only what changed, the rows
    /// added after the table's first version and the rows retired. Built after a whole load's rows: from sorted
    /// keys at the end, a million rows load several times faster than through an index every insert updates.
    static func indexTable(_ version: PoolVersion, _ sql: any SQLDatabase) async throws {
        let table = version.tableName
        if !version.keyColumns.isEmpty {
            do {
                try await sql.raw(
                    SQLQueryString(
                        unsafeRaw:
                            "CREATE UNIQUE INDEX IF NOT EXISTS \(table)_key ON \(table) (\(version.keyColumns.joined(separator: ", ")), \(added))"
                    )
                ).run()
            } catch  where StoreError.uniqueViolation(in: error) != nil {
                throw repeatedKey(version.keyColumns)
            }
        }
        try await sql.raw(
            SQLQueryString(
                unsafeRaw:
                    "CREATE INDEX IF NOT EXISTS \(table)_added ON \(table) (\(added)) WHERE \(added) > \(version.version)"
            )
        ).run()
        try await sql.raw(
            SQLQueryString(
                unsafeRaw:
                    "CREATE INDEX IF NOT EXISTS \(table)_retired ON \(table) (\(retired)) WHERE \(retired) IS NOT NULL"
            )
        ).run()
    }

    /// Brings a table of the release before pools were built by changes (text columns, a unique index on the key)
    /// to this design: its rows were all added by its version, none is retired. Adding a column with a constant
    /// default rewrites no row on either engine; the indexes are rebuilt.
    static func convertLegacyTable(_ version: PoolVersion, _ sql: any SQLDatabase) async throws {
        let table = version.tableName
        try await sql.raw(
            SQLQueryString(
                unsafeRaw: "ALTER TABLE \(table) ADD COLUMN \(added) INTEGER NOT NULL DEFAULT \(version.version)")
        ).run()
        try await sql.raw(SQLQueryString(unsafeRaw: "ALTER TABLE \(table) ADD COLUMN \(retired) INTEGER")).run()
        try await sql.raw(SQLQueryString(unsafeRaw: "DROP INDEX IF EXISTS \(table)_key")).run()
        try await indexTable(version, sql)
    }

    static func repeatedKey(_ keyColumns: [String]) -> StoreError {
        StoreError.conflict(
            BilingualText(
                zh: "数据中有重复的主键（\(keyColumns.joined(separator: "+"))），未能建立主键索引",
                en: "the rows repeat a key (\(keyColumns.joined(separator: "+"))), so its unique index cannot be built")
        )
    }

    /// Retires, at `version`, the current rows (added before it) with these keys; returns how many.
    @discardableResult
    static func retire(_ keys: [[String]], in version: PoolVersion, _ sql: any SQLDatabase) async throws -> Int {
        var retiredCount = 0
        for (table, batch) in try await keyBatches(keys, in: version, sql) {
            var query = SQLQueryString(
                unsafeRaw: """
                    UPDATE \(table) SET \(retired) = \(version.version)
                    WHERE \(retired) IS NULL AND \(added) < \(version.version) AND 
                    """)
            appendKeyMatch(version.keyColumns, batch, to: &query)
            query.appendLiteral(" RETURNING 1 AS gone")
            retiredCount += try await sql.raw(query).all().count
        }
        return retiredCount
    }

    /// How many current rows (added before `version`) have one of these keys.
    static func liveCount(_ keys: [[String]], in version: PoolVersion, _ sql: any SQLDatabase) async throws -> Int {
        var total = 0
        for (table, batch) in try await keyBatches(keys, in: version, sql) {
            var query = SQLQueryString(
                unsafeRaw: "SELECT COUNT(*) AS n FROM \(table) WHERE \(retired) IS NULL AND ")
            appendKeyMatch(version.keyColumns, batch, to: &query)
            total += try await sql.raw(query).first()?.decode(column: "n", as: Int.self) ?? 0
        }
        return total
    }

    /// `k IN (…)`, or `(a, b) IN (VALUES (…), …)` for a key of several columns.
    static func appendKeyMatch(_ keyColumns: [String], _ keys: ArraySlice<[String]>, to query: inout SQLQueryString) {
        if keyColumns.count == 1 {
            query.appendInterpolation(unsafeRaw: "\(keyColumns[0]) IN (")
            query.appendInterpolation(binds: keys.map { $0.first ?? "" })
            query.appendLiteral(")")
            return
        }
        query.appendInterpolation(unsafeRaw: "(\(keyColumns.joined(separator: ", "))) IN (VALUES ")
        for (index, key) in keys.enumerated() {
            if index > 0 { query.appendLiteral(", ") }
            query.appendLiteral("(")
            query.appendInterpolation(binds: (0..<keyColumns.count).map { $0 < key.count ? key[$0] : "" })
            query.appendLiteral(")")
        }
        query.appendLiteral(")")
    }

    /// Keys in slices small enough for one statement's bound values, each with the table to send it to: the pool
    /// table, or — for a table hash-partitioned by its key — the partition that holds those keys. A list of keys
    /// sent to the parent of a partitioned table is looked up in every partition (sixteen index probes a key instead
    /// of one: bench/scale measured increments 4.4× slower at 10M rows); PostgreSQL's own hash routing
    /// (`satisfies_hash_partition`) says which partition each key is in. Must run in the transaction of the statements
    /// it feeds (it sets how they are planned).
    static func keyBatches(_ keys: [[String]], in version: PoolVersion, _ sql: any SQLDatabase) async throws
        -> [(table: String, keys: ArraySlice<[String]>)]
    {
        let width = version.keyColumns.count
        let table = version.tableName
        let slices = batches(keys, width: width)
        guard isPostgres(sql), !slices.isEmpty else { return slices.map { (table, $0) } }
        // Every statement built from these batches looks keys up, in the caller's transaction. Left to itself
        // PostgreSQL's planner costs 10,000 index probes above one pass over the table and scans a 10M-row pool
        // instead: 2.1 s of a 10k-row upsert that takes 0.3 s by the index (bench/scale; EXPLAIN showed the
        // sequential scan). SQLite's planner follows the index.
        try await sql.raw("SET LOCAL enable_seqscan = off").run()
        let partitions =
            try await sql.raw("SELECT COUNT(*) AS n FROM pg_inherits WHERE inhparent = to_regclass(\(bind: table))")
            .first()?.decode(column: "n", as: Int.self) ?? 0
        guard partitions > 0 else { return slices.map { (table, $0) } }
        var routed: [(table: String, keys: ArraySlice<[String]>)] = []
        for slice in slices {
            let batch = Array(slice)
            var query = SQLQueryString(unsafeRaw: "SELECT k.i AS i, r AS remainder FROM unnest(")
            query.appendInterpolation(bind: Array(batch.indices))
            for column in 0..<width {
                query.appendLiteral(", ")
                query.appendInterpolation(bind: batch.map { column < $0.count ? $0[column] : "" })
            }
            let names = (0..<width).map { "c\($0)" }.joined(separator: ", ")
            query.appendInterpolation(
                unsafeRaw: """
                    ) AS k(i, \(names)), generate_series(0, \(partitions - 1)) AS r
                    WHERE satisfies_hash_partition(to_regclass('\(table)')::oid, \(partitions), r, \(names))
                    """)
            var byPartition: [Int: [[String]]] = [:]
            for row in try await sql.raw(query).all() {
                let index = try row.decode(column: "i", as: Int.self)
                byPartition[try row.decode(column: "remainder", as: Int.self), default: []].append(batch[index])
            }
            for (remainder, members) in byPartition.sorted(by: { $0.key < $1.key }) {
                routed.append(("\(table)_p\(remainder)", members[...]))
            }
        }
        return routed
    }

    /// Keys in slices small enough for one statement's bound values.
    static func batches(_ keys: [[String]], width: Int) -> [ArraySlice<[String]>] {
        let size = max(1, bindsPerStatement / max(1, width))
        return stride(from: 0, to: keys.count, by: size).map { keys[$0..<min($0 + size, keys.count)] }
    }

    static func key(of row: [String?], _ version: PoolVersion) -> [String] {
        version.keyColumns.map { column in
            version.columns.firstIndex(of: column).flatMap { row[$0] } ?? ""
        }
    }

    static func distinctKeys(of rows: [[String?]], _ version: PoolVersion) -> [[String]] {
        var seen = Set<[String]>()
        return rows.map { key(of: $0, version) }.filter { seen.insert($0).inserted }
    }

    /// The rows with the last of each repeated key: one statement may not change a row twice.
    static func lastOfEachKey(_ rows: [[String?]], _ version: PoolVersion) -> [[String?]] {
        guard !version.keyColumns.isEmpty else { return rows }
        var position: [[String]: Int] = [:]
        for (index, row) in rows.enumerated() { position[key(of: row, version)] = index }
        guard position.count < rows.count else { return rows }
        return rows.indices.filter { position[key(of: rows[$0], version)] == $0 }.map { rows[$0] }
    }

    /// Where `sync` notes the keys a snapshot holds, until `retireUnseen`.
    static func seenTable(_ version: PoolVersion) -> String { "pool_e\(version.entryID)_v\(version.version)_seen" }

    static func tableExists(_ table: String, _ sql: any SQLDatabase) async throws -> Bool {
        let query: SQLQueryString =
            sql.dialect.name == "postgresql"
            ? "SELECT 1 AS found FROM pg_tables WHERE schemaname = current_schema() AND tablename = \(bind: table)"
            : "SELECT 1 AS found FROM sqlite_master WHERE type = 'table' AND name = \(bind: table)"
        return try await sql.raw(query).first() != nil
    }

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

    static func active(_ entryID: Int64, _ sql: any SQLDatabase) async throws -> PoolVersion? {
        try await sql.raw(
            "SELECT * FROM pool_versions WHERE entry_id = \(bind: entryID) AND status = 'active'"
        ).first().map(decode)
    }

    /// Undoes a version still being built and marks it abandoned: a table of its own is dropped; in a shared
    /// table the rows it added go and the rows it retired are current again. A version that went live (or was
    /// already abandoned) is left alone.
    static func undo(_ entryID: Int64, _ version: Int, _ sql: any SQLDatabase) async throws {
        guard
            let building = try await sql.raw(
                """
                UPDATE pool_versions SET status = 'abandoned'
                WHERE entry_id = \(bind: entryID) AND version = \(bind: version) AND status = 'building'
                RETURNING *
                """
            ).first().map(decode)
        else { return }
        try await sql.raw(
            SQLQueryString(unsafeRaw: "DROP TABLE IF EXISTS \(seenTable(building))")
        ).run()
        guard building.baseVersion != nil else {
            try await sql.raw(SQLQueryString(unsafeRaw: "DROP TABLE IF EXISTS \(building.tableName)")).run()
            return
        }
        let table = building.tableName
        try await sql.raw(
            SQLQueryString(unsafeRaw: "DELETE FROM \(table) WHERE \(changedRows(table)) AND \(added) = \(version)")
        ).run()
        try await sql.raw(
            SQLQueryString(unsafeRaw: "UPDATE \(table) SET \(retired) = NULL WHERE \(retired) = \(version)")
        ).run()
    }

    static func count(_ table: String, where condition: String, _ sql: any SQLDatabase) async throws -> Int {
        try await sql.raw(SQLQueryString(unsafeRaw: "SELECT COUNT(*) AS n FROM \(table) WHERE \(condition)")).first()?
            .decode(column: "n", as: Int.self) ?? 0
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
        var version = PoolVersion(
            entryID: try row.decode(column: "entry_id", as: Int64.self),
            version: try row.decode(column: "version", as: Int.self),
            tableName: try row.decode(column: "table_name", as: String.self), columns: try list("columns"),
            keyColumns: try list("key_columns"), rowCount: try row.decode(column: "row_count", as: Int64.self),
            status: PoolVersionStatus(rawValue: try row.decode(column: "status", as: String.self)) ?? .retired,
            createdAt: try row.decode(column: "created_at", as: Date.self),
            activatedAt: try row.decode(column: "activated_at", as: Date?.self))
        version.baseVersion = try row.decode(column: "base_version", as: Int?.self)
        // Absent while migration 22 reads the versions of the release before types.
        if row.contains(column: "column_types") {
            version.columnTypes = decodeTypes(try row.decode(column: "column_types", as: String.self))
        }
        if row.contains(column: "encrypted_columns") {
            version.encryptedColumns = Set(
                try row.decode(column: "encrypted_columns", as: String.self).split(separator: ",").map(String.init))
        }
        return version
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
