import Foundation
import Logging
import PostgresKit
import PostgresNIO
import SQLKit
import ServiceLifecycle
import Synchronization

/// PostgreSQL through PostgresNIO's `PostgresClient` pool. Several Huitong nodes may share one database: nothing
/// here keeps state in process memory.
public final class PostgresDatabaseProvider: DatabaseProvider {
    public let backend = Backend.postgres
    private let client: PostgresClient
    private let logger: Logger
    private let runTask: Mutex<Task<Void, Never>?> = Mutex(nil)
    private let leases = Mutex((leased: 0, waiting: 0))

    private init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Connects to the database at `url` and checks that it answers.
    public static func open(url: String, maximumConnections: Int = 20, logger: Logger) async throws
        -> PostgresDatabaseProvider
    {
        guard let configuration = try? SQLPostgresConfiguration(url: url) else {
            throw StoreError.badDatabaseURL(DatabaseLocation.postgres(url: url).description)
        }
        let core = configuration.coreConfiguration
        var clientConfiguration: PostgresClient.Configuration
        let tls: PostgresClient.Configuration.TLS =
            switch (core.tls.isEnforced, core.tls.isAllowed) {
            case (true, _): .require(core.tls.sslContext!.configuration)
            case (_, true): .prefer(core.tls.sslContext!.configuration)
            default: .disable
            }
        if let host = core.host, let port = core.port {
            clientConfiguration = PostgresClient.Configuration(
                host: host, port: port, username: core.username, password: core.password, database: core.database,
                tls: tls)
        } else if let socket = core.unixSocketPath {
            clientConfiguration = PostgresClient.Configuration(
                unixSocketPath: socket, username: core.username, password: core.password, database: core.database)
        } else {
            throw StoreError.badDatabaseURL(DatabaseLocation.postgres(url: url).description)
        }
        clientConfiguration.options.maximumConnections = maximumConnections
        clientConfiguration.options.connectTimeout = .seconds(10)
        let client = PostgresClient(configuration: clientConfiguration, backgroundLogger: logger)
        let provider = PostgresDatabaseProvider(client: client, logger: logger)
        // The pool must run before it hands out connections; it stops when `shutdown()` cancels it.
        provider.runTask.withLock { $0 = Task { await client.run() } }
        do {
            _ = try await provider.read { try await $0.raw("SELECT 1 AS ok").first() }
        } catch {
            await provider.shutdown()
            throw StoreError.unavailable("cannot connect to PostgreSQL: \(String(reflecting: error))")
        }
        return provider
    }

    public var poolStatistics: PoolStatistics {
        leases.withLock { PoolStatistics(leased: $0.leased, waiting: $0.waiting) }
    }

    public func read<Result: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> Result) async throws
        -> Result
    {
        leases.withLock { $0.waiting += 1 }
        let granted = Mutex(false)
        defer {
            if !granted.withLock({ $0 }) { leases.withLock { $0.waiting -= 1 } }
        }
        return try await client.withConnection { connection in
            granted.withLock { $0 = true }
            leases.withLock {
                $0.waiting -= 1
                $0.leased += 1
            }
            defer { leases.withLock { $0.leased -= 1 } }
            return try await body(connection.sql())
        }
    }

    public func transaction<Result: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> Result) async throws
        -> Result
    {
        try await read { sql in
            try await sql.inTransaction(begin: "BEGIN", logger: logger, body)
        }
    }

    public func run() async throws {
        try? await gracefulShutdown()
        await shutdown()
    }

    public func shutdown() async {
        let task = runTask.withLock { task in
            defer { task = nil }
            return task
        }
        task?.cancel()
        await task?.value
    }
}
