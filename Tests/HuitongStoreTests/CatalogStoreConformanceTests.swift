import Foundation
import HuitongCore
import HuitongStore
import HuitongTestSupport
import Testing

/// The catalog's storage rules, proven on every backend.
@Suite("Catalog store conformance")
struct CatalogStoreConformanceTests {
    static let author = ChangeAuthor(userID: nil, name: "测试员")

    /// A department with the classification nodes the fixtures file under.
    static func prepare(_ store: Store) async throws -> Department {
        try await store.catalog.saveClassifications([
            ClassificationNode(scheme: "guide", code: "1", name: "基础信息资源目录"),
            ClassificationNode(scheme: "guide", code: "101", name: "国家人口基础信息资源"),
            ClassificationNode(scheme: "guide", code: "101001", name: "人口基本信息"),
            ClassificationNode(scheme: "guide", code: "102", name: "法人单位基础信息资源"),
            ClassificationNode(scheme: "guide", code: "102001", name: "企业登记信息"),
        ])
        return try await store.departments.create(
            DepartmentDraft(
                name: "六安市公安局", code: "GAJ", creditCode: "1134150000301001XU", regionCode: "341500", parentID: nil))
    }

    static func population(classification: String = "101001") -> CatalogEntryContent {
        CatalogEntryContent(
            classificationCode: classification, name: "人口基础信息", abstract: "全市户籍人口的基础信息。",
            formats: [ResourceFormat(category: .database, type: "Oracle")],
            items: [
                InfoItem(
                    name: "身份证号码", columnName: "sfzhm", dataType: .character, length: 18, isKey: true,
                    grade: .general4, semanticKind: .residentID),
                InfoItem(name: "姓名", columnName: "xm", dataType: .character, length: 50, semanticKind: .personName),
                InfoItem(name: "出生日期", columnName: "csrq", dataType: .date),
            ],
            shareType: .conditional, shareCondition: "用于政务服务身份核验", updateCycle: .daily, keywords: ["人口", "户籍"])
    }

