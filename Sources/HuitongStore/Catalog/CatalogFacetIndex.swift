import Foundation
import HuitongCore
import SQLKit
import Synchronization

/// A node's in-memory projection of the fields catalog search filters, counts and sorts on.
///
/// Facet counts over a query that matches half of a 100,000-entry catalog cost SQLite some 150 ms however the
/// SQL is written (every matching row must be visited); over this projection they cost a few milliseconds. The
/// projection is derived data, never the truth: every catalog write appends the entry's id to `catalog_changes`
/// in its transaction, and each search first applies the changes it has not seen, so every node (several may
/// share one PostgreSQL) answers from the committed state.
///
/// The layout is columnar: one array per field, facet values replaced by small integer codes, names in one byte
/// buffer. Filtering and counting tens of thousands of rows is then array arithmetic, with no hashing and no
/// reference counting per row.
///
/// On PostgreSQL the projection also holds each entry's search text and, for every character and pair of adjacent
/// characters, the rows holding it (`indexesText`). PostgreSQL has no index that answers a common word fast: an
/// index over grams still visits each of the 50,000 entries 登记 finds in 100,000 (135–200 ms from the entries'
/// table, 16 ms even from a narrow table of grams), while these lists hand the rows over without visiting any.
/// They cost about 1 KB an entry (the text, and some 150 grams of 4 bytes each on the benchmark's catalog) and
/// are kept fresh by the same change log as the facets.
final class CatalogFacetIndex: Sendable {
    /// One entry's fields as read from the database.
    struct RawRow: Sendable {
        var id: Int64
        var status: String
        var departmentID: Int64
        var classification: String
        var shareType: String
        var openness: String
        var updateCycle: String
        var grade: String
        var formats: [String] = []
        var keywords: [String] = []
        var name: String
        /// The entry's `search_text` (already lower-cased), when the index matches text itself.
        var searchText: String?
        /// A mounted API or file, or a mounted table holding rows.
        var hasData = false
        /// When its data (or, never loaded, the entry) last changed, seconds since 1970: the 最新 order.
        var freshness: Double = 0

        /// The row's value of each single-valued facet, in `Columns.singleFacets` order.
        var singleValues: [String] {
            [String(departmentID), String(classification.prefix(3)), shareType, openness, updateCycle, grade]
        }
    }

    /// Where a name holds a search text.
    enum NameMatch {
        case whole, start, within, absent
    }

    struct Columns: Sendable {
        static let singleFacets: [CatalogFacet] = [
            .department, .classification, .shareType, .openness, .updateCycle, .grade,
        ]
        static let statuses = EntryStatus.allCases.map(\.rawValue)

        var position: [Int64: Int] = [:]
        /// `position` again as an array indexed by id, holding row + 1 (0: none), for ids dense enough to keep
        /// it small: a common word gives tens of thousands of ids to place, and an array is read several times
        /// faster than a dictionary.
        var densePosition: [Int32] = []
        var ids: [Int64] = []
        var present: [Bool] = []
        var status: [UInt8] = []
        var departmentID: [Int64] = []
        var classification: [String] = []
        /// Per single-valued facet, the code of each row's value.
        var single: [[Int32]] = Array(repeating: [], count: singleFacets.count)
        var formats: [[Int32]] = []
        var keywords: [[Int32]] = []
        var hasData: [Bool] = []
        var freshness: [Double] = []
        /// Lower-cased names as UTF-8, each row's bytes at `nameBytes[nameStart[row]..<nameEnd[row]]`.
        var nameBytes: [UInt8] = []
        var nameStart: [Int] = []
        var nameEnd: [Int] = []
        /// Facet values by code, and codes by value: single-valued facets first, then format, then keyword.
        var values: [[String]] = Array(repeating: [], count: singleFacets.count + 2)
        var codes: [[String: Int32]] = Array(repeating: [:], count: singleFacets.count + 2)

        static let formatSlot = singleFacets.count
        static let keywordSlot = singleFacets.count + 1

