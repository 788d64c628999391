import Foundation
import HuitongCore
import HuitongStore
import HuitongTestSupport
import HummingbirdTesting
import Testing

@testable import HuitongServer
@testable import HuitongServices

/// Suggestions of kind, grade and masking from what a pool actually holds, shown to its provider.
@Suite("Grading suggestions")
struct GradingSuggestionsAPITests {
    @Test("a population pool's ID numbers, names, phones and addresses are recognised, with the masking to use")
    func population() async throws {
        try await TestNode.run { node, client in
            let world = try await SharingAPITests.world(node)
            let author = ChangeAuthor(userID: nil, name: "测试")
            // An entry whose items say nothing about the kind of their data.
            let plain = try await node.store.catalog.create(
                try CatalogEntryContent(
                    classificationCode: "101001", name: "户籍人口信息", abstract: "户籍人口。",
                    formats: [ResourceFormat(category: .database, type: "MySQL")],
                    items: [
                        InfoItem(name: "证件号", columnName: "zjh", dataType: .character, isKey: true),
                        InfoItem(name: "名称", columnName: "mc", dataType: .character),
                        InfoItem(name: "联系方式", columnName: "lxfs", dataType: .character),
                        InfoItem(name: "住址", columnName: "zz", dataType: .character),
                        InfoItem(name: "人数", columnName: "rs", dataType: .integer),
                    ], shareType: .conditional, shareCondition: "核验", updateCycle: .daily
                ).validated(), departmentID: world.provider.id, author: author)
            let missing = try await client.status(
                .get, "/api/v1/catalog/entries/\(plain.id)/grading-suggestions", token: world.providerToken)
            #expect(missing == .notFound, "nothing loaded yet")

            let surnames = ["张", "王", "李", "赵", "陈", "刘", "杨", "黄", "周", "吴"]
            let given = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "洋"]
            var rows: [[String?]] = []
            for index in 0..<200 {
                let body = String(
                    format: "341502%04d%02d%02d%03d", 1950 + index % 50, 1 + index % 12, 1 + index % 28, index)
                let id = body + String(try ResidentIDNumber.checkCharacter(forFirst17: body))
                rows.append([
                    id, surnames[index % 10] + given[(index / 10) % 10], String(format: "139%08d", index * 7919),
                    "安徽省六安市金安区三里桥街道梅山路\(index + 1)号", String(index % 7),
                ])
            }
            let version = try await node.store.pools.beginVersion(
                entryID: plain.id, columns: ["zjh", "mc", "lxfs", "zz", "rs"], keyColumns: ["zjh"], copyingActive: false
            )
            try await node.store.pools.insert(rows, into: version, replacingKeys: false)
            _ = try await node.store.pools.activate(version, keep: 2)

            let (status, body) = try await client.send(
                .get, "/api/v1/catalog/entries/\(plain.id)/grading-suggestions", token: world.providerToken,
                as: GradingSuggestionsAPI.Body.self)
            #expect(status == .ok && body.sampledRows == 200)
            let items = body.items
            let suggested = Dictionary(uniqueKeysWithValues: items.map { ($0.columnName, $0.suggested) })
            #expect(suggested["zjh"]?.kind == .residentID)
            #expect(suggested["mc"]?.kind == .personName)
            #expect(suggested["lxfs"]?.kind == .mobilePhone)
            #expect(suggested["zz"]?.kind == .address)
            #expect(suggested["rs"]?.kind == .other)
            #expect(suggested["zjh"]?.masking == .keep(first: 1, last: 2))
            let differing = Set(items.filter(\.differs).map(\.columnName))
            #expect(differing.isSuperset(of: ["zjh", "mc", "lxfs", "zz"]))
            let reason = suggested["zjh"]?.reason.zh ?? ""
            #expect(!reason.contains("341502"), "reasons never quote values")

            let others = try await client.status(
                .get, "/api/v1/catalog/entries/\(plain.id)/grading-suggestions", token: world.consumerToken)
            #expect(others == .forbidden || others == .notFound)
            let unchanged = try await node.store.catalog.find(id: plain.id)
            #expect(unchanged?.content.items.allSatisfy { $0.semanticKind == .other } == true, "nothing applied")
        }
    }
}
