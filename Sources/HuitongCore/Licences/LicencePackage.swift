import Foundation

/// The data package an issuer's seal signs (GB/T 36905's 照面 and metadata): one licence version in canonical JSON —
/// keys sorted by UTF-16 code units, no whitespace, strings escaped minimally, absent values left out (RFC 8785's
/// rules for a document of strings). The bytes are the signed object: they are kept as signed and handed out as
/// they are, and the canonical form lets anyone rebuild them from the fields to see which one was changed.
public struct LicencePackage: Sendable, Hashable, Codable {
    public static let currentFormat = "huitong.licence.v1"

    public struct Holder: Sendable, Hashable, Codable {
        public var kind: String
        public var code: String
        public var name: String
    }

    public struct Issuer: Sendable, Hashable, Codable {
        /// The issuing department's 统一社会信用代码.
        public var code: String
        public var name: String
    }

    public var format: String
    public var identifier: String
    public var typeCode: String
    public var typeName: String
    public var holder: Holder
    /// The 照面 by field key.
    public var face: [String: String]
    public var issuedOn: String
    public var validUntil: String?
    public var issuer: Issuer
    /// 关联证照标识: the version this one replaced.
    public var previous: String?
    /// The serial number of the seal certificate that signs the package, so the signature names its certificate.
    public var seal: String

    public init(licence: Licence, typeName: String, issuerName: String, sealSerial: String) {
        format = Self.currentFormat
        identifier = licence.identifier.text
        typeCode = licence.typeCode
        self.typeName = typeName
        holder = Holder(kind: licence.holder.kind.rawValue, code: licence.holder.code, name: licence.holder.name)
        face = licence.face
        issuedOn = licence.issuedOn.description
        validUntil = licence.validUntil?.description
        issuer = Issuer(code: licence.identifier.issuerCode, name: issuerName)
        previous = licence.previous?.text
        seal = sealSerial
    }

    /// Reads a package's bytes; nil when they are not a package of this format.
    public init?(bytes: [UInt8]) {
        guard let decoded = try? JSONDecoder().decode(Self.self, from: Data(bytes)),
            decoded.format == Self.currentFormat
        else { return nil }
        self = decoded
    }

    /// The canonical bytes: what the seal signs.
    public var canonicalBytes: [UInt8] {
        var object: [(String, CanonicalJSON)] = [
            ("face", .object(face.map { ($0.key, .string($0.value)) })),
            ("format", .string(format)),
            (
                "holder",
                .object([
                    ("code", .string(holder.code)), ("kind", .string(holder.kind)), ("name", .string(holder.name)),
                ])
            ),
            ("identifier", .string(identifier)),
            ("issuedOn", .string(issuedOn)),
            ("issuer", .object([("code", .string(issuer.code)), ("name", .string(issuer.name))])),
            ("seal", .string(seal)),
            ("typeCode", .string(typeCode)),
            ("typeName", .string(typeName)),
        ]
        if let validUntil { object.append(("validUntil", .string(validUntil))) }
        if let previous { object.append(("previous", .string(previous))) }
        var out: [UInt8] = []
        CanonicalJSON.object(object).write(to: &out)
        return out
    }

    /// Where `self` differs from `record` in what a licence states (its holder, 照面, dates, identifiers and seal),
    /// each named by its path (`face.name`, `holder.code`, `validUntil`); the display names of the type and the
    /// issuer may change after issue and are not compared.
    public func differences(from record: LicencePackage) -> [String] {
        var fields: [String] = []
        func compare(_ path: String, _ mine: String?, _ theirs: String?) {
            if mine != theirs { fields.append(path) }
        }
        compare("format", format, record.format)
        compare("identifier", identifier, record.identifier)
        compare("typeCode", typeCode, record.typeCode)
        compare("holder.kind", holder.kind, record.holder.kind)
        compare("holder.code", holder.code, record.holder.code)
        compare("holder.name", holder.name, record.holder.name)
        for key in Set(face.keys).union(record.face.keys).sorted() {
            compare("face.\(key)", face[key], record.face[key])
        }
        compare("issuedOn", issuedOn, record.issuedOn)
        compare("validUntil", validUntil, record.validUntil)
        compare("issuer.code", issuer.code, record.issuer.code)
        compare("previous", previous, record.previous)
        compare("seal", seal, record.seal)
        return fields
    }
}

/// A package as signed: its bytes, the seal's SM2 signature (DER) over them, and the seal certificate's serial.
public struct SignedLicencePackage: Sendable, Hashable {
    public var bytes: [UInt8]
    public var signature: [UInt8]
    public var sealSerial: String

    public init(bytes: [UInt8], signature: [UInt8], sealSerial: String) {
        self.bytes = bytes
        self.signature = signature
        self.sealSerial = sealSerial
    }
}

/// A JSON document of strings and objects, written canonically.
enum CanonicalJSON {
    case string(String)
    case object([(String, CanonicalJSON)])

    func write(to out: inout [UInt8]) {
        switch self {
        case .string(let text): Self.write(text, to: &out)
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            // RFC 8785 §3.2.3: members sorted by their names' UTF-16 code units.
            for (index, member) in members.sorted(by: { Array($0.0.utf16).lexicographicallyPrecedes($1.0.utf16) })
                .enumerated()
            {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                Self.write(member.0, to: &out)
                out.append(UInt8(ascii: ":"))
                member.1.write(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    private static func write(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += Array(#"\""#.utf8)
            case UInt8(ascii: "\\"): out += Array(#"\\"#.utf8)
            case 0x08: out += Array(#"\b"#.utf8)
            case 0x09: out += Array(#"\t"#.utf8)
            case 0x0A: out += Array(#"\n"#.utf8)
            case 0x0C: out += Array(#"\f"#.utf8)
            case 0x0D: out += Array(#"\r"#.utf8)
            case 0x00..<0x20: out += Array(String(format: "\\u%04x", byte).utf8)
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
