import Foundation

/// Starts the child processes the tests run (nodes, the CLI, chromedriver), one at a time.
///
/// Foundation's `Process.run()` on Linux crashed once in a full parallel run (a bad pointer in a copy inside
/// `run()` while another suite started its own process at the same moment); launches are rare and quick, so
/// taking them in turn costs nothing measurable.
public enum ChildProcess {
    private static let launching = NSLock()

    public static func launch(_ process: Process) throws {
        launching.lock()
        defer { launching.unlock() }
        try process.run()
    }

    /// Runs `executable` to its end and returns its exit status with what it wrote to standard output and error.
    public static func run(_ executable: URL, _ arguments: [String], environment: [String: String]) throws -> (
        Int32, String
    ) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try launch(process)
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }
}
