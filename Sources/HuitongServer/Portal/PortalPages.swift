import Foundation
import HuitongCore
import HuitongServices
import HuitongStore
import Hummingbird

/// The public open-data portal (no sign-in): home with live counts, search with facets, dataset pages with a
/// masked preview, downloads, API examples, update history, and the licence.
///
/// Only entries the public may see are ever read (`OpenCatalog`); a closed, draft or withdrawn entry answers as
/// if it did not exist. Rows come only from unconditionally open entries, and only their open items, masked
/// (`PortalDataPolicy`).
struct PortalPages {
    let store: Store
    let openCatalog: OpenCatalog
    let pages: PageRenderer
    let cookies: CookieSettings
    let links: OpenDataLinks
    let policy: PortalDataPolicy
    /// Where the dataset page's quality score comes from: the same current score the console and the ranking
    /// show, open objections included.
    let quality: QualityUseCases
    /// The home page's call count: a sum over a month of the audit log, asked by every anonymous visitor, so it is
    /// worked out at most once a minute.
    let recentCalls = ExpiringCache<String, Int64>(lifetime: .seconds(60))
    /// Where downloads of conditionally open data are recorded.
    let audit: AuditLog

    static let previewRows = 50
    static let featuredCount = 6
    static let downloadPageSize = 1_000
    /// The window of gateway calls the home page counts, as the console statistics default to.
    static let callWindowDays = 30

    func register(on router: Router<HuitongRequestContext>) {
        // One home: the portal at `/`; the old address `/portal` leads there, keeping its query (`?lang=en`).
        router.get("/", use: home)
        router.get("/portal") { request, _ in
            let query = request.uri.query.map { "?\($0)" } ?? ""
            return Response.redirect(to: "/\(query)", type: .permanent)
        }
        router.get("/datasets", use: search)
        router.get("/datasets/:reference", use: dataset)
        for format in PortalDownloadFormat.allCases {
            router.get("/datasets/:reference/download.\(format.fileExtension)") { request, context in
                try await download(request, context: context, format: format)
            }
        }
        router.get("/licence", use: licence)
    }

    // MARK: Home

    func home(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let language = context.language
        var overviewQuery = OpenCatalog.query(limit: 0)
        overviewQuery.requiresData = true
        let overview = try await store.catalog.search(overviewQuery, facets: [.department])
        let departments = overview.facets[CatalogFacet.department.rawValue] ?? []
        var areas: [PortalHomePage.Area] = []
        for area in PortalSubjectArea.allCases {
            var query = overviewQuery
            query.keywords = area.keywords
            let count = try await store.catalog.search(query, facets: []).total
            guard count > 0 else { continue }
            areas.append(
                PortalHomePage.Area(
                    name: area.label.text(language), count: count, icon: area.icon,
                    href: PortalSearch().href(setting: "area", to: area.rawValue)))
        }
        let records = try await store.activePoolRowCount(openness: OpenCatalog.publicOpenness)
        // Open-data API calls only (the portal's developers), not the sharing gateway's calls between departments.
        let calls = try await recentCalls.value(for: "open-data calls in the last 30 days") { [store] in
            let now = Date()
            return try await store.openDataAPICalls(
                from: AuditCalendar.windowStart(days: Self.callWindowDays, endingAt: now), to: now + 1)
        }
        let featured = try await store.recentlyUpdatedEntries(
            openness: OpenCatalog.publicOpenness, limit: Self.featuredCount * 4
        ).filter(PortalDataPolicy.hasData).prefix(Self.featuredCount)
        let usage = try await store.openDataUsage()
        let page = PortalHomePage(
            stats: [
                PortalHomePage.Stat(
                    value: Self.grouped(Int64(departments.count)),
                    label: pages.text("portal_stat_departments", language)),
                PortalHomePage.Stat(
                    value: Self.grouped(Int64(overview.total)), label: pages.text("portal_stat_datasets", language)),
                PortalHomePage.Stat(value: Self.grouped(records), label: pages.text("portal_stat_records", language)),
                PortalHomePage.Stat(value: Self.grouped(calls), label: pages.text("portal_stat_calls", language)),
            ],
            featured: featured.map { card($0, language, usage: usage[$0.id]) },
            hasFeatured: !featured.isEmpty,
            hasDepartments: !departments.isEmpty,
            hasTopics: !areas.isEmpty,
            departments: departments.map {
                FacetLinkModel(
                    name: $0.label, count: $0.count, href: PortalSearch().href(setting: "department", to: $0.value))
            },
            areas: areas,
            popularHref: PortalSearch().href(setting: "sort", to: CatalogOrder.views.rawValue),
            newestHref: PortalSearch().href(setting: "sort", to: CatalogOrder.newest.rawValue),
            downloadedHref: PortalSearch().href(setting: "sort", to: CatalogOrder.downloads.rawValue))
        return respond(request, pages.render(.portalHome, page, context: context))
    }

