import Foundation
import HuitongCore
import HuitongStore
import HuitongTestSupport
import Testing

/// Quality rules, runs and the problem queue, proven on every backend.
@Suite("Quality store conformance")
struct QualityStoreConformanceTests {
    @Test(
        "custom rules are added once per id, disabled, removed; unknown ones are not found",
        arguments: TestBackend.available)
    func customRules(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let entry = try await PoolStoreConformanceTests.entry(store)
            let rule = QualityRule(
                id: "xm.pattern", dimension: .normativity, columns: ["xm"], kind: .pattern("[\\p{Han}]{2,4}"))
            let added = try await store.quality.addRule(entryID: entry.id, rule, createdBy: nil, at: Date())
            #expect(added.enabled && added.rule == rule)
            await #expect(throws: StoreError.duplicate(field: "id", value: "xm.pattern")) {
                try await store.quality.addRule(entryID: entry.id, rule, createdBy: nil, at: Date())
            }
            let off = try await store.quality.setRuleEnabled(
                entryID: entry.id, id: added.id, enabled: false, at: Date())
            #expect(!off.enabled)
            #expect(try await store.quality.customRules(entryID: entry.id).map(\.enabled) == [false])
            await #expect(throws: StoreError.self) {
                try await store.quality.setRuleEnabled(entryID: entry.id + 1, id: added.id, enabled: true, at: Date())
            }
            try await store.quality.deleteRule(entryID: entry.id, id: added.id)
            #expect(try await store.quality.customRules(entryID: entry.id).isEmpty)
            await #expect(throws: StoreError.self) {
                try await store.quality.deleteRule(entryID: entry.id, id: added.id)
            }
            await #expect(throws: StoreError.self) {
                try await store.quality.addRule(entryID: 9_999, rule, createdBy: nil, at: Date())
            }
        }
    }

    /// A report of a not-null rule over four rows, `failed` of them empty.
    static func report(failed: Int) throws -> QualityReport {
        let rule = QualityRule(id: "xm.notNull", dimension: .completeness, columns: ["xm"], kind: .notNull)
        var evaluator = try QualityEvaluator(
            rules: [rule], items: CatalogStoreConformanceTests.population().items)
        try evaluator.consume((0..<4).map { ["xm": $0 < failed ? nil : "张三"] })
        return evaluator.report(lastUpdated: nil, now: Date())
    }

    static func problems(_ rows: [Int64]) -> [QualityProblemDraft] {
        rows.map {
            QualityProblemDraft(
                failure: QualityFailure(
                    ruleID: "xm.notNull", row: $0, column: "xm", maskedValue: "", reason: .init(zh: "空", en: "empty")),
                rowKey: "sfzhm=1***************1\($0)")
        }
    }

    @Test(
        "a run records progress, its report and score, and its problem queue, which the provider pages and resolves",
        arguments: TestBackend.available)
    func runsAndProblems(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let entry = try await PoolStoreConformanceTests.entry(store)
            let version = try await store.pools.beginVersion(
                entryID: entry.id, columns: PoolStoreConformanceTests.columns, keyColumns: ["sfzhm"],
                copyingActive: false)
            _ = try await store.pools.activate(version, keep: 1)
            let due = try await store.quality.entriesDue(startedBefore: Date())
            #expect(due == [entry.id], "an entry with data and no run is due")

            let first = try await store.quality.startRun(
                entryID: entry.id, departmentID: entry.provider.departmentID, poolVersion: 1, trigger: .ingest,
                rowsTotal: 4, requestedBy: nil, at: Date())
            #expect(first.status == .running && first.rowsChecked == 0)
            try await store.quality.recordProgress(runID: first.id, rowsChecked: 2, at: Date())
            #expect(try await store.quality.run(id: first.id)?.rowsChecked == 2)
            try await store.quality.addProblems(runID: first.id, entryID: entry.id, Self.problems([1, 2, 3]))
            #expect(
                try await store.quality.problems(entryID: entry.id, status: nil, offset: 0, limit: 10).total == 0,
                "a running run's problems are not the queue yet")
            let done = try await store.quality.finishRun(id: first.id, report: try Self.report(failed: 3), at: Date())
            #expect(done.status == .succeeded && done.score == 25 && done.rowsChecked == 4)
            #expect(done.report?.rules.first?.failingRows == [], "failing rows live in the queue, not the report")
            #expect(done.report?.rules.first?.samples.count == 3)
            #expect(try await store.quality.entriesDue(startedBefore: Date().addingTimeInterval(-60)).isEmpty)
            let newer = try await store.pools.beginVersion(
                entryID: entry.id, columns: PoolStoreConformanceTests.columns, keyColumns: ["sfzhm"],
                copyingActive: false)
            _ = try await store.pools.activate(newer, keep: 1)
            #expect(
                try await store.quality.entriesDue(startedBefore: Date().addingTimeInterval(-60)) == [entry.id],
                "a version no run has checked is due at once")
            _ = try await store.pools.reactivate(entryID: entry.id, version: 1)

            let page = try await store.quality.problems(entryID: entry.id, status: nil, offset: 1, limit: 1)
            #expect(page.total == 3 && page.items.map(\.row) == [2] && page.run?.id == first.id)
            let ignored = try await store.quality.resolveProblem(
                id: page.items[0].id, status: .ignored, note: "历史数据，无法补录", by: 7, at: Date())
            #expect(ignored.status == .ignored && ignored.handledBy == 7 && ignored.note == "历史数据，无法补录")
            #expect(try await store.quality.problems(entryID: entry.id, status: .open, offset: 0, limit: 10).total == 2)

            // A second run of the same version keeps what the provider decided about the same row.
            let second = try await store.quality.startRun(
                entryID: entry.id, departmentID: entry.provider.departmentID, poolVersion: 1, trigger: .schedule,
                rowsTotal: 4, requestedBy: nil, at: Date())
            try await store.quality.addProblems(runID: second.id, entryID: entry.id, Self.problems([2, 4]))
            _ = try await store.quality.finishRun(id: second.id, report: try Self.report(failed: 2), at: Date())
            let queue = try await store.quality.problems(entryID: entry.id, status: nil, offset: 0, limit: 10)
            #expect(queue.run?.id == second.id)
            #expect(queue.items.map(\.status) == [.ignored, .open] && queue.items[0].note == "历史数据，无法补录")

            // A failed run leaves the queue of the last good one and none of its own problems.
            let third = try await store.quality.startRun(
                entryID: entry.id, departmentID: entry.provider.departmentID, poolVersion: 1, trigger: .manual,
                rowsTotal: 4, requestedBy: nil, at: Date())
            try await store.quality.addProblems(runID: third.id, entryID: entry.id, Self.problems([1]))
            let failed = try await store.quality.failRun(id: third.id, message: "关联资源尚无数据", at: Date())
            #expect(failed.status == .failed && failed.message == "关联资源尚无数据")
            #expect(try await store.quality.latestRun(entryID: entry.id)?.id == second.id)
            #expect(
                try await store.quality.runs(entryID: entry.id, limit: 10).map(\.id) == [third.id, second.id, first.id])
            #expect(try await store.quality.runs(entryID: entry.id, limit: 10).allSatisfy { $0.report == nil })
            let scores = try await store.quality.latestScores(entryIDs: nil)
            #expect(scores.map(\.runID) == [second.id] && scores.first?.score == 50)
            #expect(try await store.quality.latestScores(entryIDs: [entry.id + 1]).isEmpty)
            await #expect(throws: StoreError.self) {
                try await store.quality.finishRun(id: third.id, report: try Self.report(failed: 0), at: Date())
            }

            // A run whose process died is failed once its heartbeat is old.
            let orphan = try await store.quality.startRun(
                entryID: entry.id, departmentID: entry.provider.departmentID, poolVersion: 1, trigger: .manual,
                rowsTotal: 4, requestedBy: nil, at: Date().addingTimeInterval(-3_600))
            #expect(
                try await store.quality.failStale(heartbeatBefore: Date().addingTimeInterval(-600), at: Date()) == 1)
            #expect(try await store.quality.run(id: orphan.id)?.status == .failed)
        }
    }
}
