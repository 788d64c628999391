import Foundation
import HuitongIngest
import Testing

@Suite("CSV reading")
struct CSVParserTests {
    /// Feeds `bytes` in chunks of `chunkSize` and collects every record, as a streaming caller would.
    static func parseInChunks(
        _ bytes: [UInt8], chunkSize: Int, options: CSVParser.Options = CSVParser.Options()
    ) throws -> [CSVRecord] {
        var parser = CSVParser(options: options)
        var records: [CSVRecord] = []
        var start = 0
        while start < bytes.count {
            let end = min(start + chunkSize, bytes.count)
            records += try parser.consume(bytes[start..<end])
            start = end
        }
        records += try parser.finish()
        return records
    }

    static func fields(_ text: String, options: CSVParser.Options = CSVParser.Options()) throws -> [[String]] {
        try CSVParser.parse(Array(text.utf8), options: options).map(\.fields)
    }

    @Test("quoted fields keep delimiters, doubled quotes and line breaks of every kind")
    func quotedFields() throws {
        let text = "名称,说明,备注\r\n\"北京, 朝阳\",\"他说\"\"好\"\"\",\"第一行\r\n第二行\nLF\rCR\"\r\n"
        let rows = try Self.fields(text)
        #expect(rows == [["名称", "说明", "备注"], ["北京, 朝阳", "他说\"好\"", "第一行\r\n第二行\nLF\rCR"]])
    }

    @Test("every record knows the physical line it starts on, counting LF, CR and CR LF once each")
    func recordLines() throws {
        let text = "a,b\r\n\"multi\nline\",x\n\r\nlast,\"one\rtwo\"\rafter,y"
        let records = try CSVParser.parse(Array(text.utf8))
        #expect(records.map(\.line) == [1, 2, 5, 7])
        #expect(records.map(\.fields) == [["a", "b"], ["multi\nline", "x"], ["last", "one\rtwo"], ["after", "y"]])
    }

