import Foundation
import HuitongCore
import HuitongIngest
import HuitongServices
import HuitongStore
import Hummingbird

/// Data quality over HTTP: an entry's rules (derived and custom), its runs, its problem queue and report, the
/// department report and ranking, and the multi-source comparison. Providers see their own department's entries,
/// operators every entry; another department's entry answers 404 like a missing one.
struct QualityAPI: Sendable {
    let service: QualityUseCases
    /// The collection monitoring whose on-time rate (按时更新率) is a department's timeliness; nil: none.
    var collection: CollectionUseCases?
    var store: Store { service.store }

    func register(on api: RouterGroup<HuitongRequestContext>) {
        api.get("catalog/entries/:id/quality/rules", use: rules)
        api.post("catalog/entries/:id/quality/rules", use: addRule)
        api.patch("catalog/entries/:id/quality/rules/:rule", use: setRuleEnabled)
        api.delete("catalog/entries/:id/quality/rules/:rule", use: deleteRule)
        api.post("catalog/entries/:id/quality/runs", use: runNow)
        api.get("catalog/entries/:id/quality/runs", use: runs)
        api.get("quality/runs/:id", use: run)
        api.get("catalog/entries/:id/quality/problems", use: problems)
        api.patch("quality/problems/:id", use: resolveProblem)
        api.get("catalog/entries/:id/quality/report", use: entryReport)
        api.get("departments/:id/quality/report", use: departmentReport)
        api.get("quality/ranking", use: ranking)
        api.post("quality/comparisons", use: compare)
    }

    // MARK: Bodies

    struct CustomRuleBody: Codable {
        var id: Int64
        var rule: QualityRuleSpec
        var enabled: Bool
        var createdAt: Date
        var updatedAt: Date

        init(_ rule: QualityCustomRule) {
            id = rule.id
            self.rule = QualityRuleSpec(rule.rule)
            enabled = rule.enabled
            createdAt = rule.createdAt
            updatedAt = rule.updatedAt
        }
    }

    struct RulesBody: Codable {
        var entryID: Int64
        var derived: [QualityRuleSpec]
        var custom: [CustomRuleBody]
        /// What a run applies: the derived rules and the enabled custom ones.
        var effective: [QualityRuleSpec]
    }

    struct RuleResultBody: Codable {
        var rule: QualityRuleSpec
        var checked: Int
        var failed: Int
        var passRate: Double?
        var samples: [QualitySample]
        var problemsTruncated: Bool
        var note: BilingualText?
    }

    struct RunBody: Codable {
        var id: Int64
        var entryID: Int64
        var departmentID: Int64
        var poolVersion: Int?
        var trigger: QualityTrigger
        var status: QualityRunStatus
        var rowsTotal: Int64
        var rowsChecked: Int64
        var percent: Int
        var score: Double?
        var message: String
        var startedAt: Date
        var finishedAt: Date?
        var dimensions: [QualityDimensionScore]?
        var rules: [RuleResultBody]?

        init(_ run: QualityRun) {
            id = run.id
            entryID = run.entryID
            departmentID = run.departmentID
            poolVersion = run.poolVersion
            trigger = run.trigger
            status = run.status
            rowsTotal = run.rowsTotal
            rowsChecked = run.rowsChecked
            percent =
                run.status == .running
                ? (run.rowsTotal > 0 ? Int(min(99, run.rowsChecked * 100 / run.rowsTotal)) : 0) : 100
            score = run.score
            message = run.message
            startedAt = run.startedAt
            finishedAt = run.finishedAt
            dimensions = run.report?.dimensions
            rules = run.report?.rules.map {
                RuleResultBody(
                    rule: QualityRuleSpec($0.rule), checked: $0.checked, failed: $0.failed, passRate: $0.passRate,
                    samples: $0.samples, problemsTruncated: $0.failingRowsTruncated, note: $0.note)
            }
        }
    }

    struct ListBody<Item: Encodable>: Encodable {
        var items: [Item]
    }

    // MARK: Rules

    func rules(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let (_, entry) = try await managedEntry(context, .qualityReadEntry)
        let custom = try await store.quality.customRules(entryID: entry.id)
        let derived = service.derivedRules(for: entry)
        return try JSONResponse.make(
            RulesBody(
                entryID: entry.id, derived: derived.map(QualityRuleSpec.init), custom: custom.map(CustomRuleBody.init),
                effective: (derived + custom.filter(\.enabled).map(\.rule)).map(QualityRuleSpec.init)))
    }

    func addRule(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let (user, entry) = try await managedEntry(context, .qualityManageEntry)
        let spec = try await request.decodeJSON(QualityRuleSpec.self, context: context)
        let rule = try await service.addRule(spec, to: entry, by: user.id)
        return try JSONResponse.make(CustomRuleBody(rule), status: .created)
    }

