import CLibcrypto

/// SM4 (GB/T 32907-2016), from libcrypto: 128-bit blocks and keys. OpenSSL 3.0 has no SM4-GCM, so authenticated
/// encryption is `HT1Envelope` (CBC, then HMAC-SM3).
public enum SM4 {
    public static let keyByteCount = 16
    public static let blockByteCount = 16

    /// ECB without padding: only for whole blocks, and only where each block is independent (test vectors, key
    /// wrapping). Never for data: equal blocks give equal ciphertext.
    public static func encryptECB(key: [UInt8], blocks: [UInt8]) throws(CryptographyError) -> [UInt8] {
        guard blocks.count % blockByteCount == 0 else {
            throw CryptographyError.libcrypto(operation: "SM4-ECB", detail: "input is not a whole number of blocks")
        }
        return try run(FetchedAlgorithms.shared.sm4ECB, encrypt: true, key: key, iv: nil, input: blocks, padding: false)
    }

    /// CBC with PKCS#7 padding: what `openssl enc -sm4-cbc` writes and reads.
    public static func encryptCBC(key: [UInt8], iv: [UInt8], plaintext: [UInt8]) throws(CryptographyError) -> [UInt8] {
        try run(FetchedAlgorithms.shared.sm4CBC, encrypt: true, key: key, iv: iv, input: plaintext, padding: true)
    }

    public static func decryptCBC(key: [UInt8], iv: [UInt8], ciphertext: [UInt8]) throws(CryptographyError) -> [UInt8] {
        try run(FetchedAlgorithms.shared.sm4CBC, encrypt: false, key: key, iv: iv, input: ciphertext, padding: true)
    }

    private static func run(
        _ cipher: OpaquePointer, encrypt: Bool, key: [UInt8], iv: [UInt8]?, input: [UInt8], padding: Bool
    ) throws(CryptographyError) -> [UInt8] {
        guard key.count == keyByteCount else { throw CryptographyError.malformedKey(expected: "a 16-byte SM4 key") }
        if let iv, iv.count != blockByteCount {
            throw CryptographyError.libcrypto(operation: "SM4", detail: "the IV must be 16 bytes")
        }
        guard let context = EVP_CIPHER_CTX_new() else { throw LibCrypto.failure("EVP_CIPHER_CTX_new") }
        defer { EVP_CIPHER_CTX_free(context) }
        let initialised = key.withUnsafeBufferPointer { keyBytes in
            (iv ?? []).withUnsafeBufferPointer { ivBytes in
                EVP_CipherInit_ex2(
                    context, cipher, keyBytes.baseAddress, iv == nil ? nil : ivBytes.baseAddress, encrypt ? 1 : 0, nil)
            }
        }
        try LibCrypto.check(initialised, "SM4 init")
        try LibCrypto.check(EVP_CIPHER_CTX_set_padding(context, padding ? 1 : 0), "SM4 padding")
        var output = [UInt8](repeating: 0, count: input.count + blockByteCount)
        var written: Int32 = 0
        var finalWritten: Int32 = 0
        if !input.isEmpty {
            try LibCrypto.check(EVP_CipherUpdate(context, &output, &written, input, Int32(input.count)), "SM4 update")
        }
        let finished = output.withUnsafeMutableBufferPointer { buffer in
            EVP_CipherFinal_ex(context, buffer.baseAddress! + Int(written), &finalWritten)
        }
        // A wrong key or altered ciphertext usually shows here as bad padding; HT1 checks its tag before this.
        try LibCrypto.check(finished, encrypt ? "SM4 final" : "SM4 decrypt (bad padding)")
        output.removeLast(output.count - Int(written + finalWritten))
        return output
    }
}

/// SM4-CTR under one key for many short values in a row by one caller: the context and the key schedule are made
/// once and only the initial counter block is set for each value. CTR pads nothing, so a value's ciphertext is as
/// long as the value.
final class SM4CTRStream {
    private let context: OpaquePointer

    init(key: [UInt8], encrypting: Bool) throws(CryptographyError) {
        guard key.count == SM4.keyByteCount else { throw CryptographyError.malformedKey(expected: "a 16-byte SM4 key") }
        guard let context = EVP_CIPHER_CTX_new() else { throw LibCrypto.failure("EVP_CIPHER_CTX_new") }
        self.context = context
        let initialised = EVP_CipherInit_ex2(
            context, FetchedAlgorithms.shared.sm4CTR, key, nil, encrypting ? 1 : 0, nil)
        try LibCrypto.check(initialised, "SM4 init")
    }

    deinit { EVP_CIPHER_CTX_free(context) }

