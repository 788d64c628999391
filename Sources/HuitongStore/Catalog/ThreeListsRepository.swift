import Foundation
import HuitongCore
import SQLKit

/// 三清单: the responsibility, demand and negative lists (domain.md §2), with their invariants.
public protocol ThreeListsRepository: Sendable {
    func createNegative(_ draft: NegativeListDraft, departmentID: Int64) async throws -> NegativeListRow
    func updateNegative(id: Int64, with draft: NegativeListDraft) async throws -> NegativeListRow
    func findNegative(id: Int64) async throws -> NegativeListRow?
    func listNegative(departmentID: Int64?) async throws -> [NegativeListRow]
    /// Deletes a row that no entry or item cites any more.
    func deleteNegative(id: Int64) async throws

    func createResponsibility(_ draft: ResponsibilityDraft, departmentID: Int64) async throws -> ResponsibilityRow
    func updateResponsibility(id: Int64, with draft: ResponsibilityDraft) async throws -> ResponsibilityRow
    func findResponsibility(id: Int64) async throws -> ResponsibilityRow?
    func listResponsibility(departmentID: Int64?) async throws -> [ResponsibilityRow]
    func deleteResponsibility(id: Int64) async throws
    /// Promised resources per department and which of them still have no published entry.
    func coverage() async throws -> [CoverageLine]

    func createDemand(_ draft: DemandDraft, departmentID: Int64) async throws -> DemandRow
    func updateDemand(id: Int64, with draft: DemandDraft) async throws -> DemandRow
    /// Closes an open demand: linked to an entry or application, or with a reason.
    func resolveDemand(id: Int64, _ resolution: DemandResolution) async throws -> DemandRow
    func findDemand(id: Int64) async throws -> DemandRow?
    func listDemand(departmentID: Int64?) async throws -> [DemandRow]
}

struct SQLThreeListsRepository: ThreeListsRepository {
    let provider: any DatabaseProvider

    // MARK: Negative list

    func createNegative(_ draft: NegativeListDraft, departmentID: Int64) async throws -> NegativeListRow {
        let now = Date()
        return try await provider.transaction { sql in
            try await Self.requireDepartment(departmentID, field: "departmentID", sql)
            let row = try await sql.raw(
                """
                INSERT INTO negative_list (department_id, kind, resource, items, reason, legal_basis, reviewer,
                    review_by, created_at, updated_at)
                VALUES (\(bind: departmentID), \(bind: draft.kind.rawValue), \(bind: draft.resource),
                    \(bind: draft.items), \(bind: draft.reason), \(bind: draft.legalBasis), \(bind: draft.reviewer),
                    \(bind: draft.reviewBy?.description), \(bind: now), \(bind: now))
                RETURNING id
                """
            ).first()
            return try await Self.negative(id: try row!.decode(column: "id", as: Int64.self), sql)!
        }
    }

    func updateNegative(id: Int64, with draft: NegativeListDraft) async throws -> NegativeListRow {
        try await provider.transaction { sql in
            // Catalog writes citing this row read it FOR SHARE; this lock makes a kind change wait for them.
            if sql.dialect.name == "postgresql" {
                try await sql.raw("SELECT id FROM negative_list WHERE id = \(bind: id) FOR UPDATE").run()
            }
            guard let existing = try await Self.negative(id: id, sql) else {
                throw StoreError.notFound(entity: "negative-list row", key: "\(id)")
            }
            if existing.content.kind == .notShared && draft.kind != .notShared, try await Self.isCited(id, sql) {
                throw StoreError.conflict(
                    BilingualText(
                        zh: "该负面清单条目正被不予共享的目录引用，不能改为其他类型",
                        en: "entries that are not shared cite this row; its kind cannot change"))
            }
            try await sql.raw(
                """
                UPDATE negative_list SET kind = \(bind: draft.kind.rawValue), resource = \(bind: draft.resource),
                    items = \(bind: draft.items), reason = \(bind: draft.reason),
                    legal_basis = \(bind: draft.legalBasis), reviewer = \(bind: draft.reviewer),
                    review_by = \(bind: draft.reviewBy?.description), updated_at = \(bind: Date())
                WHERE id = \(bind: id)
                """
            ).run()
            return try await Self.negative(id: id, sql)!
        }
    }

    func findNegative(id: Int64) async throws -> NegativeListRow? {
        try await provider.read { sql in try await Self.negative(id: id, sql) }
    }

    func listNegative(departmentID: Int64?) async throws -> [NegativeListRow] {
        try await provider.read { sql in
            let scope: SQLQueryString = departmentID.map { "WHERE department_id = \(bind: $0)" } ?? ""
            return try await sql.raw("SELECT * FROM negative_list \(scope) ORDER BY id").all().map(Self.decodeNegative)
        }
    }

