import Foundation
import HuitongCrypto

/// A 32-byte hash of the entry's suite (SM3 under `gm`, SHA-256 under `intl`): an entry hash, a Merkle node or a
/// tree head.
public struct AuditHash: Sendable, Hashable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init?(bytes: [UInt8]) {
        guard bytes.count == 32 else { return nil }
        self.bytes = bytes
    }

    /// The suite's digest of `data`; both suites' digests are 32 bytes.
    init(digesting data: [UInt8], under suite: CryptoSuiteID) {
        self.bytes = suite.suite.digest(data)
    }

    /// The chain's start: the "previous hash" of entry 1.
    public static let zero = AuditHash(unchecked: [UInt8](repeating: 0, count: 32))

    private init(unchecked bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Parses 64 hexadecimal digits (either case).
    public init?(hex: String) {
        let utf8 = Array(hex.utf8)
        guard utf8.count == 64 else { return nil }
        var bytes = [UInt8](repeating: 0, count: 32)
        for index in 0..<32 {
            guard let high = Self.nibble(utf8[2 * index]), let low = Self.nibble(utf8[2 * index + 1]) else {
                return nil
            }
            bytes[index] = high << 4 | low
        }
        self.bytes = bytes
    }

    public var hex: String { Hex.lowercase(bytes) }

    public var description: String { hex }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// An event as it sits in the log: numbered, linked to the entry before it, and hashed.
public struct AuditEntry: Sendable, Hashable {
    /// 1, 2, 3, … without gaps; also the Merkle tree size once this entry is in.
    public var sequence: Int64
    public var previousHash: AuditHash
    public var event: AuditEvent
    /// The suite the entry was sealed under, as stored: its hash and its Merkle leaf use this suite's hash, whatever
    /// suite the node runs today, so a log that switched suites keeps verifying entry by entry.
    public var suite: CryptoSuiteID
    /// The suite's hash (SM3 or SHA-256) of `canonicalEncoding`, as stored; the verifier recomputes it and compares.
    public var hash: AuditHash

    public init(sequence: Int64, previousHash: AuditHash, event: AuditEvent, suite: CryptoSuiteID, hash: AuditHash) {
        self.sequence = sequence
        self.previousHash = previousHash
        self.event = event
        self.suite = suite
        self.hash = hash
    }

    /// Seals `event` as entry `sequence` after an entry whose hash is `previousHash`.
    public init(sequence: Int64, previousHash: AuditHash, event: AuditEvent, suite: CryptoSuiteID) {
        self.sequence = sequence
        self.previousHash = previousHash
        self.event = event
        self.suite = suite
        self.hash = Self.computeHash(sequence: sequence, previousHash: previousHash, event: event, suite: suite)
    }

    /// The hash the entry's content gives: what `hash` must equal.
    public var computedHash: AuditHash {
        Self.computeHash(sequence: sequence, previousHash: previousHash, event: event, suite: suite)
    }

    public static func computeHash(sequence: Int64, previousHash: AuditHash, event: AuditEvent, suite: CryptoSuiteID)
        -> AuditHash
    {
        AuditHash(
            digesting: canonicalEncoding(sequence: sequence, previousHash: previousHash, event: event), under: suite)
    }

    /// The bytes the entry's hash covers, for `openssl dgst -sm3` (or `-sha256`) to reproduce it outside Huitong.
    public var canonicalBytes: [UInt8] {
        Self.canonicalEncoding(sequence: sequence, previousHash: previousHash, event: event)
    }

    /// Version of `canonicalEncoding`. A new version means a new first byte; old entries keep verifying. The suite is
    /// not part of the encoding: it picks the hash, so an entry whose recorded suite is changed no longer matches.
    public static let encodingVersion: UInt8 = 1

    /// The bytes an entry hash covers: a version byte, then every field in a fixed order, integers big-endian,
    /// texts and lists prefixed with their length, optional values with a presence byte, the detail map sorted by
    /// key bytes. Nothing is left to a formatter's whims, and no two different entries share an encoding.
    public static func canonicalEncoding(sequence: Int64, previousHash: AuditHash, event: AuditEvent) -> [UInt8] {
        var out = CanonicalWriter()
        out.byte(encodingVersion)
        out.int64(sequence)
        out.raw(previousHash.bytes)
        out.text(event.action.rawValue)
        out.int64(event.timeMicroseconds)
        out.optional(event.consumerDepartmentID)
        out.optional(event.applicationSystemID)
        out.optional(event.userID)
        out.optional(event.providerDepartmentID)
        out.optional(event.resourceCode)
        out.optional(event.grantID)
        out.optional(event.purpose)
        out.count(event.queriedKeyHashes.count)
        for key in event.queriedKeyHashes { out.text(key) }
        out.int64(event.rowsReturned)
        out.text(event.outcome.name)
        out.optional(event.outcome.reason)
        out.int64(event.latencyMicroseconds)
        let detail = event.detail.map { (Array($0.key.utf8), Array($0.value.utf8)) }
            .sorted { $0.0.lexicographicallyPrecedes($1.0) }
        out.count(detail.count)
        for (key, value) in detail {
            out.bytes(key)
            out.bytes(value)
        }
        return out.buffer
    }
}

/// Seals events into entries in order, continuing from a chain head.
public struct AuditChain: Sendable, Hashable {
    /// The last entry's sequence number (0 for an empty log) and hash.
    public private(set) var sequence: Int64
    public private(set) var lastHash: AuditHash
    /// The Merkle frontier over every entry so far.
    public private(set) var frontier: MerkleFrontier

    public init(sequence: Int64 = 0, lastHash: AuditHash = .zero, frontier: MerkleFrontier = MerkleFrontier()) {
        self.sequence = sequence
        self.lastHash = lastHash
        self.frontier = frontier
    }

    /// Appends `event` as the next entry, sealed under `suite`, and returns it.
    public mutating func append(_ event: AuditEvent, suite: CryptoSuiteID) -> AuditEntry {
        let entry = AuditEntry(sequence: sequence + 1, previousHash: lastHash, event: event, suite: suite)
        sequence = entry.sequence
        lastHash = entry.hash
        frontier.append(leaf: entry.hash.bytes, suite: suite)
        return entry
    }
}

/// Builds canonical encodings.
struct CanonicalWriter {
    var buffer: [UInt8] = []

    init() {
        buffer.reserveCapacity(256)
    }

    mutating func byte(_ value: UInt8) { buffer.append(value) }

    mutating func raw(_ bytes: [UInt8]) { buffer.append(contentsOf: bytes) }

    mutating func int64(_ value: Int64) {
        let bits = UInt64(bitPattern: value)
        for shift in stride(from: 56, through: 0, by: -8) {
            buffer.append(UInt8(truncatingIfNeeded: bits >> UInt64(shift)))
        }
    }

    mutating func count(_ value: Int) {
        let bits = UInt32(clamping: value)
        for shift in stride(from: 24, through: 0, by: -8) {
            buffer.append(UInt8(truncatingIfNeeded: bits >> UInt32(shift)))
        }
    }

    mutating func bytes(_ value: [UInt8]) {
        count(value.count)
        buffer.append(contentsOf: value)
    }

    mutating func text(_ value: String) { bytes(Array(value.utf8)) }

    mutating func optional(_ value: Int64?) {
        guard let value else { return byte(0) }
        byte(1)
        int64(value)
    }

    mutating func optional(_ value: String?) {
        guard let value else { return byte(0) }
        byte(1)
        text(value)
    }
}

extension AuditEntry {
    /// Reads an entry back from its canonical bytes (as an archive file carries them), with the suite and hash
    /// recorded beside them. Nil unless the bytes are exactly the canonical encoding of one entry: what is read
    /// back encodes to the same bytes, so nothing in them goes unchecked by the entry's hash.
    public init?(canonicalBytes bytes: [UInt8], suite: CryptoSuiteID, hash: AuditHash) {
        var reader = CanonicalReader(bytes)
        guard reader.byte() == Self.encodingVersion, let sequence = reader.int64(),
            let previous = reader.raw(32).flatMap({ AuditHash(bytes: $0) }), let action = reader.text(),
            let time = reader.int64(), let consumer = reader.optionalInt64(), let system = reader.optionalInt64(),
            let user = reader.optionalInt64(), let provider = reader.optionalInt64(),
            let resource = reader.optionalText(), let grant = reader.optionalInt64(),
            let purpose = reader.optionalText(), let keyCount = reader.count(), keyCount <= AuditEvent.limits.keys
        else { return nil }
        var keys: [String] = []
        for _ in 0..<keyCount {
            guard let key = reader.text() else { return nil }
            keys.append(key)
        }
        guard let rows = reader.int64(), let outcomeName = reader.text(), let reason = reader.optionalText(),
            let outcome = AuditOutcome(name: outcomeName, reason: reason), let latency = reader.int64(),
            let detailCount = reader.count(), detailCount <= AuditEvent.limits.detailEntries
        else { return nil }
        var detail: [String: String] = [:]
        for _ in 0..<detailCount {
            guard let key = reader.text(), let value = reader.text() else { return nil }
            detail[key] = value
        }
        guard reader.atEnd else { return nil }
        var event = AuditEvent(
            action: AuditAction(rawValue: action), consumerDepartmentID: consumer, applicationSystemID: system,
            userID: user, providerDepartmentID: provider, resourceCode: resource, grantID: grant, purpose: purpose,
            queriedKeyHashes: keys,
            rowsReturned: rows, outcome: outcome, latencyMicroseconds: latency, detail: detail)
        event.timeMicroseconds = time
        guard Self.canonicalEncoding(sequence: sequence, previousHash: previous, event: event) == bytes else {
            return nil
        }
        self.init(sequence: sequence, previousHash: previous, event: event, suite: suite, hash: hash)
    }
}

/// Reads what `CanonicalWriter` wrote; every read returns nil past the end or on a malformed value.
struct CanonicalReader {
    private let bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    var atEnd: Bool { offset == bytes.count }

    mutating func raw(_ count: Int) -> [UInt8]? {
        guard count >= 0, bytes.count - offset >= count else { return nil }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    mutating func byte() -> UInt8? { raw(1)?.first }

    mutating func int64() -> Int64? {
        guard let raw = raw(8) else { return nil }
        return Int64(bitPattern: raw.reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
    }

    mutating func count() -> Int? {
        guard let raw = raw(4) else { return nil }
        return Int(raw.reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
    }

    mutating func text() -> String? {
        guard let length = count(), let raw = raw(length) else { return nil }
        return String(validating: raw, as: UTF8.self)
    }

    /// `.some(nil)` for an absent value, nil when malformed.
    mutating func optionalInt64() -> Int64?? {
        switch byte() {
        case 0: .some(nil)
        case 1: int64().map { .some($0) }
        default: nil
        }
    }

    mutating func optionalText() -> String?? {
        switch byte() {
        case 0: .some(nil)
        case 1: text().map { .some($0) }
        default: nil
        }
    }
}
