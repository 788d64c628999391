import Foundation
import HuitongCore
import SQLKit

/// Which objections a caller sees: all (the operator), or those on a department's entries (as provider) and
/// those its officers raised (as raiser).
public enum ObjectionScope: Sendable, Hashable {
    case all
    case department(Int64, asProvider: Bool, asRaiser: Bool)
}

/// Narrows a list of objections.
public struct ObjectionFilter: Sendable, Hashable {
    public var state: ObjectionState?
    public var entryID: Int64?
    /// Only open objections past their deadline at this instant.
    public var overdueAt: Date?

    public init(state: ObjectionState? = nil, entryID: Int64? = nil, overdueAt: Date? = nil) {
        self.state = state
        self.entryID = entryID
        self.overdueAt = overdueAt
    }
}

/// One step of an objection, written as a whole or not at all: its new state and answer, the state it must still
/// be in (so that two answers, or an answer and the sweep, cannot both succeed), its history lines and the
/// notifications it sends.
public struct ObjectionChange: Sendable {
    public var objection: Objection
    public var expectedState: ObjectionState
    public var events: [ObjectionEvent]
    public var notifications: [NotificationDraft]

    public init(
        objection: Objection, expectedState: ObjectionState, events: [ObjectionEvent],
        notifications: [NotificationDraft] = []
    ) {
        self.objection = objection
        self.expectedState = expectedState
        self.events = events
        self.notifications = notifications
    }
}

/// 异议, their history, and the provenance of the pool versions corrections made.
public protocol ObjectionRepository: Sendable {
    /// Records a raised objection against `entry`, numbering it `YY-YYYY-NNNN`; a portal raiser's tracking secret
    /// is kept as its digest only.
    func create(
        _ draft: ObjectionDraft, entry: CatalogEntry, raiser: ObjectionRaiser, trackingDigest: String?,
        deadline: Date, at time: Date, notifications: [NotificationDraft]
    ) async throws -> Objection
    func find(id: Int64) async throws -> Objection?
    /// The objection with this number whose tracking secret has `trackingDigest` (compared in constant time).
    func find(number: String, trackingDigest: String) async throws -> Objection?
    /// Newest first.
    func list(_ scope: ObjectionScope, filter: ObjectionFilter) async throws -> [Objection]
    /// The history, oldest first.
    func history(id: Int64) async throws -> [ObjectionEvent]
    /// Applies one step; fails with `ObjectionError.changedConcurrently` when the objection has left
    /// `change.expectedState` meanwhile.
    func apply(_ change: ObjectionChange) async throws -> Objection
    /// Applies a correction: makes `version` (built with the corrected record) the one readers see, keeping `keep`
    /// retired versions, records its provenance and closes the objection, all in one transaction. If the
    /// objection moved meanwhile nothing is published and the version stays building (the caller abandons it).
    func correct(_ change: ObjectionChange, publishing version: PoolVersion, keep: Int, provenance: PoolProvenance)
        async throws -> (Objection, PoolVersion)
    /// Open objections (not escalated yet) whose deadline is at or before `now`.
    func overdue(at now: Date) async throws -> [Objection]
    /// Objections on the entry not yet answered (open or escalated).
    func openCount(entryID: Int64) async throws -> Int
    /// Open objections per entry, for the entries named (every entry with one when nil); entries without any
    /// are left out.
    func openCounts(entryIDs: [Int64]?) async throws -> [Int64: Int]
    /// Why the entry's pool versions made by corrections exist, by version.
    func provenance(entryID: Int64) async throws -> [Int: PoolProvenance]
}

struct SQLObjectionRepository: ObjectionRepository {
    let provider: any DatabaseProvider

