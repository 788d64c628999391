import Foundation
import HuitongCore
import SQLKit

/// A signed-in browser. Kept in the database so that several nodes behind one load balancer share it.
public struct Session: Sendable, Hashable {
    public var id: Int64
    public var userID: Int64
    /// The anti-forgery token that the session's forms and script requests must echo.
    public var csrfToken: String
    public var expiresAt: Date
}

public protocol SessionRepository: Sendable {
    func create(userID: Int64, digest: String, csrfToken: String, expiresAt: Date) async throws -> Session
    /// The live session with this digest; expired ones are not returned.
    func find(digest: String, now: Date) async throws -> Session?
    func delete(digest: String) async throws
    /// Removes expired sessions; returns how many.
    func purgeExpired(now: Date) async throws -> Int
}

struct SQLSessionRepository: SessionRepository {
    let provider: any DatabaseProvider
    var integrity = RowIntegrity()

    func create(userID: Int64, digest: String, csrfToken: String, expiresAt: Date) async throws -> Session {
        try await provider.transaction { sql in
            let row = try await sql.insert(into: "sessions")
                .columns("token_digest", "user_id", "csrf_token", "created_at", "expires_at")
                .values(SQLBind(digest), SQLBind(userID), SQLBind(csrfToken), SQLBind(Date()), SQLBind(expiresAt))
                .returning("id").first()
            let id = try row!.decode(column: "id", as: Int64.self)
            try await integrity.seal(.sessions, id: id, sql)
            return Session(id: id, userID: userID, csrfToken: csrfToken, expiresAt: expiresAt)
        }
    }

    func find(digest: String, now: Date) async throws -> Session? {
        try await provider.read { sql in
            guard
                let row = try await sql.select()
                    .columns("id", "user_id", "csrf_token", "expires_at", "token_digest", "row_mac").from("sessions")
                    .where("token_digest", .equal, digest).where("expires_at", .greaterThan, now).first()
            else { return nil }
            // A session row slipped in (or moved to another user) behind the store would sign anyone in as anyone.
            try integrity.verify(.sessions, row)
            return Session(
                id: try row.decode(column: "id", as: Int64.self),
                userID: try row.decode(column: "user_id", as: Int64.self),
                csrfToken: try row.decode(column: "csrf_token", as: String.self),
                expiresAt: try row.decode(column: "expires_at", as: Date.self))
        }
    }

    func delete(digest: String) async throws {
        try await provider.transaction { sql in
            try await sql.delete(from: "sessions").where("token_digest", .equal, digest).run()
        }
    }

    func purgeExpired(now: Date) async throws -> Int {
        try await provider.transaction { sql in
            try await sql.delete(from: "sessions").where("expires_at", .lessThanOrEqual, now).returning("id").all()
                .count
        }
    }
}
