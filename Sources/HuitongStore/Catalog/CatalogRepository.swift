import Foundation
import HuitongCore
import SQLKit

/// Catalog entries: their content, lifecycle, versions, mounted resources and search.
public protocol CatalogRepository: Sendable {
    /// Files a new draft for `departmentID`, assigning its resource code from the classification path.
    func create(_ content: CatalogEntryContent, departmentID: Int64, author: ChangeAuthor) async throws -> CatalogEntry
    /// Replaces an entry's content. A draft changes in place; an entry that has been published gets a new version.
    func update(id: Int64, with content: CatalogEntryContent, author: ChangeAuthor, note: String) async throws
        -> CatalogEntry
    /// Moves an entry through its lifecycle, recording who did it and why.
    func transition(id: Int64, _ step: CatalogTransition, author: ChangeAuthor, comment: String) async throws
        -> CatalogEntry
    /// Applies many creations and changes in one transaction: all of them, or none when one fails (the error
    /// says which, as a `CatalogBatchError`). Used by bulk import.
    func apply(_ batch: [CatalogBatchItem], author: ChangeAuthor) async throws -> [CatalogEntry]
    /// Creates many entries already published, in one transaction, by multi-row INSERTs instead of statements per
    /// row: what `apply` writes for new items with `publish: true`, row MACs and search indexes included. Returns
    /// their ids in order. Every item must be new (`existingID` nil); used to fill large catalogs (the benchmark).
    func publishInBulk(_ batch: [CatalogBatchItem], author: ChangeAuthor) async throws -> [Int64]
    /// Drops all but the last `count` entries of the change log each node's catalog index follows; a node that had
    /// not applied a dropped change reads its index afresh. Returns how many were dropped.
    func pruneChanges(keeping count: Int) async throws -> Int
    /// Deletes a draft that was never published.
    func delete(id: Int64) async throws
    func find(id: Int64) async throws -> CatalogEntry?
    func find(code: String) async throws -> CatalogEntry?
    /// Entries by id, in the order asked for; unknown ids are skipped.
    func entries(ids: [Int64]) async throws -> [CatalogEntry]
    /// Entries by resource code, keyed by code; unknown codes are absent (a sheet import looks up all of its
    /// codes in one go instead of one query per row).
    func entries(codes: [String]) async throws -> [String: CatalogEntry]
    /// Published states, oldest first.
    func versions(id: Int64) async throws -> [CatalogVersion]
    func events(id: Int64) async throws -> [CatalogEvent]
    /// Records where the entry's data is mounted and how much of it there is.
    func setMount(id: Int64, _ mount: MountedResource?, recordCount: Int64?, dataUpdatedAt: Date?, author: ChangeAuthor)
        async throws -> CatalogEntry
    func search(_ query: CatalogQuery, facets: [CatalogFacet]) async throws -> CatalogSearchResult
    /// 挂接率 per department, over published entries.
    func mountRates() async throws -> [MountRate]
    /// The data items of published entries, and the published entries open to the public (一张图's totals).
    func publishedTotals() async throws -> (items: Int, open: Int)
    func count(status: EntryStatus?) async throws -> Int

    func classifications(scheme: String) async throws -> [ClassificationNode]
    /// Adds classification nodes; existing ones are renamed only when `replacingNames` (seed data loaded at every
    /// start must not undo an operator's renaming).
    func saveClassifications(_ nodes: [ClassificationNode], replacingNames: Bool) async throws
}

extension CatalogRepository {
    public func saveClassifications(_ nodes: [ClassificationNode]) async throws {
        try await saveClassifications(nodes, replacingNames: true)
    }
}

struct SQLCatalogRepository: CatalogRepository {
    let provider: any DatabaseProvider
    let scheme: any ResourceCodeScheme
    var integrity = RowIntegrity()
    let facetIndex: CatalogFacetIndex

    /// `facetIndex`: the node's catalog index, when another repository of the node (over the primary, while this
    /// one reads a replica) has it already; it only moves forward, whichever database it catches up from.
    init(
        provider: any DatabaseProvider, scheme: any ResourceCodeScheme, integrity: RowIntegrity = RowIntegrity(),
        facetIndex: CatalogFacetIndex? = nil
    ) {
        self.provider = provider
        self.scheme = scheme
        self.integrity = integrity
        // PostgreSQL finds text through the node's catalog index: its own indexes answer a common word (tens of
        // thousands of entries) no faster than by visiting each of them (see `textMatchesInSQLite`'s caller).
        self.facetIndex = facetIndex ?? CatalogFacetIndex(indexesText: provider.backend == .postgres)
    }

