import HuitongCore

/// Rows of text values bound for one table, loaded by the engine's fastest path (see
/// `DatabaseProvider.bulkInsert`).
///
/// Table and column names go into the statements unquoted: callers pass only names they have validated
/// (`PoolRepository` accepts `[a-z][a-z0-9_]*` only).
public struct BulkInsert: Sendable {
    public var table: String
    /// Every column written: each row's own, then those of `sharedValues`.
    public var columns: [String]
    /// Values in `columns` order, without the shared ones; nil is NULL.
    public var rows: [[String?]]
    /// Values that end every row (a pool's version stamp), given once rather than appended to a million arrays.
    public var sharedValues: [String?]
    /// When set, a row whose values in these columns match an existing row replaces it; the table must have a
    /// unique index on exactly these columns. When nil, a repeated key is an error.
    public var replacingKeys: [String]?

    public init(
        table: String, columns: [String], rows: [[String?]], sharedValues: [String?] = [],
        replacingKeys: [String]? = nil
    ) {
        self.table = table
        self.columns = columns
        self.rows = rows
        self.sharedValues = sharedValues
        self.replacingKeys = replacingKeys
    }

    /// `ON CONFLICT … DO UPDATE` for a load by key (both engines take the same clause); empty otherwise.
    var conflictClause: String {
        guard let keys = replacingKeys, !keys.isEmpty else { return "" }
        let others = columns.filter { !keys.contains($0) }
        let target = keys.joined(separator: ", ")
        if others.isEmpty { return " ON CONFLICT (\(target)) DO NOTHING" }
        return " ON CONFLICT (\(target)) DO UPDATE SET "
            + others.map { "\($0) = excluded.\($0)" }.joined(separator: ", ")
    }

    /// Every row must have one value per column; a row that does not is a caller's mistake, reported as such.
    func checkWidths() throws(ValidationError) {
        let width = columns.count - sharedValues.count
        guard width >= 0, rows.allSatisfy({ $0.count == width }) else {
            throw ValidationError(
                field: "rows",
                BilingualText(
                    zh: "写入 \(table) 的每行须有 \(columns.count) 个值",
                    en: "each row for \(table) needs \(columns.count) values"))
        }
    }

    var columnList: String { columns.joined(separator: ", ") }

    /// Row `index` in full, shared values included.
    func row(_ index: Int) -> some Collection<String?> { [rows[index], sharedValues].joined() }
}
