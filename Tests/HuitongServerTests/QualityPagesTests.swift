import Foundation
import HTTPTypes
import HuitongCore
import HuitongServer
import HuitongStore
import HuitongTestSupport
import HummingbirdTesting
import Testing

@testable import HuitongServices

/// The quality reports as pages: the ranking, a department's report and an entry's, each with its CSV.
@Suite("Quality report pages")
struct QualityPagesTests {
    @Test(
        "the ranking, a department's and an entry's report render with masked samples; other departments' are hidden",
        arguments: TestBackend.available)
    func reports(_ backend: TestBackend) async throws {
        try await TestNode.run(backend) { node, client in
            let police = try await node.department("GAJ")
            let social = try await node.department("RSJ")
            let (_, policeToken) = try await node.user("gaj.provider", department: police, roles: [.provider])
            let (_, socialToken) = try await node.user("rsj.provider", department: social, roles: [.provider])
            // The ID column carries no declared kind, so the load accepts a wrong check digit and the quality
            // rule added below finds it.
            let items = [
                InfoItem(name: "证件号码", columnName: "sfzhm", dataType: .character, isKey: true),
                InfoItem(name: "姓名", columnName: "xm", dataType: .character, semanticKind: .personName),
            ]
            let population = try await QualityAPITests.entry(
                node, department: police, name: "人口基础信息", items: items)
            let good = try QualityAPITests.residentID(born: "19900101", sequence: 1)
            let bad = String(good.dropLast()) + (good.last == "1" ? "2" : "1")
            let (added, rule) = try await QualityAPITests.addRule(
                client, entryID: population.id, token: policeToken,
                QualityRuleSpec(kind: .identifierCheck, columns: ["sfzhm"], identifier: .residentID))
            #expect(added == .created, "\(rule)")
            _ = try await QualityAPITests.load(
                client, entry: population, token: policeToken, csv: "sfzhm,xm\n\(good),张三\n\(bad),李四\n")
            func page(_ uri: String, token: String?) async throws -> (HTTPResponse.Status, String) {
                var headers: HTTPFields = [:]
                if let token { headers[.authorization] = "Bearer \(token)" }
                return try await client.execute(uri: uri, method: .get, headers: headers) {
                    ($0.status, String(buffer: $0.body))
                }
            }

            let (signedOut, _) = try await page("/quality", token: nil)
            #expect(signedOut == .seeOther || signedOut == .found, "signed-out visitors are sent to sign in")

            let (rankingStatus, ranking) = try await page("/quality", token: policeToken)
            #expect(rankingStatus == .ok)
            #expect(ranking.contains("数据质量排名") && ranking.contains(police.name))
            #expect(ranking.contains("href=\"/quality/departments/\(police.id)\""))

            let (departmentStatus, department) = try await page("/quality/departments/\(police.id)", token: policeToken)
            #expect(departmentStatus == .ok)
            #expect(department.contains("人口基础信息") && department.contains("href=\"/quality/entries/\(population.id)\""))
            #expect(department.contains("/api/v1/departments/\(police.id)/quality/report?format=csv"))

            let (entryStatus, entry) = try await page("/quality/entries/\(population.id)", token: policeToken)
            #expect(entryStatus == .ok)
            #expect(entry.contains("目录质量报告") && entry.contains("问题样例"))
            #expect(entry.contains("sfzhm.identifierCheck"), "the failing identifier rule is listed")
            // The run's tables: by dimension, and rule by rule (they were once hidden by a `{{#rules.0}}` the
            // template engine never opens).
            #expect(entry.contains("id=\"dimensions-heading\"") && entry.contains("id=\"rules-heading\""))
            #expect(entry.contains("<tr class=\"failing\"><td>sfzhm.identifierCheck</td>"))
            #expect(!entry.contains(bad) && !entry.contains(good), "samples are masked")
            #expect(entry.contains("?format=csv"))
            let (english, _) = try await client.execute(
                uri: "/quality/entries/\(population.id)", method: .get,
                headers: [.authorization: "Bearer \(policeToken)", .cookie: "huitong_lang=en"]
            ) { ($0.status, String(buffer: $0.body)) }
            #expect(english == .ok)

            // Another department's provider sees neither the report nor the entry's page.
            let (otherDepartment, _) = try await page("/quality/departments/\(police.id)", token: socialToken)
            let (otherEntry, _) = try await page("/quality/entries/\(population.id)", token: socialToken)
            #expect(otherDepartment == .notFound && otherEntry == .notFound)
        }
    }
}
