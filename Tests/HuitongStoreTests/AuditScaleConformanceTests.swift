import Foundation
import HuitongCore
import HuitongCrypto
import HuitongTestSupport
import Logging
import SQLKit
import Testing

@testable import HuitongStore

/// The audit log at scale (issue 26): statistics from rollups, PostgreSQL's monthly partitions made in place, and
/// closed months archived to files that verify offline, then pruned. On every backend.
@Suite("Audit log at scale conformance")
struct AuditScaleConformanceTests {
    /// 2025-01-01 00:00 in Beijing.
    static let january = Date(timeIntervalSince1970: 1_735_660_800)

    /// A varied set of calls over three months and several days a month: departments, resources, systems,
    /// outcomes, latencies, absent ids and codes, and changes that are no calls.
    static func events(count: Int, from start: Date = january, days: Int = 80) -> [AuditEvent] {
        (0..<count).map { index in
            let time = start + Double(index * days * 86_400 / count) + Double(index % 7) * 3_000
            if index % 29 == 0 {
                return .grantCreated(
                    grantID: Int64(index), consumerDepartmentID: 3, providerDepartmentID: 5,
                    resourceCode: "101001/0001", purpose: "社保", approvedBy: 2, time: time)
            }
            let outcome: AuditOutcome =
                index % 11 == 0 ? .denied(reason: "no_grant") : index % 13 == 0 ? .failed(reason: "upstream") : .allowed
            return AuditEvent(
                action: index % 5 == 0 ? .gatewayVerify : .gatewayLookup, time: time,
                consumerDepartmentID: index % 17 == 0 ? nil : Int64(index % 4 + 1),
                applicationSystemID: index % 19 == 0 ? nil : Int64(index % 3 + 10),
                providerDepartmentID: Int64(index % 3 + 5),
                resourceCode: index % 23 == 0 ? nil : "10100\(index % 3)/000\(index % 2)", grantID: 4,
                purpose: "核验", queriedKeyHashes: ["\(index)"], rowsReturned: Int64(index % 4), outcome: outcome,
                latencyMicroseconds: Int64(200 + (index * 7_919) % 90_000))
        }
    }

    /// The statistics counted again from the raw entries, read back one by one.
    static func recount(_ store: Store, _ query: AuditStatisticsQuery) async throws -> [AuditStatisticsGroup] {
        guard let days = query.days else { return [] }
        var groups: [String: AuditStatisticsGroup] = [:]
        var after: Int64 = 0
        while true {
            let page = try await store.audit.records(after: after, through: .max, limit: 500)
            guard !page.isEmpty else { break }
            for case .entry(let entry) in page {
                let event = entry.event
                guard event.action.isGatewayCall, days.contains(AuditCalendar.day(microseconds: event.timeMicroseconds))
                else { continue }
                if let visible = query.visibleTo {
                    guard
                        visible.consumers.contains(event.consumerDepartmentID ?? 0)
                            || visible.providers.contains(event.providerDepartmentID ?? 0)
                    else { continue }
                }
                let key: String =
                    switch query.groupBy {
                    case .day: AuditCalendar.dayName(AuditCalendar.day(microseconds: event.timeMicroseconds))
                    case .resource: event.resourceCode ?? ""
                    case .consumer: event.consumerDepartmentID.map { "\($0)" } ?? ""
                    }
                var group = groups[key] ?? AuditStatisticsGroup(key: key)
                group.calls += 1
                switch event.outcome {
                case .allowed: group.allowed += 1
                case .denied: group.denied += 1
                case .failed: group.failed += 1
                }
                group.rowsServed += event.rowsReturned
                if query.latency {
                    group.latencyBuckets[LatencyBuckets.bucket(microseconds: event.latencyMicroseconds), default: 0] +=
                        1
                }
                groups[key] = group
            }
            after = page.last?.sequence ?? after
        }
        return groups.values.sorted { $0.key < $1.key }
    }