    func deleteNegative(id: Int64) async throws {
        try await provider.transaction { sql in
            guard try await Self.negative(id: id, sql) != nil else {
                throw StoreError.notFound(entity: "negative-list row", key: "\(id)")
            }
            if try await Self.isCited(id, sql) {
                throw StoreError.conflict(
                    BilingualText(
                        zh: "该负面清单条目仍被目录或信息项引用，不能删除",
                        en: "catalog entries or items still cite this row; it cannot be deleted"))
            }
            try await sql.raw("DELETE FROM negative_list WHERE id = \(bind: id)").run()
        }
    }

    static func isCited(_ id: Int64, _ sql: any SQLDatabase) async throws -> Bool {
        try await sql.raw(
            """
            SELECT 1 AS cited FROM catalog_entries WHERE negative_list_id = \(bind: id)
            UNION ALL SELECT 1 AS cited FROM catalog_items WHERE negative_list_id = \(bind: id)
            """
        ).first() != nil
    }

    static func negative(id: Int64, _ sql: any SQLDatabase) async throws -> NegativeListRow? {
        try await sql.raw("SELECT * FROM negative_list WHERE id = \(bind: id)").first().map(decodeNegative)
    }

    static func decodeNegative(_ row: any SQLRow) throws -> NegativeListRow {
        NegativeListRow(
            id: try row.decode(column: "id", as: Int64.self),
            departmentID: try row.decode(column: "department_id", as: Int64.self),
            content: NegativeListDraft(
                kind: NegativeListKind(rawValue: try row.decode(column: "kind", as: String.self)) ?? .notShared,
                resource: try row.decode(column: "resource", as: String.self),
                items: try row.decode(column: "items", as: String.self),
                reason: try row.decode(column: "reason", as: String.self),
                legalBasis: try row.decode(column: "legal_basis", as: String.self),
                reviewer: try row.decode(column: "reviewer", as: String.self),
                reviewBy: try row.decode(column: "review_by", as: String?.self).flatMap(CalendarDate.init(iso:))),
            createdAt: try row.decode(column: "created_at", as: Date.self),
            updatedAt: try row.decode(column: "updated_at", as: Date.self))
    }

    // MARK: Responsibility list

    func createResponsibility(_ draft: ResponsibilityDraft, departmentID: Int64) async throws -> ResponsibilityRow {
        let now = Date()
        return try await provider.transaction { sql in
            try await Self.requireDepartment(departmentID, field: "departmentID", sql)
            try await Self.requireEntry(draft.entryID, of: departmentID, sql)
            let row = try await sql.raw(
                """
                INSERT INTO responsibility_list (department_id, entry_id, resource_name, content, created_at,
                    updated_at)
                VALUES (\(bind: departmentID), \(bind: draft.entryID), \(bind: draft.resourceName),
                    \(bind: try Self.json(draft)), \(bind: now), \(bind: now))
                RETURNING id
                """
            ).first()
            return try await Self.responsibility(id: try row!.decode(column: "id", as: Int64.self), sql)!
        }
    }

    func updateResponsibility(id: Int64, with draft: ResponsibilityDraft) async throws -> ResponsibilityRow {
        try await provider.transaction { sql in
            guard let existing = try await Self.responsibility(id: id, sql) else {
                throw StoreError.notFound(entity: "responsibility-list row", key: "\(id)")
            }
            try await Self.requireEntry(draft.entryID, of: existing.departmentID, sql)
            try await sql.raw(
                """
                UPDATE responsibility_list SET entry_id = \(bind: draft.entryID),
                    resource_name = \(bind: draft.resourceName), content = \(bind: try Self.json(draft)),
                    updated_at = \(bind: Date())
                WHERE id = \(bind: id)
                """
            ).run()
            return try await Self.responsibility(id: id, sql)!
        }
    }

    func findResponsibility(id: Int64) async throws -> ResponsibilityRow? {
        try await provider.read { sql in try await Self.responsibility(id: id, sql) }
    }

    func listResponsibility(departmentID: Int64?) async throws -> [ResponsibilityRow] {
        try await provider.read { sql in
            let scope: SQLQueryString = departmentID.map { "WHERE department_id = \(bind: $0)" } ?? ""
            return try await sql.raw("SELECT * FROM responsibility_list \(scope) ORDER BY id").all()
                .map(Self.decodeResponsibility)
        }
    }

    func deleteResponsibility(id: Int64) async throws {
        try await provider.transaction { sql in
            guard try await Self.responsibility(id: id, sql) != nil else {
                throw StoreError.notFound(entity: "responsibility-list row", key: "\(id)")
            }
            try await sql.raw("DELETE FROM responsibility_list WHERE id = \(bind: id)").run()
        }
    }

