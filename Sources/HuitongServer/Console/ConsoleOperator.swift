import Foundation
import HuitongCore
import HuitongServices
import HuitongStore
import Hummingbird

/// The operator's pages: 一张图, departments and users, the catalog review queue, overdue applications, and the
/// audit viewer (which auditors see too).
extension ConsolePages {
    static let topResources = 10

    // MARK: Dashboard

    func dashboard(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await page(request, context, .consoleDashboard) { user in
            let language = context.language
            let now = Date()
            let (dayBars, totalCalls) = try await callsPerDay(visibleTo: nil, now: now)
            let resources = try await store.audit.statistics(
                AuditStatisticsQuery(
                    from: AuditCalendar.windowStart(days: Self.days, endingAt: now), to: now + 1, groupBy: .resource))
            var topBars: [ConsoleChart.Bar] = []
            for group in resources.sorted(by: { ($0.calls, $1.key) > ($1.calls, $0.key) }).prefix(Self.topResources) {
                let name = try await store.catalog.find(code: group.key)?.content.name ?? group.key
                topBars.append(
                    .init(label: name, value: Double(group.calls), display: PortalPages.grouped(group.calls)))
            }
            let rates = try await store.catalog.mountRates()
            let rateBars = rates.map {
                ConsoleChart.Bar(label: $0.departmentName, value: $0.rate * 100, display: Self.percent($0.rate))
            }
            let ranking = try await quality.ranking()
            let qualityBars = ranking.map {
                ConsoleChart.Bar(label: $0.departmentName, value: $0.score, display: Self.score($0.score))
            }
            let submitted = try await store.catalog.search(
                CatalogQuery(statuses: [.submitted], limit: 0), facets: []
            ).total
            let overdue = try await overdueApplications(now: now).count
            // 归集: the rows every source has collected and the share of scheduled sources on time, per department.
            let collected = try await collection.figures(departmentID: nil, at: now)
            let onTime = Self.onTimeRate(collected)
            // 一张图: the node's totals, each linking to its list; departments ranked by what they publish; peers.
            let figures = try await store.federation.figures()
            let totals = try await store.catalog.publishedTotals()
            let overview = [
                StatModel(
                    value: PortalPages.grouped(Int64(figures.publishedEntries)),
                    label: pages.text("dash_entries", language), href: "#mount-heading"),
                StatModel(
                    value: PortalPages.grouped(Int64(totals.items)), label: pages.text("dash_items", language),
                    href: "#mount-heading"),
                StatModel(
                    value: PortalPages.grouped(Int64(figures.mountedResources)),
                    label: pages.text("dash_mounted", language), href: "#mount-heading"),
                StatModel(
                    value: PortalPages.grouped(Int64(totals.open)), label: pages.text("dash_open_datasets", language),
                    href: "/datasets"),
                StatModel(
                    value: PortalPages.grouped(Int64(figures.applications)),
                    label: pages.text("dash_applications", language), href: "/console/overdue"),
                StatModel(
                    value: PortalPages.grouped(Int64(figures.grants)), label: pages.text("dash_grants", language),
                    href: "/console/audit?action=grant.created"),
            ]
            let ranked = rates.sorted { ($0.published, $1.departmentName) > ($1.published, $0.departmentName) }
            let rankedBars = ranked.map {
                ConsoleChart.Bar(
                    label: $0.departmentName, value: Double($0.published),
                    display: PortalPages.grouped(Int64($0.published)))
            }
            let peers = try await peerStatus(language)
            let page = ConsoleDashboardPage(
                title: pages.text("console_nav_dashboard", language),
                stats: [
                    StatModel(
                        value: PortalPages.grouped(totalCalls), label: pages.text("dash_calls_window", language)),
                    StatModel(
                        value: String(submitted), label: pages.text("dash_awaiting_review", language),
                        href: "/console/review"),
                    StatModel(
                        value: String(overdue), label: pages.text("dash_overdue", language),
                        href: "/console/overdue"),
                    StatModel(
                        value: PortalPages.grouped(Int64(try await store.departments.count())),
                        label: pages.text("dash_departments", language), href: "/console/departments"),
                    StatModel(
                        value: PortalPages.grouped(collected.rowsCollected),
                        label: pages.text("dash_collection_rows", language), href: "/console/collection/monitoring"),
                    StatModel(
                        value: onTime.map(Self.percent) ?? "—", label: pages.text("dash_collection_on_time", language),
                        href: "/console/collection/monitoring"),
                ],
                callsChart: ConsoleChart.columns(
                    dayBars, id: "chart-calls", title: pages.text("dash_calls_per_day", language), labelEvery: 5),
                hasTop: !topBars.isEmpty,
                topChart: ConsoleChart.rows(
                    topBars, id: "chart-top", title: pages.text("dash_top_resources", language)),
                top: topBars.map { ChartValueModel(label: $0.label, display: $0.display) },
                hasRates: !rates.isEmpty,
                ratesChart: ConsoleChart.rows(
                    rateBars, id: "chart-mount", title: pages.text("dash_mount_rate", language), maximum: 100),
                rates: rates.map {
                    ConsoleDashboardPage.Rate(
                        name: $0.departmentName, published: $0.published, mounted: $0.mounted,
                        rate: Self.percent($0.rate))
                },
                hasQuality: !ranking.isEmpty,
                qualityChart: ConsoleChart.rows(
                    qualityBars, id: "chart-quality", title: pages.text("dash_quality", language), maximum: 100),
                quality: ranking.map {
                    ConsoleDashboardPage.Quality(
                        rank: $0.rank, name: $0.departmentName, score: Self.score($0.score),
                        entries: $0.entriesScored)
                },
                days: dayBars.map { ChartValueModel(label: $0.label, display: $0.display) },
                hasCollection: collected.departments.contains { $0.scheduledSources > 0 },
                collection: Self.departmentRows(collected, names: try await departmentNames()),
                overview: overview,
                hasRanking: !ranked.isEmpty,
                rankingChart: ConsoleChart.rows(
                    rankedBars, id: "chart-departments", title: pages.text("dash_departments_ranked", language)),
                ranking: rankedBars.map { ChartValueModel(label: $0.label, display: $0.display) },
                hasPeers: !peers.isEmpty, peers: peers)
            return render(.consoleDashboard, page, user: user, section: "/console/dashboard", context: context)
        }
    }