    static let entryColumns = """
        e.id, e.code, e.status, e.version, e.content, e.published_on, e.record_count, e.data_updated_at, \
        e.mount_kind, e.mount_locator, e.created_at, e.updated_at, d.id AS provider_id, d.name AS provider_name, \
        d.code AS provider_code, d.credit_code AS provider_credit_code, d.region_code AS provider_region_code, \
        e.department_id, e.share_type, e.openness, e.grade, e.negative_list_id, e.row_mac
        """

    // MARK: Writing

    func create(_ content: CatalogEntryContent, departmentID: Int64, author: ChangeAuthor) async throws -> CatalogEntry
    {
        try await provider.transaction { sql in
            try await Self.serializeCatalogWrites(sql)
            return try await insert(content, departmentID: departmentID, author: author, at: Date(), sql)
        }
    }

    func update(id: Int64, with content: CatalogEntryContent, author: ChangeAuthor, note: String) async throws
        -> CatalogEntry
    {
        try await provider.transaction { sql in
            try await Self.serializeCatalogWrites(sql)
            return try await revise(id: id, with: content, author: author, note: note, at: Date(), sql)
        }
    }

    func transition(id: Int64, _ step: CatalogTransition, author: ChangeAuthor, comment: String) async throws
        -> CatalogEntry
    {
        try await provider.transaction { sql in
            try await Self.serializeCatalogWrites(sql)
            return try await move(id: id, step, author: author, comment: comment, at: Date(), sql)
        }
    }

    func apply(_ batch: [CatalogBatchItem], author: ChangeAuthor) async throws -> [CatalogEntry] {
        try await provider.transaction { sql in
            try await Self.serializeCatalogWrites(sql)
            let now = Date()
            var results: [CatalogEntry] = []
            results.reserveCapacity(batch.count)
            for (index, item) in batch.enumerated() {
                do {
                    var entry: CatalogEntry
                    if let id = item.existingID {
                        entry = try await revise(
                            id: id, with: item.content, author: author, note: item.note, at: now, sql)
                    } else {
                        entry = try await insert(
                            item.content, departmentID: item.departmentID, author: author, at: now, sql)
                    }
                    if item.publish && entry.status != .published {
                        for step in [CatalogTransition.submit, .publish] {
                            entry = try await move(id: entry.id, step, author: author, comment: item.note, at: now, sql)
                        }
                    }
                    results.append(entry)
                } catch let error as any HuitongError {
                    throw CatalogBatchError(index: index, underlying: error)
                }
            }
            return results
        }
    }

    private func insert(
        _ content: CatalogEntryContent, departmentID: Int64, author: ChangeAuthor, at now: Date, _ sql: any SQLDatabase
    ) async throws -> CatalogEntry {
        let provider = try await Self.provider(departmentID, sql)
        try await checkReferences(content, departmentID: departmentID, sql)
        let code = try await nextCode(for: content.classificationCode, sql)
        let row = try await sql.raw(
            """
            INSERT INTO catalog_entries (code, department_id, status, version, classification_code, name,
                share_type, openness, update_cycle, grade, source_system_id, negative_list_id, content,
                search_text, created_at, updated_at)
            VALUES (\(bind: code.text), \(bind: departmentID), \(bind: EntryStatus.draft.rawValue), 1,
                \(bind: content.classificationCode), \(bind: content.name), \(bind: content.shareType.rawValue),
                \(bind: content.openness.rawValue), \(bind: content.updateCycle.rawValue),
                \(bind: content.grade.rawValue), \(bind: content.sourceSystemID), \(bind: content.negativeListID),
                \(bind: try Self.encode(content)), \(bind: Self.searchText(content, code: code, provider: provider)),
                \(bind: now), \(bind: now))
            RETURNING id
            """
        ).first()
        let id = try row!.decode(column: "id", as: Int64.self)
        try await integrity.seal(.catalogEntries, id: id, sql)
        try await writeDerivedRows(id: id, content, code: code, provider: provider, sql)
        try await Self.record(id: id, version: 1, action: "created", comment: "", author: author, at: now, sql)
        return try await Self.load(id: id, sql, integrity: integrity)!
    }

