import Foundation
import HuitongCore
import HuitongIngest
import HuitongStore
import HuitongTestSupport
import Synchronization
import Testing

/// Loads of real files into real pools, on every backend.
@Suite("Ingest runner")
struct IngestRunnerTests {
    static let author = ChangeAuthor(userID: nil, name: "测试")

    static func population(_ store: Store) async throws -> CatalogEntry {
        try await population(
            store,
            items: [
                InfoItem(
                    name: "身份证号码", columnName: "sfzhm", dataType: .character, length: 18, isKey: true,
                    semanticKind: .residentID),
                InfoItem(
                    name: "姓名", columnName: "xm", dataType: .character, length: 50, isRequired: true,
                    semanticKind: .personName),
                InfoItem(name: "出生日期", columnName: "csrq", dataType: .date),
            ])
    }

    /// The 人口基础信息 entry of 六安市公安局 with the given data items, in a fresh catalog.
    static func population(_ store: Store, items: [InfoItem]) async throws -> CatalogEntry {
        try await store.catalog.saveClassifications([
            ClassificationNode(scheme: "guide", code: "1", name: "基础信息资源目录"),
            ClassificationNode(scheme: "guide", code: "101", name: "国家人口基础信息资源"),
            ClassificationNode(scheme: "guide", code: "101001", name: "人口基本信息"),
        ])
        let department = try await store.departments.create(
            DepartmentDraft(name: "六安市公安局", code: "GAJ", creditCode: nil, regionCode: "341500", parentID: nil))
        let content = try CatalogEntryContent(
            classificationCode: "101001", name: "人口基础信息", abstract: "户籍人口",
            formats: [ResourceFormat(category: .database, type: "Oracle")],
            items: items,
            shareType: .conditional, shareCondition: "核验", updateCycle: .daily
        ).validated()
        return try await store.catalog.create(content, departmentID: department.id, author: author)
    }

