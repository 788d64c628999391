import Foundation
import HuitongCore
import SQLKit

public enum JobStatus: String, Sendable, Hashable, Codable {
    /// Waiting for a node to claim it, not before `runAfter`.
    case queued
    /// Claimed: its node holds it until the lease runs out, and renews the lease while it works.
    case running
    case succeeded
    /// Failed on its last attempt (or its lease ran out during it); not tried again.
    case failed

    public var isFinished: Bool { self == .succeeded || self == .failed }
}

/// Which claim of a job a node holds: the node and the attempt it claimed. Completing, failing or renewing a job
/// takes its claim, so that a node whose lease ran out (and whose job someone else took) changes nothing.
public struct JobClaim: Sendable, Hashable {
    public var jobID: Int64
    public var node: String
    public var attempt: Int

    public init(jobID: Int64, node: String, attempt: Int) {
        self.jobID = jobID
        self.node = node
        self.attempt = attempt
    }
}

/// A job to put on the queue.
public struct JobDraft: Sendable, Hashable {
    /// What kind of work it is: names the handler that carries it out (e.g. `ingest.load`).
    public var kind: String
    /// The handler's input as JSON: ids of what it works on, never the state itself.
    public var payload: String
    /// Not claimed before this time.
    public var runAfter: Date
    /// How many times it may be claimed; the attempt that fails last (or whose lease runs out) fails the job.
    public var maxAttempts: Int
    /// Only a node of this place may claim it (the node that holds its files); any node when nil.
    public var pinnedTo: String?

    public init(kind: String, payload: String, runAfter: Date, maxAttempts: Int, pinnedTo: String? = nil) {
        self.kind = kind
        self.payload = payload
        self.runAfter = runAfter
        self.maxAttempts = maxAttempts
        self.pinnedTo = pinnedTo
    }
}

/// A job on the queue and where it stands.
public struct JobRecord: Sendable, Hashable {
    public var id: Int64
    public var kind: String
    public var payload: String
    public var status: JobStatus
    /// How many times it was claimed (the attempt under way while running).
    public var attempts: Int
    public var maxAttempts: Int
    public var runAfter: Date
    public var pinnedTo: String?
    /// The node that claimed it last.
    public var claimedBy: String?
    /// Until when that node holds it (while running).
    public var leaseUntil: Date?
    /// Why the last attempt failed.
    public var lastError: String?
    public var createdAt: Date
    public var finishedAt: Date?

    /// The claim of a running job.
    public var claim: JobClaim? {
        guard status == .running, let claimedBy else { return nil }
        return JobClaim(jobID: id, node: claimedBy, attempt: attempts)
    }
}

/// The durable job queue: work that outlives the request that asked for it, shared by every node on the database.
/// A job is claimed by one node at a time under a lease; a node that dies stops renewing, and once the lease runs
/// out any node (of the job's place, when pinned) claims it again as its next attempt.
public protocol JobRepository: Sendable {
    func enqueue(_ job: JobDraft, at time: Date) async throws -> JobRecord
    /// Claims the job due first among `kinds` that `node` may run (unpinned, or pinned to `place`): a queued job
    /// whose time has come, or a running one whose lease ran out before `time` (its node died). The claim counts an
    /// attempt and holds the job until `time + lease`. A running job whose lease ran out on its last attempt is
    /// failed instead. Nil when nothing is due. Two nodes claiming at once never get the same job.
    func claim(node: String, place: String, kinds: [String], lease: Duration, at time: Date) async throws
        -> JobRecord?
    /// Extends the claim's lease to `time + lease`; false when the claim is no longer held (the lease ran out and
    /// another node took the job, or the job ended).
    func renew(_ claim: JobClaim, lease: Duration, at time: Date) async throws -> Bool
    /// Marks the job succeeded; nil when the claim is no longer held (and nothing changed).
    func complete(_ claim: JobClaim, at time: Date) async throws -> JobRecord?
    /// Records a failed attempt: the job is queued again for `retryAt` while attempts remain, else failed for good.
    /// Nil when the claim is no longer held (and nothing changed).
    func fail(_ claim: JobClaim, error: String, retryAt: Date, at time: Date) async throws -> JobRecord?
    func find(id: Int64) async throws -> JobRecord?
    /// Removes jobs that ended before `time`; returns how many.
    func purge(finishedBefore time: Date) async throws -> Int
}

