import HuitongCrypto

/// Why an audit log failed verification, naming the first entry that cannot be trusted.
public struct AuditVerificationFailure: HuitongError, Hashable {
    /// The first bad entry's sequence number.
    public var sequence: Int64
    public var reason: Reason

    public enum Reason: Sendable, Hashable {
        /// The entry's content does not give its hash: a field was changed.
        case edited
        /// The entry is absent; the next one present is `next` (nil when the log ends there).
        case missing(next: Int64?)
        /// A sequence number at or below one already seen.
        case outOfOrder(found: Int64)
        /// The entry after this one links straight to the one before it: this one was slipped in.
        case inserted
        /// The entry does not link to the one before it: entries were moved, deleted or inserted here.
        case brokenLink
        /// A checkpoint signed `signedSize` entries, but the log ends at `lastSequence`.
        case truncated(signedSize: Int64, lastSequence: Int64)
        /// The chain head (the one-row record every append updates) counts `recorded` entries, the log `found`.
        case headMismatch(recorded: Int64, found: Int64)
        /// The entries up to `treeSize` do not give the Merkle root or last hash that the checkpoint signed.
        case checkpointMismatch(treeSize: Int64)
        case badSignature(treeSize: Int64)
        case unknownKey(treeSize: Int64, keyID: String)
        /// Checkpoints must come in increasing tree size, each at most once.
        case checkpointOutOfOrder(treeSize: Int64)
        /// The pruned boundary the live log starts from is not what archiving leaves: no signed checkpoint there,
        /// or entries still at or below it.
        case boundaryUnproven
    }

    public init(sequence: Int64, reason: Reason) {
        self.sequence = sequence
        self.reason = reason
    }

    public var code: String { "audit_log_tampered" }
    public var kind: ErrorKind { .conflict }

    public var message: BilingualText {
        let s = sequence
        switch reason {
        case .edited:
            return BilingualText(
                zh: "第 \(s) 条审计记录的内容与其哈希不符（记录被修改）",
                en: "audit entry \(s) does not match its hash (the entry was edited)")
        case .missing(let next?):
            return BilingualText(
                zh: "缺少第 \(s) 条审计记录（被删除），下一条是第 \(next) 条",
                en: "audit entry \(s) is missing (deleted); the next entry present is \(next)")
        case .missing(nil):
            return BilingualText(zh: "缺少第 \(s) 条审计记录（被删除）", en: "audit entry \(s) is missing (deleted)")
        case .outOfOrder(let found):
            return BilingualText(
                zh: "第 \(s) 条的位置出现了序号 \(found)（记录顺序被打乱）",
                en: "sequence number \(found) appears where entry \(s) should be (entries reordered)")
        case .inserted:
            return BilingualText(
                zh: "第 \(s) 条审计记录是插入的：下一条记录直接链接到第 \(s - 1) 条",
                en: "audit entry \(s) was inserted: the entry after it links straight to entry \(s - 1)")
        case .brokenLink:
            return BilingualText(
                zh: "第 \(s) 条审计记录没有链接到第 \(s - 1) 条（记录被移动、删除或插入）",
                en: "audit entry \(s) does not link to entry \(s - 1) (entries were moved, deleted or inserted)")
        case .truncated(let signed, let last):
            return BilingualText(
                zh: "审计日志被截断：已签名的检查点包含 \(signed) 条记录，但日志只到第 \(last) 条",
                en:
                    "the audit log was truncated: a signed checkpoint covers \(signed) entries but the log ends at \(last)"
            )
        case .headMismatch(let recorded, let found):
            return BilingualText(
                zh: "链头记录了 \(recorded) 条审计记录，日志中实有 \(found) 条",
                en: "the chain head records \(recorded) entries but the log holds \(found)")
        case .checkpointMismatch(let size):
            return BilingualText(
                zh: "第 \(s)–\(size) 条审计记录与规模为 \(size) 的签名检查点不符",
                en: "audit entries \(s)–\(size) do not match the signed checkpoint at tree size \(size)")
        case .badSignature(let size):
            return BilingualText(
                zh: "规模为 \(size) 的检查点签名无效，第 \(s) 条起的记录没有有效签名",
                en: "the checkpoint at tree size \(size) has an invalid signature; entries from \(s) are not signed")
        case .unknownKey(let size, let keyID):
            return BilingualText(
                zh: "规模为 \(size) 的检查点由未知密钥 \(keyID) 签名",
                en: "the checkpoint at tree size \(size) is signed by unknown key \(keyID)")
        case .checkpointOutOfOrder(let size):
            return BilingualText(
                zh: "规模为 \(size) 的检查点重复或顺序错误", en: "the checkpoint at tree size \(size) is repeated or out of order")
        case .boundaryUnproven:
            return BilingualText(
                zh: "审计日志的清理边界（第 \(s) 条）不可信：该处没有签名检查点，或其前仍有记录",
                en:
                    "the audit log's pruned boundary (entry \(s)) is not proven: no signed checkpoint there, or entries remain before it"
            )
        }
    }
}