    static func file(_ text: String, name: String = "rk.csv", bytes: [UInt8]? = nil) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(UUID().uuidString)-\(name)")
        try Data(bytes ?? Array(text.utf8)).write(to: url)
        return url
    }

    @Test(
        "a file with bad rows loads the good ones, reports the bad ones masked, and mounts the pool",
        arguments: TestBackend.available)
    func replaceLoad(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let entry = try await Self.population(store)
            let csv = """
                身份证号码,姓名,出生日期,备注
                11010519491231002X,张三,1949-12-31,a
                110105195001010012,李四,1950/1/1,b
                110105195001010019,王五,1950-01-01,bad check digit
                11010519491231002X,张三丰,1949-12-31,repeated key
                110105196002020014,"赵, 六",1960-02-02,"quoted, comma"
                """
            let runner = IngestRunner(store: store)
            let progress = ProgressLog()
            let job = try await runner.run(
                IngestRequest(entry: entry, file: try Self.file(csv), rejectionThreshold: 0.5),
                onProgress: { progress.append($0.job.fraction) })
            #expect(job.status == .succeeded)
            #expect(job.rowsRead == 5 && job.rowsLoaded == 3 && job.rowsRejected == 2)
            #expect(job.message.contains("备注"), "unknown columns are reported")
            #expect(progress.values.last == 1)
            let issues = try await store.ingestJobs.issues(id: job.id)
            #expect(issues.map(\.row) == [4, 5])
            #expect(issues[0].value == "1***************19", "the rejected ID number is masked")
            #expect(issues[1].reason.contains("第 2 行"))
            #expect(try await store.pools.rows(entryID: entry.id, key: ["110105196002020014"]).first?["xm"] == "赵, 六")
            #expect(
                try await store.pools.rows(entryID: entry.id, key: ["110105195001010012"]).first?["csrq"]
                    == "1950-01-01")
            let mounted = try #require(try await store.catalog.find(id: entry.id))
            #expect(mounted.recordCount == 3 && mounted.mount?.kind == .table)

            // The same file again is recognised.
            await #expect(throws: IngestFailure.repeatedFile(jobID: job.id)) {
                try await runner.run(IngestRequest(entry: entry, file: try Self.file(csv), rejectionThreshold: 0.5))
            }
        }
    }

    @Test("too many bad rows fail the job and leave the published pool as it was", arguments: TestBackend.available)
    func threshold(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let entry = try await Self.population(store)
            let runner = IngestRunner(store: store)
            _ = try await runner.run(
                IngestRequest(entry: entry, file: try Self.file("sfzhm,xm\n11010519491231002X,张三\n")))
            let bad = "sfzhm,xm\n110105195001010019,李四\n11010519491231002X,\n"
            await #expect(throws: IngestFailure.self) {
                try await runner.run(IngestRequest(entry: entry, file: try Self.file(bad)))
            }
            let jobs = try await store.ingestJobs.list(entryID: entry.id)
            // Every row rejected: said as such, and never published, whatever the threshold.
            #expect(jobs.first?.status == .failed && jobs.first?.message.contains("所有 2 行均被拒绝") == true)
            await #expect(throws: IngestFailure.self) {
                try await runner.run(
                    IngestRequest(entry: entry, file: try Self.file(bad), rejectionThreshold: 1, allowRepeat: true))
            }
            #expect(try await store.pools.active(entryID: entry.id)?.version == 1)
            #expect(try await store.pools.versions(entryID: entry.id).count == 1, "the failed version is gone")
            #expect(try await store.pools.rows(entryID: entry.id, key: ["11010519491231002X"]).count == 1)
            // A file without a required column is refused before any row.
            await #expect(throws: IngestError.missingColumns(["姓名（xm）"])) {
                try await runner.run(IngestRequest(entry: entry, file: try Self.file("sfzhm\n11010519491231002X\n")))
            }
        }
    }

    @Test("upsert and delete by key, GB18030 files, and recovery after a crash", arguments: TestBackend.available)
    func byKey(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let entry = try await Self.population(store)
            let runner = IngestRunner(store: store)
            _ = try await runner.run(
                IngestRequest(
                    entry: entry, file: try Self.file("sfzhm,xm\n11010519491231002X,张三\n110105195001010012,李四\n")))
            // "sfzhm,xm\n11010519491231002X,张三丰\n" in GB18030: 张 D5C5, 三 C8FD, 丰 B7E1.
            let gb: [UInt8] =
                Array("sfzhm,xm\n11010519491231002X,".utf8) + [0xD5, 0xC5, 0xC8, 0xFD, 0xB7, 0xE1] + [0x0A]
            let upsert = try await runner.run(
                IngestRequest(entry: entry, file: try Self.file("", bytes: gb), mode: .upsert))
            #expect(upsert.status == .succeeded && upsert.poolVersion == 2)
            #expect(try await store.pools.rows(entryID: entry.id, key: ["11010519491231002X"]).first?["xm"] == "张三丰")
            #expect(try await store.pools.active(entryID: entry.id)?.rowCount == 2)
            let removed = try await runner.run(
                IngestRequest(entry: entry, file: try Self.file("sfzhm,xm\n110105195001010012,李四\n"), mode: .delete))
            #expect(removed.rowsLoaded == 1)
            #expect(try await store.pools.active(entryID: entry.id)?.rowCount == 1)

            // A node elsewhere that died mid-load: once silent past the timeout, the job is failed and its
            // half-built table dropped.
            let dead = try await store.ingestJobs.create(
                entryID: entry.id, mode: .replace, fileName: "big.csv", contentHash: "x", totalBytes: 10, userID: nil,
                runner: "another-host|boot|4242")
            let half = try await store.pools.beginVersion(
                entryID: entry.id, columns: ["sfzhm", "xm", "csrq"], keyColumns: ["sfzhm"], copyingActive: false)
            try await store.pools.insert([["110105196002020014", "赵六", nil]], into: half, replacingKeys: false)
            // While it looks alive, nothing is touched, and a second load into the same entry must wait.
            #expect(try await IngestRunner.recover(store).isEmpty)
            await #expect(throws: IngestFailure.alreadyLoading) {
                try await runner.run(IngestRequest(entry: entry, file: try Self.file("sfzhm,xm\n")))
            }
            let recovered = try await IngestRunner.recover(store, staleAfter: .zero)
            #expect(recovered.map(\.id) == [dead.id])
            #expect(try await store.ingestJobs.find(id: dead.id)?.status == .failed)
            #expect(try await store.pools.active(entryID: entry.id)?.version == 3)
            #expect(try await store.pools.versions(entryID: entry.id).allSatisfy { $0.status != .building })
        }
    }
}