    private func revise(
        id: Int64, with content: CatalogEntryContent, author: ChangeAuthor, note: String, at now: Date,
        _ sql: any SQLDatabase
    ) async throws -> CatalogEntry {
        guard let existing = try await Self.load(id: id, sql, integrity: integrity, forUpdate: true) else {
            throw StoreError.notFound(entity: "catalog entry", key: "\(id)")
        }
        if existing.status == .submitted { throw CatalogRuleError.underReview }
        let wasPublished = existing.publishedOn != nil
        var code = existing.code
        if content.classificationCode != existing.content.classificationCode {
            if wasPublished { throw CatalogRuleError.codeFrozen }
            code = try await nextCode(for: content.classificationCode, sql)
        }
        try await checkReferences(content, departmentID: existing.provider.departmentID, sql)
        let changes = CatalogDiff.changes(from: existing.content, to: content)
        if changes.isEmpty { return existing }
        let version = wasPublished ? existing.version + 1 : existing.version
        try await sql.raw(
            """
            UPDATE catalog_entries SET code = \(bind: code.text), version = \(bind: version),
                classification_code = \(bind: content.classificationCode), name = \(bind: content.name),
                share_type = \(bind: content.shareType.rawValue), openness = \(bind: content.openness.rawValue),
                update_cycle = \(bind: content.updateCycle.rawValue), grade = \(bind: content.grade.rawValue),
                source_system_id = \(bind: content.sourceSystemID),
                negative_list_id = \(bind: content.negativeListID), content = \(bind: try Self.encode(content)),
                search_text = \(bind: Self.searchText(content, code: code, provider: existing.provider)),
                updated_at = \(bind: now)
            WHERE id = \(bind: id)
            """
        ).run()
        // `existing` was checked when loaded above, so the new MAC never covers an edit made behind the store.
        try await integrity.seal(.catalogEntries, id: id, sql)
        try await writeDerivedRows(id: id, content, code: code, provider: existing.provider, sql)
        if wasPublished {
            try await Self.snapshot(id: id, version: version, content, author: author, note: note, at: now, sql)
        }
        let summary = changes.map(\.label.zh).joined(separator: "、")
        try await Self.record(
            id: id, version: version, action: wasPublished ? "revised" : "edited",
            comment: note.isEmpty ? summary : "\(note)（\(summary)）", author: author, at: now, sql)
        return try await Self.load(id: id, sql, integrity: integrity)!
    }

    private func move(
        id: Int64, _ step: CatalogTransition, author: ChangeAuthor, comment: String, at now: Date,
        _ sql: any SQLDatabase
    ) async throws -> CatalogEntry {
        guard let existing = try await Self.load(id: id, sql, integrity: integrity, forUpdate: true) else {
            throw StoreError.notFound(entity: "catalog entry", key: "\(id)")
        }
        let target = try step.apply(to: existing.status, comment: comment)
        if step == .submit {
            // The cited rows may have changed since the draft was saved.
            try await checkReferences(existing.content, departmentID: existing.provider.departmentID, sql)
        }
        var publishedOn = existing.publishedOn
        if step == .publish && publishedOn == nil {
            publishedOn = CalendarDate.today()
            try await Self.snapshot(
                id: id, version: existing.version, existing.content, author: author, note: comment, at: now, sql)
        }
        try await sql.raw(
            """
            UPDATE catalog_entries SET status = \(bind: target.rawValue),
                published_on = \(bind: publishedOn?.description), updated_at = \(bind: now)
            WHERE id = \(bind: id)
            """
        ).run()
        try await Self.touch(id, sql)
        try await Self.record(
            id: id, version: existing.version, action: step.rawValue, comment: comment, author: author, at: now, sql
        )
        return try await Self.load(id: id, sql, integrity: integrity)!
    }

    func delete(id: Int64) async throws {
        try await provider.transaction { sql in
            try await Self.serializeCatalogWrites(sql)
            guard let existing = try await Self.load(id: id, sql, integrity: integrity, forUpdate: true) else {
                throw StoreError.notFound(entity: "catalog entry", key: "\(id)")
            }
            if existing.publishedOn != nil { throw CatalogRuleError.publishedCannotBeDeleted }
            try await sql.raw("DELETE FROM catalog_entries WHERE id = \(bind: id)").run()
            try await Self.touch(id, sql)
            if provider.backend == .sqlite {
                try await sql.raw("DELETE FROM catalog_search WHERE rowid = \(bind: id)").run()
                try await sql.raw("DELETE FROM catalog_search_pairs WHERE rowid = \(bind: id)").run()
            }
        }
    }

    func setMount(
        id: Int64, _ mount: MountedResource?, recordCount: Int64?, dataUpdatedAt: Date?, author: ChangeAuthor
    ) async throws -> CatalogEntry {
        let now = Date()
        return try await provider.transaction { sql in
            try await Self.setMount(
                id: id, mount, recordCount: recordCount, dataUpdatedAt: dataUpdatedAt, author: author, at: now,
                integrity: integrity, sql)
        }
    }

