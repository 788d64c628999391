import Foundation
import HuitongCore

/// A signed message as it travels over HTTP between nodes: `POST /federation/v1/messages` with this JSON.
///
/// The body stays a JSON text inside a string, so the receiver checks the signature over exactly the bytes the
/// sender signed, whatever either side's JSON encoder would do with the payload.
public struct WireMessage: Sendable, Hashable, Codable {
    public var envelope: FederationEnvelope
    public var body: String
    public var signature: String

    public init(_ message: SignedFederationMessage) {
        self.envelope = message.envelope
        self.body = String(decoding: message.body, as: UTF8.self)
        self.signature = Data(message.signature).base64EncodedString()
    }

    public var signed: SignedFederationMessage? {
        guard let signature = Data(base64Encoded: signature) else { return nil }
        return SignedFederationMessage(envelope: envelope, body: Array(body.utf8), signature: Array(signature))
    }

    /// The largest message a node accepts: a 回流 batch of a few thousand wide rows fits well within it.
    public static let maximumSize = 16 * 1024 * 1024

    public static let path = "/federation/v1/messages"
    /// Where forwarded gateway calls go: answered in the same exchange, not through the outbox.
    public static let callPath = "/federation/v1/calls"
}

/// A receiver's answer to a delivered message.
public struct WireReceipt: Sendable, Hashable, Codable {
    public enum Outcome: String, Sendable, Hashable, Codable {
        /// Handled here, for the first time.
        case handled
        /// Passed on towards its destination.
        case relayed
        /// Seen before: nothing was done again.
        case duplicate
    }

    public var outcome: Outcome
    public var messageID: String

    public init(outcome: Outcome, messageID: String) {
        self.outcome = outcome
        self.messageID = messageID
    }
}

enum FederationJSON {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()

    static func encode(_ value: some Encodable) throws -> String {
        String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func decode<Value: Decodable>(_ type: Value.Type, _ text: String) throws(FederationError) -> Value {
        do {
            return try decoder.decode(type, from: Data(text.utf8))
        } catch {
            throw .malformed(
                BilingualText(zh: "消息内容无法解析：\(error)", en: "the message body cannot be read: \(error)"))
        }
    }
}
