import Foundation
import HTTPTypes
import HuitongCore
import HuitongServices
import HuitongStore
import Hummingbird

/// Establishes who is calling: an HMAC-signed request or a bearer token of an application system, a personal
/// bearer token, or the session cookie. Requests that change state on the strength of the cookie must also carry
/// the session's CSRF token. Every `/api/v1` route but the few `AnonymousRoutes` needs a caller: anonymous
/// requests answer 401 here, before the route's handler runs.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = HuitongRequestContext
    let accounts: AccountUseCases
    let credentials: CredentialUseCases
    let cookies: CookieSettings

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        var context = context
        if let language = request.uri.queryParameters["lang"].flatMap({ Language(rawValue: String($0)) }) {
            context.language = language
        } else if let language = request.cookies["huitong_lang"].flatMap({ Language(rawValue: $0.value) }) {
            context.language = language
        }
        if Self.isAnonymousInterop(request.uri.path) {
            // The CKAN-compatible API serves open metadata only. CKAN clients send their own API key without
            // "Bearer" (ckanapi -a KEY) and harvesters post without CSRF tokens; neither means anything here.
            return try await next(request, context)
        }
        if let authorization = request.headers[.authorization] {
            if RequestSignature.isSigned(authorization) {
                var request = request
                context.principal = try await credentials.principal(forSigned: &request, authorization: authorization)
                return try await next(request, context)
            }
            guard let secret = Self.bearerSecret(authorization) else { throw AccessError.invalidToken }
            if request.uri.path.hasPrefix("/gateway/") && Secrets.kind(of: secret) == .system {
                context.gatewayBearer = secret
                return try await next(request, context)
            }
            context.principal = try await accounts.principal(forBearer: secret)
            return try await next(request, context)
        }
        var clearStaleCookie = false
        if let cookie = request.cookies[CookieSettings.sessionCookie] {
            let digest = Secrets.digest(of: cookie.value)
            if let session = try await accounts.store.sessions.find(digest: digest, now: Date()),
                let user = try await accounts.store.users.find(id: session.userID), user.isActive
            {
                context.principal = .user(user, .session(session))
                context.csrfToken = session.csrfToken
            } else {
                clearStaleCookie = true
            }
        }
        var clearStaleDeveloperCookie = false
        if let cookie = request.cookies[CookieSettings.developerCookie] {
            let developers = accounts.store.developers
            if let session = try await developers.session(digest: Secrets.digest(of: cookie.value), now: Date()),
                let developer = try await developers.find(id: session.developerID), developer.isActive
            {
                context.developer = developer
                context.developerCSRF = session.csrfToken
            } else {
                clearStaleDeveloperCookie = true
            }
        }
        if context.principal == nil, AnonymousRoutes.requireSignIn(request.method, endpointPath: context.endpointPath) {
            // Before any handler looks up an id or reads a body: a stranger learns nothing but "sign in".
            throw APIError.unauthenticated
        }
        if context.principal?.isCookieAuthenticated == true, request.method.isUnsafe,
            request.uri.path.hasPrefix("/api/")
        {
            // Pages check the form field themselves; script calls to the API must send the header.
            guard let sent = request.headers[.csrfToken], let expected = context.csrfToken,
                Secrets.constantTimeEquals(sent, expected)
            else {
                throw APIError.csrfFailed
            }
        }
        var response = try await next(request, context)
        // A stale cookie is cleared, unless the response sets a new one (a sign-in): clearing it after would sign
        // the caller straight out again.
        let setting = response.headers[values: .setCookie]
        func sets(_ name: String) -> Bool { setting.contains { $0.hasPrefix("\(name)=") } }
        if clearStaleCookie && !sets(CookieSettings.sessionCookie) {
            response.setCookie(cookies.expired(CookieSettings.sessionCookie))
        }
        if clearStaleDeveloperCookie && !sets(CookieSettings.developerCookie) {
            response.setCookie(cookies.expired(CookieSettings.developerCookie))
        }
        return response
    }
}

extension AuthenticationMiddleware {
    static func isAnonymousInterop(_ path: String) -> Bool {
        path.hasPrefix("/api/3/action/") || path.hasPrefix("/api/action/")
    }

    /// The credential of an `Authorization: Bearer …` header (the scheme in any case), or nil for another scheme.
    /// Every gateway call passes here: lower-casing the whole header and trimming through Foundation's NSString
    /// bridge cost 1.3 % of the gateway benchmark's CPU (perf), so the prefix is compared byte by byte.
    static func bearerSecret(_ authorization: String) -> String? {
        let scheme = "bearer ".utf8
        let header = authorization.utf8
        guard header.count >= scheme.count,
            zip(header.prefix(scheme.count), scheme).allSatisfy({ sent, expected in
                sent == expected || (expected != UInt8(ascii: " ") && sent | 0x20 == expected)
            })
        else { return nil }
        return String(authorization.utf8.dropFirst(scheme.count))?.trimmedOfWhitespace()
    }
}

extension HTTPRequest.Method {
    var isUnsafe: Bool { ![.get, .head, .options].contains(self) }
}

extension HTTPField.Name {
    static let csrfToken = HTTPField.Name("X-CSRF-Token")!
}

/// How Huitong's cookies are issued.
struct CookieSettings: Sendable {
    static let sessionCookie = "huitong_session"
    static let formCookie = "huitong_csrf"
    static let languageCookie = "huitong_lang"
    /// A portal developer's session: a cookie of its own, so that signing in to the portal never signs anyone in
    /// to the console.
    static let developerCookie = "huitong_developer"
    let secure: Bool

    func session(_ value: String, lifetime: Duration) -> Cookie {
        Cookie(
            name: Self.sessionCookie, value: value, maxAge: Int(lifetime.components.seconds), path: "/", secure: secure,
            httpOnly: true, sameSite: .lax)
    }

    func developer(_ value: String, lifetime: Duration) -> Cookie {
        Cookie(
            name: Self.developerCookie, value: value, maxAge: Int(lifetime.components.seconds), path: "/",
            secure: secure, httpOnly: true, sameSite: .lax)
    }

    func form(_ value: String) -> Cookie {
        Cookie(name: Self.formCookie, value: value, path: "/", secure: secure, httpOnly: true, sameSite: .strict)
    }

    func language(_ language: Language) -> Cookie {
        Cookie(
            name: Self.languageCookie, value: language.rawValue, maxAge: 365 * 86400, path: "/", secure: secure,
            httpOnly: false, sameSite: .lax)
    }

    func expired(_ name: String) -> Cookie {
        Cookie(name: name, value: "", maxAge: 0, path: "/", secure: secure, httpOnly: true, sameSite: .lax)
    }
}
