import Foundation
import HuitongCore
import HuitongCrypto
import Testing

/// Archive files verify offline, and an entry edited, removed, reordered or cut off inside one is named.
@Suite("Audit archive files")
struct AuditArchiveTests {
    static let key = NodeIdentityKey.generate()
    static var keys: [SigningPublicKey] { [key.publicKey.signingKey] }

    static func event(_ index: Int) -> AuditEvent {
        AuditEvent(
            action: .gatewayLookup, time: Date(timeIntervalSince1970: 1_735_660_800 + Double(index) * 60),
            consumerDepartmentID: Int64(index % 3 + 1), applicationSystemID: index % 2 == 0 ? nil : 9,
            providerDepartmentID: 5, resourceCode: "101001/0001", grantID: 4, purpose: "核验 \(index)",
            queriedKeyHashes: ["\(index)", "k"], rowsReturned: 1,
            outcome: index % 4 == 0 ? .denied(reason: "no_grant") : .allowed, latencyMicroseconds: Int64(index * 10),
            detail: ["n": "\(index)", "a\tb": "行\n2"])
    }

    /// An archive's lines of `count` entries after `start`, with a checkpoint every 4 and one at the end.
    static func archive(from start: AuditChain = AuditChain(), count: Int = 10, signEnd: Bool = true) throws -> (
        lines: [[UInt8]], end: AuditChain
    ) {
        var chain = start
        let header = AuditArchive.Header(
            month: AuditMonth(year: 2025, month: 1), start: start, lastSequence: start.sequence + Int64(count))
        var lines = [AuditArchive.headerLine(header)]
        for index in 0..<count {
            let entry = chain.append(event(Int(start.sequence) + index), suite: .intl)
            lines.append(AuditArchive.entryLine(entry))
            if (index + 1) % 4 == 0 || (signEnd && index == count - 1) {
                lines.append(AuditArchive.checkpointLine(try AuditCheckpoint.sign(chain, with: key.signingKey)))
            }
        }
        let end = AuditArchive.End(chain, entries: Int64(count))
        lines.append(AuditArchive.endLine(end))
        lines.append(AuditArchive.sealLine(try AuditArchive.Seal.sign(header, end, with: key.signingKey)))
        return (lines, chain)
    }

    static func verify(_ lines: [[UInt8]]) throws(AuditArchiveError) -> AuditArchiveSummary {
        try AuditArchiveVerifier.verify(Array(lines.joined()), trustedKeys: keys)
    }

    /// Index in `lines` of entry `sequence` of an archive starting at entry 1.
    static func line(of sequence: Int, _ lines: [[UInt8]]) -> Int {
        lines.firstIndex { String(decoding: $0, as: UTF8.self).contains("\"seq\":\(sequence),") } ?? -1
    }

    @Test("an intact archive verifies: entries, chain, checkpoints and end")
    func intact() throws {
        let (lines, end) = try Self.archive()
        let summary = try Self.verify(lines)
        #expect(summary.entries == 10 && summary.end == end && summary.checkpointsVerified == 3)
        #expect(summary.month == "2025-01")
    }

