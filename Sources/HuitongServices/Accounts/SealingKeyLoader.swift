import Foundation
import HuitongCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Finds the node's sealing key: `HUITONG_SEALING_KEY` (base64 of 32 bytes) when set, else `<data>/sealing.key`,
/// which is created with mode 0600 on first start. Several nodes on one PostgreSQL must share one key, so set the
/// variable (or copy the file) on all of them.
public enum SealingKeyLoader {
    public static let environmentVariable = "HUITONG_SEALING_KEY"
    public static let fileName = "sealing.key"

    public enum Origin: Sendable, Equatable {
        case environment
        case file(String)
        /// A new key was written here; it must be kept (and backed up apart from the database): credentials sealed
        /// under it cannot sign requests under any other key.
        case created(String)
    }

    public static func load(base64: String?, dataDirectory: String) throws -> (SealingKey, Origin) {
        if let base64, !base64.isEmpty {
            do {
                return (try SealingKey(base64: base64), .environment)
            } catch {
                throw SealingKeyFileError("\(environmentVariable): \(error.message.en)")
            }
        }
        let path = URL(fileURLWithPath: dataDirectory).appendingPathComponent(fileName).path
        if FileManager.default.fileExists(atPath: path) { return (try read(path), .file(path)) }
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        let key = SealingKey.random()
        if try create(path, contents: key.base64 + "\n") { return (key, .created(path)) }
        // Another process on the same data directory created it first: use theirs.
        return (try read(path), .file(path))
    }

    /// Writes a new file readable by its owner only, from the first byte on; false if it exists already.
    private static func create(_ path: String, contents: String) throws -> Bool {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        if descriptor < 0 {
            if errno == EEXIST { return false }
            throw SealingKeyFileError("cannot create \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        let bytes = Array(contents.utf8)
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(descriptor) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(path)
            throw SealingKeyFileError("cannot write \(path): \(reason)")
        }
        return true
    }

    private static func read(_ path: String) throws -> SealingKey {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        if let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue, mode & 0o077 != 0 {
            throw SealingKeyFileError(
                "\(path) is open to other users (mode \(String(mode, radix: 8))); run chmod 600 \(path)")
        }
        // A file another process is still writing is empty for a moment.
        var text = ""
        for _ in 0..<20 {
            text = try String(contentsOfFile: path, encoding: .utf8)
            if !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { break }
            usleep(50_000)
        }
        do {
            return try SealingKey(base64: text)
        } catch {
            throw SealingKeyFileError("\(path): \(error.message.en)")
        }
    }
}

public struct SealingKeyFileError: Error, CustomStringConvertible {
    public let description: String

    package init(_ description: String) {
        self.description = description
    }
}