struct SQLJobRepository: JobRepository {
    let provider: any DatabaseProvider

    func enqueue(_ job: JobDraft, at time: Date) async throws -> JobRecord {
        try await provider.transaction { sql in
            let row = try await sql.raw(
                """
                INSERT INTO jobs (kind, payload, status, attempts, max_attempts, run_after, pinned_to, created_at)
                VALUES (\(bind: job.kind), \(bind: job.payload), 'queued', 0, \(bind: max(1, job.maxAttempts)),
                    \(bind: job.runAfter), \(bind: job.pinnedTo), \(bind: time))
                RETURNING *
                """
            ).first()
            return try Self.decode(row!)
        }
    }

    func claim(node: String, place: String, kinds: [String], lease: Duration, at time: Date) async throws
        -> JobRecord?
    {
        guard !kinds.isEmpty else { return nil }
        // A read first: an idle queue is polled often, and on SQLite a write would take the one writer each time.
        let due = try await provider.read { sql in
            try await sql.raw("SELECT id FROM jobs WHERE \(Self.due(kinds, place, time)) LIMIT 1").first()
        }
        guard due != nil else { return nil }
        let until = time.addingTimeInterval(lease.seconds)
        let backend = provider.backend
        return try await provider.transaction { sql in
            // A lease that ran out on the last attempt ends the job: it is not claimed again.
            let exhausted: SQLQueryString = """
                kind IN (\(binds: kinds)) AND (pinned_to IS NULL OR pinned_to = \(bind: place))
                    AND status = 'running' AND lease_until < \(bind: time) AND attempts >= max_attempts
                """
            let ended: SQLQueryString = """
                UPDATE jobs SET status = 'failed', finished_at = \(bind: time), lease_until = NULL,
                    last_error = 'lease of ' || claimed_by || ' ran out during its last attempt'
                """
            let claimed: SQLQueryString = """
                UPDATE jobs SET status = 'running', attempts = attempts + 1, claimed_by = \(bind: node),
                    lease_until = \(bind: until)
                """
            switch backend {
            case .postgres:
                // Rows another transaction holds are skipped, never waited for: claimers running at once each get
                // a different job, and none blocks behind another.
                try await sql.raw(
                    "\(ended) WHERE id IN (SELECT id FROM jobs WHERE \(exhausted) FOR UPDATE SKIP LOCKED)"
                ).run()
                guard
                    let row = try await sql.raw(
                        """
                        SELECT id FROM jobs WHERE \(Self.claimable(kinds, place, time))
                        ORDER BY run_after, id LIMIT 1 FOR UPDATE SKIP LOCKED
                        """
                    ).first()
                else { return nil }
                let id = try row.decode(column: "id", as: Int64.self)
                return try await sql.raw("\(claimed) WHERE id = \(bind: id) RETURNING *").first().map(Self.decode)
            case .sqlite:
                // One writer, which this transaction holds: the choice and the claim are one statement.
                try await sql.raw("\(ended) WHERE \(exhausted)").run()
                return try await sql.raw(
                    """
                    \(claimed) WHERE id = (
                        SELECT id FROM jobs WHERE \(Self.claimable(kinds, place, time))
                        ORDER BY run_after, id LIMIT 1)
                    RETURNING *
                    """
                ).first().map(Self.decode)
            }
        }
    }

    func renew(_ claim: JobClaim, lease: Duration, at time: Date) async throws -> Bool {
        try await provider.transaction { sql in
            try await sql.raw(
                """
                UPDATE jobs SET lease_until = \(bind: time.addingTimeInterval(lease.seconds))
                WHERE \(Self.held(claim))
                RETURNING id
                """
            ).first() != nil
        }
    }

