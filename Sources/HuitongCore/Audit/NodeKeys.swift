import Crypto
import Foundation
import HuitongCrypto

/// The node's Ed25519 key pair: signs audit checkpoints (and, later, cascade messages). Its private half never
/// leaves the process: it has no `description` that would print it and is not `Codable`.
public struct NodeIdentityKey: Sendable {
    private let key: Curve25519.Signing.PrivateKey

    /// A new random key.
    public static func generate() -> NodeIdentityKey {
        NodeIdentityKey(key: Curve25519.Signing.PrivateKey())
    }

    /// The key from its 32 raw private bytes, or nil when they are not 32 bytes.
    public init?(rawPrivateKey: [UInt8]) {
        guard rawPrivateKey.count == 32, let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: rawPrivateKey)
        else { return nil }
        self.key = key
    }

    private init(key: Curve25519.Signing.PrivateKey) {
        self.key = key
    }

    /// The 32 raw private bytes, for writing the key file; handle with care.
    public var rawPrivateKey: [UInt8] { Array(key.rawRepresentation) }

    public var publicKey: NodePublicKey { NodePublicKey(key: key.publicKey) }

    /// The same key behind the suite-neutral signing interface (the `intl` suite's checkpoint key).
    public var signingKey: SigningPrivateKey { SigningPrivateKey(ed25519: key) }

    public func sign(_ message: [UInt8]) throws -> [UInt8] {
        Array(try key.signature(for: message))
    }

    /// A secret of its own for `purpose`, derived with HKDF-SHA256 so that no use of the node key can reveal
    /// another (a leaked key-hash secret does not expose the signing key, and vice versa).
    public func derivedSecret(purpose: String) -> SymmetricKey {
        SymmetricKey(data: derivedSecret(purpose: purpose, suite: .intl))
    }

    /// The same, with the suite's HKDF: HKDF-SM3 under `gm`, HKDF-SHA256 (the secret above) under `intl`.
    public func derivedSecret(purpose: String, suite: CryptoSuiteID, byteCount: Int = 32) -> [UInt8] {
        suite.suite.deriveKey(
            inputKeyMaterial: Array(key.rawRepresentation), salt: Array("huitong node key".utf8),
            info: Array(purpose.utf8), byteCount: byteCount)
    }
}

/// The public half of a node key, published at `GET /api/v1/node` so that checkpoints verify offline.
public struct NodePublicKey: Sendable, Hashable {
    fileprivate let key: Curve25519.Signing.PublicKey

    fileprivate init(key: Curve25519.Signing.PublicKey) {
        self.key = key
    }

    public init?(rawRepresentation bytes: [UInt8]) {
        guard bytes.count == 32, let key = try? Curve25519.Signing.PublicKey(rawRepresentation: bytes) else {
            return nil
        }
        self.key = key
    }

    /// Parses the base64 form printed by `GET /api/v1/node`.
    public init?(base64: String) {
        guard let data = Data(base64Encoded: base64.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            return nil
        }
        self.init(rawRepresentation: Array(data))
    }

    public var rawRepresentation: [UInt8] { Array(key.rawRepresentation) }
    public var base64: String { Data(key.rawRepresentation).base64EncodedString() }

    /// The first 8 bytes of SHA-256 over the raw public key, in hex: short enough to read, long enough that two
    /// nodes' keys do not collide by chance.
    public var keyID: String { signingKey.keyID }

    /// The same key behind the suite-neutral verifying interface.
    public var signingKey: SigningPublicKey { SigningPublicKey(ed25519: key) }

    public static let algorithm = "Ed25519"

    public func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        key.isValidSignature(signature, for: message)
    }

    public static func == (lhs: NodePublicKey, rhs: NodePublicKey) -> Bool {
        lhs.key.rawRepresentation == rhs.key.rawRepresentation
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(key.rawRepresentation)
    }
}

/// Hashes the keys a gateway call queried (ID numbers, credit codes…) before they reach the audit log.
///
/// The suite's HMAC (HMAC-SM3 under `gm`, HMAC-SHA256 under `intl`) under a secret derived from the node key with
/// the suite's HKDF: a plain hash of an 18-digit ID number could be reversed by trying every plausible number, a keyed
/// one cannot without the node key. Nodes of one cluster share the node key and the suite, so the same key hashes
/// alike whichever node served the call. Each entry records its suite, which is also the suite of its key hashes.
public struct AuditKeyHasher: Sendable {
    /// The HMAC already keyed: every gateway call hashes its keys, and keying anew (hashing the padded key twice)
    /// was more than half of each hash (0.7 % of the gateway benchmark's CPU).
    private let keyed: any MessageAuthenticator

