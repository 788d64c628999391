import Foundation
import HuitongCore

/// Why the node key could not be loaded or created.
public enum NodeKeyError: HuitongError, Equatable {
    case malformed(source: String)
    case unsafePermissions(path: String, mode: String)
    case unreadable(path: String, reason: String)
    case missing(path: String)

    public var code: String {
        switch self {
        case .malformed: "node_key_malformed"
        case .unsafePermissions: "node_key_unsafe"
        case .unreadable: "node_key_unreadable"
        case .missing: "node_key_missing"
        }
    }

    public var kind: ErrorKind { .unavailable }

    public var message: BilingualText {
        switch self {
        case .malformed(let source):
            BilingualText(
                zh: "\(source) 中的节点密钥无效：应为 32 字节 Ed25519 私钥的 base64",
                en: "the node key in \(source) is invalid: expected the base64 of a 32-byte Ed25519 private key")
        case .unsafePermissions(let path, let mode):
            BilingualText(
                zh: "节点密钥文件 \(path) 的权限为 \(mode)，其他用户可读；请执行 chmod 600 \(path)",
                en: "the node key file \(path) has mode \(mode) and others can read it; run chmod 600 \(path)")
        case .unreadable(let path, let reason):
            BilingualText(
                zh: "无法读写节点密钥文件 \(path)：\(reason)", en: "cannot read or write the node key file \(path): \(reason)")
        case .missing(let path):
            BilingualText(
                zh: "没有节点密钥：未设置 HUITONG_NODE_KEY，也没有 \(path)",
                en: "no node key: HUITONG_NODE_KEY is not set and \(path) does not exist")
        }
    }
}

/// Where the node key comes from: `HUITONG_NODE_KEY` (base64 of the raw 32-byte private key; nodes of one cluster
/// share it), else `<data dir>/node-ed25519.key`, created on first start readable by its owner only.
public enum NodeKeyFile {
    public static let fileName = "node-ed25519.key"

    public static func path(dataDirectory: String) -> String {
        URL(fileURLWithPath: dataDirectory).appendingPathComponent(fileName).path
    }

    /// The key from `environment` when set, else from the data directory's key file, created there when
    /// `create` is true and it does not exist.
    public static func load(environment: String?, dataDirectory: String, create: Bool) throws(NodeKeyError)
        -> NodeIdentityKey
    {
        if let environment, !environment.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            return try parse(environment, source: "HUITONG_NODE_KEY")
        }
        let path = path(dataDirectory: dataDirectory)
        if FileManager.default.fileExists(atPath: path) { return try read(path) }
        guard create else { throw NodeKeyError.missing(path: path) }
        do {
            try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        } catch {
            throw NodeKeyError.unreadable(path: path, reason: "\(error.localizedDescription)")
        }
        let key = NodeIdentityKey.generate()
        // O_EXCL: two processes starting at once cannot both write a key; the loser reads the winner's.
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else {
            if errno == EEXIST { return try read(path) }
            throw NodeKeyError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        let text = Array((Data(key.rawPrivateKey).base64EncodedString() + "\n").utf8)
        let written = text.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        let synced = fsync(descriptor)
        close(descriptor)
        guard written == text.count, synced == 0 else {
            unlink(path)
            throw NodeKeyError.unreadable(path: path, reason: "the key could not be written completely")
        }
        return key
    }

    private static func read(_ path: String) throws(NodeKeyError) -> NodeIdentityKey {
        var status = stat()
        guard stat(path, &status) == 0 else {
            throw NodeKeyError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        // Like ssh with its private keys: a key others could read may already be someone else's.
        if status.st_mode & 0o077 != 0 {
            throw NodeKeyError.unsafePermissions(path: path, mode: String(status.st_mode & 0o777, radix: 8))
        }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw NodeKeyError.unreadable(path: path, reason: error.localizedDescription)
        }
        return try parse(text, source: path)
    }

    private static func parse(_ text: String, source: String) throws(NodeKeyError) -> NodeIdentityKey {
        guard let data = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)),
            let key = NodeIdentityKey(rawPrivateKey: Array(data))
        else {
            throw NodeKeyError.malformed(source: source)
        }
        return key
    }
}
