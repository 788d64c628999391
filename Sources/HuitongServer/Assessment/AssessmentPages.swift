import Foundation
import HuitongCore
import HuitongIngest
import HuitongServices
import HuitongStore
import Hummingbird

/// 考核 and 通报 in the console: the weekly or monthly 通报 (every department ranked, with its trend), its XLSX
/// export, and one department's scorecard — the bureau's to read for every department, a 首席数据官's for their
/// own (and the 通报 it is ranked in).
struct AssessmentPages: Sendable {
    let service: AssessmentUseCases
    let console: ConsolePages
    let pages: PageRenderer
    /// Today, for the default period; tests pass a fixed day.
    var now: @Sendable () -> Date = { Date() }

    func register(on router: Router<HuitongRequestContext>) {
        router.get("/console/assessment", use: report)
        router.get("/console/assessment/report.xlsx", use: export)
        router.get("/console/assessment/departments/:id", use: department)
        router.get("/console/assessment/weights", use: weights)
        router.post("/console/assessment/weights", use: saveWeights)
    }

    // MARK: Weights

    /// A year's weights and targets, as a form (`?year=2027`; this year by default).
    func weights(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await console.page(request, context, .assessmentManageWeights) { user in
            let year =
                request.uri.queryParameters["year"].flatMap { Int(String($0)) }.flatMap {
                    (2000...2100).contains($0) ? $0 : nil
                } ?? CalendarDate(now()).year
            let current = try await service.store.assessmentWeights(year: year)
            var values: [String: String] = [:]
            for line in current?.weights ?? [] {
                values["weight.\(line.indicator.rawValue)"] = Self.number(line.weight)
                values["target.\(line.indicator.rawValue)"] = Self.number(line.target)
            }
            let saved = request.uri.queryParameters["done"] == "saved"
            return renderWeights(
                year: year, values: values, inherited: current.map { $0.year != year } ?? true, saved: saved,
                errors: [], user: user, context: context, status: .ok)
        }
    }

    func saveWeights(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await console.page(request, context, .assessmentManageWeights) { user in
            let form = try await ConsoleForm.read(request, context: context)
            var values: [String: String] = [:]
            var errors: [WeightIssue] = []
            let yearText = form["year"].trimmingCharacters(in: .whitespaces)
            let year = Int(yearText).flatMap { (2000...2100).contains($0) ? $0 : nil }
            if year == nil {
                errors.append(
                    WeightIssue(
                        field: "year",
                        message: BilingualText(zh: "年度须为 2000–2100 的整数", en: "year must be 2000–2100").text(
                            context.language)))
            }
            var lines: [IndicatorWeight] = []
            for indicator in AssessmentIndicator.allCases {
                let weightField = "weight.\(indicator.rawValue)"
                let targetField = "target.\(indicator.rawValue)"
                let weightText = form[weightField].trimmingCharacters(in: .whitespaces)
                let targetText = form[targetField].trimmingCharacters(in: .whitespaces)
                values[weightField] = weightText
                values[targetField] = targetText
                let name = indicator.label.text(context.language)
                guard let weight = Double(weightText), weight.isFinite, (0...100).contains(weight) else {
                    errors.append(
                        WeightIssue(
                            field: weightField,
                            message: (context.language == .zh
                                ? "“\(name)”的权重须为 0–100 的数" : "the weight of \(name) must be a number 0–100")))
                    continue
                }
                guard let target = Double(targetText), target.isFinite, target > 0 else {
                    errors.append(
                        WeightIssue(
                            field: targetField,
                            message: (context.language == .zh
                                ? "“\(name)”的目标值须为正数" : "the target of \(name) must be a positive number")))
                    continue
                }
                lines.append(IndicatorWeight(indicator: indicator, weight: weight, target: target))
            }
            guard let year, errors.isEmpty else {
                return renderWeights(
                    year: year ?? CalendarDate(now()).year, values: values, inherited: false, saved: false,
                    errors: errors, user: user, context: context, status: .badRequest)
            }
            for line in lines { try await service.store.setAssessmentWeight(year: year, line) }
            return .redirect(to: "/console/assessment/weights?year=\(year)&done=saved", type: .normal)
        }
    }