    /// The statistics every page reads, each compared with a raw recount.
    static func expectStatisticsAgree(_ store: Store, now: Date, sourceLocation: SourceLocation = #_sourceLocation)
        async throws
    {
        let thirty = now - 30 * 86_400
        let queries: [(String, AuditStatisticsQuery)] = [
            // ConsoleOperator.callsPerDay and the dashboard's top resources.
            ("dashboard days", AuditStatisticsQuery(from: thirty, to: now + 1, groupBy: .day)),
            ("dashboard resources", AuditStatisticsQuery(from: thirty, to: now + 1, groupBy: .resource)),
            // PortalPages.home's call counter and CatalogRegistration's monitoring report upward.
            ("portal counter", AuditStatisticsQuery(from: thirty, to: now + 1, groupBy: .resource)),
            // ConsoleConsumer's usage chart: a department's calls made and served.
            (
                "usage chart",
                AuditStatisticsQuery(
                    from: thirty, to: now + 1, groupBy: .day, visibleTo: (consumers: [2], providers: [6]))
            ),
            // GET /api/v1/audit/statistics, with latency percentiles.
            (
                "statistics API by consumer",
                AuditStatisticsQuery(from: january, to: now + 1, groupBy: .consumer, latency: true)
            ),
            (
                "statistics API by day, for everyone",
                AuditStatisticsQuery(from: january, to: now + 1, groupBy: .day, latency: true)
            ),
            (
                "statistics API by resource",
                AuditStatisticsQuery(from: january, to: now + 1, groupBy: .resource, latency: true)
            ),
            (
                "statistics API by day, scoped",
                AuditStatisticsQuery(
                    from: january + 3_600, to: january + 40 * 86_400, groupBy: .day,
                    visibleTo: (consumers: [1, 3], providers: []), latency: true)
            ),
            ("nobody", AuditStatisticsQuery(from: january, to: now, groupBy: .day, visibleTo: ([], []))),
        ]
        for (name, query) in queries {
            let rolled = try await store.audit.statistics(query)
            let raw = try await recount(store, query)
            #expect(!rolled.isEmpty || name == "nobody", "\(name)", sourceLocation: sourceLocation)
            #expect(rolled == raw, "\(name)", sourceLocation: sourceLocation)
        }
    }

    @Test(
        "the dashboard, portal counter, usage charts and monitoring reports read rollups that equal a raw recount",
        arguments: TestBackend.available)
    func rollupsEqualRecount(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let log = AuditLog(repository: store.audit, suite: .intl, maximumBatch: 97)
            let events = Self.events(count: 1_200)
            // Several batches, so that rollup rows are both made and added to.
            _ = try await log.append(contentsOf: Array(events[0..<500]))
            for event in events[500...] { _ = try await log.append(event) }
            try await Self.expectStatisticsAgree(store, now: Self.january + 75 * 86_400)
        }
    }

    /// The schema as it stood before migration 38: one plain entries table, no rollups, no register.
    static func undoMigration38(_ store: Store) async throws {
        let audit = store.provider.auditProvider
        try await audit.transaction { sql in
            var statements = [
                "DROP TABLE audit_rollup_calls", "DROP TABLE audit_rollup_latency", "DROP TABLE audit_archives",
                "DELETE FROM schema_migrations WHERE version = 38",
            ]
            if audit.backend == .postgres {
                statements += [
                    "CREATE TABLE audit_entries_plain AS SELECT * FROM audit_entries",
                    "DROP TABLE audit_entries",
                    "DROP FUNCTION huitong_audit_partition(TEXT, BIGINT, BIGINT)",
                    "ALTER TABLE audit_entries_plain RENAME TO audit_entries",
                    "ALTER TABLE audit_entries ADD PRIMARY KEY (seq)",
                    "CREATE INDEX audit_entries_time ON audit_entries (time_us)",
                ]
            }
            for statement in statements { try await sql.raw(SQLQueryString(unsafeRaw: statement)).run() }
        }
    }

    static func migrate(_ store: Store) async throws {
        let audit = store.provider.auditProvider
        try await Migrator(
            provider: audit, logger: Logger(label: "test"),
            migrations: audit.backend == .postgres ? Schema.migrations : Schema.auditDatabaseMigrations
        ).migrate()
    }

    @Test(
        "migration 38 rolls up the entries already there and, on PostgreSQL, partitions their table in place; run again it changes nothing",
        arguments: TestBackend.available)
    func migrationFromEntries(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let key = NodeIdentityKey.generate()
            let trail = AuditTrail(repository: store.audit, nodeKey: key)
            let events = Self.events(count: 600)
            _ = try await trail.log.append(contentsOf: Array(events[0..<400]))
            try await trail.checkpointer.checkpoint()
            _ = try await trail.log.append(contentsOf: Array(events[400...]))
            try await Self.undoMigration38(store)

            try await Self.migrate(store)
            let audit = store.provider.auditProvider
            if audit.backend == .postgres {
                let kind = try await audit.read { sql in
                    try await sql.raw("SELECT relkind::text AS kind FROM pg_class WHERE relname = 'audit_entries'")
                        .first()?.decode(column: "kind", as: String.self)
                }
                #expect(kind == "p")
                let months = try await audit.read { sql in try await AuditPartitions.months(sql) }
                #expect(
                    months.first == AuditMonth(year: 2025, month: 1)
                        && months.contains(AuditMonth(year: 2025, month: 3)))
            }
            let summary = try await AuditLogVerification.run(store.audit, trustedKeys: [key.publicKey]).outcome.get()
            #expect(summary.entriesChecked == 600 && summary.checkpointsVerified == 1)
            try await Self.expectStatisticsAgree(store, now: Self.january + 75 * 86_400)

