import Foundation
import HuitongCore
import HuitongServices
import HuitongStore
import Hummingbird

/// `POST /api/v1/auth/login` and `/logout`: a session for scripts and single-page clients.
struct AuthAPI {
    let accounts: AccountUseCases
    let cookies: CookieSettings
    let sessionLifetime: Duration

    func register(on api: RouterGroup<HuitongRequestContext>) {
        api.post("auth/login", use: login)
        api.post("auth/logout", use: logout)
    }

    struct LoginInput: Codable {
        var username: String
        var password: String
    }

    struct LoginResult: Codable {
        var user: User
        /// Send back as `X-CSRF-Token` on every state-changing request made with the session cookie.
        var csrfToken: String
        var expiresAt: Date
    }

    func login(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let input = try await request.decodeJSON(LoginInput.self, context: context)
        let user = try await accounts.authenticate(
            username: input.username, password: input.password, address: accounts.clientAddress(request, context))
        let secret = Secrets.issue(.session, suite: accounts.suite)
        let session = try await accounts.store.sessions.create(
            userID: user.id, digest: secret.digest, csrfToken: Secrets.randomBase64URL(byteCount: 24),
            expiresAt: Date().addingTimeInterval(sessionLifetime.timeInterval))
        var response = try JSONResponse.make(
            LoginResult(user: user, csrfToken: session.csrfToken, expiresAt: session.expiresAt))
        response.setCookie(cookies.session(secret.plaintext, lifetime: sessionLifetime))
        return response
    }

    func logout(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        _ = try context.requireUser()
        if let cookie = request.cookies[CookieSettings.sessionCookie] {
            try await accounts.store.sessions.delete(digest: Secrets.digest(of: cookie.value))
        }
        var response = Response(status: .noContent)
        response.setCookie(cookies.expired(CookieSettings.sessionCookie))
        return response
    }
}
