import Foundation
import HTTPTypes
import HuitongCore
import HuitongServer
import HuitongStore
import HuitongTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import SQLKit
import Testing

@testable import HuitongServices

/// The cascade through the real application, on a provincial node (340000) whose child is the city 341500 and
/// whose parent is the national platform: the operator's routes, and messages delivered by peers.
@Suite("Federation API")
struct FederationAPITests {
    static let province = try! NodeRegion("340000")
    static let city = try! NodeRegion("341500")
    static let county = try! NodeRegion("341502")

    static let configuration: ServerConfiguration = {
        var configuration = TestNode.configuration
        configuration.federation.profile = NodeProfile(region: province, name: "安徽省数据资源管理局")
        return configuration
    }()

    static func run(
        _ backend: TestBackend, _ body: @escaping @Sendable (TestNode, any TestClientProtocol) async throws -> Void
    ) async throws {
        try await TestNode.run(backend, configuration: configuration, body)
    }

    static func peerJSON(_ region: String, _ relation: String, key: String) -> String {
        #"{"region": "\#(region)", "relation": "\#(relation)", "name": "对端平台", "baseURL": "https://peer.example.gov.cn", "publicKey": "\#(key)"}"#
    }

    /// Registers a peer through the API and returns the key it signs with.
    @discardableResult
    static func addPeer(
        _ region: NodeRegion, _ relation: PeerRelation, _ node: TestNode, _ client: any TestClientProtocol
    ) async throws -> NodeIdentityKey {
        let key = NodeIdentityKey.generate()
        let (status, body, _) = try await client.json(
            .post, "/api/v1/federation/peers", token: node.operatorToken,
            body: peerJSON(region.code, relation.rawValue, key: key.publicKey.base64))
        #expect(status == .created, "\(body)")
        return key
    }

    /// A message on the wire, as a peer's outbox posts it.
    static func wire(
        id: String = UUID().uuidString.lowercased(), kind: FederationMessageKind, origin: NodeRegion,
        destination: NodeRegion = province, from: NodeRegion, body: String, key: NodeIdentityKey
    ) throws -> String {
        struct Wire: Encodable {
            var envelope: FederationEnvelope
            var body: String
            var signature: String
        }
        let signed = try SignedFederationMessage.sign(
            id: id, kind: kind, origin: origin, destination: destination, from: from, to: province,
            body: Array(body.utf8), with: key)
        let wire = Wire(
            envelope: signed.envelope, body: body, signature: Data(signed.signature).base64EncodedString())
        return String(decoding: try JSONEncoder().encode(wire), as: UTF8.self)
    }

    static func deliver(_ client: any TestClientProtocol, _ wire: String) async throws -> (
        HTTPResponse.Status, [String: Any]
    ) {
        let (status, body, _) = try await client.json(.post, "/federation/v1/messages", body: wire)
        return (status, body)
    }

    static func content(name: String = "人口基础信息", key: Bool = true) throws -> CatalogEntryContent {
        try CatalogEntryContent(
            classificationCode: "101001", name: name, abstract: "全省户籍人口的基础信息。",
            formats: [ResourceFormat(category: .database, type: "Oracle")],
            items: [
                InfoItem(
                    name: "身份证号码", columnName: "sfzhm", dataType: .character, length: 18, isKey: key,
                    semanticKind: .residentID),
                InfoItem(name: "姓名", columnName: "xm", dataType: .character, length: 50, semanticKind: .personName),
                InfoItem(name: "户籍地址", columnName: "hjdz", dataType: .character, length: 6),
            ],
            shareType: .conditional, shareCondition: "用于政务服务身份核验", updateCycle: .daily, keywords: ["人口"]
        ).validated()
    }

    /// A published entry of the node's own.
    static func publish(_ node: TestNode, name: String = "人口基础信息", key: Bool = true) async throws -> CatalogEntry {
        try await node.store.catalog.saveClassifications([
            ClassificationNode(scheme: "guide", code: "101001", name: "人口基本信息")
        ])
        let author = ChangeAuthor(userID: nil, name: "测试员")
        let entry = try await node.store.catalog.create(
            try content(name: name, key: key), departmentID: node.bureau.id, author: author)
        _ = try await node.store.catalog.transition(id: entry.id, .submit, author: author, comment: "")
        return try await node.store.catalog.transition(id: entry.id, .publish, author: author, comment: "同意")
    }

