import Foundation
import HuitongCore
import SQLKit

extension SQLCatalogRepository {
    /// Full-text matching in the database (FTS5 or pg_trgm), then filters, facet counts and ordering over the
    /// node's facet index, then the page's entries from the database.
    func search(_ query: CatalogQuery, facets: [CatalogFacet]) async throws -> CatalogSearchResult {
        let backend = provider.backend
        let index = facetIndex
        return try await provider.read { sql in
            let rows = try await index.rows(sql)
            let terms = query.terms
            let candidates = terms.isEmpty ? nil : try await Self.textMatches(terms, backend: backend, sql)
            let matched = Self.matching(query, in: rows, candidates: candidates)
            let counts = try await Self.count(facets, over: matched, sql)
            let ordered = Self.ranked(matched, firstTerm: terms.first)
            let start = min(max(0, query.offset), ordered.count)
            let end = min(start + max(0, min(query.limit, CatalogQuery.maximumPageSize)), ordered.count)
            let entries = try await Self.entries(ids: Array(ordered[start..<end]), sql)
            return CatalogSearchResult(total: matched.count, entries: entries, facets: counts)
        }
    }

    /// Ids in result order: entries whose name contains the first term, then the rest, newest first in each.
    static func ranked(_ rows: [CatalogFacetIndex.Row], firstTerm: String?) -> [Int64] {
        guard let firstTerm else { return rows.map(\.id).sorted(by: >) }
        var named: [Int64] = []
        var others: [Int64] = []
        for row in rows {
            if row.name.contains(firstTerm) { named.append(row.id) } else { others.append(row.id) }
        }
        return named.sorted(by: >) + others.sorted(by: >)
    }

    /// Ids of entries containing every term. Each index is asked once: SQLite plans one full-text subquery
    /// well and several ANDed ones badly.
    static func textMatches(_ terms: [String], backend: Backend, _ sql: any SQLDatabase) async throws -> Set<Int64> {
        var sets: [Set<Int64>] = []
        func ids(_ query: SQLQueryString) async throws -> Set<Int64> {
            Set(try await sql.raw(query).all().map { try $0.decode(column: "id", as: Int64.self) })
        }
        switch backend {
        case .sqlite:
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
        case .postgres:
            let conditions = terms.map { term -> SQLQueryString in
                let escaped = term.replacingOccurrences(of: "\\", with: "\\\\")
                    .replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
                return "search_text LIKE \(bind: "%" + escaped + "%")"
            }
            sets.append(try await ids("SELECT id FROM catalog_entries WHERE \(conditions.joined(separator: " AND "))"))
        }
        guard var result = sets.first else { return [] }
        for set in sets.dropFirst() { result.formIntersection(set) }
        return result
    }

    /// The rows that pass every filter of the query.
    static func matching(
        _ query: CatalogQuery, in rows: [Int64: CatalogFacetIndex.Row], candidates: Set<Int64>?
    ) -> [CatalogFacetIndex.Row] {
        let statuses = Set(query.statuses.map(\.rawValue))
        let departments = Set(query.departmentIDs)
        let classification = query.classification.map { String($0.filter(\.isNumber).prefix(20)) } ?? ""
        let shareTypes = Set(query.shareTypes.map(\.rawValue))
        let openness = Set(query.openness.map(\.rawValue))
        let cycles = Set(query.updateCycles.map(\.rawValue))
        let grades = Set(query.grades.map(\.rawValue))
        let formats = Set(query.formats.map { $0.uppercased() })
        let keywords = Set(query.keywords)
        func passes(_ row: CatalogFacetIndex.Row) -> Bool {
            (statuses.contains(row.status) || row.departmentID == query.alsoDepartmentID)
                && (departments.isEmpty || departments.contains(row.departmentID))
                && (classification.isEmpty || row.classification.hasPrefix(classification))
                && (shareTypes.isEmpty || shareTypes.contains(row.shareType))
                && (openness.isEmpty || openness.contains(row.openness))
                && (cycles.isEmpty || cycles.contains(row.updateCycle))
                && (grades.isEmpty || grades.contains(row.grade))
                && (formats.isEmpty || row.formats.contains(where: formats.contains))
                && (keywords.isEmpty || row.keywords.contains(where: keywords.contains))
                && query.allKeywords.allSatisfy(row.keywords.contains)
        }
        if let candidates {
            return candidates.compactMap { rows[$0] }.filter(passes)
        }
        return rows.values.filter(passes)
    }

    static func count(_ facets: [CatalogFacet], over rows: [CatalogFacetIndex.Row], _ sql: any SQLDatabase)
        async throws -> [String: [FacetCount]]
    {
        var labels: [String: String] = [:]
        if facets.contains(.department) {
            for row in try await sql.raw("SELECT id, name FROM departments").all() {
                labels["department/\(try row.decode(column: "id", as: Int64.self))"] = try row.decode(
                    column: "name", as: String.self)
            }
        }
        if facets.contains(.classification) {
            for row in try await sql.raw(
                "SELECT code, name FROM classifications WHERE scheme = \(bind: ClassificationNode.guideScheme) AND level = 2"
            ).all() {
                labels["classification/\(try row.decode(column: "code", as: String.self))"] = try row.decode(
                    column: "name", as: String.self)
            }
        }
        var result: [String: [FacetCount]] = [:]
        for facet in facets {
            var counts: [String: Int] = [:]
            for row in rows {
                switch facet {
                case .department: counts[String(row.departmentID), default: 0] += 1
                case .classification: counts[String(row.classification.prefix(3)), default: 0] += 1
                case .shareType: counts[row.shareType, default: 0] += 1
                case .openness: counts[row.openness, default: 0] += 1
                case .updateCycle: counts[row.updateCycle, default: 0] += 1
                case .grade: counts[row.grade, default: 0] += 1
                case .format: for value in row.formats { counts[value, default: 0] += 1 }
                case .keyword: for value in row.keywords { counts[value, default: 0] += 1 }
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
            result[facet.rawValue] = counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
                .prefix(50).map { FacetCount(value: $0.key, label: label($0.key), count: $0.value) }
        }
        return result
    }

    static func entries(ids: [Int64], _ sql: any SQLDatabase) async throws -> [CatalogEntry] {
        guard !ids.isEmpty else { return [] }
        let found = try await sql.raw(
            """
            SELECT \(unsafeRaw: entryColumns) FROM catalog_entries e
            JOIN departments d ON d.id = e.department_id WHERE e.id IN (\(binds: ids))
            """
        ).all().map(decode)
        let byID = Dictionary(found.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        return ids.compactMap { byID[$0] }
    }
}
