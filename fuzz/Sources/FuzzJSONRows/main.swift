// libFuzzer target: the JSON/NDJSON row reader.
//
// The first input byte chooses the layout (NDJSON lines or one array) and the chunk size; the rest is the file.
// Besides not crashing, the rows (or the error) read chunk by chunk must equal those of the whole file at once.
import HuitongIngest

struct Rows: Equatable {
    var header: [String]?
    var rows: [[String]]
    var numbers: [Int]
}

func read(_ file: [UInt8], layout: JSONRowReader.Layout, chunkSize: Int) throws(TabularError) -> Rows {
    var reader = JSONRowReader(layout: layout)
    var rows = Rows(header: nil, rows: [], numbers: [])
    func take(_ batch: [(number: Int, cells: [String])]) {
        for row in batch {
            rows.rows.append(row.cells)
            rows.numbers.append(row.number)
        }
    }
    var offset = 0
    while offset < file.count {
        let end = min(file.count, offset + chunkSize)
        take(try reader.consume(file[offset..<end]))
        offset = end
    }
    take(try reader.finish())
    rows.header = reader.header
    return rows
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSONRows(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    guard count >= 1 else { return 0 }
    let input = UnsafeBufferPointer(start: start.assumingMemoryBound(to: UInt8.self), count: count)
    let selector = input[0]
    let file = Array(input[1...])
    let layout: JSONRowReader.Layout = selector & 1 == 0 ? .lines : .array
    let chunkSize = [1, 2, 5, 16, 4096][Int(selector >> 1) % 5]

    let whole = Result { () throws(TabularError) in try read(file, layout: layout, chunkSize: max(1, file.count)) }
    let chunked = Result { () throws(TabularError) in try read(file, layout: layout, chunkSize: chunkSize) }
    switch (whole, chunked) {
    case (.success(let a), .success(let b)):
        precondition(a == b, "JSON rows differ when the file is read in chunks of \(chunkSize) bytes")
    case (.failure(let a), .failure(let b)):
        precondition(a == b, "JSON errors differ when read in chunks of \(chunkSize): \(a) vs \(b)")
        _ = a.message.combined
    default:
        preconditionFailure("JSON read whole: \(whole); in chunks of \(chunkSize): \(chunked)")
    }
    return 0
}
