import Foundation
import HuitongCore
import Logging
import SQLKit
import Synchronization

/// PostgreSQL streaming replicas that take reads off the primary (`HUITONG_DATABASE_READ_URLS`).
///
/// Each replica is judged by `check`: `ok` while it answers and has replayed a cluster heartbeat written no longer
/// than the lag bound ago (`ClusterMembership` writes one every second on the primary, so a replica whose
/// streaming stalled is seen to fall behind, not only one that replays slowly); `lagging` beyond the bound; `down`
/// when it does not answer. Reads go to an `ok` replica, in turn; with none, to the primary; and when the primary
/// is unreachable too, to a replica that answers, however far behind (stale reads rather than none: writes fail
/// closed meanwhile).
public final class ReadReplicas: Sendable {
    public enum State: String, Sendable, Hashable {
        case ok
        case lagging
        case down
    }

    public struct Status: Sendable, Hashable {
        /// Host, port and database: never the password.
        public var name: String
        public var state: State
        /// How old the newest heartbeat it has replayed is; nil when it does not answer or has none yet.
        public var lagSeconds: Double?
    }

    private struct Replica: Sendable {
        var name: String
        var provider: PostgresDatabaseProvider
    }

    private let replicas: [Replica]
    private let statuses: Mutex<[Status]>
    private let turn = Atomic<Int>(0)
    public let maximumLag: Duration

    private init(replicas: [Replica], maximumLag: Duration) {
        self.replicas = replicas
        self.maximumLag = maximumLag
        // Unknown until the first check: not read from before it.
        self.statuses = Mutex(replicas.map { Status(name: $0.name, state: .down, lagSeconds: nil) })
    }

    /// Opens a pool for each replica without waiting for it to answer: one that is down at start is read from
    /// once it answers.
    public static func open(
        urls: [String], maximumLag: Duration, maximumConnections: Int, waitLimit: Duration, logger: Logger
    ) async throws -> ReadReplicas {
        var replicas: [Replica] = []
        for url in urls {
            let provider = try await PostgresDatabaseProvider.open(
                url: url, maximumConnections: maximumConnections, waitLimit: waitLimit, probe: false, logger: logger)
            replicas.append(Replica(name: Self.name(of: url), provider: provider))
        }
        return ReadReplicas(replicas: replicas, maximumLag: maximumLag)
    }

    /// `host:port/database` of a URL.
    static func name(of url: String) -> String {
        guard let components = URLComponents(string: url) else { return "replica" }
        return "\(components.host ?? "?"):\(components.port ?? 5432)\(components.path)"
    }

    public var current: [Status] { statuses.withLock { $0 } }

    /// Whether the primary answered the last time it was asked (set by the routing provider that owns this set).
    public var primaryReachable: Bool { primary.withLock { $0 }?.isReachable ?? true }
    private let primary = Mutex<PostgresDatabaseProvider?>(nil)

    func attach(primary provider: any DatabaseProvider) {
        primary.withLock { $0 = provider as? PostgresDatabaseProvider }
    }

    /// Asks every replica how far behind it is: how much older than `now` (by this node's clock, or the time of the
    /// last heartbeat written while the primary is away) the newest heartbeat it has replayed is.
    public func check(now: Date = Date(), within deadline: Duration = .seconds(2)) async {
        // Each replica is asked in a task of its own and waited for at most `deadline`: one that hangs (a network
        // that drops packets after the connection was made) is `down` without holding up the others' checks, and is
        // not asked again until its last question has ended.
        let questions: [Task<Date?, any Error>] = replicas.indices.map { index in
            inFlight.withLock { inFlight in
                if let asking = inFlight[index] { return asking }
                let provider = replicas[index].provider
                // Made under the lock, so that it cannot leave the register before it is in it.
                let asking = Task {
                    defer { self.inFlight.withLock { _ = $0.removeValue(forKey: index) } }
                    return try await SQLClusterRepository(provider: provider).newestHeartbeat()
                }
                inFlight[index] = asking
                return asking
            }
        }
        var found: [Status] = []
        for (index, replica) in replicas.enumerated() {
            var status = Status(name: replica.name, state: .down, lagSeconds: nil)
            switch await Self.answer(of: questions[index], within: deadline) {
            case .some(.success(let newest)):
                if let newest {
                    let lag = max(0, now.timeIntervalSince(newest))
                    status.lagSeconds = lag
                    status.state = lag <= maximumLag.seconds ? .ok : .lagging
                } else {
                    status.state = .lagging
                }
            case .some(.failure), .none:
                status.state = .down
            }
            found.append(status)
        }
        statuses.withLock { $0 = found }
    }

