import Foundation
import HuitongCore

/// The value of one cell written to an XLSX sheet.
public enum XLSXCell: Sendable, Hashable {
    case text(String)
    case number(Double)
    /// A calendar day, stored as an Excel date serial number shown as `yyyy-mm-dd`. Days before 1900-01-01, which
    /// Excel cannot represent, are written as text in that form.
    case date(CalendarDate)
    /// No cell at all; the cells after it keep their columns.
    case empty
}

extension XLSXCell: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral {
    public init(stringLiteral value: String) { self = .text(value) }
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
    public init(floatLiteral value: Double) { self = .number(value) }
}

/// Builds an XLSX workbook that Excel, WPS and LibreOffice open: one or more named sheets of text, numbers and
/// dates, with the first row of each sheet in bold and frozen as a header (optional).
///
/// ```swift
/// var writer = XLSXWriter()
/// try writer.addSheet(named: "目录")
/// try writer.appendRow(["资源代码", "名称", "数据量"])
/// try writer.appendRow(["A0001", "人口基础信息", 1_250_000])
/// let data = try writer.makeData()
/// ```
///
/// Each sheet's XML is built as rows are appended, so the writer holds the encoded sheets (and the shared-strings
/// table, when used), not the cell values.
public struct XLSXWriter: Sendable {
    public struct Options: Sendable, Hashable {
        public var stringStorage: StringStorage
        /// Show the first row of every sheet in bold and keep it visible while scrolling.
        public var emphasizesHeaderRow: Bool
        /// Apply `FormulaNeutralizer` to text cells, so that text copied out of the sheet or re-saved as CSV
        /// cannot turn into a formula.
        public var neutralizesFormulas: Bool

        public init(
            stringStorage: StringStorage = .shared, emphasizesHeaderRow: Bool = true, neutralizesFormulas: Bool = true
        ) {
            self.stringStorage = stringStorage
            self.emphasizesHeaderRow = emphasizesHeaderRow
            self.neutralizesFormulas = neutralizesFormulas
        }
    }

    /// Where text cells keep their text.
    public enum StringStorage: Sendable, Hashable {
        /// In one table shared by all sheets, as Excel itself writes: repeated values are stored once.
        case shared
        /// In each cell: no table to hold in memory, at the cost of a larger file when values repeat.
        case inline
    }

    /// Style indexes into the `cellXfs` table written by `stylesXML`.
    private enum Style: Int {
        case plain = 0
        case bold = 1
        case date = 2
        case boldDate = 3
    }

    private struct Sheet: Sendable {
        var name: String
        var rowsXML: [UInt8] = []
        var rowCount = 0
        var columnCount = 0
    }

    public let options: Options
    private var sheets: [Sheet] = []
    private var sharedStringIndexes: [String: Int] = [:]
    private var sharedStrings: [String] = []
    private var sharedStringUses = 0
    /// `A`, `B`, … as bytes, built once per column rather than once per cell.
    private var columnNames: [[UInt8]] = []

    public init(options: Options = Options()) {
        self.options = options
    }

    /// Starts a new sheet; the rows appended next go to it.
    /// - Throws: `TabularError.invalidSheetName` if Excel would reject the name or another sheet has it.
    public mutating func addSheet(named name: String) throws(TabularError) {
        if let problem = Self.problem(withSheetName: name, existing: sheets.map(\.name)) {
            throw .invalidSheetName(name, problem)
        }
        sheets.append(Sheet(name: name))
    }

