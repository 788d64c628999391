import Foundation
import HuitongCore
import SQLKit

/// The stored secret side of a developer, read only to check a sign-in.
public struct StoredDeveloperCredentials: Sendable {
    public var developer: Developer
    public var passwordHash: String
    public var failedLogins: Int
    public var lockedUntil: Date?
}

/// A developer signed in to the portal. Kept in the database so that every node behind a load balancer knows it.
public struct DeveloperSession: Sendable, Hashable {
    public var id: Int64
    public var developerID: Int64
    /// The anti-forgery token the session's portal forms must echo.
    public var csrfToken: String
    public var expiresAt: Date
}

extension DeveloperRepository {
    public func create(_ registration: CheckedDeveloperRegistration, passwordHash: String, at now: Date) async throws
        -> Developer
    {
        try await create(registration, earlierIdentityDigests: [], passwordHash: passwordHash, at: now)
    }
}

/// Portal developers: accounts, sessions, self-service API keys, and applications for conditionally open data.
public protocol DeveloperRepository: Sendable {
    /// Registers a developer: one account per e-mail address and per person. `earlierIdentityDigests` are the
    /// digests the same ID number had under the node's other crypto suite, so that a person registered before a
    /// switch of suite is still recognised.
    func create(
        _ registration: CheckedDeveloperRegistration, earlierIdentityDigests: [String], passwordHash: String,
        at now: Date
    ) async throws -> Developer
    func find(id: Int64) async throws -> Developer?
    /// The keyed digest of the ID number the developer registered with (its row's MAC checked): what a person's
    /// licences are found by once the operator verified the account.
    func identityDigest(id: Int64) async throws -> String?
    func credentials(email: String) async throws -> StoredDeveloperCredentials?
    func recordFailedLogin(id: Int64, lockedUntil: Date?) async throws
    func recordSuccessfulLogin(id: Int64, at now: Date) async throws
    /// Replaces the stored password hash with a new one of the same password (a stronger algorithm or more
    /// iterations); sessions and keys stay.
    func replacePasswordHash(id: Int64, _ hash: String) async throws
    func count() async throws -> Int

    func createSession(developerID: Int64, digest: String, csrfToken: String, expiresAt: Date) async throws
        -> DeveloperSession
    /// The live session with this digest; expired ones are not returned.
    func session(digest: String, now: Date) async throws -> DeveloperSession?
    func deleteSession(digest: String) async throws
    func purgeExpiredSessions(now: Date) async throws -> Int

    /// Stores a new key unless the developer already holds `limit` active ones (then `StoreError.conflict`).
    func createKey(developerID: Int64, label: String, digest: String, hint: String, limit: Int, at now: Date)
        async throws -> DeveloperKey
    /// The developer's keys, newest first, revoked ones included.
    func keys(developerID: Int64) async throws -> [DeveloperKey]
    /// Revokes one of the developer's own keys; nil when the developer has no such key.
    func revokeKey(id: Int64, developerID: Int64, at now: Date) async throws -> DeveloperKey?
    /// The active key with this digest and its active owner.
    func keyOwner(digest: String) async throws -> (key: DeveloperKey, developer: Developer)?
    func touchKey(id: Int64, at now: Date) async throws

