import Foundation
import HuitongCore
import HuitongServices
import HuitongStore
import Hummingbird

/// The signed-in console (控制台), one section per role: the operator's dashboard (一张图), departments and users,
/// catalog review queue, overdue applications and audit viewer; the provider's entries, applications to review and
/// objections; the consumer's catalog search, applications, grants, application systems and usage.
///
/// Pages read through the same repositories and services as the JSON API, and every form posts to the service the
/// API calls (`CatalogLifecycle`, `SharingUseCases`, `CredentialUseCases`), so no rule lives here twice.
struct ConsolePages {
    let store: Store
    let catalog: CatalogLifecycle
    let pages: PageRenderer
    let cookies: CookieSettings
    let sharing: SharingUseCases
    let quality: QualityUseCases
    let credentials: CredentialUseCases
    let audit: AuditTrail
    let verifications: AuditVerificationCache
    let developers: DeveloperUseCases
    /// Uploads from the entry page go through the upload API's own steps.
    let ingest: IngestAPI
    /// Collection sources (归集源), their runs and monitoring.
    let collection: CollectionUseCases
    /// The gateway, which a grant's "try it" calls in-process as the chosen credential's system.
    let gateway: GatewayAPI
    /// The node's public address, as the grant documentation's examples name it.
    let baseURL: String

    /// The window the dashboard and usage charts cover, as the statistics API defaults to.
    static let days = 30

    func register(on router: Router<HuitongRequestContext>) {
        router.get("/console", use: overview)
        // Operator
        router.get("/console/dashboard", use: dashboard)
        router.get("/console/departments", use: departments)
        router.get("/console/review", use: reviewQueue)
        router.post("/console/review/:id/publish") { request, context in
            try await review(.publish, request, context)
        }
        router.post("/console/review/:id/return") { request, context in
            try await review(.return, request, context)
        }
        router.get("/console/overdue", use: overdue)
        router.get("/console/lists", use: lists)
        router.get("/console/audit", use: auditViewer)
        // Provider
        router.get("/console/entries", use: entries)
        router.get("/console/entries/new", use: newEntryForm)
        router.post("/console/entries", use: createEntry)
        router.get("/console/entries/:id", use: entry)
        router.post("/console/entries/:id/submit", use: submitEntry)
        router.get("/console/entries/:id/edit", use: editEntryForm)
        router.post("/console/entries/:id", use: updateEntry)
        router.post("/console/entries/:id/uploads", use: uploadToEntry)
        router.get("/console/jobs/:id", use: job)
        router.get("/console/to-review", use: toReview)
        router.post("/console/applications/:id/decision", use: decide)
        router.get("/console/objections", use: objections)
        // Consumer
        router.get("/console/catalog", use: catalog)
        router.get("/console/apply/:id", use: applyForm)
        router.post("/console/apply/:id", use: apply)
        router.get("/console/applications", use: applications)
        router.get("/console/applications/:id", use: application)
        router.post("/console/applications/:id/submit", use: submitApplication)
        router.post("/console/applications/:id/withdraw", use: withdrawApplication)
        router.get("/console/grants/:id", use: grant)
        router.post("/console/grants/:id/try", use: tryGrant)
        router.get("/console/systems", use: systems)
        router.post("/console/systems", use: createSystem)
        router.post("/console/systems/:id/credentials", use: createCredential)
        router.post("/console/systems/:id/credentials/:credentialID/rotate", use: rotateCredential)
        router.post("/console/systems/:id/credentials/:credentialID/revoke", use: revokeCredential)
        router.get("/console/usage", use: usage)
        registerOpenAccess(on: router)
        registerCollection(on: router)
        registerAccounts(on: router)
        registerAuditViews(on: router)
    }

    // MARK: Frame

