import Foundation
import HuitongCore
import HuitongStore
import Testing

@testable import HuitongServices

@Suite("工作台 (use case)")
struct WorkbenchTests {
    @Test(
        "an application waits on the provider's 工作台 with its deadline until decided, then shows as done on both sides; each side sees its own group"
    )
    func applicationFlow() async throws {
        try await ServicesWorld.with { world in
            let sharing = SharingUseCases(store: world.store, settings: SharingSettings())
            let workbench = Workbench(store: world.store)
            let start = SharingWorkflowTests.start
            let filed = try await sharing.create(
                SharingWorkflowTests.draft(world), by: world.consumerOfficer, at: start)
            var consumer = try await workbench.items(for: world.consumerOfficer, now: start)
            #expect(consumer.todo.map(\.kind) == [.applicationDraft], "a draft not yet submitted waits on its author")
            #expect(consumer.todo.first?.group == .consumer)

            let submitted = try await sharing.submit(id: filed.id, by: world.consumerOfficer, at: start)
            let provider = try await workbench.items(for: world.providerOfficer, now: start)
            let waiting = try #require(provider.todo.first { $0.kind == .applicationToDecide })
            #expect(waiting.group == .provider && waiting.deadline == submitted.deadline)
            #expect(waiting.subject.contains(submitted.number) && waiting.subject.contains("常住人口基本信息"))
            #expect(!waiting.isOverdue(at: start))
            #expect(waiting.isOverdue(at: submitted.deadline!.addingTimeInterval(1)))
            // Another department's provider has nothing of it.
            #expect(try await workbench.items(for: world.foreignProvider, now: start).todo.isEmpty)

            _ = try await sharing.decide(
                id: submitted.id, ProviderDecision(kind: .approve, terms: GrantTerms(items: ["sfzhm", "xm", "csrq"])),
                by: world.providerOfficer, at: start)
            let after = try await workbench.items(for: world.providerOfficer, now: start)
            #expect(!after.todo.contains { $0.kind == .applicationToDecide })
            #expect(after.done.map(\.kind) == [.applicationDecided])
            consumer = try await workbench.items(for: world.consumerOfficer, now: start)
            #expect(consumer.todo.isEmpty && consumer.done.map(\.kind) == [.applicationGranted])
        }
    }

    @Test(
        "a failed load waits on the provider until a later load of the entry succeeds; the operator sees entries to review"
    )
    func failedLoadsAndReview() async throws {
        try await ServicesWorld.with { world in
            let store = world.store
            let workbench = Workbench(store: store)
            let job = try await store.ingestJobs.create(
                entryID: world.entry.id, mode: .replace, fileName: "人口.csv", contentHash: "a", totalBytes: 1,
                userID: nil, runner: "")
            _ = try await store.ingestJobs.finish(id: job.id, status: .failed, message: "坏文件", poolVersion: nil)
            let items = try await workbench.items(for: world.providerOfficer).todo
            let failed = try #require(items.first { $0.kind == .failedLoad })
            #expect(failed.href == "/console/jobs/\(job.id)" && failed.subject == "常住人口基本信息 · 人口.csv")
            let later = try await store.ingestJobs.create(
                entryID: world.entry.id, mode: .replace, fileName: "人口-2.csv", contentHash: "b", totalBytes: 1,
                userID: nil, runner: "")
            _ = try await store.ingestJobs.finish(id: later.id, status: .succeeded, message: "", poolVersion: nil)
            #expect(!(try await workbench.items(for: world.providerOfficer).todo.contains { $0.kind == .failedLoad }))

            let draft = try await store.catalog.create(
                try ServicesWorld.population(name: "流动人口信息").validated(), departmentID: world.provider.id,
                author: ServicesWorld.author)
            _ = try await store.catalog.transition(id: draft.id, .submit, author: ServicesWorld.author, comment: "")
            let review = try await workbench.items(for: world.bureauOperator).todo
            #expect(review.contains { $0.kind == .entryToReview && $0.subject == "流动人口信息" && $0.group == .operator })
            #expect(
                !(try await workbench.items(for: world.providerOfficer).todo.contains { $0.kind == .entryToReview }))
        }
    }
}
