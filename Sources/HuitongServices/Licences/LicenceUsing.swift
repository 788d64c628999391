import Foundation
import HuitongCore
import HuitongStore

extension AuditAction {
    public static let licenceUsed = AuditAction(rawValue: "licence.used")
    public static let licenceConsentGranted = AuditAction(rawValue: "licence.consent_granted")
    public static let licenceConsentRevoked = AuditAction(rawValue: "licence.consent_revoked")
    public static let licenceLegalBasisRecorded = AuditAction(rawValue: "licence.legal_basis_recorded")
    public static let licenceHolderVerified = AuditAction(rawValue: "licence.holder_verified")
}

/// What a department's system sends to use a licence: which, for what, in which case.
public struct LicenceUseRequest: Sendable, Hashable, Codable {
    public var identifier: String
    /// The matter (事项) as the authorisation names it.
    public var matter: String
    /// 办件编号.
    public var caseNumber: String
    public var reason: String
    public var scope: LicenceUseScope

    public init(identifier: String, matter: String, caseNumber: String, reason: String, scope: LicenceUseScope = .face)
    {
        self.identifier = identifier
        self.matter = matter
        self.caseNumber = caseNumber
        self.reason = reason
        self.scope = scope
    }
}

/// What an allowed use returns: the licence as issued, its status now, and, for a file use, its signed package.
public struct LicenceUseResult: Sendable {
    public var use: LicenceUse
    public var licence: Licence
    public var type: LicenceType
    public var package: SignedLicencePackage?
}

/// A use refused: recorded and audited before it is thrown.
public struct LicenceUseRefused: HuitongError {
    public let use: LicenceUse
    public let message: BilingualText
    public let kind: ErrorKind
    public var code: String { kind == .conflict ? "licence_not_valid" : "licence_use_not_authorised" }
}

/// An authorisation as the holder or the operator asks for it.
public struct LicenceConsentRequest: Sendable, Hashable, Codable {
    public var typeCode: String
    public var granteeDepartmentID: Int64
    public var matter: String
    public var scope: LicenceUseScope
    /// `YYYY-MM-DD`: the last day it is in force.
    public var expiresOn: String
    /// The law or regulation (legal bases only).
    public var legalBasis: String?

    public init(
        typeCode: String, granteeDepartmentID: Int64, matter: String, scope: LicenceUseScope, expiresOn: String,
        legalBasis: String? = nil
    ) {
        self.typeCode = typeCode
        self.granteeDepartmentID = granteeDepartmentID
        self.matter = matter
        self.scope = scope
        self.expiresOn = expiresOn
        self.legalBasis = legalBasis
    }
}

extension LicenceUseCases {
    /// The most uses one listing shows.
    public static let useListLimit = 200

