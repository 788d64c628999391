import Foundation
import HuitongCore
import SQLKit

extension SQLCatalogRepository {
    func search(_ query: CatalogQuery, facets: [CatalogFacet]) async throws -> CatalogSearchResult {
        let backend = provider.backend
        return try await provider.read { sql in
            let filter = Self.filter(query, backend: backend)
            let total =
                try await sql.raw("SELECT COUNT(*) AS n FROM catalog_entries e WHERE \(filter)").first()?
                .decode(column: "n", as: Int.self) ?? 0
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
            var counts: [String: [FacetCount]] = [:]
            for facet in facets {
                counts[facet.rawValue] = try await Self.count(facet, filter: filter, sql)
            }
            return CatalogSearchResult(total: total, entries: entries, facets: counts)
        }
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
            for term in terms where term.count < 3 {
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

    static func count(_ facet: CatalogFacet, filter: SQLQueryString, _ sql: any SQLDatabase) async throws
        -> [FacetCount]
    {
        func grouped(_ expression: String) async throws -> [(String, Int)] {
            try await sql.raw(
                """
                SELECT \(unsafeRaw: expression) AS value, COUNT(*) AS n FROM catalog_entries e WHERE \(filter)
                GROUP BY \(unsafeRaw: expression) ORDER BY n DESC, value
                """
            ).all().map { (try $0.decode(column: "value", as: String.self), try $0.decode(column: "n", as: Int.self)) }
        }
        func labeled<Value: LabeledValue>(_ type: Value.Type, _ column: String) async throws -> [FacetCount] {
            try await grouped(column).map { value, count in
                FacetCount(value: value, label: Value(rawValue: value)?.label.zh ?? value, count: count)
            }
        }
        switch facet {
        case .department:
            return try await sql.raw(
                """
                SELECT e.department_id AS value, d.name AS label, COUNT(*) AS n FROM catalog_entries e
                JOIN departments d ON d.id = e.department_id WHERE \(filter)
                GROUP BY e.department_id, d.name ORDER BY n DESC, e.department_id
                """
            ).all().map { row in
                FacetCount(
                    value: String(try row.decode(column: "value", as: Int64.self)),
                    label: try row.decode(column: "label", as: String.self),
                    count: try row.decode(column: "n", as: Int.self))
            }
        case .classification:
            let counts = try await grouped("substr(e.classification_code, 1, 3)")
            let names = try await sql.raw(
                "SELECT code, name FROM classifications WHERE scheme = \(bind: ClassificationNode.guideScheme) AND level = 2"
            ).all().reduce(into: [String: String]()) { names, row in
                names[try row.decode(column: "code", as: String.self)] = try row.decode(column: "name", as: String.self)
            }
            return counts.map { FacetCount(value: $0.0, label: names[$0.0] ?? $0.0, count: $0.1) }
        case .shareType: return try await labeled(ShareType.self, "e.share_type")
        case .openness: return try await labeled(Openness.self, "e.openness")
        case .updateCycle: return try await labeled(UpdateCycle.self, "e.update_cycle")
        case .grade: return try await labeled(SecurityGrade.self, "e.grade")
        case .format, .keyword:
            return try await sql.raw(
                """
                SELECT t.value AS value, COUNT(*) AS n FROM catalog_entry_tags t
                JOIN catalog_entries e ON e.id = t.entry_id
                WHERE t.kind = \(bind: facet.rawValue) AND \(filter)
                GROUP BY t.value ORDER BY n DESC, t.value LIMIT 50
                """
            ).all().map { row in
                let value = try row.decode(column: "value", as: String.self)
                return FacetCount(value: value, label: value, count: try row.decode(column: "n", as: Int.self))
            }
        }
    }
}
