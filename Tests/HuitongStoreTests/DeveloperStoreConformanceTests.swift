import Foundation
import HuitongCore
import HuitongStore
import HuitongTestSupport
import Testing

/// Portal developers, their sessions and keys, and their applications for conditionally open data, proven on
/// every backend.
@Suite("Developer store conformance")
struct DeveloperStoreConformanceTests {
    static let time = CalendarDate(iso: "2026-03-02")!.startOfDay().addingTimeInterval(9 * 3600)

    /// A registration; people are told apart by `person`, which stands in for the keyed digest of their ID number.
    static func registration(_ email: String, person: String? = nil, organisation: String = "", code: String = "")
        throws -> CheckedDeveloperRegistration
    {
        try DeveloperRegistration(
            email: email, name: "张小明", idNumber: "11010519491231002X", organisation: organisation,
            organisationCode: code, password: "secret-pass-1", acceptedAgreement: true
        ).validated(today: CalendarDate(iso: "2026-03-02")!) { _ in person ?? email }
    }

    static func draft(_ entry: CatalogEntry) -> OpenAccessDraft {
        OpenAccessDraft(
            entryID: entry.id, purpose: "研究城市人口流动规律，发布分析报告", scenario: "高校课题研究", securityMeasures: "专机存储，访问留痕",
            months: 6, acceptedAgreement: true)
    }

