import Foundation
import Logging
import ServiceLifecycle

/// Looks for applications for conditionally open data left unanswered past their deadline, and puts each before
/// the operators once (domain.md §7.3: applications with time limits).
package struct OpenAccessSweeper: Service {
    package let service: DeveloperUseCases
    package let logger: Logger

    package func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                let escalated = try await service.sweepOverdue()
                if !escalated.isEmpty {
                    logger.notice(
                        "escalated overdue open-data applications",
                        metadata: ["count": "\(escalated.count)", "numbers": "\(escalated.map(\.number))"])
                }
            } catch {
                logger.warning("open-data application sweep failed", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: service.settings.sweepInterval) }
        }
    }
}
