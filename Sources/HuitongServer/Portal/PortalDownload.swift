import Foundation
import HuitongCore
import HuitongIngest
import HuitongServices

/// What a CSV download's header row names: the items (数据项名称, the default) or their column codes.
enum PortalCSVHeader: String, Sendable {
    case name
    case code
}

/// The formats the portal offers an unconditionally open entry's rows in (domain.md §7.3: CSV and JSON at least,
/// XLSX for the people who open data in a spreadsheet).
enum PortalDownloadFormat: String, Sendable, CaseIterable {
    case csv
    case json
    case xlsx

    var fileExtension: String { rawValue }
    var label: String { rawValue.uppercased() }

    var contentType: String {
        switch self {
        case .csv: "text/csv; charset=utf-8"
        case .json: "application/json; charset=utf-8"
        case .xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        }
    }

    /// An XLSX workbook is a zip archive written at the end, so it is built in memory; beyond this many rows the
    /// page offers CSV and JSON only, which stream.
    static let spreadsheetRowLimit: Int64 = 100_000

    func isOffered(forRows rows: Int64) -> Bool {
        self != .xlsx || rows <= Self.spreadsheetRowLimit
    }
}

/// Encodes rows (already masked) for a download, page by page: CSV with a byte order mark so that Excel reads the
/// Chinese correctly, its header the items' names (`?header=code`: the column codes, as scripts written against
/// the codes expect), or one JSON array of objects keyed by column code. Spreadsheet formulas are neutralised by the
/// CSV and XLSX writers.
struct PortalDownloadEncoder: Sendable {
    let format: PortalDownloadFormat
    let columns: [String]
    /// The CSV's header row: the items' names, or the column codes.
    let headers: [String]
    /// Each column's type, for JSON's numbers and booleans.
    let types: [ColumnType]
    private var csv = CSVWriter(options: .init(includesByteOrderMark: true))
    private var wroteRow = false

    init(format: PortalDownloadFormat, columns: [String], headers: [String]? = nil, types: [ColumnType]) {
        self.format = format
        self.columns = columns
        self.headers = headers ?? columns
        self.types = types
    }

    mutating func header() -> Data {
        switch format {
        case .csv:
            csv.writeRow(headers)
            return csv.takeOutput()
        case .json:
            return Data("[".utf8)
        case .xlsx:
            return Data()
        }
    }

    mutating func encode(_ rows: [[String?]]) -> Data {
        switch format {
        case .csv:
            for row in rows { csv.writeRow(row.map { $0 ?? "" }) }
            return csv.takeOutput()
        case .json:
            var output = ""
            for row in rows {
                output += wroteRow ? ",\n{" : "\n{"
                wroteRow = true
                for (index, column) in columns.enumerated() {
                    if index > 0 { output += "," }
                    JSONString.append(column, to: &output)
                    output += ":"
                    JSONString.append(index < row.count ? row[index] : nil, as: types[index], to: &output)
                }
                output += "}"
            }
            return Data(output.utf8)
        case .xlsx:
            return Data()
        }
    }

    mutating func footer() -> Data {
        format == .json ? Data((wroteRow ? "\n]\n" : "]\n").utf8) : Data()
    }

    /// A whole workbook: a header row of the items' names, then the rows as text (values keep their leading zeros).
    static func workbook(sheetName: String, items: [InfoItem], rows: [[String?]]) throws(TabularError) -> Data {
        var writer = XLSXWriter(options: .init(stringStorage: .inline))
        let name = XLSXWriter.problem(withSheetName: sheetName, existing: []) == nil ? sheetName : "data"
        try writer.addSheet(named: name)
        try writer.appendRow(items.map { .text($0.name) })
        for row in rows {
            try writer.appendRow(row.map { $0.map(XLSXCell.text) ?? .empty })
        }
        return try writer.makeData()
    }
}
