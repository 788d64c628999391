import Foundation
import HuitongCore
import HuitongServices
import HuitongStore
import Hummingbird

/// The portal's developer pages: real-name registration, sign-in and sign-out, and the account page with the
/// developer's applications and self-service API keys.
struct DeveloperPages {
    let service: DeveloperUseCases
    let pages: PageRenderer
    let cookies: CookieSettings
    let sessionLifetime: Duration
    let links: OpenDataLinks
    let registrations: PublicRequestLimiter
    var store: Store { service.store }

    init(
        service: DeveloperUseCases, pages: PageRenderer, cookies: CookieSettings, sessionLifetime: Duration,
        links: OpenDataLinks
    ) {
        self.service = service
        self.links = links
        self.pages = pages
        self.cookies = cookies
        self.sessionLifetime = sessionLifetime
        self.registrations = PublicRequestLimiter(
            limit: service.settings.registrationLimit, window: service.settings.registrationWindow)
    }

    func register(on router: Router<HuitongRequestContext>) {
        router.get("/portal/register", use: registrationForm)
        router.post("/portal/register", use: registerDeveloper)
        router.get("/portal/login", use: loginForm)
        router.post("/portal/login", use: login)
        router.post("/portal/logout", use: logout)
        router.get("/portal/account", use: account)
        router.post("/portal/account/keys", use: createKey)
        router.post("/portal/account/keys/:id/revoke", use: revokeKey)
    }

    // MARK: Registration

    func registrationForm(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        if context.developer != nil { return .redirect(to: "/portal/account", type: .normal) }
        return renderRegistration(request, context, form: ConsoleForm(encoded: ""), errors: FieldErrors(), status: .ok)
    }

    private func renderRegistration(
        _ request: Request, _ context: HuitongRequestContext, form: ConsoleForm, errors: FieldErrors,
        message: String? = nil, status: HTTPResponse.Status
    ) -> Response {
        var page = PortalRegisterPage(
            email: form["email"], name: form["name"], idNumber: form["idNumber"], organisation: form["organisation"],
            organisationCode: form["organisationCode"], acceptedAgreement: form["acceptedAgreement"] == "yes",
            next: AuthPages.safeNext(form["next"]), message: message)
        page.show(errors, order: pages.fieldOrder(.portalRegister))
        return PortalForm.page(
            .portalRegister, page, request: request, context: context, status: status, pages: pages,
            cookies: cookies)
    }

    func registerDeveloper(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let (form, genuine) = try await PortalForm.anonymous(request)
        guard genuine else {
            return renderRegistration(
                request, context, form: form, errors: FieldErrors(),
                message: APIError.csrfFailed.message.text(context.language), status: .forbidden)
        }
        guard registrations.take(context.peerAddress ?? "unknown") else {
            return renderRegistration(
                request, context, form: form, errors: FieldErrors(),
                message: pages.text("register_too_many", context.language), status: .tooManyRequests)
        }
        let registration = DeveloperRegistration(
            email: form["email"], name: form["name"], idNumber: form["idNumber"], organisation: form["organisation"],
            organisationCode: form["organisationCode"], password: form["password"],
            acceptedAgreement: form["acceptedAgreement"] == "yes")
        let developer: Developer
        do {
            developer = try await service.register(registration)
        } catch let error as ValidationError {
            return renderRegistration(
                request, context, form: form, errors: FieldErrors(error, context.language), status: .badRequest)
        } catch let error as StoreError {
            guard case .duplicate(let field, _) = error else { throw error }
            var errors = FieldErrors()
            if field == "idNumber" {
                errors.add("idNumber", pages.text("register_identity_taken", context.language))
            } else {
                errors.add("email", pages.text("register_email_taken", context.language))
            }
            return renderRegistration(request, context, form: form, errors: errors, status: .conflict)
        }
        context.logger.info("developer registered", metadata: ["developer": "\(developer.id)"])
        return try await signIn(developer, next: AuthPages.safeNext(form["next"]), welcome: true)
    }

    // MARK: Sign-in

    func loginForm(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        if context.developer != nil { return .redirect(to: "/portal/account", type: .normal) }
        let next = request.uri.queryParameters["next"].map(String.init) ?? ""
        return renderLogin(request, context, email: "", next: next, error: nil, status: .ok)
    }

    private func renderLogin(
        _ request: Request, _ context: HuitongRequestContext, email: String, next: String, error: String?,
        status: HTTPResponse.Status
    ) -> Response {
        PortalForm.page(
            .portalLogin, PortalLoginPage(email: email, next: AuthPages.safeNext(next), error: error),
            request: request, context: context, status: status, pages: pages, cookies: cookies)
    }

    func login(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let (form, genuine) = try await PortalForm.anonymous(request)
        guard genuine else {
            return renderLogin(
                request, context, email: form["email"], next: form["next"],
                error: APIError.csrfFailed.message.text(context.language), status: .forbidden)
        }
        let email = form["email"].trimmingCharacters(in: .whitespaces)
        guard !email.isEmpty, !form["password"].isEmpty else {
            return renderLogin(
                request, context, email: email, next: form["next"],
                error: pages.text("portal_login_missing", context.language), status: .badRequest)
        }
        do {
            let developer = try await service.authenticate(
                email: email, password: form["password"], address: service.accounts.clientAddress(request, context))
            return try await signIn(developer, next: AuthPages.safeNext(form["next"]), welcome: false)
        } catch let error as AccessError {
            context.logger.notice("developer sign-in refused", metadata: ["reason": "\(error.code)"])
            return renderLogin(
                request, context, email: email, next: form["next"], error: error.message.text(context.language),
                status: error.kind.status)
        }
    }

