import Foundation
import HuitongCore
import HuitongStore

/// An officer's 工作台: what waits for them (待办), soonest deadline first, and what they recently finished (已办),
/// grouped by the role the work belongs to, so that an officer who both provides and consumes sees the two apart.
/// Read from the same repositories and scopes as the pages each item links to.
public struct Workbench: Sendable {
    /// Which side of the officer's work an item belongs to.
    public enum Group: String, Sendable, Hashable, CaseIterable {
        case `operator`
        case provider
        case consumer
    }

    /// What an item asks for; its label comes from the locale files (`workbench_kind_<rawValue>`).
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case applicationToDecide = "application_to_decide"
        case objectionToAnswer = "objection_to_answer"
        case entryReturned = "entry_returned"
        case failedLoad = "failed_load"
        case failingSource = "failing_source"
        case applicationReturned = "application_returned"
        case applicationDraft = "application_draft"
        case entryToReview = "entry_to_review"
        case overdueApplication = "overdue_application"
        case applicationDecided = "application_decided"
        case applicationGranted = "application_granted"
    }

    public struct Item: Sendable, Hashable {
        public var group: Group
        public var kind: Kind
        /// What the item is about: an application's number and resource, an entry's name, a source's name.
        public var subject: String
        public var href: String
        public var deadline: Date?
        public var at: Date?

        public func isOverdue(at now: Date) -> Bool { deadline.map { $0 <= now } ?? false }
    }

    public let store: Store
    /// 已办 items kept per group.
    public var doneLimit = 8

    public init(store: Store) {
        self.store = store
    }

    /// The officer's 待办, soonest deadline first (items without one after), and 已办, newest first.
    public func items(for user: User, now: Date = Date()) async throws -> (todo: [Item], done: [Item]) {
        var todo: [Item] = []
        var done: [Item] = []
        var names = EntryNames(store: store)
        if AccessPolicy.allows(user, .catalogReview) {
            let queue = try await store.catalog.search(CatalogQuery(statuses: [.submitted], limit: 50), facets: [])
            todo += queue.entries.map {
                Item(
                    group: .operator, kind: .entryToReview, subject: $0.content.name, href: "/console/review",
                    deadline: nil, at: $0.updatedAt)
            }
        }
        if AccessPolicy.allows(user, .consoleOverdue) {
            var overdue = try await store.applications.overdue(in: .complianceReview, at: now)
            overdue += try await store.applications.overdue(in: .providerReview, at: now)
            try await names.learn(overdue.map(\.resourceCode))
            todo += overdue.map {
                Item(
                    group: .operator, kind: .overdueApplication, subject: names.subject($0),
                    href: "/console/overdue", deadline: $0.deadline, at: $0.submittedAt)
            }
        }
        let scope = SharingUseCases.applicationScope(for: user)
        if AccessPolicy.allows(user, .consoleToReview) {
            let waiting = try await store.applications.list(scope, state: .providerReview)
                .filter { $0.providerDepartmentID == user.departmentID }
            try await names.learn(waiting.map(\.resourceCode))
            todo += waiting.map {
                Item(
                    group: .provider, kind: .applicationToDecide, subject: names.subject($0),
                    href: "/console/to-review", deadline: $0.deadline, at: $0.submittedAt)
            }
            var decided: [SharingApplication] = []
            for state in [ApplicationState.approved, .partiallyApproved, .rejected] {
                decided += try await store.applications.list(scope, state: state)
                    .filter { $0.providerDepartmentID == user.departmentID }
            }
            let recent = decided.sorted { $0.updatedAt > $1.updatedAt }.prefix(doneLimit)
            try await names.learn(recent.map(\.resourceCode))
            done += recent.map {
                Item(
                    group: .provider, kind: .applicationDecided, subject: names.subject($0),
                    href: "/console/to-review", deadline: nil, at: $0.updatedAt)
            }
        }
        if AccessPolicy.allows(user, .consoleObjections) {
            var open: [Objection] = []
            for state in [ObjectionState.open, .escalated] {
                open += try await store.objections.list(
                    ObjectionUseCases.scope(for: user), filter: ObjectionFilter(state: state))
            }
            let mine = open.filter { $0.providerDepartmentID == user.departmentID }
            try await names.learn(mine.map(\.resourceCode))
            todo += mine.map {
                Item(
                    group: .provider, kind: .objectionToAnswer,
                    subject: "\($0.number) · \(names.name($0.resourceCode))", href: "/console/objections",
                    deadline: $0.deadline, at: nil)
            }
        }
        if AccessPolicy.allows(user, .consoleEntries) {
            let returned = try await store.catalog.search(
                CatalogQuery(departmentIDs: [user.departmentID], statuses: [.returned], limit: 50), facets: [])
            todo += returned.entries.map {
                Item(
                    group: .provider, kind: .entryReturned, subject: $0.content.name,
                    href: "/console/entries/\($0.id)", deadline: nil, at: $0.updatedAt)
            }
        }
        if AccessPolicy.allows(user, .ingestUpload) {
            let failed = try await store.ingestJobs.latestFailed(departmentID: user.departmentID, limit: 20)
            todo += failed.map { job in
                Item(
                    group: .provider, kind: .failedLoad, subject: "\(job.entryName) · \(job.job.fileName)",
                    href: "/console/jobs/\(job.job.id)", deadline: nil, at: job.job.finishedAt ?? job.job.createdAt)
            }
            let sources = try await store.collectionSources.list(departmentID: user.departmentID)
            todo += sources.filter { $0.enabled && $0.consecutiveFailures > 0 }.map {
                Item(
                    group: .provider, kind: .failingSource, subject: $0.name, href: "/console/collection/\($0.id)",
                    deadline: nil, at: $0.updatedAt)
            }
        }
        if AccessPolicy.allows(user, .consoleApplications) {
            let own = try await store.applications.list(scope, state: nil)
                .filter { $0.consumerDepartmentID == user.departmentID }
            let waiting = own.filter { $0.state == .returnedForInfo || $0.state == .draft }
            let granted = own.filter { [.approved, .partiallyApproved, .resolvedApproved].contains($0.state) }
                .sorted { $0.updatedAt > $1.updatedAt }.prefix(doneLimit)
            try await names.learn(waiting.map(\.resourceCode) + granted.map(\.resourceCode))
            todo += waiting.map {
                Item(
                    group: .consumer, kind: $0.state == .draft ? .applicationDraft : .applicationReturned,
                    subject: names.subject($0), href: "/console/applications", deadline: nil, at: $0.updatedAt)
            }
            done += granted.map {
                Item(
                    group: .consumer, kind: .applicationGranted, subject: names.subject($0),
                    href: "/console/applications", deadline: nil, at: $0.updatedAt)
            }
        }
        todo.sort { first, second in
            switch (first.deadline, second.deadline) {
            case (let a?, let b?): a < b
            case (.some, nil): true
            case (nil, .some): false
            case (nil, nil): (first.at ?? .distantPast) > (second.at ?? .distantPast)
            }
        }
        return (todo, done)
    }

    /// Entry names by resource code, looked up once per code an item names.
    struct EntryNames {
        let store: Store
        var known: [String: String] = [:]

        mutating func learn(_ codes: [String]) async throws {
            for code in Set(codes) where known[code] == nil {
                known[code] = try await store.catalog.find(code: code)?.content.name ?? code
            }
        }

        func name(_ code: String) -> String { known[code] ?? code }

        func subject(_ application: SharingApplication) -> String {
            "\(application.number) · \(name(application.resourceCode))"
        }
    }
}
