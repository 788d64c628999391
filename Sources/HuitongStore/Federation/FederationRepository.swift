import Foundation
import HuitongCore
import SQLKit

/// A registered peer platform: its jurisdiction, how it relates to this node, where it listens, and the public
/// key its messages must verify under.
public struct Peer: Sendable, Hashable, Codable {
    public var region: NodeRegion
    public var relation: PeerRelation
    public var name: String
    public var baseURL: String
    public var publicKey: String
    public var createdAt: Date
    public var updatedAt: Date

    /// The keys it signs with; nil only for a registration edited by hand into something unreadable, which then
    /// verifies nothing.
    public var keys: PeerKeys? { try? PeerKeys(parsing: publicKey) }
}

/// What an operator gives to register a peer, checked before anything is stored.
public struct PeerDraft: Sendable, Hashable, Codable {
    public var region: String
    public var relation: PeerRelation
    public var name: String
    public var baseURL: String
    public var publicKey: String

    public init(region: String, relation: PeerRelation, name: String, baseURL: String, publicKey: String) {
        self.region = region
        self.relation = relation
        self.name = name
        self.baseURL = baseURL
        self.publicKey = publicKey
    }

    /// The checked peer, or every problem found. `local` is this node, against which the relation is checked.
    public func validated(local: NodeRegion) throws(ValidationError) -> (region: NodeRegion, keys: PeerKeys) {
        var issues = ValidationCollector()
        var parsed: NodeRegion?
        do {
            parsed = try NodeRegion(region)
        } catch {
            issues.add("region", error.message)
        }
        if let parsed {
            if parsed == local {
                issues.add("region", BilingualText(zh: "不能把本节点登记为自己的对端", en: "a node cannot be its own peer"))
            } else {
                do {
                    try PeerRelation.check(relation, local: local, peer: parsed)
                } catch {
                    issues.add("relation", error.message)
                }
            }
        }
        let trimmedName = name.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmedName.isEmpty || trimmedName.count > 200 {
            issues.add("name", BilingualText(zh: "须为 1–200 个字符", en: "must be 1–200 characters"))
        }
        if let url = URL(string: baseURL), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host != nil,
            baseURL.count <= 500
        {
        } else {
            issues.add(
                "baseURL",
                BilingualText(
                    zh: "须为 http(s):// 开头的地址，例如 https://sjj.example.gov.cn",
                    en: "must be an http(s):// address, e.g. https://sjj.example.gov.cn"))
        }
        var keys: PeerKeys?
        do {
            keys = try PeerKeys(parsing: publicKey)
        } catch {
            issues.add(
                "publicKey",
                BilingualText(
                    zh: "\(error.message.zh)；对端的公钥见它的 huitong node show 或 GET /api/v1/federation/node",
                    en:
                        "\(error.message.en); the peer's keys are in its huitong node show or GET /api/v1/federation/node"
                ))
        }
        try issues.throwIfAny()
        return (parsed!, keys!)
    }
}

public enum OutboxStatus: String, Sendable, Hashable, Codable, CaseIterable {
    /// Waiting for its next attempt.
    case pending
    case delivered
    /// Given up after the configured number of attempts; an operator may retry it.
    case failed
}

/// A message waiting to go to the next hop, or the record of one that went.
public struct OutboxMessage: Sendable, Hashable, Codable {
    public var id: Int64
    public var messageID: String
    public var kind: FederationMessageKind
    public var origin: NodeRegion
    public var destination: NodeRegion
    public var nextHop: NodeRegion
    public var body: String
    public var status: OutboxStatus
    public var attempts: Int
    public var nextAttemptAt: Date
    public var lastError: String?
    public var createdAt: Date
    public var deliveredAt: Date?
}

/// A message to queue: written by this node, or relayed for another.
public struct OutboxDraft: Sendable, Hashable {
    public var messageID: String
    public var kind: FederationMessageKind
    public var origin: NodeRegion
    public var destination: NodeRegion
    public var nextHop: NodeRegion
    public var body: String