    func coverage() async throws -> [CoverageLine] {
        try await provider.read { sql in
            // A promise is kept by its linked entry, or by a published entry of the same department and name.
            let rows = try await sql.raw(
                """
                SELECT r.*, d.name AS department_name,
                    CASE WHEN EXISTS (
                        SELECT 1 FROM catalog_entries e WHERE e.status = 'published' AND (e.id = r.entry_id
                            OR (e.department_id = r.department_id AND e.name = r.resource_name))
                    ) THEN 1 ELSE 0 END AS fulfilled
                FROM responsibility_list r JOIN departments d ON d.id = r.department_id
                ORDER BY r.department_id, r.id
                """
            ).all()
            var lines: [CoverageLine] = []
            for row in rows {
                let responsibility = try Self.decodeResponsibility(row)
                let fulfilled = try row.decode(column: "fulfilled", as: Int.self) == 1
                if lines.last?.departmentID != responsibility.departmentID {
                    lines.append(
                        CoverageLine(
                            departmentID: responsibility.departmentID,
                            departmentName: try row.decode(column: "department_name", as: String.self), promised: 0,
                            fulfilled: 0, missing: []))
                }
                lines[lines.count - 1].promised += 1
                if fulfilled {
                    lines[lines.count - 1].fulfilled += 1
                } else {
                    lines[lines.count - 1].missing.append(responsibility)
                }
            }
            return lines
        }
    }

    static func responsibility(id: Int64, _ sql: any SQLDatabase) async throws -> ResponsibilityRow? {
        try await sql.raw("SELECT * FROM responsibility_list WHERE id = \(bind: id)").first()
            .map(decodeResponsibility)
    }

    static func decodeResponsibility(_ row: any SQLRow) throws -> ResponsibilityRow {
        var content = try JSONDecoder().decode(
            ResponsibilityDraft.self, from: Data(try row.decode(column: "content", as: String.self).utf8))
        content.entryID = try row.decode(column: "entry_id", as: Int64?.self)
        return ResponsibilityRow(
            id: try row.decode(column: "id", as: Int64.self),
            departmentID: try row.decode(column: "department_id", as: Int64.self), content: content,
            createdAt: try row.decode(column: "created_at", as: Date.self),
            updatedAt: try row.decode(column: "updated_at", as: Date.self))
    }

    // MARK: Demand list

    func createDemand(_ draft: DemandDraft, departmentID: Int64) async throws -> DemandRow {
        let now = Date()
        return try await provider.transaction { sql in
            try await Self.requireDepartment(departmentID, field: "departmentID", sql)
            if let expected = draft.expectedProviderID {
                try await Self.requireDepartment(expected, field: "expectedProviderID", sql)
            }
            // A counter per year (in the table that numbers resource codes), so numbers never collide or reorder.
            let year = CalendarDate.today().year
            let sequence = try await sql.raw(
                """
                INSERT INTO catalog_code_sequences (path, last_number) VALUES (\(bind: "demand/\(year)"), 1)
                ON CONFLICT (path) DO UPDATE SET last_number = catalog_code_sequences.last_number + 1
                RETURNING last_number
                """
            ).first()!.decode(column: "last_number", as: Int.self)
            let number = "XQ-\(year)-" + String(format: "%04d", sequence)
            let row = try await sql.raw(
                """
                INSERT INTO demand_list (number, department_id, expected_provider_id, content, status, created_at,
                    updated_at)
                VALUES (\(bind: number), \(bind: departmentID), \(bind: draft.expectedProviderID),
                    \(bind: try Self.json(draft)), \(bind: DemandStatus.open.rawValue), \(bind: now), \(bind: now))
                RETURNING id
                """
            ).first()
            return try await Self.demand(id: try row!.decode(column: "id", as: Int64.self), sql)!
        }
    }

    func updateDemand(id: Int64, with draft: DemandDraft) async throws -> DemandRow {
        try await provider.transaction { sql in
            guard let existing = try await Self.demand(id: id, sql) else {
                throw StoreError.notFound(entity: "demand-list row", key: "\(id)")
            }
            guard existing.status == .open else {
                throw StoreError.conflict(
                    BilingualText(zh: "需求已关闭，不能修改", en: "the demand is closed and cannot be changed"))
            }
            if let expected = draft.expectedProviderID {
                try await Self.requireDepartment(expected, field: "expectedProviderID", sql)
            }
            try await sql.raw(
                """
                UPDATE demand_list SET expected_provider_id = \(bind: draft.expectedProviderID),
                    content = \(bind: try Self.json(draft)), updated_at = \(bind: Date())
                WHERE id = \(bind: id)
                """
            ).run()
            return try await Self.demand(id: id, sql)!
        }
    }