    /// Replicas' questions not yet answered, by index.
    private let inFlight = Mutex<[Int: Task<Date?, any Error>]>([:])

    /// The task's outcome, or nil when it has none within `deadline` (the task goes on; its outcome is dropped).
    private static func answer(of task: Task<Date?, any Error>, within deadline: Duration) async
        -> Result<Date?, any Error>?
    {
        let first = FirstOutcome()
        return await withCheckedContinuation { continuation in
            Task {
                let result = await task.result
                if first.claim() { continuation.resume(returning: result) }
            }
            Task {
                try? await Task.sleep(for: deadline)
                if first.claim() { continuation.resume(returning: nil) }
            }
        }
    }

    /// The replica to read from, or nil for the primary.
    func reader() -> (index: Int, provider: PostgresDatabaseProvider)? {
        let states = statuses.withLock { $0.map(\.state) }
        var candidates = states.indices.filter { states[$0] == .ok && replicas[$0].provider.isReachable }
        if candidates.isEmpty && !primaryReachable {
            candidates = states.indices.filter { states[$0] != .down && replicas[$0].provider.isReachable }
        }
        guard !candidates.isEmpty else { return nil }
        let index = candidates[turn.add(1, ordering: .relaxed).oldValue % candidates.count]
        return (index, replicas[index].provider)
    }

    /// Marks a replica down after a read on it failed for want of a connection, until the next check.
    func markDown(_ index: Int) {
        statuses.withLock { $0[index].state = .down }
    }

    public func shutdown() async {
        for replica in replicas { await replica.provider.shutdown() }
    }
}

/// A provider for the reads a replica may answer: `read` goes to a replica (`ReadReplicas.reader`), or to the
/// primary when none is fit; transactions, bulk loads and the audit log always go to the primary.
public final class ReplicaRoutingProvider: DatabaseProvider {
    public let primary: any DatabaseProvider
    public let replicas: ReadReplicas
    public var backend: Backend { primary.backend }

    public init(primary: any DatabaseProvider, replicas: ReadReplicas) {
        self.primary = primary
        self.replicas = replicas
        replicas.attach(primary: primary)
    }

    public func read<Result: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> Result) async throws
        -> Result
    {
        if let (index, replica) = replicas.reader() {
            // Any failure of a replica is answered by the primary: one that is unreachable is also skipped until the
            // next check; another (say, a query cancelled for conflicting with recovery) only costs this read twice.
            do {
                return try await replica.read(body)
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                if (error as? StoreError) == .databaseUnreachable { replicas.markDown(index) }
            }
        }
        return try await primary.read(body)
    }

    public func transaction<Result: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> Result) async throws
        -> Result
    {
        try await primary.transaction(body)
    }

    public func bulkInsert(_ insert: BulkInsert) async throws {
        try await primary.bulkInsert(insert)
    }

    public var poolStatistics: PoolStatistics { primary.poolStatistics }

    /// On PostgreSQL the audit log is in the same database (on SQLite it has a file of its own, and no replicas): its statistics (rollups) are read from a replica too,
    /// while appends, which are transactions, go to the primary. (The node appends through the primary store's
    /// `AuditLog` in any case.)
    public var auditProvider: any DatabaseProvider {
        primary is PostgresDatabaseProvider ? self : primary.auditProvider
    }

    public func run() async throws {}

    /// The primary and the replicas are closed by their owner (the node's store), not through this view of them.
    public func shutdown() async {}
}

/// Lets one of several racers through.
private final class FirstOutcome: Sendable {
    private let taken = Atomic<Bool>(false)

    func claim() -> Bool {
        taken.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
    }
}