    /// `setMount` inside the caller's transaction (a load publishes its version, mounts it and records its job's
    /// success in one).
    static func setMount(
        id: Int64, _ mount: MountedResource?, recordCount: Int64?, dataUpdatedAt: Date?, author: ChangeAuthor,
        at now: Date, integrity: RowIntegrity, _ sql: any SQLDatabase
    ) async throws -> CatalogEntry {
        // Whether an entry has data is a search filter (the portal lists only entries with data): the change
        // goes on the catalog's change log like any other.
        try await serializeCatalogWrites(sql)
        guard let existing = try await Self.load(id: id, sql, integrity: integrity, forUpdate: true) else {
            throw StoreError.notFound(entity: "catalog entry", key: "\(id)")
        }
        try await Self.touch(id, sql)
        try await sql.raw(
            """
            UPDATE catalog_entries SET mount_kind = \(bind: mount?.kind.rawValue),
                mount_locator = \(bind: mount?.locator), record_count = \(bind: recordCount),
                data_updated_at = \(bind: dataUpdatedAt), updated_at = \(bind: now)
            WHERE id = \(bind: id)
            """
        ).run()
        // The locator (an upstream URL, say) is the provider's business; the shared history names the kind only.
        let description = mount.map { "挂接\($0.kind.label.zh)" } ?? "取消挂接"
        try await Self.record(
            id: id, version: existing.version, action: "mounted", comment: description, author: author, at: now, sql
        )
        return try await Self.load(id: id, sql, integrity: integrity)!
    }

    // MARK: Reading

    func find(id: Int64) async throws -> CatalogEntry? {
        try await provider.read { sql in try await Self.load(id: id, sql, integrity: integrity) }
    }

    func find(code: String) async throws -> CatalogEntry? {
        try await provider.read { sql in
            try await sql.raw(
                """
                SELECT \(unsafeRaw: Self.entryColumns) FROM catalog_entries e
                JOIN departments d ON d.id = e.department_id WHERE e.code = \(bind: code)
                """
            ).first().map { try Self.decode($0, integrity: integrity) }
        }
    }

    func entries(ids: [Int64]) async throws -> [CatalogEntry] {
        try await provider.read { sql in try await Self.entries(ids: ids, integrity: integrity, sql) }
    }

    func entries(codes: [String]) async throws -> [String: CatalogEntry] {
        try await provider.read { sql in
            var found: [String: CatalogEntry] = [:]
            // In slices, well under either engine's limit on bound parameters.
            for start in stride(from: 0, to: codes.count, by: 500) {
                let slice = Array(codes[start..<min(start + 500, codes.count)])
                let rows = try await sql.raw(
                    """
                    SELECT \(unsafeRaw: Self.entryColumns) FROM catalog_entries e
                    JOIN departments d ON d.id = e.department_id WHERE e.code IN (\(binds: slice))
                    """
                ).all()
                for row in rows {
                    let entry = try Self.decode(row, integrity: integrity)
                    found[entry.code.text] = entry
                }
            }
            return found
        }
    }

    func versions(id: Int64) async throws -> [CatalogVersion] {
        try await provider.read { sql in
            try await sql.raw(
                """
                SELECT version, content, author_name, note, created_at FROM catalog_entry_versions
                WHERE entry_id = \(bind: id) ORDER BY version
                """
            ).all().map { row in
                CatalogVersion(
                    version: try row.decode(column: "version", as: Int.self),
                    content: try Self.decodeContent(try row.decode(column: "content", as: String.self)),
                    authorName: try row.decode(column: "author_name", as: String.self),
                    note: try row.decode(column: "note", as: String.self),
                    createdAt: try row.decode(column: "created_at", as: Date.self))
            }
        }
    }

    func events(id: Int64) async throws -> [CatalogEvent] {
        try await provider.read { sql in
            try await sql.raw(
                """
                SELECT version, action, comment, actor_name, created_at FROM catalog_events
                WHERE entry_id = \(bind: id) ORDER BY id
                """
            ).all().map { row in
                CatalogEvent(
                    action: try row.decode(column: "action", as: String.self),
                    version: try row.decode(column: "version", as: Int.self),
                    comment: try row.decode(column: "comment", as: String.self),
                    actorName: try row.decode(column: "actor_name", as: String.self),
                    createdAt: try row.decode(column: "created_at", as: Date.self))
            }
        }
    }

    func mountRates() async throws -> [MountRate] {
        try await provider.read { sql in
            try await sql.raw(
                """
                SELECT d.id, d.name,
                    SUM(CASE WHEN e.status = 'published' THEN 1 ELSE 0 END) AS published,
                    SUM(CASE WHEN e.status = 'published' AND e.mount_kind IS NOT NULL THEN 1 ELSE 0 END) AS mounted
                FROM departments d LEFT JOIN catalog_entries e ON e.department_id = d.id
                GROUP BY d.id, d.name ORDER BY d.id
                """
            ).all().map { row in
                MountRate(
                    departmentID: try row.decode(column: "id", as: Int64.self),
                    departmentName: try row.decode(column: "name", as: String.self),
                    published: try row.decode(column: "published", as: Int?.self) ?? 0,
                    mounted: try row.decode(column: "mounted", as: Int?.self) ?? 0)
            }
        }
    }

