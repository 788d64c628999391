import Foundation

/// Receives what `XMLTokenizer` finds. Views passed to it point into the tokenizer's buffer and are valid only
/// during the call.
protocol XMLHandler {
    /// Whether character data should be decoded and delivered now; skipping it saves work in large sheets.
    var wantsText: Bool { get }
    mutating func startElement(_ element: XMLElementView) throws(TabularError)
    /// Also called right after `startElement` for a self-closing element.
    mutating func endElement(localName: UnsafeBufferPointer<UInt8>) throws(TabularError)
    /// Decoded UTF-8 text; one run of text may arrive in several calls.
    mutating func characters(_ text: UnsafeBufferPointer<UInt8>) throws(TabularError)
}

/// A start tag: its name and its attributes, still as raw bytes.
struct XMLElementView {
    /// The bytes between `<` and `>` (or `/>`).
    let tag: UnsafeBufferPointer<UInt8>
    let partName: String

    /// The name without a namespace prefix: `c` for both `<c>` and `<x:c>`.
    var localName: UnsafeBufferPointer<UInt8> {
        var end = 0
        while end < tag.count, !XMLTokenizer.isWhitespace(tag[end]) { end += 1 }
        return XMLTokenizer.localPart(UnsafeBufferPointer(rebasing: tag[..<end]))
    }

    /// Calls `body` with each attribute's local name and raw (still escaped) value.
    func forEachAttribute(
        _ body: (_ localName: UnsafeBufferPointer<UInt8>, _ rawValue: UnsafeBufferPointer<UInt8>) throws(TabularError)
            -> Void
    ) throws(TabularError) {
        var index = 0
        while index < tag.count, !XMLTokenizer.isWhitespace(tag[index]) { index += 1 }
        while true {
            while index < tag.count, XMLTokenizer.isWhitespace(tag[index]) { index += 1 }
            guard index < tag.count else { return }
            let nameStart = index
            while index < tag.count, tag[index] != UInt8(ascii: "="), !XMLTokenizer.isWhitespace(tag[index]) {
                index += 1
            }
            let name = UnsafeBufferPointer(rebasing: tag[nameStart..<index])
            while index < tag.count, XMLTokenizer.isWhitespace(tag[index]) { index += 1 }
            guard index < tag.count, tag[index] == UInt8(ascii: "=") else { throw malformed }
            index += 1
            while index < tag.count, XMLTokenizer.isWhitespace(tag[index]) { index += 1 }
            guard index < tag.count, tag[index] == ASCII.quote || tag[index] == UInt8(ascii: "'") else {
                throw malformed
            }
            let quote = tag[index]
            index += 1
            let valueStart = index
            while index < tag.count, tag[index] != quote { index += 1 }
            guard index < tag.count else { throw malformed }
            try body(XMLTokenizer.localPart(name), UnsafeBufferPointer(rebasing: tag[valueStart..<index]))
            index += 1
        }
    }

    /// The decoded value of the attribute with this local name, if present.
    func attribute(_ wanted: StaticString) throws(TabularError) -> String? {
        var found: String?
        try forEachAttribute { name, rawValue throws(TabularError) in
            if found == nil, XMLTokenizer.equals(name, wanted) {
                found = try XMLTokenizer.decodeText(rawValue, partName: partName)
            }
        }
        return found
    }

    private var malformed: TabularError { .malformedXML(part: partName, row: nil) }
}

/// A small incremental XML tokenizer for the parts of an XLSX file: feed it chunks, and it reports elements and
/// text to a handler as soon as they are complete.
///
/// It covers what SpreadsheetML uses — elements, attributes, character and entity references, CDATA, comments,
/// processing instructions — checks that end tags match start tags, and rejects document type declarations
/// (so no entity expansion of any kind). It is not a general XML parser: it does not resolve namespaces, only
/// strips prefixes. Memory is bounded by the longest single tag, not by the document.
struct XMLTokenizer {
    let partName: String
    /// The longest markup construct (a tag, comment or CDATA section) that may be held while waiting for its end.
    let maxMarkupBytes: Int
    private var pending: [UInt8] = []
    /// Hashes of the open elements' qualified names, to check that each end tag closes the element it should.
    private var openElements: [UInt64] = []
    private var decodedText: [UInt8] = []
    private var atStart = true

