import Foundation
import HTTPTypes
import HuitongCore
import HuitongCrypto
import HuitongStore
import HuitongTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import SQLKit
import Testing

@testable import HuitongFederation
@testable import HuitongServer
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

    typealias Items<Item: Encodable> = FederationAPI.ListBody<Item>

    static func peer(_ region: String, _ relation: PeerRelation, key: String) -> PeerDraft {
        PeerDraft(
            region: region, relation: relation, name: "对端平台", baseURL: "https://peer.example.gov.cn", publicKey: key)
    }

    /// Registers a peer through the API and returns the key it signs with.
    @discardableResult
    static func addPeer(
        _ region: NodeRegion, _ relation: PeerRelation, _ node: TestNode, _ client: any TestClientProtocol
    ) async throws -> NodeIdentityKey {
        let key = NodeIdentityKey.generate()
        let (status, body) = try await client.text(
            .post, "/api/v1/federation/peers", token: node.operatorToken,
            input: peer(region.code, relation, key: key.publicKey.base64))
        #expect(status == .created, "\(body)")
        return key
    }

    /// A message on the wire, as a peer's outbox posts it; its body sealed to `recipient` as a 国密 peer would.
    static func wire(
        id: String = UUID().uuidString.lowercased(), kind: FederationMessageKind, origin: NodeRegion,
        destination: NodeRegion = province, from: NodeRegion, body: String, key: NodeIdentityKey,
        sealedTo recipient: SM2PublicKey? = nil
    ) throws -> WireMessage {
        try wire(
            id: id, kind: kind, origin: origin, destination: destination, from: from, body: body,
            signedWith: key.signingKey, sealedTo: recipient)
    }

    static func wire(
        id: String = UUID().uuidString.lowercased(), kind: FederationMessageKind, origin: NodeRegion,
        destination: NodeRegion = province, from: NodeRegion, body: String, signedWith key: SigningPrivateKey,
        sealedTo recipient: SM2PublicKey? = nil, sealedFor header: HopHeader? = nil
    ) throws -> WireMessage {
        let hop = HopHeader(id: id, kind: kind, origin: origin, destination: destination, from: from, to: province)
        let sent = try recipient.map { try LinkSealer(decryption: []).seal(body, header ?? hop, to: $0) } ?? body
        return WireMessage(
            try SignedFederationMessage.sign(
                id: id, kind: kind, origin: origin, destination: destination, from: from, to: province,
                body: Array(sent.utf8), with: key))
    }

    /// The SM2 key the node under test publishes, which 国密 peers encrypt 回流 and calls to.
    static func nodeSM2Key(_ client: any TestClientProtocol) async throws -> SM2PublicKey {
        let (_, identity) = try await client.send(.get, "/api/v1/federation/node", as: FederationAPI.IdentityBody.self)
        let pem = try #require(identity.keys.first { $0.algorithm == SignatureAlgorithm.sm2.rawValue }?.publicKeyPEM)
        return try SM2PublicKey(pemRepresentation: pem)
    }

    /// Delivers a message a peer's outbox posts and reads the receipt.
    static func deliver(_ client: any TestClientProtocol, _ wire: WireMessage) async throws -> (
        HTTPResponse.Status, WireReceipt
    ) {
        try await client.send(.post, WireMessage.path, input: wire, as: WireReceipt.self)
    }

    /// Delivers a message the node refuses and reads the error.
    static func refuse(_ client: any TestClientProtocol, _ wire: WireMessage) async throws -> (
        HTTPResponse.Status, ErrorBody
    ) {
        try await client.failure(.post, WireMessage.path, input: wire)
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
            let (status, body) = try await client.send(
                .get, "/api/v1/federation/node", as: FederationAPI.IdentityBody.self)
            #expect(status == .ok)
            #expect(body.region == "340000" && body.level == .province)
            #expect(body.name == "安徽省数据资源管理局" && body.algorithm == "Ed25519")
            let key = body.publicKey
            #expect(NodePublicKey(base64: key) != nil)
            #expect(body.keyID == NodePublicKey(base64: key)?.keyID)
            // A new node signs under 国密; a peer's operator registers both its keys from one line.
            #expect(body.suite == "gm")
            let keys = try PeerKeys(parsing: body.publicKeys)
            #expect(keys.keys.map(\.algorithm) == [.ed25519, .sm2] && keys.keys.first?.base64 == key)
            #expect(body.keys.map(\.algorithm) == ["Ed25519", "SM2-with-SM3"])
            let pem = try #require(body.keys.last?.publicKeyPEM)
            #expect(try SigningPublicKey(pemRepresentation: pem) == keys.keys.last, "the PEM is the same SM2 key")
        }
    }

    @Test("peers are the operator's: field-named errors, one per region, removable", arguments: TestBackend.available)
    func peers(_ backend: TestBackend) async throws {
        try await Self.run(backend) { node, client in
            let (_, provider) = try await node.user("provider", department: node.bureau, roles: [.provider])
            let key = NodeIdentityKey.generate().publicKey.base64
            let good = Self.peer("341500", .child, key: key)
            for (method, uri, body) in [
                (HTTPRequest.Method.get, "/api/v1/federation/peers", nil),
                (.post, "/api/v1/federation/peers", good),
                (.delete, "/api/v1/federation/peers/341500", nil),
            ] as [(HTTPRequest.Method, String, PeerDraft?)] {
                let forbidden = try await client.status(method, uri, token: provider, input: body)
                #expect(forbidden == .forbidden, "\(method) \(uri) as a provider")
                let anonymous = try await client.status(method, uri, input: body)
                #expect(anonymous == .unauthorized, "\(method) \(uri) without a token")
            }

            let (invalid, invalidBody) = try await client.failure(
                .post, "/api/v1/federation/peers", token: node.operatorToken,
                input: PeerDraft(region: "3415", relation: .child, name: " ", baseURL: "peer", publicKey: "abc"))
            #expect(invalid == .badRequest)
            #expect(
                (invalidBody.code, invalidBody.fields) == (
                    "validation_failed", ["region", "name", "baseURL", "publicKey"]
                ))
            let keyIssue = invalidBody.error.details.last
            #expect(
                keyIssue?.message.contains("/api/v1/federation/node") == true,
                "the key error points where a peer's key is shown: \(String(describing: keyIssue))")
            let (upside, upsideBody) = try await client.failure(
                .post, "/api/v1/federation/peers", token: node.operatorToken,
                input: Self.peer("000000", .child, key: key))
            #expect(
                upside == .badRequest && (upsideBody.code, upsideBody.fields) == ("validation_failed", ["relation"]))
            let message = upsideBody.error.details
            #expect(
                message.first?.message.contains("上级平台须在更高层级") == true,
                "the error says why: \(String(describing: message))")

            let (created, peer) = try await client.send(
                .post, "/api/v1/federation/peers", token: node.operatorToken, input: good, as: Peer.self)
            #expect(created == .created)
            #expect(peer.region.code == "341500" && peer.relation == .child)
            #expect(peer.publicKey == key)
            let (again, againBody) = try await client.failure(
                .post, "/api/v1/federation/peers", token: node.operatorToken, input: good)
            #expect(again == .conflict && againBody.code == "duplicate_peer")
            try await Self.addPeer(.national, .parent, node, client)
            let (_, list) = try await client.send(
                .get, "/api/v1/federation/peers", token: node.operatorToken, as: Items<Peer>.self)
            #expect(list.items.map(\.region.code) == ["000000", "341500"])

            let removed = try await client.status(.delete, "/api/v1/federation/peers/341500", token: node.operatorToken)
            #expect(removed == .noContent)
            let (gone, goneBody) = try await client.failure(
                .delete, "/api/v1/federation/peers/341500", token: node.operatorToken)
            #expect(gone == .notFound && goneBody.code == "unknown_peer")
            let (bad, badBody) = try await client.failure(
                .delete, "/api/v1/federation/peers/abc", token: node.operatorToken)
            #expect(bad == .badRequest && badBody.code == "bad_region")
        }
    }

    @Test(
        "catalog sync needs a parent; then it queues the registration, and the outbox shows it without its body",
        arguments: TestBackend.available)
    func catalogSyncAndOutbox(_ backend: TestBackend) async throws {
        try await Self.run(backend) { node, client in
            let entry = try await Self.publish(node)
            let (noParent, noParentBody) = try await client.failure(
                .post, "/api/v1/federation/catalog-sync", token: node.operatorToken)
            #expect(noParent == .unprocessableContent && noParentBody.code == "no_parent_node")
            let errorText = noParentBody.error.message
            #expect(errorText.contains("上级平台"), "\(errorText)")

            try await Self.addPeer(.national, .parent, node, client)
            let (synced, sync) = try await client.send(
                .post, "/api/v1/federation/catalog-sync", token: node.operatorToken, as: CatalogSyncResult.self)
            #expect(synced == .ok && sync.registered == 1 && sync.withdrawn == 0)
            let messageID = try #require(sync.messageIDs.first)
            let (_, resync) = try await client.send(
                .post, "/api/v1/federation/catalog-sync", token: node.operatorToken, as: CatalogSyncResult.self)
            #expect(resync.registered == 0, "nothing changed since")

            let (listed, text) = try await client.text(.get, "/api/v1/federation/outbox", token: node.operatorToken)
            #expect(listed == .ok)
            let outbox = try WireJSON.decoder.decode(Items<FederationAPI.OutboxSummary>.self, from: Data(text.utf8))
            let items = outbox.items
            #expect(items.count == 1)
            let queued = try #require(items.first)
            #expect(queued.messageID == messageID && queued.kind.rawValue == "catalog.registration")
            #expect(queued.origin == "340000" && queued.nextHop == "000000")
            #expect(queued.status == .pending && queued.bodyBytes > 100)
            #expect(!text.contains("\"body\""))
            #expect(!text.contains(entry.content.name) && !text.contains("sfzhm"), "no body in the listing")

            let (_, pending) = try await client.send(
                .get, "/api/v1/federation/outbox?status=pending", token: node.operatorToken,
                as: Items<FederationAPI.OutboxSummary>.self)
            #expect(pending.items.count == 1)
            let (_, failed) = try await client.send(
                .get, "/api/v1/federation/outbox?status=failed", token: node.operatorToken,
                as: Items<FederationAPI.OutboxSummary>.self)
            #expect(failed.items.isEmpty)
            let (badStatus, badStatusBody) = try await client.failure(
                .get, "/api/v1/federation/outbox?status=lost", token: node.operatorToken)
            #expect(badStatus == .badRequest && badStatusBody.fields == ["status"])
            let id = queued.id
            let notFailed = try await client.status(
                .post, "/api/v1/federation/outbox/\(id)/retry", token: node.operatorToken)
            #expect(notFailed == .notFound, "only a failed message can be retried")

            let (_, registrations) = try await client.send(
                .get, "/api/v1/federation/registrations", token: node.operatorToken,
                as: Items<RegistrationRecord>.self)
            let record = registrations.items.first
            #expect(record?.entryCode == entry.code.text && record?.reportedVersion == 1)

            let (_, provider) = try await node.user("provider", department: node.bureau, roles: [.provider])
            for uri in ["/api/v1/federation/outbox", "/api/v1/federation/registrations"] {
                let forbidden = try await client.status(.get, uri, token: provider)
                #expect(forbidden == .forbidden, "\(uri)")
            }
            let forbiddenSync = try await client.status(.post, "/api/v1/federation/catalog-sync", token: provider)
            #expect(forbiddenSync == .forbidden)
        }
    }

    @Test("回流 subscriptions and targets name what is wrong with them", arguments: TestBackend.available)
    func reflowValidation(_ backend: TestBackend) async throws {
        try await Self.run(backend) { node, client in
            let entry = try await Self.publish(node)
            let keyless = try await Self.publish(node, name: "人口变动信息", key: false)
            try await Self.addPeer(Self.city, .child, node, client)
            func subscribe(_ entryID: Int64, _ child: String, _ regionColumn: String) async throws -> (
                HTTPResponse.Status, (code: String, fields: [String])
            ) {
                let (status, response) = try await client.failure(
                    .post, "/api/v1/federation/reflow-subscriptions", token: node.operatorToken,
                    input: FederationAPI.SubscriptionInput(entryID: entryID, child: child, regionColumn: regionColumn))
                return (status, (response.code, response.fields))
            }
            var (status, error) = try await subscribe(9999, "3415", "hjdz")
            #expect(status == .badRequest && error.code == "validation_failed" && error.fields == ["child", "entryID"])
            (status, error) = try await subscribe(entry.id, "341500", "xm1")
            #expect(error.fields == ["regionColumn"], "the region column must be one of the entry's items")
            (status, error) = try await subscribe(entry.id, "320102", "hjdz")
            #expect(error.fields == ["child"], "a county of another province is outside this node's jurisdiction")
            (status, error) = try await subscribe(entry.id, "340000", "hjdz")
            #expect(error.fields == ["child"], "not this node itself")
            (status, error) = try await subscribe(keyless.id, "341500", "hjdz")
            #expect(error.fields == ["entryID"], "returned records merge by key")

            // The region item by its Chinese name is the same item: its column is what is stored.
            let (created, subscription) = try await client.send(
                .post, "/api/v1/federation/reflow-subscriptions", token: node.operatorToken,
                input: FederationAPI.SubscriptionInput(entryID: entry.id, child: "341500", regionColumn: "户籍地址"),
                as: FederationAPI.SubscriptionBody.self)
            #expect(
                created == .created && subscription.subscription.regionColumn == "hjdz", "\(subscription)")
            #expect(subscription.subscription.child.code == "341500" && subscription.subscription.entryID == entry.id)
            let (_, list) = try await client.send(
                .get, "/api/v1/federation/reflow-subscriptions", token: node.operatorToken,
                as: Items<FederationAPI.SubscriptionBody>.self)
            #expect(list.items.count == 1)

            func target(_ origin: String, _ sourceCode: String, _ entryID: Int64) async throws -> (
                HTTPResponse.Status, (code: String, fields: [String])
            ) {
                let (status, response) = try await client.failure(
                    .post, "/api/v1/federation/reflow-targets", token: node.operatorToken,
                    input: FederationAPI.TargetInput(origin: origin, sourceCode: sourceCode, entryID: entryID))
                return (status, (response.code, response.fields))
            }
            (status, error) = try await target("x", " ", 9999)
            #expect(status == .badRequest && error.fields == ["origin", "sourceCode", "entryID"])
            (status, error) = try await target("341500", "101001/0001", entry.id)
            #expect(error.fields == ["origin"], "returned data comes from above, not from the city below")
            (status, error) = try await target("000000", "101001/0001", keyless.id)
            #expect(error.fields == ["entryID"])
            let (made, madeBody) = try await client.send(
                .post, "/api/v1/federation/reflow-targets", token: node.operatorToken,
                input: FederationAPI.TargetInput(origin: "000000", sourceCode: " 101001/0001 ", entryID: entry.id),
                as: ReflowTarget.self)
            #expect(made == .created && madeBody.sourceCode == "101001/0001")
            let (_, targets) = try await client.send(
                .get, "/api/v1/federation/reflow-targets", token: node.operatorToken, as: Items<ReflowTarget>.self)
            #expect(targets.items.first?.origin.code == "000000")

            let (noEntry, noEntryBody) = try await client.failure(
                .get, "/api/v1/federation/reflow-runs", token: node.operatorToken)
            #expect(noEntry == .badRequest && noEntryBody.fields == ["entryID"])
            let (runs, runsBody) = try await client.send(
                .get, "/api/v1/federation/reflow-runs?entryID=\(entry.id)", token: node.operatorToken,
                as: Items<ReflowRun>.self)
            #expect(runs == .ok && runsBody.items.isEmpty)
        }
    }

    @Test(
        "a delivered message: malformed → 400, unknown sender → 401 and audited, signed by a child → handled once",
        arguments: TestBackend.available)
    func delivery(_ backend: TestBackend) async throws {
        try await Self.run(backend) { node, client in
            // Cut-off JSON: the point is a body that does not parse.
            let (malformed, malformedBody) = try await client.failure(
                .post, WireMessage.path, json: #"{"envelope": {"id": "#)
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

            let (unknown, unknownBody) = try await Self.refuse(client, message)
            #expect(unknown == .unauthorized && unknownBody.code == "unknown_node")
            let entries = try await auditLog(client, node)
            let rejected = try #require(entries.last { $0.action == "federation.rejected" })
            #expect(rejected.outcome == "denied" && rejected.reason == "unknown_node")
            let detail = rejected.detail
            #expect(detail?["from"] == "341500" && detail?["message_id"] == messageID)
            #expect(
                try await node.store.remoteCatalog.remoteEntries(
                    query: nil, origin: nil, includeWithdrawn: true, limit: 10
                ).isEmpty, "nothing from an unknown node is applied")

            // The test signs with the key it registers for the city, as the city's node would.
            let registered = try await client.status(
                .post, "/api/v1/federation/peers", token: node.operatorToken,
                input: Self.peer("341500", .child, key: cityKey.publicKey.base64))
            #expect(registered == .created)
            let (forged, forgedBody) = try await Self.refuse(
                client,
                try Self.wire(
                    id: messageID, kind: .catalogRegistration, origin: Self.city, from: Self.city, body: body,
                    key: .generate()))
            #expect(forged == .unauthorized && forgedBody.code == "bad_signature")
            // A stale clock and a body changed on the way are refused each with its own code, on the audit log too.
            let stale = try SignedFederationMessage.sign(
                id: UUID().uuidString.lowercased(), kind: .catalogRegistration, origin: Self.city,
                destination: Self.province, from: Self.city, to: Self.province, body: Array(body.utf8),
                at: Date().addingTimeInterval(-7200), with: cityKey)
            let (staleStatus, staleBody) = try await Self.refuse(client, WireMessage(stale))
            #expect(staleStatus == .unauthorized && staleBody.code == "clock_skew", "\(staleBody)")
            let genuine = try SignedFederationMessage.sign(
                id: UUID().uuidString.lowercased(), kind: .catalogRegistration, origin: Self.city,
                destination: Self.province, from: Self.city, to: Self.province, body: Array(body.utf8),
                with: cityKey)
            var changed = WireMessage(genuine)
            changed.body = String(
                decoding: try JSONEncoder().encode(CatalogRegistration(sequence: 99, entries: [], withdrawn: [])),
                as: UTF8.self)
            let (digestStatus, digestBody) = try await Self.refuse(client, changed)
            #expect(digestStatus == .unauthorized && digestBody.code == "bad_digest", "\(digestBody)")
            let reasons = try await auditLog(client, node).filter { $0.action == "federation.rejected" }
                .compactMap(\.reason)
            #expect(
                Set(reasons).isSuperset(of: ["unknown_node", "bad_signature", "clock_skew", "bad_digest"]), "\(reasons)"
            )
            let (handled, receipt) = try await Self.deliver(client, message)
            #expect(handled == .ok && receipt.outcome == .handled, "\(receipt)")
            #expect(receipt.messageID == messageID)
            let (again, repeatReceipt) = try await Self.deliver(client, message)
            #expect(again == .ok && repeatReceipt.outcome == .duplicate)

            let (_, remote) = try await client.send(
                .get, "/api/v1/federation/remote-entries?q=流动", token: node.operatorToken, as: Items<RemoteEntry>.self)
            let found = try #require(remote.items.first)
            #expect(found.upperCode == "101001/3415000003" && found.origin.code == "341500")
            // Several words: every one must occur, in the name or the provider's name, as in the local catalog.
            for (words, expected) in [
                ("%E6%B5%81%E5%8A%A8%20%E4%BA%BA%E5%8F%A3", 1), ("%E5%85%AC%E5%AE%89%E5%B1%80%20%E6%B5%81%E5%8A%A8", 1),
                ("%E6%B5%81%E5%8A%A8%20%E5%86%9C%E4%B8%9A", 0),
            ] {
                let (_, listed) = try await client.send(
                    .get, "/api/v1/federation/remote-entries?q=\(words)", token: node.operatorToken,
                    as: Items<RemoteEntry>.self)
                #expect(listed.items.count == expected, "q=\(words)")
                let (_, beside) = try await client.send(
                    .get, "/api/v1/catalog/entries?q=\(words)", token: node.operatorToken,
                    as: CatalogAPI.SearchBody.self)
                #expect(beside.remote.count == expected, "catalog q=\(words)")
            }
            // The catalog search lists it beside the node's own entries.
            let (_, search) = try await client.send(
                .get, "/api/v1/catalog/entries?q=%E6%B5%81%E5%8A%A8", token: node.operatorToken,
                as: CatalogAPI.SearchBody.self)
            let beside = search.remote.first
            #expect(beside?.upperCode == "101001/3415000003" && beside?.origin == "341500")
            let (_, secondPage) = try await client.send(
                .get, "/api/v1/catalog/entries?q=%E6%B5%81%E5%8A%A8&page=2", token: node.operatorToken,
                as: CatalogAPI.SearchBody.self)
            #expect(secondPage.remote.isEmpty, "remote entries come on page one only")
            let (_, outbox) = try await client.send(
                .get, "/api/v1/federation/outbox", token: node.operatorToken,
                as: Items<FederationAPI.OutboxSummary>.self)
            let acknowledgements = outbox.items.filter { $0.kind.rawValue == "catalog.acknowledgement" }
            #expect(acknowledgements.count == 1, "one acknowledgement, though the message came twice")
            #expect(
                acknowledgements.first?.messageID == "ack-\(messageID)"
                    && acknowledgements.first?.nextHop == "341500")
            let received = try await auditLog(client, node).filter { $0.action == "federation.received" }
            #expect(received.count == 1)
        }
    }

    @Test(
        "a child's monitoring report is kept and shown; a report naming another node is refused",
        arguments: TestBackend.available)
    func monitoring(_ backend: TestBackend) async throws {
        try await Self.run(backend) { node, client in
            let (noParent, noParentBody) = try await client.failure(
                .post, "/api/v1/federation/monitoring/report", token: node.operatorToken)
            #expect(noParent == .unprocessableContent && noParentBody.code == "no_parent_node")

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
            let (impostor, impostorBody) = try await Self.refuse(
                client,
                try Self.wire(
                    kind: .monitoringReport, origin: Self.city, from: Self.city,
                    body: try report(Self.county, published: 1), key: cityKey))
            #expect(impostor == .badRequest && impostorBody.code == "malformed_message")
            for published in [7, 9] {
                let (status, receipt) = try await Self.deliver(
                    client,
                    try Self.wire(
                        kind: .monitoringReport, origin: Self.city, from: Self.city,
                        body: try report(Self.city, published: published), key: cityKey))
                #expect(status == .ok && receipt.outcome == .handled)
            }

            let (status, body) = try await client.send(
                .get, "/api/v1/federation/monitoring", token: node.operatorToken,
                as: FederationAPI.MonitoringBody.self)
            #expect(status == .ok)
            #expect(body.local.node.region.code == "340000")
            let children = body.children
            #expect(children.count == 1, "the latest report of each node")
            #expect(children.first?.publishedEntries == 9)
            #expect(children.first?.node.region.code == "341500")
            let (_, provider) = try await node.user("provider", department: node.bureau, roles: [.provider])
            let forbidden = try await client.status(.get, "/api/v1/federation/monitoring", token: provider)
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
                key: nationalKey, sealedTo: try await Self.nodeSM2Key(client))
            #expect(!message.body.contains("opaque"), "the 回流 body travels encrypted")
            let (status, receipt) = try await Self.deliver(client, message)
            #expect(status == .ok && receipt.outcome == .relayed, "\(receipt)")
            let (again, repeatReceipt) = try await Self.deliver(client, message)
            #expect(again == .ok && repeatReceipt.outcome == .duplicate)

            let queued = try await node.store.federation.outbox(status: nil, limit: 10)
            #expect(queued.count == 1)
            let relayed = try #require(queued.first)
            #expect(relayed.nextHop == Self.city && relayed.destination == Self.county && relayed.origin == .national)
            #expect(relayed.body == body, "opened here and kept for the next hop, which gets it sealed to its own key")
            #expect(relayed.kind == .reflowBatch && relayed.status == .pending)

            // The city cannot pass on a message that claims to come from the nation: a child speaks for its own.
            let (spoofed, spoofedBody) = try await Self.refuse(
                client,
                try Self.wire(
                    kind: .monitoringReport, origin: .national, destination: Self.county, from: Self.city,
                    body: "{}", key: cityKey))
            #expect(spoofed == .badRequest && spoofedBody.code == "malformed_message")
            #expect(try await node.store.federation.outbox(status: nil, limit: 10).count == 1)
        }
    }

    @Test(
        "国密: a peer signing with SM2 needs its SM2 key registered (added in place, its Ed25519 messages still verify); 回流 arrives only encrypted to this node, bound to its hop",
        arguments: TestBackend.available)
    func gmLinks(_ backend: TestBackend) async throws {
        try await Self.run(backend) { node, client in
            let cityIdentity = NodeIdentityKey.generate()
            let citySM2 = try SM2PrivateKey.generate()
            let registered = try await client.status(
                .post, "/api/v1/federation/peers", token: node.operatorToken,
                input: Self.peer("341500", .child, key: cityIdentity.publicKey.base64))
            #expect(registered == .created)
            func report(_ id: String, signedWith key: SigningPrivateKey) throws -> WireMessage {
                let encoder = JSONEncoder()
                encoder.dateEncodingStrategy = .iso8601
                let figures = MonitoringReport(
                    node: NodeProfile(region: Self.city, name: "六安市数据资源管理局"), generatedAt: Date(),
                    publishedEntries: 1, mountedResources: 1, applications: 0, approvedApplications: 0, gatewayCalls: 0,
                    averageQuality: nil)
                return try Self.wire(
                    id: id, kind: .monitoringReport, origin: Self.city, from: Self.city,
                    body: String(decoding: try encoder.encode(figures), as: UTF8.self), signedWith: key)
            }
            // The city moved to 国密 before its operator told this one: its SM2-signed message names the fix.
            let (early, earlyBody) = try await Self.refuse(
                client, try report("gm-report-0001", signedWith: SigningPrivateKey(sm2: citySM2)))
            #expect(early == .unauthorized && earlyBody.code == "key_not_registered", "\(earlyBody)")
            #expect(earlyBody.error.message.contains("SM2"))

            // The operator adds the SM2 key beside the Ed25519 one, as the city's node show prints them.
            let both = try PeerKeys([cityIdentity.publicKey.signingKey, SigningPublicKey(sm2: citySM2.publicKey)])
            let (changed, peer) = try await client.send(
                .patch, "/api/v1/federation/peers/341500", token: node.operatorToken,
                input: FederationAPI.PeerChange(publicKey: both.stored), as: Peer.self)
            #expect(changed == .ok && peer.keys == both)
            let (badKey, badKeyBody) = try await client.failure(
                .patch, "/api/v1/federation/peers/341500", token: node.operatorToken,
                input: FederationAPI.PeerChange(publicKey: "sm2:AAAA"))
            #expect(
                badKey == .badRequest && badKeyBody.error.details.contains { $0.field == "publicKey" }, "\(badKeyBody)")
            let (sm2Status, sm2Receipt) = try await Self.deliver(
                client, try report("gm-report-0002", signedWith: SigningPrivateKey(sm2: citySM2)))
            #expect(sm2Status == .ok && sm2Receipt.outcome == .handled)
            let (oldStatus, oldReceipt) = try await Self.deliver(
                client, try report("gm-report-0003", signedWith: cityIdentity.signingKey))
            #expect(oldStatus == .ok && oldReceipt.outcome == .handled, "a message signed before the switch verifies")

            // 回流 from the nation: in clear it is refused; sealed to this node's key it is taken.
            let entry = try await Self.publish(node)
            let nationalKey = try await Self.addPeer(.national, .parent, node, client)
            _ = try await client.status(
                .post, "/api/v1/federation/reflow-targets", token: node.operatorToken,
                input: FederationAPI.TargetInput(origin: "000000", sourceCode: "101001/0001", entryID: entry.id))
            let runID = UUID().uuidString.lowercased()
            let batch = ReflowBatch(
                runID: runID, sourceCode: "101001/0001", sourceVersion: 1, regionColumn: "hjdz", regionPrefix: "34",
                columns: ["sfzhm", "xm", "hjdz"], keyColumns: ["sfzhm"], sequence: 0, isLast: true,
                rows: [["340102199001010011", "张伟", "340102"]])
            let body = String(decoding: try JSONEncoder().encode(batch), as: UTF8.self)
            let (clear, clearBody) = try await Self.refuse(
                client,
                try Self.wire(
                    id: "\(runID)-0", kind: .reflowBatch, origin: .national, from: .national, body: body,
                    key: nationalKey))
            #expect(clear == .badRequest && clearBody.code == "not_encrypted", "\(clearBody)")
            let recipient = try await Self.nodeSM2Key(client)
            // Sealed for another message: the HMAC-SM3 binds the body to the hop it was sealed for.
            let otherHop = HopHeader(
                id: "\(runID)-9", kind: .reflowBatch, origin: .national, destination: Self.province, from: .national,
                to: Self.province)
            let (moved, movedBody) = try await Self.refuse(
                client,
                try Self.wire(
                    id: "\(runID)-0", kind: .reflowBatch, origin: .national, from: .national, body: body,
                    signedWith: nationalKey.signingKey, sealedTo: recipient, sealedFor: otherHop))
            #expect(moved == .badRequest && movedBody.error.message.contains("HMAC-SM3"), "\(movedBody)")
            // Sealed to a key that is not this node's.
            let (stranger, strangerBody) = try await Self.refuse(
                client,
                try Self.wire(
                    id: "\(runID)-0", kind: .reflowBatch, origin: .national, from: .national, body: body,
                    key: nationalKey, sealedTo: try SM2PrivateKey.generate().publicKey))
            #expect(stranger == .badRequest && strangerBody.error.message.contains("SM2"), "\(strangerBody)")
            #expect(try await node.store.pools.active(entryID: entry.id) == nil, "nothing refused was applied")
            let refusals = try await auditLog(client, node).filter { $0.action == "federation.rejected" }
            #expect(
                refusals.contains { $0.reason == "not_encrypted" }
                    && refusals.contains { $0.reason == "key_not_registered" })

            let sealed = try Self.wire(
                id: "\(runID)-0", kind: .reflowBatch, origin: .national, from: .national, body: body, key: nationalKey,
                sealedTo: recipient)
            #expect(!sealed.body.contains("340102199001010011") && !sealed.body.contains("张伟"))
            let (taken, receipt) = try await Self.deliver(client, sealed)
            #expect(taken == .ok && receipt.outcome == .handled, "\(receipt)")
            #expect(try await node.store.pools.active(entryID: entry.id)?.rowCount == 1)
        }
    }

    /// One 回流 run from the national platform, as its parts arrive at this province.
    static func reflowRun(
        _ rows: [[String?]], sourceVersion: Int, key: NodeIdentityKey, _ client: any TestClientProtocol
    ) async throws {
        let recipient = try await nodeSM2Key(client)
        let runID = UUID().uuidString.lowercased()
        let batch = ReflowBatch(
            runID: runID, sourceCode: "101001/0001", sourceVersion: sourceVersion, regionColumn: "hjdz",
            regionPrefix: "34", columns: ["sfzhm", "xm", "hjdz"], keyColumns: ["sfzhm"], sequence: 0, isLast: true,
            rows: rows)
        let body = String(decoding: try JSONEncoder().encode(batch), as: UTF8.self)
        let (status, receipt) = try await deliver(
            client,
            try wire(
                id: "\(runID)-0", kind: .reflowBatch, origin: .national, from: .national, body: body, key: key,
                sealedTo: recipient))
        #expect(status == .ok && receipt.outcome == .handled, "\(receipt)")
    }

    @Test(
        "a 回流 run replaces the child's copy: deleted and moved-out people leave it, rowsApplied is what was sent",
        arguments: TestBackend.available)
    func reflowIsASnapshot(_ backend: TestBackend) async throws {
        try await Self.run(backend) { node, client in
            let entry = try await Self.publish(node)
            let nationalKey = try await Self.addPeer(.national, .parent, node, client)
            let made = try await client.status(
                .post, "/api/v1/federation/reflow-targets", token: node.operatorToken,
                input: FederationAPI.TargetInput(origin: "000000", sourceCode: "101001/0001", entryID: entry.id))
            #expect(made == .created)
            let first: [[String?]] = [
                ["340102199001010011", "张伟", "340102"], ["340102198502020022", "王芳", "340102"],
                ["341502197703030033", "黄强", "341502"],
            ]
            try await Self.reflowRun(first, sourceVersion: 1, key: nationalKey, client)
            // 黄强 is deleted at the source and 王芳 moves to another province: the next run holds only 张伟.
            let second: [[String?]] = [["340102199001010011", "张伟", "340102"]]
            try await Self.reflowRun(second, sourceVersion: 2, key: nationalKey, client)

            let (_, runs) = try await client.send(
                .get, "/api/v1/federation/reflow-runs?entryID=\(entry.id)", token: node.operatorToken,
                as: Items<ReflowRun>.self)
            let applied = runs.items.map(\.rowsApplied)
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
            let latest = try #require(runs.items.first { $0.rowsApplied == 1 }?.runID)
            let (previewed, preview) = try await client.send(
                .get, "/api/v1/federation/reflow-runs/\(latest)/preview", token: node.operatorToken,
                as: FederationAPI.PreviewBody.self)
            #expect(previewed == .ok, "\(preview)")
            let shown = try #require(preview.rows.first)
            #expect(preview.rows.count == 1 && preview.rowCount == 1)
            #expect(preview.columns.map(\.column) == ["sfzhm", "xm", "hjdz"])
            let shownID = shown.first ?? nil
            #expect(shownID != "340102199001010011", "the ID number is masked: \(shown)")
            #expect(shownID?.contains("*") == true)
            let missing = try await client.status(
                .get, "/api/v1/federation/reflow-runs/no-such-run/preview", token: node.operatorToken)
            #expect(missing == .notFound)
            let (_, provider) = try await node.user("provider", department: node.bureau, roles: [.provider])
            let forbidden = try await client.status(
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
            let input = FederationAPI.SubscriptionInput(entryID: entry.id, child: "341502", regionColumn: "hjdz")
            let (unregistered, unregisteredBody) = try await client.failure(
                .post, "/api/v1/federation/reflow-subscriptions", token: node.operatorToken, input: input)
            #expect(unregistered == .unprocessableContent, "\(unregisteredBody)")
            #expect((unregisteredBody.code, unregisteredBody.fields) == ("unregistered_child", ["child"]))
            #expect(try await node.store.reflows.subscriptions().isEmpty)

            try await Self.addPeer(Self.city, .child, node, client)
            let (created, subscription) = try await client.send(
                .post, "/api/v1/federation/reflow-subscriptions", token: node.operatorToken, input: input,
                as: FederationAPI.SubscriptionBody.self)
            #expect(created == .created && subscription.paused == false, "\(subscription)")
            let id = subscription.subscription.id

            // The city that carried the county's records is removed: the subscription is paused, not retried.
            let removed = try await client.status(
                .delete, "/api/v1/federation/peers/341500", token: node.operatorToken)
            #expect(removed == .noContent)
            let (_, list) = try await client.send(
                .get, "/api/v1/federation/reflow-subscriptions", token: node.operatorToken,
                as: Items<FederationAPI.SubscriptionBody>.self)
            #expect(list.items.first?.paused == true)
            let (run, runBody) = try await client.failure(
                .post, "/api/v1/federation/reflow-subscriptions/\(id)/run", token: node.operatorToken)
            #expect(run == .unprocessableContent && runBody.code == "unregistered_child", "\(runBody)")
            #expect(try await node.store.federation.outbox(status: nil, limit: 10).isEmpty)

            let deleted = try await client.status(
                .delete, "/api/v1/federation/reflow-subscriptions/\(id)", token: node.operatorToken)
            #expect(deleted == .noContent)
            let again = try await client.status(
                .delete, "/api/v1/federation/reflow-subscriptions/\(id)", token: node.operatorToken)
            #expect(again == .notFound)
            let (_, empty) = try await client.send(
                .get, "/api/v1/federation/reflow-subscriptions", token: node.operatorToken,
                as: Items<FederationAPI.SubscriptionBody>.self)
            #expect(empty.items.isEmpty)
        }
    }
}
