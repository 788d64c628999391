import Foundation
import HuitongCore
import SQLKit

/// Which applications a caller sees: all (the operator), or those of a department as consumer, as provider, or
/// both. Providers do not see consumers' unsubmitted drafts.
public enum ApplicationScope: Sendable, Hashable {
    case all
    case department(Int64, asConsumer: Bool, asProvider: Bool)
}

/// One step of an application, written as a whole or not at all: its new values, the state it must still be in
/// (so that two officers acting at once cannot both succeed), the history lines, the grant an approval compiles to
/// and the notifications it sends.
public struct ApplicationChange: Sendable {
    public var application: SharingApplication
    public var expectedState: ApplicationState
    public var events: [ApplicationEvent]
    public var grant: GrantDraft?
    public var notifications: [NotificationDraft]

    public init(
        application: SharingApplication, expectedState: ApplicationState, events: [ApplicationEvent],
        grant: GrantDraft? = nil, notifications: [NotificationDraft] = []
    ) {
        self.application = application
        self.expectedState = expectedState
        self.events = events
        self.grant = grant
        self.notifications = notifications
    }
}

/// 共享申请 and their history.
public protocol SharingApplicationRepository: Sendable {
    /// Files a draft for a published entry of another department, numbering it `SQ-YYYY-NNNN`.
    func create(_ draft: ApplicationDraft, consumerDepartmentID: Int64, applicant: ChangeAuthor, at time: Date)
        async throws -> SharingApplication
    /// Files an application routed from another node under `routedFrom` (its node and reference), or returns the
    /// one already filed under it: a resent message files nothing twice.
    func create(
        _ draft: ApplicationDraft, consumerDepartmentID: Int64, applicant: ChangeAuthor, routedFrom: String,
        at time: Date
    ) async throws -> SharingApplication
    func find(id: Int64) async throws -> SharingApplication?
    /// Newest first, optionally in one state.
    func list(_ scope: ApplicationScope, state: ApplicationState?) async throws -> [SharingApplication]
    /// The history, oldest first.
    func history(id: Int64) async throws -> [ApplicationEvent]
    /// Applies one workflow step; fails with `WorkflowError.changedConcurrently` when the application has left
    /// `change.expectedState` meanwhile.
    func apply(_ change: ApplicationChange) async throws -> SharingApplication
    /// Applications in `state` whose deadline is at or before `now`.
    func overdue(in state: ApplicationState, at now: Date) async throws -> [SharingApplication]
}

struct SQLSharingApplicationRepository: SharingApplicationRepository {
    let provider: any DatabaseProvider
    var accessRevision = AccessRevision()
    var integrity = RowIntegrity()

    func create(_ draft: ApplicationDraft, consumerDepartmentID: Int64, applicant: ChangeAuthor, at time: Date)
        async throws -> SharingApplication
    {
        try await create(
            draft, consumerDepartmentID: consumerDepartmentID, applicant: applicant, routedFrom: nil, at: time)
    }

    func create(
        _ draft: ApplicationDraft, consumerDepartmentID: Int64, applicant: ChangeAuthor, routedFrom: String,
        at time: Date
    ) async throws -> SharingApplication {
        try await create(
            draft, consumerDepartmentID: consumerDepartmentID, applicant: applicant, routedFrom: Optional(routedFrom),
            at: time)
    }

    private func create(
        _ draft: ApplicationDraft, consumerDepartmentID: Int64, applicant: ChangeAuthor, routedFrom: String?,
        at time: Date
    ) async throws -> SharingApplication {
        try await provider.transaction { sql in
            if let routedFrom,
                let existing = try await sql.raw(
                    "SELECT id FROM sharing_applications WHERE routed_from = \(bind: routedFrom)"
                ).first()
            {
                return try await Self.load(id: try existing.decode(column: "id", as: Int64.self), sql)!
            }
            let entry = try await sql.raw(
                "SELECT department_id, code, status FROM catalog_entries WHERE id = \(bind: draft.entryID)"
            ).first()
            guard let entry else { throw StoreError.missingReference(field: "entryID", value: "\(draft.entryID)") }
            if try entry.decode(column: "status", as: String.self) != EntryStatus.published.rawValue {
                throw ValidationError(
                    field: "entryID", BilingualText(zh: "只能申请已发布的目录", en: "only published entries can be requested"))
            }
            try await Self.requireSystems(draft.systemIDs, of: consumerDepartmentID, integrity: integrity, sql)
            let year = CalendarDate(time).year
            let sequence = try await sql.raw(
                """
                INSERT INTO catalog_code_sequences (path, last_number) VALUES (\(bind: "application/\(year)"), 1)
                ON CONFLICT (path) DO UPDATE SET last_number = catalog_code_sequences.last_number + 1
                RETURNING last_number
                """
            ).first()!.decode(column: "last_number", as: Int.self)
            let number = "SQ-\(year)-" + String(format: "%04d", sequence)
            let row = try await sql.raw(
                """
                INSERT INTO sharing_applications (number, consumer_department_id, applicant_id, applicant_name,
                    entry_id, resource_code, provider_department_id, state, content, created_at, updated_at,
                    routed_from)
                VALUES (\(bind: number), \(bind: consumerDepartmentID), \(bind: applicant.userID),
                    \(bind: applicant.name), \(bind: draft.entryID), \(bind: try entry.decode(column: "code", as: String.self)),
                    \(bind: try entry.decode(column: "department_id", as: Int64.self)),
                    \(bind: ApplicationState.draft.rawValue), \(bind: try Self.json(draft)), \(bind: time), \(bind: time),
                    \(bind: routedFrom))
                RETURNING id
                """
            ).first()
            let id = try row!.decode(column: "id", as: Int64.self)
            try await Self.record(
                [
                    ApplicationEvent(
                        action: .create, from: nil, to: .draft, actorID: applicant.userID, actorName: applicant.name,
                        comment: "", at: time)
                ], applicationID: id, sql)
            return try await Self.load(id: id, sql)!
        }
    }

