import Crypto
import Foundation
import HuitongCrypto

/// What a message between nodes carries. The raw values travel on the wire and in the outbox; never rename one.
public enum FederationMessageKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// Published entries (new or changed) and withdrawals, from a node to its parent (目录上报).
    case catalogRegistration = "catalog.registration"
    /// The parent's answer to a registration: its code for each entry and the review status (code mapping).
    case catalogAcknowledgement = "catalog.acknowledgement"
    /// A batch of records pushed down to a locality (回流).
    case reflowBatch = "reflow.batch"
    /// Counts of entries, resources, applications, calls and quality, reported upward (运行监测).
    case monitoringReport = "monitoring.report"
    /// A consumer's application for an entry another node owns, routed to that node (跨层级申请).
    case applicationSubmission = "application.submission"
    /// The owning node's decision on a routed application, with the terms of the grant it compiled to.
    case applicationDecision = "application.decision"
    /// A gateway call forwarded hop by hop to the node that owns the entry; answered in the same exchange.
    case gatewayCall = "gateway.call"
    /// The signed answer to a forwarded gateway call.
    case gatewayResult = "gateway.result"
    /// Licences (their signed packages and status now) pushed down to the nodes of their holders' regions (证照回流).
    case licenceIndex = "licence.index"
    /// A verifier's node asks a licence's issuing node for its status now; forwarded hop by hop like a gateway call.
    case licenceStatusCall = "licence.status_call"
    /// The issuing node's signed answer to a status call.
    case licenceStatusResult = "licence.status_result"

    /// The kinds that travel as a synchronous call and its answer, not through the outbox.
    public var isCall: Bool {
        [.gatewayCall, .gatewayResult, .licenceStatusCall, .licenceStatusResult].contains(self)
    }
}

/// The signed header of a message: who wrote it for whom, which hop carries it, when, what kind, the algorithm of
/// its signature, and the hash of its body (SM3 under an SM2 signature, SHA-256 under Ed25519).
///
/// Messages travel along the tree one hop at a time (province → city → county): each hop is signed by the node
/// that sends it and checked by the node that receives it, which knows only its own parent and children. A relay
/// re-signs the message for the next hop after checking the previous one, keeping origin, destination and id.
///
/// The (origin, id) pair makes delivery idempotent: every node handles or relays it once and answers repeats as
/// the first time, so an outbox may resend after any failure without anything happening twice.
public struct FederationEnvelope: Sendable, Hashable, Codable {
    public var id: String
    public var kind: FederationMessageKind
    /// The node that wrote the message.
    public var origin: NodeRegion
    /// The node the message is for.
    public var destination: NodeRegion
    /// The node that signed this hop.
    public var from: NodeRegion
    /// The node this hop is addressed to.
    public var to: NodeRegion
    /// When this attempt was signed, in microseconds since 1970. A resend is signed afresh, so a message that
    /// waited in the outbox for a day is not refused as stale.
    public var sentAtMicroseconds: Int64
    public var bodyDigest: [UInt8]
    /// How the hop is signed: the sender's suite. Absent on the wire from nodes that predate suites (Ed25519).
    public var algorithm: SignatureAlgorithm

    public init(
        id: String, kind: FederationMessageKind, origin: NodeRegion, destination: NodeRegion, from: NodeRegion,
        to: NodeRegion, sentAtMicroseconds: Int64, bodyDigest: [UInt8], algorithm: SignatureAlgorithm = .ed25519
    ) {
        self.id = id
        self.kind = kind
        self.origin = origin
        self.destination = destination
        self.from = from
        self.to = to
        self.sentAtMicroseconds = sentAtMicroseconds
        self.bodyDigest = bodyDigest
        self.algorithm = algorithm
    }

