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

/// The catalog as officers use it through `/api/v1`.
@Suite("Catalog API")
struct CatalogAPITests {
    /// A city with a police bureau (provider) and a social-security bureau (consumer), and a 目 to file under.
    struct City {
        let police: Department
        let provider: String
        let consumer: String
        let otherProvider: String
    }

    static func city(_ node: TestNode) async throws -> City {
        try await node.store.catalog.saveClassifications([
            ClassificationNode(scheme: "guide", code: "101001", name: "人口基本信息"),
            ClassificationNode(scheme: "guide", code: "105001", name: "营业执照"),
        ])
        let police = try await node.department("GAJ")
        let social = try await node.department("RSJ")
        let (_, provider) = try await node.user("gaj.provider", department: police, roles: [.provider])
        let (_, consumer) = try await node.user("rsj.consumer", department: social, roles: [.consumer])
        let (_, otherProvider) = try await node.user("rsj.provider", department: social, roles: [.provider])
        return City(police: police, provider: provider, consumer: consumer, otherProvider: otherProvider)
    }

    typealias Search = CatalogAPI.SearchBody

    /// An entry as a provider writes it: two items, the key graded `keyGrade`, and `extraItems` after them.
    static func entry(
        name: String = "人口基础信息", classification: String = "101001", extraItems: [CatalogAPI.ItemInput] = [],
        shareType: ShareType = .conditional, openness: Openness = .closed, note: String = "",
        keyGrade: SecurityGrade = .general4
    ) -> CatalogAPI.EntryInput {
        CatalogAPI.EntryInput(
            classificationCode: classification, name: name, abstract: "全市户籍人口的基础信息",
            formats: [ResourceFormat(category: .database, type: "Oracle")],
            items: [
                CatalogAPI.ItemInput(
                    name: "身份证号码", columnName: "sfzhm", dataType: .character, length: 18, isKey: true,
                    grade: keyGrade, semanticKind: .residentID),
                CatalogAPI.ItemInput(
                    name: "姓名", columnName: "xm", dataType: .character, length: 50, semanticKind: .personName),
            ] + extraItems,
            shareType: shareType, shareCondition: "用于身份核验", openness: openness, openCondition: "实名认证",
            updateCycle: .daily, keywords: ["人口"], note: note)
    }

    static let phoneItem = CatalogAPI.ItemInput(name: "手机号码", columnName: "sjhm", dataType: .character, length: 11)

    @Test("an entry is found by its resource code in any status its caller may see", arguments: TestBackend.available)
    func lookupByCode(_ backend: TestBackend) async throws {
        try await TestNode.run(backend) { node, client in
            let city = try await Self.city(node)
            let (_, created) = try await client.send(
                .post, "/api/v1/catalog/entries", token: city.provider, input: Self.entry(), as: CatalogEntry.self)
            let code = created.code.text
            let uri =
                "/api/v1/catalog/entries?code=\(code.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)"
            let (status, found) = try await client.send(.get, uri, token: city.provider, as: Search.self)
            #expect(status == .ok && found.total == 1)
            #expect(found.items.first?.id == created.id)
            #expect(try await client.send(.get, uri, token: node.operatorToken, as: Search.self).1.total == 1)
            // A draft is its department's business until published.
            #expect(try await client.send(.get, uri, token: city.otherProvider, as: Search.self).1.total == 0)
            let (_, missing) = try await client.send(
                .get, "/api/v1/catalog/entries?code=999999/0001", token: city.provider, as: Search.self)
            #expect(missing.total == 0 && missing.items.isEmpty)
        }
    }

