import Logging
import ServiceLifecycle

/// Decides whether this node takes a background sweep's turn: always on a node alone; on a cluster, while it holds
/// the sweep's lease (`ClusterMembership.hold`), so that one node sweeps at a time and another takes over once the
/// holder has been silent for the lease's length.
package struct SweepGate: Sendable {
    package let hold: @Sendable (_ sweep: String, _ lease: Duration) async -> Bool

    package init(hold: @escaping @Sendable (_ sweep: String, _ lease: Duration) async -> Bool) {
        self.hold = hold
    }

    package static let always = SweepGate { _, _ in true }
}

/// Runs `sweep` at start and then every `interval` until the node shuts down; a failed turn is logged and tried
/// again at the next. On a cluster one node takes each turn (`gate`); should two ever overlap (a lease that ran
/// out mid-turn), each change a sweep makes is a compare-and-set on the state it changes.
package struct PeriodicSweep: Service {
    /// What the sweep does, for the log (e.g. "overdue applications").
    package let name: String
    package let interval: Duration
    package let logger: Logger
    package let sweep: @Sendable () async throws -> Void
    package let gate: SweepGate

    package init(
        _ name: String, every interval: Duration, gate: SweepGate = .always, logger: Logger,
        sweep: @escaping @Sendable () async throws -> Void
    ) {
        self.name = name
        self.interval = interval
        self.gate = gate
        self.logger = logger
        self.sweep = sweep
    }

    package func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                // Held for two turns: the holder renews it each turn, and a dead holder's turn passes to another
                // node within two intervals.
                if await gate.hold(name, interval * 2) { try await sweep() }
            } catch {
                logger.warning("sweep failed", metadata: ["sweep": "\(name)", "error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
