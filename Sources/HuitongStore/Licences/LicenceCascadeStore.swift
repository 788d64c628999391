import Foundation
import HuitongCore
import SQLKit

/// A licence of another node, as this node received it.
public struct RemoteLicence: Sendable, Hashable {
    /// The node that sent it (the parent, or a node above relayed by it).
    public var origin: String
    public var record: LicenceIndexRecord
    public var holderKey: String
    public var receivedAt: Date
}

/// What changed since a child was last sent licences: local licences with a new event, licences received from
/// above, and the positions to remember once they are sent.
public struct LicenceChangesSince: Sendable {
    public var localIdentifiers: [LicenceIdentifier]
    public var remoteIdentifiers: [String]
    public var lastEventID: Int64
    public var lastRemoteChangeID: Int64
}

extension SQLLicenceRepository {
    func saveRemote(_ record: LicenceIndexRecord, origin: String, holderKey: String, at now: Date) async throws
        -> Bool
    {
        let text = try SQLSharingApplicationRepository.json(record)
        return try await provider.transaction { sql in
            let held = try await sql.raw(
                "SELECT sequence FROM remote_licences WHERE identifier = \(bind: record.identifier)"
            ).first()?.decode(column: "sequence", as: Int.self)
            if let held, held >= record.sequence { return false }
            try await sql.raw(
                """
                INSERT INTO remote_licences (identifier, origin, type_code, holder_key, record, sequence, received_at)
                VALUES (\(bind: record.identifier), \(bind: origin), \(bind: record.type.typeCode), \(bind: holderKey),
                    \(bind: text), \(bind: record.sequence), \(bind: now))
                ON CONFLICT (identifier) DO UPDATE SET origin = excluded.origin, type_code = excluded.type_code,
                    holder_key = excluded.holder_key, record = excluded.record, sequence = excluded.sequence,
                    received_at = excluded.received_at
                """
            ).run()
            try await sql.raw(
                "INSERT INTO remote_licence_changes (identifier, at) VALUES (\(bind: record.identifier), \(bind: now))"
            ).run()
            return true
        }
    }

    func pinAuthority(node: String, fingerprint: String, at now: Date) async throws -> String {
        try await provider.transaction { sql in
            try await sql.raw(
                """
                INSERT INTO licence_node_authorities (node, fingerprint, first_seen_at)
                VALUES (\(bind: node), \(bind: fingerprint), \(bind: now)) ON CONFLICT (node) DO NOTHING
                """
            ).run()
            guard
                let pinned = try await sql.raw(
                    "SELECT fingerprint FROM licence_node_authorities WHERE node = \(bind: node)"
                ).first()?.decode(column: "fingerprint", as: String.self)
            else { throw StoreError.unavailable("the pinned licence authority was written but cannot be read") }
            return pinned
        }
    }

    func remoteLicence(_ identifier: String) async throws -> RemoteLicence? {
        try await provider.read { sql in
            try await sql.raw("SELECT * FROM remote_licences WHERE identifier = \(bind: identifier)").first().map(
                Self.decodeRemote)
        }
    }

    func remoteType(code: String) async throws -> LicenceType? {
        try await provider.read { sql in
            try await sql.raw("SELECT * FROM remote_licences WHERE type_code = \(bind: code) LIMIT 1").first().map {
                try Self.decodeRemote($0).record.type
            }
        }
    }

    func remoteLicences(holderKey: String) async throws -> [RemoteLicence] {
        try await provider.read { sql in
            try await sql.raw(
                "SELECT * FROM remote_licences WHERE holder_key = \(bind: holderKey) ORDER BY received_at DESC"
            ).all().map(Self.decodeRemote)
        }
    }

    func changes(for child: String, before settled: Date, limit: Int) async throws -> LicenceChangesSince {
        // Read from the primary: positions must not run ahead of what a replica has.
        try await provider.transaction { sql in
            let cursor = try await sql.raw(
                "SELECT last_event_id, last_remote_change_id FROM licence_cascade_cursors WHERE child = \(bind: child)"
            ).first()
            let lastEvent = try cursor?.decode(column: "last_event_id", as: Int64.self) ?? 0
            let lastRemote = try cursor?.decode(column: "last_remote_change_id", as: Int64.self) ?? 0
            let events = try await sql.raw(
                """
                SELECT id, identifier FROM licence_events WHERE id > \(bind: lastEvent) AND at < \(bind: settled)
                ORDER BY id LIMIT \(bind: limit)
                """
            ).all()
            let remote = try await sql.raw(
                """
                SELECT id, identifier FROM remote_licence_changes WHERE id > \(bind: lastRemote) AND at < \(bind: settled)
                ORDER BY id LIMIT \(bind: limit)
                """
            ).all()
            var local: [LicenceIdentifier] = []
            for row in events {
                let identifier = try LicenceIdentifier(try row.decode(column: "identifier", as: String.self))
                if !local.contains(identifier) { local.append(identifier) }
            }
            var received: [String] = []
            for row in remote {
                let identifier = try row.decode(column: "identifier", as: String.self)
                if !received.contains(identifier) { received.append(identifier) }
            }
            return LicenceChangesSince(
                localIdentifiers: local, remoteIdentifiers: received,
                lastEventID: try events.last?.decode(column: "id", as: Int64.self) ?? lastEvent,
                lastRemoteChangeID: try remote.last?.decode(column: "id", as: Int64.self) ?? lastRemote)
        }
    }

    func markSent(to child: String, lastEventID: Int64, lastRemoteChangeID: Int64) async throws {
        try await provider.transaction { sql in
            try await sql.raw(
                """
                INSERT INTO licence_cascade_cursors (child, last_event_id, last_remote_change_id)
                VALUES (\(bind: child), \(bind: lastEventID), \(bind: lastRemoteChangeID))
                ON CONFLICT (child) DO UPDATE SET last_event_id = excluded.last_event_id,
                    last_remote_change_id = excluded.last_remote_change_id
                """
            ).run()
        }
    }

    static func decodeRemote(_ row: any SQLRow) throws -> RemoteLicence {
        RemoteLicence(
            origin: try row.decode(column: "origin", as: String.self),
            record: try JSONDecoder().decode(
                LicenceIndexRecord.self, from: Data(try row.decode(column: "record", as: String.self).utf8)),
            holderKey: try row.decode(column: "holder_key", as: String.self),
            receivedAt: try row.decode(column: "received_at", as: Date.self))
    }
}
