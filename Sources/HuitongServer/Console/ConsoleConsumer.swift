import Foundation
import HTTPTypes
import HuitongCore
import HuitongServices
import HuitongStore
import Hummingbird

/// The consumer's pages: catalog search, the application form, the department's applications and grants, its
/// application systems with their credentials, and its usage.
extension ConsolePages {
    static let catalogPageSize = 20

    // MARK: Catalog

    func catalog(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await page(request, context, .consoleCatalog) { user in
            let language = context.language
            let text = String((request.uri.queryParameters["q"].map(String.init) ?? "").prefix(100))
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let pageNumber = max(1, min(100, Int(request.uri.queryParameters["page"].map(String.init) ?? "") ?? 1))
            let result = try await store.catalog.search(
                CatalogQuery(
                    text: text, statuses: [.published], offset: (pageNumber - 1) * Self.catalogPageSize,
                    limit: Self.catalogPageSize), facets: [])
            let query = text.isEmpty ? "" : "q=\(PortalSearch.encode(text))&"
            var page = ConsoleCatalogPage(
                title: pages.text("console_nav_catalog", language),
                q: text, total: result.total, hasResults: !result.entries.isEmpty,
                results: result.entries.map { entry in
                    ConsoleCatalogPage.Entry(
                        href: "/console/entries/\(entry.id)", name: entry.content.name,
                        abstract: entry.content.abstract, code: entry.code.text, provider: entry.provider.name,
                        shareType: entry.content.shareType.label.text(language),
                        canApply: entry.content.shareType != .notShared
                            && entry.provider.departmentID != user.departmentID,
                        applyHref: "/console/apply/\(entry.id)")
                })
            if pageNumber > 1 { page.previous = "/console/catalog?\(query)page=\(pageNumber - 1)" }
            if pageNumber * Self.catalogPageSize < result.total && pageNumber < 100 {
                page.next = "/console/catalog?\(query)page=\(pageNumber + 1)"
            }
            return render(.consoleCatalog, page, user: user, section: "/console/catalog", context: context)
        }
    }

    // MARK: Applying

    func applyForm(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await page(request, context, .consoleCatalog) { user in
            let entry = try await applicableEntry(try context.id(), user)
            let today = CalendarDate.today()
            var defaults = ConsoleForm(encoded: "")
            defaults.values = [
                "purpose": [ApplicationPurpose.administrativeBasis.rawValue], "channel": [AccessChannel.api.rawValue],
                "validFrom": [today.description], "validTo": [today.addingDays(364).description],
            ]
            return try await renderApply(entry, form: defaults, errors: FieldErrors(), user: user, context: context)
        }
    }

    /// A published entry `user` may read; others answer 404 as the API does.
    func applicableEntry(_ id: Int64, _ user: User) async throws -> CatalogEntry {
        let entry = try await catalog.visibleEntry(id, to: user)
        guard entry.status == .published else { throw StoreError.notFound(entity: "catalog entry", key: "\(id)") }
        return entry
    }

    func renderApply(
        _ entry: CatalogEntry, form: ConsoleForm, errors: FieldErrors, user: User, context: HuitongRequestContext,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let language = context.language
        let chosenItems = Set(form.all("items"))
        let chosenSystems = Set(form.all("systemIDs"))
        let systems = try await store.applicationSystems.list(departmentID: user.departmentID).filter(\.isActive)
        var page = ConsoleApplyPage(
            title: pages.text("apply_title", language) + " · " + entry.content.name,
            entryID: entry.id, entryName: entry.content.name, code: entry.code.text,
            provider: entry.provider.name, entryHref: "/console/entries/\(entry.id)",
            shareType: entry.content.shareType.label.text(language),
            items: entry.content.items.filter { $0.shareType != .notShared }.map { item in
                ConsoleApplyPage.Item(
                    column: item.columnName, name: item.name, checked: chosenItems.contains(item.columnName),
                    grade: item.grade.label.text(language))
            },
            purposes: ApplicationPurpose.allCases.map { purpose in
                OptionModel(
                    value: purpose.rawValue, label: purpose.label.text(language),
                    selected: purpose.rawValue == form["purpose"])
            },
            channels: AccessChannel.allCases.map { channel in
                CheckedOptionModel(
                    value: channel.rawValue, label: channel.label.text(language),
                    checked: channel.rawValue == form["channel"])
            },
            systems: systems.map { system in
                ConsoleApplyPage.System(
                    id: system.id, name: system.name, checked: chosenSystems.contains(String(system.id)))
            },
            hasSystems: !systems.isEmpty,
            purposeText: form["purposeText"], legalBasis: form["legalBasis"], scenario: form["scenario"],
            validFrom: form["validFrom"], validTo: form["validTo"],
            expectedDailyCalls: form["expectedDailyCalls"])
        page.show(errors, order: pages.fieldOrder(.consoleApply))
        return render(
            .consoleApply, page, user: user, section: "/console/catalog", context: context, status: status)
    }