    @Test(
        "an entry goes from draft to published, and a revision is versioned and diffed",
        arguments: TestBackend.available)
    func lifecycle(_ backend: TestBackend) async throws {
        try await TestNode.run(backend) { node, client in
            let city = try await Self.city(node)
            let (status, created) = try await client.send(
                .post, "/api/v1/catalog/entries", token: city.provider, input: Self.entry(), as: CatalogEntry.self)
            #expect(status == .created)
            #expect(created.code.text == "101001/0001")
            #expect(created.status == .draft)
            let id = created.id
            #expect(created.provider.name == "部门 GAJ")

            // Other departments cannot see a draft, nor create entries as consumers.
            #expect(try await client.status(.get, "/api/v1/catalog/entries/\(id)", token: city.consumer) == .notFound)
            #expect(
                try await client.status(.post, "/api/v1/catalog/entries", token: city.consumer, input: Self.entry())
                    == .forbidden)

            #expect(
                try await client.status(.post, "/api/v1/catalog/entries/\(id)/publish", token: node.operatorToken)
                    == .conflict)
            #expect(try await client.status(.post, "/api/v1/catalog/entries/\(id)/submit", token: city.provider) == .ok)
            let (returnStatus, returnBody) = try await client.failure(
                .post, "/api/v1/catalog/entries/\(id)/return", token: node.operatorToken,
                input: CatalogAPI.CommentInput())
            #expect(returnStatus == .badRequest)
            #expect(returnBody.fields == ["comment"])
            #expect(
                try await client.status(.post, "/api/v1/catalog/entries/\(id)/publish", token: city.provider)
                    == .forbidden)
            let (published, publishedBody) = try await client.send(
                .post, "/api/v1/catalog/entries/\(id)/publish", token: node.operatorToken,
                input: CatalogAPI.CommentInput(comment: "同意发布"), as: CatalogEntry.self)
            #expect(published == .ok)
            #expect(publishedBody.publishedOn == CalendarDate.today())
            #expect(try await client.status(.get, "/api/v1/catalog/entries/\(id)", token: city.consumer) == .ok)

            // Another department's provider may read but not change it.
            #expect(
                try await client.status(
                    .put, "/api/v1/catalog/entries/\(id)", token: city.otherProvider, input: Self.entry())
                    == .forbidden)

            let revision = Self.entry(extraItems: [Self.phoneItem], note: "增加手机号码")
            let (revised, revisedBody) = try await client.send(
                .put, "/api/v1/catalog/entries/\(id)", token: city.provider, input: revision, as: CatalogEntry.self)
            #expect(revised == .ok)
            #expect(revisedBody.version == 2)
            #expect(revisedBody.status == .published)

            let (_, versions) = try await client.send(
                .get, "/api/v1/catalog/entries/\(id)/versions", token: city.consumer, as: ListBody<CatalogVersion>.self)
            #expect(versions.items.map(\.version) == [1, 2])
            let (_, diff) = try await client.send(
                .get, "/api/v1/catalog/entries/\(id)/diff?from=1&to=2", token: city.consumer,
                as: CatalogAPI.DiffBody.self)
            #expect(diff.changes.map(\.field) == ["items.sjhm"])
            #expect(diff.changes.first?.after?.contains("手机号码") == true)
            let (badDiff, badDiffBody) = try await client.failure(
                .get, "/api/v1/catalog/entries/\(id)/diff?from=9", token: city.consumer)
            #expect(badDiff == .badRequest && badDiffBody.fields == ["from"])

            let (_, history) = try await client.send(
                .get, "/api/v1/catalog/entries/\(id)/history", token: city.provider, as: ListBody<CatalogEvent>.self)
            #expect(history.items.map(\.action) == ["created", "submit", "publish", "revised"])

            // Opening a live entry to the public is not the provider's call alone.
            let (opened, openedBody) = try await client.failure(
                .put, "/api/v1/catalog/entries/\(id)", token: city.provider,
                input: Self.entry(extraItems: [Self.phoneItem], openness: .conditional))
            #expect(opened == .conflict && openedBody.code == "review_required")

            // Classification and code are frozen after publication.
            let (moved, movedBody) = try await client.failure(
                .put, "/api/v1/catalog/entries/\(id)", token: city.provider,
                input: Self.entry(classification: "105001"))
            #expect(moved == .conflict)
            #expect(movedBody.code == "resource_code_frozen")

            let (withdrawn, withdrawnBody) = try await client.send(
                .post, "/api/v1/catalog/entries/\(id)/withdraw", token: city.provider,
                input: CatalogAPI.CommentInput(comment: "系统升级"), as: CatalogEntry.self)
            #expect(withdrawn == .ok && withdrawnBody.status == .offline)
        }
    }

    @Test(
        "an item that is not shared must cite a negative-list row with a legal basis", arguments: TestBackend.available)
    func negativeList(_ backend: TestBackend) async throws {
        try await TestNode.run(backend) { node, client in
            let city = try await Self.city(node)
            let withheld = CatalogAPI.ItemInput(
                name: "宗教信仰", columnName: "zjxy", dataType: .character, shareType: .notShared)
            let (rejected, rejectedBody) = try await client.failure(
                .post, "/api/v1/catalog/entries", token: city.provider, input: Self.entry(extraItems: [withheld]))
            #expect(rejected == .badRequest)
            #expect(rejectedBody.fields == ["items[2].negativeListID"])
            #expect(rejectedBody.error.details.first?.message.contains("法律、行政法规") == true)

            let (noBasis, noBasisBody) = try await client.failure(
                .post, "/api/v1/lists/negative", token: city.provider,
                input: ThreeListsAPI.NegativeInput(kind: .notShared, resource: "人口基础信息", reason: "敏感", legalBasis: " "))
            #expect(noBasis == .badRequest && noBasisBody.fields == ["legalBasis"])
            let (created, row) = try await client.send(
                .post, "/api/v1/lists/negative", token: city.provider,
                input: ThreeListsAPI.NegativeInput(
                    kind: .notShared, resource: "人口基础信息", items: "宗教信仰", reason: "敏感个人信息",
                    legalBasis: "《个人信息保护法》第二十八条"),
                as: NegativeListRow.self)
            #expect(created == .created)
            let rowID = row.id
            #expect(row.departmentID == city.police.id)

            var cited = withheld
            cited.negativeListID = rowID
            let (accepted, entry) = try await client.send(
                .post, "/api/v1/catalog/entries", token: city.provider, input: Self.entry(extraItems: [cited]),
                as: CatalogEntry.self)
            #expect(accepted == .created)
            #expect(entry.content.items.count == 3)
            #expect(
                try await client.status(.delete, "/api/v1/lists/negative/\(rowID)", token: city.provider) == .conflict)
            // Another department cannot edit this department's row.
            #expect(
                try await client.status(
                    .put, "/api/v1/lists/negative/\(rowID)", token: city.otherProvider,
                    input: ThreeListsAPI.NegativeInput(kind: .notShared, resource: "x", reason: "y", legalBasis: "z")
                ) == .forbidden)
        }
    }

    @Test(
        "search answers Chinese substrings with facets, and rejects unknown filter values",
        arguments: TestBackend.available)
    func search(_ backend: TestBackend) async throws {
        try await TestNode.run(backend) { node, client in
            let city = try await Self.city(node)
            for (name, classification, share) in [
                ("企业营业执照信息", "105001", ShareType.unconditional), ("人口基础信息", "101001", .conditional),
                ("户籍迁移信息", "101001", .conditional),
            ] {
                let (_, entry) = try await client.send(
                    .post, "/api/v1/catalog/entries", token: city.provider,
                    input: Self.entry(
                        name: name, classification: classification, shareType: share,
                        keyGrade: share == .unconditional ? .general1 : .general4),
                    as: CatalogEntry.self)
                let id = entry.id
                try await client.status(.post, "/api/v1/catalog/entries/\(id)/submit", token: city.provider)
                try await client.status(.post, "/api/v1/catalog/entries/\(id)/publish", token: node.operatorToken)
            }
            let (status, found) = try await client.send(
                .get, "/api/v1/catalog/entries?q=%E8%90%A5%E4%B8%9A%E6%89%A7%E7%85%A7", token: city.consumer,
                as: Search.self)
            #expect(status == .ok)
            #expect(found.items.map(\.content.name) == ["企业营业执照信息"])

            let (_, all) = try await client.send(
                .get, "/api/v1/catalog/entries?pageSize=2", token: city.consumer, as: Search.self)
            #expect(all.total == 3)
            #expect(all.items.count == 2)
            let shareCounts = Dictionary(
                uniqueKeysWithValues: (all.facets["shareType"] ?? []).map { ($0.value, $0.count) })
            #expect(shareCounts == ["conditional": 2, "unconditional": 1])

            let (_, filtered) = try await client.send(
                .get, "/api/v1/catalog/entries?shareType=%E6%9C%89%E6%9D%A1%E4%BB%B6%E5%85%B1%E4%BA%AB&facets=none",
                token: city.consumer, as: Search.self)
            #expect(filtered.total == 2)
            #expect(filtered.facets.isEmpty)

            // Asking for drafts too shows every department's published entries and only one's own drafts.
            try await client.status(
                .post, "/api/v1/catalog/entries", token: city.otherProvider, input: Self.entry(name: "参保人员信息"))
            let (_, withDrafts) = try await client.send(
                .get, "/api/v1/catalog/entries?status=published,draft&facets=none", token: city.otherProvider,
                as: Search.self)
            #expect(withDrafts.total == 4)
            let (_, othersDrafts) = try await client.send(
                .get, "/api/v1/catalog/entries?status=published,draft&facets=none", token: city.provider,
                as: Search.self)
            #expect(othersDrafts.total == 3)
            let (_, operatorView) = try await client.send(
                .get, "/api/v1/catalog/entries?status=draft&facets=none", token: node.operatorToken, as: Search.self)
            #expect(operatorView.total == 1)

            let (bad, badBody) = try await client.failure(
                .get, "/api/v1/catalog/entries?shareType=sometimes&pageSize=1000", token: city.consumer)
            #expect(bad == .badRequest)
            #expect(Set(badBody.fields) == ["shareType", "pageSize"])
        }
    }

    @Test("coverage, 挂接率 and the system registry through the API", arguments: TestBackend.available)
    func coverageAndMounts(_ backend: TestBackend) async throws {
        try await TestNode.run(backend) { node, client in
            let city = try await Self.city(node)
            let (systemStatus, system) = try await client.send(
                .post, "/api/v1/information-systems", token: city.provider,
                input: ThreeListsAPI.SystemInput(name: "人口信息管理系统", description: "户籍业务系统"),
                as: InformationSystem.self)
            #expect(systemStatus == .created && system.status == .inUse)
            let (_, entry) = try await client.send(
                .post, "/api/v1/catalog/entries", token: city.provider, input: Self.entry(), as: CatalogEntry.self)
            let id = entry.id
            try await client.status(.post, "/api/v1/catalog/entries/\(id)/submit", token: city.provider)
            try await client.status(.post, "/api/v1/catalog/entries/\(id)/publish", token: node.operatorToken)

            for (resource, basis) in [("人口基础信息", "户籍管理"), ("流动人口居住登记信息", "流动人口管理")] {
                let status = try await client.status(
                    .post, "/api/v1/lists/responsibility", token: node.operatorToken,
                    input: ThreeListsAPI.ResponsibilityInput(
                        departmentID: city.police.id, basis: basis, resourceName: resource))
                #expect(status == .created)
            }
            #expect(
                try await client.status(
                    .post, "/api/v1/lists/responsibility", token: city.provider,
                    input: ThreeListsAPI.ResponsibilityInput(
                        departmentID: city.police.id, basis: "x", resourceName: "y")
                ) == .forbidden)
            let (_, coverage) = try await client.send(
                .get, "/api/v1/lists/responsibility/coverage", token: city.consumer,
                as: ThreeListsAPI.CoverageBody.self)
            #expect(coverage.promised == 2 && coverage.fulfilled == 1)
            let line = coverage.departments.first
            #expect(line?.missing.count == 1)
            #expect(line?.rate == 0.5)

            let (_, before) = try await client.send(
                .get, "/api/v1/catalog/mount-rates", token: city.consumer, as: ListBody<CatalogAPI.MountRateLine>.self)
            let police = before.items.first { $0.departmentID == city.police.id }
            #expect(police?.published == 1 && police?.mounted == 0)
            let (badMount, badMountBody) = try await client.failure(
                .put, "/api/v1/catalog/entries/\(id)/mount", token: city.provider,
                input: CatalogAPI.MountInput(kind: .api, locator: "ftp://x"))
            #expect(badMount == .badRequest && badMountBody.fields == ["locator"])
            let (secret, secretBody) = try await client.failure(
                .put, "/api/v1/catalog/entries/\(id)/mount", token: city.provider,
                input: CatalogAPI.MountInput(kind: .api, locator: "https://user:pw@gaj.example/api"))
            #expect(secret == .badRequest && secretBody.fields == ["locator"])
            let upstream = try await client.status(
                .put, "/api/v1/catalog/entries/\(id)/mount", token: city.provider,
                input: CatalogAPI.MountInput(kind: .api, locator: "https://gaj.example/api/rkjcxx"))
            #expect(upstream == .ok)
            // Consumers see that an API is mounted, not where: they must go through the gateway.
            let (_, seenByConsumer) = try await client.send(
                .get, "/api/v1/catalog/entries/\(id)", token: city.consumer, as: CatalogEntry.self)
            #expect(seenByConsumer.mount?.locator == "")
            let (_, seenByProvider) = try await client.send(
                .get, "/api/v1/catalog/entries/\(id)", token: city.provider, as: CatalogEntry.self)
            #expect(seenByProvider.mount?.locator == "https://gaj.example/api/rkjcxx")
            let (_, events) = try await client.text(.get, "/api/v1/catalog/entries/\(id)/history", token: city.consumer)
            #expect(!events.contains("gaj.example"))
            let mounted = try await client.status(
                .put, "/api/v1/catalog/entries/\(id)/mount", token: city.provider,
                input: CatalogAPI.MountInput(kind: .table, locator: "gaj_rkjcxx", recordCount: 1000))
            #expect(mounted == .ok)
            let (_, after) = try await client.send(
                .get, "/api/v1/catalog/mount-rates", token: city.consumer, as: ListBody<CatalogAPI.MountRateLine>.self)
            let rate = after.items.first { $0.departmentID == city.police.id }
            #expect(rate?.rate == 1.0)

            let (demandStatus, demand) = try await client.send(
                .post, "/api/v1/lists/demand", token: city.consumer,
                input: ThreeListsAPI.DemandInput(
                    scenario: "社保资格认证", requestedData: "人口基础信息", expectedProviderID: city.police.id,
                    purpose: "核验", basis: "《社会保险法》"),
                as: DemandRow.self)
            #expect(demandStatus == .created)
            let demandID = demand.id
            #expect(
                try await client.status(
                    .post, "/api/v1/lists/demand/\(demandID)/resolve", token: city.otherProvider,
                    input: DemandResolution(status: .unsatisfiable, reason: "x")
                ) == .forbidden)
            let (unlinked, unlinkedBody) = try await client.failure(
                .post, "/api/v1/lists/demand/\(demandID)/resolve", token: city.provider,
                input: DemandResolution(status: .satisfied, applicationID: 999))
            #expect(unlinked == .badRequest && unlinkedBody.fields == ["applicationID"])
            let (resolved, resolvedBody) = try await client.send(
                .post, "/api/v1/lists/demand/\(demandID)/resolve", token: city.provider,
                input: DemandResolution(status: .satisfied, entryID: id), as: DemandRow.self)
            #expect(resolved == .ok && resolvedBody.status == .satisfied)
        }
    }
}
