import Foundation
import HuitongCore
import SQLKit

/// A condition every row served under a grant must meet: the column's value starts with `prefix` (for example a
/// county consumer sees only rows whose region code starts with its own six-digit prefix, trimmed of zeros).
public struct PoolRowCondition: Sendable, Hashable, Codable {
    public var column: String
    public var prefix: String

    public init(column: String, prefix: String) {
        self.column = column
        self.prefix = prefix
    }
}

/// Which columns of a pool a read returns, and which rows it may see at all.
public struct PoolSelection: Sendable, Hashable {
    public var columns: [String]
    /// What a grant allows: rows outside them are never read.
    public var conditions: [PoolRowCondition]
    /// What the reader asked for, within what the grant allows.
    public var ranges: [ValueRange]

    public init(columns: [String], conditions: [PoolRowCondition] = [], ranges: [ValueRange] = []) {
        self.columns = columns
        self.conditions = conditions
        self.ranges = ranges
    }
}

/// A bulk read of one pool version in progress: where the next page starts.
public struct PoolExtract: Sendable {
    public let version: PoolVersion
    let selection: PoolSelection
    let order: [String]
    let pageSize: Int
    var after: [String]?
    var finished = false
}

extension PoolExtract {
    /// Where the next page starts, for a reader that continues in a later request (`resumed(after:)`); nil before
    /// the first page and after the last.
    public var position: [String]? { finished ? nil : after }

    /// This extract continued from `position`, or nil when the position cannot be one of this extract's: a
    /// position comes back from a client, so its shape is checked before it reaches a query.
    public func resumed(after position: [String]) -> PoolExtract? {
        guard position.count == order.count, position.allSatisfy({ $0.utf8.count <= 1_000 }) else { return nil }
        if order == ["rowid"], Int64(position[0]) == nil { return nil }
        if order == ["ctid"] {
            // `(block,offset)`, as PostgreSQL prints a tuple id: a 32-bit block and a 16-bit offset.
            let inner = position[0].dropFirst().dropLast().split(separator: ",", omittingEmptySubsequences: false)
            guard position[0].hasPrefix("("), position[0].hasSuffix(")"), inner.count == 2, UInt32(inner[0]) != nil,
                UInt16(inner[1]) != nil
            else { return nil }
        }
        var resumed = self
        resumed.after = position
        return resumed
    }
}

extension PoolReader {
    /// Every matching row of the active version, handed to `page` a page at a time; returns the version read.
    public func extract(
        entryID: Int64, selecting: PoolSelection, pageSize: Int,
        _ page: ([[String?]]) async throws -> Void
    ) async throws -> PoolVersion? {
        guard var extract = try await beginExtract(entryID: entryID, selecting: selecting, pageSize: pageSize) else {
            return nil
        }
        while let rows = try await nextPage(of: &extract) { try await page(rows) }
        return extract.version
    }
}

/// Rows read from one version of a pool, values in the selection's column order.
public struct PoolRows: Sendable, Hashable {
    public var version: PoolVersion
    public var rows: [[String?]]
}

/// Reads of the active version for the gateway: by key, and page by page for bulk extracts.
public protocol PoolReader: Sendable {
    /// The rows of the active version whose key is one of `keys` (each in `keyColumns` order) and that meet the
    /// selection's conditions; nil when the entry has no active version.
    func lookup(entryID: Int64, keys: [[String]], selecting: PoolSelection) async throws -> PoolRows?
    /// The same read in a version the caller already holds (a reader that remembers the active version for a
    /// moment saves a query per call). Fails if the version's table is gone — dropped as the oldest kept version.
    func lookup(in version: PoolVersion, keys: [[String]], selecting: PoolSelection) async throws -> [[String?]]

    /// Starts reading every row of the active version that meets the selection's conditions, `pageSize` rows at a
    /// time; nil when the entry has no active version. The version is fixed here, so a load that goes live while
    /// the pages are read does not mix into them.
    func beginExtract(entryID: Int64, selecting: PoolSelection, pageSize: Int) async throws -> PoolExtract?
    /// Starts reading every row of `version` (active or still kept), as `beginExtract(entryID:)` does: a run that
    /// recorded which version it checks reads that one, whatever went live since. Reading fails once the version's
    /// table is gone.
    func beginExtract(in version: PoolVersion, selecting: PoolSelection, pageSize: Int) throws -> PoolExtract
    /// The next page of an extract, or nil once every row was handed out.
    func nextPage(of extract: inout PoolExtract) async throws -> [[String?]]?
    /// The first `limit` rows of one version (active or still kept), in key order: what an operator previews.
    func firstRows(in version: PoolVersion, selecting: PoolSelection, limit: Int) async throws -> [[String?]]
}