/// What a verification that found nothing wrong established.
public struct AuditVerificationSummary: Sendable, Hashable {
    public var entriesChecked: Int64
    public var checkpointsVerified: Int64
    /// The latest checkpoint, now known to match the entries.
    public var lastCheckpoint: AuditCheckpoint?
    /// The Merkle root over every entry, signed or not yet, folded with the last entry's suite.
    public var rootHash: AuditHash
    public var lastEntryHash: AuditHash

    /// Entries after the last checkpoint: correct as far as the chain shows, not yet under a signature.
    public var unsignedEntries: Int64 { entriesChecked - (lastCheckpoint?.treeSize ?? 0) }
}

/// Walks an audit log in sequence order, with its checkpoints, and stops at the first entry that cannot be
/// trusted.
///
/// Streaming: it keeps the running chain hash, the Merkle frontier and the checkpoints not yet reached, never the
/// entries. Feed checkpoints with `add(_:)` (in increasing tree size, ahead of the entries they cover) and entries
/// with `check(_:)`; a checkpoint is verified the moment the log reaches its size. Then `finish`.
public struct AuditVerifier: Sendable {
    private var chain = AuditChain()
    /// The hash of the entry before the last one: lets an inserted entry be told from a broken link.
    private var hashBeforeLast = AuditHash.zero
    private var pending: [AuditCheckpoint] = []
    private var pendingStart = 0
    private var lastAddedSize: Int64 = -1
    private var lastVerified: AuditCheckpoint?
    private var checkpointsVerified: Int64 = 0
    /// The suite of the last entry checked: the suite of the log's current tree head.
    private var lastSuite = CryptoSuiteID.intl
    private let keys: [String: SigningPublicKey]

