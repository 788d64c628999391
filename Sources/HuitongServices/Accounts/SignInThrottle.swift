import Foundation
import HuitongCore
import Synchronization

/// Slows password guessing down without handing anyone a lock (issue 16, finding 5).
///
/// Failures are counted three ways at once: per client address and account together, per client address, and per
/// account from anywhere. Past a few free failures, each further failure makes that counter wait twice as long as
/// the last before it takes another password (1 s, 2 s, 4 s, … up to its ceiling). The account-wide counter allows
/// many failures and waits at most a minute, so that someone guessing from many addresses is slowed while nobody
/// can keep an account's owner out; the pair counter is what slows one address guessing one account.
///
/// Counters are keyed by the name as typed, whether or not an account has it, so an unknown name is answered
/// exactly like a known one. The console's officers and the portal's developers use the same throttle, each in
/// their own realm.
///
/// Counted in this process, like `CallLimiter`: several nodes behind one PostgreSQL each count their own
/// attempts (a guesser spread over n nodes gets n times the pace), and a restart forgets the counts.
package final class SignInThrottle: Sendable {
    package struct Rule: Sendable {
        var freeFailures: Int
        var firstDelay: Duration
        var maximumDelay: Duration

        /// How long the counter waits after `failures` failures.
        func delay(after failures: Int) -> Duration {
            guard failures > freeFailures else { return .zero }
            let doublings = min(failures - freeFailures - 1, 30)
            return min(firstDelay * (1 << doublings), maximumDelay)
        }
    }

    package static let perPair = Rule(freeFailures: 3, firstDelay: .seconds(1), maximumDelay: .seconds(900))
    package static let perAddress = Rule(freeFailures: 10, firstDelay: .seconds(1), maximumDelay: .seconds(900))
    package static let perAccount = Rule(freeFailures: 20, firstDelay: .seconds(1), maximumDelay: .seconds(60))
    /// A counter with no failure for this long starts again from nothing.
    package static let memory: Duration = .seconds(3600)

    package enum Realm: String, Sendable {
        case console
        case portal
    }

    /// How long an attempt that was let through counts as under way: it ends with `failed` or `succeeded`, or,
    /// when neither came (the request failed otherwise), after this.
    package static let attemptLifetime: Duration = .seconds(30)

    private struct Counter {
        var failures = 0
        var last: ContinuousClock.Instant
        var notBefore: ContinuousClock.Instant
        /// Attempts let through whose password is still being checked. A burst of attempts sent at once would
        /// otherwise all pass `check` before the first failure is counted.
        var underWay: [ContinuousClock.Instant] = []

        /// Attempts that may be under way at once: as many as the failures still free, and one past them.
        func admits(_ rule: Rule) -> Bool { underWay.count < max(1, rule.freeFailures - failures) }

        mutating func finishOne() { if !underWay.isEmpty { underWay.removeFirst() } }
    }

    private let counters = Mutex<[String: Counter]>([:])
    package let now: @Sendable () -> ContinuousClock.Instant

    package init(now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }) {
        self.now = now
    }

    private static func keys(_ realm: Realm, account: String, address: String?) -> [(String, Rule)] {
        let name = account.trimmingCharacters(in: .whitespaces).lowercased().prefix(200)
        let address = address ?? "unknown"
        return [
            ("\(realm.rawValue)|pair|\(address)|\(name)", perPair),
            ("\(realm.rawValue)|address|\(address)", perAddress),
            ("\(realm.rawValue)|account|\(name)", perAccount),
        ]
    }

    /// Before a password is checked: refuses while any of the attempt's counters is waiting, saying how long, or
    /// while as many attempts are under way as the counter has failures left; otherwise counts the attempt as
    /// under way until `failed` or `succeeded`.
    package func check(_ realm: Realm, account: String, address: String?) throws(AccessError) {
        let instant = now()
        let keys = Self.keys(realm, account: account, address: address)
        let wait = counters.withLock { counters in
            var wait = Duration.zero
            for (key, rule) in keys {
                guard var counter = counters[key] else { continue }
                counter.underWay.removeAll { instant - $0 >= Self.attemptLifetime }
                counters[key] = counter
                wait = max(wait, counter.notBefore - instant, counter.admits(rule) ? .zero : rule.firstDelay)
            }
            guard wait <= .zero else { return wait }
            for (key, _) in keys {
                counters[key, default: Counter(last: instant, notBefore: instant)].underWay.append(instant)
            }
            return wait
        }
        if wait > .zero {
            let seconds = Int(wait.components.seconds) + (wait.components.attoseconds > 0 ? 1 : 0)
            throw AccessError.signInThrottled(retryAfterSeconds: seconds)
        }
    }

    /// A wrong password (or an unknown name, or a disabled account: they are not told apart).
    package func failed(_ realm: Realm, account: String, address: String?) {
        let instant = now()
        let keys = Self.keys(realm, account: account, address: address)
        counters.withLock { counters in
            // Forgotten counters go when the table grows, so that many one-off names cannot fill memory.
            if counters.count > 50_000 { counters = counters.filter { instant - $0.value.last < Self.memory } }
            for (key, rule) in keys {
                var counter = counters[key] ?? Counter(last: instant, notBefore: instant)
                counter.finishOne()
                if instant - counter.last >= Self.memory { counter.failures = 0 }
                counter.failures += 1
                counter.last = instant
                counter.notBefore = instant + rule.delay(after: counter.failures)
                counters[key] = counter
            }
        }
    }

    /// The right password: the account's own counters start again; the address keeps its count.
    package func succeeded(_ realm: Realm, account: String, address: String?) {
        let keys = Self.keys(realm, account: account, address: address)
        counters.withLock { counters in
            counters[keys[0].0] = nil
            counters[keys[1].0]?.finishOne()
            counters[keys[2].0] = nil
        }
    }
}