    /// 用证: a department's officer (consumer role) or application system reads a licence for a named matter and
    /// case. It needs a holder's consent or a legal basis in force for that department, type and matter, covering
    /// the scope, and a licence valid now; otherwise it is refused. Every attempt is a use record and an audit
    /// entry, allowed or refused.
    public func use(_ request: LicenceUseRequest, by actor: LicenceActor, at now: Date = Date()) async throws
        -> LicenceUseResult
    {
        try actor.requireUsing()
        let identifier: LicenceIdentifier
        do throws(IdentifierError) { identifier = try LicenceIdentifier(request.identifier) } catch {
            throw ValidationError(field: "identifier", error.message)
        }
        var issues = ValidationCollector()
        let matter = request.matter.trimmingCharacters(in: .whitespacesAndNewlines)
        let caseNumber = request.caseNumber.trimmingCharacters(in: .whitespacesAndNewlines)
        let reason = request.reason.trimmingCharacters(in: .whitespacesAndNewlines)
        if matter.isEmpty || matter.count > 200 {
            issues.add("matter", BilingualText(zh: "须写明事项（至多 200 字）", en: "the matter is required (at most 200)"))
        }
        if caseNumber.isEmpty || caseNumber.count > 64 {
            issues.add(
                "caseNumber", BilingualText(zh: "须写明办件编号（至多 64 字）", en: "the case number is required (at most 64)"))
        }
        if reason.isEmpty || reason.count > 500 {
            issues.add("reason", BilingualText(zh: "须写明用证事由（至多 500 字）", en: "the reason is required (at most 500)"))
        }
        try issues.throwIfAny()
        guard let (licence, type, remote) = try? await anyLicence(identifier) else {
            // Probing for identifiers is an attempt too: recorded and audited like any refused use.
            let draft = LicenceUseDraft(
                identifier: identifier, holderKey: nil, typeCode: identifier.typeCode,
                userDepartmentID: actor.departmentID, applicationSystemID: actor.systemID, userID: actor.userID,
                matter: matter, caseNumber: caseNumber, reason: reason, consentID: nil, outcome: .refused,
                refusal: "证照库中没有该证照")
            let recorded = try await store.licences.recordUse(draft, at: now)
            try await recordUse(recorded, issuerDepartmentID: nil, refusal: .notFound, at: now)
            throw StoreError.notFound(entity: "licence", key: identifier.text)
        }
        let holderKey = holderKeys.key(for: licence.holder)
        var draft = LicenceUseDraft(
            identifier: identifier, holderKey: holderKey, typeCode: licence.typeCode,
            userDepartmentID: actor.departmentID, applicationSystemID: actor.systemID, userID: actor.userID,
            matter: matter, caseNumber: caseNumber, reason: reason, consentID: nil, outcome: .allowed, refusal: nil)

        let status = licence.status(on: CalendarDate(now))
        let consent = try await store.licences.consentInForce(
            holderKey: holderKey, typeCode: licence.typeCode, granteeDepartmentID: actor.departmentID,
            matter: matter, at: now
        ).first { $0.scope.covers(request.scope) }
        // The authorisation first: a department without one learns nothing of the licence, not even its status.
        let refusal: (BilingualText, ErrorKind)? =
            if consent == nil {
                (
                    BilingualText(
                        zh: "没有持证人对本部门就事项“\(matter)”使用“\(type.name)”（\(request.scope.label.zh)）的授权，也没有法定依据",
                        en:
                            "neither the holder's consent nor a legal basis lets your department use \(type.name) (\(request.scope.label.en)) for \(matter)"
                    ),
                    .forbidden
                )
            } else if status != .valid {
                (
                    BilingualText(
                        zh: "证照\(status.label.zh)，不能使用", en: "the licence is \(status.label.en) and cannot be used"),
                    .conflict
                )
            } else { nil }
        if let (message, kind) = refusal {
            draft.outcome = .refused
            draft.refusal = message.zh
            let recorded = try await store.licences.recordUse(draft, at: now)
            try await recordUse(recorded, issuerDepartmentID: licence.issuerDepartmentID, refusal: kind, at: now)
            throw LicenceUseRefused(use: recorded, message: message, kind: kind)
        }
        draft.consentID = consent?.id
        let recorded = try await store.licences.recordUse(draft, at: now)
        try await recordUse(recorded, issuerDepartmentID: licence.issuerDepartmentID, at: now)
        let package =
            request.scope == .file
            ? try await store.licences.signedPackage(identifier) ?? remote?.record.signedPackage : nil
        return LicenceUseResult(use: recorded, licence: licence, type: type, package: package)
    }

    /// A licence of this node's library, or one received through the cascade (`remote`), with its type.
    func anyLicence(_ identifier: LicenceIdentifier) async throws -> (Licence, LicenceType, RemoteLicence?) {
        if let licence = try await store.licences.find(identifier),
            let type = try await store.licences.type(code: licence.typeCode)?.type
        {
            return (licence, type, nil)
        }
        guard let remote = try await store.licences.remoteLicence(identifier.text) else {
            throw StoreError.notFound(entity: "licence", key: identifier.text)
        }
        // Used as it stands now on its issuing node, when that node answers.
        return (try await seals.current(remote).0, remote.record.type, remote)
    }

