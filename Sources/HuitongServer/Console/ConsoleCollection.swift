import Foundation
import HuitongCore
import HuitongIngest
import HuitongServices
import HuitongStore
import Hummingbird

/// The collection (归集) pages: a department's sources (every one for the operator) with their schedules and last
/// runs, the form that adds or changes one (secrets write-only), a source's test connection, run by hand and run
/// history, and the monitoring figures. Everything goes through `CollectionUseCases`, as the API does.
extension ConsolePages {
    func registerCollection(on router: Router<HuitongRequestContext>) {
        router.get("/console/collection", use: collectionSources)
        router.get("/console/collection/new", use: newCollectionSource)
        router.post("/console/collection", use: createCollectionSource)
        router.get("/console/collection/monitoring", use: collectionMonitoring)
        router.get("/console/collection/:id", use: collectionSource)
        router.get("/console/collection/:id/edit", use: editCollectionSource)
        router.post("/console/collection/:id", use: updateCollectionSource)
        router.post("/console/collection/:id/test", use: testCollectionSource)
        router.post("/console/collection/:id/run", use: runCollectionSource)
    }

    // MARK: List

    func collectionSources(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await page(request, context, .ingestUpload) { user in
            let language = context.language
            let figures = try await collection.monitoring(by: user)
            let names = try await departmentNames()
            var entries: [Int64: String] = [:]
            for status in figures.sources where entries[status.entryID] == nil {
                entries[status.entryID] = try await store.catalog.find(id: status.entryID)?.content.name ?? ""
            }
            let page = ConsoleCollectionPage(
                title: pages.text("console_nav_collection", language),
                hasSources: !figures.sources.isEmpty,
                sources: figures.sources.map { status in
                    let last = status.lastRun
                    return ConsoleCollectionPage.Source(
                        href: "/console/collection/\(status.sourceID)", name: status.name,
                        entry: entries[status.entryID] ?? "", department: names[status.departmentID] ?? "",
                        kind: pages.text("collection_kind_\(status.kind.rawValue)", language),
                        schedule: scheduleText(status.schedule, cron: status.cron, language),
                        enabled: status.enabled,
                        nextRun: status.nextRunAt.map(PortalPages.dateTime) ?? "—",
                        lastRun: last.map { pages.text("collection_run_\($0.status.rawValue)", language) }
                            ?? pages.text("collection_never", language),
                        lastRunFailed: last?.status == .failed,
                        lag: Self.duration(status.lagSeconds, language), late: status.isLate)
                },
                rowsCollected: PortalPages.grouped(figures.rowsCollected),
                notice: doneNotice(request, language))
            return render(.consoleCollection, page, user: user, section: "/console/collection", context: context)
        }
    }

    // MARK: Add and change

    func newCollectionSource(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await page(request, context, .ingestUpload) { user in
            let chosen = request.uri.queryParameters["entry"].flatMap { Int64(String($0)) }
            return try await renderCollectionForm(
                user: user, context: context, source: nil, form: nil, chosenEntry: chosen, problems: FieldErrors())
        }
    }

    func editCollectionSource(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await page(request, context, .ingestUpload) { user in
            let source = try await collection.source(try context.id(), by: user)
            return try await renderCollectionForm(
                user: user, context: context, source: source, form: nil, chosenEntry: source.entryID,
                problems: FieldErrors())
        }
    }

    /// Saves a new source, or (`intent=test`) tests it without saving and shows what it found.
    func createCollectionSource(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await page(request, context, .ingestUpload) { user in
            let form = try await ConsoleForm.read(request, context: context)
            let language = context.language
            let (entryID, draft, found) = Self.collectionDraft(form, kind: nil, language)
            let problems = try await withDraftProblems(found, draft, entryID: entryID, language)
            guard let draft, let entryID, problems.isEmpty else {
                return try await renderCollectionForm(
                    user: user, context: context, source: nil, form: form, chosenEntry: entryID, problems: problems,
                    status: .badRequest)
            }
            do {
                if form["intent"] == "test" {
                    let result = try await collection.test(entryID: entryID, draft, by: user)
                    return try await renderCollectionForm(
                        user: user, context: context, source: nil, form: form, chosenEntry: entryID,
                        problems: FieldErrors(), tested: result)
                }
                let source = try await collection.create(entryID: entryID, draft, by: user)
                return .redirect(to: "/console/collection/\(source.id)?done=created", type: .normal)
            } catch let error as any HuitongError where Self.isSourceProblem(error) {
                let (problems, message) = Self.sourceProblems(error, language)
                return try await renderCollectionForm(
                    user: user, context: context, source: nil, form: form, chosenEntry: entryID, problems: problems,
                    message: message, status: error.kind.status)
            }
        }
    }

