import Foundation
import HuitongStore
import ServiceLifecycle

/// Asks the node's read replicas how far behind they are every `interval` (`ReadReplicas.check`), and closes their
/// connections when the node stops.
package struct ReplicaMonitor: Service {
    package let replicas: ReadReplicas
    package var interval: Duration = .seconds(1)

    package init(replicas: ReadReplicas) {
        self.replicas = replicas
    }

    package func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            await replicas.check()
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
        await replicas.shutdown()
    }
}