    /// Files the application through `SharingUseCases` (as `POST /applications`, then `/submit` unless the
    /// officer only saves a draft). A form that fails comes back with what was typed and each problem by its field.
    func apply(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await page(request, context, .consoleCatalog) { user in
            let form = try await ConsoleForm.read(request, context: context)
            let entry = try await applicableEntry(try context.id(), user)
            let language = context.language
            var parsing = FieldErrors()
            let validFrom = CalendarDate(iso: form["validFrom"].trimmingCharacters(in: .whitespaces))
            let validTo = CalendarDate(iso: form["validTo"].trimmingCharacters(in: .whitespaces))
            let dateProblem = BilingualText(zh: "请填写日期，如 2025-03-01", en: "give a date such as 2025-03-01")
            if validFrom == nil { parsing.add("validFrom", dateProblem, language) }
            if validTo == nil { parsing.add("validTo", dateProblem, language) }
            let calls = Int(form["expectedDailyCalls"].trimmingCharacters(in: .whitespaces))
            if calls == nil {
                parsing.add(
                    "expectedDailyCalls", BilingualText(zh: "请填写整数", en: "give a whole number of calls"), language)
            }
            let purpose = ApplicationPurpose(rawValue: form["purpose"])
            if purpose == nil {
                parsing.add("purpose", BilingualText(zh: "请选择使用用途", en: "choose a purpose"), language)
            }
            // The service checks everything else; unparsed fields take stand-ins so that its other findings show
            // in the same round, and the parse problems win for their own fields.
            let today = CalendarDate.today()
            let draft = ApplicationDraft(
                entryID: entry.id, items: form.all("items"), purpose: purpose ?? .other,
                purposeText: form["purposeText"], legalBasis: form["legalBasis"], scenario: form["scenario"],
                systemIDs: form.all("systemIDs").compactMap { Int64($0) },
                channel: AccessChannel(rawValue: form["channel"]) ?? .api, validFrom: validFrom ?? today,
                validTo: validTo ?? validFrom ?? today, expectedDailyCalls: calls ?? 1)
            if !parsing.isEmpty {
                var errors = parsing
                do {
                    _ = try draft.validated(today: today, maximumPeriodDays: sharing.settings.maximumPeriodDays)
                } catch let error as ValidationError {
                    errors.merge(FieldErrors(error, context.language))
                }
                return try await renderApply(
                    entry, form: form, errors: errors, user: user, context: context, status: .badRequest)
            }
            let application: SharingApplication
            do {
                application = try await sharing.create(draft, by: user)
            } catch let error as ValidationError {
                return try await renderApply(
                    entry, form: form, errors: FieldErrors(error, context.language), user: user, context: context,
                    status: .badRequest)
            }
            if form["action"] == "draft" {
                return .redirect(to: "/console/applications?done=drafted", type: .normal)
            }
            _ = try await sharing.submit(id: application.id, by: user)
            return .redirect(to: "/console/applications?done=applied", type: .normal)
        }
    }

    // MARK: Usage

    func usage(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await page(request, context, .consoleUsage) { user in
            let language = context.language
            let now = Date()
            let visible = AuditAPI.visibleCalls(for: user)
            let (bars, total) = try await callsPerDay(visibleTo: visible, now: now)
            let resources = try await store.audit.statistics(
                AuditStatisticsQuery(
                    from: now - Double(Self.days) * 86_400, to: now + 1, groupBy: .resource, visibleTo: visible))
            var resourceNames: [String: String] = [:]
            for group in resources where resourceNames[group.key] == nil {
                resourceNames[group.key] = try await store.catalog.find(code: group.key)?.content.name
            }
            let page = ConsoleUsagePage(
                title: pages.text("console_nav_usage", language),
                total: PortalPages.grouped(total),
                chart: ConsoleChart.columns(
                    bars, id: "chart-usage", title: pages.text("dash_calls_per_day", language), labelEvery: 5),
                days: bars.map { ChartValueModel(label: $0.label, display: $0.display) },
                hasResources: !resources.isEmpty,
                resources: resources.sorted { $0.calls > $1.calls }.map { group in
                    ConsoleUsagePage.Resource(
                        name: resourceNames[group.key] ?? group.key, code: group.key,
                        calls: PortalPages.grouped(group.calls),
                        allowed: PortalPages.grouped(group.allowed), denied: PortalPages.grouped(group.denied),
                        failed: PortalPages.grouped(group.failed), rows: PortalPages.grouped(group.rowsServed))
                })
            return render(.consoleUsage, page, user: user, section: "/console/usage", context: context)
        }
    }
}
