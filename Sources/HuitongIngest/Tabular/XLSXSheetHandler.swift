import Foundation

/// Turns the XML of one worksheet into rows of display strings.
struct SheetHandler: XMLHandler {
    /// The `t` attribute of a cell.
    private enum CellType {
        case number
        case sharedString
        case inlineString
        case formulaString
        case boolean
        case error
        case isoDate
    }

    let sheetName: String
    let sharedStrings: SharedStringTable
    let dateKinds: [ExcelDate.Kind?]
    let uses1904DateSystem: Bool
    let maxColumns: Int
    let maxCellBytes: Int

    /// Rows finished since the caller last took them.
    var completedRows: [XLSXRow] = []
    /// The number of the row being read, or the last one read; used to say where malformed XML is.
    private(set) var rowNumber = 0

    private var cells: [String] = []
    private var inRow = false
    private var nextColumn = 0
    private var inCell = false
    private var cellColumn = 0
    private var cellType = CellType.number
    private var cellStyle = 0
    private var inValue = false
    private var inInlineString = false
    private var inInlineText = false
    private var phoneticDepth = 0
    private var text: [UInt8] = []

    init(
        sheetName: String, sharedStrings: SharedStringTable, dateKinds: [ExcelDate.Kind?], uses1904DateSystem: Bool,
        maxColumns: Int, maxCellBytes: Int
    ) {
        self.sheetName = sheetName
        self.sharedStrings = sharedStrings
        self.dateKinds = dateKinds
        self.uses1904DateSystem = uses1904DateSystem
        self.maxColumns = maxColumns
        self.maxCellBytes = maxCellBytes
    }

    var wantsText: Bool { inValue || inInlineText }

    mutating func startElement(_ element: XMLElementView) throws(TabularError) {
        let name = element.localName
        switch name.count {
        case 1 where XMLTokenizer.equals(name, "c"):
            try startCell(element)
        case 1 where XMLTokenizer.equals(name, "v"):
            if inCell {
                inValue = true
                text.removeAll(keepingCapacity: true)
            }
        case 1 where XMLTokenizer.equals(name, "t"):
            inInlineText = inInlineString && phoneticDepth == 0
        case 2 where XMLTokenizer.equals(name, "is"):
            if inCell {
                inInlineString = true
                text.removeAll(keepingCapacity: true)
            }
        case 3 where XMLTokenizer.equals(name, "row"):
            try startRow(element)
        case 3 where XMLTokenizer.equals(name, "rPh"):
            phoneticDepth += 1
        default:
            break
        }
    }

    mutating func endElement(localName name: UnsafeBufferPointer<UInt8>) throws(TabularError) {
        switch name.count {
        case 1 where XMLTokenizer.equals(name, "c"):
            try endCell()
        case 1 where XMLTokenizer.equals(name, "v"):
            inValue = false
        case 1 where XMLTokenizer.equals(name, "t"):
            inInlineText = false
        case 2 where XMLTokenizer.equals(name, "is"):
            inInlineString = false
        case 3 where XMLTokenizer.equals(name, "row"):
            endRow()
        case 3 where XMLTokenizer.equals(name, "rPh"):
            phoneticDepth -= 1
        default:
            break
        }
    }

    mutating func characters(_ characters: UnsafeBufferPointer<UInt8>) throws(TabularError) {
        guard text.count + characters.count <= maxCellBytes else {
            throw .cellTooLong(
                sheet: sheetName, reference: SpreadsheetML.columnName(cellColumn) + String(rowNumber),
                limit: maxCellBytes)
        }
        text.append(contentsOf: characters)
    }

    private mutating func startRow(_ element: XMLElementView) throws(TabularError) {
        // `r` is optional; without it a row follows the previous one.
        var number = rowNumber + 1
        try element.forEachAttribute { name, value throws(TabularError) in
            if XMLTokenizer.equals(name, "r"), let parsed = Self.integer(value) { number = parsed }
        }
        rowNumber = number
        inRow = true
        nextColumn = 0
        cells.removeAll(keepingCapacity: true)
    }

    private mutating func startCell(_ element: XMLElementView) throws(TabularError) {
        var column = nextColumn
        var type = CellType.number
        var style = 0
        try element.forEachAttribute { name, value throws(TabularError) in
            guard name.count == 1 else { return }
            switch name[0] {
            case UInt8(ascii: "r"):
                // `r` is optional too; without it a cell follows the previous one.
                if let parsed = SpreadsheetML.columnIndex(ofReference: value) { column = parsed }
            case UInt8(ascii: "t"):
                type = Self.cellType(value)
            case UInt8(ascii: "s"):
                style = Self.integer(value) ?? 0
            default:
                break
            }
        }
        guard column < maxColumns else {
            throw .tooManyCellsInRow(sheet: sheetName, row: rowNumber, limit: maxColumns)
        }
        inCell = true
        cellColumn = column
        cellType = type
        cellStyle = style
        text.removeAll(keepingCapacity: true)
    }

