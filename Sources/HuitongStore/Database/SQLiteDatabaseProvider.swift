import Foundation
import HuitongCore
import Logging
import NIOCore
import NIOPosix
import SQLKit
import SQLiteKit
import SQLiteNIO
import ServiceLifecycle
import Synchronization

/// SQLite in WAL mode: one writer connection, several reader connections, so that reads never queue behind a
/// write. Every connection runs with `synchronous=FULL`, checked at start-up: a commit that returned is on disk.
public final class SQLiteDatabaseProvider: DatabaseProvider {
    public let backend = Backend.sqlite
    /// How much of a database file each connection maps into memory (address space, not resident memory).
    static let mmapSize = 1 << 30
    private let writer: ConnectionPool<SQLiteConnection>
    private let readers: ConnectionPool<SQLiteConnection>
    private let logger: Logger
    private let closed = Mutex(false)
    private let auditLog: SQLiteDatabaseProvider?
    /// The database file, nil for an in-memory database (which no second connection can reach).
    private let path: String?
    /// Opened by the first bulk load; used only under the writer's lease.
    private let rowLoader = Mutex<SQLiteRowLoader?>(nil)

    private init(
        writer: SQLiteConnection, readers: [SQLiteConnection], logger: Logger, auditLog: SQLiteDatabaseProvider?,
        path: String?
    ) {
        self.auditLog = auditLog
        self.path = path
        self.writer = ConnectionPool([writer])
        // An in-memory database has a single connection: reads and writes then share it, one at a time.
        self.readers = readers.isEmpty ? self.writer : ConnectionPool(readers)
        self.logger = logger
    }

    /// Opens (creating if needed) the database file at `path`, or an in-memory database for `:memory:`.
    /// `auditLog`, when given, is the audit database that goes with it: handed out as `auditProvider` and closed
    /// with this one.
    public static func open(
        path: String, readerCount: Int = 4, logger: Logger, auditLog: SQLiteDatabaseProvider? = nil
    ) async throws -> SQLiteDatabaseProvider {
        let isMemory = path == ":memory:"
        let storage: SQLiteConnection.Storage
        if isMemory {
            storage = .memory
        } else {
            let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try DataDirectory.prepareDatabaseFile(path)
            storage = .file(path: path)
        }
        var opened: [SQLiteConnection] = []
        do {
            for index in 0..<(isMemory ? 1 : 1 + max(1, readerCount)) {
                let connection = try await SQLiteConnection.open(storage: storage, logger: logger)
                opened.append(connection)
                // Connection 0 is the writer: it keeps reading through the page cache, so that a bulk load (which
                // reads back every page when it builds the key's index) does not map the whole file into memory.
                try await configure(connection, isMemory: isMemory, mapsFile: index > 0)
            }
        } catch {
            for connection in opened { try? await connection.close() }
            throw error
        }
        return SQLiteDatabaseProvider(
            writer: opened[0], readers: Array(opened.dropFirst()), logger: logger, auditLog: auditLog,
            path: isMemory ? nil : path)
    }

    /// Has every reader load the schema as it now stands, after the writer changed it (migrations). A reader that
    /// loaded the schema before re-prepares its next statement by itself, but reports the columns of a `SELECT *`
    /// as they were: its first such row after a migration that added a column would lack that column.
    func reloadSchema() async throws {
        for connection in readers.all {
            _ = try await connection.sql().raw("SELECT COUNT(*) AS n FROM sqlite_master").first()
        }
    }

    /// The audit database that goes with the database at `path`: `huitong.sqlite` → `huitong.audit.sqlite` in
    /// the same directory (a second in-memory database for `:memory:`).
    public static func auditPath(besides path: String) -> String {
        guard path != ":memory:" else { return path }
        let url = URL(fileURLWithPath: path)
        let stem = url.pathExtension.isEmpty ? url.lastPathComponent : url.deletingPathExtension().lastPathComponent
        return url.deletingLastPathComponent().appendingPathComponent("\(stem).audit.sqlite").path
    }

    public var auditProvider: any DatabaseProvider { auditLog ?? self }

    private static func configure(_ connection: SQLiteConnection, isMemory: Bool, mapsFile: Bool) async throws {
        let sql = connection.sql()
        try await sql.raw("PRAGMA busy_timeout = 10000").run()
        try await sql.raw("PRAGMA foreign_keys = ON").run()
        if !isMemory {
            let mode = try await sql.raw("PRAGMA journal_mode = WAL").first()?.decode(
                column: "journal_mode", as: String.self)
            guard mode?.lowercased() == "wal" else {
                throw StoreError.unsafeDatabase("journal_mode is \(mode ?? "unknown"), expected wal")
            }
        }
        try await sql.raw("PRAGMA synchronous = FULL").run()
        if !isMemory && mapsFile {
            // Readers map the file instead of copying pages through read(2): gateway lookups jump around a pool of
            // millions of rows, and the copies were a visible share of each call. Writes still go through the WAL.
            try await sql.raw("PRAGMA mmap_size = \(unsafeRaw: String(Self.mmapSize))").run()
        }
        let synchronous = try await sql.raw("PRAGMA synchronous").first()?.decode(column: "synchronous", as: Int.self)
        // 2 is FULL. Anything less could report a commit that a power cut then loses.
        guard synchronous == 2 else {
            throw StoreError.unsafeDatabase(
                "synchronous is \(synchronous.map(String.init) ?? "unknown"), expected FULL (2)")
        }
    }