    @Test("canonical bytes read back into the very entry, and nothing else does")
    func canonicalRoundTrip() {
        var chain = AuditChain()
        for index in 0..<20 {
            let entry = chain.append(Self.event(index), suite: .gm)
            #expect(AuditEntry(canonicalBytes: entry.canonicalBytes, suite: .gm, hash: entry.hash) == entry)
            #expect(AuditEntry(canonicalBytes: entry.canonicalBytes + [0], suite: .gm, hash: entry.hash) == nil)
            #expect(
                AuditEntry(canonicalBytes: Array(entry.canonicalBytes.dropLast()), suite: .gm, hash: entry.hash) == nil)
        }
    }

    @Test("an edited entry is named")
    func edited() throws {
        var (lines, _) = try Self.archive()
        var chain = AuditChain()
        var entries: [AuditEntry] = []
        for index in 0..<10 { entries.append(chain.append(Self.event(index), suite: .intl)) }
        // Entry 6 with one more row returned, its canonical bytes re-encoded but its hash kept.
        var changed = entries[5]
        changed.event.rowsReturned = 2
        let forged = AuditEntry(
            sequence: 6, previousHash: changed.previousHash, event: changed.event, suite: .intl, hash: entries[5].hash)
        lines[Self.line(of: 6, lines)] = AuditArchive.entryLine(forged)
        #expect(throws: AuditArchiveError.chain(AuditVerificationFailure(sequence: 6, reason: .edited))) {
            try Self.verify(lines)
        }
        // A byte flipped inside the canonical text.
        (lines, _) = try Self.archive()
        var text = String(decoding: lines[Self.line(of: 3, lines)], as: UTF8.self)
        let range = try #require(text.range(of: "\"canonical\":\"")).upperBound
        // 120 base64 characters in: byte 90, inside the resource code.
        let index = text.index(range, offsetBy: 120)
        text.replaceSubrange(index...index, with: text[index] == "A" ? "B" : "A")
        lines[Self.line(of: 3, lines)] = Array(text.utf8)
        #expect(throws: AuditArchiveError.chain(AuditVerificationFailure(sequence: 3, reason: .edited))) {
            try Self.verify(lines)
        }
    }

    @Test("a removed entry is named")
    func removed() throws {
        var (lines, _) = try Self.archive()
        lines.remove(at: Self.line(of: 7, lines))
        #expect(throws: AuditArchiveError.chain(AuditVerificationFailure(sequence: 7, reason: .missing(next: 8)))) {
            try Self.verify(lines)
        }
    }

    @Test("reordered entries are named")
    func reordered() throws {
        var (lines, _) = try Self.archive()
        lines.swapAt(Self.line(of: 2, lines), Self.line(of: 3, lines))
        #expect(throws: AuditArchiveError.chain(AuditVerificationFailure(sequence: 2, reason: .missing(next: 3)))) {
            try Self.verify(lines)
        }
    }

    @Test("a truncated archive is named, however it was cut")
    func truncated() throws {
        let (lines, _) = try Self.archive()
        // Cut after entry 8: the rest, the last checkpoint and the end line are gone.
        #expect(throws: AuditArchiveError.incomplete(lastSequence: 8)) {
            try Self.verify(Array(lines[...Self.line(of: 8, lines)]))
        }
        // Only the last entry removed: the checkpoint signed at 10 is not reached.
        var cut = lines
        cut.remove(at: Self.line(of: 10, lines))
        #expect(
            throws: AuditArchiveError.chain(
                AuditVerificationFailure(sequence: 10, reason: .truncated(signedSize: 10, lastSequence: 9)))
        ) { try Self.verify(cut) }
        // The last entry, its checkpoint and the end line removed.
        cut = Array(lines[...Self.line(of: 9, lines)])
        #expect(throws: AuditArchiveError.incomplete(lastSequence: 9)) { try Self.verify(cut) }
        // Cut right after the checkpoint at 8, with the header and the end line written again to match and the
        // old seal kept (a new one needs the node's key): the seal no longer covers the bounds.
        let shortened = try Self.archive(count: 8)
        var forged = Array(lines[...(Self.line(of: 8, lines) + 1)])
        forged[0] = shortened.lines[0]
        forged += [shortened.lines[shortened.lines.count - 2], lines[lines.count - 1]]
        #expect(throws: AuditArchiveError.unsealed) { try Self.verify(forged) }
        // The first entries stripped, the header moved on to match: the same.
        let later = try Self.archive(from: AuditChain(), count: 4).end
        var stripped = try Self.archive(from: later, count: 6).lines
        stripped[stripped.count - 1] = lines[lines.count - 1]
        #expect(throws: AuditArchiveError.unsealed) { try Self.verify(stripped) }
        // A seal by a key the verifier does not trust is no seal.
        var stranger = lines
        let other = NodeIdentityKey.generate()
        let header = AuditArchive.Header(month: AuditMonth(year: 2025, month: 1), start: AuditChain(), lastSequence: 10)
        stranger[stranger.count - 1] = AuditArchive.sealLine(
            try AuditArchive.Seal.sign(header, AuditArchive.End(summaryEnd(lines), entries: 10), with: other.signingKey)
        )
        #expect(throws: AuditArchiveError.unsealed) { try Self.verify(stranger) }
        // Cut inside a line.
        let bytes = Array(lines.joined())
        #expect(throws: (any Error).self) {
            try AuditArchiveVerifier.verify(Array(bytes.prefix(bytes.count - 30)), trustedKeys: Self.keys)
        }
        // Without the checkpoint at its last entry an archive is not accepted.
        let unsigned = try Self.archive(count: 10, signEnd: false).lines
        #expect(throws: AuditArchiveError.unsigned(lastSequence: 10)) { try Self.verify(unsigned) }
    }

    /// The chain state an intact archive ends at.
    func summaryEnd(_ lines: [[UInt8]]) throws -> AuditChain { try Self.verify(lines).end }

    @Test("the chain continues across archives: the next starts where the previous ended")
    func continuation() throws {
        let (first, end) = try Self.archive()
        let (second, _) = try Self.archive(from: end, count: 7)
        let one = try Self.verify(first)
        let two = try Self.verify(second)
        #expect(two.continues(one) && two.start.sequence == 10)
        // An archive that skips the previous one's last entry starts elsewhere.
        var shorter = AuditChain()
        for index in 0..<9 { _ = shorter.append(Self.event(index), suite: .intl) }
        let (skipping, _) = try Self.archive(from: shorter, count: 7)
        #expect(!(try Self.verify(skipping)).continues(one))
        // A checkpoint by a key the verifier does not trust.
        #expect(throws: (any Error).self) {
            try AuditArchiveVerifier.verify(
                Array(first.joined()), trustedKeys: [NodeIdentityKey.generate().publicKey.signingKey])
        }
        #expect(throws: AuditArchiveError.notAnArchive) {
            try AuditArchiveVerifier.verify(Array("{}\n".utf8), trustedKeys: [])
        }
    }
}
