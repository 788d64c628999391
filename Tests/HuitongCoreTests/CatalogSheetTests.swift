import Foundation
import HuitongCore
import Testing

@Suite("Catalog spreadsheet layout")
struct CatalogSheetTests {
    static let header = CatalogSheet.columns.filter { !$0.exportOnly }.map(\.header)

    /// A row with the given columns filled, by header.
    static func row(_ values: [String: String]) -> [String] {
        header.map { values[$0] ?? "" }
    }

    static let entry: [String: String] = [
        "信息资源分类": "101001", "信息资源名称": "人口基础信息", "信息资源摘要": "全市户籍人口", "信息资源格式": "数据库/Oracle",
        "共享类型": "有条件共享", "共享条件": "身份核验", "开放属性": "不予开放", "更新周期": "每日", "关键字": "人口；户籍",
    ]

    @Test("item rows after the first may leave the entry columns blank, as merged cells do")
    func mergedRows() {
        var first = Self.entry
        first.merge(["信息项名称": "身份证号码", "字段名": "sfzhm", "数据类型": "C", "数据长度": "18", "是否主键": "是", "语义类别": "身份证号"]) {
            $1
        }
        let rows = [
            Self.header, Self.row(first), Self.row(["信息项名称": "姓名", "字段名": "xm", "数据类型": "字符型"]),
            Self.row(["信息项名称": "出生日期", "字段名": "csrq", "数据类型": "D"]),
        ]
        let result = CatalogSheet.parse(rows)
        #expect(result.issues.isEmpty, "\(result.issues)")
        #expect(result.entries.count == 1)
        let content = result.entries[0].content
        #expect(content.items.map(\.columnName) == ["sfzhm", "xm", "csrq"])
        #expect(content.items[0].isKey && content.items[0].semanticKind == .residentID)
        #expect(content.items[2].dataType == .date)
        #expect(content.keywords == ["人口", "户籍"])
        #expect(content.formats == [ResourceFormat(category: .database, type: "Oracle")])
        #expect(result.entries[0].itemRows == [2, 3, 4])
    }

    @Test("every problem is reported with its row and column, and nothing is half-read")
    func problemsByRow() {
        var first = Self.entry
        first.merge(["信息项名称": "身份证号码", "字段名": "sfzhm", "数据类型": "C"]) { $1 }
        var second = Self.entry
        second["信息资源名称"] = "户籍迁移信息"
        second["更新周期"] = "每两天"
        second.merge(["信息项名称": "迁出地", "字段名": "Qcd-1", "数据类型": "X"]) { $1 }
        let rows = [
            Self.header + ["备用列"], Self.row(first), Self.row(["信息项名称": "姓名", "字段名": "sfzhm", "数据类型": "C"]),
            Self.row(second),
        ]
        let result = CatalogSheet.parse(rows)
        let found = Set(result.issues.map { "\($0.row):\($0.column)" })
        #expect(found.contains("3:字段名"), "duplicate column name on the item's own row: \(found)")
        #expect(found.contains("4:更新周期"))
        #expect(found.contains("4:数据类型"))
        #expect(found.contains("4:字段名"))
        #expect(result.warnings.map(\.column) == ["备用列"])
    }

    @Test("a sheet without the required columns says which are missing")
    func missingColumns() {
        let result = CatalogSheet.parse([["信息资源名称", "信息资源摘要"], ["人口基础信息", "x"]])
        #expect(result.entries.isEmpty)
        #expect(result.issues.first?.row == 1)
        #expect(result.issues.first?.message.contains("信息资源分类") == true)
    }

    @Test("export then import gives back the same content")
    func roundTrip() throws {
        let content = try CatalogEntryContent(
            classificationCode: "102001", name: "企业登记信息", abstract: "市场主体登记信息，含\"引号\"与，逗号",
            formats: [
                ResourceFormat(category: .spreadsheet, type: "XLSX"), ResourceFormat(category: .database, type: "达梦DM"),
            ],
            items: [
                InfoItem(
                    name: "统一社会信用代码", columnName: "tyshxydm", dataType: .character, length: 18, isKey: true,
                    shareType: .unconditional, semanticKind: .creditCode),
                InfoItem(name: "注册资本", columnName: "zczb", dataType: .numeric, shareType: .unconditional, note: "万元"),
                InfoItem(
                    name: "企业类型", columnName: "qylx", dataType: .character, length: 4, shareType: .unconditional,
                    codeSet: "GB/T 12402-2000"),
            ],
            shareType: .unconditional, openness: .unconditional, updateCycle: .daily, keywords: ["企业"],
            contact: ContactPoint(name: "陈静", phone: "0564-3370000")
        ).validated()
        let entry = CatalogEntry(
            id: 1, code: ResourceCode(classificationPath: "102001", sequence: "0001"),
            provider: EntryProvider(
                departmentID: 3, name: "六安市市场监督管理局", code: "SCJGJ", creditCode: nil, regionCode: "341500"),
            status: .published, version: 2, content: content, publishedOn: CalendarDate(year: 2026, month: 1, day: 5),
            recordCount: 10, dataUpdatedAt: nil, mount: nil, createdAt: Date(), updatedAt: Date())
        let rows = CatalogSheet.rows(for: [entry])
        #expect(rows.count == 4)
        let parsed = CatalogSheet.parse(rows)
        #expect(parsed.issues.isEmpty, "\(parsed.issues)")
        #expect(parsed.entries.first?.content == content)
        #expect(parsed.entries.first?.code == "102001/0001")
        #expect(parsed.entries.first?.providerCode == "SCJGJ")
    }
}
