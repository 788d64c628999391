import Foundation
import HuitongCore
import HuitongStore
import HuitongTestSupport
import Testing

/// Applications, grants, notifications and holiday years, proven on every backend.
@Suite("Sharing store conformance")
struct SharingStoreConformanceTests {
    struct Parties {
        var provider: Department
        var consumer: Department
        var entry: CatalogEntry
        var providerOfficer: User
        var consumerOfficer: User
        var operatorUser: User
    }

    static func prepare(_ store: Store) async throws -> Parties {
        let provider = try await CatalogStoreConformanceTests.prepare(store)
        let consumer = try await store.departments.create(
            DepartmentDraft(name: "霍山县民政局", code: "HSMZ", creditCode: nil, regionCode: "341525", parentID: nil))
        let author = CatalogStoreConformanceTests.author
        var entry = try await store.catalog.create(
            try CatalogStoreConformanceTests.population().validated(), departmentID: provider.id, author: author)
        _ = try await store.catalog.transition(id: entry.id, .submit, author: author, comment: "")
        entry = try await store.catalog.transition(id: entry.id, .publish, author: author, comment: "")
        func user(_ name: String, _ department: Department, _ roles: Set<Role>) async throws -> User {
            try await store.users.create(
                UserDraft(username: name, displayName: name, departmentID: department.id, roles: roles),
                passwordHash: "x")
        }
        return Parties(
            provider: provider, consumer: consumer, entry: entry,
            providerOfficer: try await user("gaj.provider", provider, [.provider]),
            consumerOfficer: try await user("hs.consumer", consumer, [.consumer, .provider]),
            operatorUser: try await user("admin", provider, [.operator]))
    }

    static func draft(_ entry: CatalogEntry) -> ApplicationDraft {
        ApplicationDraft(
            entryID: entry.id, items: ["sfzhm", "xm"], purpose: .dataVerification, purposeText: "低保核验",
            legalBasis: "《社会救助暂行办法》", scenario: "低保审核", validFrom: CalendarDate(iso: "2026-01-01")!,
            validTo: CalendarDate(iso: "2026-12-31")!, expectedDailyCalls: 100)
    }

