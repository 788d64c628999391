import Foundation
import Synchronization

/// A value worked out at most once per `lifetime` and shared by every request meanwhile, for figures a public page
/// shows that are costly to compute and need not be to the second.
final class ExpiringValue<Value: Sendable>: Sendable {
    private let lifetime: TimeInterval
    private let cached = Mutex<(value: Value, at: Date)?>(nil)

    init(lifetime: TimeInterval) {
        self.lifetime = lifetime
    }

    /// The cached value while it is fresh, otherwise the result of `compute` (remembered for the next callers).
    func value(_ compute: @Sendable () async throws -> Value) async throws -> Value {
        let now = Date()
        if let hit = cached.withLock({ $0 }), now.timeIntervalSince(hit.at) < lifetime { return hit.value }
        let fresh = try await compute()
        cached.withLock { $0 = (fresh, now) }
        return fresh
    }
}
