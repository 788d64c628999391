import Foundation
import ZIPFoundation

/// Reads one entry's bytes strictly within the range the ZIP's own headers give it.
///
/// ZIPFoundation's `Archive.extract` inflates until the deflate stream says it has ended, reading past the entry and,
/// at the end of the file, asking again for ever: a 1.2 KB workbook whose stream never ends kept a load at 100 % CPU
/// indefinitely (found by FuzzXLSX). Here the compressed bytes are read from the entry's own range only; a stream
/// that has not ended when they run out is a damaged file.
struct ZipEntryReader {
    struct Damaged: Error {}

    let url: URL

    /// Streams the decompressed bytes of `entry` to `consumer`, in chunks of up to `bufferSize`, and checks the
    /// checksum unless asked not to.
    func extract(
        _ entry: Entry, bufferSize: Int, checkCRC32: Bool, consumer: (Data) throws -> Void
    ) throws {
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        let fileSize = try handle.seekToEnd()
        let location = try Self.localHeaderOffset(of: entry, handle: handle, fileSize: fileSize)
        try handle.seek(toOffset: location)
        let header = try handle.read(upToCount: 30) ?? Data()
        guard header.count == 30, header.littleEndian(UInt32.self, at: 0) == 0x0403_4b50 else { throw Damaged() }
        let start =
            location + 30 + UInt64(header.littleEndian(UInt16.self, at: 26))
            + UInt64(header.littleEndian(UInt16.self, at: 28))
        let size = entry.compressedSize
        guard start <= fileSize, size <= fileSize - start else { throw Damaged() }
        try handle.seek(toOffset: start)
        var remaining = size
        func next(_ wanted: Int) throws -> Data {
            // Asked for more after the last byte: the stream did not end where the headers say the entry does.
            guard remaining > 0 else { throw Damaged() }
            let count = Int(min(UInt64(max(wanted, 1)), remaining))
            let chunk = try handle.read(upToCount: count) ?? Data()
            guard chunk.count == count else { throw Damaged() }
            remaining -= UInt64(count)
            return chunk
        }
        var checksum: CRC32 = 0
        if entry.isCompressed {
            checksum = try Data.decompress(
                size: Int64(size), bufferSize: bufferSize, skipCRC32: !checkCRC32,
                provider: { _, wanted in try next(wanted) }, consumer: consumer)
        } else {
            while remaining > 0 {
                let chunk = try next(bufferSize)
                if checkCRC32 { checksum = chunk.crc32(checksum: checksum) }
                try consumer(chunk)
            }
        }
        if checkCRC32, checksum != entry.checksum { throw Damaged() }
    }

    /// Where the entry's local header starts, from its record in the central directory (ZIP64 included).
    private static func localHeaderOffset(of entry: Entry, handle: FileHandle, fileSize: UInt64) throws -> UInt64 {
        let directory = try CentralDirectory.read(handle, fileSize: fileSize)
        guard let offset = directory.localHeaderOffsets[entry.path] else { throw Damaged() }
        return offset
    }
}

/// The central directory's record of where each entry's local header lies.
private struct CentralDirectory {
    var localHeaderOffsets: [String: UInt64] = [:]

    /// The most entries read: a workbook has a few dozen parts.
    static let maximumEntries = 100_000
    /// The largest central directory read.
    static let maximumBytes: UInt64 = 64 << 20

