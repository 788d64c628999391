import Foundation
import HuitongCore
import SQLKit

/// 政务服务事项 and 一件事: matters by their implementation code, each kept by the department that implements it,
/// and joint services by their code, each kept by its lead department.
public protocol MatterRepository: Sendable {
    /// Saves matters (new or changed) in one transaction: all or none. A matter another department implements is
    /// refused (`StoreError.conflict`), so an import cannot take over another department's matter.
    func saveMatters(_ matters: [(content: MatterDraft, departmentID: Int64)]) async throws -> [Matter]
    func matter(code: String) async throws -> Matter?
    func matters(codes: [String]) async throws -> [Matter]
    /// Every matter, or one department's, by name.
    func listMatters(departmentID: Int64?) async throws -> [Matter]
    /// Deletes a matter no joint service joins.
    func deleteMatter(code: String) async throws

    /// Saves a joint service (new or changed); one led by another department is refused.
    func saveJointService(_ content: JointServiceDraft, leadDepartmentID: Int64) async throws -> JointService
    func jointService(code: String) async throws -> JointService?
    func listJointServices() async throws -> [JointService]
    func deleteJointService(code: String) async throws
}

struct SQLMatterRepository: MatterRepository {
    let provider: any DatabaseProvider

    func saveMatters(_ matters: [(content: MatterDraft, departmentID: Int64)]) async throws -> [Matter] {
        let now = Date()
        return try await provider.transaction { sql in
            var saved: [Matter] = []
            for (content, departmentID) in matters {
                let code = content.implementationCode
                // The update applies only to the department's own matter, checked in the statement itself so that two
                // departments filing the same code at once cannot overwrite each other.
                let written = try await sql.raw(
                    """
                    INSERT INTO matters (implementation_code, department_id, name, content, updated_at)
                    VALUES (\(bind: code), \(bind: departmentID), \(bind: content.name),
                        \(bind: try Self.json(content)), \(bind: now))
                    ON CONFLICT (implementation_code) DO UPDATE SET name = excluded.name,
                        content = excluded.content, updated_at = excluded.updated_at
                    WHERE matters.department_id = excluded.department_id
                    RETURNING id
                    """
                ).all()
                if written.isEmpty {
                    throw StoreError.conflict(
                        BilingualText(
                            zh: "事项 \(code) 由其他部门实施，不能修改", en: "matter \(code) is implemented by another department"))
                }
                saved.append(try await Self.matter(code: code, sql)!)
            }
            return saved
        }
    }

    func matter(code: String) async throws -> Matter? {
        try await provider.read { sql in try await Self.matter(code: code, sql) }
    }

    func matters(codes: [String]) async throws -> [Matter] {
        guard !codes.isEmpty else { return [] }
        return try await provider.read { sql in
            let found = try await sql.raw(
                "SELECT * FROM matters WHERE implementation_code IN (\(binds: codes))"
            ).all().map(Self.decodeMatter)
            return codes.compactMap { code in found.first { $0.implementationCode == code } }
        }
    }

    func listMatters(departmentID: Int64?) async throws -> [Matter] {
        try await provider.read { sql in
            if let departmentID {
                return try await sql.raw(
                    "SELECT * FROM matters WHERE department_id = \(bind: departmentID) ORDER BY name, implementation_code"
                ).all().map(Self.decodeMatter)
            }
            return try await sql.raw("SELECT * FROM matters ORDER BY name, implementation_code").all().map(
                Self.decodeMatter)
        }
    }

    func deleteMatter(code: String) async throws {
        try await provider.transaction { sql in
            let joined = try await sql.raw("SELECT code, content FROM joint_services").all().filter { row in
                let content = try JSONDecoder().decode(
                    JointServiceDraft.self, from: Data(try row.decode(column: "content", as: String.self).utf8))
                return content.matterCodes.contains(code)
            }
            if let first = joined.first {
                let service = try first.decode(column: "code", as: String.self)
                throw StoreError.conflict(
                    BilingualText(
                        zh: "事项 \(code) 已加入一件事 \(service)，请先从中移除",
                        en: "matter \(code) is part of joint service \(service); remove it there first"))
            }
            let deleted = try await sql.raw(
                "DELETE FROM matters WHERE implementation_code = \(bind: code) RETURNING id"
            ).all()
            if deleted.isEmpty { throw StoreError.notFound(entity: "matter", key: code) }
        }
    }