    public init(
        messageID: String, kind: FederationMessageKind, origin: NodeRegion, destination: NodeRegion,
        nextHop: NodeRegion, body: String
    ) {
        self.messageID = messageID
        self.kind = kind
        self.origin = origin
        self.destination = destination
        self.nextHop = nextHop
        self.body = body
    }
}

/// Peers, the outbox and the inbox. Everything here is in the database, so a restarted node resumes exactly
/// where it stopped, and on PostgreSQL every node of a cluster shares one queue.
public protocol FederationRepository: Sendable {
    func addPeer(_ draft: PeerDraft, local: NodeRegion, at time: Date) async throws -> Peer
    func peers() async throws -> [Peer]
    func peer(_ region: NodeRegion) async throws -> Peer?
    @discardableResult
    func removePeer(_ region: NodeRegion) async throws -> Bool
    /// This node's own region and name, once stored.
    func identity() async throws -> NodeProfile?
    /// Stores this node's region and name (the first time, or when an operator changes them explicitly).
    func setIdentity(_ profile: NodeProfile, at time: Date) async throws

    /// Changes a registered peer's name, address or key in place (its relation stays), so that messages keep
    /// flowing while a peer moves or rotates its key; nil fields are left as they are.
    func updatePeer(
        _ region: NodeRegion, name: String?, baseURL: String?, publicKey: String?, local: NodeRegion, at time: Date
    ) async throws -> Peer

    /// Queues messages; one already queued for the same hop (same origin and id) is left as it is.
    func enqueue(_ drafts: [OutboxDraft], at time: Date) async throws
    /// Takes up to `limit` messages due at `now`, hiding them from other claimers until `leaseUntil`, so a node
    /// that dies mid-send leaves them to be tried again after the lease.
    func claimDue(now: Date, leaseUntil: Date, limit: Int) async throws -> [OutboxMessage]
    func markDelivered(id: Int64, at time: Date) async throws
    func markFailed(id: Int64, error: String, retryAt: Date?) async throws
    func outbox(status: OutboxStatus?, limit: Int) async throws -> [OutboxMessage]
    /// Puts a failed message back in the queue, due now.
    func retry(id: Int64, at time: Date) async throws -> OutboxMessage

    /// Records that (origin, id) was handled; false when it already was.
    func recordReceipt(
        origin: NodeRegion, messageID: String, kind: FederationMessageKind, from: NodeRegion, at time: Date
    ) async throws -> Bool
    func hasReceived(origin: NodeRegion, messageID: String) async throws -> Bool
    /// Records the receipt of a message for another node and queues it for the next hop, in one transaction;
    /// false (and nothing queued) when it was already received.
    func acceptForRelay(_ draft: OutboxDraft, from: NodeRegion, at time: Date) async throws -> Bool

    /// Keeps the latest monitoring report of a node below.
    func saveMonitoringReport(_ report: String, origin: NodeRegion, at time: Date) async throws
    /// This node's own counts for its monitoring report upward.
    func figures() async throws -> NodeFigures
    func monitoringReports() async throws -> [(origin: NodeRegion, report: String, receivedAt: Date)]
}

struct SQLFederationRepository: FederationRepository {
    let provider: any DatabaseProvider

    func addPeer(_ draft: PeerDraft, local: NodeRegion, at time: Date) async throws -> Peer {
        let (region, keys) = try draft.validated(local: local)
        return try await provider.transaction { sql in
            if try await Self.peer(region, sql) != nil { throw FederationError.duplicatePeer(region.code) }
            if draft.relation == .parent,
                let existing = try await sql.raw(
                    "SELECT region_code FROM federation_peers WHERE relation = \(bind: PeerRelation.parent.rawValue)"
                ).first()
            {
                // One parent: a node reports its catalog to exactly one platform above it.
                throw FederationError.duplicatePeer(try existing.decode(column: "region_code", as: String.self))
            }
            try await sql.raw(
                """
                INSERT INTO federation_peers (region_code, relation, name, base_url, public_key, created_at, updated_at)
                VALUES (\(bind: region.code), \(bind: draft.relation.rawValue),
                    \(bind: draft.name.trimmingCharacters(in: .whitespacesAndNewlines)),
                    \(bind: draft.baseURL.trimmingCharacters(in: CharacterSet(charactersIn: "/ "))),
                    \(bind: keys.stored), \(bind: time), \(bind: time))
                """
            ).run()
            return try await Self.peer(region, sql)!
        }
    }

