import Foundation
import HuitongCore
import SQLKit

/// Which grants a caller sees: all (the operator), or a department's as consumer, as provider, or both.
public enum GrantScope: Sendable, Hashable {
    case all
    case department(Int64, asConsumer: Bool, asProvider: Bool)
}

/// 授权: the policies approvals compile to. Grants are created with the approval that makes them
/// (`SharingApplicationRepository.apply`) and only ever revoked afterwards.
public protocol GrantRepository: Sendable {
    func find(id: Int64) async throws -> Grant?
    /// Newest first.
    func list(_ scope: GrantScope) async throws -> [Grant]
    /// The gateway's lookup: the unrevoked grants of a consumer department for one resource that are still valid
    /// on `day` (or start later). Read on every call, so revocation and expiry take effect on the next one.
    func activeGrants(consumerDepartmentID: Int64, resourceCode: String, on day: CalendarDate) async throws
        -> [Grant]
    /// The ids of the same grants, in the same order: the gateway asks on every call (so a revocation takes effect
    /// on the next one) and keeps the bodies, which never change but for revocation, in memory.
    func activeGrantIDs(consumerDepartmentID: Int64, resourceCode: String, on day: CalendarDate) async throws
        -> [Int64]
    /// The same grants as references (id and stored MAC): a body the gateway checked and kept under a MAC is
    /// still the row when the row still holds that MAC (`find(reference:)`).
    func activeGrantReferences(consumerDepartmentID: Int64, resourceCode: String, on day: CalendarDate)
        async throws -> [GrantReference]
    /// The grant `reference` names, checked, if its row still holds the reference's MAC; nil otherwise (the row
    /// changed since the reference was read, or is gone).
    func find(reference: GrantReference) async throws -> Grant?
    /// Unrevoked grants whose validity ended before `day` and whose expiry is not yet on the audit log.
    func expiredUnaudited(before day: CalendarDate, limit: Int) async throws -> [Grant]
    /// Notes that the expiry of these grants is on the audit log.
    func markExpiryAudited(ids: [Int64], at time: Date) async throws
    /// Revokes a grant and sends `notifications` in the same transaction; a grant already revoked is a conflict.
    func revoke(id: Int64, by author: ChangeAuthor, reason: String, at time: Date, notifications: [NotificationDraft])
        async throws -> Grant
}

/// A grant as the gateway's lookup names it: its id and the MAC its row held then.
public struct GrantReference: Sendable, Hashable {
    public var id: Int64
    public var rowMAC: String

    public init(id: Int64, rowMAC: String) {
        self.id = id
        self.rowMAC = rowMAC
    }

    /// References aggregated by SQL as `id mac` pairs joined by commas (base64 holds neither).
    static func parseList(_ text: String?) -> [GrantReference] {
        (text ?? "").split(separator: ",").compactMap { pair in
            let parts = pair.split(separator: " ", maxSplits: 1)
            guard let id = Int64(parts[0]) else { return nil }
            return GrantReference(id: id, rowMAC: parts.count > 1 ? String(parts[1]) : "")
        }.sorted { $0.id < $1.id }
    }

    /// The SQL that writes a grant row (aliased `g`) as `parseList` reads it, aggregated over the rows.
    static func aggregate(_ backend: Backend) -> String {
        backend == .postgres
            ? "string_agg(g.id::text || ' ' || COALESCE(g.row_mac, ''), ',')"
            : "group_concat(g.id || ' ' || COALESCE(g.row_mac, ''), ',')"
    }
}

struct SQLGrantRepository: GrantRepository {
    let provider: any DatabaseProvider
    var accessRevision = AccessRevision()
    var integrity = RowIntegrity()

    /// A grant row, checked against its MAC.
    func verified(_ row: any SQLRow) throws -> Grant {
        try integrity.verify(.grants, row)
        return try Self.decode(row)
    }

    func expiredUnaudited(before day: CalendarDate, limit: Int) async throws -> [Grant] {
        try await provider.read { sql in
            // valid_to is an ISO date (YYYY-MM-DD), so text order is date order on both engines.
            try await sql.raw(
                """
                SELECT * FROM grants
                WHERE valid_to < \(bind: day.description) AND revoked_at IS NULL AND expiry_audited_at IS NULL
                ORDER BY id LIMIT \(literal: max(1, min(limit, 1_000)))
                """
            ).all().map(verified)
        }
    }

