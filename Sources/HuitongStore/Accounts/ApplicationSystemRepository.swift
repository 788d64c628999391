import Foundation
import HuitongCore
import SQLKit

public protocol ApplicationSystemRepository: Sendable {
    func create(departmentID: Int64, _ draft: ApplicationSystemDraft) async throws -> ApplicationSystem
    func find(id: Int64) async throws -> ApplicationSystem?
    func list(departmentID: Int64?) async throws -> [ApplicationSystem]
    func update(id: Int64, draft: ApplicationSystemDraft?, isActive: Bool?) async throws -> ApplicationSystem
    func delete(id: Int64) async throws
}

struct SQLApplicationSystemRepository: ApplicationSystemRepository {
    let provider: any DatabaseProvider
    var accessRevision = AccessRevision()
    var integrity = RowIntegrity()

    static let columns = ["id", "department_id", "name", "description", "is_active", "created_at", "row_mac"]

    /// An application system's row, checked against its MAC.
    func verified(_ row: any SQLRow) throws -> ApplicationSystem {
        try integrity.verify(.applicationSystems, row)
        return try Self.decode(row)
    }

    func create(departmentID: Int64, _ draft: ApplicationSystemDraft) async throws -> ApplicationSystem {
        let now = Date()
        return try await provider.transaction { sql in
            guard
                try await sql.select().column("id").from("departments").where("id", .equal, departmentID).first()
                    != nil
            else {
                throw StoreError.missingReference(field: "departmentID", value: "\(departmentID)")
            }
            do {
                let row = try await sql.insert(into: "application_systems")
                    .columns("department_id", "name", "description", "is_active", "created_at", "updated_at")
                    .values(
                        SQLBind(departmentID), SQLBind(draft.name), SQLBind(draft.description), SQLBind(true),
                        SQLBind(now), SQLBind(now)
                    )
                    .returning(Self.columns.map { SQLColumn($0) }).first()
                let system = try Self.decode(row!)
                try await integrity.seal(.applicationSystems, id: system.id, sql)
                return system
            } catch {
                if StoreError.uniqueViolation(in: error) != nil {
                    throw StoreError.duplicate(field: "name", value: draft.name)
                }
                throw error
            }
        }
    }

    func find(id: Int64) async throws -> ApplicationSystem? {
        try await provider.read { sql in
            try await sql.select().columns(Self.columns).from("application_systems").where("id", .equal, id).first()
                .map(verified)
        }
    }

    func list(departmentID: Int64?) async throws -> [ApplicationSystem] {
        try await provider.read { sql in
            var query = sql.select().columns(Self.columns).from("application_systems")
            if let departmentID { query = query.where("department_id", .equal, departmentID) }
            return try await query.orderBy("id").all().map(verified)
        }
    }

    func update(id: Int64, draft: ApplicationSystemDraft?, isActive: Bool?) async throws -> ApplicationSystem {
        try await accessRevision.changing { try await updateNow(id: id, draft: draft, isActive: isActive) }
    }

    private func updateNow(id: Int64, draft: ApplicationSystemDraft?, isActive: Bool?) async throws -> ApplicationSystem
    {
        try await provider.transaction { sql in
            try await integrity.verifyBeforeChange(.applicationSystems, id: id, sql)
            let update = sql.update("application_systems").set("updated_at", to: Date())
            if let draft { update.set("name", to: draft.name).set("description", to: draft.description) }
            if let isActive { update.set("is_active", to: isActive) }
            do {
                let row = try await update.where("id", .equal, id).returning(Self.columns.map { SQLColumn($0) }).first()
                guard let row else { throw StoreError.notFound(entity: "application system", key: "\(id)") }
                try await integrity.seal(.applicationSystems, id: id, sql)
                if isActive == false {
                    let credentials: SQLQueryString = "system_id = \(bind: id)"
                    let ids = try await integrity.verifyAll(.apiTokens, where: credentials, sql)
                    try await sql.update("api_tokens").set("revoked_at", to: Date()).where("system_id", .equal, id)
                        .where(SQLColumn("revoked_at"), .is, SQLLiteral.null).run()
                    try await integrity.seal(.apiTokens, ids: ids, sql)
                }
                return try Self.decode(row)
            } catch {
                if StoreError.uniqueViolation(in: error) != nil {
                    throw StoreError.duplicate(field: "name", value: draft?.name ?? "")
                }
                throw error
            }
        }
    }

    func delete(id: Int64) async throws {
        try await accessRevision.changing { try await deleteNow(id: id) }
    }

    private func deleteNow(id: Int64) async throws {
        try await provider.transaction { sql in
            let row = try await sql.delete(from: "application_systems").where("id", .equal, id).returning("id").first()
            guard row != nil else { throw StoreError.notFound(entity: "application system", key: "\(id)") }
        }
    }

    static func decode(_ row: any SQLRow) throws -> ApplicationSystem {
        ApplicationSystem(
            id: try row.decode(column: "id", as: Int64.self),
            departmentID: try row.decode(column: "department_id", as: Int64.self),
            name: try row.decode(column: "name", as: String.self),
            description: try row.decode(column: "description", as: String.self),
            isActive: try row.decode(column: "is_active", as: Bool.self),
            createdAt: try row.decode(column: "created_at", as: Date.self))
    }
}