    func renderWeights(
        year: Int, values: [String: String], inherited: Bool, saved: Bool, errors: [WeightIssue], user: User,
        context: HuitongRequestContext, status: HTTPResponse.Status
    ) -> Response {
        let language = context.language
        let messages = Dictionary(errors.map { ($0.field, $0.message) }, uniquingKeysWith: { first, _ in first })
        let page = AssessmentWeightsPage(
            title: "\(pages.text("assessment_weights_title", language)) · \(year)",
            year: String(year), inherited: inherited, saved: saved,
            lines: AssessmentIndicator.allCases.map { indicator in
                AssessmentWeightsPage.Line(
                    name: indicator.label.text(language), key: indicator.rawValue,
                    weight: values["weight.\(indicator.rawValue)"] ?? "",
                    target: values["target.\(indicator.rawValue)"] ?? "",
                    weightError: messages["weight.\(indicator.rawValue)"],
                    targetError: messages["target.\(indicator.rawValue)"],
                    isCount: indicator.isCount)
            },
            errors: errors.map { AssessmentWeightsPage.Issue(href: "#field-\($0.field)", message: $0.message) },
            hasErrors: !errors.isEmpty)
        return console.render(
            .consoleAssessmentWeights, page, user: user, section: "/console/assessment", context: context,
            status: status)
    }

    /// A field of the weights' form and what is wrong with it, in the page's language.
    struct WeightIssue {
        var field: String
        var message: String
    }

    static func number(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }

    /// `?period=2026-12` (a month) or `?period=2026-12-07` (the week holding that day); `?kind=week|month` picks
    /// the current week or month. Nil with an error when the period cannot be read.
    func requestedPeriod(_ request: Request) throws(ValidationError) -> AssessmentPeriod {
        if let text = request.uri.queryParameters["period"].map(String.init), !text.isEmpty {
            guard let period = AssessmentPeriod.parse(text) else {
                throw ValidationError(
                    field: "period",
                    BilingualText(
                        zh: "期间须为月份（2026-12）或某一天（2026-12-07，表示所在的周）",
                        en: "period must be a month (2026-12) or a day (2026-12-07, for its week)"))
            }
            return period
        }
        let kind = request.uri.queryParameters["kind"].flatMap { AssessmentPeriod.Kind(rawValue: String($0)) } ?? .month
        return AssessmentPeriod.containing(CalendarDate(now()), kind: kind)
    }

    func report(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await console.page(request, context, .assessmentReadReport) { user in
            let language = context.language
            let period = try requestedPeriod(request)
            let report = try await service.report(for: period, now: now())
            let rows = report.departments.map { entry in
                AssessmentReportPage.Row(
                    rank: entry.rank, name: entry.department.name,
                    href: AccessPolicy.allows(user, .assessmentReadScorecard, department: entry.department.id)
                        ? "/console/assessment/departments/\(entry.department.id)?period=\(period)" : nil,
                    total: Self.score(entry.scorecard.total),
                    change: Self.change(entry.trend, language),
                    scores: entry.scorecard.lines.map { $0.score.map(Self.score) ?? "—" },
                    trend: entry.trend.map(Self.score).joined(separator: " → "))
            }
            let bars = report.departments.map {
                ConsoleChart.Bar(
                    label: $0.department.name, value: $0.scorecard.total, display: Self.score($0.scorecard.total))
            }
            var page = AssessmentReportPage(
                title: "\(pages.text("assessment_title", language)) · \(Self.periodName(period, language))",
                period: Self.periodName(period, language),
                kindWeek: period.kind == .week,
                indicators: report.weights.weights.map {
                    AssessmentReportPage.Header(
                        label: $0.indicator.label.text(language), weight: Self.score($0.weight))
                },
                rows: rows, hasRows: !rows.isEmpty,
                chart: ConsoleChart.rows(
                    bars, id: "assessment-ranking", title: pages.text("assessment_ranking", language), maximum: 100),
                trendPeriods: report.periods.map { Self.periodName($0, language) }.joined(separator: " → "),
                weightsYear: String(report.weights.year),
                exportHref: "/console/assessment/report.xlsx?period=\(period)",
                periodChoices: report.periods.reversed().map {
                    OptionModel(
                        value: $0.description, label: Self.periodName($0, language), selected: $0 == period)
                },
                weekHref: "/console/assessment?kind=week",
                monthHref: "/console/assessment?kind=month")
            if AccessPolicy.allows(user, .assessmentManageWeights) {
                page.weightsHref = "/console/assessment/weights?year=\(report.weights.year)"
            }
            if AccessPolicy.allows(user, .assessmentReadScorecard, department: user.departmentID) {
                page.ownHref = "/console/assessment/departments/\(user.departmentID)?period=\(period)"
            }
            return console.render(
                .consoleAssessment, page, user: user, section: "/console/assessment", context: context)
        }
    }

