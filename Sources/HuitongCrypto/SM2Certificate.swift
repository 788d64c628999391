import CLibcrypto
import Foundation

/// An X.509 certificate over an SM2 key, signed SM2-with-SM3 (OID 1.2.156.10197.1.501) under the GM/T 0009 user ID,
/// made and read by libcrypto. What `openssl verify -vfyopt distid:1234567812345678` checks, so anyone can check a
/// chain this node publishes with the stock command line.
public final class SM2Certificate: @unchecked Sendable, Hashable {
    // Never changed after init; libcrypto allows concurrent reads of one X509.
    let certificate: OpaquePointer
    /// The DER encoding, as issued.
    public let der: [UInt8]

    /// One attribute of a distinguished name, by its short name (`C`, `O`, `OU`, `CN`, `serialNumber`).
    public struct NameAttribute: Sendable, Hashable {
        public var type: String
        public var value: String

        public init(_ type: String, _ value: String) {
            self.type = type
            self.value = value
        }
    }

    /// What a new certificate says of its subject.
    public struct Profile: Sendable {
        public var subject: [NameAttribute]
        /// 1–20 bytes; the issuer keeps them unique among its certificates.
        public var serial: [UInt8]
        public var notBefore: Date
        public var notAfter: Date
        /// A CA signs certificates (keyCertSign, cRLSign); an end entity signs data (digitalSignature,
        /// nonRepudiation), as an electronic seal does.
        public var isAuthority: Bool

        public init(subject: [NameAttribute], serial: [UInt8], notBefore: Date, notAfter: Date, isAuthority: Bool) {
            self.subject = subject
            self.serial = serial
            self.notBefore = notBefore
            self.notAfter = notAfter
            self.isAuthority = isAuthority
        }
    }

    private init(owning certificate: OpaquePointer) {
        self.certificate = certificate
        self.der = DER.encode { cursor in i2d_X509(certificate, cursor) }
    }

    deinit {
        X509_free(certificate)
    }

