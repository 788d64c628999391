import Foundation
import HTTPTypes
import HuitongCore
import HuitongIngest
import HuitongStore
import HuitongTestSupport
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing

@testable import HuitongServer
@testable import HuitongServices

/// The public open-data portal through the real application, over open, conditional and closed entries whose
/// pools the tests load themselves.
struct PortalFixture: Sendable {
    /// 无条件开放, 市场监管局, three rows in its second pool version (two in the first).
    var licences: CatalogEntry
    /// 无条件开放, 市场监管局, updated monthly, no data loaded.
    var clinics: CatalogEntry
    /// 有条件开放, 公安局, with two rows loaded that the public must never see.
    var floating: CatalogEntry
    /// 不予开放, 公安局, with a row loaded.
    var closed: CatalogEntry
    var police: Department
    var market: Department

    static let licenceColumns = ["tyshxydm", "mc", "fddbr", "lxdh", "jyfw", "zjhm"]
    /// Rows of 企业营业执照信息 in the active version. `zjhm` is graded 一般3级 and never leaves the platform.
    static let licenceRows: [[String?]] = [
        ["91341500MA2N0001XA", "六安市皋城食品有限公司", "张三丰", "13812345678", "=HYPERLINK(\"http://x\")", "341502199001011234"],
        ["91341500MA2N0002XB", "六安市金寨茶业有限公司", "李四", "13987654321", "茶叶销售", "341522199202022345"],
        ["91341500MA2N0003XC", "六安市霍山石斛有限公司", "王五", nil, "石斛种植", "341525199303033456"],
    ]
    /// What the public sees of `licenceRows`: the open items only, names and phones masked.
    static let maskedLicenceRows: [[String]] = [
        ["91341500MA2N0001XA", "六安市皋城食品有限公司", "张**", "138****5678", "=HYPERLINK(\"http://x\")"],
        ["91341500MA2N0002XB", "六安市金寨茶业有限公司", "李*", "139****4321", "茶叶销售"],
        ["91341500MA2N0003XC", "六安市霍山石斛有限公司", "王*", "", "石斛种植"],
    ]
    static let secretMarkers = ["赵六六", "钱七七", "341502199001011234", "张三丰", "13812345678"]

    static func load(_ store: Store) async throws -> PortalFixture {
        try await OpenDataFixture.classifications(store)
        let police = try await store.departments.create(
            DepartmentDraft(name: "六安市公安局", code: "GAJ", creditCode: nil, regionCode: "341500", parentID: nil))
        let market = try await store.departments.create(
            DepartmentDraft(name: "六安市市场监督管理局", code: "SCJ", creditCode: nil, regionCode: "341500", parentID: nil))
        let licenceItems = [
            InfoItem(
                name: "统一社会信用代码", columnName: "tyshxydm", dataType: .character, length: 18, isKey: true,
                shareType: .unconditional, grade: .general1, semanticKind: .creditCode),
            InfoItem(
                name: "企业名称", columnName: "mc", dataType: .character, shareType: .unconditional, grade: .general1),
            InfoItem(
                name: "法定代表人", columnName: "fddbr", dataType: .character, shareType: .unconditional,
                grade: .general2, semanticKind: .personName),
            InfoItem(
                name: "联系电话", columnName: "lxdh", dataType: .character, shareType: .unconditional, grade: .general2,
                semanticKind: .mobilePhone),
            InfoItem(
                name: "经营范围", columnName: "jyfw", dataType: .character, shareType: .unconditional, grade: .general1),
            InfoItem(
                name: "法定代表人身份证号", columnName: "zjhm", dataType: .character, shareType: .conditional,
                grade: .general3, semanticKind: .residentID),
        ]
        var licenceContent = OpenDataFixture.content(
            "企业营业执照信息", abstract: "全市企业营业执照的登记信息。", openness: .unconditional, keywords: ["营业执照", "企业"],
            cycle: .daily)
        licenceContent.items = licenceItems
        licenceContent.formats = [ResourceFormat(category: .spreadsheet, type: "CSV")]
        let licences = try await OpenDataFixture.publish(licenceContent, department: market, in: store)
        try await loadPool(store, licences, columns: licenceColumns, rows: Array(licenceRows.prefix(2)))
        try await loadPool(store, licences, columns: licenceColumns, rows: licenceRows)

        let clinics = try await OpenDataFixture.publish(
            OpenDataFixture.content(
                "医疗机构执业登记信息", abstract: "医疗机构的执业登记。", openness: .unconditional, keywords: ["医疗"],
                cycle: .monthly),
            department: market, in: store)
        let floating = try await OpenDataFixture.publish(
            OpenDataFixture.content(
                "流动人口登记信息", abstract: "流动人口居住登记。", openness: .conditional, keywords: ["人口"],
                cycle: .irregular, openCondition: "实名认证并签署数据利用协议"),
            department: police, in: store)
        try await loadPool(store, floating, columns: ["djbh"], rows: [["赵六六"], ["赵六七"]])
        let closed = try await OpenDataFixture.publish(
            OpenDataFixture.content("人口敏感信息", abstract: "不予开放。", openness: .closed, keywords: ["人口"]),
            department: police, in: store)
        try await loadPool(store, closed, columns: ["djbh"], rows: [["钱七七"]])
        return PortalFixture(
            licences: licences, clinics: clinics, floating: floating, closed: closed, police: police, market: market)
    }