    @Test("the node's identity is public: region, level, name and key", arguments: TestBackend.available)
    func identity(_ backend: TestBackend) async throws {
        try await Self.run(backend) { _, client in
            let (status, body, _) = try await client.json(.get, "/api/v1/federation/node")
            #expect(status == .ok)
            #expect(body["region"] as? String == "340000" && body["level"] as? String == "province")
            #expect(body["name"] as? String == "安徽省数据资源管理局" && body["algorithm"] as? String == "Ed25519")
            let key = try #require(body["publicKey"] as? String)
            #expect(NodePublicKey(base64: key) != nil, "a peer's operator can register this node with it")
            #expect(body["keyID"] as? String == NodePublicKey(base64: key)?.keyID)
        }
    }

    @Test("peers are the operator's: field-named errors, one per region, removable", arguments: TestBackend.available)
    func peers(_ backend: TestBackend) async throws {
        try await Self.run(backend) { node, client in
            let (_, provider) = try await node.user("provider", department: node.bureau, roles: [.provider])
            let key = NodeIdentityKey.generate().publicKey.base64
            let good = Self.peerJSON("341500", "child", key: key)
            for (method, uri, body) in [
                (HTTPRequest.Method.get, "/api/v1/federation/peers", nil),
                (.post, "/api/v1/federation/peers", good),
                (.delete, "/api/v1/federation/peers/341500", nil),
            ] as [(HTTPRequest.Method, String, String?)] {
                let (forbidden, _, _) = try await client.json(method, uri, token: provider, body: body)
                #expect(forbidden == .forbidden, "\(method) \(uri) as a provider")
                let (anonymous, _, _) = try await client.json(method, uri, body: body)
                #expect(anonymous == .unauthorized, "\(method) \(uri) without a token")
            }

            let (invalid, invalidBody, _) = try await client.json(
                .post, "/api/v1/federation/peers", token: node.operatorToken,
                body: #"{"region": "3415", "relation": "child", "name": " ", "baseURL": "peer", "publicKey": "abc"}"#)
            #expect(invalid == .badRequest)
            #expect(apiError(invalidBody) == ("validation_failed", ["region", "name", "baseURL", "publicKey"]))
            let keyIssue = ((invalidBody["error"] as? [String: Any])?["details"] as? [[String: Any]])?.last
            #expect(
                (keyIssue?["message"] as? String)?.contains("/api/v1/federation/node") == true,
                "the key error points where a peer's key is shown: \(String(describing: keyIssue))")
            let (upside, upsideBody, _) = try await client.json(
                .post, "/api/v1/federation/peers", token: node.operatorToken,
                body: Self.peerJSON("000000", "child", key: key))
            #expect(upside == .badRequest && apiError(upsideBody) == ("validation_failed", ["relation"]))
            let message = (upsideBody["error"] as? [String: Any])?["details"] as? [[String: Any]]
            #expect(
                (message?.first?["message"] as? String)?.contains("上级平台须在更高层级") == true,
                "the error says why: \(String(describing: message))")

            let (created, peer, _) = try await client.json(
                .post, "/api/v1/federation/peers", token: node.operatorToken, body: good)
            #expect(created == .created)
            #expect(peer["region"] as? String == "341500" && peer["relation"] as? String == "child")
            #expect(peer["publicKey"] as? String == key)
            let (again, againBody, _) = try await client.json(
                .post, "/api/v1/federation/peers", token: node.operatorToken, body: good)
            #expect(again == .conflict && apiError(againBody).code == "duplicate_peer")
            try await Self.addPeer(.national, .parent, node, client)
            let (_, list, _) = try await client.json(.get, "/api/v1/federation/peers", token: node.operatorToken)
            #expect((list["items"] as? [[String: Any]])?.map { $0["region"] as? String } == ["000000", "341500"])

            let (removed, _, _) = try await client.json(
                .delete, "/api/v1/federation/peers/341500", token: node.operatorToken)
            #expect(removed == .noContent)
            let (gone, goneBody, _) = try await client.json(
                .delete, "/api/v1/federation/peers/341500", token: node.operatorToken)
            #expect(gone == .notFound && apiError(goneBody).code == "unknown_peer")
            let (bad, badBody, _) = try await client.json(
                .delete, "/api/v1/federation/peers/abc", token: node.operatorToken)
            #expect(bad == .badRequest && apiError(badBody).code == "bad_region")
        }
    }

    @Test(
        "catalog sync needs a parent; then it queues the registration, and the outbox shows it without its body",
        arguments: TestBackend.available)
    func catalogSyncAndOutbox(_ backend: TestBackend) async throws {
        try await Self.run(backend) { node, client in
            let entry = try await Self.publish(node)
            let (noParent, noParentBody, _) = try await client.json(
                .post, "/api/v1/federation/catalog-sync", token: node.operatorToken)
            #expect(noParent == .unprocessableContent && apiError(noParentBody).code == "no_parent_node")
            let errorText = (noParentBody["error"] as? [String: Any])?["message"] as? String ?? ""
            #expect(errorText.contains("上级平台"), "\(errorText)")

            try await Self.addPeer(.national, .parent, node, client)
            let (synced, sync, _) = try await client.json(
                .post, "/api/v1/federation/catalog-sync", token: node.operatorToken)
            #expect(synced == .ok && sync["registered"] as? Int == 1 && sync["withdrawn"] as? Int == 0)
            let messageID = try #require((sync["messageIDs"] as? [String])?.first)
            let (_, resync, _) = try await client.json(
                .post, "/api/v1/federation/catalog-sync", token: node.operatorToken)
            #expect(resync["registered"] as? Int == 0, "nothing changed since")

            let (listed, outbox, _) = try await client.json(
                .get, "/api/v1/federation/outbox", token: node.operatorToken)
            #expect(listed == .ok)
            let items = try #require(outbox["items"] as? [[String: Any]])
            #expect(items.count == 1)
            let queued = try #require(items.first)
            #expect(queued["messageID"] as? String == messageID && queued["kind"] as? String == "catalog.registration")
            #expect(queued["origin"] as? String == "340000" && queued["nextHop"] as? String == "000000")
            #expect(queued["status"] as? String == "pending" && (queued["bodyBytes"] as? Int ?? 0) > 100)
            #expect(queued["body"] == nil)
            let text = String(describing: outbox)
            #expect(!text.contains(entry.content.name) && !text.contains("sfzhm"), "no body in the listing")

            let (_, pending, _) = try await client.json(
                .get, "/api/v1/federation/outbox?status=pending", token: node.operatorToken)
            #expect((pending["items"] as? [Any])?.count == 1)
            let (_, failed, _) = try await client.json(
                .get, "/api/v1/federation/outbox?status=failed", token: node.operatorToken)
            #expect((failed["items"] as? [Any])?.isEmpty == true)
            let (badStatus, badStatusBody, _) = try await client.json(
                .get, "/api/v1/federation/outbox?status=lost", token: node.operatorToken)
            #expect(badStatus == .badRequest && apiError(badStatusBody).fields == ["status"])
            let id = try #require(queued["id"] as? Int)
            let (notFailed, _, _) = try await client.json(
                .post, "/api/v1/federation/outbox/\(id)/retry", token: node.operatorToken)
            #expect(notFailed == .notFound, "only a failed message can be retried")

            let (_, registrations, _) = try await client.json(
                .get, "/api/v1/federation/registrations", token: node.operatorToken)
            let record = (registrations["items"] as? [[String: Any]])?.first
            #expect(record?["entryCode"] as? String == entry.code.text && record?["reportedVersion"] as? Int == 1)

            let (_, provider) = try await node.user("provider", department: node.bureau, roles: [.provider])
            for uri in ["/api/v1/federation/outbox", "/api/v1/federation/registrations"] {
                let (forbidden, _, _) = try await client.json(.get, uri, token: provider)
                #expect(forbidden == .forbidden, "\(uri)")
            }
            let (forbiddenSync, _, _) = try await client.json(
                .post, "/api/v1/federation/catalog-sync", token: provider)
            #expect(forbiddenSync == .forbidden)
        }
    }

    @Test("回流 subscriptions and targets name what is wrong with them", arguments: TestBackend.available)
    func reflowValidation(_ backend: TestBackend) async throws {
        try await Self.run(backend) { node, client in
            let entry = try await Self.publish(node)
            let keyless = try await Self.publish(node, name: "人口变动信息", key: false)
            try await Self.addPeer(Self.city, .child, node, client)
            func subscribe(_ body: String) async throws -> (HTTPResponse.Status, (code: String, fields: [String])) {
                let (status, response, _) = try await client.json(
                    .post, "/api/v1/federation/reflow-subscriptions", token: node.operatorToken, body: body)
                return (status, apiError(response))
            }
            var (status, error) = try await subscribe(
                #"{"entryID": 9999, "child": "3415", "regionColumn": "hjdz"}"#)
            #expect(status == .badRequest && error.code == "validation_failed" && error.fields == ["child", "entryID"])
            (status, error) = try await subscribe(
                #"{"entryID": \#(entry.id), "child": "341500", "regionColumn": "xm1"}"#)
            #expect(error.fields == ["regionColumn"], "the region column must be one of the entry's items")
            (status, error) = try await subscribe(
                #"{"entryID": \#(entry.id), "child": "320102", "regionColumn": "hjdz"}"#)
            #expect(error.fields == ["child"], "a county of another province is outside this node's jurisdiction")
            (status, error) = try await subscribe(
                #"{"entryID": \#(entry.id), "child": "340000", "regionColumn": "hjdz"}"#)
            #expect(error.fields == ["child"], "not this node itself")
            (status, error) = try await subscribe(
                #"{"entryID": \#(keyless.id), "child": "341500", "regionColumn": "hjdz"}"#)
            #expect(error.fields == ["entryID"], "returned records merge by key")

            // The region item by its Chinese name is the same item: its column is what is stored.
            let (created, subscription, _) = try await client.json(
                .post, "/api/v1/federation/reflow-subscriptions", token: node.operatorToken,
                body: #"{"entryID": \#(entry.id), "child": "341500", "regionColumn": "户籍地址"}"#)
            #expect(created == .created && subscription["regionColumn"] as? String == "hjdz", "\(subscription)")
            #expect(subscription["child"] as? String == "341500" && subscription["entryID"] as? Int == Int(entry.id))
            let (_, list, _) = try await client.json(
                .get, "/api/v1/federation/reflow-subscriptions", token: node.operatorToken)
            #expect((list["items"] as? [Any])?.count == 1)

            func target(_ body: String) async throws -> (HTTPResponse.Status, (code: String, fields: [String])) {
                let (status, response, _) = try await client.json(
                    .post, "/api/v1/federation/reflow-targets", token: node.operatorToken, body: body)
                return (status, apiError(response))
            }
            (status, error) = try await target(#"{"origin": "x", "sourceCode": " ", "entryID": 9999}"#)
            #expect(status == .badRequest && error.fields == ["origin", "sourceCode", "entryID"])
            (status, error) = try await target(
                #"{"origin": "341500", "sourceCode": "101001/0001", "entryID": \#(entry.id)}"#)
            #expect(error.fields == ["origin"], "returned data comes from above, not from the city below")
            (status, error) = try await target(
                #"{"origin": "000000", "sourceCode": "101001/0001", "entryID": \#(keyless.id)}"#)
            #expect(error.fields == ["entryID"])
            let (made, madeBody, _) = try await client.json(
                .post, "/api/v1/federation/reflow-targets", token: node.operatorToken,
                body: #"{"origin": "000000", "sourceCode": " 101001/0001 ", "entryID": \#(entry.id)}"#)
            #expect(made == .created && madeBody["sourceCode"] as? String == "101001/0001")
            let (_, targets, _) = try await client.json(
                .get, "/api/v1/federation/reflow-targets", token: node.operatorToken)
            #expect((targets["items"] as? [[String: Any]])?.first?["origin"] as? String == "000000")

            let (noEntry, noEntryBody, _) = try await client.json(
                .get, "/api/v1/federation/reflow-runs", token: node.operatorToken)
            #expect(noEntry == .badRequest && apiError(noEntryBody).fields == ["entryID"])
            let (runs, runsBody, _) = try await client.json(
                .get, "/api/v1/federation/reflow-runs?entryID=\(entry.id)", token: node.operatorToken)
            #expect(runs == .ok && (runsBody["items"] as? [Any])?.isEmpty == true)
        }
    }

    @Test(
        "a delivered message: malformed → 400, unknown sender → 401 and audited, signed by a child → handled once",
        arguments: TestBackend.available)
    func delivery(_ backend: TestBackend) async throws {
        try await Self.run(backend) { node, client in
            let (malformed, malformedBody) = try await Self.deliver(client, #"{"envelope": {"id": "#)
            #expect(malformed == .badRequest, "\(malformedBody)")

            let cityKey = NodeIdentityKey.generate()
            let registration = CatalogRegistration(
                sequence: 1,
                entries: [
                    RegisteredEntry(
                        code: "101001/0003", version: 1,
                        provider: RegisteredProvider(
                            name: "六安市公安局", code: "GAJ", creditCode: nil, regionCode: "341500"),
                        content: try Self.content(name: "六安市流动人口信息"), mountKind: .table, recordCount: 10,
                        dataUpdatedAt: nil, publishedOn: nil)
                ], withdrawn: [])
            let body = String(decoding: try JSONEncoder().encode(registration), as: UTF8.self)
            let messageID = "b1c5a0de-0000-4000-8000-000000000001"
            let message = try Self.wire(
                id: messageID, kind: .catalogRegistration, origin: Self.city, from: Self.city, body: body,
                key: cityKey)

            let (unknown, unknownBody) = try await Self.deliver(client, message)
            #expect(unknown == .unauthorized && apiError(unknownBody).code == "unknown_node")
            let entries = try await GatewayAPITests.auditEntries(client, node)
            let rejected = try #require(entries.last { $0["action"] as? String == "federation.rejected" })
            #expect(rejected["outcome"] as? String == "denied" && rejected["reason"] as? String == "unknown_node")
            let detail = rejected["detail"] as? [String: Any]
            #expect(detail?["from"] as? String == "341500" && detail?["message_id"] as? String == messageID)
            #expect(
                try await node.store.remoteCatalog.remoteEntries(
                    query: nil, origin: nil, includeWithdrawn: true, limit: 10
                ).isEmpty, "nothing from an unknown node is applied")

            // The test signs with the key it registers for the city, as the city's node would.
            let registered = try await client.json(
                .post, "/api/v1/federation/peers", token: node.operatorToken,
                body: Self.peerJSON("341500", "child", key: cityKey.publicKey.base64))
            #expect(registered.0 == .created)
            let (forged, forgedBody) = try await Self.deliver(
                client,
                try Self.wire(
                    id: messageID, kind: .catalogRegistration, origin: Self.city, from: Self.city, body: body,
                    key: .generate()))
            #expect(forged == .unauthorized && apiError(forgedBody).code == "bad_signature")
            // A stale clock and a body changed on the way are refused each with its own code, on the audit log too.
            let stale = try SignedFederationMessage.sign(
                id: UUID().uuidString.lowercased(), kind: .catalogRegistration, origin: Self.city,
                destination: Self.province, from: Self.city, to: Self.province, body: Array(body.utf8),
                at: Date().addingTimeInterval(-7200), with: cityKey)
            let (staleStatus, staleBody) = try await Self.deliver(
                client,
                #"{"envelope": \#(String(decoding: try JSONEncoder().encode(stale.envelope), as: UTF8.self)), "body": \#(String(decoding: try JSONEncoder().encode(body), as: UTF8.self)), "signature": "\#(Data(stale.signature).base64EncodedString())"}"#
            )
            #expect(staleStatus == .unauthorized && apiError(staleBody).code == "clock_skew", "\(staleBody)")
            let genuine = try SignedFederationMessage.sign(
                id: UUID().uuidString.lowercased(), kind: .catalogRegistration, origin: Self.city,
                destination: Self.province, from: Self.city, to: Self.province, body: Array(body.utf8),
                with: cityKey)
            let changed = #"{"sequence": 99, "entries": [], "withdrawn": []}"#
            let (digestStatus, digestBody) = try await Self.deliver(
                client,
                #"{"envelope": \#(String(decoding: try JSONEncoder().encode(genuine.envelope), as: UTF8.self)), "body": \#(String(decoding: try JSONEncoder().encode(changed), as: UTF8.self)), "signature": "\#(Data(genuine.signature).base64EncodedString())"}"#
            )
            #expect(digestStatus == .unauthorized && apiError(digestBody).code == "bad_digest", "\(digestBody)")
            let reasons = try await GatewayAPITests.auditEntries(client, node).filter {
                $0["action"] as? String == "federation.rejected"
            }.compactMap { $0["reason"] as? String }
            #expect(
                Set(reasons).isSuperset(of: ["unknown_node", "bad_signature", "clock_skew", "bad_digest"]), "\(reasons)"
            )
            let (handled, receipt) = try await Self.deliver(client, message)
            #expect(handled == .ok && receipt["outcome"] as? String == "handled", "\(receipt)")
            #expect(receipt["messageID"] as? String == messageID)
            let (again, repeatReceipt) = try await Self.deliver(client, message)
            #expect(again == .ok && repeatReceipt["outcome"] as? String == "duplicate")

            let (_, remote, _) = try await client.json(
                .get, "/api/v1/federation/remote-entries?q=流动", token: node.operatorToken)
            let found = try #require((remote["items"] as? [[String: Any]])?.first)
            #expect(found["upperCode"] as? String == "101001/3415000003" && found["origin"] as? String == "341500")
            // Several words: every one must occur, in the name or the provider's name, as in the local catalog.
            for (words, expected) in [
                ("%E6%B5%81%E5%8A%A8%20%E4%BA%BA%E5%8F%A3", 1), ("%E5%85%AC%E5%AE%89%E5%B1%80%20%E6%B5%81%E5%8A%A8", 1),
                ("%E6%B5%81%E5%8A%A8%20%E5%86%9C%E4%B8%9A", 0),
            ] {
                let (_, listed, _) = try await client.json(
                    .get, "/api/v1/federation/remote-entries?q=\(words)", token: node.operatorToken)
                #expect((listed["items"] as? [Any])?.count == expected, "q=\(words)")
                let (_, beside, _) = try await client.json(
                    .get, "/api/v1/catalog/entries?q=\(words)", token: node.operatorToken)
                #expect((beside["remote"] as? [Any])?.count == expected, "catalog q=\(words)")
            }
            // The catalog search lists it beside the node's own entries.
            let (_, search, _) = try await client.json(
                .get, "/api/v1/catalog/entries?q=%E6%B5%81%E5%8A%A8", token: node.operatorToken)
            let beside = (search["remote"] as? [[String: Any]])?.first
            #expect(beside?["upperCode"] as? String == "101001/3415000003" && beside?["origin"] as? String == "341500")
            let (_, secondPage, _) = try await client.json(
                .get, "/api/v1/catalog/entries?q=%E6%B5%81%E5%8A%A8&page=2", token: node.operatorToken)
            #expect((secondPage["remote"] as? [[String: Any]])?.isEmpty == true, "remote entries come on page one only")
            let (_, outbox, _) = try await client.json(.get, "/api/v1/federation/outbox", token: node.operatorToken)
            let acknowledgements = (outbox["items"] as? [[String: Any]] ?? []).filter {
                $0["kind"] as? String == "catalog.acknowledgement"
            }
            #expect(acknowledgements.count == 1, "one acknowledgement, though the message came twice")
            #expect(
                acknowledgements.first?["messageID"] as? String == "ack-\(messageID)"
                    && acknowledgements.first?["nextHop"] as? String == "341500")
            let received = try await GatewayAPITests.auditEntries(client, node).filter {
                $0["action"] as? String == "federation.received"
            }
            #expect(received.count == 1)
        }
    }

    @Test(
        "a child's monitoring report is kept and shown; a report naming another node is refused",
        arguments: TestBackend.available)
    func monitoring(_ backend: TestBackend) async throws {
        try await Self.run(backend) { node, client in
            let (noParent, noParentBody, _) = try await client.json(
                .post, "/api/v1/federation/monitoring/report", token: node.operatorToken)
            #expect(noParent == .unprocessableContent && apiError(noParentBody).code == "no_parent_node")

            let cityKey = try await Self.addPeer(Self.city, .child, node, client)
            func report(_ region: NodeRegion, published: Int) throws -> String {
                let encoder = JSONEncoder()
                encoder.dateEncodingStrategy = .iso8601
                let report = MonitoringReport(
                    node: NodeProfile(region: region, name: "六安市数据资源管理局"),
                    generatedAt: Date(timeIntervalSince1970: 1_800_000_000),
                    publishedEntries: published, mountedResources: 3, applications: 4, approvedApplications: 2,
                    gatewayCalls: 120, averageQuality: 91.5)
                return String(decoding: try encoder.encode(report), as: UTF8.self)
            }
            let (impostor, impostorBody) = try await Self.deliver(
                client,
                try Self.wire(
                    kind: .monitoringReport, origin: Self.city, from: Self.city,
                    body: try report(Self.county, published: 1), key: cityKey))
            #expect(impostor == .badRequest && apiError(impostorBody).code == "malformed_message")
            for published in [7, 9] {
                let (status, receipt) = try await Self.deliver(
                    client,
                    try Self.wire(
                        kind: .monitoringReport, origin: Self.city, from: Self.city,
                        body: try report(Self.city, published: published), key: cityKey))
                #expect(status == .ok && receipt["outcome"] as? String == "handled")
            }

            let (status, body, _) = try await client.json(
                .get, "/api/v1/federation/monitoring", token: node.operatorToken)
            #expect(status == .ok)
            let local = body["local"] as? [String: Any]
            #expect((local?["node"] as? [String: Any])?["region"] as? String == "340000")
            let children = try #require(body["children"] as? [[String: Any]])
            #expect(children.count == 1, "the latest report of each node")
            #expect(children.first?["publishedEntries"] as? Int == 9)
            #expect((children.first?["node"] as? [String: Any])?["region"] as? String == "341500")
            let (_, provider) = try await node.user("provider", department: node.bureau, roles: [.provider])
            let (forbidden, _, _) = try await client.json(.get, "/api/v1/federation/monitoring", token: provider)
            #expect(forbidden == .forbidden)
        }
    }

    @Test("a message for a grandchild is queued once for the child on its way", arguments: TestBackend.available)
    func relay(_ backend: TestBackend) async throws {
        try await Self.run(backend) { node, client in
            let nationalKey = try await Self.addPeer(.national, .parent, node, client)
            let cityKey = try await Self.addPeer(Self.city, .child, node, client)
            let body = #"{"runID": "opaque to a relay"}"#
            let message = try Self.wire(
                kind: .reflowBatch, origin: .national, destination: Self.county, from: .national, body: body,
                key: nationalKey)
            let (status, receipt) = try await Self.deliver(client, message)
            #expect(status == .ok && receipt["outcome"] as? String == "relayed", "\(receipt)")
            let (again, repeatReceipt) = try await Self.deliver(client, message)
            #expect(again == .ok && repeatReceipt["outcome"] as? String == "duplicate")

            let queued = try await node.store.federation.outbox(status: nil, limit: 10)
            #expect(queued.count == 1)
            let relayed = try #require(queued.first)
            #expect(relayed.nextHop == Self.city && relayed.destination == Self.county && relayed.origin == .national)
            #expect(relayed.body == body, "relayed as written, for the destination to check")
            #expect(relayed.kind == .reflowBatch && relayed.status == .pending)

            // The city cannot pass on a message that claims to come from the nation: a child speaks for its own.
            let (spoofed, spoofedBody) = try await Self.deliver(
                client,
                try Self.wire(
                    kind: .monitoringReport, origin: .national, destination: Self.county, from: Self.city,
                    body: "{}", key: cityKey))
            #expect(spoofed == .badRequest && apiError(spoofedBody).code == "malformed_message")
            #expect(try await node.store.federation.outbox(status: nil, limit: 10).count == 1)
        }
    }

    /// One 回流 run from the national platform, as its parts arrive at this province.
    static func reflowRun(
        _ rows: [[String?]], sourceVersion: Int, key: NodeIdentityKey, _ client: any TestClientProtocol
    ) async throws {
        let runID = UUID().uuidString.lowercased()
        let batch = ReflowBatch(
            runID: runID, sourceCode: "101001/0001", sourceVersion: sourceVersion, regionColumn: "hjdz",
            regionPrefix: "34", columns: ["sfzhm", "xm", "hjdz"], keyColumns: ["sfzhm"], sequence: 0, isLast: true,
            rows: rows)
        let body = String(decoding: try JSONEncoder().encode(batch), as: UTF8.self)
        let (status, receipt) = try await deliver(
            client,
            try wire(id: "\(runID)-0", kind: .reflowBatch, origin: .national, from: .national, body: body, key: key))
        #expect(status == .ok && receipt["outcome"] as? String == "handled", "\(receipt)")
    }

    @Test(
        "a 回流 run replaces the child's copy: deleted and moved-out people leave it, rowsApplied is what was sent",
        arguments: TestBackend.available)
    func reflowIsASnapshot(_ backend: TestBackend) async throws {
        try await Self.run(backend) { node, client in
            let entry = try await Self.publish(node)
            let nationalKey = try await Self.addPeer(.national, .parent, node, client)
            let (made, _, _) = try await client.json(
                .post, "/api/v1/federation/reflow-targets", token: node.operatorToken,
                body: #"{"origin": "000000", "sourceCode": "101001/0001", "entryID": \#(entry.id)}"#)
            #expect(made == .created)
            let first: [[String?]] = [
                ["340102199001010011", "张伟", "340102"], ["340102198502020022", "王芳", "340102"],
                ["341502197703030033", "黄强", "341502"],
            ]
            try await Self.reflowRun(first, sourceVersion: 1, key: nationalKey, client)
            // 黄强 is deleted at the source and 王芳 moves to another province: the next run holds only 张伟.
            let second: [[String?]] = [["340102199001010011", "张伟", "340102"]]
            try await Self.reflowRun(second, sourceVersion: 2, key: nationalKey, client)

            let (_, runs, _) = try await client.json(
                .get, "/api/v1/federation/reflow-runs?entryID=\(entry.id)", token: node.operatorToken)
            let applied = (runs["items"] as? [[String: Any]] ?? []).compactMap { $0["rowsApplied"] as? Int }
            #expect(applied.sorted() == [1, 3], "each run applied exactly the rows it carried")
            let version = try #require(try await node.store.pools.active(entryID: entry.id))
            #expect(version.rowCount == 1)
            let rows = try await node.store.provider.read { sql in
                try await sql.raw("SELECT sfzhm, xm, hjdz FROM \(unsafeRaw: version.tableName) ORDER BY sfzhm").all()
                    .map { row in
                        try ["sfzhm", "xm", "hjdz"].map { try row.decode(column: $0, as: String?.self) }
                    }
            }
            #expect(rows == second, "the child's copy is exactly the parent's slice, row by row")

            // The operator looks at what arrived, masked as the portal masks it.
            let latest = try #require(
                (runs["items"] as? [[String: Any]])?.first { $0["rowsApplied"] as? Int == 1 }?["runID"] as? String)
            let (previewed, preview, _) = try await client.json(
                .get, "/api/v1/federation/reflow-runs/\(latest)/preview", token: node.operatorToken)
            #expect(previewed == .ok, "\(preview)")
            let shown = try #require((preview["rows"] as? [[Any]])?.first)
            #expect((preview["rows"] as? [Any])?.count == 1 && preview["rowCount"] as? Int == 1)
            let columns = (preview["columns"] as? [[String: Any]] ?? []).compactMap { $0["column"] as? String }
            #expect(columns == ["sfzhm", "xm", "hjdz"])
            #expect(shown.first as? String != "340102199001010011", "the ID number is masked: \(shown)")
            #expect((shown.first as? String)?.contains("*") == true)
            let (missing, _, _) = try await client.json(
                .get, "/api/v1/federation/reflow-runs/no-such-run/preview", token: node.operatorToken)
            #expect(missing == .notFound)
            let (_, provider) = try await node.user("provider", department: node.bureau, roles: [.provider])
            let (forbidden, _, _) = try await client.json(
                .get, "/api/v1/federation/reflow-runs/\(latest)/preview", token: provider)
            #expect(forbidden == .forbidden)
        }
    }

    @Test(
        "a 回流 subscription needs a registered child on the way (422 naming child), pauses when that peer goes, and can be deleted",
        arguments: TestBackend.available)
    func subscriptionLifecycle(_ backend: TestBackend) async throws {
        try await Self.run(backend) { node, client in
            let entry = try await Self.publish(node)
            let body = #"{"entryID": \#(entry.id), "child": "341502", "regionColumn": "hjdz"}"#
            let (unregistered, unregisteredBody, _) = try await client.json(
                .post, "/api/v1/federation/reflow-subscriptions", token: node.operatorToken, body: body)
            #expect(unregistered == .unprocessableContent, "\(unregisteredBody)")
            #expect(apiError(unregisteredBody) == ("unregistered_child", ["child"]))
            #expect(try await node.store.reflows.subscriptions().isEmpty)

            try await Self.addPeer(Self.city, .child, node, client)
            let (created, subscription, _) = try await client.json(
                .post, "/api/v1/federation/reflow-subscriptions", token: node.operatorToken, body: body)
            #expect(created == .created && subscription["paused"] as? Bool == false, "\(subscription)")
            let id = try #require(subscription["id"] as? Int)

            // The city that carried the county's records is removed: the subscription is paused, not retried.
            let (removed, _, _) = try await client.json(
                .delete, "/api/v1/federation/peers/341500", token: node.operatorToken)
            #expect(removed == .noContent)
            let (_, list, _) = try await client.json(
                .get, "/api/v1/federation/reflow-subscriptions", token: node.operatorToken)
            #expect((list["items"] as? [[String: Any]])?.first?["paused"] as? Bool == true)
            let (run, runBody, _) = try await client.json(
                .post, "/api/v1/federation/reflow-subscriptions/\(id)/run", token: node.operatorToken)
            #expect(run == .unprocessableContent && apiError(runBody).code == "unregistered_child", "\(runBody)")
            #expect(try await node.store.federation.outbox(status: nil, limit: 10).isEmpty)

            let (deleted, _, _) = try await client.json(
                .delete, "/api/v1/federation/reflow-subscriptions/\(id)", token: node.operatorToken)
            #expect(deleted == .noContent)
            let (again, _, _) = try await client.json(
                .delete, "/api/v1/federation/reflow-subscriptions/\(id)", token: node.operatorToken)
            #expect(again == .notFound)
            let (_, empty, _) = try await client.json(
                .get, "/api/v1/federation/reflow-subscriptions", token: node.operatorToken)
            #expect((empty["items"] as? [Any])?.isEmpty == true)
        }
    }
}
