import Foundation
import HuitongCore
import HuitongStore
import Logging
import PostgresKit
import SQLKit

/// A database backend the tests run against. SQLite always; PostgreSQL when `HUITONG_TEST_DATABASE_URL` names a
/// server on which the test user may create databases.
public enum TestBackend: String, Sendable, CaseIterable, CustomStringConvertible {
    case sqlite
    case postgres

    public var description: String { rawValue }

    /// The backends available in this run. CI sets the URL, so there both are tested.
    public static var available: [TestBackend] {
        postgresAdminURL == nil ? [.sqlite] : [.sqlite, .postgres]
    }

    static var postgresAdminURL: String? {
        guard let url = ProcessInfo.processInfo.environment["HUITONG_TEST_DATABASE_URL"], !url.isEmpty else {
            return nil
        }
        return url
    }

    /// The sealing key the row MACs of every fresh database are keyed with in this test process; a CLI process a
    /// test starts over such a database is given it (`HUITONG_SEALING_KEY`), as the nodes of one database share one.
    public static let sealingKey = SealingKey.random()

    /// The PostgreSQL pool of each store a test opens. Hundreds of tests run at once, each on a database of its own:
    /// with a node's default pool they would ask the server for thousands of connections.
    public static let connectionsPerStore = 4

    /// A second node's store on `store`'s database: on PostgreSQL another connection pool on the same database, with
    /// the same row keys. On SQLite the same store: one node serves an SQLite file, and two pools of one process would
    /// share NIO's blocking threads, where one pool's wait for the file's write lock can hold up the other pool's
    /// commit that would release it.
    public static func secondNode<Result: Sendable>(
        _ store: Store, _ location: DatabaseLocation, _ body: (Store) async throws -> Result
    ) async throws -> Result {
        guard store.backend == .postgres else { return try await body(store) }
        var logger = Logger(label: "huitong.tests")
        logger.logLevel = .warning
        let other = Store(
            provider: try await DatabaseConnector.open(
                location, maximumConnections: connectionsPerStore, logger: logger),
            rowIntegrity: store.rowIntegrity)
        do {
            let result = try await body(other)
            await other.provider.shutdown()
            return result
        } catch {
            await other.provider.shutdown()
            throw error
        }
    }

    /// Runs `body` against a new, empty, migrated database of this backend, and removes it afterwards.
    public func withFreshDatabase<Result: Sendable>(
        _ body: (Store, DatabaseLocation) async throws -> Result
    ) async throws -> Result {
        guard self == .postgres, !OpenDatabaseGate.held else { return try await openFreshDatabase(body) }
        // Swift Testing starts every test at once; left alone, some two hundred PostgreSQL tests held a database
        // (and its connections) at the same moment and the server refused the next ones ("too many clients").
        await OpenDatabaseGate.postgres.enter()
        do {
            let result = try await OpenDatabaseGate.$held.withValue(true) { try await openFreshDatabase(body) }
            await OpenDatabaseGate.postgres.leave()
            return result
        } catch {
            await OpenDatabaseGate.postgres.leave()
            throw error
        }
    }

    private func openFreshDatabase<Result: Sendable>(
        _ body: (Store, DatabaseLocation) async throws -> Result
    ) async throws -> Result {
        var logger = Logger(label: "huitong.tests")
        logger.logLevel = .warning
        let scratch = try ScratchDatabase.create(self, logger: logger)
        let location = try await scratch.location()
        let store = Store(
            provider: try await DatabaseConnector.open(
                location, maximumConnections: Self.connectionsPerStore, logger: logger))
        // As a node keys its store with its sealing key; a test reopening the database passes `store.rowIntegrity`.
        store.useSealingKey(Self.sealingKey)
        do {
            let result = try await body(store, location)
            await store.provider.shutdown()
            try await scratch.remove()
            return result
        } catch {
            await store.provider.shutdown()
            try? await scratch.remove()
            throw error
        }
    }
}