    private mutating func endCell() throws(TabularError) {
        inCell = false
        nextColumn = cellColumn + 1
        let value = try cellText()
        guard inRow, !value.isEmpty else { return }
        if cellColumn < cells.count {
            cells[cellColumn] = value
        } else {
            // Columns skipped by a sparse row (`A5`, then `D5`) read as empty strings.
            cells.append(contentsOf: repeatElement("", count: cellColumn - cells.count))
            cells.append(value)
        }
    }

    private mutating func endRow() {
        inRow = false
        while cells.last?.isEmpty == true { cells.removeLast() }
        guard !cells.isEmpty else { return }
        completedRows.append(XLSXRow(number: rowNumber, cells: cells))
    }

    private func cellText() throws(TabularError) -> String {
        switch cellType {
        case .sharedString:
            guard let index = Self.integer(text), sharedStrings.contains(index) else {
                throw .malformedXML(part: "sheet \(sheetName)", row: rowNumber)
            }
            return sharedStrings[index]
        case .inlineString:
            return SpreadsheetML.unescapeCellText(text)
        case .formulaString, .error:
            return String(decoding: text, as: UTF8.self)
        case .boolean:
            switch text {
            case [UInt8(ascii: "1")]: return "TRUE"
            case [UInt8(ascii: "0")]: return "FALSE"
            default: return String(decoding: text, as: UTF8.self)
            }
        case .isoDate:
            return Self.normalizedISODate(String(decoding: text, as: UTF8.self))
        case .number:
            var start = text.startIndex
            var end = text.endIndex
            while start < end, XMLTokenizer.isWhitespace(text[start]) { start += 1 }
            while end > start, XMLTokenizer.isWhitespace(text[end - 1]) { end -= 1 }
            guard start < end else { return "" }
            let raw = String(decoding: text[start..<end], as: UTF8.self)
            if dateKinds.indices.contains(cellStyle), let kind = dateKinds[cellStyle], let serial = Double(raw),
                let date = ExcelDate.text(serial: serial, kind: kind, uses1904DateSystem: uses1904DateSystem)
            {
                return date
            }
            return Self.displayNumber(raw)
        }
    }

    private static func cellType(_ value: UnsafeBufferPointer<UInt8>) -> CellType {
        if XMLTokenizer.equals(value, "s") { return .sharedString }
        if XMLTokenizer.equals(value, "inlineStr") { return .inlineString }
        if XMLTokenizer.equals(value, "str") { return .formulaString }
        if XMLTokenizer.equals(value, "b") { return .boolean }
        if XMLTokenizer.equals(value, "e") { return .error }
        if XMLTokenizer.equals(value, "d") { return .isoDate }
        return .number
    }

    private static func integer(_ bytes: some Collection<UInt8>) -> Int? {
        guard !bytes.isEmpty, bytes.count <= 18 else { return nil }
        var value = 0
        for byte in bytes {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }

    /// A number as Excel shows it in a General cell: at most 15 significant digits, so that binary floating-point
    /// noise such as `0.30000000000000004` reads `0.3`, and exponents written `1E-07`. Numbers already that short
    /// are kept exactly as stored.
    static func displayNumber(_ raw: String) -> String {
        var significantDigits = 0
        var seenNonZero = false
        var hasExponent = false
        for byte in raw.utf8 {
            switch byte {
            case UInt8(ascii: "e"), UInt8(ascii: "E"):
                hasExponent = true
            case UInt8(ascii: "1")...UInt8(ascii: "9"):
                seenNonZero = true
                significantDigits += 1
            case UInt8(ascii: "0") where seenNonZero:
                significantDigits += 1
            default:
                break
            }
        }
        guard significantDigits > 15 || hasExponent, let value = Double(raw) else { return raw }
        return String(format: "%.15G", value)
    }

    /// Strict-OOXML `t="d"` cells hold ISO 8601 text; shown in the same forms as serial dates.
    private static func normalizedISODate(_ text: String) -> String {
        var value = text.replacingOccurrences(of: "T", with: " ")
        if value.hasSuffix("Z") { value.removeLast() }
        if let dot = value.firstIndex(of: ".") { value = String(value[..<dot]) }
        if value.hasSuffix(" 00:00:00") { value.removeLast(" 00:00:00".count) }
        return value
    }
}
