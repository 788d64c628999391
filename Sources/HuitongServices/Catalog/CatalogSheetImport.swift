import Foundation
import HuitongCore
import HuitongStore

/// What a catalog sheet import did, or would do on a dry run: every entry with its row, and every problem with its
/// row and column.
package struct CatalogImportReport: Sendable, Codable {
    package var dryRun: Bool
    package var imported: Bool
    package var created: Int
    package var updated: Int
    package var entries: [ImportedEntry]
    package var errors: [CatalogSheet.Issue]
    package var warnings: [CatalogSheet.Issue]

    package struct ImportedEntry: Sendable, Codable {
        package var row: Int
        package var id: Int64?
        package var code: String?
        package var name: String
        package var action: String
    }
}

extension CatalogLifecycle {
    /// Files the entries of a parsed catalog sheet as `user`: each row passes the same rules as the form and the
    /// API (whose department it is, `checkRevision`, the grading policy) before anything is written, and then all
    /// are written in one transaction or none is. With `dryRun` nothing is written and the report says what would
    /// be.
    package func importSheet(_ parsed: CatalogSheet.ParseResult, by user: User, dryRun: Bool) async throws
        -> CatalogImportReport
    {
        var errors = parsed.issues
        var batch: [CatalogBatchItem] = []
        var planned: [CatalogImportReport.ImportedEntry] = []
        let departments = try await store.departments.list()
        let ownCode = departments.first { $0.id == user.departmentID }?.code
        let grading = try await GradePolicy.current(store)
        let existingByCode = try await store.catalog.entries(codes: parsed.entries.compactMap(\.code))
        var seenCodes = Set<String>()
        func refuse(_ entry: CatalogSheet.ParsedEntry, _ column: String, _ message: BilingualText) {
            errors.append(CatalogSheet.Issue(row: entry.firstRow, column: column, message: message))
        }
        for entry in parsed.entries {
            var departmentID = user.departmentID
            if let code = entry.providerCode, code != ownCode {
                guard let department = departments.first(where: { $0.code == code }) else {
                    // Only one who may import for every department learns which department codes exist.
                    if !AccessPolicy.reachesEveryDepartment(user, .catalogImport) {
                        refuse(entry, "信息资源提供方代码", Self.ownDepartmentOnly(code))
                    } else {
                        refuse(
                            entry, "信息资源提供方代码",
                            BilingualText(zh: "部门代码“\(code)”不存在", en: "no department has the code \(code)"))
                    }
                    continue
                }
                guard AccessPolicy.allows(user, .catalogImport, department: department.id) else {
                    refuse(entry, "信息资源提供方代码", Self.ownDepartmentOnly(code))
                    continue
                }
                departmentID = department.id
            }
            var existingID: Int64?
            if let code = entry.code {
                guard seenCodes.insert(code).inserted else {
                    refuse(
                        entry, "信息资源代码",
                        BilingualText(
                            zh: "信息资源代码 \(code) 在文件中出现了不止一处，请合并为连续的行",
                            en: "code \(code) appears in more than one place in the file; keep its rows together"))
                    continue
                }
                guard let existing = existingByCode[code] else {
                    refuse(
                        entry, "信息资源代码",
                        BilingualText(
                            zh: "信息资源代码“\(code)”不存在；新目录请留空，由平台赋码",
                            en: "no entry has the code \(code); leave it blank for new entries"))
                    continue
                }
                guard existing.provider.departmentID == departmentID else {
                    refuse(
                        entry, "信息资源代码",
                        BilingualText(zh: "目录 \(code) 属于其他部门", en: "entry \(code) belongs to another department"))
                    continue
                }
                do {
                    try Self.checkRevision(of: existing, to: entry.content, by: user)
                } catch {
                    refuse(entry, error == .underReview ? "信息资源代码" : "共享类型", error.message)
                    continue
                }
                existingID = existing.id
            }
            let looser = grading.problems(entry.content)
            guard looser.isEmpty else {
                for problem in looser { refuse(entry, Self.sheetColumn(of: problem.field), problem.message) }
                continue
            }
            batch.append(CatalogBatchItem(departmentID: departmentID, content: entry.content, existingID: existingID))
            planned.append(
                .init(
                    row: entry.firstRow, id: existingID, code: entry.code, name: entry.content.name,
                    action: existingID == nil ? "create" : "update"))
        }
        if parsed.entries.isEmpty && errors.isEmpty {
            errors.append(
                CatalogSheet.Issue(
                    row: 0, column: "", message: BilingualText(zh: "文件中没有目录数据", en: "the file holds no entries")))
        }
        var report = CatalogImportReport(
            dryRun: dryRun, imported: false, created: 0, updated: 0, entries: planned, errors: errors,
            warnings: parsed.warnings)
        guard errors.isEmpty, !dryRun else { return report }
        do {
            let results = try await store.catalog.apply(batch, author: user.author)
            for (index, entry) in results.enumerated() {
                report.entries[index].id = entry.id
                report.entries[index].code = entry.code.text
            }
        } catch let error as CatalogBatchError {
            // A rule only the store can check (a cited negative-list row, a source system): nothing was written.
            let row = planned.indices.contains(error.index) ? planned[error.index].row : 0
            report.errors =
                [CatalogSheet.Issue(row: row, column: "", message: error.underlying.message)]
                + error.underlying.details.map {
                    var issue = CatalogSheet.Issue(row: row, column: $0.field, message: BilingualText(zh: "", en: ""))
                    issue.message = $0.message
                    return issue
                }
            return report
        }
        report.imported = true
        report.created = planned.filter { $0.action == "create" }.count
        report.updated = planned.count - report.created
        return report
    }

    private static func ownDepartmentOnly(_ code: String) -> BilingualText {
        BilingualText(zh: "只能导入本部门的目录（\(code) 不是本部门）", en: "you can import your own department's entries only")
    }

    /// The sheet column (编制指南's header) that holds the field a grading problem names.
    private static func sheetColumn(of field: String) -> String {
        switch field {
        case "openness": "开放属性"
        case "shareType": "共享类型"
        default: "信息项共享类型"
        }
    }
}
