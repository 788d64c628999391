import Foundation
import HuitongCore

/// The preview's first numeric column as horizontal bars (an SVG drawn on the server, `ConsoleChart`), each bar
/// named by the row's first text column. Coordinates, keys and sequence numbers are not quantities and are skipped.
struct PortalPreviewChart: Sendable {
    var svg: String
    var column: String

    static let maximumBars = 20
    static let numericTypes: Set<DataType> = [.numeric, .currency, .double, .integer, .float]

    static func chart(columns: [InfoItem], rows: [[String?]], language: Language) -> PortalPreviewChart? {
        let coordinates = PortalPreviewMap.coordinateColumns(columns)
        let skipped = Set([coordinates?.longitude, coordinates?.latitude].compactMap { $0 })
        guard
            let valueIndex = columns.indices.first(where: { index in
                let item = columns[index]
                return numericTypes.contains(item.dataType) && !item.isKey && !skipped.contains(index)
                    && !item.name.hasSuffix("序号") && rows.contains { Double(cell($0, index) ?? "") != nil }
            })
        else { return nil }
        let labelIndex = columns.indices.first { !numericTypes.contains(columns[$0].dataType) && !columns[$0].isKey }
        var bars: [ConsoleChart.Bar] = []
        for (number, row) in rows.enumerated() {
            guard bars.count < maximumBars, let text = cell(row, valueIndex), let value = Double(text) else {
                continue
            }
            let label = labelIndex.flatMap { cell(row, $0) } ?? "#\(number + 1)"
            bars.append(ConsoleChart.Bar(label: label, value: value, display: text))
        }
        guard !bars.isEmpty else { return nil }
        let name = columns[valueIndex].name
        let title = language == .zh ? "\(name)（预览前 \(bars.count) 行）" : "\(name) (first \(bars.count) preview rows)"
        return PortalPreviewChart(svg: ConsoleChart.rows(bars, id: "preview-chart", title: title), column: name)
    }
}

/// The preview's points when the data holds coordinates (经度/纬度 items, or `lng`/`lat`, `jd`/`wd` columns): the
/// page draws them with the vendored Leaflet and, without script, lists them.
struct PortalPreviewMap: Sendable {
    var points: [Point]
    /// The points as JSON for the map script: `[[lat, lng, "label"], …]`.
    var json: String
    var count: Int

    struct Point: Sendable {
        var label: String
        var latitude: String
        var longitude: String
    }

    static func coordinateColumns(_ columns: [InfoItem]) -> (longitude: Int, latitude: Int)? {
        func find(_ names: [String], _ codes: Set<String>) -> Int? {
            columns.firstIndex { item in
                names.contains { item.name.contains($0) } || codes.contains(item.columnName.lowercased())
            }
        }
        guard let longitude = find(["经度"], ["lng", "lon", "longitude", "jd"]),
            let latitude = find(["纬度"], ["lat", "latitude", "wd"]), longitude != latitude
        else { return nil }
        return (longitude, latitude)
    }

    static func map(columns: [InfoItem], rows: [[String?]]) -> PortalPreviewMap? {
        guard let (longitudeIndex, latitudeIndex) = coordinateColumns(columns) else { return nil }
        let labelIndex = columns.indices.first {
            !PortalPreviewChart.numericTypes.contains(columns[$0].dataType) && !columns[$0].isKey
                && $0 != longitudeIndex && $0 != latitudeIndex
        }
        var points: [Point] = []
        var json = "["
        for row in rows {
            guard let lngText = cell(row, longitudeIndex), let latText = cell(row, latitudeIndex),
                let lng = Double(lngText), let lat = Double(latText), (-180...180).contains(lng),
                (-90...90).contains(lat)
            else { continue }
            let label = labelIndex.flatMap { cell(row, $0) } ?? ""
            points.append(Point(label: label, latitude: latText, longitude: lngText))
            if points.count > 1 { json += "," }
            json += "[\(lat),\(lng),"
            JSONString.append(label, to: &json)
            json += "]"
        }
        guard !points.isEmpty else { return nil }
        // The JSON sits in a <script type="application/json"> block: `<` never appears there as written.
        json = (json + "]").replacingOccurrences(of: "<", with: "\\u003c")
        return PortalPreviewMap(points: points, json: json, count: points.count)
    }
}

/// A row's value in column `index`, nil when absent or empty.
private func cell(_ row: [String?], _ index: Int) -> String? {
    guard row.indices.contains(index), let value = row[index], !value.isEmpty else { return nil }
    return value
}
