import Foundation
import HTTPTypes
import HuitongCore
import HuitongStore
import HuitongTestSupport
import HummingbirdTesting
import SQLKit
import Testing

@testable import HuitongServer
@testable import HuitongServices

/// GB/T 39786-2021 8.4 b/c through the real application: a row of access-control data edited straight in the
/// database (by someone without the node's key) makes the call that depends on it fail with a clear error; nothing
/// is served on its strength.
@Suite("Row integrity through the API")
struct RowIntegrityAPITests {
    static func tamper(_ node: TestNode, _ statement: SQLQueryString) async throws {
        try await node.store.provider.transaction { sql in try await sql.raw(statement).run() }
    }

    /// The refusal every edited row gets: 403 with the integrity error naming the table and row.
    static func expectRefused(
        _ status: HTTPResponse.Status, _ body: ErrorBody, table: String, id: Int64,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(status == .forbidden, sourceLocation: sourceLocation)
        #expect(body.code == "integrity_violation", sourceLocation: sourceLocation)
        #expect(body.error.message.hasPrefix("访问控制数据完整性校验失败"), sourceLocation: sourceLocation)
        #expect(
            body.error.message.contains("\(table)") && body.error.message.contains("\(id)"),
            sourceLocation: sourceLocation)
        #expect(
            body.error.message.contains("access-control data failed its integrity check"),
            sourceLocation: sourceLocation)
    }

    /// The last gateway call on the audit log was denied for an integrity failure.
    static func expectAuditedRefusal(
        _ client: any TestClientProtocol, _ node: TestNode, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let lookups = try await auditLog(client, node).filter { $0.action == "gateway.lookup" }
        #expect(lookups.last?.outcome == "denied", sourceLocation: sourceLocation)
        #expect(lookups.last?.reason == "integrity_violation", sourceLocation: sourceLocation)
    }

    @Test(
        "a grant widened in the database is refused at the gateway; an untouched grant still serves",
        arguments: TestBackend.available)
    func grantWidened(_ backend: TestBackend) async throws {
        try await TestNode.run(backend) { node, client in
            let caller = try await GatewayAPITests.caller(node, client)
            let grantID = try await GatewayAPITests.grant(
                client, caller, items: ["sfzhm", "xm"], terms: GrantTerms(items: ["sfzhm"]))
            // Someone with the database adds 姓名 to what the grant lets the system read.
            try await Self.tamper(node, "UPDATE grants SET items = '[\"sfzhm\",\"xm\"]' WHERE id = \(bind: grantID)")
            let (status, body) = try await client.failure(
                .get, "\(caller.path)/records?sfzhm=34150219900101123X", token: caller.bearer)
            Self.expectRefused(status, body, table: "grants", id: grantID)
            try await Self.expectAuditedRefusal(client, node)
            // The operator's list of grants refuses it too.
            let (listed, listBody) = try await client.failure(.get, "/api/v1/grants", token: node.operatorToken)
            Self.expectRefused(listed, listBody, table: "grants", id: grantID)
            // Put back as it was, the row verifies again and the grant serves exactly what it grants.
            try await Self.tamper(node, "UPDATE grants SET items = '[\"sfzhm\"]' WHERE id = \(bind: grantID)")
            let (_, text, _) = try await client.exchange(
                .get, "\(caller.path)/records?sfzhm=34150219900101123X", token: caller.bearer, raw: nil,
                headers: [:])
            let records = try WireJSON.decoder.decode(GatewayAPITests.Records.self, from: Data(text.utf8))
            #expect(records.grant == grantID && records.records.first.map { Set($0.keys) } == ["sfzhm"])
        }
    }

    @Test(
        "a revocation undone in the database is refused, even with the grant's body remembered from before",
        arguments: TestBackend.available)
    func revocationUndone(_ backend: TestBackend) async throws {
        try await TestNode.run(backend) { node, client in
            let caller = try await GatewayAPITests.caller(node, client)
            let grantID = try await GatewayAPITests.grant(
                client, caller, items: ["sfzhm", "xm"], terms: GrantTerms(items: ["sfzhm"]))
            let path = "\(caller.path)/records?sfzhm=34150219900101123X"
            #expect(try await client.status(.get, path, token: caller.bearer) == .ok, "the body is now remembered")
            let revoked = try await client.status(
                .post, "/api/v1/grants/\(grantID)/revoke", token: caller.world.providerToken,
                input: SharingAPI.RevokeInput(reason: "数据源停用"))
            #expect(revoked == .ok)
            try await Self.tamper(node, "UPDATE grants SET revoked_at = NULL WHERE id = \(bind: grantID)")
            let (status, body) = try await client.failure(.get, path, token: caller.bearer)
            Self.expectRefused(status, body, table: "grants", id: grantID)
            try await Self.expectAuditedRefusal(client, node)
        }
    }

    @Test(
        "a credential moved to another application system in the database is refused at the gateway",
        arguments: TestBackend.available)
    func credentialOwnerChanged(_ backend: TestBackend) async throws {
        try await TestNode.run(backend) { node, client in
            let caller = try await GatewayAPITests.caller(node, client)
            _ = try await GatewayAPITests.grant(
                client, caller, items: ["sfzhm", "xm"], terms: GrantTerms(items: ["sfzhm"]))
            let path = "\(caller.path)/records?sfzhm=34150219900101123X"
            let (_, other) = try await client.send(
                .post, "/api/v1/application-systems", token: caller.world.consumerToken,
                input: AccountsAPI.SystemInput(name: "另一个系统"), as: ApplicationSystem.self)
            let credentialID = try await node.store.tokens.list(owner: .system(caller.systemID)).first!.id
            try await Self.tamper(
                node, "UPDATE api_tokens SET system_id = \(bind: other.id) WHERE id = \(bind: credentialID)")
            let (status, body) = try await client.failure(.get, path, token: caller.bearer)
            Self.expectRefused(status, body, table: "api_tokens", id: credentialID)
        }
    }

    @Test(
        "an application system moved to another department in the database is refused at the gateway",
        arguments: TestBackend.available)
    func systemDepartmentChanged(_ backend: TestBackend) async throws {
        try await TestNode.run(backend) { node, client in
            let caller = try await GatewayAPITests.caller(node, client)
            _ = try await GatewayAPITests.grant(
                client, caller, items: ["sfzhm", "xm"], terms: GrantTerms(items: ["sfzhm"]))
            try await Self.tamper(
                node,
                "UPDATE application_systems SET department_id = \(bind: caller.world.provider.id) WHERE id = \(bind: caller.systemID)"
            )
            let (status, body) = try await client.failure(
                .get, "\(caller.path)/records?sfzhm=34150219900101123X", token: caller.bearer)
            Self.expectRefused(status, body, table: "application_systems", id: caller.systemID)
        }
    }

    @Test(
        "an account raised to operator in the database is refused, not let in as operator",
        arguments: TestBackend.available)
    func roleRaised(_ backend: TestBackend) async throws {
        try await TestNode.run(backend) { node, client in
            let world = try await SharingAPITests.world(node)
            let operatorOnly = "/api/v1/audit/entries?limit=1"
            let (before, beforeBody) = try await client.failure(.get, operatorOnly, token: world.consumerToken)
            #expect(before == .forbidden && beforeBody.code != "integrity_violation", "a consumer may not read the log")
            try await Self.tamper(node, "UPDATE users SET roles = 'operator' WHERE id = \(bind: world.consumerUser.id)")
            let (status, body) = try await client.failure(.get, operatorOnly, token: world.consumerToken)
            Self.expectRefused(status, body, table: "users", id: world.consumerUser.id)
            // The operator's list of users names the edited account too, rather than showing it raised.
            let (listed, listBody) = try await client.failure(.get, "/api/v1/users", token: node.operatorToken)
            Self.expectRefused(listed, listBody, table: "users", id: world.consumerUser.id)
        }
    }

    @Test(
        "an entry whose grade labels were lowered in the database is refused at the gateway",
        arguments: TestBackend.available)
    func gradeLowered(_ backend: TestBackend) async throws {
        try await TestNode.run(backend) { node, client in
            let caller = try await GatewayAPITests.caller(node, client)
            _ = try await GatewayAPITests.grant(
                client, caller, items: ["sfzhm", "xm"], terms: GrantTerms(items: ["sfzhm"]))
            let entryID = caller.world.conditional.id
            try await Self.tamper(
                node,
                """
                UPDATE catalog_entries SET grade = 'general1',
                    content = REPLACE(REPLACE(REPLACE(content, '"general4"', '"general1"'), '"general3"', '"general1"'),
                        '"important"', '"general1"')
                WHERE id = \(bind: entryID)
                """)
            let (status, body) = try await client.failure(
                .get, "\(caller.path)/records?sfzhm=34150219900101123X", token: caller.bearer)
            Self.expectRefused(status, body, table: "catalog_entries", id: entryID)
            try await Self.expectAuditedRefusal(client, node)
            let (read, readBody) = try await client.failure(
                .get, "/api/v1/catalog/entries/\(entryID)", token: caller.world.consumerToken)
            Self.expectRefused(read, readBody, table: "catalog_entries", id: entryID)
        }
    }

    @Test("a grade policy edited in the database is refused", arguments: TestBackend.available)
    func gradePolicyEdited(_ backend: TestBackend) async throws {
        try await TestNode.run(backend) { node, client in
            let saved = try await client.status(
                .put, GradePolicyAPITests.path, token: node.operatorToken, input: GradePolicyAPITests.openSecondGrade)
            #expect(saved == .ok)
            try await Self.tamper(
                node, "UPDATE grade_policy SET content = REPLACE(content, '\"all\"', '\"none\"') WHERE id = 1")
            let (status, body) = try await client.failure(.get, GradePolicyAPITests.path, token: node.operatorToken)
            Self.expectRefused(status, body, table: "grade_policy", id: 1)
        }
    }
}
