import Foundation
import HuitongTestSupport
import Testing

/// The data directory and what it holds are the node user's only (issue 16, finding 4): the directory 0700, its
/// databases and keys 0600, on a fresh node and, after the next start, on one made before the rule.
@Suite("Data directory modes")
struct DataDirectoryModesTests {
    static func initialize(_ data: URL) throws -> (Int32, String) {
        return try ChildProcess.run(
            AuditVerifyCommandTests.executable,
            ["init", "--data", data.path, "--log-level", "error"],
            environment: ProcessInfo.processInfo.environment.merging([
                "HUITONG_BCRYPT_COST": "4", "HUITONG_PASSWORD_ITERATIONS": "1000",
            ]) { $1 }
            .filter { $0.key != "HUITONG_DATABASE_URL" })
    }

    static func mode(_ url: URL) throws -> Int {
        try #require(FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? Int)
    }

    @Test("a fresh data directory is 0700 and its databases 0600; an older one with open modes is tightened at start")
    func modes() throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("huitong-modes-\(UUID())")
        defer { try? FileManager.default.removeItem(at: data) }
        let (status, output) = try Self.initialize(data)
        #expect(status == 0, "\(output)")
        let databases = ["huitong.sqlite", "huitong.audit.sqlite"].map { data.appendingPathComponent($0) }
        #expect(try Self.mode(data) == 0o700)
        for database in databases {
            #expect(try Self.mode(database) == 0o600, "\(database.lastPathComponent)")
        }

        // A node made before the rule: everything open to the world, and a key file beside the databases.
        let key = data.appendingPathComponent("node-ed25519.key")
        try Data("not read by init\n".utf8).write(to: key)
        for file in databases + [key] {
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file.path)
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: data.path)
        let (again, againOutput) = try Self.initialize(data)
        #expect(again == 0, "\(againOutput)")
        #expect(try Self.mode(data) == 0o700)
        for file in databases + [key] {
            #expect(try Self.mode(file) == 0o600, "\(file.lastPathComponent)")
        }
    }
}
