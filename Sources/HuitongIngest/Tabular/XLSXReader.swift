import Foundation
import ZIPFoundation

/// One non-empty row of a sheet.
public struct XLSXRow: Sendable, Hashable {
    /// The row number Excel shows (1-based), for error reports; rows with no content are skipped, so numbers
    /// can jump.
    public var number: Int
    /// Cell text by column, starting at column A. Empty cells between filled ones are empty strings; empty cells
    /// after the last filled one are left out, so rows can have different lengths.
    public var cells: [String]

    public init(number: Int, cells: [String]) {
        self.number = number
        self.cells = cells
    }
}

/// Reads the sheets of an XLSX workbook as rows of text, streaming each sheet's XML out of the archive so that
/// memory is bounded by the shared-strings table (packed, capped by `Limits` and reserved from the node's
/// `IngestMemoryBudget`), not by the number of rows.
///
/// Cells come out as a user sees them in a General column: shared and inline strings (rich-text runs joined,
/// phonetic guides left out), numbers with at most 15 significant digits, booleans as `TRUE`/`FALSE`, formula
/// cells as their last computed value, error cells as their code (`#N/A`), and cells with a date format as
/// `YYYY-MM-DD`, `YYYY-MM-DD HH:MM:SS` or `HH:MM:SS`.
///
/// The reader holds only the file's location (or bytes) and the sheet list; it is a `Sendable` value, and each
/// read opens the archive afresh.
public struct XLSXReader: Sendable {
    /// Bounds on what a workbook may make the reader hold in memory.
    public struct Limits: Sendable, Hashable {
        /// The settings that raise the shared-strings limits of a node (named in the errors).
        public static let bytesSetting = "HUITONG_XLSX_SHARED_STRINGS_MAX_BYTES"
        public static let countSetting = "HUITONG_XLSX_SHARED_STRINGS_MAX_COUNT"

        /// Total text of the shared-strings table, in UTF-8 bytes.
        public var maxSharedStringsBytes: Int
        /// Strings in the shared-strings table. Each costs 4 bytes besides its text, so a table at both limits
        /// holds about 80 MiB: a sheet of a million rows with a few distinct text columns still fits, while a
        /// small file declaring tens of millions of empty strings is stopped early.
        public var maxSharedStrings: Int
        /// Text of one cell, in UTF-8 bytes (Excel itself stops at 32,767 characters).
        public var maxCellBytes: Int
        /// Columns per row; Excel's own limit is 16,384 (column XFD).
        public var maxColumns: Int

        public init(
            maxSharedStringsBytes: Int = 64 << 20, maxSharedStrings: Int = 4_000_000, maxCellBytes: Int = 1 << 20,
            maxColumns: Int = 16_384
        ) {
            self.maxSharedStringsBytes = maxSharedStringsBytes
            self.maxSharedStrings = maxSharedStrings
            self.maxCellBytes = maxCellBytes
            self.maxColumns = maxColumns
        }
    }

    private enum Source: Sendable {
        case file(URL)
        /// A workbook that arrived in memory, written once to a private file that lives as long as the reader.
        case copy(TemporaryCopy)
    }

    /// ZIPFoundation's in-memory archive traps (ending the process) on a central directory that points past the
    /// end of the data, where its file-backed archive throws (found by fuzz/FuzzXLSX): a workbook held in memory is
    /// read from a copy on disk, readable by this user only and removed when the last reader is gone.
    private final class TemporaryCopy: Sendable {
        let url: URL

        init(_ data: Data) throws(TabularError) {
            url = FileManager.default.temporaryDirectory.appendingPathComponent("huitong-xlsx-\(UUID().uuidString)")
            guard
                FileManager.default.createFile(atPath: url.path, contents: data, attributes: [.posixPermissions: 0o600])
            else { throw .unreadableFile(path: url.path) }
        }

        deinit { try? FileManager.default.removeItem(at: url) }
    }

    private struct SheetLocation: Sendable {
        var name: String
        var partPath: String
    }

