import Foundation
import HTTPTypes
import HuitongCore
import HuitongServer
import HuitongStore
import HuitongTestSupport
import Hummingbird
import HummingbirdTesting
import Testing

@testable import HuitongServices

/// The objection loop through the real application: raised by a consumer or on the portal, answered by the
/// provider, a correction published as a new pool version the gateway then serves, overdue ones escalated.
@Suite("Objections API")
struct ObjectionsAPITests {
    static let wangWu = "341503199303030032"

    static func raise(_ client: any TestClientProtocol, _ world: SharingAPITests.World) async throws -> [String: Any] {
        let (status, body, _) = try await client.json(
            .post, "/api/v1/objections", token: world.consumerToken,
            body: """
                {"entryID": \(world.conditional.id), "recordKey": {"sfzhm": "\(wangWu)"}, "items": ["xzqhdm"],
                 "description": "王五已迁入本区，行政区划代码应为 341502", "evidence": "户籍迁移证明 2026-001"}
                """)
        #expect(status == .created, "\(body)")
        return body
    }

    @Test(
        "raise → reject needs a reason → an invalid correction changes nothing → correct → new version with provenance, served by the gateway; history and audit complete",
        arguments: TestBackend.available)
    func correctionFlow(_ backend: TestBackend) async throws {
        // The gateway reads the active version afresh on every call, so the corrected one is served at once.
        var configuration = TestNode.configuration
        configuration.gatewayCacheLifetime = .zero
        try await TestNode.run(backend, configuration: configuration) { node, client in
            let caller = try await GatewayAPITests.caller(node, client)
            let world = caller.world
            _ = try await GatewayAPITests.grant(client, caller, items: ["sfzhm", "xm", "xzqhdm", "csrq"])
            let lookup = "\(caller.path)/records?sfzhm=\(Self.wangWu)"
            let (_, before, _) = try await client.json(.get, lookup, token: caller.bearer)
            #expect(before["count"] as? Int == 0, "王五 is registered in 341503, outside the consumer's county")

            let raised = try await Self.raise(client, world)
            let id = try #require(raised["id"] as? Int)
            let number = try #require(raised["number"] as? String)
            #expect(
                number.hasPrefix("YY-") && raised["state"] as? String == "open" && raised["overdue"] as? Bool == false)
            #expect(
                (raised["recordKey"] as? [String: String])?["sfzhm"] == "3***************32",
                "the consumer sees the record's key masked")