    /// Files an application, refusing a second one while the developer's earlier application for the same entry
    /// is pending or in force (`OpenAccessError.alreadyApplied`).
    func createRequest(
        _ draft: OpenAccessDraft, developer: Developer, entry: CatalogEntry, deadline: Date, at now: Date
    ) async throws -> OpenAccessRequest
    func request(id: Int64) async throws -> OpenAccessRequest?
    /// A developer's applications, newest first.
    func requests(developerID: Int64) async throws -> [OpenAccessRequest]
    /// Applications to a provider department (every department's when nil), newest first.
    func requests(providerDepartmentID: Int64?, state: OpenAccessState?, limit: Int) async throws
        -> [OpenAccessRequest]
    /// Answers a pending application; `OpenAccessError.alreadyDecided` when someone answered first.
    func decide(id: Int64, _ decision: OpenAccessDecision, by userID: Int64, at now: Date) async throws
        -> OpenAccessRequest
    /// Answered applications, most recently answered first: the portal publishes them.
    func decided(limit: Int, offset: Int) async throws -> [OpenAccessRequest]
    /// The developer's application that gives access to the entry at `now`, if any.
    func access(developerID: Int64, entryID: Int64, at now: Date) async throws -> OpenAccessRequest?
    /// Withdraws an approval in force (`OpenAccessError.notInForce` otherwise).
    func revoke(id: Int64, reason: String, by userID: Int64, at now: Date) async throws -> OpenAccessRequest
    /// Pending applications past their deadline, earliest first.
    func overdue(at now: Date) async throws -> [OpenAccessRequest]
    /// Marks the overdue applications not yet escalated and sends `notify`'s notifications in the same
    /// transaction, so that each is put before the operators once however many nodes sweep.
    func escalateOverdue(at now: Date, notify: @Sendable (OpenAccessRequest) -> [NotificationDraft]) async throws
        -> [OpenAccessRequest]
}

struct SQLDeveloperRepository: DeveloperRepository {
    let provider: any DatabaseProvider
    /// The MACs of developers, their keys and sessions, and approvals of open data (GB/T 39786 8.4 b/c): written
    /// with each change, checked on each read that decides access.
    var integrity = RowIntegrity()

    /// What a developer row is read with, including what its MAC covers.
    static let columns = [
        "id", "email", "name", "organisation", "organisation_code", "identity_hint", "is_active", "created_at",
        "identity_digest", "password_hash", "row_mac",
    ]

    /// `row` after its MAC was checked.
    private func verified(_ table: ProtectedTable, _ row: any SQLRow) throws -> any SQLRow {
        try integrity.verify(table, row)
        return row
    }

    // MARK: Accounts

    func create(
        _ registration: CheckedDeveloperRegistration, earlierIdentityDigests: [String], passwordHash: String,
        at now: Date
    ) async throws -> Developer {
        try await provider.transaction { sql in
            if !earlierIdentityDigests.isEmpty,
                try await sql.select().column("id").from("developers")
                    .where("identity_digest", .in, earlierIdentityDigests).first() != nil
            {
                throw StoreError.duplicate(field: "idNumber", value: "")
            }
            do {
                let row = try await sql.insert(into: "developers")
                    .columns(
                        "email", "name", "organisation", "organisation_code", "identity_hint", "identity_digest",
                        "password_hash", "is_active", "failed_logins", "created_at"
                    )
                    .values(
                        SQLBind(registration.email), SQLBind(registration.name), SQLBind(registration.organisation),
                        SQLBind(registration.organisationCode), SQLBind(registration.identityHint),
                        SQLBind(registration.identityDigest), SQLBind(passwordHash), SQLBind(true), SQLBind(0),
                        SQLBind(now)
                    )
                    .returning(Self.columns.map { SQLColumn($0) }).first()
                let developer = try Self.decodeDeveloper(try Self.required(row))
                try await integrity.seal(.developers, id: developer.id, sql)
                return developer
            } catch {
                guard let constraint = StoreError.uniqueViolation(in: error) else { throw error }
                // The ID number is never repeated back, not even its digest.
                if constraint.contains("identity") { throw StoreError.duplicate(field: "idNumber", value: "") }
                throw StoreError.duplicate(field: "email", value: registration.email)
            }
        }
    }

    func find(id: Int64) async throws -> Developer? {
        try await provider.read { sql in
            try await sql.select().columns(Self.columns).from("developers").where("id", .equal, id).first()
                .map { try Self.decodeDeveloper(try verified(.developers, $0)) }
        }
    }

    func identityDigest(id: Int64) async throws -> String? {
        try await provider.read { sql in
            try await sql.select().columns(Self.columns).from("developers").where("id", .equal, id).first()
                .map { try verified(.developers, $0).decode(column: "identity_digest", as: String.self) }
        }
    }

