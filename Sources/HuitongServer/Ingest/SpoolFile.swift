import Foundation
import HuitongCore
import HuitongServices

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Files that hold an upload while it arrives and loads: in a folder only the node's user may enter (0700), each
/// readable by that user only (0600) from its first byte, so that other accounts on the host never see a
/// department's rows.
enum SpoolFile {
    /// A fresh file name in `folder`, which is created (0700) or tightened to 0700 first.
    static func path(in folder: URL) throws -> URL {
        do {
            try FileManager.default.createDirectory(
                at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            guard chmod(folder.path, 0o700) == 0 else { throw CocoaError(.fileWriteNoPermission) }
        } catch {
            throw cannotStore(errno)
        }
        return folder.appendingPathComponent("huitong-upload-\(UUID().uuidString)")
    }

    /// Creates `file` with mode 0600 (failing if it exists) and opens it for writing.
    static func create(_ file: URL) throws -> FileHandle {
        let descriptor = open(file.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw cannotStore(errno) }
        return FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
    }

    static func cannotStore(_ code: Int32) -> APIError {
        .uploadNotStored(reason: String(cString: strerror(code)))
    }
}