            // Again: nothing doubles, nothing moves.
            try await audit.transaction { sql in
                try await sql.raw("DELETE FROM schema_migrations WHERE version = 38").run()
            }
            try await Self.migrate(store)
            try await Self.expectStatisticsAgree(store, now: Self.january + 75 * 86_400)
            _ = try await trail.log.append(Self.events(count: 3, from: Self.january + 90 * 86_400)[1])
            #expect(
                try await AuditLogVerification.run(store.audit, trustedKeys: [key.publicKey]).outcome.get()
                    .entriesChecked == 601)
        }
    }

    @Test(
        "migration 45 fills the latency rollups by departments and by day of a log made before it, and percentiles agree with a recount",
        arguments: TestBackend.available)
    func latencyByDepartmentsMigration(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let trail = AuditTrail(repository: store.audit, nodeKey: NodeIdentityKey.generate())
            _ = try await trail.log.append(contentsOf: Self.events(count: 500))
            let audit = store.provider.auditProvider
            try await audit.transaction { sql in
                try await sql.raw("DROP TABLE audit_rollup_latency_departments").run()
                try await sql.raw("DROP TABLE audit_rollup_latency_days").run()
                try await sql.raw("DELETE FROM schema_migrations WHERE version = 45").run()
            }
            try await Self.migrate(store)
            try await Self.expectStatisticsAgree(store, now: Self.january + 75 * 86_400)
            // Again: nothing doubles.
            try await audit.transaction { sql in
                try await sql.raw("DELETE FROM schema_migrations WHERE version = 45").run()
            }
            try await Self.migrate(store)
            try await Self.expectStatisticsAgree(store, now: Self.january + 75 * 86_400)
        }
    }

    @Test(
        "closed months are archived to files that verify offline and continue one another; pruning keeps the live log verifiable",
        arguments: TestBackend.available)
    func archiveAndPrune(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let key = NodeIdentityKey.generate()
            let trail = AuditTrail(repository: store.audit, nodeKey: key)
            let events = Self.events(count: 900, days: 85)
            for start in stride(from: 0, to: 900, by: 150) {
                _ = try await trail.log.append(contentsOf: Array(events[start..<start + 150]))
                if start % 300 == 0 { try await trail.checkpointer.checkpoint(now: Self.january) }
            }
            // The node's periodic checkpoint over everything so far: what vouches for each month's last entries.
            try await trail.checkpointer.checkpoint(now: Self.january)
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("audit-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: folder) }
            let keys = trail.trustedCheckpointKeys
            let archiver = AuditArchiver(
                repository: store.auditArchives, checkpointKey: trail.checkpointKey, trustedKeys: keys,
                directory: folder, pageSize: 64)
            let april = Self.january + 100 * 86_400

            await #expect(throws: AuditArchiveRunError.monthOpen("2025-04")) {
                try await archiver.archive(through: AuditMonth(year: 2025, month: 4), now: april)
            }
            let made = try await archiver.archive(through: AuditMonth(year: 2025, month: 2), now: april)
            #expect(made.map(\.month.description) == ["2025-01", "2025-02"])
            #expect(made[0].start.sequence == 0 && made[1].start == made[0].end && made[1].end.sequence < 900)
            var summaries: [AuditArchiveSummary] = []
            for record in made {
                let summary = try AuditArchiver.verify(
                    file: folder.appendingPathComponent(record.fileName), trustedKeys: keys)
                #expect(summary.start == record.start && summary.end == record.end)
                summaries.append(summary)
            }
            #expect(summaries[1].continues(summaries[0]) && !summaries[0].continues(summaries[1]))

            // Months already archived are not written again; a later run continues after them.
            #expect(try await archiver.archive(through: AuditMonth(year: 2025, month: 2), now: april).isEmpty)

            // A file damaged since it was written keeps its month's entries: prune reads every file again first.
            let januaryFile = folder.appendingPathComponent(made[0].fileName)
            let written = try Data(contentsOf: januaryFile)
            try Data(written.dropLast(200)).write(to: januaryFile)
            await #expect(throws: AuditArchiveRunError.self) {
                try await archiver.prune(retentionMonths: 2, now: april)
            }
            #expect(try await store.audit.prunedBoundary() == nil)
            try written.write(to: januaryFile)

            // Two months of retention in April keep February and March: January goes.
            let pruned = try await archiver.prune(retentionMonths: 2, now: april)
            #expect(pruned.map(\.month.description) == ["2025-01"])
            #expect(try await store.audit.prunedBoundary() == made[0].end)
            let first = try await store.audit.records(after: 0, through: .max, limit: 1).first
            #expect(first?.sequence == made[0].end.sequence + 1)
            var summary = try await AuditLogVerification.run(store.audit, trustedKeys: keys).outcome.get()
            #expect(summary.entriesChecked == 900)
            // February marked pruned in the register while its entries are still there: the boundary is refused,
            // not used to skip them.
            try await store.provider.auditProvider.transaction { sql in
                try await sql.raw("UPDATE audit_archives SET pruned_at_us = 1 WHERE month = '2025-02'").run()
            }
            let skipped = try await AuditLogVerification.run(store.audit, trustedKeys: keys).outcome.failureValue
            #expect(skipped?.reason == .boundaryUnproven)
            try await store.provider.auditProvider.transaction { sql in
                try await sql.raw("UPDATE audit_archives SET pruned_at_us = NULL WHERE month = '2025-02'").run()
            }
            // The rollups keep the counts of the entries pruned.
            let counted = try await store.audit.statistics(
                AuditStatisticsQuery(from: Self.january, to: april, groupBy: .day)
            ).reduce(Int64(0)) { $0 + $1.calls }
            #expect(counted == Int64(events.filter(\.action.isGatewayCall).count))
            await #expect(throws: StoreError.self, "a rebuild from the entries would lose January's counts") {
                try await store.auditArchives.rebuildRollups()
            }
            if store.provider.auditProvider.backend == .postgres {
                let months = try await store.provider.auditProvider.read { sql in try await AuditPartitions.months(sql)
                }
                #expect(!months.contains(AuditMonth(year: 2025, month: 1)), "January's partition was dropped")
            }

            // March is archived after the pruning, from the register's boundary; then everything is pruned.
            let march = try await archiver.archive(through: AuditMonth(year: 2025, month: 3), now: april)
            #expect(march.map(\.month.description) == ["2025-03"] && march[0].end.sequence == 900)
            #expect(try await archiver.prune(retentionMonths: 0, now: april).count == 2)
            summary = try await AuditLogVerification.run(store.audit, trustedKeys: keys).outcome.get()
            #expect(summary.entriesChecked == 900)
            _ = try await trail.log.append(Self.events(count: 3, from: april)[1])
            #expect(
                try await AuditLogVerification.run(store.audit, trustedKeys: keys).outcome.get().entriesChecked == 901)

            // A boundary altered in the register no longer links to the entry after it.
            try await store.provider.auditProvider.transaction { sql in
                try await sql.raw(
                    "UPDATE audit_archives SET end_hash = \(bind: String(repeating: "ab", count: 32)) WHERE month = '2025-03'"
                ).run()
            }
            #expect(try await AuditLogVerification.run(store.audit, trustedKeys: keys).outcome.failureValue != nil)
        }
    }

    @Test("pruning refuses months that were not verified", arguments: TestBackend.available)
    func pruneOnlyVerified(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let key = NodeIdentityKey.generate()
            let trail = AuditTrail(repository: store.audit, nodeKey: key)
            _ = try await trail.log.append(contentsOf: Self.events(count: 100, days: 20))
            let archiver = AuditArchiver(
                repository: store.auditArchives, checkpointKey: trail.checkpointKey,
                trustedKeys: trail.trustedCheckpointKeys,
                directory: FileManager.default.temporaryDirectory.appendingPathComponent("audit-\(UUID().uuidString)"))
            // No signed checkpoint covers the month's entries yet: the node will not sign them on its own word.
            await #expect(throws: AuditArchiveRunError.monthUnsigned("2025-01")) {
                try await archiver.archive(through: AuditMonth(year: 2025, month: 1), now: Self.january + 60 * 86_400)
            }
            try await trail.checkpointer.checkpoint(now: Self.january + 60 * 86_400)
            let made = try await archiver.archive(
                through: AuditMonth(year: 2025, month: 1), now: Self.january + 60 * 86_400)
            // A run that died after renaming its file but before registering the month: the next run registers the
            // file as it stands, since it verifies and holds exactly the month.
            try await store.provider.auditProvider.transaction { sql in
                try await sql.raw("DELETE FROM audit_archives").run()
            }
            let again = try await archiver.archive(
                through: AuditMonth(year: 2025, month: 1), now: Self.january + 60 * 86_400)
            #expect(again.map(\.end) == made.map(\.end))
            try await store.provider.auditProvider.transaction { sql in
                try await sql.raw("UPDATE audit_archives SET verified_at_us = NULL").run()
            }
            #expect(try await archiver.prune(retentionMonths: 0, now: Self.january + 60 * 86_400).isEmpty)
            await #expect(throws: AuditArchiveRegisterError.notPrunable(month: "2025-01")) {
                try await store.auditArchives.prune(through: made[0], at: Date())
            }
            #expect(try await store.audit.records(after: 0, through: .max, limit: 1).first?.sequence == 1)
        }
    }
}
