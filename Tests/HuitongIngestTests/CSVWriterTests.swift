import Foundation
import HuitongIngest
import Testing

@Suite("CSV writing")
struct CSVWriterTests {
    @Test("fields are quoted only when needed, with CR LF after every record")
    func quotingAndLineEnds() {
        let data = CSVWriter.encode(rows: [["名称", "说明"], ["北京, 朝阳", "他说\"好\""], ["多\n行", " 空格 "]])
        let text = String(decoding: data, as: UTF8.self)
        #expect(text == "名称,说明\r\n\"北京, 朝阳\",\"他说\"\"好\"\"\"\r\n\"多\n行\", 空格 \r\n")
    }

    @Test("what the writer writes, the parser reads back unchanged")
    func roundTrip() throws {
        let rows = [
            ["编号", "名称", "备注"],
            ["1", "含,逗号", "含\"引号\""],
            ["2", "", "跨\r\n行\r以及\n换行"],
            [""],
            ["3", "  首尾空格  ", "tab\tinside"],
        ]
        for delimiter in CSVDelimiter.allCases {
            let options = CSVWriter.Options(delimiter: delimiter, includesByteOrderMark: true)
            let data = CSVWriter.encode(rows: rows, options: options)
            let parsed = try CSVParser.parse(data, options: CSVParser.Options(delimiter: delimiter))
            #expect(parsed.map(\.fields) == rows, "delimiter \(delimiter)")
        }
    }

    @Test("the byte order mark is written once, at the very start")
    func byteOrderMark() {
        var writer = CSVWriter(options: CSVWriter.Options(includesByteOrderMark: true))
        writer.writeRow(["人口"])
        let first = writer.takeOutput()
        writer.writeRow(["户籍"])
        let second = writer.takeOutput()
        #expect(Array(first.prefix(3)) == [0xEF, 0xBB, 0xBF])
        #expect(String(decoding: second, as: UTF8.self) == "户籍\r\n")
    }

    @Test(
        "cells a spreadsheet would run as formulas get a leading apostrophe; numbers do not",
        arguments: [
            ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
            ("+1+2", "'+1+2"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("-", "'-"),
            ("-12.5", "-12.5"),
            ("+86", "+86"),
            ("-1.5E-3", "-1.5E-3"),
            ("-.5", "-.5"),
            ("普通文字=1", "普通文字=1"),
            ("", ""),
        ])
    func formulaNeutralization(input: String, expected: String) {
        #expect(FormulaNeutralizer.neutralize(input) == expected)
    }

    @Test("the writer neutralises formulas unless told not to")
    func writerNeutralizes() {
        let row = ["=1+1", "-12.5"]
        let safe = String(decoding: CSVWriter.encode(rows: [row]), as: UTF8.self)
        #expect(safe == "'=1+1,-12.5\r\n")
        let raw = CSVWriter.encode(rows: [row], options: CSVWriter.Options(neutralizesFormulas: false))
        #expect(String(decoding: raw, as: UTF8.self) == "=1+1,-12.5\r\n")
    }
}
