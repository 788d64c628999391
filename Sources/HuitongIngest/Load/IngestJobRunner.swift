import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Names the process that runs a load (host, boot and process id), so that a job left "running" by a process
/// that was killed is recognised at once on the same host, rather than after the heartbeat timeout that
/// covers other hosts.
public enum IngestJobRunner {
    /// This process.
    public static let current = "\(hostName)|\(bootID)|\(getpid())"

    /// True only when `runner` names a process of this host, since its last boot, that no longer exists.
    public static func isGone(_ runner: String) -> Bool {
        let parts = runner.split(separator: "|", omittingEmptySubsequences: false)
        guard parts.count == 3, !bootID.isEmpty, parts[0] == hostName, parts[1] == bootID, let pid = pid_t(parts[2]),
            pid > 0, pid != getpid()
        else { return false }
        return kill(pid, 0) != 0 && errno == ESRCH
    }

    private static let hostName: String = {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }()

    /// Changes at every boot, and carries the pid namespace, so that a process id from before a reboot or from
    /// another container sharing the host name and kernel is never mistaken for one of ours. Empty where
    /// unknown (not Linux), which turns the shortcut off.
    private static let bootID: String = {
        guard
            let boot = (try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines),
            let namespace = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/pid")
        else { return "" }
        return "\(boot)/\(namespace)"
    }()
}