    func credentials(email: String) async throws -> StoredDeveloperCredentials? {
        try await provider.read { sql in
            guard
                let row = try await sql.select().columns(Self.columns + ["failed_logins", "locked_until"])
                    .from("developers").where("email", .equal, email.lowercased()).first()
            else { return nil }
            try integrity.verify(.developers, row)
            return StoredDeveloperCredentials(
                developer: try Self.decodeDeveloper(row),
                passwordHash: try row.decode(column: "password_hash", as: String.self),
                failedLogins: try row.decode(column: "failed_logins", as: Int.self),
                lockedUntil: try row.decode(column: "locked_until", as: Date?.self))
        }
    }

    func recordFailedLogin(id: Int64, lockedUntil: Date?) async throws {
        try await provider.transaction { sql in
            // A lock starts the count again, so that the next failures after it lock again only at the limit.
            let update = sql.update("developers")
            if let lockedUntil {
                update.set("locked_until", to: lockedUntil).set("failed_logins", to: 0)
            } else {
                update.set(SQLIdentifier("failed_logins"), to: SQLRaw("failed_logins + 1"))
            }
            try await update.where("id", .equal, id).run()
        }
    }

    func recordSuccessfulLogin(id: Int64, at now: Date) async throws {
        try await provider.transaction { sql in
            try await sql.update("developers").set("failed_logins", to: 0).set("locked_until", to: SQLLiteral.null)
                .set("last_login_at", to: now).where("id", .equal, id).run()
        }
    }

    func replacePasswordHash(id: Int64, _ hash: String) async throws {
        try await provider.transaction { sql in
            try await integrity.verifyBeforeChange(.developers, id: id, sql)
            try await sql.update("developers").set("password_hash", to: hash).where("id", .equal, id).run()
            try await integrity.seal(.developers, id: id, sql)
        }
    }

    func count() async throws -> Int {
        try await provider.read { sql in
            try await sql.raw("SELECT COUNT(*) AS n FROM developers").first()?.decode(column: "n", as: Int.self) ?? 0
        }
    }

    // MARK: Sessions

    func createSession(developerID: Int64, digest: String, csrfToken: String, expiresAt: Date) async throws
        -> DeveloperSession
    {
        try await provider.transaction { sql in
            let row = try await sql.insert(into: "developer_sessions")
                .columns("token_digest", "developer_id", "csrf_token", "created_at", "expires_at")
                .values(
                    SQLBind(digest), SQLBind(developerID), SQLBind(csrfToken), SQLBind(Date()), SQLBind(expiresAt)
                )
                .returning("id").first()
            let id = try Self.required(row).decode(column: "id", as: Int64.self)
            try await integrity.seal(.developerSessions, id: id, sql)
            return DeveloperSession(
                id: id, developerID: developerID,
                csrfToken: csrfToken,
                expiresAt: expiresAt)
        }
    }

    func session(digest: String, now: Date) async throws -> DeveloperSession? {
        try await provider.read { sql in
            guard
                let row = try await sql.select()
                    .columns("id", "developer_id", "csrf_token", "expires_at", "token_digest", "row_mac")
                    .from("developer_sessions").where("token_digest", .equal, digest)
                    .where("expires_at", .greaterThan, now).first()
            else { return nil }
            try integrity.verify(.developerSessions, row)
            return DeveloperSession(
                id: try row.decode(column: "id", as: Int64.self),
                developerID: try row.decode(column: "developer_id", as: Int64.self),
                csrfToken: try row.decode(column: "csrf_token", as: String.self),
                expiresAt: try row.decode(column: "expires_at", as: Date.self))
        }
    }

    func deleteSession(digest: String) async throws {
        try await provider.transaction { sql in
            try await sql.delete(from: "developer_sessions").where("token_digest", .equal, digest).run()
        }
    }

    func purgeExpiredSessions(now: Date) async throws -> Int {
        try await provider.transaction { sql in
            try await sql.delete(from: "developer_sessions").where("expires_at", .lessThanOrEqual, now)
                .returning("id").all().count
        }
    }

