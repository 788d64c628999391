import Foundation

/// What an audit entry records. Open-ended on purpose: the gateway, the sharing service and the cascade each add
/// their own actions without touching this file, and the log does not interpret them beyond the `gateway.`
/// prefix that statistics count as calls.
public struct AuditAction: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    public var description: String { rawValue }

    /// A gateway call: counted by the statistics.
    public var isGatewayCall: Bool { rawValue.hasPrefix(Self.gatewayPrefix) }

    static let gatewayPrefix = "gateway."

    /// One record looked up by its key (e.g. a person by ID number).
    public static let gatewayLookup = AuditAction(rawValue: "gateway.lookup")
    /// A yes/no check of submitted values against the pool (核验), returning no data.
    public static let gatewayVerify = AuditAction(rawValue: "gateway.verify")
    /// A bulk extract (批量下载) under a grant.
    public static let gatewayExtract = AuditAction(rawValue: "gateway.extract")
    /// A call passed through to a provider's upstream API.
    public static let gatewayProxy = AuditAction(rawValue: "gateway.proxy")
    public static let grantCreated = AuditAction(rawValue: "grant.created")
    public static let grantRevoked = AuditAction(rawValue: "grant.revoked")
    public static let grantExpired = AuditAction(rawValue: "grant.expired")
    /// An applicant took back an application before it was decided.
    public static let applicationWithdrawn = AuditAction(rawValue: "application.withdrawn")
    public static let credentialIssued = AuditAction(rawValue: "credential.issued")
    /// A credential was given a new secret (the old one works until the rotation's grace ends).
    public static let credentialRotated = AuditAction(rawValue: "credential.rotated")
    public static let credentialRevoked = AuditAction(rawValue: "credential.revoked")
    /// A cascade message from another node was handled or relayed.
    public static let federationReceived = AuditAction(rawValue: "federation.received")
    /// A cascade message was refused: unknown sender, bad signature, wrong recipient or clock far off.
    public static let federationRejected = AuditAction(rawValue: "federation.rejected")
}

/// How a call ended.
public enum AuditOutcome: Sendable, Hashable {
    case allowed
    /// Refused by policy (no grant, expired, over quota, outside the row filter, …); `reason` is a stable code
    /// such as `grant_expired`.
    case denied(reason: String)
    /// Allowed, but it could not be served (an upstream API failed, a pool was unavailable).
    case failed(reason: String)

    /// `allowed`, `denied` or `failed`: the stored and reported name.
    public var name: String {
        switch self {
        case .allowed: "allowed"
        case .denied: "denied"
        case .failed: "failed"
        }
    }

    public var reason: String? {
        switch self {
        case .allowed: nil
        case .denied(let reason), .failed(let reason): reason
        }
    }

    /// Rebuilds an outcome from its stored name and reason.
    public init?(name: String, reason: String?) {
        switch (name, reason) {
        case ("allowed", nil): self = .allowed
        case ("denied", let reason?): self = .denied(reason: reason)
        case ("failed", let reason?): self = .failed(reason: reason)
        default: return nil
        }
    }
}

/// One thing that happened and must be answerable later: a gateway call (allowed or denied) or a change to who
/// may call what.
///
/// Queried keys are recorded only as keyed hashes (`AuditKeyHasher`), so the log itself never holds ID numbers
/// yet the same key queried twice is recognisable to whoever holds the node key.
public struct AuditEvent: Sendable, Hashable {
    public var action: AuditAction
    /// Microseconds since 1970 (UTC): the unit the canonical encoding signs, so a stored entry re-encodes exactly.
    public var timeMicroseconds: Int64
    /// The department that called or was granted access (使用部门).
    public var consumerDepartmentID: Int64?
    /// The consumer's application system that presented the credential.
    public var applicationSystemID: Int64?
    /// The person acting: the officer behind a grant change, or the end user a system named in its call.
    public var userID: Int64?
    /// The department whose resource was called (提供部门), so a provider sees the calls on its resources.
    public var providerDepartmentID: Int64?
    public var resourceCode: String?
    public var grantID: Int64?
    /// The purpose the call or grant was made for (用途).
    public var purpose: String?
    /// Keyed hashes of the keys queried, in the order given (hex, from `AuditKeyHasher`).
    public var queriedKeyHashes: [String]
    public var rowsReturned: Int64
    public var outcome: AuditOutcome
    public var latencyMicroseconds: Int64
    /// A few extra facts worth keeping (e.g. `items`, `channel`); small, never personal data.
    public var detail: [String: String]

    public init(
        action: AuditAction, time: Date = Date(), consumerDepartmentID: Int64? = nil,
        applicationSystemID: Int64? = nil, userID: Int64? = nil, providerDepartmentID: Int64? = nil,
        resourceCode: String? = nil, grantID: Int64? = nil, purpose: String? = nil, queriedKeyHashes: [String] = [],
        rowsReturned: Int64 = 0, outcome: AuditOutcome, latencyMicroseconds: Int64 = 0, detail: [String: String] = [:]
    ) {
        self.action = action
        self.timeMicroseconds = Self.microseconds(time)
        self.consumerDepartmentID = consumerDepartmentID
        self.applicationSystemID = applicationSystemID
        self.userID = userID
        self.providerDepartmentID = providerDepartmentID
        self.resourceCode = resourceCode
        self.grantID = grantID
        self.purpose = purpose
        self.queriedKeyHashes = queriedKeyHashes
        self.rowsReturned = rowsReturned
        self.outcome = outcome
        self.latencyMicroseconds = latencyMicroseconds
        self.detail = detail
    }