    func peers() async throws -> [Peer] {
        try await provider.read { sql in
            try await sql.raw("SELECT * FROM federation_peers ORDER BY region_code").all().map(Self.decodePeer)
        }
    }

    func peer(_ region: NodeRegion) async throws -> Peer? {
        try await provider.read { sql in try await Self.peer(region, sql) }
    }

    func removePeer(_ region: NodeRegion) async throws -> Bool {
        try await provider.transaction { sql in
            let removed = try await sql.raw(
                "DELETE FROM federation_peers WHERE region_code = \(bind: region.code) RETURNING region_code"
            ).all()
            return !removed.isEmpty
        }
    }

    func identity() async throws -> NodeProfile? {
        try await provider.read { sql in
            guard let row = try await sql.raw("SELECT region_code, name FROM node_identity WHERE id = 1").first() else {
                return nil
            }
            return NodeProfile(
                region: try NodeRegion(try row.decode(column: "region_code", as: String.self)),
                name: try row.decode(column: "name", as: String.self))
        }
    }

    func setIdentity(_ profile: NodeProfile, at time: Date) async throws {
        try await provider.transaction { sql in
            try await sql.raw(
                """
                INSERT INTO node_identity (id, region_code, name, updated_at)
                VALUES (1, \(bind: profile.region.code), \(bind: profile.name), \(bind: time))
                ON CONFLICT (id) DO UPDATE SET region_code = excluded.region_code, name = excluded.name,
                    updated_at = excluded.updated_at
                """
            ).run()
        }
    }

    func updatePeer(
        _ region: NodeRegion, name: String?, baseURL: String?, publicKey: String?, local: NodeRegion, at time: Date
    ) async throws -> Peer {
        try await provider.transaction { sql in
            guard let existing = try await Self.peer(region, sql) else {
                throw FederationError.unknownPeer(region.code)
            }
            let draft = PeerDraft(
                region: region.code, relation: existing.relation, name: name ?? existing.name,
                baseURL: baseURL ?? existing.baseURL, publicKey: publicKey ?? existing.publicKey)
            let (_, keys) = try draft.validated(local: local)
            try await sql.raw(
                """
                UPDATE federation_peers SET name = \(bind: draft.name.trimmingCharacters(in: .whitespacesAndNewlines)),
                    base_url = \(bind: draft.baseURL.trimmingCharacters(in: CharacterSet(charactersIn: "/ "))),
                    public_key = \(bind: keys.stored), updated_at = \(bind: time)
                WHERE region_code = \(bind: region.code)
                """
            ).run()
            return try await Self.peer(region, sql)!
        }
    }

    func enqueue(_ drafts: [OutboxDraft], at time: Date) async throws {
        guard !drafts.isEmpty else { return }
        try await provider.transaction { sql in try await Self.enqueue(drafts, at: time, sql) }
    }

    /// Queues inside the caller's transaction, so a relayed message is queued exactly when its receipt is kept.
    static func enqueue(_ drafts: [OutboxDraft], at time: Date, _ sql: any SQLDatabase) async throws {
        for draft in drafts {
            try await sql.raw(
                """
                INSERT INTO federation_outbox (message_id, kind, origin, destination, next_hop, body, status,
                    attempts, next_attempt_at, created_at)
                VALUES (\(bind: draft.messageID), \(bind: draft.kind.rawValue), \(bind: draft.origin.code),
                    \(bind: draft.destination.code), \(bind: draft.nextHop.code), \(bind: draft.body),
                    \(bind: OutboxStatus.pending.rawValue), 0, \(bind: time), \(bind: time))
                ON CONFLICT (origin, message_id, next_hop) DO NOTHING
                """
            ).run()
        }
    }

