import Foundation
import HTTPTypes
import HuitongCore
import HuitongCrypto
import HuitongStore
import HuitongTestSupport
import HummingbirdTesting
import SQLKit
import Testing

@testable import HuitongServer
@testable import HuitongServices

@Suite("Audit and statistics API")
struct AuditAPITests {
    static func call(
        consumer: Int64, provider: Int64, resource: String, outcome: AuditOutcome = .allowed, rows: Int64 = 1,
        latency: Int64 = 2_000
    ) -> AuditEvent {
        AuditEvent(
            action: .gatewayLookup, consumerDepartmentID: consumer, applicationSystemID: 1,
            providerDepartmentID: provider, resourceCode: resource, grantID: 1, purpose: "资格核验",
            queriedKeyHashes: ["ab"], rowsReturned: rows, outcome: outcome, latencyMicroseconds: latency)
    }

    @Test(
        "the node key is public; the log is for operators and auditors, and verification names a tampered entry",
        arguments: TestBackend.available)
    func entriesAndVerification(_ backend: TestBackend) async throws {
        try await TestNode.run(backend) { node, client in
            let (status, body) = try await client.send(.get, "/api/v1/node", as: AuditAPI.NodeBody.self)
            #expect(status == .ok && body.algorithm == "Ed25519")
            let key = try #require(NodePublicKey(base64: body.publicKey))
            #expect(body.keyID == key.keyID)
            // A new node runs gm: its checkpoints verify with the SM2 key published first, as PEM; the Ed25519 key
            // follows for checkpoints signed under intl.
            #expect(body.suite == "gm")
            #expect(body.checkpointKeys.map(\.algorithm) == ["SM2-with-SM3", "Ed25519"])
            let sm2 = try SigningPublicKey(pemRepresentation: try #require(body.checkpointKeys.first).publicKeyPEM)
            #expect(sm2.algorithm == .sm2 && sm2.keyID == body.checkpointKeys[0].keyID)
            #expect(body.checkpointKeys[1].keyID == key.keyID)

            let police = try await node.department("GAJ")
            let health = try await node.department("WJW")
            let (_, auditor) = try await node.user("auditor1", department: node.bureau, roles: [.auditor])
            let (_, consumer) = try await node.user("consumer1", department: health, roles: [.consumer])
            let log = AuditLog(repository: node.store.audit, suite: .intl)
            _ = try await log.append(contentsOf: [
                Self.call(consumer: health.id, provider: police.id, resource: "101001/0001"),
                Self.call(
                    consumer: health.id, provider: police.id, resource: "101001/0001",
                    outcome: .denied(reason: "no_grant")),
                Self.call(consumer: police.id, provider: health.id, resource: "201001/0001"),
            ])

            var (listed, list) = try await client.send(
                .get, "/api/v1/audit/entries?limit=2", token: auditor, as: AuditAPI.EntriesBody.self)
            #expect(listed == .ok)
            var items = list.items
            #expect(items.map(\.sequence) == [3, 2] && list.nextBefore == 2)
            #expect(items[1].outcome == "denied" && items[1].reason == "no_grant")
            #expect(items[0].hash?.count == 64)
            (listed, list) = try await client.send(
                .get, "/api/v1/audit/entries?outcome=allowed&consumerDepartmentID=\(health.id)",
                token: node.operatorToken, as: AuditAPI.EntriesBody.self)
            items = list.items
            #expect(listed == .ok && items.map(\.sequence) == [1] && list.nextBefore == nil)
            let refused = try await client.status(.get, "/api/v1/audit/entries", token: consumer)
            #expect(refused == .forbidden)
            let anonymous = try await client.status(.get, "/api/v1/audit/entries")
            #expect(anonymous == .unauthorized)
            let (bad, badBody) = try await client.failure(
                .get, "/api/v1/audit/entries?outcome=maybe&limit=0&from=yesterday", token: auditor)
            #expect(bad == .badRequest && Set(badBody.fields) == ["outcome", "limit", "from"])

            typealias Verification = AuditAPI.VerificationBody
            var (verified, report) = try await client.send(
                .get, "/api/v1/audit/verification", token: auditor, as: Verification.self)
            #expect(verified == .ok && report.status == "ok" && report.entriesChecked == 3)

            try await node.store.provider.auditProvider.transaction { sql in
                try await sql.raw("UPDATE audit_entries SET resource_code = '101001/0009' WHERE seq = 2").run()
            }
            (verified, report) = try await client.send(
                .get, "/api/v1/audit/verification", token: auditor, as: Verification.self)
            #expect(report.status == "ok", "a recent result is served from the cache")
            (verified, report) = try await client.send(
                .get, "/api/v1/audit/verification?refresh=true", token: node.operatorToken, as: Verification.self)
            #expect(verified == .ok && report.status == "failed")
            #expect(report.firstBadSequence == 2 && report.reason == "edited")
            #expect(report.message?.contains("entry 2") == true)
            let forbidden = try await client.status(.get, "/api/v1/audit/verification", token: consumer)
            #expect(forbidden == .forbidden)
        }
    }

    @Test(
        "gateway statistics: everything for the bureau, own calls for a consumer, calls on own resources for a provider",
        arguments: TestBackend.available)
    func statistics(_ backend: TestBackend) async throws {
        try await TestNode.run(backend) { node, client in
            let police = try await node.department("GAJ")
            let health = try await node.department("WJW")
            let (_, consumer) = try await node.user("consumer1", department: health, roles: [.consumer])
            let (_, provider) = try await node.user("provider1", department: police, roles: [.provider])
            let log = AuditLog(repository: node.store.audit, suite: .intl)
            var events = (1...10).map { index in
                Self.call(
                    consumer: health.id, provider: police.id, resource: "101001/0001", rows: 3,
                    latency: Int64(index) * 1_000)
            }
            events.append(
                Self.call(
                    consumer: health.id, provider: police.id, resource: "101001/0001",
                    outcome: .denied(reason: "no_grant"), rows: 0))
            events.append(Self.call(consumer: police.id, provider: health.id, resource: "201001/0001"))
            events.append(
                .grantCreated(
                    grantID: 2, consumerDepartmentID: health.id, providerDepartmentID: police.id,
                    resourceCode: "101001/0001",
                    purpose: "资格核验", approvedBy: nil))
            _ = try await log.append(contentsOf: events)

            func groups(_ query: String, _ token: String) async throws -> (HTTPResponse.Status, [AuditAPI.GroupBody]) {
                let (status, body) = try await client.send(
                    .get, "/api/v1/statistics/gateway?\(query)", token: token, as: AuditAPI.StatisticsBody.self)
                return (status, body.groups)
            }
            var (status, all) = try await groups("groupBy=consumer", node.operatorToken)
            #expect(status == .ok && all.count == 2)
            let healthGroup = try #require(all.first { $0.key == "\(health.id)" })
            #expect(healthGroup.name == health.name)
            #expect(healthGroup.calls == 11 && healthGroup.denied == 1 && healthGroup.rowsServed == 30)
            let p50 = try #require(healthGroup.latencyMs.p50)
            #expect(p50 > 3 && p50 < 7, "median of 1–10 ms and one 2 ms call: \(p50)")

            (status, all) = try await groups("groupBy=resource", consumer)
            #expect(status == .ok && all.map(\.key) == ["101001/0001"], "only the consumer's own calls")
            (status, all) = try await groups("groupBy=resource", provider)
            #expect(all.map(\.key) == ["101001/0001"] && all.first?.calls == 11)
            (status, all) = try await groups("groupBy=day&from=2000-01-01&to=2000-01-31", node.operatorToken)
            #expect(status == .ok && all.isEmpty)

            let (bad, body) = try await client.failure(
                .get, "/api/v1/statistics/gateway?groupBy=week&from=2025-03-02&to=2025-03-01", token: consumer)
            #expect(bad == .badRequest && Set(body.fields) == ["groupBy", "from"])
            let anonymous = try await client.status(.get, "/api/v1/statistics/gateway")
            #expect(anonymous == .unauthorized)
        }
    }
}