    // MARK: Search

    func search(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let language = context.language
        let (search, issues) = PortalSearch.parse(QueryValues(request))
        let result = try await store.catalog.search(search.query, facets: PortalSearch.facets)
        let usage = try await store.openDataUsage()
        let pageCount = max(1, (result.total + PortalSearch.pageSize - 1) / PortalSearch.pageSize)
        var facetGroups: [PortalSearchPage.Facet] = []
        for facet in PortalSearch.facets {
            let parameter = PortalSearch.parameter(for: facet)
            let counts = result.facets[facet.rawValue] ?? []
            let selected = search.value(of: parameter)
            guard !counts.isEmpty || selected != nil else { continue }
            var options = counts.map { count in
                let isSelected = count.value == selected
                return PortalSearchPage.Option(
                    label: Self.facetLabel(facet, count, language), count: count.count, selected: isSelected,
                    href: search.href(setting: parameter, to: isSelected ? nil : count.value))
            }
            if let selected, !counts.contains(where: { $0.value == selected }) {
                // A filter whose value has no match still shows, so that it can be removed.
                options.insert(
                    PortalSearchPage.Option(
                        label: selected, count: 0, selected: true, href: search.href(setting: parameter, to: nil)),
                    at: 0)
            }
            facetGroups.append(
                PortalSearchPage.Facet(
                    title: pages.text("facet_\(parameter)", language), id: "facet-\(parameter)", options: options))
        }
        var page = PortalSearchPage(
            q: search.text,
            total: result.total,
            results: result.entries.map { card($0, language, usage: usage[$0.id]) },
            hasResults: !result.entries.isEmpty,
            facets: facetGroups,
            page: search.page,
            pageCount: pageCount,
            langHref: Self.languageHref(search.href(page: search.page), language),
            sorts: CatalogOrder.allCases.map { order in
                PortalSearchPage.Sort(
                    label: pages.text("sort_\(order.rawValue)", language),
                    href: search.href(setting: "sort", to: order == .relevance ? nil : order.rawValue),
                    current: order == search.order)
            })
        if search.order != .relevance { page.sortValue = search.order.rawValue }
        if let area = search.area {
            page.areaName = area.label.text(language)
            page.areaClearHref = search.href(setting: "area", to: nil)
        }
        if search.page > 1 { page.previous = search.href(page: search.page - 1) }
        if search.page < pageCount && search.page < PortalSearch.maximumPage {
            page.next = search.href(page: search.page + 1)
        }
        let hasFilters =
            PortalSearch.facets.contains { search.value(of: PortalSearch.parameter(for: $0)) != nil }
            || search.area != nil
        if hasFilters || !search.text.isEmpty { page.clearHref = "/datasets" }
        if !issues.isEmpty {
            page.issues = issues.map {
                PortalSearchPage.Issue(field: $0.field, message: $0.text.text(context.language))
            }
            page.hasIssues = true
        }
        return respond(
            request, pages.render(.portalSearch, page, context: context, status: issues.isEmpty ? .ok : .badRequest)
        )
    }

    static func facetLabel(_ facet: CatalogFacet, _ count: FacetCount, _ language: Language) -> String {
        switch facet {
        case .openness: Openness(rawValue: count.value)?.label.text(language) ?? count.label
        case .updateCycle: UpdateCycle(rawValue: count.value)?.label.text(language) ?? count.label
        default: count.label
        }
    }

