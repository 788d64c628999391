import Foundation
import HuitongCrypto
import HuitongIngest
import HuitongStore
import Logging

/// Files shipped in this module's resources (`Resources/seed/`): reference data and policies kept as data so that
/// a bureau corrects them by editing a file, not code.
package enum SeedFile {
    /// The resource at `path` under `Resources/`, e.g. `seed/holidays.json`.
    package static func url(_ path: String) -> URL {
        Bundle.module.url(forResource: "Resources", withExtension: nil)!.appendingPathComponent(path)
    }
}

/// A seed file in the resources that cannot be read or decoded: the file and why.
public struct SeedFileError: Error, Sendable, CustomStringConvertible {
    public let file: String
    public let reason: String

    public var description: String { "\(file): \(reason)" }

    /// Reads and decodes `file` from the resources, keeping the outcome (a value or why not) for every caller.
    package static func load<Value>(_ file: String, _ decode: (Data) throws -> Value) -> Result<Value, SeedFileError> {
        do {
            return .success(
                try decode(try Data(contentsOf: SeedFile.url(file))))
        } catch {
            return .failure(SeedFileError(file: file, reason: "\(error)"))
        }
    }
}

/// What every process that opens the database runs once, after the migrations and before it serves or changes
/// anything.
public enum NodeStartup {
    /// Brings reference data up to date (classifications, code sets, holidays) and clears what a load cut short by
    /// a crash left behind (it never published anything).
    public static func prepare(store: Store) async throws {
        // First: access-control rows from before their MACs existed get them now, once (see `backfill`).
        _ = try await store.rowIntegrity.backfill(store.provider)
        try await CatalogSeed.apply(to: store)
        try await SharingSeed.apply(to: store)
        _ = try await IngestRunner.recover(store)
    }
}

/// Opens the node's database.
public enum NodeStore {
    /// Opens the database the settings name (creating the data directory, mode 0700), migrates it, keys its row
    /// MACs with the node's sealing key and runs `NodeStartup.prepare`; closes it again if any of that fails.
    public static func open(_ settings: NodeSettings, logger: Logger) async throws -> Store {
        // Databases, keys and spooled uploads live here: the node's user only.
        try DataDirectory.secure(settings.dataDirectory)
        logger.info("opening database", metadata: ["location": "\(settings.database)"])
        let store = Store(
            provider: try await DatabaseConnector.open(
                settings.database, maximumConnections: settings.databaseConnections,
                waitLimit: settings.databaseWaitLimit, logger: logger),
            poolLayout: settings.poolLayout)
        do {
            try await useIntegrityKey(store, settings)
            try await NodeStartup.prepare(store: store)
        } catch {
            await store.provider.shutdown()
            throw error
        }
        return store
    }

    /// A store over the same primary whose reads go to the read replicas the settings name
    /// (`HUITONG_DATABASE_READ_URLS`), or nil when there are none. Its repositories share the primary store's keys
    /// and access revision.
    public static func openReadStore(_ settings: NodeSettings, primary store: Store, logger: Logger) async throws
        -> Store?
    {
        guard !settings.readReplicas.isEmpty else { return nil }
        let replicas = try await ReadReplicas.open(
            urls: settings.readReplicas, maximumLag: settings.replicaMaximumLag,
            maximumConnections: settings.databaseConnections, waitLimit: settings.databaseWaitLimit, logger: logger)
        logger.info("read replicas", metadata: ["replicas": "\(replicas.current.map(\.name))"])
        return store.reading(from: replicas, poolLayout: settings.poolLayout)
    }

    /// Keys the store's row MACs (GB/T 39786 8.4 b/c) from the node's sealing key, which lives outside the
    /// database (`HUITONG_SEALING_KEY` or `<data>/sealing.key`, created on first start), and makes new MACs under
    /// the node's suite (`NodeCryptoSuite.resolve` confirms it once the node has resolved its suite).
    public static func useIntegrityKey(_ store: Store, _ settings: NodeSettings) async throws {
        let (sealingKey, _) = try SealingKeyLoader.load(
            base64: settings.credentials.sealingKeyText, dataDirectory: settings.dataDirectory)
        store.useSealingKey(sealingKey)
        store.rowIntegrity.suite =
            try await store.crypto.recordedSuite() ?? settings.requestedCryptoSuite ?? CryptoSuiteID.forNewNodes
    }
}
