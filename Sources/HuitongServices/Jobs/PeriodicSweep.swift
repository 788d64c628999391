import Logging
import ServiceLifecycle

/// Runs `sweep` at start and then every `interval` until the node shuts down; a failed turn is logged and tried
/// again at the next. Several nodes may run the same sweep at once: each change a sweep makes is a compare-and-set
/// on the state it changes.
package struct PeriodicSweep: Service {
    /// What the sweep does, for the log (e.g. "overdue applications").
    package let name: String
    package let interval: Duration
    package let logger: Logger
    package let sweep: @Sendable () async throws -> Void

    package init(
        _ name: String, every interval: Duration, logger: Logger, sweep: @escaping @Sendable () async throws -> Void
    ) {
        self.name = name
        self.interval = interval
        self.logger = logger
        self.sweep = sweep
    }

    package func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                try await sweep()
            } catch {
                logger.warning("sweep failed", metadata: ["sweep": "\(name)", "error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
