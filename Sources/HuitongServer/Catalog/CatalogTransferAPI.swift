import Foundation
import HTTPTypes
import HuitongCore
import HuitongIngest
import HuitongServices
import HuitongStore
import Hummingbird

/// Bulk catalog import and export as CSV or XLSX in 编制指南 field order (`CatalogSheet`).
///
/// An import is checked completely before anything is written, and then written in one transaction: either every
/// entry of the file is filed, or none is and the caller gets every problem with its row and column.
struct CatalogTransferAPI {
    let store: Store
    let catalog: CatalogLifecycle

    /// Catalog spreadsheets are small next to data files; this bounds memory on a mistaken upload.
    static let importLimit = 20 * 1024 * 1024

    func register(on api: RouterGroup<HuitongRequestContext>) {
        api.get("catalog/export", use: export)
        api.post("catalog/import", use: importSheet)
    }

    enum FileFormat: String {
        case csv
        case xlsx

        static func from(_ request: Request) throws(ValidationError) -> FileFormat {
            let text = request.uri.queryParameters["fileType"].map(String.init)?.lowercased() ?? "xlsx"
            guard let format = FileFormat(rawValue: text) else {
                throw ValidationError(
                    field: "fileType", BilingualText(zh: "文件类型须为 csv 或 xlsx", en: "fileType must be csv or xlsx"))
            }
            return format
        }
    }

    func export(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let format = try FileFormat.from(request)
        var parameters = try CatalogQueryParameters.parse(request)
        parameters.scope(to: user, request)
        var entries: [CatalogEntry] = []
        var query = parameters.query
        query.limit = CatalogQuery.maximumPageSize
        query.offset = 0
        while true {
            let page = try await store.catalog.search(query, facets: [])
            entries += page.entries
            query.offset += query.limit
            if page.entries.count < query.limit || query.offset >= page.total { break }
        }
        let rows = CatalogSheet.rows(for: entries.map { $0.redacted(for: user) })
        let stamp = CalendarDate.today().description
        switch format {
        case .csv:
            let data = CSVWriter.encode(rows: rows, options: .init(includesByteOrderMark: true))
            return Self.download(data, type: "text/csv; charset=utf-8", name: "catalog-\(stamp).csv")
        case .xlsx:
            let data = try XLSXWriter.makeData(
                sheets: [(name: "信息资源目录", rows: rows.map { $0.map { XLSXCell.text($0) } })])
            return Self.download(
                data, type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                name: "catalog-\(stamp).xlsx")
        }
    }

    static func download(_ data: Data, type: String, name: String) -> Response {
        Response(
            status: .ok,
            headers: [
                .contentType: type, .contentDisposition: "attachment; filename=\"\(name)\"",
                .cacheControl: "no-store",
            ],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    func importSheet(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let user = try context.require(.catalogImport)
        let dryRun = try request.booleanQuery("dryRun")
        let rows = try await request.sheetRows(upTo: Self.importLimit)
        let report = try await catalog.importSheet(CatalogSheet.parse(numberedRows: rows), by: user, dryRun: dryRun)
        return try Self.respond(report, request, status: report.errors.isEmpty ? .ok : .unprocessableContent)
    }

    /// The report as JSON, or as a CSV error list a person can open next to their spreadsheet (`?report=csv`).
    static func respond(_ report: CatalogImportReport, _ request: Request, status: HTTPResponse.Status) throws
        -> Response
    {
        guard request.uri.queryParameters["report"] == "csv" else {
            return try JSONResponse.make(report, status: status)
        }
        var rows = [["行号 row", "列 column", "问题 problem"]]
        rows += (report.errors + report.warnings).map { [String($0.row), $0.column, $0.message] }
        if rows.count == 1 { rows.append(["", "", report.imported ? "导入成功 imported" : "检查通过 no problems found"]) }
        var response = download(
            CSVWriter.encode(rows: rows, options: .init(includesByteOrderMark: true)), type: "text/csv; charset=utf-8",
            name: "catalog-import-report.csv")
        response.status = status
        return response
    }
}
