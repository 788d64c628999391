import Foundation
import HuitongCore
import HuitongCrypto
import HuitongStore
import Synchronization

extension AuditAction {
    public static let licenceSealMade = AuditAction(rawValue: "licence.seal_made")
}

/// Why a licence cannot be sealed.
public enum LicenceSealError: HuitongError, Equatable {
    /// The node has no sealing key to keep seal keys under.
    case noSealingKey
    /// A stored seal or authority key does not open: the node's sealing key is not the one it was sealed with.
    case keyDoesNotOpen(String)

    public var code: String {
        switch self {
        case .noSealingKey: "licence_seal_no_sealing_key"
        case .keyDoesNotOpen: "licence_seal_key_does_not_open"
        }
    }

    public var kind: ErrorKind { .internal }

    public var message: BilingualText {
        switch self {
        case .noSealingKey:
            BilingualText(
                zh: "本节点没有密封密钥，无法保管电子印章的私钥", en: "this node has no sealing key to keep seal keys under")
        case .keyDoesNotOpen(let what):
            BilingualText(
                zh: "\(what)的私钥无法用本节点的密封密钥打开",
                en: "the private key of \(what) does not open with this node's sealing key")
        }
    }
}

/// 电子印章 (domain-services.md §2, GB/T 38540's roles, SM2 keys): the node's licence certificate authority and a
/// seal for each issuing department — an SM2 key pair sealed at rest with the node's sealing key, a certificate from
/// that authority, an image — made when first needed. Each licence version is signed by its issuer's seal in the
/// transaction that stores it; anyone can then check it with the published certificates, here or with `openssl`.
public final class LicenceSeals: Sendable {
    let store: Store
    let sealingKey: SealingKey?
    let settings: LicenceSettings
    let region: NodeRegion
    let audit: AuditLog?
    /// Private keys opened once per process, by seal serial (`authority` for the CA's): opening costs an SM4 and an
    /// HMAC, and every issue needs one.
    private let openedKeys = Mutex<[String: SM2PrivateKey]>([:])
    /// Asks a licence's issuing node for its status now (routed verification); the composition root sets it once
    /// the node's cascade endpoint exists. Nil: the status of another node's licence is the last one it pushed.
    private let liveStatus = Mutex<(@Sendable (String, NodeRegion) async throws -> LicenceStatusAnswer)?>(nil)

    public func useLiveStatus(_ ask: @escaping @Sendable (String, NodeRegion) async throws -> LicenceStatusAnswer) {
        liveStatus.withLock { $0 = ask }
    }

    public init(store: Store, sealingKey: SealingKey?, settings: LicenceSettings, region: NodeRegion, audit: AuditLog?)
    {
        self.store = store
        self.sealingKey = sealingKey
        self.settings = settings
        self.region = region
        self.audit = audit
    }

    static let authorityContext = "licence authority"
    static func sealContext(_ serial: String) -> String { "licence seal \(serial)" }

    // MARK: The authority

    /// The node's licence CA certificate, made at the first call (by a seal's first use).
    public func authorityCertificate(at now: Date = Date()) async throws -> SM2Certificate {
        try await authority(at: now).certificate
    }

    /// The node's licence CA certificate once it exists: what verification and publication read, without the
    /// CA's private key and without making a CA on a stranger's request.
    public func publishedAuthority() async throws -> SM2Certificate? {
        try await store.licences.authority().map { try SM2Certificate(pemRepresentation: $0.certificatePEM) }
    }

    func authority(at now: Date) async throws -> (certificate: SM2Certificate, key: SM2PrivateKey) {
        if let stored = try await store.licences.authority() {
            return (
                try SM2Certificate(pemRepresentation: stored.certificatePEM),
                try open(stored.sealedPrivateKey, "authority", Self.authorityContext, what: "电子证照 CA")
            )
        }
        guard let sealingKey else { throw LicenceSealError.noSealingKey }
        let key = try SM2PrivateKey.generate()
        let certificate = try SM2Certificate.selfSigned(
            SM2Certificate.Profile(
                subject: [
                    .init("C", "CN"), .init("O", "汇通公共数据平台 \(region.code)"),
                    .init("CN", "汇通电子证照 CA \(region.code)"),
                ],
                serial: Self.randomSerial(), notBefore: now,
                notAfter: now.addingTimeInterval(Double(settings.authorityYears) * 365.25 * 86_400), isAuthority: true),
            key: key)
        let kept = try await store.licences.createAuthority(
            StoredLicenceAuthority(
                certificatePEM: certificate.pemRepresentation,
                sealedPrivateKey: sealingKey.seal(key.pemRepresentation, context: Self.authorityContext), createdAt: now
            ))
        return (
            try SM2Certificate(pemRepresentation: kept.certificatePEM),
            try open(kept.sealedPrivateKey, "authority", Self.authorityContext, what: "电子证照 CA")
        )
    }

