import Foundation

/// Deterministic authenticated encryption of one column value (GB/T 39786 8.4 e): SM4-CTR from a synthetic IV that
/// is the HMAC-SM3 of the value (SIV, as RFC 5297 builds it from AES-CMAC and AES-CTR). CTR keeps the ciphertext as
/// long as the value: an 18-digit ID number is stored in 48 characters. The same value in the same column
/// always gives the same stored text, so a pool's key index, key lookups, uniqueness and a snapshot's comparison
/// keep working on what is stored: the synthetic IV is the keyed SM3 index of the value. It reveals which stored
/// values are equal, as any index on them would, and nothing about their order or content; different values get
/// unrelated IVs, so not even a shared prefix shows.
///
/// Stored as `HC1:` and the base64 of `IV ‖ ciphertext`. Opening decrypts, recomputes the IV from the plaintext and
/// compares it in constant time: a value altered, moved to another column (the `context`) or written under another
/// key fails as `authenticationFailed`.
public struct ColumnCipher: Sendable {
    public static let prefix = "HC1:"
    static let label: [UInt8] = Array("HC1".utf8)
    /// 16 bytes of SM4 key, then 32 of HMAC-SM3 key.
    public static let keyMaterialByteCount = SM4.keyByteCount + 32

    private let encryptionKey: [UInt8]
    private let authenticator: HMACSM3

    public init(keyMaterial: [UInt8]) throws(CryptographyError) {
        guard keyMaterial.count == Self.keyMaterialByteCount else {
            throw CryptographyError.malformedKey(expected: "48 bytes of column key material (SM4 key, HMAC-SM3 key)")
        }
        encryptionKey = Array(keyMaterial.prefix(SM4.keyByteCount))
        authenticator = HMACSM3(key: Array(keyMaterial.suffix(32)))
    }

    /// The stored text of `value` in the column named by `context`.
    public func encrypt(_ value: String, context: [UInt8]) throws(CryptographyError) -> String {
        try encrypt([value], context: context)[0]!
    }

    public func decrypt(_ stored: String, context: [UInt8]) throws(CryptographyError) -> String {
        try decrypt([stored], context: context)[0]!
    }

    /// The stored texts of many values of one column (nil stays nil), with one set of libcrypto contexts: for a
    /// load's batch the per-value cost is then a hash and a short encryption, not the set-up of either.
    public func encrypt(_ values: [String?], context: [UInt8]) throws(CryptographyError) -> [String?] {
        let mac = authenticator.stream()
        let sm4 = try SM4CTRStream(key: encryptionKey, encrypting: true)
        let header = Self.header(context)
        var code = [UInt8](repeating: 0, count: HMACSM3.byteCount)
        var sealed: [UInt8] = []
        var result: [String?] = []
        result.reserveCapacity(values.count)
        for value in values {
            guard var value else {
                result.append(nil)
                continue
            }
            let ok = value.withUTF8 { plaintext in
                header.withUnsafeBytes { mac.authenticate([$0, UnsafeRawBufferPointer(plaintext)], into: &code) }
                sealed.removeAll(keepingCapacity: true)
                sealed.append(contentsOf: code[0..<SM4.blockByteCount])
                return code.withUnsafeBufferPointer { iv in
                    sm4.run(UnsafeRawBufferPointer(plaintext), iv: iv.baseAddress!, appendingTo: &sealed)
                }
            }
            guard ok else { throw CryptographyError.libcrypto(operation: "SM4-CTR", detail: "encryption failed") }
            result.append(Self.prefix + Data(sealed).base64EncodedString())
        }
        return result
    }

    /// The clear values of many stored texts of one column (nil stays nil).
    public func decrypt(_ values: [String?], context: [UInt8]) throws(CryptographyError) -> [String?] {
        let mac = authenticator.stream()
        let sm4 = try SM4CTRStream(key: encryptionKey, encrypting: false)
        let header = Self.header(context)
        var code = [UInt8](repeating: 0, count: HMACSM3.byteCount)
        var plaintext: [UInt8] = []
        var result: [String?] = []
        result.reserveCapacity(values.count)
        for stored in values {
            guard let stored else {
                result.append(nil)
                continue
            }
            guard stored.hasPrefix(Self.prefix),
                let bytes = Data(base64Encoded: String(stored.dropFirst(Self.prefix.count))),
                bytes.count >= SM4.blockByteCount
            else { throw CryptographyError.malformedEnvelope }
            plaintext.removeAll(keepingCapacity: true)
            let authentic = bytes.withUnsafeBytes { sealed -> Bool in
                let iv = sealed.baseAddress!.assumingMemoryBound(to: UInt8.self)
                guard
                    sm4.run(
                        UnsafeRawBufferPointer(rebasing: sealed[SM4.blockByteCount...]), iv: iv,
                        appendingTo: &plaintext)
                else { return false }
                plaintext.withUnsafeBytes { clear in
                    header.withUnsafeBytes { mac.authenticate([$0, clear], into: &code) }
                }
                return ConstantTime.equal(
                    Array(code[0..<SM4.blockByteCount]),
                    Array(UnsafeRawBufferPointer(rebasing: sealed[0..<SM4.blockByteCount])))
            }
            guard authentic, let value = String(validating: plaintext, as: UTF8.self) else {
                throw CryptographyError.authenticationFailed
            }
            result.append(value)
        }
        return result
    }

    /// What the synthetic IV covers before the value: the label and the length-prefixed context.
    private static func header(_ context: [UInt8]) -> [UInt8] {
        let count = UInt32(context.count)
        return label + [
            UInt8(count >> 24), UInt8((count >> 16) & 0xff), UInt8((count >> 8) & 0xff), UInt8(count & 0xff),
        ]
            + context
    }
}
