import ArgumentParser
import Foundation
import HuitongCore
import HuitongCrypto
import HuitongServices
import HuitongStore
import Logging
import Synchronization

/// `huitong bench-audit-append`: how many audited appends per second the group commit sustains with many
/// concurrent callers, as the gateway would make them. Hidden from help; it writes to the database it is given.
struct BenchAuditAppend: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-audit-append", abstract: "Benchmark audit log appends (group commit).",
        shouldDisplay: false)

    @Option(help: "Database URL (sqlite:PATH or postgres://…).")
    var database: String

    @Option(help: "Concurrent appenders.")
    var concurrency = 64

    @Option(help: "Appends per appender.")
    var appends = 200

    @Option(help: "The crypto suite entries are sealed under: gm (SM3) or intl (SHA-256).")
    var suite = "gm"

    func run() async throws {
        var logger = Logger(label: "huitong.bench")
        logger.logLevel = .warning
        let store = Store(
            provider: try await DatabaseConnector.open(try DatabaseLocation(parsing: database), logger: logger))
        do {
            let counting = CountingRepository(inner: store.audit)
            let suite = try CryptoSuiteID(parsing: suite)
            let log = AuditLog(repository: counting, suite: suite, logger: logger)
            let hasher = AuditKeyHasher(nodeKey: .generate(), suite: suite)
            let appends = appends
            let started = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for caller in 0..<concurrency {
                    group.addTask {
                        for index in 0..<appends {
                            _ = try await log.append(
                                AuditEvent(
                                    action: .gatewayLookup, consumerDepartmentID: Int64(caller % 7 + 1),
                                    applicationSystemID: Int64(caller), providerDepartmentID: 3,
                                    resourceCode: "101001/0001", grantID: 1, purpose: "资格核验",
                                    queriedKeyHashes: [hasher.hash("1101051949123\(caller)\(index)")], rowsReturned: 1,
                                    outcome: .allowed, latencyMicroseconds: Int64(500 + index)))
                        }
                    }
                }
                try await group.waitForAll()
            }
            let elapsed = started.duration(to: .now)
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let total = concurrency * appends
            print(
                "audit_append backend=\(store.backend.rawValue) suite=\(suite.rawValue) concurrency=\(concurrency) appends=\(total) seconds=\(String(format: "%.2f", seconds)) per_second=\(Int(Double(total) / seconds)) transactions=\(counting.batches.load(ordering: .relaxed))"
            )
            await store.provider.shutdown()
        } catch {
            await store.provider.shutdown()
            throw error
        }
    }
}

/// Counts the transactions the group commit makes, to show how many appends each one carries.
final class CountingRepository: AuditLogRepository {
    let inner: any AuditLogRepository
    let batches = Atomic<Int>(0)

    init(inner: any AuditLogRepository) {
        self.inner = inner
    }

    func append(_ events: [AuditEvent], suite: CryptoSuiteID) async throws -> [AuditEntry] {
        batches.add(1, ordering: .relaxed)
        return try await inner.append(events, suite: suite)
    }
    func head() async throws -> AuditChain { try await inner.head() }
    func records(after: Int64, through: Int64, limit: Int) async throws -> [AuditEntryRecord] {
        try await inner.records(after: after, through: through, limit: limit)
    }
    func search(_ filter: AuditEntryFilter) async throws -> [AuditEntryRecord] { try await inner.search(filter) }
    func checkpoints(after: Int64, through: Int64, limit: Int) async throws -> [AuditCheckpoint] {
        try await inner.checkpoints(after: after, through: through, limit: limit)
    }
    func latestCheckpoint() async throws -> AuditCheckpoint? { try await inner.latestCheckpoint() }
    func save(_ checkpoint: AuditCheckpoint) async throws -> Bool { try await inner.save(checkpoint) }
    func statistics(_ query: AuditStatisticsQuery) async throws -> [AuditStatisticsGroup] {
        try await inner.statistics(query)
    }
}