    init(partName: String, maxMarkupBytes: Int = 4 << 20) {
        self.partName = partName
        self.maxMarkupBytes = maxMarkupBytes
    }

    mutating func consume<Handler: XMLHandler>(
        _ chunk: UnsafeBufferPointer<UInt8>, handler: inout Handler
    ) throws(TabularError) {
        var chunk = chunk
        if atStart {
            // Parts may start with a UTF-8 byte order mark; one split across chunks is too unlikely to handle.
            if chunk.starts(with: [0xEF, 0xBB, 0xBF]) { chunk = UnsafeBufferPointer(rebasing: chunk[3...]) }
            if chunk.starts(with: [0xFF, 0xFE]) || chunk.starts(with: [0xFE, 0xFF]) { throw malformed }
            if !chunk.isEmpty { atStart = false }
        }
        if pending.isEmpty {
            let consumed = try process(chunk, handler: &handler)
            pending.append(contentsOf: chunk[consumed...])
        } else {
            pending.append(contentsOf: chunk)
            let buffered = pending
            let consumed = try buffered.withUnsafeBufferPointer { buffer throws(TabularError) in
                try process(buffer, handler: &handler)
            }
            pending.removeSubrange(..<consumed)
        }
        guard pending.count <= maxMarkupBytes else { throw malformed }
    }

    /// Checks that the document ended cleanly: every element closed, no tag cut off.
    mutating func finish() throws(TabularError) {
        let leftover = pending.contains { !Self.isWhitespace($0) }
        guard !leftover, openElements.isEmpty else { throw malformed }
    }

    private var malformed: TabularError { .malformedXML(part: partName, row: nil) }

