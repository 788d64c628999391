import Foundation
import HuitongCore
import HuitongStore
import HuitongTestSupport
import Testing

/// The cascade's storage rules (peers, outbox, inbox, registered entries, 回流 parts and runs, monitoring),
/// proven on every backend.
@Suite("Federation store conformance")
struct FederationStoreConformanceTests {
    static let city = try! NodeRegion("341500")
    static let province = try! NodeRegion("340000")
    static let county = try! NodeRegion("341502")
    static let otherCounty = try! NodeRegion("341503")
    /// Whole seconds, so that every backend stores the times exactly.
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    static func key() -> String { NodeIdentityKey.generate().publicKey.base64 }

    static func draft(
        _ region: String, _ relation: PeerRelation, name: String = "对端平台", url: String = "https://peer.example.gov.cn",
        key: String = key()
    ) -> PeerDraft {
        PeerDraft(region: region, relation: relation, name: name, baseURL: url, publicKey: key)
    }

    /// The fields a refused peer draft names, in order; empty when the draft was accepted.
    static func fields(_ draft: PeerDraft, _ store: Store) async -> [String] {
        do {
            _ = try await store.federation.addPeer(draft, local: city, at: t0)
            return []
        } catch let error as ValidationError {
            return error.issues.map(\.field)
        } catch {
            return ["unexpected \(error)"]
        }
    }

    // MARK: Peers

