import Foundation
import HuitongCore
import HuitongStore
import HuitongTestSupport
import Logging
import ServiceLifecycle
import Synchronization
import Testing

@testable import HuitongServices

/// The job queue as a service: retries, graceful shutdown, leases, and several nodes on one database.
@Suite("Job queue")
struct JobQueueTests {
    struct Work: Codable, Sendable, Hashable {
        var n: Int
    }

    static let work = JobKind<Work>("test.work")

    /// Quick settings: short polls, retries at once, and leases long enough for a busy test run (the suites run
    /// in parallel, and a renewal may wait a while for the database).
    static var settings: JobSettings {
        var settings = JobSettings()
        settings.pollInterval = .milliseconds(50)
        settings.lease = .seconds(5)
        settings.firstRetryDelay = .zero
        return settings
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String { "the upstream is down" }
    }

    /// Runs `body` while `queues` run as services; then shuts them down gracefully and waits for them.
    static func running<Result: Sendable>(
        _ queues: [JobQueue], _ body: @Sendable (ServiceGroup) async throws -> Result
    ) async throws -> Result {
        var logger = Logger(label: "huitong.tests")
        logger.logLevel = .warning
        let group = ServiceGroup(configuration: .init(services: queues, logger: logger))
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            do {
                let result = try await body(group)
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return result
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
        }
    }

    static func queue(_ store: Store, place: String = "here", settings: JobSettings = settings) -> JobQueue {
        var logger = Logger(label: "huitong.jobs")
        logger.logLevel = .critical
        return JobQueue(store: store, settings: settings, place: place, logger: logger)
    }

