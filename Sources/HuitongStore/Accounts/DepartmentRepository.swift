import Foundation
import HuitongCore
import SQLKit

/// Departments of this node.
public protocol DepartmentRepository: Sendable {
    func create(_ draft: DepartmentDraft) async throws -> Department
    func update(id: Int64, with draft: DepartmentDraft) async throws -> Department
    func find(id: Int64) async throws -> Department?
    func find(code: String) async throws -> Department?
    func list() async throws -> [Department]
    func count() async throws -> Int
    /// Deletes a department that has no users, systems or child departments.
    func delete(id: Int64) async throws
    /// Enables or disables a department (its users are the caller's to disable: their rows carry a MAC).
    func setActive(id: Int64, _ active: Bool) async throws -> Department
}

struct SQLDepartmentRepository: DepartmentRepository {
    let provider: any DatabaseProvider

    private static let columns = [
        "id", "name", "code", "credit_code", "region_code", "parent_id", "is_active", "created_at", "updated_at",
    ]

    func create(_ draft: DepartmentDraft) async throws -> Department {
        let now = Date()
        return try await provider.transaction { sql in
            try await checkParent(draft.parentID, of: nil, sql)
            do {
                let row = try await sql.insert(into: "departments")
                    .columns("name", "code", "credit_code", "region_code", "parent_id", "created_at", "updated_at")
                    .values(
                        SQLBind(draft.name), SQLBind(draft.code), SQLBind(draft.creditCode), SQLBind(draft.regionCode),
                        SQLBind(draft.parentID), SQLBind(now), SQLBind(now)
                    )
                    .returning(Self.columns.map { SQLColumn($0) })
                    .first()
                return try Self.decode(row!)
            } catch {
                throw try await Self.explain(error, draft: draft, sql)
            }
        }
    }

    func update(id: Int64, with draft: DepartmentDraft) async throws -> Department {
        try await provider.transaction { sql in
            // Catalog writes first take the catalog's write lock, then (by foreign key) the department's row; a
            // rename takes them in the same order, before it reads the entries it re-indexes, so neither can
            // deadlock with nor overwrite a catalog write committed in between.
            try await SQLCatalogRepository.serializeCatalogWrites(sql)
            try await checkParent(draft.parentID, of: id, sql)
            do {
                let row = try await sql.update("departments")
                    .set("name", to: draft.name)
                    .set("code", to: draft.code)
                    .set("credit_code", to: draft.creditCode)
                    .set("region_code", to: draft.regionCode)
                    .set("parent_id", to: draft.parentID)
                    .set("updated_at", to: Date())
                    .where("id", .equal, id)
                    .returning(Self.columns.map { SQLColumn($0) })
                    .first()
                guard let row else { throw StoreError.notFound(entity: "department", key: "\(id)") }
                let department = try Self.decode(row)
                try await SQLCatalogRepository.reindexEntries(ofDepartment: id, sql)
                return department
            } catch let error as StoreError {
                throw error
            } catch {
                throw try await Self.explain(error, draft: draft, sql)
            }
        }
    }

    /// A parent must exist, and must not be the department itself or one of its descendants.
    private func checkParent(_ parentID: Int64?, of id: Int64?, _ sql: any SQLDatabase) async throws {
        guard let parentID else { return }
        var cursor: Int64? = parentID
        var seen = Set<Int64>()
        while let current = cursor {
            if current == id {
                throw StoreError.conflict(
                    BilingualText(zh: "上级部门不能是本部门或其下级部门", en: "a department cannot be its own ancestor"))
            }
            guard seen.insert(current).inserted else { break }
            let row = try await sql.select().column("parent_id").from("departments").where("id", .equal, current)
                .first()
            guard let row else {
                throw StoreError.missingReference(field: "parentID", value: "\(parentID)")
            }
            cursor = try row.decodeNil(column: "parent_id") ? nil : row.decode(column: "parent_id", as: Int64.self)
        }
    }

    func find(id: Int64) async throws -> Department? {
        try await provider.read { sql in
            try await sql.select().columns(Self.columns).from("departments").where("id", .equal, id).first()
                .map(Self.decode)
        }
    }

    func find(code: String) async throws -> Department? {
        try await provider.read { sql in
            try await sql.select().columns(Self.columns).from("departments").where("code", .equal, code).first()
                .map(Self.decode)
        }
    }

    func list() async throws -> [Department] {
        try await provider.read { sql in
            try await sql.select().columns(Self.columns).from("departments").orderBy("id").all().map(Self.decode)
        }
    }

    func count() async throws -> Int {
        try await provider.read { sql in
            try await sql.raw("SELECT COUNT(*) AS n FROM departments").first()?.decode(column: "n", as: Int.self) ?? 0
        }
    }

    func delete(id: Int64) async throws {
        try await provider.transaction { sql in
            guard try await sql.select().column("id").from("departments").where("id", .equal, id).first() != nil else {
                throw StoreError.notFound(entity: "department", key: "\(id)")
            }
            for (table, column, what) in [
                ("users", "department_id", BilingualText(zh: "用户", en: "users")),
                ("application_systems", "department_id", BilingualText(zh: "应用系统", en: "application systems")),
                ("departments", "parent_id", BilingualText(zh: "下级部门", en: "child departments")),
            ] {
                let dependent = try await sql.select().column("id").from(table).where(
                    SQLColumn(column), .equal, SQLBind(id)
                )
                .limit(1).first()
                if dependent != nil {
                    throw StoreError.conflict(
                        BilingualText(
                            zh: "该部门仍有\(what.zh)，不能删除", en: "the department still has \(what.en) and cannot be deleted")
                    )
                }
            }
            try await sql.delete(from: "departments").where("id", .equal, id).run()
        }
    }

    func setActive(id: Int64, _ active: Bool) async throws -> Department {
        try await provider.transaction { sql in
            let row = try await sql.update("departments")
                .set("is_active", to: active)
                .set("updated_at", to: Date())
                .where("id", .equal, id)
                .returning(Self.columns.map { SQLColumn($0) })
                .first()
            guard let row else { throw StoreError.notFound(entity: "department", key: "\(id)") }
            return try Self.decode(row)
        }
    }

    static func decode(_ row: any SQLRow) throws -> Department {
        Department(
            id: try row.decode(column: "id", as: Int64.self),
            name: try row.decode(column: "name", as: String.self),
            code: try row.decode(column: "code", as: String.self),
            creditCode: try row.decode(column: "credit_code", as: String?.self),
            regionCode: try row.decode(column: "region_code", as: String.self),
            parentID: try row.decode(column: "parent_id", as: Int64?.self),
            isActive: try row.decode(column: "is_active", as: Bool?.self) ?? true,
            createdAt: try row.decode(column: "created_at", as: Date.self),
            updatedAt: try row.decode(column: "updated_at", as: Date.self)
        )
    }

    /// Turns a constraint failure into the field a person must change.
    static func explain(_ error: any Error, draft: DepartmentDraft, _ sql: any SQLDatabase) async throws -> any Error {
        guard let constraint = StoreError.uniqueViolation(in: error) else { return error }
        if constraint.contains("credit_code") {
            return StoreError.duplicate(field: "creditCode", value: draft.creditCode ?? "")
        }
        return StoreError.duplicate(field: "code", value: draft.code)
    }
}
