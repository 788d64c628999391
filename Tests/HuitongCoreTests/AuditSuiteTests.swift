import Crypto
import Foundation
import HuitongCore
import HuitongCrypto
import Testing

/// The audit log under the 国密 suite, and a log that switched from `intl` to `gm` part way.
@Suite("Audit log under gm and across a suite switch")
struct AuditSuiteTests {
    static func event(_ index: Int) -> AuditEvent {
        var event = AuditLogTests.base
        event.rowsReturned = Int64(index)
        event.timeMicroseconds += Int64(index)
        return event
    }

    let ed25519 = NodeIdentityKey.generate()
    let sm2 = SigningPrivateKey(sm2: try! SM2PrivateKey.generate())

    func verify(
        _ entries: [AuditEntry], _ checkpoints: [AuditCheckpoint], keys: [SigningPublicKey]
    ) -> Result<AuditVerificationSummary, AuditVerificationFailure> {
        var verifier = AuditVerifier(trustedKeys: keys)
        do throws(AuditVerificationFailure) {
            for checkpoint in checkpoints { try verifier.add(checkpoint) }
            for entry in entries { try verifier.check(entry) }
            return .success(try verifier.finish())
        } catch {
            return .failure(error)
        }
    }

    /// Entries 1–4 under `intl` with an Ed25519 checkpoint at 4, then 5–8 under `gm` with an SM2 checkpoint at 8:
    /// a node upgraded to `gm`.
    func switchedLog() throws -> (entries: [AuditEntry], checkpoints: [AuditCheckpoint]) {
        var chain = AuditChain()
        var entries: [AuditEntry] = []
        var checkpoints: [AuditCheckpoint] = []
        for index in 1...8 {
            entries.append(chain.append(Self.event(index), suite: index <= 4 ? .intl : .gm))
            if index == 4 { checkpoints.append(try AuditCheckpoint.sign(chain, with: ed25519)) }
            if index == 8 { checkpoints.append(try AuditCheckpoint.sign(chain, with: sm2)) }
        }
        return (entries, checkpoints)
    }

    @Test("a gm entry's hash is SM3 of its canonical bytes, a different value from the intl hash")
    func entryHashIsSM3() {
        let gm = AuditEntry(sequence: 1, previousHash: .zero, event: Self.event(1), suite: .gm)
        let intl = AuditEntry(sequence: 1, previousHash: .zero, event: Self.event(1), suite: .intl)
        #expect(gm.canonicalBytes == intl.canonicalBytes)
        #expect(gm.hash.bytes == SM3.hash(gm.canonicalBytes))
        #expect(intl.hash.bytes == Array(SHA256.hash(data: intl.canonicalBytes)))
        #expect(gm.hash != intl.hash)
    }

    @Test("the gm Merkle tree hashes leaves and nodes with SM3 and domain-separation bytes")
    func merkleUnderSM3() {
        let a: [UInt8] = [1, 2, 3]
        let b: [UInt8] = [4, 5]
        var frontier = MerkleFrontier()
        frontier.append(leaf: a, suite: .gm)
        #expect(frontier.root(suite: .gm).bytes == SM3.hash([0x00] + a))
        frontier.append(leaf: b, suite: .gm)
        let expected = SM3.hash([0x01] + SM3.hash([0x00] + a) + SM3.hash([0x00] + b))
        #expect(frontier.root(suite: .gm).bytes == expected)
        #expect(MerkleFrontier().root(suite: .gm).bytes == SM3.hash([]))
    }

    @Test("a gm checkpoint is an SM2 signature with the default ID over labelled bytes naming the suite")
    func gmCheckpoint() throws {
        var chain = AuditChain()
        _ = chain.append(Self.event(1), suite: .gm)
        let checkpoint = try AuditCheckpoint.sign(chain, with: sm2)
        #expect(checkpoint.suite == .gm && checkpoint.keyID == sm2.publicKey.keyID)
        #expect(checkpoint.isValidSignature(by: sm2.publicKey))
        #expect(String(decoding: checkpoint.signedBytes[4..<31], as: UTF8.self) == "huitong.audit.checkpoint.v2")
        let point = sm2.publicKey.rawRepresentation
        #expect(
            try SM2PublicKey(uncompressedPoint: point).isValidSignature(
                checkpoint.signature, for: checkpoint.signedBytes))
        // Relabelled as intl, the same signature covers other bytes and names the wrong algorithm.
        var relabelled = checkpoint
        relabelled.suite = .intl
        #expect(!relabelled.isValidSignature(by: sm2.publicKey))
        var moved = checkpoint
        moved.treeSize += 1
        #expect(!moved.isValidSignature(by: sm2.publicKey))
    }

    @Test("an intl checkpoint keeps the original signed bytes, so checkpoints from before suites verify")
    func intlCheckpointUnchanged() throws {
        var chain = AuditChain()
        _ = chain.append(Self.event(1), suite: .intl)
        let checkpoint = try AuditCheckpoint.sign(chain, with: ed25519)
        #expect(checkpoint.suite == .intl)
        #expect(String(decoding: checkpoint.signedBytes[4..<31], as: UTF8.self) == "huitong.audit.checkpoint.v1")
        #expect(ed25519.publicKey.isValidSignature(checkpoint.signature, for: checkpoint.signedBytes))
    }

    @Test("a log switched from intl to gm verifies entry by entry under its recorded suites")
    func switchedLogVerifies() throws {
        let (entries, checkpoints) = try switchedLog()
        let summary = try verify(entries, checkpoints, keys: [ed25519.publicKey.signingKey, sm2.publicKey]).get()
        #expect(summary.entriesChecked == 8 && summary.checkpointsVerified == 2 && summary.unsignedEntries == 0)
        #expect(summary.lastCheckpoint?.suite == .gm)
    }

    @Test("after a switch, the old Ed25519 key alone cannot vouch for gm checkpoints, nor the SM2 key for old ones")
    func switchedLogNeedsBothKeys() throws {
        let (entries, checkpoints) = try switchedLog()
        if case .failure(let failure) = verify(entries, checkpoints, keys: [ed25519.publicKey.signingKey]) {
            #expect(failure.reason == .unknownKey(treeSize: 8, keyID: sm2.publicKey.keyID))
        } else {
            Issue.record("verified without the key that signed the gm checkpoint")
        }
        let withoutEd25519 = verify(entries, checkpoints, keys: [sm2.publicKey])
        if case .failure(let failure) = withoutEd25519 {
            #expect(failure.reason == .unknownKey(treeSize: 4, keyID: ed25519.publicKey.keyID))
        } else {
            Issue.record("verified without the key that signed the intl checkpoint")
        }
    }

    @Test("changing an entry's recorded suite is an edit")
    func relabelledSuiteIsAnEdit() throws {
        var (entries, checkpoints) = try switchedLog()
        entries[1].suite = .gm
        let outcome = verify(entries, checkpoints, keys: [ed25519.publicKey.signingKey, sm2.publicKey])
        guard case .failure(let failure) = outcome else {
            Issue.record("a relabelled entry verified")
            return
        }
        #expect(failure.sequence == 2 && failure.reason == .edited)
    }

    @Test("an edited gm entry is named")
    func editedGMEntry() throws {
        var (entries, checkpoints) = try switchedLog()
        entries[6].event.purpose = "其他用途"
        let outcome = verify(entries, checkpoints, keys: [ed25519.publicKey.signingKey, sm2.publicKey])
        guard case .failure(let failure) = outcome else {
            Issue.record("an edited entry verified")
            return
        }
        #expect(failure.sequence == 7 && failure.reason == .edited)
    }
}