    /// A department's own use records, newest first.
    public func uses(of user: User) async throws -> [LicenceUse] {
        try AccessPolicy.require(user, .licencesUse)
        return try await store.licences.uses(departmentID: user.departmentID, limit: Self.useListLimit)
    }

    /// The audit entry of a use; `issuerDepartmentID` 0 or nil for a licence of another node or none.
    private func recordUse(
        _ use: LicenceUse, issuerDepartmentID: Int64?, refusal: ErrorKind? = nil, at now: Date
    ) async throws {
        guard let audit else { return }
        var detail = [
            "licence": use.identifier.text, "matter": use.matter, "caseNumber": use.caseNumber, "use": String(use.id),
        ]
        if let refusal = use.refusal { detail["refusal"] = refusal }
        let reason: String? =
            switch refusal {
            case nil: nil
            case .conflict: "licence_not_valid"
            case .notFound: "licence_not_found"
            default: "licence_use_not_authorised"
            }
        _ = try await audit.append(
            AuditEvent(
                action: .licenceUsed, time: now, consumerDepartmentID: use.userDepartmentID,
                applicationSystemID: use.applicationSystemID, userID: use.userID,
                providerDepartmentID: issuerDepartmentID == 0 ? nil : issuerDepartmentID, resourceCode: use.typeCode,
                purpose: use.reason, outcome: reason.map { .denied(reason: $0) } ?? .allowed, detail: detail))
    }

    // MARK: Legal bases and holder verification (the operator)