    func create(
        _ draft: ObjectionDraft, entry: CatalogEntry, raiser: ObjectionRaiser, trackingDigest: String?,
        deadline: Date, at time: Date, notifications: [NotificationDraft]
    ) async throws -> Objection {
        try await provider.transaction { sql in
            let year = CalendarDate(time).year
            let sequence = try await sql.raw(
                """
                INSERT INTO catalog_code_sequences (path, last_number) VALUES (\(bind: "objection/\(year)"), 1)
                ON CONFLICT (path) DO UPDATE SET last_number = catalog_code_sequences.last_number + 1
                RETURNING last_number
                """
            ).first()!.decode(column: "last_number", as: Int.self)
            let number = "YY-\(year)-" + String(format: "%04d", sequence)
            let row = try await sql.raw(
                """
                INSERT INTO objections (number, entry_id, resource_code, provider_department_id, raiser_id,
                    raiser_department_id, raiser_name, contact, tracking_digest, record_key, items, description,
                    evidence, state, deadline, created_at, updated_at)
                VALUES (\(bind: number), \(bind: entry.id), \(bind: entry.code.text),
                    \(bind: entry.provider.departmentID), \(bind: raiser.userID), \(bind: raiser.departmentID),
                    \(bind: raiser.name), \(bind: try raiser.contact.map(Self.json)), \(bind: trackingDigest),
                    \(bind: try Self.json(draft.recordKey)), \(bind: try Self.json(draft.items)),
                    \(bind: draft.description), \(bind: draft.evidence), \(bind: ObjectionState.open.rawValue),
                    \(bind: deadline), \(bind: time), \(bind: time))
                RETURNING id
                """
            ).first()
            let id = try row!.decode(column: "id", as: Int64.self)
            try await Self.record(
                [
                    ObjectionEvent(
                        action: .raise, from: nil, to: .open, actorID: raiser.userID, actorName: raiser.name,
                        comment: "", at: time)
                ], objectionID: id, sql)
            var notifications = notifications
            for index in notifications.indices { notifications[index].objectionID = id }
            try await SQLNotificationRepository.insert(notifications, at: time, sql)
            return try await Self.load(id: id, sql)!
        }
    }

    func find(id: Int64) async throws -> Objection? {
        try await provider.read { sql in try await Self.load(id: id, sql) }
    }

    func find(number: String, trackingDigest: String) async throws -> Objection? {
        try await provider.read { sql in
            guard
                let row = try await sql.raw(
                    "SELECT * FROM objections WHERE number = \(bind: number) AND tracking_digest IS NOT NULL"
                ).first(),
                Secrets.constantTimeEquals(
                    try row.decode(column: "tracking_digest", as: String.self), trackingDigest)
            else { return nil }
            return try Self.decode(row)
        }
    }

    func list(_ scope: ObjectionScope, filter: ObjectionFilter) async throws -> [Objection] {
        try await provider.read { sql in
            var conditions: [SQLQueryString] = []
            if case .department(let department, let asProvider, let asRaiser) = scope {
                var visible: [SQLQueryString] = []
                if asProvider { visible.append("provider_department_id = \(bind: department)") }
                if asRaiser { visible.append("raiser_department_id = \(bind: department)") }
                if visible.isEmpty { return [] }
                conditions.append("(\(SQLList(visible, separator: SQLRaw(" OR "))))")
            }
            if let state = filter.state { conditions.append("state = \(bind: state.rawValue)") }
            if let entryID = filter.entryID { conditions.append("entry_id = \(bind: entryID)") }
            if let now = filter.overdueAt {
                conditions.append(
                    "state IN (\(bind: ObjectionState.open.rawValue), \(bind: ObjectionState.escalated.rawValue)) AND deadline <= \(bind: now)"
                )
            }
            let clause: SQLQueryString =
                conditions.isEmpty ? "" : "WHERE \(SQLList(conditions, separator: SQLRaw(" AND ")))"
            return try await sql.raw("SELECT * FROM objections \(clause) ORDER BY id DESC").all().map(Self.decode)
        }
    }

    func history(id: Int64) async throws -> [ObjectionEvent] {
        try await provider.read { sql in
            try await sql.raw(
                """
                SELECT action, from_state, to_state, actor_id, actor_name, comment, created_at
                FROM objection_events WHERE objection_id = \(bind: id) ORDER BY id
                """
            ).all().map { row in
                ObjectionEvent(
                    action: ObjectionAction(rawValue: try row.decode(column: "action", as: String.self)) ?? .raise,
                    from: try row.decode(column: "from_state", as: String?.self).flatMap(ObjectionState.init),
                    to: ObjectionState(rawValue: try row.decode(column: "to_state", as: String.self)) ?? .open,
                    actorID: try row.decode(column: "actor_id", as: Int64?.self),
                    actorName: try row.decode(column: "actor_name", as: String.self),
                    comment: try row.decode(column: "comment", as: String.self),
                    at: try row.decode(column: "created_at", as: Date.self))
            }
        }
    }

