import ArgumentParser
import Configuration
import Foundation
import HuitongCore
import HuitongCrypto
import HuitongServices
import HuitongStore
import Synchronization

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Check the audit log.",
        subcommands: [Verify.self, ExportCheckpoint.self, ExportEntry.self, Archive.self, Prune.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute the hash chain and Merkle tree heads and check every signed checkpoint.",
            discussion: """
                Exits with status 1 and names the first bad entry when an entry was edited, deleted, moved, \
                inserted or cut off after a checkpoint, or when a checkpoint's signature does not hold. \
                Checkpoints are checked with the node's own keys (its Ed25519 key, HUITONG_NODE_KEY or \
                <data dir>/node-ed25519.key, and its SM2 key, HUITONG_NODE_SM2_KEY or <data dir>/node-sm2.key) \
                unless --public-key is given. With --archive, verifies archive files instead, offline (no \
                database): each file's entries, chain and checkpoints, and that each file continues the one before.
                """)

        @OptionGroup var node: NodeOptions

        @Option(
            name: .customLong("public-key"),
            help: """
                A trusted checkpoint key (repeatable): an Ed25519 key in base64 as GET /api/v1/node shows it, an SM2 \
                key's uncompressed point in base64, or a PEM file as `huitong node show` prints it.
                """)
        var publicKeys: [String] = []

        @Option(help: .hidden)
        var pageSize = 5_000

        @Option(
            name: .customLong("archive"),
            help: "An archive file to verify offline instead of the database (repeatable, oldest first).")
        var archives: [String] = []

        func run() async throws {
            var keys: [SigningPublicKey] = []
            for text in publicKeys {
                guard let key = Self.parsePublicKey(text) else {
                    throw ValidationError(
                        "--public-key \(text) is neither a base64 Ed25519 key or SM2 point nor a PEM public key file")
                }
                keys.append(key)
            }
            if !archives.isEmpty {
                if keys.isEmpty {
                    let config = node.reader()
                    do {
                        keys = try NodeCryptoSuite.ownCheckpointKeys(
                            nodeKey: try node.loadNodeKey(config, create: false), config: config)
                    } catch {
                        throw ValidationError("\(error.userMessage)\n  (pass --public-key to verify with another key)")
                    }
                }
                if AuditCommand.verifyArchives(archives, keys: keys) { throw ExitCode.failure }
                return
            }
            let failed = try await withStore(node) { store, config, _ in
                if keys.isEmpty {
                    do {
                        keys = try NodeCryptoSuite.ownCheckpointKeys(
                            nodeKey: try node.loadNodeKey(config, create: false), config: config)
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

        /// A key as `--public-key` gives it: base64 (32 bytes: Ed25519, 65: an SM2 point) or a PEM file's path.
        static func parsePublicKey(_ text: String) -> SigningPublicKey? {
            if FileManager.default.fileExists(atPath: text) {
                guard let pem = try? String(contentsOfFile: text, encoding: .utf8) else { return nil }
                return try? SigningPublicKey(pemRepresentation: pem)
            }
            guard let data = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                return nil
            }
            let algorithm: SignatureAlgorithm = data.count == 32 ? .ed25519 : .sm2
            return try? SigningPublicKey(algorithm: algorithm, rawRepresentation: Array(data))
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
                        "  last signed tree head: size \(checkpoint.treeSize), root \(checkpoint.rootHash.hex), signed \(time) by key \(checkpoint.keyID) (\(checkpoint.suite.rawValue))"
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

extension AuditCommand {
    /// Writes a signed checkpoint as files an outside tool checks, so that an assessor needs no Huitong code.
    struct ExportCheckpoint: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export-checkpoint",
            abstract: "Write a signed audit checkpoint, its signature and the public key for openssl to verify.",
            discussion: """
                Writes into --out: checkpoint.bin (the exact bytes signed), checkpoint.sig (the signature; DER \
                SM2 under gm, raw Ed25519 under intl), public-key.pem (the signing key) and checkpoint.txt (the \
                fields), then prints the openssl command that verifies it.
                """)

        @OptionGroup var node: NodeOptions

        @Option(help: "The folder to write into (created if missing).")
        var out: String

        @Option(name: .customLong("tree-size"), help: "The checkpoint at this tree size; the latest by default.")
        var treeSize: Int64?

        func run() async throws {
            let (checkpoint, keys) = try await withStore(node) { store, config, _ in
                let checkpoint: AuditCheckpoint?
                if let treeSize {
                    checkpoint = try await store.audit.checkpoints(after: treeSize - 1, through: treeSize, limit: 1)
                        .first
                } else {
                    checkpoint = try await store.audit.latestCheckpoint()
                }
                guard let checkpoint else {
                    throw ValidationError(
                        treeSize.map { "there is no checkpoint at tree size \($0)" }
                            ?? "the audit log has no checkpoint yet")
                }
                let keys = try NodeCryptoSuite.ownCheckpointKeys(
                    nodeKey: try node.loadNodeKey(config, create: false), config: config)
                return (checkpoint, keys)
            }
            guard let key = keys.first(where: { $0.keyID == checkpoint.keyID }) else {
                throw ValidationError(
                    "checkpoint \(checkpoint.treeSize) was signed by key \(checkpoint.keyID), which this node does not hold"
                )
            }
            let folder = URL(fileURLWithPath: out)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            func write(_ name: String, _ bytes: [UInt8]) throws -> String {
                let url = folder.appendingPathComponent(name)
                try Data(bytes).write(to: url)
                return url.path
            }
            let message = try write("checkpoint.bin", checkpoint.signedBytes)
            let signature = try write("checkpoint.sig", checkpoint.signature)
            let publicKey = try write("public-key.pem", Array(key.pemRepresentation.utf8))
            _ = try write(
                "checkpoint.txt",
                Array(
                    """
                    suite: \(checkpoint.suite.rawValue)
                    tree size: \(checkpoint.treeSize)
                    root hash: \(checkpoint.rootHash.hex)
                    last entry hash: \(checkpoint.lastEntryHash.hex)
                    time (µs since 1970): \(checkpoint.timeMicroseconds)
                    key id: \(checkpoint.keyID)

                    """.utf8))
            print("checkpoint \(checkpoint.treeSize) (\(checkpoint.suite.rawValue)) written to \(folder.path)")
            print("verify it with:")
            switch checkpoint.suite {
            case .gm:
                print(
                    "  openssl pkeyutl -verify -pubin -inkey \(publicKey) -rawin -digest sm3 -pkeyopt distid:1234567812345678 -in \(message) -sigfile \(signature)"
                )
            case .intl:
                print(
                    "  openssl pkeyutl -verify -pubin -inkey \(publicKey) -rawin -in \(message) -sigfile \(signature)")
            }
        }
    }

    /// Writes an entry's canonical bytes, so that `openssl dgst -sm3` (or `-sha256`) reproduces its hash.
    struct ExportEntry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export-entry",
            abstract: "Write an audit entry's canonical bytes; openssl dgst reproduces its stored hash from them.")

        @OptionGroup var node: NodeOptions

        @Option(help: "The entry's sequence number.")
        var sequence: Int64

        @Option(help: "The file to write the canonical bytes to.")
        var out: String

        func run() async throws {
            let record = try await withStore(node) { store, _, _ in
                try await store.audit.records(after: sequence - 1, through: sequence, limit: 1).first
            }
            guard case .entry(let entry) = record else {
                throw ValidationError(
                    record == nil ? "there is no audit entry \(sequence)" : "audit entry \(sequence) no longer decodes")
            }
            try Data(entry.canonicalBytes).write(to: URL(fileURLWithPath: out))
            let digest = entry.suite == .gm ? "sm3" : "sha256"
            print("entry \(entry.sequence) (\(entry.suite.rawValue)) hash \(entry.hash.hex)")
            print("reproduce it with:")
            print("  openssl dgst -\(digest) -r \(out)")
        }
    }
}

