import Foundation

/// Writes CSV as Excel and RFC 4180 readers expect it: UTF-8, CR LF after every record, a field quoted only when it
/// holds the delimiter, a quote or a line break, and (by default) formulas neutralised.
///
/// Rows are encoded as they are written; call `takeOutput()` now and then to stream a large export instead of
/// holding all of it.
public struct CSVWriter: Sendable {
    public struct Options: Sendable, Hashable {
        public var delimiter: CSVDelimiter
        /// Start the output with a UTF-8 byte order mark. Excel on Windows reads a CSV file without one in the
        /// system's ANSI code page, which garbles Chinese; with it Excel knows the file is UTF-8.
        public var includesByteOrderMark: Bool
        /// Apply `FormulaNeutralizer` to every field. Turn it off only for files no spreadsheet will open.
        public var neutralizesFormulas: Bool

        public init(
            delimiter: CSVDelimiter = .comma, includesByteOrderMark: Bool = false, neutralizesFormulas: Bool = true
        ) {
            self.delimiter = delimiter
            self.includesByteOrderMark = includesByteOrderMark
            self.neutralizesFormulas = neutralizesFormulas
        }
    }

    public let options: Options
    private var buffer: [UInt8] = []

    public init(options: Options = Options()) {
        self.options = options
        if options.includesByteOrderMark { buffer = [0xEF, 0xBB, 0xBF] }
    }

    /// Encodes one record.
    public mutating func writeRow(_ fields: some Sequence<String>) {
        let delimiter = options.delimiter.rawValue
        var fieldCount = 0
        var onlyFieldIsEmpty = false
        for field in fields {
            if fieldCount > 0 { buffer.append(delimiter) }
            let text = options.neutralizesFormulas ? FormulaNeutralizer.neutralize(field) : field
            append(text, delimiter: delimiter)
            onlyFieldIsEmpty = fieldCount == 0 && text.isEmpty
            fieldCount += 1
        }
        // A record of one empty field would be an empty line, which readers (this one included) skip.
        if fieldCount == 1 && onlyFieldIsEmpty { buffer += [ASCII.quote, ASCII.quote] }
        buffer += [ASCII.carriageReturn, ASCII.lineFeed]
    }

    /// Returns the bytes encoded since the last call and forgets them.
    public mutating func takeOutput() -> Data {
        defer { buffer.removeAll(keepingCapacity: true) }
        return Data(buffer)
    }

    /// Encodes a whole table at once.
    public static func encode(rows: some Sequence<some Sequence<String>>, options: Options = Options()) -> Data {
        var writer = CSVWriter(options: options)
        for row in rows { writer.writeRow(row) }
        return writer.takeOutput()
    }

    private mutating func append(_ text: String, delimiter: UInt8) {
        let utf8 = text.utf8
        let needsQuotes = utf8.contains { byte in
            byte == delimiter || byte == ASCII.quote || byte == ASCII.lineFeed || byte == ASCII.carriageReturn
        }
        guard needsQuotes else {
            buffer.append(contentsOf: utf8)
            return
        }
        buffer.append(ASCII.quote)
        for byte in utf8 {
            if byte == ASCII.quote { buffer.append(ASCII.quote) }
            buffer.append(byte)
        }
        buffer.append(ASCII.quote)
    }
}
