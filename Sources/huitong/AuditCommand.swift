import ArgumentParser
import Configuration
import Foundation
import HuitongCore
import HuitongServices
import HuitongStore

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Check the audit log.", subcommands: [Verify.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute the hash chain and Merkle tree heads and check every signed checkpoint.",
            discussion: """
                Exits with status 1 and names the first bad entry when an entry was edited, deleted, moved, \
                inserted or cut off after a checkpoint, or when a checkpoint's signature does not hold. \
                Checkpoints are checked with the node's own key (HUITONG_NODE_KEY or <data dir>/node-ed25519.key) \
                unless --public-key is given.
                """)

        @OptionGroup var node: NodeOptions

        @Option(
            name: .customLong("public-key"),
            help: "A trusted node public key, base64 as GET /api/v1/node shows it (repeatable).")
        var publicKeys: [String] = []

        @Option(help: .hidden)
        var pageSize = 5_000

        func run() async throws {
            var keys: [NodePublicKey] = []
            for text in publicKeys {
                guard let key = NodePublicKey(base64: text) else {
                    throw ValidationError("--public-key \(text) is not the base64 of a 32-byte Ed25519 public key")
                }
                keys.append(key)
            }
            let failed = try await withStore(node) { store, config, _ in
                if keys.isEmpty {
                    do {
                        keys = [try node.loadNodeKey(config, create: false).publicKey]
                    } catch {
                        throw ValidationError("\(error.userMessage)\n  (pass --public-key to verify with another key)")
                    }
                }
                let started = Date()
                let report = try await AuditLogVerification.run(
                    store.audit, trustedKeys: keys, pageSize: max(100, pageSize)
                ) { checked, total in
                    guard total > 100_000, Date().timeIntervalSince(started) > 1 else { return }
                    let percent = total > 0 ? Int(Double(checked) / Double(total) * 100) : 100
                    FileHandle.standardError.write(Data("  \(checked) / \(total) (\(percent) %)\n".utf8))
                }
                return Self.print(report)
            }
            if failed { throw ExitCode.failure }
        }

        /// Prints the outcome; returns whether verification failed.
        static func print(_ report: AuditLogVerification.Report) -> Bool {
            switch report.outcome {
            case .success(let summary):
                Swift.print("审计日志校验通过 (audit log verified)")
                Swift.print("  entries checked:       \(summary.entriesChecked)")
                Swift.print("  checkpoints verified:  \(summary.checkpointsVerified)")
                if let checkpoint = summary.lastCheckpoint {
                    let time = checkpoint.time.formatted(.iso8601)
                    Swift.print(
                        "  last signed tree head: size \(checkpoint.treeSize), root \(checkpoint.rootHash.hex), signed \(time) by key \(checkpoint.keyID)"
                    )
                } else {
                    Swift.print("  last signed tree head: none yet")
                }
                Swift.print("  entries not yet signed: \(summary.unsignedEntries)")
                return false
            case .failure(let failure):
                Swift.print("审计日志校验失败 (audit log verification FAILED)")
                Swift.print("  first bad entry: \(failure.sequence)")
                Swift.print("  reason: \(failure.message.combined)")
                return true
            }
        }
    }
}

extension NodeOptions {
    /// The node's signing key: `HUITONG_NODE_KEY`, else `<data dir>/node-ed25519.key` (created when asked).
    func loadNodeKey(_ config: ConfigReader, create: Bool) throws(NodeKeyError) -> NodeIdentityKey {
        try NodeSettings.loadNodeKey(config, create: create)
    }
}
