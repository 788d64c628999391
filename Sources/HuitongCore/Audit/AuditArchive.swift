import Foundation
import HuitongCrypto

/// The file a closed month of the audit log is archived to (`huitong audit archive`), and its offline check
/// (`huitong audit verify --archive`). See docs/audit.md.
///
/// NDJSON, one object per line with a single key:
///
///     {"header":{"format":"huitong-audit-archive","version":1,"month":"2025-03","firstSequence":1,
///                "lastSequence":3,"previousHash":"00…","startFrontier":[]}}
///     {"entry":{"seq":1,"suite":"gm","hash":"…","canonical":"<base64 of AuditEntry.canonicalBytes>"}}
///     {"checkpoint":{"treeSize":3,"rootHash":"…","lastEntryHash":"…","time":…,"keyID":"…","suite":"gm",
///                    "signature":"<base64>"}}
///     {"end":{"lastSequence":3,"lastHash":"…","frontier":["…"],"entries":3}}
///
/// Entries come in sequence order, each checkpoint right after the entry it reaches; the last entry is always
/// covered by a checkpoint of exactly its tree size, signed by the node. The header's previous hash and Merkle
/// frontier are the chain's state before the first entry: the end of the previous archive.
public enum AuditArchive {
    public static let format = "huitong-audit-archive"
    public static let version = 1

    public struct Header: Codable, Sendable, Hashable {
        public var format: String
        public var version: Int
        public var month: String
        public var firstSequence: Int64
        public var lastSequence: Int64
        public var previousHash: String
        public var startFrontier: [String]

        public init(month: AuditMonth, start: AuditChain, lastSequence: Int64) {
            self.format = AuditArchive.format
            self.version = AuditArchive.version
            self.month = month.description
            self.firstSequence = start.sequence + 1
            self.lastSequence = lastSequence
            self.previousHash = start.lastHash.hex
            self.startFrontier = start.frontier.roots.map(\.hex)
        }
    }

    public struct Entry: Codable, Sendable, Hashable {
        public var seq: Int64
        public var suite: String
        public var hash: String
        public var canonical: String
    }

    public struct Checkpoint: Codable, Sendable, Hashable {
        public var treeSize: Int64
        public var rootHash: String
        public var lastEntryHash: String
        public var time: Int64
        public var keyID: String
        public var suite: String
        public var signature: String

        public init(_ checkpoint: AuditCheckpoint) {
            treeSize = checkpoint.treeSize
            rootHash = checkpoint.rootHash.hex
            lastEntryHash = checkpoint.lastEntryHash.hex
            time = checkpoint.timeMicroseconds
            keyID = checkpoint.keyID
            suite = checkpoint.suite.rawValue
            signature = Data(checkpoint.signature).base64EncodedString()
        }

        /// Nil when a field does not parse; the verifier then reports the line malformed.
        var checkpoint: AuditCheckpoint? {
            guard let root = AuditHash(hex: rootHash), let last = AuditHash(hex: lastEntryHash),
                let suite = CryptoSuiteID(rawValue: suite), let signature = Data(base64Encoded: signature)
            else { return nil }
            return AuditCheckpoint(
                treeSize: treeSize, rootHash: root, lastEntryHash: last, timeMicroseconds: time, keyID: keyID,
                suite: suite, signature: Array(signature))
        }
    }

    public struct End: Codable, Sendable, Hashable {
        public var lastSequence: Int64
        public var lastHash: String
        public var frontier: [String]
        public var entries: Int64

        public init(_ chain: AuditChain, entries: Int64) {
            lastSequence = chain.sequence
            lastHash = chain.lastHash.hex
            frontier = chain.frontier.roots.map(\.hex)
            self.entries = entries
        }
    }

    /// The node's signature over the file's bounds: its header and its end. Checkpoints vouch for entries, not
    /// for where a file starts or stops; without the seal a file cut just after a checkpoint, or stripped of its
    /// first entries, with header and end rewritten to match, would verify on its own.
    public struct Seal: Codable, Sendable, Hashable {
        public var keyID: String
        public var suite: String
        public var signature: String

        /// What the seal signs: a domain label, then every field of the header and the end.
        public static func signedBytes(_ header: Header, _ end: End) -> [UInt8] {
            var out = CanonicalWriter()
            out.text("huitong.audit.archive.seal.v1")
            out.text(header.format)
            out.int64(Int64(header.version))
            out.text(header.month)
            out.int64(header.firstSequence)
            out.int64(header.lastSequence)
            out.text(header.previousHash)
            out.text(header.startFrontier.joined(separator: ","))
            out.int64(end.lastSequence)
            out.text(end.lastHash)
            out.text(end.frontier.joined(separator: ","))
            out.int64(end.entries)
            return out.buffer
        }

        public static func sign(_ header: Header, _ end: End, with key: SigningPrivateKey) throws(CryptographyError)
            -> Seal
        {
            Seal(
                keyID: key.publicKey.keyID, suite: key.algorithm.suite.rawValue,
                signature: Data(try key.signature(for: signedBytes(header, end))).base64EncodedString())
        }

