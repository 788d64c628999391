import Foundation
import HTTPTypes
import HuitongCore
import HuitongDemo
import HuitongStore
import HuitongTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import HuitongServer
@testable import HuitongServices

/// The collection (归集) pages through the real application over the demo city: the list, the form with its
/// problems in the officer's language, 测试连接, saving, 立即归集 followed to its end, the run history, the
/// monitoring page and the operator's overview with the figures.
@Suite("Console collection")
struct ConsoleCollectionTests {
    typealias Browser = ConsoleTests.Browser

    /// The demo city served with a collection folder of its own.
    static func withDemo(
        _ backend: TestBackend,
        _ body: @escaping @Sendable (Store, [String: String], any TestClientProtocol, URL) async throws -> Void
    ) async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent(
            "huitong-console-collection-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        try await backend.withFreshDatabase { store, _ in
            try await NodeStartup.prepare(store: store)
            let issued = try #require(try await DemoData.load(into: AccountUseCases(store: store, bcryptCost: 4)))
            let passwords = Dictionary(uniqueKeysWithValues: issued.map { ($0.username, $0.password) })
            var configuration = TestNode.configuration
            configuration.ingest.collectionRoots = [root.path]
            configuration.ingest.dropSettleSeconds = 0
            let served = configuration
            let app = try await HuitongApp.buildApplication(reader: TestConfiguration.reader(), store: store) {
                $0 = served.served(by: $0)
            }
            try await app.test(.router) { client in try await body(store, passwords, client, root) }
        }
    }

    static func form(_ fields: [(String, String)]) -> String {
        fields.map { "\(PortalTests.encoded($0.0))=\(PortalTests.encoded($0.1))" }.joined(separator: "&")
    }

    @Test(
        "a provider adds, tests and runs a source from the console; bad input is summarised by field in the officer's language; the figures reach the overview",
        arguments: TestBackend.available)
    func addTestRunMonitor(_ backend: TestBackend) async throws {
        try await Self.withDemo(backend) { store, passwords, client, root in
            let civil = try await ConsoleTests.signIn("mzj.officer", passwords, client)
            let entry = try await ConsoleProviderTests.draft(store, civil, client)
            let file = root.appendingPathComponent("bz.sqlite").path
            let rows = (1...40).map { "('机构\($0)', '六安市金安区\($0)号')" }.joined(separator: ",")
            try await CollectionAPITests.sqliteFile(
                file, ["CREATE TABLE jg (mc TEXT, dz TEXT)", "INSERT INTO jg VALUES \(rows)"])

            // Reachable from the console's navigation.
            let (_, overview) = try await ConsoleTests.get("/console", civil, client)
            #expect(overview.contains(#"href="/console/collection""#) && overview.contains("数据归集"))
            var (status, page) = try await ConsoleTests.get("/console/collection", civil, client)
            #expect(status == .ok && page.contains("还没有归集源") && page.contains(#"href="/console/collection/new""#))
            (status, page) = try await ConsoleTests.get("/console/collection/new?entry=\(entry.id)", civil, client)
            #expect(status == .ok && page.contains(#"<option value="\#(entry.id)" selected>"#), "\(page)")
            #expect(page.contains(#"name="secret" type="password" value="""#))

            // Every problem at once, each linked to its field, in the officer's language; nothing saved.
            var bad: [(String, String)] = [
                ("entryID", String(entry.id)), ("kind", "sqlite"), ("name", " "), ("location", "jg.sqlite"),
                ("table", "jg"), ("schedule", "cron"), ("cron", "0 25 * * *"), ("watermark.column", "mc"),
                ("watermark.overlap", "x"), ("enabled", "true"), ("intent", "save"),
            ]
            var location: String?
            (status, page, location) = try await ConsoleTests.post(
                "/console/collection", Self.form(bad), civil, client)
            #expect(status == .badRequest && location == nil)
            #expect(page.contains(#"class="error-summary""#))
            for field in ["name", "location", "cron", "watermark_overlap"] {
                #expect(page.contains(##"href="#field-\##(field)""##), "summary links \(field)")
                #expect(page.contains(#"id="field-\#(field)""#), "the field \(field) is there to link to")
            }
            #expect(page.contains("第 2 段（小时）取值 25 超出 0–23") && !page.contains("field 2 (hour)"), "Chinese only")
            #expect(page.contains("须为数字"))
            #expect(page.contains(#"value="jg.sqlite""#), "what was typed stays")
            (status, page, _) = try await ConsoleTests.post(
                "/console/collection?lang=en", Self.form(bad), civil, client)
            #expect(status == .badRequest && page.contains("field 2 (hour) value 25 is outside 0–23"))
            #expect(!page.contains("第 2 段") && page.contains("must be a number"), "English only")
            #expect(try await store.collectionSources.list(departmentID: entry.provider.departmentID).isEmpty)

            // 测试连接: the columns found, the items they fill, five rows masked; still nothing saved.
            let good: [(String, String)] = [
                ("entryID", String(entry.id)), ("kind", "sqlite"), ("name", "殡葬机构库"), ("location", file),
                ("table", "jg"), ("columnMapping", "mc=jgmc"), ("schedule", "cron"), ("cron", "30 2 * * 1-5"),
                ("enabled", "true"),
            ]
            bad = good + [("intent", "test")]
            (status, page, _) = try await ConsoleTests.post("/console/collection", Self.form(bad), civil, client)
            #expect(status == .ok, "\(page)")
            #expect(page.contains("测试连接结果") && page.contains("<code>mc</code>") && page.contains("<code>jgmc</code>"))
            #expect(page.components(separatedBy: "<tr><td>机构").count - 1 == 5, "five sample rows")
            #expect(try await store.collectionSources.list(departmentID: entry.provider.departmentID).isEmpty)

            // Saved: the source's page, with its cron schedule.
            (status, _, location) = try await ConsoleTests.post(
                "/console/collection", Self.form(good + [("intent", "save")]), civil, client)
            #expect(status == .seeOther)
            let source = try #require(
                try await store.collectionSources.list(departmentID: entry.provider.departmentID).first)
            #expect(source.cron?.text == "30 2 * * 1-5" && source.columnMapping == ["mc": "jgmc"])
            #expect(location == "/console/collection/\(source.id)?done=created")
            (status, page) = try await ConsoleTests.get("/console/collection/\(source.id)", civil, client)
            #expect(status == .ok && page.contains("cron 表达式 30 2 * * 1-5") && page.contains("立即归集"))
            #expect(page.contains("还没有运行记录"))

            // The saved source tested again from its page.
            (status, page, _) = try await ConsoleTests.post("/console/collection/\(source.id)/test", "", civil, client)
            #expect(status == .ok && page.contains("测试连接结果") && page.contains("<code>dz</code>"))

            // 立即归集, followed until the run ends (the page refreshes itself while it runs).
            (status, _, location) = try await ConsoleTests.post(
                "/console/collection/\(source.id)/run", "", civil, client)
            #expect(status == .seeOther && location == "/console/collection/\(source.id)?done=started")
            var history = ""
            for _ in 0..<400 {
                (status, history) = try await ConsoleTests.get("/console/collection/\(source.id)", civil, client)
                if !history.contains(#"http-equiv="refresh""#) { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            let run = try #require(try await store.collectionSources.runs(sourceID: source.id, limit: 1).first)
            #expect(run.status == .succeeded && run.rowsAccepted == 40, "\(run)")
            #expect(history.contains("<td>40</td>") && history.contains("成功"), "\(history)")
            #expect(history.contains(#"href="/console/jobs/\#(run.ingestJobID ?? 0)""#), "the run's load")

            // The edit form shows the saved values, never a secret.
            (status, page) = try await ConsoleTests.get("/console/collection/\(source.id)/edit", civil, client)
            #expect(status == .ok && page.contains(#"value="30 2 * * 1-5""#) && page.contains("mc=jgmc"))
            (status, _, location) = try await ConsoleTests.post(
                "/console/collection/\(source.id)",
                Self.form([
                    ("name", "殡葬机构库"), ("location", file), ("table", "jg"), ("columnMapping", "mc=jgmc"),
                    ("schedule", "daily"), ("enabled", "true"),
                ]), civil, client)
            #expect(status == .seeOther && location == "/console/collection/\(source.id)?done=edited")
            #expect(try await store.collectionSources.find(id: source.id)?.schedule == .daily)

            // Monitoring: 40 rows collected, the department's one scheduled source on time.
            (status, page) = try await ConsoleTests.get("/console/collection/monitoring", civil, client)
            #expect(status == .ok && page.contains(#"<strong id="rows-collected">40</strong>"#), "\(page)")
            #expect(page.contains(#"<strong id="on-time-rate">100.0%</strong>"#))
            (status, page) = try await ConsoleTests.get("/console/collection?lang=en", civil, client)
            #expect(page.contains("殡葬机构库") && page.contains("daily") && page.contains("succeeded"))

            // Another department's officer sees none of it.
            let other = try await ConsoleTests.signIn("rsj.officer", passwords, client)
            (status, page) = try await ConsoleTests.get("/console/collection", other, client)
            #expect(status == .ok && !page.contains("殡葬机构库"))
            (status, _) = try await ConsoleTests.get("/console/collection/\(source.id)", other, client)
            #expect(status == .notFound)

            // The operator's overview: 归集总量 and the on-time rates, by department.
            let admin = try await ConsoleTests.signIn("admin", passwords, client)
            (status, page) = try await ConsoleTests.get("/console/dashboard", admin, client)
            #expect(status == .ok && page.contains("行归集总量") && page.contains("<strong>40</strong>"), "\(page)")
            #expect(page.contains("<strong>100.0%</strong> 归集按时更新率"))
            #expect(page.contains("<td>六安市民政局</td><td>1</td><td>1</td><td>100.0%</td><td>40</td>"), "\(page)")
            (status, page) = try await ConsoleTests.get("/console/collection", admin, client)
            #expect(page.contains("殡葬机构库"), "the operator sees every department's")

            // The quality report's timeliness: the department's on-time rate.
            let (_, report) = try await ConsoleTests.get(
                "/quality/departments/\(entry.provider.departmentID)", civil, client)
            #expect(report.contains(#"<strong id="department-timeliness">100.0</strong>"#), "\(report)")
            #expect(report.contains(#"<strong id="department-rows-collected">40</strong>"#))
        }
    }
}
