import Foundation
import Testing

@testable import HuitongIngest

/// Workbooks written by hand, part by part, to cover what other producers (Excel, WPS, LibreOffice, libraries)
/// put in files and `XLSXWriter` never does: rich text, phonetic guides, date styles, sparse and implicit cell
/// positions, booleans, errors, formulas, namespace prefixes.
@Suite("XLSX reading of hand-made workbooks")
struct XLSXReaderTests {
    static let main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    static let officeRelationships = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    static let packageRelationships = "http://schemas.openxmlformats.org/package/2006/relationships"

    static func workbook(
        sheets: [(name: String, xml: String)], sharedStrings: String? = nil, styles: String? = nil
    ) throws -> Data {
        var parts: [(path: String, contents: [UInt8])] = [
            (
                "_rels/.rels",
                Array(
                    """
                    <?xml version="1.0" encoding="UTF-8"?>
                    <Relationships xmlns="\(packageRelationships)"><Relationship Id="rId1" \
                    Type="\(officeRelationships)/officeDocument" Target="xl/workbook.xml"/></Relationships>
                    """.utf8)
            )
        ]
        let sheetElements = sheets.indices.map { index in
            "<sheet name=\"\(sheets[index].name)\" sheetId=\"\(index + 1)\" r:id=\"rId\(index + 1)\"/>"
        }
        parts.append(
            (
                "xl/workbook.xml",
                Array(
                    """
                    <?xml version="1.0" encoding="UTF-8"?>
                    <workbook xmlns="\(main)" xmlns:r="\(officeRelationships)">
                      <sheets>\(sheetElements.joined())</sheets>
                    </workbook>
                    """.utf8)
            ))
        var relationships = sheets.indices.map { index in
            // The second sheet's target is absolute, as some producers write it.
            let target = index == 1 ? "/xl/worksheets/sheet2.xml" : "worksheets/sheet\(index + 1).xml"
            return
                "<Relationship Id=\"rId\(index + 1)\" Type=\"\(officeRelationships)/worksheet\" Target=\"\(target)\"/>"
        }
        if sharedStrings != nil {
            relationships.append(
                "<Relationship Id=\"rIdS\" Type=\"\(officeRelationships)/sharedStrings\" Target=\"sharedStrings.xml\"/>"
            )
        }
        if styles != nil {
            relationships.append(
                "<Relationship Id=\"rIdT\" Type=\"\(officeRelationships)/styles\" Target=\"styles.xml\"/>")
        }
        parts.append(
            (
                "xl/_rels/workbook.xml.rels",
                Array("<Relationships xmlns=\"\(packageRelationships)\">\(relationships.joined())</Relationships>".utf8)
            ))
        for (index, sheet) in sheets.enumerated() {
            parts.append(("xl/worksheets/sheet\(index + 1).xml", Array(sheet.xml.utf8)))
        }
        if let sharedStrings { parts.append(("xl/sharedStrings.xml", Array(sharedStrings.utf8))) }
        if let styles { parts.append(("xl/styles.xml", Array(styles.utf8))) }
        return try ZipPackage.make(parts)
    }

    static let sharedStrings = """
        <?xml version="1.0" encoding="UTF-8"?>
        <sst xmlns="\(main)" count="4" uniqueCount="4">
          <si><t>名称</t></si>
          <si><t>数量</t></si>
          <si><r><rPr><b/></rPr><t>北京</t></r><r><t xml:space="preserve"> 朝阳区</t></r>\
        <rPh sb="0" eb="2"><t>ペキン</t></rPh></si>
          <si><t>A&amp;B &lt;1&gt; 第一行_x000D__x000A_第二行</t></si>
        </sst>
        """

    /// Cell formats: 0 General; 1 built-in date 14; 2 custom date-time 164; 3 custom currency 165 (not a date);
    /// 4 built-in Chinese date 31 (yyyy年m月d日). The `cellStyleXfs` entry must not shift these indexes.
    static let styles = """
        <?xml version="1.0" encoding="UTF-8"?>
        <styleSheet xmlns="\(main)">
          <numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy/m/d\\ h:mm"/>\
        <numFmt numFmtId="165" formatCode="#,##0.00&quot;元&quot;"/></numFmts>
          <cellStyleXfs count="1"><xf numFmtId="14"/></cellStyleXfs>
          <cellXfs count="5"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/><xf numFmtId="164"/>\
        <xf numFmtId="165"/><xf numFmtId="31"/></cellXfs>
        </styleSheet>
        """