        func isValid(_ header: Header, _ end: End, by key: SigningPublicKey) -> Bool {
            guard let bytes = Data(base64Encoded: signature) else { return false }
            return key.keyID == keyID && key.algorithm.suite.rawValue == suite
                && key.isValidSignature(Array(bytes), for: Self.signedBytes(header, end))
        }
    }

    struct Line: Codable {
        var header: Header?
        var entry: Entry?
        var checkpoint: Checkpoint?
        var end: End?
        var seal: Seal?
    }

    public static func headerLine(_ header: Header) -> [UInt8] { encode(Line(header: header)) }

    public static func checkpointLine(_ checkpoint: AuditCheckpoint) -> [UInt8] {
        encode(Line(checkpoint: Checkpoint(checkpoint)))
    }

    public static func endLine(_ end: End) -> [UInt8] { encode(Line(end: end)) }

    public static func sealLine(_ seal: Seal) -> [UInt8] { encode(Line(seal: seal)) }

    /// An entry's line, written by hand (every value is ASCII: digits, hex, base64 and a suite name) because an
    /// archive holds millions of them.
    public static func entryLine(_ entry: AuditEntry) -> [UInt8] {
        var line = #"{"entry":{"canonical":""#
        line += Data(entry.canonicalBytes).base64EncodedString()
        line += #"","hash":""# + entry.hash.hex + #"","seq":"# + String(entry.sequence)
        line += #","suite":""# + entry.suite.rawValue + "\"}}\n"
        return Array(line.utf8)
    }

    private static func encode(_ line: Line) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding these plain structures cannot fail.
        return Array((try? encoder.encode(line)) ?? Data()) + [0x0A]
    }
}

/// Why an archive file does not verify. The chain's own failures (an edited, missing, moved or inserted entry, a
/// bad checkpoint) keep the audit log's wording.
public enum AuditArchiveError: HuitongError, Hashable {
    /// Line `line` (1-based) is not one of the archive's line kinds.
    case malformed(line: Int)
    case notAnArchive
    case unsupportedVersion(Int)
    case chain(AuditVerificationFailure)
    /// The file stops before its end line: entries after `lastSequence` were cut off.
    case incomplete(lastSequence: Int64)
    /// The end line disagrees with the entries (`lastSequence` is what the entries reach).
    case endMismatch(lastSequence: Int64)
    /// No signed checkpoint covers the archive's last entry.
    case unsigned(lastSequence: Int64)
    /// An archive does not start where the one before it ended.
    case discontinuous(month: String, firstSequence: Int64, previousLastSequence: Int64)
    /// The file's bounds carry no seal, or one no trusted key made: it may have been cut or stripped.
    case unsealed

    public var code: String {
        switch self {
        case .chain(let failure): failure.code
        default: "audit_archive_invalid"
        }
    }

    public var kind: ErrorKind { .conflict }

    public var message: BilingualText {
        switch self {
        case .malformed(let line):
            BilingualText(zh: "归档文件第 \(line) 行格式错误", en: "line \(line) of the archive is malformed")
        case .notAnArchive:
            BilingualText(zh: "文件不是汇通审计归档（缺少文件头）", en: "the file is not a Huitong audit archive (no header)")
        case .unsupportedVersion(let version):
            BilingualText(
                zh: "不支持的归档格式版本 \(version)", en: "archive format version \(version) is not supported")
        case .chain(let failure):
            failure.message
        case .incomplete(let last):
            BilingualText(
                zh: "归档文件被截断：第 \(last) 条之后缺少记录和结尾行",
                en: "the archive was truncated: entries after \(last) and its end line are missing")
        case .endMismatch(let last):
            BilingualText(
                zh: "归档结尾行与记录不符（记录到第 \(last) 条为止）",
                en: "the archive's end line does not match its entries (which end at \(last))")
        case .unsigned(let last):
            BilingualText(
                zh: "归档的最后一条记录（第 \(last) 条）没有签名检查点",
                en: "no signed checkpoint covers the archive's last entry (\(last))")
        case .discontinuous(let month, let first, let previous):
            BilingualText(
                zh: "\(month) 的归档从第 \(first) 条开始，未接上前一归档的第 \(previous) 条",
                en:
                    "the archive of \(month) starts at entry \(first) and does not continue the previous one, which ends at \(previous)"
            )
        case .unsealed:
            BilingualText(
                zh: "归档文件的起止没有可信的节点签名（可能被截断或删去开头）",
                en: "the archive's bounds carry no trusted node seal (it may have been cut short or stripped)")
        }
    }
}

/// What an archive that verified holds.
public struct AuditArchiveSummary: Sendable, Hashable {
    public var month: String
    /// The chain state before the first entry and after the last.
    public var start: AuditChain
    public var end: AuditChain
    public var entries: Int64
    public var checkpointsVerified: Int64

