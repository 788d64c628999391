import Foundation
import HuitongCore
import SQLKit

/// On the consumer's node: an application sent to the node that owns the entry, and what came back.
public struct OutgoingApplication: Sendable, Hashable, Codable {
    public var reference: String
    public var owner: NodeRegion
    public var resourceCode: String
    public var consumerDepartmentID: Int64
    public var applicantID: Int64?
    public var applicantName: String
    public var draft: ApplicationDraft
    /// `submitted` until the owner decides, then the owner's state.
    public var state: String
    public var decision: ApplicationDecisionNotice?
    public var createdAt: Date
    public var updatedAt: Date

    /// Whether calls may go to the owner under this application: it was approved, wholly or in part, and the
    /// grant's period covers `day`.
    public func allowsCalls(on day: CalendarDate) -> Bool {
        guard let decision, let grant = decision.grant,
            [.approved, .partiallyApproved, .resolvedApproved].contains(decision.state)
        else { return false }
        return grant.validFrom <= day && day <= grant.validTo
    }
}

/// On the owning node: which local application stands for an application routed from another node.
public struct IncomingApplication: Sendable, Hashable, Codable {
    public var origin: NodeRegion
    public var reference: String
    public var applicationID: Int64
    public var consumerDepartmentID: Int64
    /// The state whose decision was last sent back; nil before any.
    public var decisionSentState: String?
}

public protocol CrossLevelRepository: Sendable {
    func createOutgoing(
        reference: String, owner: NodeRegion, resourceCode: String, consumerDepartmentID: Int64,
        applicant: ChangeAuthor,
        draft: ApplicationDraft, at time: Date
    ) async throws -> OutgoingApplication
    func outgoing(reference: String) async throws -> OutgoingApplication?
    /// A department's routed applications (every department's when nil), newest first.
    func outgoing(departmentID: Int64?) async throws -> [OutgoingApplication]
    func recordDecision(_ notice: ApplicationDecisionNotice, at time: Date) async throws -> OutgoingApplication?

    /// Records the local application filed for a routed one; false when (origin, reference) was filed before.
    func recordIncoming(
        origin: NodeRegion, reference: String, applicationID: Int64, consumerDepartmentID: Int64, at time: Date
    ) async throws -> Bool
    func incoming(origin: NodeRegion, reference: String) async throws -> IncomingApplication?
    /// Routed applications whose local state differs from the last one sent back.
    func incomingAwaitingNotice() async throws -> [(incoming: IncomingApplication, state: String)]
    func markNoticeSent(origin: NodeRegion, reference: String, state: String) async throws
}

struct SQLCrossLevelRepository: CrossLevelRepository {
    let provider: any DatabaseProvider

    func createOutgoing(
        reference: String, owner: NodeRegion, resourceCode: String, consumerDepartmentID: Int64,
        applicant: ChangeAuthor,
        draft: ApplicationDraft, at time: Date
    ) async throws -> OutgoingApplication {
        let body = String(decoding: try Self.encoder.encode(draft), as: UTF8.self)
        return try await provider.transaction { sql in
            try await sql.raw(
                """
                INSERT INTO outgoing_applications (reference, owner, resource_code, consumer_department_id,
                    applicant_id, applicant_name, draft, state, created_at, updated_at)
                VALUES (\(bind: reference), \(bind: owner.code), \(bind: resourceCode), \(bind: consumerDepartmentID),
                    \(bind: applicant.userID), \(bind: applicant.name), \(bind: body), 'submitted', \(bind: time),
                    \(bind: time))
                """
            ).run()
            return try await Self.outgoing(reference, sql)!
        }
    }

    func outgoing(reference: String) async throws -> OutgoingApplication? {
        try await provider.read { sql in try await Self.outgoing(reference, sql) }
    }

    func outgoing(departmentID: Int64?) async throws -> [OutgoingApplication] {
        let scope: SQLQueryString = departmentID.map { "WHERE consumer_department_id = \(bind: $0)" } ?? ""
        return try await provider.read { sql in
            try await sql.raw("SELECT * FROM outgoing_applications \(scope) ORDER BY created_at DESC LIMIT 500")
                .all().map(Self.decodeOutgoing)
        }
    }

