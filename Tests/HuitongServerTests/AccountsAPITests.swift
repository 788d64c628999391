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

@Suite("Accounts API")
struct AccountsAPITests {
    typealias DepartmentInput = AccountsAPI.DepartmentInput

    @Test("healthz reports version and backend", arguments: TestBackend.available)
    func health(_ backend: TestBackend) async throws {
        try await TestNode.run(backend) { _, client in
            let (status, body) = try await client.send(.get, "/healthz", as: ObservabilityRoutes.Health.self)
            #expect(status == .ok)
            #expect(body.status == "ok")
            #expect(body.backend == backend.rawValue)
            #expect(body.version == HuitongVersion.current)
        }
    }

    @Test("without credentials the API answers 401 in the error format; a bad token too")
    func unauthenticated() async throws {
        try await TestNode.run { _, client in
            let (status, body) = try await client.failure(.get, "/api/v1/departments")
            #expect(status == .unauthorized)
            #expect(body.code == "unauthenticated")
            let (badStatus, badBody) = try await client.failure(.get, "/api/v1/departments", token: "htu_forged")
            #expect(badStatus == .unauthorized)
            #expect(badBody.code == "invalid_token")
        }
    }

    @Test(
        "operators create, change and delete departments; bad input names each field", arguments: TestBackend.available)
    func departments(_ backend: TestBackend) async throws {
        try await TestNode.run(backend) { node, client in
            let token = node.operatorToken
            let (created, body) = try await client.send(
                .post, "/api/v1/departments", token: token,
                input: DepartmentInput(
                    name: "六安市公安局", code: "GAJ", creditCode: "1134150000301001xu", regionCode: "341500"),
                as: Department.self)
            #expect(created == .created)
            #expect(body.creditCode == "1134150000301001XU")
            let id = body.id

            let (bad, badBody) = try await client.failure(
                .post, "/api/v1/departments", token: token,
                input: DepartmentInput(
                    name: "", code: "bad code!", creditCode: "1134150000301001XV", regionCode: "991500"))
            #expect(bad == .badRequest)
            #expect(Set(badBody.fields) == ["name", "code", "creditCode", "regionCode"])

            let (missing, missingBody) = try await client.failure(
                .post, "/api/v1/departments", token: token, input: DepartmentInput())
            #expect(missing == .badRequest)
            #expect(missingBody.fields.contains("regionCode"))

            // A number where the contract says string: only hand-written JSON can send it.
            let (wrongType, wrongTypeBody) = try await client.failure(
                .post, "/api/v1/departments", token: token, json: #"{"name":"x","code":"X","regionCode":341500}"#)
            #expect(wrongType == .badRequest)
            #expect(wrongTypeBody.fields == ["regionCode"])

            // JSON cut off in the middle.
            let (malformed, malformedBody) = try await client.failure(
                .post, "/api/v1/departments", token: token, json: #"{"name":"#)
            #expect(malformed == .badRequest)
            #expect(malformedBody.code == "malformed_body")

            let (duplicate, duplicateBody) = try await client.failure(
                .post, "/api/v1/departments", token: token,
                input: DepartmentInput(name: "另一个", code: "GAJ", regionCode: "341500"))
            #expect(duplicate == .conflict)
            #expect(duplicateBody.fields == ["code"])

            let (patched, patchedBody) = try await client.send(
                .patch, "/api/v1/departments/\(id)", token: token, input: DepartmentInput(name: "六安市公安局（改）"),
                as: Department.self)
            #expect(patched == .ok)
            #expect(patchedBody.code == "GAJ")
            #expect(patchedBody.name == "六安市公安局（改）")

            #expect(try await client.status(.get, "/api/v1/departments/999", token: token) == .notFound)
            #expect(try await client.status(.get, "/api/v1/departments/abc", token: token) == .badRequest)
            // The bureau still has its operator, so it cannot go.
            #expect(
                try await client.status(.delete, "/api/v1/departments/\(node.bureau.id)", token: token) == .conflict)
            #expect(try await client.status(.delete, "/api/v1/departments/\(id)", token: token) == .noContent)
            #expect(try await node.store.departments.count() == 1)
        }
    }

    @Test("an oversized body is refused with 413 and nothing is written")
    func oversized() async throws {
        try await TestNode.run { node, client in
            let huge = String(repeating: "汇", count: 1_000_000)
            let (status, body) = try await client.failure(
                .post, "/api/v1/departments", token: node.operatorToken,
                input: DepartmentInput(name: huge, code: "BIG", regionCode: "341500"))
            #expect(status == .contentTooLarge)
            #expect(body.code == "body_too_large")
            #expect(try await node.store.departments.count() == 1)
        }
    }

    @Test("roles and departments bound what each caller may do")
    func authorization() async throws {
        try await TestNode.run { node, client in
            let police = try await node.department("GAJ")
            let social = try await node.department("RSJ")
            let (_, provider) = try await node.user("gaj.provider", department: police, roles: [.provider])
            let (_, consumer) = try await node.user("rsj.consumer", department: social, roles: [.consumer])
            let (_, auditor) = try await node.user("sjj.auditor", department: node.bureau, roles: [.auditor])

            let newDepartment = DepartmentInput(name: "x", code: "NEW", regionCode: "341500")
            for token in [provider, consumer, auditor] {
                let (status, body) = try await client.failure(
                    .post, "/api/v1/departments", token: token, input: newDepartment)
                #expect(status == .forbidden)
                #expect(body.code == "forbidden")
            }
            // Officers see only their own department's users; auditors see all.
            #expect(
                try await client.status(.get, "/api/v1/users?departmentID=\(social.id)", token: provider) == .forbidden)
            let (_, own) = try await client.send(.get, "/api/v1/users", token: provider, as: ListBody<User>.self)
            #expect(own.items.map(\.username) == ["gaj.provider"])
            let (badQuery, badQueryBody) = try await client.failure(
                .get, "/api/v1/users?departmentID=abc", token: auditor)
            #expect(badQuery == .badRequest)
            #expect(badQueryBody.fields == ["departmentID"])
            let (_, all) = try await client.send(.get, "/api/v1/users", token: auditor, as: ListBody<User>.self)
            #expect(all.items.count == 4)

            // A consumer registers its department's system; another department cannot touch it.
            let (created, system) = try await client.send(
                .post, "/api/v1/application-systems", token: consumer,
                input: AccountsAPI.SystemInput(name: "社保认证", description: "核验"), as: ApplicationSystem.self)
            #expect(created == .created)
            let systemID = system.id
            let (_, policeConsumer) = try await node.user("gaj.consumer", department: police, roles: [.consumer])
            #expect(
                try await client.status(.get, "/api/v1/application-systems/\(systemID)", token: policeConsumer)
                    == .forbidden)
            #expect(
                try await client.status(
                    .post, "/api/v1/application-systems/\(systemID)/tokens", token: policeConsumer,
                    input: AccountsAPI.TokenInput(name: "x")
                ) == .forbidden)
            #expect(
                try await client.status(
                    .post, "/api/v1/application-systems", token: consumer,
                    input: AccountsAPI.SystemInput(name: "x", departmentID: police.id)
                ) == .forbidden)
            #expect(
                try await client.status(
                    .post, "/api/v1/application-systems", token: provider, input: AccountsAPI.SystemInput(name: "x"))
                    == .forbidden)
        }
    }

    @Test("system credentials are shown once, authenticate, cannot use account endpoints, and can be revoked")
    func systemCredentials() async throws {
        try await TestNode.run { node, client in
            let social = try await node.department("RSJ")
            let (_, consumer) = try await node.user("rsj.consumer", department: social, roles: [.consumer])
            let (_, system) = try await client.send(
                .post, "/api/v1/application-systems", token: consumer, input: AccountsAPI.SystemInput(name: "社保认证"),
                as: ApplicationSystem.self)
            let systemID = system.id
            let (status, issued) = try await client.send(
                .post, "/api/v1/application-systems/\(systemID)/tokens", token: consumer,
                input: AccountsAPI.TokenInput(
                    name: "生产", expiresAt: try Date("2099-01-01T00:00:00Z", strategy: .iso8601)),
                as: AccountsAPI.CreatedToken.self)
            #expect(status == .created)
            let secret = issued.secret
            #expect(secret.hasPrefix("hts_"))
            let tokenID = issued.token.id
            // Listing never shows the secret again.
            let (_, listed) = try await client.text(
                .get, "/api/v1/application-systems/\(systemID)/tokens", token: consumer)
            #expect(!listed.contains(secret))

            let (forbidden, body) = try await client.failure(.get, "/api/v1/departments", token: secret)
            #expect(forbidden == .forbidden)
            #expect(body.code == "forbidden")

            #expect(
                try await client.status(
                    .delete, "/api/v1/application-systems/\(systemID)/tokens/\(tokenID)", token: consumer
                )
                    == .ok)
            #expect(try await client.status(.get, "/api/v1/departments", token: secret) == .unauthorized)

            let (past, pastBody) = try await client.failure(
                .post, "/api/v1/application-systems/\(systemID)/tokens", token: consumer,
                input: AccountsAPI.TokenInput(
                    name: "旧", expiresAt: try Date("2001-01-01T00:00:00Z", strategy: .iso8601)))
            #expect(past == .badRequest)
            #expect(pastBody.fields == ["expiresAt"])
        }
    }

    @Test("users: created with a one-time password, sign in, change password, deactivated accounts lose access")
    func users() async throws {
        try await TestNode.run { node, client in
            let police = try await node.department("GAJ")
            let (created, text) = try await client.text(
                .post, "/api/v1/users", token: node.operatorToken,
                input: AccountsAPI.CreateUserInput(
                    username: "Gaj.Officer", displayName: "李强", departmentID: police.id,
                    roles: ["provider", "consumer"]))
            #expect(created == .created)
            let body = try WireJSON.decoder.decode(AccountsAPI.CreatedUser.self, from: Data(text.utf8))
            let password = try #require(body.password)
            let user = body.user
            #expect(user.username == "gaj.officer")
            // The user object in the answer carries no password nor hash; only the one-time password beside it.
            let raw = try WireJSON.decoder.decode(JSONValue.self, from: Data(text.utf8))
            let userObject = try #require(raw["user"])
            #expect(userObject["password"] == nil && userObject["passwordHash"] == nil)
            let userID = user.id

            let (badRole, badRoleBody) = try await client.failure(
                .post, "/api/v1/users", token: node.operatorToken,
                input: AccountsAPI.CreateUserInput(
                    username: "x.y", displayName: "x", departmentID: police.id, roles: ["admin"]))
            #expect(badRole == .badRequest)
            #expect(badRoleBody.fields == ["roles"])

            let (login, sessionText, headers) = try await client.exchange(
                .post, "/api/v1/auth/login", token: nil,
                input: AuthAPI.LoginInput(username: "gaj.officer", password: password), headers: [:])
            #expect(login == .ok)
            let session = try WireJSON.decoder.decode(AuthAPI.LoginResult.self, from: Data(sessionText.utf8))
            let csrf = session.csrfToken
            let cookie = try #require(headers[.setCookie]?.components(separatedBy: ";").first)

            // With the session cookie, a state-changing call must carry the CSRF token.
            let change = AccountsAPI.PasswordInput(currentPassword: password, newPassword: "new-password-9")
            let (noCSRF, noCSRFBody) = try await client.failure(
                .post, "/api/v1/users/\(userID)/password", input: change, headers: [.cookie: cookie])
            #expect(noCSRF == .forbidden)
            #expect(noCSRFBody.code == "csrf_failed")
            let changed = try await client.status(
                .post, "/api/v1/users/\(userID)/password", input: change,
                headers: [.cookie: cookie, HTTPField.Name("X-CSRF-Token")!: csrf])
            #expect(changed == .ok)
            // The session the password was changed with stays; the user's others end (AccountSecurityTests).
            #expect(try await client.status(.get, "/api/v1/me", headers: [.cookie: cookie]) == .ok)
            #expect(
                try await client.status(
                    .post, "/api/v1/auth/login",
                    input: AuthAPI.LoginInput(username: "gaj.officer", password: "new-password-9")
                ) == .ok)

            #expect(
                try await client.status(
                    .patch, "/api/v1/users/\(userID)", token: node.operatorToken,
                    input: AccountsAPI.UpdateUserInput(isActive: false)
                ) == .ok)
            let (refused, refusedBody) = try await client.failure(
                .post, "/api/v1/auth/login",
                input: AuthAPI.LoginInput(username: "gaj.officer", password: "new-password-9"))
            #expect(refused == .unauthorized)
            #expect(refusedBody.code == "login_failed")
        }
    }

    @Test("an operator cannot lock themselves out")
    func selfProtection() async throws {
        try await TestNode.run { node, client in
            let me = try #require(try await node.store.users.find(username: "admin"))
            let status = try await client.status(
                .patch, "/api/v1/users/\(me.id)", token: node.operatorToken,
                input: AccountsAPI.UpdateUserInput(roles: ["auditor"]))
            #expect(status == .conflict)
            #expect(try await client.status(.delete, "/api/v1/users/\(me.id)", token: node.operatorToken) == .conflict)
        }
    }

    @Test("metrics are exposed in Prometheus format on the metrics listener")
    func metrics() async throws {
        try await TestNode.run { node, client in
            try await client.status(.get, "/healthz")
            let router = HuitongApp.buildMetricsRouter(store: node.store, configuration: TestNode.configuration)
            try await Application(router: router).test(.router) { listener in
                try await listener.execute(uri: "/metrics", method: .get) { response in
                    let text = String(buffer: response.body)
                    #expect(response.status == .ok)
                    #expect(text.contains("hb_requests"))
                    #expect(text.contains("huitong_db_connections_in_use"))
                    #expect(text.contains("http_server_request_duration_bucket"))
                }
            }
        }
    }
}