    struct EnabledChange: Codable {
        var enabled: Bool
    }

    func setRuleEnabled(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let (_, entry) = try await managedEntry(context, .qualityManageEntry)
        let change = try await request.decodeJSON(EnabledChange.self, context: context)
        let rule = try await store.quality.setRuleEnabled(
            entryID: entry.id, id: try context.id("rule"), enabled: change.enabled, at: Date())
        return try JSONResponse.make(CustomRuleBody(rule))
    }

    func deleteRule(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let (_, entry) = try await managedEntry(context, .qualityManageEntry)
        try await store.quality.deleteRule(entryID: entry.id, id: try context.id("rule"))
        return Response(status: .noContent)
    }

    // MARK: Runs

    func runNow(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let (user, entry) = try await managedEntry(context, .qualityManageEntry)
        let (run, _) = try await service.start(entry: entry, trigger: .manual, requestedBy: user.id)
        return try JSONResponse.make(RunBody(run), status: .accepted)
    }

    func runs(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let (_, entry) = try await managedEntry(context, .qualityReadEntry)
        return try JSONResponse.make(
            ListBody(items: try await store.quality.runs(entryID: entry.id, limit: 100).map(RunBody.init)))
    }

    func run(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let id = try context.id()
        guard let run = try await store.quality.run(id: id) else {
            throw StoreError.notFound(entity: "quality run", key: "\(id)")
        }
        _ = try await managedEntry(context, .qualityReadEntry, id: run.entryID, missing: ("quality run", id))
        return try JSONResponse.make(RunBody(run))
    }

    // MARK: Problems

    struct ProblemsBody: Codable {
        var run: RunBody?
        var total: Int
        var offset: Int
        var limit: Int
        var items: [QualityProblem]
    }

    func problems(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let (_, entry) = try await managedEntry(context, .qualityReadEntry)
        let query = request.uri.queryParameters
        var issues = ValidationCollector()
        var status: QualityProblemStatus?
        if let text = query["status"].map(String.init) {
            status = QualityProblemStatus(rawValue: text)
            if status == nil {
                issues.add(
                    "status", BilingualText(zh: "须为 open、handled 或 ignored", en: "must be open, handled or ignored"))
            }
        }
        let offset = query["offset"].map { Int(String($0)) ?? -1 } ?? 0
        let limit = query["limit"].map { Int(String($0)) ?? -1 } ?? 100
        if offset < 0 { issues.add("offset", BilingualText(zh: "须为非负整数", en: "must be a whole number, 0 or more")) }
        if !(1...1000).contains(limit) { issues.add("limit", BilingualText(zh: "须为 1–1000", en: "must be 1–1000")) }
        try issues.throwIfAny()
        let page = try await store.quality.problems(entryID: entry.id, status: status, offset: offset, limit: limit)
        return try JSONResponse.make(
            ProblemsBody(
                run: page.run.map(RunBody.init), total: page.total, offset: offset, limit: limit, items: page.items))
    }

    struct Resolution: Codable {
        var status: QualityProblemStatus
        var note: String?
    }

