import Foundation
import HuitongCore
import Logging
import SQLiteNIO

/// Reads an SQLite database file on the node, on a connection that may only query (`PRAGMA query_only`), in one
/// read transaction so that every page comes from the same snapshot. An update-time watermark column holds SQLite's
/// `datetime()` text (`YYYY-MM-DD HH:MM:SS`, UTC).
public struct SQLiteSourceConnector: ProjectingSourceConnector {
    public let path: String
    public let relation: SourceRelation
    let logger: Logger

    public init(path: String, relation: SourceRelation, logger: Logger = Logger(label: "huitong.collection")) {
        self.path = path
        self.relation = relation
        self.logger = logger
    }

    public func sample(rows: Int) async throws -> SourceSample {
        try await withConnection { connection in
            let (columns, found) = try await page(
                connection, "SELECT * FROM (\(relation.sql)) AS src LIMIT \(max(0, min(rows, 100)))", [])
            return SourceSample(columns: columns.isEmpty ? try await self.columns(connection) : columns, rows: found)
        }
    }

    public func highest(_ watermark: SourceWatermark) async throws -> String? {
        try await withConnection { connection in
            let column = "src.\(SourceIdentifier.quoted(watermark.column))"
            let (_, rows) = try await page(connection, "SELECT max(\(column)) FROM (\(relation.sql)) AS src", [])
            guard let value = rows.first?.first, !value.isEmpty else { return nil }
            return try watermark.kept(value, timeAsEpochSeconds: false)
        }
    }

    /// Reads every column, or only `picked` ones, of the rows at or past `bound`.
    public func read(
        from bound: (watermark: SourceWatermark, value: WatermarkValue)?, columns picked: [String]?, batchSize: Int,
        _ body: ([(number: Int, cells: [String])]) async throws -> Void
    ) async throws {
        let selected = picked.map { $0.map { "src.\(SourceIdentifier.quoted($0))" }.joined(separator: ", ") } ?? "src.*"
        try await withConnection { connection in
            var filter = ""
            var binds: [SQLiteData] = []
            if let bound {
                filter = " WHERE src.\(SourceIdentifier.quoted(bound.watermark.column)) >= ?"
                switch bound.value {
                case .integer(let id): binds.append(.integer(.init(id)))
                case .time(let date): binds.append(.text(Self.datetime(date)))
                }
            }
            let size = max(1, batchSize)
            var number = 1
            var header: [String]?
            // A table is read in rowid order, each page after the last rowid (linear, and the order is defined); a
            // query, or a table without rowids, by OFFSET within the read transaction's snapshot.
            var table: String?
            if case .table(let name) = relation { table = SourceIdentifier.quoted(name) }
            var keyset = table != nil
            var lastRowID: Int64 = .min
            var offset = 0
            while true {
                var columns: [String]
                var rows: [[String]]
                if keyset {
                    do {
                        (columns, rows) = try await page(
                            connection,
                            "SELECT src.rowid AS huitong_rowid, \(selected) FROM \(table ?? "") AS src"
                                + "\(filter.isEmpty ? " WHERE" : filter + " AND") src.rowid > ?"
                                + " ORDER BY src.rowid LIMIT \(size)",
                            binds + [.integer(Int(lastRowID))])
                    } catch CollectionFailure.sourceRefused where lastRowID == .min {
                        keyset = false
                        continue
                    }
                    if let last = rows.last?.first, let value = Int64(last) { lastRowID = value }
                    columns = Array(columns.dropFirst())
                    rows = rows.map { Array($0.dropFirst()) }
                } else {
                    (columns, rows) = try await page(
                        connection,
                        "SELECT \(selected) FROM (\(relation.sql)) AS src\(filter) LIMIT \(size) OFFSET \(offset)",
                        binds)
                    offset += size
                }
                var batch: [(number: Int, cells: [String])] = []
                if header == nil {
                    var names = picked ?? columns
                    if names.isEmpty { names = try await self.columns(connection) }
                    header = names
                    batch.append((1, names))
                }
                for row in rows {
                    number += 1
                    batch.append((number, row))
                }
                if !batch.isEmpty { try await body(batch) }
                if rows.count < size { break }
            }
        }
    }

    /// SQLite's `datetime()` text of a time, in UTC.
    static func datetime(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func two(_ value: Int?) -> String { String(format: "%02d", value ?? 0) }
        return "\(String(format: "%04d", parts.year ?? 0))-\(two(parts.month))-\(two(parts.day)) "
            + "\(two(parts.hour)):\(two(parts.minute)):\(two(parts.second))"
    }

    /// The relation's column names even when it has no rows (a left join to one row gives a row of NULLs).
    func columns(_ connection: SQLiteConnection) async throws -> [String] {
        try await page(
            connection, "SELECT src.* FROM (SELECT 1) AS one LEFT JOIN (\(relation.sql)) AS src ON 1 LIMIT 1", []
        ).0
    }

    /// One statement's column names and rows, every value as text (NULL as empty, a blob as base64).
    func page(_ connection: SQLiteConnection, _ sql: String, _ binds: [SQLiteData]) async throws -> (
        [String], [[String]]
    ) {
        let collected = RowCollector()
        do {
            try await connection.query(sql, binds) { row in
                let cells = row.columns.map { column -> String in
                    switch column.data {
                    case .integer(let value): String(value)
                    case .float(let value): String(value)
                    case .text(let value): value
                    case .blob(let buffer): Data(buffer.readableBytesView).base64EncodedString()
                    case .null: ""
                    }
                }
                collected.add(names: row.columns.map(\.name), cells: cells)
            }
        } catch let error as SQLiteError {
            throw CollectionFailure.sourceRefused(String(error.message.prefix(300)))
        }
        return collected.taken
    }

    /// Opens the file (which must exist: opening would otherwise create it) for queries only, inside one read
    /// transaction, and closes it whatever happens.
    func withConnection<Result: Sendable>(_ body: (SQLiteConnection) async throws -> Result) async throws -> Result {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), !isFolder.boolValue,
            FileManager.default.isReadableFile(atPath: path)
        else { throw CollectionFailure.unreadablePath(path) }
        let connection: SQLiteConnection
        do {
            connection = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        } catch {
            throw CollectionFailure.unreadablePath(path)
        }
        do {
            try await connection.query("PRAGMA query_only = 1", []) { _ in }
            try await connection.query("BEGIN", []) { _ in }
            let result = try await body(connection)
            try await connection.query("COMMIT", []) { _ in }
            try await connection.close()
            return result
        } catch {
            try? await connection.close()
            if error is any HuitongError { throw error }
            if let error = error as? SQLiteError {
                throw CollectionFailure.sourceRefused(String(error.message.prefix(300)))
            }
            throw CollectionFailure.unreadablePath(path)
        }
    }
}

/// The rows a statement hands over, one at a time from SQLite's thread.
private final class RowCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var names: [String] = []
    private var rows: [[String]] = []

    func add(names: [String], cells: [String]) {
        lock.withLock {
            if self.names.isEmpty { self.names = names }
            rows.append(cells)
        }
    }

    var taken: ([String], [[String]]) { lock.withLock { (names, rows) } }
}