    /// What a result or a featured entry shows.
    func card(_ entry: CatalogEntry, _ language: Language, usage: OpenDataUsageTotals? = nil) -> DatasetCardModel {
        DatasetCardModel(
            href: path(entry),
            name: entry.content.name,
            abstract: entry.content.abstract,
            code: entry.code.text,
            provider: entry.provider.name,
            openness: entry.content.openness.label.text(language),
            isConditional: entry.content.openness == .conditional,
            cycle: entry.content.updateCycle.label.text(language),
            formats: PortalDataPolicy.offeredFormats(entry),
            hasFormats: PortalDataPolicy.hasData(entry),
            updated: entry.dataUpdatedAt.map(Self.dateTime),
            records: entry.recordCount.map(Self.grouped),
            views: Self.grouped(usage?.views ?? 0),
            downloads: Self.grouped((usage?.downloads ?? 0) + (usage?.apiCalls ?? 0)))
    }

    // MARK: Dataset

    /// The entry a `/datasets/{reference}` address names: its id (as DCAT and CKAN link it) or its CKAN package
    /// name (the resource code with `-` for `/`). Nil unless the public may see it.
    func entry(_ context: HuitongRequestContext) async throws -> CatalogEntry? {
        try await openCatalog.entry(reference: context.parameters.get("reference") ?? "")
    }

    func path(_ entry: CatalogEntry) -> String { "/datasets/\(entry.id)" }

    func notFound(_ request: Request, _ context: HuitongRequestContext) -> Response {
        respond(
            request,
            pages.errorPage(
                status: .notFound, message: pages.text("portal_not_found", context.language), context: context))
    }

