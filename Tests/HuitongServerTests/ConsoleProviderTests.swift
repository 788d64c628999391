import Foundation
import HTTPTypes
import HuitongCore
import HuitongIngest
import HuitongStore
import HuitongTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import HuitongServer
@testable import HuitongServices

/// The provider's side of the console through the real application over the demo city: editing an entry, loading
/// data into it from the entry page and following the job, and approving an application in part.
@Suite("Console provider")
struct ConsoleProviderTests {
    typealias Browser = ConsoleTests.Browser

    static let boundary = "----huitong-console-9Qx3"

    /// Drafts 殡葬服务机构信息 (key 机构名称, required; 地址) through the new-entry form, as `browser`.
    static func draft(_ store: Store, _ browser: Browser, _ client: some TestClientProtocol) async throws
        -> CatalogEntry
    {
        let fields = [
            "name=\(PortalTests.encoded("殡葬服务机构信息"))", "abstract=\(PortalTests.encoded("全市殡葬服务机构的名称与地址"))",
            "classificationCode=203003", "formatCategory=database", "formatType=\(PortalTests.encoded("库表"))",
            "shareType=unconditional", "openness=closed", "updateCycle=monthly", "keywords=",
            "item_name_0=\(PortalTests.encoded("机构名称"))", "item_column_0=jgmc", "item_type_0=C", "item_key_0=on",
            "item_required_0=on", "item_name_1=\(PortalTests.encoded("地址"))", "item_column_1=dz", "item_type_1=C",
        ]
        let (status, _, _) = try await ConsoleTests.post(
            "/console/entries", fields.joined(separator: "&"), browser, client)
        #expect(status == .seeOther)
        return try await ConsoleTests.entry(store, "殡葬服务机构信息")
    }

    /// Posts a file through the entry page's upload form (`csrf` overrides the session's token).
    static func upload(
        _ entryID: Int64, fileName: String?, content: String, _ browser: Browser, _ client: some TestClientProtocol,
        csrf: String? = nil, mode: String = "replace", encoding: String = "auto", options: [(String, String)] = []
    ) async throws -> (HTTPResponse.Status, String, String?) {
        let body = IngestAPITests.form(
            boundary: boundary,
            fields: [("_csrf", csrf ?? browser.csrf), ("mode", mode), ("encoding", encoding)] + options,
            file: (fileName, content))
        return try await client.execute(
            uri: "/console/entries/\(entryID)/uploads", method: .post,
            headers: [.cookie: browser.cookie, .contentType: "multipart/form-data; boundary=\(boundary)"],
            body: ByteBuffer(string: body)
        ) { ($0.status, String(buffer: $0.body), $0.headers[.location]) }
    }

