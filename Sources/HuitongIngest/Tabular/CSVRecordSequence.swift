/// The records of a CSV file whose bytes arrive as an asynchronous sequence of chunks (an HTTP request body, a
/// file read in pieces). Only one chunk and the records it completes are held at a time.
public struct CSVRecordSequence<Base: AsyncSequence>: AsyncSequence
where Base.Element: Collection, Base.Element.Element == UInt8 {
    public typealias Element = CSVRecord
    public typealias Failure = any Error

    let base: Base
    let options: CSVParser.Options

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(chunks: base.makeAsyncIterator(), parser: CSVParser(options: options))
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var chunks: Base.AsyncIterator
        var parser: CSVParser
        var ready: [CSVRecord] = []
        var readyIndex = 0
        var finished = false

        public mutating func next() async throws -> CSVRecord? {
            while readyIndex == ready.count {
                if finished { return nil }
                if let chunk = try await chunks.next() {
                    ready = try parser.consume(chunk)
                } else {
                    ready = try parser.finish()
                    finished = true
                }
                readyIndex = 0
            }
            defer { readyIndex += 1 }
            return ready[readyIndex]
        }
    }
}

extension CSVRecordSequence: Sendable where Base: Sendable {}

extension AsyncSequence where Element: Collection, Element.Element == UInt8 {
    /// Parses these byte chunks as a CSV file, yielding each record once it is complete.
    public func csvRecords(options: CSVParser.Options = CSVParser.Options()) -> CSVRecordSequence<Self> {
        CSVRecordSequence(base: self, options: options)
    }
}
