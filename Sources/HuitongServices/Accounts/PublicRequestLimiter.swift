import Foundation
import Synchronization

/// Limits how many requests one client address may make of a public route in a window: objections through the
/// portal (so that the form cannot flood providers), licence verifications (so that identifiers cannot be walked).
/// Every attempt counts, accepted or refused, so that probing the validation costs as much as a valid request.
///
/// Counted in this process on purpose: several nodes behind one PostgreSQL each allow the limit (an
/// approximation, like `CallLimiter`), and a restart forgets the counts. The address is the connection's peer; a
/// node behind a reverse proxy sees the proxy's address, which then shares one allowance.
package final class PublicRequestLimiter: Sendable {
    private struct Window {
        var start: ContinuousClock.Instant
        var count: Int
    }

    private let windows = Mutex<[String: Window]>([:])
    package let limit: Int
    package let window: Duration

    package init(limit: Int, window: Duration) {
        self.limit = limit
        self.window = window
    }

    /// Counts one attempt from `client`; false once the client has used up the window's allowance.
    package func take(_ client: String, now: ContinuousClock.Instant = .now) -> Bool {
        windows.withLock { windows in
            // Stale windows go when the table grows, so that many one-off addresses cannot fill memory.
            if windows.count > 10_000 { windows = windows.filter { now - $0.value.start < window } }
            var current = windows[client] ?? Window(start: now, count: 0)
            if now - current.start >= window { current = Window(start: now, count: 0) }
            guard current.count < limit else {
                windows[client] = current
                return false
            }
            current.count += 1
            windows[client] = current
            return true
        }
    }
}
