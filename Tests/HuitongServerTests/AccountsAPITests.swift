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

@Suite("Accounts API")
struct AccountsAPITests {
    @Test("healthz reports version and backend", arguments: TestBackend.available)
    func health(_ backend: TestBackend) async throws {
        try await TestNode.run(backend) { _, client in
            let (status, body, _) = try await client.json(.get, "/healthz")
            #expect(status == .ok)
            #expect(body["status"] as? String == "ok")
            #expect(body["backend"] as? String == backend.rawValue)
            #expect(body["version"] as? String == HuitongVersion.current)
        }
    }

    @Test("without credentials the API answers 401 in the error format; a bad token too")
    func unauthenticated() async throws {
        try await TestNode.run { _, client in
            let (status, body, _) = try await client.json(.get, "/api/v1/departments")
            #expect(status == .unauthorized)
            #expect(apiError(body).code == "unauthenticated")
            let (badStatus, badBody, _) = try await client.json(.get, "/api/v1/departments", token: "htu_forged")
            #expect(badStatus == .unauthorized)
            #expect(apiError(badBody).code == "invalid_token")
        }
    }

    @Test(
        "operators create, change and delete departments; bad input names each field", arguments: TestBackend.available)
    func departments(_ backend: TestBackend) async throws {
        try await TestNode.run(backend) { node, client in
            let token = node.operatorToken
            let (created, body, _) = try await client.json(
                .post, "/api/v1/departments", token: token,
                body: #"{"name":"六安市公安局","code":"GAJ","creditCode":"1134150000301001xu","regionCode":"341500"}"#)
            #expect(created == .created)
            #expect(body["creditCode"] as? String == "1134150000301001XU")
            let id = try #require(body["id"] as? Int)

            let (bad, badBody, _) = try await client.json(
                .post, "/api/v1/departments", token: token,
                body: #"{"name":"","code":"bad code!","creditCode":"1134150000301001XV","regionCode":"991500"}"#)
            #expect(bad == .badRequest)
            #expect(Set(apiError(badBody).fields) == ["name", "code", "creditCode", "regionCode"])

            let (missing, missingBody, _) = try await client.json(
                .post, "/api/v1/departments", token: token, body: "{}")
            #expect(missing == .badRequest)
            #expect(apiError(missingBody).fields.contains("regionCode"))

            let (wrongType, wrongTypeBody, _) = try await client.json(
                .post, "/api/v1/departments", token: token, body: #"{"name":"x","code":"X","regionCode":341500}"#)
            #expect(wrongType == .badRequest)
            #expect(apiError(wrongTypeBody).fields == ["regionCode"])

            let (malformed, malformedBody, _) = try await client.json(
                .post, "/api/v1/departments", token: token, body: #"{"name":"#)
            #expect(malformed == .badRequest)
            #expect(apiError(malformedBody).code == "malformed_body")

            let (duplicate, duplicateBody, _) = try await client.json(
                .post, "/api/v1/departments", token: token,
                body: #"{"name":"另一个","code":"GAJ","regionCode":"341500"}"#)
            #expect(duplicate == .conflict)
            #expect(apiError(duplicateBody).fields == ["code"])

            let (patched, patchedBody, _) = try await client.json(
                .patch, "/api/v1/departments/\(id)", token: token, body: #"{"name":"六安市公安局（改）"}"#)
            #expect(patched == .ok)
            #expect(patchedBody["code"] as? String == "GAJ")
            #expect(patchedBody["name"] as? String == "六安市公安局（改）")

            #expect(try await client.json(.get, "/api/v1/departments/999", token: token).0 == .notFound)
            #expect(try await client.json(.get, "/api/v1/departments/abc", token: token).0 == .badRequest)
            // The bureau still has its operator, so it cannot go.
            #expect(
                try await client.json(.delete, "/api/v1/departments/\(node.bureau.id)", token: token).0 == .conflict)
            #expect(try await client.json(.delete, "/api/v1/departments/\(id)", token: token).0 == .noContent)
            #expect(try await node.store.departments.count() == 1)
        }
    }

    @Test("an oversized body is refused with 413 and nothing is written")
    func oversized() async throws {
        try await TestNode.run { node, client in
            let huge = String(repeating: "汇", count: 1_000_000)
            let (status, body, _) = try await client.json(
                .post, "/api/v1/departments", token: node.operatorToken,
                body: #"{"name":"\#(huge)","code":"BIG","regionCode":"341500"}"#)
            #expect(status == .contentTooLarge)
            #expect(apiError(body).code == "body_too_large")
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

            let newDepartment = #"{"name":"x","code":"NEW","regionCode":"341500"}"#
            for token in [provider, consumer, auditor] {
                let (status, body, _) = try await client.json(
                    .post, "/api/v1/departments", token: token, body: newDepartment)
                #expect(status == .forbidden)
                #expect(apiError(body).code == "forbidden")
            }
            // Officers see only their own department's users; auditors see all.
            #expect(
                try await client.json(.get, "/api/v1/users?departmentID=\(social.id)", token: provider).0 == .forbidden)
            let (_, own, _) = try await client.json(.get, "/api/v1/users", token: provider)
            #expect((own["items"] as? [[String: Any]])?.compactMap { $0["username"] as? String } == ["gaj.provider"])
            let (badQuery, badQueryBody, _) = try await client.json(
                .get, "/api/v1/users?departmentID=abc", token: auditor)
            #expect(badQuery == .badRequest)
            #expect(apiError(badQueryBody).fields == ["departmentID"])
            let (_, all, _) = try await client.json(.get, "/api/v1/users", token: auditor)
            #expect((all["items"] as? [Any])?.count == 4)

            // A consumer registers its department's system; another department cannot touch it.
            let (created, system, _) = try await client.json(
                .post, "/api/v1/application-systems", token: consumer, body: #"{"name":"社保认证","description":"核验"}"#)
            #expect(created == .created)
            let systemID = try #require(system["id"] as? Int)
            let (_, policeConsumer) = try await node.user("gaj.consumer", department: police, roles: [.consumer])
            #expect(
                try await client.json(.get, "/api/v1/application-systems/\(systemID)", token: policeConsumer).0
                    == .forbidden)
            #expect(
                try await client.json(
                    .post, "/api/v1/application-systems/\(systemID)/tokens", token: policeConsumer,
                    body: #"{"name":"x"}"#
                ).0 == .forbidden)
            #expect(
                try await client.json(
                    .post, "/api/v1/application-systems", token: consumer,
                    body: #"{"name":"x","departmentID":\#(police.id)}"#
                ).0 == .forbidden)
            #expect(
                try await client.json(.post, "/api/v1/application-systems", token: provider, body: #"{"name":"x"}"#).0
                    == .forbidden)
        }
    }

    @Test("system credentials are shown once, authenticate, cannot use account endpoints, and can be revoked")
    func systemCredentials() async throws {
        try await TestNode.run { node, client in
            let social = try await node.department("RSJ")
            let (_, consumer) = try await node.user("rsj.consumer", department: social, roles: [.consumer])
            let (_, system, _) = try await client.json(
                .post, "/api/v1/application-systems", token: consumer, body: #"{"name":"社保认证"}"#)
            let systemID = try #require(system["id"] as? Int)
            let (status, issued, _) = try await client.json(
                .post, "/api/v1/application-systems/\(systemID)/tokens", token: consumer,
                body: #"{"name":"生产","expiresAt":"2099-01-01T00:00:00Z"}"#)
            #expect(status == .created)
            let secret = try #require(issued["secret"] as? String)
            #expect(secret.hasPrefix("hts_"))
            let tokenID = try #require((issued["token"] as? [String: Any])?["id"] as? Int)
            // Listing never shows the secret again.
            let (_, listed, _) = try await client.json(
                .get, "/api/v1/application-systems/\(systemID)/tokens", token: consumer)
            #expect(!String(describing: listed).contains(secret))

            let (forbidden, body, _) = try await client.json(.get, "/api/v1/departments", token: secret)
            #expect(forbidden == .forbidden)
            #expect(apiError(body).code == "forbidden")

            #expect(
                try await client.json(
                    .delete, "/api/v1/application-systems/\(systemID)/tokens/\(tokenID)", token: consumer
                ).0
                    == .ok)
            #expect(try await client.json(.get, "/api/v1/departments", token: secret).0 == .unauthorized)

            let (past, pastBody, _) = try await client.json(
                .post, "/api/v1/application-systems/\(systemID)/tokens", token: consumer,
                body: #"{"name":"旧","expiresAt":"2001-01-01T00:00:00Z"}"#)
            #expect(past == .badRequest)
            #expect(apiError(pastBody).fields == ["expiresAt"])
        }
    }

    @Test("users: created with a one-time password, sign in, change password, deactivated accounts lose access")
    func users() async throws {
        try await TestNode.run { node, client in
            let police = try await node.department("GAJ")
            let (created, body, _) = try await client.json(
                .post, "/api/v1/users", token: node.operatorToken,
                body:
                    #"{"username":"Gaj.Officer","displayName":"李强","departmentID":\#(police.id),"roles":["provider","consumer"]}"#
            )
            #expect(created == .created)
            let password = try #require(body["password"] as? String)
            let user = try #require(body["user"] as? [String: Any])
            #expect(user["username"] as? String == "gaj.officer")
            #expect(user["password"] == nil && user["passwordHash"] == nil)
            let userID = try #require(user["id"] as? Int)

            let (badRole, badRoleBody, _) = try await client.json(
                .post, "/api/v1/users", token: node.operatorToken,
                body: #"{"username":"x.y","displayName":"x","departmentID":\#(police.id),"roles":["admin"]}"#)
            #expect(badRole == .badRequest)
            #expect(apiError(badRoleBody).fields == ["roles"])

            let (login, session, headers) = try await client.json(
                .post, "/api/v1/auth/login", body: #"{"username":"gaj.officer","password":"\#(password)"}"#)
            #expect(login == .ok)
            let csrf = try #require(session["csrfToken"] as? String)
            let cookie = try #require(headers[.setCookie]?.components(separatedBy: ";").first)

            // With the session cookie, a state-changing call must carry the CSRF token.
            let change = #"{"currentPassword":"\#(password)","newPassword":"new-password-9"}"#
            let (noCSRF, noCSRFBody, _) = try await client.json(
                .post, "/api/v1/users/\(userID)/password", body: change, headers: [.cookie: cookie])
            #expect(noCSRF == .forbidden)
            #expect(apiError(noCSRFBody).code == "csrf_failed")
            let (changed, _, _) = try await client.json(
                .post, "/api/v1/users/\(userID)/password", body: change,
                headers: [.cookie: cookie, HTTPField.Name("X-CSRF-Token")!: csrf])
            #expect(changed == .ok)
            // The session the password was changed with stays; the user's others end (AccountSecurityTests).
            #expect(try await client.json(.get, "/api/v1/me", headers: [.cookie: cookie]).0 == .ok)
            #expect(
                try await client.json(
                    .post, "/api/v1/auth/login", body: #"{"username":"gaj.officer","password":"new-password-9"}"#
                ).0 == .ok)

            #expect(
                try await client.json(
                    .patch, "/api/v1/users/\(userID)", token: node.operatorToken, body: #"{"isActive":false}"#
                ).0 == .ok)
            let (refused, refusedBody, _) = try await client.json(
                .post, "/api/v1/auth/login", body: #"{"username":"gaj.officer","password":"new-password-9"}"#)
            #expect(refused == .unauthorized)
            #expect(apiError(refusedBody).code == "login_failed")
        }
    }

    @Test("an operator cannot lock themselves out")
    func selfProtection() async throws {
        try await TestNode.run { node, client in
            let me = try #require(try await node.store.users.find(username: "admin"))
            let (status, _, _) = try await client.json(
                .patch, "/api/v1/users/\(me.id)", token: node.operatorToken, body: #"{"roles":["auditor"]}"#)
            #expect(status == .conflict)
            #expect(try await client.json(.delete, "/api/v1/users/\(me.id)", token: node.operatorToken).0 == .conflict)
        }
    }

    @Test("metrics are exposed in Prometheus format on the metrics listener")
    func metrics() async throws {
        try await TestNode.run { node, client in
            _ = try await client.json(.get, "/healthz")
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
