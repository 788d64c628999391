import ArgumentParser
import Foundation
import HuitongCore
import HuitongStore
import HuitongTestSupport
import SQLiteNIO
import Testing

@testable import HuitongServices
@testable import huitong

/// `huitong source …`, run as the built executable against a node's database and an SQLite source file.
@Suite("huitong source")
struct SourceCommandTests {
    static var executable: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("huitong")
    }

    @Test(
        "a source is added, listed, run into the pool and disabled from the command line",
        arguments: TestBackend.available)
    func addListRunDisable(_ backend: TestBackend) async throws {
        try #require(
            FileManager.default.isExecutableFile(atPath: Self.executable.path),
            "swift test builds the huitong executable beside the tests")
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("source-command-\(UUID())")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let file = root.appendingPathComponent("qy.sqlite").path
        let connection = try await SQLiteConnection.open(storage: .file(path: file))
        for statement in [
            "CREATE TABLE qy (code TEXT, contact TEXT)",
            "INSERT INTO qy VALUES ('Q1', '张三'), ('Q2', '李四'), ('Q3', '王五')",
        ] {
            try await connection.query(statement, []) { _ in }
        }
        try await connection.close()

        try await backend.withFreshDatabase { store, location in
            let (police, provider, accounts) = try await RemoteImportTests.prepare(store)
            let entry = try await store.catalog.create(
                try CatalogEntryContent(
                    classificationCode: "101001", name: "企业名录", abstract: "全市企业的名录。",
                    formats: [ResourceFormat(category: .database, type: "SQLite")],
                    items: [
                        InfoItem(name: "编号", columnName: "bh", dataType: .character, length: 20, isKey: true),
                        InfoItem(
                            name: "联系人", columnName: "xm", dataType: .character, length: 50,
                            semanticKind: .personName),
                    ],
                    shareType: .conditional, shareCondition: "用于核验", updateCycle: .daily
                ).validated(), departmentID: police.id, author: ChangeAuthor(userID: provider.id, name: "gaj"))

            let database: String =
                switch location {
                case .sqlite(let path): "sqlite:\(path)"
                case .postgres(let url): url
                }
            let data = root.appendingPathComponent("data").path
            let environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("HUITONG_") }
                .merging([
                    "HUITONG_COLLECTION_ROOTS": root.path,
                    // The nodes of one database share one sealing key (the rows' MACs are keyed with it).
                    "HUITONG_SEALING_KEY": TestBackend.sealingKey.base64,
                ]) { $1 }
            func huitong(_ arguments: [String]) throws -> (Int32, String) {
                try ChildProcess.run(
                    Self.executable,
                    ["source"] + arguments + [
                        "--database", database, "--data", data, "--log-level", "error", "--as", "gaj",
                    ],
                    environment: environment)
            }

            var (status, output) = try huitong([
                "add", "--entry", entry.code.text, "--name", "企业库", "--kind", "sqlite", "--location", file,
                "--table", "qy", "--map", "code=bh", "--map", "contact=xm", "--schedule", "daily",
            ])
            #expect(status == 0, "\(output)")
            #expect(output.contains("code→bh") && output.contains("source registered"), "\(output)")
            #expect(!output.contains("张三"), "the sample is masked by the entry's masking")
            let source = try #require(try await store.collectionSources.list(departmentID: police.id).first)

            (status, output) = try huitong(["list"])
            #expect(status == 0, "\(output)")
            #expect(output.contains("\(source.id)\t企业库\tsqlite\t\(file)\tdaily\tyes\t-"), "\(output)")

            (status, output) = try huitong(["run", "\(source.id)"])
            #expect(status == 0, "\(output)")
            #expect(output.contains("succeeded") && output.contains("accepted 3"), "\(output)")
            let version = try #require(try await store.pools.active(entryID: entry.id))
            let rows = try await store.pools.firstRows(
                in: version, selecting: PoolSelection(columns: ["bh", "xm"]), limit: 10)
            #expect(
                rows.map { $0.map { $0 ?? "" } }.sorted { $0[0] < $1[0] } == [
                    ["Q1", "张三"], ["Q2", "李四"], ["Q3", "王五"],
                ])
            let runs = try await store.collectionSources.runs(sourceID: source.id, limit: 10)
            #expect(runs.count == 1 && runs.first?.requestedBy == provider.id && runs.first?.trigger == .manual)

            (status, output) = try huitong(["list"])
            #expect(output.contains("succeeded 3/3"), "\(output)")

            // A cron schedule and a watermark from the command line; a bad expression names its field and saves
            // nothing.
            (status, output) = try huitong(["edit", "\(source.id)", "--cron", "0 25 * * *"])
            #expect(status != 0 && output.contains("第 2 段（小时）取值 25 超出 0–23"), "\(output)")
            #expect(try await store.collectionSources.find(id: source.id)?.schedule == .daily)
            (status, output) = try huitong([
                "edit", "\(source.id)", "--cron", "30 2 * * 1-5", "--watermark", "rowid", "--watermark-kind",
                "increasingID", "--overlap", "5",
            ])
            #expect(status == 0 && output.contains("source changed"), "\(output)")
            let edited = try #require(try await store.collectionSources.find(id: source.id))
            #expect(edited.schedule == .cron && edited.cron?.text == "30 2 * * 1-5")
            #expect(edited.watermark == SourceWatermark(column: "rowid", kind: .increasingID, overlap: 5))
            #expect(edited.nextRunAt != nil && edited.nextRunAt != source.nextRunAt)
            (status, output) = try huitong(["list"])
            #expect(output.contains("cron 30 2 * * 1-5"), "\(output)")
            (status, output) = try huitong(["edit", "\(source.id)", "--schedule", "daily", "--remove-watermark"])
            #expect(status == 0, "\(output)")
            let reverted = try #require(try await store.collectionSources.find(id: source.id))
            #expect(reverted.schedule == .daily && reverted.cron == nil && reverted.watermark == nil)

            (status, output) = try huitong(["disable", "\(source.id)"])
            #expect(status == 0 && output.contains("source disabled"), "\(output)")
            (status, output) = try huitong(["run", "\(source.id)"])
            #expect(status != 0, "\(output)")

            // Another department's account sees nothing and may run nothing.
            let social = try await store.departments.create(
                DepartmentDraft(name: "人社局", code: "RSJ", creditCode: nil, regionCode: "341502", parentID: nil))
            _ = try await accounts.createUser(
                UserDraft(username: "rsj", displayName: "rsj", departmentID: social.id, roles: [.provider]),
                password: "password-123")
            (status, output) = try ChildProcess.run(
                Self.executable,
                ["source", "list", "--database", database, "--data", data, "--log-level", "error", "--as", "rsj"],
                environment: environment)
            #expect(status == 0 && !output.contains("企业库"), "\(output)")
        }
    }

    @Test("the schedule, watermark and HTTP paging options of source add and edit")
    func settingsOptions() throws {
        let settings = try SourceSettings.parse([
            "--cron", "*/15 8-18 * * 1-5", "--watermark", "updated_at", "--overlap", "60", "--paging", "cursor",
            "--records-path", "data.items", "--page-parameter", "after", "--size-parameter", "limit", "--page-size",
            "500", "--next-path", "meta.next", "--auth-header", "Authorization", "--timeout", "20", "--rate", "2.5",
        ])
        let (schedule, cron) = try settings.schedule(default: .manual)
        #expect(schedule == .cron && cron?.text == "*/15 8-18 * * 1-5")
        #expect(try settings.watermark() == SourceWatermark(column: "updated_at", kind: .updateTime, overlap: 60))
        let http = try settings.http(over: nil)
        #expect(
            http
                == HTTPSourceOptions(
                    recordsPath: "data.items", paging: .cursor, pageParameter: "after", sizeParameter: "limit",
                    pageSize: 500, nextPath: "meta.next", authHeader: "Authorization", timeoutSeconds: 20,
                    requestsPerSecond: 2.5))
        // An edit changes only what it names.
        let edit = try SourceSettings.parse(["--page-size", "50", "--overlap", "10"])
        let (unchangedSchedule, unchangedCron) = try edit.schedule(default: nil)
        #expect(edit.changesHTTP && unchangedSchedule == nil && unchangedCron == nil)
        let saved = HTTPSourceOptions(recordsPath: "rows", paging: .offset, pageSize: 100)
        #expect(try edit.http(over: saved) == HTTPSourceOptions(recordsPath: "rows", paging: .offset, pageSize: 50))
        #expect(
            try edit.watermark(over: SourceWatermark(column: "id", kind: .increasingID, overlap: 2))
                == SourceWatermark(column: "id", kind: .increasingID, overlap: 10))
        #expect(throws: ArgumentParser.ValidationError.self) {
            try SourceSettings.parse(["--paging", "sideways"]).http(over: nil)
        }
        #expect(throws: ArgumentParser.ValidationError.self) { try edit.watermark(over: nil) }
    }
}
