import Foundation
import HuitongCore
import HuitongDemo
import HuitongServer
import HuitongStore
import HuitongTestSupport
import HummingbirdTesting
import Logging
import Testing

@testable import HuitongServices

/// A small open catalog for the DCAT and CKAN tests: four open entries from two departments, and three that the
/// public must not see (closed, draft, withdrawn).
struct OpenDataFixture: Sendable {
    /// 无条件开放, 公安局, tags 人口 and 户籍, with a contact.
    var population: CatalogEntry
    /// 有条件开放, 公安局, tags 人口 and 流动人口.
    var floating: CatalogEntry
    /// 无条件开放, 民政局, tag 人口.
    var deaths: CatalogEntry
    /// 无条件开放, 民政局, a title with quotes, a newline and a backslash; nothing about 人口.
    var marriage: CatalogEntry
    /// Published but 不予开放.
    var closed: CatalogEntry
    /// Never submitted.
    var draft: CatalogEntry
    /// Published, then withdrawn (下架).
    var withdrawn: CatalogEntry

    var open: [CatalogEntry] { [population, floating, deaths, marriage] }
    var hidden: [CatalogEntry] { [closed, draft, withdrawn] }

    static let trickyTitle = "婚姻登记 \"结婚\" 统计\n第二行 \\ 反斜杠"
    static let author = ChangeAuthor(userID: nil, name: "test")

    static func classifications(_ store: Store) async throws {
        try await store.catalog.saveClassifications([
            ClassificationNode(scheme: "guide", code: "1", name: "基础信息资源目录"),
            .init(scheme: "guide", code: "101", name: "国家人口基础信息资源"),
            .init(scheme: "guide", code: "101001", name: "人口基本信息"),
        ])
    }

    static func content(
        _ name: String, abstract: String, openness: Openness, keywords: [String], cycle: UpdateCycle = .daily,
        contact: ContactPoint? = nil, openCondition: String = ""
    ) -> CatalogEntryContent {
        CatalogEntryContent(
            classificationCode: "101001", name: name, abstract: abstract,
            formats: [ResourceFormat(category: .spreadsheet, type: "XLSX")],
            items: [InfoItem(name: "登记编号", columnName: "djbh", dataType: .character, isKey: true)],
            shareType: .unconditional, openness: openness, openCondition: openCondition, updateCycle: cycle,
            keywords: keywords, contact: contact)
    }

    /// Files, submits and publishes an entry.
    static func publish(_ content: CatalogEntryContent, department: Department, in store: Store) async throws
        -> CatalogEntry
    {
        let draft = try await store.catalog.create(content, departmentID: department.id, author: author)
        _ = try await store.catalog.transition(id: draft.id, .submit, author: author, comment: "")
        return try await store.catalog.transition(id: draft.id, .publish, author: author, comment: "")
    }

    /// Loads the fixture; the classification nodes it needs are saved first.
    static func load(into store: Store, police: Department, civilAffairs: Department) async throws -> OpenDataFixture {
        try await classifications(store)
        let population = try await publish(
            content(
                "人口基本信息", abstract: "全市户籍人口的基本信息，按月更新。", openness: .unconditional, keywords: ["人口", "户籍"],
                cycle: .monthly,
                contact: ContactPoint(name: "张三", phone: "0564-3371234", email: "zhangsan@example.gov.cn")),
            department: police, in: store)
        let floating = try await publish(
            content(
                "流动人口登记信息", abstract: "流动人口居住登记。", openness: .conditional, keywords: ["人口", "流动人口"],
                cycle: .irregular, openCondition: "实名认证并签署数据利用协议"),
            department: police, in: store)
        let deaths = try await publish(
            content("人口死亡登记信息", abstract: "死亡登记。", openness: .unconditional, keywords: ["人口"], cycle: .realtime),
            department: civilAffairs, in: store)
        let marriage = try await publish(
            content(trickyTitle, abstract: "含有\"引号\"、反斜杠 \\ 和\n换行的摘要。", openness: .unconditional, keywords: ["婚姻"]),
            department: civilAffairs, in: store)
        let closed = try await publish(
            content("人口敏感信息", abstract: "不予开放。", openness: .closed, keywords: ["人口"]),
            department: police, in: store)
        let draft = try await store.catalog.create(
            content("人口草稿信息", abstract: "草稿。", openness: .unconditional, keywords: ["人口"]),
            departmentID: police.id, author: author)
        let published = try await publish(
            content("人口下架信息", abstract: "已下架。", openness: .unconditional, keywords: ["人口"]),
            department: police, in: store)
        let withdrawn = try await store.catalog.transition(id: published.id, .withdraw, author: author, comment: "数据有误")
        return OpenDataFixture(
            population: population, floating: floating, deaths: deaths, marriage: marriage, closed: closed,
            draft: draft, withdrawn: withdrawn)
    }