    func publishedTotals() async throws -> (items: Int, open: Int) {
        try await provider.read { sql in
            let items =
                try await sql.raw(
                    """
                    SELECT COUNT(*) AS n FROM catalog_items i JOIN catalog_entries e ON e.id = i.entry_id
                    WHERE e.status = 'published'
                    """
                ).first()?.decode(column: "n", as: Int.self) ?? 0
            let open =
                try await sql.raw(
                    """
                    SELECT COUNT(*) AS n FROM catalog_entries WHERE status = 'published'
                    AND openness <> \(bind: Openness.closed.rawValue)
                    """
                ).first()?.decode(column: "n", as: Int.self) ?? 0
            return (items, open)
        }
    }

    func count(status: EntryStatus?) async throws -> Int {
        try await provider.read { sql in
            let row: (any SQLRow)?
            if let status {
                row = try await sql.raw(
                    "SELECT COUNT(*) AS n FROM catalog_entries WHERE status = \(bind: status.rawValue)"
                ).first()
            } else {
                row = try await sql.raw("SELECT COUNT(*) AS n FROM catalog_entries").first()
            }
            return try row?.decode(column: "n", as: Int.self) ?? 0
        }
    }

    // MARK: Classifications

    func classifications(scheme: String) async throws -> [ClassificationNode] {
        try await provider.read { sql in
            try await sql.raw(
                "SELECT scheme, code, name FROM classifications WHERE scheme = \(bind: scheme) ORDER BY code"
            ).all().map { row in
                ClassificationNode(
                    scheme: try row.decode(column: "scheme", as: String.self),
                    code: try row.decode(column: "code", as: String.self),
                    name: try row.decode(column: "name", as: String.self))
            }
        }
    }

    func saveClassifications(_ nodes: [ClassificationNode], replacingNames: Bool) async throws {
        let onConflict = replacingNames ? "DO UPDATE SET name = excluded.name" : "DO NOTHING"
        try await provider.transaction { sql in
            try await Self.serializeCatalogWrites(sql)
            // The names label the classification facet in every node's catalog index.
            try await Self.touch(Self.labelsChanged, sql)
            for node in nodes {
                if let parent = node.parentCode {
                    let known = nodes.contains { $0.scheme == node.scheme && $0.code == parent }
                    if !known,
                        try await sql.raw(
                            "SELECT code FROM classifications WHERE scheme = \(bind: node.scheme) AND code = \(bind: parent)"
                        ).first() == nil
                    {
                        throw StoreError.missingReference(field: "code", value: parent)
                    }
                }
                try await sql.raw(
                    """
                    INSERT INTO classifications (scheme, code, name, parent_code, level)
                    VALUES (\(bind: node.scheme), \(bind: node.code), \(bind: node.name), \(bind: node.parentCode),
                        \(bind: node.level))
                    ON CONFLICT (scheme, code) \(unsafeRaw: onConflict)
                    """
                ).run()
            }
        }
    }

    // MARK: Helpers

    static func load(id: Int64, _ sql: any SQLDatabase, integrity: RowIntegrity, forUpdate: Bool = false)
        async throws -> CatalogEntry?
    {
        // SQLite's BEGIN IMMEDIATE already serialises writers; PostgreSQL needs the row lock.
        let lock = forUpdate && sql.dialect.name == "postgresql" ? " FOR UPDATE OF e" : ""
        return try await sql.raw(
            """
            SELECT \(unsafeRaw: entryColumns) FROM catalog_entries e
            JOIN departments d ON d.id = e.department_id WHERE e.id = \(bind: id)\(unsafeRaw: lock)
            """
        ).first().map { try decode($0, integrity: integrity) }
    }

    static func provider(_ departmentID: Int64, _ sql: any SQLDatabase) async throws -> EntryProvider {
        guard
            let row = try await sql.raw(
                "SELECT id, name, code, credit_code, region_code FROM departments WHERE id = \(bind: departmentID)"
            ).first()
        else { throw StoreError.missingReference(field: "departmentID", value: "\(departmentID)") }
        return EntryProvider(
            departmentID: try row.decode(column: "id", as: Int64.self),
            name: try row.decode(column: "name", as: String.self),
            code: try row.decode(column: "code", as: String.self),
            creditCode: try row.decode(column: "credit_code", as: String?.self),
            regionCode: try row.decode(column: "region_code", as: String.self))
    }

