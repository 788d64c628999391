import HuitongCore
import NIOPosix
import SQLiteNIO
import VaporCSQLite

/// A connection of its own to a database file, for bulk loads only: one `INSERT` prepared once per load and
/// stepped once per row, with each value bound straight from the row's UTF-8.
///
/// SQLiteNIO prepares every query afresh and takes its values as an array of enums, so a load through it either
/// prepares one statement per row or parses statements of tens of thousands of placeholders; either way that was a
/// third of the writer's time in a million-row import (issue 19). SQLiteNIO does not hand out its connections'
/// handles, so this opens one through the same vendored SQLite library (the same copy: its POSIX locks on the file
/// are shared with SQLiteNIO's connections, which two copies of SQLite in one process would not do).
///
/// The provider uses it only while it holds the writer's lease, so the file has one writer at a time as
/// everywhere else; calls are serialised by that lease, which is why the class can be `@unchecked Sendable`.
final class SQLiteRowLoader: @unchecked Sendable {
    private var handle: OpaquePointer?

    /// SQLite copies a value bound with this destructor before `bind` returns.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    init(path: String) throws {
        var opened: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX
        let status = sqlite_nio_sqlite3_open_v2(path, &opened, flags, nil)
        handle = opened
        guard status == SQLITE_OK else {
            let error = Self.failure(status, opened)
            close()
            throw error
        }
        // Its commits skip the WAL fsync: what it writes is not visible to readers until a later transaction of the
        // writer publishes it, and that commit, under FULL, makes these frames durable with it.
        for pragma in ["PRAGMA busy_timeout = 10000", "PRAGMA journal_mode = WAL", "PRAGMA synchronous = NORMAL"] {
            try execute(pragma)
        }
    }

    deinit { close() }

    func close() {
        if let handle { sqlite_nio_sqlite3_close_v2(handle) }
        handle = nil
    }

    /// Inserts the rows in one transaction: all of them, or none.
    func insert(_ insert: BulkInsert) throws {
        let width = insert.columns.count
        let placeholders = Array(repeating: "?", count: width).joined(separator: ",")
        let sql =
            "INSERT INTO \(insert.table) (\(insert.columnList)) VALUES (\(placeholders))\(insert.conflictClause)"
        try execute("BEGIN IMMEDIATE")
        do {
            // The writer creates the tables and indexes this connection loads into. A statement is prepared against
            // the schema the connection read last, and a stale one lacks the new key index that `ON CONFLICT`
            // names; running any statement inside the transaction checks the schema's version and rereads it.
            try execute("SELECT count(*) FROM sqlite_schema")
            var statement: OpaquePointer?
            try check(sqlite_nio_sqlite3_prepare_v2(handle, sql, -1, &statement, nil))
            defer { sqlite_nio_sqlite3_finalize(statement) }
            // The shared values are bound once: `reset` keeps bindings, and each row rebinds only its own.
            let own = insert.columns.count - insert.sharedValues.count
            for (offset, value) in insert.sharedValues.enumerated() {
                try check(Self.bind(value, at: Int32(own + offset + 1), in: statement))
            }
            for row in insert.rows {
                for (index, value) in row.enumerated() {
                    try check(Self.bind(value, at: Int32(index + 1), in: statement))
                }
                let stepped = sqlite_nio_sqlite3_step(statement)
                guard stepped == SQLITE_DONE else { throw Self.failure(stepped, handle) }
                try check(sqlite_nio_sqlite3_reset(statement))
            }
            try execute("COMMIT")
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    private static func bind(_ value: String?, at index: Int32, in statement: OpaquePointer?) -> Int32 {
        guard var value else { return sqlite_nio_sqlite3_bind_null(statement, index) }
        return value.withUTF8 { bytes in
            guard let start = bytes.baseAddress else {
                // An empty value: SQLite wants a pointer all the same, and the empty text is not NULL.
                return sqlite_nio_sqlite3_bind_text64(statement, index, "", 0, transient, UInt8(SQLITE_UTF8))
            }
            return start.withMemoryRebound(to: CChar.self, capacity: bytes.count) { text in
                sqlite_nio_sqlite3_bind_text64(
                    statement, index, text, UInt64(bytes.count), transient, UInt8(SQLITE_UTF8))
            }
        }
    }

    private func execute(_ sql: String) throws {
        try check(sqlite_nio_sqlite3_exec(handle, sql, nil, nil, nil))
    }

    private func check(_ status: Int32) throws {
        guard status == SQLITE_OK else { throw Self.failure(status, handle) }
    }

    private static func failure(_ status: Int32, _ handle: OpaquePointer?) -> SQLiteLoadError {
        let extended = handle.map { sqlite_nio_sqlite3_extended_errcode($0) } ?? status
        let message = handle.flatMap { sqlite_nio_sqlite3_errmsg($0) }.map { String(cString: $0) } ?? ""
        return SQLiteLoadError(code: extended, message: message)
    }
}

/// What SQLite said when a bulk load failed: its extended result code and message.
struct SQLiteLoadError: Error, CustomStringConvertible {
    var code: Int32
    var message: String

    /// SQLITE_CONSTRAINT_UNIQUE and SQLITE_CONSTRAINT_PRIMARYKEY, which Swift does not import (C macros built
    /// from other macros).
    var isUniqueViolation: Bool { code == SQLITE_CONSTRAINT | (8 << 8) || code == SQLITE_CONSTRAINT | (6 << 8) }
    var description: String { "SQLite error \(code): \(message)" }
}
