import HuitongCore
import HuitongStore

/// Who is making a request, and how they proved it.
public enum Principal: Sendable {
    /// A person, signed in through the browser (with a session) or presenting a personal API token.
    case user(User, Credential)
    /// A consumer department's application system, presenting its credential.
    case system(ApplicationSystem, APIToken)

    public enum Credential: Sendable {
        case session(Session)
        case token(APIToken)
    }

    public var user: User? {
        if case .user(let user, _) = self { return user }
        return nil
    }

    /// The department the caller acts for.
    public var departmentID: Int64 {
        switch self {
        case .user(let user, _): user.departmentID
        case .system(let system, _): system.departmentID
        }
    }

    /// Requests riding on a browser cookie must prove they came from our own pages (CSRF).
    var isCookieAuthenticated: Bool {
        if case .user(_, .session) = self { return true }
        return false
    }
}

extension Principal {
    /// The application system and the credential it authenticated with (bearer or signature), if it is one.
    public var system: (system: ApplicationSystem, credential: APIToken)? {
        if case .system(let system, let credential) = self { return (system, credential) }
        return nil
    }
}

extension HuitongRequestContext {
    /// The calling application system, or 401 without credentials and 403 for a person: endpoints that serve
    /// consumer systems (the gateway) take their callers from here.
    public func requireSystem() throws(APIError) -> (system: ApplicationSystem, credential: APIToken) {
        guard let principal else { throw APIError.unauthenticated }
        guard let system = principal.system else {
            throw APIError.forbidden(
                BilingualText(
                    zh: "此接口只接受应用系统凭证", en: "this endpoint takes application-system credentials only"))
        }
        return system
    }
}
