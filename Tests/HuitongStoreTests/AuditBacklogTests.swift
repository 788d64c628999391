import Foundation
import HuitongCore
import HuitongCrypto
import HuitongStore
import HuitongTestSupport
import Synchronization
import Testing

/// The audit log's bound on events waiting to be written.
@Suite("Audit backlog")
struct AuditBacklogTests {
    @Test(
        "while the database is slow, appends beyond the backlog bound are refused at once, and those within it are written once it catches up"
    )
    func boundedBacklog() async throws {
        try await TestBackend.sqlite.withFreshDatabase { store, _ in
            let slow = HeldAppends(store.audit)
            let log = AuditLog(repository: slow, suite: .intl, maximumBacklog: 3)
            // The first append is taken by the writer and held there; three more wait behind it.
            let waiting = Task {
                try await withThrowingTaskGroup(of: AuditReceipt.self) { group in
                    group.addTask { try await log.append(AuditStoreConformanceTests.call(0)) }
                    await slow.untilHeld()
                    for index in 1...3 {
                        group.addTask { try await log.append(AuditStoreConformanceTests.call(index)) }
                    }
                    return try await group.reduce(into: [AuditReceipt]()) { $0.append($1) }
                }
            }
            // The three behind the first fill the backlog: a fourth is refused without waiting.
            while log.waitingCount < 3 { await Task.yield() }
            let refused = await #expect(throws: AuditLogError.self) {
                try await log.append(AuditStoreConformanceTests.call(4))
            }
            #expect(refused?.code == "audit_backlog_full")
            slow.release()
            let receipts = try await waiting.value
            #expect(receipts.map(\.sequence).sorted() == [1, 2, 3, 4])
            #expect(try await store.audit.head().sequence == 4, "the refused event was never written")
            #expect(AuditLogError.backlogFull.kind == .unavailable)
            #expect(AuditLogError.backlogFull.message.zh == "待写入的审计日志过多，本次调用已拒绝，请稍后再试")
        }
    }
}

/// An audit repository whose first append waits until released, as a database that stalls would.
private final class HeldAppends: AuditLogRepository {
    private let base: any AuditLogRepository
    private let state = Mutex<(held: Bool, released: Bool, waiters: [CheckedContinuation<Void, Never>])>(
        (false, false, []))
    private let gate = AsyncStream<Void>.makeStream()

    init(_ base: any AuditLogRepository) { self.base = base }

    func untilHeld() async {
        while !state.withLock({ $0.held }) { await Task.yield() }
    }

    func release() {
        state.withLock { $0.released = true }
        gate.continuation.finish()
    }

    func append(_ events: [AuditEvent], suite: CryptoSuiteID) async throws -> [AuditEntry] {
        let wait = state.withLock { state in
            defer { state.held = true }
            return !state.released
        }
        if wait { for await _ in gate.stream {} }
        return try await base.append(events, suite: suite)
    }

    func head() async throws -> AuditChain { try await base.head() }
    func records(after: Int64, through: Int64, limit: Int) async throws -> [AuditEntryRecord] {
        try await base.records(after: after, through: through, limit: limit)
    }
    func search(_ filter: AuditEntryFilter) async throws -> [AuditEntryRecord] { try await base.search(filter) }
    func checkpoints(after: Int64, through: Int64, limit: Int) async throws -> [AuditCheckpoint] {
        try await base.checkpoints(after: after, through: through, limit: limit)
    }
    func latestCheckpoint() async throws -> AuditCheckpoint? { try await base.latestCheckpoint() }
    func save(_ checkpoint: AuditCheckpoint) async throws -> Bool { try await base.save(checkpoint) }
    func statistics(_ query: AuditStatisticsQuery) async throws -> [AuditStatisticsGroup] {
        try await base.statistics(query)
    }
    func prunedBoundary() async throws -> AuditChain? { try await base.prunedBoundary() }
}