    /// Everything but the rows in the files of an XLSX package: where the sheets, shared strings and styles are.
    private struct Layout: Sendable {
        var sheets: [SheetLocation] = []
        var sharedStringsPath: String?
        var stylesPath: String?
        var uses1904DateSystem = false
    }

    /// Small parts (workbook, relationships, styles) larger than this are refused as hostile or broken.
    private static let maxMetadataPartBytes = 64 << 20
    private static let extractionBufferSize = 64 * 1024
    /// The OLE2 compound-file signature of `.xls` files; worth a message of its own, as users confuse the two.
    private static let legacySignature: [UInt8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]

    public let limits: Limits
    /// The node's budget the shared-strings table is reserved from as it grows; none for no budget.
    public let budget: IngestMemoryBudget?
    private let source: Source
    private let layout: Layout

    /// Opens a workbook file.
    /// - Throws: `TabularError.unreadableFile`, `.legacyXLSFile`, `.notAnXLSXFile`, `.missingPart` or
    ///   `.malformedXML`.
    public init(contentsOf url: URL, limits: Limits = Limits(), budget: IngestMemoryBudget? = nil) throws(TabularError)
    {
        try self.init(source: .file(url), limits: limits, budget: budget)
    }

    /// Opens a workbook held in memory, such as an uploaded file.
    public init(data: Data, limits: Limits = Limits(), budget: IngestMemoryBudget? = nil) throws(TabularError) {
        if data.starts(with: Self.legacySignature) { throw .legacyXLSFile }
        try self.init(source: .copy(try TemporaryCopy(data)), limits: limits, budget: budget)
    }

    private init(source: Source, limits: Limits, budget: IngestMemoryBudget?) throws(TabularError) {
        self.source = source
        self.limits = limits
        self.budget = budget
        let archive = try Self.openArchive(source)
        layout = try Self.readLayout(of: archive)
    }

    /// The names of the workbook's sheets, in the order of their tabs (hidden sheets included).
    public var sheetNames: [String] { layout.sheets.map(\.name) }

    /// Reads all rows of a sheet: the first sheet if `sheetName` is `nil`.
    /// - Throws: `TabularError.noSuchSheet` if there is no sheet of that name; reading errors otherwise.
    public func rows(inSheet sheetName: String? = nil) throws(TabularError) -> [XLSXRow] {
        var rows: [XLSXRow] = []
        do {
            try forEachRow(inSheet: sheetName) { rows.append($0) }
        } catch let error as TabularError {
            throw error
        } catch {
            // `body` above cannot throw, and `forEachRow` throws nothing but `TabularError` of its own.
            preconditionFailure("unexpected error \(error)")
        }
        return rows
    }

    /// Streams the rows of a sheet to `body`, in order, without holding the sheet in memory. Errors thrown by
    /// `body` stop the reading and are rethrown unchanged.
    ///
    /// Sheet names are matched exactly, then ignoring case (Excel treats `Sheet1` and `sheet1` as the same).
    public func forEachRow(inSheet sheetName: String? = nil, _ body: (XLSXRow) throws -> Void) throws {
        let sheet = try sheetLocation(named: sheetName)
        let archive = try Self.openArchive(source)
        let reservation = MemoryReservation(budget)
        defer { reservation.releaseAll() }
        let sharedStrings = try readSharedStrings(from: archive, reservation: reservation)
        var styles = StylesHandler()
        if let stylesPath = layout.stylesPath, Self.entry(stylesPath, in: archive) != nil {
            try Self.parse(stylesPath, in: archive, with: &styles, maxBytes: Self.maxMetadataPartBytes)
        }
        var handler = SheetHandler(
            sheetName: sheet.name, sharedStrings: sharedStrings, dateKinds: styles.dateKinds,
            uses1904DateSystem: layout.uses1904DateSystem, maxColumns: limits.maxColumns,
            maxCellBytes: limits.maxCellBytes)
        do {
            try Self.parse(sheet.partPath, in: archive, with: &handler, maxBytes: nil) { handler in
                let rows = handler.completedRows
                handler.completedRows.removeAll(keepingCapacity: true)
                for row in rows {
                    do {
                        try body(row)
                    } catch {
                        throw RowConsumerError(underlying: error)
                    }
                }
            }
        } catch let error as RowConsumerError {
            throw error.underlying
        } catch TabularError.malformedXML(let part, nil) {
            throw TabularError.malformedXML(part: part, row: handler.rowNumber)
        }
    }