    /// Tokenizes as much of `buffer` as forms complete constructs and returns how many bytes that was.
    private mutating func process<Handler: XMLHandler>(
        _ buffer: UnsafeBufferPointer<UInt8>, handler: inout Handler
    ) throws(TabularError) -> Int {
        let count = buffer.count
        var index = 0
        while index < count {
            if buffer[index] != UInt8(ascii: "<") {
                let textEnd = Self.firstIndex(of: UInt8(ascii: "<"), in: buffer, from: index) ?? count
                if textEnd == count {
                    // Text continues into the next chunk. Deliver what is safe: everything before an entity
                    // reference that might be cut off.
                    guard handler.wantsText else { return count }
                    var safeEnd = count
                    if let ampersand = Self.lastIndex(of: UInt8(ascii: "&"), in: buffer, from: index),
                        Self.firstIndex(of: UInt8(ascii: ";"), in: buffer, from: ampersand) == nil
                    {
                        safeEnd = ampersand
                    }
                    try deliverText(UnsafeBufferPointer(rebasing: buffer[index..<safeEnd]), to: &handler)
                    return safeEnd
                }
                if handler.wantsText {
                    try deliverText(UnsafeBufferPointer(rebasing: buffer[index..<textEnd]), to: &handler)
                }
                index = textEnd
                continue
            }
            guard index + 1 < count else { return index }
            switch buffer[index + 1] {
            case UInt8(ascii: "/"):
                guard let close = Self.firstIndex(of: UInt8(ascii: ">"), in: buffer, from: index + 2) else {
                    return index
                }
                var nameEnd = close
                while nameEnd > index + 2, Self.isWhitespace(buffer[nameEnd - 1]) { nameEnd -= 1 }
                let name = UnsafeBufferPointer(rebasing: buffer[(index + 2)..<nameEnd])
                guard let open = openElements.popLast(), open == Self.hash(name) else { throw malformed }
                try handler.endElement(localName: Self.localPart(name))
                index = close + 1
            case UInt8(ascii: "?"):
                guard let close = Self.firstIndex(of: "?>", in: buffer, from: index + 2) else { return index }
                index = close + 2
            case UInt8(ascii: "!"):
                if Self.matches("<!--", in: buffer, at: index) {
                    guard let close = Self.firstIndex(of: "-->", in: buffer, from: index + 4) else { return index }
                    index = close + 3
                } else if Self.matches("<![CDATA[", in: buffer, at: index) {
                    guard let close = Self.firstIndex(of: "]]>", in: buffer, from: index + 9) else { return index }
                    if handler.wantsText {
                        try handler.characters(UnsafeBufferPointer(rebasing: buffer[(index + 9)..<close]))
                    }
                    index = close + 3
                } else if count - index < 9 {
                    return index  // too short yet to tell a comment from CDATA
                } else {
                    throw malformed  // <!DOCTYPE …> and other declarations have no place in SpreadsheetML
                }
            default:
                guard let close = Self.endOfStartTag(in: buffer, from: index + 1) else { return index }
                let selfClosing = buffer[close - 1] == UInt8(ascii: "/")
                let tag = UnsafeBufferPointer(rebasing: buffer[(index + 1)..<(selfClosing ? close - 1 : close)])
                guard let first = tag.first, !Self.isWhitespace(first) else { throw malformed }
                let element = XMLElementView(tag: tag, partName: partName)
                try handler.startElement(element)
                if selfClosing {
                    try handler.endElement(localName: element.localName)
                } else {
                    var nameEnd = 0
                    while nameEnd < tag.count, !Self.isWhitespace(tag[nameEnd]) { nameEnd += 1 }
                    openElements.append(Self.hash(UnsafeBufferPointer(rebasing: tag[..<nameEnd])))
                }
                index = close + 1
            }
        }
        return count
    }

    private mutating func deliverText<Handler: XMLHandler>(
        _ raw: UnsafeBufferPointer<UInt8>, to handler: inout Handler
    ) throws(TabularError) {
        guard !raw.isEmpty else { return }
        guard Self.firstIndex(of: UInt8(ascii: "&"), in: raw, from: 0) != nil else {
            try handler.characters(raw)
            return
        }
        decodedText.removeAll(keepingCapacity: true)
        try Self.appendDecoded(raw, to: &decodedText, partName: partName)
        try decodedText.withUnsafeBufferPointer { buffer throws(TabularError) in try handler.characters(buffer) }
    }

    // MARK: Byte helpers

    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    /// The part of a qualified name after the colon, if any.
    static func localPart(_ name: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        guard let colon = firstIndex(of: UInt8(ascii: ":"), in: name, from: 0) else { return name }
        return UnsafeBufferPointer(rebasing: name[(colon + 1)...])
    }

    static func equals(_ bytes: UnsafeBufferPointer<UInt8>, _ text: StaticString) -> Bool {
        guard bytes.count == text.utf8CodeUnitCount else { return false }
        let expected = text.utf8Start
        for index in 0..<bytes.count where bytes[index] != expected[index] { return false }
        return true
    }

