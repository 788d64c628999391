import Foundation
import HTTPTypes
import HuitongCore
import HuitongServer
import HuitongStore
import HuitongTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import HuitongServices

/// A referential quality rule reads another entry's pool: it may name only entries its department may read (its
/// own, or another department's under a grant in force), and is refused like a missing entry otherwise, when it is
/// added and again when it runs; every such check is on the audit log.
@Suite("Quality references across departments")
struct QualityReferenceAccessTests {
    static let author = ChangeAuthor(userID: nil, name: "测试")

    static func references(_ client: any TestClientProtocol, _ node: TestNode) async throws -> [[String: Any]] {
        let (_, body, _) = try await client.json(
            .get, "/api/v1/audit/entries?action=quality.reference&limit=100", token: node.operatorToken)
        return (body["items"] as? [[String: Any]] ?? []).reversed()
    }

    @Test(
        "a provider naming another department's restricted entry gets 404 and learns nothing; under a grant it works and is audited; after revocation the run is refused",
        arguments: TestBackend.available)
    func referenceNeedsGrant(_ backend: TestBackend) async throws {
        try await TestNode.run(backend) { node, client in
            // B (公安) holds the population pool; A (民政) wants to know which of its guessed ID numbers exist.
            let world = try await SharingAPITests.world(node)
            let pools = node.store.pools
            let version = try await pools.beginVersion(
                entryID: world.conditional.id, columns: ["sfzhm", "xm", "zjxy", "xzqhdm", "csrq"],
                keyColumns: ["sfzhm"], copyingActive: false)
            let known = try (1...2).map { try QualityAPITests.residentID(born: "19900101", sequence: $0) }
            try await pools.insert(
                known.map { [$0, "张三", nil, "341502", "1990-01-01"] }, into: version, replacingKeys: false)
            _ = try await pools.activate(version, keep: 2)
            let restricted = try await node.store.catalog.create(
                try CatalogEntryContent(
                    classificationCode: "101001", name: "重点人员管控信息", abstract: "内部掌握。",
                    formats: [ResourceFormat(category: .database, type: "Oracle")],
                    items: [
                        InfoItem(
                            name: "身份证号码", columnName: "sfzhm", dataType: .character, length: 18, isKey: true,
                            semanticKind: .residentID)
                    ],
                    shareType: .conditional, shareCondition: "仅限公安内部", updateCycle: .daily
                ).validated(), departmentID: world.provider.id, author: Self.author)

            let (_, provider) = try await node.user("jamz.provider", department: world.consumer, roles: [.provider])
            let guesses = try await node.store.catalog.create(
                try CatalogEntryContent(
                    classificationCode: "101001", name: "低保对象名单", abstract: "低保对象。",
                    formats: [ResourceFormat(category: .database, type: "MySQL")],
                    items: [
                        InfoItem(name: "编号", columnName: "bh", dataType: .character, isKey: true),
                        InfoItem(
                            name: "身份证号码", columnName: "sfzhm", dataType: .character, length: 18,
                            semanticKind: .residentID),
                    ],
                    shareType: .conditional, shareCondition: "核验", updateCycle: .daily
                ).validated(), departmentID: world.consumer.id, author: Self.author)
            let stranger = try QualityAPITests.residentID(born: "19800101", sequence: 7)
            _ = try await QualityAPITests.load(
                client, entry: guesses, token: provider,
                csv: "bh,sfzhm\n1,\(known[0])\n2,\(known[1])\n3,\(stranger)\n")

            func rule(_ target: Int64) -> String {
                #"{"kind": "referential", "columns": ["sfzhm"], "referencedEntryID": \#(target)}"#
            }
            let missingID: Int64 = 987_654
            let (missing, missingBody) = try await QualityAPITests.addRule(
                client, entryID: guesses.id, token: provider, rule(missingID))
            #expect(missing == .notFound)
            for target in [world.conditional, restricted] {
                let (status, body) = try await QualityAPITests.addRule(
                    client, entryID: guesses.id, token: provider, rule(target.id))
                #expect(status == .notFound, "\(target.content.name): \(body)")
                #expect(apiError(body).code == apiError(missingBody).code)
                let message = (body["error"] as? [String: Any])?["message"] as? String ?? ""
                let missingMessage = (missingBody["error"] as? [String: Any])?["message"] as? String ?? "?"
                #expect(
                    message == missingMessage.replacingOccurrences(of: "\(missingID)", with: "\(target.id)"),
                    "the same answer as for an entry that does not exist")
                let text = String(describing: body)
                #expect(!text.contains(target.content.name) && !text.contains(target.code.text))
            }
            let (_, rules, _) = try await client.json(
                .get, "/api/v1/catalog/entries/\(guesses.id)/quality/rules", token: provider)
            #expect((rules["custom"] as? [[String: Any]])?.isEmpty == true, "nothing was stored")
            let refused = try await Self.references(client, node)
            #expect(refused.map { $0["outcome"] as? String } == ["denied", "denied"])
            #expect(
                refused.map { $0["resourceCode"] as? String } == [world.conditional.code.text, restricted.code.text])
            #expect(refused.allSatisfy { $0["consumerDepartmentID"] as? Int == Int(world.consumer.id) })

