import CLibcrypto
import Foundation

/// SM2 (GB/T 32918) over libcrypto: signatures with SM3 and a distinguishing ID, and public-key encryption.
public enum SM2 {
    /// The default user ID of GM/T 0009-2012. OpenSSL 3.0's own default is empty, which other vendors' software and
    /// CAs do not use: every signature here sets this ID unless the caller names another.
    public static let defaultUserID: [UInt8] = Array("1234567812345678".utf8)

    /// The DER prefix of an SM2 SubjectPublicKeyInfo (`id-ecPublicKey`, curve `1.2.156.10197.1.301`), before the
    /// 65-byte uncompressed point.
    static let subjectPublicKeyInfoPrefix: [UInt8] = [
        0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01, 0x06, 0x08, 0x2A, 0x81, 0x1C,
        0xCF, 0x55, 0x01, 0x82, 0x2D, 0x03, 0x42, 0x00,
    ]

    /// The DER prefix of a PKCS#8 SM2 private key holding only the 32-byte scalar (libcrypto derives the public
    /// point when it reads it).
    static let privateKeyInfoPrefix: [UInt8] = [
        0x30, 0x41, 0x02, 0x01, 0x00, 0x30, 0x13, 0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01, 0x06, 0x08,
        0x2A, 0x81, 0x1C, 0xCF, 0x55, 0x01, 0x82, 0x2D, 0x04, 0x27, 0x30, 0x25, 0x02, 0x01, 0x01, 0x04, 0x20,
    ]
}

/// An SM2 private key. Its scalar never leaves libcrypto except through `pkcs8DER` (for the key file); it has no
/// description that would print it.
public final class SM2PrivateKey: @unchecked Sendable {
    // An EVP_PKEY is reference-counted and not changed after it is made; libcrypto 3 allows concurrent use of one
    // key by several operations, each with its own context.
    let key: OpaquePointer

    private init(owning key: OpaquePointer) throws(CryptographyError) {
        guard EVP_PKEY_is_a(key, "SM2") == 1 else {
            EVP_PKEY_free(key)
            throw CryptographyError.malformedKey(expected: "an SM2 private key")
        }
        self.key = key
    }

    deinit {
        EVP_PKEY_free(key)
    }

    /// A new random key.
    public static func generate() throws(CryptographyError) -> SM2PrivateKey {
        guard let context = EVP_PKEY_CTX_new_from_name(nil, "SM2", nil) else { throw LibCrypto.failure("SM2 keygen") }
        defer { EVP_PKEY_CTX_free(context) }
        try LibCrypto.check(EVP_PKEY_keygen_init(context), "SM2 keygen init")
        var generated: OpaquePointer?
        try LibCrypto.check(EVP_PKEY_generate(context, &generated), "SM2 keygen")
        guard let generated else { throw LibCrypto.failure("SM2 keygen") }
        return try SM2PrivateKey(owning: generated)
    }

    /// The key whose private scalar is `scalar` (32 bytes, big-endian), as test vectors give it.
    public convenience init(scalar: [UInt8]) throws(CryptographyError) {
        guard scalar.count == 32 else { throw CryptographyError.malformedKey(expected: "a 32-byte SM2 private scalar") }
        try self.init(pkcs8DER: SM2.privateKeyInfoPrefix + scalar)
    }

