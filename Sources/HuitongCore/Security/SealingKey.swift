import Crypto
import Foundation

/// The node's key for sealing credential secrets at rest (AES-256-GCM).
///
/// A request signed with HMAC can only be checked by recomputing the signature, so the server must be able to
/// recover a credential's secret; a one-way digest (enough for bearer tokens) is not. The secret is therefore kept
/// sealed under this key, which lives outside the database (environment or a file beside it): a copy of the
/// database alone still lets nobody call the API.
public struct SealingKey: Sendable {
    static let byteCount = 32
    private let key: SymmetricKey

    /// A key from its 32 bytes, written as standard base64 (how `HUITONG_SEALING_KEY` and `sealing.key` hold it).
    public init(base64 text: String) throws(SealingError) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let bytes = Data(base64Encoded: trimmed) else { throw .malformedKey("it is not base64") }
        guard bytes.count == Self.byteCount else {
            throw .malformedKey("it holds \(bytes.count) bytes instead of \(Self.byteCount)")
        }
        self.key = SymmetricKey(data: bytes)
    }

    private init(key: SymmetricKey) {
        self.key = key
    }

    /// A new random key, for a node's first start and for tests.
    public static func random() -> SealingKey {
        SealingKey(key: SymmetricKey(size: .bits256))
    }

    /// The key as base64, to be written to `sealing.key`. Never log it.
    public var base64: String {
        key.withUnsafeBytes { Data($0).base64EncodedString() }
    }

    /// A short public name for the key, so that logs can tell which key a node holds without revealing it.
    public var fingerprint: String {
        let code = HMAC<SHA256>.authenticationCode(for: Data("huitong sealing key fingerprint".utf8), using: key)
        return Hex.lowercase(code.prefix(6))
    }

    /// Seals `secret`; `context` (e.g. the credential's key id) is authenticated with it, so a sealed value copied
    /// to another credential does not open there.
    public func seal(_ secret: String, context: String) -> String {
        do {
            let box = try AES.GCM.seal(Data(secret.utf8), using: key, authenticating: Data(context.utf8))
            // The combined form (nonce, ciphertext, tag) exists whenever the default 12-byte nonce is used.
            return box.combined!.base64EncodedString()
        } catch {
            // AES-GCM sealing with a valid 256-bit key and a random nonce has no failure mode besides a broken
            // random number generator, after which nothing on this node can be trusted.
            preconditionFailure("AES-GCM sealing failed: \(error)")
        }
    }

    /// The secret sealed by `seal(_:context:)` with the same context, or `unsealFailed` (another key, another
    /// context, or altered bytes).
    public func open(_ sealed: String, context: String) throws(SealingError) -> String {
        guard let combined = Data(base64Encoded: sealed) else { throw .unsealFailed }
        do {
            let box = try AES.GCM.SealedBox(combined: combined)
            let plaintext = try AES.GCM.open(box, using: key, authenticating: Data(context.utf8))
            guard let secret = String(data: plaintext, encoding: .utf8) else { throw SealingError.unsealFailed }
            return secret
        } catch {
            throw .unsealFailed
        }
    }
}

public enum SealingError: HuitongError, Equatable {
    case malformedKey(String)
    case unsealFailed
    case missingKey

    public var code: String {
        switch self {
        case .malformedKey: "bad_sealing_key"
        case .unsealFailed: "unseal_failed"
        case .missingKey: "signing_disabled"
        }
    }

    public var kind: ErrorKind {
        switch self {
        case .malformedKey, .unsealFailed: .internal
        case .missingKey: .unavailable
        }
    }

    public var message: BilingualText {
        switch self {
        case .malformedKey(let reason):
            BilingualText(
                zh: "密封密钥无效：须为 32 字节的 base64 编码（\(reason)）",
                en: "the sealing key must be 32 bytes in base64 (\(reason))")
        case .unsealFailed:
            BilingualText(
                zh: "无法解封凭证：本节点的密封密钥与签发时不同，或数据已被改动",
                en:
                    "a credential could not be unsealed: this node's sealing key differs from the one it was sealed with, or the data was altered"
            )
        case .missingKey:
            BilingualText(
                zh: "本节点未配置密封密钥，不能验证签名请求", en: "this node has no sealing key and cannot check signed requests")
        }
    }
}
