import CQRencode

/// A QR code (ISO/IEC 18004) made by libqrencode, drawn as SVG: dark modules as one path, with the four-module quiet
/// zone the standard asks for, so that a phone's camera reads it from a screen or from paper.
struct QRCode: Sendable {
    /// Modules per side.
    let width: Int
    /// Row-major, true for a dark module.
    let modules: [Bool]

    /// Encodes `text` (a URL) at error-correction level M, in 8-bit mode; nil when it is too long for a QR code.
    init?(_ text: String) {
        guard let code = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M) else { return nil }
        defer { QRcode_free(code) }
        let width = Int(code.pointee.width)
        guard let data = code.pointee.data else { return nil }
        self.width = width
        // Bit 0 of each byte is the module's colour; the other bits say what part of the symbol it belongs to.
        modules = (0..<(width * width)).map { data[$0] & 1 == 1 }
    }

    func isDark(_ row: Int, _ column: Int) -> Bool { modules[row * width + column] }

    /// The code as an SVG document, `size` pixels square.
    func svg(size: Int = 200, label: String) -> String {
        let quiet = 4
        let side = width + 2 * quiet
        var path = ""
        for row in 0..<width {
            var column = 0
            while column < width {
                guard isDark(row, column) else {
                    column += 1
                    continue
                }
                let start = column
                while column < width && isDark(row, column) { column += 1 }
                path += "M\(start + quiet) \(row + quiet)h\(column - start)v1h-\(column - start)z"
            }
        }
        return """
            <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(side) \(side)" width="\(size)" height="\(size)" \
            shape-rendering="crispEdges" role="img" aria-label="\(label)"><rect width="\(side)" height="\(side)" \
            fill="#fff"/><path fill="#000" d="\(path)"/></svg>
            """
    }

    /// The code as a plain PBM image (netpbm P1), `scale` pixels per module with the quiet zone: what a decoder
    /// such as zbarimg reads in the tests.
    func portableBitmap(scale: Int = 4) -> String {
        let quiet = 4
        let side = (width + 2 * quiet) * scale
        var lines = ["P1", "\(side) \(side)"]
        for y in 0..<side {
            let row = y / scale - quiet
            var line = ""
            line.reserveCapacity(side * 2)
            for x in 0..<side {
                let column = x / scale - quiet
                let dark = (0..<width).contains(row) && (0..<width).contains(column) && isDark(row, column)
                line += dark ? "1 " : "0 "
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
