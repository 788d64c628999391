import Foundation
import HuitongCore
import HuitongStore
import Synchronization

/// Rate limits and daily quotas of grants.
///
/// On one node (SQLite, or a node alone) both are counted in this process. Nodes on one PostgreSQL share them
/// (`shared`):
/// - a daily quota is never exceeded across the cluster: each node takes the calls it serves from the grant's quota
///   in the database in chunks (`QuotaChunk`), and serves a call only from a chunk it holds. The bounded error is on
///   the safe side: while one node still holds calls of the last chunks, another may refuse a call as over quota
///   (at most one chunk per node early), and a node that dies loses the rest of its chunk for that day;
/// - a per-second limit is split evenly among the live nodes (`ClusterMembership`), so the cluster's rate stays at the
///   limit when the load balancer spreads calls evenly; each node allows a burst of at least one call, and a node that
///   joins or leaves is counted within a few heartbeats.
package final class CallLimiter: Sendable {
    /// The database side of shared quotas, and how many nodes share the per-second limits.
    package struct Shared: Sendable {
        package var cluster: any ClusterRepository
        package var liveNodes: @Sendable () -> Int

        package init(cluster: any ClusterRepository, liveNodes: @escaping @Sendable () -> Int) {
            self.cluster = cluster
            self.liveNodes = liveNodes
        }
    }

    private struct Bucket {
        var tokens: Double
        var refilledAt: ContinuousClock.Instant
        var day: CalendarDate
        /// Counted here: calls served today. Shared: calls of today's quota this node holds and has not served.
        var callsToday: Int
        /// Shared: the quota found used up today (the limit it was for).
        var exhaustedLimit: Int?
        /// Shared: the chunk being taken from the database; calls that find the bucket empty meanwhile wait for it
        /// rather than each take a chunk of their own (a burst would otherwise take a day's quota to one node).
        var pending: ChunkTake?
    }

    /// One taking of a chunk, awaited by every call that needs it.
    private final class ChunkTake: Sendable {
        let task: Task<Int, any Error>
        init(_ task: Task<Int, any Error>) { self.task = task }
    }

    private let buckets = Mutex<[Int64: Bucket]>([:])
    private let shared: Shared?

    package init(shared: Shared? = nil) {
        self.shared = shared
    }

    package enum Outcome: Equatable {
        case allowed
        case rateLimited
        case quotaExhausted
    }

    /// How many calls a node takes from a shared quota at a time: a tenth of its share of the day, between 1 and
    /// 1,000. Small quotas are taken call by call (exact); large ones cost one database write per chunk.
    package static func quotaChunk(perDay: Int, nodes: Int) -> Int {
        min(1000, max(1, perDay / (10 * max(1, nodes))))
    }

    /// Takes one call from the grant's allowance: at most `perSecond` calls in any second (bursts up to one
    /// second's worth) and `perDay` calls per calendar day. Nil limits are unlimited. Throws only when a shared
    /// quota cannot be read (the database is unreachable): the call is then not served.
    package func take(
        grant: Int64, perSecond: Int?, perDay: Int?, now: Date = Date(), instant: ContinuousClock.Instant = .now
    ) async throws -> Outcome {
        // Quotas are per calendar day in China Standard Time, like grant validity.
        let day = CalendarDate(now)
        let nodes = max(1, shared?.liveNodes() ?? 1)
        let rate = perSecond.map { Double($0) / Double(nodes) }
        enum Step {
            case done(Outcome)
            case wait(ChunkTake)
        }
        while true {
            let step: Step = buckets.withLock { buckets in
                var bucket = Self.bucket(buckets[grant], day: day, rate: rate, instant: instant)
                defer { buckets[grant] = bucket }
                if let perDay {
                    if let shared {
                        if bucket.callsToday == 0 {
                            if bucket.exhaustedLimit == perDay { return .done(.quotaExhausted) }
                            if let pending = bucket.pending { return .wait(pending) }
                            let chunk = Self.quotaChunk(perDay: perDay, nodes: nodes)
                            let take = ChunkTake(
                                Task {
                                    try await shared.cluster.takeQuota(
                                        grant: grant, day: day, chunk: chunk, limit: perDay)
                                })
                            bucket.pending = take
                            return .wait(take)
                        }
                    } else if bucket.callsToday >= perDay {
                        return .done(.quotaExhausted)
                    }
                }
                return .done(Self.serve(&bucket, rate: rate, instant: instant, shared: shared != nil && perDay != nil))
            }
            guard case .wait(let take) = step else {
                if case .done(let outcome) = step { return outcome }
                return .allowed
            }
            let got: Int
            do {
                got = try await take.task.value
            } catch {
                buckets.withLock { buckets in
                    if buckets[grant]?.pending === take { buckets[grant]?.pending = nil }
                }
                throw error
            }
            // The first call back files the chunk; then every waiter tries again (another chunk when this one is
            // spent before its turn, a refusal once the day's quota is).
            buckets.withLock { buckets in
                guard var bucket = buckets[grant], bucket.pending === take else { return }
                bucket.pending = nil
                if bucket.day == day {
                    bucket.callsToday += got
                    if got == 0 { bucket.exhaustedLimit = perDay }
                }
                buckets[grant] = bucket
            }
        }
    }

    /// The grant's bucket, started afresh on a new day, its per-second tokens refilled up to `instant`.
    private static func bucket(
        _ found: Bucket?, day: CalendarDate, rate: Double?, instant: ContinuousClock.Instant
    ) -> Bucket {
        let capacity = rate.map { max(1, $0) } ?? 0
        var bucket =
            found ?? Bucket(tokens: capacity, refilledAt: instant, day: day, callsToday: 0, exhaustedLimit: nil)
        // Only forward: a call that began before midnight and ends after it finds the bucket on the new day already.
        if bucket.day < day {
            bucket.day = day
            bucket.callsToday = 0
            bucket.exhaustedLimit = nil
        }
        if let rate {
            bucket.tokens = min(capacity, bucket.tokens + max(0, (instant - bucket.refilledAt).seconds) * rate)
            bucket.refilledAt = max(bucket.refilledAt, instant)
        }
        return bucket
    }

    /// Serves one call from a refilled bucket: a per-second token, and one of today's calls (counted here, or taken
    /// from the chunk this node holds).
    private static func serve(
        _ bucket: inout Bucket, rate: Double?, instant: ContinuousClock.Instant, shared: Bool
    ) -> Outcome {
        if rate != nil {
            guard bucket.tokens >= 1 else { return .rateLimited }
            bucket.tokens -= 1
        }
        bucket.callsToday += shared ? -1 : 1
        return .allowed
    }
}
