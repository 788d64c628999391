import Foundation
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

    /// Runs `body` against a new, empty, migrated database of this backend, and removes it afterwards.
    public func withFreshDatabase<Result: Sendable>(
        _ body: (Store, DatabaseLocation) async throws -> Result
    ) async throws -> Result {
        var logger = Logger(label: "huitong.tests")
        logger.logLevel = .warning
        let scratch = try ScratchDatabase.create(self, logger: logger)
        let location = try await scratch.location()
        let store = Store(provider: try await DatabaseConnector.open(location, logger: logger))
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

    func location() async throws -> DatabaseLocation {
        switch backend {
        case .sqlite:
            return .sqlite(path: directory.appendingPathComponent("huitong.sqlite").path)
        case .postgres:
            try await admin { try await $0.raw("CREATE DATABASE \(unsafeRaw: name)").run() }
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

    private func admin(_ body: @Sendable (any SQLDatabase) async throws -> Void) async throws {
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

    static func url(replacingDatabaseWith name: String) throws -> String {
        guard let url = TestBackend.postgresAdminURL, var components = URLComponents(string: url) else {
            throw StoreError.badDatabaseURL("HUITONG_TEST_DATABASE_URL")
        }
        components.path = "/\(name)"
        return components.string ?? url
    }
}
