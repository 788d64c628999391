import Foundation
import HuitongCore
import SQLKit

/// An entry a child node registered with this one, searchable next to the node's own entries.
public struct RemoteEntry: Sendable, Hashable, Codable {
    public var id: Int64
    public var origin: NodeRegion
    public var upperCode: String
    public var status: RegistrationStatus
    public var registration: RegisteredEntry
    public var registeredAt: Date
    public var updatedAt: Date
}

/// What this node reported to its parent about one of its entries, and what the parent answered.
public struct RegistrationRecord: Sendable, Hashable, Codable {
    public var entryCode: String
    public var reportedVersion: Int
    public var reportedStatus: RegistrationStatus
    public var upperCode: String?
    public var acknowledgedVersion: Int?
    public var acknowledgedStatus: RegistrationStatus?
    public var reason: String?
    public var reportedAt: Date
    public var acknowledgedAt: Date?

    /// Whether the parent has confirmed the latest report.
    public var isAcknowledged: Bool {
        guard acknowledgedStatus == reportedStatus else { return false }
        // The parent answers a withdrawal without a version (there is none left to name), so only the status
        // can confirm it.
        return reportedStatus == .withdrawn || acknowledgedVersion == reportedVersion
    }
}

/// Both ends of catalog registration: the parent's copies of its children's entries, and the child's record
/// of what it reported and the codes it got back.
public protocol RemoteCatalogRepository: Sendable {
    /// Applies a registration from `origin`, entry by entry, skipping any entry that already holds a newer one;
    /// returns the mapping for every entry named.
    func applyRegistration(_ registration: CatalogRegistration, from origin: NodeRegion, at time: Date) async throws
        -> [CodeMapping]
    func remoteEntries(query: String?, origin: NodeRegion?, includeWithdrawn: Bool, limit: Int) async throws
        -> [RemoteEntry]
    func remoteEntry(upperCode: String) async throws -> RemoteEntry?

    /// Entries whose current state differs from what was last reported: published ones not reported at their
    /// version, and reported ones that are no longer published.
    func unreportedChanges(limit: Int) async throws -> (entries: [CatalogEntry], withdrawn: [String])
    func recordReported(entries: [CatalogEntry], withdrawn: [String], at time: Date) async throws
    func recordAcknowledged(_ mappings: [CodeMapping], at time: Date) async throws
    func registrations() async throws -> [RegistrationRecord]
}

struct SQLRemoteCatalogRepository: RemoteCatalogRepository {
    let provider: any DatabaseProvider
    var integrity = RowIntegrity()

    func applyRegistration(_ registration: CatalogRegistration, from origin: NodeRegion, at time: Date) async throws
        -> [CodeMapping]
    {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        return try await provider.transaction { sql in
            var mappings: [CodeMapping] = []
            for entry in registration.entries {
                let upper = try CodeMapping.upperCode(for: entry.code, from: origin)
                let body = String(decoding: try encoder.encode(entry), as: UTF8.self)
                try await sql.raw(
                    """
                    INSERT INTO remote_entries (origin, local_code, upper_code, version, name, provider_name,
                        provider_region, registration, status, report_sequence, registered_at, updated_at)
                    VALUES (\(bind: origin.code), \(bind: entry.code), \(bind: upper), \(bind: entry.version),
                        \(bind: entry.content.name), \(bind: entry.provider.name), \(bind: entry.provider.regionCode),
                        \(bind: body), \(bind: RegistrationStatus.registered.rawValue), \(bind: registration.sequence),
                        \(bind: time), \(bind: time))
                    ON CONFLICT (origin, local_code) DO UPDATE SET
                        version = excluded.version, name = excluded.name, provider_name = excluded.provider_name,
                        provider_region = excluded.provider_region, registration = excluded.registration,
                        status = excluded.status, report_sequence = excluded.report_sequence,
                        updated_at = excluded.updated_at
                    WHERE remote_entries.report_sequence < excluded.report_sequence
                    """
                ).run()
                mappings.append(try await Self.mapping(origin, entry.code, sql))
            }
            for code in registration.withdrawn {
                try await sql.raw(
                    """
                    UPDATE remote_entries SET status = \(bind: RegistrationStatus.withdrawn.rawValue),
                        report_sequence = \(bind: registration.sequence), updated_at = \(bind: time)
                    WHERE origin = \(bind: origin.code) AND local_code = \(bind: code)
                        AND report_sequence < \(bind: registration.sequence)
                    """
                ).run()
                if let existing = try? await Self.mapping(origin, code, sql) {
                    mappings.append(existing)
                } else {
                    // Withdrawn before the parent ever saw it: nothing to withdraw, but the child still gets an
                    // answer so that it stops reporting it.
                    mappings.append(
                        CodeMapping(
                            localCode: code, upperCode: (try? CodeMapping.upperCode(for: code, from: origin)) ?? code,
                            version: 0, status: .withdrawn))
                }
            }
            return mappings
        }
    }