/// How many tests hold a PostgreSQL database at once. A test inside the gate (`held`) opens further databases
/// without entering again, so a test needing two never waits on itself.
actor OpenDatabaseGate {
    static let postgres = OpenDatabaseGate(capacity: 32)
    @TaskLocal static var held = false

    private var free: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(capacity: Int) { free = capacity }

    func enter() async {
        if free > 0 {
            free -= 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func leave() {
        if waiting.isEmpty {
            free += 1
        } else {
            waiting.removeFirst().resume()
        }
    }
}

/// A throw-away database: a temporary SQLite file, or a PostgreSQL database created for one test.
struct ScratchDatabase {
    let backend: TestBackend
    let name: String
    let directory: URL
    let logger: Logger

    static func create(_ backend: TestBackend, logger: Logger) throws -> ScratchDatabase {
        let name = "huitong_test_\(UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased())"
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(name)
        if backend == .sqlite {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        }
        return ScratchDatabase(backend: backend, name: name, directory: directory, logger: logger)
    }

    /// The database, as a copy of this process's migrated template (`MigratedTemplate`).
    func location() async throws -> DatabaseLocation {
        switch backend {
        case .sqlite:
            let template = try await MigratedTemplate.shared.sqlite(logger: logger)
            for file in MigratedTemplate.sqliteFiles {
                try FileManager.default.copyItem(
                    at: template.appendingPathComponent(file), to: directory.appendingPathComponent(file))
            }
            return .sqlite(path: directory.appendingPathComponent("huitong.sqlite").path)
        case .postgres:
            let template = try await MigratedTemplate.shared.postgres(logger: logger)
            try await admin {
                try await $0.raw("CREATE DATABASE \(unsafeRaw: name) TEMPLATE \(unsafeRaw: template)").run()
            }
            return .postgres(url: try Self.url(replacingDatabaseWith: name))
        }
    }

    func remove() async throws {
        switch backend {
        case .sqlite:
            try? FileManager.default.removeItem(at: directory)
        case .postgres:
            try await admin { try await $0.raw("DROP DATABASE IF EXISTS \(unsafeRaw: name) WITH (FORCE)").run() }
        }
    }

    static func admin(logger: Logger, _ body: @Sendable (any SQLDatabase) async throws -> Void) async throws {
        guard let url = TestBackend.postgresAdminURL else { return }
        let provider = try await PostgresDatabaseProvider.open(url: url, maximumConnections: 1, logger: logger)
        do {
            try await provider.read(body)
            await provider.shutdown()
        } catch {
            await provider.shutdown()
            throw error
        }
    }

    private func admin(_ body: @Sendable (any SQLDatabase) async throws -> Void) async throws {
        try await Self.admin(logger: logger, body)
    }

    static func url(replacingDatabaseWith name: String) throws -> String {
        guard let url = TestBackend.postgresAdminURL, var components = URLComponents(string: url) else {
            throw StoreError.badDatabaseURL("HUITONG_TEST_DATABASE_URL")
        }
        components.path = "/\(name)"
        return components.string ?? url
    }
}

/// One migrated database per backend for the whole test process, copied for every test: migrating a new database
/// costs a fraction of a second (a third of one on PostgreSQL), and a run makes hundreds of them. A copy is the same
/// schema the migrations make; tests of the migrations themselves roll them back on their copy and run them again.
actor MigratedTemplate {
    static let shared = MigratedTemplate()
    /// The files an SQLite database is made of (the audit log has a file of its own).
    static let sqliteFiles = ["huitong.sqlite", "huitong.audit.sqlite"]
    private var sqliteTemplate: Task<URL, any Error>?
    private var postgresTemplate: Task<String, any Error>?
    private let stem = "huitong_template_\(getpid())_"

    /// A folder holding a migrated SQLite database, closed (its WAL folded in), to copy.
    func sqlite(logger: Logger) async throws -> URL {
        if let sqliteTemplate { return try await sqliteTemplate.value }
        let stem = stem
        let task = Task {
            let temporary = FileManager.default.temporaryDirectory
            Self.removeAbandoned(in: temporary)
            let directory = temporary.appendingPathComponent(stem + UUID().uuidString.prefix(8).lowercased())
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let path = directory.appendingPathComponent("huitong.sqlite").path
            let provider = try await DatabaseConnector.open(.sqlite(path: path), logger: logger)
            await provider.shutdown()
            return directory
        }
        sqliteTemplate = task
        return try await task.value
    }

    /// The name of a migrated PostgreSQL database nobody is connected to, to name as `TEMPLATE`.
    func postgres(logger: Logger) async throws -> String {
        if let postgresTemplate { return try await postgresTemplate.value }
        let name = stem + UUID().uuidString.prefix(8).lowercased()
        let task = Task {
            try await ScratchDatabase.admin(logger: logger) { sql in
                // Templates of test runs that have ended (a run that crashed never dropped its own).
                for row in try await sql.raw("SELECT datname FROM pg_database WHERE datname LIKE 'huitong_template_%'")
                    .all()
                {
                    let stale = try row.decode(column: "datname", as: String.self)
                    if !Self.isAlive(stale) {
                        try await sql.raw("DROP DATABASE IF EXISTS \(unsafeRaw: stale) WITH (FORCE)").run()
                    }
                }
                try await sql.raw("CREATE DATABASE \(unsafeRaw: name)").run()
            }
            let provider = try await DatabaseConnector.open(
                .postgres(url: try ScratchDatabase.url(replacingDatabaseWith: name)), logger: logger)
            await provider.shutdown()
            return name
        }
        postgresTemplate = task
        return try await task.value
    }

    /// Whether the test process a template is named after (`huitong_template_<pid>_…`) still runs.
    private static func isAlive(_ name: String) -> Bool {
        let parts = name.split(separator: "_")
        guard parts.count >= 3, let pid = pid_t(parts[2]) else { return false }
        return kill(pid, 0) == 0 || errno == EPERM
    }

    private static func removeAbandoned(in folder: URL) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        for name in names where name.hasPrefix("huitong_template_") && !isAlive(name) {
            try? FileManager.default.removeItem(at: folder.appendingPathComponent(name))
        }
    }
}
