import Foundation
import HuitongCore
import Synchronization

/// Rate limits and daily quotas of grants, counted in this process.
///
/// The counters are an approximation on purpose: several nodes behind one PostgreSQL each count their own calls,
/// so a grant's effective rate is at most its limit times the number of nodes, and a restart forgets today's count.
/// Exact shared counters would put a database write on every call of the hot path; the audit log still records
/// every call, so overuse stays visible in the statistics.
package final class CallLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var refilledAt: ContinuousClock.Instant
        var day: CalendarDate
        var callsToday: Int
    }

    private let buckets = Mutex<[Int64: Bucket]>([:])

    package init() {}

    package enum Outcome: Equatable {
        case allowed
        case rateLimited
        case quotaExhausted
    }

    /// Takes one call from the grant's allowance: at most `perSecond` calls in any second (bursts up to one
    /// second's worth) and `perDay` calls per calendar day. Nil limits are unlimited.
    package func take(
        grant: Int64, perSecond: Int?, perDay: Int?, now: Date = Date(), instant: ContinuousClock.Instant = .now
    )
        -> Outcome
    {
        // Quotas are per calendar day in China Standard Time, like grant validity.
        let day = CalendarDate(now)
        return buckets.withLock { buckets in
            var bucket =
                buckets[grant] ?? Bucket(tokens: Double(perSecond ?? 0), refilledAt: instant, day: day, callsToday: 0)
            if bucket.day != day {
                bucket.day = day
                bucket.callsToday = 0
            }
            if let perDay, bucket.callsToday >= perDay {
                buckets[grant] = bucket
                return .quotaExhausted
            }
            if let perSecond {
                let elapsed = instant - bucket.refilledAt
                let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
                bucket.tokens = min(Double(perSecond), bucket.tokens + seconds * Double(perSecond))
                bucket.refilledAt = instant
                guard bucket.tokens >= 1 else {
                    buckets[grant] = bucket
                    return .rateLimited
                }
                bucket.tokens -= 1
            }
            bucket.callsToday += 1
            buckets[grant] = bucket
            return .allowed
        }
    }
}