    @Test(
        "developers register once per e-mail, keep only an ID hint, and lock after failed sign-ins",
        arguments: TestBackend.available)
    func accounts(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let developer = try await store.developers.create(
                try Self.registration("Dev@Example.com"), passwordHash: "hash", at: Self.time)
            #expect(developer.email == "dev@example.com")
            #expect(developer.identityHint == "110***********002X")
            #expect(developer.publicName == "张**")
            await #expect(throws: StoreError.duplicate(field: "email", value: "dev@example.com")) {
                _ = try await store.developers.create(
                    try Self.registration("dev@example.com"), passwordHash: "hash", at: Self.time)
            }
            // One account per person: the same ID number under another address is refused, naming only the field.
            await #expect(throws: StoreError.duplicate(field: "idNumber", value: "")) {
                _ = try await store.developers.create(
                    try Self.registration("other@example.com", person: "Dev@Example.com"), passwordHash: "hash",
                    at: Self.time)
            }
            #expect(try await store.developers.count() == 1)

            let stored = try #require(try await store.developers.credentials(email: "DEV@example.com"))
            #expect(stored.passwordHash == "hash" && stored.failedLogins == 0 && stored.lockedUntil == nil)
            try await store.developers.recordFailedLogin(id: developer.id, lockedUntil: nil)
            #expect(try await store.developers.credentials(email: "dev@example.com")?.failedLogins == 1)
            let until = Self.time.addingTimeInterval(900)
            try await store.developers.recordFailedLogin(id: developer.id, lockedUntil: until)
            #expect(try await store.developers.credentials(email: "dev@example.com")?.lockedUntil == until)
            try await store.developers.recordSuccessfulLogin(id: developer.id, at: Self.time)
            let cleared = try #require(try await store.developers.credentials(email: "dev@example.com"))
            #expect(cleared.failedLogins == 0 && cleared.lockedUntil == nil)

            let session = try await store.developers.createSession(
                developerID: developer.id, digest: "d1", csrfToken: "c1", expiresAt: Self.time.addingTimeInterval(60))
            #expect(try await store.developers.session(digest: "d1", now: Self.time) == session)
            #expect(try await store.developers.session(digest: "d1", now: Self.time.addingTimeInterval(61)) == nil)
            #expect(try await store.developers.purgeExpiredSessions(now: Self.time.addingTimeInterval(61)) == 1)
        }
    }

    @Test(
        "keys are limited per developer, revoked only by their owner, and found by digest while live",
        arguments: TestBackend.available)
    func keys(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let owner = try await store.developers.create(
                try Self.registration("a@example.com"), passwordHash: "h", at: Self.time)
            let other = try await store.developers.create(
                try Self.registration("b@example.com"), passwordHash: "h", at: Self.time)
            let first = try await store.developers.createKey(
                developerID: owner.id, label: "app", digest: "k1", hint: "hdk_abc", limit: 2, at: Self.time)
            _ = try await store.developers.createKey(
                developerID: owner.id, label: "app 2", digest: "k2", hint: "hdk_def", limit: 2, at: Self.time)
            await #expect(throws: StoreError.self) {
                _ = try await store.developers.createKey(
                    developerID: owner.id, label: "one too many", digest: "k3", hint: "hdk_ghi", limit: 2, at: Self.time
                )
            }
            #expect(try await store.developers.keys(developerID: owner.id).map(\.label) == ["app 2", "app"])
            #expect(try await store.developers.keyOwner(digest: "k1")?.developer.id == owner.id)

            #expect(try await store.developers.revokeKey(id: first.id, developerID: other.id, at: Self.time) == nil)
            #expect(try await store.developers.keyOwner(digest: "k1") != nil)
            let revoked = try #require(
                try await store.developers.revokeKey(id: first.id, developerID: owner.id, at: Self.time))
            #expect(!revoked.isActive)
            #expect(try await store.developers.keyOwner(digest: "k1") == nil)
            // A revoked key frees its place.
            _ = try await store.developers.createKey(
                developerID: owner.id, label: "replacement", digest: "k3", hint: "hdk_ghi", limit: 2, at: Self.time)
            try await store.developers.touchKey(id: first.id, at: Self.time)
            #expect(
                try await store.developers.keys(developerID: owner.id).first { $0.id == first.id }?.lastUsedAt
                    == Self.time)
        }
    }

    @Test(
        "an application is filed once while pending or in force, answered once, published once answered, and gives access until it ends",
        arguments: TestBackend.available)
    func applications(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let parties = try await SharingStoreConformanceTests.prepare(store)
            let developer = try await store.developers.create(
                try Self.registration("dev@example.com", organisation: "六安数据科技有限公司", code: "11341500003010087Y"),
                passwordHash: "h", at: Self.time)
            let deadline = Self.time.addingTimeInterval(14 * 86_400)
            let filed = try await store.developers.createRequest(
                Self.draft(parties.entry), developer: developer, entry: parties.entry, deadline: deadline, at: Self.time
            )
            #expect(filed.state == .pending && filed.applicant == "六安数据科技有限公司")
            #expect(
                filed.number == "KF2026" + String(repeating: "0", count: 6 - String(filed.id).count) + String(filed.id))
            #expect(filed.providerDepartmentID == parties.provider.id && filed.resourceCode == parties.entry.code.text)
            await #expect(throws: OpenAccessError.alreadyApplied(number: filed.number)) {
                _ = try await store.developers.createRequest(
                    Self.draft(parties.entry), developer: developer, entry: parties.entry, deadline: deadline,
                    at: Self.time)
            }
            #expect(
                try await store.developers.access(developerID: developer.id, entryID: parties.entry.id, at: Self.time)
                    == nil)
            #expect(try await store.developers.decided(limit: 10, offset: 0).isEmpty)
            #expect(
                try await store.developers.requests(
                    providerDepartmentID: parties.provider.id, state: .pending, limit: 10
                )
                .map(\.id) == [filed.id])
            #expect(
                try await store.developers.requests(providerDepartmentID: parties.consumer.id, state: nil, limit: 10)
                    .isEmpty)

            let approved = try await store.developers.decide(
                id: filed.id, OpenAccessDecision(approve: true, comment: ""), by: parties.providerOfficer.id,
                at: Self.time)
            #expect(approved.state == .approved && approved.decidedBy == parties.providerOfficer.id)
            let until = try #require(approved.validUntil)
            #expect(CalendarDate(until) == CalendarDate(iso: "2026-09-02")!)
            await #expect(throws: OpenAccessError.alreadyDecided(.approved)) {
                _ = try await store.developers.decide(
                    id: filed.id, OpenAccessDecision(approve: false, comment: "重复"), by: parties.providerOfficer.id,
                    at: Self.time)
            }
            #expect(
                try await store.developers.access(developerID: developer.id, entryID: parties.entry.id, at: Self.time)?
                    .id == filed.id)
            #expect(
                try await store.developers.access(developerID: developer.id, entryID: parties.entry.id, at: until)
                    == nil)
            #expect(try await store.developers.decided(limit: 10, offset: 0).map(\.id) == [filed.id])
            // In force, a second application is refused; once it has ended, the developer may apply again.
            await #expect(throws: OpenAccessError.self) {
                _ = try await store.developers.createRequest(
                    Self.draft(parties.entry), developer: developer, entry: parties.entry, deadline: deadline,
                    at: Self.time)
            }
            let again = try await store.developers.createRequest(
                Self.draft(parties.entry), developer: developer, entry: parties.entry, deadline: deadline, at: until)
            #expect(again.state == .pending)
            #expect(try await store.developers.requests(developerID: developer.id).map(\.id) == [again.id, filed.id])
        }
    }

    @Test(
        "an approval in force is revoked once and gives no access after; late applications are escalated once, with their notifications",
        arguments: TestBackend.available)
    func revocationAndEscalation(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let parties = try await SharingStoreConformanceTests.prepare(store)
            let developer = try await store.developers.create(
                try Self.registration("dev@example.com"), passwordHash: "h", at: Self.time)
            let deadline = Self.time.addingTimeInterval(86_400)
            let filed = try await store.developers.createRequest(
                Self.draft(parties.entry), developer: developer, entry: parties.entry, deadline: deadline,
                at: Self.time)
            await #expect(throws: OpenAccessError.notInForce) {
                _ = try await store.developers.revoke(
                    id: filed.id, reason: "用途已变化", by: parties.providerOfficer.id, at: Self.time)
            }

            // Before the deadline nothing is late; after it, the application is escalated once.
            #expect(try await store.developers.overdue(at: Self.time).isEmpty)
            let late = deadline.addingTimeInterval(1)
            #expect(try await store.developers.overdue(at: late).map(\.id) == [filed.id])
            let notify: @Sendable (OpenAccessRequest) -> [NotificationDraft] = { request in
                [
                    NotificationDraft(
                        audience: .role(.operator), kind: .openAccessEscalated,
                        title: BilingualText(zh: request.number, en: request.number),
                        body: BilingualText(zh: "逾期", en: "overdue"))
                ]
            }
            let escalated = try await store.developers.escalateOverdue(at: late, notify: notify)
            #expect(escalated.map(\.id) == [filed.id] && escalated.first?.escalatedAt == late)
            #expect(try await store.developers.escalateOverdue(at: late.addingTimeInterval(60), notify: notify).isEmpty)
            let told = try await store.notifications.list(userID: parties.operatorUser.id, limit: 10)
            #expect(told.filter { $0.kind == .openAccessEscalated }.map(\.title.zh) == [filed.number])

            _ = try await store.developers.decide(
                id: filed.id, OpenAccessDecision(approve: true, comment: ""), by: parties.providerOfficer.id, at: late)
            #expect(try await store.developers.overdue(at: late).isEmpty)
            let revoked = try await store.developers.revoke(
                id: filed.id, reason: "用途已变化", by: parties.providerOfficer.id, at: late)
            #expect(revoked.state == .revoked && revoked.revocationReason == "用途已变化" && revoked.revokedAt == late)
            #expect(
                try await store.developers.access(developerID: developer.id, entryID: parties.entry.id, at: late) == nil
            )
            await #expect(throws: OpenAccessError.notInForce) {
                _ = try await store.developers.revoke(
                    id: filed.id, reason: "再次撤销", by: parties.providerOfficer.id, at: late)
            }
            #expect(try await store.developers.decided(limit: 10, offset: 0).first?.state == .revoked)
        }
    }
}