    func claimDue(now: Date, leaseUntil: Date, limit: Int) async throws -> [OutboxMessage] {
        let skipLocked: SQLQueryString = provider.backend == .postgres ? "FOR UPDATE SKIP LOCKED" : ""
        return try await provider.transaction { sql in
            try await sql.raw(
                """
                UPDATE federation_outbox SET next_attempt_at = \(bind: leaseUntil)
                WHERE id IN (
                    SELECT id FROM federation_outbox
                    WHERE status = \(bind: OutboxStatus.pending.rawValue) AND next_attempt_at <= \(bind: now)
                    ORDER BY id LIMIT \(literal: max(1, min(limit, 500))) \(skipLocked)
                )
                RETURNING *
                """
            ).all().map(Self.decodeMessage).sorted { $0.id < $1.id }
        }
    }

    func markDelivered(id: Int64, at time: Date) async throws {
        try await provider.transaction { sql in
            try await sql.raw(
                """
                UPDATE federation_outbox SET status = \(bind: OutboxStatus.delivered.rawValue),
                    attempts = attempts + 1, delivered_at = \(bind: time), last_error = NULL,
                    next_attempt_at = \(bind: time)
                WHERE id = \(bind: id)
                """
            ).run()
        }
    }

    func markFailed(id: Int64, error: String, retryAt: Date?) async throws {
        let status = retryAt == nil ? OutboxStatus.failed : .pending
        try await provider.transaction { sql in
            try await sql.raw(
                """
                UPDATE federation_outbox SET status = \(bind: status.rawValue), attempts = attempts + 1,
                    last_error = \(bind: String(error.prefix(1_000))),
                    next_attempt_at = COALESCE(\(bind: retryAt), next_attempt_at)
                WHERE id = \(bind: id)
                """
            ).run()
        }
    }

    func outbox(status: OutboxStatus?, limit: Int) async throws -> [OutboxMessage] {
        let filter: SQLQueryString = status.map { "WHERE status = \(bind: $0.rawValue)" } ?? ""
        return try await provider.read { sql in
            try await sql.raw(
                "SELECT * FROM federation_outbox \(filter) ORDER BY id DESC LIMIT \(literal: max(1, min(limit, 1_000)))"
            ).all().map(Self.decodeMessage)
        }
    }

    func retry(id: Int64, at time: Date) async throws -> OutboxMessage {
        try await provider.transaction { sql in
            let rows = try await sql.raw(
                """
                UPDATE federation_outbox SET status = \(bind: OutboxStatus.pending.rawValue),
                    next_attempt_at = \(bind: time)
                WHERE id = \(bind: id) AND status = \(bind: OutboxStatus.failed.rawValue)
                RETURNING *
                """
            ).all()
            guard let row = rows.first else { throw StoreError.notFound(entity: "failed outbox message", key: "\(id)") }
            return try Self.decodeMessage(row)
        }
    }

    func recordReceipt(
        origin: NodeRegion, messageID: String, kind: FederationMessageKind, from: NodeRegion, at time: Date
    ) async throws -> Bool {
        try await provider.transaction { sql in
            try await Self.recordReceipt(origin: origin, messageID: messageID, kind: kind, from: from, at: time, sql)
        }
    }

    static func recordReceipt(
        origin: NodeRegion, messageID: String, kind: FederationMessageKind, from: NodeRegion, at time: Date,
        _ sql: any SQLDatabase
    ) async throws -> Bool {
        let inserted = try await sql.raw(
            """
            INSERT INTO federation_inbox (origin, message_id, kind, from_node, received_at)
            VALUES (\(bind: origin.code), \(bind: messageID), \(bind: kind.rawValue), \(bind: from.code), \(bind: time))
            ON CONFLICT (origin, message_id) DO NOTHING
            RETURNING origin
            """
        ).all()
        return !inserted.isEmpty
    }

    func hasReceived(origin: NodeRegion, messageID: String) async throws -> Bool {
        try await provider.read { sql in
            try await sql.raw(
                """
                SELECT 1 AS found FROM federation_inbox
                WHERE origin = \(bind: origin.code) AND message_id = \(bind: messageID)
                """
            ).first() != nil
        }
    }

