import Foundation
import HuitongCore
import HuitongStore
import HuitongTestSupport
import Testing

/// Collection sources and their runs, proven on every backend: one run of a source at a time, a dead run's claim
/// taken over, the watermark kept only from a successful run, and the schedule's due list.
@Suite("Collection store conformance")
struct CollectionStoreConformanceTests {
    static let time = Date(timeIntervalSince1970: 1_780_000_000)

    static func source(_ store: Store, schedule: CollectionSchedule = .daily) async throws -> CollectionSource {
        let department = try await CatalogStoreConformanceTests.prepare(store)
        let content = try CatalogStoreConformanceTests.population().validated()
        let entry = try await store.catalog.create(
            content, departmentID: department.id, author: CatalogStoreConformanceTests.author)
        let draft = CollectionSourceDraft(
            name: "人口库", kind: .postgres, location: "postgres://reader:pw@db.example.gov.cn/rk", table: "public.rk",
            columnMapping: ["id_no": "sfzhm"],
            watermark: SourceWatermark(column: "updated_at", kind: .updateTime, overlap: 60), schedule: schedule)
        return try await store.collectionSources.create(
            NewCollectionSource(
                entryID: entry.id, departmentID: department.id, draft: draft,
                location: "postgres://reader@db.example.gov.cn:5432/rk?sslmode=prefer", sealedSecret: "sealed",
                sealContext: "collection.source.t1", createdBy: nil, nextRunAt: time.addingTimeInterval(86_400)),
            at: time)
    }

