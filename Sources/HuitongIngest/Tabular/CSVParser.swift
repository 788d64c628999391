/// One record of a CSV file.
public struct CSVRecord: Sendable, Hashable {
    /// The fields in file order, unquoted and decoded.
    public var fields: [String]
    /// The physical line (1-based) on which the record starts, for error reports. A record with a quoted field that
    /// spans lines starts on the line of its first byte.
    public var line: Int

    public init(fields: [String], line: Int) {
        self.fields = fields
        self.line = line
    }
}

/// An incremental CSV reader: feed it the bytes of a file in chunks of any size and it returns each record as soon
/// as the record is complete, so a file of millions of rows is read in memory bounded by the longest record.
///
/// It follows RFC 4180 — fields separated by a delimiter, optionally enclosed in double quotes, a quote inside
/// quotes written twice, CR, LF or CR LF ending a record and allowed inside quotes — and is lenient where
/// spreadsheets are: a quote in the middle of an unquoted field is kept as a character, and text right after a
/// closing quote is appended to the field. Completely empty lines are skipped.
///
/// ```swift
/// var parser = CSVParser()
/// for try await chunk in upload { for record in try parser.consume(chunk) { … } }
/// for record in try parser.finish() { … }
/// ```
public struct CSVParser: Sendable {
    /// How to read the file, and the limits that keep a malformed or hostile file from exhausting memory.
    public struct Options: Sendable, Hashable {
        public var encoding: TextEncodingChoice
        /// `nil` detects the delimiter from the first lines (see `CSVDelimiter.detect(in:)`).
        public var delimiter: CSVDelimiter?
        /// The longest field accepted, in UTF-8 bytes. It also bounds the memory an unclosed quote can take.
        public var maxFieldBytes: Int
        /// The most fields a record may have.
        public var maxColumns: Int

        public init(
            encoding: TextEncodingChoice = .auto, delimiter: CSVDelimiter? = nil, maxFieldBytes: Int = 1 << 20,
            maxColumns: Int = 4096
        ) {
            self.encoding = encoding
            self.delimiter = delimiter
            self.maxFieldBytes = maxFieldBytes
            self.maxColumns = maxColumns
        }
    }

    public let options: Options
    private var decoder: IncrementalTextDecoder
    private var tokenizer: CSVTokenizer
    /// Reused between chunks so that converting GB18030 does not allocate a new buffer each time.
    private var decoded: [UInt8] = []

    public init(options: Options = Options()) {
        self.options = options
        decoder = IncrementalTextDecoder(options.encoding, validatesUTF8: false)
        tokenizer = CSVTokenizer(
            delimiter: options.delimiter, maxFieldBytes: options.maxFieldBytes, maxColumns: options.maxColumns)
    }

    /// The encoding being decoded, or `nil` while detection has not decided yet.
    public var encoding: TextEncoding? { decoder.encoding }
    /// The delimiter in use, or `nil` while detection is still reading the first lines.
    public var delimiter: CSVDelimiter? { tokenizer.delimiter }

    /// Reads the next chunk of the file and returns the records it completes (possibly none).
    public mutating func consume(_ bytes: some Collection<UInt8>) throws(TabularError) -> [CSVRecord] {
        try process(bytes, finishing: false)
    }

    /// Declares the end of the file and returns the last records.
    /// - Throws: `TabularError.unterminatedQuote` if the file ends inside a quoted field.
    public mutating func finish() throws(TabularError) -> [CSVRecord] {
        try process(EmptyCollection(), finishing: true)
    }

    /// Reads a whole file held in memory, for small imports; streaming callers use `consume(_:)` and `finish()`.
    public static func parse(
        _ bytes: some Collection<UInt8>, options: Options = Options()
    ) throws(TabularError) -> [CSVRecord] {
        var parser = CSVParser(options: options)
        var records = try parser.consume(bytes)
        records += try parser.finish()
        return records
    }

    private mutating func process(_ bytes: some Collection<UInt8>, finishing: Bool) throws(TabularError) -> [CSVRecord]
    {
        var records: [CSVRecord] = []
        let failure = withContiguousBytes(bytes) { input -> TabularError? in
            do throws(TabularError) {
                try process(input, finishing: finishing, into: &records)
                return nil
            } catch {
                return error
            }
        }
        if let failure { throw failure }
        return records
    }