    func acceptForRelay(_ draft: OutboxDraft, from: NodeRegion, at time: Date) async throws -> Bool {
        try await provider.transaction { sql in
            guard
                try await Self.recordReceipt(
                    origin: draft.origin, messageID: draft.messageID, kind: draft.kind, from: from, at: time, sql)
            else { return false }
            try await Self.enqueue([draft], at: time, sql)
            return true
        }
    }

    func saveMonitoringReport(_ report: String, origin: NodeRegion, at time: Date) async throws {
        try await provider.transaction { sql in
            try await sql.raw(
                """
                INSERT INTO monitoring_reports (origin, report, received_at)
                VALUES (\(bind: origin.code), \(bind: report), \(bind: time))
                ON CONFLICT (origin) DO UPDATE SET report = excluded.report, received_at = excluded.received_at
                """
            ).run()
        }
    }

    func monitoringReports() async throws -> [(origin: NodeRegion, report: String, receivedAt: Date)] {
        try await provider.read { sql in
            try await sql.raw("SELECT * FROM monitoring_reports ORDER BY origin").all().map { row in
                (
                    origin: try NodeRegion(try row.decode(column: "origin", as: String.self)),
                    report: try row.decode(column: "report", as: String.self),
                    receivedAt: try row.decode(column: "received_at", as: Date.self)
                )
            }
        }
    }

    static func peer(_ region: NodeRegion, _ sql: any SQLDatabase) async throws -> Peer? {
        try await sql.raw("SELECT * FROM federation_peers WHERE region_code = \(bind: region.code)").first()
            .map(decodePeer)
    }

    static func decodePeer(_ row: any SQLRow) throws -> Peer {
        // An unknown relation is not guessed: it decides what the peer may send.
        let relation = try row.decode(column: "relation", as: String.self)
        guard let parsedRelation = PeerRelation(rawValue: relation) else {
            throw StoreError.unavailable("a peer has the unknown relation \(relation); upgrade this node")
        }
        return Peer(
            region: try NodeRegion(try row.decode(column: "region_code", as: String.self)),
            relation: parsedRelation,
            name: try row.decode(column: "name", as: String.self),
            baseURL: try row.decode(column: "base_url", as: String.self),
            publicKey: try row.decode(column: "public_key", as: String.self),
            createdAt: try row.decode(column: "created_at", as: Date.self),
            updatedAt: try row.decode(column: "updated_at", as: Date.self))
    }

    static func status(_ text: String) throws -> OutboxStatus {
        guard let status = OutboxStatus(rawValue: text) else {
            throw StoreError.unavailable("an outbox message has the unknown status \(text); upgrade this node")
        }
        return status
    }

    static func decodeMessage(_ row: any SQLRow) throws -> OutboxMessage {
        let kind = try row.decode(column: "kind", as: String.self)
        guard let parsedKind = FederationMessageKind(rawValue: kind) else {
            throw StoreError.unavailable("an outbox message has the unknown kind \(kind); upgrade this node")
        }
        return OutboxMessage(
            id: try row.decode(column: "id", as: Int64.self),
            messageID: try row.decode(column: "message_id", as: String.self),
            kind: parsedKind,
            origin: try NodeRegion(try row.decode(column: "origin", as: String.self)),
            destination: try NodeRegion(try row.decode(column: "destination", as: String.self)),
            nextHop: try NodeRegion(try row.decode(column: "next_hop", as: String.self)),
            body: try row.decode(column: "body", as: String.self),
            status: try Self.status(try row.decode(column: "status", as: String.self)),
            attempts: try row.decode(column: "attempts", as: Int.self),
            nextAttemptAt: try row.decode(column: "next_attempt_at", as: Date.self),
            lastError: try row.decode(column: "last_error", as: String?.self),
            createdAt: try row.decode(column: "created_at", as: Date.self),
            deliveredAt: try row.decode(column: "delivered_at", as: Date?.self))
    }
}
