import Foundation
import HuitongCore
import HuitongStore

/// What one catalog sync sent upward.
public struct CatalogSyncResult: Sendable, Hashable, Codable {
    public var registered: Int
    public var withdrawn: Int
    public var messageIDs: [String]
}

extension FederationNode {
    /// Registers with the parent every published entry not yet reported at its current version, and withdraws
    /// reported entries that are no longer published (目录上报). Entries go in messages of at most `batch`.
    @discardableResult
    public func syncCatalog(batch: Int = 100) async throws -> CatalogSyncResult {
        guard let parent = try await route().parent else { throw FederationError.noParent }
        var result = CatalogSyncResult(registered: 0, withdrawn: 0, messageIDs: [])
        while true {
            let (entries, withdrawn) = try await store.remoteCatalog.unreportedChanges(limit: batch)
            if entries.isEmpty && withdrawn.isEmpty { break }
            let registration = CatalogRegistration(
                sequence: AuditEvent.microseconds(Date()), entries: entries.map(RegisteredEntry.init),
                withdrawn: withdrawn)
            // Queued first, recorded second: a crash in between re-sends the same entries next time, which the
            // parent applies harmlessly by sequence, whereas the other order could lose them.
            result.messageIDs.append(try await send(.catalogRegistration, registration, to: parent))
            try await store.remoteCatalog.recordReported(entries: entries, withdrawn: withdrawn, at: Date())
            result.registered += entries.count
            result.withdrawn += withdrawn.count
        }
        return result
    }

    /// Reports this node's running figures to its parent (运行监测).
    @discardableResult
    public func reportMonitoring() async throws -> MonitoringReport {
        guard let parent = try await route().parent else { throw FederationError.noParent }
        let report = try await monitoringReport()
        try await send(.monitoringReport, report, to: parent)
        return report
    }

    public func monitoringReport(now: Date = Date()) async throws -> MonitoringReport {
        let figures = try await store.federation.figures()
        // Calls over the last 30 days: the window a monitoring screen compares nodes on.
        let calls = try await store.audit.statistics(
            AuditStatisticsQuery(
                from: AuditCalendar.windowStart(days: 30, endingAt: now), to: now, groupBy: .resource)
        ).reduce(0) { $0 + $1.calls }
        // The latest run's score of every scored entry; the node's own screens subtract open objections, which
        // are a local matter and not reported upward.
        let scores = try await store.quality.latestScores(entryIDs: nil).compactMap(\.score)
        return MonitoringReport(
            node: settings.profile, generatedAt: now, publishedEntries: figures.publishedEntries,
            mountedResources: figures.mountedResources, applications: figures.applications,
            approvedApplications: figures.grants, gatewayCalls: calls,
            averageQuality: scores.isEmpty ? nil : scores.reduce(0, +) / Double(scores.count))
    }
}