    /// The cascade peers (上级/下级平台) and how delivery to each stands: messages waiting and messages given up.
    func peerStatus(_ language: Language) async throws -> [ConsoleDashboardPage.Peer] {
        let peers = try await store.federation.peers()
        guard !peers.isEmpty else { return [] }
        let pending = try await store.federation.outbox(status: .pending, limit: 10_000)
        let failed = try await store.federation.outbox(status: .failed, limit: 10_000)
        return peers.map { peer in
            let waiting = pending.filter { $0.nextHop == peer.region }.count
            let refused = failed.filter { $0.nextHop == peer.region }.count
            let state = refused > 0 ? "failing" : waiting > 0 ? "waiting" : "ok"
            return ConsoleDashboardPage.Peer(
                name: peer.name, region: peer.region.code,
                relation: pages.text("dash_peer_\(peer.relation.rawValue)", language),
                pending: waiting, failed: refused, status: pages.text("dash_peer_state_\(state)", language),
                ok: state == "ok")
        }
    }

    /// Gateway calls per day over the last `days` days (days without calls included, as zero), and their total.
    func callsPerDay(visibleTo: (consumers: Set<Int64>, providers: Set<Int64>)?, now: Date) async throws -> (
        [ConsoleChart.Bar], Int64
    ) {
        let today = CalendarDate.today()
        let first = today.addingDays(-(Self.days - 1))
        let from = first.startOfDay()
        let groups = try await store.audit.statistics(
            AuditStatisticsQuery(from: from, to: now + 1, groupBy: .day, visibleTo: visibleTo))
        let calls = Dictionary(groups.map { ($0.key, $0.calls) }, uniquingKeysWith: +)
        let bars = (0..<Self.days).map { offset -> ConsoleChart.Bar in
            let day = first.addingDays(offset).description
            let value = calls[day] ?? 0
            return ConsoleChart.Bar(
                label: String(day.suffix(5)), value: Double(value), display: PortalPages.grouped(value))
        }
        return (bars, groups.reduce(0) { $0 + $1.calls })
    }

    // MARK: Departments and users

    func departments(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await page(request, context, .consoleDepartments) { user in
            try await renderDepartments(user: user, context: context, notice: doneNotice(request, context.language))
        }
    }