    /// The operator records a legal basis: a law or regulation that lets a department use every holder's licences
    /// of a type for a matter, without a holder's consent.
    public func recordLegalBasis(_ request: LicenceConsentRequest, by user: User, at now: Date = Date())
        async throws -> LicenceConsent
    {
        try AccessPolicy.require(user, .licencesAdminister)
        let legalBasis = (request.legalBasis ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        var consent = try await consent(request, at: now)
        guard !legalBasis.isEmpty, legalBasis.count <= 500 else {
            throw ValidationError(
                field: "legalBasis",
                BilingualText(zh: "须写明法律法规依据（至多 500 字）", en: "the law or regulation is required (at most 500)"))
        }
        consent.basis = .legal
        consent.legalBasis = legalBasis
        consent.recordedByUserID = user.id
        let saved = try await store.licences.saveConsent(consent)
        if let audit {
            _ = try await audit.append(
                AuditEvent(
                    action: .licenceLegalBasisRecorded, time: now, consumerDepartmentID: saved.granteeDepartmentID,
                    userID: user.id, resourceCode: saved.typeCode, outcome: .allowed,
                    detail: ["consent": String(saved.id), "matter": saved.matter]))
        }
        return saved
    }

    /// The operator verifies a portal account as a licence holder (实名核验 done at a counter or by the identity
    /// platform): a person by the ID number they registered with, an organisation by its checked credit code.
    /// The account is named by its sign-in e-mail, as the person gives it at the counter; `documentCode` is the ID
    /// number (or credit code) the operator reads from the document shown, which must be the one the account
    /// registered with — otherwise anyone who registered with another person's number would be handed their
    /// licences.
    public func verifyHolder(
        email: String, kind: LicenceHolderKind, documentCode: String, by user: User, at now: Date = Date()
    ) async throws -> LicenceHolderLink {
        try AccessPolicy.require(user, .licencesAdminister)
        guard
            let developer = try await store.developers.credentials(email: email.trimmingCharacters(in: .whitespaces))?
                .developer
        else {
            throw ValidationError(
                field: "email",
                BilingualText(zh: "没有以 \(email) 注册的门户账号", en: "no portal account is registered as \(email)"))
        }
        let developerID = developer.id
        let document = try LicenceHolder(
            kind: kind, code: documentCode, name: developer.name, today: CalendarDate(now), field: "document")
        let key = holderKeys.key(for: document)
        let registered: String? =
            switch kind {
            case .person: try await store.developers.identityDigest(id: developerID)
            case .organisation: developer.organisationCode
            }
        guard registered == key else {
            throw ValidationError(
                field: "documentCode",
                BilingualText(
                    zh: "证件上的号码与该账号注册时填写的不一致，不能核验为持证人",
                    en: "the number on the document is not the one the account registered with"))
        }
        let link = LicenceHolderLink(
            developerID: developerID, kind: kind, holderKey: key, verifiedAt: now, verifiedByUserID: user.id)
        try await store.licences.linkHolder(link)
        if let audit {
            _ = try await audit.append(
                AuditEvent(
                    action: .licenceHolderVerified, time: now, userID: user.id, outcome: .allowed,
                    detail: ["developer": String(developerID), "kind": kind.rawValue]))
        }
        return link
    }

    /// A consent or basis from a request, checked: the type exists, the department exists, the matter is named and
    /// the last day is today or later (at most five years ahead).
    func consent(_ request: LicenceConsentRequest, at now: Date) async throws -> LicenceConsent {
        var issues = ValidationCollector()
        let matter = request.matter.trimmingCharacters(in: .whitespacesAndNewlines)
        if matter.isEmpty || matter.count > 200 {
            issues.add("matter", BilingualText(zh: "须写明事项（至多 200 字）", en: "the matter is required (at most 200)"))
        }
        let today = CalendarDate(now)
        let lastDay = CalendarDate(iso: request.expiresOn)
        if let lastDay {
            if lastDay < today || lastDay > today.addingDays(5 * 366) {
                issues.add(
                    "expiresOn",
                    BilingualText(zh: "截止日须在今天到五年内", en: "the last day must be between today and five years ahead"))
            }
        } else {
            issues.add("expiresOn", BilingualText(zh: "应为有效日期，如 2027-01-31", en: "must be a date such as 2027-01-31"))
        }
        // A type of this node, or of licences received from other nodes.
        var type = try await store.licences.type(code: request.typeCode.uppercased())?.type
        if type == nil { type = try await store.licences.remoteType(code: request.typeCode.uppercased()) }
        if type == nil {
            issues.add(
                "typeCode",
                BilingualText(zh: "没有证照类型 \(request.typeCode)", en: "there is no licence type \(request.typeCode)"))
        }
        if try await store.departments.find(id: request.granteeDepartmentID) == nil {
            issues.add(
                "granteeDepartmentID",
                BilingualText(
                    zh: "没有编号为 \(request.granteeDepartmentID) 的部门",
                    en: "there is no department \(request.granteeDepartmentID)"))
        }
        try issues.throwIfAny()
        // Both are set whenever no problem was found.
        guard let type, let lastDay else {
            throw ValidationError(field: "typeCode", BilingualText(zh: "无法读取", en: "cannot be read"))
        }
        return LicenceConsent(
            id: 0, basis: .holder, holderKey: nil, typeCode: type.typeCode,
            granteeDepartmentID: request.granteeDepartmentID, matter: matter, scope: request.scope, legalBasis: nil,
            grantedByDeveloperID: nil, recordedByUserID: nil, grantedAt: now,
            expiresAt: lastDay.addingDays(1).startOfDay(), revokedAt: nil)
    }
}

extension LicenceActor {
    /// An officer must hold the consumer role of the department; a system acts for its department by its credential.
    func requireUsing() throws(AccessError) {
        switch self {
        case .officer(let user): try AccessPolicy.require(user, .licencesUse)
        case .system(let system):
            guard system.isActive else {
                throw AccessError.forbidden(BilingualText(zh: "应用系统已停用", en: "the application system is disabled"))
            }
        }
    }
}
