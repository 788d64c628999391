import Foundation

/// Bar charts drawn on the server as inline SVG, so the dashboard needs no script and no network: columns for a
/// series over time, rows for a ranking. Every bar carries a `<title>` (shown on hover, read by screen readers)
/// and each chart is labelled; the pages print the same numbers in a table beside it.
enum ConsoleChart {
    struct Bar {
        var label: String
        var value: Double
        /// The value as the page shows it (`1,234`, `85.0%`).
        var display: String
    }

    /// Vertical bars, one per `bars` element, left to right; every `labelEvery`-th label is written under its bar.
    static func columns(_ bars: [Bar], id: String, title: String, labelEvery: Int = 1) -> String {
        let width = 720.0
        let height = 240.0
        let left = 48.0
        let bottom = 28.0
        let top = 12.0
        let plotHeight = height - bottom - top
        // Column charts count calls: at least 0–4 on the axis, so an empty or quiet chart reads 0, 1, 2, 3, 4
        // rather than five zeros or quarter calls.
        let maximum = max(4, niceMaximum(bars.map(\.value).max() ?? 0))
        let slot = bars.isEmpty ? 0 : (width - left - 8) / Double(bars.count)
        var svg = svgOpen(id: id, title: title, width: width, height: height)
        for step in 0...4 {
            let value = maximum * Double(step) / 4
            let y = top + plotHeight - plotHeight * Double(step) / 4
            svg += #"<line class="grid" x1="\#(f(left))" y1="\#(f(y))" x2="\#(f(width - 8))" y2="\#(f(y))"/>"#
            svg +=
                #"<text class="axis" x="\#(f(left - 6))" y="\#(f(y + 4))" text-anchor="end">\#(axisLabel(value))</text>"#
        }
        for (index, bar) in bars.enumerated() {
            let barHeight = maximum > 0 ? plotHeight * bar.value / maximum : 0
            let x = left + slot * Double(index) + slot * 0.15
            let y = top + plotHeight - barHeight
            svg += #"<rect class="bar" x="\#(f(x))" y="\#(f(y))" width="\#(f(slot * 0.7))" height="\#(f(barHeight))" "#
            svg += #"data-value="\#(f(bar.value))"><title>\#(escape(bar.label))：\#(escape(bar.display))</title></rect>"#
            if index % max(1, labelEvery) == 0 || index == bars.count - 1 {
                svg += #"<text class="axis" x="\#(f(x + slot * 0.35))" y="\#(f(height - 8))" text-anchor="middle">"#
                svg += "\(escape(bar.label))</text>"
            }
        }
        return svg + "</svg>"
    }

    /// Horizontal bars, one row each, labels on the left and values on the right; `maximum` fixes the scale
    /// (100 for scores and rates) or, when nil, the largest value sets it.
    static func rows(_ bars: [Bar], id: String, title: String, maximum: Double? = nil) -> String {
        let width = 720.0
        let rowHeight = 26.0
        let labelWidth = 220.0
        let valueWidth = 80.0
        let height = max(rowHeight, rowHeight * Double(bars.count)) + 8
        let scale = maximum ?? niceMaximum(bars.map(\.value).max() ?? 0)
        let plotWidth = width - labelWidth - valueWidth
        var svg = svgOpen(id: id, title: title, width: width, height: height)
        for (index, bar) in bars.enumerated() {
            let y = 4 + rowHeight * Double(index)
            let barWidth = scale > 0 ? plotWidth * min(bar.value, scale) / scale : 0
            svg += #"<text class="label" x="\#(f(labelWidth - 8))" y="\#(f(y + 17))" text-anchor="end">"#
            svg += "\(escape(truncated(bar.label)))</text>"
            svg +=
                #"<rect class="bar" x="\#(f(labelWidth))" y="\#(f(y + 4))" width="\#(f(barWidth))" height="\#(f(rowHeight - 8))" "#
            svg += #"data-value="\#(f(bar.value))"><title>\#(escape(bar.label))：\#(escape(bar.display))</title></rect>"#
            svg += #"<text class="value" x="\#(f(labelWidth + barWidth + 6))" y="\#(f(y + 17))">"#
            svg += "\(escape(bar.display))</text>"
        }
        return svg + "</svg>"
    }

    private static func svgOpen(id: String, title: String, width: Double, height: Double) -> String {
        #"<svg class="chart" id="\#(id)" role="img" aria-labelledby="\#(id)-title" viewBox="0 0 \#(f(width)) \#(f(height))" "#
            + #"xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMinYMin meet">"#
            + #"<title id="\#(id)-title">\#(escape(title))</title>"#
    }

    /// The smallest 1, 2 or 5 × 10ⁿ at or above `value`, so the grid lines fall on round numbers.
    static func niceMaximum(_ value: Double) -> Double {
        guard value > 0 else { return 0 }
        let magnitude = pow(10, floor(log10(value)))
        for step in [1.0, 2.0, 5.0, 10.0] where step * magnitude >= value { return step * magnitude }
        return 10 * magnitude
    }

    static func axisLabel(_ value: Double) -> String {
        if value >= 10_000 { return "\(f(value / 10_000))万" }
        return value == value.rounded() ? String(Int(value)) : f(value)
    }

    static func truncated(_ text: String) -> String { text.count > 14 ? String(text.prefix(13)) + "…" : text }

    /// A coordinate with at most one decimal, so the markup stays small.
    static func f(_ value: Double) -> String {
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