    func markExpiryAudited(ids: [Int64], at time: Date) async throws {
        guard !ids.isEmpty else { return }
        try await provider.transaction { sql in
            for id in ids {
                try await sql.raw(
                    "UPDATE grants SET expiry_audited_at = \(bind: time) WHERE id = \(bind: id)"
                ).run()
            }
        }
    }

    func find(id: Int64) async throws -> Grant? {
        try await provider.read { sql in try await load(id: id, sql) }
    }

    func find(reference: GrantReference) async throws -> Grant? {
        try await provider.read { sql in
            guard let row = try await sql.raw("SELECT * FROM grants WHERE id = \(bind: reference.id)").first(),
                try row.decode(column: "row_mac", as: String?.self) == reference.rowMAC
            else { return nil }
            return try verified(row)
        }
    }

    func list(_ scope: GrantScope) async throws -> [Grant] {
        try await provider.read { sql in
            var filter: SQLQueryString = ""
            if case .department(let department, let asConsumer, let asProvider) = scope {
                var visible: [SQLQueryString] = []
                if asConsumer { visible.append("consumer_department_id = \(bind: department)") }
                if asProvider { visible.append("provider_department_id = \(bind: department)") }
                if visible.isEmpty { return [] }
                filter = "WHERE \(SQLList(visible, separator: SQLRaw(" OR ")))"
            }
            return try await sql.raw("SELECT * FROM grants \(filter) ORDER BY id DESC").all().map(verified)
        }
    }

    func activeGrants(consumerDepartmentID: Int64, resourceCode: String, on day: CalendarDate) async throws
        -> [Grant]
    {
        try await provider.read { sql in
            // Matches the partial index grants_gateway column for column.
            try await sql.raw(
                """
                SELECT * FROM grants
                WHERE consumer_department_id = \(bind: consumerDepartmentID)
                    AND resource_code = \(bind: resourceCode) AND valid_to >= \(bind: day.description)
                    AND revoked_at IS NULL
                ORDER BY id
                """
            ).all().map(verified)
        }
    }

    func activeGrantIDs(consumerDepartmentID: Int64, resourceCode: String, on day: CalendarDate) async throws
        -> [Int64]
    {
        try await provider.read { sql in
            try await sql.raw(
                """
                SELECT id FROM grants
                WHERE consumer_department_id = \(bind: consumerDepartmentID)
                    AND resource_code = \(bind: resourceCode) AND valid_to >= \(bind: day.description)
                    AND revoked_at IS NULL
                ORDER BY id
                """
            ).all().map { try $0.decode(column: "id", as: Int64.self) }
        }
    }

    func activeGrantReferences(consumerDepartmentID: Int64, resourceCode: String, on day: CalendarDate)
        async throws -> [GrantReference]
    {
        try await provider.read { sql in
            try await sql.raw(
                """
                SELECT id, row_mac FROM grants
                WHERE consumer_department_id = \(bind: consumerDepartmentID)
                    AND resource_code = \(bind: resourceCode) AND valid_to >= \(bind: day.description)
                    AND revoked_at IS NULL
                ORDER BY id
                """
            ).all().map {
                GrantReference(
                    id: try $0.decode(column: "id", as: Int64.self),
                    rowMAC: try $0.decode(column: "row_mac", as: String?.self) ?? "")
            }
        }
    }

    func revoke(id: Int64, by author: ChangeAuthor, reason: String, at time: Date, notifications: [NotificationDraft])
        async throws -> Grant
    {
        try await accessRevision.changing {
            try await revokeNow(id: id, by: author, reason: reason, at: time, notifications: notifications)
        }
    }

    private func revokeNow(
        id: Int64, by author: ChangeAuthor, reason: String, at time: Date, notifications: [NotificationDraft]
    ) async throws -> Grant {
        try await provider.transaction { sql in
            try await integrity.verifyBeforeChange(.grants, id: id, sql)
            let row = try await sql.raw(
                """
                UPDATE grants SET revoked_at = \(bind: time), revoked_by_id = \(bind: author.userID),
                    revoked_by_name = \(bind: author.name), revocation_reason = \(bind: reason)
                WHERE id = \(bind: id) AND revoked_at IS NULL
                RETURNING id
                """
            ).first()
            guard row != nil else {
                guard try await load(id: id, sql) != nil else {
                    throw StoreError.notFound(entity: "grant", key: "\(id)")
                }
                throw StoreError.conflict(BilingualText(zh: "授权已被撤销", en: "the grant is already revoked"))
            }
            try await integrity.seal(.grants, id: id, sql)
            try await SQLNotificationRepository.insert(notifications, at: time, sql)
            return try await load(id: id, sql)!
        }
    }

