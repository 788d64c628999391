import Foundation
import HuitongIngest
import Testing

/// JSON deliveries arrive in chunks of any size; rows must come out the same however the bytes are cut.
@Suite("JSON row reader")
struct JSONRowReaderTests {
    static func read(_ text: String, layout: JSONRowReader.Layout, chunk: Int) throws -> [(Int, [String])] {
        var reader = JSONRowReader(layout: layout)
        let bytes = Array(text.utf8)
        var rows: [(number: Int, cells: [String])] = []
        for start in stride(from: 0, to: bytes.count, by: chunk) {
            rows += try reader.consume(bytes[start..<min(start + chunk, bytes.count)])
        }
        rows += try reader.finish()
        return rows.map { ($0.number, $0.cells) }
    }

    static let array = """
        [
          {"sfzhm": "11010519491231002X", "xm": "张三", "bz": "含 } 和 ] 与 \\"引号\\"", "n": 3},
          {"xm": "李四", "sfzhm": "110105195001010012", "extra": {"a": [1, {"b": "}"}]}, "n": 2.5},
          {"sfzhm": "110105196002020014", "xm": null, "bz": true}
        ]
        """

    @Test("an array of objects streams to rows numbered by the line each object starts on", arguments: [1, 7, 4096])
    func arrayInChunks(_ chunk: Int) throws {
        let rows = try Self.read(Self.array, layout: .array, chunk: chunk)
        #expect(rows.map(\.0) == [0, 2, 3, 4])
        #expect(rows[0].1 == ["bz", "n", "sfzhm", "xm"], "the first object's keys, sorted, are the header")
        #expect(rows[1].1 == ["含 } 和 ] 与 \"引号\"", "3", "11010519491231002X", "张三"])
        #expect(rows[2].1 == ["", "2.5", "110105195001010012", "李四"])
        #expect(rows[3].1 == ["true", "", "110105196002020014", ""])
    }

    @Test("NDJSON lines stream the same way, blank lines skipped", arguments: [1, 5, 4096])
    func linesInChunks(_ chunk: Int) throws {
        let text = "{\"a\": \"1\", \"b\": \"x\"}\n\n{\"b\": \"y\", \"a\": 2}\r\n{\"a\": 3}"
        let rows = try Self.read(text, layout: .lines, chunk: chunk)
        #expect(rows.map(\.0) == [0, 1, 3, 4])
        #expect(rows.map(\.1) == [["a", "b"], ["1", "x"], ["2", "y"], ["3", ""]])
    }

    @Test(
        "broken JSON is reported at the line where it goes wrong",
        arguments: [
            ("[\n{\"a\": 1},\n{\"a\": 2}\n", 4),
            ("[\n{\"a\": 1}\n{\"a\": 2}]", 3),
            ("{\"a\": 1}", 1),
            ("[\n{\"a\": 1},\n\"text\"]", 3),
            ("[{\"a\": 1}]\nx", 2),
            ("[\n{\"a\": 1},\n{\"a\": }\n]", 3),
        ])
    func malformed(_ text: String, _ line: Int) {
        #expect(throws: TabularError.malformedJSON(line: line)) {
            try Self.read(text, layout: .array, chunk: 3)
        }
    }

    @Test("an empty array has no rows")
    func emptyArray() throws {
        #expect(try Self.read(" [ ] ", layout: .array, chunk: 2).isEmpty)
    }
}
