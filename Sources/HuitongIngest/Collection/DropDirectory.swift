import Foundation
import HuitongCore

/// A folder where departments drop files (where SFTP uploads land). Each file the loader reads (CSV, TXT, XLSX,
/// JSON, NDJSON) is taken once: loaded like an upload, then moved to `done/` or `failed/` beside it. Files still being
/// written are left alone: hidden names, `.part`/`.tmp`, and files changed less than `settle` ago.
public struct DropDirectory: Sendable {
    public static let fileTypes = [".csv", ".txt", ".xlsx", ".ndjson", ".jsonl", ".json"]

    public let folder: URL
    /// How long a file must have stood unchanged before it is taken.
    public var settle: TimeInterval

    public init(path: String, settle: TimeInterval = 30) {
        folder = URL(fileURLWithPath: path, isDirectory: true)
        self.settle = settle
    }

    /// The files ready to take, oldest first (then by name).
    public func readyFiles(at now: Date = Date()) throws -> [URL] {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder), isFolder.boolValue,
            let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path)
        else { throw CollectionFailure.unreadablePath(folder.path) }
        var ready: [(URL, Date)] = []
        for name in names where !name.hasPrefix(".") {
            let lowered = name.lowercased()
            guard Self.fileTypes.contains(where: { lowered.hasSuffix($0) }) else { continue }
            let file = folder.appendingPathComponent(name)
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: file.path),
                attributes[.type] as? FileAttributeType == .typeRegular,
                let modified = attributes[.modificationDate] as? Date,
                now.timeIntervalSince(modified) >= settle
            else { continue }
            ready.append((file, modified))
        }
        return ready.sorted { ($0.1, $0.0.lastPathComponent) < ($1.1, $1.0.lastPathComponent) }.map(\.0)
    }

    /// Moves a taken file into `done/` or `failed/`, under a name that never overwrites an earlier one; returns
    /// where it went.
    @discardableResult
    public func file(_ file: URL, succeeded: Bool, at now: Date = Date()) throws -> URL {
        let target = folder.appendingPathComponent(succeeded ? "done" : "failed", isDirectory: true)
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        var destination = target.appendingPathComponent(file.lastPathComponent)
        if FileManager.default.fileExists(atPath: destination.path) {
            let stamp = Int64(now.timeIntervalSince1970 * 1000)
            destination = target.appendingPathComponent(
                "\(stamp)-\(UUID().uuidString.prefix(8))-\(file.lastPathComponent)")
        }
        try FileManager.default.moveItem(at: file, to: destination)
        return destination
    }
}