    func updateCollectionSource(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await page(request, context, .ingestUpload) { user in
            let source = try await collection.source(try context.id(), by: user)
            let form = try await ConsoleForm.read(request, context: context)
            let language = context.language
            let (_, draft, found) = Self.collectionDraft(form, kind: source.kind, language)
            let problems = try await withDraftProblems(found, draft, entryID: source.entryID, language)
            guard let draft, problems.isEmpty else {
                return try await renderCollectionForm(
                    user: user, context: context, source: source, form: form, chosenEntry: source.entryID,
                    problems: problems, status: .badRequest)
            }
            var patch = CollectionSourcePatch()
            patch.name = draft.name
            patch.location = draft.location
            patch.table = draft.table
            patch.query = draft.query
            patch.columnMapping = draft.columnMapping
            patch.watermark = draft.watermark
            patch.removeWatermark = draft.watermark == nil
            patch.schedule = draft.schedule
            patch.cron = draft.cron
            patch.enabled = draft.enabled
            patch.http = draft.http
            patch.secret = draft.secret
            do {
                _ = try await collection.update(source.id, patch, by: user)
                return .redirect(to: "/console/collection/\(source.id)?done=edited", type: .normal)
            } catch let error as any HuitongError where Self.isSourceProblem(error) {
                let (problems, message) = Self.sourceProblems(error, language)
                return try await renderCollectionForm(
                    user: user, context: context, source: source, form: form, chosenEntry: source.entryID,
                    problems: problems, message: message, status: error.kind.status)
            }
        }
    }

    /// The form's own problems and, when it has some, the draft's too (checked against the entry's items), so that
    /// the officer sees every problem at once rather than one round after another.
    func withDraftProblems(
        _ found: FieldErrors, _ draft: CollectionSourceDraft?, entryID: Int64?, _ language: Language
    ) async throws -> FieldErrors {
        guard !found.isEmpty, let draft, let entryID, let entry = try await store.catalog.find(id: entryID) else {
            return found
        }
        var problems = found
        do { try draft.validate(itemColumns: Set(entry.content.items.map(\.columnName))) } catch {
            problems.merge(Self.sourceProblems(error, language).0)
        }
        return problems
    }

    /// Problems the officer can mend in the form: bad values, a source that refuses (a password, a closed port, a
    /// missing table), a run already under way.
    static func isSourceProblem(_ error: any HuitongError) -> Bool {
        [.badInput, .unprocessable, .conflict].contains(error.kind)
    }

    /// A use case's refusal as the form shows it: each field's problem beside it (and in the summary), anything
    /// else above the form.
    static func sourceProblems(_ error: any HuitongError, _ language: Language) -> (FieldErrors, String?) {
        var problems = FieldErrors()
        guard let validation = error as? ValidationError else { return (problems, error.message.text(language)) }
        for issue in validation.issues {
            problems.add(formField(issue.field), issue.text.text(language))
        }
        return (problems, nil)
    }

    /// The form's field of a use case's field name (`watermark` is its column's input; `http` the paging's).
    static func formField(_ field: String) -> String {
        switch field {
        case "watermark": "watermark.column"
        case "http": "http.paging"
        case "entryID", "entry": "entryID"
        default: field
        }
    }

