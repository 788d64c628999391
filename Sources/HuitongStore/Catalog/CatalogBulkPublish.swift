import Foundation
import HuitongCore
import SQLKit

extension SQLCatalogRepository {
    /// New entries straight to published, in one transaction, each table written by multi-row INSERTs: what
    /// `apply` with `publish: true` writes for new entries (the entry with its row MAC, items, tags, the published
    /// version, the created/submit/publish events, the change for every node's catalog index and, on SQLite, the
    /// full-text rows), without a round trip per row.
    func publishInBulk(_ batch: [CatalogBatchItem], author: ChangeAuthor) async throws -> [Int64] {
        guard !batch.isEmpty else { return [] }
        guard batch.allSatisfy({ $0.existingID == nil && $0.publish }) else {
            throw StoreError.conflict(
                BilingualText(
                    zh: "批量发布只能新建并发布目录，不能修改已有目录", en: "a bulk publication only creates and publishes new entries"))
        }
        return try await provider.transaction { sql in
            try await Self.serializeCatalogWrites(sql)
            let now = Date()
            let today = CalendarDate.today().description

            var providers: [Int64: EntryProvider] = [:]
            for departmentID in Set(batch.map(\.departmentID)) {
                providers[departmentID] = try await Self.provider(departmentID, sql)
            }
            try await checkBulkReferences(batch, sql)
            let codes = try await bulkCodes(batch.map(\.content.classificationCode), sql)
            let ids = try await Self.reserveEntryIDs(batch.count, sql)

            var entryRows: [[any SQLExpression]] = []
            var itemRows: [[any SQLExpression]] = []
            var tagRows: [[any SQLExpression]] = []
            var versionRows: [[any SQLExpression]] = []
            var eventRows: [[any SQLExpression]] = []
            var changeRows: [[any SQLExpression]] = []
            var textRows: [(id: Int64, text: String)] = []
            for (index, item) in batch.enumerated() {
                let id = ids[index]
                let content = item.content
                let code = codes[index]
                let provider = providers[item.departmentID]!
                let encoded = try Self.encode(content)
                let searchText = Self.searchText(content, code: code, provider: provider)
                let mac = try integrity.mac(
                    .catalogEntries,
                    PendingRow([
                        "id": id, "code": code.text, "department_id": item.departmentID,
                        "share_type": content.shareType.rawValue, "openness": content.openness.rawValue,
                        "grade": content.grade.rawValue, "negative_list_id": content.negativeListID, "content": encoded,
                    ]))
                entryRows.append(
                    binds(
                        id, code.text, item.departmentID, EntryStatus.published.rawValue, 1, content.classificationCode,
                        content.name, content.shareType.rawValue, content.openness.rawValue,
                        content.updateCycle.rawValue, content.grade.rawValue, content.sourceSystemID,
                        content.negativeListID, encoded, today, searchText, now, now, mac))
                for (position, info) in content.items.enumerated() {
                    let negative = info.shareType == .notShared ? (info.negativeListID ?? content.negativeListID) : nil
                    itemRows.append(
                        binds(
                            id, position, info.columnName, info.name, info.shareType.rawValue, info.grade.rawValue,
                            info.semanticKind.rawValue, negative, info.codeSet))
                }
                var tags = Set<[String]>()
                for format in content.formats { tags.insert(["format", format.type.uppercased()]) }
                for keyword in content.keywords { tags.insert(["keyword", keyword]) }
                for tag in tags { tagRows.append(binds(id, tag[0], tag[1])) }
                versionRows.append(binds(id, 1, encoded, author.userID, author.name, item.note, now))
                for (action, comment) in [
                    ("created", ""), (CatalogTransition.submit.rawValue, item.note),
                    (CatalogTransition.publish.rawValue, item.note),
                ] {
                    eventRows.append(binds(id, 1, action, comment, author.userID, author.name, now))
                }
                changeRows.append(binds(id))
                textRows.append((id, searchText))
            }
            try await Self.insertRows(
                "catalog_entries",
                [
                    "id", "code", "department_id", "status", "version", "classification_code", "name", "share_type",
                    "openness", "update_cycle", "grade", "source_system_id", "negative_list_id", "content",
                    "published_on", "search_text", "created_at", "updated_at", "row_mac",
                ], entryRows, sql)
            try await Self.insertRows(
                "catalog_items",
                [
                    "entry_id", "position", "column_name", "name", "share_type", "grade", "semantic_kind",
                    "negative_list_id", "code_set",
                ], itemRows, sql)
            try await Self.insertRows("catalog_entry_tags", ["entry_id", "kind", "value"], tagRows, sql)
            try await Self.insertRows(
                "catalog_entry_versions",
                ["entry_id", "version", "content", "author_id", "author_name", "note", "created_at"], versionRows, sql)
            try await Self.insertRows(
                "catalog_events", ["entry_id", "version", "action", "comment", "actor_id", "actor_name", "created_at"],
                eventRows, sql)
            try await Self.insertRows("catalog_changes", ["entry_id"], changeRows, sql)
            if provider.backend == .sqlite {
                try await Self.insertRows(
                    "catalog_search", ["rowid", "text"], textRows.map { binds($0.id, $0.text) }, sql)
                try await Self.insertRows(
                    "catalog_search_pairs", ["rowid", "pairs"], textRows.map { binds($0.id, Self.pairs(of: $0.text)) },
                    sql)
            }
            return ids
        }
    }

