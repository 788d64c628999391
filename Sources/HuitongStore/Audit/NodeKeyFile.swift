import Foundation
import HuitongCore
import HuitongCrypto

/// Why the node key could not be loaded or created.
public enum NodeKeyError: HuitongError, Equatable {
    case malformed(source: String)
    case malformedSM2(source: String)
    case unsafePermissions(path: String, mode: String)
    case unreadable(path: String, reason: String)
    case missing(path: String)

    public var code: String {
        switch self {
        case .malformed, .malformedSM2: "node_key_malformed"
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
        case .malformedSM2(let source):
            BilingualText(
                zh: "\(source) 中的 SM2 节点密钥无效：应为 PKCS#8 PEM（BEGIN PRIVATE KEY）或其 DER 的 base64",
                en:
                    "the SM2 node key in \(source) is invalid: expected PKCS#8 PEM (BEGIN PRIVATE KEY) or the base64 of its DER"
            )
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
        if let winner = try ProtectedKeyFile.createExclusively(
            path, contents: Data(key.rawPrivateKey).base64EncodedString() + "\n")
        {
            return try parse(winner, source: path)
        }
        return key
    }

    private static func read(_ path: String) throws(NodeKeyError) -> NodeIdentityKey {
        try parse(try ProtectedKeyFile.read(path), source: path)
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

/// The node's SM2 key, which signs its audit checkpoints under the `gm` suite: `HUITONG_NODE_SM2_KEY` (PKCS#8 PEM,
/// or the base64 of its DER; nodes of one cluster share it), else `<data dir>/node-sm2.key`, a PKCS#8 PEM file
/// (the format `openssl genpkey` writes), created on first start readable by its owner only.
public enum NodeSM2KeyFile {
    public static let fileName = "node-sm2.key"

    public static func path(dataDirectory: String) -> String {
        URL(fileURLWithPath: dataDirectory).appendingPathComponent(fileName).path
    }

    public static func load(environment: String?, dataDirectory: String, create: Bool) throws(NodeKeyError)
        -> SM2PrivateKey
    {
        if let environment, !environment.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            return try parse(environment, source: "HUITONG_NODE_SM2_KEY")
        }
        let path = path(dataDirectory: dataDirectory)
        if FileManager.default.fileExists(atPath: path) {
            return try parse(try ProtectedKeyFile.read(path), source: path)
        }
        guard create else { throw NodeKeyError.missing(path: path) }
        do {
            try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        } catch {
            throw NodeKeyError.unreadable(path: path, reason: "\(error.localizedDescription)")
        }
        let key: SM2PrivateKey
        do {
            key = try SM2PrivateKey.generate()
        } catch {
            throw NodeKeyError.unreadable(path: path, reason: error.english)
        }
        if let winner = try ProtectedKeyFile.createExclusively(path, contents: key.pemRepresentation) {
            return try parse(winner, source: path)
        }
        return key
    }

    static func parse(_ text: String, source: String) throws(NodeKeyError) -> SM2PrivateKey {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        do {
            if trimmed.hasPrefix("-----BEGIN") { return try SM2PrivateKey(pemRepresentation: trimmed) }
            guard let der = Data(base64Encoded: trimmed) else { throw NodeKeyError.malformedSM2(source: source) }
            return try SM2PrivateKey(pkcs8DER: Array(der))
        } catch {
            throw NodeKeyError.malformedSM2(source: source)
        }
    }
}

/// Rotation of the SM2 node key (`huitong node rotate-key`). The data directory keeps three things:
/// `node-sm2.key`, the current key, which signs; `node-sm2.previous.key`, the key the last rotation retired, kept
/// only to open what peers sealed to it before they registered the new one, and destroyed at the next rotation; and
/// `node-sm2-retired/<key id>.pub.pem`, the public half of every retired key, kept for good so that the checkpoints
/// each signed still verify.
extension NodeSM2KeyFile {
    public static let previousFileName = "node-sm2.previous.key"
    public static let retiredDirectoryName = "node-sm2-retired"

    /// What a rotation did.
    public struct Rotation: Sendable {
        public let current: SM2PrivateKey
        public let retired: SM2PublicKey
        /// The key retired by the rotation before, whose private half this one destroyed.
        public let destroyed: SM2PublicKey?
    }

    /// The key the last rotation retired, if it is still kept.
    public static func loadPrevious(dataDirectory: String) throws(NodeKeyError) -> SM2PrivateKey? {
        let path = file(previousFileName, in: dataDirectory)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        return try parse(try ProtectedKeyFile.read(path), source: path)
    }

    /// The public keys of every key ever retired here, oldest first by file name order of their key IDs.
    public static func retiredPublicKeys(dataDirectory: String) throws(NodeKeyError) -> [SM2PublicKey] {
        let directory = file(retiredDirectoryName, in: dataDirectory)
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { $0.hasSuffix(".pub.pem") }.sorted()
        var keys: [SM2PublicKey] = []
        for name in names {
            let path = directory + "/" + name
            do {
                keys.append(try SM2PublicKey(pemRepresentation: try String(contentsOfFile: path, encoding: .utf8)))
            } catch {
                throw NodeKeyError.malformedSM2(source: path)
            }
        }
        return keys
    }

    /// Makes a new current key. The current key becomes the previous one (its public half archived first); the
    /// previous one before it is destroyed. Each step leaves a usable directory if the process dies after it: the
    /// new key is written whole beside the current one and renamed over it last.
    public static func rotate(dataDirectory: String) throws(NodeKeyError) -> Rotation {
        let currentPath = path(dataDirectory: dataDirectory)
        guard FileManager.default.fileExists(atPath: currentPath) else { throw NodeKeyError.missing(path: currentPath) }
        let current = try parse(try ProtectedKeyFile.read(currentPath), source: currentPath)
        let next: SM2PrivateKey
        do {
            next = try SM2PrivateKey.generate()
        } catch {
            throw NodeKeyError.unreadable(path: currentPath, reason: error.english)
        }
        // 1. The retiring key's public half, kept for good.
        let archive = file(retiredDirectoryName, in: dataDirectory)
        let retiredID = SigningPublicKey(sm2: current.publicKey).keyID
        do {
            try FileManager.default.createDirectory(atPath: archive, withIntermediateDirectories: true)
            try Data(current.publicKey.pemRepresentation.utf8).write(
                to: URL(fileURLWithPath: archive + "/\(retiredID).pub.pem"), options: .atomic)
        } catch {
            throw NodeKeyError.unreadable(path: archive, reason: error.localizedDescription)
        }
        // 2. The key retired last time is destroyed; the current one takes its place.
        let previousPath = file(previousFileName, in: dataDirectory)
        let destroyed = try loadPrevious(dataDirectory: dataDirectory)?.publicKey
        if destroyed != nil { try ProtectedKeyFile.destroy(previousPath) }
        guard link(currentPath, previousPath) == 0 else {
            throw NodeKeyError.unreadable(path: previousPath, reason: String(cString: strerror(errno)))
        }
        // 3. The new key, written whole, then renamed over the current one.
        let staged = currentPath + ".next"
        unlink(staged)
        if try ProtectedKeyFile.createExclusively(staged, contents: next.pemRepresentation) != nil {
            throw NodeKeyError.unreadable(path: staged, reason: "another rotation is under way")
        }
        guard rename(staged, currentPath) == 0 else {
            throw NodeKeyError.unreadable(path: currentPath, reason: String(cString: strerror(errno)))
        }
        return Rotation(current: next, retired: current.publicKey, destroyed: destroyed)
    }

    private static func file(_ name: String, in dataDirectory: String) -> String {
        URL(fileURLWithPath: dataDirectory).appendingPathComponent(name).path
    }
}

/// Key files readable by their owner only, like ssh's private keys.
enum ProtectedKeyFile {
    /// Writes `contents` to a new file at `path` with mode 0600. When another process created the file first (two
    /// nodes starting at once), writes nothing and returns the winner's contents instead.
    ///
    /// The key is written whole to a temporary file beside `path` and then hard-linked to `path`, which fails if
    /// `path` exists: a process that loses the race never sees a file that is still being written.
    static func createExclusively(_ path: String, contents: String) throws(NodeKeyError) -> String? {
        let temporary = "\(path).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else {
            throw NodeKeyError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        defer { unlink(temporary) }
        let text = Array(contents.utf8)
        let written = text.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        let synced = fsync(descriptor)
        close(descriptor)
        guard written == text.count, synced == 0 else {
            throw NodeKeyError.unreadable(path: path, reason: "the key could not be written completely")
        }
        guard link(temporary, path) == 0 else {
            if errno == EEXIST { return try read(path) }
            throw NodeKeyError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        return nil
    }

    /// Overwrites a key file with zeros, flushes that to disk, then removes it: the key does not stay readable in
    /// the freed blocks of an ordinary file system (copy-on-write and flash media may still keep old blocks; keys
    /// that must be destroyed beyond doubt belong in a 密码机).
    static func destroy(_ path: String) throws(NodeKeyError) {
        var status = stat()
        guard stat(path, &status) == 0 else { return }
        let descriptor = open(path, O_WRONLY)
        guard descriptor >= 0 else {
            throw NodeKeyError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        let zeros = [UInt8](repeating: 0, count: Int(status.st_size))
        let written = zeros.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        let synced = fsync(descriptor)
        close(descriptor)
        guard written == zeros.count, synced == 0, unlink(path) == 0 else {
            throw NodeKeyError.unreadable(path: path, reason: "the retired key could not be overwritten and removed")
        }
    }

    static func read(_ path: String) throws(NodeKeyError) -> String {
        var status = stat()
        guard stat(path, &status) == 0 else {
            throw NodeKeyError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        // Like ssh with its private keys: a key others could read may already be someone else's.
        if status.st_mode & 0o077 != 0 {
            throw NodeKeyError.unsafePermissions(path: path, mode: String(status.st_mode & 0o777, radix: 8))
        }
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw NodeKeyError.unreadable(path: path, reason: error.localizedDescription)
        }
    }
}
