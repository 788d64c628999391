import Foundation
import HuitongCore
import SQLKit

extension SQLCatalogRepository {
    /// Full-text matching (SQLite's FTS5 indexes; on PostgreSQL the grams the node's catalog index holds), then
    /// filters, facet counts and ordering over that index, then the page's entries from the database.
    ///
    /// The index must hold every change committed before the search. The query that reads the page also reads the
    /// change log's head, so a search whose index was already current costs one round trip; when the head has
    /// moved, the index applies the new changes and the search is answered again from it.
    func search(_ query: CatalogQuery, facets: [CatalogFacet]) async throws -> CatalogSearchResult {
        let index = facetIndex
        return try await provider.read { sql in
            var snapshot = index.latest
            var checked = false
            if snapshot.lastChange < 0 {
                snapshot = try await index.current(sql)
                checked = true
            }
            while true {
                let (result, head) = try await answer(query, facets: facets, from: snapshot, sql)
                if checked || head == snapshot.lastChange { return result }
                snapshot = try await index.current(sql)
                checked = true
            }
        }
    }

    /// The search answered from one state of the catalog index, with the change log's head as the page was read.
    private func answer(
        _ query: CatalogQuery, facets: [CatalogFacet], from snapshot: CatalogFacetIndex.Snapshot, _ sql: any SQLDatabase
    ) async throws -> (CatalogSearchResult, head: Int64) {
        let columns = snapshot.columns
        let terms = query.terms
        let candidates: [Int]? =
            if terms.isEmpty {
                nil
            } else if columns.indexesText {
                columns.rows(containing: terms).map(Int.init)
            } else {
                try await Self.textMatchesInSQLite(terms, sql).compactMap(columns.row(of:))
            }
        let matched = Self.matching(query, in: columns, candidates: candidates)
        let counts = Self.count(facets, over: matched, in: columns, labels: snapshot.labels)
        let usage: [Int64: OpenDataUsageTotals] =
            switch query.order {
            case .views, .downloads: try await Store.openDataUsage(sql)
            case .relevance, .newest: [:]
            }
        let ordered = Self.ordered(matched, in: columns, terms: terms, by: query.order, usage: usage)
        let start = min(max(0, query.offset), ordered.count)
        let end = min(start + max(0, min(query.limit, CatalogQuery.maximumPageSize)), ordered.count)
        let (page, head) = try await Self.page(ids: Array(ordered[start..<end]), integrity: integrity, sql)
        // The projection can trail a write that committed a moment ago; the rules that decide who may see an
        // entry are checked again on the rows read now, so a withdrawn or closed entry is never served.
        let entries = page.filter { entry in
            query.statuses.contains(entry.status)
                && (entry.status == .published || query.unpublishedOnlyOf == nil
                    || entry.provider.departmentID == query.unpublishedOnlyOf)
                && (query.openness.isEmpty || query.openness.contains(entry.content.openness))
                && (query.departmentIDs.isEmpty || query.departmentIDs.contains(entry.provider.departmentID))
        }
        return (CatalogSearchResult(total: matched.count, entries: entries, facets: counts), head)
    }

