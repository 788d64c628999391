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
    /// An application-system credential with its system, in one read: the gateway authenticates every call so.
    func findSystemCredential(digest: String) async throws -> (APIToken, ApplicationSystem)?
    func revoke(id: Int64, at time: Date) async throws -> APIToken
    func markUsed(id: Int64, at time: Date) async throws

    /// Stores a new application-system credential under `keyID`: the digest of the secret for bearer use and,
    /// when the node has a sealing key, the secret sealed for checking signatures.
    func createCredential(
        systemID: Int64, _ draft: TokenDraft, secret: IssuedSecret, keyID: String, sealedSecret: String?
    ) async throws -> APIToken
    /// The generations of credential `keyID` that are neither revoked nor expired at `now`, newest first, with
    /// their sealed secrets.
    func signingCredentials(keyID: String, now: Date) async throws -> [SigningCredential]
    /// Gives application-system credential `id` a new secret under the same key id. The old secret keeps working
    /// until `graceEnds` (or its own earlier expiry) so that callers can switch without downtime. Refused when `id`
    /// is not a live system credential, or was already rotated (rotate the newest instead).
    func rotate(id: Int64, secret: IssuedSecret, sealedSecret: String?, graceEnds: Date, now: Date) async throws
        -> RotatedCredential
    /// Revokes credential `id` together with every other generation under its key id, at once.
    func revokeCredential(id: Int64, at time: Date) async throws -> APIToken
}

/// A live credential generation as the signature check needs it. The sealed secret never leaves the server.
public struct SigningCredential: Sendable {
    public var token: APIToken
    public var sealedSecret: String?

    public init(token: APIToken, sealedSecret: String?) {
        self.token = token
        self.sealedSecret = sealedSecret
    }
}

public struct RotatedCredential: Sendable {
    /// The credential that was rotated, now ending at the grace period.
    public var previous: APIToken
    /// The new generation, valid until the credential's original expiry.
    public var current: APIToken
}

struct SQLTokenRepository: TokenRepository {
    let provider: any DatabaseProvider
    var accessRevision = AccessRevision()
    var integrity = RowIntegrity()

    /// What a token is read with: its fields, and what its MAC covers and is (`ProtectedTable.apiTokens`).
    static let columns = [
        "id", "user_id", "system_id", "name", "hint", "created_at", "expires_at", "revoked_at", "last_used_at",
        "key_id", "replaced_by", "sealed_secret", "token_digest", "row_mac",
    ]

    /// A token row, checked against its MAC.
    func verified(_ row: any SQLRow) throws -> APIToken {
        try integrity.verify(.apiTokens, row)
        return try Self.decode(row)
    }

    func create(owner: TokenOwner, _ draft: TokenDraft, secret: IssuedSecret) async throws -> APIToken {
        switch owner {
        case .user(let id):
            try await provider.transaction { sql in
                try await insert(
                    sql, userID: id, systemID: nil, name: draft.name, expiresAt: draft.expiresAt, secret: secret,
                    keyID: nil, sealedSecret: nil, now: Date())
            }
        case .system(let id):
            // Every system credential has a key id; without a sealed secret it works as a bearer token only.
            try await createCredential(
                systemID: id, draft, secret: secret, keyID: CredentialKeyID.generate(), sealedSecret: nil)
        }
    }

    func createCredential(
        systemID: Int64, _ draft: TokenDraft, secret: IssuedSecret, keyID: String, sealedSecret: String?
    ) async throws -> APIToken {
        try await provider.transaction { sql in
            try await insert(
                sql, userID: nil, systemID: systemID, name: draft.name, expiresAt: draft.expiresAt, secret: secret,
                keyID: keyID, sealedSecret: sealedSecret, now: Date())
        }
    }