    /// Reloads a job page until its job has ended, as a browser without scripts would.
    static func finishedJobPage(_ path: String, _ browser: Browser, _ client: some TestClientProtocol) async throws
        -> String
    {
        for _ in 0..<400 {
            let (status, page) = try await ConsoleTests.get(path, browser, client)
            #expect(status == .ok)
            if !page.contains(#"http-equiv="refresh""#) { return page }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("\(path) still running")
        return ""
    }

    static func rows(_ count: Int, from start: Int = 0) -> String {
        (start..<start + count).map { "机构\($0),六安市金安区\($0)号\n" }.joined()
    }

    @Test(
        "editing a draft: a bad edit keeps what was typed and saves nothing, a good one keeps what the form hides; others cannot edit",
        arguments: TestBackend.available)
    func editEntry(_ backend: TestBackend) async throws {
        try await ConsoleTests.withDemo(backend) { store, passwords, client in
            let civil = try await ConsoleTests.signIn("mzj.officer", passwords, client)
            var entry = try await Self.draft(store, civil, client)
            // Details the form does not show, set through the API's path: editing must not wipe them.
            var detailed = entry.content
            detailed.shareChannel = .file
            detailed.items[1].length = 120
            entry = try await store.catalog.update(
                id: entry.id, with: detailed, author: ChangeAuthor(userID: nil, name: "test"), note: "")

            let (_, view) = try await ConsoleTests.get("/console/entries/\(entry.id)", civil, client)
            #expect(view.contains(#"href="/console/entries/\#(entry.id)/edit""#), "the entry page links to its form")
            let (_, mine) = try await ConsoleTests.get("/console/entries", civil, client)
            #expect(mine.contains(#"href="/console/entries/\#(entry.id)/edit""#), "my entries link to the form")
            let (formStatus, form) = try await ConsoleTests.get("/console/entries/\(entry.id)/edit", civil, client)
            #expect(formStatus == .ok)
            #expect(form.contains(#"action="/console/entries/\#(entry.id)""#))
            #expect(form.contains(#"value="殡葬服务机构信息""#) && form.contains(#"name="item_column_1" value="dz""#))
            #expect(form.contains(#"<option value="monthly" selected>"#))
            #expect(form.contains(#"name="item_key_0" checked"#))

            let typedName = "殡葬服务机构与公墓信息"
            func fields(column: String) -> String {
                [
                    "rows=8", "name=\(PortalTests.encoded(typedName))",
                    "abstract=\(PortalTests.encoded("全市殡葬服务机构与公墓的名称与地址"))", "classificationCode=203003",
                    "formatCategory=database", "formatType=\(PortalTests.encoded("库表"))", "shareType=unconditional",
                    "openness=closed", "updateCycle=monthly", "keywords=\(PortalTests.encoded("殡葬、公墓"))",
                    "item_origin_0=jgmc", "item_name_0=\(PortalTests.encoded("机构名称"))", "item_column_0=jgmc",
                    "item_type_0=C", "item_key_0=on", "item_required_0=on",
                    "item_origin_1=dz", "item_name_1=\(PortalTests.encoded("机构地址"))",
                    "item_column_1=\(PortalTests.encoded(column))", "item_type_1=C",
                    "item_name_2=\(PortalTests.encoded("联系电话"))", "item_column_2=lxdh", "item_type_2=C",
                ].joined(separator: "&")
            }
            let (bad, page, _) = try await ConsoleTests.post(
                "/console/entries/\(entry.id)", fields(column: "机构 地址"), civil, client)
            #expect(bad == .badRequest)
            #expect(page.contains(#"id="item-1-error""#), "the wrong column is named on its row")
            #expect(!page.contains(#"id="item-0-error""#) && !page.contains(#"id="item-2-error""#))
            #expect(page.contains(#"value="\#(typedName)""#) && page.contains(#"value="机构 地址""#))
            #expect(page.contains(#"value="lxdh""#), "the new row typed is kept")
            #expect(try await store.catalog.find(id: entry.id)?.content == entry.content, "nothing was saved")

            let (saved, _, location) = try await ConsoleTests.post(
                "/console/entries/\(entry.id)", fields(column: "jgdz"), civil, client)
            #expect(saved == .seeOther && location == "/console/entries/\(entry.id)?done=edited")
            let edited = try #require(try await store.catalog.find(id: entry.id))
            #expect(edited.status == .draft && edited.content.name == typedName)
            #expect(edited.content.items.map(\.columnName) == ["jgmc", "jgdz", "lxdh"])
            #expect(edited.content.items[1].name == "机构地址" && edited.content.items[1].length == 120)
            #expect(edited.content.shareChannel == .file && edited.content.keywords == ["殡葬", "公墓"])
            let (_, after) = try await ConsoleTests.get(try #require(location), civil, client)
            #expect(after.contains("目录修改已保存"))

            // A form opened before that save is refused instead of overwriting it, and keeps what was typed; sent
            // again from the page it comes back on, it saves.
            let stale = try #require(PagesAndContractTests.hiddenField("revision", in: form))
            let (conflict, conflictPage, _) = try await ConsoleTests.post(
                "/console/entries/\(entry.id)", "revision=\(stale)&" + fields(column: "jgdz2"), civil, client)
            #expect(conflict == .conflict && conflictPage.contains("已被他人保存"))
            #expect(conflictPage.contains(#"value="jgdz2""#))
            #expect(try await store.catalog.find(id: entry.id)?.content.items[1].columnName == "jgdz")
            let current = try #require(PagesAndContractTests.hiddenField("revision", in: conflictPage))
            #expect(current != stale)
            let (again, _, _) = try await ConsoleTests.post(
                "/console/entries/\(entry.id)", "revision=\(current)&" + fields(column: "jgdz2"), civil, client)
            #expect(again == .seeOther)
            #expect(try await store.catalog.find(id: entry.id)?.content.items[1].columnName == "jgdz2")

            // 公安局's provider cannot open or post 民政局's draft: to them it does not exist.
            let police = try await ConsoleTests.signIn("gaj.provider", passwords, client)
            #expect(try await ConsoleTests.get("/console/entries/\(entry.id)/edit", police, client).0 == .notFound)
            let (foreign, _, _) = try await ConsoleTests.post(
                "/console/entries/\(entry.id)", fields(column: "zz"), police, client)
            #expect(foreign == .notFound)
            #expect(try await store.catalog.find(id: entry.id)?.content.items[1].columnName == "jgdz2")

            // A published entry is revised through review, not this form; another department's is not theirs.
            let marriage = try await ConsoleTests.entry(store, "婚姻登记信息")
            let (published, refusal) = try await ConsoleTests.get("/console/entries/\(marriage.id)/edit", civil, client)
            #expect(published == .conflict && refusal.contains("只有草稿或已退回的目录可以修改"))
            #expect(!(try await ConsoleTests.get("/console/entries/\(marriage.id)", civil, client).1).contains("/edit"))
            let (other, _) = try await ConsoleTests.get("/console/entries/\(marriage.id)/edit", police, client)
            #expect(other == .forbidden)
        }
    }

    @Test(
        "an upload from the entry page ends on its job page with the rows loaded, rejected rows and their report",
        arguments: TestBackend.available)
    func uploadFromEntryPage(_ backend: TestBackend) async throws {
        try await ConsoleTests.withDemo(backend) { store, passwords, client in
            let civil = try await ConsoleTests.signIn("mzj.officer", passwords, client)
            let entry = try await Self.draft(store, civil, client)
            let (_, view) = try await ConsoleTests.get("/console/entries/\(entry.id)", civil, client)
            #expect(view.contains(#"enctype="multipart/form-data""#) && view.contains(#"name="file""#))

            // Bad uploads come back to the entry page with the problem next to the file field.
            let (empty, emptyPage, _) = try await Self.upload(entry.id, fileName: "", content: "", civil, client)
            #expect(empty == .badRequest && emptyPage.contains(#"id="file-error""#))
            let (pdf, pdfPage, _) = try await Self.upload(
                entry.id, fileName: "机构.pdf", content: "jgmc,dz\n" + Self.rows(3), civil, client)
            #expect(pdf == .badRequest && pdfPage.contains(#"id="file-error""#) && pdfPage.contains(".pdf"))
            // A refused file keeps the options chosen: a provider adding rows must not find the form at "replace".
            let (_, keptPage, _) = try await Self.upload(
                entry.id, fileName: "机构.pdf", content: "jgmc,dz\n" + Self.rows(3), civil, client, mode: "upsert",
                encoding: "gb18030")
            #expect(keptPage.contains(#"<option value="upsert" selected>"#))
            #expect(keptPage.contains(#"<option value="gb18030" selected>"#))
            #expect(!keptPage.contains(#"<option value="replace" selected>"#))
            let (forged, _, _) = try await Self.upload(
                entry.id, fileName: "jg.csv", content: "jgmc,dz\n" + Self.rows(3), civil, client, csrf: "forged")
            #expect(forged == .forbidden)
            #expect(try await store.ingestJobs.list(entryID: entry.id).isEmpty, "nothing was started")

            let (started, _, location) = try await Self.upload(
                entry.id, fileName: "jg.csv", content: "jgmc,dz\n" + Self.rows(30), civil, client)
            #expect(started == .seeOther)
            let jobPath = try #require(location)
            #expect(jobPath.hasPrefix("/console/jobs/"))
            let done = try await Self.finishedJobPage(jobPath, civil, client)
            #expect(
                done.contains("已完成")
                    && done.contains(#"<progress id="job-progress" class="progress-succeeded" max="100" value="100""#))
            #expect(done.contains(#"<dd data-field="rowsLoaded">30</dd>"#))
            #expect(done.contains(#"<dd data-field="rowsRejected">0</dd>"#))
            #expect(done.contains("<dt>数据版本</dt><dd>1</dd>"), "the version made live")
            #expect(!done.contains("/errors"), "no report when nothing was rejected")
            #expect(try await store.pools.active(entryID: entry.id)?.rowCount == 30)

            // 1 row of 30 has no 机构名称 (a required key): under the 5 % threshold, so the rest loads.
            let withBadRow = "jgmc,dz\n" + Self.rows(12) + ",无名机构地址\n" + Self.rows(17, from: 100)
            let (_, _, second) = try await Self.upload(
                entry.id, fileName: "jg-2.csv", content: withBadRow, civil, client)
            let report = try await Self.finishedJobPage(try #require(second), civil, client)
            #expect(report.contains(#"<dd data-field="rowsLoaded">29</dd>"#))
            #expect(report.contains(#"<dd data-field="rowsRejected">1</dd>"#))
            #expect(report.contains("<dt>数据版本</dt><dd>2</dd>"))
            #expect(
                report.contains(#"<tr><th scope="row">jgmc</th><td>必填项为空</td><td class="num">1</td><td>14</td>"#),
                "row 14 and why")
            let jobID = try #require(second?.split(separator: "/").last.flatMap { Int64($0) })
            #expect(report.contains(#"href="/api/v1/ingest/jobs/\#(jobID)/errors""#))
            let (csvStatus, csvType, csv) = try await client.execute(
                uri: "/api/v1/ingest/jobs/\(jobID)/errors", method: .get, headers: civil.headers
            ) { ($0.status, $0.headers[.contentType] ?? "", String(buffer: $0.body)) }
            #expect(csvStatus == .ok && csvType.hasPrefix("text/csv"))
            #expect(csv.contains("行号 row") && csv.contains("14,jgmc"))

            let (_, listed) = try await ConsoleTests.get("/console/entries/\(entry.id)", civil, client)
            #expect(listed.contains(#"href="\#(jobPath)""#) && listed.contains(#"href="/console/jobs/\#(jobID)""#))
            // The demo has no loads for the console crawl to reach: every link of a job page is followed here.
            for link in PortalTests.links(in: report, from: "/console/jobs/\(jobID)") {
                let (status, _) = try await ConsoleTests.get(link, civil, client)
                #expect(status.code < 400, "\(link) answered \(status.code)")
            }

            // The job is its department's (and the operator's): others are told nothing exists.
            let police = try await ConsoleTests.signIn("gaj.provider", passwords, client)
            #expect(try await ConsoleTests.get(jobPath, police, client).0 == .notFound)
            let admin = try await ConsoleTests.signIn("admin", passwords, client)
            #expect(try await ConsoleTests.get(jobPath, admin, client).0 == .ok)
        }
    }

    @Test(
        "the provider chooses per upload what rejected rows do: over the threshold nothing is published and the bar is red; publishing the valid rows reports the rest, grouped by the file's own headings",
        arguments: TestBackend.available)
    func uploadThresholdAndGroupedProblems(_ backend: TestBackend) async throws {
        try await ConsoleTests.withDemo(backend) { store, passwords, client in
            let civil = try await ConsoleTests.signIn("mzj.officer", passwords, client)
            let entry = try await Self.draft(store, civil, client)
            let (_, view) = try await ConsoleTests.get("/console/entries/\(entry.id)", civil, client)
            #expect(view.contains(#"name="maxRejectedPercent""#) && view.contains(#"value="5""#))
            #expect(view.contains(#"name="publishValid" value="true""#))
            #expect(view.contains(#"href="/api/v1/catalog/entries/\#(entry.id)/template?format=xlsx""#))

            // Six rows under Chinese headings: one without its name, two repeating a name. Half are valid.
            let file =
                "机构名称,地址\n机构1,一号\n,无名\n机构2,二号\n机构1,又一号\n机构3,三号\n机构2,又二号\n"
            let (_, _, strict) = try await Self.upload(entry.id, fileName: "jg.csv", content: file, civil, client)
            let failed = try await Self.finishedJobPage(try #require(strict), civil, client)
            #expect(failed.contains("归集失败") && failed.contains(#"class="progress-failed""#))
            #expect(failed.contains("<dt>有效行数（未发布）</dt>") && !failed.contains("<dt>入库行数</dt>"))
            #expect(try await store.pools.active(entryID: entry.id) == nil, "nothing published")
            // Grouped, largest first, named by the file's heading with the item's code beside it, values shown
            // (a name of an organisation is neither personal nor masked by its grade).
            #expect(
                failed.contains(
                    #"<tr><th scope="row">机构名称 <code class="small">jgmc</code></th><td>主键重复</td><td class="num">2</td><td>5、7</td><td>“机构1”、“机构2”</td></tr>"#
                ))
            #expect(failed.contains(#"<td>必填项为空</td><td class="num">1</td><td>3</td>"#))

            // A share that is not a number comes back next to its field, nothing started.
            let (bad, badPage, _) = try await Self.upload(
                entry.id, fileName: "jg.csv", content: file, civil, client, options: [("maxRejectedPercent", "五")])
            #expect(bad == .badRequest && badPage.contains(#"id="maxRejectedPercent-error""#))
            #expect(badPage.contains(#"value="五""#))

            let (_, _, lenient) = try await Self.upload(
                entry.id, fileName: "jg.csv", content: file, civil, client, options: [("publishValid", "true")])
            let published = try await Self.finishedJobPage(try #require(lenient), civil, client)
            #expect(published.contains("已完成") && published.contains(#"<dd data-field="rowsLoaded">3</dd>"#))
            #expect(published.contains(#"<dd data-field="rowsRejected">3</dd>"#))
            #expect(try await store.pools.active(entryID: entry.id)?.rowCount == 3)
            #expect(published.contains(#"<td>主键重复</td><td class="num">2</td>"#))

            // A threshold of 50 % lets three rejected rows of six through, too.
            let (_, _, half) = try await Self.upload(
                entry.id, fileName: "jg-b.csv", content: file, civil, client,
                options: [("maxRejectedPercent", "50"), ("allowRepeat", "true")])
            #expect(try await Self.finishedJobPage(try #require(half), civil, client).contains("已完成"))
            // Publishing the valid rows never publishes an empty pool: every row rejected fails.
            let (_, _, none) = try await Self.upload(
                entry.id, fileName: "jg-c.csv", content: "机构名称,地址\n,一\n,二\n", civil, client,
                options: [("publishValid", "true")])
            #expect(try await Self.finishedJobPage(try #require(none), civil, client).contains("所有 2 行均被拒绝"))
            #expect(try await store.pools.active(entryID: entry.id)?.rowCount == 3)
        }
    }

    @Test(
        "an entry's upload template (CSV and XLSX) has the headings, a row of types and an example, and loads as it is",
        arguments: TestBackend.available)
    func uploadTemplate(_ backend: TestBackend) async throws {
        try await ConsoleTests.withDemo(backend) { store, passwords, client in
            let civil = try await ConsoleTests.signIn("mzj.officer", passwords, client)
            let entry = try await Self.draft(store, civil, client)
            let (status, type, csv) = try await client.execute(
                uri: "/api/v1/catalog/entries/\(entry.id)/template?format=csv", method: .get, headers: civil.headers
            ) { ($0.status, $0.headers[.contentType] ?? "", String(buffer: $0.body)) }
            #expect(status == .ok && type.hasPrefix("text/csv"))
            #expect(csv.contains("机构名称,地址\r\n") || csv.contains("机构名称,地址\n"))
            #expect(csv.contains("字符型 · 主键 · 必填,字符型 · 可空"))
            let (_, _, job) = try await Self.upload(
                entry.id, fileName: "template.csv", content: String(csv.drop { $0 == "\u{FEFF}" }), civil, client)
            let page = try await Self.finishedJobPage(try #require(job), civil, client)
            #expect(page.contains("已完成") && page.contains(#"<dd data-field="rowsRejected">0</dd>"#))
            #expect(try await store.pools.active(entryID: entry.id)?.rowCount == 1, "the type row is skipped")

            let (xlsxStatus, xlsx) = try await client.execute(
                uri: "/api/v1/catalog/entries/\(entry.id)/template?format=xlsx", method: .get, headers: civil.headers
            ) { ($0.status, Data(buffer: $0.body)) }
            #expect(xlsxStatus == .ok && xlsx.starts(with: [0x50, 0x4B]))
            let rows = try XLSXReader(data: xlsx).rows().map(\.cells)
            #expect(rows.first == ["机构名称", "地址"] && rows.count == 3)

            let (wrong, _) = try await client.execute(
                uri: "/api/v1/catalog/entries/\(entry.id)/template?format=pdf", method: .get, headers: civil.headers
            ) { ($0.status, 0) }
            #expect(wrong == .badRequest)
            let police = try await ConsoleTests.signIn("gaj.provider", passwords, client)
            let (foreign, _) = try await client.execute(
                uri: "/api/v1/catalog/entries/\(entry.id)/template", method: .get, headers: police.headers
            ) { ($0.status, 0) }
            #expect(foreign == .notFound)
        }
    }

    @Test("a running job's page refreshes itself (meta refresh without scripts, a polling script allowed by its hash)")
    func jobPageRefreshesWhileRunning() async throws {
        try await ConsoleTests.withDemo(.sqlite) { store, passwords, client in
            let civil = try await ConsoleTests.signIn("mzj.officer", passwords, client)
            let entry = try await Self.draft(store, civil, client)
            // A job as a load records it when it starts, advanced by hand so that each state is seen for sure.
            let job = try await store.ingestJobs.create(
                entryID: entry.id, mode: .replace, fileName: "jg.csv", contentHash: "0", totalBytes: 1000, userID: nil,
                runner: "test")
            func open() async throws -> (String, String) {
                try await client.execute(uri: "/console/jobs/\(job.id)", method: .get, headers: civil.headers) {
                    (String(buffer: $0.body), $0.headers[.contentSecurityPolicy] ?? "")
                }
            }
            let (fresh, policy) = try await open()
            #expect(fresh.contains(#"<noscript><meta http-equiv="refresh" content="2"></noscript>"#))
            #expect(fresh.contains(#"value="0""#) && fresh.contains("进行中"))
            let script = try #require(
                fresh.components(separatedBy: "<script>").dropFirst().first?.components(separatedBy: "</script>").first)
            #expect(script == ConsolePages.jobScript, "the page's script is the one whose hash the policy admits")
            #expect(policy.contains("script-src 'self' \(ConsolePages.jobScriptHash)"))
            #expect(fresh.contains(#"data-poll="/api/v1/ingest/jobs/\#(job.id)""#))

            try await store.ingestJobs.progress(
                id: job.id, processedBytes: 450, rowsRead: 1200, rowsLoaded: 1190, rowsRejected: 10)
            let (halfway, _) = try await open()
            #expect(halfway.contains(#"value="45""#) && halfway.contains(#"<dd data-field="rowsRead">1,200</dd>"#))
            #expect(halfway.contains(#"http-equiv="refresh""#))

            _ = try await store.ingestJobs.finish(id: job.id, status: .failed, message: "测试中止", poolVersion: nil)
            let (ended, endedPolicy) = try await open()
            #expect(!ended.contains(#"http-equiv="refresh""#) && !ended.contains("<script>"))
            #expect(!endedPolicy.contains("script-src"))
            #expect(ended.contains("归集失败") && ended.contains("测试中止"))
        }
    }

    @Test("a partial approval grants only the ticked items; none ticked, or all, is refused next to the items")
    func approveInPart() async throws {
        try await ConsoleTests.withDemo(.sqlite) { store, passwords, client in
            let civil = try await ConsoleTests.signIn("mzj.officer", passwords, client)
            let marriage = try await ConsoleTests.entry(store, "婚姻登记信息")
            let application = try #require(
                try await store.applications.list(.all, state: .providerReview).first {
                    $0.resourceCode == marriage.code.text
                })
            #expect(application.content.items == ["djlx", "nfsfzhm", "nvfsfzhm", "djrq"])
            let (_, queue) = try await ConsoleTests.get("/console/to-review", civil, client)
            #expect(queue.contains(#"<option value="approvePartially">部分同意</option>"#))
            #expect(queue.contains(#"name="grantItems" value="nfsfzhm" checked"#))

            let path = "/console/applications/\(application.id)/decision"
            let comment = "仅提供登记类型与日期"
            let base = "kind=approvePartially&grantItemsShown=1&comment=\(PortalTests.encoded(comment))"
            let (none, nonePage, _) = try await ConsoleTests.post(path, base, civil, client)
            #expect(none == .badRequest)
            #expect(nonePage.contains(#"id="grant-items-\#(application.id)-error""#))
            #expect(nonePage.contains(PortalTests.escaped(comment)), "the comment typed is kept")
            #expect(nonePage.contains(#"<option value="approvePartially" selected>"#))
            #expect(!nonePage.contains(#"name="grantItems" value="djlx" checked"#), "the ticks are kept (none)")

            let everything = application.content.items.map { "grantItems=\($0)" }.joined(separator: "&")
            let (all, allPage, _) = try await ConsoleTests.post(path, base + "&" + everything, civil, client)
            #expect(all == .badRequest && allPage.contains(#"id="terms-\#(application.id)-error""#))
            #expect(try await store.applications.find(id: application.id)?.state == .providerReview)

            let (decided, _, location) = try await ConsoleTests.post(
                path, base + "&grantItems=djlx&grantItems=djrq", civil, client)
            #expect(decided == .seeOther && location == "/console/to-review?done=decided")
            let approved = try #require(try await store.applications.find(id: application.id))
            #expect(approved.decision?.kind == .approvePartially)
            let grantID = try #require(approved.grantID)
            let grant = try #require(try await store.grants.find(id: grantID))
            #expect(grant.items == ["djlx", "djrq"])
        }
    }
}