extension SQLPoolRepository {
    func lookup(entryID: Int64, keys: [[String]], selecting selection: PoolSelection) async throws -> PoolRows? {
        let cipher = cipher
        return try await provider.read { sql in
            guard let version = try await Self.active(entryID, sql) else { return nil }
            return PoolRows(version: version, rows: try await Self.lookup(version, keys, selection, cipher, sql))
        }
    }

    func lookup(in version: PoolVersion, keys: [[String]], selecting selection: PoolSelection) async throws
        -> [[String?]]
    {
        let cipher = cipher
        return try await provider.read { sql in try await Self.lookup(version, keys, selection, cipher, sql) }
    }

    static func lookup(
        _ version: PoolVersion, _ keys: [[String]], _ selection: PoolSelection, _ cipher: PoolColumnCipher,
        _ sql: any SQLDatabase
    ) async throws -> [[String?]] {
        guard !keys.isEmpty else { return [] }
        try check(selection, against: version)
        let keyColumns = version.keyColumns
        guard !keyColumns.isEmpty else {
            throw StoreError.conflict(
                BilingualText(zh: "该资源没有主键，不能按键查询", en: "this resource has no key, so it cannot be looked up by key"))
        }
        var query = selectClause(selection, from: version, sql)
        query.appendInterpolation(unsafeRaw: " WHERE \(visible(at: version.version)) AND ")
        appendKeyMatch(keyColumns, try cipher.sealed(keys: keys, version)[...], to: &query)
        appendConditions(selection.conditions, of: version, to: &query, joiner: " AND ", sql)
        appendRanges(selection.ranges, of: version, to: &query, joiner: " AND ", sql)
        let rows = try await sql.raw(query).all().map { try values($0, selection.columns) }
        return try cipher.opened(rows, columns: selection.columns, version)
    }

    func beginExtract(entryID: Int64, selecting selection: PoolSelection, pageSize: Int) async throws -> PoolExtract? {
        guard let version = try await provider.read({ sql in try await Self.active(entryID, sql) }) else { return nil }
        return try beginExtract(in: version, selecting: selection, pageSize: pageSize)
    }

    func beginExtract(in version: PoolVersion, selecting selection: PoolSelection, pageSize: Int) throws
        -> PoolExtract
    {
        try Self.check(selection, against: version)
        // Pages follow the key (its unique index), or the physical row order when the pool has no key. A
        // version's rows never change once live, so neither order moves under a running extract.
        let order = version.keyColumns.isEmpty ? [provider.backend == .postgres ? "ctid" : "rowid"] : version.keyColumns
        return PoolExtract(version: version, selection: selection, order: order, pageSize: max(1, pageSize))
    }

    func firstRows(in version: PoolVersion, selecting selection: PoolSelection, limit: Int) async throws
        -> [[String?]]
    {
        try Self.check(selection, against: version)
        let order = version.keyColumns.isEmpty ? [provider.backend == .postgres ? "ctid" : "rowid"] : version.keyColumns
        let rows = try await provider.read { sql in
            var query = Self.selectClause(selection, from: version, sql)
            query.appendInterpolation(unsafeRaw: " WHERE \(Self.visible(at: version.version))")
            Self.appendConditions(selection.conditions, of: version, to: &query, joiner: " AND ", sql)
            Self.appendRanges(selection.ranges, of: version, to: &query, joiner: " AND ", sql)
            query.appendInterpolation(unsafeRaw: " ORDER BY \(order.joined(separator: ", ")) LIMIT \(max(0, limit))")
            return try await sql.raw(query).all().map { try Self.values($0, selection.columns) }
        }
        return try cipher.opened(rows, columns: selection.columns, version)
    }

    func nextPage(of extract: inout PoolExtract) async throws -> [[String?]]? {
        guard !extract.finished else { return nil }
        let current = extract
        let (rows, last) = try await provider.read { sql in
            let order = current.order
            var query = Self.selectClause(
                current.selection, from: current.version, sql,
                extra: order.map { $0 == "ctid" ? "ctid::text AS huitong_order_ctid" : "\($0) AS huitong_order_\($0)" })
            query.appendInterpolation(unsafeRaw: " WHERE \(Self.visible(at: current.version.version))")
            var joiner = " AND "
            if let after = current.after {
                query.appendLiteral(joiner)
                joiner = " AND "
                query.appendInterpolation(unsafeRaw: "(\(order.joined(separator: ", "))) > (")
                for (index, value) in after.enumerated() {
                    if index > 0 { query.appendLiteral(", ") }
                    query.appendInterpolation(bind: value)
                    if order == ["ctid"] { query.appendLiteral("::tid") }
                    if order == ["rowid"] { query.appendLiteral(" + 0") }
                }
                query.appendLiteral(")")
            }
            Self.appendConditions(current.selection.conditions, of: current.version, to: &query, joiner: joiner, sql)
            Self.appendRanges(current.selection.ranges, of: current.version, to: &query, joiner: joiner, sql)
            query.appendInterpolation(unsafeRaw: " ORDER BY \(order.joined(separator: ", ")) LIMIT \(current.pageSize)")
            var rows: [[String?]] = []
            var last: [String]? = nil
            for row in try await sql.raw(query).all() {
                rows.append(try Self.values(row, current.selection.columns))
                last = try order.map { column in try Self.orderValue(row, "huitong_order_\(column)") }
            }
            return (rows, last)
        }
        // The position stays as stored: for an encrypted key it is ciphertext, which tells a client nothing.
        extract.after = last
        extract.finished = rows.count < extract.pageSize || last == nil
        return rows.isEmpty ? nil : try cipher.opened(rows, columns: current.selection.columns, current.version)
    }