extension NodeOptions {
    /// The node's signing key: `HUITONG_NODE_KEY`, else `<data dir>/node-ed25519.key` (created when asked).
    func loadNodeKey(_ config: ConfigReader, create: Bool) throws(NodeKeyError) -> NodeIdentityKey {
        try NodeSettings.loadNodeKey(config, create: create)
    }

    /// The node's audit trail under its crypto suite (resolved and recorded as `serve` does), for commands that
    /// write to the log.
    func auditTrail(_ store: Store, _ config: ConfigReader) async throws -> AuditTrail {
        let nodeKey = try loadNodeKey(config, create: true)
        let suite = try await NodeCryptoSuite.resolve(store, requested: try nodeSettings(config).requestedCryptoSuite)
        return AuditTrail(
            repository: store.audit, nodeKey: nodeKey,
            checkpointKey: try NodeCryptoSuite.checkpointKey(
                for: suite, nodeKey: nodeKey, config: config, create: true),
            retiredCheckpointKeys: try NodeSettings.retiredSM2Keys(config).map { SigningPublicKey(sm2: $0) })
    }
}

extension AuditCommand {
    /// `<data dir>/audit-archive`, or `HUITONG_AUDIT_ARCHIVE_DIR`.
    static func archiveDirectory(_ option: String?, _ config: ConfigReader) -> URL {
        URL(
            fileURLWithPath: option ?? config.string(forKey: "huitong.audit.archive.dir")
                ?? (NodeSettings.dataDirectory(config) as NSString).appendingPathComponent("audit-archive"))
    }