    /// Reads a DER certificate; refuses one whose key is not SM2.
    public convenience init(der: [UInt8]) throws(CryptographyError) {
        let parsed: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            var cursor = buffer.baseAddress
            return d2i_X509(nil, &cursor, buffer.count)
        }
        guard let parsed else {
            _ = LibCrypto.drainErrors()
            throw CryptographyError.malformedCertificate(expected: "a DER X.509 certificate")
        }
        guard let key = X509_get0_pubkey(parsed), EVP_PKEY_is_a(key, "SM2") == 1 else {
            X509_free(parsed)
            _ = LibCrypto.drainErrors()
            throw CryptographyError.malformedCertificate(expected: "a certificate of an SM2 key")
        }
        self.init(owning: parsed)
    }

    /// Reads a `-----BEGIN CERTIFICATE-----` block.
    public convenience init(pemRepresentation text: String) throws(CryptographyError) {
        guard let der = PEM.decode(text, label: "CERTIFICATE") else {
            throw CryptographyError.malformedCertificate(expected: "a PEM \"CERTIFICATE\" block")
        }
        try self.init(der: der)
    }

    /// A self-signed authority certificate for `key`.
    public static func selfSigned(_ profile: Profile, key: SM2PrivateKey) throws(CryptographyError) -> SM2Certificate {
        try make(profile, publicKey: key.publicKey, issuer: nil, signingKey: key)
    }

    /// A certificate for `publicKey` issued by `issuer` (an authority) with its key `issuerKey`.
    public static func issue(
        _ profile: Profile, for publicKey: SM2PublicKey, by issuer: SM2Certificate, issuerKey: SM2PrivateKey
    ) throws(CryptographyError) -> SM2Certificate {
        guard issuer.publicKey == issuerKey.publicKey else {
            throw CryptographyError.malformedKey(expected: "the private key of the issuing certificate")
        }
        return try make(profile, publicKey: publicKey, issuer: issuer, signingKey: issuerKey)
    }

    private static func make(
        _ profile: Profile, publicKey: SM2PublicKey, issuer: SM2Certificate?, signingKey: SM2PrivateKey
    ) throws(CryptographyError) -> SM2Certificate {
        guard (1...20).contains(profile.serial.count) else {
            throw CryptographyError.malformedCertificate(expected: "a serial number of 1 to 20 bytes")
        }
        guard let made = X509_new() else { throw LibCrypto.failure("X509_new") }
        // Owned by `made` until it is handed to the certificate object.
        var owned = true
        defer { if owned { X509_free(made) } }
        try LibCrypto.check(X509_set_version(made, 2), "X509 version")
        try setSerial(made, profile.serial)
        let subject = try name(profile.subject)
        defer { X509_NAME_free(subject) }
        try LibCrypto.check(X509_set_subject_name(made, subject), "X509 subject")
        try LibCrypto.check(
            X509_set_issuer_name(made, issuer.map { X509_get_subject_name($0.certificate) } ?? subject), "X509 issuer")
        guard ASN1_TIME_set(X509_getm_notBefore(made), time_t(profile.notBefore.timeIntervalSince1970)) != nil,
            ASN1_TIME_set(X509_getm_notAfter(made), time_t(profile.notAfter.timeIntervalSince1970)) != nil
        else { throw LibCrypto.failure("X509 validity") }
        try LibCrypto.check(X509_set_pubkey(made, publicKey.key), "X509 public key")
        var context = X509V3_CTX()
        X509V3_set_ctx(&context, issuer?.certificate ?? made, made, nil, nil, 0)
        var extensions = [
            (NID_basic_constraints, profile.isAuthority ? "critical,CA:TRUE" : "critical,CA:FALSE"),
            (
                NID_key_usage,
                profile.isAuthority ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature,nonRepudiation"
            ),
            (NID_subject_key_identifier, "hash"),
        ]
        if issuer != nil { extensions.append((NID_authority_key_identifier, "keyid:always")) }
        for (nid, value) in extensions {
            guard let ext = X509V3_EXT_conf_nid(nil, &context, nid, value) else {
                throw LibCrypto.failure("X509 extension \(nid)")
            }
            defer { X509_EXTENSION_free(ext) }
            try LibCrypto.check(X509_add_ext(made, ext, -1), "X509 add extension")
        }
        let signed = try withDigestContext(signingKey.key, userID: SM2.defaultUserID) {
            (digest) throws(CryptographyError) -> Int32 in
            try LibCrypto.check(
                EVP_DigestSignInit(digest, nil, FetchedAlgorithms.shared.sm3, nil, signingKey.key), "X509 sign init")
            return X509_sign_ctx(made, digest)
        }
        guard signed > 0 else { throw LibCrypto.failure("X509 sign") }
        owned = false
        return SM2Certificate(owning: made)
    }

    private static func setSerial(_ certificate: OpaquePointer, _ bytes: [UInt8]) throws(CryptographyError) {
        guard let number = BN_bin2bn(bytes, Int32(bytes.count), nil) else { throw LibCrypto.failure("BN_bin2bn") }
        defer { BN_free(number) }
        guard let serial = BN_to_ASN1_INTEGER(number, nil) else { throw LibCrypto.failure("X509 serial") }
        defer { ASN1_INTEGER_free(serial) }
        try LibCrypto.check(X509_set_serialNumber(certificate, serial), "X509 serial")
    }

    private static func name(_ attributes: [NameAttribute]) throws(CryptographyError) -> OpaquePointer {
        guard let name = X509_NAME_new() else { throw LibCrypto.failure("X509_NAME_new") }
        for attribute in attributes {
            let bytes = Array(attribute.value.utf8)
            guard X509_NAME_add_entry_by_txt(name, attribute.type, MBSTRING_UTF8, bytes, Int32(bytes.count), -1, 0) == 1
            else {
                X509_NAME_free(name)
                throw LibCrypto.failure("X509 name \(attribute.type)")
            }
        }
        return name
    }

    // MARK: Reading

    public var pemRepresentation: String { PEM.encode(der, label: "CERTIFICATE") }

    /// The subject's key.
    public var publicKey: SM2PublicKey {
        let spki = DER.encode { cursor in i2d_PUBKEY(X509_get0_pubkey(certificate), cursor) }
        // Checked to be an SM2 key when the certificate was read or made.
        return try! SM2PublicKey(subjectPublicKeyInfo: spki)
    }

    /// The serial number in upper-case hex, as `openssl x509 -serial` prints it.
    public var serialHex: String {
        guard let serial = X509_get0_serialNumber(certificate), let data = serial.pointee.data else { return "" }
        return (0..<Int(serial.pointee.length)).map { String(format: "%02X", data[$0]) }.joined()
    }

    public var subject: [NameAttribute] { Self.attributes(X509_get_subject_name(certificate)) }
    public var issuer: [NameAttribute] { Self.attributes(X509_get_issuer_name(certificate)) }

    /// The value of the subject's first attribute of `type` (e.g. `CN`).
    public func subject(_ type: String) -> String? { subject.first { $0.type == type }?.value }

    public var notBefore: Date { Self.date(X509_get0_notBefore(certificate)) }
    public var notAfter: Date { Self.date(X509_get0_notAfter(certificate)) }

    /// Whether the certificate says it is an authority (basicConstraints CA:TRUE).
    public var isAuthority: Bool { X509_check_ca(certificate) != 0 }

    /// Whether `issuer`'s key signed this certificate (the signature over the to-be-signed part, under the GM/T 0009
    /// user ID) and the issuer is named as this certificate's issuer.
    public func isSigned(by issuer: SM2Certificate) -> Bool {
        guard X509_NAME_cmp(X509_get_issuer_name(certificate), X509_get_subject_name(issuer.certificate)) == 0 else {
            return false
        }
        // X509_verify reads the user ID from the certificate object; a copy keeps this one unchanged.
        guard let copy = X509_dup(certificate) else { return false }
        defer { X509_free(copy) }
        guard let id = ASN1_OCTET_STRING_new() else { return false }
        guard ASN1_OCTET_STRING_set(id, SM2.defaultUserID, Int32(SM2.defaultUserID.count)) == 1 else {
            ASN1_OCTET_STRING_free(id)
            return false
        }
        X509_set0_distinguishing_id(copy, id)
        let verified = X509_verify(copy, X509_get0_pubkey(issuer.certificate)) == 1
        _ = LibCrypto.drainErrors()
        return verified
    }

    /// Whether `date` lies within the validity period.
    public func isValid(at date: Date) -> Bool { notBefore <= date && date <= notAfter }

    /// The SM3 digest of the DER encoding, in lower-case hex: a fingerprint to publish beside the certificate.
    public var fingerprintSM3: String { SM3.hash(der).map { String(format: "%02x", $0) }.joined() }

    private static func attributes(_ name: OpaquePointer?) -> [NameAttribute] {
        guard let name else { return [] }
        return (0..<X509_NAME_entry_count(name)).compactMap { index in
            guard let entry = X509_NAME_get_entry(name, index),
                let object = X509_NAME_ENTRY_get_object(entry),
                let data = X509_NAME_ENTRY_get_data(entry)
            else { return nil }
            let nid = OBJ_obj2nid(object)
            guard let short = OBJ_nid2sn(nid) else { return nil }
            var utf8: UnsafeMutablePointer<UInt8>?
            let length = ASN1_STRING_to_UTF8(&utf8, data)
            guard length >= 0, let utf8 else { return nil }
            defer { CRYPTO_free(utf8, nil, 0) }
            let value = String(decoding: UnsafeBufferPointer(start: utf8, count: Int(length)), as: UTF8.self)
            return NameAttribute(String(cString: short), value)
        }
    }

    private static func date(_ time: UnsafePointer<ASN1_TIME>?) -> Date {
        var parts = tm()
        guard let time, ASN1_TIME_to_tm(time, &parts) == 1 else { return .distantPast }
        return Date(timeIntervalSince1970: TimeInterval(timegm(&parts)))
    }

    public static func == (lhs: SM2Certificate, rhs: SM2Certificate) -> Bool { lhs.der == rhs.der }

    public func hash(into hasher: inout Hasher) { hasher.combine(der) }
}
