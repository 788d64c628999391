import Foundation
import HuitongCore
import HuitongServices
import Hummingbird
import Logging
import NIOCore

/// Per-request state: who is calling and which language they read.
public struct HuitongRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var principal: Principal?
    /// The anti-forgery token of the caller's session, if any.
    public var csrfToken: String?
    public var language: Language = .zh
    /// The portal developer signed in on this browser, and their session's anti-forgery token. Independent of
    /// `principal`: a developer never acts in the console, and an officer is not a developer.
    public var developer: Developer?
    var developerCSRF: String?
    /// An application system's bearer secret on a gateway call, not yet checked: the gateway reads the credential
    /// together with the caller's grants in one statement instead of in two.
    var gatewayBearer: String?
    /// The connection, kept so that the few endpoints limited per client (the public objection form) can read its
    /// peer address without every request paying for the lookup.
    let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.channel = source.channel
    }

    /// The client's IP address as the connection shows it; nil when unknown (e.g. tests through the router).
    var peerAddress: String? { channel.remoteAddress?.ipAddress }

    /// JSON bodies are small; bulk data arrives through the streaming upload endpoints instead.
    public var maxUploadSize: Int { Self.jsonBodyLimit }
    static let jsonBodyLimit = 2 * 1024 * 1024

    /// The signed-in person, or 401.
    public func requireUser() throws -> User {
        guard let principal else { throw APIError.unauthenticated }
        guard let user = principal.user else {
            throw AccessError.forbidden(
                BilingualText(zh: "应用系统凭证不能访问此接口", en: "application-system credentials cannot use this endpoint"))
        }
        return user
    }

    /// The signed-in officer, if the policy lets them do `action` to an object of their own department, or
    /// 401/403: the check asked before the object is looked up (whether the officer holds a role for it at all),
    /// and the whole check where the object's department does not matter.
    @discardableResult
    public func require(_ action: OfficerAction) throws -> User {
        let user = try requireUser()
        try AccessPolicy.require(user, action)
        return user
    }

    /// The signed-in officer, if the policy lets them do `action` to an object of `department`, or 401/403.
    @discardableResult
    public func require(_ action: OfficerAction, department: Int64?) throws -> User {
        let user = try requireUser()
        try AccessPolicy.require(user, action, department: department)
        return user
    }
}

public enum Language: String, Sendable, CaseIterable {
    case zh
    case en
}