    /// The rows a sheet declares in its `<dimension>` (`A1:H5000` → 5000), read from the start of the sheet part;
    /// nil when the producer wrote none. For progress only: nothing relies on it being right.
    public func declaredRowCount(inSheet sheetName: String? = nil) -> Int? {
        guard let sheet = try? sheetLocation(named: sheetName), let archive = try? Self.openArchive(source),
            let entry = Self.entry(sheet.partPath, in: archive)
        else { return nil }
        struct HeadRead: Error {}
        var head: [UInt8] = []
        _ = try? archive.reader.extract(entry, bufferSize: Self.extractionBufferSize, checkCRC32: false) { chunk in
            head.append(contentsOf: chunk)
            if head.count >= Self.extractionBufferSize { throw HeadRead() }
        }
        let text = String(decoding: head, as: UTF8.self)
        guard let start = text.range(of: "dimension ref=\"")?.upperBound,
            let end = text[start...].firstIndex(of: "\"")
        else { return nil }
        let lastCell = text[start..<end].split(separator: ":").last ?? ""
        return Int(lastCell.drop { !$0.isNumber })
    }

    /// Wraps an error thrown by the caller's row handler so that it is not mistaken for a reading error.
    private struct RowConsumerError: Error {
        var underlying: any Error
    }

    private func sheetLocation(named name: String?) throws(TabularError) -> SheetLocation {
        guard let name else {
            guard let first = layout.sheets.first else { throw .missingPart("xl/worksheets") }
            return first
        }
        if let exact = layout.sheets.first(where: { $0.name == name }) { return exact }
        if let similar = layout.sheets.first(where: { $0.name.lowercased() == name.lowercased() }) { return similar }
        throw .noSuchSheet(name, available: sheetNames)
    }

    private func readSharedStrings(from archive: Package, reservation: MemoryReservation) throws(TabularError)
        -> SharedStringTable
    {
        guard let path = layout.sharedStringsPath, Self.entry(path, in: archive) != nil else {
            return SharedStringTable()
        }
        var handler = SharedStringsHandler(
            maxTotalBytes: limits.maxSharedStringsBytes, maxCount: limits.maxSharedStrings, reservation: reservation)
        // The XML around the text (tags, attributes) may be several times the text itself.
        try Self.parse(path, in: archive, with: &handler, maxBytes: nil)
        return handler.strings
    }

    // MARK: Package structure

    /// An open workbook: ZIPFoundation's directory of its parts, and a reader that keeps to each part's bytes.
    private struct Package {
        let archive: Archive
        let reader: ZipEntryReader
    }

    private static func openArchive(_ source: Source) throws(TabularError) -> Package {
        do {
            switch source {
            case .copy(let copy):
                return Package(
                    archive: try Archive(url: copy.url, accessMode: .read), reader: ZipEntryReader(url: copy.url))
            case .file(let url):
                guard let handle = try? FileHandle(forReadingFrom: url) else {
                    throw TabularError.unreadableFile(path: url.path)
                }
                let prefix = (try? handle.read(upToCount: legacySignature.count)) ?? Data()
                try? handle.close()
                if prefix.starts(with: Self.legacySignature) { throw TabularError.legacyXLSFile }
                return Package(archive: try Archive(url: url, accessMode: .read), reader: ZipEntryReader(url: url))
            }
        } catch let error as TabularError {
            throw error
        } catch {
            throw .notAnXLSXFile
        }
    }

