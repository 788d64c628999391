import Foundation
import HuitongCore
import SQLKit

/// The stored secret side of a user, read only to check a login.
public struct StoredCredentials: Sendable {
    public var user: User
    public var passwordHash: String
    public var failedLogins: Int
    public var lockedUntil: Date?
}

/// Changes to a user; nil leaves a field as it is.
public struct UserChanges: Sendable, Hashable {
    public var displayName: String?
    public var departmentID: Int64?
    public var roles: Set<Role>?
    public var isActive: Bool?

    public init(displayName: String? = nil, departmentID: Int64? = nil, roles: Set<Role>? = nil, isActive: Bool? = nil)
    {
        self.displayName = displayName
        self.departmentID = departmentID
        self.roles = roles
        self.isActive = isActive
    }
}

public protocol UserRepository: Sendable {
    func create(_ draft: UserDraft, passwordHash: String) async throws -> User
    func find(id: Int64) async throws -> User?
    func find(username: String) async throws -> User?
    /// All users, or those of one department.
    func list(departmentID: Int64?) async throws -> [User]
    func count() async throws -> Int
    func update(id: Int64, _ changes: UserChanges) async throws -> User
    /// Replaces the password, clears any lock-out and ends the user's sessions and personal tokens but those
    /// `keeping` names.
    func setPasswordHash(id: Int64, _ hash: String, keeping: PasswordChangeKeeps) async throws
    func credentials(username: String) async throws -> StoredCredentials?
    func recordFailedLogin(id: Int64, lockedUntil: Date?) async throws
    func recordSuccessfulLogin(id: Int64, at time: Date) async throws
    func delete(id: Int64) async throws
}

/// What a new password leaves open of the user's sessions and personal tokens.
public enum PasswordChangeKeeps: Sendable, Hashable {
    /// Every session ends and every personal token is revoked.
    case none
    /// All but the session or token the user changed their password with.
    case current(sessionID: Int64?, tokenID: Int64?)
    /// Nothing ends: the user asked to stay signed in elsewhere.
    case everything
}

extension UserRepository {
    /// Replaces the password and ends every session and personal token of the user.
    public func setPasswordHash(id: Int64, _ hash: String) async throws {
        try await setPasswordHash(id: id, hash, keeping: .none)
    }
}

struct SQLUserRepository: UserRepository {
    let provider: any DatabaseProvider
    var integrity = RowIntegrity()

    /// What a user is read with: its fields, and what its MAC covers and is (`ProtectedTable.users`).
    static let columns = [
        "id", "username", "display_name", "department_id", "roles", "is_active", "created_at", "last_login_at",
        "password_hash", "row_mac",
    ]

    /// A user's row, checked against its MAC: roles, department and activity decide what the user may do.
    func verified(_ row: any SQLRow) throws -> User {
        try integrity.verify(.users, row)
        return try Self.decode(row)
    }

    /// Revokes a user's personal tokens matching `condition` (already restricted to the user), keeping their MACs.
    private func revokeTokens(_ condition: SQLQueryString, _ sql: any SQLDatabase) async throws {
        let ids = try await integrity.verifyAll(.apiTokens, where: condition, sql)
        try await sql.raw("UPDATE api_tokens SET revoked_at = \(bind: Date()) WHERE \(condition)").run()
        try await integrity.seal(.apiTokens, ids: ids, sql)
    }

    func create(_ draft: UserDraft, passwordHash: String) async throws -> User {
        let now = Date()
        return try await provider.transaction { sql in
            guard
                try await sql.select().column("id").from("departments").where("id", .equal, draft.departmentID).first()
                    != nil
            else {
                throw StoreError.missingReference(field: "departmentID", value: "\(draft.departmentID)")
            }
            do {
                let row = try await sql.insert(into: "users")
                    .columns(
                        "username", "display_name", "department_id", "roles", "password_hash", "is_active",
                        "failed_logins", "created_at", "updated_at"
                    )
                    .values(
                        SQLBind(draft.username), SQLBind(draft.displayName), SQLBind(draft.departmentID),
                        SQLBind(Role.storageText(draft.roles)), SQLBind(passwordHash), SQLBind(true), SQLBind(0),
                        SQLBind(now), SQLBind(now)
                    )
                    .returning(Self.columns.map { SQLColumn($0) })
                    .first()
                let user = try Self.decode(row!)
                try await integrity.seal(.users, id: user.id, sql)
                return user
            } catch {
                if StoreError.uniqueViolation(in: error) != nil {
                    throw StoreError.duplicate(field: "username", value: draft.username)
                }
                throw error
            }
        }
    }

    func find(id: Int64) async throws -> User? {
        try await provider.read { sql in
            try await sql.select().columns(Self.columns).from("users").where("id", .equal, id).first().map(verified)
        }
    }

    func find(username: String) async throws -> User? {
        try await provider.read { sql in
            try await sql.select().columns(Self.columns).from("users").where("username", .equal, username.lowercased())
                .first().map(verified)
        }
    }

    func list(departmentID: Int64?) async throws -> [User] {
        try await provider.read { sql in
            var query = sql.select().columns(Self.columns).from("users")
            if let departmentID { query = query.where("department_id", .equal, departmentID) }
            return try await query.orderBy("id").all().map(verified)
        }
    }

