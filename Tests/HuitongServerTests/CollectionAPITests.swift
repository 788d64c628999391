import Foundation
import HTTPTypes
import HuitongCore
import HuitongStore
import HuitongTestSupport
import Hummingbird
import HummingbirdTesting
import Logging
import SQLiteNIO
import Testing

@testable import HuitongServer
@testable import HuitongServices

/// Automated collection (归集) through the API: sources registered and tested, run, followed by the pool.
@Suite("Collection API")
struct CollectionAPITests {
    typealias SourceBody = CollectionAPI.SourceBody
    typealias Input = CollectionAPI.Input

    /// A node whose collection folder is a fresh temporary folder, dropped files taken at once.
    static func run(
        _ backend: TestBackend, adjusting adjust: (inout ServerConfiguration) -> Void = { _ in },
        _ body: @escaping @Sendable (TestNode, any TestClientProtocol, URL) async throws -> Void
    ) async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent(
            "huitong-collection-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        var configuration = TestNode.configuration
        configuration.ingest.collectionRoots = [root.path]
        configuration.ingest.dropSettleSeconds = 0
        adjust(&configuration)
        try await TestNode.run(backend, configuration: configuration) { node, client in
            try await body(node, client, root)
        }
    }

    /// An entry keyed by a plain number (`bh`) with a person's name (masked in samples) and a note.
    static func entry(_ client: some TestClientProtocol, _ city: CatalogAPITests.City, name: String = "企业名录")
        async throws -> Int64
    {
        var input = CatalogAPITests.entry(name: name)
        input.items = [
            CatalogAPI.ItemInput(name: "编号", columnName: "bh", dataType: .character, length: 20, isKey: true),
            CatalogAPI.ItemInput(
                name: "联系人", columnName: "xm", dataType: .character, length: 50, semanticKind: .personName),
            CatalogAPI.ItemInput(name: "备注", columnName: "bz", dataType: .character, length: 100),
        ]
        return try await client.send(
            .post, "/api/v1/catalog/entries", token: city.provider, input: input, as: CatalogEntry.self
        )
        .1.id
    }

    /// The pool's active rows, sorted by key.
    static func pool(_ node: TestNode, _ entryID: Int64) async throws -> [[String]] {
        guard let version = try await node.store.pools.active(entryID: entryID) else { return [] }
        return try await node.store.pools.firstRows(
            in: version, selecting: PoolSelection(columns: ["bh", "xm", "bz"]), limit: 1_000_000
        ).map { $0.map { $0 ?? "" } }.sorted { $0[0] < $1[0] }
    }