    /// `checkReferences` for the batch, with the classification codes checked in one query; the rarer references
    /// (negative-list rows, code sets, information systems) per entry that makes them.
    private func checkBulkReferences(_ batch: [CatalogBatchItem], _ sql: any SQLDatabase) async throws {
        let classifications = Array(Set(batch.map(\.content.classificationCode)))
        var known = Set<String>()
        for chunk in stride(from: 0, to: classifications.count, by: 500) {
            let codes = Array(classifications[chunk..<min(chunk + 500, classifications.count)])
            for row in try await sql.raw(
                """
                SELECT code FROM classifications WHERE scheme = \(bind: ClassificationNode.guideScheme)
                AND code IN (\(binds: codes))
                """
            ).all() {
                known.insert(try row.decode(column: "code", as: String.self))
            }
        }
        for (index, item) in batch.enumerated() {
            let content = item.content
            let cites =
                !known.contains(content.classificationCode) || !content.negativeListCitations.isEmpty
                || content.sourceSystemID != nil || content.items.contains { $0.codeSet != nil }
            guard cites else { continue }
            do {
                try await checkReferences(content, departmentID: item.departmentID, sql)
            } catch let error as any HuitongError {
                throw CatalogBatchError(index: index, underlying: error)
            }
        }
    }

    /// A new code for each classification path, in order: each path's counter is advanced once for all of its
    /// entries, and numbers that codes imported from elsewhere already hold are skipped, as `nextCode` does.
    private func bulkCodes(_ paths: [String], _ sql: any SQLDatabase) async throws -> [ResourceCode] {
        var wanted: [String: Int] = [:]
        for path in paths { wanted[path, default: 0] += 1 }
        var assigned: [String: [ResourceCode]] = [:]
        for (path, count) in wanted {
            var codes: [ResourceCode] = []
            while codes.count < count {
                let missing = count - codes.count
                let last = try await sql.raw(
                    """
                    INSERT INTO catalog_code_sequences (path, last_number) VALUES (\(bind: path), \(bind: missing))
                    ON CONFLICT (path) DO UPDATE SET last_number = catalog_code_sequences.last_number + \(bind: missing)
                    RETURNING last_number
                    """
                ).first()!.decode(column: "last_number", as: Int.self)
                let candidates = try (last - missing + 1...last).map {
                    try scheme.assign(classificationPath: path, number: $0)
                }
                var taken = Set<String>()
                for chunk in stride(from: 0, to: candidates.count, by: 500) {
                    let texts = candidates[chunk..<min(chunk + 500, candidates.count)].map(\.text)
                    for row in try await sql.raw("SELECT code FROM catalog_entries WHERE code IN (\(binds: texts))")
                        .all()
                    {
                        taken.insert(try row.decode(column: "code", as: String.self))
                    }
                }
                codes += candidates.filter { !taken.contains($0.text) }
            }
            assigned[path] = codes.reversed()
        }
        return paths.map { assigned[$0]!.removeLast() }
    }

    /// `count` fresh entry ids, as the table's own numbering would have given them.
    private static func reserveEntryIDs(_ count: Int, _ sql: any SQLDatabase) async throws -> [Int64] {
        if sql.dialect.name == "postgresql" {
            return try await sql.raw(
                """
                SELECT nextval(pg_get_serial_sequence('catalog_entries', 'id')) AS id
                FROM generate_series(1, \(bind: count))
                """
            ).all().map { try $0.decode(column: "id", as: Int64.self) }.sorted()
        }
        // SQLite (whose writers take turns): past both the highest id and the AUTOINCREMENT counter, which the
        // inserts then advance.
        let row = try await sql.raw(
            """
            SELECT MAX(n) AS n FROM (
                SELECT seq AS n FROM sqlite_sequence WHERE name = 'catalog_entries'
                UNION ALL SELECT MAX(id) FROM catalog_entries)
            """
        ).first()
        let last = try row?.decode(column: "n", as: Int64?.self) ?? 0
        return (1...Int64(count)).map { last + $0 }
    }

    /// Multi-row INSERTs of `rows`, as many rows a statement as stays within both engines' limits on parameters.
    private static func insertRows(
        _ table: String, _ columns: [String], _ rows: [[any SQLExpression]], _ sql: any SQLDatabase
    ) async throws {
        let perStatement = max(1, 30_000 / columns.count)
        for start in stride(from: 0, to: rows.count, by: perStatement) {
            var insert = sql.insert(into: table).columns(columns)
            for row in rows[start..<min(start + perStatement, rows.count)] { insert = insert.values(row) }
            try await insert.run()
        }
    }
}

/// One row's values as bound parameters.
private func binds(_ values: (any Encodable & Sendable)?...) -> [any SQLExpression] {
    values.map { value -> any SQLExpression in
        if let value { SQLBind(value) } else { SQLLiteral.null }
    }
}

/// A row about to be written, as `RowIntegrity` reads one, so its MAC goes in with it.
struct PendingRow: SQLRow {
    let values: [String: any Sendable]

    init(_ values: [String: (any Sendable)?]) {
        self.values = values.compactMapValues { $0 }
    }

    var allColumns: [String] { Array(values.keys) }
    func contains(column: String) -> Bool { values[column] != nil }
    func decodeNil(column: String) throws -> Bool { values[column] == nil }
    func decode<D: Decodable>(column: String, as type: D.Type) throws -> D {
        if let value = values[column] {
            if let typed = value as? D { return typed }
        } else if let optional = D.self as? any ExpressibleByNilLiteral.Type,
            let none = optional.init(nilLiteral: ()) as? D
        {
            return none
        }
        throw DecodingError.typeMismatch(
            D.self, .init(codingPath: [], debugDescription: "column \(column) holds no \(D.self)"))
    }
}
