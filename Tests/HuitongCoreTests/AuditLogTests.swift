import Crypto
import Foundation
import HuitongCore
import HuitongCrypto
import Testing

@Suite("Audit log: encoding, Merkle tree, checkpoints, verification")
struct AuditLogTests {
    static let base = AuditEvent(
        action: .gatewayLookup, time: Date(timeIntervalSince1970: 1_740_000_000.123456), consumerDepartmentID: 7,
        applicationSystemID: 11, userID: 13, providerDepartmentID: 17, resourceCode: "101001/0001", grantID: 19,
        purpose: "社保待遇资格认证", queriedKeyHashes: ["aa", "bb"], rowsReturned: 1, outcome: .allowed,
        latencyMicroseconds: 850, detail: ["items": "xm,csrq", "channel": "interface"])

    static func hash(_ event: AuditEvent, sequence: Int64 = 5, previous: AuditHash = .zero) -> AuditHash {
        AuditEntry.computeHash(sequence: sequence, previousHash: previous, event: event, suite: .intl)
    }

    @Test("changing any field, the sequence number or the previous hash changes the entry hash")
    func everyFieldIsCovered() {
        let changes: [(String, (inout AuditEvent) -> Void)] = [
            ("action", { $0.action = .gatewayVerify }),
            ("time", { $0.timeMicroseconds += 1 }),
            ("consumer", { $0.consumerDepartmentID = 8 }),
            ("consumer nil", { $0.consumerDepartmentID = nil }),
            ("system", { $0.applicationSystemID = 12 }),
            ("user", { $0.userID = nil }),
            ("provider", { $0.providerDepartmentID = 18 }),
            ("resource", { $0.resourceCode = "101001/0002" }),
            ("grant", { $0.grantID = 20 }),
            ("purpose", { $0.purpose = "其他用途" }),
            ("purpose empty", { $0.purpose = "" }),
            ("keys", { $0.queriedKeyHashes = ["aa"] }),
            ("keys order", { $0.queriedKeyHashes = ["bb", "aa"] }),
            ("keys joined", { $0.queriedKeyHashes = ["aab", "b"] }),
            ("rows", { $0.rowsReturned = 2 }),
            ("denied", { $0.outcome = .denied(reason: "grant_expired") }),
            ("failed", { $0.outcome = .failed(reason: "grant_expired") }),
            ("latency", { $0.latencyMicroseconds = 851 }),
            ("detail value", { $0.detail["items"] = "xm" }),
            ("detail key", { $0.detail = ["item": "sxm,csrq", "channel": "interface"] }),
            ("detail added", { $0.detail["x"] = "" }),
        ]
        var seen: [AuditHash: String] = [Self.hash(Self.base): "base"]
        for (name, change) in changes {
            var event = Self.base
            change(&event)
            let hash = Self.hash(event)
            #expect(seen[hash] == nil, "\(name) gives the same hash as \(seen[hash] ?? "")")
            seen[hash] = name
        }
        #expect(Self.hash(Self.base, sequence: 6) != Self.hash(Self.base))
        #expect(
            Self.hash(Self.base, previous: AuditHash(hex: String(repeating: "1", count: 64))!) != Self.hash(Self.base))
        // The same content always encodes alike, whatever order the detail map was built in.
        var reordered = Self.base
        reordered.detail = [:]
        reordered.detail["channel"] = "interface"
        reordered.detail["items"] = "xm,csrq"
        #expect(Self.hash(reordered) == Self.hash(Self.base))
        // Text boundaries are part of the encoding: moving a character between fields is a different entry.
        var left = Self.base
        left.resourceCode = "ab"
        left.purpose = "c"
        var right = Self.base
        right.resourceCode = "a"
        right.purpose = "bc"
        #expect(Self.hash(left) != Self.hash(right))
    }

    @Test("Merkle tree heads under intl match the RFC 6962 reference vectors for sizes 0 to 8")
    func merkleVectors() throws {
        let leaves = [
            "", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f",
        ]
        let roots = [
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
            "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
            "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
        ]
        var frontier = MerkleFrontier()
        #expect(frontier.root(suite: .intl).hex == roots[0])
        for (index, leaf) in leaves.enumerated() {
            frontier.append(leaf: Self.bytes(hex: leaf), suite: .intl)
            #expect(frontier.root(suite: .intl).hex == roots[index + 1], "size \(index + 1)")
            // A frontier restored from its stored form goes on exactly as the original.
            let restored = try #require(MerkleFrontier(size: frontier.size, roots: frontier.roots))
            #expect(restored.root(suite: .intl) == frontier.root(suite: .intl))
        }
        #expect(MerkleFrontier(size: 5, roots: frontier.roots) == nil, "8 leaves are one subtree, not two")
    }

    static func bytes(hex: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            bytes.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return bytes
    }

    // MARK: Verification

    let key = NodeIdentityKey.generate()

    /// Ten entries with checkpoints signed at sizes 4 and 8.
    func log() throws -> (entries: [AuditEntry], checkpoints: [AuditCheckpoint]) {
        var chain = AuditChain()
        var entries: [AuditEntry] = []
        var checkpoints: [AuditCheckpoint] = []
        for index in 1...10 {
            var event = Self.base
            event.rowsReturned = Int64(index)
            event.timeMicroseconds += Int64(index)
            entries.append(chain.append(event, suite: .intl))
            if index == 4 || index == 8 { checkpoints.append(try AuditCheckpoint.sign(chain, with: key)) }
        }
        return (entries, checkpoints)
    }

    func verify(
        _ entries: [AuditEntry], _ checkpoints: [AuditCheckpoint], keys: [NodePublicKey]? = nil
    ) -> Result<AuditVerificationSummary, AuditVerificationFailure> {
        var verifier = AuditVerifier(trustedKeys: keys ?? [key.publicKey])
        do throws(AuditVerificationFailure) {
            // As the store driver does: checkpoints go in ahead of the entries that reach them.
            for checkpoint in checkpoints { try verifier.add(checkpoint) }
            for entry in entries { try verifier.check(entry) }
            return .success(try verifier.finish())
        } catch {
            return .failure(error)
        }
    }

    func failureOf(_ result: Result<AuditVerificationSummary, AuditVerificationFailure>) -> AuditVerificationFailure? {
        if case .failure(let failure) = result { return failure }
        return nil
    }

    @Test("an intact log verifies, with its checkpoints and the entries not yet signed")
    func intact() throws {
        let (entries, checkpoints) = try log()
        let summary = try verify(entries, checkpoints).get()
        #expect(summary.entriesChecked == 10 && summary.checkpointsVerified == 2)
        #expect(summary.lastCheckpoint?.treeSize == 8 && summary.unsignedEntries == 2)
        #expect(summary.lastEntryHash == entries[9].hash)
    }

    @Test("an edited entry is named")
    func edited() throws {
        var (entries, checkpoints) = try log()
        entries[4].event.rowsReturned = 500
        let failure = try #require(failureOf(verify(entries, checkpoints)))
        #expect(failure.sequence == 5 && failure.reason == .edited)
        #expect(failure.message.en.contains("entry 5") && failure.message.zh.contains("第 5 条"))
    }

    @Test("a deleted entry is named, whether or not the ones after it were renumbered")
    func deleted() throws {
        var (entries, checkpoints) = try log()
        entries.remove(at: 4)
        #expect(
            failureOf(verify(entries, checkpoints)) == AuditVerificationFailure(sequence: 5, reason: .missing(next: 6)))
        for index in 4..<entries.count { entries[index].sequence -= 1 }
        #expect(failureOf(verify(entries, checkpoints)) == AuditVerificationFailure(sequence: 5, reason: .brokenLink))
    }

    @Test("two swapped entries are named at the first of them")
    func swapped() throws {
        var (entries, checkpoints) = try log()
        entries.swapAt(4, 5)
        entries[4].sequence = 5
        entries[5].sequence = 6
        #expect(failureOf(verify(entries, checkpoints)) == AuditVerificationFailure(sequence: 5, reason: .brokenLink))
    }

    @Test("an inserted entry is named, even one correctly chained to its predecessor")
    func inserted() throws {
        var (entries, checkpoints) = try log()
        var forged = Self.base
        forged.consumerDepartmentID = 99
        let intruder = AuditEntry(sequence: 5, previousHash: entries[3].hash, event: forged, suite: .intl)
        entries.insert(intruder, at: 4)
        for index in 5..<entries.count { entries[index].sequence += 1 }
        #expect(failureOf(verify(entries, checkpoints)) == AuditVerificationFailure(sequence: 5, reason: .inserted))
    }

    @Test("a log truncated after a checkpoint names the first missing entry")
    func truncated() throws {
        let (entries, checkpoints) = try log()
        let failure = try #require(failureOf(verify(Array(entries.prefix(6)), checkpoints)))
        #expect(failure == AuditVerificationFailure(sequence: 7, reason: .truncated(signedSize: 8, lastSequence: 6)))
    }

    @Test("a forged checkpoint signature, an unknown key and a rewritten chain are refused")
    func forgedCheckpoints() throws {
        let (entries, checkpoints) = try log()
        var forged = checkpoints
        forged[1].signature = try NodeIdentityKey.generate().sign(forged[1].signedBytes)
        #expect(
            failureOf(verify(entries, forged))
                == AuditVerificationFailure(sequence: 5, reason: .badSignature(treeSize: 8)))

        var tampered = checkpoints
        tampered[1].treeSize = 9
        #expect(
            failureOf(verify(entries, tampered))
                == AuditVerificationFailure(sequence: 5, reason: .badSignature(treeSize: 9)))

        let stranger = NodeIdentityKey.generate()
        #expect(
            failureOf(verify(entries, checkpoints, keys: [stranger.publicKey]))
                == AuditVerificationFailure(sequence: 1, reason: .unknownKey(treeSize: 4, keyID: key.publicKey.keyID)))

        // Someone who can write the table edits entry 2 and re-chains everything after it: every link holds, but
        // the signed tree head at size 4 no longer matches.
        var chain = AuditChain()
        var rewritten: [AuditEntry] = []
        for var entry in entries.map(\.event) {
            if rewritten.count == 1 { entry.rowsReturned = 0 }
            rewritten.append(chain.append(entry, suite: .intl))
        }
        #expect(
            failureOf(verify(rewritten, checkpoints))
                == AuditVerificationFailure(sequence: 1, reason: .checkpointMismatch(treeSize: 4)))
    }

    @Test("a checkpoint signature covers every field and names its key")
    func checkpointSignature() throws {
        var chain = AuditChain()
        _ = chain.append(Self.base, suite: .intl)
        let checkpoint = try AuditCheckpoint.sign(chain, with: key)
        #expect(checkpoint.keyID == key.publicKey.keyID && checkpoint.keyID.count == 16)
        #expect(checkpoint.isValidSignature(by: key.publicKey))
        #expect(!checkpoint.isValidSignature(by: NodeIdentityKey.generate().publicKey))
        var moved = checkpoint
        moved.timeMicroseconds += 1
        #expect(!moved.isValidSignature(by: key.publicKey))
        let reloaded = try #require(NodePublicKey(base64: key.publicKey.base64))
        #expect(reloaded == key.publicKey)
        let restored = try #require(NodeIdentityKey(rawPrivateKey: key.rawPrivateKey))
        #expect(restored.publicKey == key.publicKey)
    }

    @Test("queried keys are hashed with the node's key: stable, distinct, and not the key itself")
    func keyHashing() throws {
        let hasher = AuditKeyHasher(nodeKey: key, suite: .intl)
        let id = "11010519491231002X"
        #expect(hasher.hash(id) == hasher.hash(" \(id) "))
        #expect(hasher.hash(id) != hasher.hash("110105195001010012"))
        #expect(AuditKeyHasher(nodeKey: NodeIdentityKey.generate(), suite: .intl).hash(id) != hasher.hash(id))
        #expect(!hasher.hash(id).contains("110105") && hasher.hash(id).count == 64)
        // Hashes already on the log must keep matching new ones: the plain HMAC-SHA256 under the derived secret,
        // however many keys the hasher served before.
        let expected = HMAC<SHA256>.authenticationCode(
            for: Array(id.utf8), using: key.derivedSecret(purpose: "huitong audit queried-key hash v1"))
        #expect(hasher.hash(id) == Array(expected).map { String(format: "%02x", $0) }.joined())
        // Under gm: HMAC-SM3 under a secret derived with HKDF-SM3, and unrelated to the intl hash.
        let gm = AuditKeyHasher(nodeKey: key, suite: .gm)
        let gmSecret = try HKDFSM3.deriveKey(
            inputKeyMaterial: key.rawPrivateKey, salt: Array("huitong node key".utf8),
            info: Array("huitong audit queried-key hash v1".utf8), byteCount: 32)
        #expect(gm.hash(id) == Hex.lowercase(HMACSM3.authenticationCode(for: Array(id.utf8), key: gmSecret)))
        #expect(gm.hash(id) != hasher.hash(id) && gm.hash(" \(id) ") == gm.hash(id))
    }

    @Test("latency percentiles read from log-scale bucket counts land within a bucket's width")
    func latencyPercentiles() throws {
        var counts: [Int: Int64] = [:]
        for millisecond in 1...1000 {
            counts[LatencyBuckets.bucket(microseconds: Int64(millisecond) * 1000), default: 0] += 1
        }
        for (quantile, exact) in [(0.5, 500_000.0), (0.95, 950_000.0), (0.99, 990_000.0)] {
            let estimate = try #require(LatencyBuckets.percentile(quantile, of: counts))
            #expect(abs(estimate - exact) / exact < 0.1, "p\(Int(quantile * 100)) \(estimate) against \(exact)")
        }
        #expect(LatencyBuckets.percentile(0.5, of: [:]) == nil)
        #expect(LatencyBuckets.bucket(microseconds: 0) == 0 && LatencyBuckets.bucket(microseconds: 1) == 1)
    }

    @Test("an event beyond the log's limits is refused with the field named")
    func limits() {
        var event = Self.base
        event.action = AuditAction(rawValue: "Gateway Lookup")
        event.detail = Dictionary(uniqueKeysWithValues: (0..<40).map { ("k\($0)", "v") })
        event.outcome = .denied(reason: "")
        let error = #expect(throws: ValidationError.self) { try event.validated() }
        #expect(Set(error?.issues.map(\.field) ?? []) == ["action", "detail", "reason"])
    }
}