    func apply(_ change: ObjectionChange) async throws -> Objection {
        try await provider.transaction { sql in try await Self.apply(change, sql) }
    }

    func correct(_ change: ObjectionChange, publishing version: PoolVersion, keep: Int, provenance: PoolProvenance)
        async throws -> (Objection, PoolVersion)
    {
        // As `activate`: the key index and the row count are settled outside the switch, which stays short.
        try await provider.transaction { sql in
            try await SQLPoolRepository.prepare(version, sql)
        }
        let now = change.events.last?.at ?? Date()
        return try await provider.transaction { sql in
            // The objection first: if it was answered meanwhile, nothing is published.
            let objection = try await Self.apply(change, sql)
            let active = try await SQLPoolRepository.publish(version, keep: keep, at: now, sql)
            try await sql.raw(
                """
                INSERT INTO pool_provenance (entry_id, version, objection_id, actor_id, actor_name, record_key,
                    changes, created_at)
                VALUES (\(bind: provenance.entryID), \(bind: active.version), \(bind: provenance.objectionID),
                    \(bind: provenance.actorID), \(bind: provenance.actorName),
                    \(bind: try Self.json(provenance.recordKey)), \(bind: try Self.json(provenance.changes)),
                    \(bind: provenance.createdAt))
                """
            ).run()
            return (objection, active)
        }
    }

    func overdue(at now: Date) async throws -> [Objection] {
        try await provider.read { sql in
            try await sql.raw(
                """
                SELECT * FROM objections
                WHERE state = \(bind: ObjectionState.open.rawValue) AND deadline <= \(bind: now)
                ORDER BY deadline, id
                """
            ).all().map(Self.decode)
        }
    }

    func openCount(entryID: Int64) async throws -> Int {
        try await provider.read { sql in
            try await sql.raw(
                """
                SELECT COUNT(*) AS n FROM objections WHERE entry_id = \(bind: entryID)
                AND state IN (\(bind: ObjectionState.open.rawValue), \(bind: ObjectionState.escalated.rawValue))
                """
            ).first()?.decode(column: "n", as: Int.self) ?? 0
        }
    }

    func openCounts(entryIDs: [Int64]?) async throws -> [Int64: Int] {
        if let entryIDs, entryIDs.isEmpty { return [:] }
        // Ids are integers formatted here, never caller text.
        let scope: SQLQueryString =
            entryIDs.map { " AND entry_id IN (\(unsafeRaw: $0.map(String.init).joined(separator: ",")))" } ?? ""
        return try await provider.read { sql in
            var counts: [Int64: Int] = [:]
            for row in try await sql.raw(
                """
                SELECT entry_id, COUNT(*) AS n FROM objections
                WHERE state IN (\(bind: ObjectionState.open.rawValue), \(bind: ObjectionState.escalated.rawValue))\(scope)
                GROUP BY entry_id
                """
            ).all() {
                counts[try row.decode(column: "entry_id", as: Int64.self)] = try row.decode(column: "n", as: Int.self)
            }
            return counts
        }
    }

    func provenance(entryID: Int64) async throws -> [Int: PoolProvenance] {
        try await provider.read { sql in
            let rows = try await sql.raw(
                """
                SELECT p.*, o.number FROM pool_provenance p JOIN objections o ON o.id = p.objection_id
                WHERE p.entry_id = \(bind: entryID)
                """
            ).all()
            var result: [Int: PoolProvenance] = [:]
            let decoder = JSONDecoder()
            for row in rows {
                let provenance = PoolProvenance(
                    entryID: try row.decode(column: "entry_id", as: Int64.self),
                    version: try row.decode(column: "version", as: Int.self),
                    objectionID: try row.decode(column: "objection_id", as: Int64.self),
                    objectionNumber: try row.decode(column: "number", as: String.self),
                    actorID: try row.decode(column: "actor_id", as: Int64?.self),
                    actorName: try row.decode(column: "actor_name", as: String.self),
                    recordKey: try decoder.decode(
                        [String: String].self, from: Data(try row.decode(column: "record_key", as: String.self).utf8)),
                    changes: try decoder.decode(
                        [ItemChange].self, from: Data(try row.decode(column: "changes", as: String.self).utf8)),
                    createdAt: try row.decode(column: "created_at", as: Date.self))
                result[provenance.version] = provenance
            }
            return result
        }
    }

