/// A text encoding the tabular readers can decode.
public enum TextEncoding: String, Sendable, Hashable, Codable {
    case utf8 = "UTF-8"
    /// GB 18030, a superset of GBK and GB 2312: what Excel and WPS write on Chinese Windows ("ANSI").
    case gb18030 = "GB18030"
}

/// Which encoding to decode input with: the caller's choice, or detection from the bytes.
public enum TextEncodingChoice: String, Sendable, Hashable, Codable, CaseIterable {
    /// A UTF-8 byte order mark means UTF-8; otherwise text that is valid UTF-8 is UTF-8 and anything else GB18030.
    case auto
    case utf8
    case gb18030

    /// Accepts the names people type for these encodings, ignoring case: `auto`, `utf-8`/`utf8`, and
    /// `gb18030`/`gbk`/`gb2312`/`cp936` (all read as GB18030, which contains the others).
    public init?(label: String) {
        switch label.lowercased() {
        case "auto": self = .auto
        case "utf-8", "utf8": self = .utf8
        case "gb18030", "gbk", "gb2312", "cp936": self = .gb18030
        default: return nil
        }
    }
}

/// Turns bytes in UTF-8 (with or without a byte order mark) or GB18030 into UTF-8, a chunk at a time.
///
/// A multi-byte character may be split across chunks; its first bytes are held until the rest arrives. In `.auto`
/// mode the decoder forwards a leading ASCII-only stretch at once (it reads the same in both encodings) and then
/// holds at most a few kilobytes, starting at the first non-ASCII byte, until it can tell UTF-8 from GB18030.
public struct IncrementalTextDecoder: Sendable {
    /// How much text from the first non-ASCII byte on is examined before settling on UTF-8. Short GB18030
    /// snippets can happen to be valid UTF-8; a few kilobytes of Chinese text practically never are.
    static let detectionWindow = 4096

    enum Phase: Sendable {
        /// Waiting for the first bytes, to look for a byte order mark.
        case start
        /// `.auto` has not seen enough non-ASCII text to decide.
        case undecided
        case utf8
        case gb18030(GB18030Converter)
    }

    /// Why decoding stopped; the caller turns it into a `TabularError` that names the line.
    enum Failure: Error {
        case invalid(TextEncoding)
        case unsupported(name: String)
        case unavailable(TextEncoding)
    }

    public let choice: TextEncodingChoice
    /// When false, UTF-8 input is passed through unchecked because the consumer validates it (the CSV parser does,
    /// per field, so that it can name the line).
    let validatesUTF8: Bool
    private(set) var phase: Phase = .start
    /// Bytes received but not yet decoded: a possible byte order mark, the detection window, or an incomplete
    /// character at the end of the last chunk.
    private var held: [UInt8] = []
    private var lineCounter = LineCounter()

    /// The encoding in use, or `nil` while `.auto` is still deciding.
    public private(set) var encoding: TextEncoding?
    /// Whether the input started with a UTF-8 or GB18030 byte order mark (which is not passed on).
    public private(set) var hadByteOrderMark = false

    public init(_ choice: TextEncodingChoice = .auto) {
        self.init(choice, validatesUTF8: true)
    }

    init(_ choice: TextEncodingChoice, validatesUTF8: Bool) {
        self.choice = choice
        self.validatesUTF8 = validatesUTF8
    }

    /// Decodes the next chunk and returns the UTF-8 bytes that are complete so far.
    public mutating func decode(_ bytes: some Collection<UInt8>) throws(TabularError) -> [UInt8] {
        try decodeCountingLines(bytes, finishing: false)
    }

    /// Declares the end of the input and returns the remaining UTF-8 bytes.
    /// - Throws: `TabularError.invalidText` if the input ends in the middle of a character.
    public mutating func finish() throws(TabularError) -> [UInt8] {
        try decodeCountingLines(EmptyCollection(), finishing: true)
    }

    private mutating func decodeCountingLines(
        _ bytes: some Collection<UInt8>, finishing: Bool
    ) throws(TabularError) -> [UInt8] {
        var output: [UInt8] = []
        let failure = withContiguousBytes(bytes) { buffer -> Failure? in
            do throws(Failure) {
                try decode(buffer, finishing: finishing, into: &output)
                return nil
            } catch {
                return error
            }
        }
        lineCounter.count(output)
        if let failure { throw failure.tabularError(line: lineCounter.currentLine) }
        return output
    }

    /// True once input can go straight to a consumer that validates UTF-8 itself: nothing held, nothing to convert.
    var passesInputThrough: Bool {
        if case .utf8 = phase, !validatesUTF8, held.isEmpty { return true }
        return false
    }

