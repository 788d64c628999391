/// Handlers for the small parts of a workbook: relationships, the workbook itself, styles and shared strings.

/// `<Relationship Id Type Target>` entries of a `.rels` part.
struct RelationshipsHandler: XMLHandler {
    struct Relationship {
        var id: String
        var type: String
        var target: String
        var isExternal: Bool
    }

    var relationships: [Relationship] = []
    var wantsText: Bool { false }

    mutating func startElement(_ element: XMLElementView) throws(TabularError) {
        guard XMLTokenizer.equals(element.localName, "Relationship") else { return }
        relationships.append(
            Relationship(
                id: try element.attribute("Id") ?? "",
                type: try element.attribute("Type") ?? "",
                target: try element.attribute("Target") ?? "",
                isExternal: try element.attribute("TargetMode") == "External"
            ))
    }

    mutating func endElement(localName: UnsafeBufferPointer<UInt8>) throws(TabularError) {}
    mutating func characters(_ text: UnsafeBufferPointer<UInt8>) throws(TabularError) {}

    /// The target of the first relationship whose type ends with `/typeSuffix`.
    func target(ofType typeSuffix: String) -> String? {
        relationships.first { !$0.isExternal && $0.type.hasSuffix("/" + typeSuffix) }?.target
    }
}

/// The sheet list and date system of `xl/workbook.xml`.
struct WorkbookHandler: XMLHandler {
    var sheets: [(name: String, relationshipID: String)] = []
    var uses1904DateSystem = false
    var wantsText: Bool { false }

    mutating func startElement(_ element: XMLElementView) throws(TabularError) {
        let name = element.localName
        if XMLTokenizer.equals(name, "sheet") {
            // `r:id` in the relationships namespace; its local name is `id`.
            sheets.append((try element.attribute("name") ?? "", try element.attribute("id") ?? ""))
        } else if XMLTokenizer.equals(name, "workbookPr") {
            let flag = try element.attribute("date1904")
            uses1904DateSystem = flag == "1" || flag == "true"
        }
    }

    mutating func endElement(localName: UnsafeBufferPointer<UInt8>) throws(TabularError) {}
    mutating func characters(_ text: UnsafeBufferPointer<UInt8>) throws(TabularError) {}
}

/// Which cell formats (`s` attribute values) show dates or times, from `xl/styles.xml`.
struct StylesHandler: XMLHandler {
    private var customFormats: [Int: String] = [:]
    private var cellFormatIDs: [Int] = []
    private var inCellFormats = false
    var wantsText: Bool { false }

    /// Indexed by the cell's `s` attribute.
    var dateKinds: [ExcelDate.Kind?] {
        cellFormatIDs.map { ExcelDate.kind(numberFormatID: $0, customCode: customFormats[$0]) }
    }

    mutating func startElement(_ element: XMLElementView) throws(TabularError) {
        let name = element.localName
        if XMLTokenizer.equals(name, "numFmt") {
            if let id = try element.attribute("numFmtId").flatMap(Int.init),
                let code = try element.attribute("formatCode")
            {
                customFormats[id] = code
            }
        } else if XMLTokenizer.equals(name, "cellXfs") {
            inCellFormats = true
        } else if inCellFormats && XMLTokenizer.equals(name, "xf") {
            cellFormatIDs.append(try element.attribute("numFmtId").flatMap(Int.init) ?? 0)
        }
    }

    mutating func endElement(localName: UnsafeBufferPointer<UInt8>) throws(TabularError) {
        if XMLTokenizer.equals(localName, "cellXfs") { inCellFormats = false }
    }

    mutating func characters(_ text: UnsafeBufferPointer<UInt8>) throws(TabularError) {}
}

/// The shared strings of a workbook, packed: all their UTF-8 in one buffer and where each ends, about 4 bytes per
/// string besides its text, against some 16–48 for an array of `String`s. A 535 KB workbook can declare tens of
/// millions of strings; packed, each costs little, the limits stop the rest, and the two buffers go back to the
/// system whole when the reading ends.
struct SharedStringTable {
    private var bytes: [UInt8] = []
    private var ends: [UInt32] = []

    var count: Int { ends.count }
    /// What the two buffers hold allocated.
    var allocatedBytes: Int { bytes.capacity + ends.capacity * MemoryLayout<UInt32>.stride }

