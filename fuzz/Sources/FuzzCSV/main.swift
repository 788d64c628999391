// libFuzzer target: the CSV reader (encoding detection, GB18030 conversion, delimiter detection, quoting).
//
// The first input byte chooses the options — encoding (auto, UTF-8, GB18030), delimiter (detected or one of the
// four) and the chunk size the file is fed in — and the rest is the file. Besides not crashing, the reader must
// not depend on how the file is cut into chunks: the records (or the error) read chunk by chunk must equal those
// of the whole file read at once.
import HuitongIngest

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCSV(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    guard count >= 1 else { return 0 }
    let input = UnsafeBufferPointer(start: start.assumingMemoryBound(to: UInt8.self), count: count)
    let selector = input[0]
    let file = Array(input[1...])
    let encodings = TextEncodingChoice.allCases
    let delimiters: [CSVDelimiter?] = [nil] + CSVDelimiter.allCases
    let options = CSVParser.Options(
        encoding: encodings[Int(selector & 0x03) % encodings.count],
        delimiter: delimiters[Int((selector >> 2) & 0x07) % delimiters.count],
        maxFieldBytes: 4096, maxColumns: 64)
    let chunkSize = [1, 2, 3, 7, 64, 4096][Int(selector >> 5) % 6]

    let whole: Result<[CSVRecord], TabularError> = Result { () throws(TabularError) in
        try CSVParser.parse(file, options: options)
    }
    let chunked: Result<[CSVRecord], TabularError> = Result { () throws(TabularError) in
        var parser = CSVParser(options: options)
        var records: [CSVRecord] = []
        var offset = 0
        while offset < file.count {
            let end = min(file.count, offset + chunkSize)
            records += try parser.consume(file[offset..<end])
            offset = end
        }
        records += try parser.finish()
        return records
    }
    switch (whole, chunked) {
    case (.success(let a), .success(let b)):
        precondition(a == b, "CSV records differ when the file is read in chunks of \(chunkSize) bytes")
    case (.failure(let a), .failure(let b)):
        precondition(a == b, "CSV errors differ when the file is read in chunks of \(chunkSize): \(a) vs \(b)")
        _ = a.message.combined
    default:
        preconditionFailure("CSV read whole: \(whole); in chunks of \(chunkSize): \(chunked)")
    }
    return 0
}
