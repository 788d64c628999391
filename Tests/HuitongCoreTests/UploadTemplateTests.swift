import Foundation
import HuitongCore
import Testing

@Suite("Upload templates")
struct UploadTemplateTests {
    /// One item of every semantic kind and of every data type, a coded one, a short one and a required key.
    static let items: [InfoItem] =
        SemanticKind.allCases.enumerated().map { index, kind in
            InfoItem(
                name: "项\(index)", columnName: "k\(index)", dataType: .character, length: 40, isKey: index == 0,
                isRequired: index == 0, semanticKind: kind)
        }
        + DataType.allCases.enumerated().map { index, type in
            InfoItem(name: "类型\(index)", columnName: "t\(index)", dataType: type, isRequired: true)
        } + [
            InfoItem(name: "性别", columnName: "xb", dataType: .character, codeSet: "GB/T 2261.1"),
            InfoItem(name: "简称", columnName: "jc", dataType: .character, length: 1),
        ]

    static let sex = CodeSet(
        id: "GB/T 2261.1", name: BilingualText(zh: "人的性别代码", en: "sex"),
        codes: [CodeSet.Code(code: "1", label: "男性"), CodeSet.Code(code: "2", label: "女性")])

    @Test("the template's header maps onto every item and its example row passes the entry's own checks")
    func exampleRowIsValid() throws {
        let template = UploadTemplate(items: Self.items, codeSets: [Self.sex])
        #expect(template.rows.count == 3)
        let mapping = try ColumnMapping(header: template.header, items: Self.items)
        #expect(mapping.positions == Self.items.indices.map { $0 })
        let validator = RowValidator(mapping: mapping, codeSets: [Self.sex])
        switch validator.validate(template.example, row: 3) {
        case .success(let values):
            #expect(values.allSatisfy { $0 != nil }, "every item has an example")
        case .failure(let problems):
            Issue.record("the example row is rejected: \(problems.issues.map { "\($0.column): \($0.reason)" })")
        }
        #expect(template.example[Self.items.count - 2] == "1", "a coded item's example is its set's first code")
        #expect(template.example.last == "示", "an example fits the item's length")
    }

    @Test("the type row says type, length, key, required and code set, in the language asked for")
    func typeRow() {
        let zh = UploadTemplate(items: Self.items, codeSets: [Self.sex])
        #expect(zh.types[0] == "字符型(40) · 主键 · 必填")
        #expect(zh.types[Self.items.count - 2] == "字符型 · 可空 · 代码集 GB/T 2261.1")
        let date = Self.items.firstIndex { $0.dataType == .date }!
        #expect(zh.types[date] == "日期型 · 必填 · 格式 YYYY-MM-DD")
        let en = UploadTemplate(items: Self.items, english: true)
        #expect(en.types[0] == "character(40) · key · required")
        #expect(!en.types.joined().contains { $0.unicodeScalars.first!.value >= 0x4E00 && $0 != "是" && $0 != "否" })
    }

    @Test("a load recognises the type row in either language, and only it")
    func recognisesTypeRow() throws {
        let zh = UploadTemplate(items: Self.items)
        let en = UploadTemplate(items: Self.items, english: true)
        let mapping = try ColumnMapping(header: zh.header, items: Self.items)
        #expect(UploadTemplate.isTypeRow(zh.types, mapping: mapping))
        #expect(UploadTemplate.isTypeRow(en.types, mapping: mapping))
        #expect(!UploadTemplate.isTypeRow(zh.example, mapping: mapping))
        var edited = zh.types
        edited[1] = "张三"
        #expect(!UploadTemplate.isTypeRow(edited, mapping: mapping), "a row with one real value is data")
        // Only the columns the file has count: a file without the optional columns still has its type row.
        let kinds = SemanticKind.allCases.count
        let fewer = try ColumnMapping(header: [zh.header[0]] + zh.header[kinds...], items: Self.items)
        #expect(UploadTemplate.isTypeRow([zh.types[0]] + zh.types[kinds...], mapping: fewer))
    }
}
