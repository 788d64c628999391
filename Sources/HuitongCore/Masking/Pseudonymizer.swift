import Crypto
import Foundation

/// Keyed pseudonyms for join keys (domain.md §4.3): a consumer department that may not see an ID number can still
/// join two of its grants on it, because the same value always gives it the same pseudonym. Masked strings must
/// never serve as join keys (`5***************1X` matches thousands of people); pseudonyms do not collide in
/// practice and cannot be reversed without the key.
///
/// pseudonym = first 128 bits of HMAC-SHA256(K_consumer, normalize(value)), as 32 lowercase hex digits, where
/// K_consumer = HKDF-SHA256(node secret, salt "huitong pseudonym v1", info "department=<id>;epoch=<n>").
/// Deriving the key means nothing per consumer is stored: the node secret, the department id and the epoch
/// rebuild it. Raising the epoch rotates a consumer's pseudonyms (its earlier ones stop joining with new ones);
/// different departments get unrelated pseudonyms, so two consumers cannot link their data through them.
///
/// Why HMAC-SHA256 and not HMAC-SM3 (which domain.md names, GM/T 0004): swift-crypto has no SM3, and the issue asks
/// for HMAC-SHA256. The construction is the same; switching the hash later means new pseudonyms (a new epoch).
public struct Pseudonymizer: Sendable {
    /// Hex digits in a pseudonym: 128 bits, enough that collisions do not occur at any realistic number of values.
    public static let length = 32

    public let consumerDepartmentID: Int64
    public let epoch: Int
    private let key: SymmetricKey

    public init(nodeSecret: SymmetricKey, consumerDepartmentID: Int64, epoch: Int = 0) {
        self.consumerDepartmentID = consumerDepartmentID
        self.epoch = epoch
        self.key = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: nodeSecret, salt: Data("huitong pseudonym v1".utf8),
            info: Data("department=\(consumerDepartmentID);epoch=\(epoch)".utf8), outputByteCount: 32)
    }

    /// The value's pseudonym for this consumer; an empty (or blank) value stays empty, as there is nothing to join.
    public func pseudonym(for value: String) -> String {
        let normalized = Self.normalize(value)
        if normalized.isEmpty { return "" }
        let code = HMAC<SHA256>.authenticationCode(for: Data(normalized.utf8), using: key)
        return Hex.lowercase(code.prefix(Self.length / 2))
    }

    /// The form a value is keyed in, so that spellings of one value agree: surrounding space dropped, full-width
    /// forms folded (NFKC: `５１０１０２…` is `510102…`) and letters upper-cased (the check character `x`).
    public static func normalize(_ value: String) -> String {
        value.trimmingCharacters(in: .whitespacesAndNewlines).precomposedStringWithCompatibilityMapping.uppercased()
    }
}