    /// Appends a row to the sheet added last (to a sheet named `Sheet1` if none was added).
    public mutating func appendRow(_ cells: [XLSXCell]) throws(TabularError) {
        if sheets.isEmpty { sheets.append(Sheet(name: "Sheet1")) }
        // Taken out of the array while the row is added, so that its XML buffer grows in place instead of
        // being copied on write.
        var sheet = sheets.removeLast()
        defer { sheets.append(sheet) }
        guard sheet.rowCount < SpreadsheetML.maxRows else {
            throw .sheetTooLarge(sheet: sheet.name, what: .rows, limit: SpreadsheetML.maxRows)
        }
        guard cells.count <= SpreadsheetML.maxColumns else {
            throw .sheetTooLarge(sheet: sheet.name, what: .columns, limit: SpreadsheetML.maxColumns)
        }
        sheet.rowCount += 1
        let rowNumber = Array(String(sheet.rowCount).utf8)
        let isHeader = options.emphasizesHeaderRow && sheet.rowCount == 1
        var rowXML: [UInt8] = []
        for (column, cell) in cells.enumerated() {
            switch cell {
            case .empty:
                continue
            case .text(let text):
                try appendText(
                    text, column: column, rowNumber: rowNumber, isHeader: isHeader, sheetName: sheet.name, to: &rowXML)
            case .number(let value) where value.isFinite:
                appendCellStart(
                    column: column, rowNumber: rowNumber, type: nil, style: isHeader ? .bold : .plain, to: &rowXML)
                rowXML.append(contentsOf: "<v>".utf8)
                rowXML.append(contentsOf: Self.numberText(value).utf8)
                rowXML.append(contentsOf: "</v></c>".utf8)
            case .number(let value):
                // Infinity and NaN have no representation in a sheet; show them rather than drop the cell.
                try appendText(
                    String(describing: value), column: column, rowNumber: rowNumber, isHeader: isHeader,
                    sheetName: sheet.name, to: &rowXML)
            case .date(let date):
                guard let serial = ExcelDate.serialNumber(of: date) else {
                    try appendText(
                        date.description, column: column, rowNumber: rowNumber, isHeader: isHeader,
                        sheetName: sheet.name, to: &rowXML)
                    continue
                }
                appendCellStart(
                    column: column, rowNumber: rowNumber, type: nil, style: isHeader ? .boldDate : .date, to: &rowXML)
                rowXML.append(contentsOf: "<v>".utf8)
                rowXML.append(contentsOf: String(serial).utf8)
                rowXML.append(contentsOf: "</v></c>".utf8)
            }
            sheet.columnCount = max(sheet.columnCount, column + 1)
        }
        guard !rowXML.isEmpty else { return }
        sheet.rowsXML.append(contentsOf: "<row r=\"".utf8)
        sheet.rowsXML.append(contentsOf: rowNumber)
        sheet.rowsXML.append(contentsOf: "\">".utf8)
        sheet.rowsXML.append(contentsOf: rowXML)
        sheet.rowsXML.append(contentsOf: "</row>".utf8)
    }

    /// `<c r="B7" t="s" s="1">`.
    private mutating func appendCellStart(
        column: Int, rowNumber: [UInt8], type: StaticString?, style: Style, to xml: inout [UInt8]
    ) {
        while columnNames.count <= column {
            columnNames.append(Array(SpreadsheetML.columnName(columnNames.count).utf8))
        }
        xml.append(contentsOf: "<c r=\"".utf8)
        xml.append(contentsOf: columnNames[column])
        xml.append(contentsOf: rowNumber)
        xml.append(ASCII.quote)
        if let type {
            xml.append(contentsOf: " t=\"".utf8)
            xml.append(contentsOf: UnsafeBufferPointer(start: type.utf8Start, count: type.utf8CodeUnitCount))
            xml.append(ASCII.quote)
        }
        if style != .plain {
            xml.append(contentsOf: " s=\"".utf8)
            xml.append(UInt8(ascii: "0") + UInt8(style.rawValue))
            xml.append(ASCII.quote)
        }
        xml.append(UInt8(ascii: ">"))
    }

    /// Appends several rows to the sheet added last.
    public mutating func appendRows(_ rows: some Sequence<[XLSXCell]>) throws(TabularError) {
        for row in rows { try appendRow(row) }
    }

