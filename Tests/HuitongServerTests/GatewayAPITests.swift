import Foundation
import HTTPTypes
import HuitongCore
import HuitongStore
import HuitongTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import SQLKit
import Testing

@testable import HuitongServer
@testable import HuitongServices

/// The gateway through the real application: an approved application system reads exactly its grant — masked,
/// filtered, on the audit log — until the grant is revoked.
@Suite("Gateway")
struct GatewayAPITests {
    /// Rows of 常住人口登记表信息: two in the consumer's county 341502, one in 341503.
    static let rows: [[String?]] = [
        ["34150219900101123X", "张三丰", "佛教", "341502", "1990-01-01"],
        ["341502199202020021", "李四", nil, "341502", "1992-02-02"],
        ["341503199303030032", "王五", nil, "341503", "1993-03-03"],
    ]

    struct Caller {
        var world: SharingAPITests.World
        var systemID: Int64
        var bearer: String
        var path: String
    }

    /// A lookup's answer as the gateway writes it (`GatewayAPI.json(_:records:columns:)`): each record holds the
    /// granted items, null where a value is missing.
    struct Records: Decodable {
        var resource: String
        var grant: Int64
        var count: Int
        var records: [[String: String?]]
    }

    /// A verification's answer as the gateway writes it (`GatewayAPI.verify`).
    struct Verification: Decodable {
        var resource: String
        var grant: Int64
        var match: Bool
    }

    /// The sharing world of `SharingAPITests`, its conditional entry loaded with `rows` (ID numbers, names and
    /// religion SM4-encrypted at rest, as a gm node's grade policy has them), and an application system of the
    /// consumer county with a bearer credential.
    static func caller(_ node: TestNode, _ client: any TestClientProtocol) async throws -> Caller {
        let world = try await SharingAPITests.world(node)
        let pools = node.store.pools
        let version = try await pools.beginVersion(
            entryID: world.conditional.id, columns: ["sfzhm", "xm", "zjxy", "xzqhdm", "csrq"], types: [:],
            keyColumns: ["sfzhm"], copyingActive: false, expectedRows: 0, encrypting: ["sfzhm", "xm", "zjxy"])
        try await pools.insert(rows, into: version, replacingKeys: false)
        _ = try await pools.activate(version, keep: 2)
        let (_, system) = try await client.send(
            .post, "/api/v1/application-systems", token: world.consumerToken,
            input: AccountsAPI.SystemInput(name: "低保审核系统"), as: ApplicationSystem.self)
        let systemID = system.id
        let (_, issued) = try await client.send(
            .post, "/api/v1/application-systems/\(systemID)/credentials", token: world.consumerToken,
            input: AccountsAPI.TokenInput(name: "生产"), as: AccountsAPI.CreatedToken.self)
        let bearer = issued.secret
        return Caller(
            world: world, systemID: systemID, bearer: bearer, path: "/gateway/v1/\(world.conditional.code.text)")
    }

    /// Applies for `items` through `channel` and has the provider approve part of it.
    static func grant(
        _ client: any TestClientProtocol, _ caller: Caller, items: [String], channel: AccessChannel = .api,
        terms: GrantTerms = GrantTerms(
            items: ["sfzhm", "xm", "xzqhdm"], rowFilter: .consumerRegion, masking: ["xzqhdm": MaskingRule.none])
    ) async throws -> Int64 {
        var application = SharingAPITests.application(entryID: caller.world.conditional.id, items: items)
        application.channel = channel
        let (_, draft) = try await client.send(
            .post, "/api/v1/applications", token: caller.world.consumerToken, input: application,
            as: SharingAPI.ApplicationBody.self)
        let id = draft.application.id
        try await client.status(.post, "/api/v1/applications/\(id)/submit", token: caller.world.consumerToken)
        let (status, decided) = try await client.send(
            .post, "/api/v1/applications/\(id)/decision", token: caller.world.providerToken,
            input: SharingAPI.DecisionInput(kind: .approvePartially, comment: "出生日期非核验所需", terms: terms),
            as: SharingAPI.ApplicationBody.self)
        #expect(status == .ok)
        return try #require(decided.application.grantID)
    }