    /// Runs `body` against a fresh node (see `TestNode`) holding the fixture.
    static func run(
        _ backend: TestBackend,
        _ body: @escaping @Sendable (OpenDataFixture, any TestClientProtocol) async throws -> Void
    ) async throws {
        try await TestNode.run(backend) { node, client in
            let (police, civilAffairs) = try await departments(node.store)
            let fixture = try await load(into: node.store, police: police, civilAffairs: civilAffairs)
            try await body(fixture, client)
        }
    }

    /// 公安局 and 民政局 of the test node.
    static func departments(_ store: Store) async throws -> (police: Department, civilAffairs: Department) {
        let police = try await store.departments.create(
            DepartmentDraft(
                name: "六安市公安局", code: "GAJ", creditCode: "1134150000301001XU", regionCode: "341500", parentID: nil))
        let civilAffairs = try await store.departments.create(
            DepartmentDraft(name: "六安市民政局", code: "MZJ", creditCode: nil, regionCode: "341500", parentID: nil))
        return (police, civilAffairs)
    }
}

/// Writes a node database holding the demo city and the fixture, for checking the endpoints by hand with ckanapi and
/// rdflib against `huitong serve`. Runs only when asked:
/// `HUITONG_OPENDATA_FIXTURE=/tmp/od/huitong.sqlite HUITONG_OPENDATA_FIXTURE_BULK=1200 swift test --filter OpenDataFixtureTests`
/// (the bulk count adds that many more open entries, to exercise paging through thousands).
@Suite("Open-data fixture for manual checks")
struct OpenDataFixtureTests {
    static var target: String? { ProcessInfo.processInfo.environment["HUITONG_OPENDATA_FIXTURE"] }

    @Test("writes the fixture into the database HUITONG_OPENDATA_FIXTURE names", .enabled(if: target != nil))
    func writeFixture() async throws {
        let path = try #require(Self.target)
        let bulk = Int(ProcessInfo.processInfo.environment["HUITONG_OPENDATA_FIXTURE_BULK"] ?? "") ?? 0
        var logger = Logger(label: "huitong.fixture")
        logger.logLevel = .warning
        let store = Store(provider: try await DatabaseConnector.open(.sqlite(path: path), logger: logger))
        do {
            // The rows' MACs are keyed as a node serving this data directory keys them: by its sealing.key.
            let (sealingKey, _) = try SealingKeyLoader.load(
                base64: nil, dataDirectory: URL(fileURLWithPath: path).deletingLastPathComponent().path)
            store.rowIntegrity.use(sealingKey)
            _ = try await DemoData.load(into: AccountUseCases(store: store, bcryptCost: 4))
            let police = try #require(try await store.departments.find(code: "GAJ"))
            let civilAffairs = try #require(try await store.departments.find(code: "MZJ"))
            _ = try await OpenDataFixture.load(into: store, police: police, civilAffairs: civilAffairs)
            let departments = try await store.departments.list()
            for number in 0..<bulk {
                let content = OpenDataFixture.content(
                    "批量开放数据 \(number)", abstract: "第 \(number) 个批量生成的开放数据集。",
                    openness: number % 3 == 0 ? .conditional : .unconditional, keywords: ["批量", "第\(number % 10)组"],
                    cycle: UpdateCycle.allCases[number % UpdateCycle.allCases.count])
                _ = try await OpenDataFixture.publish(
                    content, department: departments[number % departments.count], in: store)
            }
            await store.provider.shutdown()
        } catch {
            await store.provider.shutdown()
            throw error
        }
    }
}
