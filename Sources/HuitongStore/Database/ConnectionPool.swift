import Synchronization

/// A fixed set of connections handed out one task at a time; tasks that find none free wait in arrival order.
///
/// sqlite-nio connections are not safe to share between concurrent queries, so every use leases one exclusively.
final class ConnectionPool<Connection: Sendable>: Sendable {
    private struct State {
        var idle: [Connection]
        var waiters: [CheckedContinuation<Connection, any Error>] = []
        var inUse = 0
        /// Set once the pool is being closed: no connection is handed out any more.
        var closing = false
        /// Who waits for the last leased connection to come back.
        var drained: CheckedContinuation<Void, Never>?
    }

    private let state: Mutex<State>
    let all: [Connection]
    private static var closed: StoreError { .unavailable("the database is being closed") }

    init(_ connections: [Connection]) {
        precondition(!connections.isEmpty)
        self.all = connections
        self.state = Mutex(State(idle: connections))
    }

    var leasedCount: Int { state.withLock { $0.inUse } }
    var waitingCount: Int { state.withLock { $0.waiters.count } }

    func withConnection<Result>(_ body: (Connection) async throws -> Result) async throws -> Result {
        let connection = try await lease()
        defer { release(connection) }
        return try await body(connection)
    }

    /// Stops handing out connections and returns once every leased one is back, so that closing them never pulls a
    /// connection from under a query still running on it (a closed SQLite handle used by a late query is memory
    /// freed under it). Tasks still waiting for a connection, and any that ask later, are refused (`StoreError.unavailable`).
    func drain() async {
        let waiters: [CheckedContinuation<Connection, any Error>] = state.withLock { state in
            state.closing = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(throwing: Self.closed) }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLock { state in
                if state.inUse == 0 { return true }
                state.drained = continuation
                return false
            }
            if done { continuation.resume() }
        }
    }

    private func lease() async throws -> Connection {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Connection, any Error>) in
            let leased: Result<Connection, StoreError>? = state.withLock { state in
                if state.closing { return .failure(Self.closed) }
                if let connection = state.idle.popLast() {
                    state.inUse += 1
                    return .success(connection)
                }
                state.waiters.append(continuation)
                return nil
            }
            if let leased { continuation.resume(with: leased) }
        }
    }

    private func release(_ connection: Connection) {
        let (waiter, drained): (CheckedContinuation<Connection, any Error>?, CheckedContinuation<Void, Never>?) =
            state.withLock { state in
                if state.waiters.isEmpty || state.closing {
                    state.idle.append(connection)
                    state.inUse -= 1
                    guard state.closing, state.inUse == 0 else { return (nil, nil) }
                    defer { state.drained = nil }
                    return (nil, state.drained)
                }
                return (state.waiters.removeFirst(), nil)
            }
        waiter?.resume(returning: connection)
        drained?.resume()
    }
}