    func dataset(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        guard let entry = try await entry(context) else { return notFound(request, context) }
        let language = context.language
        let tab = request.uri.queryParameters["tab"].flatMap { PortalDatasetTab(rawValue: String($0)) } ?? .items
        let content = entry.content
        let items = PortalDataPolicy.openItems(of: entry)
        let access = try await developerAccess(entry, context)
        let rowsOpen = PortalDataPolicy.rowsAreOpen(entry) || access != nil
        let classifications = try await openCatalog.classificationNames()
        let version = entry.mount?.kind == .api ? nil : try await store.pools.active(entryID: entry.id)

        var metadata: [PortalDatasetPage.Field] = []
        func field(_ key: String, _ value: String?) {
            guard let value, !value.isEmpty else { return }
            metadata.append(PortalDatasetPage.Field(label: pages.text(key, language), value: value))
        }
        field("meta_code", entry.code.text)
        field("meta_provider", entry.provider.name)
        field(
            "meta_classification",
            classifications[content.classificationCode].map { "\($0)（\(content.classificationCode)）" }
                ?? content.classificationCode)
        field("meta_openness", content.openness.label.text(language))
        field("meta_open_condition", content.openCondition)
        field("meta_cycle", content.updateCycle.label.text(language))
        field("meta_formats", PortalDataPolicy.offeredFormats(entry).joined(separator: "、"))
        field("meta_keywords", content.keywords.joined(separator: "、"))
        field("meta_published", entry.publishedOn?.description)
        field("meta_version", String(entry.version))
        field("meta_data_updated", entry.dataUpdatedAt.map(Self.dateTime))
        field("meta_records", (version?.rowCount ?? entry.recordCount).map(Self.grouped))
        if let contact = content.contact {
            field(
                "meta_contact",
                ([contact.name] + [contact.phone, contact.email].compactMap { $0 }).filter { !$0.isEmpty }
                    .joined(separator: " · "))
        }

        let history = try await store.pools.versions(entryID: entry.id)
            .filter { $0.status == .active || $0.status == .retired }
            .sorted { $0.version > $1.version }
            .map { pool in
                PortalDatasetPage.Version(
                    version: pool.version, rows: Self.grouped(pool.rowCount),
                    activated: Self.dateTime(pool.activatedAt ?? pool.createdAt), isActive: pool.status == .active)
            }
        var page = PortalDatasetPage(
            id: entry.id,
            name: content.name,
            abstract: content.abstract,
            code: entry.code.text,
            provider: entry.provider.name,
            openness: content.openness.label.text(language),
            isConditional: content.openness == .conditional,
            metadata: metadata,
            items: items.map { item in
                PortalDatasetPage.Item(
                    name: item.name, column: item.columnName, type: item.dataType.label.text(language),
                    length: item.length.map(String.init) ?? "", isKey: item.isKey,
                    kind: item.semanticKind.label.text(language),
                    masked: policy.masking.rule(for: item.semanticKind) != .none)
            },
            withheldCount: content.items.count - items.count,
            hasWithheld: content.items.count > items.count,
            licenceHref: "/licence\(OpenLicence(content.openness).fragment)",
            licenceTitle: pages.text(
                content.openness == .unconditional ? "licence_open_title" : "licence_conditional_title", language),
            searchHref: PortalSearch().href(setting: "department", to: String(entry.provider.departmentID)),
            history: history, hasHistory: !history.isEmpty, examples: [],
            tabs: PortalDatasetTab.allCases.map { each in
                PortalDatasetPage.Tab(
                    label: pages.text(each.titleKey, language),
                    href: "\(path(entry))\(each == .items ? "" : "?tab=\(each.rawValue)")#dataset-tabs",
                    current: each == tab)
            },
            tabTitle: pages.text(tab.titleKey, language),
            apiHref: "\(path(entry))?tab=api#dataset-tabs")
        page.showItems = tab == .items
        page.showPreview = tab == .preview
        page.showAPI = tab == .api
        page.showQuality = tab == .quality
        page.showVersions = tab == .versions

        if !content.openCondition.isEmpty { page.openCondition = content.openCondition }
        if content.openness == .conditional {
            page.applyHref = "\(path(entry))/apply"
            if let access {
                page.access = PortalDatasetPage.Access(
                    number: access.number, href: "/portal/requests/\(access.id)",
                    validUntil: access.validUntil.map(Self.dateTime) ?? "")
            }
        }
        if rowsOpen, let version {
            if tab == .preview {
                let columns = PortalDataPolicy.columns(of: entry, in: version.columns)
                let preview = try await self.preview(entry, columns: columns)
                page.preview = PortalDatasetPage.Preview(
                    headers: columns.map(\.name),
                    rows: preview.map { row in PortalDatasetPage.Row(cells: row.map { $0 ?? "" }) },
                    shown: preview.count,
                    total: Self.grouped(version.rowCount),
                    anyMasked: columns.contains { policy.masking.rule(for: $0.semanticKind) != .none })
                page.chart = PortalPreviewChart.chart(columns: columns, rows: preview, language: language)
                page.map = PortalPreviewMap.map(columns: columns, rows: preview)
            }
            page.downloads = PortalDownloadFormat.allCases.filter { $0.isOffered(forRows: version.rowCount) }
                .map { DownloadLinkModel(href: "\(path(entry))/download.\($0.fileExtension)", label: $0.label) }
            page.hasDownloads = true
        } else if rowsOpen {
            page.noData = true
        }
        if let score = try await quality.currentScore(entryID: entry.id) {
            var section = PortalDatasetPage.Quality(score: String(format: "%.1f", score))
            if let run = try await store.quality.latestRun(entryID: entry.id), run.status == .succeeded,
                let report = run.report
            {
                section.checkedAt = Self.dateTime(run.finishedAt ?? run.startedAt)
                section.dimensions = report.dimensions.compactMap { dimension in
                    guard let value = dimension.score else { return nil }
                    return PortalDatasetPage.Dimension(
                        name: dimension.dimension.label.text(language), score: String(format: "%.1f", value))
                }
                section.hasDimensions = !(section.dimensions ?? []).isEmpty
            }
            page.quality = section
        }

        let packageName = CKANRepresentation.packageName(entry.code)
        var examples = [
            PortalDatasetPage.Example(
                title: pages.text("api_package_show", language),
                command: "curl -sS '\(links.ckanAction("package_show"))?id=\(packageName)'"),
            PortalDatasetPage.Example(
                title: pages.text("api_dcat", language), command: "curl -sS '\(links.catalogJSONLD)'"),
        ]
        if access != nil {
            // The downloads need the developer's session; a script reads the rows with the developer's key.
            examples.insert(
                PortalDatasetPage.Example(
                    title: pages.text("api_open_rows", language),
                    command: "curl -sS -H 'X-API-Key: hdk_…' '\(links.openRows(entry.id))?limit=100'"),
                at: 0)
        } else if rowsOpen, version != nil {
            examples.insert(
                PortalDatasetPage.Example(
                    title: pages.text("api_download_csv", language),
                    command: "curl -sS -o '\(packageName).csv' '\(links.base)\(path(entry))/download.csv'"),
                at: 0)
            examples.insert(
                PortalDatasetPage.Example(
                    title: pages.text("api_download_csv_codes", language),
                    command: "curl -sS -o '\(packageName).csv' '\(links.base)\(path(entry))/download.csv?header=code'"),
                at: 1)
            examples.insert(
                PortalDatasetPage.Example(
                    title: pages.text("api_download_json", language),
                    command: "curl -sS '\(links.base)\(path(entry))/download.json'"),
                at: 2)
        }
        page.examples = examples
        // A visit counts once, on the page's first tab (moving between tabs is the same visit).
        if tab == .items { try await store.countOpenDataUse(.view, entryID: entry.id) }
        let usage = try await store.openDataUsage(entryID: entry.id)
        page.views = Self.grouped(usage.views)
        page.downloadCount = Self.grouped(usage.downloads + usage.apiCalls)
        var response = respond(request, pages.render(.portalDataset, page, context: context))
        // A preview of conditionally open rows is the applicant's alone.
        if access != nil { response.headers[.cacheControl] = "private, no-store" }
        return response
    }

