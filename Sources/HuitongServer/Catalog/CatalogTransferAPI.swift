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

    struct ImportReport: Encodable {
        var dryRun: Bool
        var imported: Bool
        var created: Int
        var updated: Int
        var entries: [ImportedEntry]
        var errors: [CatalogSheet.Issue]
        var warnings: [CatalogSheet.Issue]
    }

    struct ImportedEntry: Encodable {
        var row: Int
        var id: Int64?
        var code: String?
        var name: String
        var action: String
    }

    func importSheet(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let user = try context.require(.catalogImport)
        let format = try FileFormat.from(request)
        let dryRun = try request.booleanQuery("dryRun")
        var body = request
        let buffer: ByteBuffer
        do {
            buffer = try await body.collectBody(upTo: Self.importLimit)
        } catch {
            throw APIError.bodyTooLarge(limit: Self.importLimit)
        }
        if buffer.readableBytes == 0 {
            throw APIError.malformedBody(
                field: nil, reason: BilingualText(zh: "上传的文件为空", en: "the uploaded file is empty"))
        }
        let rows: [(number: Int, cells: [String])]
        switch format {
        case .csv:
            rows = try CSVParser.parse(Data(buffer: buffer)).map { (number: $0.line, cells: $0.fields) }
        case .xlsx:
            rows = try XLSXReader(data: Data(buffer: buffer)).rows().map { (number: $0.number, cells: $0.cells) }
        }
        let parsed = CatalogSheet.parse(numberedRows: rows)
        var errors = parsed.issues
        var batch: [CatalogBatchItem] = []
        var planned: [ImportedEntry] = []
        let departments = try await store.departments.list()
        let grading = try await GradePolicy.current(store)
        var seenCodes = Set<String>()
        for entry in parsed.entries {
            var departmentID = user.departmentID
            if let code = entry.providerCode, code != departments.first(where: { $0.id == user.departmentID })?.code {
                guard AccessPolicy.reachesEveryDepartment(user, .catalogImport) else {
                    errors.append(
                        CatalogSheet.Issue(
                            row: entry.firstRow, column: "信息资源提供方代码",
                            message: BilingualText(
                                zh: "只能导入本部门的目录（\(code) 不是本部门）", en: "you can import your own department's entries only"
                            )))
                    continue
                }
                guard let department = departments.first(where: { $0.code == code }) else {
                    errors.append(
                        CatalogSheet.Issue(
                            row: entry.firstRow, column: "信息资源提供方代码",
                            message: BilingualText(zh: "部门代码“\(code)”不存在", en: "no department has the code \(code)")))
                    continue
                }
                departmentID = department.id
            }
            var existingID: Int64?
            if let code = entry.code, !seenCodes.insert(code).inserted {
                errors.append(
                    CatalogSheet.Issue(
                        row: entry.firstRow, column: "信息资源代码",
                        message: BilingualText(
                            zh: "信息资源代码 \(code) 在文件中出现了不止一处，请合并为连续的行",
                            en: "code \(code) appears in more than one place in the file; keep its rows together")))
                continue
            }
            if let code = entry.code {
                guard let existing = try await store.catalog.find(code: code) else {
                    errors.append(
                        CatalogSheet.Issue(
                            row: entry.firstRow, column: "信息资源代码",
                            message: BilingualText(
                                zh: "信息资源代码“\(code)”不存在；新目录请留空，由平台赋码",
                                en: "no entry has the code \(code); leave it blank for new entries")))
                    continue
                }
                guard existing.provider.departmentID == departmentID else {
                    errors.append(
                        CatalogSheet.Issue(
                            row: entry.firstRow, column: "信息资源代码",
                            message: BilingualText(
                                zh: "目录 \(code) 属于其他部门", en: "entry \(code) belongs to another department")))
                    continue
                }
                if existing.status == .published && !AccessPolicy.allows(user, .catalogChangePublishedExposure)
                    && existing.content.changesExposure(to: entry.content)
                {
                    errors.append(
                        CatalogSheet.Issue(
                            row: entry.firstRow, column: "共享类型",
                            message: CatalogRuleError.exposureChangeNeedsReview.message))
                    continue
                }
                if existing.status == .submitted {
                    errors.append(
                        CatalogSheet.Issue(
                            row: entry.firstRow, column: "信息资源代码", message: CatalogRuleError.underReview.message))
                    continue
                }
                existingID = existing.id
            }
            let looser = grading.problems(entry.content)
            if !looser.isEmpty {
                for problem in looser {
                    let column =
                        problem.field == "openness" ? "开放属性" : problem.field == "shareType" ? "共享类型" : "信息项共享类型"
                    errors.append(CatalogSheet.Issue(row: entry.firstRow, column: column, message: problem.message))
                }
                continue
            }
            batch.append(CatalogBatchItem(departmentID: departmentID, content: entry.content, existingID: existingID))
            planned.append(
                ImportedEntry(
                    row: entry.firstRow, id: existingID, code: entry.code, name: entry.content.name,
                    action: existingID == nil ? "create" : "update"))
        }
        if parsed.entries.isEmpty && errors.isEmpty {
            errors.append(
                CatalogSheet.Issue(
                    row: 0, column: "", message: BilingualText(zh: "文件中没有目录数据", en: "the file holds no entries")))
        }
        var report = ImportReport(
            dryRun: dryRun, imported: false, created: 0, updated: 0, entries: planned, errors: errors,
            warnings: parsed.warnings)
        guard errors.isEmpty else { return try Self.respond(report, request, status: .unprocessableContent) }
        guard !dryRun else { return try Self.respond(report, request, status: .ok) }
        do {
            let results = try await store.catalog.apply(batch, author: user.author)
            for (index, entry) in results.enumerated() {
                report.entries[index].id = entry.id
                report.entries[index].code = entry.code.text
            }
        } catch let error as CatalogBatchError {
            // A rule only the store can check (a cited negative-list row, a source system): nothing was written.
            let row = parsed.entries.indices.contains(error.index) ? planned[error.index].row : 0
            report.errors =
                [CatalogSheet.Issue(row: row, column: "", message: error.underlying.message)]
                + error.underlying.details.map {
                    var issue = CatalogSheet.Issue(row: row, column: $0.field, message: BilingualText(zh: "", en: ""))
                    issue.message = $0.message
                    return issue
                }
            return try Self.respond(report, request, status: .unprocessableContent)
        }
        report.imported = true
        report.created = planned.filter { $0.action == "create" }.count
        report.updated = planned.count - report.created
        return try Self.respond(report, request, status: .ok)
    }

    /// The report as JSON, or as a CSV error list a person can open next to their spreadsheet (`?report=csv`).
    static func respond(_ report: ImportReport, _ request: Request, status: HTTPResponse.Status) throws -> Response {
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
