import Foundation
import HTTPTypes
import HuitongCore
import HuitongServices
import HuitongStore
import Hummingbird

/// The consumer's applications and grants (我的申请): the list, one application's page with its history, and the
/// steps its applicant may take (submit a draft, withdraw one not yet decided).
extension ConsolePages {
    /// The entries behind a list of applications or grants, read once each, for their names and items' names.
    struct EntryNames {
        var entries: [Int64: CatalogEntry] = [:]

        mutating func load(_ id: Int64, from store: Store) async throws {
            if entries[id] == nil, let entry = try await store.catalog.find(id: id) { entries[id] = entry }
        }

        func name(_ id: Int64, code: String) -> String { entries[id]?.content.name ?? code }

        /// The items by their names, each code beside it in the `code` field of the model.
        func items(_ id: Int64, _ columns: [String]) -> [ItemName] {
            let names = Dictionary(
                (entries[id]?.content.items ?? []).map { ($0.columnName, $0.name) }, uniquingKeysWith: { a, _ in a })
            return columns.map { ItemName(name: names[$0] ?? $0, code: $0) }
        }
    }

    /// An information item as a list shows it: its name, its column code secondary.
    struct ItemName: Sendable {
        var name: String
        var code: String
    }

    /// States an applicant may still take back (`ApplicationAction.withdraw`).
    static func canWithdraw(_ state: ApplicationState) -> Bool {
        ApplicationAction.withdraw.allowedFrom.contains(state)
    }

    func applications(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await page(request, context, .consoleApplications) { user in
            let language = context.language
            let now = Date()
            let departments = try await departmentNames()
            let mine = try await store.applications.list(SharingUseCases.applicationScope(for: user), state: nil)
                .filter { $0.consumerDepartmentID == user.departmentID }
                .sorted { $0.createdAt > $1.createdAt }
            let grants = try await store.grants.list(SharingUseCases.grantScope(for: user))
                .filter { $0.consumerDepartmentID == user.departmentID }
            var entries = EntryNames()
            for id in Set(mine.map(\.content.entryID) + grants.map(\.entryID)) {
                try await entries.load(id, from: store)
            }
            let today = CalendarDate.today()
            let page = ConsoleApplicationsPage(
                title: pages.text("console_nav_applications", language),
                hasApplications: !mine.isEmpty,
                applications: mine.map { application in
                    ConsoleApplicationsPage.Application(
                        id: application.id, number: application.number, href: "/console/applications/\(application.id)",
                        resourceName: entries.name(application.content.entryID, code: application.resourceCode),
                        resourceCode: application.resourceCode,
                        provider: departments[application.providerDepartmentID] ?? "",
                        state: application.state.label.text(language),
                        deadline: application.deadline.map(PortalPages.dateTime) ?? "",
                        overdue: application.isOverdue(at: now),
                        created: PortalPages.dateTime(application.createdAt),
                        isDraft: application.state == .draft,
                        decision: application.decision?.comment ?? "")
                },
                hasGrants: !grants.isEmpty,
                grants: grants.map { grant in
                    ConsoleApplicationsPage.Grant(
                        id: grant.id, href: "/console/grants/\(grant.id)",
                        resourceName: entries.name(grant.entryID, code: grant.resourceCode),
                        resourceCode: grant.resourceCode,
                        provider: departments[grant.providerDepartmentID] ?? "",
                        items: entries.items(grant.entryID, grant.items),
                        period: "\(grant.validFrom) – \(grant.validTo)",
                        quota: PortalPages.grouped(Int64(grant.dailyQuota)), rate: grant.rateLimit,
                        channel: grant.channel.label.text(language),
                        active: grant.revokedAt == nil && grant.validFrom <= today && today <= grant.validTo,
                        revoked: grant.revokedAt != nil)
                },
                notice: doneNotice(request, language))
            return render(
                .consoleApplications, page, user: user, section: "/console/applications", context: context)
        }
    }