    /// The entries of a page, in the order asked for, and the change log's head read by the same statement.
    static func page(ids: [Int64], integrity: RowIntegrity, _ sql: any SQLDatabase) async throws
        -> ([CatalogEntry], head: Int64)
    {
        let head: SQLQueryString = "(SELECT COALESCE(MAX(id), 0) FROM catalog_changes)"
        guard !ids.isEmpty else {
            let row = try await sql.raw("SELECT \(head) AS head").first()
            return ([], try row?.decode(column: "head", as: Int64.self) ?? 0)
        }
        let rows = try await sql.raw(
            """
            SELECT \(unsafeRaw: entryColumns), \(head) AS head FROM catalog_entries e
            JOIN departments d ON d.id = e.department_id WHERE e.id IN (\(binds: ids))
            """
        ).all()
        var latest: Int64 = 0
        if let first = rows.first {
            latest = try first.decode(column: "head", as: Int64.self)
        } else {
            latest = try await sql.raw("SELECT \(head) AS head").first()?.decode(column: "head", as: Int64.self) ?? 0
        }
        let found = try rows.map { try decode($0, integrity: integrity) }
        let byID = Dictionary(found.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        return (ids.compactMap { byID[$0] }, latest)
    }

    /// Ids in the query's order: by relevance (`ranked`), or by freshness, views or downloads (downloads and
    /// open-data API calls together), ties in relevance order.
    static func ordered(
        _ rows: [Int], in columns: CatalogFacetIndex.Columns, terms: [String], by order: CatalogOrder,
        usage: [Int64: OpenDataUsageTotals]
    ) -> [Int64] {
        let ranked = ranked(rows, in: columns, terms: terms)
        let key: (Int64) -> Double
        switch order {
        case .relevance: return ranked
        case .newest: key = { id in columns.row(of: id).map { columns.freshness[$0] } ?? 0 }
        case .views: key = { id in Double(usage[id]?.views ?? 0) }
        case .downloads: key = { id in Double((usage[id]?.downloads ?? 0) + (usage[id]?.apiCalls ?? 0)) }
        }
        let keyed = ranked.enumerated().map { (id: $0.element, key: key($0.element), rank: $0.offset) }
        return keyed.sorted { $0.key != $1.key ? $0.key > $1.key : $0.rank < $1.rank }.map(\.id)
    }

    /// Ids in result order, the same on every backend: entries named exactly the query's text, then those whose
    /// name starts with it, then those whose name contains it, then the rest (matched by other fields); shorter
    /// names first among those starting with or containing the text, newest first otherwise. The query's text is its terms joined by a space, so `人口` ranks 人口基础信息 above an
    /// entry that only mentions 人口 in its abstract.
    static func ranked(_ rows: [Int], in columns: CatalogFacetIndex.Columns, terms: [String]) -> [Int64] {
        guard !terms.isEmpty else { return descending(rows.map { columns.ids[$0] }) }
        let text = Array(terms.joined(separator: " ").utf8)
        var tiers: [[Int64]] = [[], [], [], []]
        for row in rows {
            let tier: Int
            switch columns.nameMatch(row, text) {
            case .whole: tier = 0
            case .start: tier = 1
            case .within: tier = 2
            case .absent: tier = 3
            }
            tiers[tier].append(columns.ids[row])
        }
        // Among names that start with or contain the text, the shorter name is the closer match (人口基础信息 before
        // 人口出生统计信息 for 人口); equal lengths keep newest first.
        func closest(_ ids: [Int64]) -> [Int64] {
            let newest = descending(ids)
            let length = { (id: Int64) in columns.row(of: id).map { columns.nameEnd[$0] - columns.nameStart[$0] } ?? 0 }
            return newest.enumerated().sorted { left, right in
                let (a, b) = (length(left.element), length(right.element))
                return a != b ? a < b : left.offset < right.offset
            }.map(\.element)
        }
        return descending(tiers[0]) + closest(tiers[1]) + closest(tiers[2]) + descending(tiers[3])
    }

    /// Newest first. Rows usually arrive in ascending id order (positions follow ids, full-text indexes return
    /// rowids in order), so reversing suffices; anything else is sorted.
    static func descending(_ ids: [Int64]) -> [Int64] {
        var ascending = true
        var index = 1
        while ascending && index < ids.count {
            ascending = ids[index - 1] < ids[index]
            index += 1
        }
        return ascending ? ids.reversed() : ids.sorted(by: >)
    }

    /// Ids of entries containing every term, by SQLite's full-text indexes. Each index is asked once: SQLite plans
    /// one full-text subquery well and several ANDed ones badly.
    static func textMatchesInSQLite(_ terms: [String], _ sql: any SQLDatabase) async throws -> [Int64] {
        var sets: [[Int64]] = []
        // A common word matches tens of thousands of entries; one row holding every id as text is read far faster
        // than a row per id.
        func ids(_ query: SQLQueryString) async throws -> [Int64] {
            let text = try await sql.raw("SELECT group_concat(id) AS ids FROM (\(query)) AS matches").first()?
                .decode(column: "ids", as: String?.self)
            guard let text else { return [] }
            var result: [Int64] = []
            result.reserveCapacity(text.utf8.count / 6)
            var value: Int64 = 0
            for byte in text.utf8 {
                if byte == UInt8(ascii: ",") {
                    result.append(value)
                    value = 0
                } else {
                    value = value &* 10 &+ Int64(byte &- UInt8(ascii: "0"))
                }
            }
            result.append(value)
            return result
        }
        // Trigrams find terms of three or more characters; the pair index two-character Chinese words.
        let long = terms.filter { $0.count >= 3 }
        if !long.isEmpty {
            let match = long.map { "\"\($0.replacingOccurrences(of: "\"", with: "\"\""))\"" }
                .joined(separator: " AND ")
            sets.append(
                try await ids("SELECT rowid AS id FROM catalog_search WHERE catalog_search MATCH \(bind: match)"))
        }
        let paired = terms.filter { $0.count == 2 && $0.allSatisfy(isPairable) }
        if !paired.isEmpty {
            let match = paired.map { "\"\($0)\"" }.joined(separator: " AND ")
            sets.append(
                try await ids(
                    "SELECT rowid AS id FROM catalog_search_pairs WHERE catalog_search_pairs MATCH \(bind: match)"))
        }
        let scanned = terms.filter { $0.count < 3 && !paired.contains($0) }
        if !scanned.isEmpty {
            let conditions = scanned.map { term -> SQLQueryString in "instr(search_text, \(bind: term)) > 0" }
            sets.append(
                try await ids("SELECT id FROM catalog_entries WHERE \(conditions.joined(separator: " AND "))"))
        }
        guard let first = sets.first else { return [] }
        if sets.count == 1 { return first }
        var result = Set(first)
        for set in sets.dropFirst() { result.formIntersection(set) }
        return Array(result)
    }

    /// The rows (positions in the columns) that pass every filter of the query.
    static func matching(_ query: CatalogQuery, in columns: CatalogFacetIndex.Columns, candidates: [Int]?) -> [Int] {
        typealias Columns = CatalogFacetIndex.Columns
        /// For each filtered facet, which value codes pass; nil when the facet is not filtered.
        func allowed(_ slot: Int, _ values: [String]) -> [Bool]? {
            guard !values.isEmpty else { return nil }
            var pass = [Bool](repeating: false, count: columns.values[slot].count)
            for value in values { if let code = columns.codes[slot][value] { pass[Int(code)] = true } }
            return pass
        }
        let slotOf = { (facet: CatalogFacet) in Columns.singleFacets.firstIndex(of: facet)! }
        let singleFilters: [(slot: Int, pass: [Bool])] = [
            (slotOf(.department), allowed(slotOf(.department), query.departmentIDs.map(String.init))),
            (slotOf(.shareType), allowed(slotOf(.shareType), query.shareTypes.map(\.rawValue))),
            (slotOf(.openness), allowed(slotOf(.openness), query.openness.map(\.rawValue))),
            (slotOf(.updateCycle), allowed(slotOf(.updateCycle), query.updateCycles.map(\.rawValue))),
            (slotOf(.grade), allowed(slotOf(.grade), query.grades.map(\.rawValue))),
        ].compactMap { slot, pass in pass.map { (slot, $0) } }
        var statusPass = [Bool](repeating: false, count: Columns.statuses.count)
        for status in query.statuses { statusPass[Columns.statuses.firstIndex(of: status.rawValue)!] = true }
        let formats = allowed(Columns.formatSlot, query.formats.map { $0.uppercased() })
        let keywords = allowed(Columns.keywordSlot, query.keywords)
        let required = query.allKeywords.map { columns.codes[Columns.keywordSlot][$0] ?? -1 }
        let classification = query.classification.map { String($0.filter(\.isNumber).prefix(20)) } ?? ""
        let publishedCode = UInt8(Columns.statuses.firstIndex(of: EntryStatus.published.rawValue)!)
        let unpublishedOnlyOf = query.unpublishedOnlyOf
        let requiresData = query.requiresData

        func passes(_ row: Int) -> Bool {
            guard columns.present[row] else { return false }
            if requiresData && !columns.hasData[row] { return false }
            let status = columns.status[row]
            guard statusPass[Int(status)] else { return false }
            if let unpublishedOnlyOf, status != publishedCode, columns.departmentID[row] != unpublishedOnlyOf {
                return false
            }
            for filter in singleFilters where !filter.pass[Int(columns.single[filter.slot][row])] { return false }
            if let formats, !columns.formats[row].contains(where: { formats[Int($0)] }) { return false }
            if let keywords, !columns.keywords[row].contains(where: { keywords[Int($0)] }) { return false }
            if !required.isEmpty && !required.allSatisfy(columns.keywords[row].contains) { return false }
            if !classification.isEmpty && !columns.classification[row].hasPrefix(classification) { return false }
            return true
        }
        if let candidates { return candidates.filter(passes) }
        return (0..<columns.ids.count).filter(passes)
    }

    static func count(
        _ facets: [CatalogFacet], over rows: [Int], in columns: CatalogFacetIndex.Columns, labels: [String: String]
    ) -> [String: [FacetCount]] {
        typealias Columns = CatalogFacetIndex.Columns
        var result: [String: [FacetCount]] = [:]
        for facet in facets {
            let slot: Int
            var counts: [Int]
            switch facet {
            case .format, .keyword:
                slot = facet == .format ? Columns.formatSlot : Columns.keywordSlot
                counts = [Int](repeating: 0, count: columns.values[slot].count)
                let lists = facet == .format ? columns.formats : columns.keywords
                for row in rows { for code in lists[row] { counts[Int(code)] += 1 } }
            default:
                slot = Columns.singleFacets.firstIndex(of: facet)!
                counts = [Int](repeating: 0, count: columns.values[slot].count)
                columns.single[slot].withUnsafeBufferPointer { codes in
                    for row in rows { counts[Int(codes[row])] += 1 }
                }
            }
            func label(_ value: String) -> String {
                switch facet {
                case .department, .classification: labels["\(facet.rawValue)/\(value)"] ?? value
                case .shareType: ShareType(rawValue: value)?.label.zh ?? value
                case .openness: Openness(rawValue: value)?.label.zh ?? value
                case .updateCycle: UpdateCycle(rawValue: value)?.label.zh ?? value
                case .grade: SecurityGrade(rawValue: value)?.label.zh ?? value
                case .format, .keyword: value
                }
            }
            let values = columns.values[slot]
            result[facet.rawValue] = counts.enumerated().filter { $0.element > 0 }
                .map { (value: values[$0.offset], count: $0.element) }
                .sorted { $0.count != $1.count ? $0.count > $1.count : $0.value < $1.value }
                .prefix(facet == .format || facet == .keyword ? 50 : Int.max)
                .map { FacetCount(value: $0.value, label: label($0.value), count: $0.count) }
        }
        return result
    }

    static func entries(ids: [Int64], integrity: RowIntegrity, _ sql: any SQLDatabase) async throws -> [CatalogEntry] {
        guard !ids.isEmpty else { return [] }
        let found = try await sql.raw(
            """
            SELECT \(unsafeRaw: entryColumns) FROM catalog_entries e
            JOIN departments d ON d.id = e.department_id WHERE e.id IN (\(binds: ids))
            """
        ).all().map { try decode($0, integrity: integrity) }
        let byID = Dictionary(found.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        return ids.compactMap { byID[$0] }
    }
}