    private func insert(
        _ sql: any SQLDatabase, userID: Int64?, systemID: Int64?, name: String, expiresAt: Date?,
        secret: IssuedSecret, keyID: String?, sealedSecret: String?, now: Date
    ) async throws -> APIToken {
        let row = try await sql.insert(into: "api_tokens")
            .columns(
                "user_id", "system_id", "name", "token_digest", "hint", "created_at", "expires_at", "key_id",
                "sealed_secret"
            )
            .values(
                SQLBind(userID), SQLBind(systemID), SQLBind(name), SQLBind(secret.digest), SQLBind(secret.hint),
                SQLBind(now), SQLBind(expiresAt), SQLBind(keyID), SQLBind(sealedSecret)
            )
            .returning(Self.columns.map { SQLColumn($0) }).first()
        let token = try Self.decode(row!)
        try await integrity.seal(.apiTokens, id: token.id, sql)
        return token
    }

    func signingCredentials(keyID: String, now: Date) async throws -> [SigningCredential] {
        try await provider.read { sql in
            try await sql.select().columns(Self.columns).from("api_tokens")
                .where("key_id", .equal, keyID)
                .where(SQLColumn("revoked_at"), .is, SQLLiteral.null)
                .where(group: { group in
                    group.where(SQLColumn("expires_at"), .is, SQLLiteral.null).orWhere("expires_at", .greaterThan, now)
                })
                .orderBy("id", .descending).all()
                .map { row in
                    SigningCredential(
                        token: try verified(row),
                        sealedSecret: try row.decode(column: "sealed_secret", as: String?.self))
                }
        }
    }

    func rotate(id: Int64, secret: IssuedSecret, sealedSecret: String?, graceEnds: Date, now: Date) async throws
        -> RotatedCredential
    {
        try await accessRevision.changing {
            try await rotateNow(id: id, secret: secret, sealedSecret: sealedSecret, graceEnds: graceEnds, now: now)
        }
    }

    private func rotateNow(id: Int64, secret: IssuedSecret, sealedSecret: String?, graceEnds: Date, now: Date)
        async throws -> RotatedCredential
    {
        try await provider.transaction { sql in
            guard
                let row = try await sql.select().columns(Self.columns).from("api_tokens").where("id", .equal, id)
                    .first()
            else {
                throw StoreError.notFound(entity: "token", key: "\(id)")
            }
            let old = try verified(row)
            guard case .system(let systemID) = old.owner, let keyID = old.keyID else {
                throw StoreError.notFound(entity: "token", key: "\(id)")
            }
            guard old.isUsable(at: now) else {
                throw StoreError.conflict(
                    BilingualText(
                        zh: "凭证已吊销或已过期，不能轮换", en: "the credential is revoked or expired and cannot be rotated"))
            }
            if let replacedBy = old.replacedBy {
                throw StoreError.conflict(
                    BilingualText(
                        zh: "凭证已轮换过，请轮换最新的凭证（编号 \(replacedBy)）",
                        en: "the credential was already rotated; rotate the newest one (id \(replacedBy))"))
            }
            let current = try await insert(
                sql, userID: nil, systemID: systemID, name: old.name, expiresAt: old.expiresAt, secret: secret,
                keyID: keyID, sealedSecret: sealedSecret, now: now)
            let previousExpiry = min(old.expiresAt ?? graceEnds, graceEnds)
            // The conditions make a concurrent rotation of the same credential fail here rather than leave two
            // successors; the throw rolls back the insert above.
            guard
                let updated = try await sql.update("api_tokens")
                    .set("expires_at", to: previousExpiry).set("replaced_by", to: current.id)
                    .where("id", .equal, id).where(SQLColumn("replaced_by"), .is, SQLLiteral.null)
                    .where(SQLColumn("revoked_at"), .is, SQLLiteral.null)
                    .returning(Self.columns.map { SQLColumn($0) }).first()
            else {
                throw StoreError.conflict(
                    BilingualText(zh: "凭证正在被同时轮换，请重试", en: "the credential was rotated at the same time; retry"))
            }
            try await integrity.seal(.apiTokens, id: id, sql)
            return RotatedCredential(previous: try Self.decode(updated), current: current)
        }
    }

    func revokeCredential(id: Int64, at time: Date) async throws -> APIToken {
        try await accessRevision.changing { try await revokeCredentialNow(id: id, at: time) }
    }