    static func mapping(_ origin: NodeRegion, _ code: String, _ sql: any SQLDatabase) async throws -> CodeMapping {
        guard
            let row = try await sql.raw(
                """
                SELECT upper_code, version, status FROM remote_entries
                WHERE origin = \(bind: origin.code) AND local_code = \(bind: code)
                """
            ).first()
        else { throw StoreError.notFound(entity: "remote entry", key: code) }
        return CodeMapping(
            localCode: code, upperCode: try row.decode(column: "upper_code", as: String.self),
            version: try row.decode(column: "version", as: Int.self),
            status: RegistrationStatus(rawValue: try row.decode(column: "status", as: String.self)) ?? .registered)
    }

    func remoteEntries(query: String?, origin: NodeRegion?, includeWithdrawn: Bool, limit: Int) async throws
        -> [RemoteEntry]
    {
        var conditions: [SQLQueryString] = []
        // The local catalog's rule: every term must occur (in the name, the provider's name or the code).
        for term in CatalogQuery.terms(in: query ?? "") {
            let pattern =
                "%"
                + term.replacingOccurrences(of: "\\", with: "\\\\")
                .replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_") + "%"
            conditions.append(
                """
                (LOWER(name) LIKE \(bind: pattern) ESCAPE '\\' OR LOWER(provider_name) LIKE \(bind: pattern) ESCAPE '\\'
                    OR LOWER(upper_code) LIKE \(bind: pattern) ESCAPE '\\')
                """)
        }
        if let origin { conditions.append("origin = \(bind: origin.code)") }
        if !includeWithdrawn { conditions.append("status = \(bind: RegistrationStatus.registered.rawValue)") }
        var whereClause: SQLQueryString = ""
        if !conditions.isEmpty {
            whereClause = "WHERE "
            for (index, condition) in conditions.enumerated() {
                if index > 0 { whereClause = whereClause + " AND " }
                whereClause = whereClause + condition
            }
        }
        let clause = whereClause
        return try await provider.read { sql in
            try await sql.raw(
                """
                SELECT * FROM remote_entries \(clause) ORDER BY upper_code LIMIT \(literal: max(1, min(limit, 1_000)))
                """
            ).all().map(Self.decodeRemote)
        }
    }

    func remoteEntry(upperCode: String) async throws -> RemoteEntry? {
        try await provider.read { sql in
            try await sql.raw("SELECT * FROM remote_entries WHERE upper_code = \(bind: upperCode)").first()
                .map(Self.decodeRemote)
        }
    }

    func unreportedChanges(limit: Int) async throws -> (entries: [CatalogEntry], withdrawn: [String]) {
        let limit = max(1, min(limit, 500))
        return try await provider.read { sql in
            let changed = try await sql.raw(
                """
                SELECT e.id FROM catalog_entries e
                LEFT JOIN federation_registrations r ON r.entry_code = e.code
                WHERE e.status = \(bind: EntryStatus.published.rawValue)
                    AND (r.entry_code IS NULL OR r.reported_version <> e.version
                        OR r.reported_status <> \(bind: RegistrationStatus.registered.rawValue))
                ORDER BY e.id LIMIT \(literal: limit)
                """
            ).all().map { try $0.decode(column: "id", as: Int64.self) }
            var entries: [CatalogEntry] = []
            for id in changed {
                if let entry = try await SQLCatalogRepository.load(id: id, sql, integrity: integrity) {
                    entries.append(entry)
                }
            }
            let withdrawn = try await sql.raw(
                """
                SELECT r.entry_code FROM federation_registrations r
                LEFT JOIN catalog_entries e ON e.code = r.entry_code
                WHERE r.reported_status = \(bind: RegistrationStatus.registered.rawValue)
                    AND (e.id IS NULL OR e.status <> \(bind: EntryStatus.published.rawValue))
                ORDER BY r.entry_code LIMIT \(literal: limit)
                """
            ).all().map { try $0.decode(column: "entry_code", as: String.self) }
            return (entries, withdrawn)
        }
    }

