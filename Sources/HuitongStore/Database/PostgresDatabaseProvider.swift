import Foundation
import HuitongCore
import Logging
import NIOCore
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
    /// How long a request waits for a connection before it is refused with `StoreError.databaseUnreachable`.
    private let waitLimit: Duration
    /// Set while the server is known to be unreachable: requests are refused at once, and one task probes the server
    /// until it answers again (a circuit breaker).
    private let outage = Mutex<Task<Void, Never>?>(nil)
    /// When a request last had its answer from the server.
    private let lastAnswer = Mutex(ContinuousClock.now)

    private init(client: PostgresClient, waitLimit: Duration, logger: Logger) {
        self.client = client
        self.waitLimit = waitLimit
        self.logger = logger
    }

    /// Whether the server answered the last time it was asked (false from a failed connection until a probe gets
    /// an answer again).
    public var isReachable: Bool { outage.withLock { $0 == nil } }

    /// Connects to the database at `url` and checks that it answers (unless `probe` is false: a read replica may be
    /// down when the node starts, and is used once it answers).
    public static func open(
        url: String, maximumConnections: Int = 20, waitLimit: Duration = .seconds(3), probe: Bool = true,
        logger: Logger
    ) async throws -> PostgresDatabaseProvider {
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
        // No JIT compilation: a statement naming thousands of keys (an increment's) is costed high enough to be
        // compiled (EXPLAIN showed JIT on a 10k-key upsert), and compiling pays only for long analytical queries,
        // which Huitong does not run on its connections.
        clientConfiguration.options.additionalStartupParameters.append(("jit", "off"))
        let client = PostgresClient(configuration: clientConfiguration, backgroundLogger: logger)
        let provider = PostgresDatabaseProvider(client: client, waitLimit: waitLimit, logger: logger)
        // The pool must run before it hands out connections; it stops when `shutdown()` cancels it.
        provider.runTask.withLock { $0 = Task { await client.run() } }
        guard probe else { return provider }
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
        try await withConnection { try await body($0.sql()) }
    }

    /// Leases a connection from the pool, counted for `/metrics`. A server that cannot be reached answers
    /// `StoreError.databaseUnreachable` within the wait limit rather than keeping the request waiting while the pool
    /// retries (the pool waits for a connection as long as it takes), and at once while it stays unreachable.
    ///
    /// Whether a request runs or gives up is decided once (`LeaseState`): a connection granted after the request gave
    /// up is handed back unused, and a request that has its connection runs to the end whatever happens to the wait
    /// (its caller's cancellation included), so that nothing is committed and then answered as failed.
    private func withConnection<Result: Sendable>(
        _ body: @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        guard isReachable else { throw StoreError.databaseUnreachable }
        leases.withLock { $0.waiting += 1 }
        let lease = LeaseState()
        defer {
            if !lease.isGranted { leases.withLock { $0.waiting -= 1 } }
        }
        do {
            return try await withoutActuallyEscaping(body) { body in
                try await withThrowingTaskGroup(of: Raced<Result>.self) { group in
                    group.addTask {
                        .answer(
                            try await self.client.withConnection { connection in
                                guard lease.grant() else { throw CancellationError() }
                                self.leases.withLock {
                                    $0.waiting -= 1
                                    $0.leased += 1
                                }
                                defer { self.leases.withLock { $0.leased -= 1 } }
                                let result = try await body(connection)
                                self.lastAnswer.withLock { $0 = .now }
                                return result
                            })
                    }
                    group.addTask {
                        // Not `try`: a cancelled wait ends early, and the decision below still holds.
                        try? await Task.sleep(for: self.waitLimit)
                        return .waitedTooLong
                    }
                    while let next = try await group.next() {
                        switch next {
                        case .answer(let result):
                            group.cancelAll()
                            return result
                        case .waitedTooLong:
                            // A request that has its connection runs as long as it needs.
                            guard lease.abandon() else { continue }
                            group.cancelAll()
                            throw WaitedTooLong()
                        }
                    }
                    throw CancellationError()
                }
            }
        } catch is WaitedTooLong {
            // No connection within the limit. If no request has had an answer for as long either, the server is taken
            // for gone; while others get answers, the pool is only saturated, and the next request waits again.
            if ContinuousClock.now - lastAnswer.withLock({ $0 }) >= waitLimit {
                tripOutage("no connection within \(waitLimit)")
            }
            throw StoreError.databaseUnreachable
        } catch {
            if StoreError.isConnectionFailure(error) {
                tripOutage(error)
                throw StoreError.databaseUnreachable
            }
            throw error
        }
    }

    private struct WaitedTooLong: Error {}

    /// What finished first: the request, or its wait for a connection.
    private enum Raced<Result: Sendable>: Sendable {
        case answer(Result)
        case waitedTooLong
    }

    /// Marks the server unreachable and starts the probe that clears the mark once it answers again.
    private func tripOutage(_ error: Any) {
        outage.withLock { outage in
            guard outage == nil else { return }
            logger.error(
                "PostgreSQL unreachable; requests are refused until it answers",
                metadata: ["error": "\(String(reflecting: error))"])
            outage = Task { [weak self] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(500))
                    guard let self else { return }
                    if await self.answers() {
                        self.logger.notice("PostgreSQL answers again")
                        self.outage.withLock { $0 = nil }
                        return
                    }
                }
            }
        }
    }

    /// Whether the server answers a trivial query within the wait limit.
    private func answers() async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                (try? await self.client.withConnection { try await $0.sql().raw("SELECT 1 AS ok").first() }) != nil
            }
            group.addTask {
                try? await Task.sleep(for: self.waitLimit)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }

    public func transaction<Result: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> Result) async throws
        -> Result
    {
        try await read { sql in
            try await sql.inTransaction(begin: "BEGIN", logger: logger, body)
        }
    }

    public func bulkInsert(_ insert: BulkInsert) async throws {
        guard !insert.rows.isEmpty else { return }
        try insert.checkWidths()
        let logger = logger
        do {
            try await copyRows(insert, logger)
        } catch {
            if let column = StoreError.columnOutOfType(in: error) { throw StoreError.valueOutOfType(column: column) }
            throw error
        }
    }

    private func copyRows(_ insert: BulkInsert, _ logger: Logger) async throws {
        try await withConnection { connection in
            guard insert.replacingKeys != nil else {
                // COPY is one statement: the rows arrive all or none.
                try await Self.copy(insert, into: insert.table, connection, logger)
                return
            }
            // COPY cannot resolve conflicts: the rows go to a scratch table first, then over in one INSERT.
            try await connection.sql().inTransaction(begin: "BEGIN", logger: logger) { sql in
                try await sql.raw(
                    SQLQueryString(
                        unsafeRaw: """
                            CREATE TEMPORARY TABLE huitong_bulk ON COMMIT DROP AS
                            SELECT \(insert.columnList) FROM \(insert.table) WITH NO DATA
                            """)
                ).run()
                try await Self.copy(insert, into: "huitong_bulk", connection, logger)
                try await sql.raw(
                    SQLQueryString(
                        unsafeRaw: """
                            INSERT INTO \(insert.table) (\(insert.columnList))
                            SELECT \(insert.columnList) FROM huitong_bulk\(insert.conflictClause)
                            """)
                ).run()
            }
        }
    }

    /// Streams rows to `COPY … FROM STDIN` in PostgreSQL's text format, a megabyte at a time.
    private static func copy(
        _ insert: BulkInsert, into table: String, _ connection: PostgresConnection, _ logger: Logger
    ) async throws {
        // The values every row ends with, encoded once.
        var shared = ByteBuffer()
        for value in insert.sharedValues {
            shared.writeInteger(UInt8(ascii: "\t"))
            shared.writeCopyText(value)
        }
        try await connection.copyFrom(table: table, columns: insert.columns, logger: logger) { writer in
            var buffer = ByteBufferAllocator().buffer(capacity: 1 << 20)
            for row in insert.rows {
                for (index, value) in row.enumerated() {
                    if index > 0 { buffer.writeInteger(UInt8(ascii: "\t")) }
                    buffer.writeCopyText(value)
                }
                buffer.writeImmutableBuffer(shared)
                buffer.writeInteger(UInt8(ascii: "\n"))
                if buffer.readableBytes >= 1 << 20 {
                    try await writer.write(buffer)
                    buffer.clear()
                }
            }
            if buffer.readableBytes > 0 { try await writer.write(buffer) }
        }
    }

    public func run() async throws {
        try? await gracefulShutdown()
        await shutdown()
    }

    public func shutdown() async {
        outage.withLock { outage in
            outage?.cancel()
            outage = nil
        }
        let task = runTask.withLock { task in
            defer { task = nil }
            return task
        }
        task?.cancel()
        await task?.value
    }
}

