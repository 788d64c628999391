import Foundation
import HuitongCore
import SQLKit

/// In-app notifications, one row per recipient.
public protocol NotificationRepository: Sendable {
    /// Writes `drafts`, each to every active user of its audience; returns how many rows were written.
    @discardableResult
    func send(_ drafts: [NotificationDraft], at time: Date) async throws -> Int
    /// A user's notifications, unread first, newest first within each group.
    func list(userID: Int64, limit: Int) async throws -> [InAppNotification]
    func unreadCount(userID: Int64) async throws -> Int
    /// Marks one of `userID`'s notifications read (again reading changes nothing); another user's is not found.
    func markRead(id: Int64, userID: Int64, at time: Date) async throws -> InAppNotification
}

struct SQLNotificationRepository: NotificationRepository {
    let provider: any DatabaseProvider

    func send(_ drafts: [NotificationDraft], at time: Date) async throws -> Int {
        try await provider.transaction { sql in try await Self.insert(drafts, at: time, sql) }
    }

    func list(userID: Int64, limit: Int) async throws -> [InAppNotification] {
        try await provider.read { sql in
            try await sql.raw(
                """
                SELECT * FROM notifications WHERE user_id = \(bind: userID)
                ORDER BY CASE WHEN read_at IS NULL THEN 0 ELSE 1 END, id DESC
                LIMIT \(literal: max(1, min(limit, 500)))
                """
            ).all().map(Self.decode)
        }
    }

    func unreadCount(userID: Int64) async throws -> Int {
        try await provider.read { sql in
            try await sql.raw(
                "SELECT COUNT(*) AS unread FROM notifications WHERE user_id = \(bind: userID) AND read_at IS NULL"
            ).first()?.decode(column: "unread", as: Int.self) ?? 0
        }
    }

    func markRead(id: Int64, userID: Int64, at time: Date) async throws -> InAppNotification {
        try await provider.transaction { sql in
            try await sql.raw(
                """
                UPDATE notifications SET read_at = \(bind: time)
                WHERE id = \(bind: id) AND user_id = \(bind: userID) AND read_at IS NULL
                """
            ).run()
            let row = try await sql.raw(
                "SELECT * FROM notifications WHERE id = \(bind: id) AND user_id = \(bind: userID)"
            ).first()
            guard let row else { throw StoreError.notFound(entity: "notification", key: "\(id)") }
            return try Self.decode(row)
        }
    }

    /// Writes notifications inside the caller's transaction, so that they exist exactly when the change they
    /// announce does.
    @discardableResult
    static func insert(_ drafts: [NotificationDraft], at time: Date, _ sql: any SQLDatabase) async throws -> Int {
        var written = 0
        for draft in drafts {
            let audience: SQLQueryString
            switch draft.audience {
            case .user(let id):
                audience = "id = \(bind: id)"
            case .department(let department, let role):
                audience = "department_id = \(bind: department) AND \(Self.holds(role))"
            case .role(let role):
                audience = Self.holds(role)
            }
            let rows = try await sql.raw(
                """
                INSERT INTO notifications (user_id, kind, title_zh, title_en, body_zh, body_en, application_id,
                    grant_id, objection_id, created_at)
                SELECT id, \(bind: draft.kind.rawValue), \(bind: draft.title.zh), \(bind: draft.title.en),
                    \(bind: draft.body.zh), \(bind: draft.body.en), \(bind: draft.applicationID),
                    \(bind: draft.grantID), \(bind: draft.objectionID), \(bind: time)
                FROM users WHERE is_active = \(bind: true) AND \(audience)
                RETURNING id
                """
            ).all()
            written += rows.count
        }
        return written
    }

    /// Roles are stored as a comma-separated list (`provider,consumer`).
    static func holds(_ role: Role) -> SQLQueryString {
        "(',' || roles || ',') LIKE \(bind: "%,\(role.rawValue),%")"
    }

    static func decode(_ row: any SQLRow) throws -> InAppNotification {
        InAppNotification(
            id: try row.decode(column: "id", as: Int64.self),
            userID: try row.decode(column: "user_id", as: Int64.self),
            kind: NotificationKind(rawValue: try row.decode(column: "kind", as: String.self)) ?? .applicationDecided,
            title: BilingualText(
                zh: try row.decode(column: "title_zh", as: String.self),
                en: try row.decode(column: "title_en", as: String.self)),
            body: BilingualText(
                zh: try row.decode(column: "body_zh", as: String.self),
                en: try row.decode(column: "body_en", as: String.self)),
            applicationID: try row.decode(column: "application_id", as: Int64?.self),
            grantID: try row.decode(column: "grant_id", as: Int64?.self),
            objectionID: try row.decode(column: "objection_id", as: Int64?.self),
            createdAt: try row.decode(column: "created_at", as: Date.self),
            readAt: try row.decode(column: "read_at", as: Date?.self))
    }
}
