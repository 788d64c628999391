import Foundation
import HuitongCrypto

/// The public keys of a peer platform: at most one per signature algorithm. A peer that moves to 国密 signs with
/// its SM2 key from then on; registering that key beside its Ed25519 key before the switch keeps the link up
/// through it. The SM2 key is also what bodies carrying personal data are encrypted to.
public struct PeerKeys: Sendable, Hashable {
    public let keys: [SigningPublicKey]

    /// Why a pasted key list cannot be used, in the operator's words.
    public struct Problem: Error, Sendable, CustomStringConvertible {
        public let message: BilingualText
        public var description: String { message.combined }
    }

    /// Reads what an operator pastes from the peer's `huitong node show` or `GET /api/v1/federation/node`: one or
    /// more keys separated by spaces, commas or lines, each an Ed25519 key (32 bytes in base64), an SM2 key as a
    /// PEM `PUBLIC KEY` block, or as base64 of its 65-byte point or of its SubjectPublicKeyInfo, or as stored
    /// here (`sm2:` then the point in base64).
    public init(parsing text: String) throws(Problem) {
        var keys: [SigningPublicKey] = []
        var rest = text
        while let begin = rest.range(of: "-----BEGIN PUBLIC KEY-----") {
            guard let end = rest.range(of: "-----END PUBLIC KEY-----", range: begin.upperBound..<rest.endIndex) else {
                throw Problem(message: BilingualText(zh: "PEM 公钥块不完整", en: "an incomplete PEM public key block"))
            }
            do {
                keys.append(try SigningPublicKey(pemRepresentation: String(rest[begin.lowerBound..<end.upperBound])))
            } catch {
                throw Problem(
                    message: BilingualText(
                        zh: "PEM 公钥无法读取：\(error.english)", en: "unreadable PEM key: \(error.english)"))
            }
            rest.removeSubrange(begin.lowerBound..<end.upperBound)
        }
        let separators = CharacterSet.whitespacesAndNewlines.union(CharacterSet(charactersIn: ",;"))
        for token in rest.components(separatedBy: separators) where !token.isEmpty {
            keys.append(try Self.key(token))
        }
        try self.init(keys)
    }

    /// The keys as given; at least one, at most one of each algorithm.
    public init(_ keys: [SigningPublicKey]) throws(Problem) {
        guard !keys.isEmpty else {
            throw Problem(
                message: BilingualText(
                    zh: "须填写对端节点的公钥", en: "the peer's public key is required"))
        }
        for algorithm in SignatureAlgorithm.allCases where keys.filter({ $0.algorithm == algorithm }).count > 1 {
            throw Problem(
                message: BilingualText(
                    zh: "每种算法只能登记一个公钥，\(algorithm.rawValue) 公钥给了不止一个",
                    en: "one key per algorithm: more than one \(algorithm.rawValue) key was given"))
        }
        self.keys = keys.sorted { $0.algorithm.rawValue < $1.algorithm.rawValue }
    }

    /// As kept in the database and shown in the peer list: the Ed25519 key in base64 as before suites, an SM2 key
    /// as `sm2:` and its point in base64, separated by a space.
    public var stored: String {
        keys.map { key in
            switch key.algorithm {
            case .ed25519: key.base64
            case .sm2: "sm2:" + key.base64
            }
        }.joined(separator: " ")
    }

    /// The SM2 key bodies are encrypted to; nil when the peer has none registered.
    public var sm2: SM2PublicKey? { keys.lazy.compactMap(\.sm2Key).first }

    private static func key(_ token: String) throws(Problem) -> SigningPublicKey {
        let isSM2 = token.lowercased().hasPrefix("sm2:")
        let text = isSM2 ? String(token.dropFirst(4)) : token
        guard let bytes = Data(base64Encoded: text).map(Array.init) else {
            throw Problem(
                message: BilingualText(
                    zh: "“\(token.prefix(20))…” 不是有效的 Base64", en: "\"\(token.prefix(20))…\" is not valid base64"))
        }
        do {
            switch bytes.count {
            case 32 where !isSM2: return try SigningPublicKey(algorithm: .ed25519, rawRepresentation: bytes)
            case 65: return try SigningPublicKey(algorithm: .sm2, rawRepresentation: bytes)
            case 91: return SigningPublicKey(sm2: try SM2PublicKey(subjectPublicKeyInfo: bytes))
            default: break
            }
        } catch {
            throw Problem(
                message: BilingualText(zh: "公钥无效：\(error.english)", en: "invalid public key: \(error.english)"))
        }
        throw Problem(
            message: BilingualText(
                zh: "公钥长 \(bytes.count) 字节：Ed25519 公钥为 32 字节，SM2 公钥为 65 字节的点或 PEM",
                en: "the key is \(bytes.count) bytes: an Ed25519 key is 32 bytes, an SM2 key a 65-byte point or PEM"))
    }
}