        /// Whether rows keep their search text and its grams (see `CatalogFacetIndex.indexesText`).
        var indexesText = false
        /// Search texts as UTF-8, each row's bytes at `textBytes[textStart[row]..<textEnd[row]]`.
        var textBytes: [UInt8] = []
        var textStart: [Int] = []
        var textEnd: [Int] = []
        /// For each gram (a character, or two adjacent characters, as `gramKey` packs them), the rows whose search
        /// text holds it, ascending. Rows are never rewritten in place (a changed entry gets a new row), so lists
        /// only grow at their end and stay sorted; the rows of replaced or removed entries stay listed until the
        /// next rebuild and are dropped by `present`.
        var postings: [UInt64: [Int32]] = [:]
        /// Rows left behind by entries that changed or went away.
        var deadRows = 0

        mutating func code(_ value: String, slot: Int) -> Int32 {
            if let code = codes[slot][value] { return code }
            let code = Int32(values[slot].count)
            values[slot].append(value)
            codes[slot][value] = code
            return code
        }

        mutating func put(_ raw: RawRow) {
            // A changed entry gets a new row: the gram lists then only ever grow at their end, in row order.
            if let existing = position[raw.id], present[existing] {
                present[existing] = false
                deadRows += 1
            }
            let row = ids.count
            position[raw.id] = row
            if raw.id >= 0, raw.id < 16 * (Int64(ids.count) + 4_096) {
                if Int(raw.id) >= densePosition.count {
                    densePosition.append(contentsOf: repeatElement(0, count: Int(raw.id) + 1 - densePosition.count))
                }
                densePosition[Int(raw.id)] = Int32(row + 1)
            } else if raw.id >= 0, Int(raw.id) < densePosition.count {
                densePosition[Int(raw.id)] = 0
            }
            ids.append(raw.id)
            present.append(true)
            status.append(UInt8(Self.statuses.firstIndex(of: raw.status) ?? 0))
            departmentID.append(raw.departmentID)
            classification.append(raw.classification)
            for (slot, value) in raw.singleValues.enumerated() { single[slot].append(code(value, slot: slot)) }
            formats.append(raw.formats.map { code($0, slot: Self.formatSlot) })
            keywords.append(raw.keywords.map { code($0, slot: Self.keywordSlot) })
            hasData.append(raw.hasData)
            freshness.append(raw.freshness)
            nameStart.append(nameBytes.count)
            nameBytes.append(contentsOf: raw.name.lowercased().utf8)
            nameEnd.append(nameBytes.count)
            if indexesText {
                let text = raw.searchText ?? ""
                textStart.append(textBytes.count)
                textBytes.append(contentsOf: text.utf8)
                textEnd.append(textBytes.count)
                for gram in Self.grams(of: text) { postings[gram, default: []].append(Int32(row)) }
            }
        }

        /// The row of entry `id`, if it has one.
        func row(of id: Int64) -> Int? {
            if id >= 0 && id < densePosition.count {
                let stored = densePosition[Int(id)]
                // 0: an id placed when it was too far out to be kept here, or no entry at all.
                if stored != 0 { return Int(stored) - 1 }
            }
            return position[id]
        }

        mutating func remove(_ id: Int64) {
            if let row = position[id], present[row] {
                present[row] = false
                deadRows += 1
            }
        }

        /// Whether row `row`'s name contains `term` (UTF-8 bytes).
        func name(_ row: Int, contains term: [UInt8]) -> Bool { nameMatch(row, term) != .absent }

        /// How the row's name holds `term`: as the whole name, at its start, somewhere in it, or not at all.
        func nameMatch(_ row: Int, _ term: [UInt8]) -> NameMatch {
            guard let first = term.first else { return .within }
            let start = nameStart[row]
            let last = nameEnd[row] - term.count
            guard start <= last else { return .absent }
            return nameBytes.withUnsafeBufferPointer { bytes in
                var index = start
                while index <= last {
                    if bytes[index] == first {
                        var matched = 1
                        while matched < term.count && bytes[index + matched] == term[matched] { matched += 1 }
                        if matched == term.count {
                            guard index == start else { return .within }
                            return last == start ? .whole : .start
                        }
                    }
                    index += 1
                }
                return .absent
            }
        }
        // MARK: Text

