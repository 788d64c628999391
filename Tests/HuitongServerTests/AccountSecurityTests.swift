import Foundation
import HTTPTypes
import HuitongCore
import HuitongStore
import HuitongTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Synchronization
import Testing

@testable import HuitongServer
@testable import HuitongServices

/// A clock the test moves by hand.
final class ManualClock: Sendable {
    private let current = Mutex<ContinuousClock.Instant>(.now)
    var now: ContinuousClock.Instant { current.withLock { $0 } }
    func advance(_ duration: Duration) { current.withLock { $0 += duration } }
}

/// Sign-in throttling, the password policy and personal tokens' lifetimes (issue 16, findings 5–7).
@Suite("Account security")
struct AccountSecurityTests {
    static let login = "/api/v1/auth/login"

    /// A node behind a reverse proxy on 127.0.0.1, so that each request names its client in `X-Forwarded-For`.
    static func proxied(clock: ManualClock = ManualClock()) -> ServerConfiguration {
        var configuration = TestNode.configuration
        configuration.trustedProxies = [AddressNetwork("127.0.0.1")!]
        configuration.signInClock = { clock.now }
        return configuration
    }

    static func signIn(
        _ client: any TestClientProtocol, _ username: String, _ password: String, from address: String
    ) async throws -> (HTTPResponse.Status, String) {
        let (status, text) = try await client.text(
            .post, login, input: AuthAPI.LoginInput(username: username, password: password),
            headers: [HTTPField.Name("X-Forwarded-For")!: address])
        let error = status == .ok ? nil : try WireJSON.read(ErrorBody.self, text).error
        return (status, "\(error?.code ?? "") \(error?.message ?? "")")
    }

    // MARK: Finding 5

    @Test("five wrong passwords for admin from one address do not keep admin out from another")
    func noLockOut() async throws {
        try await TestNode.run(configuration: Self.proxied(), live: true) { node, client in
            var statuses: [HTTPResponse.Status] = []
            for _ in 1...5 {
                statuses.append(try await Self.signIn(client, "admin", "wrong-password-1", from: "198.51.100.7").0)
            }
            #expect(statuses == [.unauthorized, .unauthorized, .unauthorized, .unauthorized, .tooManyRequests])
            let (elsewhere, _) = try await Self.signIn(client, "admin", node.operatorPassword, from: "203.0.113.9")
            #expect(elsewhere == .ok, "the owner signs in from their own address")
        }
    }

    @Test("unknown and known names get the same answers, throttled alike; waiting out the delay lets the owner in")
    func sameAnswers() async throws {
        let clock = ManualClock()
        try await TestNode.run(configuration: Self.proxied(clock: clock), live: true) { node, client in
            var known: [String] = []
            var unknown: [String] = []
            for _ in 1...6 {
                let k = try await Self.signIn(client, "admin", "wrong-password-1", from: "198.51.100.7")
                known.append("\(k.0.code) \(k.1)")
                let u = try await Self.signIn(client, "nobody-here", "wrong-password-1", from: "198.51.100.8")
                unknown.append("\(u.0.code) \(u.1)")
            }
            #expect(known == unknown)
            #expect(known.last?.hasPrefix("429 sign_in_throttled") == true)
            // The delay grows, but it is a delay: once it has passed, the right password works from there too.
            clock.advance(.seconds(1))
            #expect(try await Self.signIn(client, "admin", node.operatorPassword, from: "198.51.100.7").0 == .ok)
        }
    }