    /// Writes closed months of the log to archive files, each verified before it is registered.
    struct Archive: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Archive closed months of the audit log to files that verify offline.",
            discussion: """
                Writes one file a month (audit-YYYY-MM.ndjson, see docs/audit.md), from the first month not \
                archived yet through --through, which must have ended (months are counted at UTC+8). Each file \
                carries the month's entries as their canonical bytes, the chain's state at both ends and the signed \
                checkpoints covering it (the node signs one at the month's last entry when there is none); it is \
                read back and verified before the month is registered. Entries stay in the database until \
                `huitong audit prune`.
                """)

        @OptionGroup var node: NodeOptions

        @Option(help: "The last month to archive, YYYY-MM.")
        var through: String

        @Option(help: "The folder to write into (default <data dir>/audit-archive; env HUITONG_AUDIT_ARCHIVE_DIR).")
        var out: String?

        func run() async throws {
            guard let month = AuditMonth(through) else { throw ValidationError("--through must be YYYY-MM") }
            let records = try await withStore(node) { store, config, _ in
                let trail = try await node.auditTrail(store, config)
                let archiver = AuditArchiver(
                    repository: store.auditArchives, checkpointKey: trail.checkpointKey,
                    trustedKeys: trail.trustedCheckpointKeys, directory: AuditCommand.archiveDirectory(out, config))
                let started = ContinuousClock.now
                let lastShown = Mutex(ContinuousClock.now)
                // A month of a busy node is millions of entries: say how far the file has come, every few seconds.
                let records = try await archiver.archive(through: month) { month, written, total in
                    let due = lastShown.withLock { shown in
                        guard shown.duration(to: .now) > .seconds(5) else { return false }
                        shown = .now
                        return true
                    }
                    guard due, total > 0 else { return }
                    FileHandle.standardError.write(
                        Data(
                            "  \(month): \(written) / \(total) (\(Int(Double(written) / Double(total) * 100)) %)\n".utf8
                        ))
                }
                return (records, AuditCommand.seconds(started.duration(to: .now)))
            }
            if records.0.isEmpty { print("nothing to archive through \(month)") }
            for record in records.0 {
                print(
                    "archived \(record.month): entries \(record.start.sequence + 1)–\(record.end.sequence) (\(record.entries)) to \(record.fileName), verified"
                )
            }
            let entries = records.0.reduce(Int64(0)) { $0 + $1.entries }
            print(
                "archive_seconds=\(String(format: "%.2f", records.1)) entries=\(entries) per_second=\(Int(Double(entries) / max(records.1, 0.001)))"
            )
        }
    }

    /// Removes archived and verified months older than the retention from the live log.
    struct Prune: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove from the database the audit entries of months archived, verified and past retention.",
            discussion: """
                Keeps the current month and the --retention-months before it (env HUITONG_AUDIT_RETENTION_MONTHS, \
                default 12). Only months `huitong audit archive` wrote and verified are pruned; `huitong audit \
                verify` then starts from the archived boundary.
                """)

        @OptionGroup var node: NodeOptions

        @Option(name: .customLong("retention-months"), help: "Months kept besides the current one.")
        var retentionMonths: Int?

        func run() async throws {
            let pruned = try await withStore(node) { store, config, _ in
                let months = retentionMonths ?? config.int(forKey: "huitong.audit.retention.months", default: 12)
                guard months >= 0 else { throw ValidationError("--retention-months must not be negative") }
                let trail = try await node.auditTrail(store, config)
                return try await AuditArchiver(
                    repository: store.auditArchives, checkpointKey: trail.checkpointKey,
                    trustedKeys: trail.trustedCheckpointKeys, directory: AuditCommand.archiveDirectory(nil, config)
                ).prune(retentionMonths: months)
            }
            if pruned.isEmpty { print("nothing to prune") }
            for record in pruned { print("pruned \(record.month): entries up to \(record.end.sequence)") }
        }
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// Verifies archive files offline, in order, each continuing the one before.
    static func verifyArchives(_ paths: [String], keys: [SigningPublicKey]) -> Bool {
        var previous: AuditArchiveSummary?
        var entries: Int64 = 0
        let started = ContinuousClock.now
        for path in paths {
            do {
                var shown = ContinuousClock.now
                let summary = try AuditArchiver.verify(file: URL(fileURLWithPath: path), trustedKeys: keys) {
                    read, size in
                    guard shown.duration(to: .now) > .seconds(5), size > 0 else { return }
                    shown = .now
                    FileHandle.standardError.write(
                        Data("  \(path): \(Int(Double(read) / Double(size) * 100)) %\n".utf8))
                }
                if previous == nil, summary.start.sequence > 0 {
                    print(
                        "注意 (note): \(path) 从第 \(summary.start.sequence + 1) 条开始；更早的归档未一并校验 (earlier archives were not given)"
                    )
                }
                if let previous, !summary.continues(previous) {
                    throw AuditArchiveError.discontinuous(
                        month: summary.month, firstSequence: summary.start.sequence + 1,
                        previousLastSequence: previous.end.sequence)
                }
                print(
                    "归档校验通过 (archive verified): \(path) month \(summary.month), entries \(summary.start.sequence + 1)–\(summary.end.sequence), checkpoints \(summary.checkpointsVerified)"
                )
                entries += summary.entries
                previous = summary
            } catch {
                print("归档校验失败 (archive verification FAILED): \(path)")
                print("  reason: \((error as? any HuitongError)?.message.combined ?? "\(error)")")
                return true
            }
        }
        let seconds = Self.seconds(started.duration(to: .now))
        print(
            "verify_seconds=\(String(format: "%.2f", seconds)) entries=\(entries) per_second=\(Int(Double(entries) / max(seconds, 0.001)))"
        )
        return false
    }
}
