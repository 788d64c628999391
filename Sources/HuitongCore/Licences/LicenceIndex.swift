import Foundation

/// One licence as it travels down the cascade (证照回流): everything a node below needs to verify it with the
/// issuing node's certificates and to let its departments use it under its own consent rules.
public struct LicenceIndexRecord: Sendable, Hashable, Codable {
    /// The node whose seal signed the licence.
    public var issuingNode: String
    public var identifier: String
    /// The type as its definer registered it: the 照面 schema and which fields are masked.
    public var type: LicenceType
    public var issuerName: String
    public var holder: LicenceHolder
    public var face: [String: String]
    public var issuedOn: String
    public var validUntil: String?
    public var previous: String?
    /// The status on the issuing node when this record was sent.
    public var status: LicenceStatus
    public var statusReason: String?
    /// The signed package (base64), its SM2 signature (base64), the seal certificate and the issuing node's CA
    /// certificate (PEM).
    public var package: String
    public var signature: String
    public var sealCertificate: String
    public var authorityCertificate: String
    /// When the issuing node sealed this version, so that a node below can check the seal certificate was valid
    /// then; absent from records of nodes that predate it.
    public var sealedAt: Date?
    /// How many events the licence had on its issuing node when this record was sent: a node keeps a record only
    /// when it is newer than the one it holds, so a delayed resend cannot undo a revocation.
    public var sequence: Int

    public init(
        issuingNode: String, identifier: String, type: LicenceType, issuerName: String, holder: LicenceHolder,
        face: [String: String], issuedOn: String, validUntil: String?, previous: String?, status: LicenceStatus,
        statusReason: String?, package: String, signature: String, sealCertificate: String,
        authorityCertificate: String, sequence: Int, sealedAt: Date? = nil
    ) {
        self.sequence = sequence
        self.sealedAt = sealedAt
        self.issuingNode = issuingNode
        self.identifier = identifier
        self.type = type
        self.issuerName = issuerName
        self.holder = holder
        self.face = face
        self.issuedOn = issuedOn
        self.validUntil = validUntil
        self.previous = previous
        self.status = status
        self.statusReason = statusReason
        self.package = package
        self.signature = signature
        self.sealCertificate = sealCertificate
        self.authorityCertificate = authorityCertificate
    }

    /// The licence as this node keeps it (`issuerDepartmentID` 0: the issuer is a department of another node).
    public func licence() throws -> Licence {
        guard let issuedOn = CalendarDate(iso: issuedOn) else {
            throw ValidationError(field: "issuedOn", BilingualText(zh: "签发日期无效", en: "the issue date is invalid"))
        }
        return Licence(
            identifier: try LicenceIdentifier(identifier), typeCode: type.typeCode, holder: holder, face: face,
            issuedOn: issuedOn, validUntil: validUntil.flatMap { CalendarDate(iso: $0) }, status: status,
            previous: try previous.map { try LicenceIdentifier($0) }, issuerDepartmentID: 0)
    }

    public var signedPackage: SignedLicencePackage? {
        guard let bytes = Data(base64Encoded: package), let signature = Data(base64Encoded: signature),
            let parsed = LicencePackage(bytes: Array(bytes))
        else { return nil }
        return SignedLicencePackage(bytes: Array(bytes), signature: Array(signature), sealSerial: parsed.seal)
    }
}

/// A batch of licences pushed to a child node.
public struct LicenceIndexBatch: Sendable, Hashable, Codable {
    public var records: [LicenceIndexRecord]

    public init(records: [LicenceIndexRecord]) {
        self.records = records
    }
}

extension LicenceHolder {
    /// The GB/T 2260 region the holder's identifier names: the first six digits of a 公民身份号码 (where the number
    /// was first issued), characters 3–8 of a 统一社会信用代码 (where the organisation registered). What 证照回流
    /// routes a licence by.
    public var regionCode: String {
        switch kind {
        case .person: String(code.prefix(6))
        case .organisation: String(code.dropFirst(2).prefix(6))
        }
    }
}

/// A routed question to a licence's issuing node: where does this licence stand now?
public struct LicenceStatusQuery: Sendable, Hashable, Codable {
    public var identifier: String

    public init(identifier: String) {
        self.identifier = identifier
    }
}

/// The issuing node's answer: the status today and why it ended, if it did.
public struct LicenceStatusAnswer: Sendable, Hashable, Codable {
    public var identifier: String
    public var status: LicenceStatus
    public var reason: String?

    public init(identifier: String, status: LicenceStatus, reason: String?) {
        self.identifier = identifier
        self.status = status
        self.reason = reason
    }
}