    // MARK: Keys

    static let keyColumns = [
        "id", "developer_id", "label", "hint", "created_at", "last_used_at", "revoked_at", "key_digest", "row_mac",
    ]

    func createKey(developerID: Int64, label: String, digest: String, hint: String, limit: Int, at now: Date)
        async throws -> DeveloperKey
    {
        try await provider.transaction { sql in
            try await Self.lock(developerID, sql, backend: provider.backend)
            let active =
                try await sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n")
                .from("developer_keys").where("developer_id", .equal, developerID).where(
                    "revoked_at", .is, SQLLiteral.null
                )
                .first()?.decode(column: "n", as: Int.self) ?? 0
            guard active < limit else {
                throw StoreError.conflict(
                    BilingualText(
                        zh: "有效密钥已达 \(limit) 个，请先吊销不用的密钥", en: "you already hold \(limit) active keys; revoke one first"
                    ))
            }
            let row = try await sql.insert(into: "developer_keys")
                .columns("developer_id", "label", "key_digest", "hint", "created_at")
                .values(SQLBind(developerID), SQLBind(label), SQLBind(digest), SQLBind(hint), SQLBind(now))
                .returning(Self.keyColumns.map { SQLColumn($0) }).first()
            let key = try Self.decodeKey(try Self.required(row))
            try await integrity.seal(.developerKeys, id: key.id, sql)
            return key
        }
    }

    func keys(developerID: Int64) async throws -> [DeveloperKey] {
        try await provider.read { sql in
            try await sql.select().columns(Self.keyColumns).from("developer_keys")
                .where("developer_id", .equal, developerID).orderBy("id", .descending).all()
                .map { try Self.decodeKey(try verified(.developerKeys, $0)) }
        }
    }

    func revokeKey(id: Int64, developerID: Int64, at now: Date) async throws -> DeveloperKey? {
        try await provider.transaction { sql in
            try await integrity.verifyBeforeChange(.developerKeys, id: id, sql)
            try await sql.update("developer_keys").set("revoked_at", to: now).where("id", .equal, id)
                .where("developer_id", .equal, developerID).where("revoked_at", .is, SQLLiteral.null).run()
            try await integrity.seal(.developerKeys, id: id, sql)
            return try await sql.select().columns(Self.keyColumns).from("developer_keys").where("id", .equal, id)
                .where("developer_id", .equal, developerID).first().map(Self.decodeKey)
        }
    }

    func keyOwner(digest: String) async throws -> (key: DeveloperKey, developer: Developer)? {
        try await provider.read { sql in
            guard
                let key = try await sql.select().columns(Self.keyColumns).from("developer_keys")
                    .where("key_digest", .equal, digest).where("revoked_at", .is, SQLLiteral.null).first()
                    .map({ try Self.decodeKey(try verified(.developerKeys, $0)) }),
                let developer = try await sql.select().columns(Self.columns).from("developers")
                    .where("id", .equal, key.developerID).where("is_active", .equal, true).first()
                    .map({ try Self.decodeDeveloper(try verified(.developers, $0)) })
            else { return nil }
            return (key, developer)
        }
    }

    func touchKey(id: Int64, at now: Date) async throws {
        try await provider.transaction { sql in
            try await sql.update("developer_keys").set("last_used_at", to: now).where("id", .equal, id).run()
        }
    }

    // MARK: Applications for conditionally open data

    static let requestColumns = [
        "id", "developer_id", "applicant", "entry_id", "resource_code", "entry_name", "provider_department_id",
        "purpose", "scenario", "security_measures", "months", "state", "submitted_at", "deadline", "decided_at",
        "decided_by", "decision_comment", "valid_until", "escalated_at", "revoked_at", "revocation_reason", "row_mac",
    ]