    /// The store's half of the negative-list invariant, plus the other references an entry makes.
    func checkReferences(_ content: CatalogEntryContent, departmentID: Int64, _ sql: any SQLDatabase)
        async throws
    {
        guard
            try await sql.raw(
                """
                SELECT code FROM classifications WHERE scheme = \(bind: ClassificationNode.guideScheme)
                AND code = \(bind: content.classificationCode)
                """
            ).first() != nil
        else {
            throw ValidationError(
                field: "classificationCode",
                BilingualText(
                    zh: "信息资源分类“\(content.classificationCode)”不存在，请先在分类目录中登记",
                    en: "classification \(content.classificationCode) does not exist; register it first"))
        }
        var issues = ValidationCollector()
        for (field, rowID) in content.negativeListCitations {
            let row = try await sql.raw(
                """
                SELECT department_id, kind, legal_basis FROM negative_list
                WHERE id = \(bind: rowID)\(unsafeRaw: sql.dialect.name == "postgresql" ? " FOR SHARE" : "")
                """
            ).first()
            guard let row else {
                issues.add(
                    field,
                    BilingualText(zh: "负面清单条目 \(rowID) 不存在", en: "negative-list row \(rowID) does not exist"))
                continue
            }
            let basis = try row.decode(column: "legal_basis", as: String.self)
            let kind = try row.decode(column: "kind", as: String.self)
            let owner = try row.decode(column: "department_id", as: Int64.self)
            if basis.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                issues.add(field, NegativeListDraft.legalBasisRequired)
            } else if kind != NegativeListKind.notShared.rawValue {
                issues.add(
                    field,
                    BilingualText(
                        zh: "负面清单条目 \(rowID) 的类型是“不予开放”，不能作为不予共享的依据",
                        en: "negative-list row \(rowID) is about opening, not sharing"))
            } else if owner != departmentID {
                issues.add(
                    field,
                    BilingualText(
                        zh: "负面清单条目 \(rowID) 属于其他部门", en: "negative-list row \(rowID) belongs to another department"))
            }
        }
        // Code sets are never deleted, and `catalog_items.code_set` references them, so no lock is needed here.
        for (index, item) in content.items.enumerated() {
            guard let codeSet = item.codeSet else { continue }
            let found = try await sql.raw("SELECT id FROM code_sets WHERE id = \(bind: codeSet)").first()
            if found == nil {
                issues.add(
                    "items[\(index)].codeSet",
                    BilingualText(
                        zh: "代码集“\(codeSet)”不存在，请先登记", en: "code set \(codeSet) does not exist; register it first"))
            }
        }
        if let systemID = content.sourceSystemID {
            let owner = try await sql.raw(
                "SELECT department_id FROM information_systems WHERE id = \(bind: systemID)"
            ).first()?.decode(column: "department_id", as: Int64.self)
            if owner == nil {
                issues.add(
                    "sourceSystemID",
                    BilingualText(zh: "信息系统 \(systemID) 不存在", en: "information system \(systemID) does not exist"))
            } else if owner != departmentID {
                issues.add(
                    "sourceSystemID",
                    BilingualText(
                        zh: "信息系统 \(systemID) 属于其他部门",
                        en: "information system \(systemID) belongs to another department"))
            }
        }
        try issues.throwIfAny()
    }

    /// The next free code under `path`, from a per-path counter so that codes are never reused.
    private func nextCode(for path: String, _ sql: any SQLDatabase) async throws -> ResourceCode {
        while true {
            let row = try await sql.raw(
                """
                INSERT INTO catalog_code_sequences (path, last_number) VALUES (\(bind: path), 1)
                ON CONFLICT (path) DO UPDATE SET last_number = catalog_code_sequences.last_number + 1
                RETURNING last_number
                """
            ).first()
            let number = try row!.decode(column: "last_number", as: Int.self)
            let code = try scheme.assign(classificationPath: path, number: number)
            // Codes imported from elsewhere may already occupy a number; skip past them.
            if try await sql.raw("SELECT id FROM catalog_entries WHERE code = \(bind: code.text)").first() == nil {
                return code
            }
        }
    }

    /// Items, facet tags and the full-text row, rewritten from the content on every change.
    private func writeDerivedRows(
        id: Int64, _ content: CatalogEntryContent, code: ResourceCode, provider: EntryProvider,
        _ sql: any SQLDatabase
    ) async throws {
        try await Self.touch(id, sql)
        try await sql.raw("DELETE FROM catalog_items WHERE entry_id = \(bind: id)").run()
        for (position, item) in content.items.enumerated() {
            let negative = item.shareType == .notShared ? (item.negativeListID ?? content.negativeListID) : nil
            try await sql.raw(
                """
                INSERT INTO catalog_items (entry_id, position, column_name, name, share_type, grade, semantic_kind,
                    negative_list_id, code_set)
                VALUES (\(bind: id), \(bind: position), \(bind: item.columnName), \(bind: item.name),
                    \(bind: item.shareType.rawValue), \(bind: item.grade.rawValue), \(bind: item.semanticKind.rawValue),
                    \(bind: negative), \(bind: item.codeSet))
                """
            ).run()
        }
        try await sql.raw("DELETE FROM catalog_entry_tags WHERE entry_id = \(bind: id)").run()
        var tags = Set<[String]>()
        for format in content.formats { tags.insert(["format", format.type.uppercased()]) }
        for keyword in content.keywords { tags.insert(["keyword", keyword]) }
        for tag in tags {
            try await sql.raw(
                "INSERT INTO catalog_entry_tags (entry_id, kind, value) VALUES (\(bind: id), \(bind: tag[0]), \(bind: tag[1]))"
            ).run()
        }
        if self.provider.backend == .sqlite {
            try await Self.writeFullText(id: id, Self.searchText(content, code: code, provider: provider), sql)
        }
    }

    /// On PostgreSQL, makes catalog writes take turns for the rest of their transaction. Change-log ids are
    /// assigned when a row is inserted, not when it commits; taking turns makes id order commit order, so a search
    /// that has applied every change up to id N can never later meet a committed change below N. Taken first in a
    /// transaction, before any row lock, so it cannot deadlock. SQLite's single writer already takes turns.
    static func serializeCatalogWrites(_ sql: any SQLDatabase) async throws {
        if sql.dialect.name == "postgresql" {
            try await sql.raw("SELECT pg_advisory_xact_lock(48226102)").run()
        }
    }

    /// The change recorded when the names that label facets (departments, classifications) changed: no entry has
    /// this id.
    static let labelsChanged: Int64 = 0

    /// Records that an entry changed, for every node's facet index (see `CatalogFacetIndex`).
    static func touch(_ id: Int64, _ sql: any SQLDatabase) async throws {
        try await sql.raw("INSERT INTO catalog_changes (entry_id) VALUES (\(bind: id))").run()
    }

    static func snapshot(
        id: Int64, version: Int, _ content: CatalogEntryContent, author: ChangeAuthor, note: String, at time: Date,
        _ sql: any SQLDatabase
    ) async throws {
        try await sql.raw(
            """
            INSERT INTO catalog_entry_versions (entry_id, version, content, author_id, author_name, note, created_at)
            VALUES (\(bind: id), \(bind: version), \(bind: try encode(content)), \(bind: author.userID),
                \(bind: author.name), \(bind: note), \(bind: time))
            """
        ).run()
    }

    static func record(
        id: Int64, version: Int, action: String, comment: String, author: ChangeAuthor, at time: Date,
        _ sql: any SQLDatabase
    ) async throws {
        try await sql.raw(
            """
            INSERT INTO catalog_events (entry_id, version, action, comment, actor_id, actor_name, created_at)
            VALUES (\(bind: id), \(bind: version), \(bind: action), \(bind: comment), \(bind: author.userID),
                \(bind: author.name), \(bind: time))
            """
        ).run()
    }

    /// SQLite's two full-text indexes of one entry (on PostgreSQL each node's catalog index reads `search_text`).
    static func writeFullText(id: Int64, _ text: String, _ sql: any SQLDatabase) async throws {
        try await sql.raw("DELETE FROM catalog_search WHERE rowid = \(bind: id)").run()
        try await sql.raw("INSERT INTO catalog_search (rowid, text) VALUES (\(bind: id), \(bind: text))").run()
        try await sql.raw("DELETE FROM catalog_search_pairs WHERE rowid = \(bind: id)").run()
        try await sql.raw(
            "INSERT INTO catalog_search_pairs (rowid, pairs) VALUES (\(bind: id), \(bind: pairs(of: text)))"
        ).run()
    }

    /// Rewrites the search text of a department's entries after it was renamed, since the provider's name is
    /// among the words an entry is found by.
    static func reindexEntries(ofDepartment departmentID: Int64, _ sql: any SQLDatabase) async throws {
        let provider = try await Self.provider(departmentID, sql)
        let rows = try await sql.raw(
            "SELECT id, code, content FROM catalog_entries WHERE department_id = \(bind: departmentID)"
        ).all()
        // The entries' changes and the department's new name (a facet label) are recorded for every node's catalog
        // index, in commit order like other catalog writes: the caller holds the catalog's write lock (taken again
        // here, harmlessly, for any other caller).
        try await serializeCatalogWrites(sql)
        try await touch(labelsChanged, sql)
        for row in rows {
            let id = try row.decode(column: "id", as: Int64.self)
            let code = try NationalResourceCodeScheme().parse(try row.decode(column: "code", as: String.self))
            let text = searchText(
                try decodeContent(try row.decode(column: "content", as: String.self)), code: code, provider: provider)
            try await sql.raw("UPDATE catalog_entries SET search_text = \(bind: text) WHERE id = \(bind: id)").run()
            try await touch(id, sql)
            if sql.dialect.name == "sqlite" { try await writeFullText(id: id, text, sql) }
        }
    }

    /// What full-text search looks in, lower-cased once here so queries need not fold case.
    static func searchText(_ content: CatalogEntryContent, code: ResourceCode, provider: EntryProvider) -> String {
        var parts = [content.name, code.text, provider.name, content.abstract]
        parts.append(contentsOf: content.keywords)
        for item in content.items {
            parts.append(item.name)
            parts.append(item.columnName)
        }
        return parts.joined(separator: " ").lowercased()
    }

    /// Every pair of adjacent non-ASCII characters in `text`, as space-separated tokens: `人口基础` → `人口 口基 基础`.
    static func pairs(of text: String) -> String {
        var tokens = Set<String>()
        var previous: Character?
        for character in text {
            if isPairable(character) {
                if let previous { tokens.insert(String([previous, character])) }
                previous = character
            } else {
                previous = nil
            }
        }
        return tokens.sorted().joined(separator: " ")
    }

    /// Chinese (and other non-ASCII) letters and digits; punctuation breaks a pair.
    static func isPairable(_ character: Character) -> Bool {
        !character.isASCII && (character.isLetter || character.isNumber)
    }

    static func encode(_ content: CatalogEntryContent) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(content), as: UTF8.self)
    }

    static func decodeContent(_ text: String) throws -> CatalogEntryContent {
        try JSONDecoder().decode(CatalogEntryContent.self, from: Data(text.utf8))
    }

    /// An entry's row, checked against its MAC first: its grade labels and sharing terms decide masking and access.
    static func decode(_ row: any SQLRow, integrity: RowIntegrity) throws -> CatalogEntry {
        try integrity.verify(.catalogEntries, row, prefix: "")
        let mountKind = try row.decode(column: "mount_kind", as: String?.self).flatMap(MountKind.init(rawValue:))
        let locator = try row.decode(column: "mount_locator", as: String?.self)
        return CatalogEntry(
            id: try row.decode(column: "id", as: Int64.self),
            code: try NationalResourceCodeScheme().parse(try row.decode(column: "code", as: String.self)),
            provider: EntryProvider(
                departmentID: try row.decode(column: "provider_id", as: Int64.self),
                name: try row.decode(column: "provider_name", as: String.self),
                code: try row.decode(column: "provider_code", as: String.self),
                creditCode: try row.decode(column: "provider_credit_code", as: String?.self),
                regionCode: try row.decode(column: "provider_region_code", as: String.self)),
            status: EntryStatus(rawValue: try row.decode(column: "status", as: String.self)) ?? .draft,
            version: try row.decode(column: "version", as: Int.self),
            content: try decodeContent(try row.decode(column: "content", as: String.self)),
            publishedOn: try row.decode(column: "published_on", as: String?.self).flatMap(CalendarDate.init(iso:)),
            recordCount: try row.decode(column: "record_count", as: Int64?.self),
            dataUpdatedAt: try row.decode(column: "data_updated_at", as: Date?.self),
            mount: mountKind.flatMap { kind in locator.map { MountedResource(kind: kind, locator: $0) } },
            createdAt: try row.decode(column: "created_at", as: Date.self),
            updatedAt: try row.decode(column: "updated_at", as: Date.self))
    }
}

