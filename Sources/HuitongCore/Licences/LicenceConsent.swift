import Foundation

/// What a use of a licence may read: its 照面, or also its file (the signed data package).
public enum LicenceUseScope: String, Sendable, Hashable, Codable, CaseIterable {
    case face
    case file

    public var label: BilingualText {
        switch self {
        case .face: BilingualText(zh: "照面信息", en: "the face")
        case .file: BilingualText(zh: "照面信息和证照文件", en: "the face and the file")
        }
    }

    /// Whether an authorisation of this scope covers a use that asks for `other`.
    public func covers(_ other: LicenceUseScope) -> Bool { self == .file || other == .face }
}

/// What an authorisation to use licences rests on.
public enum LicenceConsentBasis: String, Sendable, Hashable, Codable, CaseIterable {
    /// The holder granted it in the portal.
    case holder
    /// A law or regulation lets the department use licences of the type for the matter; the operator recorded it.
    case legal
}

/// An authorisation for one department to use licences of one type for one matter until it expires: a holder's
/// consent (their licences only) or a legal basis (every holder's).
public struct LicenceConsent: Sendable, Hashable, Codable, Identifiable {
    public var id: Int64
    public var basis: LicenceConsentBasis
    /// Whose licences, for a holder's consent.
    public var holderKey: String?
    public var typeCode: String
    public var granteeDepartmentID: Int64
    /// The matter (事项) the use is for, by its code or name as the department's system names it.
    public var matter: String
    public var scope: LicenceUseScope
    /// The law or regulation, for a legal basis.
    public var legalBasis: String?
    public var grantedByDeveloperID: Int64?
    public var recordedByUserID: Int64?
    public var grantedAt: Date
    public var expiresAt: Date
    public var revokedAt: Date?

    public init(
        id: Int64, basis: LicenceConsentBasis, holderKey: String?, typeCode: String, granteeDepartmentID: Int64,
        matter: String, scope: LicenceUseScope, legalBasis: String?, grantedByDeveloperID: Int64?,
        recordedByUserID: Int64?, grantedAt: Date, expiresAt: Date, revokedAt: Date?
    ) {
        self.id = id
        self.basis = basis
        self.holderKey = holderKey
        self.typeCode = typeCode
        self.granteeDepartmentID = granteeDepartmentID
        self.matter = matter
        self.scope = scope
        self.legalBasis = legalBasis
        self.grantedByDeveloperID = grantedByDeveloperID
        self.recordedByUserID = recordedByUserID
        self.grantedAt = grantedAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
    }

    public func isInForce(at now: Date) -> Bool { revokedAt == nil && grantedAt <= now && now < expiresAt }
}

/// The outcome of an attempt to use a licence.
public enum LicenceUseOutcome: String, Sendable, Hashable, Codable {
    case allowed
    case refused
}

/// One attempt to use a licence (用证记录): who, for which matter and case, on what authorisation, and the outcome.
public struct LicenceUse: Sendable, Hashable, Codable, Identifiable {
    public var id: Int64
    public var identifier: LicenceIdentifier
    public var typeCode: String
    public var userDepartmentID: Int64
    public var applicationSystemID: Int64?
    public var userID: Int64?
    public var matter: String
    /// 办件编号: the case the use belongs to in the department's system.
    public var caseNumber: String
    public var reason: String
    public var consentID: Int64?
    public var outcome: LicenceUseOutcome
    /// Why a refused use was refused.
    public var refusal: String?
    public var at: Date

    public init(
        id: Int64, identifier: LicenceIdentifier, typeCode: String, userDepartmentID: Int64,
        applicationSystemID: Int64?, userID: Int64?, matter: String, caseNumber: String, reason: String,
        consentID: Int64?, outcome: LicenceUseOutcome, refusal: String?, at: Date
    ) {
        self.id = id
        self.identifier = identifier
        self.typeCode = typeCode
        self.userDepartmentID = userDepartmentID
        self.applicationSystemID = applicationSystemID
        self.userID = userID
        self.matter = matter
        self.caseNumber = caseNumber
        self.reason = reason
        self.consentID = consentID
        self.outcome = outcome
        self.refusal = refusal
        self.at = at
    }
}

/// A portal account the operator verified as a licence holder (实名核验): the key its licences are found by.
public struct LicenceHolderLink: Sendable, Hashable, Codable {
    public var developerID: Int64
    public var kind: LicenceHolderKind
    public var holderKey: String
    public var verifiedAt: Date
    public var verifiedByUserID: Int64

    public init(
        developerID: Int64, kind: LicenceHolderKind, holderKey: String, verifiedAt: Date, verifiedByUserID: Int64
    ) {
        self.developerID = developerID
        self.kind = kind
        self.holderKey = holderKey
        self.verifiedAt = verifiedAt
        self.verifiedByUserID = verifiedByUserID
    }
}