    /// The form read into a draft: every problem of its own (numbers, lists, the cron expression) by field, in
    /// the officer's language. `kind` is the saved source's (an edit cannot change it); nil reads it from the form.
    static func collectionDraft(_ form: ConsoleForm, kind saved: CollectionSourceKind?, _ language: Language) -> (
        Int64?, CollectionSourceDraft?, FieldErrors
    ) {
        var problems = FieldErrors()
        func say(_ field: String, _ zh: String, _ en: String) { problems.add(field, language == .zh ? zh : en) }
        func text(_ name: String) -> String? {
            let value = form[name].trimmingCharacters(in: .whitespacesAndNewlines)
            return value.isEmpty ? nil : value
        }
        func number<T: LosslessStringConvertible>(_ name: String, _ type: T.Type) -> T? {
            guard let value = text(name) else { return nil }
            guard let parsed = T(value) else {
                say(name, "须为数字", "must be a number")
                return nil
            }
            return parsed
        }
        let entryID = text("entryID").flatMap { Int64($0) }
        if saved == nil && entryID == nil { say("entryID", "请选择目录", "choose an entry") }
        let kind = saved ?? text("kind").flatMap(CollectionSourceKind.init(rawValue:))
        if kind == nil { say("kind", "请选择数据源类型", "choose the kind of source") }
        var mapping: [String: String] = [:]
        for line in form["columnMapping"].split(whereSeparator: \.isNewline) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            let parts = trimmed.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                say(
                    "columnMapping", "“\(trimmed.prefix(40))”须写成 源列=信息项列名",
                    "“\(trimmed.prefix(40))” must read source_column=item_column")
                continue
            }
            mapping[parts[0]] = parts[1]
        }
        var watermark: SourceWatermark?
        if let column = text("watermark.column") {
            watermark = SourceWatermark(
                column: column, kind: text("watermark.kind").flatMap(WatermarkKind.init(rawValue:)) ?? .updateTime,
                overlap: number("watermark.overlap", Int64.self) ?? 0)
        }
        let schedule = text("schedule").flatMap(CollectionSchedule.init(rawValue:)) ?? .manual
        var cron: CronExpression?
        if let expression = text("cron") {
            do { cron = try CronExpression(expression) } catch {
                for issue in error.issues { problems.add("cron", issue.text.text(language)) }
            }
        }
        var location = text("location") ?? ""
        var secret: String?
        var http: HTTPSourceOptions?
        if kind == .httpJSON {
            http = HTTPSourceOptions(
                recordsPath: text("http.recordsPath"),
                paging: text("http.paging").flatMap(HTTPSourceOptions.Paging.init(rawValue:)) ?? .none,
                pageParameter: text("http.pageParameter"), sizeParameter: text("http.sizeParameter"),
                pageSize: number("http.pageSize", Int.self), firstPage: number("http.firstPage", Int.self),
                nextPath: text("http.nextPath"), authHeader: text("http.authHeader"),
                timeoutSeconds: number("http.timeoutSeconds", Int.self),
                requestsPerSecond: number("http.requestsPerSecond", Double.self))
            secret = text("secret")
        } else if kind == .postgres, let password = text("secret") {
            // The password has a field of its own and goes into the URL the use case seals it from.
            if let address = try? PostgresSourceAddress(url: location) { location = address.with(password: password) }
        }
        guard let kind else { return (entryID, nil, problems) }
        let draft = CollectionSourceDraft(
            name: text("name") ?? "", kind: kind, location: location, table: text("table"), query: text("query"),
            columnMapping: mapping, watermark: watermark, schedule: schedule,
            enabled: form["enabled"] == "true", http: http, secret: secret, cron: cron)
        return (entryID, draft, problems)
    }

    /// The add or change form: the fields as submitted (never a secret), or as saved, with the problems found and,
    /// after a test, what the source holds.
    func renderCollectionForm(
        user: User, context: HuitongRequestContext, source: CollectionSource?, form: ConsoleForm?,
        chosenEntry: Int64?, problems: FieldErrors, message: String? = nil, tested: SourceTestResult? = nil,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let language = context.language
        let every = AccessPolicy.reachesEveryDepartment(user, .ingestUpload)
        let entries = try await store.catalog.search(
            CatalogQuery(
                departmentIDs: every ? [] : [user.departmentID], statuses: Set(EntryStatus.allCases), limit: 500),
            facets: []
        ).entries.filter { !$0.content.items.isEmpty }
        let saved = source?.settings
        func value(_ name: String, _ stored: String?) -> String {
            if let form { return form[name] }
            return stored ?? ""
        }
        let kind = source?.kind.rawValue ?? value("kind", CollectionSourceKind.postgres.rawValue)
        let schedule = value("schedule", saved?.schedule.rawValue ?? CollectionSchedule.manual.rawValue)
        let paging = value("http.paging", saved?.http?.paging.rawValue ?? HTTPSourceOptions.Paging.none.rawValue)
        let watermarkKind = value(
            "watermark.kind", saved?.watermark?.kind.rawValue ?? WatermarkKind.updateTime.rawValue)
        var page = ConsoleCollectionFormPage(
            title: source.map { "\(pages.text("collection_edit", language))：\($0.name)" }
                ?? pages.text("collection_new", language),
            action: source.map { "/console/collection/\($0.id)" } ?? "/console/collection",
            editing: source != nil,
            sourceHref: source.map { "/console/collection/\($0.id)" },
            entries: entries.map { entry in
                OptionModel(
                    value: String(entry.id), label: "\(entry.content.name)（\(entry.code.text)）",
                    selected: entry.id == chosenEntry)
            },
            kinds: CollectionSourceKind.allCases.map { option in
                OptionModel(
                    value: option.rawValue, label: pages.text("collection_kind_\(option.rawValue)", language),
                    selected: option.rawValue == kind)
            },
            kindLabel: pages.text("collection_kind_\(kind)", language),
            name: value("name", saved?.name),
            location: value("location", source?.location),
            hasSecret: source?.sealedSecret != nil,
            table: value("table", saved?.table), query: value("query", saved?.query),
            columnMapping: form?["columnMapping"]
                ?? (saved?.columnMapping.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
                    .joined(separator: "\n") ?? ""),
            watermarkColumn: value("watermark.column", saved?.watermark?.column),
            watermarkKinds: WatermarkKind.allCases.map { option in
                OptionModel(
                    value: option.rawValue, label: pages.text("collection_watermark_\(option.rawValue)", language),
                    selected: option.rawValue == watermarkKind)
            },
            watermarkOverlap: value("watermark.overlap", saved?.watermark.map { String($0.overlap) }),
            schedules: CollectionSchedule.allCases.map { option in
                OptionModel(
                    value: option.rawValue, label: pages.text("collection_schedule_\(option.rawValue)", language),
                    selected: option.rawValue == schedule)
            },
            cron: value("cron", saved?.cron?.text),
            enabled: form.map { $0["enabled"] == "true" } ?? saved?.enabled ?? true,
            pagings: HTTPSourceOptions.Paging.allCases.map { option in
                OptionModel(
                    value: option.rawValue, label: pages.text("collection_paging_\(option.rawValue)", language),
                    selected: option.rawValue == paging)
            },
            recordsPath: value("http.recordsPath", saved?.http?.recordsPath),
            pageParameter: value("http.pageParameter", saved?.http?.pageParameter),
            sizeParameter: value("http.sizeParameter", saved?.http?.sizeParameter),
            pageSize: value("http.pageSize", saved?.http?.pageSize.map(String.init)),
            nextPath: value("http.nextPath", saved?.http?.nextPath),
            authHeader: value("http.authHeader", saved?.http?.authHeader),
            timeoutSeconds: value("http.timeoutSeconds", saved?.http?.timeoutSeconds.map(String.init)),
            requestsPerSecond: value("http.requestsPerSecond", saved?.http?.requestsPerSecond.map { "\($0)" }),
            message: message)
        page.show(problems, order: pages.fieldOrder(.consoleCollectionForm))
        if let tested { page.tested = testModel(tested) }
        return render(
            .consoleCollectionForm, page, user: user, section: "/console/collection", context: context,
            status: status)
    }

    func testModel(_ result: SourceTestResult) -> ConsoleCollectionTest {
        ConsoleCollectionTest(
            columns: result.columns.map { column in
                ConsoleCollectionTest.Column(name: column, item: result.matchedItems[column] ?? "")
            },
            hasColumns: !result.columns.isEmpty,
            missing: result.missingItems.joined(separator: "、"), hasMissing: !result.missingItems.isEmpty,
            sample: result.sample.map { ConsoleCollectionTest.Row(cells: $0) }, hasSample: !result.sample.isEmpty,
            files: result.files, hasFiles: !result.files.isEmpty)
    }

    // MARK: One source

    func collectionSource(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await page(request, context, .ingestUpload) { user in
            let source = try await collection.source(try context.id(), by: user)
            return try await renderCollectionSource(
                request, source: source, user: user, context: context, tested: nil, message: nil)
        }
    }

    /// Tests the saved source: the columns found, the items they fill and five masked rows (a drop directory: the
    /// files waiting), or why it could not be read.
    func testCollectionSource(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await page(request, context, .ingestUpload) { user in
            _ = try await ConsoleForm.read(request, context: context)
            let source = try await collection.source(try context.id(), by: user)
            do {
                let result = try await collection.test(source.id, by: user)
                return try await renderCollectionSource(
                    request, source: source, user: user, context: context, tested: result, message: nil)
            } catch let error as any HuitongError where Self.isSourceProblem(error) {
                return try await renderCollectionSource(
                    request, source: source, user: user, context: context, tested: nil,
                    message: error.message.text(context.language), status: error.kind.status)
            }
        }
    }

    /// Starts a run now (立即归集) and comes back to the source, whose history shows it running.
    func runCollectionSource(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await page(request, context, .ingestUpload) { user in
            _ = try await ConsoleForm.read(request, context: context)
            let source = try await collection.source(try context.id(), by: user)
            do {
                _ = try await collection.startRun(source.id, by: user)
            } catch let error as any HuitongError where Self.isSourceProblem(error) {
                return try await renderCollectionSource(
                    request, source: source, user: user, context: context, tested: nil,
                    message: error.message.text(context.language), status: error.kind.status)
            }
            return .redirect(to: "/console/collection/\(source.id)?done=started", type: .normal)
        }
    }

    func renderCollectionSource(
        _ request: Request, source: CollectionSource, user: User, context: HuitongRequestContext,
        tested: SourceTestResult?, message: String?, status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let language = context.language
        let entry = try await store.catalog.find(id: source.entryID)
        let runs = try await collection.runs(source.id, by: user, limit: 50)
        let running = runs.first { $0.status == .running }
        var progress: ConsoleCollectionSourcePage.Progress?
        if let running, let jobID = running.ingestJobID, let job = try await store.ingestJobs.find(id: jobID) {
            progress = .init(
                href: "/console/jobs/\(jobID)", percent: IngestAPI.JobBody(job).percent,
                rowsRead: PortalPages.grouped(job.rowsRead))
        }
        let health = try await collection.figures(departmentID: source.departmentID).sources.first {
            $0.sourceID == source.id
        }
        var page = ConsoleCollectionSourcePage(
            title: source.name, id: source.id,
            entryName: entry?.content.name ?? "", entryHref: "/console/entries/\(source.entryID)",
            kind: pages.text("collection_kind_\(source.kind.rawValue)", language),
            location: source.shownLocation, relation: source.table ?? source.query ?? "",
            schedule: scheduleText(source.schedule, cron: source.cron?.text, language),
            enabled: source.enabled,
            watermark: source.watermark.map {
                "\($0.column)（\(pages.text("collection_watermark_\($0.kind.rawValue)", language))）"
            } ?? "",
            watermarkValue: source.watermarkValue ?? "",
            nextRun: source.nextRunAt.map(PortalPages.dateTime) ?? "—",
            lastSuccess: source.lastSuccessAt.map(PortalPages.dateTime) ?? pages.text("collection_never", language),
            lag: Self.duration(health?.lagSeconds ?? 0, language), late: health?.isLate == true,
            editHref: "/console/collection/\(source.id)/edit",
            testAction: "/console/collection/\(source.id)/test", runAction: "/console/collection/\(source.id)/run",
            running: running != nil, progress: progress,
            hasRuns: !runs.isEmpty,
            runs: runs.map { run in
                ConsoleCollectionSourcePage.Run(
                    id: run.id, started: PortalPages.dateTime(run.startedAt),
                    trigger: pages.text("collection_trigger_\(run.trigger.rawValue)", language),
                    status: pages.text("collection_run_\(run.status.rawValue)", language),
                    failed: run.status == .failed, incremental: run.incremental,
                    rowsRead: PortalPages.grouped(run.rowsRead), rowsAccepted: PortalPages.grouped(run.rowsAccepted),
                    rowsRejected: PortalPages.grouped(run.rowsRejected),
                    rowsRetired: PortalPages.grouped(run.rowsRetired),
                    duration: run.finishedAt.map { Self.duration($0.timeIntervalSince(run.startedAt), language) } ?? "",
                    failure: run.failure?.text(language),
                    jobHref: run.ingestJobID.map { "/console/jobs/\($0)" },
                    report: run.rowsRejected > 0 ? run.ingestJobID.map { "/api/v1/ingest/jobs/\($0)/errors" } : nil)
            },
            message: message, notice: doneNotice(request, language))
        if let tested { page.tested = testModel(tested) }
        return render(
            .consoleCollectionSource, page, user: user, section: "/console/collection", context: context,
            status: status)
    }

    // MARK: Monitoring

    func collectionMonitoring(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await page(request, context, .ingestUpload) { user in
            let language = context.language
            let figures = try await collection.monitoring(by: user)
            let names = try await departmentNames()
            let page = ConsoleCollectionMonitoringPage(
                title: pages.text("collection_monitoring", language),
                rowsCollected: PortalPages.grouped(figures.rowsCollected),
                onTimeRate: Self.onTimeRate(figures).map(Self.percent) ?? "—",
                hasDepartments: !figures.departments.isEmpty,
                departments: Self.departmentRows(figures, names: names),
                hasFailing: figures.sources.contains { $0.consecutiveFailures > 0 || $0.isLate },
                failing: figures.sources.filter { $0.consecutiveFailures > 0 || $0.isLate }.map { status in
                    ConsoleCollectionMonitoringPage.Source(
                        href: "/console/collection/\(status.sourceID)", name: status.name,
                        department: names[status.departmentID] ?? "", failures: status.consecutiveFailures,
                        reason: status.lastFailure?.text(language) ?? "",
                        lag: Self.duration(status.lagSeconds, language), late: status.isLate)
                })
            return render(
                .consoleCollectionMonitoring, page, user: user, section: "/console/collection", context: context)
        }
    }

    /// Every department's on-time sources over its scheduled ones: the whole node's on-time rate; nil when no
    /// source is scheduled.
    static func onTimeRate(_ figures: CollectionMonitoring) -> Double? {
        let scheduled = figures.departments.reduce(0) { $0 + $1.scheduledSources }
        guard scheduled > 0 else { return nil }
        return Double(figures.departments.reduce(0) { $0 + $1.onTimeSources }) / Double(scheduled)
    }

    static func departmentRows(_ figures: CollectionMonitoring, names: [Int64: String])
        -> [ConsoleCollectionMonitoringPage.Department]
    {
        figures.departments.map { department in
            ConsoleCollectionMonitoringPage.Department(
                name: names[department.departmentID] ?? String(department.departmentID),
                sources: department.sources, scheduled: department.scheduledSources,
                onTime: department.onTimeSources, rate: department.onTimeRate.map(Self.percent) ?? "—",
                failing: department.failingSources, rows: PortalPages.grouped(department.rowsCollected))
        }
    }

    // MARK: Formatting

    func scheduleText(_ schedule: CollectionSchedule, cron: String?, _ language: Language) -> String {
        let label = pages.text("collection_schedule_\(schedule.rawValue)", language)
        guard schedule == .cron, let cron else { return label }
        return "\(label) \(cron)"
    }

    /// A length of time in words: seconds, minutes, hours or days.
    static func duration(_ seconds: Double, _ language: Language) -> String {
        let zh = language == .zh
        switch seconds {
        case ..<60: return zh ? "\(Int(seconds.rounded())) 秒" : "\(Int(seconds.rounded())) s"
        case ..<3600: return zh ? "\(Int((seconds / 60).rounded())) 分钟" : "\(Int((seconds / 60).rounded())) min"
        case ..<86_400:
            let hours = (seconds / 360).rounded() / 10
            return zh ? "\(hours) 小时" : "\(hours) h"
        default:
            let days = (seconds / 8640).rounded() / 10
            return zh ? "\(days) 天" : "\(days) d"
        }
    }
}