    // MARK: Shared

    static func apply(_ change: ObjectionChange, _ sql: any SQLDatabase) async throws -> Objection {
        let updated = change.objection
        let now = change.events.last?.at ?? Date()
        let row = try await sql.raw(
            """
            UPDATE objections SET state = \(bind: updated.state.rawValue),
                answer = \(bind: try updated.answer.map(Self.json)), escalated_at = \(bind: updated.escalatedAt),
                updated_at = \(bind: now)
            WHERE id = \(bind: updated.id) AND state = \(bind: change.expectedState.rawValue)
            RETURNING id
            """
        ).first()
        guard row != nil else {
            if try await load(id: updated.id, sql) == nil {
                throw StoreError.notFound(entity: "objection", key: "\(updated.id)")
            }
            throw ObjectionError.changedConcurrently(expected: change.expectedState)
        }
        try await record(change.events, objectionID: updated.id, sql)
        var notifications = change.notifications
        for index in notifications.indices { notifications[index].objectionID = updated.id }
        try await SQLNotificationRepository.insert(notifications, at: now, sql)
        return try await load(id: updated.id, sql)!
    }

    static func load(id: Int64, _ sql: any SQLDatabase) async throws -> Objection? {
        try await sql.raw("SELECT * FROM objections WHERE id = \(bind: id)").first().map(decode)
    }

    static func record(_ events: [ObjectionEvent], objectionID: Int64, _ sql: any SQLDatabase) async throws {
        for event in events {
            try await sql.raw(
                """
                INSERT INTO objection_events (objection_id, action, from_state, to_state, actor_id, actor_name,
                    comment, created_at)
                VALUES (\(bind: objectionID), \(bind: event.action.rawValue), \(bind: event.from?.rawValue),
                    \(bind: event.to.rawValue), \(bind: event.actorID), \(bind: event.actorName),
                    \(bind: event.comment), \(bind: event.at))
                """
            ).run()
        }
    }

    static func decode(_ row: any SQLRow) throws -> Objection {
        let decoder = JSONDecoder()
        func json<T: Decodable>(_ column: String, as type: T.Type) throws -> T {
            try decoder.decode(type, from: Data(try row.decode(column: column, as: String.self).utf8))
        }
        return Objection(
            id: try row.decode(column: "id", as: Int64.self),
            number: try row.decode(column: "number", as: String.self),
            entryID: try row.decode(column: "entry_id", as: Int64.self),
            resourceCode: try row.decode(column: "resource_code", as: String.self),
            providerDepartmentID: try row.decode(column: "provider_department_id", as: Int64.self),
            raiser: ObjectionRaiser(
                userID: try row.decode(column: "raiser_id", as: Int64?.self),
                departmentID: try row.decode(column: "raiser_department_id", as: Int64?.self),
                name: try row.decode(column: "raiser_name", as: String.self),
                contact: try row.decode(column: "contact", as: String?.self).map {
                    try decoder.decode(ObjectionContact.self, from: Data($0.utf8))
                }),
            recordKey: try json("record_key", as: [String: String].self),
            items: try json("items", as: [String].self),
            description: try row.decode(column: "description", as: String.self),
            evidence: try row.decode(column: "evidence", as: String.self),
            state: ObjectionState(rawValue: try row.decode(column: "state", as: String.self)) ?? .open,
            deadline: try row.decode(column: "deadline", as: Date.self),
            escalatedAt: try row.decode(column: "escalated_at", as: Date?.self),
            answer: try row.decode(column: "answer", as: String?.self).map {
                try decoder.decode(ObjectionAnswer.self, from: Data($0.utf8))
            },
            createdAt: try row.decode(column: "created_at", as: Date.self),
            updatedAt: try row.decode(column: "updated_at", as: Date.self))
    }

    static func json(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
