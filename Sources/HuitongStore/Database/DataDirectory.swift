import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The node's data directory holds its databases, keys and spooled uploads: only the node's own user may enter it
/// (0700), and its database and key files are readable by that user only (0600). Nodes created before this rule
/// have their directory and files tightened at the next start.
public enum DataDirectory {
    /// Files of the directory that are tightened to 0600: databases with their journals, and keys.
    static let privateSuffixes = [".sqlite", ".sqlite-wal", ".sqlite-shm", ".sqlite-journal", ".key"]

    /// Creates `path` with mode 0700, or sets an existing one to 0700, and sets its database and key files to 0600.
    public static func secure(_ path: String) throws {
        try FileManager.default.createDirectory(
            atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try setMode(0o700, path)
        for name in try FileManager.default.contentsOfDirectory(atPath: path)
        where privateSuffixes.contains(where: { name.hasSuffix($0) }) {
            let file = URL(fileURLWithPath: path).appendingPathComponent(name).path
            var status = stat()
            guard lstat(file, &status) == 0, status.st_mode & S_IFMT == S_IFREG else { continue }
            try setMode(0o600, file)
        }
    }

    /// Creates the database file at `path` with mode 0600 before SQLite opens it (SQLite gives its `-wal` and
    /// `-shm` files the mode of the database), or sets an existing one and its journals to 0600.
    static func prepareDatabaseFile(_ path: String) throws {
        let descriptor = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw error("cannot create", path) }
        close(descriptor)
        for file in [path, path + "-wal", path + "-shm", path + "-journal"]
        where FileManager.default.fileExists(atPath: file) {
            try setMode(0o600, file)
        }
    }

    private static func setMode(_ mode: mode_t, _ path: String) throws {
        guard chmod(path, mode) == 0 else { throw error("cannot set the mode of", path) }
    }

    private static func error(_ action: String, _ path: String) -> CocoaError {
        CocoaError(
            .fileWriteNoPermission,
            userInfo: [NSLocalizedDescriptionKey: "\(action) \(path): \(String(cString: strerror(errno)))"])
    }
}
