import Foundation
import HuitongCore
import HuitongStore

/// Why a portal account cannot see licences.
public enum LicenceHolderError: HuitongError, Equatable {
    case notVerified
    case notYours

    public var code: String {
        switch self {
        case .notVerified: "licence_holder_not_verified"
        case .notYours: "licence_not_yours"
        }
    }

    public var kind: ErrorKind {
        switch self {
        case .notVerified: .forbidden
        case .notYours: .notFound
        }
    }

    public var message: BilingualText {
        switch self {
        case .notVerified:
            BilingualText(
                zh: "账号尚未通过实名核验，核验后才能查看本人的证照",
                en: "your account has not been verified as a licence holder yet")
        case .notYours: BilingualText(zh: "没有这张证照，或它不属于你", en: "no such licence of yours")
        }
    }
}

/// What a holder sees in 我的证照.
public struct LicenceWallet: Sendable {
    public var link: LicenceHolderLink
    /// Every version, newest first.
    public var licences: [Licence]
    public var typeNames: [String: String]
    public var consents: [LicenceConsent]
    public var uses: [LicenceUse]
    public var departmentNames: [Int64: String]
}

extension LicenceUseCases {
    /// The holder's licences, consents and the uses of their licences; only for an account the operator verified.
    public func wallet(of developer: Developer) async throws -> LicenceWallet {
        let link = try await holderLink(developer)
        // The holder's licences of this node and those of other nodes received through the cascade.
        let remote = try await store.licences.remoteLicences(holderKey: link.holderKey)
        let licences =
            try await store.licences.licences(holderKey: link.holderKey)
            + remote.compactMap { try? $0.record.licence() }
        let consents = try await store.licences.consents(holderKey: link.holderKey)
        let uses = try await store.licences.uses(holderKey: link.holderKey, limit: Self.useListLimit)
        var typeNames: [String: String] = [:]
        for licence in remote { typeNames[licence.record.type.typeCode] = licence.record.type.name }
        for type in try await store.licences.types() { typeNames[type.type.typeCode] = type.type.name }
        var departmentNames: [Int64: String] = [:]
        for department in try await store.departments.list() { departmentNames[department.id] = department.name }
        return LicenceWallet(
            link: link, licences: licences, typeNames: typeNames, consents: consents, uses: uses,
            departmentNames: departmentNames)
    }

    /// The holder lets a department use their licences of a type for a matter until a day (授权).
    public func grant(_ request: LicenceConsentRequest, by developer: Developer, at now: Date = Date()) async throws
        -> LicenceConsent
    {
        let link = try await holderLink(developer)
        var consent = try await consent(request, at: now)
        consent.holderKey = link.holderKey
        consent.grantedByDeveloperID = developer.id
        let saved = try await store.licences.saveConsent(consent)
        if let audit {
            _ = try await audit.append(
                AuditEvent(
                    action: .licenceConsentGranted, time: now, consumerDepartmentID: saved.granteeDepartmentID,
                    resourceCode: saved.typeCode, outcome: .allowed,
                    detail: ["consent": String(saved.id), "developer": String(developer.id), "matter": saved.matter]))
        }
        return saved
    }

    /// The holder withdraws a consent; uses after it are refused.
    public func revokeConsent(_ id: Int64, by developer: Developer, at now: Date = Date()) async throws
        -> LicenceConsent
    {
        let link = try await holderLink(developer)
        let revoked = try await store.licences.revokeConsent(id: id, holderKey: link.holderKey, at: now)
        if let audit {
            _ = try await audit.append(
                AuditEvent(
                    action: .licenceConsentRevoked, time: now, consumerDepartmentID: revoked.granteeDepartmentID,
                    resourceCode: revoked.typeCode, outcome: .allowed,
                    detail: ["consent": String(id), "developer": String(developer.id)]))
        }
        return revoked
    }

    /// 亮证: a token for one of the holder's valid licences, valid for `settings.showTokenLifetime`.
    public func showToken(for identifier: LicenceIdentifier, by developer: Developer, at now: Date = Date())
        async throws -> (token: String, expiresAt: Date, licence: Licence, type: LicenceType)
    {
        let link = try await holderLink(developer)
        guard let (licence, type, _) = try? await anyLicence(identifier),
            holderKeys.key(for: licence.holder) == link.holderKey
        else { throw LicenceHolderError.notYours }
        guard licence.status(on: CalendarDate(now)) == .valid else {
            throw StoreError.conflict(
                BilingualText(
                    zh: "证照\(licence.status(on: CalendarDate(now)).label.zh)，不能亮证",
                    en: "the licence is \(licence.status(on: CalendarDate(now)).label.en) and cannot be shown"))
        }
        let expiresAt = now.addingTimeInterval(Double(settings.showTokenLifetime.components.seconds))
        return (try showTokens.token(for: identifier, until: expiresAt), expiresAt, licence, type)
    }

    /// What a verifier sees for a scanned 亮证 token.
    public func verify(token: String, at now: Date = Date()) async throws -> LicenceVerification {
        try await seals.verify(try showTokens.identifier(of: token, at: now), at: now)
    }

    private func holderLink(_ developer: Developer) async throws -> LicenceHolderLink {
        guard let link = try await store.licences.holder(developerID: developer.id) else {
            throw LicenceHolderError.notVerified
        }
        return link
    }
}