        /// A gram as a number: one character `c` as `c << 32 | 0xFFFF_FFFF`, two adjacent characters `a b` as
        /// `a << 32 | b` (Unicode scalars stay below 0x110000, so the two never meet).
        static func gramKey(_ first: Unicode.Scalar, _ second: Unicode.Scalar?) -> UInt64 {
            UInt64(first.value) << 32 | UInt64(second?.value ?? 0xFFFF_FFFF)
        }

        /// The distinct grams of a text: each character and each pair of adjacent characters, white space
        /// breaking pairs and making no gram of its own.
        static func grams(of text: String) -> [UInt64] {
            var grams: [UInt64] = []
            var previous: Unicode.Scalar?
            for scalar in text.unicodeScalars {
                guard !scalar.properties.isWhitespace else {
                    previous = nil
                    continue
                }
                grams.append(gramKey(scalar, nil))
                if let previous { grams.append(gramKey(previous, scalar)) }
                previous = scalar
            }
            grams.sort()
            var unique: [UInt64] = []
            unique.reserveCapacity(grams.count)
            for gram in grams where gram != unique.last { unique.append(gram) }
            return unique
        }

        /// The rows (ascending, removed ones included: `matching` drops them) whose search text contains every
        /// term. A term's grams narrow the rows through `postings`: a term of one or two characters is its own
        /// gram and needs nothing more; a longer one, whose pairs may lie apart, is confirmed in the text.
        func rows(containing terms: [String]) -> [Int32] {
            var result: [Int32]?
            for term in terms {
                let scalars = Array(term.unicodeScalars)
                var keys: [UInt64] = []
                if scalars.count == 1 {
                    keys = [Self.gramKey(scalars[0], nil)]
                } else {
                    for index in scalars.indices.dropFirst() {
                        keys.append(Self.gramKey(scalars[index - 1], scalars[index]))
                    }
                }
                var lists: [[Int32]] = []
                for key in Set(keys) {
                    guard let list = postings[key] else { return [] }
                    lists.append(list)
                }
                if let result { lists.append(result) }
                lists.sort { $0.count < $1.count }
                guard var rows = lists.first else { return [] }
                for list in lists.dropFirst() {
                    rows = Self.intersect(rows, list)
                    if rows.isEmpty { return [] }
                }
                if scalars.count > 2 {
                    let bytes = Array(term.utf8)
                    rows = rows.filter { text(Int($0), contains: bytes) }
                }
                result = rows
            }
            return result ?? []
        }

        /// The rows in both ascending lists; `small` is stepped through, `large` searched by halving when it is
        /// much the longer.
        static func intersect(_ small: [Int32], _ large: [Int32]) -> [Int32] {
            var result: [Int32] = []
            result.reserveCapacity(small.count)
            small.withUnsafeBufferPointer { small in
                large.withUnsafeBufferPointer { large in
                    var low = 0
                    if large.count > 8 * small.count {
                        for value in small {
                            var high = large.count
                            while low < high {
                                let middle = (low + high) / 2
                                if large[middle] < value { low = middle + 1 } else { high = middle }
                            }
                            if low == large.count { break }
                            if large[low] == value { result.append(value) }
                        }
                    } else {
                        for value in small {
                            while low < large.count && large[low] < value { low += 1 }
                            if low == large.count { break }
                            if large[low] == value { result.append(value) }
                        }
                    }
                }
            }
            return result
        }

        /// Whether row `row`'s search text contains `term` (UTF-8 bytes; a byte match of UTF-8 is a character
        /// match). `memchr` finds each place the term's last byte occurs (for Chinese a continuation byte, spread
        /// over 64 values, where a lead byte would stop at every other character) and `memcmp` compares the rest: a
        /// common Latin term (sfzhm) leaves some 34,000 texts of 100,000 to confirm.
        func text(_ row: Int, contains term: [UInt8]) -> Bool {
            let count = term.count
            guard let last = term.last else { return true }
            let start = textStart[row]
            let end = textEnd[row]
            guard end - start >= count else { return false }
            return textBytes.withUnsafeBytes { bytes in
                term.withUnsafeBytes { needle in
                    let base = bytes.baseAddress!
                    var position = start + count - 1
                    while position < end {
                        guard let hit = memchr(base + position, Int32(last), end - position) else { return false }
                        let found = base.distance(to: UnsafeRawPointer(hit))
                        if memcmp(base + found - (count - 1), needle.baseAddress!, count) == 0 { return true }
                        position = found + 1
                    }
                    return false
                }
            }
        }
    }

