import Foundation
import HuitongCore
import HuitongCrypto
import HuitongServices
import HuitongStore
import Hummingbird

/// Too many verifications from one address.
struct LicenceVerificationLimitError: HuitongError {
    let window: Duration
    var code: String { "too_many_verifications" }
    var kind: ErrorKind { .tooManyRequests }
    var message: BilingualText {
        let seconds = max(1, Int(window.components.seconds))
        return BilingualText(
            zh: "核验过于频繁，请 \(seconds) 秒后再试", en: "too many verifications from this address; try again in \(seconds) s")
    }
}

/// E-licences for the departments that define and issue them: `/api/v1/licence-types` (证照目录) and
/// `/api/v1/licences` (issue — by an officer or the department's application system —, read, 变更, 注销/吊销). Licences are read by their issuer here; holders, users and
/// verifiers get their own routes.
struct LicencesAPI: Sendable {
    let service: LicenceUseCases
    /// Verifications per client address (anyone may ask; identifiers must not be walked).
    let verificationLimiter: PublicRequestLimiter

    init(service: LicenceUseCases, settings: LicenceSettings) {
        self.service = service
        verificationLimiter = PublicRequestLimiter(
            limit: settings.verificationLimit, window: settings.verificationWindow)
    }

    func register(on api: RouterGroup<HuitongRequestContext>) {
        api.get("licence-types", use: types)
        api.post("licence-types", use: registerType)
        api.post("licence-types/:typeCode/batch", use: issueBatch)
        api.post("licence-types/:typeCode/collection", use: collectBatch)
        api.post("licences", use: issue)
        api.get("licences/:identifier", use: find)
        api.post("licences/:identifier/changes", use: change)
        api.post("licences/:identifier/end", use: end)
        api.get("licences/:identifier/package", use: package)
        // For anyone: the certificates that check a seal, and verification.
        api.get("licence-authority", use: authority)
        api.get("licence-seals", use: publishedSeals)
        api.post("licence-verifications", use: verify)
        // 用证 by departments, and what the operator records for it.
        api.post("licence-uses", use: use)
        api.get("licence-uses", use: uses)
        api.get("licence-legal-bases", use: legalBases)
        api.post("licence-legal-bases", use: recordLegalBasis)
        api.post("licence-holders", use: verifyHolder)
    }

    struct TypeBody: Codable {
        var type: LicenceType
        var definerDepartmentID: Int64
        var updatedAt: Date
        var catalogEntryID: Int64?

        init(_ stored: StoredLicenceType) {
            type = stored.type
            definerDepartmentID = stored.definerDepartmentID
            updatedAt = stored.updatedAt
            catalogEntryID = stored.catalogEntryID
        }
    }

    struct LicenceBody: Codable {
        var licence: Licence
        /// The status as of today (a licence past its end reads expired before the sweep records it).
        var statusNow: LicenceStatus
        var events: [LicenceEvent]?

        init(_ licence: Licence, events: [LicenceEvent]? = nil) {
            self.licence = licence
            statusNow = licence.status(on: CalendarDate.today())
            self.events = events
        }
    }

    struct ChangeInput: Codable {
        var licence: LicenceIssueRequest
        var reason: String?
    }

    struct EndInput: Codable {
        /// `cancelled` (注销) or `revoked` (吊销).
        var kind: LicenceEventKind
        var reason: String
    }

    func types(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        _ = try context.requireUser()
        return try JSONResponse.make(["items": try await service.store.licences.types().map(TypeBody.init)])
    }

    func registerType(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let type = try await request.decodeJSON(LicenceType.self, context: context)
        return try JSONResponse.make(TypeBody(try await service.registerType(type, by: user)), status: .created)
    }

    func issue(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        // An issuing department's application system calls with its credential, as it calls the gateway.
        let actor = try Self.actor(context)
        let input = try await request.decodeJSON(LicenceIssueRequest.self, context: context)
        let licence = try await service.issue(input, by: actor)
        return try JSONResponse.make(
            LicenceBody(licence),
            status: .created)
    }

    /// A sheet of licences of one type (`?fileType=csv|xlsx`, XLSX by default): each row issued or refused with its
    /// problems by row and field; 422 when any row was refused.
    func issueBatch(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let actor = try Self.actor(context)
        let typeCode = context.parameters.get("typeCode") ?? ""
        let rows = try await request.sheetRows(upTo: CatalogTransferAPI.importLimit)
        let result = try await service.issueBatch(typeCode: typeCode, rows: rows, by: actor)
        return try JSONResponse.make(result, status: result.rejected.isEmpty ? .ok : .unprocessableContent)
    }