    static let dataSheet = """
        <?xml version="1.0" encoding="UTF-8"?>
        <worksheet xmlns="\(main)"><dimension ref="A1:E6"/><sheetData>
        <row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="inlineStr"><is><t>日期</t></is></c></row>
        <row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2"><v>1250000</v></c><c r="C2" s="1"><v>45306</v></c></row>
        <row r="3"><c r="A3" s="1"/><c r="B3" t="inlineStr"><is><t></t></is></c></row>
        <row r="5"><c r="C5" t="b"><v>1</v></c><c r="E5" s="2"><v>45306.5</v></c></row>
        <row r="6"><c r="A6" s="3"><v>12.5</v></c><c r="B6" s="4"><v>45351</v></c><c r="C6"><v>0.30000000000000004</v></c>\
        <c r="D6" t="e"><v>#N/A</v></c><c r="E6" t="str"><f>A6*2</f><v>25</v></c><c r="F6" t="b"><v>0</v></c></row>
        <row r="7"><c r="B7" t="s"><v>3</v></c><c r="A7" t="inlineStr"><is><r><t>富</t></r><r><t>文本</t></r></is></c></row>
        </sheetData></worksheet>
        """

    /// No `r` attributes at all, and every element in a prefixed namespace, as some generators write.
    static let prefixedSheet = """
        <?xml version="1.0" encoding="UTF-8"?>
        <x:worksheet xmlns:x="\(main)"><x:sheetData>
        <x:row><x:c t="inlineStr"><x:is><x:t>区划</x:t></x:is></x:c><x:c t="inlineStr"><x:is><x:t>人口</x:t></x:is></x:c></x:row>
        <x:row><x:c><x:v>110105</x:v></x:c><x:c><x:v>3452460</x:v></x:c></x:row>
        </x:sheetData></x:worksheet>
        """

    static func fixture() throws -> XLSXReader {
        try XLSXReader(
            data: workbook(
                sheets: [("数据", dataSheet), ("人口统计", prefixedSheet)], sharedStrings: sharedStrings,
                styles: styles))
    }

    @Test("shared strings (rich text, phonetic guides, escapes), dates, booleans, errors and formulas read as shown")
    func cellValues() throws {
        let rows = try Self.fixture().rows(inSheet: "数据")
        #expect(rows.map(\.number) == [1, 2, 5, 6, 7])
        #expect(rows[0].cells == ["名称", "数量", "日期"])
        #expect(rows[1].cells == ["北京 朝阳区", "1250000", "2024-01-15"])
        #expect(rows[2].cells == ["", "", "TRUE", "", "2024-01-15 12:00:00"])
        #expect(rows[3].cells == ["12.5", "2024-02-29", "0.3", "#N/A", "25", "FALSE"])
        #expect(rows[4].cells == ["富文本", "A&B <1> 第一行\r\n第二行"])
    }