    @Test(
        "a failing handler is tried again until its attempts run out, then the job is failed with the reason",
        arguments: TestBackend.available)
    func retriesThenFails(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            // A lease no busy run outlasts: the failures must be the handler's, never a lease running out.
            var settings = Self.settings
            settings.lease = .seconds(300)
            let queue = Self.queue(store, settings: settings)
            let calls = Shared<[Int: [Int]]>([:])
            queue.register(Self.work) { work, context in
                calls.withLock { $0[work.n, default: []].append(context.attempt) }
                // Job 1 always fails; job 2 fails once, then succeeds.
                if work.n == 1 || context.attempt == 1 { throw Failure() }
            }
            try await Self.running([queue]) { _ in
                let failing = try await queue.enqueue(Self.work, Work(n: 1))
                let flaky = try await queue.enqueue(Self.work, Work(n: 2))
                let failed = try await failing.finished()
                #expect(failed.status == .failed && failed.attempts == 3 && failed.maxAttempts == 3)
                #expect(failed.lastError == "the upstream is down" && failed.finishedAt != nil)
                let recovered = try await flaky.finished()
                #expect(recovered.status == .succeeded && recovered.attempts == 2)
                #expect(recovered.lastError == "the upstream is down", "the failed attempt stays on the record")
            }
            #expect(calls.withLock { $0 } == [1: [1, 2, 3], 2: [1, 2]])
        }
    }

    @Test("retries wait longer after each failed attempt, up to an hour")
    func backoff() {
        var settings = JobSettings()
        #expect(settings.firstRetryDelay == .seconds(10) && settings.maximumAttempts == 3)
        #expect(settings.retryDelay(after: 1) == .seconds(10))
        #expect(settings.retryDelay(after: 2) == .seconds(20))
        #expect(settings.retryDelay(after: 4) == .seconds(80))
        #expect(settings.retryDelay(after: 40) == .seconds(3600))
        settings.firstRetryDelay = .zero
        #expect(settings.retryDelay(after: 5) == .zero)
    }

    @Test(
        "graceful shutdown stops claiming and waits for the job under way, which ends as it would have",
        arguments: TestBackend.available)
    func shutdownWaits(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let queue = Self.queue(store)
            let (started, startedSignal) = AsyncStream.makeStream(of: Void.self)
            let (release, releaseSignal) = AsyncStream.makeStream(of: Void.self)
            let finished = Shared(false)
            queue.register(Self.work) { _, _ in
                startedSignal.yield()
                for await _ in release { break }
                finished.withLock { $0 = true }
            }
            let stopped = Shared(false)
            let (running, waiting) = try await Self.running([queue]) { group in
                let running = try await queue.enqueue(Self.work, Work(n: 1))
                for await _ in started { break }
                // Shutdown begins while the handler waits; a job queued now is left for later (or another node).
                await group.triggerGracefulShutdown()
                try await Task.sleep(for: .milliseconds(200))
                let waiting = try await queue.enqueue(Self.work, Work(n: 2))
                try await Task.sleep(for: .milliseconds(300))
                #expect(!stopped.withLock { $0 } && !finished.withLock { $0 })
                #expect(try await store.jobs.find(id: running.id)?.status == .running)
                releaseSignal.yield()
                return (running, waiting)
            }
            stopped.withLock { $0 = true }
            #expect(finished.withLock { $0 }, "the queue stopped only once its job had ended")
            #expect(try await store.jobs.find(id: running.id)?.status == .succeeded)
            #expect(try await store.jobs.find(id: waiting.id)?.status == .queued, "no claim after shutdown began")
        }
    }

    @Test(
        "a job enqueued on one node is run by another node on the same database, and its handle sees it end",
        arguments: TestBackend.available)
    func twoNodes(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, location in
            try await JobStoreTestSupport.secondNode(store, location) { other in
                // The first node runs no handler of this kind; the second does.
                let first = Self.queue(store)
                let second = Self.queue(other, place: "elsewhere")
                let ran = Shared<[Int]>([])
                second.register(Self.work) { work, _ in ran.withLock { $0.append(work.n) } }
                try await Self.running([first, second]) { _ in
                    let handle = try await first.enqueue(Self.work, Work(n: 7))
                    let done = try await handle.finished()
                    #expect(done.status == .succeeded && done.claimedBy == second.node && done.attempts == 1)
                    // A job pinned to the first node's place stays there, even for a node that handles its kind.
                    let pinned = try await first.enqueue(Self.work, Work(n: 8), pinned: true)
                    try await Task.sleep(for: .milliseconds(300))
                    #expect(try await store.jobs.find(id: pinned.id)?.status == .queued)
                }
                #expect(ran.withLock { $0 } == [7])
            }
        }
    }

    @Test(
        "a job whose node died is claimed again once its lease runs out; a live node's lease is renewed",
        arguments: TestBackend.available)
    func leases(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, location in
            // A node claims a job and dies: its lease is never renewed.
            let abandoned = try await store.jobs.enqueue(
                JobDraft(kind: Self.work.name, payload: #"{"n":1}"#, runAfter: Date(), maxAttempts: 3), at: Date())
            _ = try await store.jobs.claim(
                node: "dead", place: "here", kinds: [Self.work.name], lease: .milliseconds(300), at: Date())
            try await JobStoreTestSupport.secondNode(store, location) { other in
                // A long lease renewed often: the handler sees the lease move on within a second, and the other
                // node could claim the job only if two minutes passed without a renewal, which no busy run makes.
                var settings = Self.settings
                settings.lease = .seconds(120)
                settings.renewalInterval = .milliseconds(200)
                let first = Self.queue(store, settings: settings)
                let second = Self.queue(other, settings: settings)
                let attempts = Shared<[Int: [Int]]>([:])
                let leases = Shared<[Date]>([])
                for queue in [first, second] {
                    queue.register(Self.work) { work, context in
                        attempts.withLock { $0[work.n, default: []].append(context.attempt) }
                        guard work.n == 2 else { return }
                        // Runs until its node has renewed the lease twice.
                        while leases.withLock({ $0.count }) < 3 {
                            if let until = try await store.jobs.find(id: context.jobID)?.leaseUntil,
                                leases.withLock({ $0.last }) != until
                            {
                                leases.withLock { $0.append(until) }
                            }
                            try await Task.sleep(for: .milliseconds(100))
                        }
                    }
                }
                try await Self.running([first, second]) { _ in
                    let taken = try await first.handle(abandoned.id).finished()
                    #expect(taken.status == .succeeded && taken.attempts == 2)
                    let long = try await first.enqueue(Self.work, Work(n: 2)).finished()
                    #expect(long.status == .succeeded && long.attempts == 1, "never claimed while renewed")
                }
                #expect(attempts.withLock { $0 } == [1: [2], 2: [1]])
                let seen = leases.withLock { $0 }
                #expect(seen == seen.sorted() && seen.count == 3, "each renewal moves the lease on: \(seen)")
            }
        }
    }
}

/// A value tests share with handlers.
final class Shared<Value: Sendable>: Sendable {
    private let value: Mutex<Value>

    init(_ value: Value) {
        self.value = Mutex(value)
    }

    func withLock<Result: Sendable>(_ body: (inout Value) -> Result) -> Result {
        value.withLock { body(&$0) }
    }
}

/// A second node's store over the same database: on PostgreSQL a pool of its own; on SQLite the same store (see
/// `JobStoreConformanceTests.secondNode`: one process's pools on one SQLite file can starve each other).
enum JobStoreTestSupport {
    static func secondNode<Result: Sendable>(
        _ store: Store, _ location: DatabaseLocation, _ body: (Store) async throws -> Result
    ) async throws -> Result {
        guard store.backend == .postgres else { return try await body(store) }
        var logger = Logger(label: "huitong.tests")
        logger.logLevel = .warning
        let store = Store(
            provider: try await DatabaseConnector.open(
                location, maximumConnections: TestBackend.connectionsPerStore, logger: logger),
            rowIntegrity: store.rowIntegrity)
        do {
            let result = try await body(store)
            await store.provider.shutdown()
            return result
        } catch {
            await store.provider.shutdown()
            throw error
        }
    }
}