    func resolveDemand(id: Int64, _ resolution: DemandResolution) async throws -> DemandRow {
        let resolution = try resolution.validated()
        return try await provider.transaction { sql in
            guard let existing = try await Self.demand(id: id, sql) else {
                throw StoreError.notFound(entity: "demand-list row", key: "\(id)")
            }
            guard existing.status == .open else {
                throw StoreError.conflict(BilingualText(zh: "需求已关闭", en: "the demand is already closed"))
            }
            if let applicationID = resolution.applicationID {
                // The demand is met by the raising department's own application, not by anyone else's.
                let consumer = try await sql.raw(
                    "SELECT consumer_department_id FROM sharing_applications WHERE id = \(bind: applicationID)"
                ).first()?.decode(column: "consumer_department_id", as: Int64.self)
                if consumer != existing.departmentID {
                    throw ValidationError(
                        field: "applicationID",
                        BilingualText(
                            zh: "提出需求的部门没有编号为 \(applicationID) 的共享申请",
                            en: "the department that raised the demand has no application \(applicationID)"))
                }
            }
            if let entryID = resolution.entryID {
                let status = try await sql.raw("SELECT status FROM catalog_entries WHERE id = \(bind: entryID)")
                    .first()?.decode(column: "status", as: String.self)
                guard let status else { throw StoreError.missingReference(field: "entryID", value: "\(entryID)") }
                if status != EntryStatus.published.rawValue {
                    throw ValidationError(
                        field: "entryID",
                        BilingualText(zh: "关联的目录须已发布", en: "the linked catalog entry must be published"))
                }
            }
            try await sql.raw(
                """
                UPDATE demand_list SET status = \(bind: resolution.status.rawValue),
                    entry_id = \(bind: resolution.entryID), application_id = \(bind: resolution.applicationID),
                    closing_reason = \(bind: resolution.reason), updated_at = \(bind: Date())
                WHERE id = \(bind: id)
                """
            ).run()
            return try await Self.demand(id: id, sql)!
        }
    }

    func findDemand(id: Int64) async throws -> DemandRow? {
        try await provider.read { sql in try await Self.demand(id: id, sql) }
    }

    func listDemand(departmentID: Int64?) async throws -> [DemandRow] {
        try await provider.read { sql in
            // A department sees the demands it raised and those addressed to it.
            let scope: SQLQueryString =
                departmentID.map { "WHERE department_id = \(bind: $0) OR expected_provider_id = \(bind: $0)" } ?? ""
            return try await sql.raw("SELECT * FROM demand_list \(scope) ORDER BY id").all().map(Self.decodeDemand)
        }
    }

    static func demand(id: Int64, _ sql: any SQLDatabase) async throws -> DemandRow? {
        try await sql.raw("SELECT * FROM demand_list WHERE id = \(bind: id)").first().map(decodeDemand)
    }

    static func decodeDemand(_ row: any SQLRow) throws -> DemandRow {
        var content = try JSONDecoder().decode(
            DemandDraft.self, from: Data(try row.decode(column: "content", as: String.self).utf8))
        content.expectedProviderID = try row.decode(column: "expected_provider_id", as: Int64?.self)
        return DemandRow(
            id: try row.decode(column: "id", as: Int64.self),
            number: try row.decode(column: "number", as: String.self),
            departmentID: try row.decode(column: "department_id", as: Int64.self), content: content,
            status: DemandStatus(rawValue: try row.decode(column: "status", as: String.self)) ?? .open,
            entryID: try row.decode(column: "entry_id", as: Int64?.self),
            applicationID: try row.decode(column: "application_id", as: Int64?.self),
            closingReason: try row.decode(column: "closing_reason", as: String?.self),
            createdAt: try row.decode(column: "created_at", as: Date.self),
            updatedAt: try row.decode(column: "updated_at", as: Date.self))
    }

    // MARK: Shared

    static func requireDepartment(_ id: Int64, field: String, _ sql: any SQLDatabase) async throws {
        if try await sql.raw("SELECT id FROM departments WHERE id = \(bind: id)").first() == nil {
            throw StoreError.missingReference(field: field, value: "\(id)")
        }
    }

    static func requireEntry(_ id: Int64?, of departmentID: Int64, _ sql: any SQLDatabase) async throws {
        guard let id else { return }
        let owner = try await sql.raw("SELECT department_id FROM catalog_entries WHERE id = \(bind: id)").first()?
            .decode(column: "department_id", as: Int64.self)
        guard let owner else { throw StoreError.missingReference(field: "entryID", value: "\(id)") }
        if owner != departmentID {
            throw ValidationError(
                field: "entryID",
                BilingualText(zh: "关联的目录属于其他部门", en: "the linked catalog entry belongs to another department"))
        }
    }

    static func json(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
