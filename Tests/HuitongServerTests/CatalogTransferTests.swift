import Foundation
import HTTPTypes
import HuitongCore
import HuitongIngest
import HuitongStore
import HuitongTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import HuitongServer
@testable import HuitongServices

/// Bulk catalog import and export through `/api/v1/catalog/import` and `/export`.
@Suite("Catalog import and export")
struct CatalogTransferTests {
    static let header = CatalogSheet.columns.filter { !$0.exportOnly }.map(\.header)

    static func row(_ values: [String: String]) -> [String] { header.map { values[$0] ?? "" } }

    static let population: [String: String] = [
        "信息资源分类": "101001", "信息资源名称": "人口基础信息", "信息资源摘要": "全市户籍人口", "信息资源格式": "数据库/Oracle",
        "共享类型": "有条件共享", "共享条件": "身份核验", "开放属性": "不予开放", "更新周期": "每日",
        "信息项名称": "身份证号码", "字段名": "sfzhm", "数据类型": "C", "数据长度": "18", "是否主键": "是",
    ]

    /// Posts a sheet (not JSON) and returns the status and the answer's text.
    func post(
        _ client: any TestClientProtocol, _ data: Data, format: String, token: String, extra: String = ""
    ) async throws -> (HTTPResponse.Status, String) {
        try await client.execute(
            uri: "/api/v1/catalog/import?fileType=\(format)\(extra)", method: .post,
            headers: [.authorization: "Bearer \(token)"], body: ByteBuffer(bytes: data)
        ) { response in (response.status, String(buffer: response.body)) }
    }

    /// Posts a sheet the node reads and returns the import report.
    func upload(
        _ client: any TestClientProtocol, _ data: Data, format: String, token: String, extra: String = "",
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> (HTTPResponse.Status, CatalogImportReport) {
        let (status, text) = try await post(client, data, format: format, token: token, extra: extra)
        return (
            status,
            try WireJSON.decode(
                CatalogImportReport.self, from: text, status: status, request: "POST /api/v1/catalog/import",
                sourceLocation: sourceLocation)
        )
    }

    @Test(
        "a CSV with one bad row imports nothing and reports the row; fixed, it imports every entry",
        arguments: TestBackend.available)
    func allOrNothing(_ backend: TestBackend) async throws {
        try await TestNode.run(backend) { node, client in
            let city = try await CatalogAPITests.city(node)
            var broken = Self.population
            broken["信息资源名称"] = "户籍迁移信息"
            broken["更新周期"] = "每两天"
            let rows = [
                Self.header, Self.row(Self.population), Self.row(["信息项名称": "姓名", "字段名": "xm", "数据类型": "C"]),
                Self.row(broken),
            ]
            let (status, report) = try await upload(
                client, CSVWriter.encode(rows: rows), format: "csv", token: city.provider)
            #expect(status == .unprocessableContent)
            let errors = report.errors
            #expect(errors.contains { $0.row == 4 && $0.column == "更新周期" })
            #expect(try await node.store.catalog.count(status: nil) == 0, "nothing is half-written")

            broken["更新周期"] = "每月"
            let fixed = [rows[0], rows[1], rows[2], Self.row(broken)]
            let (dry, dryReport) = try await upload(
                client, CSVWriter.encode(rows: fixed), format: "csv", token: city.provider, extra: "&dryRun=true")
            #expect(dry == .ok && dryReport.imported == false)
            #expect(try await node.store.catalog.count(status: nil) == 0)
            let (done, doneReport) = try await upload(
                client, CSVWriter.encode(rows: fixed), format: "csv", token: city.provider)
            #expect(done == .ok)
            #expect(doneReport.created == 2)
            let population = try #require(try await node.store.catalog.find(code: "101001/0001"))
            #expect(population.content.items.map(\.columnName) == ["sfzhm", "xm"])
            #expect(population.status == .draft && population.provider.departmentID == city.police.id)
        }
    }

    @Test("an exported XLSX imports back as an update of the same entries", arguments: TestBackend.available)
    func xlsxRoundTrip(_ backend: TestBackend) async throws {
        try await TestNode.run(backend) { node, client in
            let city = try await CatalogAPITests.city(node)
            let rows = [Self.header, Self.row(Self.population)]
            let (status, _) = try await upload(
                client, CSVWriter.encode(rows: rows), format: "csv", token: city.provider)
            #expect(status == .ok)
            let exported = try await client.execute(
                uri: "/api/v1/catalog/export?fileType=xlsx&mine=true", method: .get,
                headers: [.authorization: "Bearer \(city.provider)"]
            ) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentDisposition]?.contains(".xlsx") == true)
                return Data(buffer: response.body)
            }
            let sheet = try XLSXReader(data: exported).rows().map(\.cells)
            #expect(sheet.first?.first == "信息资源分类")
            #expect(sheet.count == 2)
            #expect(sheet[1].contains("101001/0001"))

            // Another department's provider cannot import entries into this department.
            let (foreign, foreignReport) = try await upload(client, exported, format: "xlsx", token: city.otherProvider)
            #expect(foreign == .unprocessableContent)
            #expect(foreignReport.errors.first?.column == "信息资源提供方代码")

            let (again, againReport) = try await upload(client, exported, format: "xlsx", token: city.provider)
            #expect(again == .ok)
            #expect(againReport.updated == 1 && againReport.created == 0)
            #expect(try await node.store.catalog.count(status: nil) == 1)

            let csv = try await client.execute(
                uri: "/api/v1/catalog/export?fileType=csv&mine=true", method: .get,
                headers: [.authorization: "Bearer \(city.provider)"]
            ) { String(buffer: $0.body) }
            #expect(csv.hasPrefix("\u{FEFF}信息资源分类,"))
            #expect(csv.contains("人口基础信息"))
        }
    }

    @Test("an upload that is not a spreadsheet gets a clear error")
    func notASpreadsheet() async throws {
        try await TestNode.run { node, client in
            let city = try await CatalogAPITests.city(node)
            let (status, text) = try await post(client, Data("hello".utf8), format: "xlsx", token: city.provider)
            #expect(status == .badRequest || status == .unprocessableContent)
            #expect(!(try WireJSON.read(ErrorBody.self, text).code.isEmpty))
            #expect(try await node.store.catalog.count(status: nil) == 0)
        }
    }
}