    /// The finished workbook as the bytes of an `.xlsx` file. A writer with no sheet yields one empty sheet.
    public func makeData() throws(TabularError) -> Data {
        let sheets = self.sheets.isEmpty ? [Sheet(name: "Sheet1")] : self.sheets
        var parts: [ZipPackage.Part] = [
            ZipPackage.Part("[Content_Types].xml", Array(contentTypesXML(sheetCount: sheets.count).utf8)),
            ZipPackage.Part("_rels/.rels", Array(Self.rootRelationshipsXML.utf8)),
            ZipPackage.Part("xl/workbook.xml", Array(Self.workbookXML(sheetNames: sheets.map(\.name)).utf8)),
            ZipPackage.Part(
                "xl/_rels/workbook.xml.rels", Array(workbookRelationshipsXML(sheetCount: sheets.count).utf8)),
            ZipPackage.Part("xl/styles.xml", Array(Self.stylesXML.utf8)),
        ]
        for (index, sheet) in sheets.enumerated() {
            let (header, footer) = worksheetXMLAround(sheet, isFirst: index == 0)
            parts.append(
                ZipPackage.Part(path: "xl/worksheets/sheet\(index + 1).xml", segments: [header, sheet.rowsXML, footer]))
        }
        if options.stringStorage == .shared {
            parts.append(ZipPackage.Part("xl/sharedStrings.xml", sharedStringsXML()))
        }
        return try ZipPackage.make(parts)
    }

    /// Writes a whole workbook at once.
    public static func makeData(
        sheets: [(name: String, rows: [[XLSXCell]])], options: Options = Options()
    ) throws(TabularError) -> Data {
        var writer = XLSXWriter(options: options)
        for sheet in sheets {
            try writer.addSheet(named: sheet.name)
            try writer.appendRows(sheet.rows)
        }
        return try writer.makeData()
    }

    /// Why Excel would refuse `name` as a sheet name, or `nil` if it accepts it.
    public static func problem(withSheetName name: String, existing: [String]) -> TabularError.SheetNameProblem? {
        if name.isEmpty { return .empty }
        if name.utf16.count > 31 { return .tooLong }
        if let forbidden = name.first(where: { "[]:*?/\\".contains($0) }) { return .forbiddenCharacter(forbidden) }
        if name.hasPrefix("'") || name.hasSuffix("'") { return .apostropheAtEdge }
        if name.lowercased() == "history" { return .reserved }
        if existing.contains(where: { $0.lowercased() == name.lowercased() }) { return .duplicate }
        return nil
    }

    private mutating func appendText(
        _ text: String, column: Int, rowNumber: [UInt8], isHeader: Bool, sheetName: String,
        to rowXML: inout [UInt8]
    ) throws(TabularError) {
        let value = options.neutralizesFormulas ? FormulaNeutralizer.neutralize(text) : text
        guard value.utf16.count <= SpreadsheetML.maxCellCharacters else {
            throw .cellTextTooLongForExcel(
                sheet: sheetName,
                reference: SpreadsheetML.columnName(column) + String(decoding: rowNumber, as: UTF8.self),
                limit: SpreadsheetML.maxCellCharacters)
        }
        let style: Style = isHeader ? .bold : .plain
        switch options.stringStorage {
        case .shared:
            let index: Int
            if let known = sharedStringIndexes[value] {
                index = known
            } else {
                index = sharedStrings.count
                sharedStrings.append(value)
                sharedStringIndexes[value] = index
            }
            sharedStringUses += 1
            appendCellStart(column: column, rowNumber: rowNumber, type: "s", style: style, to: &rowXML)
            rowXML.append(contentsOf: "<v>".utf8)
            rowXML.append(contentsOf: String(index).utf8)
            rowXML.append(contentsOf: "</v></c>".utf8)
        case .inline:
            appendCellStart(column: column, rowNumber: rowNumber, type: "inlineStr", style: style, to: &rowXML)
            rowXML.append(contentsOf: "<is>".utf8)
            Self.appendTextElement(value, to: &rowXML)
            rowXML.append(contentsOf: "</is></c>".utf8)
        }
    }

