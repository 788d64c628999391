import Foundation

/// A consumer department's calling system (应用系统): the gateway identifies callers by their systems.
public struct ApplicationSystem: Sendable, Hashable, Codable, Identifiable {
    public var id: Int64
    public var departmentID: Int64
    public var name: String
    public var description: String
    public var isActive: Bool
    public var createdAt: Date

    public init(id: Int64, departmentID: Int64, name: String, description: String, isActive: Bool, createdAt: Date) {
        self.id = id
        self.departmentID = departmentID
        self.name = name
        self.description = description
        self.isActive = isActive
        self.createdAt = createdAt
    }
}

public struct ApplicationSystemDraft: Sendable, Hashable {
    public var name: String
    public var description: String

    public init(name: String, description: String) {
        self.name = name
        self.description = description
    }

    public func validated() throws(ValidationError) -> ApplicationSystemDraft {
        var issues = ValidationCollector()
        let name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        if name.isEmpty || name.count > 100 {
            issues.add("name", BilingualText(zh: "系统名称须为 1–100 个字符", en: "name must be 1–100 characters"))
        }
        let description = description.trimmingCharacters(in: .whitespacesAndNewlines)
        if description.count > 2000 {
            issues.add(
                "description", BilingualText(zh: "描述不能超过 2000 个字符", en: "description is longer than 2000 characters"))
        }
        try issues.throwIfAny()
        return ApplicationSystemDraft(name: name, description: description)
    }
}

/// Who an API token acts for.
public enum TokenOwner: Sendable, Hashable, Codable {
    case user(Int64)
    case system(Int64)

    public var kind: SecretKind {
        switch self {
        case .user: .user
        case .system: .system
        }
    }
}

/// An API token as listed to its owner: never the secret itself.
public struct APIToken: Sendable, Hashable, Codable, Identifiable {
    public var id: Int64
    public var owner: TokenOwner
    public var name: String
    /// The first characters of the secret, to tell tokens apart.
    public var hint: String
    public var createdAt: Date
    public var expiresAt: Date?
    public var revokedAt: Date?
    public var lastUsedAt: Date?
    /// An application system's public key id (`hk_…`), shared by the secrets a rotation makes; nil for personal
    /// tokens.
    public var keyID: String?
    /// The credential that replaced this one by rotation; this one then expires at the end of the grace period.
    public var replacedBy: Int64?
    /// Whether the node can check HMAC signatures made with this secret (it holds the secret sealed). Credentials
    /// issued while the node had no sealing key work as bearer tokens only.
    public var canSign: Bool

    public init(
        id: Int64, owner: TokenOwner, name: String, hint: String, createdAt: Date, expiresAt: Date?, revokedAt: Date?,
        lastUsedAt: Date?, keyID: String? = nil, replacedBy: Int64? = nil, canSign: Bool = false
    ) {
        self.id = id
        self.owner = owner
        self.name = name
        self.hint = hint
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
        self.lastUsedAt = lastUsedAt
        self.keyID = keyID
        self.replacedBy = replacedBy
        self.canSign = canSign
    }

    public func isUsable(at now: Date) -> Bool {
        revokedAt == nil && (expiresAt.map { $0 > now } ?? true)
    }
}

public struct TokenDraft: Sendable, Hashable {
    public var name: String
    public var expiresAt: Date?

    public init(name: String, expiresAt: Date?) {
        self.name = name
        self.expiresAt = expiresAt
    }

    public func validated(now: Date) throws(ValidationError) -> TokenDraft {
        var issues = ValidationCollector()
        let name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        if name.isEmpty || name.count > 100 {
            issues.add("name", BilingualText(zh: "令牌名称须为 1–100 个字符", en: "name must be 1–100 characters"))
        }
        if let expiresAt, expiresAt <= now {
            issues.add("expiresAt", BilingualText(zh: "过期时间须晚于当前时间", en: "expiresAt must be in the future"))
        }
        try issues.throwIfAny()
        return TokenDraft(name: name, expiresAt: expiresAt)
    }
}
