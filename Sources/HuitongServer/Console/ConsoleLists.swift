import Foundation
import HuitongCore
import HuitongIngest
import HuitongServices
import HuitongStore
import Hummingbird

/// The operator's view of the three lists (三张清单): each department's responsibility list against its published
/// catalog (what is still missing), the demand list, and the negative list with its legal bases.
extension ConsolePages {
    func lists(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await page(request, context, .consoleLists) { user in
            let language = context.language
            let names = try await departmentNames()
            let coverage = try await store.lists.coverage()
            let demands = try await store.lists.listDemand(departmentID: nil)
            let negative = try await store.lists.listNegative(departmentID: nil)
            let page = ConsoleListsPage(
                title: pages.text("console_nav_lists", language),
                coverage: coverage.map { line in
                    ConsoleListsPage.Coverage(
                        name: line.departmentName, promised: line.promised, fulfilled: line.fulfilled,
                        rate: Self.percent(line.promised == 0 ? 1 : Double(line.fulfilled) / Double(line.promised)),
                        missing: line.missing.map(\.content.resourceName).joined(separator: "、"))
                },
                hasCoverage: !coverage.isEmpty,
                demands: demands.map { row in
                    ConsoleListsPage.Demand(
                        number: row.number, department: names[row.departmentID] ?? "",
                        data: row.content.requestedData, scenario: row.content.scenario,
                        provider: row.content.expectedProviderID.flatMap { names[$0] } ?? "",
                        status: row.status.label.text(language))
                },
                hasDemands: !demands.isEmpty,
                negative: negative.map { row in
                    ConsoleListsPage.Negative(
                        department: names[row.departmentID] ?? "", kind: row.content.kind.label.text(language),
                        resource: row.content.resource, items: row.content.items,
                        legalBasis: row.content.legalBasis, reviewBy: row.content.reviewBy?.description ?? "")
                },
                hasNegative: !negative.isEmpty)
            return render(.consoleLists, page, user: user, section: "/console/lists", context: context)
        }
    }

    /// The three lists as one file: CSV (the three tables one after another) or XLSX (a sheet each), headed in the
    /// reader's language; spreadsheet formulas neutralised as in every export.
    func exportLists(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await page(request, context, .consoleLists) { _ in
            let language = context.language
            func t(_ key: String) -> String { pages.text(key, language) }
            let format = request.uri.queryParameters["format"].map(String.init) ?? "xlsx"
            guard format == "csv" || format == "xlsx" else {
                throw ValidationError(
                    field: "format", BilingualText(zh: "文件类型须为 csv 或 xlsx", en: "format must be csv or xlsx"))
            }
            let names = try await departmentNames()
            let coverage = try await store.lists.coverage()
            let demands = try await store.lists.listDemand(departmentID: nil)
            let negative = try await store.lists.listNegative(departmentID: nil)
            let sheets: [(name: String, rows: [[String]])] = [
                (
                    t("lists_responsibility"),
                    [[t("department"), t("lists_promised"), t("lists_fulfilled"), t("lists_rate"), t("lists_missing")]]
                        + coverage.map { line in
                            [
                                line.departmentName, String(line.promised), String(line.fulfilled),
                                Self.percent(line.promised == 0 ? 1 : Double(line.fulfilled) / Double(line.promised)),
                                line.missing.map(\.content.resourceName).joined(separator: "、"),
                            ]
                        }
                ),
                (
                    t("lists_demand"),
                    [
                        [
                            t("lists_number"), t("consumer_department"), t("lists_requested"), t("apply_scenario"),
                            t("lists_expected_provider"), t("state"),
                        ]
                    ]
                        + demands.map { row in
                            [
                                row.number, names[row.departmentID] ?? "", row.content.requestedData,
                                row.content.scenario, row.content.expectedProviderID.flatMap { names[$0] } ?? "",
                                row.status.label.text(language),
                            ]
                        }
                ),
                (
                    t("lists_negative"),
                    [
                        [
                            t("provider_department"), t("lists_kind"), t("lists_resource"), t("apply_items"),
                            t("apply_legal_basis"), t("lists_review_by"),
                        ]
                    ]
                        + negative.map { row in
                            [
                                names[row.departmentID] ?? "", row.content.kind.label.text(language),
                                row.content.resource,
                                row.content.items, row.content.legalBasis, row.content.reviewBy?.description ?? "",
                            ]
                        }
                ),
            ]
            let stamp = CalendarDate.today().description
            if format == "csv" {
                var rows: [[String]] = []
                for sheet in sheets { rows += [[sheet.name]] + sheet.rows + [[]] }
                return CatalogTransferAPI.download(
                    CSVWriter.encode(rows: rows, options: .init(includesByteOrderMark: true)),
                    type: "text/csv; charset=utf-8", name: "three-lists-\(stamp).csv")
            }
            let data = try XLSXWriter.makeData(
                sheets: sheets.map { (name: $0.name, rows: $0.rows.map { $0.map { XLSXCell.text($0) } }) })
            return CatalogTransferAPI.download(
                data, type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                name: "three-lists-\(stamp).xlsx")
        }
    }
}