    @Test("an entry gets a code from its classification and keeps it once published", arguments: TestBackend.available)
    func codesAndLifecycle(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let department = try await Self.prepare(store)
            let content = try Self.population().validated()
            let first = try await store.catalog.create(content, departmentID: department.id, author: Self.author)
            let second = try await store.catalog.create(content, departmentID: department.id, author: Self.author)
            #expect(first.code.text == "101001/0001")
            #expect(second.code.text == "101001/0002")
            #expect(first.status == .draft && first.version == 1)
            #expect(first.content.grade == .general4, "the entry takes its highest item's grade")
            #expect(first.provider.name == "六安市公安局")

            // A draft may move to another classification, which gives it a new code.
            var moved = content
            moved.classificationCode = "102001"
            let refiled = try await store.catalog.update(id: second.id, with: moved, author: Self.author, note: "")
            #expect(refiled.code.text == "102001/0001")

            _ = try await store.catalog.transition(id: first.id, .submit, author: Self.author, comment: "")
            await #expect(throws: CatalogRuleError.underReview) {
                try await store.catalog.update(id: first.id, with: content, author: Self.author, note: "")
            }
            await #expect(throws: CatalogRuleError.commentRequired(.return)) {
                try await store.catalog.transition(id: first.id, .return, author: Self.author, comment: "")
            }
            let published = try await store.catalog.transition(
                id: first.id, .publish, author: Self.author, comment: "同意")
            #expect(published.status == .published)
            #expect(published.publishedOn == CalendarDate.today())
            await #expect(throws: CatalogRuleError.codeFrozen) {
                try await store.catalog.update(id: first.id, with: moved, author: Self.author, note: "")
            }
            await #expect(throws: CatalogRuleError.publishedCannotBeDeleted) {
                try await store.catalog.delete(id: first.id)
            }
            await #expect(throws: CatalogRuleError.transitionNotAllowed(.publish, from: .published)) {
                try await store.catalog.transition(id: first.id, .publish, author: Self.author, comment: "")
            }
            let withdrawn = try await store.catalog.transition(
                id: first.id, .withdraw, author: Self.author, comment: "源系统停用")
            #expect(withdrawn.status == .offline)
            #expect(
                try await store.catalog.events(id: first.id).map(\.action) == [
                    "created", "submit", "publish", "withdraw",
                ])
            let byCode = try await store.catalog.entries(codes: ["101001/0001", "102001/0001", "999999/0001"])
            #expect(byCode.mapValues(\.id) == ["101001/0001": first.id, "102001/0001": second.id])
            try await store.catalog.delete(id: second.id)
            #expect(try await store.catalog.find(id: second.id) == nil)
        }
    }

    @Test("editing a published entry adds a version with a field-by-field diff", arguments: TestBackend.available)
    func versions(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let department = try await Self.prepare(store)
            let content = try Self.population().validated()
            let entry = try await store.catalog.create(content, departmentID: department.id, author: Self.author)
            _ = try await store.catalog.transition(id: entry.id, .submit, author: Self.author, comment: "")
            _ = try await store.catalog.transition(id: entry.id, .publish, author: Self.author, comment: "同意")

            var revised = content
            revised.updateCycle = .realtime
            revised.items[1].length = 100
            revised.items.append(InfoItem(name: "手机号码", columnName: "sjhm", dataType: .character, length: 11))
            let second = try await store.catalog.update(
                id: entry.id, with: try revised.validated(), author: Self.author, note: "增加手机号码")
            #expect(second.version == 2)
            #expect(second.status == .published, "the published entry stays available while it is revised")
            #expect(second.code == entry.code)

            let versions = try await store.catalog.versions(id: entry.id)
            #expect(versions.map(\.version) == [1, 2])
            #expect(versions[1].note == "增加手机号码")
            let changes = CatalogDiff.changes(from: versions[0].content, to: versions[1].content)
            #expect(
                Set(changes.map(\.field)) == ["updateCycle", "items.xm.length", "items.sjhm"],
                "\(changes.map(\.field))")
            let cycle = changes.first { $0.field == "updateCycle" }
            #expect(cycle?.before == "每日" && cycle?.after == "实时")

            // Saving the same content again records nothing.
            let unchanged = try await store.catalog.update(
                id: entry.id, with: try revised.validated(), author: Self.author, note: "")
            #expect(unchanged.version == 2)
        }
    }

    @Test("not sharing needs a negative-list row with a legal basis", arguments: TestBackend.available)
    func negativeListInvariant(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let department = try await Self.prepare(store)
            var withheld = Self.population()
            withheld.items.append(
                InfoItem(name: "宗教信仰", columnName: "zjxy", dataType: .character, shareType: .notShared))
            // The core rule rejects the missing citation before the store is reached.
            #expect(throws: ValidationError.self) { try withheld.validated() }

            await #expect(throws: ValidationError.self) {
                try await store.lists.createNegative(
                    try NegativeListDraft(kind: .notShared, resource: "人口基础信息", reason: "敏感", legalBasis: "  ")
                        .validated(),
                    departmentID: department.id)
            }
            let row = try await store.lists.createNegative(
                try NegativeListDraft(
                    kind: .notShared, resource: "人口基础信息", items: "宗教信仰", reason: "敏感个人信息",
                    legalBasis: "《中华人民共和国个人信息保护法》第二十八条"
                ).validated(),
                departmentID: department.id)
            withheld.items[3].negativeListID = row.id + 100
            let missingRow = try withheld.validated()
            await #expect(throws: ValidationError.self) {
                try await store.catalog.create(missingRow, departmentID: department.id, author: Self.author)
            }
            withheld.items[3].negativeListID = row.id
            let entry = try await store.catalog.create(
                try withheld.validated(), departmentID: department.id, author: Self.author)
            #expect(entry.content.items[3].negativeListID == row.id)

            // A cited row cannot be deleted or turned into a not-opened row.
            await #expect(throws: StoreError.self) { try await store.lists.deleteNegative(id: row.id) }
            var reopened = row.content
            reopened.kind = .notOpened
            await #expect(throws: StoreError.self) { try await store.lists.updateNegative(id: row.id, with: reopened) }

            // Another department's row does not justify this department's refusal.
            let other = try await store.departments.create(
                DepartmentDraft(name: "民政局", code: "MZJ", creditCode: nil, regionCode: "341500", parentID: nil))
            let foreign = try await store.lists.createNegative(
                try NegativeListDraft(kind: .notShared, resource: "x", reason: "y", legalBasis: "《某法》第一条").validated(),
                departmentID: other.id)
            withheld.items[3].negativeListID = foreign.id
            let citingForeign = try withheld.validated()
            await #expect(throws: ValidationError.self) {
                try await store.catalog.update(id: entry.id, with: citingForeign, author: Self.author, note: "")
            }
        }
    }

    @Test("search finds Chinese substrings and counts facets", arguments: TestBackend.available)
    func search(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let department = try await Self.prepare(store)
            func publish(_ content: CatalogEntryContent) async throws -> CatalogEntry {
                let entry = try await store.catalog.create(
                    try content.validated(), departmentID: department.id, author: Self.author)
                _ = try await store.catalog.transition(id: entry.id, .submit, author: Self.author, comment: "")
                return try await store.catalog.transition(id: entry.id, .publish, author: Self.author, comment: "ok")
            }
            var licence = Self.population(classification: "102001")
            licence.name = "企业营业执照信息"
            licence.abstract = "电子营业执照的登记信息。"
            licence.items = [InfoItem(name: "统一社会信用代码", columnName: "tyshxydm", dataType: .character, isKey: true)]
            licence.shareType = .unconditional
            licence.shareCondition = ""
            licence.openness = .unconditional
            licence.formats = [ResourceFormat(category: .spreadsheet, type: "xlsx")]
            licence.keywords = ["营业执照", "企业"]
            let licenceEntry = try await publish(licence)
            _ = try await publish(Self.population())
            _ = try await store.catalog.create(
                try Self.population().validated(), departmentID: department.id, author: Self.author)

            let found = try await store.catalog.search(CatalogQuery(text: "营业执照"), facets: CatalogFacet.allCases)
            #expect(found.entries.map(\.content.name) == ["企业营业执照信息"])
            #expect(found.total == 1)
            // Two-character terms and item names are found too, and drafts are not.
            let people = try await store.catalog.search(CatalogQuery(text: "人口"), facets: [])
            #expect(people.total == 1)
            let byItem = try await store.catalog.search(CatalogQuery(text: "信用代码"), facets: [])
            #expect(byItem.entries.map(\.id) == [licenceEntry.id])
            let both = try await store.catalog.search(CatalogQuery(text: "执照 企业"), facets: [])
            #expect(both.total == 1)
            let none = try await store.catalog.search(CatalogQuery(text: "营业执照 户籍"), facets: [])
            #expect(none.total == 0)

            let all = try await store.catalog.search(CatalogQuery(), facets: CatalogFacet.allCases)
            #expect(all.total == 2)
            #expect(all.facets["shareType"]?.map(\.count).reduce(0, +) == 2)
            #expect(all.facets["shareType"]?.first { $0.value == "unconditional" }?.label == "无条件共享")
            #expect(all.facets["format"]?.map(\.value).sorted() == ["ORACLE", "XLSX"])
            #expect(all.facets["classification"]?.first { $0.value == "101" }?.label == "国家人口基础信息资源")
            #expect(all.facets["department"]?.first?.count == 2)
            #expect(all.facets["keyword"]?.first { $0.value == "企业" }?.count == 1)

            let filtered = try await store.catalog.search(
                CatalogQuery(formats: ["XLSX"], statuses: [.published]), facets: [.openness])
            #expect(filtered.entries.map(\.id) == [licenceEntry.id])
            #expect(filtered.facets["openness"] == [FacetCount(value: "unconditional", label: "无条件开放", count: 1)])
            let paged = try await store.catalog.search(CatalogQuery(offset: 1, limit: 1), facets: [])
            #expect(paged.total == 2 && paged.entries.count == 1)
            // Symbols that mean something to the engines are searched for literally.
            let literal = try await store.catalog.search(CatalogQuery(text: "\"%_ OR *"), facets: [])
            #expect(literal.total == 0)
        }
    }

    @Test(
        "searches find and rank the same entries on every backend: one character, mixed scripts, every word, title first",
        arguments: TestBackend.available)
    func searchBehavesAlikeEverywhere(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let department = try await Self.prepare(store)
            func publish(_ name: String, abstract: String) async throws -> String {
                var content = Self.population()
                content.name = name
                content.abstract = abstract
                content.keywords = []
                let entry = try await store.catalog.create(
                    try content.validated(), departmentID: department.id, author: Self.author)
                _ = try await store.catalog.transition(id: entry.id, .submit, author: Self.author, comment: "")
                _ = try await store.catalog.transition(id: entry.id, .publish, author: Self.author, comment: "ok")
                return name
            }
            // Published oldest first: within a tier the newest comes first, so titles beat age below.
            let mentions = try await publish("流动登记信息", abstract: "记录人口流动的登记信息。")
            let exact = try await publish("人口", abstract: "人口总数。")
            let prefixed = try await publish("人口基础信息", abstract: "全市户籍的基础信息。")
            let within = try await publish("常住人口统计", abstract: "统计年报。")
            let coded = try await publish("GB18030编码的证照2024版", abstract: "字符集说明。")
            let plus = try await publish("C++接口说明", abstract: "开发文档。")
            func names(_ text: String) async throws -> [String] {
                try await store.catalog.search(CatalogQuery(text: text), facets: []).entries.map(\.content.name)
            }
            #expect(try await names("人口") == [exact, prefixed, within, mentions], "title, then prefix, then within")
            // A longer name starting with the word, published later, still comes after the shorter one.
            let longer = try await publish("人口迁移登记表", abstract: "迁入迁出。")
            #expect(try await names("人口") == [exact, prefixed, longer, within, mentions], "the closer name first")
            #expect(try await names("统") == [within], "a single character")
            #expect(try await names("gb18030编码") == [coded], "Latin, digits and Chinese in one term")
            #expect(try await names("2024版") == [coded])
            #expect(try await names("证照 gb") == [coded], "every word must match, in any order")
            #expect(try await names("人口 年报") == [within])
            #expect(try await names("人口 证照").isEmpty)
            #expect(try await names("口基础").count == 1, "pairs of one term must be adjacent in the text")
            #expect(try await names("口础").isEmpty, "two characters present apart are not the term")
            // A "+" in a URL's query is a space before the store sees it (FormQueryMiddleware); one that reaches the
            // store was sent encoded (%2B) and is a character like any other.
            #expect(try await names("c++") == [plus])
            #expect(try await names("c+") == [plus])
            #expect(try await names("+") == [plus])
            #expect(try await names("人口+年报").isEmpty)
            #expect(try await names("人口 年报") == [within], "the same words with a space")
        }
    }

    @Test("挂接率 counts published entries with a mounted resource", arguments: TestBackend.available)
    func mountRates(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let department = try await Self.prepare(store)
            var ids: [Int64] = []
            for _ in 0..<4 {
                let entry = try await store.catalog.create(
                    try Self.population().validated(), departmentID: department.id, author: Self.author)
                _ = try await store.catalog.transition(id: entry.id, .submit, author: Self.author, comment: "")
                _ = try await store.catalog.transition(id: entry.id, .publish, author: Self.author, comment: "ok")
                ids.append(entry.id)
            }
            let mounted = try await store.catalog.setMount(
                id: ids[0], MountedResource(kind: .table, locator: "gaj_rkjcxx"), recordCount: 42,
                dataUpdatedAt: Date(),
                author: Self.author)
            #expect(mounted.mount?.locator == "gaj_rkjcxx" && mounted.recordCount == 42)
            let rate = try await store.catalog.mountRates().first { $0.departmentID == department.id }
            #expect(rate?.published == 4 && rate?.mounted == 1 && rate?.rate == 0.25)
        }
    }

    @Test(
        "coverage shows promised resources without a published entry; demands close by rule",
        arguments: TestBackend.available)
    func listsAndCoverage(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let department = try await Self.prepare(store)
            let entry = try await store.catalog.create(
                try Self.population().validated(), departmentID: department.id, author: Self.author)
            _ = try await store.lists.createResponsibility(
                try ResponsibilityDraft(basis: "三定职责：户籍管理", resourceName: "人口基础信息").validated(),
                departmentID: department.id)
            _ = try await store.lists.createResponsibility(
                try ResponsibilityDraft(basis: "三定职责：流动人口管理", resourceName: "流动人口居住登记信息").validated(),
                departmentID: department.id)
            var coverage = try await store.lists.coverage()
            #expect(coverage.first?.promised == 2 && coverage.first?.fulfilled == 0, "a draft keeps no promise")
            _ = try await store.catalog.transition(id: entry.id, .submit, author: Self.author, comment: "")
            _ = try await store.catalog.transition(id: entry.id, .publish, author: Self.author, comment: "ok")
            coverage = try await store.lists.coverage()
            #expect(coverage.first?.fulfilled == 1)
            #expect(coverage.first?.missing.map(\.content.resourceName) == ["流动人口居住登记信息"])

            let demand = try await store.lists.createDemand(
                try DemandDraft(
                    scenario: "社保待遇资格认证", requestedData: "人口死亡信息", expectedProviderID: department.id,
                    purpose: "核验待遇领取资格", basis: "《社会保险法》"
                ).validated(),
                departmentID: department.id)
            #expect(demand.number.hasPrefix("XQ-") && demand.status == .open)
            await #expect(throws: ValidationError.self) {
                try await store.lists.resolveDemand(id: demand.id, DemandResolution(status: .satisfied))
            }
            await #expect(throws: ValidationError.self) {
                try await store.lists.resolveDemand(
                    id: demand.id, DemandResolution(status: .unsatisfiable, reason: " "))
            }
            let closed = try await store.lists.resolveDemand(
                id: demand.id, DemandResolution(status: .satisfied, entryID: entry.id))
            #expect(closed.status == .satisfied && closed.entryID == entry.id)
            await #expect(throws: StoreError.self) {
                try await store.lists.resolveDemand(
                    id: demand.id, DemandResolution(status: .unsatisfiable, reason: "x"))
            }
        }
    }

    @Test(
        "searches that arrive together after a write all see it, and the facet counts agree",
        arguments: TestBackend.available)
    func concurrentSearchesAfterWrite(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let department = try await Self.prepare(store)
            func publish(_ name: String) async throws {
                var content = Self.population()
                content.name = name
                let entry = try await store.catalog.create(
                    try content.validated(), departmentID: department.id, author: Self.author)
                _ = try await store.catalog.transition(id: entry.id, .submit, author: Self.author, comment: "")
                _ = try await store.catalog.transition(id: entry.id, .publish, author: Self.author, comment: "ok")
            }
            try await publish("人口基础信息一")
            _ = try await store.catalog.search(CatalogQuery(text: "人口"), facets: [.department])
            for round in 2...4 {
                try await publish("人口基础信息\(round)")
                let totals = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
                    for _ in 0..<8 {
                        group.addTask {
                            let found = try await store.catalog.search(
                                CatalogQuery(text: "人口"), facets: [.department])
                            return (found.total, found.facets["department"]?.first?.count ?? -1)
                        }
                    }
                    return try await group.reduce(into: [(Int, Int)]()) { $0.append($1) }
                }
                #expect(totals.allSatisfy { $0 == (round, round) }, "round \(round): \(totals)")
            }
            // A node behind a pruned change reads its index afresh, and still finds everything.
            let other = Store(provider: store.provider)
            other.useSealingKey(TestBackend.sealingKey)
            _ = try await other.catalog.search(CatalogQuery(text: "人口"), facets: [])
            try await publish("人口基础信息5")
            try await publish("人口基础信息6")
            #expect(try await store.catalog.pruneChanges(keeping: 1) > 0)
            #expect(try await other.catalog.search(CatalogQuery(text: "人口"), facets: []).total == 6)
        }
    }

    @Test(
        "entries published in bulk are read, found and counted like entries published one by one, on every node",
        arguments: TestBackend.available)
    func publishInBulk(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, location in
            let department = try await Self.prepare(store)
            let single = try await store.catalog.create(
                try Self.population().validated(), departmentID: department.id, author: Self.author)
            let other = Store(
                provider: try await DatabaseConnector.open(
                    location, maximumConnections: TestBackend.connectionsPerStore, logger: .init(label: "node-b")),
                rowIntegrity: store.rowIntegrity)
            #expect(try await other.catalog.search(CatalogQuery(text: "营业执照"), facets: []).total == 0)

            let batch = try (1...3).map { number in
                var content = Self.population(classification: number == 3 ? "101001" : "102001")
                content.name = "企业营业执照信息\(number)"
                content.keywords = ["营业执照"]
                content.formats = [ResourceFormat(category: .spreadsheet, type: "xlsx")]
                return CatalogBatchItem(
                    departmentID: department.id, content: try content.validated(), publish: true, note: "批量导入")
            }
            let ids = try await store.catalog.publishInBulk(batch, author: Self.author)
            let entries = try await store.catalog.entries(ids: ids)
            #expect(entries.map(\.content.name) == ["企业营业执照信息1", "企业营业执照信息2", "企业营业执照信息3"])
            #expect(entries.allSatisfy { $0.status == .published && $0.publishedOn == CalendarDate.today() })
            #expect(entries.map(\.code.text) == ["102001/0001", "102001/0002", "101001/0002"])
            #expect(try await store.catalog.versions(id: ids[0]).count == 1)
            #expect(try await store.catalog.events(id: ids[0]).map(\.action) == ["created", "submit", "publish"])

            for node in [store, other] {
                let found = try await node.catalog.search(CatalogQuery(text: "营业执照"), facets: [.format, .keyword])
                #expect(found.entries.map(\.id) == ids.reversed())
                #expect(found.facets["format"] == [FacetCount(value: "XLSX", label: "XLSX", count: 3)])
                #expect(try await node.catalog.search(CatalogQuery(text: "执照信息3"), facets: []).total == 1)
            }
            // What comes after takes the next code and id, and the entry filed before is untouched.
            let next = try await store.catalog.create(
                try batch[0].content.validated(), departmentID: department.id, author: Self.author)
            #expect(next.code.text == "102001/0003" && next.id > ids.max()!)
            #expect(try await store.catalog.find(id: single.id)?.status == .draft)
            await other.provider.shutdown()
        }
    }

    @Test("a second node on the same database sees every change in its searches", arguments: TestBackend.available)
    func searchAcrossNodes(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, location in
            let department = try await Self.prepare(store)
            let other = Store(
                provider: try await DatabaseConnector.open(
                    location, maximumConnections: TestBackend.connectionsPerStore, logger: .init(label: "node-b")),
                rowIntegrity: store.rowIntegrity)
            #expect(try await other.catalog.search(CatalogQuery(text: "人口"), facets: []).total == 0)
            let entry = try await store.catalog.create(
                try Self.population().validated(), departmentID: department.id, author: Self.author)
            _ = try await store.catalog.transition(id: entry.id, .submit, author: Self.author, comment: "")
            _ = try await store.catalog.transition(id: entry.id, .publish, author: Self.author, comment: "ok")
            let found = try await other.catalog.search(CatalogQuery(text: "人口"), facets: [.shareType])
            #expect(found.entries.map(\.id) == [entry.id])
            #expect(found.facets["shareType"]?.first?.value == "conditional")

            var revised = try Self.population().validated()
            revised.shareType = .unconditional
            revised.shareCondition = ""
            revised.items = revised.items.map {
                var item = $0
                item.shareType = .unconditional
                return item
            }
            _ = try await store.catalog.update(
                id: entry.id, with: try revised.validated(), author: Self.author, note: "")
            let recounted = try await other.catalog.search(CatalogQuery(), facets: [.shareType])
            #expect(recounted.facets["shareType"] == [FacetCount(value: "unconditional", label: "无条件共享", count: 1)])
            _ = try await store.catalog.transition(id: entry.id, .withdraw, author: Self.author, comment: "停用")
            #expect(try await other.catalog.search(CatalogQuery(text: "人口"), facets: []).total == 0)
            await other.provider.shutdown()
        }
    }

    @Test("entries are found by their department's new name after a rename", arguments: TestBackend.available)
    func departmentRename(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let department = try await Self.prepare(store)
            let entry = try await store.catalog.create(
                try Self.population().validated(), departmentID: department.id, author: Self.author)
            _ = try await store.catalog.transition(id: entry.id, .submit, author: Self.author, comment: "")
            _ = try await store.catalog.transition(id: entry.id, .publish, author: Self.author, comment: "ok")
            #expect(try await store.catalog.search(CatalogQuery(text: "公安局"), facets: []).total == 1)
            _ = try await store.departments.update(
                id: department.id,
                with: DepartmentDraft(
                    name: "六安市公共安全管理局", code: "GAJ", creditCode: department.creditCode, regionCode: "341500",
                    parentID: nil))
            #expect(try await store.catalog.search(CatalogQuery(text: "公共安全管理局"), facets: []).total == 1)
            #expect(try await store.catalog.search(CatalogQuery(text: "公安局"), facets: []).total == 0)
        }
    }
}