extension IngestRunnerTests {
    @Test("the same rows as UTF-8 CSV, GB18030 CSV, NDJSON, a JSON array and XLSX load to identical pools")
    func formats() async throws {
        try await TestBackend.sqlite.withFreshDatabase { store, _ in
            let entry = try await Self.population(store)
            let runner = IngestRunner(store: store)
            let csv = "sfzhm,xm,csrq\n11010519491231002X,张三,1949-12-31\n110105195001010012,李四,\n"
            // 张 D5C5 三 C8FD 李 C0EE 四 CBC4 in GB18030.
            let gb: [UInt8] =
                Array("sfzhm,xm,csrq\n11010519491231002X,".utf8) + [0xD5, 0xC5, 0xC8, 0xFD]
                + Array(",1949-12-31\n110105195001010012,".utf8) + [0xC0, 0xEE, 0xCB, 0xC4] + Array(",\n".utf8)
            let ndjson = """
                {"sfzhm": "11010519491231002X", "xm": "张三", "csrq": "1949-12-31"}
                {"xm": "李四", "sfzhm": "110105195001010012", "csrq": null}
                """
            let array = """
                [{"sfzhm": "11010519491231002X", "xm": "张三", "csrq": "1949-12-31"},
                 {"sfzhm": "110105195001010012", "xm": "李四"}]
                """
            let workbook = try XLSXWriter.makeData(sheets: [
                (
                    name: "人口",
                    rows: [
                        ["sfzhm", "xm", "csrq"],
                        [.text("11010519491231002X"), "张三", .date(CalendarDate(iso: "1949-12-31")!)],
                        [.text("110105195001010012"), "李四", .empty],
                    ]
                )
            ])
            var snapshots: [[[String: String?]]] = []
            for (name, bytes) in [
                ("a.csv", Array(csv.utf8)), ("b.csv", gb), ("c.ndjson", Array(ndjson.utf8)),
                ("d.json", Array(array.utf8)), ("e.xlsx", Array(workbook)),
            ] {
                let job = try await runner.run(
                    IngestRequest(entry: entry, file: try Self.file("", name: name, bytes: bytes), fileName: name))
                #expect(job.status == .succeeded && job.rowsLoaded == 2, "\(name)")
                snapshots.append(
                    try await store.pools.rows(entryID: entry.id, key: ["11010519491231002X"])
                        + store.pools.rows(entryID: entry.id, key: ["110105195001010012"]))
            }
            #expect(snapshots.allSatisfy { $0 == snapshots[0] }, "\(snapshots)")
            #expect(snapshots[0].first?["xm"] == "张三")
            await #expect(throws: TabularError.malformedJSON(line: 2)) {
                try await runner.run(
                    IngestRequest(
                        entry: entry,
                        file: try Self.file("{\"sfzhm\": \"x\", \"xm\": \"y\"}\nnot json\n", name: "e.ndjson"),
                        fileName: "e.ndjson"))
            }
        }
    }
}

extension IngestRunnerTests {
    @Test("a sheet streams to the pool batch by batch, with progress, and a wrong sheet name fails cleanly")
    func sheetInBatches() async throws {
        try await TestBackend.sqlite.withFreshDatabase { store, _ in
            let entry = try await Self.population(store)
            var runner = IngestRunner(store: store)
            runner.batchSize = 3
            runner.reportInterval = .zero
            var rows: [[XLSXCell]] = [["身份证号码", "姓名"]]
            for serial in 0..<20 {
                rows.append([.text(IngestDefectsAndCrashTests.residentID(serial).id), .text("居民\(serial)")])
            }
            rows.append([.text("110105195001010019"), "坏校验位"])
            let workbook = try XLSXWriter.makeData(sheets: [(name: "说明", rows: [["见下一页"]]), (name: "人口", rows: rows)])
            let file = try Self.file("", name: "rk.xlsx", bytes: Array(workbook))
            let progress = ProgressLog()
            let job = try await runner.run(
                IngestRequest(entry: entry, file: file, fileName: "rk.xlsx", sheet: "人口", rejectionThreshold: 0.1),
                onProgress: { progress.append($0.job.fraction) })
            #expect(job.status == .succeeded && job.rowsLoaded == 20 && job.rowsRejected == 1)
            #expect(try await store.ingestJobs.issues(id: job.id).map(\.row) == [22])
            #expect(progress.values.count > 3 && progress.values == progress.values.sorted())
            #expect(progress.values.last == 1)
            await #expect(throws: TabularError.self) {
                try await runner.run(
                    IngestRequest(entry: entry, file: file, fileName: "rk.xlsx", sheet: "没有这页", allowRepeat: true))
            }
            #expect(try await store.pools.active(entryID: entry.id)?.rowCount == 20)
        }
    }
}

/// Collects progress reports from the runner's callback.
final class ProgressLog: Sendable {
    private let storage = Mutex<[Double]>([])
    func append(_ value: Double) { storage.withLock { $0.append(value) } }
    var values: [Double] { storage.withLock { $0 } }
}