// MARK: Models

struct ConsoleCollectionPage: PageModel {
    var title: String
    var hasSources: Bool
    var sources: [Source]
    var rowsCollected: String
    var notice: String?

    struct Source: Sendable {
        var href: String
        var name: String
        var entry: String
        var department: String
        var kind: String
        var schedule: String
        var enabled: Bool
        var nextRun: String
        var lastRun: String
        var lastRunFailed: Bool
        var lag: String
        var late: Bool
    }
}

/// What a test connection found, as the form and the source page show it.
struct ConsoleCollectionTest: Sendable {
    var columns: [Column]
    var hasColumns: Bool
    var missing: String
    var hasMissing: Bool
    var sample: [Row]
    var hasSample: Bool
    var files: [String]
    var hasFiles: Bool

    struct Column: Sendable {
        var name: String
        var item: String
    }

    struct Row: Sendable {
        var cells: [String]
    }
}

struct ConsoleCollectionFormPage: PageModel, FormProblemsModel {
    var title: String
    var action: String
    var editing: Bool
    var sourceHref: String?
    var entries: [OptionModel]
    var kinds: [OptionModel]
    var kindLabel: String
    var name: String
    var location: String
    var hasSecret: Bool
    var table: String
    var query: String
    var columnMapping: String
    var watermarkColumn: String
    var watermarkKinds: [OptionModel]
    var watermarkOverlap: String
    var schedules: [OptionModel]
    var cron: String
    var enabled: Bool
    var pagings: [OptionModel]
    var recordsPath: String
    var pageParameter: String
    var sizeParameter: String
    var pageSize: String
    var nextPath: String
    var authHeader: String
    var timeoutSeconds: String
    var requestsPerSecond: String
    var message: String?
    var tested: ConsoleCollectionTest?
    var errors: [String: String]?
    var hasErrors: Bool?
    var errorList: [FieldErrorModel]?
}

