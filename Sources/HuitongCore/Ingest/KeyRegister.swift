import Foundation

/// The keys met so far in one delivered file, each with the row it first appeared in, so that a repeated key is
/// reported against its first row.
///
/// Keys are packed into one byte arena behind an open-addressing table: a million 18-character ID numbers take
/// about 60 MB, against some 150 MB for a dictionary of string arrays, which matters when a million-row load
/// must stay within a small memory budget.
public struct KeyRegister: Sendable {
    private struct Entry: Sendable {
        var offset: Int
        var length: Int32
        var row: Int32
        var hash: Int
    }

    private var arena: [UInt8] = []
    private var entries: [Entry] = []
    /// Indexes into `entries`, -1 for an empty slot; the count is a power of two, at most half full.
    private var slots: [Int32] = Array(repeating: -1, count: 1024)
    private var scratch: [UInt8] = []

    public init() {}

    public var count: Int { entries.count }

    /// Records the key made of `values` at `positions` (nil counts as empty), first seen in `row`. Returns the
    /// row it was first seen in when it was met before, and then records nothing.
    public mutating func insert(_ values: [String?], positions: [Int], row: Int) -> Int? {
        scratch.removeAll(keepingCapacity: true)
        if positions.count == 1 {
            if var value = values[positions[0]] { value.withUTF8 { scratch.append(contentsOf: $0) } }
        } else {
            for position in positions {
                // Each part is preceded by its length, so ("a", "bc") and ("ab", "c") never meet.
                var value = values[position] ?? ""
                withUnsafeBytes(of: UInt32(value.utf8.count).littleEndian) { scratch.append(contentsOf: $0) }
                value.withUTF8 { scratch.append(contentsOf: $0) }
            }
        }
        var hasher = Hasher()
        scratch.withUnsafeBytes { hasher.combine(bytes: $0) }
        let hash = hasher.finalize()
        let mask = slots.count - 1
        var slot = hash & mask
        while slots[slot] >= 0 {
            let entry = entries[Int(slots[slot])]
            if entry.hash == hash && equals(entry) { return Int(entry.row) }
            slot = (slot + 1) & mask
        }
        slots[slot] = Int32(entries.count)
        entries.append(Entry(offset: arena.count, length: Int32(scratch.count), row: Int32(clamping: row), hash: hash))
        arena.append(contentsOf: scratch)
        if entries.count * 2 > slots.count { grow() }
        return nil
    }

    private func equals(_ entry: Entry) -> Bool {
        guard Int(entry.length) == scratch.count else { return false }
        guard !scratch.isEmpty else { return true }
        return arena.withUnsafeBufferPointer { stored in
            scratch.withUnsafeBufferPointer { key in
                memcmp(stored.baseAddress! + entry.offset, key.baseAddress!, key.count) == 0
            }
        }
    }

    private mutating func grow() {
        var larger = [Int32](repeating: -1, count: slots.count * 2)
        let mask = larger.count - 1
        for (index, entry) in entries.enumerated() {
            var slot = entry.hash & mask
            while larger[slot] >= 0 { slot = (slot + 1) & mask }
            larger[slot] = Int32(index)
        }
        slots = larger
    }
}
