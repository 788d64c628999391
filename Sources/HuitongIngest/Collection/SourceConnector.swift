import Foundation
import HuitongCore

/// What a test connection finds: the source's columns and its first rows (unmasked here; the use case masks them
/// before anyone sees them).
public struct SourceSample: Sendable, Hashable {
    public var columns: [String]
    public var rows: [[String]]

    public init(columns: [String], rows: [[String]]) {
        self.columns = columns
        self.rows = rows
    }
}

/// A table or a read-only query of a database source.
public enum SourceRelation: Sendable, Hashable {
    case table(String)
    case query(String)

    /// The relation as a subquery: a table's name quoted, a query as written (checked by `SourceIdentifier`).
    public var sql: String {
        switch self {
        case .table(let name): "SELECT * FROM \(SourceIdentifier.quoted(name))"
        case .query(let text): text
        }
    }

    public init?(table: String?, query: String?) {
        if let table { self = .table(table) } else if let query { self = .query(query) } else { return nil }
    }
}

/// One kind of database a collection reads from. PostgreSQL-protocol databases and SQLite files have one each;
/// MySQL/MariaDB, 达梦 or Oracle would be another conformance (their Swift drivers are not on this machine).
public protocol SourceConnector: Sendable {
    /// Connects and reads the columns and up to `rows` rows: the "test connection" of a source.
    func sample(rows: Int) async throws -> SourceSample
    /// The highest value of the watermark column, as `SourceWatermark.text(of:)` keeps it; nil when empty.
    func highest(_ watermark: SourceWatermark) async throws -> String?
    /// Reads the rows, or those whose watermark column is at or past `bound`, handing on the header (as row 1)
    /// and then the rows in batches.
    func read(
        from bound: (watermark: SourceWatermark, value: WatermarkValue)?, batchSize: Int,
        _ body: ([(number: Int, cells: [String])]) async throws -> Void
    ) async throws
    /// Reads only `columns` of every row (a header of those names as row 1, then the rows in batches): a key
    /// reconciliation reads the keys alone.
    func read(
        columns: [String], batchSize: Int, _ body: ([(number: Int, cells: [String])]) async throws -> Void
    ) async throws
}

/// A database connector, which can be asked for some columns only: its whole read and its read of the keys are one
/// read.
public protocol ProjectingSourceConnector: SourceConnector {
    /// Reads every column, or only `columns`, of the rows (at or past `bound`), the header first.
    func read(
        from bound: (watermark: SourceWatermark, value: WatermarkValue)?, columns: [String]?, batchSize: Int,
        _ body: ([(number: Int, cells: [String])]) async throws -> Void
    ) async throws
}

extension ProjectingSourceConnector {
    public func read(
        from bound: (watermark: SourceWatermark, value: WatermarkValue)?, batchSize: Int,
        _ body: ([(number: Int, cells: [String])]) async throws -> Void
    ) async throws {
        try await read(from: bound, columns: nil, batchSize: batchSize, body)
    }

    public func read(
        columns: [String], batchSize: Int, _ body: ([(number: Int, cells: [String])]) async throws -> Void
    ) async throws {
        try await read(from: nil, columns: columns, batchSize: batchSize, body)
    }
}

extension SourceConnector {
    /// For a source that cannot be asked for some columns only: every row read, the columns picked out.
    public func read(
        columns: [String], batchSize: Int, _ body: ([(number: Int, cells: [String])]) async throws -> Void
    ) async throws {
        var positions: [Int]?
        try await read(from: nil, batchSize: batchSize) { batch in
            var picked: [(number: Int, cells: [String])] = []
            picked.reserveCapacity(batch.count)
            for row in batch {
                guard let positions else {
                    let found = columns.map { row.cells.firstIndex(of: $0) }
                    let missing = zip(columns, found).filter { $0.1 == nil }.map(\.0)
                    guard missing.isEmpty else {
                        throw CollectionFailure.sourceRefused(
                            "缺少列 \(missing.joined(separator: "、")) (missing columns)")
                    }
                    positions = found.compactMap { $0 }
                    picked.append((row.number, columns))
                    continue
                }
                picked.append((row.number, positions.map { $0 < row.cells.count ? row.cells[$0] : "" }))
            }
            try await body(picked)
        }
    }
}

/// A connector's rows as a load takes them: the header renamed by the source's column mapping, every batch
/// reported (progress, and the run's claim kept alive), and an empty whole read refused, so that it never
/// empties the pool.
public struct CollectedRows: IngestRowSource {
    public let connector: any SourceConnector
    public let mapping: [String: String]
    public let bound: (watermark: SourceWatermark, value: WatermarkValue)?
    /// The source columns to read (a key reconciliation's keys); nil: every column.
    public let columns: [String]?
    /// Told the data rows read so far after each batch.
    public let progress: @Sendable (Int64) async throws -> Void

    public init(
        connector: any SourceConnector, mapping: [String: String],
        bound: (watermark: SourceWatermark, value: WatermarkValue)?, columns: [String]? = nil,
        progress: @escaping @Sendable (Int64) async throws -> Void
    ) {
        self.connector = connector
        self.mapping = mapping
        self.bound = bound
        self.columns = columns
        self.progress = progress
    }

    public func rows(batchSize: Int, _ body: ([(number: Int, cells: [String])]) async throws -> Void) async throws {
        var read: Int64 = 0
        var headerSeen = false
        let take: ([(number: Int, cells: [String])]) async throws -> Void = { batch in
            var batch = batch
            if !headerSeen, let first = batch.first {
                headerSeen = true
                batch[0].cells = first.cells.map { mapping[$0] ?? $0 }
                read -= 1
            }
            read += Int64(batch.count)
            try await body(batch)
            try await progress(read)
        }
        if let columns {
            try await connector.read(columns: columns, batchSize: batchSize, take)
        } else {
            try await connector.read(from: bound, batchSize: batchSize, take)
        }
        if read == 0 && bound == nil { throw CollectionFailure.empty }
    }
}

extension SourceWatermark {
    /// A source's highest value of the column as the source is asked to keep it (`text(of:)`): an id must be an
    /// integer; a time comes as seconds since 1970 (PostgreSQL's `extract(epoch …)`) or as `datetime()` text
    /// (SQLite), whichever the connector compares with.
    func kept(_ value: String, timeAsEpochSeconds: Bool) throws -> String {
        switch kind {
        case .increasingID:
            guard let id = Int64(value) else {
                throw CollectionFailure.sourceRefused("水位列 \(column) 不是整数 (not an integer column)")
            }
            return Self.text(of: .integer(id))
        case .updateTime:
            let time =
                timeAsEpochSeconds ? Double(value).map { Date(timeIntervalSince1970: $0) } : Self.parseTime(value)
            guard let time else {
                throw CollectionFailure.sourceRefused(
                    "水位列 \(column) 不是时间（YYYY-MM-DD HH:MM:SS）(not a time column)")
            }
            return Self.text(of: .time(time))
        }
    }
}