    func recordDecision(_ notice: ApplicationDecisionNotice, at time: Date) async throws -> OutgoingApplication? {
        let body = String(decoding: try Self.encoder.encode(notice), as: UTF8.self)
        return try await provider.transaction { sql in
            try await sql.raw(
                """
                UPDATE outgoing_applications SET state = \(bind: notice.state.rawValue), decision = \(bind: body),
                    updated_at = \(bind: time)
                WHERE reference = \(bind: notice.reference)
                """
            ).run()
            return try await Self.outgoing(notice.reference, sql)
        }
    }

    func recordIncoming(
        origin: NodeRegion, reference: String, applicationID: Int64, consumerDepartmentID: Int64, at time: Date
    ) async throws -> Bool {
        try await provider.transaction { sql in
            !(try await sql.raw(
                """
                INSERT INTO incoming_applications (origin, reference, application_id, consumer_department_id, created_at)
                VALUES (\(bind: origin.code), \(bind: reference), \(bind: applicationID), \(bind: consumerDepartmentID),
                    \(bind: time))
                ON CONFLICT (origin, reference) DO NOTHING
                RETURNING reference
                """
            ).all().isEmpty)
        }
    }

    func incoming(origin: NodeRegion, reference: String) async throws -> IncomingApplication? {
        try await provider.read { sql in
            try await sql.raw(
                """
                SELECT * FROM incoming_applications WHERE origin = \(bind: origin.code) AND reference = \(bind: reference)
                """
            ).first().map(Self.decodeIncoming)
        }
    }

    func incomingAwaitingNotice() async throws -> [(incoming: IncomingApplication, state: String)] {
        try await provider.read { sql in
            try await sql.raw(
                """
                SELECT i.*, a.state AS application_state FROM incoming_applications i
                JOIN sharing_applications a ON a.id = i.application_id
                WHERE i.decision_sent_state IS NULL OR i.decision_sent_state <> a.state
                ORDER BY i.created_at LIMIT 200
                """
            ).all().map { (try Self.decodeIncoming($0), try $0.decode(column: "application_state", as: String.self)) }
        }
    }

    func markNoticeSent(origin: NodeRegion, reference: String, state: String) async throws {
        try await provider.transaction { sql in
            try await sql.raw(
                """
                UPDATE incoming_applications SET decision_sent_state = \(bind: state)
                WHERE origin = \(bind: origin.code) AND reference = \(bind: reference)
                """
            ).run()
        }
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()

    static func outgoing(_ reference: String, _ sql: any SQLDatabase) async throws -> OutgoingApplication? {
        try await sql.raw("SELECT * FROM outgoing_applications WHERE reference = \(bind: reference)").first()
            .map(decodeOutgoing)
    }

    static func decodeOutgoing(_ row: any SQLRow) throws -> OutgoingApplication {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let decision = try row.decode(column: "decision", as: String?.self)
        return OutgoingApplication(
            reference: try row.decode(column: "reference", as: String.self),
            owner: try NodeRegion(try row.decode(column: "owner", as: String.self)),
            resourceCode: try row.decode(column: "resource_code", as: String.self),
            consumerDepartmentID: try row.decode(column: "consumer_department_id", as: Int64.self),
            applicantID: try row.decode(column: "applicant_id", as: Int64?.self),
            applicantName: try row.decode(column: "applicant_name", as: String.self),
            draft: try decoder.decode(
                ApplicationDraft.self, from: Data(try row.decode(column: "draft", as: String.self).utf8)),
            state: try row.decode(column: "state", as: String.self),
            decision: try decision.map { try decoder.decode(ApplicationDecisionNotice.self, from: Data($0.utf8)) },
            createdAt: try row.decode(column: "created_at", as: Date.self),
            updatedAt: try row.decode(column: "updated_at", as: Date.self))
    }

    static func decodeIncoming(_ row: any SQLRow) throws -> IncomingApplication {
        IncomingApplication(
            origin: try NodeRegion(try row.decode(column: "origin", as: String.self)),
            reference: try row.decode(column: "reference", as: String.self),
            applicationID: try row.decode(column: "application_id", as: Int64.self),
            consumerDepartmentID: try row.decode(column: "consumer_department_id", as: Int64.self),
            decisionSentState: try row.decode(column: "decision_sent_state", as: String?.self))
    }
}