    @Test(
        "apply → approve in part → the system reads only granted items, masked, in its county → revoke → denied; all on the audit log",
        arguments: TestBackend.available)
    func wholeFlow(_ backend: TestBackend) async throws {
        try await TestNode.run(backend) { node, client in
            let caller = try await Self.caller(node, client)
            let (before, refusedBody) = try await client.failure(
                .get, "\(caller.path)/records?sfzhm=34150219900101123X", token: caller.bearer)
            #expect(before == .forbidden && refusedBody.code == "no_grant", "no grant yet")

            let grantID = try await Self.grant(client, caller, items: ["sfzhm", "xm", "xzqhdm", "csrq"])
            let (status, text, headers) = try await client.exchange(
                .get, "\(caller.path)/records?sfzhm=34150219900101123x,341503199303030032&sfzhm=000000000000000000",
                token: caller.bearer, raw: nil, headers: [:])
            #expect(status == .ok)
            #expect(headers[.cacheControl] == "no-store")
            let body = try WireJSON.decoder.decode(Records.self, from: Data(text.utf8))
            #expect(body.grant == grantID && body.count == 1)
            let records = body.records
            #expect(records.count == 1, "王五 lives in 341503, outside the consumer's county")
            let record = try #require(records.first)
            #expect(Set(record.keys) == ["sfzhm", "xm", "xzqhdm"], "only the granted items, never 宗教信仰 or 出生日期")
            #expect(record["sfzhm"] == "3***************3X" && record["xm"] == "张**")
            #expect(record["xzqhdm"] == "341502")
            // What the gateway served in clear came from ciphertext: the table holds no ID number or name.
            let table = try #require(try await node.store.pools.active(entryID: caller.world.conditional.id)).tableName
            let stored = try await node.store.provider.read { sql in
                try await sql.raw("SELECT sfzhm, xm FROM \(ident: table)").all().flatMap {
                    [try $0.decode(column: "sfzhm", as: String.self), try $0.decode(column: "xm", as: String.self)]
                }
            }
            #expect(stored.count == 6 && stored.allSatisfy { $0.hasPrefix("HC1:") })

            let (person, personBody) = try await client.failure(
                .get, "\(caller.path)/records?sfzhm=34150219900101123X", token: caller.world.consumerToken)
            #expect(person == .forbidden && personBody.code == "gateway_system_required")
            let stranger = try await client.status(.get, "\(caller.path)/records?sfzhm=34150219900101123X")
            #expect(stranger == .unauthorized)
            let (badParameter, badBody) = try await client.failure(
                .get, "\(caller.path)/records?xm=张三丰", token: caller.bearer)
            #expect(badParameter == .badRequest && badBody.code == "unknown_parameter")

            let revoked = try await client.status(
                .post, "/api/v1/grants/\(grantID)/revoke", token: caller.world.providerToken,
                input: SharingAPI.RevokeInput(reason: "数据源停用"))
            #expect(revoked == .ok)
            let (after, afterBody) = try await client.failure(
                .get, "\(caller.path)/records?sfzhm=34150219900101123X", token: caller.bearer)
            #expect(after == .forbidden && afterBody.code == "no_grant", "revocation holds on the next call")

            let entries = try await auditLog(client, node)
            let lookups = entries.filter { $0.action == "gateway.lookup" }
            #expect(lookups.map(\.outcome) == ["denied", "allowed", "denied", "denied", "denied"])
            let served = try #require(lookups.dropFirst().first)
            #expect(served.grantID == grantID && served.rowsReturned == 1)
            #expect(served.applicationSystemID == caller.systemID)
            #expect(served.resourceCode == caller.world.conditional.code.text)
            let hashes = served.queriedKeyHashes ?? []
            #expect(hashes.count == 3 && hashes.allSatisfy { $0.count == 64 })
            let (_, logged) = try await client.text(.get, "/api/v1/audit/entries?limit=100", token: node.operatorToken)
            #expect(!logged.contains("34150219900101123X") && !logged.contains("张三丰"), "the log holds no personal data")
            #expect(lookups.last?.reason == "no_grant")
            let grantChanges = entries.compactMap(\.action).filter { $0.hasPrefix("grant.") }
            #expect(grantChanges == ["grant.created", "grant.revoked"])

            let (_, verification) = try await client.send(
                .get, "/api/v1/audit/verification?refresh=true", token: node.operatorToken,
                as: AuditAPI.VerificationBody.self)
            #expect(verification.status == "ok")
        }
    }