    private static func readLayout(of archive: Package) throws(TabularError) -> Layout {
        var rootRelationships = RelationshipsHandler()
        if entry("_rels/.rels", in: archive) != nil {
            try parse("_rels/.rels", in: archive, with: &rootRelationships, maxBytes: maxMetadataPartBytes)
        }
        let workbookPath =
            rootRelationships.target(ofType: "officeDocument").map { resolvePartPath($0, relativeTo: "") }
            ?? "xl/workbook.xml"
        guard entry(workbookPath, in: archive) != nil else {
            // A ZIP without a workbook: perhaps a .docx, or just any archive.
            throw .notAnXLSXFile
        }
        var workbook = WorkbookHandler()
        try parse(workbookPath, in: archive, with: &workbook, maxBytes: maxMetadataPartBytes)

        var relationships = RelationshipsHandler()
        let relationshipsPath = relationshipsPartPath(for: workbookPath)
        guard entry(relationshipsPath, in: archive) != nil else { throw .missingPart(relationshipsPath) }
        try parse(relationshipsPath, in: archive, with: &relationships, maxBytes: maxMetadataPartBytes)

        var layout = Layout()
        layout.uses1904DateSystem = workbook.uses1904DateSystem
        layout.sharedStringsPath = relationships.target(ofType: "sharedStrings").map {
            resolvePartPath($0, relativeTo: workbookPath)
        }
        layout.stylesPath = relationships.target(ofType: "styles").map { resolvePartPath($0, relativeTo: workbookPath) }
        for sheet in workbook.sheets {
            guard let target = relationships.relationships.first(where: { $0.id == sheet.relationshipID })?.target
            else { throw .missingPart("\(relationshipsPath) → \(sheet.relationshipID)") }
            layout.sheets.append(
                SheetLocation(name: sheet.name, partPath: resolvePartPath(target, relativeTo: workbookPath)))
        }
        return layout
    }

    /// An archive entry by path, falling back to a case-insensitive match (some producers differ in case between
    /// a relationship target and the file name).
    private static func entry(_ path: String, in package: Package) -> Entry? {
        let archive = package.archive
        if let exact = archive[path] { return exact }
        let lowercased = path.lowercased()
        return archive.first { $0.path.lowercased() == lowercased }
    }

    /// Streams one part of the archive through the XML tokenizer into `handler`, calling `afterChunk` after each
    /// decompressed chunk so that the caller can take completed rows.
    private static func parse<Handler: XMLHandler>(
        _ path: String, in archive: Package, with handler: inout Handler, maxBytes: Int?,
        afterChunk: (inout Handler) throws -> Void = { _ in }
    ) throws {
        guard let entry = entry(path, in: archive) else { throw TabularError.missingPart(path) }
        var tokenizer = XMLTokenizer(partName: path)
        var bytesRead = 0
        do {
            _ = try archive.reader.extract(entry, bufferSize: extractionBufferSize, checkCRC32: true) { chunk in
                bytesRead += chunk.count
                if let maxBytes, bytesRead > maxBytes { throw TabularError.malformedXML(part: path, row: nil) }
                try chunk.withUnsafeBytes { raw in
                    try tokenizer.consume(raw.bindMemory(to: UInt8.self), handler: &handler)
                }
                try afterChunk(&handler)
            }
            try tokenizer.finish()
        } catch let error as TabularError {
            throw error
        } catch let error as RowConsumerError {
            throw error
        } catch {
            // Inflating failed or a checksum did not match: the archive is damaged.
            throw TabularError.notAnXLSXFile
        }
    }

    private static func parse<Handler: XMLHandler>(
        _ path: String, in archive: Package, with handler: inout Handler, maxBytes: Int?
    ) throws(TabularError) {
        do {
            try parse(path, in: archive, with: &handler, maxBytes: maxBytes, afterChunk: { _ in })
        } catch let error as TabularError {
            throw error
        } catch {
            throw .notAnXLSXFile
        }
    }
}