    /// A page for a signed-in officer the policy lets do `action` (any officer when nil): strangers go to sign in
    /// first, and come back here afterwards.
    func page(
        _ request: Request, _ context: HuitongRequestContext, _ action: OfficerAction? = nil,
        _ build: (User) async throws -> Response
    ) async throws -> Response {
        guard let user = context.principal?.user else {
            let path = request.uri.path
            return .redirect(to: "/login?next=\(path)", type: .normal)
        }
        if let action { try AccessPolicy.require(user, action) }
        var response = try await build(user)
        if let language = request.uri.queryParameters["lang"].flatMap({ Language(rawValue: String($0)) }) {
            response.setCookie(cookies.language(language))
        }
        return response
    }

    /// Renders a console page with its section navigation; `section` is the nav link to mark as current.
    func render(
        _ template: PageTemplate, _ page: some PageModel, user: User, section: String,
        context: HuitongRequestContext, status: HTTPResponse.Status = .ok
    ) -> Response {
        let language = context.language
        let nav = Self.sections(for: user).map { link in
            ConsoleNavLink(href: link.href, label: pages.text(link.key, language), current: link.href == section)
        }
        let framed = ConsolePage(nav: nav, title: pages.text("console_title", language), page: page)
        return pages.render(template, framed, context: context, status: status)
    }

    struct Section {
        var href: String
        var key: String
        /// What the page behind the link asks of its visitor (nil: any officer).
        var action: OfficerAction?
    }

    /// The console's sections in the order the navigation lists them.
    static let allSections = [
        Section(href: "/console", key: "console_nav_overview", action: nil),
        Section(href: "/console/dashboard", key: "console_nav_dashboard", action: .consoleDashboard),
        Section(href: "/console/departments", key: "console_nav_departments", action: .consoleDepartments),
        Section(href: "/console/review", key: "console_nav_review", action: .catalogReview),
        Section(href: "/console/overdue", key: "console_nav_overdue", action: .consoleOverdue),
        Section(href: "/console/lists", key: "console_nav_lists", action: .consoleLists),
        Section(href: "/console/audit", key: "console_nav_audit", action: .auditReadLog),
        Section(href: "/console/entries", key: "console_nav_entries", action: .consoleEntries),
        Section(href: "/console/collection", key: "console_nav_collection", action: .ingestUpload),
        Section(href: "/console/to-review", key: "console_nav_to_review", action: .consoleToReview),
        Section(href: "/console/objections", key: "console_nav_objections", action: .consoleObjections),
        Section(href: "/console/open-requests", key: "console_nav_open_requests", action: .consoleOpenRequests),
        Section(href: "/quality", key: "console_nav_quality", action: .qualityReadRanking),
        Section(href: "/console/assessment", key: "console_nav_assessment", action: .assessmentReadReport),
        Section(href: "/console/catalog", key: "console_nav_catalog", action: .consoleCatalog),
        Section(href: "/console/applications", key: "console_nav_applications", action: .consoleApplications),
        Section(href: "/console/systems", key: "console_nav_systems", action: .consoleSystems),
        Section(href: "/console/usage", key: "console_nav_usage", action: .consoleUsage),
        Section(href: "/console/matters", key: "console_nav_matters", action: .mattersManage),
        Section(
            href: "/console/joint-services", key: "console_nav_joint_services", action: .mattersManageJointServices),
    ]

    /// The sections whose pages `user` may open, in the order the navigation lists them.
    static func sections(for user: User) -> [Section] {
        allSections.filter { section in section.action.map { AccessPolicy.allows(user, $0) } ?? true }
    }

    /// Which side of an officer's work each section serves, for the 工作台's shortcuts (others are common).
    static let sectionGroups: [String: Workbench.Group] = [
        "/console/dashboard": .operator, "/console/departments": .operator, "/console/review": .operator,
        "/console/overdue": .operator, "/console/lists": .operator, "/console/audit": .operator,
        "/console/entries": .provider, "/console/collection": .provider, "/console/to-review": .provider,
        "/console/objections": .provider, "/console/open-requests": .provider, "/console/catalog": .consumer,
        "/console/applications": .consumer, "/console/systems": .consumer, "/console/usage": .consumer,
    ]