    /// One application of the officer's department: what was asked, where it stands, its history, its grant, and
    /// the steps left to its applicant. Another department's application answers as the API does (403/404).
    func application(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await page(request, context, .consoleApplications) { user in
            let language = context.language
            let application = try await sharing.ownApplication(try context.id(), of: user)
            let content = application.content
            let departments = try await departmentNames()
            var entries = EntryNames()
            try await entries.load(content.entryID, from: store)
            let systems = try await store.applicationSystems.list(departmentID: application.consumerDepartmentID)
            let systemNames = Dictionary(systems.map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
            let history = try await store.applications.history(id: application.id)
            let page = ConsoleApplicationPage(
                title: pages.text("application_title", language) + " " + application.number,
                id: application.id, number: application.number,
                resourceName: entries.name(content.entryID, code: application.resourceCode),
                resourceCode: application.resourceCode, entryHref: "/console/entries/\(content.entryID)",
                provider: departments[application.providerDepartmentID] ?? "",
                applicant: application.applicantName,
                state: application.state.label.text(language),
                deadline: application.deadline.map(PortalPages.dateTime),
                overdue: application.isOverdue(at: Date()),
                created: PortalPages.dateTime(application.createdAt),
                items: entries.items(content.entryID, content.items),
                purpose: content.purpose.label.text(language), purposeText: content.purposeText,
                legalBasis: content.legalBasis, scenario: content.scenario,
                systems: content.systemIDs.map { systemNames[$0] ?? "#\($0)" }.joined(separator: "、"),
                channel: content.channel.label.text(language),
                period: "\(content.validFrom) – \(content.validTo)",
                dailyCalls: PortalPages.grouped(Int64(content.expectedDailyCalls)),
                decision: application.decision.map { decision in
                    ConsoleApplicationPage.Decision(
                        kind: decision.kind.label.text(language), comment: decision.comment,
                        reason: decision.refusalReason?.label.text(language))
                },
                grantHref: application.grantID.map { "/console/grants/\($0)" },
                history: history.map { event in
                    ConsoleApplicationPage.Event(
                        at: PortalPages.dateTime(event.at), action: event.action.label.text(language),
                        state: event.to.label.text(language), actor: event.actorName, comment: event.comment)
                },
                isDraft: application.state == .draft,
                canWithdraw: Self.canWithdraw(application.state),
                notice: doneNotice(request, language))
            return render(
                .consoleApplication, page, user: user, section: "/console/applications", context: context)
        }
    }

    func submitApplication(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await page(request, context, .consoleApplications) { user in
            _ = try await ConsoleForm.read(request, context: context)
            let id = try context.id()
            // Whose application it is comes first, as in the API: another department learns nothing of its state.
            let existing = try await sharing.ownApplication(id, of: user)
            // As `POST /applications/{id}/submit`: only drafts; returned applications are resubmitted with a note.
            if existing.state != .draft {
                throw WorkflowError.transitionNotAllowed(.submit, from: existing.state)
            }
            _ = try await sharing.submit(id: id, by: user)
            return .redirect(to: "/console/applications?done=submitted", type: .normal)
        }
    }

    /// The applicant takes back an application not yet decided, after confirming on its page
    /// (`SharingUseCases.withdraw`, which puts the step on the audit log).
    func withdrawApplication(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await page(request, context, .consoleApplications) { user in
            let form = try await ConsoleForm.read(request, context: context)
            let id = try context.id()
            _ = try await sharing.withdraw(id: id, comment: form["comment"], by: user)
            return .redirect(to: "/console/applications/\(id)?done=withdrawn", type: .normal)
        }
    }
}

struct ConsoleApplicationPage: PageModel {
    var title: String
    var id: Int64
    var number: String
    var resourceName: String
    var resourceCode: String
    var entryHref: String
    var provider: String
    var applicant: String
    var state: String
    var deadline: String?
    var overdue: Bool
    var created: String
    var items: [ConsolePages.ItemName]
    var purpose: String
    var purposeText: String
    var legalBasis: String
    var scenario: String
    var systems: String
    var channel: String
    var period: String
    var dailyCalls: String
    var decision: Decision?
    var grantHref: String?
    var history: [Event]
    var isDraft: Bool
    var canWithdraw: Bool
    var notice: String?

    struct Decision: Sendable {
        var kind: String
        var comment: String
        var reason: String?
    }

    struct Event: Sendable {
        var at: String
        var action: String
        var state: String
        var actor: String
        var comment: String
    }
}
