import Foundation
import HuitongCore
import SQLKit

/// 代码集: the code sets data items take their values from (GB/T 2261.1 性别, GB/T 4658 学历, …).
public protocol CodeSetRepository: Sendable {
    /// Every code set, by id.
    func list() async throws -> [CodeSet]
    func find(id: String) async throws -> CodeSet?
    /// The code sets with these ids; ids that name no set are left out.
    func find(ids: Set<String>) async throws -> [CodeSet]
    /// Creates a code set, or replaces the name and codes of the one with its id, after checking it
    /// (`CodeSet.validated`). Returns whether it was new.
    @discardableResult
    func save(_ codeSet: CodeSet) async throws -> Bool
    /// Creates the sets that do not exist yet and leaves the others alone (seed data loaded at every start must not
    /// undo an operator's edits). Returns how many were created.
    @discardableResult
    func saveMissing(_ codeSets: [CodeSet]) async throws -> Int
}

struct SQLCodeSetRepository: CodeSetRepository {
    let provider: any DatabaseProvider

    func list() async throws -> [CodeSet] {
        try await provider.read { sql in
            try await sql.raw("SELECT id, name_zh, name_en, codes FROM code_sets ORDER BY id").all().map(Self.decode)
        }
    }

    func find(id: String) async throws -> CodeSet? {
        try await provider.read { sql in try await Self.load(id: id, sql) }
    }

    func find(ids: Set<String>) async throws -> [CodeSet] {
        if ids.isEmpty { return [] }
        return try await provider.read { sql in
            try await sql.select().columns("id", "name_zh", "name_en", "codes").from("code_sets")
                .where("id", .in, Array(ids).sorted()).orderBy("id")
                .all().map(Self.decode)
        }
    }

    func save(_ codeSet: CodeSet) async throws -> Bool {
        let codeSet = try codeSet.validated()
        return try await provider.transaction { sql in
            let existed = try await sql.raw("SELECT id FROM code_sets WHERE id = \(bind: codeSet.id)").first() != nil
            let now = Date()
            try await sql.raw(
                """
                INSERT INTO code_sets (id, name_zh, name_en, codes, created_at, updated_at)
                VALUES (\(bind: codeSet.id), \(bind: codeSet.name.zh), \(bind: codeSet.name.en),
                    \(bind: try Self.encode(codeSet.codes)), \(bind: now), \(bind: now))
                ON CONFLICT (id) DO UPDATE SET name_zh = excluded.name_zh, name_en = excluded.name_en,
                    codes = excluded.codes, updated_at = excluded.updated_at
                """
            ).run()
            return !existed
        }
    }

    func saveMissing(_ codeSets: [CodeSet]) async throws -> Int {
        let codeSets = try codeSets.map { codeSet throws(ValidationError) in try codeSet.validated() }
        return try await provider.transaction { sql in
            var created = 0
            let now = Date()
            for codeSet in codeSets {
                let row = try await sql.raw(
                    """
                    INSERT INTO code_sets (id, name_zh, name_en, codes, created_at, updated_at)
                    VALUES (\(bind: codeSet.id), \(bind: codeSet.name.zh), \(bind: codeSet.name.en),
                        \(bind: try Self.encode(codeSet.codes)), \(bind: now), \(bind: now))
                    ON CONFLICT (id) DO NOTHING
                    RETURNING id
                    """
                ).first()
                if row != nil { created += 1 }
            }
            return created
        }
    }

    static func load(id: String, _ sql: any SQLDatabase) async throws -> CodeSet? {
        try await sql.raw("SELECT id, name_zh, name_en, codes FROM code_sets WHERE id = \(bind: id)").first()
            .map(decode)
    }

    static func encode(_ codes: [CodeSet.Code]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return String(decoding: try encoder.encode(codes), as: UTF8.self)
    }

    static func decode(_ row: any SQLRow) throws -> CodeSet {
        CodeSet(
            id: try row.decode(column: "id", as: String.self),
            name: BilingualText(
                zh: try row.decode(column: "name_zh", as: String.self),
                en: try row.decode(column: "name_en", as: String.self)),
            codes: try JSONDecoder().decode(
                [CodeSet.Code].self, from: Data(try row.decode(column: "codes", as: String.self).utf8)))
    }
}
