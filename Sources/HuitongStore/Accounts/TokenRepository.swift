import Foundation
import HuitongCore
import SQLKit

public protocol TokenRepository: Sendable {
    /// Stores a new token for `owner`; only the digest of the secret is kept.
    func create(owner: TokenOwner, _ draft: TokenDraft, secret: IssuedSecret) async throws -> APIToken
    func list(owner: TokenOwner) async throws -> [APIToken]
    func find(id: Int64) async throws -> APIToken?
    /// The token whose secret has this digest, revoked or expired ones included (the caller decides).
    func find(digest: String) async throws -> APIToken?
    func revoke(id: Int64, at time: Date) async throws -> APIToken
    func markUsed(id: Int64, at time: Date) async throws
}

struct SQLTokenRepository: TokenRepository {
    let provider: any DatabaseProvider

    static let columns = [
        "id", "user_id", "system_id", "name", "hint", "created_at", "expires_at", "revoked_at", "last_used_at",
    ]

    func create(owner: TokenOwner, _ draft: TokenDraft, secret: IssuedSecret) async throws -> APIToken {
        let (userID, systemID): (Int64?, Int64?) =
            switch owner {
            case .user(let id): (id, nil)
            case .system(let id): (nil, id)
            }
        return try await provider.transaction { sql in
            let row = try await sql.insert(into: "api_tokens")
                .columns("user_id", "system_id", "name", "token_digest", "hint", "created_at", "expires_at")
                .values(
                    SQLBind(userID), SQLBind(systemID), SQLBind(draft.name), SQLBind(secret.digest),
                    SQLBind(secret.hint),
                    SQLBind(Date()), SQLBind(draft.expiresAt)
                )
                .returning(Self.columns.map { SQLColumn($0) }).first()
            return try Self.decode(row!)
        }
    }

    func list(owner: TokenOwner) async throws -> [APIToken] {
        try await provider.read { sql in
            let query = sql.select().columns(Self.columns).from("api_tokens")
            switch owner {
            case .user(let id): query.where("user_id", .equal, id)
            case .system(let id): query.where("system_id", .equal, id)
            }
            return try await query.orderBy("id").all().map(Self.decode)
        }
    }

    func find(id: Int64) async throws -> APIToken? {
        try await provider.read { sql in
            try await sql.select().columns(Self.columns).from("api_tokens").where("id", .equal, id).first()
                .map(Self.decode)
        }
    }

    func find(digest: String) async throws -> APIToken? {
        try await provider.read { sql in
            try await sql.select().columns(Self.columns).from("api_tokens").where("token_digest", .equal, digest)
                .first()
                .map(Self.decode)
        }
    }

    func revoke(id: Int64, at time: Date) async throws -> APIToken {
        try await provider.transaction { sql in
            try await sql.update("api_tokens").set("revoked_at", to: time).where("id", .equal, id)
                .where(SQLColumn("revoked_at"), .is, SQLLiteral.null).run()
            guard
                let row = try await sql.select().columns(Self.columns).from("api_tokens").where("id", .equal, id)
                    .first()
            else {
                throw StoreError.notFound(entity: "token", key: "\(id)")
            }
            return try Self.decode(row)
        }
    }

    func markUsed(id: Int64, at time: Date) async throws {
        try await provider.transaction { sql in
            try await sql.update("api_tokens").set("last_used_at", to: time).where("id", .equal, id).run()
        }
    }

    static func decode(_ row: any SQLRow) throws -> APIToken {
        let owner: TokenOwner
        if let userID = try row.decode(column: "user_id", as: Int64?.self) {
            owner = .user(userID)
        } else {
            owner = .system(try row.decode(column: "system_id", as: Int64.self))
        }
        return APIToken(
            id: try row.decode(column: "id", as: Int64.self),
            owner: owner,
            name: try row.decode(column: "name", as: String.self),
            hint: try row.decode(column: "hint", as: String.self),
            createdAt: try row.decode(column: "created_at", as: Date.self),
            expiresAt: try row.decode(column: "expires_at", as: Date?.self),
            revokedAt: try row.decode(column: "revoked_at", as: Date?.self),
            lastUsedAt: try row.decode(column: "last_used_at", as: Date?.self))
    }
}