    public init(nodeKey: NodeIdentityKey, suite: CryptoSuiteID) {
        self.keyed = suite.suite.authenticator(
            key: nodeKey.derivedSecret(purpose: "huitong audit queried-key hash v1", suite: suite))
    }

    /// The hex HMAC of `key`, after trimming surrounding spaces (a key typed with a stray space is the same key).
    /// The hash of a composite key (a key of several items), its values joined by a separator no value contains,
    /// so that the gateway and routed calls log the same key alike.
    public func hash(components: [String]) -> String {
        hash(components.joined(separator: "\u{1F}"))
    }

    public func hash(_ key: String) -> String {
        Hex.lowercase(keyed.authenticationCode(for: Array(key.trimmedOfWhitespace().utf8)))
    }
}

/// A signed tree head: "the log had `treeSize` entries, with this Merkle root and this last entry hash".
/// Once a checkpoint exists, no entry up to `treeSize` can change, vanish or move without the verifier noticing.
///
/// Signed under a suite: `intl` with the node's Ed25519 key (the original form, byte for byte), `gm` with its SM2
/// key (SM3, default user ID `1234567812345678`), so that `openssl pkeyutl -verify` checks it. The tree head is
/// folded with the same suite's hash.
public struct AuditCheckpoint: Sendable, Hashable {
    public var treeSize: Int64
    public var rootHash: AuditHash
    public var lastEntryHash: AuditHash
    public var timeMicroseconds: Int64
    public var keyID: String
    public var suite: CryptoSuiteID
    public var signature: [UInt8]

    public init(
        treeSize: Int64, rootHash: AuditHash, lastEntryHash: AuditHash, timeMicroseconds: Int64, keyID: String,
        suite: CryptoSuiteID, signature: [UInt8]
    ) {
        self.treeSize = treeSize
        self.rootHash = rootHash
        self.lastEntryHash = lastEntryHash
        self.timeMicroseconds = timeMicroseconds
        self.keyID = keyID
        self.suite = suite
        self.signature = signature
    }

    /// Signs the head of `chain` now with `key`, under the key's suite.
    public static func sign(_ chain: AuditChain, time: Date = Date(), with key: SigningPrivateKey)
        throws(CryptographyError)
        -> AuditCheckpoint
    {
        let suite = key.algorithm.suite
        var checkpoint = AuditCheckpoint(
            treeSize: chain.sequence, rootHash: chain.frontier.root(suite: suite), lastEntryHash: chain.lastHash,
            timeMicroseconds: AuditEvent.microseconds(time), keyID: key.publicKey.keyID, suite: suite, signature: [])
        checkpoint.signature = try key.signature(for: checkpoint.signedBytes)
        return checkpoint
    }

    /// Signs with the node's Ed25519 key, under `intl`.
    public static func sign(_ chain: AuditChain, time: Date = Date(), with key: NodeIdentityKey) throws
        -> AuditCheckpoint
    {
        try sign(chain, time: time, with: key.signingKey)
    }

    public var time: Date { Date(timeIntervalSince1970: Double(timeMicroseconds) / 1_000_000) }

    /// What the signature covers: a domain label (so the signature means nothing in any other protocol), then
    /// every field but the signature, in the entry encoding's style. `intl` keeps the first label exactly, so
    /// checkpoints signed before suites existed still verify; other suites name themselves after a second label.
    public var signedBytes: [UInt8] {
        var out = CanonicalWriter()
        switch suite {
        case .intl:
            out.text("huitong.audit.checkpoint.v1")
        case .gm:
            out.text("huitong.audit.checkpoint.v2")
            out.text(suite.rawValue)
        }
        out.int64(treeSize)
        out.raw(rootHash.bytes)
        out.raw(lastEntryHash.bytes)
        out.int64(timeMicroseconds)
        out.text(keyID)
        return out.buffer
    }

    /// Whether `key` made this checkpoint's signature: the key must be the one named, of the checkpoint's suite.
    public func isValidSignature(by key: SigningPublicKey) -> Bool {
        key.keyID == keyID && key.algorithm.suite == suite && key.isValidSignature(signature, for: signedBytes)
    }

    public func isValidSignature(by key: NodePublicKey) -> Bool {
        isValidSignature(by: key.signingKey)
    }
}