    // MARK: Seals

    /// A department's seal in use with its opened key: the active one, or a new one when it has none or its
    /// certificate has run out (the old one is retired and still verifies what it signed).
    func activeSeal(for department: Department, at now: Date) async throws -> (
        seal: StoredLicenceSeal, key: SM2PrivateKey
    ) {
        if let active = try await store.licences.activeSeal(departmentID: department.id) {
            if active.validUntil > now {
                return (
                    active,
                    try open(
                        active.sealedPrivateKey, active.serial, Self.sealContext(active.serial),
                        what: "电子印章 \(active.serial)")
                )
            }
            try await store.licences.retireSeal(serial: active.serial)
        }
        guard let sealingKey else { throw LicenceSealError.noSealingKey }
        let authority = try await authority(at: now)
        let key = try SM2PrivateKey.generate()
        var subject: [SM2Certificate.NameAttribute] = [
            .init("C", "CN"), .init("O", department.name), .init("CN", "\(department.name) 电子证照专用章"),
        ]
        if let creditCode = department.creditCode { subject.append(.init("serialNumber", creditCode)) }
        let notAfter = min(
            now.addingTimeInterval(Double(settings.sealYears) * 365.25 * 86_400), authority.certificate.notAfter)
        let certificate = try SM2Certificate.issue(
            SM2Certificate.Profile(
                subject: subject, serial: Self.randomSerial(), notBefore: now, notAfter: notAfter, isAuthority: false),
            for: key.publicKey, by: authority.certificate, issuerKey: authority.key)
        let serial = certificate.serialHex
        let kept = try await store.licences.createSeal(
            StoredLicenceSeal(
                serial: serial, departmentID: department.id, certificatePEM: certificate.pemRepresentation,
                sealedPrivateKey: sealingKey.seal(key.pemRepresentation, context: Self.sealContext(serial)),
                image: SealImage.svg(departmentName: department.name), validFrom: now, validUntil: notAfter,
                status: .active, createdAt: now))
        if kept.serial == serial, let audit {
            _ = try await audit.append(
                AuditEvent(
                    action: .licenceSealMade, time: now, providerDepartmentID: department.id, outcome: .allowed,
                    detail: ["seal": serial, "certificateSM3": certificate.fingerprintSM3]))
        }
        return (
            kept,
            try open(kept.sealedPrivateKey, kept.serial, Self.sealContext(kept.serial), what: "电子印章 \(kept.serial)")
        )
    }

    /// Signs versions of licences of `typeName` issued by `issuer`: the package of each with its seal's signature.
    func signer(issuer: Department, typeName: String, at now: Date) async throws -> LicenceSigner {
        let (seal, key) = try await activeSeal(for: issuer, at: now)
        return { licence in
            let bytes = LicencePackage(
                licence: licence, typeName: typeName, issuerName: issuer.name, sealSerial: seal.serial
            ).canonicalBytes
            return SignedLicencePackage(bytes: bytes, signature: try key.signature(for: bytes), sealSerial: seal.serial)
        }
    }

    /// Every seal certificate this node has made, for verifiers: active and retired.
    public func publishedSeals() async throws -> [StoredLicenceSeal] {
        try await store.licences.seals()
    }

    // MARK: Verification

