import Foundation
import HuitongCore
import HuitongStore
import Logging
import ServiceLifecycle
import Synchronization

/// A kind of job, named on the queue, with the type of its payload (ids of what it works on; the handler reads the
/// state itself when it runs).
public struct JobKind<Payload: Codable & Sendable>: Sendable, Hashable {
    public let name: String

    public init(_ name: String) {
        self.name = name
    }
}

/// What a handler knows of the job it carries out.
public struct JobContext: Sendable, Hashable {
    public let jobID: Int64
    /// 1 on the first claim; more when an earlier attempt failed, or was cut short (its node died, or lost its
    /// lease) before it could say how it ended.
    public let attempt: Int
    public let maxAttempts: Int

    public init(jobID: Int64, attempt: Int, maxAttempts: Int) {
        self.jobID = jobID
        self.attempt = attempt
        self.maxAttempts = maxAttempts
    }
}

/// A job put on the queue, to follow until it ends.
public struct JobHandle: Sendable {
    public let id: Int64
    let queue: JobQueue

    /// Waits until the job has ended (succeeded, or failed for good), wherever it runs, and returns its record.
    /// A job this node runs is seen to end at once; one that another node runs is looked up every poll interval.
    @discardableResult
    public func finished() async throws -> JobRecord {
        try await queue.finished(id)
    }
}

/// Work that outlives the request that asked for it (a load, a quality run, the run after a correction), kept in the
/// database (`JobRepository`) so that it survives the node and is shared by every node on one database.
///
/// Each node claims due jobs of the kinds it has handlers for, one claim per job at a time under a lease that the
/// node renews while the handler works. A node that dies stops renewing; once the lease runs out, another node (or
/// the same one restarted) claims the job again as its next attempt, and the handler, told the attempt, finishes or
/// cleans up what the cut-short attempt left. A handler that throws has its job tried again after a delay that
/// doubles with each attempt, until the attempts run out and the job is failed.
///
/// Jobs enqueued on this node wake it at once; others (from other nodes, retries, jobs of dead nodes) are found by
/// polling. On graceful shutdown the node stops claiming and waits for the jobs it runs.
public final class JobQueue: Service, Sendable {
    public let settings: JobSettings
    /// Names this queue's claims (host, process and a random part): unique among the database's nodes.
    public let node: String
    /// Where this node keeps files (host and folder): jobs pinned to it are claimed only here.
    public let place: String
    let jobs: any JobRepository
    let logger: Logger
    private let state = Mutex(State())
    private let wake = WakeSignal()

    /// How long ended jobs stay on the queue before `purge` removes them.
    public static let retention: Duration = .seconds(7 * 86_400)

    typealias Handler = @Sendable (String, JobContext) async throws -> Void

    private struct State {
        var handlers: [String: Handler] = [:]
        var running = 0
        /// Who waits for which job to end (`JobHandle.finished`).
        var watchers: [Int64: [WakeSignal]] = [:]
    }

    public init(store: Store, settings: JobSettings, place: String, logger: Logger = Logger(label: "huitong.jobs")) {
        self.jobs = store.jobs
        self.settings = settings
        self.place = place
        self.logger = logger
        node = "\(ProcessName.host)|\(getpid())|\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// Carries out jobs of `kind` on this node. Register every kind before the queue runs: a node claims only the
    /// kinds it has handlers for.
    public func register<Payload>(
        _ kind: JobKind<Payload>, _ handler: @escaping @Sendable (Payload, JobContext) async throws -> Void
    ) {
        state.withLock { state in
            state.handlers[kind.name] = { text, context in
                try await handler(try JSONDecoder().decode(Payload.self, from: Data(text.utf8)), context)
            }
        }
    }

    /// Puts a job on the queue, due after `delay`; `pinned` keeps it on this node's place (its files are here).
    @discardableResult
    public func enqueue<Payload>(
        _ kind: JobKind<Payload>, _ payload: Payload, after delay: Duration = .zero, pinned: Bool = false
    ) async throws -> JobHandle {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let now = Date()
        let record = try await jobs.enqueue(
            JobDraft(
                kind: kind.name, payload: String(decoding: try encoder.encode(payload), as: UTF8.self),
                runAfter: now.addingTimeInterval(delay.timeInterval), maxAttempts: settings.maximumAttempts,
                pinnedTo: pinned ? place : nil),
            at: now)
        wake.signal()
        return JobHandle(id: record.id, queue: self)
    }

    /// A handle of a job already on the queue.
    public func handle(_ id: Int64) -> JobHandle {
        JobHandle(id: id, queue: self)
    }

    /// Removes jobs that ended more than `retention` ago; returns how many.
    public func purge(now: Date = Date()) async throws -> Int {
        try await jobs.purge(finishedBefore: now.addingTimeInterval(-Self.retention.timeInterval))
    }

    public func run() async throws {
        await withDiscardingTaskGroup { group in
            while !Task.isShuttingDownGracefully && !Task.isCancelled {
                await claimDue(into: &group)
                await cancelWhenGracefulShutdown { [wake, settings] in await wake.wait(upTo: settings.pollInterval) }
            }
            // Claims stop here; leaving the group waits for the jobs under way.
        }
        // The handlers hold the use cases that hold this queue: let go of them once nothing runs.
        state.withLock { $0.handlers = [:] }
    }

    /// Claims due jobs while this node has room for them, each run as a child task of the queue.
    private func claimDue(into group: inout DiscardingTaskGroup) async {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let kinds = state.withLock { state in
                state.running < settings.concurrency ? Array(state.handlers.keys) : nil
            }
            guard let kinds, !kinds.isEmpty else { return }
            let job: JobRecord?
            do {
                job = try await jobs.claim(node: node, place: place, kinds: kinds, lease: settings.lease, at: Date())
            } catch {
                logger.warning("claiming a job failed", metadata: ["error": "\(error)"])
                return
            }
            guard let job else { return }
            state.withLock { $0.running += 1 }
            group.addTask { [self] in
                await execute(job)
                state.withLock { $0.running -= 1 }
                // Room for the next job.
                wake.signal()
            }
        }
    }