    @Test("verification answers match or no match and returns no data; items outside the grant cannot be checked")
    func verification() async throws {
        try await TestNode.run { node, client in
            let caller = try await Self.caller(node, client)
            _ = try await Self.grant(client, caller, items: ["sfzhm", "xm", "xzqhdm", "csrq"])
            func verify(_ claims: [String: String]) async throws -> (HTTPResponse.Status, String) {
                try await client.text(.post, "\(caller.path)/verify", token: caller.bearer, input: claims)
            }
            func answer(_ text: String) throws -> Verification {
                try WireJSON.decoder.decode(Verification.self, from: Data(text.utf8))
            }
            func refusal(_ text: String) throws -> ErrorBody {
                try WireJSON.decoder.decode(ErrorBody.self, from: Data(text.utf8))
            }
            let (matched, yes) = try await verify(["sfzhm": "34150219900101123x", "xm": "张三丰"])
            #expect(try matched == .ok && answer(yes).match == true)
            let keys = try WireJSON.decoder.decode([String: JSONValue].self, from: Data(yes.utf8)).keys
            #expect(Set(keys) == ["resource", "grant", "match"], "nothing of the record comes back")
            let (_, no) = try await verify(["sfzhm": "34150219900101123X", "xm": "张三"])
            #expect(try answer(no).match == false)
            let (_, outside) = try await verify(["sfzhm": "341503199303030032", "xm": "王五"])
            #expect(try answer(outside).match == false, "a row outside the county cannot be confirmed either")
            let (notGranted, notGrantedBody) = try await verify(["sfzhm": "34150219900101123X", "zjxy": "佛教"])
            #expect(try notGranted == .forbidden && refusal(notGrantedBody).code == "items_not_granted")
            let (keyless, keylessBody) = try await verify(["xm": "张三丰"])
            #expect(try keyless == .badRequest && refusal(keylessBody).code == "missing_key")

            let entries = try await auditLog(client, node).filter { $0.action == "gateway.verify" }
            #expect(entries.map(\.outcome) == ["allowed", "allowed", "allowed", "denied", "denied"])
            #expect(entries.first?.rowsReturned == 0)
            #expect(entries.first?.detail?["result"] == "match")
        }
    }