    /// The message a completed form leaves behind (`?done=published`), when it is one the console knows.
    func doneNotice(_ request: Request, _ language: Language) -> String? {
        guard let done = request.uri.queryParameters["done"].map(String.init),
            Self.doneKeys.contains(done)
        else { return nil }
        return pages.text("console_done_\(done)", language)
    }

    static let doneKeys: Set<String> = [
        "published", "returned", "submitted", "decided", "applied", "drafted", "created", "edited", "revoked",
        "started", "withdrawn", "system_created", "credential_revoked",
        "password", "department_created", "department_edited", "user_edited",
    ]

    // MARK: Overview

    func overview(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await page(request, context) { user in
            let language = context.language
            let department = try await store.departments.find(id: user.departmentID)
            let now = Date()
            let (todo, done) = try await Workbench(store: store).items(for: user, now: now)
            let tiles = Self.sections(for: user).dropFirst().map { link in
                (
                    group: Self.sectionGroups[link.href],
                    tile: ConsoleOverviewPage.Tile(
                        href: link.href, label: pages.text(link.key, language),
                        hint: pages.text(link.key + "_hint", language))
                )
            }
            func groups(_ items: [Workbench.Item]) -> [ConsoleOverviewPage.WorkGroup] {
                Workbench.Group.allCases.compactMap { group in
                    let mine = items.filter { $0.group == group }
                    guard !mine.isEmpty else { return nil }
                    return ConsoleOverviewPage.WorkGroup(
                        label: pages.text("workbench_group_\(group.rawValue)", language), count: mine.count,
                        items: mine.map { item in
                            ConsoleOverviewPage.WorkItem(
                                kind: pages.text("workbench_kind_\(item.kind.rawValue)", language),
                                subject: item.subject, href: item.href,
                                deadline: item.deadline.map(PortalPages.dateTime),
                                overdue: item.isOverdue(at: now),
                                at: item.at.map(PortalPages.dateTime))
                        })
                }
            }
            // Shortcuts by the role they serve: an officer with two roles sees each role's apart.
            var shortcuts = Workbench.Group.allCases.compactMap { group -> ConsoleOverviewPage.ShortcutGroup? in
                let mine = tiles.filter { $0.group == group }.map(\.tile)
                guard !mine.isEmpty else { return nil }
                return ConsoleOverviewPage.ShortcutGroup(
                    label: pages.text("workbench_group_\(group.rawValue)", language), tiles: mine)
            }
            let other = tiles.filter { $0.group == nil }.map(\.tile)
            if !other.isEmpty {
                shortcuts.append(
                    ConsoleOverviewPage.ShortcutGroup(
                        label: pages.text("workbench_group_common", language), tiles: other))
            }
            let page = ConsoleOverviewPage(
                user: ConsoleOverviewPage.User(username: user.username, displayName: user.displayName),
                roles: user.roles.sorted().map { $0.displayName.text(language) },
                department: department.map {
                    ConsoleOverviewPage.Department(name: $0.name, code: $0.code, regionCode: $0.regionCode)
                },
                sections: tiles.map(\.tile),
                todo: groups(todo), hasTodo: !todo.isEmpty, todoCount: todo.count,
                done: groups(done), hasDone: !done.isEmpty, shortcuts: shortcuts)
            return render(.console, page, user: user, section: "/console", context: context)
        }
    }

    // MARK: Formatting

    static func percent(_ rate: Double) -> String {
        let tenths = (rate * 1000).rounded() / 10
        return "\(tenths)%"
    }

    static func score(_ value: Double) -> String { String((value * 10).rounded() / 10) }

    /// The department names by id, for lists that name both parties.
    func departmentNames() async throws -> [Int64: String] {
        Dictionary(try await store.departments.list().map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
    }
}