    /// 归集 of existing licences from an issuing system's export: as a batch, with each licence's identifier,
    /// issue date and status; 422 when any row was refused.
    func collectBatch(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let actor = try Self.actor(context)
        let typeCode = context.parameters.get("typeCode") ?? ""
        let rows = try await request.sheetRows(upTo: CatalogTransferAPI.importLimit)
        let result = try await service.collectBatch(typeCode: typeCode, rows: rows, by: actor)
        return try JSONResponse.make(result, status: result.rejected.isEmpty ? .ok : .unprocessableContent)
    }

    /// An officer, or an application system calling with its credential.
    static func actor(_ context: HuitongRequestContext) throws -> LicenceActor {
        if let system = context.principal?.system { return .system(system.system) }
        return .officer(try context.requireUser())
    }

    func find(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let identifier = try Self.identifier(context)
        let (licence, events) = try await service.issued(identifier, readBy: user)
        return try JSONResponse.make(
            LicenceBody(licence, events: events))
    }

    func change(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let identifier = try Self.identifier(context)
        let input = try await request.decodeJSON(ChangeInput.self, context: context)
        let licence = try await service.change(identifier, to: input.licence, reason: input.reason, by: user)
        return try JSONResponse.make(
            LicenceBody(licence),
            status: .created)
    }

    func end(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let identifier = try Self.identifier(context)
        let input = try await request.decodeJSON(EndInput.self, context: context)
        let licence = try await service.end(identifier, as: input.kind, reason: input.reason, by: user)
        return try JSONResponse.make(
            LicenceBody(licence))
    }

    // MARK: Seals and verification

    /// A licence version's signed data package with everything needed to check it offline: the package (as
    /// signed, in UTF-8 and base64), its SM3 digest, the SM2 signature, the seal and CA certificates.
    struct PackageBody: Codable {
        var identifier: String
        var package: String
        var packageBase64: String
        var packageSM3: String
        var signature: String
        var signatureAlgorithm: String
        var sealSerial: String
        var sealCertificate: String
        var authorityCertificate: String
    }

    func package(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let sealed = try await service.sealedPackage(try Self.identifier(context), readBy: try context.requireUser())
        let signed = sealed.package
        return try JSONResponse.make(
            PackageBody(
                identifier: sealed.licence.identifier.text, package: String(decoding: signed.bytes, as: UTF8.self),
                packageBase64: Data(signed.bytes).base64EncodedString(),
                packageSM3: Hex.lowercase(SM3.hash(signed.bytes)),
                signature: Data(signed.signature).base64EncodedString(),
                signatureAlgorithm: "SM2-with-SM3 (GB/T 32918, GM/T 0009 user ID 1234567812345678)",
                sealSerial: signed.sealSerial, sealCertificate: sealed.seal.certificatePEM,
                authorityCertificate: sealed.authority.pemRepresentation))
    }

    struct CertificateBody: Codable {
        var serial: String
        var subject: String
        var notBefore: Date
        var notAfter: Date
        var fingerprintSM3: String
        var certificate: String

        init(_ issued: SM2Certificate) {
            serial = issued.serialHex
            subject = issued.subject.map { "\($0.type)=\($0.value)" }.joined(separator: ", ")
            notBefore = issued.notBefore
            notAfter = issued.notAfter
            fingerprintSM3 = issued.fingerprintSM3
            certificate = issued.pemRepresentation
        }
    }

    struct SealBody: Codable {
        var serial: String
        var departmentID: Int64
        var status: String
        var validFrom: Date
        var validUntil: Date
        var certificate: CertificateBody
    }

    /// The node's licence CA certificate: the trust anchor for `openssl verify -CAfile`.
    func authority(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        guard let authority = try await service.seals.publishedAuthority() else {
            throw StoreError.notFound(entity: "licence authority", key: "")
        }
        return try JSONResponse.make(CertificateBody(authority))
    }

    /// Every seal certificate, active and retired, so that anyone can check a package offline.
    func publishedSeals(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let seals = try await service.seals.publishedSeals().map { seal in
            SealBody(
                serial: seal.serial, departmentID: seal.departmentID, status: seal.status.rawValue,
                validFrom: seal.validFrom, validUntil: seal.validUntil,
                certificate: CertificateBody(try SM2Certificate(pemRepresentation: seal.certificatePEM)))
        }
        return try JSONResponse.make(["items": seals])
    }

    /// What a verifier sends: an identifier, or a package they hold with its signature (both base64).
    struct VerifyInput: Codable {
        var identifier: String?
        var package: String?
        var signature: String?
        /// A 亮证 code scanned from a holder's screen.
        var token: String?