    @Test(
        "a bulk extract streams the granted rows, masked, each carrying the grant's watermark; an API grant cannot extract",
        arguments: TestBackend.available)
    func bulkExtract(_ backend: TestBackend) async throws {
        try await TestNode.run(backend) { node, client in
            let caller = try await Self.caller(node, client)
            let grantID = try await Self.grant(
                client, caller, items: ["sfzhm", "xm", "xzqhdm", "csrq"], channel: .bulkExtract)
            let (status, text, headers) = try await client.execute(
                uri: "\(caller.path)/extract?format=csv", method: .get,
                headers: [.authorization: "Bearer \(caller.bearer)"]
            ) { response in (response.status, String(buffer: response.body), response.headers) }
            #expect(status == .ok && headers[.contentType] == "text/csv; charset=utf-8")
            let watermark = try #require(headers[HTTPField.Name("X-Huitong-Watermark")!])
            #expect(watermark.hasPrefix("G\(grantID)-"))
            let lines = text.split(separator: "\r\n").map(String.init)
            #expect(lines.first == "\u{FEFF}sfzhm,xm,xzqhdm,_watermark")
            // Pages follow the stored key, which is ciphertext here: the rows are all there, in no meaningful order.
            #expect(
                Set(lines.dropFirst()) == [
                    "3***************3X,张**,341502,\(watermark)", "3***************21,李*,341502,\(watermark)",
                ])

            let (ndjsonStatus, ndjson, _) = try await client.execute(
                uri: "\(caller.path)/extract?format=ndjson", method: .get,
                headers: [.authorization: "Bearer \(caller.bearer)"]
            ) { response in (response.status, String(buffer: response.body), response.headers) }
            #expect(ndjsonStatus == .ok && ndjson.split(separator: "\n").count == 2)

            let (lookup, lookupBody) = try await client.failure(
                .get, "\(caller.path)/records?sfzhm=34150219900101123X", token: caller.bearer)
            #expect(lookup == .forbidden && lookupBody.code == "no_grant", "an extract grant is not an API grant")

            let extracts = try await auditLog(client, node).filter { $0.action == "gateway.extract" }
            let phases = extracts.compactMap { $0.detail?["phase"] }
            #expect(phases == ["started", "finished", "started", "finished"])
            #expect(extracts[1].rowsReturned == 2)
        }
    }

    @Test("an entry mounted as the provider's API is proxied through the same grant: items, county and masking")
    func proxy() async throws {
        let upstream = Router()
        upstream.get("people") { request, _ -> Response in
            let asked = request.uri.queryParameters["sfzhm"].map(String.init) ?? ""
            let people = [
                #"{"sfzhm":"34150219900101123X","xm":"张三丰","zjxy":"佛教","xzqhdm":"341502","csrq":"1990-01-01"}"#,
                #"{"sfzhm":"341503199303030032","xm":"王五","zjxy":null,"xzqhdm":"341503","csrq":"1993-03-03"}"#,
            ].filter { person in asked.split(separator: ",").contains { person.contains(String($0)) } }
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: ResponseBody(
                    byteBuffer: ByteBuffer(string: #"{"code":0,"data":[\#(people.joined(separator: ","))]}"#)))
        }
        upstream.get("broken") { _, _ -> Response in Response(status: .internalServerError) }
        let upstreamApp = Application(router: upstream, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await upstreamApp.test(.live) { upstreamClient in
            let port = try #require(upstreamClient.port)
            try await TestNode.run(configuration: .uncachedGateway) { node, client in
                let caller = try await Self.caller(node, client)
                let entry = caller.world.conditional
                let author = ChangeAuthor(userID: nil, name: "测试")
                // The test's upstream listens on loopback: only an allow-listed address may be called.
                _ = try await node.store.upstreamAllowList.save(
                    try UpstreamAllowList.parse(["127.0.0.1"]), author: author, at: Date())
                _ = try await node.store.catalog.setMount(
                    id: entry.id, MountedResource(kind: .api, locator: "http://127.0.0.1:\(port)/people"),
                    recordCount: nil, dataUpdatedAt: nil, author: author)
                _ = try await Self.grant(client, caller, items: ["sfzhm", "xm", "xzqhdm", "csrq"])
                let (status, body) = try await client.send(
                    .get, "\(caller.path)/records?sfzhm=34150219900101123X,341503199303030032", token: caller.bearer,
                    as: Records.self)
                #expect(status == .ok)
                let records = body.records
                #expect(records.count == 1)
                #expect(records.first?["sfzhm"] == "3***************3X")
                #expect(records.first?["xm"] == "张**" && records.first?["zjxy"] == nil)

                _ = try await node.store.catalog.setMount(
                    id: entry.id, MountedResource(kind: .api, locator: "http://127.0.0.1:\(port)/broken"),
                    recordCount: nil, dataUpdatedAt: nil, author: author)
                let (failed, failedBody) = try await client.failure(
                    .get, "\(caller.path)/records?sfzhm=34150219900101123X", token: caller.bearer)
                #expect(failed == .badGateway && failedBody.code == "upstream_failed")
                let proxied = try await auditLog(client, node).filter { $0.action == "gateway.proxy" }
                #expect(proxied.map(\.outcome) == ["allowed", "failed"])
            }
        }
    }

    @Test("a join key granted as a pseudonym comes back as the same keyed pseudonym on every call, never as the ID")
    func pseudonymisedJoinKey() async throws {
        try await TestNode.run { node, client in
            let caller = try await Self.caller(node, client)
            _ = try await Self.grant(
                client, caller, items: ["sfzhm", "xm", "xzqhdm", "csrq"],
                terms: GrantTerms(items: ["sfzhm", "xm"], masking: ["sfzhm": .pseudonym]))
            var seen: [String] = []
            for key in ["34150219900101123X", "34150219900101123x"] {
                let (status, body) = try await client.send(
                    .get, "\(caller.path)/records?sfzhm=\(key)", token: caller.bearer, as: Records.self)
                #expect(status == .ok)
                let record = try #require(body.records.first)
                seen.append((record["sfzhm"] ?? nil) ?? "")
            }
            #expect(seen[0].count == 32 && seen[0].allSatisfy(\.isHexDigit) && seen[0] == seen[1])
            #expect(!seen[0].contains("341502"))
        }
    }

    @Test(
        "a grant revoked by another node (straight in the shared database) stops calls once the cache lifetime has passed"
    )
    func revocationByAnotherNode() async throws {
        let clock = ManualClock()
        var configuration = TestNode.configuration
        configuration.gatewayClock = { clock.now }
        try await TestNode.run(configuration: configuration) { node, client in
            let caller = try await Self.caller(node, client)
            let grantID = try await Self.grant(
                client, caller, items: ["sfzhm", "xm"], terms: GrantTerms(items: ["sfzhm"]))
            let path = "\(caller.path)/records?sfzhm=34150219900101123X"
            #expect(try await client.status(.get, path, token: caller.bearer) == .ok)
            // Another node revokes: this node's store never hears of it, only the database changes.
            try await node.store.provider.transaction { sql in
                try await sql.raw("UPDATE grants SET revoked_at = \(bind: Date()) WHERE id = \(bind: grantID)").run()
            }
            #expect(
                try await client.status(.get, path, token: caller.bearer) == .ok,
                "within the cache lifetime the remembered access still serves")
            clock.advance(TestNode.configuration.gatewayCacheLifetime)
            let (after, body) = try await client.failure(.get, path, token: caller.bearer)
            #expect(after == .forbidden && body.code == "no_grant", "after it, the revocation holds")
        }
    }

    @Test("calls beyond the grant's rate are refused with 429 and audited; when the audit log fails, nothing is served")
    func limitsAndFailClosed() async throws {
        let clock = ManualClock()
        var configuration = TestNode.configuration
        configuration.gatewayClock = { clock.now }
        try await TestNode.run(configuration: configuration) { node, client in
            let caller = try await Self.caller(node, client)
            _ = try await Self.grant(
                client, caller, items: ["sfzhm", "xm", "xzqhdm", "csrq"],
                terms: GrantTerms(items: ["sfzhm", "xm"], rateLimit: 1))
            // One call a second: of three calls within the same second, the first passes and the others are refused.
            var statuses: [HTTPResponse.Status] = []
            for _ in 0..<3 {
                let status = try await client.status(
                    .get, "\(caller.path)/records?sfzhm=34150219900101123X", token: caller.bearer)
                statuses.append(status)
            }
            #expect(statuses == [.ok, .tooManyRequests, .tooManyRequests])
            let lookups = try await auditLog(client, node).filter { $0.action == "gateway.lookup" }
            #expect(lookups.count == 3)
            #expect(lookups.filter { $0.reason == "rate_limited" }.count == 2)
            // A second later the grant allows one call again.
            clock.advance(.seconds(1))
            let again = try await client.status(
                .get, "\(caller.path)/records?sfzhm=34150219900101123X", token: caller.bearer)
            #expect(again == .ok)

            clock.advance(.seconds(1))
            try await node.store.provider.auditProvider.transaction { sql in
                try await sql.raw("DROP TABLE audit_entries").run()
            }
            let (status, text) = try await client.text(
                .get, "\(caller.path)/records?sfzhm=34150219900101123X", token: caller.bearer)
            let body = try WireJSON.decoder.decode(ErrorBody.self, from: Data(text.utf8))
            #expect(status == .serviceUnavailable && body.code == "audit_unavailable")
            #expect(!text.contains("\"records\""), "no data leaves without its audit entry")

            let (_, credentials) = try await client.send(
                .get, "/api/v1/application-systems/\(caller.systemID)/credentials", token: caller.world.consumerToken,
                as: ListBody<APIToken>.self)
            let credentialID = try #require(credentials.items.first?.id)
            let revoked = try await client.status(
                .delete, "/api/v1/application-systems/\(caller.systemID)/credentials/\(credentialID)",
                token: caller.world.consumerToken)
            #expect(revoked == .ok || revoked == .noContent)
            let after = try await client.status(
                .get, "\(caller.path)/records?sfzhm=34150219900101123X", token: caller.bearer)
            #expect(after == .unauthorized, "a revoked credential stops the next call")
        }
    }
}
