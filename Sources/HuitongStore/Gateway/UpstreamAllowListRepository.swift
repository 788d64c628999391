import Foundation
import HuitongCore
import SQLKit

/// The operator's allow-list of upstream hosts and networks, with who changed it last and when.
public struct StoredUpstreamAllowList: Sendable, Hashable {
    public var list: UpstreamAllowList
    public var updatedAt: Date?
    public var updatedBy: ChangeAuthor?
}

/// The gateway's allow-list of non-public upstreams (前置机 on the government network). Empty until an operator
/// saves one: then only public addresses may be mounted and called.
public protocol UpstreamAllowListRepository: Sendable {
    func current() async throws -> StoredUpstreamAllowList
    /// Replaces the whole list (already checked by `UpstreamAllowList.parse`) in one statement.
    func save(_ list: UpstreamAllowList, author: ChangeAuthor, at now: Date) async throws -> StoredUpstreamAllowList
}

struct SQLUpstreamAllowListRepository: UpstreamAllowListRepository {
    let provider: any DatabaseProvider

    func current() async throws -> StoredUpstreamAllowList {
        try await provider.read { sql in
            guard let row = try await sql.raw("SELECT * FROM upstream_allowlist WHERE id = 1").first() else {
                return StoredUpstreamAllowList(list: UpstreamAllowList(), updatedAt: nil, updatedBy: nil)
            }
            let lines = try row.decode(column: "entries", as: String.self).split(separator: "\n").map(String.init)
            return StoredUpstreamAllowList(
                // Stored lines were checked when saved; one that no longer reads is dropped rather than widening.
                list: UpstreamAllowList(entries: lines.compactMap { try? UpstreamAllowList.parse([$0]).entries.first }),
                updatedAt: try row.decode(column: "updated_at", as: Date.self),
                updatedBy: ChangeAuthor(
                    userID: try row.decode(column: "updated_by_id", as: Int64?.self),
                    name: try row.decode(column: "updated_by", as: String.self)))
        }
    }

    func save(_ list: UpstreamAllowList, author: ChangeAuthor, at now: Date) async throws -> StoredUpstreamAllowList {
        let entries = list.entries.map(\.description).joined(separator: "\n")
        try await provider.transaction { sql in
            try await sql.raw(
                """
                INSERT INTO upstream_allowlist (id, entries, updated_at, updated_by_id, updated_by)
                VALUES (1, \(bind: entries), \(bind: now), \(bind: author.userID), \(bind: author.name))
                ON CONFLICT (id) DO UPDATE SET entries = excluded.entries, updated_at = excluded.updated_at,
                    updated_by_id = excluded.updated_by_id, updated_by = excluded.updated_by
                """
            ).run()
        }
        return StoredUpstreamAllowList(list: list, updatedAt: now, updatedBy: author)
    }
}