    func find(id: Int64) async throws -> SharingApplication? {
        try await provider.read { sql in try await Self.load(id: id, sql) }
    }

    func list(_ scope: ApplicationScope, state: ApplicationState?) async throws -> [SharingApplication] {
        try await provider.read { sql in
            var conditions: [SQLQueryString] = []
            if case .department(let department, let asConsumer, let asProvider) = scope {
                var visible: [SQLQueryString] = []
                if asConsumer { visible.append("a.consumer_department_id = \(bind: department)") }
                if asProvider {
                    visible.append(
                        "(a.provider_department_id = \(bind: department) AND a.state <> \(bind: ApplicationState.draft.rawValue))"
                    )
                }
                if visible.isEmpty { return [] }
                conditions.append("(\(SQLList(visible, separator: SQLRaw(" OR "))))")
            }
            if let state { conditions.append("a.state = \(bind: state.rawValue)") }
            let filter: SQLQueryString =
                conditions.isEmpty ? "" : "WHERE \(SQLList(conditions, separator: SQLRaw(" AND ")))"
            return try await sql.raw("\(unsafeRaw: Self.select) \(filter) ORDER BY a.id DESC").all().map(Self.decode)
        }
    }

    func history(id: Int64) async throws -> [ApplicationEvent] {
        try await provider.read { sql in
            try await sql.raw(
                """
                SELECT action, from_state, to_state, actor_id, actor_name, comment, created_at
                FROM sharing_application_events WHERE application_id = \(bind: id) ORDER BY id
                """
            ).all().map { row in
                ApplicationEvent(
                    action: ApplicationAction(rawValue: try row.decode(column: "action", as: String.self)) ?? .create,
                    from: try row.decode(column: "from_state", as: String?.self).flatMap(ApplicationState.init),
                    to: ApplicationState(rawValue: try row.decode(column: "to_state", as: String.self)) ?? .draft,
                    actorID: try row.decode(column: "actor_id", as: Int64?.self),
                    actorName: try row.decode(column: "actor_name", as: String.self),
                    comment: try row.decode(column: "comment", as: String.self),
                    at: try row.decode(column: "created_at", as: Date.self))
            }
        }
    }

    func apply(_ change: ApplicationChange) async throws -> SharingApplication {
        // An approval makes a grant, which the gateway must see at once.
        guard change.grant != nil else { return try await applyNow(change) }
        return try await accessRevision.changing { try await applyNow(change) }
    }

    private func applyNow(_ change: ApplicationChange) async throws -> SharingApplication {
        let updated = change.application
        let now = change.events.last?.at ?? Date()
        return try await provider.transaction { sql in
            // Named systems are checked whenever the consumer writes the content (editing, submitting again); later
            // steps must not fail because a system was deactivated since.
            let consumerWrites =
                change.events.isEmpty || change.events.contains { $0.action == .submit || $0.action == .resubmit }
            if consumerWrites {
                try await Self.requireSystems(
                    updated.content.systemIDs, of: updated.consumerDepartmentID, integrity: integrity, sql)
            }
            let row = try await sql.raw(
                """
                UPDATE sharing_applications SET state = \(bind: updated.state.rawValue),
                    content = \(bind: try Self.json(updated.content)),
                    decision = \(bind: try updated.decision.map(Self.json)), deadline = \(bind: updated.deadline),
                    submitted_at = \(bind: updated.submittedAt), updated_at = \(bind: now)
                WHERE id = \(bind: updated.id) AND state = \(bind: change.expectedState.rawValue)
                RETURNING id
                """
            ).first()
            guard row != nil else {
                if try await Self.load(id: updated.id, sql) == nil {
                    throw StoreError.notFound(entity: "application", key: "\(updated.id)")
                }
                throw WorkflowError.changedConcurrently(expected: change.expectedState)
            }
            try await Self.record(change.events, applicationID: updated.id, sql)
            if let grant = change.grant {
                let grantID = try await SQLGrantRepository.insert(grant, at: now, sql)
                try await integrity.seal(.grants, id: grantID, sql)
            }
            try await SQLNotificationRepository.insert(change.notifications, at: now, sql)
            return try await Self.load(id: updated.id, sql)!
        }
    }