    static func loadPool(_ store: Store, _ entry: CatalogEntry, columns: [String], rows: [[String?]]) async throws {
        let version = try await store.pools.beginVersion(
            entryID: entry.id, columns: columns, keyColumns: [columns[0]], copyingActive: false)
        try await store.pools.insert(rows, into: version, replacingKeys: false)
        let active = try await store.pools.activate(version, keep: 3)
        // As every load does: the entry is mounted on its pool, with its row count.
        _ = try await store.catalog.setMount(
            id: entry.id, MountedResource(kind: .table, locator: active.tableName), recordCount: active.rowCount,
            dataUpdatedAt: Date(), author: OpenDataFixture.author)
    }

    static func run(
        _ backend: TestBackend,
        _ body: @escaping @Sendable (PortalFixture, TestNode, any TestClientProtocol) async throws -> Void
    ) async throws {
        try await TestNode.run(backend) { node, client in
            let fixture = try await load(node.store)
            try await body(fixture, node, client)
        }
    }
}

extension TestClientProtocol {
    /// GETs a page and returns its status and text.
    func page(_ uri: String, language: String? = nil) async throws -> (HTTPResponse.Status, String) {
        let headers: HTTPFields = language.map { [.cookie: "huitong_lang=\($0)"] } ?? [:]
        return try await execute(uri: uri, method: .get, headers: headers) { ($0.status, String(buffer: $0.body)) }
    }
}

@Suite("Open-data portal")
struct PortalTests {
    @Test(
        "the home page counts open departments, datasets, records and recent API calls, and features updated data",
        arguments: TestBackend.available)
    func home(_ backend: TestBackend) async throws {
        try await PortalFixture.run(backend) { fixture, node, client in
            _ = try await node.store.audit.append(
                [
                    AuditEvent(action: .gatewayLookup, resourceCode: fixture.licences.code.text, outcome: .allowed),
                    AuditEvent(action: .gatewayExtract, resourceCode: fixture.licences.code.text, outcome: .allowed),
                    AuditEvent(action: .gatewayLookup, resourceCode: "x", outcome: .denied(reason: "no_grant")),
                ], suite: .gm)
            // The closed entry's row is not an open record; the conditional entry's rows are. The entry without
            // data (clinics) is not listed as an open dataset.
            let (status, html) = try await client.page("/")
            #expect(status == .ok)
            #expect(html.contains("<strong>2</strong> 个开放部门"))
            #expect(html.contains("<strong>2</strong> 个开放数据集"))
            #expect(html.contains("<strong>5</strong> 条开放数据记录"))
            // The sharing gateway's calls between departments are not open-data use.
            #expect(html.contains("<strong>0</strong> 次接口调用（近30日）"))
            #expect(html.contains(#"href="/datasets/\#(fixture.licences.id)""#))
            #expect(html.contains("企业营业执照信息"))
            #expect(!html.contains("人口敏感信息"))
            #expect(html.contains("<title>公共数据开放门户 · 汇通公共数据资源平台</title>"))
            // One home: the old address leads to it, keeping the query.
            let old = try await client.execute(uri: "/portal?lang=en", method: .get) { $0 }
            #expect(old.status == .movedPermanently)
            #expect(old.headers[.location] == "/?lang=en")
            let (_, english) = try await client.page("/?lang=en")
            #expect(english.contains(#"lang="en""#))
            #expect(english.contains("<strong>2</strong> open datasets"))
        }
    }

