import Foundation
import HTTPTypes
import HuitongCore
import HuitongStore
import HuitongTestSupport
import Hummingbird
import HummingbirdTesting
import Testing

@testable import HuitongServer
@testable import HuitongServices

/// Collection monitoring: a failing scheduled source retried with a doubling wait on the sweep's clock, its provider
/// and the operator told, and the figures (last success, lag, last run, on-time rate, 归集总量) through the API.
@Suite("Collection monitoring")
struct CollectionMonitoringTests {
    typealias SourceBody = CollectionAPI.SourceBody
    typealias Input = CollectionAPI.Input

    /// The user's notifications of `kind`.
    static func told(_ node: TestNode, _ user: Int64, _ kind: NotificationKind) async throws -> [InAppNotification] {
        try await node.store.notifications.list(userID: user, limit: 100).filter { $0.kind == kind }
    }

    static func close(_ a: Date?, _ b: Date) -> Bool { a.map { abs($0.timeIntervalSince(b)) < 0.01 } ?? false }

    @Test(
        "a failing scheduled source is retried after 1, 2 and 4 minutes, then waits a cycle; its provider and the operator are told; the figures follow",
        arguments: TestBackend.available)
    func retriesAlertsAndFigures(_ backend: TestBackend) async throws {
        try await CollectionAPITests.run(backend) { node, client, root in
            let city = try await CatalogAPITests.city(node)
            let entryID = try await CollectionAPITests.entry(client, city)
            let providerUser = try #require(try await node.store.users.find(username: "gaj.provider"))
            let operatorUser = try #require(try await node.store.users.find(username: "admin"))
            // The file is there but not its table: every run fails until the table appears.
            let file = root.appendingPathComponent("jg.sqlite").path
            try await CollectionAPITests.sqliteFile(file, ["CREATE TABLE other (x TEXT)"])
            let (status, source) = try await client.send(
                .post, "/api/v1/collection-sources", token: city.provider,
                input: Input(
                    entryID: entryID, name: "监管库", kind: "sqlite", location: file, table: "jg",
                    columnMapping: ["code": "bh"], schedule: "daily"),
                as: SourceBody.self)
            #expect(status == .created)
            let (_, idle) = try await client.send(
                .post, "/api/v1/collection-sources", token: city.provider,
                input: Input(
                    entryID: entryID, name: "备用库", kind: "sqlite", location: file, table: "jg", schedule: "daily"),
                as: SourceBody.self)

            let scheduler = CollectionAPITests.scheduler(node, root: root)
            /// The sweep at `time` starts the source's run, which this test carries out as the queue would.
            func sweep(at time: Date) async throws -> CollectionRun {
                let started = try await scheduler.sweep(at: time)
                let run = try #require(started.first { $0.sourceID == source.id })
                await scheduler.carryOut(
                    CollectionUseCases.RunJob(sourceID: source.id, runID: run.id),
                    JobContext(jobID: 0, attempt: 1, maxAttempts: 1))
                return try #require(try await node.store.collectionSources.run(id: run.id))
            }
            func stored() async throws -> CollectionSource {
                try #require(try await node.store.collectionSources.find(id: source.id))
            }

            // Both are due a day after they were registered; the idle one's run is claimed and never carried out.
            // (Stored times may come back a fraction off: each sweep is a millisecond after the time due.)
            var time = try #require(try await stored().nextRunAt).addingTimeInterval(0.001)
            var failures = 0
            for wait in [60.0, 120, 240] {
                let run = try await sweep(at: time)
                failures += 1
                #expect(run.status == .failed && run.failure != nil, "\(run)")
                let after = try await stored()
                #expect(after.consecutiveFailures == failures && after.lastFailure == run.failure)
                let due = run.startedAt.addingTimeInterval(wait)
                #expect(Self.close(after.nextRunAt, due), "retried after \(wait) s")
                let early = try await scheduler.sweep(at: due.addingTimeInterval(-1))
                #expect(!early.contains { $0.sourceID == source.id }, "not before the wait is over")
                time = due.addingTimeInterval(0.001)
            }
            // The third failure in a row is told, once, to the department's provider officers and the operators.
            for user in [providerUser.id, operatorUser.id] {
                let alerts = try await Self.told(node, user, .collectionFailing)
                #expect(alerts.count == 1 && alerts.first?.title.zh.contains("监管库") == true, "\(alerts)")
            }
            let otherProvider = try #require(try await node.store.users.find(username: "rsj.provider"))
            #expect(try await Self.told(node, otherProvider.id, .collectionFailing).isEmpty)

            // The fourth failure spends the retries: the source waits for its next cycle, and nobody is told again.
            let fourth = try await sweep(at: time)
            #expect(fourth.status == .failed)
            #expect(try await stored().consecutiveFailures == 4)
            #expect(Self.close(try await stored().nextRunAt, fourth.startedAt.addingTimeInterval(86_400)))
            #expect(try await Self.told(node, providerUser.id, .collectionFailing).count == 1)

            // The table appears: the next cycle's run succeeds and clears the failures.
            try await CollectionAPITests.sqliteFile(
                file,
                [
                    "CREATE TABLE jg (code TEXT, xm TEXT, bz TEXT)",
                    "INSERT INTO jg VALUES ('J1', '张三', '甲'), ('J2', '李四', '乙'), ('J3', '王五', '丙')",
                ])
            let success = try await sweep(at: fourth.startedAt.addingTimeInterval(86_400.001))
            #expect(success.status == .succeeded && success.rowsAccepted == 3, "\(success)")
            let healthy = try await stored()
            #expect(healthy.consecutiveFailures == 0 && healthy.lastFailure == nil)
            #expect(Self.close(healthy.lastSuccessAt, success.startedAt))

            // The figures an hour later: the collected source on time, the idle one (never collected, due a day
            // after it was registered) late; half the department's sources on time; three rows collected.
            let later = success.startedAt.addingTimeInterval(3600)
            let figures = try await scheduler.monitoring(by: providerUser, at: later)
            let collected = try #require(figures.sources.first { $0.sourceID == source.id })
            #expect(collected.onTime == true && collected.lagSeconds == 0 && collected.cycleSeconds == 86_400)
            #expect(Self.close(collected.dueAt, success.startedAt.addingTimeInterval(86_400)))
            #expect(collected.lastRun?.rowsRead == 3 && collected.lastRun?.rowsAccepted == 3)
            #expect(collected.lastRun?.rowsRejected == 0 && collected.lastRun?.durationSeconds != nil)
            #expect(collected.rowsCollected == 3 && collected.consecutiveFailures == 0)
            let late = try #require(figures.sources.first { $0.sourceID == idle.id })
            let idleDue = idle.createdAt.addingTimeInterval(86_400)
            #expect(late.onTime == false && late.lastSuccessAt == nil && late.rowsCollected == 0)
            #expect(abs(late.lagSeconds - later.timeIntervalSince(idleDue)) < 2, "\(late.lagSeconds)")
            #expect(figures.rowsCollected == 3)
            let department = try #require(figures.departments.first)
            #expect(figures.departments.count == 1 && department.departmentID == city.police.id)
            #expect(department.sources == 2 && department.scheduledSources == 2 && department.onTimeSources == 1)
            #expect(department.onTimeRate == 0.5 && department.rowsCollected == 3)

            // The sweeps told of each source once it was late beyond its cycle and grace: the failing one (a day
            // without a success, told before the run that mended it) and the idle one; a success clears the
            // lateness, and a source still late is not told again.
            _ = try await scheduler.sweep(at: later)
            _ = try await scheduler.sweep(at: later.addingTimeInterval(60))
            for user in [providerUser.id, operatorUser.id] {
                let alerts = try await Self.told(node, user, .collectionLate)
                #expect(alerts.count == 2, "\(alerts)")
                #expect(
                    alerts.contains { $0.title.zh.contains("备用库") } && alerts.contains { $0.title.zh.contains("监管库") })
            }
            #expect(try await stored().lateAlertedAt == nil)

            // Through the API: the provider sees their department, the operator every one, a consumer nothing.
            let (ok, shown) = try await client.send(
                .get, "/api/v1/collection-monitoring", token: city.provider, as: CollectionMonitoring.self)
            #expect(ok == .ok && shown.rowsCollected == 3 && shown.sources.count == 2)
            #expect(shown.sources.first { $0.sourceID == source.id }?.lastRun?.rowsAccepted == 3)
            let (_, theirs) = try await client.send(
                .get, "/api/v1/collection-monitoring", token: city.otherProvider, as: CollectionMonitoring.self)
            #expect(theirs.sources.isEmpty && theirs.rowsCollected == 0 && theirs.departments.isEmpty)
            let (_, every) = try await client.send(
                .get, "/api/v1/collection-monitoring", token: node.operatorToken, as: CollectionMonitoring.self)
            #expect(every.sources.count == 2 && every.departments.map(\.departmentID) == [city.police.id])
            let refused = try await client.execute(
                uri: "/api/v1/collection-monitoring", method: .get,
                headers: [.authorization: "Bearer \(city.consumer)"])
            #expect(refused.status == .forbidden)
        }
    }

    @Test("the retry policy doubles its wait from a minute, caps it, and gives up after its attempts")
    func retryPolicy() {
        let policy = CollectionRetryPolicy(firstDelay: 60, maxDelay: 150, attempts: 4)
        #expect((0...5).map { policy.retryDelay(afterFailures: $0) } == [nil, 60, 120, 150, 150, nil])
    }
}