    @Test("the throttle doubles its delay past the free failures, forgives a success and caps the per-name wait")
    func throttleRules() throws {
        let clock = ManualClock()
        let throttle = SignInThrottle(now: { clock.now })
        for _ in 1...3 { throttle.failed(.console, account: "Admin", address: "198.51.100.7") }
        try throttle.check(.console, account: "admin", address: "198.51.100.7")
        throttle.failed(.console, account: "admin ", address: "198.51.100.7")
        let first = #expect(throws: AccessError.self) {
            try throttle.check(.console, account: "ADMIN", address: "198.51.100.7")
        }
        #expect(first?.code == "sign_in_throttled" && first?.message.en.contains("in 1 s") == true)
        try throttle.check(.portal, account: "admin", address: "198.51.100.7")
        clock.advance(.seconds(1))
        throttle.failed(.console, account: "admin", address: "198.51.100.7")
        let error = #expect(throws: AccessError.self) {
            try throttle.check(.console, account: "admin", address: "198.51.100.7")
        }
        #expect(error?.code == "sign_in_throttled" && error?.message.en.contains("2 s") == true)
        clock.advance(.seconds(2))
        throttle.succeeded(.console, account: "admin", address: "198.51.100.7")
        try throttle.check(.console, account: "admin", address: "198.51.100.7")
        // Many addresses guessing one name: it is slowed, for a minute at most, never locked.
        for index in 0..<40 { throttle.failed(.console, account: "admin", address: "192.0.2.\(index)") }
        let capped = #expect(throws: AccessError.self) {
            try throttle.check(.console, account: "admin", address: "203.0.113.1")
        }
        #expect(capped?.message.en.contains("60 s") == true)
        clock.advance(.seconds(60))
        try throttle.check(.console, account: "admin", address: "203.0.113.1")
    }

    @Test("attempts sent at once count before their passwords are checked: a burst gets no more tries than a sequence")
    func burstThrottled() throws {
        let clock = ManualClock()
        let throttle = SignInThrottle(now: { clock.now })
        // Three free failures for one address and name: three attempts may be under way, the fourth must wait.
        for _ in 1...3 { try throttle.check(.console, account: "admin", address: "198.51.100.9") }
        #expect(throws: AccessError.self) { try throttle.check(.console, account: "admin", address: "198.51.100.9") }
        for _ in 1...3 { throttle.failed(.console, account: "admin", address: "198.51.100.9") }
        // The free failures are spent: one attempt at a time from now on, then the waits begin.
        try throttle.check(.console, account: "admin", address: "198.51.100.9")
        #expect(throws: AccessError.self) { try throttle.check(.console, account: "admin", address: "198.51.100.9") }
        throttle.failed(.console, account: "admin", address: "198.51.100.9")
        #expect(throws: AccessError.self) { try throttle.check(.console, account: "admin", address: "198.51.100.9") }
        // An attempt that never reported back stops counting after a while.
        let other = SignInThrottle(now: { clock.now })
        for _ in 1...3 { try other.check(.console, account: "li", address: "198.51.100.10") }
        clock.advance(SignInThrottle.attemptLifetime)
        try other.check(.console, account: "li", address: "198.51.100.10")
    }

    @Test("the portal's developer sign-in uses the same throttle: an unknown address answers as a known one")
    func portalThrottle() async throws {
        let clock = ManualClock()
        var configuration = TestNode.configuration
        configuration.signInClock = { clock.now }
        try await TestNode.run(configuration: configuration) { _, client in
            _ = try await DeveloperPortalTests.register("dev@example.com", client)
            var known: [HTTPResponse.Status] = []
            var unknown: [HTTPResponse.Status] = []
            for _ in 1...5 {
                known.append(
                    try await DeveloperPortalTests.postAnonymous(
                        "/portal/login", to: "/portal/login",
                        [("email", "dev@example.com"), ("password", "wrong-pass-1")], client
                    ).0)
                unknown.append(
                    try await DeveloperPortalTests.postAnonymous(
                        "/portal/login", to: "/portal/login",
                        [("email", "ghost@example.com"), ("password", "wrong-pass-1")], client
                    ).0)
            }
            #expect(known == [.unauthorized, .unauthorized, .unauthorized, .unauthorized, .tooManyRequests])
            #expect(known == unknown)
        }
    }

    // MARK: Finding 6

    @Test("common passwords and passwords containing the user name are refused wherever a password is set")
    func passwordPolicy() async throws {
        try await TestNode.run { node, client in
            let bureau = node.bureau.id
            for (username, password) in [
                ("zhang.wei", "password123"), ("zhang.wei", "1234567890qwerty"),
                ("zhang.wei", "Zhang.Wei-2026"),
            ] {
                let (status, body) = try await client.failure(
                    .post, "/api/v1/users", token: node.operatorToken,
                    input: AccountsAPI.CreateUserInput(
                        username: username, displayName: "张伟", departmentID: bureau, roles: ["auditor"],
                        password: password))
                #expect(status == .badRequest && body.fields == ["password"], "\(password)")
            }
            let (created, createdBody) = try await client.send(
                .post, "/api/v1/users", token: node.operatorToken,
                input: AccountsAPI.CreateUserInput(
                    username: "zhang.wei", displayName: "张伟", departmentID: bureau, roles: ["auditor"],
                    password: "tea-garden-77"),
                as: AccountsAPI.CreatedUser.self)
            #expect(created == .created)
            let userID = createdBody.user.id
            // An operator's reset, and the user's own change.
            let (reset, resetBody) = try await client.failure(
                .post, "/api/v1/users/\(userID)/password", token: node.operatorToken,
                input: AccountsAPI.PasswordInput(newPassword: "qwerty123456"))
            #expect(reset == .badRequest && resetBody.fields == ["password"])
            let me = try #require(try await node.store.users.find(username: "admin"))
            let (own, ownBody) = try await client.failure(
                .post, "/api/v1/users/\(me.id)/password", token: node.operatorToken,
                input: AccountsAPI.PasswordInput(currentPassword: node.operatorPassword, newPassword: "admin-rules-1"))
            #expect(own == .badRequest && ownBody.fields == ["password"])
            // Portal registration: the e-mail address's local part, and a common password.
            for password in ["xiaoming2026x", "password123"] {
                let (status, page, _) = try await DeveloperPortalTests.postAnonymous(
                    "/portal/register", to: "/portal/register",
                    [
                        ("email", "xiaoming2026@example.com"), ("name", "张小明"),
                        ("idNumber", DeveloperPortalTests.idNumber), ("password", password),
                        ("acceptedAgreement", "yes"),
                    ], client)
                #expect(status == .badRequest && page.contains(#"id="password-error""#), "\(password)")
            }
            #expect(try await node.store.developers.count() == 0)
        }
    }

    // MARK: Finding 7

    static func expiry(_ body: AccountsAPI.CreatedToken) throws -> Date {
        try #require(body.token.expiresAt)
    }

    static func token(_ name: String, expiresAt: Date? = nil) -> AccountsAPI.TokenInput {
        AccountsAPI.TokenInput(name: name, expiresAt: expiresAt)
    }

    @Test("a personal token lives 90 days by default, 365 at most, and never longer than the token that makes it")
    func tokenLifetimes() async throws {
        try await TestNode.run { node, client in
            let now = Date()
            let (made, madeBody) = try await client.send(
                .post, "/api/v1/tokens", token: node.operatorToken, input: Self.token("script"),
                as: AccountsAPI.CreatedToken.self)
            #expect(made == .created)
            let days = try Self.expiry(madeBody).timeIntervalSince(now) / 86400
            #expect(days > 89.9 && days < 90.1)
            let tooLong = now.addingTimeInterval(400 * 86400)
            let (refused, refusedBody) = try await client.failure(
                .post, "/api/v1/tokens", token: node.operatorToken, input: Self.token("forever", expiresAt: tooLong))
            #expect(refused == .badRequest && refusedBody.fields == ["expiresAt"])

            // A token with ten days left makes tokens with at most ten days.
            let tenDays = now.addingTimeInterval(10 * 86400)
            let (_, shortBody) = try await client.send(
                .post, "/api/v1/tokens", token: node.operatorToken, input: Self.token("short", expiresAt: tenDays),
                as: AccountsAPI.CreatedToken.self)
            let short = shortBody.secret
            // Under 国密 only the SM3 of a new token is kept; the token itself then works as any other.
            let kept = try await node.store.provider.read { sql in
                try await sql.raw("SELECT token_digest FROM api_tokens WHERE name = 'short'").first()?
                    .decode(column: "token_digest", as: String.self)
            }
            #expect(kept?.hasPrefix("sm3:") == true && kept?.contains(short) == false)
            let (child, childBody) = try await client.send(
                .post, "/api/v1/tokens", token: short, input: Self.token("child"), as: AccountsAPI.CreatedToken.self)
            #expect(child == .created)
            #expect(try Self.expiry(childBody) <= Self.expiry(shortBody))
            let twentyDays = now.addingTimeInterval(20 * 86400)
            let (longer, longerBody) = try await client.failure(
                .post, "/api/v1/tokens", token: short, input: Self.token("longer", expiresAt: twentyDays))
            #expect(longer == .badRequest && longerBody.fields == ["expiresAt"])
        }
    }

    @Test("a password change ends the user's other sessions and tokens, unless they ask to keep them")
    func passwordChangeRevokes() async throws {
        try await TestNode.run { node, client in
            let (user, first) = try await node.user("gaj.officer", department: node.bureau, roles: [.auditor])
            let (_, secondBody) = try await client.send(
                .post, "/api/v1/tokens", token: first, input: Self.token("b"), as: AccountsAPI.CreatedToken.self)
            let second = secondBody.secret
            let (_, _, headers) = try await client.exchange(
                .post, Self.login, token: nil,
                input: AuthAPI.LoginInput(username: "gaj.officer", password: "password-123"), headers: [:])
            let cookie = try #require(PagesAndContractTests.cookie("huitong_session", in: headers))

            // Kept explicitly: everything stays open.
            let kept = try await client.status(
                .post, "/api/v1/users/\(user.id)/password", token: first,
                input: AccountsAPI.PasswordInput(
                    currentPassword: "password-123", newPassword: "river-stone-42", keepOtherSessions: true))
            #expect(kept == .ok)
            #expect(try await client.status(.get, "/api/v1/me", token: second) == .ok)
            #expect(try await client.status(.get, "/api/v1/me", headers: [.cookie: cookie]) == .ok)

            // By default the others end; the token used for the change still works.
            let changed = try await client.status(
                .post, "/api/v1/users/\(user.id)/password", token: first,
                input: AccountsAPI.PasswordInput(currentPassword: "river-stone-42", newPassword: "maple-field-58"))
            #expect(changed == .ok)
            #expect(try await client.status(.get, "/api/v1/me", token: first) == .ok)
            #expect(try await client.status(.get, "/api/v1/me", token: second) == .unauthorized)
            #expect(try await client.status(.get, "/api/v1/me", headers: [.cookie: cookie]) == .unauthorized)
        }
    }
}