    static func read(_ handle: FileHandle, fileSize: UInt64) throws -> CentralDirectory {
        // The end-of-central-directory record is 22 bytes plus a comment of up to 65,535.
        let tailLength = min(fileSize, 22 + 65_535)
        try handle.seek(toOffset: fileSize - tailLength)
        let tail = try handle.read(upToCount: Int(tailLength)) ?? Data()
        guard tail.count >= 22,
            let end = stride(from: tail.count - 22, through: 0, by: -1).first(where: {
                tail.littleEndian(UInt32.self, at: $0) == 0x0605_4b50
            })
        else { throw ZipEntryReader.Damaged() }
        var count = UInt64(tail.littleEndian(UInt16.self, at: end + 10))
        var size = UInt64(tail.littleEndian(UInt32.self, at: end + 12))
        var offset = UInt64(tail.littleEndian(UInt32.self, at: end + 16))
        if count == 0xFFFF || size == 0xFFFF_FFFF || offset == 0xFFFF_FFFF {
            // ZIP64: a locator just before the record points at the ZIP64 end record with the full-width values.
            let locatorAt = fileSize - tailLength + UInt64(end)
            guard locatorAt >= 20 else { throw ZipEntryReader.Damaged() }
            try handle.seek(toOffset: locatorAt - 20)
            let locator = try handle.read(upToCount: 20) ?? Data()
            guard locator.count == 20, locator.littleEndian(UInt32.self, at: 0) == 0x0706_4b50 else {
                throw ZipEntryReader.Damaged()
            }
            let recordAt = locator.littleEndian(UInt64.self, at: 8)
            guard recordAt <= fileSize - 56 else { throw ZipEntryReader.Damaged() }
            try handle.seek(toOffset: recordAt)
            let record = try handle.read(upToCount: 56) ?? Data()
            guard record.count == 56, record.littleEndian(UInt32.self, at: 0) == 0x0606_4b50 else {
                throw ZipEntryReader.Damaged()
            }
            count = record.littleEndian(UInt64.self, at: 32)
            size = record.littleEndian(UInt64.self, at: 40)
            offset = record.littleEndian(UInt64.self, at: 48)
        }
        guard count <= UInt64(maximumEntries), size <= maximumBytes, offset <= fileSize, size <= fileSize - offset
        else { throw ZipEntryReader.Damaged() }
        try handle.seek(toOffset: offset)
        let bytes = try handle.read(upToCount: Int(size)) ?? Data()
        guard bytes.count == Int(size) else { throw ZipEntryReader.Damaged() }
        var directory = CentralDirectory()
        var at = 0
        for _ in 0..<count {
            guard at + 46 <= bytes.count, bytes.littleEndian(UInt32.self, at: at) == 0x0201_4b50 else {
                throw ZipEntryReader.Damaged()
            }
            let nameLength = Int(bytes.littleEndian(UInt16.self, at: at + 28))
            let extraLength = Int(bytes.littleEndian(UInt16.self, at: at + 30))
            let commentLength = Int(bytes.littleEndian(UInt16.self, at: at + 32))
            let next = at + 46 + nameLength + extraLength + commentLength
            guard next <= bytes.count else { throw ZipEntryReader.Damaged() }
            let flags = bytes.littleEndian(UInt16.self, at: at + 8)
            let nameBytes = bytes[bytes.startIndex + at + 46..<bytes.startIndex + at + 46 + nameLength]
            // ZIPFoundation names entries the same way: UTF-8 when flagged, else code page 437 (ASCII in practice).
            let name =
                flags & 0x800 != 0
                ? String(decoding: nameBytes, as: UTF8.self)
                : String(data: nameBytes, encoding: .ascii) ?? String(decoding: nameBytes, as: UTF8.self)
            var localHeader = UInt64(bytes.littleEndian(UInt32.self, at: at + 42))
            if localHeader == 0xFFFF_FFFF {
                localHeader = try zip64LocalHeaderOffset(
                    bytes, extraAt: at + 46 + nameLength, extraLength: extraLength,
                    uncompressedIsWide: bytes.littleEndian(UInt32.self, at: at + 24) == 0xFFFF_FFFF,
                    compressedIsWide: bytes.littleEndian(UInt32.self, at: at + 20) == 0xFFFF_FFFF)
            }
            if directory.localHeaderOffsets[name] == nil { directory.localHeaderOffsets[name] = localHeader }
            at = next
        }
        return directory
    }

    /// The local header offset from an entry's ZIP64 extra field, whose values come in a fixed order, each present
    /// only when its 32-bit field is 0xFFFFFFFF.
    private static func zip64LocalHeaderOffset(
        _ bytes: Data, extraAt: Int, extraLength: Int, uncompressedIsWide: Bool, compressedIsWide: Bool
    ) throws -> UInt64 {
        var at = extraAt
        let end = extraAt + extraLength
        while at + 4 <= end {
            let id = bytes.littleEndian(UInt16.self, at: at)
            let length = Int(bytes.littleEndian(UInt16.self, at: at + 2))
            guard at + 4 + length <= end else { break }
            if id == 0x0001 {
                let skip = (uncompressedIsWide ? 8 : 0) + (compressedIsWide ? 8 : 0)
                guard skip + 8 <= length else { throw ZipEntryReader.Damaged() }
                return bytes.littleEndian(UInt64.self, at: at + 4 + skip)
            }
            at += 4 + length
        }
        throw ZipEntryReader.Damaged()
    }
}

extension Data {
    /// The little-endian integer at byte `offset` from the start; the caller has checked the length.
    fileprivate func littleEndian<Value: FixedWidthInteger>(_: Value.Type, at offset: Int) -> Value {
        var value: Value = 0
        for index in 0..<MemoryLayout<Value>.size {
            value |= Value(self[startIndex + offset + index]) << (8 * index)
        }
        return value
    }
}
