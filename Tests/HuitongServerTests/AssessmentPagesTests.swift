import Foundation
import HuitongCore
import HuitongIngest
import HuitongStore
import HuitongTestSupport
import Hummingbird
import HummingbirdTesting
import Testing

@testable import HuitongDemo
@testable import HuitongServer
@testable import HuitongServices

/// 考核 and 通报 over the demo city: the monthly 通报 ranks every department, its XLSX export holds the same
/// ranking and scores, and a 首席数据官 sees the 通报 and their own department's scorecard only.
@Suite("Assessment pages")
struct AssessmentPagesTests {
    @Test(
        "the 通报 exports as XLSX with every department ranked as the page ranks them", arguments: TestBackend.available)
    func reportExport(_ backend: TestBackend) async throws {
        try await ConsoleTests.withDemo(backend) { store, passwords, client in
            let admin = try await ConsoleTests.signIn("admin", passwords, client)
            let period = AssessmentPeriod.containing(CalendarDate(Date()), kind: .month)
            let (status, html) = try await ConsoleTests.get("/console/assessment?period=\(period)", admin, client)
            #expect(status == .ok)
            #expect(html.contains(#"id="assessment-ranking-table""#))
            #expect(html.contains("资源挂接率") && html.contains("申请按时响应率"))

            let (type, body) = try await client.execute(
                uri: "/console/assessment/report.xlsx?period=\(period)", method: .get, headers: admin.headers
            ) { ($0.headers[.contentType], Data(buffer: $0.body)) }
            #expect(type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            let sheet = try XLSXReader(data: body).rows()
            let departments = try await store.departments.list()
            #expect(sheet.count == departments.count + 2, "the period, the header, one row per department")
            #expect(sheet[1].cells.prefix(3) == ["排名", "部门", "总分"])
            #expect(sheet[1].cells.contains { $0.hasPrefix("资源挂接率（15.0）") }, "the header says each weight")
            let rows = Array(sheet.dropFirst(2))
            #expect(Set(rows.map { $0.cells[1] }) == Set(departments.map(\.name)))
            let totals = rows.compactMap { Double($0.cells[2]) }
            #expect(totals.count == rows.count)
            #expect(totals == totals.sorted(by: >), "ranked by total")
            #expect(rows.first?.cells[0] == "1")
            // The page lists the same first department.
            let first = try #require(rows.first?.cells[1])
            #expect(html.contains(PortalTests.escaped(first)))

            let (bad, _) = try await ConsoleTests.get("/console/assessment?period=soon", admin, client)
            #expect(bad == .badRequest)
        }
    }

    @Test("the operator sets a year's weights in the console; a bad value is named in the page's language")
    func weights() async throws {
        try await ConsoleTests.withDemo(.sqlite) { store, passwords, client in
            let admin = try await ConsoleTests.signIn("admin", passwords, client)
            let (status, form) = try await ConsoleTests.get("/console/assessment/weights?year=2027", admin, client)
            #expect(status == .ok)
            // 2027 has no weights of its own: the form shows 2026's, seeded from §5.
            #expect(form.contains(#"name="weight.mount_rate" value="15""#))
            var fields = ["year=2027"]
            for indicator in AssessmentIndicator.allCases {
                fields.append("weight.\(indicator.rawValue)=\(indicator == .mountRate ? "40" : "5")")
                fields.append("target.\(indicator.rawValue)=\(indicator.isCount ? "500" : "1")")
            }
            let (saved, _, location) = try await ConsoleTests.post(
                "/console/assessment/weights", fields.joined(separator: "&"), admin, client)
            #expect(saved == .seeOther && location == "/console/assessment/weights?year=2027&done=saved")
            let weights = try #require(try await store.assessmentWeights(year: 2027))
            #expect(weights.year == 2027)
            #expect(weights.weight(of: .mountRate) == IndicatorWeight(indicator: .mountRate, weight: 40, target: 1))
            #expect(weights.weight(of: .callsMade)?.target == 500)
            #expect(try await store.assessmentWeights(year: 2026)?.weight(of: .mountRate)?.weight == 15, "2026 kept")

            let bad = fields.map { $0 == "weight.mount_rate=40" ? "weight.mount_rate=lots" : $0 }
            let (refused, page, _) = try await ConsoleTests.post(
                "/console/assessment/weights", bad.joined(separator: "&"), admin, client)
            #expect(refused == .badRequest)
            #expect(page.contains("“资源挂接率”的权重须为 0–100 的数") && page.contains(##"href="#field-weight.mount_rate""##))
            #expect(!page.contains("the weight of"), "one language per page")
            #expect(try await store.assessmentWeights(year: 2027)?.weight(of: .mountRate)?.weight == 40)
        }
    }

    @Test(
        "a chief data officer reads the 通报 and their own department's scorecard, not another's; providers read neither")
    func chiefDataOfficer() async throws {
        try await ConsoleTests.withDemo(.sqlite) { store, passwords, client in
            let departments = try await store.departments.list()
            let own = try #require(departments.first)
            let other = try #require(departments.last)
            let accounts = AccountUseCases(store: store, bcryptCost: 4)
            let (_, password) = try await accounts.createUser(
                UserDraft(username: "cdo.test", displayName: "首席数据官", departmentID: own.id, roles: [.chiefDataOfficer]),
                password: "Cdo-assessment-2026!")
            var all = passwords
            all["cdo.test"] = password
            let chief = try await ConsoleTests.signIn("cdo.test", all, client)
            let (reportStatus, report) = try await ConsoleTests.get("/console/assessment", chief, client)
            #expect(reportStatus == .ok)
            #expect(report.contains(#"href="/console/assessment/departments/\#(own.id)"#))
            #expect(!report.contains(#"href="/console/assessment/departments/\#(other.id)?"#))
            let (ownStatus, card) = try await ConsoleTests.get(
                "/console/assessment/departments/\(own.id)", chief, client)
            #expect(ownStatus == .ok)
            #expect(card.contains(#"id="assessment-lines""#) && card.contains("目录完整率"))
            let (otherStatus, _) = try await ConsoleTests.get(
                "/console/assessment/departments/\(other.id)", chief, client)
            #expect(otherStatus == .forbidden)

            #expect(try await ConsoleTests.get("/console/assessment/weights", chief, client).0 == .forbidden)
            let provider = try await ConsoleTests.signIn("gaj.provider", passwords, client)
            #expect(try await ConsoleTests.get("/console/assessment", provider, client).0 == .forbidden)
        }
    }
}