    func resolveProblem(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let id = try context.id()
        guard let problem = try await store.quality.problem(id: id) else {
            throw StoreError.notFound(entity: "quality problem", key: "\(id)")
        }
        let (user, _) = try await managedEntry(
            context, .qualityManageEntry, id: problem.entryID, missing: ("quality problem", id))
        let change = try await request.decodeJSON(Resolution.self, context: context)
        let note = (change.note ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        var issues = ValidationCollector()
        if change.status == .ignored && note.isEmpty {
            issues.add("note", BilingualText(zh: "忽略问题须说明理由", en: "say why the problem is ignored"))
        }
        if note.count > 1000 { issues.add("note", BilingualText(zh: "不超过 1000 字", en: "at most 1000 characters")) }
        try issues.throwIfAny()
        return try JSONResponse.make(
            try await store.quality.resolveProblem(id: id, status: change.status, note: note, by: user.id, at: Date()))
    }

    // MARK: Reports

    struct EntryReportBody: Codable {
        var entryID: Int64
        var code: String
        var name: String
        var departmentID: Int64
        var departmentName: String
        /// The current score (`QualityUseCases.currentScore`); nil before the first successful run.
        var score: Double?
        var run: RunBody?
        var openProblems: Int
    }

    /// What an entry's report shows, for its JSON, its CSV and its page alike: the latest run, the open problems
    /// and the current score.
    func entryReportParts(_ entry: CatalogEntry) async throws -> (run: QualityRun?, openProblems: Int, score: Double?) {
        (
            run: try await store.quality.latestRun(entryID: entry.id),
            openProblems: try await store.quality.problems(entryID: entry.id, status: .open, offset: 0, limit: 1).total,
            score: try await service.currentScore(entryID: entry.id)
        )
    }

    func entryReport(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let (_, entry) = try await managedEntry(context, .qualityReadEntry)
        let (run, open, score) = try await entryReportParts(entry)
        let body = EntryReportBody(
            entryID: entry.id, code: entry.code.description, name: entry.content.name,
            departmentID: entry.provider.departmentID, departmentName: entry.provider.name,
            score: score, run: run.map(RunBody.init), openProblems: open)
        guard Self.wantsCSV(request) else { return try JSONResponse.make(body) }
        var rows: [[String]] = [
            ["目录 entry", entry.content.name], ["资源代码 code", body.code], ["提供部门 department", body.departmentName],
            ["得分 score", Self.format(body.score)], ["数据版本 pool version", run?.poolVersion.map(String.init) ?? ""],
            ["检查行数 rows checked", run.map { String($0.rowsChecked) } ?? ""],
            ["检测时间 finished", run?.finishedAt.map(Self.timestamp) ?? ""],
            ["待处理问题 open problems", String(open)], [],
            ["维度 dimension", "得分 score", "检查数 checked", "不合格数 failed"],
        ]
        for dimension in run?.report?.dimensions ?? [] {
            rows.append([
                "\(dimension.dimension.label.zh) \(dimension.dimension.label.en)", Self.format(dimension.score),
                String(dimension.checked), String(dimension.failed),
            ])
        }
        rows += [
            [],
            [
                "规则 rule", "类型 kind", "维度 dimension", "列 columns", "检查数 checked", "不合格数 failed", "合格率 pass rate",
                "说明 note",
            ],
        ]
        for result in run?.report?.rules ?? [] {
            let spec = QualityRuleSpec(result.rule)
            rows.append([
                result.rule.id, spec.kind.rawValue, result.rule.dimension.rawValue,
                result.rule.columns.joined(separator: "+"), String(result.checked), String(result.failed),
                Self.format(result.passRate), result.note?.combined ?? "",
            ])
        }
        rows += [[], ["规则 rule", "行号 row", "列 column", "值（已脱敏） masked value", "原因 reason"]]
        for result in run?.report?.rules ?? [] {
            for sample in result.samples {
                rows.append([
                    result.rule.id, String(sample.row), sample.column, sample.maskedValue, sample.reason.combined,
                ])
            }
        }
        return CatalogTransferAPI.download(
            CSVWriter.encode(rows: rows, options: .init(includesByteOrderMark: true)), type: "text/csv; charset=utf-8",
            name: "quality-entry-\(entry.id).csv")
    }

    struct DepartmentReportBody: Codable {
        struct Entry: Codable {
            var entryID: Int64
            var code: String
            var name: String
            var score: Double?
            var runID: Int64
            var finishedAt: Date
            var dimensions: [QualityDimensionScore]
        }

        var departmentID: Int64
        var departmentName: String
        /// The mean of the entries' current scores; nil when none is scored.
        var score: Double?
        var entriesScored: Int
        var entries: [Entry]
        /// The department's timeliness, 0–100: its collection sources' on-time rate (按时更新率) when it has
        /// scheduled sources, else the mean of its entries' timeliness scores; nil when neither is known.
        var timeliness: Double?
        /// Its collection figures (sources on time, rows collected: 归集总量); nil when it has no source.
        var collection: DepartmentCollectionFigures?
    }

    /// The department named by the path, when the caller may see its report: the operator any, a provider its own.
    func visibleDepartment(_ context: HuitongRequestContext) async throws -> Department {
        let user = try context.require(.qualityReadDepartmentReport)
        let id = try context.id()
        guard AccessPolicy.allows(user, .qualityReadDepartmentReport, department: id),
            let department = try await store.departments.find(id: id)
        else { throw StoreError.notFound(entity: "department", key: "\(id)") }
        return department
    }

    /// A department's report: its scored entries with their current scores and dimensions, and their mean.
    func departmentReportBody(_ department: Department) async throws -> DepartmentReportBody {
        let records = try await store.quality.latestScores(entryIDs: nil).filter { $0.departmentID == department.id }
        let scores = try await service.currentScores(of: records)
        let entries = Dictionary(
            try await store.catalog.entries(ids: records.map(\.entryID)).map { ($0.id, $0) },
            uniquingKeysWith: { first, _ in first })
        var items: [DepartmentReportBody.Entry] = []
        for record in records {
            guard let entry = entries[record.entryID] else { continue }
            let run = try await store.quality.run(id: record.runID)
            items.append(
                .init(
                    entryID: entry.id, code: entry.code.description, name: entry.content.name,
                    score: scores[entry.id], runID: record.runID, finishedAt: record.finishedAt,
                    dimensions: run?.report?.dimensions ?? []))
        }
        let scored = items.compactMap(\.score)
        let figures = try await collection?.figures(departmentID: department.id).departments.first
        let entryTimeliness = items.compactMap { item in item.dimensions.first { $0.dimension == .timeliness }?.score }
        return DepartmentReportBody(
            departmentID: department.id, departmentName: department.name,
            score: scored.isEmpty ? nil : scored.reduce(0, +) / Double(scored.count), entriesScored: scored.count,
            entries: items,
            timeliness: figures?.onTimeRate.map { $0 * 100 }
                ?? (entryTimeliness.isEmpty ? nil : entryTimeliness.reduce(0, +) / Double(entryTimeliness.count)),
            collection: figures)
    }

    func departmentReport(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let department = try await visibleDepartment(context)
        let body = try await departmentReportBody(department)
        let items = body.entries
        guard Self.wantsCSV(request) else { return try JSONResponse.make(body) }
        var rows: [[String]] = [
            ["部门 department", department.name], ["平均得分 mean score", Self.format(body.score)],
            ["已评分目录 entries scored", String(body.entriesScored)],
            ["时效性 timeliness", Self.format(body.timeliness)],
            ["按时更新率 on-time rate", Self.format(body.collection?.onTimeRate.map { $0 * 100 })],
            ["归集总量 rows collected", body.collection.map { String($0.rowsCollected) } ?? ""], [],
        ]
        rows.append(
            ["目录 entry", "资源代码 code", "得分 score"]
                + QualityDimension.allCases.map { "\($0.label.zh) \($0.label.en)" } + ["检测时间 finished"])
        for item in items {
            let byDimension = Dictionary(
                item.dimensions.map { ($0.dimension, $0.score) }, uniquingKeysWith: { first, _ in first })
            rows.append(
                [item.name, item.code, Self.format(item.score)]
                    + QualityDimension.allCases.map { Self.format(byDimension[$0] ?? nil) }
                    + [Self.timestamp(item.finishedAt)])
        }
        return CatalogTransferAPI.download(
            CSVWriter.encode(rows: rows, options: .init(includesByteOrderMark: true)), type: "text/csv; charset=utf-8",
            name: "quality-department-\(department.id).csv")
    }

    func ranking(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try context.require(.qualityReadRanking)
        return try JSONResponse.make(ListBody(items: try await service.ranking()))
    }

    // MARK: Comparison

    func compare(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let user = try context.require(.qualityCompare)
        let body = try await request.decodeJSON(QualityComparisonRequest.self, context: context)
        func entry(_ id: Int64) async throws -> CatalogEntry {
            guard let entry = try await store.catalog.find(id: id),
                AccessPolicy.allows(user, .qualityCompare, department: entry.provider.departmentID)
            else { throw StoreError.notFound(entity: "catalog entry", key: "\(id)") }
            return entry
        }
        let left = try await entry(body.left.entryID)
        let right = try await entry(body.right.entryID)
        return try JSONResponse.make(try await service.compare(body, left: left, right: right))
    }

    // MARK: Helpers

    /// The entry named by the path, if the caller may do `action` to its quality (its department's providers, or
    /// an operator): 403 for an officer without the role, 404 for another department's entry as for a missing one.
    func managedEntry(_ context: HuitongRequestContext, _ action: OfficerAction) async throws -> (User, CatalogEntry) {
        try await managedEntry(context, action, id: try context.id(), missing: ("catalog entry", try context.id()))
    }

    func managedEntry(
        _ context: HuitongRequestContext, _ action: OfficerAction, id: Int64, missing: (entity: String, id: Int64)
    ) async throws -> (User, CatalogEntry) {
        let user = try context.require(action)
        guard let entry = try await store.catalog.find(id: id),
            AccessPolicy.allows(user, action, department: entry.provider.departmentID)
        else { throw StoreError.notFound(entity: missing.entity, key: "\(missing.id)") }
        return (user, entry)
    }

    static func wantsCSV(_ request: Request) -> Bool {
        if let format = request.uri.queryParameters["format"] { return format == "csv" }
        return request.headers[.accept]?.contains("text/csv") ?? false
    }

    static func format(_ score: Double?) -> String {
        score.map { String(format: "%.2f", $0) } ?? ""
    }

    static func timestamp(_ date: Date) -> String {
        ISO8601DateFormatter().string(from: date)
    }
}

extension QualityAPI.ListBody: Decodable where Item: Decodable {}
