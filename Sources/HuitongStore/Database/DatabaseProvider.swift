import Foundation
import HuitongCore
import Logging
import SQLKit
import ServiceLifecycle

/// The storage engines Huitong runs on. Repositories are written once against `SQLDatabase`; this only decides
/// the few places where the engines' SQL differs (column types, full-text search, bulk loading).
public enum Backend: String, Sendable, Hashable {
    case sqlite
    case postgres
}

/// A connected database: hands out connections for reads and for write transactions.
///
/// Reads may run concurrently; a write runs inside one transaction that commits or rolls back as a whole, so a
/// failed request never leaves half its changes behind.
public protocol DatabaseProvider: Service, Sendable {
    var backend: Backend { get }

    /// Runs `body` on a connection for reading.
    func read<Result: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> Result) async throws -> Result

    /// Runs `body` inside a transaction; commits when it returns, rolls back when it throws.
    func transaction<Result: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> Result) async throws
        -> Result

    /// Appends many rows to one table in a transaction of its own, by the engine's fastest path: multi-row
    /// prepared INSERTs on SQLite, COPY on PostgreSQL. Used to fill resource pools, where rows come by the million.
    func bulkInsert(_ insert: BulkInsert) async throws

    /// How many connections are in use and how many requests wait for one, for `/metrics`.
    var poolStatistics: PoolStatistics { get }

    /// Closes every connection. Called once, at shutdown (also by `run()` when the service group stops).
    func shutdown() async

    /// Where the audit log lives: this database, or on SQLite a file of its own that `shutdown()` also closes.
    var auditProvider: any DatabaseProvider { get }
}

extension DatabaseProvider {
    public var auditProvider: any DatabaseProvider { self }
}

public struct PoolStatistics: Sendable, Hashable {
    public var leased: Int
    public var waiting: Int

    public init(leased: Int, waiting: Int) {
        self.leased = leased
        self.waiting = waiting
    }
}

extension SQLDatabase {
    /// Runs `body` between `begin` and COMMIT on this connection, rolling back when it throws.
    func inTransaction<Result>(
        begin: String, logger: Logger, _ body: (any SQLDatabase) async throws -> Result
    ) async throws -> Result {
        try await raw(SQLQueryString(unsafeRaw: begin)).run()
        do {
            let result = try await body(self)
            try await raw("COMMIT").run()
            return result
        } catch {
            do {
                try await raw("ROLLBACK").run()
            } catch {
                logger.error("rollback failed", metadata: ["error": "\(error)"])
            }
            throw error
        }
    }
}

/// Where the data lives, as given by `--database` or `HUITONG_DATABASE_URL`.
public enum DatabaseLocation: Sendable, Hashable, CustomStringConvertible {
    /// An SQLite file; `:memory:` is allowed for tests.
    case sqlite(path: String)
    /// A PostgreSQL URL, `postgres://user:password@host:port/database`.
    case postgres(url: String)

    /// Parses `sqlite:PATH`, `sqlite://PATH` or `postgres://…` / `postgresql://…`.
    public init(parsing text: String) throws(StoreError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.hasPrefix("postgres://") || trimmed.hasPrefix("postgresql://") {
            self = .postgres(url: trimmed)
        } else if trimmed.hasPrefix("sqlite:") {
            var path = String(trimmed.dropFirst("sqlite:".count))
            if path.hasPrefix("//") { path.removeFirst(2) }
            guard !path.isEmpty else { throw StoreError.badDatabaseURL(text) }
            self = .sqlite(path: path)
        } else {
            throw StoreError.badDatabaseURL(text)
        }
    }

    public var backend: Backend {
        switch self {
        case .sqlite: .sqlite
        case .postgres: .postgres
        }
    }

    /// Safe to print: a PostgreSQL password is replaced by `***`.
    public var description: String {
        switch self {
        case .sqlite(let path): return "sqlite:\(path)"
        case .postgres(let url):
            guard var components = URLComponents(string: url) else { return "postgres://***" }
            if components.password != nil { components.password = "***" }
            return components.string ?? "postgres://***"
        }
    }
}

public enum DatabaseConnector {
    /// The most connections one process opens to a PostgreSQL server unless told otherwise.
    public static let defaultMaximumConnections = 20

    /// Opens the database at `location`, checks its durability settings and brings its schema up to date.
    /// `maximumConnections` bounds the process's PostgreSQL pool; the server's `max_connections` must hold it for
    /// every node (and replica reader) that connects.
    public static func open(
        _ location: DatabaseLocation, maximumConnections: Int = defaultMaximumConnections,
        waitLimit: Duration = .seconds(3), logger: Logger
    ) async throws -> any DatabaseProvider {
        let provider: any DatabaseProvider
        switch location {
        case .sqlite(let path):
            // The audit log gets its own file, hence its own writer: SQLite has one writer per file, and a bulk load
            // holds it for seconds, during which every audited gateway call would wait.
            let audit = try await SQLiteDatabaseProvider.open(
                path: SQLiteDatabaseProvider.auditPath(besides: path), readerCount: 2, logger: logger)
            do {
                try await Migrator(provider: audit, logger: logger, migrations: Schema.auditDatabaseMigrations)
                    .migrate()
                try await audit.reloadSchema()
                provider = try await SQLiteDatabaseProvider.open(path: path, logger: logger, auditLog: audit)
            } catch {
                await audit.shutdown()
                throw error
            }
        case .postgres(let url):
            provider = try await PostgresDatabaseProvider.open(
                url: url, maximumConnections: maximumConnections, waitLimit: waitLimit, logger: logger)
        }
        do {
            try await Migrator(provider: provider, logger: logger).migrate()
            try await (provider as? SQLiteDatabaseProvider)?.reloadSchema()
        } catch {
            await provider.shutdown()
            throw error
        }
        return provider
    }
}

extension DatabaseProvider {
    /// Asks the database a trivial question: succeeds only when it answers (the health check).
    public func ping() async throws {
        _ = try await read { try await $0.raw("SELECT 1 AS ok").first() }
    }
}
