import Foundation

/// Where a licence stands. Every later check (use, verification, 亮证) reads this, not the file.
public enum LicenceStatus: String, Sendable, Hashable, Codable, CaseIterable {
    /// 有效.
    case valid
    /// 已变更: replaced by a newer version, which names this one as its predecessor.
    case superseded
    /// 注销: given up or ended by the issuer at the holder's request or on a lawful ground.
    case cancelled
    /// 吊销: withdrawn as a sanction.
    case revoked
    /// 过期: past its end.
    case expired

    public var label: BilingualText {
        switch self {
        case .valid: BilingualText(zh: "有效", en: "valid")
        case .superseded: BilingualText(zh: "已变更", en: "superseded")
        case .cancelled: BilingualText(zh: "已注销", en: "cancelled")
        case .revoked: BilingualText(zh: "已吊销", en: "revoked")
        case .expired: BilingualText(zh: "已过期", en: "expired")
        }
    }
}

/// What happened to a licence, in its history.
public enum LicenceEventKind: String, Sendable, Hashable, Codable, CaseIterable {
    case issued, changed, cancelled, revoked, expired
    /// 归集: a licence issued by a department's own system before, collected with its identifier and sealed here.
    case collected

    /// The status an event leaves the licence it names in.
    public var resultingStatus: LicenceStatus {
        switch self {
        case .issued, .collected: .valid
        case .changed: .superseded
        case .cancelled: .cancelled
        case .revoked: .revoked
        case .expired: .expired
        }
    }

    /// The act, as an issuer names it.
    public var label: BilingualText {
        switch self {
        case .issued: BilingualText(zh: "签发", en: "issue")
        case .changed: BilingualText(zh: "变更", en: "change")
        case .cancelled: BilingualText(zh: "注销", en: "cancellation")
        case .revoked: BilingualText(zh: "吊销", en: "revocation")
        case .expired: BilingualText(zh: "过期", en: "expiry")
        case .collected: BilingualText(zh: "归集", en: "collection")
        }
    }

    /// Whether the event needs a reason (注销 and 吊销 are decisions that must say why).
    public var needsReason: Bool { self == .cancelled || self == .revoked }
}

/// Who a licence belongs to: bound by 公民身份号码 for a person and 统一社会信用代码 for an organisation.
public struct LicenceHolder: Sendable, Hashable, Codable {
    public var kind: LicenceHolderKind
    /// The holder's identifier, validated for its kind and in canonical form.
    public var code: String
    public var name: String

    /// Validates `code` for `kind`; `field` names the holder in errors.
    public init(kind: LicenceHolderKind, code: String, name: String, today: CalendarDate, field: String = "holder")
        throws(ValidationError)
    {
        var issues = ValidationCollector()
        var canonical = code
        do throws(IdentifierError) {
            switch kind {
            case .person: canonical = try ResidentIDNumber(code, today: today).text
            case .organisation: canonical = try UnifiedSocialCreditCode(code).text
            }
        } catch {
            issues.add("\(field).code", error.message)
        }
        let name = name.trimmingCharacters(in: .whitespaces)
        if name.isEmpty || name.count > 100 {
            issues.add(
                "\(field).name",
                BilingualText(zh: "持证主体名称不能为空，至多 100 字", en: "the holder's name is required, at most 100"))
        }
        try issues.throwIfAny()
        self.kind = kind
        self.code = canonical
        self.name = name
    }

    /// A holder as stored, checked when it was written.
    public init(stored kind: LicenceHolderKind, code: String, name: String) {
        self.kind = kind
        self.code = code
        self.name = name
    }
}

/// One version of an issued licence.
public struct Licence: Sendable, Hashable, Codable {
    public var identifier: LicenceIdentifier
    public var typeCode: String
    public var holder: LicenceHolder
    /// The 照面 values by field key.
    public var face: [String: String]
    public var issuedOn: CalendarDate
    /// The last day it is valid; nil for 长期.
    public var validUntil: CalendarDate?
    public var status: LicenceStatus
    /// The version this one replaced (关联证照标识), for a 变更.
    public var previous: LicenceIdentifier?
    /// The issuing department (its 统一社会信用代码 is the identifier's issuer code).
    public var issuerDepartmentID: Int64

    public init(
        identifier: LicenceIdentifier, typeCode: String, holder: LicenceHolder, face: [String: String],
        issuedOn: CalendarDate, validUntil: CalendarDate?, status: LicenceStatus, previous: LicenceIdentifier?,
        issuerDepartmentID: Int64
    ) {
        self.identifier = identifier
        self.typeCode = typeCode
        self.holder = holder
        self.face = face
        self.issuedOn = issuedOn
        self.validUntil = validUntil
        self.status = status
        self.previous = previous
        self.issuerDepartmentID = issuerDepartmentID
    }

    /// The status as of `today`: a valid licence past its last day counts as expired even before the sweep records
    /// it.
    public func status(on today: CalendarDate) -> LicenceStatus {
        guard status == .valid, let validUntil, validUntil < today else { return status }
        return .expired
    }
}

/// A recorded event of a licence's history.
public struct LicenceEvent: Sendable, Hashable, Codable {
    public var identifier: LicenceIdentifier
    public var kind: LicenceEventKind
    public var at: Date
    /// The department that acted; nil for the expiry sweep.
    public var departmentID: Int64?
    public var reason: String?

    public init(identifier: LicenceIdentifier, kind: LicenceEventKind, at: Date, departmentID: Int64?, reason: String?)
    {
        self.identifier = identifier
        self.kind = kind
        self.at = at
        self.departmentID = departmentID
        self.reason = reason
    }
}

extension LicenceType {
    /// The last day a licence of this type issued on `issuedOn` is valid, from the date its face states (for types
    /// whose licences state one) or the type's fixed term; nil for 长期.
    public func validUntil(issuedOn: CalendarDate, statedEnd: CalendarDate?) -> CalendarDate? {
        switch validity {
        case .permanent: return nil
        case .statedOnLicence: return statedEnd
        case .years(let years):
            if let statedEnd { return statedEnd }
            // The day before the same date `years` later (a licence of 29 February ends on 28 February).
            let year = issuedOn.year + years
            guard
                let anniversary = CalendarDate(year: year, month: issuedOn.month, day: issuedOn.day)
                    ?? CalendarDate(year: year, month: issuedOn.month + 1, day: 1)
            else { return nil }
            return anniversary.addingDays(-1)
        }
    }
}
