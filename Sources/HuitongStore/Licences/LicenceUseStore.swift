import Foundation
import HuitongCore
import SQLKit

/// A use to record, before it has an id.
public struct LicenceUseDraft: Sendable, Hashable {
    public var identifier: LicenceIdentifier
    public var holderKey: String?
    public var typeCode: String
    public var userDepartmentID: Int64
    public var applicationSystemID: Int64?
    public var userID: Int64?
    public var matter: String
    public var caseNumber: String
    public var reason: String
    public var consentID: Int64?
    public var outcome: LicenceUseOutcome
    public var refusal: String?

    public init(
        identifier: LicenceIdentifier, holderKey: String?, typeCode: String, userDepartmentID: Int64,
        applicationSystemID: Int64?, userID: Int64?, matter: String, caseNumber: String, reason: String,
        consentID: Int64?, outcome: LicenceUseOutcome, refusal: String?
    ) {
        self.identifier = identifier
        self.holderKey = holderKey
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
    }
}

extension SQLLicenceRepository {
    func licences(holderKey: String) async throws -> [Licence] {
        try await provider.read { sql in
            try await sql.raw(
                "SELECT * FROM licences WHERE holder_key = \(bind: holderKey) ORDER BY created_at DESC, identifier DESC"
            ).all().map(Self.decodeLicence)
        }
    }

    func linkHolder(_ link: LicenceHolderLink) async throws {
        try await provider.transaction { sql in
            try await sql.raw(
                """
                INSERT INTO licence_holders (developer_id, holder_kind, holder_key, verified_at, verified_by_user_id)
                VALUES (\(bind: link.developerID), \(bind: link.kind.rawValue), \(bind: link.holderKey),
                    \(bind: link.verifiedAt), \(bind: link.verifiedByUserID))
                ON CONFLICT (developer_id) DO UPDATE SET holder_kind = excluded.holder_kind,
                    holder_key = excluded.holder_key, verified_at = excluded.verified_at,
                    verified_by_user_id = excluded.verified_by_user_id
                """
            ).run()
        }
    }

    func holder(developerID: Int64) async throws -> LicenceHolderLink? {
        try await provider.read { sql in
            try await sql.raw("SELECT * FROM licence_holders WHERE developer_id = \(bind: developerID)").first().map {
                row in
                LicenceHolderLink(
                    developerID: developerID, kind: try Self.stored(LicenceHolderKind.self, row, "holder_kind"),
                    holderKey: try row.decode(column: "holder_key", as: String.self),
                    verifiedAt: try row.decode(column: "verified_at", as: Date.self),
                    verifiedByUserID: try row.decode(column: "verified_by_user_id", as: Int64.self))
            }
        }
    }

    func saveConsent(_ consent: LicenceConsent) async throws -> LicenceConsent {
        try await provider.transaction { sql in
            let id = try await sql.raw(
                """
                INSERT INTO licence_consents (basis, holder_key, type_code, grantee_department_id, matter, scope,
                    legal_basis, granted_by_developer_id, recorded_by_user_id, granted_at, expires_at, revoked_at)
                VALUES (\(bind: consent.basis.rawValue), \(bind: consent.holderKey), \(bind: consent.typeCode),
                    \(bind: consent.granteeDepartmentID), \(bind: consent.matter), \(bind: consent.scope.rawValue),
                    \(bind: consent.legalBasis), \(bind: consent.grantedByDeveloperID), \(bind: consent.recordedByUserID),
                    \(bind: consent.grantedAt), \(bind: consent.expiresAt), \(bind: consent.revokedAt))
                RETURNING id
                """
            ).first()?.decode(column: "id", as: Int64.self)
            guard let id else { throw StoreError.unavailable("the consent was written but returned no id") }
            var saved = consent
            saved.id = id
            return saved
        }
    }

    func consents(holderKey: String) async throws -> [LicenceConsent] {
        try await provider.read { sql in
            try await sql.raw(
                "SELECT * FROM licence_consents WHERE holder_key = \(bind: holderKey) ORDER BY id DESC"
            ).all().map(Self.decodeConsent)
        }
    }

    func legalBases() async throws -> [LicenceConsent] {
        try await provider.read { sql in
            try await sql.raw("SELECT * FROM licence_consents WHERE basis = 'legal' ORDER BY id DESC").all().map(
                Self.decodeConsent)
        }
    }

    func revokeConsent(id: Int64, holderKey: String?, at now: Date) async throws -> LicenceConsent {
        try await provider.transaction { sql in
            guard
                let row = try await sql.raw("SELECT * FROM licence_consents WHERE id = \(bind: id)").first(),
                case let consent = try Self.decodeConsent(row),
                holderKey == nil || consent.holderKey == holderKey
            else { throw StoreError.notFound(entity: "licence consent", key: "\(id)") }
            guard consent.revokedAt == nil else { return consent }
            try await sql.raw("UPDATE licence_consents SET revoked_at = \(bind: now) WHERE id = \(bind: id)").run()
            var revoked = consent
            revoked.revokedAt = now
            return revoked
        }
    }

