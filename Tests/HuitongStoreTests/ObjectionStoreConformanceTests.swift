import Foundation
import HuitongCore
import HuitongStore
import HuitongTestSupport
import Testing

/// Objections, their history and the provenance of corrected pool versions, proven on every backend.
@Suite("Objection store conformance")
struct ObjectionStoreConformanceTests {
    static let time = CalendarDate(iso: "2026-03-02")!.startOfDay().addingTimeInterval(9 * 3600)

    static func raise(
        _ store: Store, _ parties: SharingStoreConformanceTests.Parties, key: String = "34150119900101001X",
        deadline: Date = time.addingTimeInterval(86_400)
    ) async throws -> Objection {
        try await store.objections.create(
            ObjectionDraft(
                entryID: parties.entry.id, recordKey: ["sfzhm": key], items: ["csrq"], description: "出生日期有误",
                evidence: "户口簿"),
            entry: parties.entry,
            raiser: ObjectionRaiser(
                userID: parties.consumerOfficer.id, departmentID: parties.consumer.id, name: "霍山 李"),
            trackingDigest: nil, deadline: deadline, at: time,
            notifications: [
                NotificationDraft(
                    audience: .department(parties.provider.id, .provider), kind: .objectionToAnswer,
                    title: BilingualText(zh: "数据异议", en: "objection"), body: BilingualText(zh: "待答复", en: "to answer"))
            ])
    }

    @Test(
        "objections are numbered, scoped, filtered, counted while open, and moved only from the state they are in",
        arguments: TestBackend.available)
    func lifecycle(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let parties = try await SharingStoreConformanceTests.prepare(store)
            let first = try await Self.raise(store, parties)
            let second = try await Self.raise(store, parties, deadline: Self.time.addingTimeInterval(10 * 86_400))
            #expect(first.number == "YY-2026-0001" && second.number == "YY-2026-0002")
            #expect(first.state == .open && first.providerDepartmentID == parties.provider.id)
            #expect(first.recordKey == ["sfzhm": "34150119900101001X"] && first.items == ["csrq"])
            #expect(first.resourceCode == parties.entry.code.text && first.raiser.departmentID == parties.consumer.id)

            // The provider's officers were told, with a link to the objection.
            let told = try await store.notifications.list(userID: parties.providerOfficer.id, limit: 10)
            #expect(
                told.map(\.objectionID) == [second.id, first.id] && told.allSatisfy { $0.kind == .objectionToAnswer })

