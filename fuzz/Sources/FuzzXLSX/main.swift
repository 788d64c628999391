// libFuzzer target: the XLSX reader — its XML tokenizer and the handlers for the sheet, shared strings, styles,
// workbook and relationships parts — through the public `XLSXReader(data:)`.
//
// An input that starts with "PK" is read as a whole XLSX file (ZIP structure included). Any other input is cut
// at NUL bytes into up to five XML parts — sheet, shared strings, styles, workbook, workbook relationships — which
// are packed, stored without compression, into an otherwise well-formed XLSX file, so that the fuzzer works on
// the XML and not on ZIP checksums. Parts not given get minimal valid defaults.
import Foundation
import HuitongIngest
import ZIPFoundation

let defaultWorkbook = """
    <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
    <workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" \
    xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">\
    <sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>
    """
let defaultWorkbookRelationships = """
    <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
    <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
    <Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" \
    Target="worksheets/sheet1.xml"/>\
    <Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" \
    Target="sharedStrings.xml"/>\
    <Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" \
    Target="styles.xml"/></Relationships>
    """
let rootRelationships = """
    <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
    <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
    <Relationship Id="rId1" \
    Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" \
    Target="xl/workbook.xml"/></Relationships>
    """
let contentTypes = """
    <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
    <Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">\
    <Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>\
    <Default Extension="xml" ContentType="application/xml"/></Types>
    """

func archive(_ parts: [(String, [UInt8])]) -> Data? {
    guard let archive = try? Archive(data: Data(), accessMode: .create, pathEncoding: nil) else { return nil }
    for (path, bytes) in parts {
        let data = Data(bytes)
        do {
            try archive.addEntry(
                with: path, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .none,
                provider: { position, size in data.subdata(in: Int(position)..<Int(position) + size) })
        } catch {
            return nil
        }
    }
    return archive.data
}

func readAll(_ data: Data) {
    do {
        let reader = try XLSXReader(
            data: data, limits: XLSXReader.Limits(maxSharedStringsBytes: 1 << 16, maxCellBytes: 4096, maxColumns: 256))
        for name in reader.sheetNames.prefix(4) {
            _ = reader.declaredRowCount(inSheet: name)
            try reader.forEachRow(inSheet: name) { row in
                precondition(row.cells.count <= 256, "a row has more cells than the column limit")
            }
        }
    } catch let error as TabularError {
        _ = error.message.combined
    } catch {
        preconditionFailure("XLSXReader threw something other than a TabularError: \(error)")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzXLSX(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let input = UnsafeBufferPointer(start: start.assumingMemoryBound(to: UInt8.self), count: count)
    if input.starts(with: [0x50, 0x4B]) {
        readAll(Data(input))
        return 0
    }
    let pieces = input.split(separator: 0, maxSplits: 4, omittingEmptySubsequences: false).map { Array($0) }
    func piece(_ index: Int, _ fallback: String?) -> [UInt8]? {
        index < pieces.count ? pieces[index] : fallback.map { Array($0.utf8) }
    }
    var parts: [(String, [UInt8])] = [
        ("[Content_Types].xml", Array(contentTypes.utf8)),
        ("_rels/.rels", Array(rootRelationships.utf8)),
        ("xl/workbook.xml", piece(3, defaultWorkbook)!),
        ("xl/_rels/workbook.xml.rels", piece(4, defaultWorkbookRelationships)!),
        ("xl/worksheets/sheet1.xml", piece(0, "")!),
    ]
    if let strings = piece(1, nil) { parts.append(("xl/sharedStrings.xml", strings)) }
    if let styles = piece(2, nil) { parts.append(("xl/styles.xml", styles)) }
    guard let data = archive(parts) else { return 0 }
    readAll(data)
    return 0
}
