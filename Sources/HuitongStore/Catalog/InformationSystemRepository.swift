import Foundation
import HuitongCore
import SQLKit

/// 信息系统 registry: the systems departments' data comes from.
public protocol InformationSystemRepository: Sendable {
    func create(departmentID: Int64, name: String, description: String, status: SystemStatus) async throws
        -> InformationSystem
    func update(id: Int64, name: String, description: String, status: SystemStatus) async throws -> InformationSystem
    func find(id: Int64) async throws -> InformationSystem?
    func list(departmentID: Int64?) async throws -> [InformationSystem]
    /// Deletes a system that no catalog entry names as its source.
    func delete(id: Int64) async throws
}

struct SQLInformationSystemRepository: InformationSystemRepository {
    let provider: any DatabaseProvider

    func create(departmentID: Int64, name: String, description: String, status: SystemStatus) async throws
        -> InformationSystem
    {
        let now = Date()
        return try await provider.transaction { sql in
            try await SQLThreeListsRepository.requireDepartment(departmentID, field: "departmentID", sql)
            do {
                let row = try await sql.raw(
                    """
                    INSERT INTO information_systems (department_id, name, description, status, created_at, updated_at)
                    VALUES (\(bind: departmentID), \(bind: name), \(bind: description), \(bind: status.rawValue),
                        \(bind: now), \(bind: now))
                    RETURNING id
                    """
                ).first()
                return try await Self.load(id: try row!.decode(column: "id", as: Int64.self), sql)!
            } catch {
                if StoreError.uniqueViolation(in: error) != nil {
                    throw StoreError.duplicate(field: "name", value: name)
                }
                throw error
            }
        }
    }

    func update(id: Int64, name: String, description: String, status: SystemStatus) async throws -> InformationSystem {
        try await provider.transaction { sql in
            guard try await Self.load(id: id, sql) != nil else {
                throw StoreError.notFound(entity: "information system", key: "\(id)")
            }
            do {
                try await sql.raw(
                    """
                    UPDATE information_systems SET name = \(bind: name), description = \(bind: description),
                        status = \(bind: status.rawValue), updated_at = \(bind: Date())
                    WHERE id = \(bind: id)
                    """
                ).run()
            } catch {
                if StoreError.uniqueViolation(in: error) != nil {
                    throw StoreError.duplicate(field: "name", value: name)
                }
                throw error
            }
            return try await Self.load(id: id, sql)!
        }
    }

    func find(id: Int64) async throws -> InformationSystem? {
        try await provider.read { sql in try await Self.load(id: id, sql) }
    }

    func list(departmentID: Int64?) async throws -> [InformationSystem] {
        try await provider.read { sql in
            let scope: SQLQueryString = departmentID.map { "WHERE department_id = \(bind: $0)" } ?? ""
            return try await sql.raw("SELECT * FROM information_systems \(scope) ORDER BY id").all().map(Self.decode)
        }
    }

    func delete(id: Int64) async throws {
        try await provider.transaction { sql in
            guard try await Self.load(id: id, sql) != nil else {
                throw StoreError.notFound(entity: "information system", key: "\(id)")
            }
            if try await sql.raw("SELECT id FROM catalog_entries WHERE source_system_id = \(bind: id)").first() != nil {
                throw StoreError.conflict(
                    BilingualText(
                        zh: "仍有目录以该信息系统为来源，不能删除", en: "catalog entries still name this system as their source"))
            }
            try await sql.raw("DELETE FROM information_systems WHERE id = \(bind: id)").run()
        }
    }

    static func load(id: Int64, _ sql: any SQLDatabase) async throws -> InformationSystem? {
        try await sql.raw("SELECT * FROM information_systems WHERE id = \(bind: id)").first().map(decode)
    }

    static func decode(_ row: any SQLRow) throws -> InformationSystem {
        InformationSystem(
            id: try row.decode(column: "id", as: Int64.self),
            departmentID: try row.decode(column: "department_id", as: Int64.self),
            name: try row.decode(column: "name", as: String.self),
            description: try row.decode(column: "description", as: String.self),
            status: SystemStatus(rawValue: try row.decode(column: "status", as: String.self)) ?? .inUse,
            createdAt: try row.decode(column: "created_at", as: Date.self),
            updatedAt: try row.decode(column: "updated_at", as: Date.self))
    }
}
