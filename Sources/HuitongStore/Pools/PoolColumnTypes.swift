import HuitongCore
import SQLKit

/// How pool tables are laid out on PostgreSQL: a keyed pool expected to hold at least `partitionRows` rows is
/// hash-partitioned by its key into `partitions` tables (`HUITONG_POOL_PARTITION_ROWS`, `HUITONG_POOL_PARTITIONS`).
/// SQLite has no partitioning and ignores both.
public struct PoolLayout: Sendable, Hashable {
    public var partitionRows: Int64
    public var partitions: Int

    public init(partitionRows: Int64 = 100_000_000, partitions: Int = 16) {
        self.partitionRows = partitionRows
        self.partitions = partitions
    }
}

/// How each engine stores the column types of a pool, and how a value goes in and comes back as the canonical
/// text the rest of Huitong uses (`RowValidator`'s). PostgreSQL has every type; SQLite keeps integers and
/// decimals as numbers (its integer and numeric affinities), booleans as 0 and 1, and dates and date-times as ISO
/// text, which already compares and sorts in time order.
extension SQLPoolRepository {
    static func isPostgres(_ sql: any SQLDatabase) -> Bool { sql.dialect.name == "postgresql" }

    /// The column's declared type.
    static func sqlType(_ type: ColumnType, _ sql: any SQLDatabase) -> String {
        if isPostgres(sql) {
            switch type {
            case .text: "TEXT"
            case .integer: "BIGINT"
            case .decimal: "NUMERIC"
            case .date: "DATE"
            case .dateTime: "TIMESTAMP"
            case .boolean: "BOOLEAN"
            }
        } else {
            switch type {
            case .text, .date, .dateTime: "TEXT"
            case .integer, .boolean: "INTEGER"
            case .decimal: "NUMERIC"
            }
        }
    }

    /// The column's value as canonical text: what every read selects, so that a value read back equals the value
    /// that was written (a `sync` compares them to find the rows that changed).
    static func textExpression(_ column: String, _ type: ColumnType, _ sql: any SQLDatabase) -> String {
        if isPostgres(sql) {
            switch type {
            case .text: column
            case .integer, .decimal, .boolean: "\(column)::text"
            // Spelled out rather than `::text`, whose form follows the server's DateStyle.
            case .date: "to_char(\(column), 'YYYY-MM-DD')"
            case .dateTime: "to_char(\(column), 'YYYY-MM-DD HH24:MI:SS')"
            }
        } else {
            switch type {
            case .text, .date, .dateTime: column
            case .integer, .decimal: "CAST(\(column) AS TEXT)"
            case .boolean: "CASE \(column) WHEN 1 THEN 'true' WHEN 0 THEN 'false' ELSE \(column) END"
            }
        }
    }

    /// Canonical text (an expression) converted for a column of `type`.
    static func converted(_ text: String, to type: ColumnType, _ sql: any SQLDatabase) -> String {
        if isPostgres(sql) {
            return type == .text ? text : "CAST(\(text) AS \(sqlType(type, sql)))"
        }
        return type == .boolean ? "CASE \(text) WHEN 'true' THEN 1 WHEN 'false' THEN 0 ELSE \(text) END" : text
    }

    /// `column AS column` in its canonical text, for a select list.
    static func selected(_ column: String, in version: PoolVersion, _ sql: any SQLDatabase) -> String {
        let type = version.type(of: column)
        return type == .text ? column : "\(textExpression(column, type, sql)) AS \(column)"
    }

    /// Rows as the engine takes them: SQLite's boolean columns take 1 and 0 (PostgreSQL's COPY reads `true` and
    /// `false` itself; SQLite's affinities turn the other canonical texts into numbers).
    func stored(_ rows: [[String?]], _ version: PoolVersion) -> [[String?]] {
        guard provider.backend == .sqlite else { return rows }
        let booleans = version.columns.indices.filter { version.type(of: version.columns[$0]) == .boolean }
        guard !booleans.isEmpty else { return rows }
        return rows.map { row in
            var row = row
            for index in booleans where index < row.count {
                switch row[index] {
                case "true": row[index] = "1"
                case "false": row[index] = "0"
                default: break
                }
            }
            return row
        }
    }

    /// `a:integer,b:date` (text columns are left out).
    static func encode(_ types: [String: ColumnType]) -> String {
        types.filter { $0.value != .text }.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value.rawValue)" }
            .joined(separator: ",")
    }

    static func decodeTypes(_ text: String) -> [String: ColumnType] {
        var types: [String: ColumnType] = [:]
        for pair in text.split(separator: ",") {
            let parts = pair.split(separator: ":", maxSplits: 1)
            if parts.count == 2, let type = ColumnType(rawValue: String(parts[1])) { types[String(parts[0])] = type }
        }
        return types
    }
}