    public var time: Date {
        get { Date(timeIntervalSince1970: Double(timeMicroseconds) / 1_000_000) }
        set { timeMicroseconds = Self.microseconds(newValue) }
    }

    public static func microseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
    }

    /// Limits that keep one entry small; an event beyond them is a programming error in the caller, refused
    /// before anything is written.
    public static let limits = (text: 1_000, keys: 10_000, detailEntries: 32)

    /// Checks the event against `limits` and the shapes the log relies on.
    public func validated() throws(ValidationError) -> AuditEvent {
        var issues = ValidationCollector()
        let tooLong = { (field: String) in
            issues.add(
                field,
                BilingualText(
                    zh: "不能超过 \(Self.limits.text) 个字符", en: "must be at most \(Self.limits.text) characters"))
        }
        let action = action.rawValue
        if action.isEmpty || action.count > 64
            || !action.unicodeScalars.allSatisfy({
                $0.isASCII && ($0 == "." || $0 == "_" || $0.properties.isLowercase || ("0"..."9").contains($0))
            })
        {
            issues.add(
                "action",
                BilingualText(
                    zh: "须为 1–64 个小写字母、数字、点或下划线", en: "must be 1–64 lower-case letters, digits, dots or underscores"))
        }
        for (field, value) in [("resourceCode", resourceCode), ("purpose", purpose), ("reason", outcome.reason)] {
            if let value, value.count > Self.limits.text { tooLong(field) }
        }
        if let reason = outcome.reason, reason.isEmpty {
            issues.add("reason", BilingualText(zh: "拒绝或失败须说明原因代码", en: "a denial or failure needs a reason code"))
        }
        if queriedKeyHashes.count > Self.limits.keys || queriedKeyHashes.contains(where: { $0.count > 128 }) {
            issues.add(
                "queriedKeyHashes",
                BilingualText(
                    zh: "最多 \(Self.limits.keys) 个键哈希", en: "at most \(Self.limits.keys) key hashes of 128 characters"))
        }
        if detail.count > Self.limits.detailEntries
            || detail.contains(where: { $0.key.count > 64 || $0.value.count > Self.limits.text })
        {
            issues.add(
                "detail",
                BilingualText(
                    zh: "附加信息最多 \(Self.limits.detailEntries) 项",
                    en: "at most \(Self.limits.detailEntries) short entries"))
        }
        if rowsReturned < 0 { issues.add("rowsReturned", BilingualText(zh: "不能为负数", en: "must not be negative")) }
        if latencyMicroseconds < 0 {
            issues.add("latencyMicroseconds", BilingualText(zh: "不能为负数", en: "must not be negative"))
        }
        try issues.throwIfAny()
        return self
    }
}

// MARK: Grant changes

extension AuditEvent {
    /// A grant came into force: who approved it, for which consumer, on which resource and for what purpose.
    public static func grantCreated(
        grantID: Int64, consumerDepartmentID: Int64, providerDepartmentID: Int64?, resourceCode: String,
        purpose: String, approvedBy userID: Int64?, time: Date = Date(), detail: [String: String] = [:]
    ) -> AuditEvent {
        AuditEvent(
            action: .grantCreated, time: time, consumerDepartmentID: consumerDepartmentID, userID: userID,
            providerDepartmentID: providerDepartmentID, resourceCode: resourceCode, grantID: grantID,
            purpose: purpose, outcome: .allowed, detail: detail)
    }

    /// A grant was withdrawn before its end; `reason` says why in words the consumer will read.
    public static func grantRevoked(
        grantID: Int64, consumerDepartmentID: Int64, providerDepartmentID: Int64?, resourceCode: String,
        revokedBy userID: Int64?, reason: String, time: Date = Date()
    ) -> AuditEvent {
        AuditEvent(
            action: .grantRevoked, time: time, consumerDepartmentID: consumerDepartmentID, userID: userID,
            providerDepartmentID: providerDepartmentID, resourceCode: resourceCode, grantID: grantID,
            outcome: .allowed, detail: ["reason": reason])
    }

    /// A grant reached the end of its validity.
    public static func grantExpired(
        grantID: Int64, consumerDepartmentID: Int64, providerDepartmentID: Int64?, resourceCode: String,
        time: Date = Date()
    ) -> AuditEvent {
        AuditEvent(
            action: .grantExpired, time: time, consumerDepartmentID: consumerDepartmentID,
            providerDepartmentID: providerDepartmentID, resourceCode: resourceCode, grantID: grantID,
            outcome: .allowed)
    }
}
