import ServiceLifecycle
import Synchronization

/// Work that outlives the request that started it (a load, the quality run after it, the run after a
/// correction). Every piece is tracked, so that the node can wait for it before it closes the database: a load
/// still writing when the database closes would use a closed connection. (A durable job queue shared by the nodes
/// of one database replaces this; until then nothing runs untracked.)
public final class BackgroundWork: Sendable {
    private let running = Mutex<[Int: Task<Void, Never>]>([:])
    private let counter = Atomic<Int>(0)

    public init() {}

    /// Starts `operation` apart from the caller's task; `drain()` waits for it.
    public func start(_ operation: @escaping @Sendable () async -> Void) {
        let id = counter.add(1, ordering: .relaxed).newValue
        running.withLock { tasks in
            // The task removes itself under the same lock, so it cannot finish before it is recorded.
            tasks[id] = Task { [self] in
                await operation()
                _ = running.withLock { $0.removeValue(forKey: id) }
            }
        }
    }

    /// Waits until nothing is running, including work started by work that was running.
    public func drain() async {
        while true {
            let tasks = running.withLock { Array($0.values) }
            if tasks.isEmpty { return }
            for task in tasks { await task.value }
        }
    }
}

/// Waits for the node's background work on graceful shutdown. Added after the database's service, so that the
/// database closes only once this has finished (services stop in the reverse order of their start).
package struct BackgroundWorkDrain: Service {
    package init(work: BackgroundWork) {
        self.work = work
    }

    package let work: BackgroundWork

    package func run() async throws {
        try? await gracefulShutdown()
        await work.drain()
    }
}
