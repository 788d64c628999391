import Foundation
import Testing

/// The `openssl` command line, which checks our signatures, hashes and ciphertexts with no Huitong code. The README's
/// set-up asks for it and `.ci/run` installs it, so the interop tests require it: without it they fail saying what
/// to install, rather than pass by being skipped.
public enum OpenSSLCommand {
    public static let executable: URL? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { URL(fileURLWithPath: String($0)).appendingPathComponent("openssl") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }()

    /// Runs `openssl arguments…`; returns its exit status and what it wrote.
    public static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let openssl = try #require(
            executable, "the openssl command line is not installed (apt-get install openssl; see README's set-up)")
        return try ChildProcess.run(openssl, arguments, environment: ["PATH": "/usr/bin:/bin"])
    }
}
