import Testing

@testable import HuitongServer
@testable import HuitongServices

/// The dashboard's column charts read as whole calls, however quiet the period.
@Suite("Console charts")
struct ConsoleChartTests {
    static func axis(_ values: [Double]) -> [String] {
        let svg = ConsoleChart.columns(
            values.enumerated().map { .init(label: "d\($0.offset)", value: $0.element, display: "\($0.element)") },
            id: "calls", title: "calls")
        // Axis texts are the scale's numbers and the bars' names; only the numbers are the scale.
        return svg.components(separatedBy: #"class="axis""#).dropFirst().compactMap { part in
            part.split(separator: ">", maxSplits: 1).last?.split(separator: "<").first.map(String.init)
        }.filter { Double($0) != nil }
    }

    @Test("an empty or quiet chart's axis reads 0–4, not five zeros or fractions; a busy one scales up")
    func axisLabels() {
        #expect(Set(Self.axis([0, 0, 0])) == ["0", "1", "2", "3", "4"])
        #expect(Set(Self.axis([1, 0, 2])) == ["0", "1", "2", "3", "4"])
        #expect(Self.axis([0, 180]).contains("200"))
    }
}