    private mutating func process(
        _ input: UnsafeBufferPointer<UInt8>, finishing: Bool, into records: inout [CSVRecord]
    ) throws(TabularError) {
        if decoder.passesInputThrough {
            try tokenizer.consume(input, into: &records)
        } else {
            decoded.removeAll(keepingCapacity: true)
            var decodingFailure: IncrementalTextDecoder.Failure?
            do throws(IncrementalTextDecoder.Failure) {
                try decoder.decode(input, finishing: finishing, into: &decoded)
            } catch {
                decodingFailure = error
            }
            // Text before the bad bytes is parsed first, so that the error names the line the bad bytes are on
            // and any earlier problem in the file is reported before it.
            try decoded.withUnsafeBufferPointer { buffer throws(TabularError) in
                try tokenizer.consume(buffer, into: &records)
            }
            if let decodingFailure {
                // Lines are only counted once the delimiter is known, so settle it on what has been read.
                try tokenizer.settleDelimiter(into: &records)
                throw decodingFailure.tabularError(line: tokenizer.currentLine)
            }
        }
        if finishing { try tokenizer.finish(into: &records) }
    }
}

/// The byte-level CSV state machine. Its input is UTF-8, in which every byte it looks for (delimiter, quote, CR,
/// LF) can only stand for itself; that is why GB18030 is converted before tokenizing and not after (a GB18030
/// trail byte can be 0x7C, the pipe).
struct CSVTokenizer: Sendable {
    /// How many lines with content (blank lines do not count) the delimiter detector wants to see before deciding.
    static let detectionLines = 10
    /// How many bytes the detector holds at most, should the first lines be very long.
    static let detectionBytes = 64 * 1024

    private enum State {
        case fieldStart
        case unquoted
        case quoted
        /// Just read a quote inside a quoted field: either the first of a doubled quote or the closing quote.
        case quoteInQuoted
    }

    private(set) var delimiter: CSVDelimiter?
    let maxFieldBytes: Int
    let maxColumns: Int

    private var state = State.fieldStart
    private var field: [UInt8] = []
    private var fields: [String] = []
    /// Whether the current record has any byte yet; a line break before the first byte is an empty line.
    private var recordStarted = false
    /// The 1-based physical line of the next byte.
    private(set) var currentLine = 1
    private var recordLine = 1
    private var quoteLine = 1
    private var previousWasCR = false

    private var detectionSample: [UInt8] = []
    private var detectionLines = 0
    private var detectionLineHasContent = false
    private var detectionInQuotes = false

    init(delimiter: CSVDelimiter?, maxFieldBytes: Int, maxColumns: Int) {
        self.delimiter = delimiter
        self.maxFieldBytes = maxFieldBytes
        self.maxColumns = maxColumns
    }

    mutating func consume(_ input: UnsafeBufferPointer<UInt8>, into records: inout [CSVRecord]) throws(TabularError) {
        guard let delimiter else {
            try sample(input, into: &records)
            return
        }
        try tokenize(input, delimiter: delimiter.rawValue, into: &records)
    }

    /// Decides the delimiter from the sample read so far, if it is still undecided.
    mutating func settleDelimiter(into records: inout [CSVRecord]) throws(TabularError) {
        if delimiter == nil { try decideDelimiter(sampleIsWholeInput: false, into: &records) }
    }

    mutating func finish(into records: inout [CSVRecord]) throws(TabularError) {
        if delimiter == nil { try decideDelimiter(sampleIsWholeInput: true, into: &records) }
        switch state {
        case .quoted:
            throw .unterminatedQuote(line: quoteLine)
        case .fieldStart, .unquoted, .quoteInQuoted:
            if recordStarted { try endRecord(into: &records) }
        }
    }

    private mutating func sample(_ input: UnsafeBufferPointer<UInt8>, into records: inout [CSVRecord])
        throws(TabularError)
    {
        // The sample ends exactly after the line that completes `detectionLines` lines with content (counted as
        // `CSVDelimiter.detect` counts them), or at `detectionBytes`: where the chunks of the file begin and end
        // must not change what the detector sees. The rest of the chunk is then read with the delimiter chosen.
        var cut: Int?
        for index in 0..<input.count {
            let byte = input[index]
            if byte == ASCII.quote {
                detectionInQuotes.toggle()
                detectionLineHasContent = true
            } else if (byte == ASCII.lineFeed || byte == ASCII.carriageReturn) && !detectionInQuotes {
                if detectionLineHasContent { detectionLines += 1 }
                detectionLineHasContent = false
            } else {
                detectionLineHasContent = true
            }
            if detectionLines >= Self.detectionLines || detectionSample.count + index + 1 >= Self.detectionBytes {
                cut = index + 1
                break
            }
        }
        guard let cut else {
            detectionSample.append(contentsOf: input)
            return
        }
        detectionSample.append(contentsOf: UnsafeBufferPointer(rebasing: input[..<cut]))
        try decideDelimiter(sampleIsWholeInput: false, into: &records)
        if cut < input.count, let delimiter {
            try tokenize(UnsafeBufferPointer(rebasing: input[cut...]), delimiter: delimiter.rawValue, into: &records)
        }
    }