    // MARK: Helpers

    /// Column names come from grants that were validated against the entry, but they are the one part of a read
    /// that cannot be bound, so they must be columns of the version actually read.
    static func check(_ selection: PoolSelection, against version: PoolVersion) throws {
        let known = Set(version.columns)
        for column in selection.columns + selection.conditions.map(\.column) + selection.ranges.map(\.column)
        where !known.contains(column) {
            throw StoreError.conflict(
                BilingualText(
                    zh: "资源当前版本中没有字段“\(column)”", en: "the current version of the resource has no column \"\(column)\"")
            )
        }
        for column in selection.conditions.map(\.column) + selection.ranges.map(\.column)
        where version.encryptedColumns.contains(column) {
            // Its stored values are ciphertext: comparing a prefix or a range of them means nothing.
            throw StoreError.conflict(
                BilingualText(
                    zh: "字段“\(column)”加密存储，不能按其内容筛选行（前缀条件或范围）",
                    en:
                        "column \"\(column)\" is stored encrypted, so rows cannot be filtered by its content (a prefix condition or a range)"
                ))
        }
        for range in selection.ranges where version.type(of: range.column) == .text {
            // Text compares digit by digit: 9 would come after 10. A pool loaded before columns were typed keeps
            // text columns until its next whole load.
            throw StoreError.conflict(
                BilingualText(
                    zh: "字段“\(range.column)”在当前版本中按文本存储，不能按范围筛选；重新整体装载后即可",
                    en:
                        "column \"\(range.column)\" is stored as text in the current version and cannot be filtered by range; a whole reload stores it typed"
                ))
        }
    }

    static func selectClause(
        _ selection: PoolSelection, from version: PoolVersion, _ sql: any SQLDatabase, extra: [String] = []
    ) -> SQLQueryString {
        let columns = selection.columns.map { selected($0, in: version, sql) } + extra
        return SQLQueryString(
            unsafeRaw:
                "SELECT \(columns.isEmpty ? "1 AS huitong_one" : columns.joined(separator: ", ")) FROM \(version.tableName)"
        )
    }

    static func appendConditions(
        _ conditions: [PoolRowCondition], of version: PoolVersion, to query: inout SQLQueryString, joiner: String,
        _ sql: any SQLDatabase
    ) {
        var joiner = joiner
        for condition in conditions {
            query.appendLiteral(joiner)
            joiner = " AND "
            let text = textExpression(condition.column, version.type(of: condition.column), sql)
            // substr counts characters on both engines, and unlike LIKE it treats % and _ as themselves.
            query.appendInterpolation(unsafeRaw: "substr(\(text), 1, \(condition.prefix.count)) = ")
            query.appendInterpolation(bind: condition.prefix)
        }
    }

    /// `column >= lowest AND column <= highest`, in the column's type.
    static func appendRanges(
        _ ranges: [ValueRange], of version: PoolVersion, to query: inout SQLQueryString, joiner: String,
        _ sql: any SQLDatabase
    ) {
        var joiner = joiner
        for range in ranges {
            let type = version.type(of: range.column)
            for (comparison, bound) in [(">=", range.lowest), ("<=", range.highest)] {
                guard let bound else { continue }
                query.appendLiteral(joiner)
                joiner = " AND "
                query.appendInterpolation(unsafeRaw: "\(range.column) \(comparison) ")
                if isPostgres(sql) {
                    query.appendInterpolation(bind: bound)
                    query.appendInterpolation(unsafeRaw: type == .text ? "" : "::\(sqlType(type, sql))")
                } else if type == .integer || type == .decimal {
                    query.appendLiteral("CAST(")
                    query.appendInterpolation(bind: bound)
                    query.appendLiteral(" AS NUMERIC)")
                } else {
                    query.appendInterpolation(bind: bound)
                }
            }
        }
    }

    static func values(_ row: any SQLRow, _ columns: [String]) throws -> [String?] {
        try columns.map { try row.decode(column: $0, as: String?.self) }
    }

    static func orderValue(_ row: any SQLRow, _ column: String) throws -> String {
        if let text = try? row.decode(column: column, as: String.self) { return text }
        return String(try row.decode(column: column, as: Int64.self))
    }
}