    @Test("a peer is checked field by field before it is stored", arguments: TestBackend.available)
    func peerValidation(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            #expect(await Self.fields(Self.draft("34150", .child), store) == ["region"])
            #expect(
                await Self.fields(Self.draft("341500", .child), store) == ["region"], "a node cannot be its own peer")
            #expect(
                await Self.fields(Self.draft("340000", .child), store) == ["relation"],
                "the province is above the city, not below it")
            #expect(await Self.fields(Self.draft("341502", .parent), store) == ["relation"])
            #expect(
                await Self.fields(Self.draft("320102", .child), store) == ["relation"],
                "a county of another province is not the city's child")
            #expect(await Self.fields(Self.draft("341502", .child, key: "bm90IGEga2V5"), store) == ["publicKey"])
            #expect(await Self.fields(Self.draft("341502", .child, url: "ftp://peer.example"), store) == ["baseURL"])
            #expect(
                await Self.fields(Self.draft("3415", .child, name: "  ", url: "peer.example", key: ""), store) == [
                    "region", "name", "baseURL", "publicKey",
                ], "every problem is named at once")
            let stored = try await store.federation.peers()
            #expect(stored.isEmpty, "nothing was stored")
        }
    }

    @Test("peers: one of each region, one parent, removable", arguments: TestBackend.available)
    func peerLifecycle(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let peers = store.federation
            let childKey = Self.key()
            let child = try await peers.addPeer(
                Self.draft("341502", .child, name: "  金安区数据资源局 ", url: "https://ja.example.gov.cn/ ", key: childKey),
                local: Self.city, at: Self.t0)
            #expect(child.region == Self.county && child.relation == .child)
            #expect(child.name == "金安区数据资源局" && child.baseURL == "https://ja.example.gov.cn")
            #expect(child.keys?.keys == [NodePublicKey(base64: childKey)!.signingKey])
            #expect(child.createdAt == Self.t0)

            await #expect(throws: FederationError.duplicatePeer("341502")) {
                try await peers.addPeer(Self.draft("341502", .child), local: Self.city, at: Self.t0)
            }
            _ = try await peers.addPeer(Self.draft("340000", .parent), local: Self.city, at: Self.t0)
            // The nation contains the city too, but a node reports to one parent only.
            await #expect(throws: FederationError.duplicatePeer("340000")) {
                try await peers.addPeer(Self.draft("000000", .parent), local: Self.city, at: Self.t0)
            }
            _ = try await peers.addPeer(Self.draft("341503", .child), local: Self.city, at: Self.t0)
            #expect(try await peers.peers().map(\.region.code) == ["340000", "341502", "341503"])
            #expect(try await peers.peer(Self.province)?.relation == .parent)

            #expect(try await peers.removePeer(Self.county))
            #expect(try await peers.removePeer(Self.county) == false, "a second removal finds nothing")
            #expect(try await peers.peer(Self.county) == nil)
            #expect(try await peers.peers().map(\.region.code) == ["340000", "341503"])
            #expect(try await peers.removePeer(Self.province))
            _ = try await peers.addPeer(Self.draft("000000", .parent), local: Self.city, at: Self.t0)
            #expect(try await peers.peer(.national)?.relation == .parent, "a removed parent can be replaced")
        }
    }

    // MARK: Outbox

    static func message(
        _ id: String, origin: NodeRegion = city, destination: NodeRegion = province, nextHop: NodeRegion = province,
        body: String = #"{"sequence":1}"#
    ) -> OutboxDraft {
        OutboxDraft(
            messageID: id, kind: .catalogRegistration, origin: origin, destination: destination, nextHop: nextHop,
            body: body)
    }

    @Test("a message is queued once per origin, id and hop", arguments: TestBackend.available)
    func enqueueIdempotent(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let outbox = store.federation
            try await outbox.enqueue([Self.message("msg-00000001")], at: Self.t0)
            try await outbox.enqueue(
                [Self.message("msg-00000001", body: #"{"sequence":2}"#)], at: Self.t0.addingTimeInterval(5))
            var all = try await outbox.outbox(status: nil, limit: 100)
            #expect(all.count == 1)
            #expect(all.first?.body == #"{"sequence":1}"#, "the message first queued is kept as it was")
            #expect(all.first?.status == .pending && all.first?.attempts == 0)
            #expect(all.first?.nextAttemptAt == Self.t0)

            // The same id written by another node, or the same message on another hop, are other messages.
            try await outbox.enqueue(
                [
                    Self.message("msg-00000001", origin: Self.county, destination: Self.province),
                    Self.message("msg-00000001", destination: .national, nextHop: .national),
                ], at: Self.t0)
            all = try await outbox.outbox(status: nil, limit: 100)
            #expect(all.count == 3)
            #expect(all.map(\.id) == all.map(\.id).sorted(by: >), "newest first")
            #expect(Set(all.map(\.origin.code)) == ["341500", "341502"])
        }
    }

    @Test("claiming takes due messages and hides them until the lease ends", arguments: TestBackend.available)
    func claimAndLease(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let outbox = store.federation
            try await outbox.enqueue([Self.message("msg-00000001"), Self.message("msg-00000002")], at: Self.t0)
            #expect(
                try await outbox.claimDue(now: Self.t0.addingTimeInterval(-1), leaseUntil: Self.t0, limit: 10).isEmpty,
                "not yet due")
            let lease = Self.t0.addingTimeInterval(120)
            let first = try await outbox.claimDue(now: Self.t0, leaseUntil: lease, limit: 1)
            #expect(first.map(\.messageID) == ["msg-00000001"], "the oldest first, no more than asked")
            let second = try await outbox.claimDue(now: Self.t0, leaseUntil: lease, limit: 10)
            #expect(second.map(\.messageID) == ["msg-00000002"], "a claimed message is not claimed twice")
            #expect(
                try await outbox.claimDue(now: Self.t0.addingTimeInterval(60), leaseUntil: lease, limit: 10).isEmpty,
                "both are leased")
            // The claimer died without marking anything: after the lease both are due again.
            let again = try await outbox.claimDue(
                now: lease, leaseUntil: lease.addingTimeInterval(120), limit: 10)
            #expect(again.map(\.messageID) == ["msg-00000001", "msg-00000002"])
            #expect(again.allSatisfy { $0.status == .pending && $0.attempts == 0 })
        }
    }

    @Test(
        "a failure is retried later or set aside; an operator's retry queues it again", arguments: TestBackend.available
    )
    func failureAndRetry(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let outbox = store.federation
            try await outbox.enqueue(
                [Self.message("msg-00000001"), Self.message("msg-00000002"), Self.message("msg-00000003")], at: Self.t0)
            let claimed = try await outbox.claimDue(
                now: Self.t0, leaseUntil: Self.t0.addingTimeInterval(120), limit: 10)
            #expect(claimed.count == 3)
            let (retried, givenUp, delivered) = (claimed[0], claimed[1], claimed[2])

            let retryAt = Self.t0.addingTimeInterval(10)
            try await outbox.markFailed(id: retried.id, error: "connection refused", retryAt: retryAt)
            try await outbox.markFailed(
                id: givenUp.id, error: String(repeating: "拒", count: 2_000), retryAt: nil)
            try await outbox.markDelivered(id: delivered.id, at: Self.t0.addingTimeInterval(1))

            let pending = try await outbox.outbox(status: .pending, limit: 10)
            #expect(pending.map(\.id) == [retried.id])
            #expect(pending.first?.attempts == 1 && pending.first?.lastError == "connection refused")
            #expect(pending.first?.nextAttemptAt == retryAt)
            let failed = try await outbox.outbox(status: .failed, limit: 10)
            #expect(failed.map(\.id) == [givenUp.id])
            #expect(failed.first?.lastError?.count == 1_000, "a long error is cut, not refused")
            let done = try await outbox.outbox(status: .delivered, limit: 10)
            #expect(done.map(\.id) == [delivered.id])
            #expect(done.first?.deliveredAt == Self.t0.addingTimeInterval(1) && done.first?.attempts == 1)
            #expect(
                done.first?.nextAttemptAt == Self.t0.addingTimeInterval(1),
                "a delivered message is due for nothing: not the lease its claim set")

            #expect(
                try await outbox.claimDue(now: Self.t0.addingTimeInterval(5), leaseUntil: retryAt, limit: 10).isEmpty)
            let later = Self.t0.addingTimeInterval(3_600)
            let due = try await outbox.claimDue(now: later, leaseUntil: later.addingTimeInterval(120), limit: 10)
            #expect(due.map(\.id) == [retried.id], "neither the failed nor the delivered message is sent again")

            let requeued = try await outbox.retry(id: givenUp.id, at: later)
            #expect(requeued.status == .pending && requeued.nextAttemptAt == later)
            #expect(requeued.attempts == 1, "the attempts so far stay on record")
            #expect(
                try await outbox.claimDue(now: later, leaseUntil: later.addingTimeInterval(120), limit: 10).map(\.id)
                    == [givenUp.id])
            await #expect(throws: StoreError.self, "only a failed message can be retried") {
                try await outbox.retry(id: delivered.id, at: later)
            }
            await #expect(throws: StoreError.self) { try await outbox.retry(id: 9_999, at: later) }
        }
    }

    // MARK: Inbox

    @Test("a receipt is kept once; a relayed message is queued exactly once", arguments: TestBackend.available)
    func inbox(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let inbox = store.federation
            #expect(try await inbox.hasReceived(origin: Self.county, messageID: "msg-00000001") == false)
            #expect(
                try await inbox.recordReceipt(
                    origin: Self.county, messageID: "msg-00000001", kind: .monitoringReport, from: Self.county,
                    at: Self.t0))
            #expect(
                try await inbox.recordReceipt(
                    origin: Self.county, messageID: "msg-00000001", kind: .monitoringReport, from: Self.county,
                    at: Self.t0) == false)
            #expect(try await inbox.hasReceived(origin: Self.county, messageID: "msg-00000001"))
            #expect(
                try await inbox.hasReceived(origin: Self.otherCounty, messageID: "msg-00000001") == false,
                "ids are only unique per origin")

            let relay = Self.message(
                "msg-00000002", origin: .national, destination: Self.county, nextHop: Self.county)
            #expect(try await inbox.acceptForRelay(relay, from: Self.province, at: Self.t0))
            #expect(try await inbox.acceptForRelay(relay, from: Self.province, at: Self.t0) == false)
            let queued = try await inbox.outbox(status: nil, limit: 10)
            #expect(queued.count == 1)
            #expect(queued.first?.origin == .national && queued.first?.nextHop == Self.county)
            #expect(try await inbox.hasReceived(origin: .national, messageID: "msg-00000002"))

            // A message already handled here is not relayed on top.
            let handled = Self.message(
                "msg-00000001", origin: Self.county, destination: Self.province, nextHop: Self.province)
            #expect(try await inbox.acceptForRelay(handled, from: Self.county, at: Self.t0) == false)
            #expect(try await inbox.outbox(status: nil, limit: 10).count == 1)
        }
    }

    // MARK: Registered entries (parent side)

    static func registered(
        _ code: String, version: Int, name: String, provider: String = "金安区公安分局", classification: String = "101001"
    ) -> RegisteredEntry {
        var content = CatalogStoreConformanceTests.population(classification: classification)
        content.name = name
        return RegisteredEntry(
            code: code, version: version,
            provider: RegisteredProvider(name: provider, code: "GAJ", creditCode: nil, regionCode: "341502"),
            content: content, mountKind: .table, recordCount: 1_200, dataUpdatedAt: nil, publishedOn: nil)
    }

    @Test(
        "registrations apply by sequence, withdrawals included, and answer with code mappings",
        arguments: TestBackend.available)
    func applyRegistration(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let remote = store.remoteCatalog
            let people = Self.registered("101001/0001", version: 1, name: "人口基础信息")
            let firms = Self.registered(
                "102001/0001", version: 1, name: "企业登记信息", provider: "金安区市场监管局", classification: "102001")
            let first = try await remote.applyRegistration(
                CatalogRegistration(sequence: 10, entries: [people, firms], withdrawn: []), from: Self.county,
                at: Self.t0)
            #expect(
                first == [
                    CodeMapping(
                        localCode: "101001/0001", upperCode: "101001/3415020001", version: 1, status: .registered),
                    CodeMapping(
                        localCode: "102001/0001", upperCode: "102001/3415020001", version: 1, status: .registered),
                ])

            var revised = people
            revised.version = 2
            revised.content.name = "人口基础信息（第二版）"
            _ = try await remote.applyRegistration(
                CatalogRegistration(sequence: 20, entries: [revised], withdrawn: []), from: Self.county,
                at: Self.t0.addingTimeInterval(20))
            // An older registration retried after the newer one changes nothing, and is answered with what holds.
            let late = try await remote.applyRegistration(
                CatalogRegistration(sequence: 15, entries: [people], withdrawn: ["101001/0001"]), from: Self.county,
                at: Self.t0.addingTimeInterval(30))
            #expect(late.map(\.version) == [2, 2] && late.map(\.status) == [.registered, .registered])
            let current = try #require(try await remote.remoteEntry(upperCode: "101001/3415020001"))
            #expect(current.registration.content.name == "人口基础信息（第二版）" && current.status == .registered)
            #expect(current.registration.content.items.map(\.columnName) == ["sfzhm", "xm", "csrq"])
            #expect(current.registeredAt == Self.t0 && current.updatedAt == Self.t0.addingTimeInterval(20))

            let withdrawal = try await remote.applyRegistration(
                CatalogRegistration(sequence: 30, entries: [], withdrawn: ["102001/0001", "103001/0009"]),
                from: Self.county, at: Self.t0.addingTimeInterval(40))
            #expect(
                withdrawal == [
                    CodeMapping(
                        localCode: "102001/0001", upperCode: "102001/3415020001", version: 1, status: .withdrawn),
                    // Never registered: the child still gets an answer, so that it stops reporting the code.
                    CodeMapping(
                        localCode: "103001/0009", upperCode: "103001/3415020009", version: 0, status: .withdrawn),
                ])
            #expect(
                try await remote.remoteEntries(query: nil, origin: nil, includeWithdrawn: false, limit: 50)
                    .map(\.upperCode) == ["101001/3415020001"], "withdrawn entries are hidden by default")
            #expect(
                try await remote.remoteEntries(query: nil, origin: nil, includeWithdrawn: true, limit: 50)
                    .map(\.upperCode) == ["101001/3415020001", "102001/3415020001"])

            _ = try await remote.applyRegistration(
                CatalogRegistration(sequence: 40, entries: [firms], withdrawn: []), from: Self.county,
                at: Self.t0.addingTimeInterval(50))
            #expect(try await remote.remoteEntry(upperCode: "102001/3415020001")?.status == .registered)

            await #expect(throws: FederationError.self, "a code the national scheme cannot read is refused") {
                try await remote.applyRegistration(
                    CatalogRegistration(
                        sequence: 50, entries: [Self.registered("人口", version: 1, name: "坏")], withdrawn: []),
                    from: Self.county, at: Self.t0)
            }
        }
    }

    @Test("registered entries are found by Chinese words, code or origin", arguments: TestBackend.available)
    func searchRemote(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let remote = store.remoteCatalog
            _ = try await remote.applyRegistration(
                CatalogRegistration(
                    sequence: 1,
                    entries: [
                        Self.registered("101001/0001", version: 1, name: "人口基础信息"),
                        Self.registered(
                            "102001/0001", version: 1, name: "企业登记信息", provider: "金安区市场监管局",
                            classification: "102001"),
                    ], withdrawn: []), from: Self.county, at: Self.t0)
            _ = try await remote.applyRegistration(
                CatalogRegistration(
                    sequence: 1, entries: [Self.registered("101001/0001", version: 3, name: "流动人口信息")],
                    withdrawn: []), from: Self.otherCounty, at: Self.t0)
            func search(_ query: String?, origin: NodeRegion? = nil) async throws -> [String] {
                try await remote.remoteEntries(query: query, origin: origin, includeWithdrawn: false, limit: 50)
                    .map(\.upperCode)
            }
            #expect(try await search("人口") == ["101001/3415020001", "101001/3415030001"])
            #expect(try await search("流动") == ["101001/3415030001"])
            #expect(try await search("市场监管") == ["102001/3415020001"], "the provider's name is searched too")
            #expect(try await search("3415030001") == ["101001/3415030001"])
            #expect(try await search("人口", origin: Self.county) == ["101001/3415020001"])
            #expect(try await search(nil, origin: Self.otherCounty) == ["101001/3415030001"])
            #expect(try await search("%").isEmpty, "wildcards are matched literally")
            #expect(try await search("_").isEmpty)
            #expect(try await search("  ").count == 3)
            let found = try #require(
                try await remote.remoteEntries(query: "流动", origin: nil, includeWithdrawn: false, limit: 5).first)
            #expect(found.origin == Self.otherCounty && found.registration.version == 3)
        }
    }

    // MARK: Registrations (child side)

    @Test(
        "published changes are reported once, withdrawals too, and acknowledgements kept",
        arguments: TestBackend.available)
    func reportingRoundTrip(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let author = CatalogStoreConformanceTests.author
            let department = try await CatalogStoreConformanceTests.prepare(store)
            let content = try CatalogStoreConformanceTests.population().validated()
            let entry = try await store.catalog.create(content, departmentID: department.id, author: author)
            _ = try await store.catalog.create(content, departmentID: department.id, author: author)
            let remote = store.remoteCatalog
            var changes = try await remote.unreportedChanges(limit: 10)
            #expect(changes.entries.isEmpty && changes.withdrawn.isEmpty, "drafts are not registered")

            _ = try await store.catalog.transition(id: entry.id, .submit, author: author, comment: "")
            _ = try await store.catalog.transition(id: entry.id, .publish, author: author, comment: "同意")
            changes = try await remote.unreportedChanges(limit: 10)
            #expect(changes.entries.map(\.code.text) == ["101001/0001"] && changes.withdrawn.isEmpty)
            try await remote.recordReported(entries: changes.entries, withdrawn: [], at: Self.t0)
            changes = try await remote.unreportedChanges(limit: 10)
            #expect(changes.entries.isEmpty && changes.withdrawn.isEmpty, "reported at its version: nothing to send")
            var record = try #require(try await remote.registrations().first)
            #expect(record.reportedVersion == 1 && record.reportedStatus == .registered && !record.isAcknowledged)

            try await remote.recordAcknowledged(
                [
                    CodeMapping(
                        localCode: "101001/0001", upperCode: "101001/3415000001", version: 1, status: .registered),
                    CodeMapping(
                        localCode: "109009/0001", upperCode: "109009/3415000001", version: 1, status: .registered),
                ], at: Self.t0.addingTimeInterval(5))
            let records = try await remote.registrations()
            #expect(records.count == 1, "an acknowledgement for a code never reported adds nothing")
            record = try #require(records.first)
            #expect(record.upperCode == "101001/3415000001" && record.isAcknowledged)
            #expect(record.acknowledgedAt == Self.t0.addingTimeInterval(5))

            var revised = content
            revised.abstract = "全市户籍人口与流动人口的基础信息。"
            _ = try await store.catalog.update(
                id: entry.id, with: try revised.validated(), author: author, note: "扩充摘要")
            changes = try await remote.unreportedChanges(limit: 10)
            #expect(changes.entries.map(\.version) == [2], "a revision is registered again")
            try await remote.recordReported(entries: changes.entries, withdrawn: [], at: Self.t0.addingTimeInterval(10))
            record = try #require(try await remote.registrations().first)
            #expect(record.reportedVersion == 2 && !record.isAcknowledged, "the parent has not seen version 2 yet")

            _ = try await store.catalog.transition(id: entry.id, .withdraw, author: author, comment: "源系统停用")
            changes = try await remote.unreportedChanges(limit: 10)
            #expect(changes.entries.isEmpty && changes.withdrawn == ["101001/0001"])
            try await remote.recordReported(
                entries: [], withdrawn: changes.withdrawn, at: Self.t0.addingTimeInterval(20))
            changes = try await remote.unreportedChanges(limit: 10)
            #expect(changes.entries.isEmpty && changes.withdrawn.isEmpty, "a withdrawal is reported once")
            try await remote.recordAcknowledged(
                [CodeMapping(localCode: "101001/0001", upperCode: "101001/3415000001", version: 2, status: .withdrawn)],
                at: Self.t0.addingTimeInterval(25))
            record = try #require(try await remote.registrations().first)
            #expect(record.reportedStatus == .withdrawn && record.acknowledgedStatus == .withdrawn)
            #expect(record.isAcknowledged, "the parent confirmed the withdrawal")

            _ = try await store.catalog.transition(id: entry.id, .submit, author: author, comment: "")
            _ = try await store.catalog.transition(id: entry.id, .publish, author: author, comment: "恢复")
            changes = try await remote.unreportedChanges(limit: 10)
            #expect(changes.entries.map(\.code.text) == ["101001/0001"], "published again: registered again")
        }
    }

    // MARK: 回流

    static func batch(_ run: String, _ sequence: Int, last: Bool, rows: [[String?]] = []) -> ReflowBatch {
        ReflowBatch(
            runID: run, sourceCode: "101001/0007", sourceVersion: 4, regionColumn: "hjdz", regionPrefix: "341502",
            columns: ["sfzhm", "xm", "hjdz"], keyColumns: ["sfzhm"], sequence: sequence, isLast: last, rows: rows)
    }

    @Test("回流 subscriptions and targets are kept one per pair, and updated in place", arguments: TestBackend.available)
    func reflowSubscriptions(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let department = try await CatalogStoreConformanceTests.prepare(store)
            let entry = try await store.catalog.create(
                try CatalogStoreConformanceTests.population().validated(), departmentID: department.id,
                author: CatalogStoreConformanceTests.author)
            let reflows = store.reflows
            let first = try await reflows.subscribe(
                entryID: entry.id, child: Self.county, regionColumn: "hjdz", at: Self.t0)
            let again = try await reflows.subscribe(
                entryID: entry.id, child: Self.county, regionColumn: "xzqh", at: Self.t0.addingTimeInterval(9))
            #expect(again.id == first.id && again.regionColumn == "xzqh")
            #expect(again.createdAt == Self.t0 && again.lastSourceVersion == nil)
            let other = try await reflows.subscribe(
                entryID: entry.id, child: Self.otherCounty, regionColumn: "hjdz", at: Self.t0)
            #expect(try await reflows.subscriptions().map(\.id) == [first.id, other.id])

            try await reflows.recordSent(
                subscriptionID: first.id, runID: "run-0001", sourceVersion: 3, at: Self.t0.addingTimeInterval(60))
            let sent = try #require(try await reflows.subscription(id: first.id))
            #expect(sent.lastSourceVersion == 3 && sent.lastRunID == "run-0001")
            #expect(sent.lastRunAt == Self.t0.addingTimeInterval(60))
            #expect(try await reflows.subscription(id: other.id)?.lastRunID == nil)
            #expect(try await reflows.subscription(id: 9_999) == nil)

            let target = try await reflows.setTarget(
                origin: Self.province, sourceCode: "101001/0007", entryID: entry.id, at: Self.t0)
            #expect(target.entryID == entry.id)
            let second = try await store.catalog.create(
                try CatalogStoreConformanceTests.population().validated(), departmentID: department.id,
                author: CatalogStoreConformanceTests.author)
            _ = try await reflows.setTarget(
                origin: Self.province, sourceCode: "101001/0007", entryID: second.id, at: Self.t0)
            _ = try await reflows.setTarget(
                origin: .national, sourceCode: "101001/0007", entryID: entry.id, at: Self.t0)
            #expect(try await reflows.target(origin: Self.province, sourceCode: "101001/0007")?.entryID == second.id)
            #expect(try await reflows.target(origin: Self.province, sourceCode: "101001/0008") == nil)
            #expect(try await reflows.targets().map(\.origin.code) == ["000000", "340000"])
        }
    }

    @Test("a 回流 run completes only with every part up to the last, and applies once", arguments: TestBackend.available)
    func reflowParts(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let reflows = store.reflows
            let rows: [[String?]] = [["341502199001010011", "张三", "341502"], ["341502199202020021", nil, "341502"]]
            #expect(
                try await reflows.keepPart(Self.batch("run-a", 1, last: false), origin: Self.province, at: Self.t0)
                    == false)
            #expect(
                try await reflows.keepPart(Self.batch("run-a", 2, last: true), origin: Self.province, at: Self.t0)
                    == false,
                "the last part arrived, but part 0 is missing")
            #expect(
                try await reflows.keepPart(Self.batch("run-a", 2, last: true), origin: Self.province, at: Self.t0)
                    == false,
                "a resent part counts once")
            #expect(
                try await reflows.keepPart(
                    Self.batch("run-a", 0, last: false, rows: rows), origin: Self.province, at: Self.t0))
            let parts = try await reflows.parts(runID: "run-a")
            #expect(parts.map(\.sequence) == [0, 1, 2])
            #expect(parts.first?.rows == rows, "rows come back as sent, empty values included")

            #expect(
                try await reflows.keepPart(Self.batch("run-b", 0, last: false), origin: Self.province, at: Self.t0)
                    == false)
            #expect(
                try await reflows.keepPart(Self.batch("run-b", 1, last: false), origin: Self.province, at: Self.t0)
                    == false,
                "without a last part the run is never complete")
            #expect(
                try await reflows.keepPart(Self.batch("run-c", 0, last: true), origin: Self.province, at: Self.t0),
                "a one-part run completes at once")

            let run = ReflowRun(
                runID: "run-a", origin: Self.province, sourceCode: "101001/0007", sourceVersion: 4, entryID: 7,
                poolVersion: 2, rowsApplied: 2, appliedAt: Self.t0.addingTimeInterval(30))
            #expect(try await reflows.appliedRun(runID: "run-a") == nil)
            try await reflows.recordApplied(run)
            #expect(try await reflows.parts(runID: "run-a").isEmpty, "parts are dropped once the run is applied")
            #expect(try await reflows.parts(runID: "run-b").count == 2, "other runs keep theirs")
            var replay = run
            replay.poolVersion = 3
            replay.rowsApplied = 99
            try await reflows.recordApplied(replay)
            #expect(try await reflows.appliedRun(runID: "run-a") == run, "the first application stands")

            let laterRun = ReflowRun(
                runID: "run-c", origin: Self.province, sourceCode: "101001/0007", sourceVersion: 5, entryID: 7,
                poolVersion: 3, rowsApplied: 0, appliedAt: Self.t0.addingTimeInterval(90))
            try await reflows.recordApplied(laterRun)
            try await reflows.recordApplied(
                ReflowRun(
                    runID: "run-d", origin: .national, sourceCode: "101001/0001", sourceVersion: 1, entryID: 8,
                    poolVersion: 1, rowsApplied: 5, appliedAt: Self.t0))
            #expect(
                try await reflows.runs(entryID: 7).map(\.runID) == ["run-c", "run-a"], "newest first, this entry's")
            #expect(try await reflows.runs(entryID: 9).isEmpty)
        }
    }

    // MARK: Monitoring

    @Test("the latest monitoring report of each node is kept", arguments: TestBackend.available)
    func monitoring(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let federation = store.federation
            try await federation.saveMonitoringReport(#"{"n":1}"#, origin: Self.county, at: Self.t0)
            try await federation.saveMonitoringReport(#"{"n":2}"#, origin: Self.otherCounty, at: Self.t0)
            try await federation.saveMonitoringReport(
                #"{"n":3}"#, origin: Self.county, at: Self.t0.addingTimeInterval(60))
            let reports = try await federation.monitoringReports()
            #expect(reports.map(\.origin.code) == ["341502", "341503"])
            #expect(reports.map(\.report) == [#"{"n":3}"#, #"{"n":2}"#])
            #expect(reports.first?.receivedAt == Self.t0.addingTimeInterval(60))
        }
    }
}
