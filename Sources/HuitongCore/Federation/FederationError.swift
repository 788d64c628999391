import HuitongCrypto

/// Why the cascade refused or could not complete something. Rejections of incoming messages say what failed,
/// never what was expected, so a forger learns nothing from them.
public enum FederationError: HuitongError, Equatable {
    case badRegion(String, BilingualText)
    case relationMismatch(relation: PeerRelation, local: NodeRegion, peer: NodeRegion)
    case unknownNode(String)
    case badSignature(String)
    /// The sender signed with an algorithm for which no key of it is registered here (a peer that moved to 国密
    /// before its SM2 key was added to its registration).
    case keyNotRegistered(node: String, algorithm: SignatureAlgorithm)
    /// A message that carries personal data arrived unencrypted at a node that requires encryption (国密 suite).
    case notEncrypted(kind: FederationMessageKind)
    /// This node cannot encrypt for a peer: no SM2 key of it is registered.
    case cannotEncrypt(node: String)
    /// The envelope is genuinely signed but the body is not the one it names (changed on the way).
    case badDigest(String)
    case wrongRecipient(String)
    case clockSkew(seconds: Int64, tolerance: Int64)
    case malformed(BilingualText)
    case duplicatePeer(String)
    case unknownPeer(String)
    case noParent
    /// A node below this one that no registered child leads to: an operator must register it (or the child
    /// above it) first.
    case unregisteredChild(String)
    /// The other node answered with an error of its own; its code and message are passed on.
    case refused(node: String, code: String, message: BilingualText)
    case unreachable(node: String, reason: String)

    public var code: String {
        switch self {
        case .badRegion: "bad_region"
        case .relationMismatch: "peer_relation_mismatch"
        case .unknownNode: "unknown_node"
        case .badSignature: "bad_signature"
        case .keyNotRegistered: "key_not_registered"
        case .notEncrypted: "not_encrypted"
        case .cannotEncrypt: "peer_has_no_sm2_key"
        case .badDigest: "bad_digest"
        case .wrongRecipient: "wrong_recipient"
        case .clockSkew: "clock_skew"
        case .malformed: "malformed_message"
        case .duplicatePeer: "duplicate_peer"
        case .unknownPeer: "unknown_peer"
        case .noParent: "no_parent_node"
        case .unregisteredChild: "unregistered_child"
        case .refused(_, let code, _): code
        case .unreachable: "peer_unreachable"
        }
    }

    public var kind: ErrorKind {
        switch self {
        case .badRegion, .relationMismatch, .malformed, .wrongRecipient: .badInput
        case .unknownNode, .badSignature, .badDigest, .clockSkew, .keyNotRegistered: .unauthenticated
        case .notEncrypted: .badInput
        case .cannotEncrypt: .unprocessable
        case .duplicatePeer: .conflict
        case .unknownPeer: .notFound
        case .noParent, .unregisteredChild: .unprocessable
        case .refused: .unprocessable
        case .unreachable: .upstreamFailed
        }
    }

    public var details: [FieldIssue] {
        switch self {
        case .unregisteredChild: [FieldIssue(field: "child", message: message)]
        default: []
        }
    }

    public var message: BilingualText {
        switch self {
        case .badRegion(let text, let reason):
            BilingualText(
                zh: "节点区划代码 “\(text)” 无效：\(reason.zh)（国家级节点用 000000）",
                en: "invalid node region code \"\(text)\": \(reason.en) (the national node is 000000)")
        case .relationMismatch(let relation, let local, let peer):
            BilingualText(
                zh:
                    "\(peer.code)（\(peer.level.label.zh)）不能作为本节点 \(local.code)（\(local.level.label.zh)）的\(relation.label.zh)：上级平台须在更高层级且管辖本节点所在区域",
                en:
                    "\(peer.code) (\(peer.level.label.en)) cannot be the \(relation.label.en) of this node \(local.code) (\(local.level.label.en)): a parent must sit at a higher level and contain the child's region"
            )
        case .unknownNode(let code):
            BilingualText(zh: "未登记的节点 \(code)：消息已拒收", en: "unknown node \(code): message refused")
        case .badSignature(let code):
            BilingualText(
                zh: "来自节点 \(code) 的消息签名无效：消息已拒收", en: "bad signature on a message from node \(code): message refused")
        case .keyNotRegistered(let code, let algorithm):
            BilingualText(
                zh: "来自节点 \(code) 的消息以 \(algorithm.rawValue) 签名，但本节点未登记该节点的此类公钥：请在对端登记中加上它（对端的 huitong node show）",
                en:
                    "a message from node \(code) is signed with \(algorithm.rawValue), but no such key of that node is registered here: add it to the peer's registration (the peer's huitong node show)"
            )
        case .notEncrypted(let kind):
            BilingualText(
                zh: "“\(kind.rawValue)” 消息载有个人数据，须以 SM4 加密传送（国密）：消息已拒收",
                en:
                    "\"\(kind.rawValue)\" messages carry personal data and must arrive encrypted with SM4 (国密): message refused"
            )
        case .cannotEncrypt(let code):
            BilingualText(
                zh: "无法为节点 \(code) 加密：本节点未登记它的 SM2 公钥（对端的 huitong node show），请在对端登记中加上",
                en:
                    "cannot encrypt for node \(code): its SM2 public key is not registered here (the peer's huitong node show); add it to the peer's registration"
            )
        case .badDigest(let code):
            BilingualText(
                zh: "来自节点 \(code) 的消息正文与签名的摘要不符（传输中被改动）：消息已拒收",
                en:
                    "the body of a message from node \(code) does not match its signed digest (changed in transit): message refused"
            )
        case .wrongRecipient(let code):
            BilingualText(zh: "消息的收件节点是 \(code)，不是本节点", en: "the message is addressed to node \(code), not this one")
        case .clockSkew(let seconds, let tolerance):
            BilingualText(
                zh: "消息时间与本节点时钟相差 \(abs(seconds)) 秒，超出允许的 ±\(tolerance) 秒：请检查双方时钟",
                en:
                    "the message time is \(abs(seconds)) s off this node's clock, beyond ±\(tolerance) s: check both clocks"
            )
        case .malformed(let reason):
            BilingualText(zh: "节点间消息格式无效：\(reason.zh)", en: "malformed cascade message: \(reason.en)")
        case .duplicatePeer(let code):
            BilingualText(zh: "节点 \(code) 已登记", en: "node \(code) is already registered")
        case .unknownPeer(let code):
            BilingualText(zh: "没有登记节点 \(code)", en: "no registered node \(code)")
        case .noParent:
            BilingualText(zh: "本节点尚未登记上级平台", en: "this node has no parent platform registered")
        case .unregisteredChild(let code):
            BilingualText(
                zh: "节点 \(code) 未登记，也没有登记的下级节点通往它：请先用 huitong node add-peer 或 POST /api/v1/federation/peers 登记",
                en:
                    "node \(code) is not registered, nor any child on the way to it: register it first (huitong node add-peer or POST /api/v1/federation/peers)"
            )
        case .refused(let node, _, let message):
            BilingualText(zh: "节点 \(node) 拒绝：\(message.zh)", en: "node \(node) refused: \(message.en)")
        case .unreachable(let node, let reason):
            BilingualText(zh: "无法连接节点 \(node)：\(reason)", en: "cannot reach node \(node): \(reason)")
        }
    }
}
