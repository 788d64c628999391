import Crypto
import Foundation

/// A bearer secret as handed to its owner exactly once. Only its SHA-256 digest is ever stored, so a copy of the
/// database does not let anyone call the API.
public struct IssuedSecret: Sendable {
    /// The full secret, e.g. `htu_3q2…`. Show it once; never log it.
    public let plaintext: String
    /// Hex SHA-256 of `plaintext`, the only form kept at rest.
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
}

public enum Secrets {
    /// Makes a new random secret with 256 bits of entropy.
    public static func issue(_ kind: SecretKind) -> IssuedSecret {
        let body = randomBase64URL(byteCount: 32)
        let plaintext = "\(kind.rawValue)_\(body)"
        return IssuedSecret(plaintext: plaintext, digest: digest(of: plaintext), hint: String(plaintext.prefix(10)))
    }

    public static func digest(of secret: String) -> String {
        Hex.lowercase(SHA256.hash(data: Data(secret.utf8)))
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
        return Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
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
