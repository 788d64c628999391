import Foundation
import HuitongCore
import SQLKit

/// The grade policy an operator set, with who set it and when.
public struct StoredGradePolicy: Sendable, Hashable {
    public var policy: GradePolicy
    public var updatedAt: Date
    public var updatedBy: ChangeAuthor
}

/// The node's grade policy matrix. Until an operator changes it the node uses its seed, which is not copied here:
/// a bureau that edits the seed file before its first change gets the edited values.
public protocol GradePolicyRepository: Sendable {
    func current() async throws -> StoredGradePolicy?
    /// Replaces the policy (already checked by `GradePolicy`'s initialiser) in one statement.
    func save(_ policy: GradePolicy, author: ChangeAuthor) async throws -> StoredGradePolicy
}

struct SQLGradePolicyRepository: GradePolicyRepository {
    let provider: any DatabaseProvider
    var integrity = RowIntegrity()

    func current() async throws -> StoredGradePolicy? {
        try await provider.read { sql in
            guard let row = try await sql.raw("SELECT * FROM grade_policy WHERE id = 1").first() else { return nil }
            try integrity.verify(.gradePolicy, row)
            let content = try row.decode(column: "content", as: String.self)
            return StoredGradePolicy(
                policy: try JSONDecoder().decode(GradePolicy.self, from: Data(content.utf8)),
                updatedAt: try row.decode(column: "updated_at", as: Date.self),
                updatedBy: ChangeAuthor(
                    userID: try row.decode(column: "updated_by_id", as: Int64?.self),
                    name: try row.decode(column: "updated_by", as: String.self)))
        }
    }

    func save(_ policy: GradePolicy, author: ChangeAuthor) async throws -> StoredGradePolicy {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let content = String(decoding: try encoder.encode(policy), as: UTF8.self)
        let now = Date()
        try await provider.transaction { sql in
            try await integrity.verifyBeforeChange(.gradePolicy, id: 1, sql)
            try await sql.raw(
                """
                INSERT INTO grade_policy (id, content, updated_at, updated_by_id, updated_by)
                VALUES (1, \(bind: content), \(bind: now), \(bind: author.userID), \(bind: author.name))
                ON CONFLICT (id) DO UPDATE SET content = excluded.content, updated_at = excluded.updated_at,
                    updated_by_id = excluded.updated_by_id, updated_by = excluded.updated_by
                """
            ).run()
            try await integrity.seal(.gradePolicy, id: 1, sql)
        }
        return StoredGradePolicy(policy: policy, updatedAt: now, updatedBy: author)
    }
}