    func recordReported(entries: [CatalogEntry], withdrawn: [String], at time: Date) async throws {
        try await provider.transaction { sql in
            for (code, version, status) in entries.map({ ($0.code.text, $0.version, RegistrationStatus.registered) })
                + withdrawn.map({ ($0, 0, RegistrationStatus.withdrawn) })
            {
                try await sql.raw(
                    """
                    INSERT INTO federation_registrations (entry_code, reported_version, reported_status, reported_at)
                    VALUES (\(bind: code), \(bind: version), \(bind: status.rawValue), \(bind: time))
                    ON CONFLICT (entry_code) DO UPDATE SET
                        reported_version = CASE WHEN excluded.reported_status = \(bind: RegistrationStatus.withdrawn.rawValue)
                            THEN federation_registrations.reported_version ELSE excluded.reported_version END,
                        reported_status = excluded.reported_status, reported_at = excluded.reported_at
                    """
                ).run()
            }
        }
    }

    func recordAcknowledged(_ mappings: [CodeMapping], at time: Date) async throws {
        try await provider.transaction { sql in
            for mapping in mappings {
                try await sql.raw(
                    """
                    UPDATE federation_registrations SET upper_code = \(bind: mapping.upperCode),
                        acknowledged_version = \(bind: mapping.status == .withdrawn ? nil : mapping.version),
                        acknowledged_status = \(bind: mapping.status.rawValue), reason = \(bind: mapping.reason),
                        acknowledged_at = \(bind: time)
                    WHERE entry_code = \(bind: mapping.localCode)
                    """
                ).run()
            }
        }
    }

    func registrations() async throws -> [RegistrationRecord] {
        try await provider.read { sql in
            try await sql.raw("SELECT * FROM federation_registrations ORDER BY entry_code").all().map { row in
                RegistrationRecord(
                    entryCode: try row.decode(column: "entry_code", as: String.self),
                    reportedVersion: try row.decode(column: "reported_version", as: Int.self),
                    reportedStatus: RegistrationStatus(
                        rawValue: try row.decode(column: "reported_status", as: String.self)) ?? .registered,
                    upperCode: try row.decode(column: "upper_code", as: String?.self),
                    acknowledgedVersion: try row.decode(column: "acknowledged_version", as: Int?.self),
                    acknowledgedStatus: try row.decode(column: "acknowledged_status", as: String?.self)
                        .flatMap(RegistrationStatus.init(rawValue:)),
                    reason: try row.decode(column: "reason", as: String?.self),
                    reportedAt: try row.decode(column: "reported_at", as: Date.self),
                    acknowledgedAt: try row.decode(column: "acknowledged_at", as: Date?.self))
            }
        }
    }

    static func decodeRemote(_ row: any SQLRow) throws -> RemoteEntry {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let body = try row.decode(column: "registration", as: String.self)
        return RemoteEntry(
            id: try row.decode(column: "id", as: Int64.self),
            origin: try NodeRegion(try row.decode(column: "origin", as: String.self)),
            upperCode: try row.decode(column: "upper_code", as: String.self),
            status: RegistrationStatus(rawValue: try row.decode(column: "status", as: String.self)) ?? .registered,
            registration: try decoder.decode(RegisteredEntry.self, from: Data(body.utf8)),
            registeredAt: try row.decode(column: "registered_at", as: Date.self),
            updatedAt: try row.decode(column: "updated_at", as: Date.self))
    }
}
