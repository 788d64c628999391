import Foundation
import HuitongCore
import HuitongCrypto
import HuitongStore
import HuitongTestSupport
import Logging
import SQLKit
import Synchronization
import Testing

/// The audit log's storage and group commit, proven on every backend.
@Suite("Audit log store conformance")
struct AuditStoreConformanceTests {
    static func call(
        _ index: Int, consumer: Int64 = 3, provider: Int64 = 5, resource: String = "101001/0001",
        outcome: AuditOutcome = .allowed, latency: Int64 = 1_000, rows: Int64 = 1, time: Date = Date()
    ) -> AuditEvent {
        AuditEvent(
            action: .gatewayLookup, time: time, consumerDepartmentID: consumer, applicationSystemID: 9,
            providerDepartmentID: provider, resourceCode: resource, grantID: 4, purpose: "核验 \(index)",
            queriedKeyHashes: ["\(index)"], rowsReturned: rows, outcome: outcome, latencyMicroseconds: latency,
            detail: ["n": "\(index)"])
    }

    static func verify(_ store: Store, _ key: NodeIdentityKey) async throws -> AuditLogVerification.Report {
        try await AuditLogVerification.run(store.audit, trustedKeys: [key.publicKey], pageSize: 100)
    }

    @Test(
        "appends from many tasks and two nodes form one gap-free chain, and checkpoints seal it",
        arguments: TestBackend.available)
    func concurrentAppends(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, location in
            // A second node on the same database, with its own connections and its own group commit.
            let other = Store(
                provider: try await DatabaseConnector.open(
                    location, maximumConnections: TestBackend.connectionsPerStore, logger: Logger(label: "node-b")),
                rowIntegrity: store.rowIntegrity)
            let key = NodeIdentityKey.generate()
            let trails = [store, other].map { AuditTrail(repository: $0.audit, nodeKey: key) }
            do {
                let receipts = try await withThrowingTaskGroup(of: [AuditReceipt].self) { group in
                    for task in 0..<64 {
                        let log = trails[task % 2].log
                        group.addTask {
                            var receipts: [AuditReceipt] = []
                            for index in 0..<10 { receipts.append(try await log.append(Self.call(task * 100 + index))) }
                            receipts += try await log.append(contentsOf: [Self.call(-1), Self.call(-2)])
                            return receipts
                        }
                    }
                    return try await group.reduce(into: []) { $0 += $1 }
                }
                #expect(receipts.count == 64 * 12)
                #expect(Set(receipts.map(\.sequence)) == Set(1...Int64(64 * 12)), "every number once, no gaps")
                let head = try await store.audit.head()
                #expect(head.sequence == 64 * 12)
                #expect(receipts.first { $0.sequence == head.sequence }?.hash == head.lastHash)

                let checkpoint = try #require(try await trails[1].checkpointer.checkpoint())
                #expect(checkpoint.treeSize == head.sequence && checkpoint.rootHash == head.frontier.root(suite: .intl))
                #expect(try await trails[0].checkpointer.checkpoint() == nil, "the head is signed already")
                _ = try await trails[0].log.append(Self.call(0))
                #expect(try await trails[0].checkpointer.checkpoint()?.treeSize == head.sequence + 1)
                #expect(try await store.audit.latestCheckpoint()?.treeSize == head.sequence + 1)

                let summary = try await Self.verify(store, key).outcome.get()
                #expect(summary.entriesChecked == head.sequence + 1 && summary.checkpointsVerified == 2)
                #expect(summary.unsignedEntries == 0)
                await other.provider.shutdown()
            } catch {
                await other.provider.shutdown()
                throw error
            }
        }
    }

    /// A repository that fails every append after a pause, recording the batch sizes it was given.
    final class FailingRepository: AuditLogRepository {
        let inner: any AuditLogRepository
        let batches = Mutex<[Int]>([])

        init(_ inner: any AuditLogRepository) {
            self.inner = inner
        }

        struct Refused: Error {}

        func append(_ events: [AuditEvent], suite: CryptoSuiteID) async throws -> [AuditEntry] {
            batches.withLock { $0.append(events.count) }
            try await Task.sleep(for: .milliseconds(50))
            throw Refused()
        }
        func head() async throws -> AuditChain { try await inner.head() }
        func records(after: Int64, through: Int64, limit: Int) async throws -> [AuditEntryRecord] {
            try await inner.records(after: after, through: through, limit: limit)
        }
        func search(_ filter: AuditEntryFilter) async throws -> [AuditEntryRecord] { try await inner.search(filter) }
        func checkpoints(after: Int64, through: Int64, limit: Int) async throws -> [AuditCheckpoint] {
            try await inner.checkpoints(after: after, through: through, limit: limit)
        }
        func latestCheckpoint() async throws -> AuditCheckpoint? { try await inner.latestCheckpoint() }
        func save(_ checkpoint: AuditCheckpoint) async throws -> Bool { try await inner.save(checkpoint) }
        func prunedBoundary() async throws -> AuditChain? { try await inner.prunedBoundary() }
        func statistics(_ query: AuditStatisticsQuery) async throws -> [AuditStatisticsGroup] {
            try await inner.statistics(query)
        }
    }

    @Test("when a batch cannot be written, every caller in it gets the error and nothing is written")
    func failClosed() async throws {
        try await TestBackend.sqlite.withFreshDatabase { store, _ in
            let failing = FailingRepository(store.audit)
            let log = AuditLog(repository: failing, suite: .intl)
            let outcomes = await withTaskGroup(of: Bool.self) { group in
                for index in 0..<20 {
                    group.addTask {
                        do {
                            _ = try await log.append(Self.call(index))
                            return true
                        } catch {
                            return (error as? AuditLogError)?.code != "audit_unavailable"
                        }
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            #expect(outcomes.count == 20 && !outcomes.contains(true), "no caller was told its event was written")
            let batches = failing.batches.withLock { $0 }
            #expect(batches.reduce(0, +) == 20 && batches.contains { $0 > 1 }, "callers were grouped: \(batches)")
            let head = try await store.audit.head()
            #expect(head.sequence == 0)
        }
    }

    @Test(
        "detail and key hashes with quotes, backslashes, control characters and Chinese read back exactly and verify",
        arguments: TestBackend.available)
    func awkwardTextReadsBack(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let key = NodeIdentityKey.generate()
            let trail = AuditTrail(repository: store.audit, nodeKey: key)
            var event = Self.call(1)
            event.queriedKeyHashes = ["plain", "say \"hi\"", "back\\slash", "tab\there\nline\u{01}", ""]
            event.detail = ["reason": "字段 \"xm\" 不符\r\n", "z": "last", "a": "first", "ctl": "\u{1F}\u{08}\u{0C}"]
            _ = try await trail.log.append(event)
            guard case .entry(let stored) = try await store.audit.records(after: 0, through: 1, limit: 1).first else {
                Issue.record("the entry did not read back")
                return
            }
            #expect(stored.event.queriedKeyHashes == event.queriedKeyHashes)
            #expect(stored.event.detail == event.detail)
            #expect(try await Self.verify(store, key).outcome.get().entriesChecked == 1)
        }
    }

    @Test(
        "a batch whose transaction fails half-way leaves no entry behind and fails every caller",
        arguments: TestBackend.available)
    func batchIsAtomic(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            // A row planted outside the log collides with the third entry of the next batch. (On PostgreSQL the
            // key is (seq, time_us), as the table is partitioned by time: the planted row has the batch's time.)
            let time = Date(timeIntervalSince1970: 1_740_000_000)
            try await store.provider.auditProvider.transaction { sql in
                try await sql.raw(
                    """
                    INSERT INTO audit_entries (seq, time_us, action, key_hashes, rows_returned, outcome, latency_us,
                        latency_bucket, detail, prev_hash, hash)
                    VALUES (3, \(bind: AuditEvent.microseconds(time)), 'planted', '[]', 0, 'allowed', 0, 0, '{}', 'x', 'x')
                    """
                ).run()
            }
            let log = AuditLog(repository: store.audit, suite: .intl)
            await #expect(throws: AuditLogError.self) {
                try await log.append(contentsOf: (0..<5).map { Self.call($0, time: time) })
            }
            let rolled = try await store.audit.statistics(
                AuditStatisticsQuery(from: time - 86_400, to: time + 86_400, groupBy: .day))
            #expect(rolled.isEmpty, "nor any count in the rollups")
            #expect(try await store.audit.head().sequence == 0)
            let count = try await store.provider.auditProvider.read { sql in
                try await sql.raw("SELECT COUNT(*) AS n FROM audit_entries").first()?.decode(column: "n", as: Int.self)
            }
            #expect(count == 1, "only the planted row")
        }
    }

    @Test(
        "an entry edited, deleted or made unreadable in the table is named by verification",
        arguments: TestBackend.available)
    func tamperingInTheTable(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let key = NodeIdentityKey.generate()
            let trail = AuditTrail(repository: store.audit, nodeKey: key)
            _ = try await trail.log.append(contentsOf: (1...250).map { Self.call($0) })
            try await trail.checkpointer.checkpoint()
            _ = try await trail.log.append(contentsOf: (251...260).map { Self.call($0) })
            #expect(try await Self.verify(store, key).outcome.get().entriesChecked == 260)

            let audit = store.provider.auditProvider
            try await audit.transaction { sql in
                try await sql.raw("UPDATE audit_entries SET rows_returned = 99 WHERE seq = 137").run()
            }
            var failure = try #require(try await Self.verify(store, key).outcome.failureValue)
            #expect(failure == AuditVerificationFailure(sequence: 137, reason: .edited))

            try await audit.transaction { sql in
                try await sql.raw("UPDATE audit_entries SET rows_returned = 1, outcome = 'maybe' WHERE seq = 137").run()
            }
            failure = try #require(try await Self.verify(store, key).outcome.failureValue)
            #expect(failure == AuditVerificationFailure(sequence: 137, reason: .edited))

            try await audit.transaction { sql in
                try await sql.raw("DELETE FROM audit_entries WHERE seq = 137").run()
            }
            failure = try #require(try await Self.verify(store, key).outcome.failureValue)
            #expect(failure == AuditVerificationFailure(sequence: 137, reason: .missing(next: 138)))

            // Cutting the signed part short, and the head with it, still shows: the checkpoint covers 250.
            try await audit.transaction { sql in
                try await sql.raw("DELETE FROM audit_entries WHERE seq >= 137").run()
                try await sql.raw("UPDATE audit_head SET seq = 136").run()
            }
            failure = try #require(try await Self.verify(store, key).outcome.failureValue)
            #expect(
                failure
                    == AuditVerificationFailure(sequence: 137, reason: .truncated(signedSize: 250, lastSequence: 136)))
        }
    }

    @Test("entries are listed newest first, filtered and paged", arguments: TestBackend.available)
    func search(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let log = AuditLog(repository: store.audit, suite: .intl)
            let start = Date(timeIntervalSince1970: 1_740_000_000)
            _ = try await log.append(contentsOf: [
                Self.call(1, consumer: 3, time: start),
                Self.call(2, consumer: 4, outcome: .denied(reason: "no_grant"), time: start + 60),
                Self.call(3, consumer: 3, resource: "101001/0002", time: start + 120),
                .grantCreated(
                    grantID: 8, consumerDepartmentID: 3, providerDepartmentID: 5, resourceCode: "101001/0001",
                    purpose: "社保", approvedBy: 2, time: start + 180),
            ])
            func sequences(_ filter: AuditEntryFilter) async throws -> [Int64] {
                try await store.audit.search(filter).map(\.sequence)
            }
            #expect(try await sequences(AuditEntryFilter()) == [4, 3, 2, 1])
            #expect(try await sequences(AuditEntryFilter(consumerDepartmentID: 3)) == [4, 3, 1])
            #expect(try await sequences(AuditEntryFilter(resourceCode: "101001/0001", outcome: "allowed")) == [4, 1])
            #expect(try await sequences(AuditEntryFilter(action: .grantCreated)) == [4])
            #expect(try await sequences(AuditEntryFilter(from: start + 60, to: start + 180)) == [3, 2])
            #expect(try await sequences(AuditEntryFilter(beforeSequence: 3, limit: 1)) == [2])
            guard case .entry(let denied) = try await store.audit.search(AuditEntryFilter(outcome: "denied")).first
            else {
                Issue.record("the denied call is listed")
                return
            }
            #expect(denied.event == Self.call(2, consumer: 4, outcome: .denied(reason: "no_grant"), time: start + 60))
        }
    }

    @Test(
        "statistics count calls, outcomes, rows and latency percentiles per day, resource and consumer",
        arguments: TestBackend.available)
    func statistics(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let log = AuditLog(repository: store.audit, suite: .intl)
            // 2025-03-01 23:30 and 2025-03-02 00:30 in Beijing: two days there, though the same UTC day.
            let late = Date(timeIntervalSince1970: 1_740_843_000)
            let early = late + 3600
            var events: [AuditEvent] = []
            for index in 1...100 {
                events.append(Self.call(index, latency: Int64(index) * 1_000, rows: 2, time: late))
            }
            events.append(Self.call(0, consumer: 4, outcome: .denied(reason: "no_grant"), rows: 0, time: early))
            events.append(
                Self.call(
                    0, consumer: 4, provider: 6, resource: "102001/0001", outcome: .failed(reason: "upstream"),
                    rows: 0, time: early))
            events.append(
                .grantRevoked(
                    grantID: 4, consumerDepartmentID: 3, providerDepartmentID: 5, resourceCode: "101001/0001",
                    revokedBy: 1, reason: "到期前撤销", time: early))
            _ = try await log.append(contentsOf: events)
            let range = (from: late - 86_400, to: early + 86_400)

            let days = try await store.audit.statistics(
                AuditStatisticsQuery(from: range.from, to: range.to, groupBy: .day, latency: true))
            #expect(days.map(\.key) == ["2025-03-01", "2025-03-02"])
            #expect(days[0].calls == 100 && days[0].allowed == 100 && days[0].rowsServed == 200)
            #expect(days[1].calls == 2 && days[1].denied == 1 && days[1].failed == 1, "the grant change is no call")
            let p50 = try #require(days[0].latencyPercentile(0.5))
            let p99 = try #require(days[0].latencyPercentile(0.99))
            #expect(abs(p50 - 50_000) / 50_000 < 0.1 && abs(p99 - 99_000) / 99_000 < 0.1, "\(p50) \(p99)")

            let resources = try await store.audit.statistics(
                AuditStatisticsQuery(from: range.from, to: range.to, groupBy: .resource))
            #expect(resources.map(\.key) == ["101001/0001", "102001/0001"] && resources.map(\.calls) == [101, 1])

            let consumers = try await store.audit.statistics(
                AuditStatisticsQuery(from: range.from, to: range.to, groupBy: .consumer))
            #expect(consumers.map(\.key) == ["3", "4"] && consumers.map(\.calls) == [100, 2])

            // Department 4 as consumer sees its two calls; department 6 as provider the one on its resource.
            let scoped = try await store.audit.statistics(
                AuditStatisticsQuery(
                    from: range.from, to: range.to, groupBy: .resource, visibleTo: (consumers: [4], providers: [])))
            #expect(scoped.map(\.calls) == [1, 1])
            let provider = try await store.audit.statistics(
                AuditStatisticsQuery(
                    from: range.from, to: range.to, groupBy: .consumer, visibleTo: (consumers: [], providers: [6])))
            #expect(provider.map(\.key) == ["4"] && provider.map(\.failed) == [1])
            let nobody = try await store.audit.statistics(
                AuditStatisticsQuery(
                    from: range.from, to: range.to, groupBy: .day, visibleTo: (consumers: [], providers: [])))
            #expect(nobody.isEmpty)
            // Statistics count whole days (they are read from daily rollups): a range that starts later on the
            // second day still counts that day's calls; one from the next day counts none.
            let sameDay = try await store.audit.statistics(
                AuditStatisticsQuery(from: early + 60, to: early + 86_400, groupBy: .day))
            #expect(sameDay.map(\.key) == ["2025-03-02"] && sameDay.map(\.calls) == [2])
            let outside = try await store.audit.statistics(
                AuditStatisticsQuery(from: early + 86_400, to: early + 2 * 86_400, groupBy: .day))
            #expect(outside.isEmpty)
        }
    }

    @Test("on SQLite the audit log is a file of its own beside the database, and survives reopening")
    func separateFile() async throws {
        try await TestBackend.sqlite.withFreshDatabase { store, location in
            guard case .sqlite(let path) = location else { return }
            let log = AuditLog(repository: store.audit, suite: .intl)
            let receipt = try await log.append(Self.call(1))
            let auditPath = SQLiteDatabaseProvider.auditPath(besides: path)
            #expect(auditPath.hasSuffix("/huitong.audit.sqlite"))
            #expect(FileManager.default.fileExists(atPath: auditPath))
            let mainTables = try await store.provider.read { sql in
                try await sql.raw("SELECT name FROM sqlite_master WHERE name LIKE 'audit%'").all()
            }
            #expect(mainTables.isEmpty, "the main file holds no audit tables")
            let reopened = Store(
                provider: try await DatabaseConnector.open(
                    location, maximumConnections: TestBackend.connectionsPerStore, logger: Logger(label: "t")),
                rowIntegrity: store.rowIntegrity)
            let head = try await reopened.audit.head()
            await reopened.provider.shutdown()
            #expect(head.sequence == 1 && head.lastHash == receipt.hash)
        }
    }

    @Test("the node key is created once, readable only by its owner, and taken from the environment when set")
    func nodeKey() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("node-key-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(throws: NodeKeyError.missing(path: NodeKeyFile.path(dataDirectory: directory))) {
            try NodeKeyFile.load(environment: nil, dataDirectory: directory, create: false)
        }
        let created = try NodeKeyFile.load(environment: nil, dataDirectory: directory, create: true)
        let again = try NodeKeyFile.load(environment: nil, dataDirectory: directory, create: true)
        #expect(created.publicKey == again.publicKey)
        let path = NodeKeyFile.path(dataDirectory: directory)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)

        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        #expect(throws: NodeKeyError.unsafePermissions(path: path, mode: "644")) {
            try NodeKeyFile.load(environment: nil, dataDirectory: directory, create: true)
        }
        let other = NodeIdentityKey.generate()
        let fromEnvironment = try NodeKeyFile.load(
            environment: Data(other.rawPrivateKey).base64EncodedString(), dataDirectory: directory, create: true)
        #expect(fromEnvironment.publicKey == other.publicKey)
        #expect(throws: NodeKeyError.malformed(source: "HUITONG_NODE_KEY")) {
            try NodeKeyFile.load(environment: "bm90IGEga2V5", dataDirectory: directory, create: true)
        }
    }
}

extension Result {
    var failureValue: Failure? {
        if case .failure(let failure) = self { return failure }
        return nil
    }
}
