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
    package var isCookieAuthenticated: Bool {
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