    func createRequest(
        _ draft: OpenAccessDraft, developer: Developer, entry: CatalogEntry, deadline: Date, at now: Date
    ) async throws -> OpenAccessRequest {
        try await provider.transaction { sql in
            try await Self.lock(developer.id, sql, backend: provider.backend)
            if let earlier = try await standing(sql, developerID: developer.id, entryID: entry.id, at: now) {
                throw OpenAccessError.alreadyApplied(number: earlier.number)
            }
            do {
                let row = try await sql.insert(into: "open_access_requests")
                    .columns(
                        "developer_id", "applicant", "entry_id", "resource_code", "entry_name",
                        "provider_department_id", "purpose", "scenario", "security_measures", "months", "state",
                        "submitted_at", "deadline", "decision_comment"
                    )
                    .values(
                        SQLBind(developer.id), SQLBind(developer.publicName), SQLBind(entry.id),
                        SQLBind(entry.code.text), SQLBind(entry.content.name),
                        SQLBind(entry.provider.departmentID), SQLBind(draft.purpose), SQLBind(draft.scenario),
                        SQLBind(draft.securityMeasures), SQLBind(draft.months),
                        SQLBind(OpenAccessState.pending.rawValue), SQLBind(now), SQLBind(deadline), SQLBind("")
                    )
                    .returning(Self.requestColumns.map { SQLColumn($0) }).first()
                let request = try Self.decodeRequest(try Self.required(row))
                try await integrity.seal(.openAccessRequests, id: request.id, sql)
                return request
            } catch  where StoreError.uniqueViolation(in: error) != nil {
                // Only a writer that bypassed the lock gets here; its transaction is spoilt, so nothing more is read.
                throw OpenAccessError.alreadyApplied(number: nil)
            }
        }
    }

    /// The developer's application for the entry that is pending or in force.
    func standing(_ sql: any SQLDatabase, developerID: Int64, entryID: Int64, at now: Date) async throws
        -> OpenAccessRequest?
    {
        try await sql.select().columns(Self.requestColumns).from("open_access_requests")
            .where("developer_id", .equal, developerID).where("entry_id", .equal, entryID)
            .where { group in
                group.where("state", .equal, OpenAccessState.pending.rawValue)
                    .orWhere { approved in
                        approved.where("state", .equal, OpenAccessState.approved.rawValue)
                            .where("valid_until", .greaterThan, now)
                    }
            }
            .orderBy("id", .descending).first().map(verifiedRequest)
    }

    func request(id: Int64) async throws -> OpenAccessRequest? {
        try await provider.read { sql in
            try await sql.select().columns(Self.requestColumns).from("open_access_requests").where("id", .equal, id)
                .first().map(verifiedRequest)
        }
    }

    func requests(developerID: Int64) async throws -> [OpenAccessRequest] {
        try await provider.read { sql in
            try await sql.select().columns(Self.requestColumns).from("open_access_requests")
                .where("developer_id", .equal, developerID).orderBy("id", .descending).all().map(verifiedRequest)
        }
    }

    func requests(providerDepartmentID: Int64?, state: OpenAccessState?, limit: Int) async throws
        -> [OpenAccessRequest]
    {
        try await provider.read { sql in
            var query = sql.select().columns(Self.requestColumns).from("open_access_requests")
            if let providerDepartmentID { query = query.where("provider_department_id", .equal, providerDepartmentID) }
            if let state { query = query.where("state", .equal, state.rawValue) }
            return try await query.orderBy("id", .descending).limit(limit).all().map(verifiedRequest)
        }
    }

