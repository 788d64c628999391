import Foundation
import HuitongStore
import ServiceLifecycle

/// Asks the node's read replicas how far behind they are every `interval` (`ReadReplicas.check`), and closes their
/// connections when the node stops.
package struct ReplicaMonitor: Service {
    package let replicas: ReadReplicas
    /// This node's heartbeats on the primary.
    package let membership: ClusterMembership?
    package var interval: Duration = .seconds(1)

    package init(replicas: ReadReplicas, membership: ClusterMembership?) {
        self.replicas = replicas
        self.membership = membership
    }

    package func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            // While the primary is away nothing newer than this node's last heartbeat can be on it: the replicas are
            // measured against that, not against the clock, so that one that had replayed everything stays `ok`.
            let primaryReachable = replicas.primaryReachable
            await replicas.check(now: primaryReachable ? Date() : membership?.lastWritten ?? Date())
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
        await replicas.shutdown()
    }
}