    func consentInForce(
        holderKey: String?, typeCode: String, granteeDepartmentID: Int64, matter: String, at now: Date
    ) async throws -> [LicenceConsent] {
        try await provider.read { sql in
            try await sql.raw(
                """
                SELECT * FROM licence_consents
                WHERE grantee_department_id = \(bind: granteeDepartmentID) AND type_code = \(bind: typeCode)
                    AND matter = \(bind: matter) AND revoked_at IS NULL AND expires_at > \(bind: now)
                    AND granted_at <= \(bind: now)
                    AND (basis = 'legal' OR (basis = 'holder' AND holder_key = \(bind: holderKey ?? "")))
                ORDER BY id
                """
            ).all().map(Self.decodeConsent)
        }
    }

    func recordUse(_ use: LicenceUseDraft, at now: Date) async throws -> LicenceUse {
        try await provider.transaction { sql in
            let id = try await sql.raw(
                """
                INSERT INTO licence_uses (identifier, holder_key, type_code, user_department_id,
                    application_system_id, user_id, matter, case_number, reason, consent_id, outcome, refusal, at)
                VALUES (\(bind: use.identifier.text), \(bind: use.holderKey), \(bind: use.typeCode),
                    \(bind: use.userDepartmentID), \(bind: use.applicationSystemID), \(bind: use.userID),
                    \(bind: use.matter), \(bind: use.caseNumber), \(bind: use.reason), \(bind: use.consentID),
                    \(bind: use.outcome.rawValue), \(bind: use.refusal), \(bind: now))
                RETURNING id
                """
            ).first()?.decode(column: "id", as: Int64.self)
            guard let id else { throw StoreError.unavailable("the licence use was written but returned no id") }
            return LicenceUse(
                id: id, identifier: use.identifier, typeCode: use.typeCode, userDepartmentID: use.userDepartmentID,
                applicationSystemID: use.applicationSystemID, userID: use.userID, matter: use.matter,
                caseNumber: use.caseNumber, reason: use.reason, consentID: use.consentID, outcome: use.outcome,
                refusal: use.refusal, at: now)
        }
    }

    func uses(holderKey: String, limit: Int) async throws -> [LicenceUse] {
        try await provider.read { sql in
            try await sql.raw(
                "SELECT * FROM licence_uses WHERE holder_key = \(bind: holderKey) ORDER BY id DESC LIMIT \(bind: limit)"
            ).all().map(Self.decodeUse)
        }
    }

    func uses(departmentID: Int64, limit: Int) async throws -> [LicenceUse] {
        try await provider.read { sql in
            try await sql.raw(
                """
                SELECT * FROM licence_uses WHERE user_department_id = \(bind: departmentID) ORDER BY id DESC
                LIMIT \(bind: limit)
                """
            ).all().map(Self.decodeUse)
        }
    }

    static func decodeConsent(_ row: any SQLRow) throws -> LicenceConsent {
        LicenceConsent(
            id: try row.decode(column: "id", as: Int64.self),
            basis: try stored(LicenceConsentBasis.self, row, "basis"),
            holderKey: try row.decode(column: "holder_key", as: String?.self),
            typeCode: try row.decode(column: "type_code", as: String.self),
            granteeDepartmentID: try row.decode(column: "grantee_department_id", as: Int64.self),
            matter: try row.decode(column: "matter", as: String.self),
            scope: try stored(LicenceUseScope.self, row, "scope"),
            legalBasis: try row.decode(column: "legal_basis", as: String?.self),
            grantedByDeveloperID: try row.decode(column: "granted_by_developer_id", as: Int64?.self),
            recordedByUserID: try row.decode(column: "recorded_by_user_id", as: Int64?.self),
            grantedAt: try row.decode(column: "granted_at", as: Date.self),
            expiresAt: try row.decode(column: "expires_at", as: Date.self),
            revokedAt: try row.decode(column: "revoked_at", as: Date?.self))
    }

    static func decodeUse(_ row: any SQLRow) throws -> LicenceUse {
        LicenceUse(
            id: try row.decode(column: "id", as: Int64.self),
            identifier: try LicenceIdentifier(try row.decode(column: "identifier", as: String.self)),
            typeCode: try row.decode(column: "type_code", as: String.self),
            userDepartmentID: try row.decode(column: "user_department_id", as: Int64.self),
            applicationSystemID: try row.decode(column: "application_system_id", as: Int64?.self),
            userID: try row.decode(column: "user_id", as: Int64?.self),
            matter: try row.decode(column: "matter", as: String.self),
            caseNumber: try row.decode(column: "case_number", as: String.self),
            reason: try row.decode(column: "reason", as: String.self),
            consentID: try row.decode(column: "consent_id", as: Int64?.self),
            outcome: try stored(LicenceUseOutcome.self, row, "outcome"),
            refusal: try row.decode(column: "refusal", as: String?.self),
            at: try row.decode(column: "at", as: Date.self))
    }
}