    func overdue(in state: ApplicationState, at now: Date) async throws -> [SharingApplication] {
        try await provider.read { sql in
            try await sql.raw(
                """
                \(unsafeRaw: Self.select)
                WHERE a.state = \(bind: state.rawValue) AND a.deadline IS NOT NULL AND a.deadline <= \(bind: now)
                ORDER BY a.deadline, a.id
                """
            ).all().map(Self.decode)
        }
    }

    // MARK: Shared

    static let select = """
        SELECT a.*, g.id AS grant_id FROM sharing_applications a LEFT JOIN grants g ON g.application_id = a.id
        """

    static func load(id: Int64, _ sql: any SQLDatabase) async throws -> SharingApplication? {
        try await sql.raw("\(unsafeRaw: select) WHERE a.id = \(bind: id)").first().map(decode)
    }

    static func record(_ events: [ApplicationEvent], applicationID: Int64, _ sql: any SQLDatabase) async throws {
        for event in events {
            try await sql.raw(
                """
                INSERT INTO sharing_application_events (application_id, action, from_state, to_state, actor_id,
                    actor_name, comment, created_at)
                VALUES (\(bind: applicationID), \(bind: event.action.rawValue), \(bind: event.from?.rawValue),
                    \(bind: event.to.rawValue), \(bind: event.actorID), \(bind: event.actorName),
                    \(bind: event.comment), \(bind: event.at))
                """
            ).run()
        }
    }

    /// Named systems must be active systems of the consumer department.
    static func requireSystems(
        _ ids: [Int64], of departmentID: Int64, integrity: RowIntegrity, _ sql: any SQLDatabase
    ) async throws {
        guard !ids.isEmpty else { return }
        let rows = try await sql.select().columns("id", "department_id", "is_active", "row_mac")
            .from("application_systems").where("id", .in, ids).all()
        var found: [Int64: (Int64, Bool)] = [:]
        for row in rows {
            try integrity.verify(.applicationSystems, row)
            found[try row.decode(column: "id", as: Int64.self)] = (
                try row.decode(column: "department_id", as: Int64.self),
                try row.decode(column: "is_active", as: Bool.self)
            )
        }
        var issues = ValidationCollector()
        for (index, id) in ids.enumerated() {
            guard let (department, active) = found[id], department == departmentID else {
                issues.add(
                    "systemIDs[\(index)]",
                    BilingualText(zh: "应用系统 \(id) 不属于本部门", en: "application system \(id) is not your department's"))
                continue
            }
            if !active {
                issues.add(
                    "systemIDs[\(index)]",
                    BilingualText(zh: "应用系统 \(id) 已停用", en: "application system \(id) is deactivated"))
            }
        }
        try issues.throwIfAny()
    }

    static func decode(_ row: any SQLRow) throws -> SharingApplication {
        let decoder = JSONDecoder()
        return SharingApplication(
            id: try row.decode(column: "id", as: Int64.self),
            number: try row.decode(column: "number", as: String.self),
            consumerDepartmentID: try row.decode(column: "consumer_department_id", as: Int64.self),
            applicantID: try row.decode(column: "applicant_id", as: Int64?.self),
            applicantName: try row.decode(column: "applicant_name", as: String.self),
            providerDepartmentID: try row.decode(column: "provider_department_id", as: Int64.self),
            resourceCode: try row.decode(column: "resource_code", as: String.self),
            content: try decoder.decode(
                ApplicationDraft.self, from: Data(try row.decode(column: "content", as: String.self).utf8)),
            state: ApplicationState(rawValue: try row.decode(column: "state", as: String.self)) ?? .draft,
            deadline: try row.decode(column: "deadline", as: Date?.self),
            decision: try row.decode(column: "decision", as: String?.self).map {
                try decoder.decode(ProviderDecision.self, from: Data($0.utf8))
            },
            grantID: try row.decode(column: "grant_id", as: Int64?.self),
            submittedAt: try row.decode(column: "submitted_at", as: Date?.self),
            createdAt: try row.decode(column: "created_at", as: Date.self),
            updatedAt: try row.decode(column: "updated_at", as: Date.self))
    }

    static func json(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