    @Test(
        "search matches Chinese substrings, filters by facets with counts, pages, and never lists closed entries",
        arguments: TestBackend.available)
    func search(_ backend: TestBackend) async throws {
        try await PortalFixture.run(backend) { fixture, _, client in
            for term in ["营业", "执照信", "营业执照"] {
                let (status, html) = try await client.page("/datasets?q=\(PortalTests.encoded(term))")
                #expect(status == .ok)
                #expect(html.contains("找到 1 个数据集"), "\(term)")
                #expect(html.contains("企业营业执照信息"))
                #expect(html.contains(#"value="\#(term)""#))
            }
            let (_, all) = try await client.page("/datasets")
            // The clinics' entry has no data yet: it is not listed as an open dataset.
            #expect(all.contains("找到 2 个数据集"))
            #expect(!all.contains("人口敏感信息") && !all.contains("医疗机构执业登记信息"))
            // Facet counts: one open entry with data of 市场监管局, one of 公安局 (its closed entry is not counted).
            #expect(all.contains(#"department=\#(fixture.market.id)">六安市市场监督管理局</a> <span class="count">1</span>"#))
            #expect(all.contains(#"department=\#(fixture.police.id)">六安市公安局</a> <span class="count">1</span>"#))
            // No format facet: declared formats are not what can be downloaded.
            #expect(!all.contains(#"id="facet-format""#))

            let (_, market) = try await client.page("/datasets?department=\(fixture.market.id)")
            #expect(market.contains("找到 1 个数据集"))
            #expect(!market.contains("流动人口登记信息"))
            let (_, monthly) = try await client.page("/datasets?department=\(fixture.market.id)&cycle=monthly")
            #expect(monthly.contains("找到 0 个数据集"))
            let (_, conditional) = try await client.page("/datasets?openness=conditional")
            #expect(conditional.contains("找到 1 个数据集"))
            #expect(conditional.contains("流动人口登记信息"))

            let (refused, closed) = try await client.page("/datasets?q=人口&openness=closed")
            #expect(refused == .badRequest)
            #expect(closed.contains("开放属性只能是无条件开放"))
            #expect(!closed.contains("人口敏感信息"))
            let (_, nothing) = try await client.page("/datasets?q=\(PortalTests.encoded("人口敏感"))")
            #expect(nothing.contains("没有找到符合条件的开放数据集"))
        }
    }

    @Test(
        "a two-word search from the form (\"+\" for the space, as browsers send it) finds what both words find",
        arguments: TestBackend.available)
    func plusIsASpace(_ backend: TestBackend) async throws {
        try await PortalFixture.run(backend) { _, node, client in
            let (status, html) = try await client.page("/datasets?q=%E8%90%A5%E4%B8%9A+%E6%89%A7%E7%85%A7")
            #expect(status == .ok)
            #expect(html.contains("找到 1 个数据集") && html.contains("企业营业执照信息"))
            #expect(html.contains(#"value="营业 执照""#), "the box shows the words the person typed")
            let (_, api) = try await client.send(
                .get, "/api/v1/catalog/entries?q=%E8%90%A5%E4%B8%9A+%E6%89%A7%E7%85%A7", token: node.operatorToken,
                as: CatalogAPI.SearchBody.self)
            let names = api.items.map(\.content.name)
            #expect(names == ["企业营业执照信息"], "\(api)")
            // An encoded plus sign is a plus sign.
            let (_, literal) = try await client.page("/datasets?q=%E8%90%A5%E4%B8%9A%2B%E6%89%A7%E7%85%A7")
            #expect(literal.contains(#"value="营业+执照""#))
        }
    }

