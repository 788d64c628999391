import Foundation
import HuitongCore
import HuitongServices
import HuitongStore
import Hummingbird

/// Sign-in and sign-out (the home page is the portal's, `PortalPages.home`; the console is `ConsolePages`).
struct AuthPages {
    let accounts: AccountUseCases
    let pages: PageRenderer
    let cookies: CookieSettings
    let sessionLifetime: Duration
    var store: Store { accounts.store }

    func register(on router: Router<HuitongRequestContext>) {
        router.get("/login", use: loginForm)
        router.post("/login", use: login)
        router.post("/logout", use: logout)
        router.get("/static/app.css", use: stylesheet)
        router.get("/static/console.js", use: script)
    }

    struct LoginForm: Decodable {
        var username: String?
        var password: String?
        var _csrf: String?
        var next: String?
    }

    func loginForm(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        if context.principal?.user != nil { return .redirect(to: "/console", type: .normal) }
        let next = request.uri.queryParameters["next"].map(String.init) ?? ""
        return renderLogin(request: request, context: context, username: "", next: next, error: nil, status: .ok)
    }

    /// The sign-in form is protected by a double-submit token: a random cookie that the form must echo.
    private func renderLogin(
        request: Request, context: HuitongRequestContext, username: String, next: String, error: String?,
        status: HTTPResponse.Status
    ) -> Response {
        let formToken = request.cookies[CookieSettings.formCookie]?.value ?? Secrets.randomBase64URL(byteCount: 24)
        let page = LoginPage(formToken: formToken, username: username, next: Self.safeNext(next), error: error)
        var response = pages.render(.login, page, context: context, status: status)
        response.setCookie(cookies.form(formToken))
        rememberLanguage(request, &response)
        return response
    }

    func login(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let form = try await request.decodeForm(LoginForm.self, context: context)
        let username = (form.username ?? "").trimmingCharacters(in: .whitespaces)
        let next = form.next ?? ""
        guard let sent = form._csrf, let expected = request.cookies[CookieSettings.formCookie]?.value,
            Secrets.constantTimeEquals(sent, expected)
        else {
            return renderLogin(
                request: request, context: context, username: username, next: next,
                error: APIError.csrfFailed.message.text(context.language), status: .forbidden)
        }
        guard !username.isEmpty, let password = form.password, !password.isEmpty else {
            return renderLogin(
                request: request, context: context, username: username, next: next,
                error: pages.text("login_missing", context.language), status: .badRequest)
        }
        let user: User
        do {
            user = try await accounts.authenticate(
                username: username, password: password, address: accounts.clientAddress(request, context))
        } catch let error as AccessError {
            context.logger.notice("sign-in refused", metadata: ["username": "\(username)", "reason": "\(error.code)"])
            return renderLogin(
                request: request, context: context, username: username, next: next,
                error: error.message.text(context.language), status: error.kind.status)
        }
        let secret = Secrets.issue(.session, suite: accounts.suite)
        _ = try await store.sessions.create(
            userID: user.id, digest: secret.digest, csrfToken: Secrets.randomBase64URL(byteCount: 24),
            expiresAt: Date().addingTimeInterval(sessionLifetime.timeInterval))
        context.logger.info("signed in", metadata: ["username": "\(user.username)"])
        var response = Response.redirect(
            to: Self.safeNext(next).isEmpty ? "/console" : Self.safeNext(next), type: .normal)
        response.setCookie(cookies.session(secret.plaintext, lifetime: sessionLifetime))
        response.setCookie(cookies.expired(CookieSettings.formCookie))
        return response
    }

    struct LogoutForm: Decodable {
        var _csrf: String?
    }

    func logout(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let form = try await request.decodeForm(LogoutForm.self, context: context)
        if let cookie = request.cookies[CookieSettings.sessionCookie], let expected = context.csrfToken {
            guard let sent = form._csrf, Secrets.constantTimeEquals(sent, expected) else { throw APIError.csrfFailed }
            try await store.sessions.delete(digest: Secrets.digest(of: cookie.value))
        }
        var response = Response.redirect(to: "/login", type: .normal)
        response.setCookie(cookies.expired(CookieSettings.sessionCookie))
        return response
    }

    func stylesheet(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "public, max-age=3600"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: pages.stylesheet)))
    }

    func script(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "text/javascript; charset=utf-8", .cacheControl: "public, max-age=3600"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: pages.script)))
    }

    /// `?lang=` switches the language and keeps it for later pages.
    private func rememberLanguage(_ request: Request, _ response: inout Response) {
        if let language = request.uri.queryParameters["lang"].flatMap({ Language(rawValue: String($0)) }) {
            response.setCookie(cookies.language(language))
        }
    }

    /// Only local paths are followed after sign-in, so the form cannot be used to bounce users elsewhere.
    static func safeNext(_ next: String) -> String {
        guard next.hasPrefix("/"), !next.hasPrefix("//"), !next.contains("\\"), !next.contains("\r"),
            !next.contains("\n")
        else { return "" }
        return next
    }
}

extension BilingualText {
    func text(_ language: Language) -> String {
        language == .zh ? zh : en
    }
}
