import Foundation
import ZIPFoundation

/// Writes the parts of an Office Open XML package into a ZIP archive in memory.
enum ZipPackage {
    /// One file of the package. Its contents may be given in pieces, so that a large sheet's rows need not be
    /// copied once more just to put the XML header and footer around them.
    struct Part {
        var path: String
        var segments: [[UInt8]]

        init(path: String, segments: [[UInt8]]) {
            self.path = path
            self.segments = segments
        }

        init(_ path: String, _ contents: [UInt8]) {
            self.init(path: path, segments: [contents])
        }

        var size: Int { segments.reduce(0) { $0 + $1.count } }

        /// `size` bytes from `position`, which may span segments.
        func bytes(at position: Int, size: Int) -> Data {
            var result = Data(capacity: size)
            var segmentStart = 0
            for segment in segments {
                let segmentEnd = segmentStart + segment.count
                let from = max(position, segmentStart)
                let to = min(position + size, segmentEnd)
                if from < to { result.append(contentsOf: segment[(from - segmentStart)..<(to - segmentStart)]) }
                if segmentEnd >= position + size { break }
                segmentStart = segmentEnd
            }
            return result
        }
    }

    /// A fixed modification time, so that the same workbook always produces the same bytes (stable checksums
    /// for downloads and caches).
    private static let modificationDate = Date(timeIntervalSince1970: 946_684_800)

    static func make(_ parts: [(path: String, contents: [UInt8])]) throws(TabularError) -> Data {
        try make(parts.map { Part($0.path, $0.contents) })
    }

    static func make(_ parts: [Part]) throws(TabularError) -> Data {
        do {
            let archive = try Archive(data: Data(), accessMode: .create)
            for part in parts {
                try archive.addEntry(
                    with: part.path, type: .file, uncompressedSize: Int64(part.size),
                    modificationDate: modificationDate, compressionMethod: .deflate
                ) { position, size in
                    part.bytes(at: Int(position), size: size)
                }
            }
            guard let data = archive.data else { throw TabularError.archiveWriteFailed("no archive data") }
            return data
        } catch let error as TabularError {
            throw error
        } catch {
            throw .archiveWriteFailed(String(describing: error))
        }
    }
}