    private func signIn(_ developer: Developer, next: String, welcome: Bool) async throws -> Response {
        let secret = Secrets.issue(.session, suite: service.accounts.suite)
        _ = try await store.developers.createSession(
            developerID: developer.id, digest: secret.digest, csrfToken: Secrets.randomBase64URL(byteCount: 24),
            expiresAt: Date().addingTimeInterval(sessionLifetime.timeInterval))
        let target = next.isEmpty ? (welcome ? "/portal/account?done=registered" : "/portal/account") : next
        var response = Response.redirect(to: target, type: .normal)
        response.setCookie(cookies.developer(secret.plaintext, lifetime: sessionLifetime))
        response.setCookie(cookies.expired(CookieSettings.formCookie))
        return response
    }

    func logout(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        if let cookie = request.cookies[CookieSettings.developerCookie], context.developer != nil {
            _ = try await PortalForm.developer(request, context: context)
            try await store.developers.deleteSession(digest: Secrets.digest(of: cookie.value))
        }
        var response = Response.redirect(to: "/", type: .normal)
        response.setCookie(cookies.expired(CookieSettings.developerCookie))
        return response
    }

    // MARK: Account

    /// A page only a signed-in developer sees; others are sent to sign in and brought back.
    func signedIn(
        _ request: Request, _ context: HuitongRequestContext, _ build: (Developer) async throws -> Response
    ) async throws -> Response {
        guard let developer = context.developer else {
            return .redirect(to: "/portal/login?next=\(request.uri.path)", type: .normal)
        }
        return try await build(developer)
    }

    func account(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await signedIn(request, context) { developer in
            try await renderAccount(request, context, developer, newKey: nil, errors: FieldErrors(), status: .ok)
        }
    }

    private func renderAccount(
        _ request: Request, _ context: HuitongRequestContext, _ developer: Developer,
        newKey: (key: DeveloperKey, secret: String)?, errors: FieldErrors, label: String = "",
        message: String? = nil, status: HTTPResponse.Status
    ) async throws -> Response {
        let language = context.language
        let now = Date()
        let requests = try await store.developers.requests(developerID: developer.id)
        let keys = try await store.developers.keys(developerID: developer.id)
        // Mustache renders a section for an empty string: absent values are left out instead.
        let profile = PortalAccountPage.Profile(
            name: developer.name, email: developer.email, identityHint: developer.identityHint,
            since: PortalPages.dateTime(developer.createdAt),
            organisation: developer.organisation.isEmpty ? nil : developer.organisation,
            organisationCode: developer.organisationCode)
        var page = PortalAccountPage(
            developer: profile,
            requests: requests.map { OpenAccessPages.row($0, now: now, language: language) },
            hasRequests: !requests.isEmpty,
            keys: keys.map { key in
                PortalAccountPage.Key(
                    id: key.id, label: key.label, hint: key.hint, created: PortalPages.dateTime(key.createdAt),
                    lastUsed: key.lastUsedAt.map(PortalPages.dateTime) ?? "—", active: key.isActive,
                    revoked: key.revokedAt.map(PortalPages.dateTime) ?? "")
            },
            hasKeys: !keys.isEmpty,
            keyLimit: service.settings.keysPerDeveloper,
            label: label,
            apiExample:
                "curl -sS -H 'X-API-Key: \(newKey?.secret ?? "hdk_…")' '\(links.base)/api/v1/open/datasets/{id}/rows?limit=100'",
            newKey: newKey.map { PortalAccountPage.NewKey(label: $0.key.label, secret: $0.secret) },
            message: message)
        if let done = request.uri.queryParameters["done"].map(String.init),
            ["registered", "revoked", "applied"].contains(done)
        {
            page.notice = pages.text("developer_done_\(done)", language)
        }
        page.show(errors, order: pages.fieldOrder(.portalAccount))
        var response = pages.render(.portalAccount, page, context: context, status: status)
        // A page that may show a key once must not be kept by any cache.
        response.headers[.cacheControl] = "no-store"
        return response
    }

    func createKey(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await signedIn(request, context) { developer in
            let form = try await PortalForm.developer(request, context: context)
            do {
                let issued = try await service.createKey(for: developer, label: form["label"])
                context.logger.info("developer key issued", metadata: ["developer": "\(developer.id)"])
                return try await renderAccount(
                    request, context, developer, newKey: issued, errors: FieldErrors(), status: .created)
            } catch let error as ValidationError {
                return try await renderAccount(
                    request, context, developer, newKey: nil, errors: FieldErrors(error, context.language),
                    label: form["label"],
                    status: .badRequest)
            } catch let error as StoreError {
                guard case .conflict(let message) = error else { throw error }
                return try await renderAccount(
                    request, context, developer, newKey: nil, errors: FieldErrors(), label: form["label"],
                    message: message.text(context.language), status: .conflict)
            }
        }
    }

    func revokeKey(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await signedIn(request, context) { developer in
            _ = try await PortalForm.developer(request, context: context)
            guard let id = context.parameters.get("id").flatMap(Int64.init),
                try await store.developers.revokeKey(id: id, developerID: developer.id, at: Date()) != nil
            else { throw StoreError.notFound(entity: "key", key: context.parameters.get("id") ?? "") }
            return .redirect(to: "/portal/account?done=revoked", type: .normal)
        }
    }
}