            let asProvider = ObjectionScope.department(parties.provider.id, asProvider: true, asRaiser: false)
            let asRaiser = ObjectionScope.department(parties.consumer.id, asProvider: false, asRaiser: true)
            let stranger = ObjectionScope.department(parties.consumer.id, asProvider: true, asRaiser: false)
            #expect(
                try await store.objections.list(asProvider, filter: ObjectionFilter()).map(\.id) == [
                    second.id, first.id,
                ])
            #expect(try await store.objections.list(asRaiser, filter: ObjectionFilter()).count == 2)
            #expect(try await store.objections.list(stranger, filter: ObjectionFilter()).isEmpty)
            let later = Self.time.addingTimeInterval(2 * 86_400)
            #expect(
                try await store.objections.list(.all, filter: ObjectionFilter(overdueAt: later)).map(\.id) == [first.id]
            )
            #expect(try await store.objections.overdue(at: later).map(\.id) == [first.id])
            #expect(try await store.objections.openCount(entryID: parties.entry.id) == 2)

            // Escalation keeps the objection open (it still counts), and only from `open`.
            var escalated = first
            escalated.state = .escalated
            escalated.escalatedAt = later
            let step = ObjectionEvent(
                action: .escalate, from: .open, to: .escalated, actorID: nil, actorName: "系统", comment: "逾期", at: later)
            let moved = try await store.objections.apply(
                ObjectionChange(objection: escalated, expectedState: .open, events: [step]))
            #expect(moved.state == .escalated && moved.escalatedAt != nil)
            await #expect(throws: ObjectionError.changedConcurrently(expected: .open)) {
                try await store.objections.apply(
                    ObjectionChange(objection: escalated, expectedState: .open, events: [step]))
            }
            #expect(try await store.objections.overdue(at: later).isEmpty, "escalated objections are not swept again")
            #expect(try await store.objections.openCount(entryID: parties.entry.id) == 2)

            var rejected = moved
            rejected.state = .rejected
            rejected.answer = ObjectionAnswer(
                kind: .reject, comment: "非本部门数据", actorID: parties.providerOfficer.id, actorName: "公安 王", at: later)
            let closed = try await store.objections.apply(
                ObjectionChange(
                    objection: rejected, expectedState: .escalated,
                    events: [
                        ObjectionEvent(
                            action: .reject, from: .escalated, to: .rejected, actorID: parties.providerOfficer.id,
                            actorName: "公安 王", comment: "非本部门数据", at: later)
                    ]))
            #expect(closed.answer?.kind == .reject && closed.answer?.comment == "非本部门数据")
            #expect(try await store.objections.openCount(entryID: parties.entry.id) == 1)
            #expect(
                try await store.objections.list(.all, filter: ObjectionFilter(state: .rejected)).map(\.id) == [first.id]
            )
            let history = try await store.objections.history(id: first.id)
            #expect(history.map(\.action) == [.raise, .escalate, .reject])
            #expect(history.map(\.to) == [.open, .escalated, .rejected])
            #expect(history.last?.actorName == "公安 王" && history.last?.comment == "非本部门数据")
        }
    }

    @Test("a portal objection is found by its number and tracking digest only", arguments: TestBackend.available)
    func tracking(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let parties = try await SharingStoreConformanceTests.prepare(store)
            let contact = ObjectionContact(name: "王五", phone: "13800138000")
            let objection = try await store.objections.create(
                ObjectionDraft(entryID: parties.entry.id, description: "数据过时"), entry: parties.entry,
                raiser: .portal(contact), trackingDigest: Secrets.digest(of: "yy_secret"), deadline: Self.time,
                at: Self.time, notifications: [])
            #expect(objection.raiser.isPortalUser && objection.raiser.contact == contact)
            let found = try await store.objections.find(
                number: objection.number, trackingDigest: Secrets.digest(of: "yy_secret"))
            #expect(found?.id == objection.id)
            #expect(
                try await store.objections.find(
                    number: objection.number, trackingDigest: Secrets.digest(of: "yy_other"))
                    == nil)
            // An officer's objection has no tracking secret and cannot be found this way.
            let officer = try await Self.raise(store, parties)
            #expect(try await store.objections.find(number: officer.number, trackingDigest: "") == nil)
        }
    }

    @Test(
        "a correction publishes its version with provenance and closes the objection together, or does neither",
        arguments: TestBackend.available)
    func correction(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let parties = try await SharingStoreConformanceTests.prepare(store)
            let columns = ["sfzhm", "xm", "csrq"]
            let first = try await store.pools.beginVersion(
                entryID: parties.entry.id, columns: columns, keyColumns: ["sfzhm"], copyingActive: false)
            try await store.pools.insert(
                [["34150119900101001X", "张三", "1990-01-02"], ["341501199202020021", "李四", "1992-02-02"]], into: first,
                replacingKeys: false)
            _ = try await store.pools.activate(first, keep: 3)
            let objection = try await Self.raise(store, parties)

            func change(expecting state: ObjectionState) -> ObjectionChange {
                var corrected = objection
                corrected.state = .corrected
                corrected.answer = ObjectionAnswer(
                    kind: .correct, comment: "已核实", actorID: parties.providerOfficer.id, actorName: "公安 王",
                    at: Self.time, poolVersion: 2,
                    changes: [ItemChange(column: "csrq", old: "1990-01-02", new: "1990-01-01")])
                return ObjectionChange(
                    objection: corrected, expectedState: state,
                    events: [
                        ObjectionEvent(
                            action: .correct, from: .open, to: .corrected, actorID: parties.providerOfficer.id,
                            actorName: "公安 王", comment: "已核实", at: Self.time)
                    ])
            }
            let provenance = PoolProvenance(
                entryID: parties.entry.id, version: 2, objectionID: objection.id, objectionNumber: objection.number,
                actorID: parties.providerOfficer.id, actorName: "公安 王", recordKey: objection.recordKey,
                changes: [ItemChange(column: "csrq", old: "1990-01-02", new: "1990-01-01")], createdAt: Self.time)

            // The objection is no longer where the provider read it: nothing is published.
            let stale = try await store.pools.beginVersion(
                entryID: parties.entry.id, columns: columns, keyColumns: ["sfzhm"], copyingActive: true)
            try await store.pools.insert(
                [["34150119900101001X", "张三", "1990-01-01"]], into: stale, replacingKeys: true)
            await #expect(throws: ObjectionError.changedConcurrently(expected: .escalated)) {
                try await store.objections.correct(
                    change(expecting: .escalated), publishing: stale, keep: 3, provenance: provenance)
            }
            #expect(try await store.pools.active(entryID: parties.entry.id)?.version == 1)
            #expect(try await store.objections.provenance(entryID: parties.entry.id).isEmpty)
            try await store.pools.abandon(stale)

            let version = try await store.pools.beginVersion(
                entryID: parties.entry.id, columns: columns, keyColumns: ["sfzhm"], copyingActive: true)
            try await store.pools.insert(
                [["34150119900101001X", "张三", "1990-01-01"]], into: version, replacingKeys: true)
            let (closed, active) = try await store.objections.correct(
                change(expecting: .open), publishing: version, keep: 3, provenance: provenance)
            #expect(closed.state == .corrected && closed.answer?.poolVersion == 2)
            #expect(active.version == version.version && active.status == .active && active.rowCount == 2)
            let row = try await store.pools.rows(entryID: parties.entry.id, key: ["34150119900101001X"])
            #expect(row.first?["csrq"] == "1990-01-01")
            #expect(try await store.pools.rows(entryID: parties.entry.id, key: ["341501199202020021"]).count == 1)
            let recorded = try await store.objections.provenance(entryID: parties.entry.id)
            #expect(recorded[active.version]?.objectionNumber == objection.number)
            #expect(recorded[active.version]?.changes == provenance.changes)
            #expect(recorded[active.version]?.recordKey == ["sfzhm": "34150119900101001X"])
            #expect(try await store.objections.history(id: objection.id).map(\.action) == [.raise, .correct])
            #expect(try await store.objections.openCount(entryID: parties.entry.id) == 0)
        }
    }
}
