import Crypto
import Foundation
import HuitongCrypto

/// A bearer secret as handed to its owner exactly once. Only its digest is ever stored (SM3 for secrets issued
/// under `gm`, SHA-256 under `intl`), so a copy of the database does not let anyone call the API.
public struct IssuedSecret: Sendable {
    /// The full secret, e.g. `htu_3q2…`. Show it once; never log it.
    public let plaintext: String
    /// The digest of `plaintext` (`Secrets.digest(of:)`), the only form kept at rest.
    public let digest: String
    /// The first characters, safe to display so that owners can tell their tokens apart.
    public let hint: String
}

public enum SecretKind: String, Sendable, Hashable, Codable {
    /// A personal API token of a user.
    case user = "htu"
    /// A credential of a consumer department's application system.
    case system = "hts"
    /// A browser session.
    case session = "hss"
    /// A portal developer's self-service key for the open-data API.
    case developer = "hdk"
    /// What a member of the public follows an objection with (异议跟踪).
    case objectionTracking = "yy"
}

public enum Secrets {
    /// Makes a new random secret with 256 bits of entropy, whose digest is made under `suite`.
    public static func issue(_ kind: SecretKind, suite: CryptoSuiteID = .intl) -> IssuedSecret {
        let body = randomBase64URL(byteCount: 32)
        let plaintext = suite == .gm ? "\(kind.rawValue)_\(gmMarker)\(body)" : "\(kind.rawValue)_\(body)"
        return IssuedSecret(plaintext: plaintext, digest: digest(of: plaintext), hint: String(plaintext.prefix(10)))
    }

    /// What starts the body of a secret issued under `gm`. A body of 32 random bytes alone is 43 characters, so a
    /// 44-character body starting with it can only be one of these.
    static let gmMarker = "g"

    /// The digest kept for `secret`, made by the suite its own form names, so that a lookup needs no other clue:
    /// `sm3:` and the hex SM3 for a secret issued under `gm`; the hex SHA-256 otherwise (every secret issued before
    /// suites keeps working).
    public static func digest(of secret: String) -> String {
        if let underscore = secret.firstIndex(of: "_") {
            let body = secret.utf8[secret.utf8.index(after: underscore)...]
            if body.count == 44, body.first == UInt8(ascii: "g") {
                return "sm3:" + Hex.lowercase(SM3.hash(Array(secret.utf8)))
            }
        }
        return Hex.lowercase(SHA256.hash(data: Data(secret.utf8)))
    }

    /// The kind a presented secret claims to be, from its prefix; nil for anything that is not ours.
    public static func kind(of presented: String) -> SecretKind? {
        guard let underscore = presented.firstIndex(of: "_") else { return nil }
        return SecretKind(rawValue: String(presented[..<underscore]))
    }

    /// Compares two strings in time that depends only on their lengths, for secrets that are compared directly.
    public static func constantTimeEquals(_ lhs: String, _ rhs: String) -> Bool {
        let a = Array(lhs.utf8)
        let b = Array(rhs.utf8)
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }

    public static func randomBase64URL(byteCount: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<byteCount).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return Base64URL.encode(bytes)
    }

    /// A password a person can read aloud and type: no look-alike characters, always letters and digits.
    public static func generatePassword(length: Int = 16) -> String {
        let letters = Array("abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ")
        let digits = Array("23456789")
        let all = letters + digits
        var generator = SystemRandomNumberGenerator()
        var characters = (0..<max(length, PasswordRule.minimumLength) - 2).map { _ in
            all.randomElement(using: &generator)!
        }
        characters.insert(letters.randomElement(using: &generator)!, at: 0)
        characters.insert(digits.randomElement(using: &generator)!, at: characters.count / 2)
        return String(characters)
    }
}
