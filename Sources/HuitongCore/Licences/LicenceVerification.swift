import Foundation
import HuitongCrypto

/// What a verifier learns of a licence (by its identifier, a 亮证 token or a package they hold): each check with
/// its outcome in words, and a summary of the licence with personal fields masked. It says which check failed; it
/// never shows a field's value in full to a stranger.
public struct LicenceVerification: Sendable, Hashable, Codable {
    public enum CheckKind: String, Sendable, Hashable, Codable, CaseIterable {
        /// The bytes are a licence data package.
        case package
        /// The seal certificate chains to the node's authority and was valid when the licence was signed.
        case certificate
        /// The seal's SM2 signature over the package holds.
        case signature
        /// The package is the one the library holds for this licence (nothing in it was altered).
        case record
        /// The licence is valid today (not superseded, cancelled, revoked or expired).
        case status
    }

    public struct Check: Sendable, Hashable, Codable {
        public var kind: CheckKind
        public var passed: Bool
        public var message: BilingualText
    }

    /// One 照面 line as a verifier sees it.
    public struct Line: Sendable, Hashable, Codable {
        public var label: String
        public var value: String
    }

    public var identifier: String?
    public var checks: [Check]
    public var status: LicenceStatus?
    public var typeName: String?
    public var issuerName: String?
    public var holderName: String?
    public var issuedOn: String?
    public var validUntil: String?
    /// The 照面 with the type's masked fields masked.
    public var face: [Line]
    /// The fields of the presented package that differ from the library's record (`face.name`, `holder.code` …).
    public var alteredFields: [String]

    /// Whether every check passed.
    public var isValid: Bool { !checks.isEmpty && checks.allSatisfy(\.passed) }

    /// The first check that failed.
    public var failure: Check? { checks.first { !$0.passed } }

    private enum WireKeys: String, CodingKey {
        case valid, identifier, checks, status, typeName, issuerName, holderName, issuedOn, validUntil, face
        case alteredFields
    }

    /// The fields, led by `valid`: the one answer most verifiers want.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: WireKeys.self)
        try container.encode(isValid, forKey: .valid)
        try container.encodeIfPresent(identifier, forKey: .identifier)
        try container.encode(checks, forKey: .checks)
        try container.encodeIfPresent(status, forKey: .status)
        try container.encodeIfPresent(typeName, forKey: .typeName)
        try container.encodeIfPresent(issuerName, forKey: .issuerName)
        try container.encodeIfPresent(holderName, forKey: .holderName)
        try container.encodeIfPresent(issuedOn, forKey: .issuedOn)
        try container.encodeIfPresent(validUntil, forKey: .validUntil)
        try container.encode(face, forKey: .face)
        try container.encode(alteredFields, forKey: .alteredFields)
    }
}

/// What verification compares: the package presented, and what the library holds for its licence.
public struct LicenceVerificationInput: Sendable {
    /// The package as presented (for a check by identifier, the library's own).
    public var presented: SignedLicencePackage
    /// The licence the package names, as the library holds it; nil when the library has no such licence.
    public var licence: Licence?
    public var type: LicenceType?
    /// When the licence version was signed (its issue event).
    public var signedAt: Date?
    /// Why the licence stopped being valid, when it did.
    public var statusReason: String?
    /// The certificate of the seal the package names; nil when the node knows no seal of that serial.
    public var sealCertificate: SM2Certificate?
    public var authority: SM2Certificate
    /// The node that issued the licence, when it is not this one (its CA is then the one the cascade delivered).
    public var issuingNode: String?
    /// Where the status comes from, when it is not this node's own record (the issuing node asked now, or the last
    /// record the cascade brought).
    public var statusSource: BilingualText?

    public init(
        presented: SignedLicencePackage, licence: Licence?, type: LicenceType?, signedAt: Date?, statusReason: String?,
        sealCertificate: SM2Certificate?, authority: SM2Certificate, issuingNode: String? = nil,
        statusSource: BilingualText? = nil
    ) {
        self.issuingNode = issuingNode
        self.statusSource = statusSource
        self.presented = presented
        self.licence = licence
        self.type = type
        self.signedAt = signedAt
        self.statusReason = statusReason
        self.sealCertificate = sealCertificate
        self.authority = authority
    }
}