    /// The 通报 as a workbook: the ranking with every indicator's score, then each department's facts.
    func export(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await console.page(request, context, .assessmentReadReport) { _ in
            let language = context.language
            let period = try requestedPeriod(request)
            let report = try await service.report(for: period, now: now())
            let data = try Self.workbook(report, language: language)
            return Response(
                status: .ok,
                headers: [
                    .contentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    .contentDisposition: "attachment; filename=\"assessment-\(period).xlsx\"",
                    .contentLength: String(data.count), .cacheControl: "private, no-store",
                ],
                body: ResponseBody(byteBuffer: ByteBuffer(data: data)))
        }
    }

    static func workbook(_ report: AssessmentReport, language: Language) throws(TabularError) -> Data {
        let zh = language == .zh
        var writer = XLSXWriter(options: .init(stringStorage: .inline))
        try writer.addSheet(named: zh ? "通报" : "Ranking")
        try writer.appendRow([.text(zh ? "考核期间" : "Period"), .text(periodName(report.period, language))])
        try writer.appendRow(
            [XLSXCell.text(zh ? "排名" : "Rank"), .text(zh ? "部门" : "Department"), .text(zh ? "总分" : "Total")]
                + report.weights.weights.map {
                    XLSXCell.text("\($0.indicator.label.text(language))（\(score($0.weight))）")
                }
                + report.periods.map { XLSXCell.text(periodName($0, language)) })
        for entry in report.departments {
            try writer.appendRow(
                [
                    XLSXCell.number(Double(entry.rank)), .text(entry.department.name),
                    .number(rounded(entry.scorecard.total)),
                ]
                    + entry.scorecard.lines.map { line -> XLSXCell in line.score.map { .number(rounded($0)) } ?? .empty
                    }
                    + entry.trend.map { XLSXCell.number(rounded($0)) })
        }
        try writer.addSheet(named: zh ? "指标数据" : "Facts")
        try writer.appendRow(
            [XLSXCell.text(zh ? "部门" : "Department")]
                + AssessmentIndicator.allCases.map { XLSXCell.text($0.label.text(language)) })
        for entry in report.departments {
            try writer.appendRow(
                [XLSXCell.text(entry.department.name)]
                    + AssessmentIndicator.allCases.map { indicator -> XLSXCell in
                        let value = entry.scorecard.facts.value(of: indicator)
                        return value.map { .number(rounded($0 * (indicator.isCount ? 1 : 100))) } ?? .empty
                    })
        }
        return try writer.makeData()
    }

    func department(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await console.page(request, context) { user in
            let language = context.language
            guard let id = context.parameters.get("id").flatMap(Int64.init) else {
                throw StoreError.notFound(entity: "department", key: "")
            }
            try AccessPolicy.require(user, .assessmentReadScorecard, department: id)
            let period = try requestedPeriod(request)
            let report = try await service.report(for: period, now: now())
            guard let entry = report.departments.first(where: { $0.department.id == id }) else {
                throw StoreError.notFound(entity: "department", key: String(id))
            }
            let facts = entry.scorecard.facts
            let lines = entry.scorecard.lines.map { line in
                AssessmentDepartmentPage.Line(
                    name: line.indicator.label.text(language),
                    value: line.value.map { line.indicator.isCount ? PortalPages.grouped(Int64($0)) : Self.percent($0) }
                        ?? pages.text("assessment_not_measured", language),
                    basis: Self.basis(line.indicator, facts),
                    score: line.score.map(Self.score) ?? "—", weight: Self.score(line.weight))
            }
            let bars = zip(report.periods, entry.trend).map { period, total in
                ConsoleChart.Bar(label: Self.periodName(period, language), value: total, display: Self.score(total))
            }
            let page = AssessmentDepartmentPage(
                title: "\(entry.department.name) · \(pages.text("assessment_scorecard", language))",
                department: entry.department.name, period: Self.periodName(period, language),
                total: Self.score(entry.scorecard.total), rank: entry.rank, of: report.departments.count,
                lines: lines,
                chart: ConsoleChart.columns(
                    bars, id: "assessment-trend", title: pages.text("assessment_trend", language)),
                reportHref: "/console/assessment?period=\(period)",
                qualityHref: AccessPolicy.allows(user, .qualityReadDepartmentReport, department: id)
                    ? "/quality/departments/\(id)" : nil)
            return console.render(
                .consoleAssessmentDepartment, page, user: user, section: "/console/assessment", context: context)
        }
    }