    /// The operator puts 127.0.0.1 (where the tests' source servers listen) on the upstream allow-list.
    static func allowLoopback(_ client: some TestClientProtocol, _ node: TestNode) async throws {
        #expect(
            try await client.status(
                .put, "/api/v1/gateway/upstream-allowlist", token: node.operatorToken,
                input: ["entries": ["127.0.0.1"]]) == .ok)
    }

    /// Starts a run and follows it until it ends.
    static func collect(
        _ client: some TestClientProtocol, source: Int64, token: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> CollectionRun {
        let (status, started) = try await client.send(
            .post, "/api/v1/collection-sources/\(source)/runs", token: token, input: NoInput(), as: CollectionRun.self,
            sourceLocation: sourceLocation)
        #expect(status == .accepted, sourceLocation: sourceLocation)
        return try await finished(client, source: source, run: started.id, token: token)
    }

    static func finished(_ client: some TestClientProtocol, source: Int64, run: Int64, token: String) async throws
        -> CollectionRun
    {
        for _ in 0..<1200 {
            let (_, runs) = try await client.send(
                .get, "/api/v1/collection-sources/\(source)/runs", token: token,
                as: ListBody<CollectionRun>.self)
            if let found = runs.items.first(where: { $0.id == run }), found.status != .running { return found }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("run \(run) still running")
        throw CancellationError()
    }

    /// Collection use cases of the test's own, over the node's store: their job queue has a place of its own, so
    /// the runs of file sources (pinned to it) are left by the node's queue to the test, which carries them out.
    static func scheduler(
        _ node: TestNode, root: URL, adjusting adjust: (inout IngestSettings) -> Void = { _ in }
    ) -> CollectionUseCases {
        var settings = IngestSettings()
        settings.collectionRoots = [root.path]
        settings.dropSettleSeconds = 0
        adjust(&settings)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let jobs = JobQueue(
            store: node.store, settings: JobSettings(), place: "test-\(UUID().uuidString)", logger: logger)
        return CollectionUseCases(
            store: node.store, settings: settings, sealingKey: nil,
            uploads: UploadLoads(store: node.store, settings: settings, jobs: jobs), jobs: jobs, audit: nil,
            logger: logger)
    }

    /// Creates and fills an SQLite file with `rows`.
    static func sqliteFile(_ path: String, _ statements: [String]) async throws {
        let connection = try await SQLiteConnection.open(storage: .file(path: path))
        do {
            for statement in statements { try await connection.query(statement, []) { _ in } }
            try await connection.close()
        } catch {
            try? await connection.close()
            throw error
        }
    }

    @Test(
        "an SQLite file source is tested, saved and collected; the pool follows it; the id watermark advances",
        arguments: TestBackend.available)
    func sqliteSource(_ backend: TestBackend) async throws {
        try await Self.run(backend) { node, client, root in
            let city = try await CatalogAPITests.city(node)
            let entryID = try await Self.entry(client, city)
            let file = root.appendingPathComponent("qy.sqlite").path
            var rows = (1...300).map { number in
                "(\(number), 'Q\(String(format: "%05d", number))', '联系人\(number)', '第\(number)条')"
            }
            try await Self.sqliteFile(
                file,
                [
                    "CREATE TABLE qy (id INTEGER PRIMARY KEY, code TEXT NOT NULL, contact TEXT, bz TEXT)",
                    "INSERT INTO qy VALUES \(rows.joined(separator: ","))",
                ])
            let input = Input(
                entryID: entryID, name: "企业库", kind: "sqlite", location: file, table: "qy",
                columnMapping: ["code": "bh", "contact": "xm"], schedule: "daily")

            // Outside the node's collection folders: refused, naming the field.
            var outside = input
            outside.location = "/etc/passwd"
            let (refusedStatus, refused) = try await client.send(
                .post, "/api/v1/collection-sources/test", token: city.provider, input: outside, as: ErrorBody.self)
            #expect(refusedStatus == .badRequest && refused.fields == ["location"])
            #expect(
                try await client.send(
                    .post, "/api/v1/collection-sources", token: city.otherProvider, input: input, as: ErrorBody.self
                ).0 == .notFound, "another department's entry")

            // Tested before it is saved: columns, the items they fill, and a masked sample.
            let (testStatus, tested) = try await client.send(
                .post, "/api/v1/collection-sources/test", token: city.provider, input: input, as: SourceTestResult.self)
            #expect(testStatus == .ok)
            #expect(tested.columns == ["id", "code", "contact", "bz"])
            #expect(tested.matchedItems == ["code": "bh", "contact": "xm", "bz": "bz"] && tested.missingItems.isEmpty)
            #expect(tested.sample.count == 5 && tested.sample[0][1] == "Q00001")
            #expect(tested.sample[0][2] != "联系人1" && tested.sample[0][2].contains("*"), "\(tested.sample[0])")

            let (created, source) = try await client.send(
                .post, "/api/v1/collection-sources", token: city.provider, input: input, as: SourceBody.self)
            #expect(created == .created && source.schedule == "daily" && source.nextRunAt != nil)
            let run = try await Self.collect(client, source: source.id, token: city.provider)
            #expect(run.status == .succeeded, "\(run)")
            #expect(run.rowsRead == 300 && run.rowsAccepted == 300 && run.rowsRejected == 0 && !run.incremental)
            #expect(try await Self.pool(node, entryID).count == 300)
            let jobID = try #require(run.ingestJobID)
            let job = try #require(try await node.store.ingestJobs.find(id: jobID))
            #expect(job.mode == .sync && job.status == .succeeded && job.fileName == "归集源 企业库")

            // The source changes: two rows updated, one deleted, one added; the whole read syncs the pool to it.
            try await Self.sqliteFile(
                file,
                [
                    "UPDATE qy SET bz = '已变更' WHERE id IN (5, 6)", "DELETE FROM qy WHERE id = 7",
                    "INSERT INTO qy VALUES (301, 'Q00301', '新人', '新增')",
                ])
            let second = try await Self.collect(client, source: source.id, token: city.provider)
            #expect(second.status == .succeeded, "\(second)")
            var pool = try await Self.pool(node, entryID)
            #expect(pool.count == 300)
            #expect(pool.first { $0[0] == "Q00005" }?[2] == "已变更" && !pool.contains { $0[0] == "Q00007" })
            #expect(pool.last == ["Q00301", "新人", "新增"])

            // With an increasing id as watermark: the first run reads everything and keeps the highest id; the next
            // reads only from it (less the overlap) and updates by key.
            let (patched, withWatermark) = try await client.send(
                .patch, "/api/v1/collection-sources/\(source.id)", token: city.provider,
                input: CollectionAPI.Patch(watermark: SourceWatermark(column: "id", kind: .increasingID, overlap: 2)),
                as: SourceBody.self)
            #expect(patched == .ok && withWatermark.watermark?.column == "id" && withWatermark.watermarkValue == nil)
            let full = try await Self.collect(client, source: source.id, token: city.provider)
            #expect(full.status == .succeeded && !full.incremental && full.watermarkValue == "301", "\(full)")
            rows = (302...310).map { number in "(\(number), 'Q\(String(format: "%05d", number))', '新\(number)', '')" }
            try await Self.sqliteFile(file, ["INSERT INTO qy VALUES \(rows.joined(separator: ","))"])
            let increment = try await Self.collect(client, source: source.id, token: city.provider)
            #expect(increment.status == .succeeded && increment.incremental, "\(increment)")
            #expect(increment.rowsRead == 12, "ids 299–310: the overlap of 2 re-reads 299–301")
            #expect(increment.watermarkValue == "310")
            let incrementJob = try #require(increment.ingestJobID)
            #expect(try await node.store.ingestJobs.find(id: incrementJob)?.mode == .upsert)
            pool = try await Self.pool(node, entryID)
            #expect(pool.count == 309 && pool.last?[0] == "Q00310")
            let (_, shown) = try await client.send(
                .get, "/api/v1/collection-sources/\(source.id)", token: city.provider, as: SourceBody.self)
            #expect(shown.watermarkValue == "310" && shown.lastRun?.id == increment.id)
            // Nothing past the watermark: the run succeeds without a new pool version.
            let versions = try await node.store.pools.versions(entryID: entryID).count
            let idle = try await Self.collect(client, source: source.id, token: city.provider)
            #expect(idle.status == .succeeded && idle.rowsRead == 0 && idle.ingestJobID == nil)
            #expect(try await node.store.pools.versions(entryID: entryID).count == versions)

            // A run whose rows are mostly refused publishes nothing.
            let before = try await node.store.pools.active(entryID: entryID)
            try await Self.sqliteFile(file, ["UPDATE qy SET code = '' WHERE id > 100", "UPDATE qy SET id = id + 1000"])
            _ = try await client.send(
                .patch, "/api/v1/collection-sources/\(source.id)", token: city.provider,
                input: CollectionAPI.Patch(removeWatermark: true), as: SourceBody.self)
            let failed = try await Self.collect(client, source: source.id, token: city.provider)
            #expect(failed.status == .failed && failed.rowsRejected > 0, "\(failed)")
            #expect(failed.failure?.zh.contains("被拒绝的行过多") == true, "\(String(describing: failed.failure))")
            #expect(try await node.store.pools.active(entryID: entryID) == before, "nothing published")
            #expect(try await Self.pool(node, entryID).count == 309)

            // Disabled: no run; removed: gone.
            _ = try await client.send(
                .patch, "/api/v1/collection-sources/\(source.id)", token: city.provider,
                input: CollectionAPI.Patch(enabled: false), as: SourceBody.self)
            let (disabledStatus, disabled) = try await client.send(
                .post, "/api/v1/collection-sources/\(source.id)/runs", token: city.provider, input: NoInput(),
                as: ErrorBody.self)
            #expect(disabledStatus == .conflict && disabled.code == "source_disabled")
            let (list, listed) = try await client.send(
                .get, "/api/v1/collection-sources", token: city.provider, as: ListBody<SourceBody>.self)
            #expect(list == .ok && listed.items.map(\.id) == [source.id])
            #expect(
                try await client.send(
                    .get, "/api/v1/collection-sources", token: city.otherProvider,
                    as: ListBody<SourceBody>.self
                ).1.items.isEmpty)
            let (deleted, _, _) = try await client.exchange(
                .delete, "/api/v1/collection-sources/\(source.id)", token: city.provider, raw: nil, headers: [:])
            #expect(deleted == .noContent)
            #expect(
                try await client.send(
                    .get, "/api/v1/collection-sources/\(source.id)", token: city.provider, as: ErrorBody.self
                ).0 == .notFound)
        }
    }

    @Test(
        "a drop directory's files are each taken once and moved to done/ or failed/; a bad file publishes nothing",
        arguments: TestBackend.available)
    func dropDirectory(_ backend: TestBackend) async throws {
        try await Self.run(backend) { node, client, root in
            let city = try await CatalogAPITests.city(node)
            let entryID = try await Self.entry(client, city)
            let folder = root.appendingPathComponent("drop", isDirectory: true)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try "bh,xm,bz\nA1,张三,甲\nA2,李四,乙\nA3,王五,丙\n".write(
                to: folder.appendingPathComponent("day1.csv"), atomically: true, encoding: .utf8)
            try "ignored".write(to: folder.appendingPathComponent("notes.pdf"), atomically: true, encoding: .utf8)
            let input = Input(entryID: entryID, name: "投放目录", kind: "dropDirectory", location: folder.path)
            let (_, tested) = try await client.send(
                .post, "/api/v1/collection-sources/test", token: city.provider, input: input, as: SourceTestResult.self)
            #expect(tested.files == ["day1.csv"])
            let (_, source) = try await client.send(
                .post, "/api/v1/collection-sources", token: city.provider, input: input, as: SourceBody.self)
            let first = try await Self.collect(client, source: source.id, token: city.provider)
            #expect(first.status == .succeeded && first.files == ["day1.csv"] && first.rowsAccepted == 3, "\(first)")
            #expect(try await Self.pool(node, entryID) == [["A1", "张三", "甲"], ["A2", "李四", "乙"], ["A3", "王五", "丙"]])
            #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("done/day1.csv").path))
            #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("day1.csv").path))

            // Taken once: a run with nothing new loads nothing.
            let idle = try await Self.collect(client, source: source.id, token: city.provider)
            #expect(idle.status == .succeeded && idle.files.isEmpty && idle.ingestJobID == nil)

            // A file that is mostly wrong goes to failed/, and the pool keeps what it had; the next one is taken.
            let before = try await node.store.pools.active(entryID: entryID)
            try "bh,xm,bz\n,无编号,x\n,无编号,y\nA9,赵六,z\n".write(
                to: folder.appendingPathComponent("day2.csv"), atomically: true, encoding: .utf8)
            let failed = try await Self.collect(client, source: source.id, token: city.provider)
            #expect(failed.status == .failed && failed.files == ["day2.csv"], "\(failed)")
            #expect(failed.failure?.en.contains("day2.csv") == true)
            #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("failed/day2.csv").path))
            #expect(try await node.store.pools.active(entryID: entryID) == before)
            try "[{\"bh\": \"A1\", \"xm\": \"张三\", \"bz\": \"甲\"}, {\"bh\": \"A4\", \"xm\": \"钱七\", \"bz\": \"丁\"}]"
                .write(
                    to: folder.appendingPathComponent("day3.json"), atomically: true, encoding: .utf8)
            let third = try await Self.collect(client, source: source.id, token: city.provider)
            #expect(third.status == .succeeded, "\(third)")
            #expect(try await Self.pool(node, entryID) == [["A1", "张三", "甲"], ["A4", "钱七", "丁"]], "a sync")
        }
    }

    @Test("a scheduled source is run when due, and its next run moves on", arguments: TestBackend.available)
    func schedule(_ backend: TestBackend) async throws {
        try await Self.run(backend) { node, client, root in
            let city = try await CatalogAPITests.city(node)
            let entryID = try await Self.entry(client, city)
            let folder = root.appendingPathComponent("sched", isDirectory: true)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try "bh,xm,bz\nB1,张三,甲\n".write(
                to: folder.appendingPathComponent("a.csv"), atomically: true, encoding: .utf8)
            let (_, source) = try await client.send(
                .post, "/api/v1/collection-sources", token: city.provider,
                input: Input(
                    entryID: entryID, name: "按周期", kind: "dropDirectory", location: folder.path,
                    schedule: "entryCycle"),
                as: SourceBody.self)
            // The answer's times are in whole seconds: the stored one may be a fraction later.
            let due = try #require(source.nextRunAt).addingTimeInterval(1)
            // The entry is updated daily: its source is due a day after it was registered.
            #expect(abs(due.timeIntervalSince(source.createdAt) - 86_400) < 3)

            // The scheduler's pass with a clock of our own: nothing before the time, one run at it, queued as a job
            // that this test then carries out as the queue would.
            let scheduler = Self.scheduler(node, root: root)
            #expect(try await scheduler.sweep(at: due.addingTimeInterval(-60)).isEmpty)
            let started = try await scheduler.sweep(at: due)
            #expect(started.count == 1 && started.first?.trigger == .schedule)
            #expect(try await scheduler.sweep(at: due).isEmpty, "claimed: not started twice")
            let startedRun = try #require(started.first)
            await scheduler.carryOut(
                CollectionUseCases.RunJob(sourceID: source.id, runID: startedRun.id),
                JobContext(jobID: 0, attempt: 1, maxAttempts: 1))
            let run = try await Self.finished(client, source: source.id, run: startedRun.id, token: city.provider)
            #expect(run.status == .succeeded && run.files == ["a.csv"], "\(run)")
            let after = try #require(try await node.store.collectionSources.find(id: source.id))
            #expect(try #require(after.nextRunAt) > due)
            #expect(try await scheduler.sweep(at: due.addingTimeInterval(60)).isEmpty)

            // A run whose first attempt was cut short (its node died) is failed when the queue tries it again; the
            // source is free for the next run, and the pool keeps what it had.
            let next = try #require(after.nextRunAt).addingTimeInterval(1)
            try "bh,xm,bz\nB2,李四,乙\n".write(
                to: folder.appendingPathComponent("b.csv"), atomically: true, encoding: .utf8)
            let retried = try #require(try await scheduler.sweep(at: next).first)
            await scheduler.carryOut(
                CollectionUseCases.RunJob(sourceID: source.id, runID: retried.id),
                JobContext(jobID: 0, attempt: 2, maxAttempts: 3))
            let interrupted = try #require(try await node.store.collectionSources.run(id: retried.id))
            #expect(interrupted.status == .failed && interrupted.failure == CollectionFailure.interrupted.message)
            #expect(try await Self.pool(node, entryID) == [["B1", "张三", "甲"]])
            let again = try await Self.collect(client, source: source.id, token: city.provider)
            #expect(again.status == .succeeded && again.files == ["b.csv"], "\(again)")
            #expect(try await Self.pool(node, entryID) == [["B2", "李四", "乙"]])
        }
    }
}
