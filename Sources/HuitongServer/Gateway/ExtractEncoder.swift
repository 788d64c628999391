import Foundation
import HuitongCore
import HuitongCrypto
import HuitongIngest
import HuitongServices

/// The formats of a bulk extract.
enum ExtractFormat: String, Sendable, CaseIterable {
    case csv
    case ndjson

    var contentType: String {
        switch self {
        case .csv: "text/csv; charset=utf-8"
        case .ndjson: "application/x-ndjson; charset=utf-8"
        }
    }
}

/// A mark carried by every row of an extract that says which grant and which extract the row left the platform
/// under. The tag is keyed, so a consumer cannot forge or move it; an operator holding a leaked file reads the grant
/// off any row of it, however the file was cut.
struct ExtractWatermark: Sendable, Hashable {
    static let column = "_watermark"
    let grantID: Int64
    let extractID: String
    let tag: String

    /// `authenticator` is the node suite's MAC (HMAC-SM3 under `gm`, HMAC-SHA256 under `intl`) under a key derived
    /// from the node key for watermarks alone.
    init(grantID: Int64, consumerDepartmentID: Int64, extractID: String, authenticator: any MessageAuthenticator) {
        self.grantID = grantID
        self.extractID = extractID
        let message = Array("huitong-extract-v1|\(grantID)|\(consumerDepartmentID)|\(extractID)".utf8)
        tag = Hex.lowercase(authenticator.authenticationCode(for: message).prefix(8))
    }

    static func == (lhs: ExtractWatermark, rhs: ExtractWatermark) -> Bool {
        lhs.grantID == rhs.grantID && lhs.extractID == rhs.extractID && lhs.tag == rhs.tag
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(grantID)
        hasher.combine(extractID)
        hasher.combine(tag)
    }

    var text: String { "G\(grantID)-\(extractID)-\(tag)" }
}

/// Encodes extract rows (already filtered and masked) as CSV or NDJSON, page by page.
struct ExtractEncoder: Sendable {
    let format: ExtractFormat
    let columns: [String]
    /// Each column's type, for NDJSON's numbers and booleans.
    let types: [ColumnType]
    let watermark: String
    private var csv = CSVWriter(options: .init(includesByteOrderMark: true))

    init(format: ExtractFormat, columns: [String], types: [ColumnType], watermark: ExtractWatermark) {
        self.format = format
        self.columns = columns
        self.types = types
        self.watermark = watermark.text
    }

    /// The bytes before the first row: the CSV header line (NDJSON has none).
    mutating func header() -> Data {
        guard format == .csv else { return Data() }
        csv.writeRow(columns + [ExtractWatermark.column])
        return csv.takeOutput()
    }

    mutating func encode(_ rows: [[String?]]) -> Data {
        switch format {
        case .csv:
            for row in rows { csv.writeRow(row.map { $0 ?? "" } + [watermark]) }
            return csv.takeOutput()
        case .ndjson:
            var output = ""
            for row in rows {
                output += "{"
                for (index, column) in columns.enumerated() {
                    JSONString.append(column, to: &output)
                    output += ":"
                    JSONString.append(index < row.count ? row[index] : nil, as: types[index], to: &output)
                    output += ","
                }
                JSONString.append(ExtractWatermark.column, to: &output)
                output += ":"
                JSONString.append(watermark, to: &output)
                output += "}\n"
            }
            return Data(output.utf8)
        }
    }
}
