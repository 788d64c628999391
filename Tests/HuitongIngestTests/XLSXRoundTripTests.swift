import Foundation
import HuitongCore
import Testing

@testable import HuitongIngest

@Suite("XLSX writing and reading back")
struct XLSXRoundTripTests {
    static let catalogRows: [[XLSXCell]] = [
        ["资源代码", "资源名称", "数据量", "更新日期", "备注"],
        ["A0001", "人口基础信息", 1_250_000, .date(CalendarDate(year: 2024, month: 1, day: 15)!), "含\"引号\"与<尖括号>&符号"],
        ["A0002", .empty, -12.5, .date(CalendarDate(year: 2024, month: 2, day: 29)!), .empty],
        ["A0003", "多行\r\n文本", 0.1, .empty, "末尾"],
    ]

    @Test(
        "Chinese text, numbers, empty cells and dates survive a write and a read",
        arguments: [XLSXWriter.StringStorage.shared, .inline])
    func roundTrip(storage: XLSXWriter.StringStorage) throws {
        var writer = XLSXWriter(options: XLSXWriter.Options(stringStorage: storage))
        try writer.addSheet(named: "目录")
        try writer.appendRows(Self.catalogRows)
        let data = try writer.makeData()

        let reader = try XLSXReader(data: data)
        #expect(reader.sheetNames == ["目录"])
        let rows = try reader.rows()
        #expect(rows.map(\.number) == [1, 2, 3, 4])
        #expect(
            rows.map(\.cells) == [
                ["资源代码", "资源名称", "数据量", "更新日期", "备注"],
                ["A0001", "人口基础信息", "1250000", "2024-01-15", "含\"引号\"与<尖括号>&符号"],
                ["A0002", "", "-12.5", "2024-02-29"],
                ["A0003", "多行\r\n文本", "0.1", "", "末尾"],
            ])
    }

    @Test("several named sheets are written in order and each can be read by name")
    func severalSheets() throws {
        let data = try XLSXWriter.makeData(sheets: [
            (name: "部门", rows: [["名称"], ["统计局"]]),
            (name: "资源", rows: [["代码"], ["A0001"], ["A0002"]]),
        ])
        let reader = try XLSXReader(data: data)
        #expect(reader.sheetNames == ["部门", "资源"])
        #expect(try reader.rows(inSheet: "资源").map(\.cells) == [["代码"], ["A0001"], ["A0002"]])
        #expect(try reader.rows().map(\.cells) == [["名称"], ["统计局"]])
    }

    @Test("text cells are neutralised against formulas in XLSX too, numbers are not")
    func formulaNeutralization() throws {
        let data = try XLSXWriter.makeData(sheets: [(name: "S", rows: [["=1+1", "-12.5", "@x"], [-3]])])
        let rows = try XLSXReader(data: data).rows().map(\.cells)
        #expect(rows == [["'=1+1", "-12.5", "'@x"], ["-3"]])
    }

    @Test("characters XML cannot carry are dropped; markup characters and _xHHHH_ text come back intact")
    func xmlEscaping() throws {
        let text = "a\u{1}b\u{FFFF}<c>&\"d\"_x000D_"
        for storage in [XLSXWriter.StringStorage.shared, .inline] {
            let data = try XLSXWriter.makeData(
                sheets: [(name: "S", rows: [[.text(text)]])], options: XLSXWriter.Options(stringStorage: storage))
            #expect(try XLSXReader(data: data).rows().first?.cells == ["ab<c>&\"d\"_x000D_"])
        }
    }

    @Test("sheet names Excel would refuse are rejected before any work is done")
    func sheetNames() throws {
        var writer = XLSXWriter()
        try writer.addSheet(named: "人口")
        #expect(throws: TabularError.invalidSheetName("人口", .duplicate)) { try writer.addSheet(named: "人口") }
        #expect(throws: TabularError.invalidSheetName("a/b", .forbiddenCharacter("/"))) {
            try writer.addSheet(named: "a/b")
        }
        #expect(throws: TabularError.invalidSheetName("", .empty)) { try writer.addSheet(named: "") }
        let long = String(repeating: "表", count: 32)
        #expect(throws: TabularError.invalidSheetName(long, .tooLong)) { try writer.addSheet(named: long) }
    }

    @Test("a cell longer than Excel allows is refused with its reference")
    func cellLimit() throws {
        var writer = XLSXWriter()
        try writer.addSheet(named: "S")
        let tooLong = XLSXCell.text(String(repeating: "x", count: 32_768))
        #expect(throws: TabularError.cellTextTooLongForExcel(sheet: "S", reference: "B1", limit: 32_767)) {
            try writer.appendRow(["ok", tooLong])
        }
    }

    @Test("the same workbook always produces the same bytes")
    func deterministicOutput() throws {
        let first = try XLSXWriter.makeData(sheets: [(name: "S", rows: Self.catalogRows)])
        let second = try XLSXWriter.makeData(sheets: [(name: "S", rows: Self.catalogRows)])
        #expect(first == second)
    }

    @Test("rows stream to a closure, and an error thrown there comes back unchanged")
    func streamingAndCallerErrors() throws {
        struct Stop: Error, Equatable {}
        let rows = (1...500).map { [XLSXCell.text("行\($0)"), .number(Double($0))] }
        let reader = try XLSXReader(data: XLSXWriter.makeData(sheets: [(name: "S", rows: rows)]))
        var seen = 0
        #expect(throws: Stop()) {
            try reader.forEachRow { row in
                seen += 1
                if row.number == 300 { throw Stop() }
            }
        }
        #expect(seen == 300)
    }

    @Test("a workbook saved to a file is read from its URL")
    func fileURL() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("huitong-\(UUID().uuidString).xlsx")
        defer { try? FileManager.default.removeItem(at: url) }
        try XLSXWriter.makeData(sheets: [(name: "S", rows: [["人口", 42]])]).write(to: url)
        #expect(try XLSXReader(contentsOf: url).rows().map(\.cells) == [["人口", "42"]])
        let missing = url.deletingLastPathComponent().appendingPathComponent("no-such-\(UUID().uuidString).xlsx")
        #expect(throws: TabularError.unreadableFile(path: missing.path)) { try XLSXReader(contentsOf: missing) }
    }

    @Test("Excel date serials convert both ways, including the 1900 leap-year quirk and the 1904 system")
    func excelDates() {
        #expect(ExcelDate.serialNumber(of: CalendarDate(year: 2024, month: 1, day: 15)!) == 45306)
        #expect(ExcelDate.serialNumber(of: CalendarDate(year: 1900, month: 1, day: 1)!) == 1)
        #expect(ExcelDate.serialNumber(of: CalendarDate(year: 1900, month: 3, day: 1)!) == 61)
        #expect(ExcelDate.serialNumber(of: CalendarDate(year: 1899, month: 12, day: 31)!) == nil)
        #expect(ExcelDate.text(serial: 45306, kind: .date, uses1904DateSystem: false) == "2024-01-15")
        #expect(ExcelDate.text(serial: 59, kind: .date, uses1904DateSystem: false) == "1900-02-28")
        #expect(ExcelDate.text(serial: 61, kind: .date, uses1904DateSystem: false) == "1900-03-01")
        #expect(ExcelDate.text(serial: 45306.75, kind: .dateTime, uses1904DateSystem: false) == "2024-01-15 18:00:00")
        #expect(ExcelDate.text(serial: 0.999_999_99, kind: .time, uses1904DateSystem: false) == "00:00:00")
        #expect(ExcelDate.text(serial: 43844, kind: .date, uses1904DateSystem: true) == "2024-01-15")
        #expect(ExcelDate.kind(formatCode: "yyyy\"年\"m\"月\"d\"日\"") == .date)
        #expect(ExcelDate.kind(formatCode: "[$-804]yyyy/m/d h:mm") == .dateTime)
        #expect(ExcelDate.kind(formatCode: "mm:ss") == .time)
        #expect(ExcelDate.kind(formatCode: "#,##0.00\"元\";[Red]-#,##0.00") == nil)
        #expect(ExcelDate.kind(formatCode: "General") == nil)
    }
}