    /// Reads a PKCS#8 `PrivateKeyInfo` (what `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:SM2`
    /// writes, DER-encoded).
    public convenience init(pkcs8DER der: [UInt8]) throws(CryptographyError) {
        let parsed: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            var cursor = buffer.baseAddress
            return d2i_AutoPrivateKey(nil, &cursor, buffer.count)
        }
        guard let parsed else {
            _ = LibCrypto.drainErrors()
            throw CryptographyError.malformedKey(expected: "a PKCS#8 SM2 private key")
        }
        try self.init(owning: parsed)
    }

    /// Reads a `-----BEGIN PRIVATE KEY-----` PEM file.
    public convenience init(pemRepresentation text: String) throws(CryptographyError) {
        guard let der = PEM.decode(text, label: "PRIVATE KEY") else {
            throw CryptographyError.malformedKey(expected: "a PEM \"PRIVATE KEY\" (PKCS#8) block")
        }
        try self.init(pkcs8DER: der)
    }

    /// The PKCS#8 encoding, for the key file. Handle with care.
    public var pkcs8DER: [UInt8] {
        guard let info = EVP_PKEY2PKCS8(key) else { fatalError("EVP_PKEY2PKCS8 failed: \(LibCrypto.drainErrors())") }
        defer { PKCS8_PRIV_KEY_INFO_free(info) }
        return DER.encode { cursor in i2d_PKCS8_PRIV_KEY_INFO(info, cursor) }
    }

    public var pemRepresentation: String { PEM.encode(pkcs8DER, label: "PRIVATE KEY") }

    public var publicKey: SM2PublicKey {
        let spki = DER.encode { cursor in i2d_PUBKEY(key, cursor) }
        // The key's own public half always encodes and reads back.
        return try! SM2PublicKey(subjectPublicKeyInfo: spki)
    }

    /// Signs `message` with SM3 and Z_A over `userID` (GB/T 32918.2): a DER `SEQUENCE { r, s }`, 70–72 bytes.
    public func signature(for message: [UInt8], userID: [UInt8] = SM2.defaultUserID) throws(CryptographyError)
        -> [UInt8]
    {
        try withDigestContext(key, userID: userID) { (context) throws(CryptographyError) in
            try LibCrypto.check(
                EVP_DigestSignInit(context, nil, FetchedAlgorithms.shared.sm3, nil, key), "SM2 sign init")
            var length = 0
            try LibCrypto.check(EVP_DigestSign(context, nil, &length, message, message.count), "SM2 sign")
            var signature = [UInt8](repeating: 0, count: length)
            try LibCrypto.check(EVP_DigestSign(context, &signature, &length, message, message.count), "SM2 sign")
            return Array(signature.prefix(length))
        }
    }

    /// Decrypts an SM2 ciphertext in the GM/T 0009 DER form `SEQUENCE { x1, y1, hash, C2 }` (C1C3C2).
    public func decrypt(_ ciphertext: [UInt8]) throws(CryptographyError) -> [UInt8] {
        guard let context = EVP_PKEY_CTX_new(key, nil) else { throw LibCrypto.failure("SM2 decrypt") }
        defer { EVP_PKEY_CTX_free(context) }
        try LibCrypto.check(EVP_PKEY_decrypt_init(context), "SM2 decrypt init")
        var length = 0
        try LibCrypto.check(
            EVP_PKEY_decrypt(context, nil, &length, ciphertext, ciphertext.count), "SM2 decrypt")
        var plaintext = [UInt8](repeating: 0, count: length)
        try LibCrypto.check(
            EVP_PKEY_decrypt(context, &plaintext, &length, ciphertext, ciphertext.count), "SM2 decrypt")
        return Array(plaintext.prefix(length))
    }
}

/// An SM2 public key.
public final class SM2PublicKey: @unchecked Sendable, Hashable {
    // As for `SM2PrivateKey`: never changed after init.
    let key: OpaquePointer
    /// `04 ‖ X ‖ Y`, 65 bytes.
    public let uncompressedPoint: [UInt8]