    func saveJointService(_ content: JointServiceDraft, leadDepartmentID: Int64) async throws -> JointService {
        let now = Date()
        return try await provider.transaction { sql in
            let written = try await sql.raw(
                """
                INSERT INTO joint_services (code, lead_department_id, name, content, updated_at)
                VALUES (\(bind: content.code), \(bind: leadDepartmentID), \(bind: content.name),
                    \(bind: try Self.json(content)), \(bind: now))
                ON CONFLICT (code) DO UPDATE SET name = excluded.name, content = excluded.content,
                    updated_at = excluded.updated_at
                WHERE joint_services.lead_department_id = excluded.lead_department_id
                RETURNING id
                """
            ).all()
            if written.isEmpty {
                throw StoreError.conflict(
                    BilingualText(
                        zh: "一件事 \(content.code) 由其他部门牵头，不能修改",
                        en: "joint service \(content.code) is led by another department"))
            }
            return try await Self.jointService(code: content.code, sql)!
        }
    }

    func jointService(code: String) async throws -> JointService? {
        try await provider.read { sql in try await Self.jointService(code: code, sql) }
    }

    func listJointServices() async throws -> [JointService] {
        try await provider.read { sql in
            try await sql.raw("SELECT * FROM joint_services ORDER BY name, code").all().map(Self.decodeJointService)
        }
    }

    func deleteJointService(code: String) async throws {
        let deleted = try await provider.transaction { sql in
            try await sql.raw("DELETE FROM joint_services WHERE code = \(bind: code) RETURNING id").all()
        }
        if deleted.isEmpty { throw StoreError.notFound(entity: "joint service", key: code) }
    }

    // MARK: Rows

    static func matter(code: String, _ sql: any SQLDatabase) async throws -> Matter? {
        try await sql.raw("SELECT * FROM matters WHERE implementation_code = \(bind: code)").first().map(decodeMatter)
    }

    static func jointService(code: String, _ sql: any SQLDatabase) async throws -> JointService? {
        try await sql.raw("SELECT * FROM joint_services WHERE code = \(bind: code)").first().map(decodeJointService)
    }

    static func decodeMatter(_ row: any SQLRow) throws -> Matter {
        Matter(
            id: try row.decode(column: "id", as: Int64.self),
            departmentID: try row.decode(column: "department_id", as: Int64.self),
            content: try JSONDecoder().decode(
                MatterDraft.self, from: Data(try row.decode(column: "content", as: String.self).utf8)),
            updatedAt: try row.decode(column: "updated_at", as: Date.self))
    }

    static func decodeJointService(_ row: any SQLRow) throws -> JointService {
        JointService(
            id: try row.decode(column: "id", as: Int64.self),
            leadDepartmentID: try row.decode(column: "lead_department_id", as: Int64.self),
            content: try JSONDecoder().decode(
                JointServiceDraft.self, from: Data(try row.decode(column: "content", as: String.self).utf8)),
            updatedAt: try row.decode(column: "updated_at", as: Date.self))
    }

    static func json(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}

extension Schema {
    /// Migration 36. A matter's materials and elements are one document: they are read and written with it, and
    /// the merge reads whole matters.
    @Sendable static func matterTables(_ t: SchemaTypes) -> [String] {
        [
            """
            CREATE TABLE IF NOT EXISTS matters (
                id \(t.id),
                implementation_code TEXT NOT NULL UNIQUE,
                department_id BIGINT NOT NULL REFERENCES departments(id),
                name TEXT NOT NULL,
                content TEXT NOT NULL,
                updated_at \(t.timestamp) NOT NULL
            )
            """,
            "CREATE INDEX IF NOT EXISTS matters_department ON matters (department_id)",
            """
            CREATE TABLE IF NOT EXISTS joint_services (
                id \(t.id),
                code TEXT NOT NULL UNIQUE,
                lead_department_id BIGINT NOT NULL REFERENCES departments(id),
                name TEXT NOT NULL,
                content TEXT NOT NULL,
                updated_at \(t.timestamp) NOT NULL
            )
            """,
        ]
    }
}