    /// Appends the UTF-8 form of `input` to `output`. On failure everything decoded before the bad bytes has been
    /// appended, so the caller can count lines up to the error.
    mutating func decode(
        _ input: UnsafeBufferPointer<UInt8>, finishing: Bool, into output: inout [UInt8]
    ) throws(Failure) {
        switch phase {
        case .start:
            held.append(contentsOf: input)
            // Four bytes are enough to recognise every byte order mark.
            guard held.count >= 4 || finishing else { return }
            let pending = held
            held = []
            let bodyStart = try chooseInitialPhase(for: pending)
            try decode(Array(pending[bodyStart...]), finishing: finishing, into: &output)
        case .undecided:
            try detect(input, finishing: finishing, into: &output)
        case .utf8:
            try decodeUTF8(input, finishing: finishing, into: &output)
        case .gb18030(let converter):
            try decodeGB18030(input, with: converter, finishing: finishing, into: &output)
        }
    }

    /// Looks for a byte order mark, sets the phase, and returns the offset where the text itself starts.
    private mutating func chooseInitialPhase(for prefix: [UInt8]) throws(Failure) -> Int {
        func starts(with mark: [UInt8]) -> Bool { prefix.starts(with: mark) }
        // UTF-32 marks are tested first because the UTF-16 LE mark is a prefix of the UTF-32 LE one.
        if starts(with: [0xFF, 0xFE, 0x00, 0x00]) || starts(with: [0x00, 0x00, 0xFE, 0xFF]) {
            throw .unsupported(name: "UTF-32")
        }
        if starts(with: [0xFF, 0xFE]) || starts(with: [0xFE, 0xFF]) {
            throw .unsupported(name: "UTF-16")
        }
        let utf8Mark: [UInt8] = [0xEF, 0xBB, 0xBF]
        let gb18030Mark: [UInt8] = [0x84, 0x31, 0x95, 0x33]
        switch choice {
        case .auto where starts(with: utf8Mark), .utf8 where starts(with: utf8Mark):
            hadByteOrderMark = true
            try select(.utf8)
            return utf8Mark.count
        case .auto where starts(with: gb18030Mark), .gb18030 where starts(with: gb18030Mark):
            hadByteOrderMark = true
            try select(.gb18030)
            return gb18030Mark.count
        case .auto:
            phase = .undecided
        case .utf8:
            try select(.utf8)
        case .gb18030:
            try select(.gb18030)
        }
        return 0
    }

    private mutating func select(_ chosen: TextEncoding) throws(Failure) {
        switch chosen {
        case .utf8:
            phase = .utf8
        case .gb18030:
            guard let converter = GB18030Converter() else { throw .unavailable(.gb18030) }
            phase = .gb18030(converter)
        }
        encoding = chosen
    }

    private mutating func detect(
        _ input: UnsafeBufferPointer<UInt8>, finishing: Bool, into output: inout [UInt8]
    ) throws(Failure) {
        var rest = input[...]
        if held.isEmpty {
            let asciiLength = UTF8Validation.asciiPrefixLength(input)
            output.append(contentsOf: input[..<asciiLength])
            rest = input[asciiLength...]
        }
        held.append(contentsOf: rest)
        if held.isEmpty {
            if finishing { try select(.utf8) }
            return
        }
        let verdict = held.withUnsafeBufferPointer { UTF8Validation.check($0) }
        let decided: TextEncoding
        switch verdict.status {
        case .invalid:
            decided = .gb18030
        case .truncated where finishing:
            decided = .gb18030
        case .valid, .truncated:
            guard held.count >= Self.detectionWindow || finishing else { return }
            decided = .utf8
        }
        try select(decided)
        let pending = held
        held = []
        try decode(pending, finishing: finishing, into: &output)
    }

    /// Decodes bytes that were held back, once the phase that decides how to read them is known.
    private mutating func decode(_ pending: [UInt8], finishing: Bool, into output: inout [UInt8]) throws(Failure) {
        let failure = pending.withUnsafeBufferPointer { buffer -> Failure? in
            do throws(Failure) {
                try decode(buffer, finishing: finishing, into: &output)
                return nil
            } catch {
                return error
            }
        }
        if let failure { throw failure }
    }

    private mutating func decodeUTF8(
        _ input: UnsafeBufferPointer<UInt8>, finishing: Bool, into output: inout [UInt8]
    ) throws(Failure) {
        guard validatesUTF8 else {
            output.append(contentsOf: input)
            return
        }
        var pending = held
        held = []
        pending.append(contentsOf: input)
        let verdict = pending.withUnsafeBufferPointer { UTF8Validation.check($0) }
        output.append(contentsOf: pending[..<verdict.validLength])
        switch verdict.status {
        case .valid:
            return
        case .truncated where !finishing:
            held = Array(pending[verdict.validLength...])
        case .truncated, .invalid:
            throw .invalid(.utf8)
        }
    }

