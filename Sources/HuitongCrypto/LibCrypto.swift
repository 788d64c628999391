import CLibcrypto

/// The algorithms fetched from libcrypto's default provider once per process. `EVP_sm3()` and friends look the
/// implementation up again on every use (a lock and a table search per hash); a fetched one is used as is.
/// Fetched algorithm objects are immutable and reference-counted by libcrypto, safe to share between threads.
final class FetchedAlgorithms: @unchecked Sendable {
    let sm3: OpaquePointer
    let sm4ECB: OpaquePointer
    let sm4CBC: OpaquePointer
    let sm4CTR: OpaquePointer
    let hmac: OpaquePointer

    static let shared = FetchedAlgorithms()

    private init() {
        // Without these the library is unusable; Debian's libcrypto 3.0 has all of them in its default provider.
        guard let sm3 = EVP_MD_fetch(nil, "SM3", nil),
            let ecb = EVP_CIPHER_fetch(nil, "SM4-ECB", nil),
            let cbc = EVP_CIPHER_fetch(nil, "SM4-CBC", nil),
            let ctr = EVP_CIPHER_fetch(nil, "SM4-CTR", nil),
            let hmac = EVP_MAC_fetch(nil, "HMAC", nil)
        else {
            fatalError("libcrypto lacks SM3, SM4 or HMAC: \(LibCrypto.drainErrors())")
        }
        self.sm3 = sm3
        self.sm4ECB = ecb
        self.sm4CBC = cbc
        self.sm4CTR = ctr
        self.hmac = hmac
    }
}

enum LibCrypto {
    /// The text of libcrypto's queued errors for this thread (oldest first), which it then forgets.
    static func drainErrors() -> String {
        var texts: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            texts.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return texts.isEmpty ? "no detail" : texts.joined(separator: "; ")
    }

    static func failure(_ operation: String) -> CryptographyError {
        .libcrypto(operation: operation, detail: drainErrors())
    }

    /// Throws when a libcrypto call returned anything but 1 (its success value).
    static func check(_ result: Int32, _ operation: String) throws(CryptographyError) {
        guard result == 1 else { throw failure(operation) }
    }

    /// A C string in the binary's constant data, valid for the whole process. libcrypto's `OSSL_PARAM` keeps the
    /// pointers to its names and values until the call that reads it; a Swift `String` passed as `const char *`
    /// lives only as long as the call that builds the parameter.
    static func constant(_ text: StaticString) -> UnsafeMutablePointer<CChar> {
        precondition(text.hasPointerRepresentation, "a literal is stored as bytes")
        return UnsafeMutablePointer(mutating: UnsafeRawPointer(text.utf8Start).assumingMemoryBound(to: CChar.self))
    }

    /// Cryptographically secure random bytes from libcrypto's DRBG.
    static func randomBytes(_ count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        // RAND_bytes fails only when the DRBG cannot be seeded; nothing secret may be made then.
        guard RAND_bytes(&bytes, Int32(count)) == 1 else {
            fatalError("libcrypto's random number generator failed: \(drainErrors())")
        }
        return bytes
    }
}
