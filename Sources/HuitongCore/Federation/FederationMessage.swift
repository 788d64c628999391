import Crypto
import Foundation

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
}

/// The signed header of a message: who wrote it for whom, which hop carries it, when, what kind, and the SHA-256
/// of its body.
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

    public init(
        id: String, kind: FederationMessageKind, origin: NodeRegion, destination: NodeRegion, from: NodeRegion,
        to: NodeRegion, sentAtMicroseconds: Int64, bodyDigest: [UInt8]
    ) {
        self.id = id
        self.kind = kind
        self.origin = origin
        self.destination = destination
        self.from = from
        self.to = to
        self.sentAtMicroseconds = sentAtMicroseconds
        self.bodyDigest = bodyDigest
    }

    public var sentAt: Date { Date(timeIntervalSince1970: Double(sentAtMicroseconds) / 1_000_000) }

    /// What the signature covers: a domain label, so that the signature means nothing in any other protocol
    /// (an audit checkpoint signed by the same key cannot pass for a message), then every header field.
    public var signedBytes: [UInt8] {
        var out = CanonicalWriter()
        out.text("huitong.federation.message.v1")
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

/// A message as it travels: the envelope, the body (JSON) and the sender's Ed25519 signature over the envelope.
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
        to: NodeRegion, body: [UInt8], at time: Date = Date(), with key: NodeIdentityKey
    ) throws -> SignedFederationMessage {
        let envelope = FederationEnvelope(
            id: id, kind: kind, origin: origin, destination: destination, from: from, to: to,
            sentAtMicroseconds: AuditEvent.microseconds(time), bodyDigest: Array(SHA256.hash(data: body)))
        return SignedFederationMessage(envelope: envelope, body: body, signature: try key.sign(envelope.signedBytes))
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
        guard let senderKey else { throw .unknownNode(message.envelope.from.code) }
        try FederationEnvelope.checkID(message.envelope.id)
        // Each failure has its own code, so that the operator of the sending node learns what to fix: a key that
        // does not match (bad_signature), a body changed on the way (bad_digest), or a clock (clock_skew).
        guard senderKey.isValidSignature(message.signature, for: message.envelope.signedBytes) else {
            throw .badSignature(message.envelope.from.code)
        }
        guard Array(SHA256.hash(data: message.body)) == message.envelope.bodyDigest else {
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
