import Foundation
import HuitongCore
import HuitongCrypto
import Logging
import Synchronization

/// Proof that an event is in the log: committed as entry `sequence` with this hash.
public struct AuditReceipt: Sendable, Hashable {
    public var sequence: Int64
    public var hash: AuditHash

    public init(sequence: Int64, hash: AuditHash) {
        self.sequence = sequence
        self.hash = hash
    }
}

/// Why an event could not be audited. Callers fail closed on it: a gateway call whose audit entry was not
/// written is answered with this error, never with data.
public enum AuditLogError: HuitongError {
    /// The batch holding the event was not committed (the database refused or failed).
    case unavailable
    /// More events wait to be written than the log takes (`AuditConfiguration.maximumBacklog`): the database is
    /// too slow or away, and the call is refused rather than served unaudited.
    case backlogFull
    /// The event breaks the log's limits (a programming error in the caller).
    case invalidEvent(ValidationError)

    public var code: String {
        switch self {
        case .unavailable: "audit_unavailable"
        case .backlogFull: "audit_backlog_full"
        case .invalidEvent: "audit_event_invalid"
        }
    }

    public var kind: ErrorKind {
        switch self {
        case .unavailable, .backlogFull: .unavailable
        case .invalidEvent: .internal
        }
    }

    public var message: BilingualText {
        switch self {
        case .unavailable:
            BilingualText(
                zh: "审计日志暂时无法写入，本次调用已拒绝", en: "the audit log cannot be written just now; the call was refused")
        case .backlogFull:
            BilingualText(
                zh: "待写入的审计日志过多，本次调用已拒绝，请稍后再试",
                en: "too many audit entries are waiting to be written; the call was refused, try again shortly")
        case .invalidEvent:
            BilingualText(zh: "审计事件不符合要求，本次调用已拒绝", en: "the audit event is malformed; the call was refused")
        }
    }

    public var details: [FieldIssue] {
        if case .invalidEvent(let error) = self { return error.issues }
        return []
    }
}

/// The audit log as callers see it: `append` returns once the event is committed, and throws when it is not.
///
/// Group commit: appends that arrive while a batch is being written queue up and go together in the next
/// transaction, so under load one fsync serves many calls, and with a single caller nothing waits for company.
/// Each waiter resumes only after its batch's transaction committed (with its receipt) or failed (with the error:
/// every event of a failed batch is reported unwritten, none half-written).
public final class AuditLog: Sendable {
    private struct Waiter {
        var events: [AuditEvent]
        var continuation: CheckedContinuation<[AuditEntry], any Error>
    }

    private struct State {
        var queue: [Waiter] = []
        var writing = false
        var sinceCheckpoint = 0
        /// Events queued and not yet taken by the writer.
        var waiting = 0
    }

    private let repository: any AuditLogRepository
    /// The suite new entries are sealed under: the node's.
    public let suite: CryptoSuiteID
    private let maximumBatch: Int
    private let checkpointEvery: Int
    private let maximumBacklog: Int
    private let state = Mutex(State())
    private let logger: Logger
    /// Signals the checkpointer that `checkpointEvery` entries were appended.
    let checkpointDue: AsyncStream<Void>
    private let checkpointSignal: AsyncStream<Void>.Continuation

    public init(
        repository: any AuditLogRepository, suite: CryptoSuiteID, maximumBatch: Int = 512, checkpointEvery: Int = 1000,
        maximumBacklog: Int = 10_000, logger: Logger = Logger(label: "huitong.audit")
    ) {
        self.maximumBacklog = max(1, maximumBacklog)
        self.repository = repository
        self.suite = suite
        self.maximumBatch = max(1, maximumBatch)
        self.checkpointEvery = max(1, checkpointEvery)
        self.logger = logger
        (checkpointDue, checkpointSignal) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Events queued and not yet taken by the writer (bounded by `maximumBacklog`).
    public var waitingCount: Int { state.withLock { $0.waiting } }

    /// Appends one event; returns once it is committed.
    public func append(_ event: AuditEvent) async throws -> AuditReceipt {
        try await append(contentsOf: [event])[0]
    }

    /// Appends events as consecutive entries, all in one transaction: all are committed, or none.
    public func append(contentsOf events: [AuditEvent]) async throws -> [AuditReceipt] {
        guard !events.isEmpty else { return [] }
        for event in events {
            do {
                _ = try event.validated()
            } catch {
                throw AuditLogError.invalidEvent(error)
            }
        }
        let entries = try await withCheckedThrowingContinuation { continuation in
            let lead: Bool? = state.withLock { state in
                guard state.waiting == 0 || state.waiting + events.count <= maximumBacklog else { return nil }
                state.queue.append(Waiter(events: events, continuation: continuation))
                state.waiting += events.count
                guard !state.writing else { return false }
                state.writing = true
                return true
            }
            guard let lead else {
                continuation.resume(throwing: AuditLogError.backlogFull)
                return
            }
            // The writer is a task of its own: it outlives any one caller, so a caller that gives up cannot strand
            // the others' events.
            if lead { Task { await self.drain() } }
        }
        return entries.map { AuditReceipt(sequence: $0.sequence, hash: $0.hash) }
    }

    /// Writes queued batches until the queue is empty.
    private func drain() async {
        while true {
            let batch: [Waiter] = state.withLock { state in
                guard !state.queue.isEmpty else {
                    state.writing = false
                    return []
                }
                var taken = 0
                var count = 0
                // A caller's events always travel together, even beyond the batch size.
                while taken < state.queue.count,
                    count == 0 || count + state.queue[taken].events.count <= maximumBatch
                {
                    count += state.queue[taken].events.count
                    taken += 1
                }
                let batch = Array(state.queue.prefix(taken))
                state.queue.removeFirst(taken)
                state.waiting -= count
                return batch
            }
            if batch.isEmpty { return }
            do {
                let entries = try await repository.append(batch.flatMap(\.events), suite: suite)
                var offset = 0
                for waiter in batch {
                    let count = waiter.events.count
                    waiter.continuation.resume(returning: Array(entries[offset..<offset + count]))
                    offset += count
                }
                let due = state.withLock { state in
                    state.sinceCheckpoint += entries.count
                    guard state.sinceCheckpoint >= checkpointEvery else { return false }
                    state.sinceCheckpoint = 0
                    return true
                }
                if due { checkpointSignal.yield() }
            } catch {
                logger.error(
                    "audit append failed; the calls in this batch are refused",
                    metadata: ["events": "\(batch.map(\.events.count).reduce(0, +))", "error": "\(error)"])
                for waiter in batch { waiter.continuation.resume(throwing: AuditLogError.unavailable) }
            }
        }
    }

    /// Ends the checkpoint signal; the checkpointer then stops after a last checkpoint.
    func finishSignals() {
        checkpointSignal.finish()
    }

    /// Wakes the checkpointer as if enough entries had been appended.
    func signalCheckpoint() {
        checkpointSignal.yield()
    }
}