    /// Whether this archive starts exactly where `previous` ended: the same sequence number, hash and frontier.
    public func continues(_ previous: AuditArchiveSummary) -> Bool {
        start == previous.end
    }
}

/// Checks an archive file line by line, with the node's public keys and nothing else (no database): the chain from
/// the header's start, every entry's hash, every checkpoint's signature and tree head, and that the file ends
/// where its header and end line say, under a checkpoint.
public struct AuditArchiveVerifier: Sendable {
    private let trustedKeys: [SigningPublicKey]
    private var header: AuditArchive.Header?
    private var start = AuditChain()
    private var verifier: AuditVerifier
    private var end: AuditArchive.End?
    private var seal: AuditArchive.Seal?
    private var lineNumber = 0

    public init(trustedKeys: [SigningPublicKey]) {
        self.trustedKeys = trustedKeys
        self.verifier = AuditVerifier(trustedKeys: trustedKeys)
    }

    /// Takes the next line (without its newline); empty lines are skipped.
    public mutating func consume(_ line: some Collection<UInt8>) throws(AuditArchiveError) {
        lineNumber += 1
        guard !line.isEmpty else { return }
        guard seal == nil else { throw .malformed(line: lineNumber) }
        guard let decoded = try? JSONDecoder().decode(AuditArchive.Line.self, from: Data(line)) else {
            if header == nil { throw .notAnArchive }
            throw .malformed(line: lineNumber)
        }
        guard header != nil else {
            guard let first = decoded.header, first.format == AuditArchive.format else { throw .notAnArchive }
            guard first.version == AuditArchive.version else { throw .unsupportedVersion(first.version) }
            let roots = first.startFrontier.map { AuditHash(hex: $0) }
            guard let previous = AuditHash(hex: first.previousHash), !roots.contains(nil),
                let frontier = MerkleFrontier(size: first.firstSequence - 1, roots: roots.compactMap { $0 }),
                first.lastSequence >= first.firstSequence - 1
            else { throw .malformed(line: lineNumber) }
            start = AuditChain(sequence: first.firstSequence - 1, lastHash: previous, frontier: frontier)
            verifier = AuditVerifier(trustedKeys: trustedKeys, from: start)
            self.header = first
            return
        }
        // After the end line only the seal may follow.
        if end != nil {
            guard let sealed = decoded.seal else { throw .malformed(line: lineNumber) }
            seal = sealed
            return
        }
        if let entry = decoded.entry {
            guard let suite = CryptoSuiteID(rawValue: entry.suite), let hash = AuditHash(hex: entry.hash),
                let bytes = Data(base64Encoded: entry.canonical)
            else { throw .malformed(line: lineNumber) }
            let read = AuditEntry(canonicalBytes: Array(bytes), suite: suite, hash: hash)
            do throws(AuditVerificationFailure) {
                if let read, read.sequence == entry.seq {
                    try verifier.check(read)
                } else {
                    try verifier.checkUnreadable(sequence: entry.seq)
                }
            } catch {
                throw .chain(error)
            }
        } else if let line = decoded.checkpoint {
            guard let checkpoint = line.checkpoint else { throw .malformed(line: lineNumber) }
            do throws(AuditVerificationFailure) {
                try verifier.add(checkpoint)
            } catch {
                throw .chain(error)
            }
        } else if let last = decoded.end {
            end = last
        } else {
            throw .malformed(line: lineNumber)
        }
    }

    /// Ends the check once the whole file was read.
    public func finish() throws(AuditArchiveError) -> AuditArchiveSummary {
        guard let header else { throw .notAnArchive }
        let reached = verifier.state
        guard let end else { throw .incomplete(lastSequence: reached.sequence) }
        let summary: AuditVerificationSummary
        do throws(AuditVerificationFailure) {
            summary = try verifier.finish(recordedHead: header.lastSequence)
        } catch {
            throw .chain(error)
        }
        guard end.lastSequence == reached.sequence, end.lastHash == reached.lastHash.hex,
            end.frontier == reached.frontier.roots.map(\.hex), end.entries == reached.sequence - start.sequence
        else { throw .endMismatch(lastSequence: reached.sequence) }
        guard let seal, trustedKeys.contains(where: { seal.isValid(header, end, by: $0) }) else { throw .unsealed }
        if reached.sequence > start.sequence, summary.lastCheckpoint?.treeSize != reached.sequence {
            throw .unsigned(lastSequence: reached.sequence)
        }
        return AuditArchiveSummary(
            month: header.month, start: start, end: reached, entries: reached.sequence - start.sequence,
            checkpointsVerified: summary.checkpointsVerified)
    }

    /// Verifies a whole archive held in memory.
    public static func verify(_ contents: [UInt8], trustedKeys: [SigningPublicKey]) throws(AuditArchiveError)
        -> AuditArchiveSummary
    {
        var verifier = AuditArchiveVerifier(trustedKeys: trustedKeys)
        for line in contents.split(separator: 0x0A, omittingEmptySubsequences: false) {
            try verifier.consume(line)
        }
        return try verifier.finish()
    }
}