    /// What a rate was worked out from: `9 / 10`.
    static func basis(_ indicator: AssessmentIndicator, _ facts: AssessmentFacts) -> String {
        switch indicator {
        case .catalogCompleteness: "\(facts.systemsWithEntries) / \(facts.systems)"
        case .itemConformance: "\(facts.conformingItems) / \(facts.items)"
        case .mountRate: "\(facts.mountedEntries) / \(facts.shareableEntries)"
        case .timelyUpdates: "\(facts.entriesUpdatedOnTime) / \(facts.periodicEntries)"
        case .timelyAnswers: "\(facts.applicationsAnsweredOnTime) / \(facts.applicationsDue)"
        case .refusalReasons: "\(facts.refusalsWithReason) / \(facts.refusals)"
        case .qualityScore: facts.scoredEntries > 0 ? "\(facts.scoredEntries)" : "0"
        case .timelyObjections: "\(facts.objectionsClosedOnTime) / \(facts.objectionsDue)"
        case .callsServed: PortalPages.grouped(facts.callsServed)
        case .callsMade: PortalPages.grouped(facts.callsMade)
        }
    }

    static func rounded(_ value: Double) -> Double { (value * 10).rounded() / 10 }
    static func score(_ value: Double) -> String { String(format: "%.1f", value) }
    static func percent(_ value: Double) -> String { String(format: "%.1f%%", value * 100) }

    /// The change from the period before: `↑ 3.2`, `↓ 1.0`, `—`.
    static func change(_ trend: [Double], _ language: Language) -> String {
        guard trend.count >= 2 else { return "—" }
        let delta = trend[trend.count - 1] - trend[trend.count - 2]
        if abs(delta) < 0.05 { return "—" }
        return delta > 0 ? "↑ \(score(delta))" : "↓ \(score(-delta))"
    }

    /// `2026年12月` or `2026-12-07 至 2026-12-13` (a week).
    static func periodName(_ period: AssessmentPeriod, _ language: Language) -> String {
        switch period.kind {
        case .month:
            return language == .zh
                ? "\(period.start.year)年\(period.start.month)月" : String(period.start.description.prefix(7))
        case .week:
            let last = CalendarDate(period.endDate.addingTimeInterval(-86_400))
            return language == .zh ? "\(period.start) 至 \(last)" : "\(period.start) to \(last)"
        }
    }
}

struct AssessmentReportPage: PageModel {
    var title: String
    var period: String
    var kindWeek: Bool
    var indicators: [Header]
    var rows: [Row]
    var hasRows: Bool
    var chart: String
    var trendPeriods: String
    var weightsYear: String
    var exportHref: String
    /// The periods of the trend, newest first, for the period picker (a form, so that no chain of links leads
    /// back through every earlier period).
    var periodChoices: [OptionModel]
    var weekHref: String
    var monthHref: String
    var ownHref: String?
    /// The weights' form, for those who set them.
    var weightsHref: String?

    struct Header: Sendable {
        var label: String
        var weight: String
    }

    struct Row: Sendable {
        var rank: Int
        var name: String
        var href: String?
        var total: String
        var change: String
        var scores: [String]
        var trend: String
    }
}

struct AssessmentDepartmentPage: PageModel {
    var title: String
    var department: String
    var period: String
    var total: String
    var rank: Int
    var of: Int
    var lines: [Line]
    var chart: String
    var reportHref: String
    /// The department's quality report, for those who may read it.
    var qualityHref: String?

    struct Line: Sendable {
        var name: String
        var value: String
        var basis: String
        var score: String
        var weight: String
    }
}

struct AssessmentWeightsPage: PageModel {
    var title: String
    var year: String
    /// Whether the year has no weights of its own yet (the form shows those it would inherit).
    var inherited: Bool
    var saved: Bool
    var lines: [Line]
    var errors: [Issue]
    var hasErrors: Bool

    struct Line: Sendable {
        var name: String
        var key: String
        var weight: String
        var target: String
        var weightError: String?
        var targetError: String?
        var isCount: Bool
    }

    struct Issue: Sendable {
        var href: String
        var message: String
    }
}