    func complete(_ claim: JobClaim, at time: Date) async throws -> JobRecord? {
        try await provider.transaction { sql in
            try await sql.raw(
                """
                UPDATE jobs SET status = 'succeeded', finished_at = \(bind: time), lease_until = NULL
                WHERE \(Self.held(claim))
                RETURNING *
                """
            ).first().map(Self.decode)
        }
    }

    func fail(_ claim: JobClaim, error: String, retryAt: Date, at time: Date) async throws -> JobRecord? {
        try await provider.transaction { sql in
            try await sql.raw(
                """
                UPDATE jobs SET
                    status = CASE WHEN attempts < max_attempts THEN 'queued' ELSE 'failed' END,
                    run_after = CASE WHEN attempts < max_attempts THEN \(bind: retryAt) ELSE run_after END,
                    finished_at = CASE WHEN attempts < max_attempts THEN NULL ELSE \(bind: time) END,
                    last_error = \(bind: error), lease_until = NULL
                WHERE \(Self.held(claim))
                RETURNING *
                """
            ).first().map(Self.decode)
        }
    }

    func find(id: Int64) async throws -> JobRecord? {
        try await provider.read { sql in
            try await sql.raw("SELECT * FROM jobs WHERE id = \(bind: id)").first().map(Self.decode)
        }
    }

    func purge(finishedBefore time: Date) async throws -> Int {
        try await provider.transaction { sql in
            try await sql.raw(
                "DELETE FROM jobs WHERE status IN ('succeeded', 'failed') AND finished_at < \(bind: time) RETURNING id"
            ).all().count
        }
    }

    // MARK: Helpers

    /// The jobs a node of `place` that runs `kinds` has to look at `time`: queued ones whose time has come, and
    /// running ones whose lease ran out.
    static func due(_ kinds: [String], _ place: String, _ time: Date) -> SQLQueryString {
        """
        kind IN (\(binds: kinds)) AND (pinned_to IS NULL OR pinned_to = \(bind: place))
            AND ((status = 'queued' AND run_after <= \(bind: time))
                OR (status = 'running' AND lease_until < \(bind: time)))
        """
    }

    /// Of those, the ones it may claim: not a running one whose last attempt it was.
    static func claimable(_ kinds: [String], _ place: String, _ time: Date) -> SQLQueryString {
        """
        kind IN (\(binds: kinds)) AND (pinned_to IS NULL OR pinned_to = \(bind: place))
            AND ((status = 'queued' AND run_after <= \(bind: time))
                OR (status = 'running' AND lease_until < \(bind: time) AND attempts < max_attempts))
        """
    }

    /// The job while `claim` still holds it.
    static func held(_ claim: JobClaim) -> SQLQueryString {
        """
        id = \(bind: claim.jobID) AND status = 'running' AND claimed_by = \(bind: claim.node) \
        AND attempts = \(bind: claim.attempt)
        """
    }

    static func decode(_ row: any SQLRow) throws -> JobRecord {
        JobRecord(
            id: try row.decode(column: "id", as: Int64.self),
            kind: try row.decode(column: "kind", as: String.self),
            payload: try row.decode(column: "payload", as: String.self),
            status: JobStatus(rawValue: try row.decode(column: "status", as: String.self)) ?? .failed,
            attempts: try row.decode(column: "attempts", as: Int.self),
            maxAttempts: try row.decode(column: "max_attempts", as: Int.self),
            runAfter: try row.decode(column: "run_after", as: Date.self),
            pinnedTo: try row.decode(column: "pinned_to", as: String?.self),
            claimedBy: try row.decode(column: "claimed_by", as: String?.self),
            leaseUntil: try row.decode(column: "lease_until", as: Date?.self),
            lastError: try row.decode(column: "last_error", as: String?.self),
            createdAt: try row.decode(column: "created_at", as: Date.self),
            finishedAt: try row.decode(column: "finished_at", as: Date?.self))
    }
}

extension Duration {
    /// The duration in seconds, for date arithmetic.
    package var seconds: TimeInterval {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
