import Crypto
import Foundation
import HuitongCore
import HuitongCrypto
import Logging
import ServiceLifecycle

/// How often the audit log is sealed with a signed checkpoint, and how large a group commit may grow.
public struct AuditConfiguration: Sendable, Hashable {
    /// Sign a checkpoint once this many entries were appended by this node…
    public var checkpointEveryEntries: Int
    /// …or this long after the last one, whichever comes first (only when entries were added since).
    public var checkpointInterval: Duration
    /// The most events one append transaction carries.
    public var maximumBatch: Int
    /// The most events that may wait to be written (`HUITONG_AUDIT_BACKLOG`, 10,000): beyond it an append is
    /// refused at once, and the gateway answers 503 rather than serve a call it cannot audit promptly.
    public var maximumBacklog: Int

    public init(
        checkpointEveryEntries: Int = 1000, checkpointInterval: Duration = .seconds(60), maximumBatch: Int = 512,
        maximumBacklog: Int = 10_000
    ) {
        self.checkpointEveryEntries = checkpointEveryEntries
        self.checkpointInterval = checkpointInterval
        self.maximumBatch = maximumBatch
        self.maximumBacklog = maximumBacklog
    }
}

/// Everything the node audits with, built once in the composition root: the log to append to, the hasher for
/// queried keys, and the service that signs checkpoints.
public struct AuditTrail: Sendable {
    public let log: AuditLog
    public let repository: any AuditLogRepository
    public let keyHasher: AuditKeyHasher
    public let publicKey: NodePublicKey
    /// Keys the watermark of bulk extracts, so that a leaked file names its grant and nobody can forge one.
    public let watermarkAuthenticator: any MessageAuthenticator
    /// The node secret per-consumer pseudonym keys are derived from (`Pseudonymizer`): the same on every node that
    /// shares the node key and suite, so a consumer's join keys do not change with the node that served them.
    /// Derived with the suite's HKDF.
    public let pseudonymSecret: [UInt8]
    /// The pseudonymizer of one consumer department under the node's suite. Deriving its key costs an HKDF: make
    /// one only for calls whose grant pseudonymises an item.
    public func pseudonymizer(consumerDepartmentID: Int64) -> Pseudonymizer {
        Pseudonymizer(nodeSecret: pseudonymSecret, consumerDepartmentID: consumerDepartmentID, suite: suite)
    }

    /// Run it as a service beside the application (`HuitongApp.buildApplication` does).
    public let checkpointer: AuditCheckpointer
    /// The node key itself, which also signs this node's cascade messages: a peer that trusts the messages can
    /// check `intl` audit checkpoints with the same public key.
    public let nodeKey: NodeIdentityKey
    /// The suite new entries and checkpoints are sealed under: the checkpoint key's.
    public let suite: CryptoSuiteID
    /// The key new checkpoints are signed with: the node's SM2 key under `gm`, its Ed25519 node key under `intl`.
    public let checkpointKey: SigningPrivateKey
    /// Every key the node's own checkpoints may carry: the current checkpoint key, the Ed25519 node key, which
    /// signed them before the node switched to `gm` (or signs them again if it switches back), and the SM2 keys
    /// rotated out.
    public let trustedCheckpointKeys: [SigningPublicKey]

    /// `checkpointKey` picks the suite; without one the node runs `intl` with its Ed25519 node key.
    public init(
        repository: any AuditLogRepository, nodeKey: NodeIdentityKey, checkpointKey: SigningPrivateKey? = nil,
        retiredCheckpointKeys: [SigningPublicKey] = [], configuration: AuditConfiguration = .init(),
        logger: Logger = Logger(label: "huitong.audit")
    ) {
        let checkpointKey = checkpointKey ?? nodeKey.signingKey
        self.repository = repository
        self.nodeKey = nodeKey
        self.checkpointKey = checkpointKey
        self.suite = checkpointKey.algorithm.suite
        var trusted = [checkpointKey.publicKey]
        if checkpointKey.publicKey != nodeKey.publicKey.signingKey { trusted.append(nodeKey.publicKey.signingKey) }
        self.trustedCheckpointKeys = trusted + retiredCheckpointKeys.filter { !trusted.contains($0) }
        self.log = AuditLog(
            repository: repository, suite: suite, maximumBatch: configuration.maximumBatch,
            checkpointEvery: configuration.checkpointEveryEntries, maximumBacklog: configuration.maximumBacklog,
            logger: logger)
        self.keyHasher = AuditKeyHasher(nodeKey: nodeKey, suite: suite)
        self.publicKey = nodeKey.publicKey
        // Under `intl` the same key and MAC as before suites, so watermarks already handed out read the same.
        self.watermarkAuthenticator = suite.suite.authenticator(
            key: nodeKey.derivedSecret(purpose: "huitong extract watermark v1", suite: suite))
        self.pseudonymSecret = nodeKey.derivedSecret(purpose: "huitong pseudonym node secret v1", suite: suite)
        self.checkpointer = AuditCheckpointer(
            log: log, repository: repository, key: checkpointKey, interval: configuration.checkpointInterval,
            logger: logger)
    }
}

/// Signs the chain head every N entries or T seconds, and once more at shutdown.
public struct AuditCheckpointer: Service {
    let log: AuditLog
    let repository: any AuditLogRepository
    let key: SigningPrivateKey
    let interval: Duration
    let logger: Logger

    public func run() async throws {
        let log = log
        let interval = interval
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: interval)
                        log.signalCheckpoint()
                    }
                }
                for await _ in log.checkpointDue { await checkpointLogged() }
                group.cancelAll()
            }
        } onGracefulShutdown: {
            log.finishSignals()
        }
        // Seal what the node appended before it stopped, so a restart does not leave it unsigned for a while.
        await checkpointLogged()
    }

    private func checkpointLogged() async {
        do {
            if let checkpoint = try await checkpoint() {
                logger.debug("audit checkpoint signed", metadata: ["treeSize": "\(checkpoint.treeSize)"])
            }
        } catch {
            logger.error("signing an audit checkpoint failed", metadata: ["error": "\(error)"])
        }
    }

    /// Signs and stores a checkpoint of the current head, unless the head is already signed. Returns it when one
    /// was written.
    @discardableResult
    public func checkpoint(now: Date = Date()) async throws -> AuditCheckpoint? {
        let head = try await repository.head()
        let latest = try await repository.latestCheckpoint()
        guard head.sequence > (latest?.treeSize ?? 0) else { return nil }
        let checkpoint = try AuditCheckpoint.sign(head, time: now, with: key)
        return try await repository.save(checkpoint) ? checkpoint : nil
    }
}
