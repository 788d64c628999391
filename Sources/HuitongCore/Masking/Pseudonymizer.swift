import Crypto
import Foundation
import HuitongCrypto

/// Keyed pseudonyms for join keys (domain.md §4.3): a consumer department that may not see an ID number can still
/// join two of its grants on it, because the same value always gives it the same pseudonym. Masked strings must
/// never serve as join keys (`5***************1X` matches thousands of people); pseudonyms do not collide in
/// practice and cannot be reversed without the key.
///
/// pseudonym = first 128 bits of HMAC(K_consumer, normalize(value)), as 32 lowercase hex digits, where
/// K_consumer = HKDF(node secret, salt "huitong pseudonym v1", info "department=<id>;epoch=<n>") and HMAC and HKDF
/// are the node suite's: HMAC-SM3 and HKDF-SM3 under `gm` (GM/T 0042), HMAC-SHA256 and HKDF-SHA256 under `intl`.
/// Deriving the key means nothing per consumer is stored: the node secret, the department id, the epoch and the
/// suite rebuild it. Raising the epoch rotates a consumer's pseudonyms (its earlier ones stop joining with new ones);
/// so does switching the node's suite, which gives new pseudonyms as a new epoch would. Different departments get
/// unrelated pseudonyms, so two consumers cannot link their data through them.
public struct Pseudonymizer: Sendable {
    /// Hex digits in a pseudonym: 128 bits, enough that collisions do not occur at any realistic number of values.
    public static let length = 32

    public let consumerDepartmentID: Int64
    public let epoch: Int
    public let suite: CryptoSuiteID
    private let authenticator: any MessageAuthenticator

    public init(nodeSecret: [UInt8], consumerDepartmentID: Int64, epoch: Int = 0, suite: CryptoSuiteID) {
        self.consumerDepartmentID = consumerDepartmentID
        self.epoch = epoch
        self.suite = suite
        let key = suite.suite.deriveKey(
            inputKeyMaterial: nodeSecret, salt: Array("huitong pseudonym v1".utf8),
            info: Array("department=\(consumerDepartmentID);epoch=\(epoch)".utf8), byteCount: 32)
        self.authenticator = suite.suite.authenticator(key: key)
    }

    public init(nodeSecret: SymmetricKey, consumerDepartmentID: Int64, epoch: Int = 0, suite: CryptoSuiteID) {
        self.init(
            nodeSecret: nodeSecret.withUnsafeBytes { Array($0) }, consumerDepartmentID: consumerDepartmentID,
            epoch: epoch, suite: suite)
    }

    /// The value's pseudonym for this consumer; an empty (or blank) value stays empty, as there is nothing to join.
    public func pseudonym(for value: String) -> String {
        let normalized = Self.normalize(value)
        if normalized.isEmpty { return "" }
        let code = authenticator.authenticationCode(for: Array(normalized.utf8))
        return Hex.lowercase(code.prefix(Self.length / 2))
    }

    /// The form a value is keyed in, so that spellings of one value agree: surrounding space dropped, full-width
    /// forms folded (NFKC: `５１０１０２…` is `510102…`) and letters upper-cased (the check character `x`).
    public static func normalize(_ value: String) -> String {
        value.trimmingCharacters(in: .whitespacesAndNewlines).precomposedStringWithCompatibilityMapping.uppercased()
    }
}
