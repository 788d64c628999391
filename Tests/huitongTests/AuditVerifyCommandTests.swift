import Foundation
import HuitongCore
import HuitongStore
import HuitongTestSupport
import SQLKit
import Testing

@testable import HuitongServices

/// `huitong audit verify`, run as the built executable against a database that is then tampered with.
@Suite("huitong audit verify")
struct AuditVerifyCommandTests {
    static var executable: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("huitong")
    }

    /// Runs `huitong audit verify` and returns its exit status and standard output.
    static func verify(_ location: DatabaseLocation, extra: [String] = [], environment: [String: String] = [:])
        throws -> (Int32, String)
    {
        let database: String =
            switch location {
            case .sqlite(let path): "sqlite:\(path)"
            case .postgres(let url): url
            }
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("audit-verify-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: data) }
        return try ChildProcess.run(
            executable,
            ["audit", "verify", "--database", database, "--data", data, "--log-level", "error"] + extra,
            environment: ProcessInfo.processInfo.environment.merging(environment) { $1 })
    }

    @Test(
        "a sound log verifies; an entry edited with SQL makes the command fail naming its sequence number",
        arguments: TestBackend.available)
    func tamperedRow(_ backend: TestBackend) async throws {
        try #require(
            FileManager.default.isExecutableFile(atPath: Self.executable.path),
            "swift test builds the huitong executable beside the tests")
        try await backend.withFreshDatabase { store, location in
            let key = NodeIdentityKey.generate()
            let trail = AuditTrail(repository: store.audit, nodeKey: key)
            for batch in 0..<3 {
                _ = try await trail.log.append(
                    contentsOf: (1...40).map { index in
                        AuditEvent(
                            action: .gatewayLookup, consumerDepartmentID: 2, providerDepartmentID: 3,
                            resourceCode: "101001/0001", queriedKeyHashes: ["k\(batch)-\(index)"], rowsReturned: 1,
                            outcome: .allowed, latencyMicroseconds: 900)
                    })
                try await trail.checkpointer.checkpoint()
            }
            let environment = ["HUITONG_NODE_KEY": Data(key.rawPrivateKey).base64EncodedString()]
            var (status, output) = try Self.verify(location, environment: environment)
            #expect(status == 0, "\(output)")
            #expect(output.contains("entries checked:       120") && output.contains("checkpoints verified:  3"))
            #expect(output.contains("last signed tree head: size 120"), "\(output)")
            #expect(!output.contains(Data(key.rawPrivateKey).base64EncodedString()), "the private key is never shown")

            try await store.provider.auditProvider.transaction { sql in
                try await sql.raw("UPDATE audit_entries SET rows_returned = 1000 WHERE seq = 57").run()
            }
            (status, output) = try Self.verify(location, extra: ["--public-key", key.publicKey.base64])
            #expect(status != 0, "\(output)")
            #expect(output.contains("first bad entry: 57") && output.contains("entry 57 does not match its hash"))

            // Checkpoints checked with some other node's key are refused, and the key is named.
            try await store.provider.auditProvider.transaction { sql in
                try await sql.raw("UPDATE audit_entries SET rows_returned = 1 WHERE seq = 57").run()
            }
            let stranger = NodeIdentityKey.generate().publicKey
            (status, output) = try Self.verify(location, extra: ["--public-key", stranger.base64])
            #expect(status != 0 && output.contains("unknown key \(key.publicKey.keyID)"), "\(output)")
        }
    }
}
