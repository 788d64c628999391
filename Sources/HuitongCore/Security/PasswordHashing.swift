import Foundation
import HuitongCrypto

/// Stored password hashes under the node's suite: PBKDF2-HMAC-SM3 under `gm`, bcrypt under `intl` (computed by the
/// services, which hold the bcrypt library). A stored hash names its algorithm, so every hash verifies whatever suite
/// the node runs today, and a sign-in with a hash of another algorithm or fewer iterations stores a new one.
///
/// PBKDF2-HMAC-SM3 is stored as `pbkdf2-sm3$<iterations>$<salt>$<hash>` (domain-services.md §1.7), salt (16 random
/// bytes) and hash (32 bytes) in unpadded standard base64. No standard prescribes password storage for 密评; the
/// iteration count is configuration (`HUITONG_PASSWORD_ITERATIONS`).
public enum PasswordHashing {
    public static let pbkdf2SM3Name = "pbkdf2-sm3"
    /// About 0.2 s on one core of the machines this was measured on, close to bcrypt's cost 12.
    public static let defaultIterations = 300_000
    public static let iterationRange = 1_000...10_000_000
    static let saltByteCount = 16
    static let hashByteCount = 32

    /// The algorithm a stored hash names.
    public enum Algorithm: Sendable, Hashable {
        case pbkdf2SM3(iterations: Int)
        case bcrypt
        case unknown
    }

    public static func algorithm(of stored: String) -> Algorithm {
        if stored.hasPrefix("$2") { return .bcrypt }
        guard let parsed = parse(stored) else { return .unknown }
        return .pbkdf2SM3(iterations: parsed.iterations)
    }

    /// A new PBKDF2-HMAC-SM3 hash with a fresh random salt. Slow on purpose: run it off the request threads.
    public static func pbkdf2SM3(_ password: String, iterations: Int) throws(CryptographyError) -> String {
        var generator = SystemRandomNumberGenerator()
        let salt = (0..<saltByteCount).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return try pbkdf2SM3(password, iterations: iterations, salt: salt)
    }

    /// The hash with a given salt, for test vectors.
    public static func pbkdf2SM3(_ password: String, iterations: Int, salt: [UInt8]) throws(CryptographyError)
        -> String
    {
        let hash = try PBKDF2SM3.deriveKey(
            password: Array(password.utf8), salt: salt, iterations: iterations, byteCount: hashByteCount)
        return [pbkdf2SM3Name, String(iterations), base64(salt), base64(hash)].joined(separator: "$")
    }

    /// Whether `password` gives the stored PBKDF2-HMAC-SM3 hash (compared in constant time); nil when `stored` is
    /// not such a hash.
    public static func verifyPBKDF2SM3(_ password: String, against stored: String) -> Bool? {
        guard let parsed = parse(stored) else { return nil }
        guard
            let hash = try? PBKDF2SM3.deriveKey(
                password: Array(password.utf8), salt: parsed.salt, iterations: parsed.iterations,
                byteCount: parsed.hash.count)
        else { return false }
        return ConstantTime.equal(hash, parsed.hash)
    }

    /// Whether a hash that just verified should be replaced: it is not what the node's suite makes now (bcrypt
    /// under gm, PBKDF2 under intl), or it has fewer iterations than the node asks for.
    public static func needsRehash(_ stored: String, suite: CryptoSuiteID, iterations: Int) -> Bool {
        switch (algorithm(of: stored), suite) {
        case (.pbkdf2SM3(let stored), .gm): stored < iterations
        case (.bcrypt, .intl): false
        default: true
        }
    }

    private static func parse(_ stored: String) -> (iterations: Int, salt: [UInt8], hash: [UInt8])? {
        let parts = stored.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == pbkdf2SM3Name, let iterations = Int(parts[1]),
            iterationRange.contains(iterations), let salt = unbase64(parts[2]), let hash = unbase64(parts[3]),
            !salt.isEmpty, hash.count == hashByteCount
        else { return nil }
        return (iterations, salt, hash)
    }

    private static func base64(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "=", with: "")
    }

    private static func unbase64(_ text: Substring) -> [UInt8]? {
        let padded = text + String(repeating: "=", count: (4 - text.count % 4) % 4)
        return Data(base64Encoded: String(padded)).map { Array($0) }
    }
}