    /// `<t>` with `xml:space="preserve"` when the text has leading or trailing white space, which XML
    /// consumers may otherwise trim.
    private static func appendTextElement(_ text: String, to buffer: inout [UInt8]) {
        let edges = [text.unicodeScalars.first, text.unicodeScalars.last]
        let preserve = edges.contains { $0?.properties.isWhitespace == true }
        buffer.append(contentsOf: (preserve ? "<t xml:space=\"preserve\">" : "<t>").utf8)
        SpreadsheetML.appendEscaped(text, to: &buffer, context: .cellText)
        buffer.append(contentsOf: "</t>".utf8)
    }

    /// Integers without a fraction (`12`, not `12.0`); anything else in Swift's shortest round-trip form, which
    /// is a valid `xsd:double`.
    static func numberText(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 9_007_199_254_740_992 { return String(Int64(value)) }
        return String(describing: value)
    }

    /// The XML before and after a sheet's rows; the rows themselves are not copied.
    private func worksheetXMLAround(_ sheet: Sheet, isFirst: Bool) -> (header: [UInt8], footer: [UInt8]) {
        var xml = Array(SpreadsheetML.xmlDeclaration.utf8)
        xml.append(
            contentsOf:
                "<worksheet xmlns=\"\(SpreadsheetML.mainNamespace)\" xmlns:r=\"\(SpreadsheetML.relationshipsNamespace)\">"
                .utf8)
        if sheet.rowCount > 0 && sheet.columnCount > 0 {
            let lastCell = SpreadsheetML.columnName(sheet.columnCount - 1) + String(sheet.rowCount)
            xml.append(contentsOf: "<dimension ref=\"A1:\(lastCell)\"/>".utf8)
        }
        let selected = isFirst ? " tabSelected=\"1\"" : ""
        if options.emphasizesHeaderRow && sheet.rowCount > 1 {
            xml.append(
                contentsOf: """
                    <sheetViews><sheetView workbookViewId="0"\(selected)><pane ySplit="1" topLeftCell="A2" \
                    activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>
                    """.utf8)
        } else {
            xml.append(contentsOf: "<sheetViews><sheetView workbookViewId=\"0\"\(selected)/></sheetViews>".utf8)
        }
        xml.append(contentsOf: "<sheetData>".utf8)
        return (xml, Array("</sheetData></worksheet>".utf8))
    }

    private func sharedStringsXML() -> [UInt8] {
        var xml = Array(SpreadsheetML.xmlDeclaration.utf8)
        xml.append(
            contentsOf:
                "<sst xmlns=\"\(SpreadsheetML.mainNamespace)\" count=\"\(sharedStringUses)\" uniqueCount=\"\(sharedStrings.count)\">"
                .utf8)
        for text in sharedStrings {
            xml.append(contentsOf: "<si>".utf8)
            Self.appendTextElement(text, to: &xml)
            xml.append(contentsOf: "</si>".utf8)
        }
        xml.append(contentsOf: "</sst>".utf8)
        return xml
    }

    private func contentTypesXML(sheetCount: Int) -> String {
        let prefix = "application/vnd.openxmlformats-officedocument.spreadsheetml"
        var xml = SpreadsheetML.xmlDeclaration
        xml += "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
        xml += "<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>"
        xml += "<Default Extension=\"xml\" ContentType=\"application/xml\"/>"
        xml += "<Override PartName=\"/xl/workbook.xml\" ContentType=\"\(prefix).sheet.main+xml\"/>"
        for index in 1...sheetCount {
            xml += "<Override PartName=\"/xl/worksheets/sheet\(index).xml\" ContentType=\"\(prefix).worksheet+xml\"/>"
        }
        xml += "<Override PartName=\"/xl/styles.xml\" ContentType=\"\(prefix).styles+xml\"/>"
        if options.stringStorage == .shared {
            xml += "<Override PartName=\"/xl/sharedStrings.xml\" ContentType=\"\(prefix).sharedStrings+xml\"/>"
        }
        xml += "</Types>"
        return xml
    }