    @Test("records come out the same whatever the chunk size", arguments: [1, 2, 3, 7, 64, 100_000])
    func chunkIndependence(chunkSize: Int) throws {
        let text = "编号;名称;金额\r\n1;\"含;分号\";-12.5\r\n2;\"含\"\"引号\"\"\";3\r\n3;\"跨\r\n行\";\r\n"
        let records = try Self.parseInChunks(Array(text.utf8), chunkSize: chunkSize)
        #expect(
            records.map(\.fields) == [
                ["编号", "名称", "金额"], ["1", "含;分号", "-12.5"], ["2", "含\"引号\"", "3"], ["3", "跨\r\n行", ""],
            ])
        #expect(records.map(\.line) == [1, 2, 3, 4])
    }

    @Test(
        "the delimiter is detected from the first lines",
        arguments: [
            ("a;b;c\n1;2;3\n", CSVDelimiter.semicolon),
            ("a\tb\tc\n1\t2\t3\n", .tab),
            ("a|b\n1|2\n", .pipe),
            ("a,b\n1,2\n", .comma),
            // Semicolons inside quotes, and an uneven count of them elsewhere, must not win over the commas.
            ("name,note\n\"x;y;z\",1\nz,\"a;b\"\n", .comma),
            ("单列\n值\n", .comma),
        ])
    func delimiterDetection(text: String, expected: CSVDelimiter) throws {
        var parser = CSVParser()
        _ = try parser.consume(Array(text.utf8))
        _ = try parser.finish()
        #expect(parser.delimiter == expected)
    }

    @Test("a semicolon file is split on semicolons when fed byte by byte")
    func detectionAcrossChunks() throws {
        let text = "区划;人口;面积\n110105;3452460;470.8\n110108;3133469;430.8\n"
        let records = try Self.parseInChunks(Array(text.utf8), chunkSize: 1)
        #expect(
            records.map(\.fields) == [
                ["区划", "人口", "面积"], ["110105", "3452460", "470.8"], ["110108", "3133469", "430.8"],
            ])
    }

    /// Found by fuzz/FuzzCSV (issue 16): the detector decided after ten line breaks, blank ones included, on
    /// whatever the chunk that held the tenth one contained. Byte by byte it saw only blank lines and chose the
    /// comma; given the whole file at once it saw the header and chose the pipe.
    @Test(
        "the detected delimiter does not depend on how the file is cut into chunks",
        arguments: [1, 2, 7, 4096])
    func detectionIndependentOfChunks(_ chunkSize: Int) throws {
        // The fuzzer's input: 22 blank lines, a header of pipes, NUL bytes.
        let crashing =
            [UInt8](repeating: 0x0A, count: 22) + Array("J|||||||||||".utf8) + [UInt8](repeating: 0, count: 98)
        let whole = try CSVParser.parse(crashing)
        #expect(try Self.parseInChunks(crashing, chunkSize: chunkSize) == whole)
        #expect(whole.first?.fields.count == 12)
        // Blank lines, ten lines in which the pipe is the better delimiter, then an eleventh that only the
        // semicolon fits: the verdict is taken on the first ten lines with content, however the file arrives.
        let text = "\n\n\n" + String(repeating: "a|b|c;d\n", count: 10) + "x;y\n"
        var parser = CSVParser()
        _ = try parser.consume(Array(text.utf8))
        _ = try parser.finish()
        #expect(parser.delimiter == .pipe)
        let chunked = try Self.parseInChunks(Array(text.utf8), chunkSize: chunkSize)
        #expect(chunked.map(\.fields) == (try Self.fields(text)))
        #expect(chunked.first?.fields == ["a", "b", "c;d"])
    }

    @Test("an explicit delimiter overrides detection")
    func explicitDelimiter() throws {
        let rows = try Self.fields("a;b,c\n", options: CSVParser.Options(delimiter: .comma))
        #expect(rows == [["a;b", "c"]])
    }

    @Test("empty lines are skipped, empty fields are kept, a trailing delimiter makes an empty last field")
    func emptyLinesAndFields() throws {
        let rows = try Self.fields("a,,c\n\n\r\n,\n\"\"\nx,")
        #expect(rows == [["a", "", "c"], ["", ""], [""], ["x", ""]])
    }

    @Test("an empty file has no records; a file of one character without a line break has one")
    func tinyFiles() throws {
        #expect(try CSVParser.parse([UInt8]()).isEmpty)
        #expect(try CSVParser.parse(Array("x".utf8)).map(\.fields) == [["x"]])
        #expect(try CSVParser.parse(Array("\r\n\n".utf8)).isEmpty)
    }

    @Test("text after a closing quote and quotes inside unquoted fields are kept, as spreadsheets do")
    func lenientQuotes() throws {
        #expect(try Self.fields("\"ab\"c,d\"e\n") == [["abc", "d\"e"]])
    }

    @Test("a quote left open until the end of the file is reported with the line it opened on")
    func unterminatedQuote() throws {
        let text = "编号,名称\n1,正常\n2,\"没有结束\n3,后面的行\n"
        let error = #expect(throws: TabularError.self) { try CSVParser.parse(Array(text.utf8)) }
        #expect(error == .unterminatedQuote(line: 3))
        #expect(error?.message.zh.contains("第 3 行") == true)
        #expect(error?.message.en.contains("line 3") == true)
        #expect(error?.code == "csv_unterminated_quote")
        #expect(error?.kind == .badInput)
    }

    @Test("a field longer than the limit is refused with its line and column")
    func fieldLimit() throws {
        let text = "a,b\n1,\"" + String(repeating: "长", count: 10) + "\"\n"
        let options = CSVParser.Options(maxFieldBytes: 16)
        #expect(throws: TabularError.fieldTooLong(line: 2, column: 2, limit: 16)) {
            try CSVParser.parse(Array(text.utf8), options: options)
        }
        // Exactly at the limit is fine: 16 bytes.
        let fits = try Self.fields("x\n" + String(repeating: "a", count: 16) + "\n", options: options)
        #expect(fits.last == [String(repeating: "a", count: 16)])
    }

    @Test("a record with more fields than the limit is refused with its line")
    func columnLimit() throws {
        let options = CSVParser.Options(delimiter: .comma, maxColumns: 3)
        #expect(throws: TabularError.tooManyColumns(line: 2, limit: 3)) {
            try CSVParser.parse(Array("a,b,c\n1,2,3,4\n".utf8), options: options)
        }
    }

    @Test("records stream out of an asynchronous sequence of chunks")
    func asyncSequence() async throws {
        let bytes = Array("编号,名称\r\n1,\"北京\r\n市\"\r\n2,上海\r\n".utf8)
        let chunks = AsyncStream<[UInt8]> { continuation in
            for start in stride(from: 0, to: bytes.count, by: 5) {
                continuation.yield(Array(bytes[start..<min(start + 5, bytes.count)]))
            }
            continuation.finish()
        }
        var records: [CSVRecord] = []
        for try await record in chunks.csvRecords() { records.append(record) }
        #expect(records.map(\.fields) == [["编号", "名称"], ["1", "北京\r\n市"], ["2", "上海"]])
        #expect(records.map(\.line) == [1, 2, 4])
    }
}