    private func revokeCredentialNow(id: Int64, at time: Date) async throws -> APIToken {
        try await provider.transaction { sql in
            guard
                let row = try await sql.select().columns(Self.columns).from("api_tokens").where("id", .equal, id)
                    .first()
            else {
                throw StoreError.notFound(entity: "token", key: "\(id)")
            }
            let token = try verified(row)
            let generations: SQLQueryString =
                if let keyID = token.keyID { "key_id = \(bind: keyID)" } else { "id = \(bind: id)" }
            let ids = try await integrity.verifyAll(.apiTokens, where: generations, sql)
            let update = sql.update("api_tokens").set("revoked_at", to: time)
                .where(SQLColumn("revoked_at"), .is, SQLLiteral.null)
            if let keyID = token.keyID {
                update.where("key_id", .equal, keyID)
            } else {
                update.where("id", .equal, id)
            }
            try await update.run()
            try await integrity.seal(.apiTokens, ids: ids, sql)
            let revoked = try await sql.select().columns(Self.columns).from("api_tokens").where("id", .equal, id)
                .first()
            return try Self.decode(revoked!)
        }
    }

    func list(owner: TokenOwner) async throws -> [APIToken] {
        try await provider.read { sql in
            let query = sql.select().columns(Self.columns).from("api_tokens")
            switch owner {
            case .user(let id): query.where("user_id", .equal, id)
            case .system(let id): query.where("system_id", .equal, id)
            }
            return try await query.orderBy("id").all().map(verified)
        }
    }

    func find(id: Int64) async throws -> APIToken? {
        try await provider.read { sql in
            try await sql.select().columns(Self.columns).from("api_tokens").where("id", .equal, id).first()
                .map(verified)
        }
    }

    func findSystemCredential(digest: String) async throws -> (APIToken, ApplicationSystem)? {
        let tokenColumns = Self.columns.map { "t.\($0)" }.joined(separator: ", ")
        return try await provider.read { sql in
            guard
                let row = try await sql.raw(
                    """
                    SELECT \(unsafeRaw: tokenColumns), s.department_id AS system_department_id,
                        s.name AS system_name, s.description AS system_description, s.is_active AS system_is_active,
                        s.created_at AS system_created_at, s.row_mac AS system_row_mac
                    FROM api_tokens t JOIN application_systems s ON s.id = t.system_id
                    WHERE t.token_digest = \(bind: digest)
                    """
                ).first()
            else { return nil }
            try integrity.verify(.applicationSystems, row, prefix: "system_")
            return (try verified(row), try Self.system(row))
        }
    }

    func find(digest: String) async throws -> APIToken? {
        try await provider.read { sql in
            try await sql.select().columns(Self.columns).from("api_tokens").where("token_digest", .equal, digest)
                .first()
                .map(verified)
        }
    }

    func revoke(id: Int64, at time: Date) async throws -> APIToken {
        try await accessRevision.changing { try await revokeNow(id: id, at: time) }
    }

    private func revokeNow(id: Int64, at time: Date) async throws -> APIToken {
        try await provider.transaction { sql in
            try await integrity.verifyBeforeChange(.apiTokens, id: id, sql)
            try await sql.update("api_tokens").set("revoked_at", to: time).where("id", .equal, id)
                .where(SQLColumn("revoked_at"), .is, SQLLiteral.null).run()
            try await integrity.seal(.apiTokens, id: id, sql)
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

    /// The application system of a row that joined it under `system_…` names.
    static func system(_ row: any SQLRow) throws -> ApplicationSystem {
        ApplicationSystem(
            id: try row.decode(column: "system_id", as: Int64.self),
            departmentID: try row.decode(column: "system_department_id", as: Int64.self),
            name: try row.decode(column: "system_name", as: String.self),
            description: try row.decode(column: "system_description", as: String.self),
            isActive: try row.decode(column: "system_is_active", as: Bool.self),
            createdAt: try row.decode(column: "system_created_at", as: Date.self))
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
            lastUsedAt: try row.decode(column: "last_used_at", as: Date?.self),
            keyID: try row.decode(column: "key_id", as: String?.self),
            replacedBy: try row.decode(column: "replaced_by", as: Int64?.self),
            canSign: try row.decode(column: "sealed_secret", as: String?.self) != nil)
    }
}