        init(identifier: String? = nil, package: String? = nil, signature: String? = nil, token: String? = nil) {
            self.identifier = identifier
            self.package = package
            self.signature = signature
            self.token = token
        }
    }

    /// Verification for anyone: each check with its outcome, and a masked summary.
    func verify(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        guard verificationLimiter.take(context.peerAddress ?? "unknown") else {
            throw LicenceVerificationLimitError(window: verificationLimiter.window)
        }
        let input = try await request.decodeJSON(VerifyInput.self, context: context)
        if let token = input.token {
            // The holder showed a code, not the licence's identifier: the answer keeps it that way.
            var verification = try await service.verify(token: token)
            verification.identifier = nil
            return try JSONResponse.make(verification)
        }
        if let package = input.package {
            guard let bytes = Data(base64Encoded: package), !bytes.isEmpty else {
                throw ValidationError(
                    field: "package", BilingualText(zh: "数据包须为 base64 编码", en: "the package must be base64"))
            }
            guard let signature = input.signature.flatMap({ Data(base64Encoded: $0) }), !signature.isEmpty else {
                throw ValidationError(
                    field: "signature",
                    BilingualText(zh: "须附上 base64 编码的签名值", en: "the signature is required, base64-encoded"))
            }
            let sealSerial = LicencePackage(bytes: Array(bytes))?.seal ?? ""
            return try JSONResponse.make(
                try await service.seals.verify(
                    presented: SignedLicencePackage(
                        bytes: Array(bytes), signature: Array(signature), sealSerial: sealSerial)))
        }
        guard let text = input.identifier else {
            throw ValidationError(
                field: "identifier",
                BilingualText(
                    zh: "请给出证照标识，或数据包及其签名", en: "give a licence identifier, or a package and its signature"))
        }
        let identifier: LicenceIdentifier
        do throws(IdentifierError) { identifier = try LicenceIdentifier(text) } catch {
            throw ValidationError(field: "identifier", error.message)
        }
        return try JSONResponse.make(try await service.seals.verify(identifier))
    }

    // MARK: 用证

    /// An allowed use: the record, the licence as issued with its status now, and for a file use its package.
    struct UseBody: Codable {
        var use: LicenceUse
        var licence: Licence
        var typeName: String
        var statusNow: LicenceStatus
        var package: String?
        var packageBase64: String?
        var signature: String?
    }

    func use(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let actor = try Self.actor(context)
        let input = try await request.decodeJSON(LicenceUseRequest.self, context: context)
        let result = try await service.use(input, by: actor)
        return try JSONResponse.make(
            UseBody(
                use: result.use, licence: result.licence, typeName: result.type.name,
                statusNow: result.licence.status(on: CalendarDate.today()),
                package: result.package.map { String(decoding: $0.bytes, as: UTF8.self) },
                packageBase64: result.package.map { Data($0.bytes).base64EncodedString() },
                signature: result.package.map { Data($0.signature).base64EncodedString() }))
    }

    func uses(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try JSONResponse.make(["items": try await service.uses(of: try context.requireUser())])
    }

    func legalBases(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try JSONResponse.make(["items": try await service.legalBases(readBy: try context.requireUser())])
    }

    func recordLegalBasis(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let input = try await request.decodeJSON(LicenceConsentRequest.self, context: context)
        return try JSONResponse.make(try await service.recordLegalBasis(input, by: user), status: .created)
    }

    struct HolderInput: Codable {
        /// The portal account's sign-in e-mail.
        var email: String
        var kind: LicenceHolderKind
        /// The 公民身份号码 or 统一社会信用代码 read from the document shown at the counter.
        var documentCode: String
    }

    /// A verified holder, without the key their licences are filed under (a digest of their ID number).
    struct HolderBody: Codable {
        var developerID: Int64
        var kind: LicenceHolderKind
        var verifiedAt: Date
        var verifiedByUserID: Int64
    }

    func verifyHolder(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let input = try await request.decodeJSON(HolderInput.self, context: context)
        let link = try await service.verifyHolder(
            email: input.email, kind: input.kind, documentCode: input.documentCode, by: user)
        return try JSONResponse.make(
            HolderBody(
                developerID: link.developerID, kind: link.kind, verifiedAt: link.verifiedAt,
                verifiedByUserID: link.verifiedByUserID))
    }

    /// The licence named in the path, checked before anything is looked up.
    static func identifier(_ context: HuitongRequestContext) throws -> LicenceIdentifier {
        let raw = context.parameters.get("identifier") ?? ""
        do throws(IdentifierError) { return try LicenceIdentifier(raw) } catch {
            throw ValidationError(field: "identifier", error.message)
        }
    }
}
