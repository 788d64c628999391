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
                collection: Self.departmentRows(collected, names: try await departmentNames()))
            return render(.consoleDashboard, page, user: user, section: "/console/dashboard", context: context)
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
            let language = context.language
            let departments = try await store.departments.list()
            let users = try await store.users.list(departmentID: nil)
            let names = Dictionary(departments.map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
            let counts = Dictionary(grouping: users, by: \.departmentID).mapValues(\.count)
            let page = ConsoleDepartmentsPage(
                title: pages.text("console_nav_departments", language),
                departments: departments.map {
                    ConsoleDepartmentsPage.Department(
                        code: $0.code, name: $0.name, creditCode: $0.creditCode ?? "", regionCode: $0.regionCode,
                        users: counts[$0.id] ?? 0)
                },
                users: users.map { person in
                    ConsoleDepartmentsPage.User(
                        username: person.username, displayName: person.displayName,
                        department: names[person.departmentID] ?? "",
                        roles: person.roles.sorted().map { $0.displayName.text(language) }.joined(separator: "、"),
                        active: person.isActive, lastLogin: person.lastLoginAt.map(PortalPages.dateTime) ?? "")
                })
            return render(.consoleDepartments, page, user: user, section: "/console/departments", context: context)
        }
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
            let records = try await audit.repository.search(AuditEntryFilter(limit: 50))
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
                hasEntries: !records.isEmpty,
                entries: records.map { record in
                    switch record {
                    case .unreadable(let sequence, let column):
                        return ConsoleAuditPage.Entry(sequence: sequence, unreadable: column)
                    case .entry(let entry):
                        let event = entry.event
                        return ConsoleAuditPage.Entry(
                            sequence: entry.sequence, time: PortalPages.dateTime(event.time),
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
