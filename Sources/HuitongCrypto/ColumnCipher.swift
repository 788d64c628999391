import Foundation

/// Deterministic authenticated encryption of one column value (GB/T 39786 8.4 e): SM4-CBC under a synthetic IV
/// that is the HMAC-SM3 of the value (SIV, as RFC 5297 builds it from AES). The same value in the same column
/// always gives the same stored text, so a pool's key index, key lookups, uniqueness and a snapshot's comparison
/// keep working on what is stored: the synthetic IV is the keyed SM3 index of the value. It reveals which stored
/// values are equal, as any index on them would, and nothing about their order or content; different values get
/// unrelated IVs, so not even a shared prefix shows.
///
/// Stored as `HC1:` and the base64 of `IV ‖ ciphertext`. Opening decrypts, recomputes the IV from the plaintext and
/// compares it in constant time: a value altered, moved to another column (the `context`) or written under another
/// key fails as `authenticationFailed`, and a failed padding check fails the same way.
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

    /// Whether `stored` has the form of an encrypted value (it may still fail to open).
    public static func isEncrypted(_ stored: String) -> Bool { stored.hasPrefix(prefix) }

    /// The stored text of `value` in the column named by `context`.
    public func encrypt(_ value: String, context: [UInt8]) throws(CryptographyError) -> String {
        let plaintext = Array(value.utf8)
        let iv = syntheticIV(plaintext, context)
        let ciphertext = try SM4.encryptCBC(key: encryptionKey, iv: iv, plaintext: plaintext)
        return Self.prefix + Data(iv + ciphertext).base64EncodedString()
    }

    public func decrypt(_ stored: String, context: [UInt8]) throws(CryptographyError) -> String {
        guard stored.hasPrefix(Self.prefix),
            let bytes = Data(base64Encoded: String(stored.dropFirst(Self.prefix.count))).map(Array.init),
            bytes.count >= 2 * SM4.blockByteCount, bytes.count % SM4.blockByteCount == 0
        else { throw CryptographyError.malformedEnvelope }
        let iv = Array(bytes.prefix(SM4.blockByteCount))
        let plaintext: [UInt8]
        do {
            plaintext = try SM4.decryptCBC(
                key: encryptionKey, iv: iv, ciphertext: Array(bytes.dropFirst(SM4.blockByteCount)))
        } catch {
            throw CryptographyError.authenticationFailed
        }
        guard ConstantTime.equal(syntheticIV(plaintext, context), iv),
            let value = String(validating: plaintext, as: UTF8.self)
        else { throw CryptographyError.authenticationFailed }
        return value
    }

    /// The first 16 bytes of HMAC-SM3 over the label, the context (length-prefixed) and the value.
    private func syntheticIV(_ plaintext: [UInt8], _ context: [UInt8]) -> [UInt8] {
        let count = UInt32(context.count)
        let length: [UInt8] = [
            UInt8(count >> 24), UInt8((count >> 16) & 0xff), UInt8((count >> 8) & 0xff), UInt8(count & 0xff),
        ]
        return Array(
            authenticator.authenticationCode(for: Self.label + length + context + plaintext).prefix(SM4.blockByteCount))
    }
}
