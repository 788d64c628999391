import Foundation
import HuitongCore
import HuitongCrypto
import HuitongStore
import HuitongTestSupport
import Logging
import SQLKit
import Testing

/// The audit log across a change of crypto suite, and the suite a node records, on every backend.
@Suite("Audit log store under the gm suite")
struct AuditSuiteStoreConformanceTests {
    static func call(_ index: Int) -> AuditEvent {
        AuditEvent(
            action: .gatewayLookup, consumerDepartmentID: 3, applicationSystemID: 9, providerDepartmentID: 5,
            resourceCode: "101001/0001", grantID: 4, purpose: "核验 \(index)", queriedKeyHashes: ["\(index)"],
            rowsReturned: 1, outcome: .allowed, latencyMicroseconds: 1_000)
    }

    static func failure(_ report: AuditLogVerification.Report) -> AuditVerificationFailure? {
        if case .failure(let failure) = report.outcome { return failure }
        return nil
    }

    @Test(
        "an intl log upgraded to gm verifies: old entries and checkpoints by their recorded suite, new ones by SM3 and SM2",
        arguments: TestBackend.available)
    func upgradedLogVerifies(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let nodeKey = NodeIdentityKey.generate()
            let before = AuditTrail(repository: store.audit, nodeKey: nodeKey)
            #expect(before.suite == .intl)
            _ = try await before.log.append(contentsOf: (1...30).map(Self.call))
            let intlCheckpoint = try #require(try await before.checkpointer.checkpoint())
            #expect(intlCheckpoint.suite == .intl)

            let sm2 = SigningPrivateKey(sm2: try SM2PrivateKey.generate())
            let after = AuditTrail(repository: store.audit, nodeKey: nodeKey, checkpointKey: sm2)
            #expect(after.suite == .gm && after.trustedCheckpointKeys.count == 2)
            let receipts = try await after.log.append(contentsOf: (31...60).map(Self.call))
            #expect(receipts.map(\.sequence) == Array(31...60), "the chain goes on where the intl entries stopped")
            let gmCheckpoint = try #require(try await after.checkpointer.checkpoint())
            #expect(gmCheckpoint.suite == .gm && gmCheckpoint.keyID == sm2.publicKey.keyID)
            #expect(try await store.audit.latestCheckpoint() == gmCheckpoint, "the suite is stored with the checkpoint")

            let records = try await store.audit.records(after: 0, through: 60, limit: 100)
            let suites = records.compactMap { record -> CryptoSuiteID? in
                if case .entry(let entry) = record { return entry.suite }
                return nil
            }
            #expect(suites == Array(repeating: .intl, count: 30) + Array(repeating: .gm, count: 30))
            if case .entry(let entry) = records[40] {
                #expect(entry.hash.bytes == SM3.hash(entry.canonicalBytes))
            }

            let summary = try await AuditLogVerification.run(
                store.audit, trustedKeys: after.trustedCheckpointKeys, pageSize: 25
            ).outcome.get()
            #expect(summary.entriesChecked == 60 && summary.checkpointsVerified == 2 && summary.unsignedEntries == 0)

            // The old key alone vouches for the intl checkpoint only.
            let oldKeyOnly = try await AuditLogVerification.run(store.audit, trustedKeys: [nodeKey.publicKey])
            #expect(
                Self.failure(oldKeyOnly)
                    == AuditVerificationFailure(
                        sequence: 31, reason: .unknownKey(treeSize: 60, keyID: sm2.publicKey.keyID)))
        }
    }

    @Test(
        "an entry whose recorded suite is changed, or unknown, fails verification by name",
        arguments: TestBackend.available
    )
    func relabelledSuite(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let sm2 = SigningPrivateKey(sm2: try SM2PrivateKey.generate())
            let trail = AuditTrail(repository: store.audit, nodeKey: .generate(), checkpointKey: sm2)
            _ = try await trail.log.append(contentsOf: (1...10).map(Self.call))
            try await trail.checkpointer.checkpoint()
            let sql = store.provider.auditProvider
            try await sql.transaction {
                try await $0.raw("UPDATE audit_entries SET suite = 'intl' WHERE seq = 4").run()
            }
            var report = try await AuditLogVerification.run(store.audit, trustedKeys: trail.trustedCheckpointKeys)
            #expect(Self.failure(report) == AuditVerificationFailure(sequence: 4, reason: .edited))
            try await sql.transaction { try await $0.raw("UPDATE audit_entries SET suite = 'sm9' WHERE seq = 4").run() }
            #expect(
                try await store.audit.records(after: 3, through: 4, limit: 1)
                    == [.unreadable(sequence: 4, column: "suite")])
            report = try await AuditLogVerification.run(store.audit, trustedKeys: trail.trustedCheckpointKeys)
            #expect(Self.failure(report) == AuditVerificationFailure(sequence: 4, reason: .edited))
            try await sql.transaction { try await $0.raw("UPDATE audit_entries SET suite = 'gm' WHERE seq = 4").run() }
            report = try await AuditLogVerification.run(store.audit, trustedKeys: trail.trustedCheckpointKeys)
            #expect(Self.failure(report) == nil)
            // A checkpoint relabelled intl no longer verifies: its signature covers the gm label.
            try await sql.transaction {
                try await $0.raw("UPDATE audit_checkpoints SET suite = 'intl' WHERE tree_size = 10").run()
            }
            report = try await AuditLogVerification.run(store.audit, trustedKeys: trail.trustedCheckpointKeys)
            #expect(Self.failure(report) == AuditVerificationFailure(sequence: 1, reason: .badSignature(treeSize: 10)))
        }
    }

    @Test(
        "a new database has no recorded suite; one that held a node before the upgrade is recorded intl",
        arguments: TestBackend.available)
    func existingNodesKeepIntl(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, location in
            #expect(try await store.crypto.recordedSuite() == nil)
            try await store.crypto.recordSuite(.gm, at: Date())
            #expect(try await store.crypto.recordedSuite() == .gm)

            // The node as it stood before migration 24: an identity, no suite table, no suite columns.
            try await store.federation.setIdentity(
                NodeProfile(region: try NodeRegion("341500"), name: "数据资源管理局"), at: Date())
            try await store.provider.transaction { sql in
                try await sql.raw("DROP TABLE node_crypto").run()
                try await sql.raw("DELETE FROM schema_migrations WHERE version = 24").run()
                if store.backend == .postgres {
                    try await sql.raw("ALTER TABLE audit_entries DROP COLUMN suite").run()
                    try await sql.raw("ALTER TABLE audit_checkpoints DROP COLUMN suite").run()
                }
            }
            let upgraded = Store(
                provider: try await DatabaseConnector.open(
                    location, maximumConnections: TestBackend.connectionsPerStore, logger: Logger(label: "upgrade")))
            do {
                #expect(try await upgraded.crypto.recordedSuite() == .intl)
                await upgraded.provider.shutdown()
            } catch {
                await upgraded.provider.shutdown()
                throw error
            }
        }
    }

    @Test("a gm trail hashes queried keys and makes pseudonyms with SM3, from secrets derived with HKDF-SM3")
    func gmKeyHashesAndPseudonyms() async throws {
        let nodeKey = NodeIdentityKey.generate()
        let repository = try await TestBackend.sqlite.withFreshDatabase { store, _ in store.audit }
        let intl = AuditTrail(repository: repository, nodeKey: nodeKey)
        let gm = AuditTrail(
            repository: repository, nodeKey: nodeKey,
            checkpointKey: SigningPrivateKey(sm2: try SM2PrivateKey.generate()))
        let id = "34150219900101123X"
        let hashSecret = try HKDFSM3.deriveKey(
            inputKeyMaterial: nodeKey.rawPrivateKey, salt: Array("huitong node key".utf8),
            info: Array("huitong audit queried-key hash v1".utf8), byteCount: 32)
        #expect(
            gm.keyHasher.hash(id) == Hex.lowercase(HMACSM3.authenticationCode(for: Array(id.utf8), key: hashSecret)))
        #expect(gm.keyHasher.hash(id) != intl.keyHasher.hash(id))
        let pseudonymSecret = try HKDFSM3.deriveKey(
            inputKeyMaterial: nodeKey.rawPrivateKey, salt: Array("huitong node key".utf8),
            info: Array("huitong pseudonym node secret v1".utf8), byteCount: 32)
        let expected = Pseudonymizer(nodeSecret: pseudonymSecret, consumerDepartmentID: 7, suite: .gm)
        #expect(gm.pseudonymizer(consumerDepartmentID: 7).pseudonym(for: id) == expected.pseudonym(for: id))
        #expect(gm.pseudonymizer(consumerDepartmentID: 7).suite == .gm)
        #expect(intl.pseudonymizer(consumerDepartmentID: 7).pseudonym(for: id) != expected.pseudonym(for: id))
    }
}