    /// FNV-1a, enough to tell element names apart when checking nesting.
    private static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return hash
    }

    static func firstIndex(of byte: UInt8, in buffer: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        guard start < buffer.count, let base = buffer.baseAddress else { return nil }
        guard let found = memchr(base + start, Int32(byte), buffer.count - start) else { return nil }
        return base.distance(to: found.assumingMemoryBound(to: UInt8.self))
    }

    private static func lastIndex(of byte: UInt8, in buffer: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        var index = buffer.count - 1
        while index >= start {
            if buffer[index] == byte { return index }
            index -= 1
        }
        return nil
    }

    private static func firstIndex(
        of marker: StaticString, in buffer: UnsafeBufferPointer<UInt8>, from start: Int
    ) -> Int? {
        let first = marker.utf8Start[0]
        var index = start
        while let candidate = firstIndex(of: first, in: buffer, from: index) {
            if matches(marker, in: buffer, at: candidate) { return candidate }
            index = candidate + 1
        }
        return nil
    }

    private static func matches(_ marker: StaticString, in buffer: UnsafeBufferPointer<UInt8>, at index: Int) -> Bool {
        let length = marker.utf8CodeUnitCount
        guard index + length <= buffer.count else { return false }
        for offset in 0..<length where buffer[index + offset] != marker.utf8Start[offset] { return false }
        return true
    }

    /// The index of the `>` that ends a start tag, skipping any `>` inside quoted attribute values.
    private static func endOfStartTag(in buffer: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        var quote: UInt8?
        var index = start
        while index < buffer.count {
            let byte = buffer[index]
            if let open = quote {
                if byte == open { quote = nil }
            } else if byte == ASCII.quote || byte == UInt8(ascii: "'") {
                quote = byte
            } else if byte == UInt8(ascii: ">") {
                return index
            }
            index += 1
        }
        return nil
    }

    // MARK: References

    /// Text with `&amp;`-style and numeric character references replaced.
    static func decodeText(_ raw: UnsafeBufferPointer<UInt8>, partName: String) throws(TabularError) -> String {
        guard firstIndex(of: UInt8(ascii: "&"), in: raw, from: 0) != nil else {
            return String(decoding: raw, as: UTF8.self)
        }
        var bytes: [UInt8] = []
        try appendDecoded(raw, to: &bytes, partName: partName)
        return String(decoding: bytes, as: UTF8.self)
    }

    static func appendDecoded(
        _ raw: UnsafeBufferPointer<UInt8>, to output: inout [UInt8], partName: String
    ) throws(TabularError) {
        var index = 0
        while index < raw.count {
            guard let ampersand = firstIndex(of: UInt8(ascii: "&"), in: raw, from: index) else {
                output.append(contentsOf: raw[index...])
                return
            }
            output.append(contentsOf: raw[index..<ampersand])
            guard let semicolon = firstIndex(of: UInt8(ascii: ";"), in: raw, from: ampersand),
                semicolon - ampersand <= 12
            else { throw .malformedXML(part: partName, row: nil) }
            let name = UnsafeBufferPointer(rebasing: raw[(ampersand + 1)..<semicolon])
            if equals(name, "lt") {
                output.append(UInt8(ascii: "<"))
            } else if equals(name, "gt") {
                output.append(UInt8(ascii: ">"))
            } else if equals(name, "amp") {
                output.append(UInt8(ascii: "&"))
            } else if equals(name, "quot") {
                output.append(ASCII.quote)
            } else if equals(name, "apos") {
                output.append(UInt8(ascii: "'"))
            } else if let scalar = characterReference(name) {
                output.append(contentsOf: String(scalar).utf8)
            } else {
                throw .malformedXML(part: partName, row: nil)
            }
            index = semicolon + 1
        }
    }

    /// `#65` or `#x41` as a Unicode scalar.
    private static func characterReference(_ name: UnsafeBufferPointer<UInt8>) -> Unicode.Scalar? {
        guard name.count >= 2, name[0] == UInt8(ascii: "#") else { return nil }
        let isHex = name[1] == UInt8(ascii: "x")
        let digits = name[(isHex ? 2 : 1)...]
        guard !digits.isEmpty else { return nil }
        var value: UInt32 = 0
        for byte in digits {
            let digit: UInt32?
            if isHex {
                digit = SpreadsheetML.hexValue(byte)
            } else {
                digit = (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) ? UInt32(byte - UInt8(ascii: "0")) : nil
            }
            guard let digit, value <= 0x10_FFFF else { return nil }
            value = value * (isHex ? 16 : 10) + digit
        }
        return Unicode.Scalar(value)
    }
}