    /// Another node's licence as it stands now: its status asked of its issuing node when that node answers, else
    /// the last one it pushed down; with the reason it ended and where the status comes from.
    func current(_ remote: RemoteLicence) async throws -> (Licence, String?, BilingualText) {
        var licence = try remote.record.licence()
        if let ask = liveStatus.withLock({ $0 }), let node = try? NodeRegion(remote.record.issuingNode),
            let answer = try? await ask(remote.record.identifier, node)
        {
            licence.status = answer.status
            return (
                licence, answer.reason,
                BilingualText(zh: "已向签发节点 \(node.code) 实时查询", en: "asked of the issuing node \(node.code) now")
            )
        }
        return (
            licence, remote.record.statusReason,
            BilingualText(
                zh: "签发节点暂未应答，为最近一次回流的状态", en: "the issuing node did not answer; as last sent down the cascade")
        )
    }

    /// Verifies the package the library holds for `identifier`: what a verifier gets from an identifier or a
    /// 亮证 token.
    public func verify(_ identifier: LicenceIdentifier, at now: Date = Date()) async throws -> LicenceVerification {
        if let signed = try await store.licences.signedPackage(identifier) {
            return try await verify(presented: signed, at: now)
        }
        // A licence of another node, received through the cascade: checked with that node's certificates.
        guard let remote = try await store.licences.remoteLicence(identifier.text),
            let signed = remote.record.signedPackage
        else { throw StoreError.notFound(entity: "licence", key: identifier.text) }
        return try await verify(presented: signed, at: now)
    }

    /// Verifies a package someone presents (the bytes and signature they were given), against the seal it names
    /// and the library's record of the licence it names.
    public func verify(presented: SignedLicencePackage, at now: Date = Date()) async throws -> LicenceVerification {
        let package = LicencePackage(bytes: presented.bytes)
        var licence: Licence?
        var type: LicenceType?
        var signedAt: Date?
        var reason: String?
        var certificate: SM2Certificate?
        if let package, let identifier = try? LicenceIdentifier(package.identifier) {
            licence = try await store.licences.find(identifier)
            if let licence {
                type = try await store.licences.type(code: licence.typeCode)?.type
                let events = try await store.licences.events(identifier)
                signedAt = events.first { $0.kind == .issued || $0.kind == .collected }?.at
                reason = events.last { $0.kind.needsReason }?.reason
            }
        }
        if let package, let seal = try await store.licences.seal(serial: package.seal) {
            certificate = try SM2Certificate(pemRepresentation: seal.certificatePEM)
        }
        if licence == nil, let package, let remote = try await store.licences.remoteLicence(package.identifier) {
            // A licence of another node: checked against that node's record and certificates, its status asked of
            // that node now when it answers, else the last one it pushed.
            let (licence, reason, source) = try await current(remote)
            return LicenceVerification(
                LicenceVerificationInput(
                    presented: presented, licence: licence, type: remote.record.type,
                    signedAt: remote.record.sealedAt,
                    statusReason: reason,
                    sealCertificate: try SM2Certificate(pemRepresentation: remote.record.sealCertificate),
                    authority: try SM2Certificate(pemRepresentation: remote.record.authorityCertificate),
                    issuingNode: remote.record.issuingNode, statusSource: source),
                now: now)
        }
        // No CA yet: this node never sealed a licence, so the package is none of its own.
        guard let authority = try await publishedAuthority() else {
            throw StoreError.notFound(entity: "licence", key: package?.identifier ?? "")
        }
        return LicenceVerification(
            LicenceVerificationInput(
                presented: presented, licence: licence, type: type, signedAt: signedAt, statusReason: reason,
                sealCertificate: certificate, authority: authority),
            now: now)
    }

    private static func randomSerial() -> [UInt8] {
        var serial = (0..<16).map { _ in UInt8.random(in: 0...255) }
        // A positive INTEGER with no leading zero byte, 16 bytes long.
        serial[0] = (serial[0] & 0x7F) | 0x40
        return serial
    }

    private func open(_ sealed: String, _ cacheKey: String, _ context: String, what: String) throws -> SM2PrivateKey {
        if let cached = openedKeys.withLock({ $0[cacheKey] }) { return cached }
        guard let sealingKey else { throw LicenceSealError.noSealingKey }
        let pem: String
        do { pem = try sealingKey.open(sealed, context: context) } catch { throw LicenceSealError.keyDoesNotOpen(what) }
        let key = try SM2PrivateKey(pemRepresentation: pem)
        openedKeys.withLock { $0[cacheKey] = key }
        return key
    }
}
