import Foundation
import HuitongCore
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
}
