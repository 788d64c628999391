import Foundation
import HuitongCore
import HuitongStore
import Logging
import ServiceLifecycle

/// Runs the quality rules of every entry with data that no run has checked for `QualitySettings.scheduleInterval`,
/// or whose active version no run has checked (a command-line import, a rollback), one entry at a time; uploads start
/// a run of their own. It also fails runs whose process died, so that they do not stay "running" for ever.
///
/// On a cluster one node schedules at a time: it holds the schedule's lease (`gate`), renewed before each entry.
/// Should two nodes ever pick the same entry (a lease that ran out during a long run), the result is two equal runs,
/// not a wrong one.
package struct QualityScheduler: Service {
    package let service: QualityUseCases
    package var gate: SweepGate = .always
    package let logger: Logger
    static let leaseName = "quality schedule"
    /// A running run reports progress after every page; one silent this long has lost its process.
    package static let staleAfter: TimeInterval = 600

    package func run() async throws {
        let interval = service.settings.scheduleInterval
        guard interval > .zero else {
            // No schedule: runs start after loads, corrections and on demand only. A service that returned would
            // stop the node, so it idles until shutdown.
            try? await gracefulShutdown()
            return
        }
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                try await sweep(at: Date())
            } catch {
                logger.warning(
                    "scheduled quality runs failed", metadata: ["error": "\(QualityUseCases.describe(error))"])
            }
            // Looking more often than the interval lets an entry become due soon after its time, not a whole
            // interval late.
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: min(interval, .seconds(3600))) }
        }
    }

    /// One pass: fails dead runs, then runs every due entry in turn; returns the runs made.
    @discardableResult
    package func sweep(at now: Date) async throws -> [QualityRun] {
        // Long enough for one entry's run; renewed before the next.
        let lease = max(service.settings.scheduleInterval * 2, .seconds(1800))
        guard await gate.hold(Self.leaseName, lease) else { return [] }
        let stale = try await service.store.quality.failStale(
            heartbeatBefore: now.addingTimeInterval(-Self.staleAfter), at: now)
        if stale > 0 { logger.warning("failed interrupted quality runs", metadata: ["count": "\(stale)"]) }
        let due = try await service.store.quality.entriesDue(
            startedBefore: now.addingTimeInterval(-service.settings.scheduleInterval.timeInterval))
        var runs: [QualityRun] = []
        for entryID in due {
            if Task.isShuttingDownGracefully || Task.isCancelled { break }
            guard await gate.hold(Self.leaseName, lease) else { break }
            if let run = await service.runNow(entryID: entryID, trigger: .schedule, requestedBy: nil) {
                runs.append(run)
            }
        }
        return runs
    }
}