    /// Reads a DER SubjectPublicKeyInfo (91 bytes, what `openssl pkey -pubout -outform DER` writes).
    public init(subjectPublicKeyInfo der: [UInt8]) throws(CryptographyError) {
        let parsed: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            var cursor = buffer.baseAddress
            return d2i_PUBKEY(nil, &cursor, buffer.count)
        }
        guard let parsed else {
            _ = LibCrypto.drainErrors()
            throw CryptographyError.malformedKey(expected: "an SM2 SubjectPublicKeyInfo")
        }
        guard EVP_PKEY_is_a(parsed, "SM2") == 1 else {
            EVP_PKEY_free(parsed)
            throw CryptographyError.malformedKey(expected: "an SM2 public key")
        }
        var point = [UInt8](repeating: 0, count: 65)
        var length = 0
        guard EVP_PKEY_get_octet_string_param(parsed, OSSL_PKEY_PARAM_PUB_KEY, &point, point.count, &length) == 1,
            length == 65, point[0] == 0x04
        else {
            EVP_PKEY_free(parsed)
            throw CryptographyError.malformedKey(expected: "an uncompressed SM2 point")
        }
        self.key = parsed
        self.uncompressedPoint = point
    }

    /// The key from its uncompressed point `04 ‖ X ‖ Y` (65 bytes).
    public convenience init(uncompressedPoint point: [UInt8]) throws(CryptographyError) {
        guard point.count == 65, point[0] == 0x04 else {
            throw CryptographyError.malformedKey(expected: "a 65-byte uncompressed SM2 point")
        }
        try self.init(subjectPublicKeyInfo: SM2.subjectPublicKeyInfoPrefix + point)
    }

    /// Reads a `-----BEGIN PUBLIC KEY-----` PEM block.
    public convenience init(pemRepresentation text: String) throws(CryptographyError) {
        guard let der = PEM.decode(text, label: "PUBLIC KEY") else {
            throw CryptographyError.malformedKey(expected: "a PEM \"PUBLIC KEY\" block")
        }
        try self.init(subjectPublicKeyInfo: der)
    }

    deinit {
        EVP_PKEY_free(key)
    }

    public var subjectPublicKeyInfo: [UInt8] { SM2.subjectPublicKeyInfoPrefix + uncompressedPoint }

    /// The PEM form `openssl pkeyutl -pubin -inkey` reads.
    public var pemRepresentation: String { PEM.encode(subjectPublicKeyInfo, label: "PUBLIC KEY") }

    /// Whether `signature` (DER) is this key's SM2 signature of `message` under `userID`.
    public func isValidSignature(_ signature: [UInt8], for message: [UInt8], userID: [UInt8] = SM2.defaultUserID)
        -> Bool
    {
        let verified = try? withDigestContext(key, userID: userID) { (context) throws(CryptographyError) -> Bool in
            try LibCrypto.check(
                EVP_DigestVerifyInit(context, nil, FetchedAlgorithms.shared.sm3, nil, key), "SM2 verify init")
            return EVP_DigestVerify(context, signature, signature.count, message, message.count) == 1
        }
        // A malformed signature is an error to libcrypto and simply invalid to us; leave no error queued behind.
        _ = LibCrypto.drainErrors()
        return verified ?? false
    }

    /// Encrypts to this key: a GM/T 0009 DER ciphertext (C1C3C2), 97 bytes and some DER overhead longer than the
    /// plaintext. For short values such as session keys.
    public func encrypt(_ plaintext: [UInt8]) throws(CryptographyError) -> [UInt8] {
        guard let context = EVP_PKEY_CTX_new(key, nil) else { throw LibCrypto.failure("SM2 encrypt") }
        defer { EVP_PKEY_CTX_free(context) }
        try LibCrypto.check(EVP_PKEY_encrypt_init(context), "SM2 encrypt init")
        var length = 0
        try LibCrypto.check(EVP_PKEY_encrypt(context, nil, &length, plaintext, plaintext.count), "SM2 encrypt")
        var ciphertext = [UInt8](repeating: 0, count: length)
        try LibCrypto.check(
            EVP_PKEY_encrypt(context, &ciphertext, &length, plaintext, plaintext.count), "SM2 encrypt")
        return Array(ciphertext.prefix(length))
    }

    public static func == (lhs: SM2PublicKey, rhs: SM2PublicKey) -> Bool {
        lhs.uncompressedPoint == rhs.uncompressedPoint
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(uncompressedPoint)
    }
}