    private mutating func decodeGB18030(
        _ input: UnsafeBufferPointer<UInt8>, with converter: GB18030Converter, finishing: Bool,
        into output: inout [UInt8]
    ) throws(Failure) {
        let outcome: GB18030Converter.Outcome
        if held.isEmpty {
            outcome = converter.convert(input, into: &output)
            if case .incomplete(let consumed) = outcome { held = Array(input[consumed...]) }
        } else {
            var pending = held
            pending.append(contentsOf: input)
            outcome = pending.withUnsafeBufferPointer { converter.convert($0, into: &output) }
            held = []
            if case .incomplete(let consumed) = outcome { held = Array(pending[consumed...]) }
        }
        switch outcome {
        case .complete:
            return
        case .incomplete where !finishing:
            return
        case .incomplete, .invalid:
            throw .invalid(.gb18030)
        }
    }
}

extension IncrementalTextDecoder.Failure {
    func tabularError(line: Int) -> TabularError {
        switch self {
        case .invalid(let encoding): .invalidText(encoding, line: line)
        case .unsupported(let name): .unsupportedEncoding(name: name)
        case .unavailable(let encoding): .encodingUnavailable(encoding)
        }
    }
}

/// Counts physical lines the way editors do: LF, CR and CR LF each end one line.
struct LineCounter: Sendable {
    /// The 1-based number of the line the next byte belongs to.
    private(set) var currentLine = 1
    private var previousWasCR = false

    mutating func count(_ bytes: [UInt8]) {
        for byte in bytes {
            if byte == ASCII.carriageReturn {
                currentLine += 1
                previousWasCR = true
            } else {
                if byte == ASCII.lineFeed && !previousWasCR { currentLine += 1 }
                previousWasCR = false
            }
        }
    }
}

/// Byte values the readers and writers look for.
enum ASCII {
    static let tab: UInt8 = 0x09
    static let lineFeed: UInt8 = 0x0A
    static let carriageReturn: UInt8 = 0x0D
    static let quote: UInt8 = 0x22
}

/// Calls `body` with the bytes in contiguous memory, copying only if the collection is not contiguous already.
func withContiguousBytes<Result>(
    _ bytes: some Collection<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> Result
) -> Result {
    if let result = bytes.withContiguousStorageIfAvailable(body) { return result }
    return Array(bytes).withUnsafeBufferPointer(body)
}

/// UTF-8 well-formedness as Unicode defines it: no overlong forms, no surrogates, nothing above U+10FFFF.
enum UTF8Validation {
    enum Status {
        case valid
        /// Everything is valid except that the input ends partway through a character.
        case truncated
        case invalid
    }

    /// `validLength` is how many leading bytes form complete, valid characters.
    static func check(_ bytes: UnsafeBufferPointer<UInt8>) -> (validLength: Int, status: Status) {
        var index = 0
        let count = bytes.count
        while index < count {
            index += asciiPrefixLength(UnsafeBufferPointer(rebasing: bytes[index...]))
            guard index < count else { break }
            let lead = bytes[index]
            let length: Int
            var secondRange: ClosedRange<UInt8> = 0x80...0xBF
            switch lead {
            case 0xC2...0xDF: length = 2
            case 0xE0:
                length = 3
                secondRange = 0xA0...0xBF
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED:
                length = 3
                secondRange = 0x80...0x9F
            case 0xF0:
                length = 4
                secondRange = 0x90...0xBF
            case 0xF1...0xF3: length = 4
            case 0xF4:
                length = 4
                secondRange = 0x80...0x8F
            default: return (index, .invalid)
            }
            for offset in 1..<length {
                guard index + offset < count else { return (index, .truncated) }
                let range = offset == 1 ? secondRange : 0x80...0xBF
                guard range.contains(bytes[index + offset]) else { return (index, .invalid) }
            }
            index += length
        }
        return (count, .valid)
    }

    /// The length of the leading run of ASCII bytes, checked eight at a time.
    static func asciiPrefixLength(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        guard let base = bytes.baseAddress else { return 0 }
        let count = bytes.count
        var index = 0
        let raw = UnsafeRawPointer(base)
        while index + 8 <= count {
            let word = raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            if word & 0x8080_8080_8080_8080 != 0 { break }
            index += 8
        }
        while index < count, bytes[index] < 0x80 { index += 1 }
        return index
    }
}