    private enum CodingKeys: String, CodingKey {
        case id, kind, origin, destination, from, to, sentAtMicroseconds, bodyDigest, algorithm
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        kind = try container.decode(FederationMessageKind.self, forKey: .kind)
        origin = try container.decode(NodeRegion.self, forKey: .origin)
        destination = try container.decode(NodeRegion.self, forKey: .destination)
        from = try container.decode(NodeRegion.self, forKey: .from)
        to = try container.decode(NodeRegion.self, forKey: .to)
        sentAtMicroseconds = try container.decode(Int64.self, forKey: .sentAtMicroseconds)
        bodyDigest = try container.decode([UInt8].self, forKey: .bodyDigest)
        algorithm = try container.decodeIfPresent(SignatureAlgorithm.self, forKey: .algorithm) ?? .ed25519
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(kind, forKey: .kind)
        try container.encode(origin, forKey: .origin)
        try container.encode(destination, forKey: .destination)
        try container.encode(from, forKey: .from)
        try container.encode(to, forKey: .to)
        try container.encode(sentAtMicroseconds, forKey: .sentAtMicroseconds)
        try container.encode(bodyDigest, forKey: .bodyDigest)
        // Left out under Ed25519, so a node that predates suites reads the message as it always did.
        if algorithm != .ed25519 { try container.encode(algorithm, forKey: .algorithm) }
    }

    /// The hash a body is named by under `algorithm`: that signature's suite's.
    public static func digest(of body: [UInt8], under algorithm: SignatureAlgorithm) -> [UInt8] {
        algorithm.suite.suite.digest(body)
    }

    public var sentAt: Date { Date(timeIntervalSince1970: Double(sentAtMicroseconds) / 1_000_000) }

    /// What the signature covers: a domain label, so that the signature means nothing in any other protocol
    /// (an audit checkpoint signed by the same key cannot pass for a message), then every header field.
    /// Ed25519 hops keep the bytes of version 1, which nodes that predate suites check; other algorithms sign
    /// version 2, which names the algorithm too, so a signature cannot be replayed as one of another suite.
    public var signedBytes: [UInt8] {
        var out = CanonicalWriter()
        switch algorithm {
        case .ed25519:
            out.text("huitong.federation.message.v1")
        case .sm2:
            out.text("huitong.federation.message.v2")
            out.text(algorithm.rawValue)
        }
        out.text(id)
        out.text(kind.rawValue)
        out.text(origin.code)
        out.text(destination.code)
        out.text(from.code)
        out.text(to.code)
        out.int64(sentAtMicroseconds)
        out.bytes(bodyDigest)
        return out.buffer
    }

    /// What an encrypted body of a hop is bound to (authenticated with it): every header field but the time and
    /// the digest, which are set when the hop is signed, after its body was sealed.
    public static func sealedBodyContext(
        id: String, kind: FederationMessageKind, origin: NodeRegion, destination: NodeRegion, from: NodeRegion,
        to: NodeRegion
    ) -> [UInt8] {
        var out = CanonicalWriter()
        out.text("huitong.federation.sealed-body.v1")
        for field in [id, kind.rawValue, origin.code, destination.code, from.code, to.code] { out.text(field) }
        return out.buffer
    }

    /// Message ids are UUIDs (or other short opaque tokens of letters, digits and `-`): they end up in URLs,
    /// logs and unique indexes.
    public static func checkID(_ id: String) throws(FederationError) {
        guard (8...64).contains(id.utf8.count),
            id.utf8.allSatisfy({
                $0 == UInt8(ascii: "-") || ($0 < 0x80 && Character(Unicode.Scalar($0)).isLetter)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0)
            })
        else {
            throw .malformed(BilingualText(zh: "消息编号格式无效", en: "the message id is malformed"))
        }
    }
}

/// A message as it travels: the envelope, the body (JSON, or a sealed body) and the sender's signature over the
/// envelope.
public struct SignedFederationMessage: Sendable, Hashable {
    public var envelope: FederationEnvelope
    public var body: [UInt8]
    public var signature: [UInt8]

    public init(envelope: FederationEnvelope, body: [UInt8], signature: [UInt8]) {
        self.envelope = envelope
        self.body = body
        self.signature = signature
    }

    /// Signs the hop `from` → `to` of message `id` (written by `origin` for `destination`), now.
    public static func sign(
        id: String, kind: FederationMessageKind, origin: NodeRegion, destination: NodeRegion, from: NodeRegion,
        to: NodeRegion, body: [UInt8], at time: Date = Date(), with key: SigningPrivateKey
    ) throws -> SignedFederationMessage {
        let envelope = FederationEnvelope(
            id: id, kind: kind, origin: origin, destination: destination, from: from, to: to,
            sentAtMicroseconds: AuditEvent.microseconds(time),
            bodyDigest: FederationEnvelope.digest(of: body, under: key.algorithm), algorithm: key.algorithm)
        return SignedFederationMessage(
            envelope: envelope, body: body, signature: try key.signature(for: envelope.signedBytes))
    }