    func contains(_ index: Int) -> Bool { index >= 0 && index < ends.count }

    subscript(index: Int) -> String {
        let start = index == 0 ? 0 : Int(ends[index - 1])
        return bytes.withUnsafeBufferPointer {
            String(decoding: UnsafeBufferPointer(rebasing: $0[start..<Int(ends[index])]), as: UTF8.self)
        }
    }

    /// Appends one string; the buffers grow by half at a time (never doubling past what the limits allow).
    mutating func append(_ text: String, maxBytes: Int, maxCount: Int) {
        let utf8 = text.utf8
        if bytes.count + utf8.count > bytes.capacity {
            bytes.reserveCapacity(min(maxBytes, max(bytes.count + utf8.count, bytes.capacity + bytes.capacity / 2)))
        }
        bytes.append(contentsOf: utf8)
        if ends.count == ends.capacity {
            ends.reserveCapacity(min(maxCount, max(1024, ends.capacity + ends.capacity / 2)))
        }
        ends.append(UInt32(bytes.count))
    }
}

/// The shared-strings table: each `<si>` is one string, the concatenation of its `<t>` runs, leaving out
/// phonetic guides (`<rPh>`), which are not part of the cell's text. The table's text and number of strings are
/// capped, and what it allocates is reserved from the node's budget as it grows.
struct SharedStringsHandler: XMLHandler {
    let maxTotalBytes: Int
    let maxCount: Int
    let reservation: MemoryReservation?
    private(set) var strings = SharedStringTable()
    private var totalBytes = 0
    private var current: [UInt8] = []
    private var inItem = false
    private var inText = false
    private var phoneticDepth = 0

    init(maxTotalBytes: Int, maxCount: Int = .max, reservation: MemoryReservation? = nil) {
        // The table stores where each string ends in 32 bits.
        self.maxTotalBytes = min(maxTotalBytes, Int(UInt32.max))
        self.maxCount = maxCount
        self.reservation = reservation
    }

    var wantsText: Bool { inText }

    mutating func startElement(_ element: XMLElementView) throws(TabularError) {
        let name = element.localName
        if XMLTokenizer.equals(name, "si") {
            inItem = true
            current.removeAll(keepingCapacity: true)
        } else if XMLTokenizer.equals(name, "t") {
            inText = inItem && phoneticDepth == 0
        } else if XMLTokenizer.equals(name, "rPh") {
            phoneticDepth += 1
        }
    }

    mutating func endElement(localName: UnsafeBufferPointer<UInt8>) throws(TabularError) {
        if XMLTokenizer.equals(localName, "t") {
            inText = false
        } else if XMLTokenizer.equals(localName, "rPh") {
            phoneticDepth -= 1
        } else if XMLTokenizer.equals(localName, "si") {
            inItem = false
            guard strings.count < maxCount else { throw .tooManySharedStrings(limit: maxCount) }
            strings.append(SpreadsheetML.unescapeCellText(current), maxBytes: maxTotalBytes, maxCount: maxCount)
            try reservation?.cover(strings.allocatedBytes)
        }
    }

    mutating func characters(_ text: UnsafeBufferPointer<UInt8>) throws(TabularError) {
        totalBytes += text.count
        guard totalBytes <= maxTotalBytes else { throw .sharedStringsTooLarge(limit: maxTotalBytes) }
        current.append(contentsOf: text)
    }
}

/// Resolves a relationship target against the part that declares it, as OPC requires: relative to that part's
/// folder unless it starts with `/`.
func resolvePartPath(_ target: String, relativeTo sourcePart: String) -> String {
    var components: [Substring]
    if target.hasPrefix("/") {
        components = []
    } else {
        components = sourcePart.split(separator: "/", omittingEmptySubsequences: true)
        if !components.isEmpty { components.removeLast() }
    }
    for component in target.split(separator: "/", omittingEmptySubsequences: true) {
        switch component {
        case ".": continue
        case "..": if !components.isEmpty { components.removeLast() }
        default: components.append(component)
        }
    }
    return components.joined(separator: "/")
}

/// `xl/_rels/workbook.xml.rels` for `xl/workbook.xml`.
func relationshipsPartPath(for part: String) -> String {
    var components = part.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    let file = components.popLast() ?? ""
    return (components + ["_rels", file + ".rels"]).joined(separator: "/")
}
