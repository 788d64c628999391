import CLibcrypto

/// SM3 (GB/T 32905-2016), from libcrypto: 32-byte digests.
public enum SM3 {
    public static let byteCount = 32

    public static func hash(_ data: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: byteCount)
        var length: UInt32 = 0
        let result = data.withUnsafeBytes { input in
            EVP_Digest(input.baseAddress, input.count, &digest, &length, FetchedAlgorithms.shared.sm3, nil)
        }
        // A digest over memory we own cannot fail short of the library being broken.
        precondition(result == 1 && length == byteCount, "SM3 failed: \(LibCrypto.drainErrors())")
        return digest
    }
}

/// HMAC-SM3 (RFC 2104 with SM3, GM/T 0042): 32-byte codes.
///
/// The key is absorbed once: every code after that starts from a copy of the keyed state, which halves the work
/// for the short messages (queried keys, pseudonyms) that are hashed on hot paths.
public final class HMACSM3: @unchecked Sendable {
    public static let byteCount = 32

    // Only ever read after init: each code is computed in a duplicate, so concurrent callers never share state.
    private let keyed: OpaquePointer

    public init(key: [UInt8]) {
        guard let context = EVP_MAC_CTX_new(FetchedAlgorithms.shared.hmac) else {
            fatalError("EVP_MAC_CTX_new failed: \(LibCrypto.drainErrors())")
        }
        var parameters = [
            OSSL_PARAM_construct_utf8_string(LibCrypto.constant("digest"), LibCrypto.constant("SM3"), 0),
            OSSL_PARAM_construct_end(),
        ]
        // libcrypto wants a pointer even for an empty key: give it one byte and a length of zero.
        let storage = key.isEmpty ? [0] : key
        let initialised = EVP_MAC_init(context, storage, key.count, &parameters)
        precondition(initialised == 1, "HMAC-SM3 init failed: \(LibCrypto.drainErrors())")
        self.keyed = context
    }

    deinit {
        EVP_MAC_CTX_free(keyed)
    }

    public func authenticationCode(for message: [UInt8]) -> [UInt8] {
        guard let context = EVP_MAC_CTX_dup(keyed) else {
            fatalError("EVP_MAC_CTX_dup failed: \(LibCrypto.drainErrors())")
        }
        defer { EVP_MAC_CTX_free(context) }
        var code = [UInt8](repeating: 0, count: Self.byteCount)
        var length = 0
        let updated = message.withUnsafeBytes { input in
            EVP_MAC_update(context, input.baseAddress?.assumingMemoryBound(to: UInt8.self), input.count)
        }
        let finished = EVP_MAC_final(context, &code, &length, code.count)
        precondition(updated == 1 && finished == 1 && length == Self.byteCount, "HMAC-SM3 failed")
        return code
    }

    public static func authenticationCode(for message: [UInt8], key: [UInt8]) -> [UInt8] {
        HMACSM3(key: key).authenticationCode(for: message)
    }

    /// A context of one's own under this key, for one caller hashing many short messages in a row.
    func stream() -> HMACSM3Stream {
        guard let context = EVP_MAC_CTX_dup(keyed) else {
            fatalError("EVP_MAC_CTX_dup failed: \(LibCrypto.drainErrors())")
        }
        return HMACSM3Stream(context: context)
    }
}

/// HMAC-SM3 for many messages in a row by one caller: the keyed context is reset for each (OpenSSL re-initialises an
/// HMAC with its key when given none) instead of copied, which for column values is most of the cost.
final class HMACSM3Stream {
    private let context: OpaquePointer

    init(context: OpaquePointer) { self.context = context }

    deinit { EVP_MAC_CTX_free(context) }

    /// The code of the concatenation of `parts`, into `code` (32 bytes).
    func authenticate(_ parts: [UnsafeRawBufferPointer], into code: UnsafeMutablePointer<UInt8>) {
        var ok = EVP_MAC_init(context, nil, 0, nil) == 1
        for part in parts where part.count > 0 {
            ok = ok && EVP_MAC_update(context, part.baseAddress!.assumingMemoryBound(to: UInt8.self), part.count) == 1
        }
        var length = 0
        ok = ok && EVP_MAC_final(context, code, &length, HMACSM3.byteCount) == 1
        precondition(ok && length == HMACSM3.byteCount, "HMAC-SM3 failed: \(LibCrypto.drainErrors())")
    }
}

/// PBKDF2 (RFC 8018) with HMAC-SM3 as its pseudo-random function.
public enum PBKDF2SM3 {
    public static func deriveKey(password: [UInt8], salt: [UInt8], iterations: Int, byteCount: Int)
        throws(CryptographyError)
        -> [UInt8]
    {
        guard iterations >= 1, byteCount >= 1 else {
            throw CryptographyError.libcrypto(
                operation: "PBKDF2-HMAC-SM3", detail: "iterations and length must be positive")
        }
        var output = [UInt8](repeating: 0, count: byteCount)
        let result = password.withUnsafeBytes { passwordBytes in
            salt.withUnsafeBytes { saltBytes in
                PKCS5_PBKDF2_HMAC(
                    passwordBytes.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(passwordBytes.count),
                    saltBytes.baseAddress?.assumingMemoryBound(to: UInt8.self), Int32(saltBytes.count),
                    Int32(clamping: iterations), FetchedAlgorithms.shared.sm3, Int32(byteCount), &output)
            }
        }
        try LibCrypto.check(result, "PBKDF2-HMAC-SM3")
        return output
    }
}

/// HKDF (RFC 5869) with HMAC-SM3, from libcrypto's KDF: derives independent keys from one secret.
public enum HKDFSM3 {
    public static func deriveKey(inputKeyMaterial: [UInt8], salt: [UInt8], info: [UInt8], byteCount: Int)
        throws(CryptographyError) -> [UInt8]
    {
        guard let kdf = EVP_KDF_fetch(nil, "HKDF", nil) else { throw LibCrypto.failure("HKDF fetch") }
        defer { EVP_KDF_free(kdf) }
        guard let context = EVP_KDF_CTX_new(kdf) else { throw LibCrypto.failure("HKDF context") }
        defer { EVP_KDF_CTX_free(context) }
        var output = [UInt8](repeating: 0, count: byteCount)
        // libcrypto reads the parameters during the call only; empty values still need a valid pointer.
        var key = inputKeyMaterial.isEmpty ? [0] : inputKeyMaterial
        var saltBytes = salt.isEmpty ? [0] : salt
        var infoBytes = info.isEmpty ? [0] : info
        let result = key.withUnsafeMutableBytes { keyBuffer in
            saltBytes.withUnsafeMutableBytes { saltBuffer in
                infoBytes.withUnsafeMutableBytes { infoBuffer in
                    var parameters = [
                        OSSL_PARAM_construct_utf8_string(LibCrypto.constant("digest"), LibCrypto.constant("SM3"), 0),
                        OSSL_PARAM_construct_octet_string(
                            LibCrypto.constant("key"), keyBuffer.baseAddress, inputKeyMaterial.count),
                        OSSL_PARAM_construct_octet_string(
                            LibCrypto.constant("salt"), saltBuffer.baseAddress, salt.count),
                        OSSL_PARAM_construct_octet_string(
                            LibCrypto.constant("info"), infoBuffer.baseAddress, info.count),
                        OSSL_PARAM_construct_end(),
                    ]
                    return EVP_KDF_derive(context, &output, byteCount, &parameters)
                }
            }
        }
        try LibCrypto.check(result, "HKDF-SM3")
        return output
    }
}
