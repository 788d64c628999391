import Foundation
import HuitongCore
import HuitongCrypto
import HuitongStore
import HuitongTestSupport
import Logging
import Testing

@testable import HuitongServices

/// `huitong node show`, `audit export-checkpoint` and `audit export-entry` on a node that ran `intl` and then `gm`,
/// checked with the openssl command line: an assessor verifies our checkpoints and hashes with no Huitong code.
@Suite(
    "huitong audit under gm, checked with openssl", .serialized)
struct GMAuditCommandTests {
    static func events(_ range: ClosedRange<Int>) -> [AuditEvent] {
        range.map { index in
            AuditEvent(
                action: .gatewayLookup, consumerDepartmentID: 2, providerDepartmentID: 3, resourceCode: "101001/0001",
                purpose: "资格核验", queriedKeyHashes: ["k\(index)"], rowsReturned: 1, outcome: .allowed,
                latencyMicroseconds: 900)
        }
    }

    /// Runs the CLI on the node in `directory` with none of the caller's HUITONG_ variables but `environment`.
    static func huitong(_ arguments: [String], in directory: URL, environment extra: [String: String?]) throws -> (
        Int32, String
    ) {
        let words = ["node", "audit"].contains(arguments[0]) ? 2 : 1
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("HUITONG_") }
        environment["HUITONG_BCRYPT_COST"] = "4"
        environment["HUITONG_PASSWORD_ITERATIONS"] = "1000"
        for (name, value) in extra { environment[name] = value }
        return try ChildProcess.run(
            NodeIdentityCommandTests.executable,
            Array(arguments.prefix(words))
                + [
                    "--data", directory.path, "--database",
                    "sqlite:\(directory.appendingPathComponent("huitong.sqlite").path)", "--log-level", "error",
                ] + arguments.dropFirst(words), environment: environment)
    }

    /// The node's store, opened as the CLI opens it, with the keys the CLI finds in the data directory.
    static func withNode<Result>(
        _ directory: URL, _ body: (Store, NodeIdentityKey, SM2PrivateKey) async throws -> Result
    ) async throws -> Result {
        let store = try await Store.openNodeDatabase(directory)
        do {
            let nodeKey = try NodeKeyFile.load(environment: nil, dataDirectory: directory.path, create: true)
            let sm2 = try NodeSM2KeyFile.load(environment: nil, dataDirectory: directory.path, create: true)
            let result = try await body(store, nodeKey, sm2)
            await store.provider.shutdown()
            return result
        } catch {
            await store.provider.shutdown()
            throw error
        }
    }

    @Test("an intl node upgraded to gm: openssl verifies the SM2 checkpoint and reproduces an entry's SM3 hash")
    func upgradedNodeInterop() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: NodeIdentityCommandTests.executable.path))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gm-audit-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        func huitong(_ arguments: [String], suite: String? = nil) throws -> (Int32, String) {
            try Self.huitong(arguments, in: directory, environment: ["HUITONG_CRYPTO_SUITE": suite])
        }

        var (status, output) = try huitong(["init"], suite: "intl")
        #expect(status == 0 && output.contains("crypto suite: intl"), "\(output)")
        try await Self.withNode(directory) { store, nodeKey, _ in
            let trail = AuditTrail(repository: store.audit, nodeKey: nodeKey)
            _ = try await trail.log.append(contentsOf: Self.events(1...5))
            try await trail.checkpointer.checkpoint()
        }
        // The operator switches the node to gm: recorded, and kept without the variable afterwards.
        (status, output) = try huitong(["init"], suite: "gm")
        #expect(status == 0 && output.contains("crypto suite: gm"), "\(output)")
        (status, output) = try huitong(["node", "show"])
        #expect(status == 0 && output.contains("suite:      gm"), "\(output)")
        try await Self.withNode(directory) { store, nodeKey, sm2 in
            let trail = AuditTrail(
                repository: store.audit, nodeKey: nodeKey, checkpointKey: SigningPrivateKey(sm2: sm2))
            _ = try await trail.log.append(contentsOf: Self.events(6...9))
            try await trail.checkpointer.checkpoint()
            // `node show` prints the SM2 key as PEM, the key the checkpoints verify with.
            #expect(output.contains(sm2.publicKey.pemRepresentation), "\(output)")
        }

        (status, output) = try huitong(["audit", "verify"])
        #expect(status == 0 && output.contains("checkpoints verified:  2"), "\(output)")
        #expect(output.contains("size 9") && output.contains("(gm)"), "\(output)")

        let exported = directory.appendingPathComponent("checkpoint")
        (status, output) = try huitong(["audit", "export-checkpoint", "--out", exported.path])
        #expect(status == 0 && output.contains("distid:1234567812345678"), "\(output)")
        func file(_ name: String) -> String { exported.appendingPathComponent(name).path }
        let verifyArguments = [
            "pkeyutl", "-verify", "-pubin", "-inkey", file("public-key.pem"), "-rawin", "-digest", "sm3", "-pkeyopt",
            "distid:1234567812345678", "-in", file("checkpoint.bin"), "-sigfile", file("checkpoint.sig"),
        ]
        var (verified, verification) = try OpenSSLCommand.run(verifyArguments)
        #expect(verified == 0 && verification.contains("Signature Verified Successfully"), "\(verification)")
        // The signed bytes name the tree head: changing one byte makes openssl refuse.
        var signed = try Data(contentsOf: URL(fileURLWithPath: file("checkpoint.bin")))
        signed[signed.count - 20] ^= 0x01
        try signed.write(to: URL(fileURLWithPath: file("checkpoint.bin")))
        (verified, verification) = try OpenSSLCommand.run(verifyArguments)
        #expect(verified != 0, "\(verification)")

        // The intl checkpoint at size 5 exports too, and openssl checks its Ed25519 signature.
        (status, output) = try huitong(["audit", "export-checkpoint", "--out", exported.path, "--tree-size", "5"])
        #expect(status == 0, "\(output)")
        (verified, verification) = try OpenSSLCommand.run([
            "pkeyutl", "-verify", "-pubin", "-inkey", file("public-key.pem"), "-rawin", "-in", file("checkpoint.bin"),
            "-sigfile", file("checkpoint.sig"),
        ])
        #expect(verified == 0 && verification.contains("Signature Verified Successfully"), "\(verification)")

        // An entry's canonical bytes give its stored hash under openssl: SM3 for a gm entry, SHA-256 for intl.
        let hashes = try await Self.withNode(directory) { store, _, _ in
            try await store.audit.records(after: 0, through: 9, limit: 9).compactMap { record -> String? in
                if case .entry(let entry) = record { return entry.hash.hex }
                return nil
            }
        }
        for (sequence, digest) in [(7, "-sm3"), (2, "-sha256")] {
            let bytes = directory.appendingPathComponent("entry-\(sequence).bin").path
            (status, output) = try huitong(["audit", "export-entry", "--sequence", "\(sequence)", "--out", bytes])
            #expect(status == 0 && output.contains("openssl dgst \(digest)"), "\(output)")
            let (dgstStatus, dgst) = try OpenSSLCommand.run(["dgst", digest, "-r", bytes])
            #expect(dgstStatus == 0 && dgst.hasPrefix(hashes[sequence - 1] + " "), "entry \(sequence): \(dgst)")
        }
    }

    @Test(
        "rotate-key: the new SM2 key signs, checkpoints of the old one still verify, the key before it is destroyed")
    func rotation() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: NodeIdentityCommandTests.executable.path))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gm-rotate-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        func huitong(_ arguments: [String], sm2Key: String? = nil) throws -> (Int32, String) {
            try Self.huitong(
                arguments, in: directory, environment: ["HUITONG_CRYPTO_SUITE": "gm", "HUITONG_NODE_SM2_KEY": sm2Key])
        }
        func checkpoint(_ events: ClosedRange<Int>) async throws -> SM2PublicKey {
            try await Self.withNode(directory) { store, nodeKey, sm2 in
                let trail = AuditTrail(
                    repository: store.audit, nodeKey: nodeKey, checkpointKey: SigningPrivateKey(sm2: sm2))
                _ = try await trail.log.append(contentsOf: Self.events(events))
                try await trail.checkpointer.checkpoint()
                return sm2.publicKey
            }
        }

        var (status, output) = try huitong(["init"])
        #expect(status == 0, "\(output)")
        let first = try await checkpoint(1...3)
        (status, output) = try huitong(["node", "rotate-key"])
        let firstID = SigningPublicKey(sm2: first).keyID
        #expect(status == 0 && output.contains("retired SM2 key id:  \(firstID)"), "\(output)")
        #expect(!output.contains("destroyed"), "nothing was retired before the first rotation")
        let second = try await checkpoint(4...6)
        #expect(second != first, "the new key signs")
        #expect(output.contains("sm2:\(Data(second.uncompressedPoint).base64EncodedString())"), "\(output)")
        let previous = directory.appendingPathComponent(NodeSM2KeyFile.previousFileName).path
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: previous)[.posixPermissions] as? Int)
        #expect(mode & 0o077 == 0, "the retired private key stays readable by its owner only")
        #expect(
            try NodeSM2KeyFile.loadPrevious(dataDirectory: directory.path)?.publicKey == first,
            "kept to open what peers sealed to it")

        (status, output) = try huitong(["audit", "verify"])
        #expect(status == 0 && output.contains("checkpoints verified:  2"), "both keys' checkpoints: \(output)")
        let exported = directory.appendingPathComponent("checkpoint")
        (status, output) = try huitong(["audit", "export-checkpoint", "--out", exported.path, "--tree-size", "3"])
        #expect(status == 0, "\(output)")
        let (verified, verification) = try OpenSSLCommand.run([
            "pkeyutl", "-verify", "-pubin", "-inkey", exported.appendingPathComponent("public-key.pem").path,
            "-rawin", "-digest", "sm3", "-pkeyopt", "distid:1234567812345678", "-in",
            exported.appendingPathComponent("checkpoint.bin").path, "-sigfile",
            exported.appendingPathComponent("checkpoint.sig").path,
        ])
        #expect(verified == 0 && verification.contains("Verified Successfully"), "the old key's checkpoint exports")
        #expect(
            try String(contentsOf: exported.appendingPathComponent("public-key.pem"), encoding: .utf8)
                == first.pemRepresentation, "exported with the key that signed it: \(verification)")

        // The second rotation destroys the first key's private half; its public half stays archived.
        (status, output) = try huitong(["node", "rotate-key"])
        #expect(status == 0 && output.contains("destroyed SM2 key:   \(firstID)"), "\(output)")
        #expect(try NodeSM2KeyFile.loadPrevious(dataDirectory: directory.path)?.publicKey == second)
        #expect(try NodeSM2KeyFile.retiredPublicKeys(dataDirectory: directory.path).count == 2)
        (status, output) = try huitong(["audit", "verify"])
        #expect(status == 0 && output.contains("checkpoints verified:  2"), "\(output)")

        // A key held outside the data directory is rotated where it is kept.
        (status, output) = try huitong(
            ["node", "rotate-key"], sm2Key: try SM2PrivateKey.generate().pemRepresentation)
        #expect(status != 0 && output.contains("HUITONG_NODE_SM2_KEY"), "\(output)")
    }
}
