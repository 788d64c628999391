import Synchronization

/// Values kept for `lifetime` after they were read, then read again: for what many requests ask for and what
/// changes rarely (the gateway's entries and pool versions, the upstream allow-list, a public page's figures).
/// Bounded: past `maximumCount` keys it starts afresh rather than grow without limit.
final class ExpiringCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private let lifetime: Duration
    private let maximumCount: Int
    private let clock: @Sendable () -> ContinuousClock.Instant
    private let cached = Mutex<[Key: (value: Value, until: ContinuousClock.Instant)]>([:])

    init(
        lifetime: Duration, maximumCount: Int = 10_000,
        clock: @escaping @Sendable () -> ContinuousClock.Instant = { .now }
    ) {
        self.lifetime = lifetime
        self.maximumCount = maximumCount
        self.clock = clock
    }

    /// The value kept for `key` while it is fresh.
    func value(for key: Key) -> Value? {
        let now = clock()
        return cached.withLock { cache in
            guard let hit = cache[key], hit.until > now else { return nil }
            return hit.value
        }
    }

    func remember(_ value: Value, for key: Key) {
        let until = clock() + lifetime
        cached.withLock { cache in
            if cache.count >= maximumCount { cache.removeAll() }
            cache[key] = (value, until)
        }
    }

    func forget(_ key: Key) { cached.withLock { _ = $0.removeValue(forKey: key) } }

    /// The fresh value for `key`, or the result of `read`, remembered for the next callers.
    func value(for key: Key, _ read: () async throws -> Value) async throws -> Value {
        if let hit = value(for: key) { return hit }
        let fresh = try await read()
        remember(fresh, for: key)
        return fresh
    }
}