    @Test(
        "the portal sorts by 最新, 最热 and 下载最多, counting page views and downloads of open data only",
        arguments: TestBackend.available)
    func sortsAndCounters(_ backend: TestBackend) async throws {
        try await PortalFixture.run(backend) { fixture, node, client in
            let licences = "企业营业执照信息"
            let floating = "流动人口登记信息"
            for _ in 0..<2 { _ = try await client.page("/datasets/\(fixture.floating.id)") }
            // Moving between a page's tabs is the same visit.
            _ = try await client.page("/datasets/\(fixture.licences.id)?tab=preview")
            let (downloaded, _) = try await client.page("/datasets/\(fixture.licences.id)/download.csv")
            #expect(downloaded == .ok)
            // Refused downloads count nothing.
            _ = try await client.page("/datasets/\(fixture.floating.id)/download.csv")
            #expect(try await node.store.openDataUsage(entryID: fixture.floating.id) == OpenDataUsageTotals(views: 2))
            #expect(
                try await node.store.openDataUsage(entryID: fixture.licences.id) == OpenDataUsageTotals(downloads: 1))

            func order(_ html: String) -> Bool? {
                guard let first = html.range(of: licences), let second = html.range(of: floating) else { return nil }
                return first.lowerBound < second.lowerBound
            }
            let (_, byViews) = try await client.page("/datasets?sort=views")
            #expect(order(byViews) == false, "the most viewed first")
            #expect(byViews.contains(#"aria-current="true" class="selected">最热</a>"#))
            #expect(byViews.contains("2 次浏览"))
            let (_, byDownloads) = try await client.page("/datasets?sort=downloads")
            #expect(order(byDownloads) == true, "the most downloaded first")
            #expect(byDownloads.contains("1 次下载"))
            let (newest, _) = try await client.page("/datasets?sort=newest")
            #expect(newest == .ok)
            let (wrong, refused) = try await client.page("/datasets?sort=sideways")
            #expect(wrong == .badRequest && refused.contains("排序只能是"))
            // The clinics have no data: not listed, whatever the order.
            #expect(!byViews.contains("医疗机构") && !byDownloads.contains("医疗机构"))
        }
    }

    @Test("results come ten to a page with links between the pages", arguments: TestBackend.available)
    func pagination(_ backend: TestBackend) async throws {
        try await PortalFixture.run(backend) { fixture, node, client in
            for number in 1...12 {
                let entry = try await OpenDataFixture.publish(
                    OpenDataFixture.content(
                        "统计年鉴第\(number)卷", abstract: "年度统计。", openness: .unconditional, keywords: ["统计"]),
                    department: fixture.market, in: node.store)
                // The portal lists datasets with data: these answer through an API.
                _ = try await node.store.catalog.setMount(
                    id: entry.id, MountedResource(kind: .api, locator: "https://api.example.gov.cn/yearbook/\(number)"),
                    recordCount: nil, dataUpdatedAt: Date(), author: OpenDataFixture.author)
            }
            let query = "q=\(PortalTests.encoded("统计年鉴"))"
            let (_, first) = try await client.page("/datasets?\(query)")
            #expect(first.contains("找到 12 个数据集"))
            #expect(first.components(separatedBy: #"<li class="dataset">"#).count - 1 == 10)
            #expect(first.contains(#"href="/datasets?\#(query)&amp;page=2" rel="next""#))
            let (_, second) = try await client.page("/datasets?\(query)&page=2")
            #expect(second.components(separatedBy: #"<li class="dataset">"#).count - 1 == 2)
            #expect(second.contains(#"href="/datasets?\#(query)" rel="prev""#))
            #expect(!second.contains(#"rel="next""#))
        }
    }

    @Test(
        "a dataset page shows its metadata, open items, a masked preview, downloads, API examples and history",
        arguments: TestBackend.available)
    func datasetPage(_ backend: TestBackend) async throws {
        try await PortalFixture.run(backend) { fixture, node, client in
            let path = "/datasets/\(fixture.licences.id)"
            let (_, unscored) = try await client.page(path + "?tab=quality")
            #expect(unscored.contains("尚未进行质量检测"), "no score before any run")
            let quality = QualityUseCases(store: node.store, settings: QualitySettings(), logger: Logger(label: "test"))
            let run = try #require(
                await quality.runNow(entryID: fixture.licences.id, trigger: .manual, requestedBy: nil))
            let score = try #require(run.score)
            // The first tab: the ways to get the data first, the metadata and the open items.
            let (status, html) = try await client.page(path)
            #expect(status == .ok)
            #expect(html.contains(fixture.licences.code.text))
            #expect(html.contains("六安市市场监督管理局"))
            for item in ["统一社会信用代码", "法定代表人", "联系电话", "经营范围"] { #expect(html.contains(item)) }
            #expect(!html.contains("法定代表人身份证号"))
            #expect(html.contains("另有 1 个数据项"))
            for format in ["csv", "json", "xlsx"] { #expect(html.contains(#"href="\#(path)/download.\#(format)""#)) }
            let downloads = try #require(html.range(of: #"class="downloads""#))
            let tabs = try #require(html.range(of: #"id="dataset-tabs""#))
            #expect(downloads.lowerBound < tabs.lowerBound, "downloads come before the tabs")
            #expect(html.contains(#"aria-current="page">数据项</a>"#))
            // Only formats that can be downloaded are named; the declared KingbaseES/OFD-like formats are not.
            #expect(html.contains("CSV、JSON、XLSX"))
            for secret in PortalFixture.secretMarkers { #expect(!html.contains(secret), "\(secret)") }
            #expect(html.contains(#"href="/licence""#))

            let (_, preview) = try await client.page(path + "?tab=preview")
            #expect(preview.contains(#"aria-current="page">预览</a>"#))
            for row in PortalFixture.maskedLicenceRows {
                for value in row where !value.isEmpty {
                    #expect(preview.contains(PortalTests.escaped(value)), "\(value)")
                }
            }
            for secret in PortalFixture.secretMarkers { #expect(!preview.contains(secret), "\(secret)") }
            let (_, api) = try await client.page(path + "?tab=api")
            #expect(api.contains("api/3/action/package_show?id="))
            #expect(api.contains("curl -sS") && api.contains("download.csv?header=code"))
            let (_, scored) = try await client.page(path + "?tab=quality")
            #expect(scored.contains("<strong>\(String(format: "%.1f", score))</strong> / 100"))
            // Two loads: version 2 is current, version 1 earlier.
            let (_, versions) = try await client.page(path + "?tab=versions")
            #expect(versions.contains("<td>2</td><td>3</td>"))
            #expect(versions.contains("<td>1</td><td>2</td>"))
            // An unknown tab is the first one.
            let (unknown, first) = try await client.page(path + "?tab=nowhere")
            #expect(unknown == .ok && first.contains(#"aria-current="page">数据项</a>"#))
            // The CKAN package name of the entry names the same page.
            let slug = fixture.licences.code.text.lowercased().replacingOccurrences(of: "/", with: "-")
            let (byName, named) = try await client.page("/datasets/\(slug)")
            #expect(byName == .ok)
            #expect(named.contains("企业营业执照信息"))
        }
    }

    @Test(
        "conditional data shows how to apply and never any rows; closed data does not exist for the public",
        arguments: TestBackend.available)
    func conditionalAndClosed(_ backend: TestBackend) async throws {
        try await PortalFixture.run(backend) { fixture, _, client in
            let (status, page) = try await client.page("/datasets/\(fixture.floating.id)")
            #expect(status == .ok)
            #expect(page.contains("有条件开放"))
            #expect(page.contains("实名认证并签署数据利用协议"))
            #expect(!page.contains("赵六六"))
            #expect(!page.contains("/download."))
            for format in ["csv", "json", "xlsx"] {
                let (refused, body) = try await client.page("/datasets/\(fixture.floating.id)/download.\(format)")
                #expect(refused == .forbidden)
                #expect(body.contains("不能直接下载"))
                #expect(!body.contains("赵六六"))
            }
            for path in ["/datasets/\(fixture.closed.id)", "/datasets/\(fixture.closed.id)/download.csv"] {
                let (missing, body) = try await client.page(path)
                #expect(missing == .notFound)
                #expect(!body.contains("人口敏感信息"))
                #expect(!body.contains("钱七七"))
            }
            let (_, search) = try await client.page("/datasets?q=\(PortalTests.encoded("人口"))")
            #expect(search.contains("流动人口登记信息"))
            #expect(!search.contains("人口敏感信息"))
            // An open entry without data offers no download, and its download address says why.
            let (_, clinic) = try await client.page("/datasets/\(fixture.clinics.id)")
            #expect(!clinic.contains("/download."))
            let (noData, _) = try await client.page("/datasets/\(fixture.clinics.id)/download.csv")
            #expect(noData == .notFound)
        }
    }

    @Test(
        "CSV, JSON and XLSX downloads hold the pool's rows, open items only, masked, formulas neutralised",
        arguments: TestBackend.available)
    func downloads(_ backend: TestBackend) async throws {
        try await PortalFixture.run(backend) { fixture, _, client in
            let base = "/datasets/\(fixture.licences.id)/download"
            let openColumns = Array(PortalFixture.licenceColumns.prefix(5))
            let (csvType, csvBody) = try await client.execute(uri: "\(base).csv", method: .get) { response in
                (response.headers[.contentType], Data(buffer: response.body))
            }
            #expect(csvType == "text/csv; charset=utf-8")
            #expect(csvBody.starts(with: [0xEF, 0xBB, 0xBF]))
            let csvRows = try CSVParser.parse(Array(csvBody.dropFirst(3))).map(\.fields)
            // The header names the items in Chinese; `?header=code` gives the column codes scripts were written
            // against.
            #expect(csvRows.first == ["统一社会信用代码", "企业名称", "法定代表人", "联系电话", "经营范围"])
            let coded = try await client.execute(uri: "\(base).csv?header=code", method: .get) { Data(buffer: $0.body) }
            #expect(try CSVParser.parse(Array(coded.dropFirst(3))).map(\.fields).first == openColumns)
            var expected = PortalFixture.maskedLicenceRows
            expected[0][4] = "'" + expected[0][4]
            #expect(Array(csvRows.dropFirst()) == expected)

            let jsonBody = try await client.execute(uri: "\(base).json", method: .get) { Data(buffer: $0.body) }
            let objects = try #require(try WireJSON.decoder.decode(JSONValue.self, from: jsonBody).elements)
            #expect(objects.count == 3)
            #expect(objects[0]["fddbr"] == "张**")
            #expect(objects[0]["jyfw"] == "=HYPERLINK(\"http://x\")")
            #expect(objects[2]["lxdh"] == .null)
            #expect(objects.allSatisfy { $0["zjhm"] == nil })

            let xlsxBody = try await client.execute(uri: "\(base).xlsx", method: .get) { Data(buffer: $0.body) }
            let sheet = try XLSXReader(data: xlsxBody).rows()
            #expect(sheet.first?.cells == ["统一社会信用代码", "企业名称", "法定代表人", "联系电话", "经营范围"])
            #expect(sheet.count == 4)
            #expect(sheet[1].cells == expected[0])
            #expect(sheet[3].cells.prefix(3) == ["91341500MA2N0003XC", "六安市霍山石斛有限公司", "王*"])
        }
    }

    @Test("every link reachable from the home page answers without error, in Chinese and in English")
    func crawl() async throws {
        try await PortalFixture.run(.sqlite) { _, _, client in
            for language in ["zh", "en"] {
                var queue = ["/"]
                var seen: Set<String> = ["/"]
                var visited = 0
                while !queue.isEmpty {
                    let path = queue.removeFirst()
                    let (status, body, type) = try await client.execute(
                        uri: path, method: .get, headers: [.cookie: "huitong_lang=\(language)"]
                    ) { ($0.status, String(buffer: $0.body), $0.headers[.contentType] ?? "") }
                    visited += 1
                    #expect(status.code < 400, "\(language) \(path) answered \(status.code)")
                    guard type.hasPrefix("text/html") else { continue }
                    // A page's title names it once, then the site: never "汇通公共数据资源平台 · 汇通公共数据资源平台".
                    if let start = body.range(of: "<title>"), let end = body.range(of: "</title>") {
                        let parts = body[start.upperBound..<end.lowerBound].components(separatedBy: " · ")
                        #expect(Set(parts).count == parts.count, "\(path) is titled \(parts)")
                    }
                    // The language switch leads to the other language on purpose.
                    if !path.contains("lang=") {
                        #expect(body.contains(#"<html lang="\#(language == "zh" ? "zh-CN" : "en")""#), "\(path)")
                    }
                    for link in PortalTests.links(in: body, from: path) where seen.insert(link).inserted {
                        queue.append(link)
                    }
                }
                #expect(visited > 20, "only \(visited) pages reached")
                #expect(seen.contains("/licence"))
            }
        }
    }

    /// Internal links of a page (`href` values), resolved against `path`, without fragments.
    static func links(in html: String, from path: String) -> [String] {
        html.components(separatedBy: "href=\"").dropFirst().compactMap { tail -> String? in
            guard let end = tail.firstIndex(of: "\"") else { return nil }
            var link = String(tail[..<end]).replacingOccurrences(of: "&amp;", with: "&")
            if let hash = link.firstIndex(of: "#") { link = String(link[..<hash]) }
            if link.hasPrefix("?") { link = String(path.prefix { $0 != "?" }) + link }
            guard link.hasPrefix("/"), !link.hasPrefix("//") else { return nil }
            return link
        }
    }

    static func encoded(_ text: String) -> String {
        text.addingPercentEncoding(
            withAllowedCharacters: CharacterSet(
                charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")) ?? text
    }

    /// `value` as the page writes it (HTML-escaped).
    static func escaped(_ value: String) -> String {
        value.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "'", with: "&#39;")
    }
}