struct ConsoleCollectionSourcePage: PageModel {
    var title: String
    var id: Int64
    var entryName: String
    var entryHref: String
    var kind: String
    var location: String
    var relation: String
    var schedule: String
    var enabled: Bool
    var watermark: String
    var watermarkValue: String
    var nextRun: String
    var lastSuccess: String
    var lag: String
    var late: Bool
    var editHref: String
    var testAction: String
    var runAction: String
    var running: Bool
    var progress: Progress?
    var hasRuns: Bool
    var runs: [Run]
    var message: String?
    var notice: String?
    var tested: ConsoleCollectionTest?

    struct Progress: Sendable {
        var href: String
        var percent: Int
        var rowsRead: String
    }

    struct Run: Sendable {
        var id: Int64
        var started: String
        var trigger: String
        var status: String
        var failed: Bool
        var incremental: Bool
        var rowsRead: String
        var rowsAccepted: String
        var rowsRejected: String
        var rowsRetired: String
        var duration: String
        var failure: String?
        var jobHref: String?
        var report: String?
    }
}

struct ConsoleCollectionMonitoringPage: PageModel {
    var title: String
    var rowsCollected: String
    var onTimeRate: String
    var hasDepartments: Bool
    var departments: [Department]
    var hasFailing: Bool
    var failing: [Source]

    struct Department: Sendable {
        var name: String
        var sources: Int
        var scheduled: Int
        var onTime: Int
        var rate: String
        var failing: Int
        var rows: String
    }

    struct Source: Sendable {
        var href: String
        var name: String
        var department: String
        var failures: Int
        var reason: String
        var lag: String
        var late: Bool
    }
}