    func count() async throws -> Int {
        try await provider.read { sql in
            try await sql.raw("SELECT COUNT(*) AS n FROM users").first()?.decode(column: "n", as: Int.self) ?? 0
        }
    }

    func update(id: Int64, _ changes: UserChanges) async throws -> User {
        try await provider.transaction { sql in
            if let departmentID = changes.departmentID,
                try await sql.select().column("id").from("departments").where("id", .equal, departmentID).first() == nil
            {
                throw StoreError.missingReference(field: "departmentID", value: "\(departmentID)")
            }
            try await integrity.verifyBeforeChange(.users, id: id, sql)
            let update = sql.update("users").set("updated_at", to: Date())
            if let displayName = changes.displayName { update.set("display_name", to: displayName) }
            if let departmentID = changes.departmentID { update.set("department_id", to: departmentID) }
            if let roles = changes.roles { update.set("roles", to: Role.storageText(roles)) }
            if let isActive = changes.isActive { update.set("is_active", to: isActive) }
            let row = try await update.where("id", .equal, id).returning(Self.columns.map { SQLColumn($0) }).first()
            guard let row else { throw StoreError.notFound(entity: "user", key: "\(id)") }
            try await integrity.seal(.users, id: id, sql)
            if changes.isActive == false {
                // A deactivated account must lose its open sessions and tokens at once, not at their expiry.
                try await sql.delete(from: "sessions").where("user_id", .equal, id).run()
                try await revokeTokens("user_id = \(bind: id) AND revoked_at IS NULL", sql)
            }
            return try Self.decode(row)
        }
    }

    func setPasswordHash(id: Int64, _ hash: String, keeping: PasswordChangeKeeps) async throws {
        try await provider.transaction { sql in
            try await integrity.verifyBeforeChange(.users, id: id, sql)
            let row = try await sql.update("users")
                .set("password_hash", to: hash)
                .set("failed_logins", to: 0)
                .set("locked_until", to: SQLLiteral.null)
                .set("updated_at", to: Date())
                .where("id", .equal, id)
                .returning("id").first()
            guard row != nil else { throw StoreError.notFound(entity: "user", key: "\(id)") }
            try await integrity.seal(.users, id: id, sql)
            let (session, token): (Int64?, Int64?)
            switch keeping {
            case .everything: return
            case .none: (session, token) = (nil, nil)
            case .current(let sessionID, let tokenID): (session, token) = (sessionID, tokenID)
            }
            try await sql.delete(from: "sessions").where("user_id", .equal, id)
                .where("id", .notEqual, session ?? -1).run()
            try await revokeTokens(
                "user_id = \(bind: id) AND revoked_at IS NULL AND id <> \(bind: token ?? -1)", sql)
        }
    }

    func credentials(username: String) async throws -> StoredCredentials? {
        try await provider.read { sql in
            guard
                let row = try await sql.select().columns(Self.columns + ["failed_logins", "locked_until"])
                    .from("users").where("username", .equal, username.lowercased()).first()
            else { return nil }
            return StoredCredentials(
                user: try verified(row),
                passwordHash: try row.decode(column: "password_hash", as: String.self),
                failedLogins: try row.decode(column: "failed_logins", as: Int.self),
                lockedUntil: try row.decode(column: "locked_until", as: Date?.self))
        }
    }

    func recordFailedLogin(id: Int64, lockedUntil: Date?) async throws {
        try await provider.transaction { sql in
            let update = sql.update("users")
            if let lockedUntil {
                update.set("locked_until", to: lockedUntil).set("failed_logins", to: 0)
            } else {
                update.set(SQLIdentifier("failed_logins"), to: SQLRaw("failed_logins + 1"))
            }
            try await update.where("id", .equal, id).run()
        }
    }

    func recordSuccessfulLogin(id: Int64, at time: Date) async throws {
        try await provider.transaction { sql in
            try await sql.update("users")
                .set("failed_logins", to: 0)
                .set("locked_until", to: SQLLiteral.null)
                .set("last_login_at", to: time)
                .where("id", .equal, id).run()
        }
    }

    func delete(id: Int64) async throws {
        try await provider.transaction { sql in
            let row = try await sql.delete(from: "users").where("id", .equal, id).returning("id").first()
            guard row != nil else { throw StoreError.notFound(entity: "user", key: "\(id)") }
        }
    }

    static func decode(_ row: any SQLRow) throws -> User {
        let rolesText = try row.decode(column: "roles", as: String.self)
        return User(
            id: try row.decode(column: "id", as: Int64.self),
            username: try row.decode(column: "username", as: String.self),
            displayName: try row.decode(column: "display_name", as: String.self),
            departmentID: try row.decode(column: "department_id", as: Int64.self),
            roles: Role.parseList(rolesText) ?? [],
            isActive: try row.decode(column: "is_active", as: Bool.self),
            createdAt: try row.decode(column: "created_at", as: Date.self),
            lastLoginAt: try row.decode(column: "last_login_at", as: Date?.self)
        )
    }
}