    public var poolStatistics: PoolStatistics {
        if writer === readers { return PoolStatistics(leased: writer.leasedCount, waiting: writer.waitingCount) }
        return PoolStatistics(
            leased: writer.leasedCount + readers.leasedCount, waiting: writer.waitingCount + readers.waitingCount)
    }

    public func read<Result: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> Result) async throws
        -> Result
    {
        try await readers.withConnection { connection in
            try await body(connection.sql())
        }
    }

    public func transaction<Result: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> Result) async throws
        -> Result
    {
        try await writer.withConnection { connection in
            // IMMEDIATE takes the write lock up front, so the transaction cannot fail half-way on lock upgrade.
            try await connection.sql().inTransaction(begin: "BEGIN IMMEDIATE", logger: logger, body)
        }
    }

    public func bulkInsert(_ insert: BulkInsert) async throws {
        guard !insert.rows.isEmpty else { return }
        try insert.checkWidths()
        try await writer.withConnection { connection in
            if let path {
                try await self.load(insert, path: path)
                return
            }
            // An in-memory database has no file a second connection could open: its rows go through SQLiteNIO.
            // Bulk rows go to tables nobody reads until a later transaction publishes them, so their commits
            // skip the WAL fsync (NORMAL); the publishing commit runs under FULL and makes them durable with it.
            try await connection.sql().raw("PRAGMA synchronous = NORMAL").run()
            let outcome: Result<Void, any Error>
            do {
                try await Self.insert(insert, connection, logger)
                outcome = .success(())
            } catch {
                outcome = .failure(error)
            }
            try await Self.restoreFullSync(connection, logger)
            try outcome.get()
        }
    }

    /// Loads rows through the file's `SQLiteRowLoader`, on a thread of the blocking pool. The caller holds the
    /// writer's lease, which serialises every use of the loader.
    private func load(_ insert: BulkInsert, path: String) async throws {
        try await NIOThreadPool.singleton.runIfActive {
            try self.rowLoader.withLock { loader in
                if loader == nil { loader = try SQLiteRowLoader(path: path) }
                try loader?.insert(insert)
            }
        }
    }

    /// Puts the writer back to `synchronous = FULL` and checks it took: every later commit relies on it, so a
    /// writer that cannot be restored is refused rather than used.
    private static func restoreFullSync(_ connection: SQLiteConnection, _ logger: Logger) async throws {
        let sql = connection.sql()
        try? await sql.raw("PRAGMA synchronous = FULL").run()
        let level = try? await sql.raw("PRAGMA synchronous").first()?.decode(column: "synchronous", as: Int.self)
        guard level == 2 else {
            logger.critical("the SQLite writer could not be put back to synchronous=FULL")
            throw StoreError.unsafeDatabase("synchronous could not be restored to FULL after a bulk load")
        }
    }

    private static func insert(_ insert: BulkInsert, _ connection: SQLiteConnection, _ logger: Logger) async throws {
        let width = insert.columns.count
        // A few thousand rows per statement: each is prepared once and quickly, and the per-call cost fades.
        let rowsPerStatement = max(1, 32_000 / max(1, width))
        let tuple = "(" + Array(repeating: "?", count: width).joined(separator: ",") + ")"
        let statement = { (rows: Int) in
            "INSERT INTO \(insert.table) (\(insert.columnList)) VALUES "
                + Array(repeating: tuple, count: rows).joined(separator: ",") + insert.conflictClause
        }
        let full = statement(rowsPerStatement)
        try await connection.sql().inTransaction(begin: "BEGIN IMMEDIATE", logger: logger) { _ in
            var start = insert.rows.startIndex
            while start < insert.rows.endIndex {
                let end = min(start + rowsPerStatement, insert.rows.endIndex)
                var binds: [SQLiteData] = []
                binds.reserveCapacity((end - start) * width)
                for index in start..<end {
                    for value in insert.row(index) { binds.append(value.map(SQLiteData.text) ?? .null) }
                }
                try await connection.query(
                    end - start == rowsPerStatement ? full : statement(end - start), binds, { _ in })
                start = end
            }
        }
    }

    public func run() async throws {
        try? await gracefulShutdown()
        await shutdown()
    }

    public func shutdown() async {
        let alreadyClosed = closed.withLock { closed in
            defer { closed = true }
            return closed
        }
        guard !alreadyClosed else { return }
        await auditLog?.shutdown()
        // Queries still running (a background job that outlived its caller) finish first; their connections are
        // then closed, never under them.
        await writer.drain()
        if readers !== writer { await readers.drain() }
        rowLoader.withLock { loader in
            loader?.close()
            loader = nil
        }
        let connections = writer === readers ? writer.all : writer.all + readers.all
        let logger = logger
        // Shutdown runs in a task that the service group has usually cancelled (Ctrl-C, SIGTERM); a close in a
        // cancelled task fails and leaves the file open. An unstructured task does not inherit the cancellation.
        await Task {
            for connection in connections {
                do {
                    try await connection.close()
                } catch {
                    logger.warning("closing an SQLite connection failed", metadata: ["error": "\(error)"])
                }
            }
        }.value
    }
}
