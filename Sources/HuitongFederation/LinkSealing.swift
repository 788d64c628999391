import Foundation
import HuitongCore
import HuitongCrypto
import Synchronization

/// This node's keys in the cascade: it signs each hop with its suite's key (SM2 under `gm`, its Ed25519 identity
/// key under `intl`) and opens the bodies peers encrypted to its SM2 key.
public struct FederationKeys: Sendable {
    /// The Ed25519 identity key peers registered before suites existed.
    public let identity: NodeIdentityKey
    /// What hops are signed with: the node's suite decides.
    public let signing: SigningPrivateKey
    /// What encrypted bodies are opened with, the current SM2 key first and then the one the last rotation retired;
    /// empty on a node that has none (it then receives only clear bodies).
    public let decryption: [SM2PrivateKey]

    public init(identity: NodeIdentityKey, signing: SigningPrivateKey, decryption: [SM2PrivateKey]) {
        self.identity = identity
        self.signing = signing
        self.decryption = decryption
    }

    public var suite: CryptoSuiteID { signing.algorithm.suite }

    /// The keys a peer's operator registers for this node: the Ed25519 key, and the SM2 key when there is one.
    public var publicKeys: [SigningPublicKey] {
        [identity.publicKey.signingKey] + decryption.prefix(1).map { SigningPublicKey(sm2: $0.publicKey) }
    }
}

/// The fields of a hop a sealed body is bound to: the same body cannot be replayed inside another message or on
/// another link.
struct HopHeader: Sendable {
    var id: String
    var kind: FederationMessageKind
    var origin: NodeRegion
    var destination: NodeRegion
    var from: NodeRegion
    var to: NodeRegion

    var context: [UInt8] {
        FederationEnvelope.sealedBodyContext(
            id: id, kind: kind, origin: origin, destination: destination, from: from, to: to)
    }
}

extension HopHeader {
    /// The hop a received envelope describes (an extension, so the memberwise initialiser stays).
    init(_ envelope: FederationEnvelope) {
        self.init(
            id: envelope.id, kind: envelope.kind, origin: envelope.origin, destination: envelope.destination,
            from: envelope.from, to: envelope.to)
    }
}

/// Encrypts, link by link, the bodies of hops that carry personal data — 回流 batches, licences, routed calls and
/// their answers — with the HT1 envelope (SM4-CBC + HMAC-SM3, encrypt-then-MAC), under a session key sent to the next
/// hop encrypted to its SM2 key; and opens those sent to this node.
///
/// A session key serves one peer for an hour, so SM2 is paid once per peer and hour, not per message; the
/// receiver keeps the keys it opened. A sealed body reads `ht1-sm2:` ‖ base64(SM2 ciphertext of the 48-byte key
/// material) ‖ `.` ‖ base64(HT1 value), and the hop's signature covers it whole: a body is authenticated as sent
/// before anything in it is decrypted.
final class LinkSealer: Sendable {
    static let prefix = "ht1-sm2:"
    /// What must travel encrypted under `gm`: the kinds whose bodies hold records of people and businesses.
    static let sealedKinds: Set<FederationMessageKind> = [
        .reflowBatch, .gatewayCall, .gatewayResult, .licenceIndex, .licenceStatusCall, .licenceStatusResult,
    ]
    static let sessionLifetime: Duration = .seconds(3600)
    /// Opened session keys kept; more peers than this only cost an SM2 decryption now and then.
    static let openedSessionsKept = 256

    private struct Session {
        var envelope: HT1Envelope
        var wrappedKey: String
        var created: ContinuousClock.Instant
    }

    private let decryption: [SM2PrivateKey]
    private let clock: @Sendable () -> ContinuousClock.Instant
    /// By the peer's SM2 point: a peer that registers a new key gets a new session at once.
    private let outgoing = Mutex<[[UInt8]: Session]>([:])
    /// By the wrapped key as received.
    private let incoming = Mutex<[String: HT1Envelope]>([:])

    init(decryption: [SM2PrivateKey], clock: @escaping @Sendable () -> ContinuousClock.Instant = { .now }) {
        self.decryption = decryption
        self.clock = clock
    }

    /// `body` sealed for the holder of `recipient` on the hop `header`.
    func seal(_ body: String, _ header: HopHeader, to recipient: SM2PublicKey) throws -> String {
        let now = clock()
        let session = try outgoing.withLock { sessions throws -> Session in
            if let session = sessions[recipient.uncompressedPoint], now - session.created < Self.sessionLifetime {
                return session
            }
            let (envelope, material) = HT1Envelope.random()
            let session = Session(
                envelope: envelope, wrappedKey: Data(try recipient.encrypt(material)).base64EncodedString(),
                created: now)
            sessions[recipient.uncompressedPoint] = session
            return session
        }
        let sealed = try session.envelope.seal(Array(body.utf8), context: header.context)
        return Self.prefix + session.wrappedKey + "." + Data(sealed).base64EncodedString()
    }

    /// The clear body of a sealed `body`, or nil when `body` is not sealed.
    func open(_ body: String, _ header: HopHeader) throws(FederationError) -> String? {
        guard body.hasPrefix(Self.prefix) else { return nil }
        let parts = body.dropFirst(Self.prefix.count).split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let wrapped = Data(base64Encoded: String(parts[0])),
            let sealed = Data(base64Encoded: String(parts[1]))
        else {
            throw .malformed(BilingualText(zh: "加密正文的格式无效", en: "the encrypted body is malformed"))
        }
        let wrappedKey = String(parts[0])
        let envelope: HT1Envelope
        if let known = incoming.withLock({ $0[wrappedKey] }) {
            envelope = known
        } else {
            guard !decryption.isEmpty else {
                throw .malformed(
                    BilingualText(
                        zh: "本节点没有 SM2 密钥，无法解开加密正文", en: "this node has no SM2 key to open encrypted bodies with"))
            }
            // The current key first; then the one a rotation retired, for what a peer sealed before it learnt the
            // new key.
            guard
                let opened = decryption.lazy.compactMap({ key in
                    try? HT1Envelope(keyMaterial: key.decrypt(Array(wrapped)))
                }).first
            else {
                throw .malformed(
                    BilingualText(
                        zh: "会话密钥无法解开：它不是以本节点的 SM2 公钥加密的",
                        en: "the session key cannot be opened: it was not encrypted to this node's SM2 key"))
            }
            envelope = opened
            incoming.withLock { opened in
                if opened.count >= Self.openedSessionsKept { opened.removeAll() }
                opened[wrappedKey] = envelope
            }
        }
        do {
            return String(decoding: try envelope.open(Array(sealed), context: header.context), as: UTF8.self)
        } catch {
            throw .malformed(
                BilingualText(
                    zh: "加密正文未通过完整性校验（HMAC-SM3）", en: "the encrypted body failed its integrity check (HMAC-SM3)"))
        }
    }
}
