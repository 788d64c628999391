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
    func prunedBoundary() async throws -> AuditChain? { try await inner.prunedBoundary() }
    func statistics(_ query: AuditStatisticsQuery) async throws -> [AuditStatisticsGroup] {
        try await inner.statistics(query)
    }
}

/// `huitong bench-audit-fill`: fills an empty PostgreSQL audit log with synthetic gateway calls in bulk, for
/// `bench/audit`. The entries are sealed and chained as appends would seal them (suite `intl`, checkpoints signed
/// by the node key every `--checkpoint-every` entries), streamed through `psql` with COPY, spread evenly from the
/// start of the month `--months` months back until now; then the head is set and the rollups rebuilt. Hidden.
struct BenchAuditFill: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-audit-fill", abstract: "Fill an empty audit log with synthetic entries (bench/audit).",
        shouldDisplay: false)

    @OptionGroup var node: NodeOptions

    @Option(help: "Entries to make.")
    var rows = 1_000_000

    @Option(help: "Months back the entries start.")
    var months = 12

    @Option(name: .customLong("checkpoint-every"), help: "Entries between signed checkpoints.")
    var checkpointEvery = 100_000

    /// Grants: pairs of a consumer department (and one of its two systems) and a resource.
    static let grants = 400

    func run() async throws {
        let config = node.reader()
        guard let url = config.string(forKey: "huitong.database.url", isSecret: true), url.hasPrefix("postgres")
        else { throw ValidationError("bench-audit-fill needs a PostgreSQL --database") }
        let key = try node.loadNodeKey(config, create: true).signingKey
        let rows = rows
        let months = months
        let checkpointEvery = max(1, checkpointEvery)
        try await withStore(node) { store, _, _ in
            guard try await store.audit.head().sequence == 0 else {
                throw ValidationError("the audit log is not empty")
            }
            let now = AuditEvent.microseconds(Date())
            let current = AuditCalendar.month(microseconds: now)
            let first = current.minus(months: months)
            var all: [AuditMonth] = []
            var month = first
            while month <= current.next {
                all.append(month)
                month = month.next
            }
            try await store.auditArchives.preparePartitions(all)

            let psql = Process()
            psql.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            psql.arguments = ["psql", url, "-q", "-v", "ON_ERROR_STOP=1", "-c", AuditBulkLoad.copyStatement]
            let pipe = Pipe()
            psql.standardInput = pipe
            try psql.run()
            let started = ContinuousClock.now
            var chain = AuditChain()
            var checkpoints: [AuditCheckpoint] = []
            let span = now - first.startMicroseconds
            var buffer = ""
            buffer.reserveCapacity(1 << 21)
            var random: UInt64 = 0x9E37_79B9_7F4A_7C15
            for index in 0..<rows {
                random = random &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                let draw = Int(truncatingIfNeeded: random >> 33)
                let grant = draw % Self.grants
                let consumer = Int64(grant % 40 + 1)
                let resource = (grant * 7) % 150
                let roll = (draw >> 9) % 100
                let outcome: AuditOutcome =
                    roll < 95 ? .allowed : roll < 99 ? .denied(reason: "quota_exceeded") : .failed(reason: "upstream")
                var event = AuditEvent(
                    action: .gatewayLookup, consumerDepartmentID: consumer,
                    applicationSystemID: consumer * 2 + Int64(grant % 2),
                    providerDepartmentID: Int64(resource % 30 + 1),
                    resourceCode: String(format: "1%02d001/%04d", resource % 30, resource), grantID: Int64(grant + 1),
                    purpose: "资格核验", queriedKeyHashes: [String(format: "%016llx", random)],
                    rowsReturned: outcome == .allowed ? 1 : 0, outcome: outcome,
                    latencyMicroseconds: Int64(300 + (draw >> 4) % 4_000))
                event.timeMicroseconds = first.startMicroseconds + Int64(Double(span) * Double(index) / Double(rows))
                let entry = chain.append(event, suite: .intl)
                buffer += AuditBulkLoad.copyLine(entry)
                if chain.sequence % Int64(checkpointEvery) == 0 || index == rows - 1 {
                    checkpoints.append(
                        try AuditCheckpoint.sign(
                            chain, time: Date(timeIntervalSince1970: Double(event.timeMicroseconds) / 1e6), with: key))
                }
                if buffer.utf8.count > 1 << 20 {
                    try pipe.fileHandleForWriting.write(contentsOf: Data(buffer.utf8))
                    buffer.removeAll(keepingCapacity: true)
                }
            }
            try pipe.fileHandleForWriting.write(contentsOf: Data(buffer.utf8))
            try pipe.fileHandleForWriting.close()
            psql.waitUntilExit()
            guard psql.terminationStatus == 0 else { throw ValidationError("psql COPY failed") }
            let copied = AuditCommand.seconds(started.duration(to: .now))
            for checkpoint in checkpoints { try await store.audit.save(checkpoint) }
            try await store.auditArchives.adoptHead(chain)
            let rolled = ContinuousClock.now
            try await store.auditArchives.rebuildRollups()
            let rollup = AuditCommand.seconds(rolled.duration(to: .now))
            print(
                "audit_fill rows=\(rows) copy_seconds=\(String(format: "%.1f", copied)) per_second=\(Int(Double(rows) / max(copied, 0.001))) rollup_seconds=\(String(format: "%.1f", rollup)) checkpoints=\(checkpoints.count)"
            )
        }
    }
}

/// `huitong bench-audit-statistics`: how long the statistics the pages show take, read from the rollups: the
/// operator dashboard (calls per day and per resource over 30 days), the portal's 30-day counter, a department's
/// view and the statistics API with latency percentiles. Hidden.
struct BenchAuditStatistics: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-audit-statistics", abstract: "Time the audit statistics (bench/audit).",
        shouldDisplay: false)

    @OptionGroup var node: NodeOptions

    @Option(help: "Runs of each query.")
    var runs = 20

    func run() async throws {
        let runs = max(1, runs)
        try await withStore(node) { store, _, _ in
            let now = Date()
            let from = now - 30 * 86_400
            let queries: [(String, AuditStatisticsQuery)] = [
                ("dashboard_days", AuditStatisticsQuery(from: from, to: now + 1, groupBy: .day)),
                ("dashboard_resources", AuditStatisticsQuery(from: from, to: now + 1, groupBy: .resource)),
                ("portal_counter", AuditStatisticsQuery(from: from, to: now + 1, groupBy: .resource)),
                (
                    "department_days",
                    AuditStatisticsQuery(
                        from: from, to: now + 1, groupBy: .day, visibleTo: (consumers: [3], providers: [3]))
                ),
                ("api_latency_days", AuditStatisticsQuery(from: from, to: now + 1, groupBy: .day, latency: true)),
            ]
            for (name, query) in queries {
                var times: [Double] = []
                var calls: Int64 = 0
                for _ in 0..<runs {
                    let started = ContinuousClock.now
                    calls = try await store.audit.statistics(query).reduce(0) { $0 + $1.calls }
                    times.append(AuditCommand.seconds(started.duration(to: .now)) * 1_000)
                }
                times.sort()
                print(
                    "audit_statistics query=\(name) calls=\(calls) median_ms=\(String(format: "%.1f", times[times.count / 2])) p95_ms=\(String(format: "%.1f", times[min(times.count - 1, times.count * 95 / 100)]))"
                )
            }
        }
    }
}