extension ByteBuffer {
    /// One value in COPY's text format: `\N` for NULL; backslash, tab, newline and carriage return escaped.
    mutating func writeCopyText(_ value: String?) {
        guard var value else {
            writeStaticString("\\N")
            return
        }
        value.withUTF8 { bytes in
            let special = { (byte: UInt8) in byte == 0x5C || byte == 0x09 || byte == 0x0A || byte == 0x0D }
            guard bytes.contains(where: special) else {
                writeBytes(bytes)
                return
            }
            for byte in bytes {
                switch byte {
                case 0x5C: writeStaticString("\\\\")
                case 0x09: writeStaticString("\\t")
                case 0x0A: writeStaticString("\\n")
                case 0x0D: writeStaticString("\\r")
                default: writeInteger(byte)
                }
            }
        }
    }
}

/// Whether a request got its connection or gave up waiting for one: decided once, by whichever comes first.
private final class LeaseState: Sendable {
    private enum State {
        case waiting
        case granted
        case abandoned
    }

    private let state = Mutex(State.waiting)

    var isGranted: Bool { state.withLock { $0 == .granted } }

    /// The connection came: true unless the request has given up.
    func grant() -> Bool {
        state.withLock { state in
            guard state == .waiting else { return false }
            state = .granted
            return true
        }
    }

    /// The wait is over: true unless the connection came first.
    func abandon() -> Bool {
        state.withLock { state in
            guard state == .waiting else { return false }
            state = .abandoned
            return true
        }
    }
}