    struct Snapshot: Sendable {
        /// The last `catalog_changes.id` applied; -1 before the first load.
        var lastChange: Int64 = -1
        var columns = Columns()
        /// Names of facet values, keyed `department/<id>` and `classification/<code>`, read again whenever the
        /// change log moves (renaming a department or a classification records a change too).
        var labels: [String: String] = [:]
    }

    /// Whether the projection also holds each entry's search text and the grams of it, and matches search terms
    /// itself (PostgreSQL, see `SQLCatalogRepository.textMatches`); SQLite matches through its FTS5 indexes.
    let indexesText: Bool
    private let snapshot: Mutex<Snapshot>

    init(indexesText: Bool = false) {
        self.indexesText = indexesText
        var empty = Snapshot()
        empty.columns.indexesText = indexesText
        snapshot = Mutex(empty)
    }

    /// The projection as last brought up to date, without asking the database whether anything changed since.
    var latest: Snapshot { snapshot.withLock { $0 } }

    /// The refresh under way, and the change it brings the projection to: searches that find the projection behind
    /// wait for it rather than each copying the projection (a copy is the size of the catalog) and applying the same
    /// changes.
    private let inFlight = Mutex<(target: Int64, task: Task<Snapshot, any Error>)?>(nil)

    /// The projection as of the latest committed change.
    func current(_ sql: any SQLDatabase) async throws -> Snapshot {
        let current = snapshot.withLock { $0 }
        let latest =
            try await sql.raw("SELECT COALESCE(MAX(id), 0) AS n FROM catalog_changes").first()?
            .decode(column: "n", as: Int64.self) ?? 0
        if latest == current.lastChange { return current }
        let task = inFlight.withLock { flight -> Task<Snapshot, any Error> in
            if let flight, flight.target >= latest { return flight.task }
            let task = Task { try await self.refresh(to: latest, sql) }
            flight = (latest, task)
            return task
        }
        return try await task.value
    }

    /// Brings the projection to change `latest`: the entries changed since are read again, or everything when the
    /// projection was never loaded or holds more dead rows than live ones.
    private func refresh(to latest: Int64, _ sql: any SQLDatabase) async throws -> Snapshot {
        defer { inFlight.withLock { if $0?.target == latest { $0 = nil } } }
        let current = snapshot.withLock { $0 }
        if current.lastChange >= latest { return current }
        var next = current
        next.lastChange = latest
        // Rows of changed entries are left behind (see `Columns.postings`); once they outnumber the live ones the
        // projection is read afresh.
        let stale = current.columns.deadRows > 4_096 && current.columns.deadRows * 2 > current.columns.ids.count
        // Changes this node had not applied may have been pruned from the log (`pruneChanges`): then only a whole
        // read is sure to hold them.
        let oldest =
            try await sql.raw("SELECT MIN(id) AS n FROM catalog_changes").first()?
            .decode(column: "n", as: Int64?.self) ?? nil
        let pruned = oldest.map { current.lastChange + 1 < $0 } ?? false
        // The facet labels are read again with a whole read, when a name changed (`labelsChanged`), or when a
        // changed entry names a department or classification the labels do not hold yet; not on every write.
        var readLabels = false
        if current.lastChange < 0 || stale || pruned {
            readLabels = true
            next.columns = Columns()
            next.columns.indexesText = indexesText
            for raw in try await Self.load(ids: nil, text: indexesText, sql).values.sorted(by: { $0.id < $1.id }) {
                next.columns.put(raw)
            }
        } else {
            let changed = try await sql.raw(
                """
                SELECT DISTINCT entry_id FROM catalog_changes
                WHERE id > \(bind: current.lastChange) AND id <= \(bind: latest)
                """
            ).all().map { try $0.decode(column: "entry_id", as: Int64.self) }.sorted()
            readLabels = changed.contains(SQLCatalogRepository.labelsChanged)
            for chunk in stride(from: 0, to: changed.count, by: 500) {
                let ids = Array(changed[chunk..<min(chunk + 500, changed.count)])
                let fresh = try await Self.load(ids: ids, text: indexesText, sql)
                for id in ids {
                    if let raw = fresh[id] {
                        next.columns.put(raw)
                        if current.labels["department/\(raw.departmentID)"] == nil
                            || current.labels["classification/\(raw.classification.prefix(3))"] == nil
                        {
                            readLabels = true
                        }
                    } else {
                        next.columns.remove(id)
                    }
                }
            }
        }
        if readLabels { next.labels = try await Self.labels(sql) }
        let result = next
        snapshot.withLock { stored in
            // A refresh started for a newer change may have finished first; keep whichever is newer.
            if latest > stored.lastChange { stored = result }
        }
        return result
    }