extension LicenceVerification {
    /// Runs every check on `input` as of `now`.
    public init(_ input: LicenceVerificationInput, now: Date) {
        checks = []
        face = []
        alteredFields = []
        guard let package = LicencePackage(bytes: input.presented.bytes) else {
            checks.append(
                Check(
                    kind: .package, passed: false,
                    message: BilingualText(
                        zh: "所出示的内容不是电子证照数据包", en: "what was presented is not a licence data package")))
            return
        }
        identifier = package.identifier
        typeName = package.typeName
        issuerName = package.issuer.name
        checks.append(
            Check(kind: .package, passed: true, message: BilingualText(zh: "数据包格式正确", en: "a licence data package")))
        checks.append(Self.certificateCheck(input, package: package))
        let signed =
            input.sealCertificate?.publicKey.isValidSignature(
                input.presented.signature, for: input.presented.bytes) ?? false
        checks.append(
            signed
                ? Check(
                    kind: .signature, passed: true,
                    message: BilingualText(zh: "电子印章签名有效（SM2/SM3）", en: "the seal's SM2/SM3 signature holds"))
                : Check(
                    kind: .signature, passed: false,
                    message: BilingualText(
                        zh: "电子印章签名无效：数据包在签章后被改动，或并非该印章所签",
                        en:
                            "the seal's signature does not hold: the package was altered after sealing, or another key signed it"
                    )))
        guard let licence = input.licence else {
            checks.append(
                Check(
                    kind: .record, passed: false,
                    message: BilingualText(
                        zh: "证照库中没有标识为 \(package.identifier) 的证照",
                        en: "the library holds no licence \(package.identifier)")))
            return
        }
        let record = LicencePackage(
            licence: licence, typeName: package.typeName, issuerName: package.issuer.name, sealSerial: package.seal)
        // Anyone may present any package. Where its signature fails, naming which masked or personal field differs
        // would let a stranger test guesses of hidden values one request at a time, so only fields a verifier sees
        // anyway are named; a signed package names every field that differs.
        let visible = signed ? nil : Self.visibleFields(of: input.type, holder: licence.holder.kind)
        alteredFields = package.differences(from: record).filter { visible?.contains($0) ?? true }
        let hiddenDiffer = !signed && alteredFields.isEmpty && !package.differences(from: record).isEmpty
        if hiddenDiffer {
            checks.append(
                Check(
                    kind: .record, passed: false,
                    message: BilingualText(
                        zh: "与证照库的签发记录不符（改动的是受保护的字段，不予列明）",
                        en: "differs from the library's record of issue in protected fields, which are not named")))
        } else if alteredFields.isEmpty {
            checks.append(
                Check(
                    kind: .record, passed: true,
                    message: BilingualText(zh: "与证照库的签发记录一致", en: "matches the library's record of issue")))
        } else {
            let labels = alteredFields.map { Self.label(of: $0, in: input.type) }
            checks.append(
                Check(
                    kind: .record, passed: false,
                    message: BilingualText(
                        zh: "与证照库的签发记录不符，被改动的项：\(labels.map(\.zh).joined(separator: "、"))",
                        en: "differs from the library's record of issue in: \(labels.map(\.en).joined(separator: ", "))"
                    )))
        }
        let status = licence.status(on: CalendarDate(now))
        self.status = status
        let reason = input.statusReason.map { "：\($0)" } ?? ""
        let source = input.statusSource.map { (zh: "（\($0.zh)）", en: " (\($0.en))") } ?? (zh: "", en: "")
        checks.append(
            status == .valid
                ? Check(
                    kind: .status, passed: true,
                    message: BilingualText(zh: "证照当前有效\(source.zh)", en: "the licence is valid today\(source.en)"))
                : Check(
                    kind: .status, passed: false,
                    message: BilingualText(
                        zh: "证照\(status.label.zh)\(reason)\(source.zh)",
                        en: "the licence is \(status.label.en)\(input.statusReason.map { ": \($0)" } ?? "")\(source.en)"
                    )))
        // The summary shows the library's record, not what was presented, masked as the type says.
        holderName = LicenceMasking.mask(licence.holder.name, personal: licence.holder.kind == .person)
        issuedOn = licence.issuedOn.description
        validUntil = licence.validUntil?.description
        face = (input.type?.fields ?? []).compactMap { field in
            guard let value = licence.face[field.key] else { return nil }
            return Line(
                label: field.label, value: field.isMaskedByDefault ? LicenceMasking.mask(value, field.type) : value)
        }
    }