    /// Checkpoints verify with any of `trustedKeys`, of either suite: a node that switched suites trusts its old
    /// Ed25519 key for the checkpoints signed before and its SM2 key for those after.
    public init(trustedKeys: [SigningPublicKey]) {
        self.keys = Dictionary(trustedKeys.map { ($0.keyID, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public init(trustedKeys: [NodePublicKey]) {
        self.init(trustedKeys: trustedKeys.map(\.signingKey))
    }

    /// Starts the walk after `start`: the chain state at an archive's or a pruned log's boundary. A wrong
    /// frontier there cannot pass unnoticed: the first checkpoint after it would not match its signed root.
    public init(trustedKeys: [SigningPublicKey], from start: AuditChain) {
        self.init(trustedKeys: trustedKeys)
        self.chain = start
        self.lastAddedSize = start.sequence - 1
    }

    /// The chain state after the last entry checked.
    public var state: AuditChain { chain }

    public var entriesChecked: Int64 { chain.sequence }
    /// How many checkpoints were added but not yet reached.
    public var pendingCheckpoints: Int { pending.count - pendingStart }

    public mutating func add(_ checkpoint: AuditCheckpoint) throws(AuditVerificationFailure) {
        guard checkpoint.treeSize > lastAddedSize, checkpoint.treeSize >= chain.sequence else {
            throw AuditVerificationFailure(
                sequence: firstUnsigned, reason: .checkpointOutOfOrder(treeSize: checkpoint.treeSize))
        }
        lastAddedSize = checkpoint.treeSize
        if checkpoint.treeSize == chain.sequence {
            try verify(checkpoint)
        } else {
            pending.append(checkpoint)
        }
    }

    public mutating func check(_ entry: AuditEntry) throws(AuditVerificationFailure) {
        let expected = chain.sequence + 1
        if entry.sequence > expected {
            throw AuditVerificationFailure(sequence: expected, reason: .missing(next: entry.sequence))
        }
        if entry.sequence < expected {
            throw AuditVerificationFailure(sequence: expected, reason: .outOfOrder(found: entry.sequence))
        }
        if entry.previousHash != chain.lastHash {
            if expected > 1, entry.previousHash == hashBeforeLast {
                throw AuditVerificationFailure(sequence: expected - 1, reason: .inserted)
            }
            throw AuditVerificationFailure(sequence: expected, reason: .brokenLink)
        }
        if entry.computedHash != entry.hash {
            throw AuditVerificationFailure(sequence: expected, reason: .edited)
        }
        hashBeforeLast = chain.lastHash
        _ = chain.append(entry.event, suite: entry.suite)
        lastSuite = entry.suite
        while pendingStart < pending.count, pending[pendingStart].treeSize == chain.sequence {
            let checkpoint = pending[pendingStart]
            pendingStart += 1
            try verify(checkpoint)
        }
        if pendingStart > 1024 {
            pending.removeFirst(pendingStart)
            pendingStart = 0
        }
    }

    /// Takes note of an entry whose stored columns no longer decode: it was changed outside the log. Always throws;
    /// the sequence checks come first so that a gap before it is still reported as a gap.
    public func checkUnreadable(sequence: Int64) throws(AuditVerificationFailure) {
        let expected = chain.sequence + 1
        if sequence > expected {
            throw AuditVerificationFailure(sequence: expected, reason: .missing(next: sequence))
        }
        if sequence < expected {
            throw AuditVerificationFailure(sequence: expected, reason: .outOfOrder(found: sequence))
        }
        throw AuditVerificationFailure(sequence: expected, reason: .edited)
    }

    /// Ends the walk. `recordedHead` is the sequence number the store's chain head claims, when it keeps one.
    public func finish(recordedHead: Int64? = nil) throws(AuditVerificationFailure) -> AuditVerificationSummary {
        if pendingStart < pending.count {
            throw AuditVerificationFailure(
                sequence: chain.sequence + 1,
                reason: .truncated(signedSize: pending[pendingStart].treeSize, lastSequence: chain.sequence))
        }
        if let recordedHead, recordedHead != chain.sequence {
            throw AuditVerificationFailure(
                sequence: min(recordedHead, chain.sequence) + 1,
                reason: .headMismatch(recorded: recordedHead, found: chain.sequence))
        }
        return AuditVerificationSummary(
            entriesChecked: chain.sequence, checkpointsVerified: checkpointsVerified, lastCheckpoint: lastVerified,
            rootHash: chain.frontier.root(suite: lastSuite), lastEntryHash: chain.lastHash)
    }

    /// The first entry not yet covered by a verified checkpoint.
    private var firstUnsigned: Int64 { (lastVerified?.treeSize ?? 0) + 1 }

    private mutating func verify(_ checkpoint: AuditCheckpoint) throws(AuditVerificationFailure) {
        let size = checkpoint.treeSize
        guard let key = keys[checkpoint.keyID] else {
            throw AuditVerificationFailure(
                sequence: firstUnsigned, reason: .unknownKey(treeSize: size, keyID: checkpoint.keyID))
        }
        guard checkpoint.isValidSignature(by: key) else {
            throw AuditVerificationFailure(sequence: firstUnsigned, reason: .badSignature(treeSize: size))
        }
        guard checkpoint.rootHash == chain.frontier.root(suite: checkpoint.suite),
            checkpoint.lastEntryHash == chain.lastHash
        else {
            throw AuditVerificationFailure(sequence: firstUnsigned, reason: .checkpointMismatch(treeSize: size))
        }
        lastVerified = checkpoint
        checkpointsVerified += 1
    }
}
