import HuitongIngest
import Testing

@Suite("CSV text encodings")
struct TextEncodingTests {
    /// "人口,数量\r\n北京市,€𠀀\r\n" in GB18030: two-byte characters, a two-byte euro sign and a four-byte
    /// character from CJK Extension B.
    static let gb18030Table: [UInt8] = [
        0xC8, 0xCB, 0xBF, 0xDA, 0x2C, 0xCA, 0xFD, 0xC1, 0xBF, 0x0D, 0x0A,
        0xB1, 0xB1, 0xBE, 0xA9, 0xCA, 0xD0, 0x2C, 0xA2, 0xE3, 0x95, 0x32, 0x82, 0x36, 0x0D, 0x0A,
    ]

    @Test("a UTF-8 byte order mark is recognised and removed from the first field")
    func utf8ByteOrderMark() throws {
        var parser = CSVParser()
        var records = try parser.consume([0xEF, 0xBB, 0xBF] + Array("名称,代码\n人口,A01\n".utf8))
        records += try parser.finish()
        #expect(records.first?.fields == ["名称", "代码"])
        #expect(parser.encoding == .utf8)
    }

    @Test("a byte order mark split across chunks is still removed")
    func splitByteOrderMark() throws {
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("名称\n".utf8)
        let records = try CSVParserTests.parseInChunks(bytes, chunkSize: 1)
        #expect(records.map(\.fields) == [["名称"]])
    }

    @Test(
        "GB18030 text is detected and decoded even when characters are split across chunks",
        arguments: [1, 2, 3, 5, 4096])
    func gb18030Detection(chunkSize: Int) throws {
        var parser = CSVParser()
        var records: [CSVRecord] = []
        for start in stride(from: 0, to: Self.gb18030Table.count, by: chunkSize) {
            records += try parser.consume(Self.gb18030Table[start..<min(start + chunkSize, Self.gb18030Table.count)])
        }
        records += try parser.finish()
        #expect(records.map(\.fields) == [["人口", "数量"], ["北京市", "€𠀀"]])
        #expect(parser.encoding == .gb18030)
    }

    @Test("the GB18030 override decodes without detection")
    func gb18030Override() throws {
        let records = try CSVParser.parse(Self.gb18030Table, options: CSVParser.Options(encoding: .gb18030))
        #expect(records.first?.fields == ["人口", "数量"])
    }

    @Test("a GB18030 trail byte equal to the pipe does not split a pipe-delimited field")
    func gb18030TrailByteIsNotADelimiter() throws {
        // "亅|人口\n": 亅 is 0x81 0x7C in GB18030, and 0x7C is "|".
        let bytes: [UInt8] = [0x81, 0x7C, 0x7C, 0xC8, 0xCB, 0xBF, 0xDA, 0x0A]
        let records = try CSVParser.parse(bytes, options: CSVParser.Options(encoding: .gb18030, delimiter: .pipe))
        #expect(records.map(\.fields) == [["亅", "人口"]])
    }

    @Test("text that is valid UTF-8 is read as UTF-8")
    func utf8Detection() throws {
        var parser = CSVParser()
        var records = try parser.consume(Array("名称,代码\n朝阳区,110105\n".utf8))
        records += try parser.finish()
        #expect(records.map(\.fields) == [["名称", "代码"], ["朝阳区", "110105"]])
        #expect(parser.encoding == .utf8)
    }

    @Test("an ASCII prefix longer than a chunk does not prevent detecting GB18030 later")
    func lateNonASCII() throws {
        let ascii = Array(String(repeating: "id,code\n", count: 2000).utf8)
        let records = try CSVParserTests.parseInChunks(ascii + Self.gb18030Table, chunkSize: 1000)
        #expect(records.last?.fields == ["北京市", "€𠀀"])
    }

    @Test("bytes that are not UTF-8 under the UTF-8 override are reported with their line")
    func invalidUTF8() throws {
        let bytes = Array("a,b\n1,2\n".utf8) + [0x33, 0x2C, 0xC8, 0xCB, 0x0A]
        #expect(throws: TabularError.invalidText(.utf8, line: 3)) {
            try CSVParser.parse(bytes, options: CSVParser.Options(encoding: .utf8))
        }
    }

    @Test("bytes that are not GB18030 are reported with their line")
    func invalidGB18030() throws {
        let bytes = Array("a,b\n".utf8) + [0xC8, 0xCB, 0x2C, 0xFF, 0xFF, 0x0A]
        #expect(throws: TabularError.invalidText(.gb18030, line: 2)) {
            try CSVParser.parse(bytes, options: CSVParser.Options(encoding: .gb18030))
        }
    }

    @Test("a UTF-16 file is refused with a message saying how to save it")
    func utf16() throws {
        let error = #expect(throws: TabularError.self) { try CSVParser.parse([0xFF, 0xFE, 0x61, 0x00, 0x0A, 0x00]) }
        #expect(error == .unsupportedEncoding(name: "UTF-16"))
        #expect(error?.message.zh.contains("UTF-8") == true)
    }

    @Test("the standalone decoder converts GB18030 chunk by chunk and reports a truncated last character")
    func standaloneDecoder() throws {
        var decoder = IncrementalTextDecoder(.auto)
        var output: [UInt8] = []
        for byte in Self.gb18030Table { output += try decoder.decode([byte]) }
        output += try decoder.finish()
        #expect(String(decoding: output, as: UTF8.self) == "人口,数量\r\n北京市,€𠀀\r\n")

        var truncated = IncrementalTextDecoder(.gb18030)
        _ = try truncated.decode([0x41, 0x0A, 0xC8])
        #expect(throws: TabularError.invalidText(.gb18030, line: 2)) { try truncated.finish() }
    }

    @Test("encoding names people type are understood")
    func encodingLabels() {
        #expect(TextEncodingChoice(label: "GBK") == .gb18030)
        #expect(TextEncodingChoice(label: "utf-8") == .utf8)
        #expect(TextEncodingChoice(label: "latin1") == nil)
    }
}