/// Runs `body` with a digest context whose key context carries the SM2 distinguishing ID, then frees both.
func withDigestContext<Result>(
    _ key: OpaquePointer, userID: [UInt8], _ body: (OpaquePointer) throws(CryptographyError) -> Result
) throws(CryptographyError) -> Result {
    guard let digestContext = EVP_MD_CTX_new() else { throw LibCrypto.failure("EVP_MD_CTX_new") }
    defer { EVP_MD_CTX_free(digestContext) }
    guard let keyContext = EVP_PKEY_CTX_new(key, nil) else { throw LibCrypto.failure("EVP_PKEY_CTX_new") }
    // The digest context does not take ownership of a key context set this way.
    defer { EVP_PKEY_CTX_free(keyContext) }
    try LibCrypto.check(EVP_PKEY_CTX_set1_id(keyContext, userID, Int32(userID.count)), "SM2 set distinguishing ID")
    EVP_MD_CTX_set_pkey_ctx(digestContext, keyContext)
    return try body(digestContext)
}

/// SM2 signatures travel as DER `SEQUENCE { INTEGER r, INTEGER s }`; some HSMs and JavaScript libraries use the
/// raw 64-byte `r ‖ s`. These convert at the edge.
public enum SM2Signature {
    /// DER from raw `r ‖ s` (32 bytes each).
    public static func der(fromRaw raw: [UInt8]) -> [UInt8]? {
        guard raw.count == 64 else { return nil }
        func integer(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
            var value = Array(bytes.drop { $0 == 0 })
            if value.isEmpty { value = [0] }
            if value[0] & 0x80 != 0 { value.insert(0, at: 0) }
            return [0x02, UInt8(value.count)] + value
        }
        let body = integer(raw[0..<32]) + integer(raw[32..<64])
        return [0x30, UInt8(body.count)] + body
    }

    /// Raw `r ‖ s` from DER; nil when it is not a two-integer sequence of 256-bit values.
    public static func raw(fromDER der: [UInt8]) -> [UInt8]? {
        guard der.count >= 8, der[0] == 0x30, Int(der[1]) == der.count - 2 else { return nil }
        var index = 2
        var out: [UInt8] = []
        for _ in 0..<2 {
            guard index + 2 <= der.count, der[index] == 0x02 else { return nil }
            let length = Int(der[index + 1])
            guard length >= 1, index + 2 + length <= der.count else { return nil }
            var value = Array(der[(index + 2)..<(index + 2 + length)])
            while value.count > 32, value.first == 0 { value.removeFirst() }
            guard value.count <= 32 else { return nil }
            out += [UInt8](repeating: 0, count: 32 - value.count) + value
            index += 2 + length
        }
        return index == der.count ? out : nil
    }
}

/// `i2d_*` functions: called once for the length, once to write.
enum DER {
    static func encode(_ write: (UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?) -> Int32) -> [UInt8] {
        let length = write(nil)
        precondition(length > 0, "DER encoding failed: \(LibCrypto.drainErrors())")
        var bytes = [UInt8](repeating: 0, count: Int(length))
        let written = bytes.withUnsafeMutableBufferPointer { buffer in
            var cursor = buffer.baseAddress
            return write(&cursor)
        }
        precondition(written == length, "DER encoding changed length")
        return bytes
    }
}

/// PEM armour (RFC 7468): base64 in 64-character lines between BEGIN and END lines.
public enum PEM {
    public static func encode(_ der: [UInt8], label: String) -> String {
        let base64 = Data(der).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
        return "-----BEGIN \(label)-----\n\(base64)\n-----END \(label)-----\n"
    }

    /// The bytes of the first block labelled `label`; nil when there is none or it is not base64.
    public static func decode(_ text: String, label: String) -> [UInt8]? {
        let begin = "-----BEGIN \(label)-----"
        let end = "-----END \(label)-----"
        guard let start = text.range(of: begin), let stop = text.range(of: end, range: start.upperBound..<text.endIndex)
        else { return nil }
        let body = text[start.upperBound..<stop.lowerBound].filter { !$0.isWhitespace }
        return Data(base64Encoded: String(body)).map { Array($0) }
    }
}