    /// Runs `input` through the cipher from the counter block `iv` (16 bytes), appending to `output`.
    func run(_ input: UnsafeRawBufferPointer, iv: UnsafePointer<UInt8>, appendingTo output: inout [UInt8]) -> Bool {
        guard EVP_CipherInit_ex2(context, nil, nil, iv, -1, nil) == 1 else { return false }
        let start = output.count
        output.append(contentsOf: repeatElement(0, count: input.count + SM4.blockByteCount))
        var written: Int32 = 0
        var finalWritten: Int32 = 0
        let ok = output.withUnsafeMutableBufferPointer { buffer -> Bool in
            let target = buffer.baseAddress! + start
            if input.count > 0 {
                guard
                    EVP_CipherUpdate(
                        context, target, &written, input.baseAddress!.assumingMemoryBound(to: UInt8.self),
                        Int32(input.count)) == 1
                else { return false }
            }
            return EVP_CipherFinal_ex(context, target + Int(written), &finalWritten) == 1
        }
        output.removeLast(output.count - start - (ok ? Int(written + finalWritten) : 0))
        if !ok { _ = LibCrypto.drainErrors() }
        return ok
    }
}

/// The HT1 envelope (domain-services.md §1.6): SM4-CBC with PKCS#7 and a random IV, then HMAC-SM3 over
/// `"HT1" ‖ IV ‖ ciphertext ‖ context` (encrypt-then-MAC). Stored as `"HT1" ‖ IV ‖ ciphertext ‖ tag`. Opening
/// checks the tag in constant time before anything is decrypted, so a forged value never reaches the padding check.
public struct HT1Envelope: Sendable {
    public static let marker: [UInt8] = Array("HT1".utf8)
    public static let encryptionKeyByteCount = SM4.keyByteCount
    public static let authenticationKeyByteCount = 32
    static let tagByteCount = HMACSM3.byteCount

    private let encryptionKey: [UInt8]
    private let authenticator: HMACSM3

    /// Independent keys: 16 bytes for SM4, 32 for HMAC-SM3.
    public init(encryptionKey: [UInt8], authenticationKey: [UInt8]) throws(CryptographyError) {
        guard encryptionKey.count == Self.encryptionKeyByteCount,
            authenticationKey.count == Self.authenticationKeyByteCount
        else {
            throw CryptographyError.malformedKey(expected: "a 16-byte SM4 key and a 32-byte HMAC-SM3 key")
        }
        self.encryptionKey = encryptionKey
        self.authenticator = HMACSM3(key: authenticationKey)
    }

    /// Both keys as one string, the SM4 key first: what a sender hands its recipient (encrypted to its SM2 key, say).
    public static let keyMaterialByteCount = encryptionKeyByteCount + authenticationKeyByteCount

    /// An envelope under fresh random keys, and those keys as key material.
    public static func random() -> (envelope: HT1Envelope, keyMaterial: [UInt8]) {
        let material = LibCrypto.randomBytes(keyMaterialByteCount)
        do {
            return (try HT1Envelope(keyMaterial: material), material)
        } catch {
            preconditionFailure("fresh HT1 key material of the right length was refused: \(error.english)")
        }
    }

    /// The envelope under key material made by `random()`.
    public init(keyMaterial: [UInt8]) throws(CryptographyError) {
        guard keyMaterial.count == Self.keyMaterialByteCount else {
            throw CryptographyError.malformedKey(expected: "48 bytes of HT1 key material (SM4 key, HMAC-SM3 key)")
        }
        try self.init(
            encryptionKey: Array(keyMaterial.prefix(Self.encryptionKeyByteCount)),
            authenticationKey: Array(keyMaterial.suffix(Self.authenticationKeyByteCount)))
    }

    /// Seals `plaintext`; `context` is authenticated but not stored, so the value opens only with the same context.
    /// `iv` is for test vectors only: by default a fresh random IV.
    public func seal(_ plaintext: [UInt8], context: [UInt8] = [], iv: [UInt8]? = nil) throws(CryptographyError)
        -> [UInt8]
    {
        let iv = iv ?? LibCrypto.randomBytes(SM4.blockByteCount)
        let ciphertext = try SM4.encryptCBC(key: encryptionKey, iv: iv, plaintext: plaintext)
        let tag = authenticator.authenticationCode(for: Self.marker + iv + ciphertext + context)
        return Self.marker + iv + ciphertext + tag
    }

    public func open(_ sealed: [UInt8], context: [UInt8] = []) throws(CryptographyError) -> [UInt8] {
        let headerCount = Self.marker.count + SM4.blockByteCount
        guard sealed.count >= headerCount + SM4.blockByteCount + Self.tagByteCount,
            Array(sealed.prefix(Self.marker.count)) == Self.marker
        else {
            throw CryptographyError.malformedEnvelope
        }
        let tagStart = sealed.count - Self.tagByteCount
        let authenticated = Array(sealed[..<tagStart])
        let expected = authenticator.authenticationCode(for: authenticated + context)
        guard ConstantTime.equal(expected, Array(sealed[tagStart...])) else {
            throw CryptographyError.authenticationFailed
        }
        let iv = Array(sealed[Self.marker.count..<headerCount])
        return try SM4.decryptCBC(key: encryptionKey, iv: iv, ciphertext: Array(sealed[headerCount..<tagStart]))
    }
}

public enum ConstantTime {
    /// Compares in time that depends only on the lengths.
    public static func equal(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for index in lhs.indices { difference |= lhs[index] ^ rhs[index] }
        return difference == 0
    }
}