    /// The names of departments and of the guide's second-level classifications (the classification facet's
    /// values).
    static func labels(_ sql: any SQLDatabase) async throws -> [String: String] {
        var labels: [String: String] = [:]
        for row in try await sql.raw(
            """
            SELECT 'department/' || CAST(id AS TEXT) AS k, name FROM departments
            UNION ALL
            SELECT 'classification/' || code, name FROM classifications
            WHERE scheme = \(bind: ClassificationNode.guideScheme) AND level = 2
            """
        ).all() {
            labels[try row.decode(column: "k", as: String.self)] = try row.decode(column: "name", as: String.self)
        }
        return labels
    }

    static func load(ids: [Int64]?, text: Bool, _ sql: any SQLDatabase) async throws -> [Int64: RawRow] {
        let entryScope: SQLQueryString = ids.map { "WHERE id IN (\(binds: $0))" } ?? ""
        let tagScope: SQLQueryString = ids.map { "WHERE entry_id IN (\(binds: $0))" } ?? ""
        var rows: [Int64: RawRow] = [:]
        for row in try await sql.raw(
            """
            SELECT id, status, department_id, classification_code, share_type, openness, update_cycle, grade, name,
                mount_kind, record_count, data_updated_at, updated_at,
                \(unsafeRaw: text ? "search_text" : "NULL AS search_text")
            FROM catalog_entries \(entryScope)
            """
        ).all() {
            let id = try row.decode(column: "id", as: Int64.self)
            rows[id] = RawRow(
                id: id, status: try row.decode(column: "status", as: String.self),
                departmentID: try row.decode(column: "department_id", as: Int64.self),
                classification: try row.decode(column: "classification_code", as: String.self),
                shareType: try row.decode(column: "share_type", as: String.self),
                openness: try row.decode(column: "openness", as: String.self),
                updateCycle: try row.decode(column: "update_cycle", as: String.self),
                grade: try row.decode(column: "grade", as: String.self),
                name: try row.decode(column: "name", as: String.self),
                searchText: try row.decode(column: "search_text", as: String?.self))
            let mountKind = try row.decode(column: "mount_kind", as: String?.self)
            let records = try row.decode(column: "record_count", as: Int64?.self) ?? 0
            // A mounted API or file has data; a mounted table has data once it holds rows.
            rows[id]?.hasData = mountKind != nil && (mountKind != MountKind.table.rawValue || records > 0)
            let changed =
                try row.decode(column: "data_updated_at", as: Date?.self)
                ?? row.decode(column: "updated_at", as: Date.self)
            rows[id]?.freshness = changed.timeIntervalSince1970
        }
        for tag in try await sql.raw("SELECT entry_id, kind, value FROM catalog_entry_tags \(tagScope)").all() {
            let id = try tag.decode(column: "entry_id", as: Int64.self)
            let value = try tag.decode(column: "value", as: String.self)
            switch try tag.decode(column: "kind", as: String.self) {
            case "format": rows[id]?.formats.append(value)
            case "keyword": rows[id]?.keywords.append(value)
            default: break
            }
        }
        return rows
    }
}
