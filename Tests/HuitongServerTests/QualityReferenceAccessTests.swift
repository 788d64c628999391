import Foundation
import HTTPTypes
import HuitongCore
import HuitongStore
import HuitongTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import HuitongServer
@testable import HuitongServices

/// A referential quality rule reads another entry's pool: it may name only entries its department may read (its
/// own, or another department's under a grant in force), and is refused like a missing entry otherwise, when it is
/// added and again when it runs; every such check is on the audit log.
@Suite("Quality references across departments")
struct QualityReferenceAccessTests {
    static let author = ChangeAuthor(userID: nil, name: "测试")

    static func references(_ client: any TestClientProtocol, _ node: TestNode) async throws -> [AuditAPI.EntryBody] {
        let (_, body) = try await client.send(
            .get, "/api/v1/audit/entries?action=quality.reference&limit=100", token: node.operatorToken,
            as: AuditAPI.EntriesBody.self)
        return body.items.reversed()
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

            func rule(_ target: Int64) -> QualityRuleSpec {
                QualityRuleSpec(kind: .referential, columns: ["sfzhm"], referencedEntryID: target)
            }
            let missingID: Int64 = 987_654
            let (missing, missingText) = try await QualityAPITests.addRule(
                client, entryID: guesses.id, token: provider, rule(missingID))
            #expect(missing == .notFound)
            let missingBody = try WireJSON.read(ErrorBody.self, missingText)
            for target in [world.conditional, restricted] {
                let (status, text) = try await QualityAPITests.addRule(
                    client, entryID: guesses.id, token: provider, rule(target.id))
                #expect(status == .notFound, "\(target.content.name): \(text)")
                let body = try WireJSON.read(ErrorBody.self, text)
                #expect(body.code == missingBody.code)
                #expect(
                    body.error.message
                        == missingBody.error.message.replacingOccurrences(of: "\(missingID)", with: "\(target.id)"),
                    "the same answer as for an entry that does not exist")
                #expect(!text.contains(target.content.name) && !text.contains(target.code.text))
            }
            let (_, rules) = try await client.send(
                .get, "/api/v1/catalog/entries/\(guesses.id)/quality/rules", token: provider,
                as: QualityAPI.RulesBody.self)
            #expect(rules.custom.isEmpty, "nothing was stored")
            let refused = try await Self.references(client, node)
            #expect(refused.map(\.outcome) == ["denied", "denied"])
            #expect(refused.map(\.resourceCode) == [world.conditional.code.text, restricted.code.text])
            #expect(refused.allSatisfy { $0.consumerDepartmentID == world.consumer.id })

            // A grant of the key item to A, without a row filter: the rule may now read B's keys.
            let applicationID = try await SharingAPITests.draft(
                client, world, entryID: world.conditional.id, items: ["sfzhm", "xm"])
            try await client.status(
                .post, "/api/v1/applications/\(applicationID)/submit", token: world.consumerToken)
            let (decided, decision) = try await client.send(
                .post, "/api/v1/applications/\(applicationID)/decision", token: world.providerToken,
                input: SharingAPI.DecisionInput(kind: .approve, comment: "同意"), as: SharingAPI.ApplicationBody.self)
            #expect(decided == .ok, "\(decision)")
            let grantID = try #require(decision.application.grantID)

            let (created, createdBody) = try await QualityAPITests.addRule(
                client, entryID: guesses.id, token: provider, rule(world.conditional.id))
            #expect(created == .created, "\(createdBody)")
            let run = try await QualityAPITests.runNow(client, entryID: guesses.id, token: provider)
            #expect(run?.status.rawValue == "succeeded", "\(String(describing: run))")
            #expect(QualityAPITests.counts(run)["sfzhm.referential"] == [3, 1])
            let allowed = try await Self.references(client, node).dropFirst(2)
            #expect(allowed.count >= 2, "the rule's creation and the run")
            #expect(allowed.allSatisfy { $0.outcome == "allowed" && $0.grantID == grantID })
            #expect(allowed.allSatisfy { $0.providerDepartmentID == world.provider.id })

            // Revoked: the next run is refused like a missing entry, and the refusal is audited.
            let revoked = try await client.status(
                .post, "/api/v1/grants/\(grantID)/revoke", token: world.providerToken,
                input: SharingAPI.RevokeInput(reason: "核验结束"))
            #expect(revoked == .ok)
            let (again, againBody) = try await client.failure(
                .post, "/api/v1/catalog/entries/\(guesses.id)/quality/runs", token: provider)
            #expect(again == .notFound, "\(againBody)")
            let (_, runs) = try await client.send(
                .get, "/api/v1/catalog/entries/\(guesses.id)/quality/runs", token: provider,
                as: QualityAPI.ListBody<QualityAPI.RunBody>.self)
            #expect(runs.items.filter { $0.trigger.rawValue == "manual" }.count == 1)
            let last = try #require(try await Self.references(client, node).last)
            #expect(last.outcome == "denied" && last.reason == "no_grant")
        }
    }
}