    private mutating func decideDelimiter(sampleIsWholeInput: Bool, into records: inout [CSVRecord])
        throws(TabularError)
    {
        let sample = detectionSample
        detectionSample = []
        let chosen = sample.withUnsafeBufferPointer {
            CSVDelimiter.detect(in: $0, sampleIsWholeInput: sampleIsWholeInput)
        }
        delimiter = chosen
        try sample.withUnsafeBufferPointer { buffer throws(TabularError) in
            try tokenize(buffer, delimiter: chosen.rawValue, into: &records)
        }
    }

    private mutating func tokenize(
        _ input: UnsafeBufferPointer<UInt8>, delimiter: UInt8, into records: inout [CSVRecord]
    ) throws(TabularError) {
        guard let base = input.baseAddress else { return }
        let end = input.count
        var index = 0
        while index < end {
            switch state {
            case .fieldStart:
                let byte = base[index]
                if byte == ASCII.quote {
                    startRecordIfNeeded()
                    state = .quoted
                    quoteLine = currentLine
                    previousWasCR = false
                    index += 1
                } else if byte == delimiter {
                    startRecordIfNeeded()
                    try endField()
                    previousWasCR = false
                    index += 1
                } else if byte == ASCII.lineFeed || byte == ASCII.carriageReturn {
                    countLineBreak(byte)
                    if recordStarted { try endRecord(into: &records) }
                    index += 1
                } else {
                    startRecordIfNeeded()
                    state = .unquoted
                }

            case .unquoted:
                var scan = index
                while scan < end {
                    let byte = base[scan]
                    if byte == delimiter || byte == ASCII.lineFeed || byte == ASCII.carriageReturn { break }
                    scan += 1
                }
                if scan > index {
                    try appendToField(base + index, count: scan - index)
                    previousWasCR = false
                }
                index = scan
                guard index < end else { break }
                let byte = base[index]
                index += 1
                state = .fieldStart
                if byte == delimiter {
                    try endField()
                } else {
                    countLineBreak(byte)
                    try endRecord(into: &records)
                }

            case .quoted:
                var scan = index
                while scan < end {
                    let byte = base[scan]
                    if byte == ASCII.quote || byte == ASCII.lineFeed || byte == ASCII.carriageReturn { break }
                    scan += 1
                }
                if scan > index {
                    try appendToField(base + index, count: scan - index)
                    previousWasCR = false
                }
                index = scan
                guard index < end else { break }
                let byte = base[index]
                index += 1
                if byte == ASCII.quote {
                    state = .quoteInQuoted
                    previousWasCR = false
                } else {
                    // A line break inside quotes is part of the value, kept exactly as written.
                    countLineBreak(byte)
                    try appendToField(base + index - 1, count: 1)
                }

            case .quoteInQuoted:
                let byte = base[index]
                if byte == ASCII.quote {
                    try appendToField(base + index, count: 1)
                    state = .quoted
                    previousWasCR = false
                    index += 1
                } else if byte == delimiter {
                    try endField()
                    state = .fieldStart
                    previousWasCR = false
                    index += 1
                } else if byte == ASCII.lineFeed || byte == ASCII.carriageReturn {
                    countLineBreak(byte)
                    try endRecord(into: &records)
                    state = .fieldStart
                    index += 1
                } else {
                    // `"abc"def`: keep going as an unquoted field, as spreadsheets do.
                    state = .unquoted
                }
            }
        }
    }

    private mutating func startRecordIfNeeded() {
        if !recordStarted {
            recordStarted = true
            recordLine = currentLine
        }
    }

    /// LF, CR and CR LF each end one physical line.
    private mutating func countLineBreak(_ byte: UInt8) {
        if byte == ASCII.carriageReturn {
            currentLine += 1
            previousWasCR = true
        } else {
            if !previousWasCR { currentLine += 1 }
            previousWasCR = false
        }
    }

    private mutating func appendToField(_ start: UnsafePointer<UInt8>, count: Int) throws(TabularError) {
        guard field.count + count <= maxFieldBytes else {
            throw .fieldTooLong(line: recordLine, column: fields.count + 1, limit: maxFieldBytes)
        }
        field.append(contentsOf: UnsafeBufferPointer(start: start, count: count))
    }

    private mutating func endField() throws(TabularError) {
        guard fields.count < maxColumns else { throw .tooManyColumns(line: recordLine, limit: maxColumns) }
        // Validated here rather than by the decoder so that the error can name the record's line.
        // (`String(validating:as:)` would do, but it is not specialised for UTF-8 and costs a third of the parse.)
        let isValid = field.withUnsafeBufferPointer { UTF8Validation.check($0).status == .valid }
        guard isValid else { throw .invalidText(.utf8, line: recordLine) }
        fields.append(String(decoding: field, as: UTF8.self))
        field.removeAll(keepingCapacity: true)
    }

    private mutating func endRecord(into records: inout [CSVRecord]) throws(TabularError) {
        try endField()
        let width = fields.count
        records.append(CSVRecord(fields: fields, line: recordLine))
        fields = []
        fields.reserveCapacity(width)
        recordStarted = false
        state = .fieldStart
    }
}