    func decide(id: Int64, _ decision: OpenAccessDecision, by userID: Int64, at now: Date) async throws
        -> OpenAccessRequest
    {
        try await provider.transaction { sql in
            try await integrity.verifyBeforeChange(.openAccessRequests, id: id, sql)
            guard
                let current = try await sql.select().columns(Self.requestColumns).from("open_access_requests")
                    .where("id", .equal, id).first().map(verifiedRequest)
            else { throw StoreError.notFound(entity: "open access request", key: "\(id)") }
            guard current.state == .pending else { throw OpenAccessError.alreadyDecided(current.state) }
            let state: OpenAccessState = decision.approve ? .approved : .refused
            let validUntil =
                decision.approve
                ? OpenAccessDecision.validUntil(approvedAt: now, months: current.months) : nil
            let changed = try await sql.update("open_access_requests")
                .set("state", to: state.rawValue).set("decided_at", to: now).set("decided_by", to: userID)
                .set("decision_comment", to: decision.comment).set("valid_until", to: SQLBind(validUntil))
                .where("id", .equal, id).where("state", .equal, OpenAccessState.pending.rawValue)
                .returning(Self.requestColumns.map { SQLColumn($0) }).first()
            guard let changed else {
                // Someone answered between the read and the write: say what they decided.
                let state = try await sql.select().column("state").from("open_access_requests").where("id", .equal, id)
                    .first()?.decode(column: "state", as: String.self)
                throw OpenAccessError.alreadyDecided(state.flatMap(OpenAccessState.init(rawValue:)) ?? current.state)
            }
            try await integrity.seal(.openAccessRequests, id: id, sql)
            return try Self.decodeRequest(changed)
        }
    }

    func decided(limit: Int, offset: Int) async throws -> [OpenAccessRequest] {
        try await provider.read { sql in
            try await sql.select().columns(Self.requestColumns).from("open_access_requests")
                .where("state", .notEqual, OpenAccessState.pending.rawValue)
                .orderBy("decided_at", .descending).orderBy("id", .descending).limit(limit).offset(offset).all()
                .map(verifiedRequest)
        }
    }

    func access(developerID: Int64, entryID: Int64, at now: Date) async throws -> OpenAccessRequest? {
        try await provider.read { sql in
            try await sql.select().columns(Self.requestColumns).from("open_access_requests")
                .where("developer_id", .equal, developerID).where("entry_id", .equal, entryID)
                .where("state", .equal, OpenAccessState.approved.rawValue).where("valid_until", .greaterThan, now)
                .orderBy("valid_until", .descending).first().map(verifiedRequest)
        }
    }

    func revoke(id: Int64, reason: String, by userID: Int64, at now: Date) async throws -> OpenAccessRequest {
        try await provider.transaction { sql in
            try await integrity.verifyBeforeChange(.openAccessRequests, id: id, sql)
            let changed = try await sql.update("open_access_requests")
                .set("state", to: OpenAccessState.revoked.rawValue).set("revoked_at", to: now)
                .set("revoked_by", to: userID).set("revocation_reason", to: reason)
                .where("id", .equal, id).where("state", .equal, OpenAccessState.approved.rawValue)
                .where("valid_until", .greaterThan, now)
                .returning(Self.requestColumns.map { SQLColumn($0) }).first()
            guard let changed else { throw OpenAccessError.notInForce }
            try await integrity.seal(.openAccessRequests, id: id, sql)
            return try Self.decodeRequest(changed)
        }
    }

    func overdue(at now: Date) async throws -> [OpenAccessRequest] {
        try await provider.read { sql in
            try await sql.select().columns(Self.requestColumns).from("open_access_requests")
                .where("state", .equal, OpenAccessState.pending.rawValue).where("deadline", .lessThanOrEqual, now)
                .orderBy("deadline").all().map(verifiedRequest)
        }
    }

    func escalateOverdue(at now: Date, notify: @Sendable (OpenAccessRequest) -> [NotificationDraft]) async throws
        -> [OpenAccessRequest]
    {
        try await provider.transaction { sql in
            let escalated = try await sql.update("open_access_requests").set("escalated_at", to: now)
                .where("state", .equal, OpenAccessState.pending.rawValue).where("deadline", .lessThanOrEqual, now)
                .where("escalated_at", .is, SQLLiteral.null)
                .returning(Self.requestColumns.map { SQLColumn($0) }).all().map(verifiedRequest)
            let drafts = escalated.flatMap(notify)
            if !drafts.isEmpty { _ = try await SQLNotificationRepository.insert(drafts, at: now, sql) }
            return escalated.sorted { $0.deadline < $1.deadline }
        }
    }