    static func insert(_ grant: GrantDraft, at time: Date, _ sql: any SQLDatabase) async throws -> Int64 {
        let row = try await sql.raw(
            """
            INSERT INTO grants (application_id, entry_id, resource_code, provider_department_id,
                consumer_department_id, system_ids, items, row_filter, masking, purpose, purpose_text, channel,
                rate_limit, daily_quota, valid_from, valid_to, created_at)
            VALUES (\(bind: grant.applicationID), \(bind: grant.entryID), \(bind: grant.resourceCode),
                \(bind: grant.providerDepartmentID), \(bind: grant.consumerDepartmentID),
                \(bind: try json(grant.systemIDs)), \(bind: try json(grant.items)),
                \(bind: try grant.rowFilter.map(json)), \(bind: try json(grant.masking)),
                \(bind: grant.purpose.rawValue), \(bind: grant.purposeText), \(bind: grant.channel.rawValue),
                \(bind: grant.rateLimit), \(bind: grant.dailyQuota), \(bind: grant.validFrom.description),
                \(bind: grant.validTo.description), \(bind: time))
            RETURNING id
            """
        ).first()
        return try row!.decode(column: "id", as: Int64.self)
    }

    func load(id: Int64, _ sql: any SQLDatabase) async throws -> Grant? {
        try await sql.raw("SELECT * FROM grants WHERE id = \(bind: id)").first().map(verified)
    }

    static func json(_ value: some Encodable) throws -> String {
        try SQLSharingApplicationRepository.json(value)
    }

    static func decode(_ row: any SQLRow) throws -> Grant {
        let decoder = JSONDecoder()
        func json<Value: Decodable>(_ column: String, as type: Value.Type) throws -> Value {
            try decoder.decode(type, from: Data(try row.decode(column: column, as: String.self).utf8))
        }
        func day(_ column: String) throws -> CalendarDate {
            let text = try row.decode(column: column, as: String.self)
            guard let day = CalendarDate(iso: text) else {
                throw StoreError.unavailable("grants.\(column) holds an invalid date")
            }
            return day
        }
        return Grant(
            id: try row.decode(column: "id", as: Int64.self),
            applicationID: try row.decode(column: "application_id", as: Int64.self),
            entryID: try row.decode(column: "entry_id", as: Int64.self),
            resourceCode: try row.decode(column: "resource_code", as: String.self),
            providerDepartmentID: try row.decode(column: "provider_department_id", as: Int64.self),
            consumerDepartmentID: try row.decode(column: "consumer_department_id", as: Int64.self),
            systemIDs: try json("system_ids", as: [Int64].self),
            items: try json("items", as: [String].self),
            rowFilter: try row.decode(column: "row_filter", as: String?.self).map {
                try decoder.decode(RowFilter.self, from: Data($0.utf8))
            },
            masking: try json("masking", as: [String: MaskingRule].self),
            purpose: ApplicationPurpose(rawValue: try row.decode(column: "purpose", as: String.self)) ?? .other,
            purposeText: try row.decode(column: "purpose_text", as: String.self),
            channel: AccessChannel(rawValue: try row.decode(column: "channel", as: String.self)) ?? .api,
            rateLimit: try row.decode(column: "rate_limit", as: Int.self),
            dailyQuota: try row.decode(column: "daily_quota", as: Int.self),
            validFrom: try day("valid_from"), validTo: try day("valid_to"),
            createdAt: try row.decode(column: "created_at", as: Date.self),
            revokedAt: try row.decode(column: "revoked_at", as: Date?.self),
            revokedByID: try row.decode(column: "revoked_by_id", as: Int64?.self),
            revokedByName: try row.decode(column: "revoked_by_name", as: String?.self),
            revocationReason: try row.decode(column: "revocation_reason", as: String?.self))
    }
}
