import Foundation
import HuitongCore
import HuitongStore
import Logging
import ServiceLifecycle
import Synchronization

/// This node's place among the nodes on one PostgreSQL: it writes a heartbeat every `interval`, learns from the
/// answer how many nodes are alive (a node silent for `liveWindow` is gone), and removes its row when it shuts down
/// gracefully. Shared per-second limits are split by that count (`CallLimiter`), `/healthz` lists the nodes, and read
/// replicas are judged by how old the newest heartbeat they have replayed is (`ReadReplicas`).
package final class ClusterMembership: Service, Sendable {
    package struct Settings: Sendable, Hashable {
        package var interval: Duration = .seconds(1)
        /// A node whose heartbeat is older than this is not counted.
        package var liveWindow: Duration = .seconds(5)

        package init() {}
    }

    package let node: String
    package let settings: Settings
    private let cluster: any ClusterRepository
    private let startedAt: Date
    private let clock: @Sendable () -> Date
    private let logger: Logger
    private let state = Mutex(State())

    private struct State {
        var nodes: [ClusterNode] = []
        var lastWritten: Date?
        var lastFailure: String?
        var turns = 0
    }

    package init(
        node: String, cluster: any ClusterRepository, settings: Settings = Settings(),
        clock: @escaping @Sendable () -> Date = { Date() }, logger: Logger
    ) {
        self.node = node
        self.cluster = cluster
        self.settings = settings
        self.startedAt = clock()
        self.clock = clock
        self.logger = logger
    }

    /// The nodes alive at the last heartbeat, at least this one.
    package var liveNodes: Int { max(1, state.withLock { $0.nodes.count }) }

    /// When this node last wrote its heartbeat; nil before the first.
    package var lastWritten: Date? { state.withLock { $0.lastWritten } }

    /// The nodes alive at the last heartbeat (empty until the first one is written).
    package var nodes: [ClusterNode] { state.withLock { $0.nodes } }

    /// Writes one heartbeat; every hundredth turn also forgets old quota takings and long-silent nodes.
    package func beat() async {
        let now = clock()
        do {
            let nodes = try await cluster.heartbeat(
                node: node, startedAt: startedAt, at: now,
                liveSince: now.addingTimeInterval(-settings.liveWindow.seconds))
            let turn = state.withLock { state in
                if state.lastFailure != nil {
                    logger.notice("cluster heartbeat written again", metadata: ["nodes": "\(nodes.count)"])
                }
                state.nodes = nodes
                state.lastWritten = now
                state.lastFailure = nil
                state.turns += 1
                return state.turns
            }
            if turn % 100 == 1 {
                try await cluster.purge(
                    quotaBefore: CalendarDate(now.addingTimeInterval(-2 * 86_400)),
                    nodesSilentSince: now.addingTimeInterval(-3_600))
            }
        } catch {
            let text = "\(error)"
            let first = state.withLock { state in
                defer { state.lastFailure = text }
                return state.lastFailure == nil
            }
            if first { logger.warning("cluster heartbeat failed", metadata: ["error": "\(text)"]) }
        }
    }

    /// Takes or renews the lease called `name` for `duration`; false when another node holds it, or when the
    /// database cannot say (a sweep is skipped rather than run twice).
    package func hold(_ name: String, for duration: Duration) async -> Bool {
        let now = clock()
        do {
            return try await cluster.holdLease(
                name, node: node, until: now.addingTimeInterval(duration.seconds), now: now)
        } catch {
            logger.warning("taking a sweep's lease failed", metadata: ["sweep": "\(name)", "error": "\(error)"])
            return false
        }
    }

    package func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            await beat()
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.settings.interval) }
        }
        try? await cluster.leave(node: node)
    }
}
