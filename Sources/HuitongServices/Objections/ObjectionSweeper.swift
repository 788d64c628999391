import Foundation
import Logging
import ServiceLifecycle

/// Escalates objections the provider has not answered in time (`ObjectionUseCases.sweepOverdue`), at the configured
/// interval. Several nodes may run it at once: each escalation is a compare-and-set on the state.
package struct ObjectionSweeper: Service {
    package let service: ObjectionUseCases
    package let logger: Logger

    package func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                let escalated = try await service.sweepOverdue(at: Date())
                if !escalated.isEmpty {
                    logger.notice(
                        "escalated overdue objections",
                        metadata: ["count": "\(escalated.count)", "numbers": "\(escalated.map(\.number))"])
                }
            } catch {
                logger.warning("objection sweep failed", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: service.settings.sweepInterval) }
        }
    }
}
