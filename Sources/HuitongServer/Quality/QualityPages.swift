import Foundation
import HuitongCore
import HuitongServices
import HuitongStore
import Hummingbird

/// The quality reports as pages (domain.md §6): the department ranking, a department's report and an entry's,
/// each with its CSV beside it. Who sees what follows the JSON API: operators everything, providers their own
/// department's entries.
struct QualityPages {
    let api: QualityAPI
    let pages: PageRenderer

    var store: Store { api.service.store }

    func register(on router: Router<HuitongRequestContext>) {
        router.get("/quality", use: ranking)
        router.get("/quality/departments/:id", use: department)
        router.get("/quality/entries/:id", use: entry)
    }

    /// Signed-out visitors go to the sign-in page and come back; officers without a provider or operator role
    /// get the API's 403 page.
    func signIn(_ request: Request, _ context: HuitongRequestContext) -> Response? {
        guard context.principal?.user == nil else { return nil }
        return .redirect(to: "/login?next=\(request.uri.path)", type: .normal)
    }

    /// A quality page inside the console's frame: the signed-in officer's section navigation above it, 质量 marked.
    func framed(_ template: PageTemplate, _ page: some PageModel, context: HuitongRequestContext) -> Response {
        let language = context.language
        let nav = (context.principal?.user).map { user in
            ConsolePages.sections(for: user).map { link in
                ConsoleNavLink(href: link.href, label: pages.text(link.key, language), current: link.href == "/quality")
            }
        }
        return pages.render(
            template, ConsolePage(nav: nav ?? [], title: pages.text("console_title", language), page: page),
            context: context)
    }

    func ranking(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        if let redirect = signIn(request, context) { return redirect }
        let user = try context.require(.qualityReadRanking)
        let ranking = try await api.service.ranking()
        let page = QualityRankingPage(
            rows: ranking.map { row in
                QualityRankingPage.Row(
                    rank: row.rank, name: row.departmentName, score: Self.score(row.score),
                    entries: row.entriesScored,
                    href: AccessPolicy.allows(user, .qualityReadDepartmentReport, department: row.departmentID)
                        ? "/quality/departments/\(row.departmentID)" : "")
            },
            hasRows: !ranking.isEmpty,
            ownHref: "/quality/departments/\(user.departmentID)")
        return framed(.qualityRanking, page, context: context)
    }

    func department(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        if let redirect = signIn(request, context) { return redirect }
        let department = try await api.visibleDepartment(context)
        let report = try await api.departmentReportBody(department)
        let rows = report.entries.map { item in
            let byDimension = Dictionary(
                item.dimensions.map { ($0.dimension, $0.score) }, uniquingKeysWith: { first, _ in first })
            return QualityDepartmentPage.Row(
                name: item.name, code: item.code, href: "/quality/entries/\(item.entryID)",
                score: Self.score(item.score),
                dimensions: QualityDimension.allCases.map {
                    QualityDepartmentPage.DimensionScore(score: Self.score(byDimension[$0] ?? nil))
                },
                finished: PortalPages.dateTime(item.finishedAt))
        }
        let page = QualityDepartmentPage(
            department: department.name, mean: report.score.map { Self.score($0) } ?? "—",
            scored: report.entriesScored,
            dimensionNames: QualityDimension.allCases.map {
                QualityDepartmentPage.DimensionName(name: $0.label.text(context.language))
            },
            rows: rows, hasRows: !rows.isEmpty,
            csvHref: "/api/v1/departments/\(department.id)/quality/report?format=csv",
            timeliness: Self.score(report.timeliness),
            rowsCollected: report.collection.map { PortalPages.grouped($0.rowsCollected) })
        return framed(.qualityDepartment, page, context: context)
    }

    func entry(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        if let redirect = signIn(request, context) { return redirect }
        let (_, entry) = try await api.managedEntry(context, .qualityReadEntry)
        let (run, open, score) = try await api.entryReportParts(entry)
        let objections = try await store.objections.openCount(entryID: entry.id)
        let language = context.language
        var page = QualityEntryPage(
            name: entry.content.name, code: entry.code.text, department: entry.provider.name,
            departmentHref: "/quality/departments/\(entry.provider.departmentID)",
            score: Self.score(score),
            openProblems: open, openObjections: objections, hasObjections: objections > 0,
            csvHref: "/api/v1/catalog/entries/\(entry.id)/quality/report?format=csv")
        if let run {
            page.run = QualityEntryPage.Run(
                status: run.status.label.text(language), trigger: run.trigger.label.text(language),
                version: run.poolVersion.map(String.init) ?? "—", checked: run.rowsChecked,
                total: run.rowsTotal, finished: run.finishedAt.map(PortalPages.dateTime) ?? "—",
                message: BilingualText(combined: run.message).text(language))
        }
        if let report = run?.report {
            page.dimensions = report.dimensions.map { dimension in
                QualityEntryPage.Dimension(
                    name: dimension.dimension.label.text(language), score: Self.score(dimension.score),
                    checked: dimension.checked, failed: dimension.failed)
            }
            page.rules = report.rules.map { result in
                QualityEntryPage.Rule(
                    id: result.rule.id, dimension: result.rule.dimension.label.text(language),
                    columns: result.rule.columns.joined(separator: " + "), checked: result.checked,
                    failed: result.failed, passRate: result.passRate.map { String(format: "%.1f%%", $0) } ?? "—",
                    failing: result.failed > 0)
            }
            page.hasDimensions = !report.dimensions.isEmpty
            page.hasRules = !report.rules.isEmpty
            // Samples are masked by the evaluator before they are stored; nothing here unmasks them.
            page.samples = report.rules.flatMap { result in
                result.samples.map { sample in
                    QualityEntryPage.Sample(
                        rule: result.rule.id, row: sample.row, column: sample.column, value: sample.maskedValue,
                        reason: sample.reason.text(language))
                }
            }
            page.hasSamples = report.rules.contains { !$0.samples.isEmpty }
        }
        return framed(.qualityEntry, page, context: context)
    }

    static func score(_ value: Double?) -> String {
        value.map { String(format: "%.1f", $0) } ?? "—"
    }
}