    private static let rootRelationshipsXML =
        SpreadsheetML.xmlDeclaration
        + "<Relationships xmlns=\"\(SpreadsheetML.packageRelationshipsNamespace)\">"
        + "<Relationship Id=\"rId1\" Type=\"\(SpreadsheetML.relationshipsNamespace)/officeDocument\" "
        + "Target=\"xl/workbook.xml\"/></Relationships>"

    private static func workbookXML(sheetNames: [String]) -> String {
        var sheetsXML: [UInt8] = []
        for (index, name) in sheetNames.enumerated() {
            sheetsXML.append(contentsOf: "<sheet name=\"".utf8)
            SpreadsheetML.appendEscaped(name, to: &sheetsXML, context: .attribute)
            sheetsXML.append(contentsOf: "\" sheetId=\"\(index + 1)\" r:id=\"rId\(index + 1)\"/>".utf8)
        }
        return SpreadsheetML.xmlDeclaration
            + "<workbook xmlns=\"\(SpreadsheetML.mainNamespace)\" xmlns:r=\"\(SpreadsheetML.relationshipsNamespace)\">"
            + "<bookViews><workbookView activeTab=\"0\"/></bookViews>"
            + "<sheets>\(String(decoding: sheetsXML, as: UTF8.self))</sheets></workbook>"
    }

    private func workbookRelationshipsXML(sheetCount: Int) -> String {
        let type = SpreadsheetML.relationshipsNamespace
        var xml = SpreadsheetML.xmlDeclaration
        xml += "<Relationships xmlns=\"\(SpreadsheetML.packageRelationshipsNamespace)\">"
        for index in 1...sheetCount {
            xml +=
                "<Relationship Id=\"rId\(index)\" Type=\"\(type)/worksheet\" Target=\"worksheets/sheet\(index).xml\"/>"
        }
        xml += "<Relationship Id=\"rId\(sheetCount + 1)\" Type=\"\(type)/styles\" Target=\"styles.xml\"/>"
        if options.stringStorage == .shared {
            xml +=
                "<Relationship Id=\"rId\(sheetCount + 2)\" Type=\"\(type)/sharedStrings\" Target=\"sharedStrings.xml\"/>"
        }
        xml += "</Relationships>"
        return xml
    }

    /// Fonts 0 (regular) and 1 (bold); cell formats in `Style` order; number format 164 is `yyyy-mm-dd`.
    private static let stylesXML =
        SpreadsheetML.xmlDeclaration + "<styleSheet xmlns=\"\(SpreadsheetML.mainNamespace)\">"
        + "<numFmts count=\"1\"><numFmt numFmtId=\"164\" formatCode=\"yyyy\\-mm\\-dd\"/></numFmts>"
        + "<fonts count=\"2\"><font><sz val=\"11\"/><name val=\"Calibri\"/><family val=\"2\"/></font>"
        + "<font><b/><sz val=\"11\"/><name val=\"Calibri\"/><family val=\"2\"/></font></fonts>"
        + "<fills count=\"2\"><fill><patternFill patternType=\"none\"/></fill>"
        + "<fill><patternFill patternType=\"gray125\"/></fill></fills>"
        + "<borders count=\"1\"><border><left/><right/><top/><bottom/><diagonal/></border></borders>"
        + "<cellStyleXfs count=\"1\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\"/></cellStyleXfs>"
        + "<cellXfs count=\"4\">"
        + "<xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\"/>"
        + "<xf numFmtId=\"0\" fontId=\"1\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyFont=\"1\"/>"
        + "<xf numFmtId=\"164\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyNumberFormat=\"1\"/>"
        + "<xf numFmtId=\"164\" fontId=\"1\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyFont=\"1\" "
        + "applyNumberFormat=\"1\"/></cellXfs>"
        + "<cellStyles count=\"1\"><cellStyle name=\"Normal\" xfId=\"0\" builtinId=\"0\"/></cellStyles>"
        + "</styleSheet>"
}