/// One entry of a bulk change: a new entry when `existingID` is nil, otherwise new content for that entry.
public struct CatalogBatchItem: Sendable {
    public var departmentID: Int64
    public var content: CatalogEntryContent
    public var existingID: Int64?
    /// Submit and publish in the same transaction (the caller has checked that its user may publish).
    public var publish: Bool
    public var note: String

    public init(
        departmentID: Int64, content: CatalogEntryContent, existingID: Int64? = nil, publish: Bool = false,
        note: String = ""
    ) {
        self.departmentID = departmentID
        self.content = content
        self.existingID = existingID
        self.publish = publish
        self.note = note
    }
}

/// Why a bulk change failed: the position of the offending item and the rule it broke. Nothing was written.
public struct CatalogBatchError: HuitongError {
    public var index: Int
    public var underlying: any HuitongError

    public init(index: Int, underlying: any HuitongError) {
        self.index = index
        self.underlying = underlying
    }

    public var code: String { underlying.code }
    public var kind: ErrorKind { underlying.kind }
    public var message: BilingualText {
        BilingualText(
            zh: "第 \(index + 1) 条：\(underlying.message.zh)", en: "item \(index + 1): \(underlying.message.en)")
    }
    public var details: [FieldIssue] { underlying.details }
}

extension SQLCatalogRepository {
    func pruneChanges(keeping count: Int) async throws -> Int {
        try await provider.transaction { sql in
            guard
                let row = try await sql.raw("SELECT MIN(id) AS low, MAX(id) AS high FROM catalog_changes").first(),
                let low = try row.decode(column: "low", as: Int64?.self),
                let high = try row.decode(column: "high", as: Int64?.self),
                high - Int64(count) >= low
            else { return 0 }
            // Ids only grow, so the range below the kept ones is dropped by one statement.
            try await sql.raw("DELETE FROM catalog_changes WHERE id <= \(bind: high - Int64(count))").run()
            return Int(high - Int64(count) - low + 1)
        }
    }
}
