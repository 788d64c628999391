import Foundation
import HuitongCore
import HuitongStore
import Logging
import ServiceLifecycle

/// Escalates applications whose provider review has run out of time (`SharingUseCases.sweepOverdue`) and puts
/// expired grants on the audit log (`recordExpiries`), at the configured interval. Several nodes may run it at once: each escalation is a compare-and-set on the state.
package struct OverdueSweeper: Service {
    package let service: SharingUseCases
    package let logger: Logger

    package func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                let escalated = try await service.sweepOverdue(at: Date())
                if !escalated.isEmpty {
                    logger.notice(
                        "escalated overdue applications",
                        metadata: ["count": "\(escalated.count)", "numbers": "\(escalated.map(\.number))"])
                }
            } catch {
                logger.warning("overdue sweep failed", metadata: ["error": "\(error)"])
            }
            do {
                let expired = try await service.recordExpiries(at: Date())
                if !expired.isEmpty {
                    logger.info("grant expiries recorded", metadata: ["count": "\(expired.count)"])
                }
            } catch {
                logger.warning("recording grant expiries failed", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: service.settings.sweepInterval) }
        }
    }
}