    @Test("a source is stored, listed, changed and removed with its runs", arguments: TestBackend.available)
    func sources(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let source = try await Self.source(store)
            #expect(source.columnMapping == ["id_no": "sfzhm"] && source.table == "public.rk" && source.query == nil)
            #expect(source.watermark?.overlap == 60 && source.watermarkValue == nil && source.enabled)
            #expect(source.sealedSecret == "sealed" && source.sealContext == "collection.source.t1")
            #expect(try await store.collectionSources.find(id: source.id) == source)
            #expect(try await store.collectionSources.list(departmentID: source.departmentID).map(\.id) == [source.id])
            #expect(try await store.collectionSources.list(departmentID: source.departmentID + 1).isEmpty)
            #expect(try await store.collectionSources.list(departmentID: nil).count == 1)

            var changed = source
            changed.name = "人口库（新）"
            changed.enabled = false
            changed.watermark = nil
            changed.query = "SELECT * FROM rk"
            changed.table = nil
            let saved = try await store.collectionSources.update(changed, at: Self.time.addingTimeInterval(5))
            #expect(saved.name == "人口库（新）" && !saved.enabled && saved.watermark == nil && saved.table == nil)
            #expect(saved.updatedAt > saved.createdAt)

            let run = try #require(
                try await store.collectionSources.startRun(
                    sourceID: source.id, trigger: .manual, incremental: false, requestedBy: nil,
                    leaseUntil: Self.time.addingTimeInterval(600), at: Self.time))
            // A running source is not removed.
            await #expect(throws: StoreError.self) {
                try await store.collectionSources.delete(id: source.id, at: Self.time.addingTimeInterval(1))
            }
            _ = try await store.collectionSources.finishRun(
                id: run.id, CollectionRunOutcome(status: .succeeded), nextRunAt: nil, at: Self.time)
            #expect(try await store.collectionSources.delete(id: source.id, at: Self.time))
            #expect(try await store.collectionSources.find(id: source.id) == nil)
            #expect(try await store.collectionSources.run(id: run.id) == nil)
            #expect(try await store.collectionSources.delete(id: source.id, at: Self.time) == false)
        }
    }

    @Test(
        "runs of one source never overlap; a dead run's claim is taken over; only a success moves the watermark",
        arguments: TestBackend.available)
    func runs(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let source = try await Self.source(store)
            let repository = store.collectionSources
            let lease = Self.time.addingTimeInterval(600)
            let first = try #require(
                try await repository.startRun(
                    sourceID: source.id, trigger: .manual, incremental: false, requestedBy: 7, leaseUntil: lease,
                    at: Self.time))
            #expect(first.status == .running && first.requestedBy == 7 && first.trigger == .manual)
            #expect(
                try await repository.startRun(
                    sourceID: source.id, trigger: .schedule, incremental: false, requestedBy: nil, leaseUntil: lease,
                    at: Self.time.addingTimeInterval(1)) == nil, "the source is claimed")
            #expect(try await repository.renewRun(id: first.id, sourceID: source.id, leaseUntil: lease))

            // Started at once from many tasks, exactly one more run gets the claim once the first ends.
            try await repository.attachIngestJob(runID: first.id, ingestJobID: 42)
            let failed = try #require(
                try await repository.finishRun(
                    id: first.id,
                    CollectionRunOutcome(
                        status: .failed, rowsRead: 10, rowsAccepted: 8, rowsRejected: 2, watermarkValue: "x",
                        failure: BilingualText(zh: "失败", en: "failed"), files: ["a.csv"]),
                    nextRunAt: Self.time.addingTimeInterval(86_400), at: Self.time.addingTimeInterval(2)))
            #expect(failed.status == .failed && failed.ingestJobID == 42 && failed.rowsRejected == 2)
            #expect(failed.failure == BilingualText(zh: "失败", en: "failed") && failed.files == ["a.csv"])
            #expect(try await repository.find(id: source.id)?.watermarkValue == nil, "a failed run keeps no watermark")
            #expect(
                try await repository.finishRun(
                    id: first.id, CollectionRunOutcome(status: .succeeded), nextRunAt: nil, at: Self.time) == nil,
                "a run ends once")

            let claims = try await withThrowingTaskGroup(of: CollectionRun?.self) { group in
                for _ in 0..<6 {
                    group.addTask {
                        try await repository.startRun(
                            sourceID: source.id, trigger: .schedule, incremental: true, requestedBy: nil,
                            leaseUntil: lease, at: Self.time.addingTimeInterval(3))
                    }
                }
                var won: [CollectionRun] = []
                for try await run in group { if let run { won.append(run) } }
                return won
            }
            #expect(claims.count == 1)
            let second = try #require(claims.first)
            #expect(second.incremental && second.trigger == .schedule)

            // Its node dies: once the lease has run out, the next run takes over and the dead one is failed.
            let third = try #require(
                try await repository.startRun(
                    sourceID: source.id, trigger: .manual, incremental: false, requestedBy: nil,
                    leaseUntil: lease.addingTimeInterval(600), at: lease.addingTimeInterval(1)))
            let dead = try #require(try await repository.run(id: second.id))
            #expect(dead.status == .failed && dead.failure == CollectionFailure.interrupted.message)
            #expect(
                try await repository.renewRun(id: second.id, sourceID: source.id, leaseUntil: lease) == false,
                "the dead run no longer holds the claim")
            let done = try #require(
                try await repository.finishRun(
                    id: third.id, CollectionRunOutcome(status: .succeeded, rowsRead: 5, watermarkValue: "2026-12-07"),
                    nextRunAt: Self.time.addingTimeInterval(2 * 86_400), at: lease.addingTimeInterval(2)))
            #expect(done.status == .succeeded && done.watermarkValue == "2026-12-07")
            let after = try #require(try await repository.find(id: source.id))
            #expect(after.watermarkValue == "2026-12-07" && after.nextRunAt == Self.time.addingTimeInterval(2 * 86_400))
            #expect(
                try await repository.runs(sourceID: source.id, limit: 10).map(\.id) == [third.id, second.id, first.id])
            #expect(try await repository.runs(sourceID: source.id, limit: 1).map(\.id) == [third.id])
            #expect(
                try await repository.latestRuns(sourceIDs: [source.id, 999]).mapValues(\.id) == [source.id: third.id])
            #expect(try await repository.latestRuns(sourceIDs: []).isEmpty)
        }
    }

    @Test(
        "the schedule lists enabled sources whose run is due and that no live run holds",
        arguments: TestBackend.available)
    func due(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let source = try await Self.source(store)
            let repository = store.collectionSources
            let dueTime = Self.time.addingTimeInterval(86_400)
            #expect(try await repository.due(at: Self.time).isEmpty)
            #expect(try await repository.due(at: dueTime).map(\.id) == [source.id])
            let run = try #require(
                try await repository.startRun(
                    sourceID: source.id, trigger: .schedule, incremental: false, requestedBy: nil,
                    leaseUntil: dueTime.addingTimeInterval(600), at: dueTime))
            #expect(try await repository.due(at: dueTime.addingTimeInterval(1)).isEmpty, "claimed")
            #expect(
                try await repository.due(at: dueTime.addingTimeInterval(601)).map(\.id) == [source.id],
                "a claim whose lease ran out does not hold it")
            _ = try await repository.finishRun(
                id: run.id, CollectionRunOutcome(status: .succeeded), nextRunAt: dueTime.addingTimeInterval(86_400),
                at: dueTime)
            #expect(try await repository.due(at: dueTime.addingTimeInterval(1)).isEmpty)
            var disabled = try #require(try await repository.find(id: source.id))
            disabled.enabled = false
            _ = try await repository.update(disabled, at: dueTime)
            #expect(try await repository.due(at: dueTime.addingTimeInterval(2 * 86_400)).isEmpty)
        }
    }

    @Test(
        "a run's end keeps the source's health: failures in a row, the last reason and success; lateness told once; the activity",
        arguments: TestBackend.available)
    func health(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let source = try await Self.source(store)
            let repository = store.collectionSources
            func run(_ outcome: CollectionRunOutcome, at time: Date) async throws -> CollectionRun {
                let started = try #require(
                    try await repository.startRun(
                        sourceID: source.id, trigger: .schedule, incremental: false, requestedBy: nil,
                        leaseUntil: time.addingTimeInterval(600), at: time))
                return try #require(
                    try await repository.finishRun(
                        id: started.id, outcome, nextRunAt: nil, at: time.addingTimeInterval(30)))
            }
            let reason = BilingualText(zh: "连接被拒绝", en: "connection refused")
            _ = try await run(CollectionRunOutcome(status: .failed, failure: reason), at: Self.time)
            _ = try await run(
                CollectionRunOutcome(status: .failed, failure: reason), at: Self.time.addingTimeInterval(60))
            var stored = try #require(try await repository.find(id: source.id))
            #expect(stored.consecutiveFailures == 2 && stored.lastFailure == reason && stored.lastSuccessAt == nil)

            #expect(try await repository.markLateAlerted(sourceID: source.id, at: Self.time))
            #expect(try await repository.markLateAlerted(sourceID: source.id, at: Self.time) == false, "told once")

            let success = Self.time.addingTimeInterval(120)
            let done = try await run(
                CollectionRunOutcome(status: .succeeded, rowsRead: 7, rowsAccepted: 6, rowsRejected: 1), at: success)
            _ = try await run(
                CollectionRunOutcome(status: .succeeded, rowsRead: 4, rowsAccepted: 4),
                at: success.addingTimeInterval(60))
            stored = try #require(try await repository.find(id: source.id))
            #expect(stored.consecutiveFailures == 0 && stored.lastFailure == nil && stored.lateAlertedAt == nil)
            #expect(
                stored.lastSuccessAt.map { abs($0.timeIntervalSince(success.addingTimeInterval(60))) < 0.01 } == true)
            #expect(done.rowsAccepted == 6)

            // A run still under way is not the last run; the rows collected are the successful runs' accepted rows.
            _ = try await repository.startRun(
                sourceID: source.id, trigger: .manual, incremental: false, requestedBy: nil,
                leaseUntil: success.addingTimeInterval(1000), at: success.addingTimeInterval(200))
            let activity = try await repository.activity(departmentID: source.departmentID)
            #expect(activity.count == 1 && activity.first?.rowsCollected == 10)
            #expect(activity.first?.lastRun?.rowsRead == 4 && activity.first?.lastRun?.status == .succeeded)
            #expect(try await repository.activity(departmentID: source.departmentID + 1).isEmpty)
            #expect(try await repository.activity(departmentID: nil).count == 1)
        }
    }

    @Test(
        "a cron schedule is kept with its expression; a reconciling success records when, and the rows it retired",
        arguments: TestBackend.available)
    func cronAndReconciliation(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let repository = store.collectionSources
            var source = try await Self.source(store)
            #expect(source.cron == nil && source.reconciledAt == nil)
            source.schedule = .cron
            source.cron = try CronExpression("*/20 8-18 * * 1-5")
            let saved = try await repository.update(source, at: Self.time)
            #expect(saved.schedule == .cron && saved.cron?.text == "*/20 8-18 * * 1-5")
            #expect(try await repository.find(id: source.id)?.cron == saved.cron)

            func run(_ outcome: CollectionRunOutcome, at time: Date) async throws -> CollectionRun {
                let started = try #require(
                    try await repository.startRun(
                        sourceID: source.id, trigger: .schedule, incremental: true, requestedBy: nil,
                        leaseUntil: time.addingTimeInterval(600), at: time))
                return try #require(try await repository.finishRun(id: started.id, outcome, nextRunAt: nil, at: time))
            }
            // A success that did not reconcile leaves the time alone; a failed reconciliation too.
            _ = try await run(CollectionRunOutcome(status: .succeeded, rowsRead: 3), at: Self.time)
            #expect(try await repository.find(id: source.id)?.reconciledAt == nil)
            var failed = CollectionRunOutcome(status: .failed, failure: BilingualText(zh: "断开", en: "closed"))
            failed.reconciled = true
            _ = try await run(failed, at: Self.time.addingTimeInterval(60))
            #expect(try await repository.find(id: source.id)?.reconciledAt == nil)
            var reconciled = CollectionRunOutcome(status: .succeeded, rowsRead: 2)
            reconciled.reconciled = true
            reconciled.rowsRetired = 17
            let done = try await run(reconciled, at: Self.time.addingTimeInterval(120))
            #expect(done.rowsRetired == 17)
            #expect(try await repository.runs(sourceID: source.id, limit: 1).first?.rowsRetired == 17)
            let stored = try #require(try await repository.find(id: source.id)?.reconciledAt)
            #expect(abs(stored.timeIntervalSince(Self.time.addingTimeInterval(120))) < 0.01)
        }
    }
}
