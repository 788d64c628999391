/// A field separator the CSV reader recognises and the writer can emit.
public enum CSVDelimiter: UInt8, Sendable, Hashable, Codable, CaseIterable {
    case comma = 0x2C
    case semicolon = 0x3B
    case tab = 0x09
    case pipe = 0x7C

    /// Guesses the delimiter from the first lines of a file (a whole small file, or a sample of a large one).
    ///
    /// A delimiter wins if it appears in the first line and the same number of times in every other sampled line;
    /// among those, the one that splits the first line into the most fields. Occurrences inside quotes do not count.
    /// With no candidate at all the file is read as one column separated by commas.
    public static func detect(in sample: some Collection<UInt8>) -> CSVDelimiter {
        withContiguousBytes(sample) { detect(in: $0, sampleIsWholeInput: true) }
    }

    static func detect(in sample: UnsafeBufferPointer<UInt8>, sampleIsWholeInput: Bool) -> CSVDelimiter {
        var lineCounts: [[Int]] = []
        var current = [Int](repeating: 0, count: allCases.count)
        var lineHasContent = false
        var inQuotes = false
        for byte in sample {
            if byte == ASCII.quote {
                inQuotes.toggle()
                lineHasContent = true
            } else if !inQuotes && (byte == ASCII.lineFeed || byte == ASCII.carriageReturn) {
                if lineHasContent { lineCounts.append(current) }
                current = [Int](repeating: 0, count: allCases.count)
                lineHasContent = false
            } else {
                lineHasContent = true
                if !inQuotes, let index = allCases.firstIndex(where: { $0.rawValue == byte }) {
                    current[index] += 1
                }
            }
        }
        // A last line without a newline is only trusted when nothing more can follow it.
        if lineHasContent && (sampleIsWholeInput || lineCounts.isEmpty) { lineCounts.append(current) }
        guard let firstLine = lineCounts.first else { return .comma }

        var best: (delimiter: CSVDelimiter, consistent: Bool, fields: Int)?
        for (index, candidate) in allCases.enumerated() where firstLine[index] > 0 {
            let consistent = lineCounts.allSatisfy { $0[index] == firstLine[index] }
            let isBetter: Bool
            if let best {
                isBetter =
                    (consistent && !best.consistent)
                    || (consistent == best.consistent && firstLine[index] > best.fields)
            } else {
                isBetter = true
            }
            if isBetter { best = (candidate, consistent, firstLine[index]) }
        }
        return best?.delimiter ?? .comma
    }
}
