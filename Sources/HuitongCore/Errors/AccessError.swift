/// Why an actor may not do what it asked: the use cases throw these, every edge (API, page, CLI) explains them.
public enum AccessError: HuitongError, Equatable {
    /// The actor is known but the policy does not let it do this (to this object).
    case forbidden(BilingualText)
    /// A username and password that do not match an active account; never says which of the two was wrong.
    case signInFailed
    /// Too many failed sign-ins from this address or for this name: try again after the given seconds.
    case signInThrottled(retryAfterSeconds: Int)
    /// A presented token that is unknown, expired, revoked, or whose owner is no longer active.
    case invalidToken

    public var code: String {
        switch self {
        case .forbidden: "forbidden"
        case .signInFailed: "login_failed"
        case .signInThrottled: "sign_in_throttled"
        case .invalidToken: "invalid_token"
        }
    }

    public var kind: ErrorKind {
        switch self {
        case .forbidden: .forbidden
        case .signInFailed, .invalidToken: .unauthenticated
        case .signInThrottled: .tooManyRequests
        }
    }

    public var message: BilingualText {
        switch self {
        case .forbidden(let reason):
            reason
        case .signInFailed:
            BilingualText(zh: "用户名或密码错误", en: "wrong username or password")
        case .signInThrottled(let seconds):
            BilingualText(
                zh: "登录失败次数过多，请 \(seconds) 秒后再试", en: "too many failed sign-ins; try again in \(seconds) s")
        case .invalidToken:
            BilingualText(zh: "API 令牌无效、已过期或已吊销", en: "the API token is invalid, expired or revoked")
        }
    }
}

/// Reasons the policy gives in more than one place.
public enum AccessReason {
    public static let otherDepartment = BilingualText(zh: "不能访问其他部门的数据", en: "this belongs to another department")
}
