import Crypto
import Foundation
import HuitongCrypto

/// The node's key for sealing credential secrets at rest: under the `gm` suite with the HT1 envelope (SM4-CBC, then
/// HMAC-SM3, domain-services.md §1.6), under `intl` with AES-256-GCM.
///
/// A request signed with HMAC can only be checked by recomputing the signature, so the server must be able to
/// recover a credential's secret; a one-way digest (enough for bearer tokens) is not. The secret is therefore kept
/// sealed under this key, which lives outside the database (environment or a file beside it): a copy of the
/// database alone still lets nobody call the API.
///
/// A value sealed under `gm` is stored as `gm:` and the base64 of its HT1 envelope; one without a prefix was sealed
/// with AES-256-GCM under `intl` (every value sealed before suites existed). Each value opens under the suite it
/// names, so a node that switches suites still opens what it sealed before.
public struct SealingKey: Sendable {
    static let byteCount = 32
    static let gmPrefix = "gm:"
    private let key: SymmetricKey
    /// HT1's two keys, derived from the sealing key with HKDF-SM3 (one purpose each), so that one 32-byte key kept
    /// outside the database serves both suites.
    private let envelope: HT1Envelope
    /// The suite new values are sealed under: the node's (the composition root sets it).
    public var suite: CryptoSuiteID = .intl

    /// A key from its 32 bytes, written as standard base64 (how `HUITONG_SEALING_KEY` and `sealing.key` hold it).
    public init(base64 text: String) throws(SealingError) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let bytes = Data(base64Encoded: trimmed) else { throw .malformedKey("it is not base64") }
        guard bytes.count == Self.byteCount else {
            throw .malformedKey("it holds \(bytes.count) bytes instead of \(Self.byteCount)")
        }
        self.init(key: SymmetricKey(data: bytes))
    }

    private init(key: SymmetricKey) {
        self.key = key
        let material = key.withUnsafeBytes { Array($0) }
        func derived(_ purpose: String, _ count: Int) -> [UInt8] {
            GMSuite().deriveKey(
                inputKeyMaterial: material, salt: Array("huitong sealing key".utf8), info: Array(purpose.utf8),
                byteCount: count)
        }
        // Both lengths are the ones HT1 asks for, so the envelope cannot refuse them.
        self.envelope = try! HT1Envelope(
            encryptionKey: derived("HT1 SM4 encryption v1", HT1Envelope.encryptionKeyByteCount),
            authenticationKey: derived("HT1 HMAC-SM3 authentication v1", HT1Envelope.authenticationKeyByteCount))
    }

    /// A key of its own for one purpose (`info`), derived from the sealing key with `suite`'s HKDF (HKDF-SM3 or
    /// HKDF-SHA256), so that the one key kept outside the database serves every purpose without reuse.
    public func derivedKey(info: String, suite: CryptoSuiteID, byteCount: Int = 32) -> [UInt8] {
        suite.suite.deriveKey(
            inputKeyMaterial: key.withUnsafeBytes { Array($0) }, salt: Array("huitong sealing key".utf8),
            info: Array(info.utf8), byteCount: byteCount)
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

    /// Seals `secret` under `suite`; `context` (e.g. the credential's key id) is authenticated with it, so a sealed
    /// value copied to another credential does not open there.
    public func seal(_ secret: String, context: String) -> String {
        switch suite {
        case .gm:
            do {
                return Self.gmPrefix
                    + Data(try envelope.seal(Array(secret.utf8), context: Array(context.utf8))).base64EncodedString()
            } catch {
                // SM4-CBC and HMAC-SM3 over memory we own with keys of the right lengths cannot fail short of a broken
                // libcrypto, after which nothing on this node can be trusted.
                preconditionFailure("HT1 sealing failed: \(error.english)")
            }
        case .intl:
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
    }

    /// The secret sealed by `seal(_:context:)` with the same context, under whichever suite sealed it, or
    /// `unsealFailed` (another key, another context, or altered bytes).
    public func open(_ sealed: String, context: String) throws(SealingError) -> String {
        if sealed.hasPrefix(Self.gmPrefix) {
            guard let bytes = Data(base64Encoded: String(sealed.dropFirst(Self.gmPrefix.count))),
                let plaintext = try? envelope.open(Array(bytes), context: Array(context.utf8)),
                let secret = String(validating: plaintext, as: UTF8.self)
            else { throw .unsealFailed }
            return secret
        }
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