    @Test(
        "an application routed from another node is filed once, however often it is sent",
        arguments: TestBackend.available)
    func routedApplicationFiledOnce(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let parties = try await Self.prepare(store)
            let time = CalendarDate(iso: "2026-03-02")!.startOfDay()
            let applicant = ChangeAuthor(userID: nil, name: "人社局 刘洋（341502）")
            let first = try await store.applications.create(
                Self.draft(parties.entry), consumerDepartmentID: parties.consumer.id, applicant: applicant,
                routedFrom: "341502/6f1c2a4e", at: time)
            let again = try await store.applications.create(
                Self.draft(parties.entry), consumerDepartmentID: parties.consumer.id, applicant: applicant,
                routedFrom: "341502/6f1c2a4e", at: time)
            let other = try await store.applications.create(
                Self.draft(parties.entry), consumerDepartmentID: parties.consumer.id, applicant: applicant,
                routedFrom: "341502/0d7b4c55", at: time)
            #expect(again.id == first.id && again.number == first.number)
            #expect(other.id != first.id)
            let scope = ApplicationScope.department(parties.consumer.id, asConsumer: true, asProvider: true)
            #expect(try await store.applications.list(scope, state: nil).count == 2)
        }
    }

    @Test(
        "applications are numbered, scoped, moved only from the state they are in, and approved with a grant",
        arguments: TestBackend.available)
    func applications(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let parties = try await Self.prepare(store)
            let time = CalendarDate(iso: "2026-03-02")!.startOfDay()
            let applicant = ChangeAuthor(userID: parties.consumerOfficer.id, name: "霍山 李")
            let first = try await store.applications.create(
                Self.draft(parties.entry), consumerDepartmentID: parties.consumer.id, applicant: applicant, at: time)
            let second = try await store.applications.create(
                Self.draft(parties.entry), consumerDepartmentID: parties.consumer.id, applicant: applicant, at: time)
            #expect(first.number == "SQ-2026-0001" && second.number == "SQ-2026-0002")
            #expect(first.state == .draft && first.providerDepartmentID == parties.provider.id)
            #expect(first.resourceCode == parties.entry.code.text && first.content == Self.draft(parties.entry))

            // A system of another department cannot be named.
            let foreign = try await store.applicationSystems.create(
                departmentID: parties.provider.id, ApplicationSystemDraft(name: "户籍系统", description: ""))
            var withSystem = Self.draft(parties.entry)
            withSystem.systemIDs = [foreign.id]
            await #expect {
                try await store.applications.create(
                    withSystem, consumerDepartmentID: parties.consumer.id, applicant: applicant, at: time)
            } throws: { error in (error as? ValidationError)?.issues.map(\.field) == ["systemIDs[0]"] }

            // Providers do not see drafts.
            let asProvider = ApplicationScope.department(parties.provider.id, asConsumer: false, asProvider: true)
            #expect(try await store.applications.list(asProvider, state: nil).isEmpty)
            let asConsumer = ApplicationScope.department(parties.consumer.id, asConsumer: true, asProvider: true)
            #expect(try await store.applications.list(asConsumer, state: nil).map(\.id) == [second.id, first.id])

            var submitted = first
            submitted.state = .providerReview
            submitted.submittedAt = time
            submitted.deadline = time.addingTimeInterval(86_400)
            let events = [
                ApplicationEvent(
                    action: .submit, from: .draft, to: .submitted, actorID: applicant.userID, actorName: applicant.name,
                    comment: "", at: time),
                ApplicationEvent(
                    action: .route, from: .submitted, to: .providerReview, actorID: nil, actorName: "系统",
                    comment: "", at: time),
            ]
            let toReview = NotificationDraft(
                audience: .department(parties.provider.id, .provider), kind: .applicationToReview,
                title: BilingualText(zh: "待审核", en: "to review"), body: BilingualText(zh: "请审核", en: "review"),
                applicationID: first.id)
            let moved = try await store.applications.apply(
                ApplicationChange(
                    application: submitted, expectedState: .draft, events: events, notifications: [toReview]))
            #expect(moved.state == .providerReview && moved.deadline == submitted.deadline)
            #expect(try await store.applications.list(asProvider, state: .providerReview).map(\.id) == [first.id])
            #expect(try await store.applications.list(.all, state: .draft).map(\.id) == [second.id])
            await #expect(throws: WorkflowError.changedConcurrently(expected: .draft)) {
                try await store.applications.apply(
                    ApplicationChange(application: submitted, expectedState: .draft, events: events))
            }
            #expect(try await store.applications.history(id: first.id).map(\.action) == [.create, .submit, .route])
            #expect(try await store.notifications.list(userID: parties.providerOfficer.id, limit: 10).count == 1)
            #expect(try await store.notifications.list(userID: parties.consumerOfficer.id, limit: 10).isEmpty)

            #expect(try await store.applications.overdue(in: .providerReview, at: time).isEmpty)
            #expect(
                try await store.applications.overdue(in: .providerReview, at: time.addingTimeInterval(86_400))
                    .map(\.id) == [first.id])

            // Approval writes the grant with the step.
            var approved = moved
            approved.state = .approved
            approved.deadline = nil
            approved.decision = ProviderDecision(kind: .approve)
            let grantDraft = GrantDraft(
                applicationID: first.id, entryID: parties.entry.id, resourceCode: parties.entry.code.text,
                providerDepartmentID: parties.provider.id, consumerDepartmentID: parties.consumer.id, systemIDs: [],
                items: ["sfzhm", "xm"], rowFilter: RowFilter(column: "xzqhdm", prefix: "341525"),
                masking: ["sfzhm": .keep(first: 1, last: 2)], purpose: .dataVerification, purposeText: "低保核验",
                channel: .api, rateLimit: 5, dailyQuota: 100, validFrom: CalendarDate(iso: "2026-01-01")!,
                validTo: CalendarDate(iso: "2026-12-31")!)
            let done = try await store.applications.apply(
                ApplicationChange(
                    application: approved, expectedState: .providerReview,
                    events: [
                        ApplicationEvent(
                            action: .approve, from: .providerReview, to: .approved,
                            actorID: parties.providerOfficer.id, actorName: "李强", comment: "同意", at: time)
                    ], grant: grantDraft))
            let grantID = try #require(done.grantID)
            let grant = try #require(try await store.grants.find(id: grantID))
            #expect(grant.items == ["sfzhm", "xm"] && grant.masking == ["sfzhm": .keep(first: 1, last: 2)])
            #expect(grant.rowFilter == RowFilter(column: "xzqhdm", prefix: "341525"))
            #expect(done.decision == ProviderDecision(kind: .approve))
        }
    }

    @Test(
        "the gateway lookup finds only unrevoked, unexpired grants; revocation happens once",
        arguments: TestBackend.available)
    func grants(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let parties = try await Self.prepare(store)
            let time = Date()
            let applicant = ChangeAuthor(userID: parties.consumerOfficer.id, name: "霍山 李")
            var grantIDs: [Int64] = []
            for validTo in ["2026-06-30", "2026-12-31"] {
                let application = try await store.applications.create(
                    Self.draft(parties.entry), consumerDepartmentID: parties.consumer.id, applicant: applicant,
                    at: time)
                var approved = application
                approved.state = .approved
                let done = try await store.applications.apply(
                    ApplicationChange(
                        application: approved, expectedState: .draft, events: [],
                        grant: GrantDraft(
                            applicationID: application.id, entryID: parties.entry.id,
                            resourceCode: parties.entry.code.text, providerDepartmentID: parties.provider.id,
                            consumerDepartmentID: parties.consumer.id, systemIDs: [3, 4], items: ["xm"], rowFilter: nil,
                            masking: [:], purpose: .workReference, purposeText: "参考", channel: .bulkExtract,
                            rateLimit: 1, dailyQuota: 10, validFrom: CalendarDate(iso: "2026-01-01")!,
                            validTo: CalendarDate(iso: validTo)!)))
                grantIDs.append(try #require(done.grantID))
            }
            let code = parties.entry.code.text
            let july = CalendarDate(iso: "2026-07-01")!
            #expect(
                try await store.grants.activeGrants(
                    consumerDepartmentID: parties.consumer.id, resourceCode: code, on: CalendarDate(iso: "2026-06-30")!
                ).map(\.id) == grantIDs)
            let found = try await store.grants.activeGrants(
                consumerDepartmentID: parties.consumer.id, resourceCode: code, on: july)
            #expect(found.map(\.id) == [grantIDs[1]])
            #expect(found.first?.systemIDs == [3, 4] && found.first?.channel == .bulkExtract)
            #expect(
                try await store.grants.activeGrants(
                    consumerDepartmentID: parties.provider.id, resourceCode: code, on: july
                ).isEmpty)

            let revoker = ChangeAuthor(userID: parties.providerOfficer.id, name: "李强")
            let revoked = try await store.grants.revoke(
                id: grantIDs[1], by: revoker, reason: "业务调整", at: time,
                notifications: [
                    NotificationDraft(
                        audience: .department(parties.consumer.id, .consumer), kind: .grantRevoked,
                        title: BilingualText(zh: "撤销", en: "revoked"), body: BilingualText(zh: "业务调整", en: "x"),
                        grantID: grantIDs[1])
                ])
            #expect(revoked.revokedByName == "李强" && revoked.revocationReason == "业务调整")
            #expect(revoked.status(at: time) == .revoked)
            #expect(
                try await store.grants.activeGrants(
                    consumerDepartmentID: parties.consumer.id, resourceCode: code, on: july
                ).isEmpty)
            await #expect(throws: StoreError.self) {
                try await store.grants.revoke(
                    id: grantIDs[1], by: revoker, reason: "again", at: time, notifications: [])
            }
            await #expect(throws: StoreError.notFound(entity: "grant", key: "999")) {
                try await store.grants.revoke(id: 999, by: revoker, reason: "x", at: time, notifications: [])
            }
            #expect(try await store.grants.list(.all).map(\.id) == grantIDs.reversed())
            #expect(
                try await store.grants.list(.department(parties.provider.id, asConsumer: true, asProvider: false))
                    .isEmpty)
            #expect(try await store.notifications.unreadCount(userID: parties.consumerOfficer.id) == 1)
        }
    }

    @Test(
        "notifications reach their audience, unread first, and only their owner reads them",
        arguments: TestBackend.available)
    func notifications(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let parties = try await Self.prepare(store)
            func draft(_ audience: NotificationAudience, _ text: String) -> NotificationDraft {
                NotificationDraft(
                    audience: audience, kind: .escalated, title: BilingualText(zh: text, en: text),
                    body: BilingualText(zh: text, en: text))
            }
            let time = Date()
            let written = try await store.notifications.send(
                [
                    draft(.role(.operator), "一"), draft(.user(parties.operatorUser.id), "二"),
                    draft(.department(parties.consumer.id, .provider), "三"),
                ], at: time)
            #expect(written == 3, "one operator, the operator again, one provider officer of the consumer department")
            let mine = try await store.notifications.list(userID: parties.operatorUser.id, limit: 10)
            #expect(mine.map(\.title.zh) == ["二", "一"])
            let read = try await store.notifications.markRead(id: mine[0].id, userID: parties.operatorUser.id, at: time)
            #expect(read.readAt != nil)
            #expect(
                try await store.notifications.list(userID: parties.operatorUser.id, limit: 10).map(\.title.zh)
                    == ["一", "二"], "unread first")
            #expect(try await store.notifications.unreadCount(userID: parties.operatorUser.id) == 1)
            await #expect(throws: StoreError.self) {
                try await store.notifications.markRead(id: mine[1].id, userID: parties.consumerOfficer.id, at: time)
            }
        }
    }

    @Test("holiday years are saved, replaced and seeded without undoing edits", arguments: TestBackend.available)
    func holidays(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let day = { (text: String) in CalendarDate(iso: text)! }
            let year = HolidayYear(
                year: 2026, source: "通知",
                holidays: [HolidayPeriod(name: "春节", from: day("2026-02-15"), to: day("2026-02-23"))],
                workdays: [day("2026-02-28"), day("2026-02-14")])
            #expect(try await store.holidays.save(year))
            #expect(try await store.holidays.year(2026)?.workdays == [day("2026-02-14"), day("2026-02-28")])
            var edited = year
            edited.workdays = [day("2026-02-14")]
            #expect(try await store.holidays.save(edited) == false)
            let other = HolidayYear(year: 2025, source: "", holidays: [], workdays: [])
            #expect(try await store.holidays.saveMissing([year, other]) == 1)
            #expect(try await store.holidays.years().map(\.year) == [2025, 2026])
            let calendar = try await store.holidays.calendar()
            #expect(!calendar.isWorkingDay(day("2026-02-28")), "the edit stands")
            #expect(calendar.isWorkingDay(day("2026-02-14")))
            var broken = year
            broken.workdays = [day("2026-02-16")]
            await #expect(throws: ValidationError.self) { try await store.holidays.save(broken) }
        }
    }
}