    /// Signs with a node's Ed25519 identity key (the `intl` suite).
    public static func sign(
        id: String, kind: FederationMessageKind, origin: NodeRegion, destination: NodeRegion, from: NodeRegion,
        to: NodeRegion, body: [UInt8], at time: Date = Date(), with key: NodeIdentityKey
    ) throws -> SignedFederationMessage {
        try sign(
            id: id, kind: kind, origin: origin, destination: destination, from: from, to: to, body: body, at: time,
            with: key.signingKey)
    }
}

/// Checks a message received from another node before anything in it is believed.
///
/// The order matters for what a rejection may say: an unknown sender learns nothing beyond "unknown node", and a
/// bad signature is reported before any claim the message makes (its recipient or time) is looked at.
public struct FederationVerifier: Sendable {
    /// How far the sender's clock may be from ours, either way. Nodes of different bureaus keep their own clocks;
    /// a few minutes' drift is normal and must not stop the exchange.
    public var clockTolerance: TimeInterval

    public init(clockTolerance: TimeInterval = 900) {
        self.clockTolerance = clockTolerance
    }

    /// Verifies `message` arrived for `local`, signed by `senderKey` (nil when the sender is not a registered
    /// peer), within the clock tolerance of `now`.
    public func verify(
        _ message: SignedFederationMessage, local: NodeRegion, senderKey: NodePublicKey?, now: Date = Date()
    ) throws(FederationError) {
        try verify(message, local: local, senderKeys: senderKey.map { [$0.signingKey] }, now: now)
    }

    /// Verifies `message` with the sender's registered key of the algorithm it was signed with; `senderKeys` is
    /// nil when the sender is not a registered peer.
    public func verify(
        _ message: SignedFederationMessage, local: NodeRegion, senderKeys: [SigningPublicKey]?, now: Date = Date()
    ) throws(FederationError) {
        let envelope = message.envelope
        guard let senderKeys, !senderKeys.isEmpty else { throw .unknownNode(envelope.from.code) }
        try FederationEnvelope.checkID(envelope.id)
        guard let senderKey = senderKeys.first(where: { $0.algorithm == envelope.algorithm }) else {
            throw .keyNotRegistered(node: envelope.from.code, algorithm: envelope.algorithm)
        }
        // Each failure has its own code, so that the operator of the sending node learns what to fix: a key that
        // does not match (bad_signature), a body changed on the way (bad_digest), or a clock (clock_skew).
        guard senderKey.isValidSignature(message.signature, for: envelope.signedBytes) else {
            throw .badSignature(envelope.from.code)
        }
        guard FederationEnvelope.digest(of: message.body, under: envelope.algorithm) == envelope.bodyDigest else {
            throw .badDigest(message.envelope.from.code)
        }
        guard message.envelope.to == local else { throw .wrongRecipient(message.envelope.to.code) }
        let skew = now.timeIntervalSince(message.envelope.sentAt)
        guard abs(skew) <= clockTolerance else {
            throw .clockSkew(seconds: Int64(skew.rounded()), tolerance: Int64(clockTolerance))
        }
    }
}

/// When the outbox tries a failed delivery again: exponential backoff with jitter, capped, so that a peer that
/// was down for an hour is not flooded when it returns and many nodes do not retry in lockstep.
public struct RetrySchedule: Sendable, Hashable, Codable {
    public var initialDelay: TimeInterval
    public var multiplier: Double
    public var maximumDelay: TimeInterval
    /// The fraction of each delay that is random: 0.2 spreads a 10 s delay over 8–12 s.
    public var jitter: Double

    public init(
        initialDelay: TimeInterval = 2, multiplier: Double = 2, maximumDelay: TimeInterval = 600, jitter: Double = 0.2
    ) {
        self.initialDelay = initialDelay
        self.multiplier = multiplier
        self.maximumDelay = maximumDelay
        self.jitter = jitter
    }

    /// The wait before the next attempt after `failures` failed ones (1 or more); `unit` is a random number in
    /// 0..<1, passed in so that the schedule stays deterministic under test.
    public func delay(afterFailures failures: Int, unit: Double) -> TimeInterval {
        let exponent = Double(max(failures, 1) - 1)
        let base = min(maximumDelay, initialDelay * pow(multiplier, min(exponent, 64)))
        let spread = base * jitter * (unit * 2 - 1)
        return max(0, min(maximumDelay, base + spread))
    }
}