    private static func certificateCheck(_ input: LicenceVerificationInput, package: LicencePackage) -> Check {
        guard let certificate = input.sealCertificate else {
            return Check(
                kind: .certificate, passed: false,
                message: BilingualText(
                    zh: "本平台没有序列号为 \(package.seal) 的电子印章证书",
                    en: "this platform has no seal certificate with serial \(package.seal)"))
        }
        let authority =
            input.issuingNode.map {
                BilingualText(zh: "签发节点（\($0)）的电子证照 CA", en: "the licence CA of the issuing node \($0)")
            } ?? BilingualText(zh: "本平台电子证照 CA", en: "this platform's licence CA")
        guard certificate.isSigned(by: input.authority) else {
            return Check(
                kind: .certificate, passed: false,
                message: BilingualText(
                    zh: "印章证书不是\(authority.zh)签发的", en: "the seal certificate was not issued by \(authority.en)"))
        }
        if let signedAt = input.signedAt, !certificate.isValid(at: signedAt) {
            return Check(
                kind: .certificate, passed: false,
                message: BilingualText(
                    zh: "签章时印章证书不在有效期内", en: "the seal certificate was not valid when the licence was sealed"))
        }
        return Check(
            kind: .certificate, passed: true,
            message: BilingualText(
                zh: "印章证书由\(authority.zh)签发，签章时有效（\(certificate.subject("CN") ?? package.issuer.name)）",
                en: "the seal certificate chains to \(authority.en) and was valid when sealing"))
    }

    /// The package paths a stranger may learn differ: every one but the masked 照面 fields and a person's name
    /// and ID number.
    static func visibleFields(of type: LicenceType?, holder: LicenceHolderKind) -> Set<String> {
        var paths: Set<String> = [
            "format", "identifier", "typeCode", "holder.kind", "issuedOn", "validUntil", "issuer.code", "previous",
            "seal",
        ]
        if holder == .organisation { paths.formUnion(["holder.code", "holder.name"]) }
        for field in type?.fields ?? [] where !field.isMaskedByDefault { paths.insert("face.\(field.key)") }
        return paths
    }

    /// A package path as people read it: a 照面 field by its printed label.
    static func label(of path: String, in type: LicenceType?) -> BilingualText {
        if path.hasPrefix("face.") {
            let key = String(path.dropFirst(5))
            let label = type?.fields.first { $0.key == key }?.label ?? key
            return BilingualText(zh: "照面“\(label)”(\(path))", en: "face field \(label) (\(path))")
        }
        let names: [String: (String, String)] = [
            "holder.code": ("持证主体代码", "holder's code"), "holder.name": ("持证主体名称", "holder's name"),
            "holder.kind": ("持证主体类别", "holder kind"), "identifier": ("证照标识", "identifier"),
            "typeCode": ("证照类型代码", "type code"), "issuedOn": ("签发日期", "issue date"),
            "validUntil": ("有效期至", "valid until"), "issuer.code": ("发证机构代码", "issuer's code"),
            "previous": ("关联证照标识", "previous version"), "seal": ("印章证书序列号", "seal serial"),
            "format": ("数据包格式", "package format"),
        ]
        let (zh, en) = names[path] ?? (path, path)
        return BilingualText(zh: "\(zh)(\(path))", en: "\(en) (\(path))")
    }
}

/// How a licence's personal values are shown to someone who is not the holder or the issuer.
public enum LicenceMasking {
    public static func mask(_ value: String, _ type: LicenceFieldType) -> String {
        switch type {
        case .residentID: MaskingRule.residentIDFirst6Last4.apply(to: value)
        case .creditCode: value
        case .date, .number: MaskingRule.all.apply(to: value)
        case .text: MaskingRule.keep(first: 1, last: 0).apply(to: value)
        }
    }

    /// A holder's name: a person's keeps its first character; an organisation's is public.
    public static func mask(_ name: String, personal: Bool) -> String {
        personal ? MaskingRule.default(for: .personName).apply(to: name) : name
    }
}
