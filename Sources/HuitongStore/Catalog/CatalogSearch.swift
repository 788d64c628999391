import Foundation
import HuitongCore
import SQLKit

extension SQLCatalogRepository {
    func search(_ query: CatalogQuery, facets: [CatalogFacet]) async throws -> CatalogSearchResult {
        let backend = provider.backend
        return try await provider.read { sql in
            let filter = Self.filter(query, backend: backend)
            var order: SQLQueryString = ""
            if let first = query.terms.first {
                order = "CASE WHEN \(Self.contains("lower(e.name)", first, backend)) THEN 0 ELSE 1 END, "
            }
            let limit = max(0, min(query.limit, CatalogQuery.maximumPageSize))
            let ids = try await sql.raw(
                """
                SELECT e.id FROM catalog_entries e WHERE \(filter)
                ORDER BY \(order)e.id DESC LIMIT \(literal: limit) OFFSET \(literal: max(0, query.offset))
                """
            ).all().map { try $0.decode(column: "id", as: Int64.self) }
            let entries = try await Self.entries(ids: ids, sql)
            let (total, counts) = try await Self.countFacets(facets, filter: filter, sql)
            return CatalogSearchResult(total: total, entries: entries, facets: counts)
        }
    }

    /// The total and every facet's counts in one statement, so the filter (a full-text match or a scan) is
    /// evaluated once and the groupings run over the matching rows only.
    static func countFacets(_ facets: [CatalogFacet], filter: SQLQueryString, _ sql: any SQLDatabase) async throws
        -> (Int, [String: [FacetCount]])
    {
        var parts: [SQLQueryString] = ["SELECT 'total' AS facet, '' AS value, COUNT(*) AS n FROM m"]
        for facet in facets {
            switch facet {
            case .department:
                parts.append("SELECT 'department', CAST(department_id AS TEXT), COUNT(*) FROM m GROUP BY department_id")
            case .classification:
                parts.append("SELECT 'classification', cls, COUNT(*) FROM m GROUP BY cls")
            case .shareType, .openness, .updateCycle, .grade:
                let column = [
                    "shareType": "share_type", "openness": "openness", "updateCycle": "update_cycle",
                    "grade": "grade",
                ][facet.rawValue]!
                parts.append(
                    "SELECT \(literal: facet.rawValue), \(unsafeRaw: column), COUNT(*) FROM m GROUP BY \(unsafeRaw: column)"
                )
            case .format, .keyword:
                parts.append(
                    """
                    SELECT \(literal: facet.rawValue), t.value, COUNT(*) FROM m
                    JOIN catalog_entry_tags t ON t.entry_id = m.id AND t.kind = \(literal: facet.rawValue) GROUP BY t.value
                    """)
            }
        }
        let rows = try await sql.raw(
            """
            WITH m AS MATERIALIZED (
                SELECT e.id, e.department_id, substr(e.classification_code, 1, 3) AS cls, e.share_type, e.openness,
                    e.update_cycle, e.grade
                FROM catalog_entries e WHERE \(filter)
            )
            \(parts.joined(separator: " UNION ALL "))
            """
        ).all()
        var total = 0
        var raw: [String: [(String, Int)]] = [:]
        for row in rows {
            let facet = try row.decode(column: "facet", as: String.self)
            let count = try row.decode(column: "n", as: Int.self)
            if facet == "total" {
                total = count
            } else {
                raw[facet, default: []].append((try row.decode(column: "value", as: String.self), count))
            }
        }
        var labels: [String: [String: String]] = [:]
        if facets.contains(.department) {
            labels["department"] = try await sql.raw("SELECT id, name FROM departments").all().reduce(into: [:]) {
                $0[String(try $1.decode(column: "id", as: Int64.self))] = try $1.decode(column: "name", as: String.self)
            }
        }
        if facets.contains(.classification) {
            labels["classification"] = try await sql.raw(
                "SELECT code, name FROM classifications WHERE scheme = \(bind: ClassificationNode.guideScheme) AND level = 2"
            ).all().reduce(into: [:]) {
                $0[try $1.decode(column: "code", as: String.self)] = try $1.decode(column: "name", as: String.self)
            }
        }
        func label(_ facet: CatalogFacet, _ value: String) -> String {
            switch facet {
            case .department, .classification: labels[facet.rawValue]?[value] ?? value
            case .shareType: ShareType(rawValue: value)?.label.zh ?? value
            case .openness: Openness(rawValue: value)?.label.zh ?? value
            case .updateCycle: UpdateCycle(rawValue: value)?.label.zh ?? value
            case .grade: SecurityGrade(rawValue: value)?.label.zh ?? value
            case .format, .keyword: value
            }
        }
        var counts: [String: [FacetCount]] = [:]
        for facet in facets {
            let sorted = (raw[facet.rawValue] ?? []).sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
            counts[facet.rawValue] = sorted.prefix(50).map {
                FacetCount(value: $0.0, label: label(facet, $0.0), count: $0.1)
            }
        }
        return (total, counts)
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

    /// The WHERE clause of a query, shared by the page, the total and every facet so their counts agree.
    static func filter(_ query: CatalogQuery, backend: Backend) -> SQLQueryString {
        var clauses: [SQLQueryString] = []
        let statuses = query.statuses.map(\.rawValue).sorted()
        switch (statuses.isEmpty, query.alsoDepartmentID) {
        case (true, nil): clauses.append("1 = 0")
        case (true, let department?): clauses.append("e.department_id = \(bind: department)")
        case (false, nil): clauses.append("e.status IN (\(binds: statuses))")
        case (false, let department?):
            clauses.append("(e.status IN (\(binds: statuses)) OR e.department_id = \(bind: department))")
        }
        if !query.departmentIDs.isEmpty { clauses.append("e.department_id IN (\(binds: query.departmentIDs))") }
        if let prefix = query.classification, !prefix.isEmpty {
            let digits = String(prefix.filter(\.isNumber).prefix(20))
            clauses.append("e.classification_code LIKE \(bind: digits + "%")")
        }
        func oneOf(_ column: String, _ values: [String]) {
            if !values.isEmpty { clauses.append("\(unsafeRaw: column) IN (\(binds: values))") }
        }
        oneOf("e.share_type", query.shareTypes.map(\.rawValue))
        oneOf("e.openness", query.openness.map(\.rawValue))
        oneOf("e.update_cycle", query.updateCycles.map(\.rawValue))
        oneOf("e.grade", query.grades.map(\.rawValue))
        for (kind, values) in [("format", query.formats.map { $0.uppercased() }), ("keyword", query.keywords)]
        where !values.isEmpty {
            clauses.append(
                """
                EXISTS (SELECT 1 FROM catalog_entry_tags t WHERE t.entry_id = e.id AND t.kind = \(bind: kind)
                    AND t.value IN (\(binds: values)))
                """)
        }
        for keyword in query.allKeywords {
            clauses.append(
                """
                EXISTS (SELECT 1 FROM catalog_entry_tags t WHERE t.entry_id = e.id AND t.kind = 'keyword'
                    AND t.value = \(bind: keyword))
                """)
        }
        let terms = query.terms
        switch backend {
        case .sqlite:
            // FTS5 trigram finds terms of three or more characters through its index; shorter ones need a scan.
            let indexed = terms.filter { $0.count >= 3 }
            if !indexed.isEmpty {
                let match = indexed.map { "\"\($0.replacingOccurrences(of: "\"", with: "\"\""))\"" }
                    .joined(separator: " AND ")
                clauses.append("e.id IN (SELECT rowid FROM catalog_search WHERE catalog_search MATCH \(bind: match))")
            }
            // One MATCH per index: SQLite plans a single full-text subquery well, several ANDed ones badly.
            let paired = terms.filter { $0.count == 2 && $0.allSatisfy(isPairable) }
            if !paired.isEmpty {
                let match = paired.map { "\"\($0)\"" }.joined(separator: " AND ")
                clauses.append(
                    "e.id IN (SELECT rowid FROM catalog_search_pairs WHERE catalog_search_pairs MATCH \(bind: match))")
            }
            for term in terms where term.count < 3 && !paired.contains(term) {
                clauses.append(contains("e.search_text", term, backend))
            }
        case .postgres:
            for term in terms {
                let escaped = term.replacingOccurrences(of: "\\", with: "\\\\")
                    .replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
                clauses.append("e.search_text LIKE \(bind: "%" + escaped + "%")")
            }
        }
        return clauses.joined(separator: " AND ")
    }

    static func contains(_ column: String, _ term: String, _ backend: Backend) -> SQLQueryString {
        switch backend {
        case .sqlite: "instr(\(unsafeRaw: column), \(bind: term)) > 0"
        case .postgres: "strpos(\(unsafeRaw: column), \(bind: term)) > 0"
        }
    }
}
