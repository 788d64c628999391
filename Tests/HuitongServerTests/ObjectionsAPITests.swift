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

/// The objection loop through the real application: raised by a consumer or on the portal, answered by the
/// provider, a correction published as a new pool version the gateway then serves, overdue ones escalated.
@Suite("Objections API")
struct ObjectionsAPITests {
    static let wangWu = "341503199303030032"

    typealias Body = ObjectionsAPI.ObjectionBody

    static func raise(_ client: any TestClientProtocol, _ world: SharingAPITests.World) async throws -> Body {
        let (status, text) = try await client.text(
            .post, "/api/v1/objections", token: world.consumerToken,
            input: ObjectionsAPI.RaiseInput(
                entryID: world.conditional.id, recordKey: ["sfzhm": wangWu], items: ["xzqhdm"],
                description: "王五已迁入本区，行政区划代码应为 341502", evidence: "户籍迁移证明 2026-001"))
        #expect(status == .created, "\(text)")
        return try WireJSON.decoder.decode(Body.self, from: Data(text.utf8))
    }

    static func answer(_ kind: ObjectionAnswerKind, comment: String? = nil, values: [String: String]? = nil)
        -> ObjectionsAPI.AnswerInput
    {
        ObjectionsAPI.AnswerInput(kind: kind, comment: comment, values: values)
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
            let (_, before) = try await client.send(
                .get, lookup, token: caller.bearer, as: GatewayAPITests.Records.self)
            #expect(before.count == 0, "王五 is registered in 341503, outside the consumer's county")

            let raised = try await Self.raise(client, world)
            let id = raised.objection.id
            let number = raised.objection.number
            #expect(number.hasPrefix("YY-") && raised.objection.state == .open && raised.overdue == false)
            #expect(
                raised.objection.recordKey["sfzhm"] == "3***************32", "the consumer sees the record's key masked"
            )