    // MARK: Helpers

    /// Serialises a developer's writes (keys against the limit, applications against the one-at-a-time rule).
    /// SQLite's write transactions already run one at a time; PostgreSQL's take the developer's row lock.
    static func lock(_ developerID: Int64, _ sql: any SQLDatabase, backend: Backend) async throws {
        guard backend == .postgres else { return }
        try await sql.raw("SELECT id FROM developers WHERE id = \(bind: developerID) FOR UPDATE").run()
    }

    /// The row an `INSERT … RETURNING` gave back; a driver that gives none is a fault of the database.
    static func required(_ row: (any SQLRow)?) throws -> any SQLRow {
        guard let row else { throw StoreError.unavailable("the database returned no row for an insert") }
        return row
    }

    // MARK: Decoding

    /// An approval read to decide access, after its MAC was checked.
    private func verifiedRequest(_ row: any SQLRow) throws -> OpenAccessRequest {
        try Self.decodeRequest(try verified(.openAccessRequests, row))
    }

    static func decodeDeveloper(_ row: any SQLRow) throws -> Developer {
        Developer(
            id: try row.decode(column: "id", as: Int64.self),
            email: try row.decode(column: "email", as: String.self),
            name: try row.decode(column: "name", as: String.self),
            organisation: try row.decode(column: "organisation", as: String.self),
            organisationCode: try row.decode(column: "organisation_code", as: String?.self),
            identityHint: try row.decode(column: "identity_hint", as: String.self),
            isActive: try row.decode(column: "is_active", as: Bool.self),
            createdAt: try row.decode(column: "created_at", as: Date.self))
    }

    static func decodeKey(_ row: any SQLRow) throws -> DeveloperKey {
        DeveloperKey(
            id: try row.decode(column: "id", as: Int64.self),
            developerID: try row.decode(column: "developer_id", as: Int64.self),
            label: try row.decode(column: "label", as: String.self),
            hint: try row.decode(column: "hint", as: String.self),
            createdAt: try row.decode(column: "created_at", as: Date.self),
            lastUsedAt: try row.decode(column: "last_used_at", as: Date?.self),
            revokedAt: try row.decode(column: "revoked_at", as: Date?.self))
    }

    static func decodeRequest(_ row: any SQLRow) throws -> OpenAccessRequest {
        let stateText = try row.decode(column: "state", as: String.self)
        guard let state = OpenAccessState(rawValue: stateText) else {
            throw StoreError.unavailable("unknown open-access state \(stateText)")
        }
        return OpenAccessRequest(
            id: try row.decode(column: "id", as: Int64.self),
            developerID: try row.decode(column: "developer_id", as: Int64.self),
            applicant: try row.decode(column: "applicant", as: String.self),
            entryID: try row.decode(column: "entry_id", as: Int64.self),
            resourceCode: try row.decode(column: "resource_code", as: String.self),
            entryName: try row.decode(column: "entry_name", as: String.self),
            providerDepartmentID: try row.decode(column: "provider_department_id", as: Int64.self),
            purpose: try row.decode(column: "purpose", as: String.self),
            scenario: try row.decode(column: "scenario", as: String.self),
            securityMeasures: try row.decode(column: "security_measures", as: String.self),
            months: try row.decode(column: "months", as: Int.self),
            state: state,
            submittedAt: try row.decode(column: "submitted_at", as: Date.self),
            deadline: try row.decode(column: "deadline", as: Date.self),
            decidedAt: try row.decode(column: "decided_at", as: Date?.self),
            decidedBy: try row.decode(column: "decided_by", as: Int64?.self),
            decisionComment: try row.decode(column: "decision_comment", as: String.self),
            validUntil: try row.decode(column: "valid_until", as: Date?.self),
            escalatedAt: try row.decode(column: "escalated_at", as: Date?.self),
            revokedAt: try row.decode(column: "revoked_at", as: Date?.self),
            revocationReason: try row.decode(column: "revocation_reason", as: String?.self))
    }
}