    /// The first rows of the active version, open items only, masked.
    func preview(_ entry: CatalogEntry, columns: [InfoItem]) async throws -> [[String?]] {
        let selection = PoolSelection(columns: columns.map(\.columnName))
        guard
            var extract = try await store.pools.beginExtract(
                entryID: entry.id, selecting: selection, pageSize: Self.previewRows)
        else { return [] }
        let rows = try await store.pools.nextPage(of: &extract) ?? []
        return rows.prefix(Self.previewRows).map { policy.masked($0, items: columns) }
    }

    // MARK: Downloads

    func download(_ request: Request, context: HuitongRequestContext, format: PortalDownloadFormat) async throws
        -> Response
    {
        guard let entry = try await entry(context) else { return notFound(request, context) }
        let language = context.language
        let access = try await developerAccess(entry, context)
        guard PortalDataPolicy.rowsAreOpen(entry) || access != nil else {
            return notice(
                request, context, status: .forbidden, title: pages.text("conditional_title", language),
                message: pages.text("conditional_download", language), entry: entry)
        }
        let columns: [InfoItem]
        let extractStart: PoolExtract?
        if entry.mount?.kind == .api {
            extractStart = nil
            columns = []
        } else {
            let version = try await store.pools.active(entryID: entry.id)
            columns = version.map { PortalDataPolicy.columns(of: entry, in: $0.columns) } ?? []
            extractStart = try await store.pools.beginExtract(
                entryID: entry.id, selecting: PoolSelection(columns: columns.map(\.columnName)),
                pageSize: Self.downloadPageSize)
        }
        guard var cursor = extractStart else {
            return notice(
                request, context, status: .notFound, title: pages.text("no_data_title", language),
                message: pages.text("no_data_message", language), entry: entry)
        }
        let fileName =
            "\(CKANRepresentation.packageName(entry.code))-v\(cursor.version.version).\(format.fileExtension)"
        var headers: HTTPFields = [
            .contentType: format.contentType,
            .contentDisposition: "attachment; filename=\"\(fileName)\"",
            .cacheControl: "public, max-age=300",
            .xContentTypeOptions: "nosniff",
        ]
        if format == .xlsx && !format.isOffered(forRows: cursor.version.rowCount) {
            return notice(
                request, context, status: .notAcceptable, title: pages.text("xlsx_too_large_title", language),
                message: pages.text("xlsx_too_large", language), entry: entry)
        }
        if let access {
            // Conditionally open rows are the applicant's alone: no shared cache keeps them, and the log records
            // who took them.
            headers[.cacheControl] = "private, no-store"
            do {
                _ = try await audit.append(
                    AuditEvent(
                        action: .openDownload, providerDepartmentID: entry.provider.departmentID,
                        resourceCode: entry.code.text, rowsReturned: cursor.version.rowCount, outcome: .allowed,
                        detail: [
                            "developer": String(access.developerID), "request": access.number,
                            "format": format.rawValue, "version": String(cursor.version.version),
                        ]))
            } catch {
                throw GatewayError.auditUnavailable
            }
        }
        try await store.countOpenDataUse(.download, entryID: entry.id)
        if format == .xlsx {
            var rows: [[String?]] = []
            while let page = try await store.pools.nextPage(of: &cursor) {
                rows += page.map { self.policy.masked($0, items: columns) }
            }
            let data = try PortalDownloadEncoder.workbook(
                sheetName: String(entry.content.name.prefix(31)), items: columns, rows: rows)
            headers[.contentLength] = String(data.count)
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(data: data)))
        }
        let pools = store.pools
        let masking = policy
        let start = cursor
        let header = request.uri.queryParameters["header"].flatMap { PortalCSVHeader(rawValue: String($0)) } ?? .name
        let body = ResponseBody { writer in
            var encoder = PortalDownloadEncoder(
                format: format, columns: columns.map(\.columnName),
                headers: header == .code ? columns.map(\.columnName) : columns.map(\.name),
                types: columns.map(ColumnType.init(for:)))
            var cursor = start
            try await writer.write(ByteBuffer(data: encoder.header()))
            while let page = try await pools.nextPage(of: &cursor) {
                try await writer.write(
                    ByteBuffer(data: encoder.encode(page.map { masking.masked($0, items: columns) })))
            }
            try await writer.write(ByteBuffer(data: encoder.footer()))
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }

    /// The signed-in developer's application in force for a conditionally open entry, if any.
    func developerAccess(_ entry: CatalogEntry, _ context: HuitongRequestContext) async throws -> OpenAccessRequest? {
        guard entry.content.openness == .conditional, let developer = context.developer else { return nil }
        return try await store.developers.access(developerID: developer.id, entryID: entry.id, at: Date())
    }

    /// A page that explains why there is no data here, with the way back to the entry.
    func notice(
        _ request: Request, _ context: HuitongRequestContext, status: HTTPResponse.Status, title: String,
        message: String, entry: CatalogEntry
    ) -> Response {
        var page = PortalNoticePage(title: title, message: message, name: entry.content.name, href: path(entry))
        if entry.content.openness == .conditional {
            page.isConditional = true
            page.applyHref = "\(path(entry))/apply"
            if !entry.content.openCondition.isEmpty { page.openCondition = entry.content.openCondition }
        }
        return respond(request, pages.render(.portalNotice, page, context: context, status: status))
    }

    // MARK: Licence

    func licence(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        respond(request, pages.render(.portalLicence, PortalLicencePage(), context: context))
    }

    // MARK: Helpers

    /// `?lang=` switches the language and keeps it for later pages, as on every page.
    func respond(_ request: Request, _ response: Response) -> Response {
        var response = response
        if let language = request.uri.queryParameters["lang"].flatMap({ Language(rawValue: String($0)) }) {
            response.setCookie(cookies.language(language))
        }
        return response
    }

    /// The language switch of a page whose address has a query: the same search in the other language.
    static func languageHref(_ href: String, _ language: Language) -> String {
        let other = language == .zh ? Language.en : .zh
        return href + (href.contains("?") ? "&" : "?") + "lang=\(other.rawValue)"
    }

    /// `1,234,567`.
    static func grouped(_ value: Int64) -> String {
        let digits = String(value.magnitude)
        var output = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { output.append(",") }
            output.append(digit)
        }
        return value < 0 ? "-" + output : output
    }

    /// Built once: console lists format a time per row.
    static let chinaCalendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = CalendarDate.chinaTimeZone
        return calendar
    }()

    /// `2025-03-01 14:05` in China Standard Time, where the data's users are.
    static func dateTime(_ date: Date) -> String {
        let parts = chinaCalendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        func two(_ value: Int?) -> String { (value ?? 0) < 10 ? "0\(value ?? 0)" : "\(value ?? 0)" }
        return "\(parts.year ?? 0)-\(two(parts.month))-\(two(parts.day)) \(two(parts.hour)):\(two(parts.minute))"
    }
}