    /// Found by fuzz/FuzzXLSX (issue 16): a ZIP whose central directory points past the end of the data. Read
    /// from memory, ZIPFoundation's in-memory archive trapped ("Range requires lowerBound <= upperBound") and took
    /// the whole node down — catalog sheets are read from memory; from a file it is an error like any other.
    @Test("a damaged ZIP whose directory points past its end is refused, whether read from memory or from a file")
    func directoryPastTheEnd() throws {
        let crashing = try #require(
            Data(
                base64Encoded: [
                    "UEsDBBQAAAAIAAAAIVz+W4ZyigAAAPAAAAALAAAAX3JlbHMvLnJlbHONzzEOwjAMBdCrVD5AXRgYUNqJpSviAiZ12qpNHDlBlNuT",
                    "sSAGRut/vS+bK6+UZwlpmmOqNr+G1MKUczwjJjuxp1RL5FASJ+opl1NHjGQXGhmPTXNC3RvQmb1Z9UML2g8HqG6vyP/Y4txs+SL2",
                    "4TnkHxNfjSKTjpxb2FZ8ii53kaUuKGBn8OPB7g1QSwMEFAAAAAgAAAAhXNkpgPzKAAAAJQEAAA8AAAB4bC93b3JrYm9vay54bWyN",
                    "j01uwkAMhfecYuR9mVBVqERJ2FSV2LGgBxgyDhklM47sKXAJllyj6qk4B0MoXbPy3/Pn52J59L3aI4ujUMJsmoHCUJN1YVfC1+bz",
                    "5R2W1aQ4EHdbok4leZAS2hiHXGupW/RGpjRgSJOG2JuYSt5pGRiNlRYx+l6/Ztlce+MC3Ak5P8OgpnE1flD97THEO4SxNzGZldYN",
                    "AtW/szUrayLOFtlb+gN0VYy35S+qYDyWcDn/Xk4/oMbeyt6UinOXEl7ZcUs/1vSDXF0BUEsDBBQAAAAIAAAAIVx4VnDwrwAAAAEC",
                    "AAAaAAAAeGwvX3JlbHMvd29ya2Jvb2sueG1sLnJlbHOtkUEKgzAQRa8iOUBHLXRR1FU3btteIMTRiJqEzJTq7RuEooKULlwNfwbe",
                    "fzDZHXvJrTWkW0fROPSGcqGZ3RWAlMZB0sk6NOFSWz9IDtE34KTqZIOQxvEF/JohimzNjMoqF76sEhE9J4f/sG3ETxCcbuWmz6fh",
                    "F1BLAQIUAxQAAAAIAAAAIVz+W4ZyigAAAPAAAAALAAAAAAAAAAAAAACAAQAAAABfcmVscy8ucmVsc1BLAQIUAxQAAAAIAAAAIVzZ",
                    "KYD8ygAAACUBAAAPAAAAAAAAAAAAAACAAbMAAAB4bC93b3JrYm9vay54bWxQSwECFAMUAAAACAAAACFceFZw8K8AAAABAgAAGgAA",
                    "AAAAAAAAAAAAgAGqAQAAeGwvX3JlbHMvd29ya2Jvb2sueG1sLnJlbHNQSwECFAMUAAAACAAAACFccEonKdYAAABpAQAAGAAAAAAA",
                    "AAAAAAAAgAGRAgAAeGwvd29ya3NoZWV0cy9zaGVldDEueG1sUEsFBgAAAAAEAAQABAEAAJ0DAAAAAA==",
                ].joined()))
        #expect(throws: TabularError.self) { _ = try XLSXReader(data: crashing).rows() }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("fuzz-\(UUID().uuidString).xlsx")
        try crashing.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        #expect(throws: TabularError.self) { _ = try XLSXReader(contentsOf: file).rows() }
    }

    /// FuzzXLSX's timeout: a workbook part whose deflate stream does not end where its headers say the part ends.
    /// ZIPFoundation inflated on past the part and, at the end of the file, asked for more for ever: one 1.2 KB
    /// upload held a load at 100 % CPU indefinitely. Parts are now read within their own bytes only.
    @Test(
        "a part whose compressed stream runs past its end is refused as a damaged file, not read for ever",
        .timeLimit(.minutes(1)))
    func deflateStreamThatNeverEnds() throws {
        let endless = try #require(
            Data(
                base64Encoded: [
                    "UEsDBBQAAAAIAAAAIVz+W4ZyigAAAPAAAAALAAAAX3JlbHMvLnJlbHONzzEOwjAMBdCrVD5AXRgYUNqJpSviAiZ12qpNHDlBlNuTsSAG",
                    "Rut/vS+bK6+UZwlpmk4BAAAAAAAAY6o2v4bUwpRzPCMmO7GnVEvkUBIn6imXU0eMZBcaGY9Nc0LdG9CZvVn1AxQAAAAIAAAAIVx4VnDw",
                    "rwAAAAECAAAaAAAAAAAAAAAAAACAAaoBAAB4bC9fcmVscy93b2RkZGRkZGRkZGRkZGRkZGRkZGRkZGRkZGRkZGRkZGRkZGRkZGRkZGRk",
                    "ZGRkZGRkZGRkZGRkZGRkZGRkZGRkZGRkZGRkZGRkZHJrYm9vay54bWwucmVsc1BLAQIUAxQAAAAIAAAAIVxwSicp1gAAAGkBAAAYAAAA",
                    "AAAAAAAAAACAAZECAAB4bC93b3Jrc2hlZXRzL3NoZWV0MS54bWxQSwUGAAAAAAQABAAEAQAA5R2W1aQ4EHdbok4leZAS2hiHXGupW/RG",
                    "pjRgSJOG2JuYSt5pGRiNlRYx+l6/Ztlce+MC3Ak5P8OgpnE1flD97THEO4SxNzGZldYNAtW/szUrayLOFtlb+gN0VYy35S+qYDyWcDn/",
                    "Xk4/oMbeyt6UinOXEl7ZcUs/1vSDXF0BUEsDBBQAAAAIAAAAIVx4VnDwrwAAAAECAAAaAAAAeGwvX3JlbHMvd29ya2Jvb2sueG1sLnJl",
                    "bHOtkUEKgzAQRa8iOUBHLXRR1FU3btteIMTRiJqEzJTq7RuEooKULlwNfwbefzDZHXvJrTWkW0fROPSGcqGZ3RWAlMZB0sk6NOFSWz9I",
                    "DtE34KTqZIOQxvEF/JohimzNjMoqF76sEhE9J4f/sG3ETxCcbuWmz6fhF1BLAQIUAxQAAAAIAAAAIVz+W4ZyigAAAPAAAAALAAAAAAAA",
                    "AAAAAACAAQAAAABfcmVscy8ucmVsc1BLAQIUAxQAAAAIAAAAIVzZKYD8ygAAACUBAAAPAAAAAAAAAAAAAACAAbMAAAB4bC93b3JrYm9v",
                    "ay54bWxQSwECFAMUAAAACAAAACFceFZlbHOtkUEKgzAQRa8iOUBHLXRR1FU3btteIMTRiJqEzJTq7RuEooKULlwNfwbefzDZHXvJrTWk",
                    "W0fROPSGcqGZ3RWAlMZB0sk6NOFSWz9IDtE34KTqZIOQxvEF/JohimzNjMoqF76sEhE9J4f/sG3ETxCcbuWmz6fhF1BLAQIUAxQAAAAI",
                    "AAAAIVz+W4ZyigAAAPAAAAALAAAAAAAAAAAAAACAAQAAAABfcmVscy8ucmVsc1BLAQIUAxQAAAAIAAAAIVzZKYD8ygAAACUBAAAPAAAA",
                    "AAAAAAAAAACAAbMAAAB4bC93b3JrYm9vay54bWxQSwECFAMUAAAACAAAACFceFZw8K8AAAABAgAAGgAAAAAAAAAAAAAAgAGqAQAAeGwv",
                    "X3JlbHMvd29ya2Jvb2sueG1sLnJlbHNQSwECFAMUAAAACAAAACFccEonKdYAAABpAQAAGAAAAAAAAAAAAAAAgAGRAgAAeGwvd29ya3No",
                    "ZWV0cy9zaGVldDEueG1sUEsFBgAAAAAEAAQABAEAAJ0DAAAAAA==",
                ].joined()))
        #expect(throws: TabularError.self) { _ = try XLSXReader(data: endless).rows() }
    }

    @Test("cells without references follow each other, and namespace prefixes are understood")
    func implicitPositionsAndPrefixes() throws {
        let rows = try Self.fixture().rows(inSheet: "人口统计")
        #expect(rows.map(\.cells) == [["区划", "人口"], ["110105", "3452460"]])
        #expect(rows.map(\.number) == [1, 2])
    }

    @Test("sheets are listed in tab order and chosen by name, ignoring case as Excel does")
    func sheetSelection() throws {
        let reader = try Self.fixture()
        #expect(reader.sheetNames == ["数据", "人口统计"])
        #expect(try reader.rows().first?.cells == ["名称", "数量", "日期"])
        let english = try XLSXReader(data: Self.workbook(sheets: [("Sheet1", Self.prefixedSheet)]))
        #expect(try english.rows(inSheet: "sheet1").count == 2)
    }

    @Test("asking for a sheet that does not exist names the sheets that do")
    func unknownSheet() throws {
        let error = #expect(throws: TabularError.self) { try Self.fixture().rows(inSheet: "财政") }
        #expect(error == .noSuchSheet("财政", available: ["数据", "人口统计"]))
        #expect(error?.message.zh.contains("数据、人口统计") == true)
        #expect(error?.details.first?.field == "sheet")
    }

    @Test("broken sheet XML is reported with the part and the row it broke in")
    func malformedSheet() throws {
        let broken = """
            <worksheet xmlns="\(Self.main)"><sheetData><row r="1"><c><v>1</v></c></row>
            <row r="2"><c><v>2</v></row></sheetData></worksheet>
            """
        let reader = try XLSXReader(data: Self.workbook(sheets: [("S", broken)]))
        #expect(throws: TabularError.malformedXML(part: "xl/worksheets/sheet1.xml", row: 2)) { try reader.rows() }

        let truncated = "<worksheet xmlns=\"\(Self.main)\"><sheetData><row r=\"1\"><c><v>1</v></c></row>"
        let cut = try XLSXReader(data: Self.workbook(sheets: [("S", truncated)]))
        #expect(throws: TabularError.malformedXML(part: "xl/worksheets/sheet1.xml", row: 1)) { try cut.rows() }
    }

    @Test("a document type declaration is refused rather than expanded")
    func doctypeRefused() throws {
        let hostile = """
            <?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]>
            <worksheet xmlns="\(Self.main)"><sheetData/></worksheet>
            """
        let reader = try XLSXReader(data: Self.workbook(sheets: [("S", hostile)]))
        #expect(throws: TabularError.self) { try reader.rows() }
    }

    @Test("files that are not XLSX workbooks are told apart: not a ZIP, an old .xls, a ZIP without a workbook")
    func notAWorkbook() throws {
        #expect(throws: TabularError.notAnXLSXFile) { try XLSXReader(data: Data("名称,代码\n".utf8)) }
        let xls = Data([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1] + [UInt8](repeating: 0, count: 504))
        let error = #expect(throws: TabularError.self) { try XLSXReader(data: xls) }
        #expect(error == .legacyXLSFile)
        #expect(error?.message.zh.contains(".xlsx") == true)
        let otherZip = try ZipPackage.make([("readme.txt", Array("hello".utf8))])
        #expect(throws: TabularError.notAnXLSXFile) { try XLSXReader(data: otherZip) }
    }

    @Test("a shared-strings table over the memory limit is refused")
    func sharedStringsLimit() throws {
        let data = try Self.workbook(sheets: [("S", Self.dataSheet)], sharedStrings: Self.sharedStrings)
        let reader = try XLSXReader(data: data, limits: XLSXReader.Limits(maxSharedStringsBytes: 8))
        #expect(throws: TabularError.sharedStringsTooLarge(limit: 8)) { try reader.rows() }
    }

    /// A shared-strings table of `count` copies of `text`, for the sheet `dataSheet` (which uses the first two).
    static func repeatedStrings(_ count: Int, _ text: String = "x") -> String {
        "<sst xmlns=\"\(main)\">" + String(repeating: "<si><t>\(text)</t></si>", count: count) + "</sst>"
    }

    @Test("a shared-strings table of more strings than the limit is refused, however short they are")
    func sharedStringsCountLimit() throws {
        let data = try Self.workbook(sheets: [("S", Self.dataSheet)], sharedStrings: Self.repeatedStrings(101))
        let reader = try XLSXReader(data: data, limits: XLSXReader.Limits(maxSharedStrings: 100))
        #expect(throws: TabularError.tooManySharedStrings(limit: 100)) { try reader.rows() }
        #expect(
            try XLSXReader(data: data, limits: XLSXReader.Limits(maxSharedStrings: 101)).rows().first?.cells.first
                == "x")
    }

    @Test("readers take their shared strings from the node's memory budget and give all of it back when they end")
    func memoryBudget() throws {
        // 4,000 strings of 300 bytes: about 1.2 MB of text.
        let data = try Self.workbook(
            sheets: [("S", Self.dataSheet)],
            sharedStrings: Self.repeatedStrings(4000, String(repeating: "数", count: 100)))
        let small = IngestMemoryBudget(limit: 1 << 20)
        #expect(throws: TabularError.ingestMemoryBudgetExhausted(budget: 1 << 20)) {
            try XLSXReader(data: data, budget: small).rows()
        }
        #expect(small.inUse == 0, "a refused reader gives back what it took")

        let budget = IngestMemoryBudget(limit: 4 << 20)
        #expect(
            try XLSXReader(data: data, budget: budget).rows().first?.cells.first == String(repeating: "数", count: 100))
        #expect(budget.inUse == 0, "a finished reader gives back what it took")
        // Another load holding most of the budget leaves too little for this one.
        #expect(budget.reserve(3 << 20))
        #expect(throws: TabularError.ingestMemoryBudgetExhausted(budget: 4 << 20)) {
            try XLSXReader(data: data, budget: budget).rows()
        }
        #expect(budget.inUse == 3 << 20)
    }

    @Test("a cell beyond the column limit is refused with its row")
    func columnLimit() throws {
        let wide = """
            <worksheet xmlns="\(Self.main)"><sheetData><row r="4"><c r="ZZ4"><v>1</v></c></row></sheetData></worksheet>
            """
        let reader = try XLSXReader(
            data: Self.workbook(sheets: [("宽表", wide)]), limits: XLSXReader.Limits(maxColumns: 100))
        #expect(throws: TabularError.tooManyCellsInRow(sheet: "宽表", row: 4, limit: 100)) { try reader.rows() }
    }
}