            // The provider's officers are told; the consumer cannot answer.
            let (_, inbox, _) = try await client.json(.get, "/api/v1/notifications", token: world.providerToken)
            let notice = (inbox["items"] as? [[String: Any]])?.first { $0["kind"] as? String == "objectionToAnswer" }
            #expect(notice?["objectionID"] as? Int == id)
            let answerURI = "/api/v1/objections/\(id)/answer"
            let (forbidden, _, _) = try await client.json(
                .post, answerURI, token: world.consumerToken, body: #"{"kind": "confirm"}"#)
            #expect(forbidden == .forbidden)
            let (noReason, noReasonBody, _) = try await client.json(
                .post, answerURI, token: world.providerToken, body: #"{"kind": "reject", "comment": "  "}"#)
            #expect(noReason == .badRequest && apiError(noReasonBody) == ("reason_required", ["comment"]))

            // Invalid corrections: no version is made and the objection stays open.
            for (values, field) in [
                (#"{"xzqhdm": "99999"}"#, "values.xzqhdm"), (#"{"sfzhm": "341502199202020021"}"#, "values.sfzhm"),
            ] {
                let (status, body, _) = try await client.json(
                    .post, answerURI, token: world.providerToken, body: #"{"kind": "correct", "values": \#(values)}"#)
                #expect(status == .badRequest && apiError(body).fields == [field], "\(body)")
            }
            #expect(try await node.store.pools.versions(entryID: world.conditional.id).map(\.version) == [1])
            #expect(try await node.store.objections.find(id: Int64(id))?.state == .open)

            let (corrected, answer, _) = try await client.json(
                .post, answerURI, token: world.providerToken,
                body: #"{"kind": "correct", "comment": "已核实迁移证明", "values": {"xzqhdm": "341502"}}"#)
            #expect(corrected == .ok, "\(answer)")
            #expect(answer["state"] as? String == "corrected")
            let given = try #require(answer["answer"] as? [String: Any])
            #expect(given["kind"] as? String == "correct" && given["poolVersion"] as? Int == 2)
            #expect(
                (given["changes"] as? [[String: String]]) == [["column": "xzqhdm", "old": "341503", "new": "341502"]])
            #expect((answer["recordKey"] as? [String: String])?["sfzhm"] == Self.wangWu, "the provider sees the key")

            // The new version exists, says why, and is what readers see.
            let versionsURI = "/api/v1/catalog/entries/\(world.conditional.id)/pool/versions"
            let (_, versions, _) = try await client.json(.get, versionsURI, token: world.providerToken)
            let newest = try #require((versions["items"] as? [[String: Any]])?.first)
            #expect(newest["version"] as? Int == 2 && newest["status"] as? String == "active")
            let provenance = try #require(newest["provenance"] as? [String: Any])
            #expect(provenance["objectionNumber"] as? String == number && provenance["objectionID"] as? Int == id)
            #expect((provenance["recordKey"] as? [String: String])?["sfzhm"] == Self.wangWu)
            let (_, operatorVersions, _) = try await client.json(.get, versionsURI, token: node.operatorToken)
            let operatorProvenance =
                (operatorVersions["items"] as? [[String: Any]])?.first?["provenance"] as? [String: Any]
            #expect((operatorProvenance?["recordKey"] as? [String: String])?["sfzhm"] == "3***************32")
            let entry = try #require(try await node.store.catalog.find(id: world.conditional.id))
            // A correction writes the one row it changes into the pool's table, not a copy of the pool.
            #expect(entry.mount?.locator == "pool_e\(world.conditional.id)_v1" && entry.recordCount == 3)
            let (_, after, _) = try await client.json(.get, lookup, token: caller.bearer)
            let records = after["records"] as? [[String: Any]] ?? []
            #expect(after["count"] as? Int == 1 && records.first?["xzqhdm"] as? String == "341502")

            // The raiser sees the outcome and the whole history; a second answer is refused.
            let (_, detail, _) = try await client.json(.get, "/api/v1/objections/\(id)", token: world.consumerToken)
            #expect(detail["state"] as? String == "corrected")
            let history = try #require(detail["history"] as? [[String: Any]])
            #expect(history.map { $0["action"] as? String } == ["raise", "correct"])
            #expect(history.map { $0["actorName"] as? String } == ["jamz.consumer", "gaj.provider"])
            #expect(history.last?["comment"] as? String == "已核实迁移证明")
            let (_, consumerInbox, _) = try await client.json(.get, "/api/v1/notifications", token: world.consumerToken)
            #expect(
                (consumerInbox["items"] as? [[String: Any]])?.contains {
                    $0["kind"] as? String == "objectionAnswered" && $0["objectionID"] as? Int == id
                } == true)
            let (again, againBody, _) = try await client.json(
                .post, answerURI, token: world.providerToken, body: #"{"kind": "confirm"}"#)
            #expect(again == .conflict && apiError(againBody).code == "transition_not_allowed")
            let (_, listed, _) = try await client.json(
                .get, "/api/v1/objections?status=corrected", token: world.consumerToken)
            #expect((listed["items"] as? [[String: Any]])?.map { $0["id"] as? Int } == [id])

            let actions = try await GatewayAPITests.auditEntries(client, node).compactMap { $0["action"] as? String }
            #expect(actions.contains("objection.raised") && actions.contains("objection.corrected"))
        }
    }

    @Test("an unanswered objection escalates to the operators once overdue; the provider may still answer")
    func escalation() async throws {
        try await TestNode.run { node, client in
            let world = try await SharingAPITests.world(node)
            let raised = try await Self.raise(client, world)
            let id = try #require(raised["id"] as? Int)
            let service = ObjectionUseCases(store: node.store, settings: TestNode.configuration.objections)
            #expect(try await service.sweepOverdue(at: Date()).isEmpty, "not overdue yet")
            #expect(try await node.store.objections.openCount(entryID: world.conditional.id) == 1)
            #expect(try await service.adjustedScore(90, entryID: world.conditional.id) == 85)

            let late = Date().addingTimeInterval(40 * 86_400)
            #expect(try await service.sweepOverdue(at: late).map(\.id) == [Int64(id)])
            #expect(try await service.sweepOverdue(at: late).isEmpty, "escalated once")
            let (_, inbox, _) = try await client.json(.get, "/api/v1/notifications", token: node.operatorToken)
            #expect(
                (inbox["items"] as? [[String: Any]])?.contains {
                    $0["kind"] as? String == "objectionEscalated" && $0["objectionID"] as? Int == id
                } == true)
            let (_, escalated, _) = try await client.json(
                .get, "/api/v1/objections?status=escalated", token: node.operatorToken)
            let seen = try #require((escalated["items"] as? [[String: Any]])?.first)
            #expect(seen["id"] as? Int == id && seen["escalatedAt"] is String)
            #expect((seen["recordKey"] as? [String: String])?["sfzhm"] == "3***************32")

            let (confirmed, body, _) = try await client.json(
                .post, "/api/v1/objections/\(id)/answer", token: world.providerToken,
                body: #"{"kind": "confirm", "comment": "经核实，户籍尚未迁移"}"#)
            #expect(confirmed == .ok && body["state"] as? String == "confirmed", "\(body)")
            #expect(
                (body["history"] as? [[String: Any]])?.map { $0["action"] as? String } == [
                    "raise", "escalate", "confirm",
                ])
            #expect(try await node.store.objections.openCount(entryID: world.conditional.id) == 0)
            #expect(try await service.adjustedScore(90, entryID: world.conditional.id) == 90)
        }
    }

    @Test("the public portal takes objections to open data with a contact, strictly, limited per client")
    func publicPortal() async throws {
        var configuration = TestNode.configuration
        configuration.objections.publicLimit = 3
        try await TestNode.run(configuration: configuration) { node, client in
            let world = try await SharingAPITests.world(node)
            var content = world.unconditional.content
            content.name = "分区县人口统计（开放）"
            content.openness = .unconditional
            let author = ChangeAuthor(userID: nil, name: "测试")
            let draft = try await node.store.catalog.create(
                try content.validated(), departmentID: world.provider.id, author: author)
            _ = try await node.store.catalog.transition(id: draft.id, .submit, author: author, comment: "")
            let open = try await node.store.catalog.transition(id: draft.id, .publish, author: author, comment: "")

            func post(_ code: String, _ extra: String) async throws -> (HTTPResponse.Status, [String: Any]) {
                let (status, body, _) = try await client.json(
                    .post, "/api/v1/public/objections",
                    body: #"{"resourceCode": "\#(code)", "description": "人口数与统计公报不符"\#(extra)}"#)
                return (status, body)
            }
            // Closed data cannot be objected to from the portal.
            let (closed, closedBody) = try await post(
                world.conditional.code.text, #", "contact": {"name": "王五", "phone": "13800138000"}"#)
            #expect(closed == .badRequest && apiError(closedBody).fields == ["resourceCode"])
            // Markup and a missing way to reach the raiser are refused, without the markup coming back.
            let (bad, badBody) = try await post(
                open.code.text,
                #", "evidence": "<img src=x onerror=alert(1)>", "contact": {"name": "王五"}, "recordKey": {"<b>": "1"}"#)
            let text = String(describing: badBody)
            #expect(bad == .badRequest && Set(apiError(badBody).fields) == ["evidence", "contact", "recordKey"])
            #expect(!text.contains("onerror") && !text.contains("<b>") && !text.contains("<img"))

            let (created, receipt) = try await post(
                open.code.text,
                #", "recordKey": {"xzqhdm": "341502"}, "contact": {"name": "王五", "email": "w@example.cn"}"#)
            #expect(created == .created, "\(receipt)")
            let number = try #require(receipt["number"] as? String)
            let token = try #require(receipt["trackingToken"] as? String)
            #expect(receipt["description"] == nil, "the text sent is not echoed")

            // The provider sees the contact; the raiser follows the answer with the number and the secret.
            let (_, list, _) = try await client.json(.get, "/api/v1/objections", token: world.providerToken)
            let seen = try #require((list["items"] as? [[String: Any]])?.first)
            #expect(
                (seen["raiser"] as? [String: Any])?["contact"] as? [String: String] == [
                    "name": "王五", "email": "w@example.cn",
                ])
            let id = try #require(seen["id"] as? Int)
            _ = try await client.json(
                .post, "/api/v1/objections/\(id)/answer", token: world.providerToken,
                body: #"{"kind": "reject", "comment": "统计口径不同：本表为户籍人口"}"#)
            let trackURI = "/api/v1/public/objections/\(number)"
            let (tracked, status, _) = try await client.json(
                .get, trackURI, headers: [HTTPField.Name("X-Objection-Token")!: token])
            #expect(tracked == .ok && status["state"] as? String == "rejected")
            #expect((status["answer"] as? [String: Any])?["comment"] as? String == "统计口径不同：本表为户籍人口")
            let (wrong, _, _) = try await client.json(
                .get, trackURI, headers: [HTTPField.Name("X-Objection-Token")!: "yy_wrong"])
            #expect(wrong == .notFound)

            // Three attempts from this client were allowed in the window, counted whether accepted or not.
            let (limited, limitedBody) = try await post(
                open.code.text, #", "contact": {"name": "王五", "phone": "13800138000"}"#)
            #expect(limited == .tooManyRequests && apiError(limitedBody).code == "too_many_objections")
        }
    }
}
