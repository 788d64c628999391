import HuitongCore

/// Rows of text values bound for one table, loaded by the engine's fastest path (see
/// `DatabaseProvider.bulkInsert`).
///
/// Table and column names go into the statements unquoted: callers pass only names they have validated
/// (`PoolRepository` accepts `[a-z][a-z0-9_]*` only).
public struct BulkInsert: Sendable {
    public var table: String
    public var columns: [String]
    /// Values in `columns` order; nil is NULL.
    public var rows: [[String?]]
    /// When set, a row whose values in these columns match an existing row replaces it; the table must have a
    /// unique index on exactly these columns. When nil, a repeated key is an error.
    public var replacingKeys: [String]?

    public init(table: String, columns: [String], rows: [[String?]], replacingKeys: [String]? = nil) {
        self.table = table
        self.columns = columns
        self.rows = rows
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
        guard rows.allSatisfy({ $0.count == columns.count }) else {
            throw ValidationError(
                field: "rows",
                BilingualText(
                    zh: "写入 \(table) 的每行须有 \(columns.count) 个值",
                    en: "each row for \(table) needs \(columns.count) values"))
        }
    }

    var columnList: String { columns.joined(separator: ", ") }
}