            // A grant of the key item to A, without a row filter: the rule may now read B's keys.
            let (_, draft, _) = try await client.json(
                .post, "/api/v1/applications", token: world.consumerToken,
                body: SharingAPITests.applicationBody(entryID: world.conditional.id, items: ["sfzhm", "xm"]))
            let applicationID = try #require(draft["id"] as? Int)
            _ = try await client.json(
                .post, "/api/v1/applications/\(applicationID)/submit", token: world.consumerToken)
            let (decided, decision, _) = try await client.json(
                .post, "/api/v1/applications/\(applicationID)/decision", token: world.providerToken,
                body: #"{"kind": "approve", "comment": "同意"}"#)
            #expect(decided == .ok, "\(decision)")
            let grantID = try #require(decision["grantID"] as? Int)

            let (created, createdBody) = try await QualityAPITests.addRule(
                client, entryID: guesses.id, token: provider, rule(world.conditional.id))
            #expect(created == .created, "\(createdBody)")
            let run = try await QualityAPITests.runNow(client, entryID: guesses.id, token: provider)
            #expect(run["status"] as? String == "succeeded", "\(run)")
            #expect(QualityAPITests.counts(run)["sfzhm.referential"] == [3, 1])
            let allowed = try await Self.references(client, node).dropFirst(2)
            #expect(allowed.count >= 2, "the rule's creation and the run")
            #expect(allowed.allSatisfy { $0["outcome"] as? String == "allowed" && $0["grantID"] as? Int == grantID })
            #expect(allowed.allSatisfy { $0["providerDepartmentID"] as? Int == Int(world.provider.id) })

            // Revoked: the next run is refused like a missing entry, and the refusal is audited.
            let (revoked, _, _) = try await client.json(
                .post, "/api/v1/grants/\(grantID)/revoke", token: world.providerToken,
                body: #"{"reason": "核验结束"}"#)
            #expect(revoked == .ok)
            let (again, againBody, _) = try await client.json(
                .post, "/api/v1/catalog/entries/\(guesses.id)/quality/runs", token: provider)
            #expect(again == .notFound, "\(againBody)")
            let (_, runs, _) = try await client.json(
                .get, "/api/v1/catalog/entries/\(guesses.id)/quality/runs", token: provider)
            #expect((runs["items"] as? [[String: Any]])?.filter { $0["trigger"] as? String == "manual" }.count == 1)
            let last = try #require(try await Self.references(client, node).last)
            #expect(last["outcome"] as? String == "denied" && last["reason"] as? String == "no_grant")
        }
    }
}