    /// The departments and users, with the operator's forms to add either (a refused one shown again as sent).
    func renderDepartments(
        user: User, context: HuitongRequestContext, attempt: AdminAttempt? = nil, notice: String? = nil,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let language = context.language
        let departments = try await store.departments.list()
        let users = try await store.users.list(departmentID: nil)
        let names = Dictionary(departments.map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
        let counts = Dictionary(grouping: users, by: \.departmentID).mapValues(\.count)
        let userForm = attempt?.kind == "user" ? attempt?.form : nil
        let departmentForm = attempt?.kind == "department" ? attempt?.form : nil
        let chosenRoles = Set(userForm?.all("roles") ?? [])
        let page = ConsoleDepartmentsPage(
            title: pages.text("console_nav_departments", language),
            departments: departments.map {
                ConsoleDepartmentsPage.Department(
                    href: "/console/departments/\($0.id)", code: $0.code, name: $0.name,
                    creditCode: $0.creditCode ?? "", regionCode: $0.regionCode, users: counts[$0.id] ?? 0,
                    active: $0.isActive)
            },
            users: users.map { person in
                ConsoleDepartmentsPage.User(
                    href: "/console/users/\(person.id)", username: person.username, displayName: person.displayName,
                    department: names[person.departmentID] ?? "",
                    roles: person.roles.sorted().map { $0.displayName.text(language) }.joined(separator: "、"),
                    active: person.isActive, lastLogin: person.lastLoginAt.map(PortalPages.dateTime) ?? "")
            },
            managesUsers: AccessPolicy.allows(user, .accountsManageUsers),
            managesDepartments: AccessPolicy.allows(user, .accountsManageDepartments),
            departmentOptions: departments.filter(\.isActive).map {
                OptionModel(value: "\($0.id)", label: $0.name, selected: userForm?["departmentID"] == "\($0.id)")
            },
            roleChoices: Role.allCases.map {
                CheckedOptionModel(
                    value: $0.rawValue, label: $0.displayName.text(language), checked: chosenRoles.contains($0.rawValue)
                )
            },
            newUser: .init(username: userForm?["username"] ?? "", displayName: userForm?["displayName"] ?? ""),
            newDepartment: .init(
                name: departmentForm?["name"] ?? "", code: departmentForm?["code"] ?? "",
                creditCode: departmentForm?["creditCode"] ?? "", regionCode: departmentForm?["regionCode"] ?? ""),
            userErrors: userForm == nil ? nil : attempt?.errors.values,
            departmentErrors: departmentForm == nil ? nil : attempt?.errors.values,
            notice: notice)
        return render(
            .consoleDepartments, page, user: user, section: "/console/departments", context: context, status: status)
    }

    // MARK: Review queue

    func reviewQueue(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await page(request, context, .catalogReview) { user in
            try await renderReviewQueue(request, user: user, context: context)
        }
    }

    func renderReviewQueue(
        _ request: Request, user: User, context: HuitongRequestContext, failed: (id: Int64, message: String)? = nil,
        comment: String = "", status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let language = context.language
        let queue = try await store.catalog.search(
            CatalogQuery(statuses: [.submitted], limit: 200), facets: [])
        var page = ConsoleReviewPage(
            title: pages.text("console_nav_review", language),
            total: queue.total,
            hasEntries: !queue.entries.isEmpty,
            entries: queue.entries.map { entry in
                var row = ConsoleReviewPage.Entry(
                    id: entry.id, href: "/console/entries/\(entry.id)", name: entry.content.name,
                    code: entry.code.text, provider: entry.provider.name, version: entry.version,
                    updated: PortalPages.dateTime(entry.updatedAt),
                    items: entry.content.items.count,
                    shareType: entry.content.shareType.label.text(language),
                    openness: entry.content.openness.label.text(language))
                if let failed, failed.id == entry.id {
                    row.error = failed.message
                    row.comment = comment
                }
                return row
            },
            notice: doneNotice(request, language))
        if let failed, !queue.entries.contains(where: { $0.id == failed.id }) {
            // The entry left the queue meanwhile (another operator decided it): say so above the list.
            page.failure = failed.message
        }
        return render(
            .consoleReview, page, user: user, section: "/console/review", context: context, status: status)
    }

    /// Publishes or returns an entry from the queue, through the same lifecycle as `POST /catalog/entries/{id}/…`.
    func review(_ step: CatalogTransition, _ request: Request, _ context: HuitongRequestContext) async throws
        -> Response
    {
        try await page(request, context, .catalogReview) { user in
            let form = try await ConsoleForm.read(request, context: context)
            let id = try context.id()
            do {
                _ = try await catalog.apply(
                    step, entryID: id, by: user, comment: form["comment"])
            } catch let error as any HuitongError where error.kind != .internal {
                let message =
                    error.details.isEmpty
                    ? error.message.text(context.language) : error.details.map(\.message).joined(separator: "；")
                return try await renderReviewQueue(
                    request, user: user, context: context, failed: (id, message), comment: form["comment"],
                    status: error.kind.status)
            }
            let done = step == .publish ? "published" : "returned"
            return .redirect(to: "/console/review?done=\(done)", type: .normal)
        }
    }

    // MARK: Overdue applications

    /// Applications past their deadline, and those the sweep already escalated to the bureau's coordination.
    func overdueApplications(now: Date) async throws -> [SharingApplication] {
        // Read by state through the deadline index, not every application the node ever had.
        var found = try await store.applications.overdue(in: .complianceReview, at: now)
        found += try await store.applications.overdue(in: .providerReview, at: now)
        found += try await store.applications.list(.all, state: .coordination)
        return found
    }

    func overdue(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await page(request, context, .consoleOverdue) { user in
            let language = context.language
            let now = Date()
            let names = try await departmentNames()
            let list = try await overdueApplications(now: now).sorted {
                ($0.deadline ?? .distantFuture) < ($1.deadline ?? .distantFuture)
            }
            let openRequests = try await store.developers.overdue(at: now)
            let page = ConsoleOverduePage(
                title: pages.text("console_nav_overdue", language),
                hasOpenRequests: !openRequests.isEmpty,
                openRequests: openRequests.map { filed in
                    ConsoleOverduePage.OpenRequest(
                        number: filed.number, resourceCode: filed.resourceCode, dataset: filed.entryName,
                        applicant: filed.applicant, provider: names[filed.providerDepartmentID] ?? "",
                        deadline: PortalPages.dateTime(filed.deadline))
                },
                hasApplications: !list.isEmpty,
                applications: list.map { application in
                    ConsoleOverduePage.Application(
                        number: application.number, resourceCode: application.resourceCode,
                        consumer: names[application.consumerDepartmentID] ?? "",
                        provider: names[application.providerDepartmentID] ?? "",
                        state: application.state.label.text(language),
                        deadline: application.deadline.map(PortalPages.dateTime) ?? "",
                        overdue: application.isOverdue(at: now))
                })
            return render(.consoleOverdue, page, user: user, section: "/console/overdue", context: context)
        }
    }

    // MARK: Audit

    func auditViewer(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await page(request, context, .auditReadLog) { user in
            let language = context.language
            let refresh = request.uri.queryParameters["refresh"] == "1"
            let report = try await verifications.report(refresh: refresh) { [audit] in
                try await AuditLogVerification.run(audit.repository, trustedKeys: audit.trustedCheckpointKeys)
            }
            let names = try await departmentNames()
            let query = AuditQuery(request)
            let records = try await audit.repository.search(query.filter)
            var verification = ConsoleAuditPage.Verification(
                checkedAt: PortalPages.dateTime(report.finishedAt), head: report.headSequence, ok: false, status: "")
            switch report.outcome {
            case .success(let summary):
                verification.ok = true
                verification.status = pages.text("audit_verified", language)
                verification.entries = summary.entriesChecked
                verification.checkpoints = summary.checkpointsVerified
                verification.unsigned = summary.unsignedEntries
                verification.checkpoint = summary.lastCheckpoint.map { checkpoint in
                    ConsoleAuditPage.Checkpoint(
                        size: checkpoint.treeSize, time: PortalPages.dateTime(checkpoint.time),
                        keyID: checkpoint.keyID)
                }
            case .failure(let failure):
                verification.ok = false
                verification.status = pages.text("audit_broken", language)
                verification.sequence = failure.sequence
                verification.message = failure.message.text(language)
            }
            let page = ConsoleAuditPage(
                title: pages.text("console_nav_audit", language),
                verification: verification,
                filters: try await auditFilters(query, records: records, language: language),
                hasEntries: !records.isEmpty,
                entries: records.map { record in
                    switch record {
                    case .unreadable(let sequence, let column):
                        return ConsoleAuditPage.Entry(sequence: sequence, unreadable: column)
                    case .entry(let entry):
                        let event = entry.event
                        return ConsoleAuditPage.Entry(
                            sequence: entry.sequence, href: "/console/audit/\(entry.sequence)",
                            time: PortalPages.dateTime(event.time),
                            action: pages.label("audit_action_", event.action.rawValue, language),
                            actionCode: event.action.rawValue, resourceCode: event.resourceCode ?? "",
                            consumer: event.consumerDepartmentID.flatMap { names[$0] } ?? "",
                            outcome: pages.label("audit_outcome_", event.outcome.name, language)
                                ?? event.outcome.name,
                            allowed: event.outcome.name == "allowed",
                            reason: event.outcome.reason.flatMap { pages.label("audit_reason_", $0, language) },
                            reasonCode: event.outcome.reason ?? "",
                            rows: event.rowsReturned,
                            hash: String(entry.hash.hex.prefix(12)))
                    }
                })
            return render(.consoleAudit, page, user: user, section: "/console/audit", context: context)
        }
    }
}
