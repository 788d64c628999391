import Foundation
import HuitongCore
import HuitongStore
import Testing

@testable import HuitongServices

/// The sharing workflow as use cases, without HTTP: who may take which step, and what a step leaves behind.
@Suite("Sharing workflow (use case)")
struct SharingWorkflowTests {
    static let start = Date(timeIntervalSince1970: 1_788_000_000)  // 2026-08-29, a Saturday in China

    static func draft(_ world: ServicesWorld, items: [String] = ["sfzhm", "xm", "csrq"]) -> ApplicationDraft {
        let today = CalendarDate(start)
        return ApplicationDraft(
            entryID: world.entry.id, items: items, purpose: .dataVerification, purposeText: "核验低保申请人的户籍",
            legalBasis: "《社会救助暂行办法》第十一条", scenario: "最低生活保障审核", validFrom: today,
            validTo: CalendarDate(start.addingTimeInterval(180 * 86_400)), expectedDailyCalls: 500)
    }

    @Test("an application goes to the entry's provider alone; a part approval grants only what was approved")
    func applyDecideGrant() async throws {
        try await ServicesWorld.with { world in
            let sharing = SharingUseCases(store: world.store, settings: SharingSettings())
            await #expect(throws: AccessError.self, "a provider officer does not apply") {
                try await sharing.create(Self.draft(world), by: world.providerOfficer, at: Self.start)
            }
            let filed = try await sharing.create(Self.draft(world), by: world.consumerOfficer, at: Self.start)
            let submitted = try await sharing.submit(id: filed.id, by: world.consumerOfficer, at: Self.start)
            #expect(submitted.state == .providerReview)
            #expect(submitted.deadline.map { $0 > Self.start } == true, "the provider gets a working-day deadline")

            let approval = ProviderDecision(kind: .approvePartially, terms: GrantTerms(items: ["sfzhm", "xm"]))
            do {
                _ = try await sharing.decide(id: submitted.id, approval, by: world.foreignProvider, at: Self.start)
                Issue.record("a provider of another department decided the application")
            } catch let error as AccessError {
                #expect(error.message.zh.contains("只有提供部门的数据提供方可以审核该申请"))
            }
            let decided = try await sharing.decide(
                id: submitted.id, approval, by: world.providerOfficer, at: Self.start)
            #expect(decided.state == .partiallyApproved)
            let grantID = try #require(decided.grantID)
            let grant = try #require(try await world.store.grants.find(id: grantID))
            #expect(grant.items == ["sfzhm", "xm"], "the grant covers the approved items only")
            #expect(grant.consumerDepartmentID == world.consumer.id)

            await #expect(throws: AccessError.self, "only the provider or the operator revokes") {
                try await sharing.revoke(
                    grantID: grant.id, reason: "不再需要", by: world.consumerOfficer, at: Self.start)
            }
            let revoked = try await sharing.revoke(
                grantID: grant.id, reason: "申请部门已不再办理该业务", by: world.providerOfficer, at: Self.start)
            #expect(revoked.revokedAt != nil)
        }
    }

    @Test("an application left past its deadline is escalated once to the operator by the sweep")
    func overdueEscalatesOnce() async throws {
        try await ServicesWorld.with { world in
            let sharing = SharingUseCases(store: world.store, settings: SharingSettings(providerReviewDays: 2))
            let filed = try await sharing.create(Self.draft(world), by: world.consumerOfficer, at: Self.start)
            let submitted = try await sharing.submit(id: filed.id, by: world.consumerOfficer, at: Self.start)
            let deadline = try #require(submitted.deadline)

            #expect(try await sharing.sweepOverdue(at: deadline.addingTimeInterval(-60)).isEmpty, "not yet due")
            let escalated = try await sharing.sweepOverdue(at: deadline.addingTimeInterval(60))
            #expect(escalated.map(\.id) == [submitted.id])
            #expect(escalated.first?.state == .coordination)
            #expect(try await sharing.sweepOverdue(at: deadline.addingTimeInterval(120)).isEmpty, "escalated once")
        }
    }
}
