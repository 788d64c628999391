import Synchronization

/// A fixed set of connections handed out one task at a time; tasks that find none free wait in arrival order.
///
/// sqlite-nio connections are not safe to share between concurrent queries, so every use leases one exclusively.
final class ConnectionPool<Connection: Sendable>: Sendable {
    private struct State {
        var idle: [Connection]
        var waiters: [CheckedContinuation<Connection, Never>] = []
        var inUse = 0
    }

    private let state: Mutex<State>
    let all: [Connection]

    init(_ connections: [Connection]) {
        precondition(!connections.isEmpty)
        self.all = connections
        self.state = Mutex(State(idle: connections))
    }

    var leasedCount: Int { state.withLock { $0.inUse } }
    var waitingCount: Int { state.withLock { $0.waiters.count } }

    func withConnection<Result>(_ body: (Connection) async throws -> Result) async throws -> Result {
        let connection = await lease()
        defer { release(connection) }
        return try await body(connection)
    }

    private func lease() async -> Connection {
        await withCheckedContinuation { (continuation: CheckedContinuation<Connection, Never>) in
            let leased: Connection? = state.withLock { state in
                if let connection = state.idle.popLast() {
                    state.inUse += 1
                    return connection
                }
                state.waiters.append(continuation)
                return nil
            }
            if let leased { continuation.resume(returning: leased) }
        }
    }

    private func release(_ connection: Connection) {
        let waiter: CheckedContinuation<Connection, Never>? = state.withLock { state in
            if state.waiters.isEmpty {
                state.idle.append(connection)
                state.inUse -= 1
                return nil
            }
            return state.waiters.removeFirst()
        }
        waiter?.resume(returning: connection)
    }
}
