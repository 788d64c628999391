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
    ///
    /// Spawned directly with `posix_spawn`: Foundation's `Process.run()` works out which descriptors to close in the
    /// child by listing them while other tests open and close hundreds of database connections, and crashed the test
    /// process twice in one day in a copy inside that code. Here the child inherits only what is not close-on-exec
    /// (NIO's sockets and SQLite's files are), and it is a short command that exits.
    public static func run(_ executable: URL, _ arguments: [String], environment: [String: String]) throws -> (
        Int32, String
    ) {
        var pipe: [Int32] = [-1, -1]
        guard Glibc.pipe(&pipe) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        _ = fcntl(pipe[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(pipe[1], F_SETFD, FD_CLOEXEC)
        defer { if pipe[0] >= 0 { close(pipe[0]) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, pipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, pipe[1], 2)
        let argv = ([executable.path] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable.path, &actions, nil, argv, envp)
        close(pipe[1])
        guard spawned == 0 else { throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EIO) }
        var output = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = read(pipe[0], &buffer, buffer.count)
            if count > 0 {
                output += buffer[0..<count]
            } else if count == 0 || errno != EINTR {
                break
            }
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        // WIFEXITED / WEXITSTATUS, and a signal's number as Foundation reports it.
        let exited = status & 0x7f == 0
        return (exited ? (status >> 8) & 0xff : status & 0x7f, String(decoding: output, as: UTF8.self))
    }
}