    private enum Outcome: Sendable {
        case done
        case failed(any Error)
        case leaseLost
    }

    /// Runs a claimed job's handler while keeping its lease, then records how it ended. Nothing here is cancelled:
    /// a task cancelled inside a database transaction could leave its connection without its rollback. A lease
    /// found lost lets the handler finish (handlers tolerate a second run) and records nothing.
    private func execute(_ job: JobRecord) async {
        guard let claim = job.claim, let handler = state.withLock({ $0.handlers[job.kind] }) else { return }
        let context = JobContext(jobID: job.id, attempt: job.attempts, maxAttempts: job.maxAttempts)
        let metadata: Logger.Metadata = ["job": "\(job.id)", "kind": "\(job.kind)", "attempt": "\(job.attempts)"]
        let ended = LeaseKeeping()
        let outcome = await withTaskGroup(of: Outcome?.self) { group in
            group.addTask {
                defer { ended.stop() }
                do {
                    try await handler(job.payload, context)
                    return .done
                } catch {
                    return .failed(error)
                }
            }
            group.addTask { [self] in await keepLease(claim, until: ended) }
            var handled: Outcome?
            var lost = false
            while let next = await group.next() {
                switch next {
                case .leaseLost?: lost = true
                case let result?: handled = result
                case nil: break
                }
            }
            return lost ? .leaseLost : handled ?? .leaseLost
        }
        do {
            switch outcome {
            case .done:
                if try await jobs.complete(claim, at: Date()) == nil {
                    logger.warning("job done after its lease was lost", metadata: metadata)
                }
            case .failed(let error):
                let delay = settings.retryDelay(after: job.attempts)
                let message = Self.describe(error)
                let record = try await jobs.fail(
                    claim, error: message, retryAt: Date().addingTimeInterval(delay.timeInterval), at: Date())
                var detail = metadata
                detail["error"] = "\(message)"
                if record?.status == .queued {
                    logger.warning("job failed; it will be tried again", metadata: detail)
                } else {
                    logger.error("job failed", metadata: detail)
                }
            case .leaseLost:
                logger.warning("job ended after its lease was lost to another claim", metadata: metadata)
            }
        } catch {
            // The job stays claimed until its lease runs out; then it is claimed again.
            var detail = metadata
            detail["error"] = "\(error)"
            logger.error("how the job ended could not be recorded", metadata: detail)
        }
        for watcher in state.withLock({ $0.watchers[job.id] ?? [] }) { watcher.signal() }
    }

    /// Renews the claim's lease (every third of its length by default) until the handler ends (nil), or until the claim turns
    /// out lost (`leaseLost`).
    private func keepLease(_ claim: JobClaim, until ended: LeaseKeeping) async -> Outcome? {
        while true {
            await ended.signal.wait(upTo: settings.renewalInterval)
            if ended.isStopped { return nil }
            do {
                if try await !jobs.renew(claim, lease: settings.lease, at: Date()) {
                    logger.warning("a job's lease was lost", metadata: ["job": "\(claim.jobID)"])
                    return .leaseLost
                }
            } catch {
                // Tried again at the next turn; the lease lasts two more.
                logger.warning(
                    "renewing a job's lease failed", metadata: ["job": "\(claim.jobID)", "error": "\(error)"])
            }
        }
    }

    func finished(_ id: Int64) async throws -> JobRecord {
        let signal = WakeSignal()
        state.withLock { $0.watchers[id, default: []].append(signal) }
        defer {
            state.withLock { state in
                state.watchers[id]?.removeAll { $0 === signal }
                if state.watchers[id]?.isEmpty == true { state.watchers[id] = nil }
            }
        }
        while true {
            guard let record = try await jobs.find(id: id) else {
                throw StoreError.notFound(entity: "job", key: "\(id)")
            }
            if record.status.isFinished { return record }
            try Task.checkCancellation()
            await signal.wait(upTo: settings.pollInterval)
        }
    }

    /// What a failed attempt leaves on the job: the platform's own explanation, or the error as it describes itself.
    static func describe(_ error: any Error) -> String {
        if let error = error as? any HuitongError {
            let details = error.details.map { "\($0.field): \($0.message)" }
            return ([error.message.combined] + details).joined(separator: "; ")
        }
        return "\(error)"
    }
}

/// Tells a job's lease keeper that its handler has ended.
final class LeaseKeeping: Sendable {
    let signal = WakeSignal()
    private let stopped = Atomic(false)

    var isStopped: Bool { stopped.load(ordering: .acquiring) }

    func stop() {
        stopped.store(true, ordering: .releasing)
        signal.signal()
    }
}

/// Wakes one waiter: a signal given while nobody waits is kept for the next wait, so none is lost.
final class WakeSignal: Sendable {
    private struct State {
        var signalled = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    func signal() {
        let waiter = state.withLock { state in
            guard let waiter = state.waiter else {
                state.signalled = true
                return nil as CheckedContinuation<Void, Never>?
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Returns at a signal (one given since the last wait returned counts), after `timeout`, or when cancelled.
    func wait(upTo timeout: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.signalled() }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
    }

    private func signalled() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state in
                    if Task.isCancelled { return true }
                    if state.signalled {
                        state.signalled = false
                        return true
                    }
                    state.waiter = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume()
        }
    }
}

/// The host this process runs on, as the system names it.
enum ProcessName {
    static let host: String = {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "localhost" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }()
}