            // The provider's officers are told; the consumer cannot answer.
            let (_, inbox) = try await client.send(
                .get, "/api/v1/notifications", token: world.providerToken, as: SharingAPI.NotificationsBody.self)
            let notice = inbox.items.first { $0.kind.rawValue == "objectionToAnswer" }
            #expect(notice?.objectionID == id)
            let answerURI = "/api/v1/objections/\(id)/answer"
            let forbidden = try await client.status(
                .post, answerURI, token: world.consumerToken, input: Self.answer(.confirm))
            #expect(forbidden == .forbidden)
            let (noReason, noReasonBody) = try await client.failure(
                .post, answerURI, token: world.providerToken, input: Self.answer(.reject, comment: "  "))
            #expect(
                noReason == .badRequest && (noReasonBody.code, noReasonBody.fields) == ("reason_required", ["comment"]))

            // Invalid corrections: no version is made and the objection stays open.
            for (values, field) in [
                (["xzqhdm": "99999"], "values.xzqhdm"), (["sfzhm": "341502199202020021"], "values.sfzhm"),
            ] {
                let (status, body) = try await client.failure(
                    .post, answerURI, token: world.providerToken, input: Self.answer(.correct, values: values))
                #expect(status == .badRequest && body.fields == [field], "\(body)")
            }
            #expect(try await node.store.pools.versions(entryID: world.conditional.id).map(\.version) == [1])
            #expect(try await node.store.objections.find(id: id)?.state == .open)

            let (corrected, answer) = try await client.send(
                .post, answerURI, token: world.providerToken,
                input: Self.answer(.correct, comment: "已核实迁移证明", values: ["xzqhdm": "341502"]), as: Body.self)
            #expect(corrected == .ok, "\(answer)")
            #expect(answer.objection.state == .corrected)
            let given = try #require(answer.objection.answer)
            #expect(given.kind == .correct && given.poolVersion == 2)
            #expect(given.changes == [ItemChange(column: "xzqhdm", old: "341503", new: "341502")])
            #expect(answer.objection.recordKey["sfzhm"] == Self.wangWu, "the provider sees the key")

            // The new version exists, says why, and is what readers see.
            let versionsURI = "/api/v1/catalog/entries/\(world.conditional.id)/pool/versions"
            let (_, versions) = try await client.send(
                .get, versionsURI, token: world.providerToken, as: ListBody<IngestAPI.PoolVersionBody>.self)
            let newest = try #require(versions.items.first)
            #expect(newest.version == 2 && newest.status.rawValue == "active")
            let provenance = try #require(newest.provenance)
            #expect(provenance.objectionNumber == number && provenance.objectionID == id)
            #expect(provenance.recordKey["sfzhm"] == Self.wangWu)
            let (_, operatorVersions) = try await client.send(
                .get, versionsURI, token: node.operatorToken, as: ListBody<IngestAPI.PoolVersionBody>.self)
            let operatorProvenance = operatorVersions.items.first?.provenance
            #expect(operatorProvenance?.recordKey["sfzhm"] == "3***************32")
            let entry = try #require(try await node.store.catalog.find(id: world.conditional.id))
            // A correction writes the one row it changes into the pool's table, not a copy of the pool.
            #expect(entry.mount?.locator == "pool_e\(world.conditional.id)_v1" && entry.recordCount == 3)
            let (_, after) = try await client.send(.get, lookup, token: caller.bearer, as: GatewayAPITests.Records.self)
            #expect(after.count == 1 && after.records.first?["xzqhdm"] == "341502")

            // The raiser sees the outcome and the whole history; a second answer is refused.
            let (_, detail) = try await client.send(
                .get, "/api/v1/objections/\(id)", token: world.consumerToken, as: Body.self)
            #expect(detail.objection.state == .corrected)
            let history = try #require(detail.history)
            #expect(history.map(\.action.rawValue) == ["raise", "correct"])
            #expect(history.map(\.actorName) == ["jamz.consumer", "gaj.provider"])
            #expect(history.last?.comment == "已核实迁移证明")
            let (_, consumerInbox) = try await client.send(
                .get, "/api/v1/notifications", token: world.consumerToken, as: SharingAPI.NotificationsBody.self)
            #expect(consumerInbox.items.contains { $0.kind.rawValue == "objectionAnswered" && $0.objectionID == id })
            let (again, againBody) = try await client.failure(
                .post, answerURI, token: world.providerToken, input: Self.answer(.confirm))
            #expect(again == .conflict && againBody.code == "transition_not_allowed")
            let (_, listed) = try await client.send(
                .get, "/api/v1/objections?status=corrected", token: world.consumerToken, as: ListBody<Body>.self)
            #expect(listed.items.map(\.objection.id) == [id])

            let actions = try await auditLog(client, node).compactMap(\.action)
            #expect(actions.contains("objection.raised") && actions.contains("objection.corrected"))
        }
    }

    @Test("an unanswered objection escalates to the operators once overdue; the provider may still answer")
    func escalation() async throws {
        try await TestNode.run { node, client in
            let world = try await SharingAPITests.world(node)
            let raised = try await Self.raise(client, world)
            let id = raised.objection.id
            let service = ObjectionUseCases(store: node.store, settings: TestNode.configuration.objections)
            #expect(try await service.sweepOverdue(at: Date()).isEmpty, "not overdue yet")
            #expect(try await node.store.objections.openCount(entryID: world.conditional.id) == 1)
            #expect(try await service.adjustedScore(90, entryID: world.conditional.id) == 85)

            let late = Date().addingTimeInterval(40 * 86_400)
            #expect(try await service.sweepOverdue(at: late).map(\.id) == [id])
            #expect(try await service.sweepOverdue(at: late).isEmpty, "escalated once")
            let (_, inbox) = try await client.send(
                .get, "/api/v1/notifications", token: node.operatorToken, as: SharingAPI.NotificationsBody.self)
            #expect(inbox.items.contains { $0.kind.rawValue == "objectionEscalated" && $0.objectionID == id })
            let (_, escalated) = try await client.send(
                .get, "/api/v1/objections?status=escalated", token: node.operatorToken, as: ListBody<Body>.self)
            let seen = try #require(escalated.items.first)
            #expect(seen.objection.id == id && seen.objection.escalatedAt != nil)
            #expect(seen.objection.recordKey["sfzhm"] == "3***************32")

            let (confirmed, body) = try await client.send(
                .post, "/api/v1/objections/\(id)/answer", token: world.providerToken,
                input: Self.answer(.confirm, comment: "经核实，户籍尚未迁移"), as: Body.self)
            #expect(confirmed == .ok && body.objection.state == .confirmed, "\(body)")
            #expect(body.history?.map(\.action.rawValue) == ["raise", "escalate", "confirm"])
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

            func post(
                _ code: String, recordKey: [String: String]? = nil, evidence: String? = nil, contact: ObjectionContact
            ) async throws -> (HTTPResponse.Status, String) {
                try await client.text(
                    .post, "/api/v1/public/objections",
                    input: ObjectionsAPI.PublicRaiseInput(
                        resourceCode: code, recordKey: recordKey, description: "人口数与统计公报不符", evidence: evidence,
                        contact: contact))
            }
            func refusal(_ text: String) throws -> ErrorBody {
                try WireJSON.decoder.decode(ErrorBody.self, from: Data(text.utf8))
            }
            // Closed data cannot be objected to from the portal.
            let (closed, closedText) = try await post(
                world.conditional.code.text, contact: ObjectionContact(name: "王五", phone: "13800138000"))
            #expect(try closed == .badRequest && refusal(closedText).fields == ["resourceCode"])
            // Markup and a missing way to reach the raiser are refused, without the markup coming back.
            let (bad, text) = try await post(
                open.code.text, recordKey: ["<b>": "1"], evidence: "<img src=x onerror=alert(1)>",
                contact: ObjectionContact(name: "王五"))
            #expect(try bad == .badRequest && Set(refusal(text).fields) == ["evidence", "contact", "recordKey"])
            #expect(!text.contains("onerror") && !text.contains("<b>") && !text.contains("<img"))

            let (created, receiptText) = try await post(
                open.code.text, recordKey: ["xzqhdm": "341502"],
                contact: ObjectionContact(name: "王五", email: "w@example.cn"))
            #expect(created == .created, "\(receiptText)")
            let receipt = try WireJSON.decoder.decode(ObjectionsAPI.PublicReceipt.self, from: Data(receiptText.utf8))
            let number = receipt.number
            let token = receipt.trackingToken
            #expect(!receiptText.contains("\"description\""), "the text sent is not echoed")

            // The provider sees the contact; the raiser follows the answer with the number and the secret.
            let (_, list) = try await client.send(
                .get, "/api/v1/objections", token: world.providerToken, as: ListBody<Body>.self)
            let seen = try #require(list.items.first)
            #expect(seen.objection.raiser.contact == ObjectionContact(name: "王五", email: "w@example.cn"))
            let id = seen.objection.id
            try await client.status(
                .post, "/api/v1/objections/\(id)/answer", token: world.providerToken,
                input: Self.answer(.reject, comment: "统计口径不同：本表为户籍人口"))
            let trackURI = "/api/v1/public/objections/\(number)"
            let (tracked, status) = try await client.send(
                .get, trackURI, headers: [HTTPField.Name("X-Objection-Token")!: token],
                as: ObjectionsAPI.PublicStatus.self)
            #expect(tracked == .ok && status.state == .rejected)
            #expect(status.answer?.comment == "统计口径不同：本表为户籍人口")
            let wrong = try await client.status(
                .get, trackURI, headers: [HTTPField.Name("X-Objection-Token")!: "yy_wrong"])
            #expect(wrong == .notFound)

            // Three attempts from this client were allowed in the window, counted whether accepted or not.
            let (limited, limitedText) = try await post(
                open.code.text, contact: ObjectionContact(name: "王五", phone: "13800138000"))
            #expect(try limited == .tooManyRequests && refusal(limitedText).code == "too_many_objections")
        }
    }
}
