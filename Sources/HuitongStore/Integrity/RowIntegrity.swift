import Foundation
import HuitongCore
import HuitongCrypto
import Logging
import SQLKit
import Synchronization

/// How one column of a protected row enters its MAC.
enum ProtectedColumnKind: Sendable {
    case text
    case integer
    case boolean
    /// A point in time, as the database hands it back (the bits of its seconds since 1970).
    case timestamp
    /// Only whether the column holds a value (a revocation time: revoked or not is what decides access).
    case presence
}

/// A table whose rows decide access (GB/T 39786-2021 8.4 b/c): which columns its MAC covers and what names the row.
struct ProtectedTable: Sendable {
    let name: String
    /// The primary key's columns, in order: they enter the MAC, so a row's MAC does not fit another row.
    let key: [String]
    let columns: [(name: String, kind: ProtectedColumnKind)]

    /// 授权: what a consumer may read, of which entry, masked how, until when, and whether it was revoked.
    static let grants = ProtectedTable(
        name: "grants", key: ["id"],
        columns: [
            ("application_id", .integer), ("entry_id", .integer), ("resource_code", .text),
            ("provider_department_id", .integer), ("consumer_department_id", .integer), ("system_ids", .text),
            ("items", .text), ("row_filter", .text), ("masking", .text), ("purpose", .text), ("channel", .text),
            ("rate_limit", .integer), ("daily_quota", .integer), ("valid_from", .text), ("valid_to", .text),
            ("revoked_at", .presence),
        ])

    /// Accounts: who belongs to which department with which roles, whether active, and the password they prove.
    static let users = ProtectedTable(
        name: "users", key: ["id"],
        columns: [
            ("username", .text), ("department_id", .integer), ("roles", .text), ("is_active", .boolean),
            ("password_hash", .text),
        ])

    /// Credentials (application systems' gateway credentials and users' personal tokens): whose, which secret,
    /// until when, and whether revoked or replaced.
    static let apiTokens = ProtectedTable(
        name: "api_tokens", key: ["id"],
        columns: [
            ("user_id", .integer), ("system_id", .integer), ("token_digest", .text), ("expires_at", .timestamp),
            ("revoked_at", .presence), ("key_id", .text), ("replaced_by", .integer), ("sealed_secret", .text),
        ])

    /// Browser sessions: which user a session cookie signs in, until when.
    static let sessions = ProtectedTable(
        name: "sessions", key: ["id"],
        columns: [("token_digest", .text), ("user_id", .integer), ("expires_at", .timestamp)])

    /// Application systems: the department a credential calls for (which grants apply) and whether it may call.
    static let applicationSystems = ProtectedTable(
        name: "application_systems", key: ["id"],
        columns: [("department_id", .integer), ("is_active", .boolean)])

    /// Grade labels (分级) of a catalog entry and of each of its items (both in `content`), with what else decides
    /// who may see it: its provider, sharing type and openness.
    static let catalogEntries = ProtectedTable(
        name: "catalog_entries", key: ["id"],
        columns: [
            ("code", .text), ("department_id", .integer), ("share_type", .text), ("openness", .text),
            ("grade", .text), ("negative_list_id", .integer), ("content", .text),
        ])

    /// The operator's grade policy matrix (which grade is masked how, and who may see it).
    static let gradePolicy = ProtectedTable(name: "grade_policy", key: ["id"], columns: [("content", .text)])

    /// The record that the start-up backfill has run (see `RowIntegrity.backfill`).
    static let backfillRecord = ProtectedTable(name: "row_integrity", key: ["id"], columns: [("state", .text)])

    /// Open-data developers: who they are (the digest of their ID number), whether active, the password they prove.
    static let developers = ProtectedTable(
        name: "developers", key: ["id"],
        columns: [("email", .text), ("identity_digest", .text), ("password_hash", .text), ("is_active", .boolean)])

    /// Developers' API keys: whose key a digest is, and whether it was revoked.
    static let developerKeys = ProtectedTable(
        name: "developer_keys", key: ["id"],
        columns: [("developer_id", .integer), ("key_digest", .text), ("revoked_at", .presence)])

    /// Developers' portal sessions: which developer a cookie signs in, until when.
    static let developerSessions = ProtectedTable(
        name: "developer_sessions", key: ["id"],
        columns: [("token_digest", .text), ("developer_id", .integer), ("expires_at", .timestamp)])

    /// Approvals of conditionally open data: which developer may read which entry, in which state, until when.
    static let openAccessRequests = ProtectedTable(
        name: "open_access_requests", key: ["id"],
        columns: [
            ("developer_id", .integer), ("entry_id", .integer), ("resource_code", .text),
            ("provider_department_id", .integer), ("months", .integer), ("state", .text), ("valid_until", .timestamp),
            ("revoked_at", .presence),
        ])

    /// The tables given a `row_mac` by migration 26, in the order the backfill visits them.
    static let all: [ProtectedTable] = [
        grants, users, apiTokens, sessions, applicationSystems, catalogEntries, gradePolicy,
    ]

    /// The tables given a `row_mac` by migration 28: the open-data portal's accounts, keys, sessions and approvals.
    static let developerTables: [ProtectedTable] = [developers, developerKeys, developerSessions, openAccessRequests]

    /// The tables each start-up backfill covers, in the order they were protected: a database that ran the first
    /// backfill gets the second once, for the tables protected since.
    static let generations: [[ProtectedTable]] = [all, developerTables]
}

/// GB/T 39786-2021 level 3, 8.4 b/c: an HMAC (HMAC-SM3 under `gm`, HMAC-SHA256 under `intl`) over each row of
/// access-control data — grants, accounts and their roles, credentials, sessions, application systems, grade labels
/// and the grade policy — written by the repositories with every insert and update, and checked on every read. A row
/// edited in the database without the key (which lives outside it) fails its check and is refused: the read
/// throws `StoreError.integrityViolation` and nothing is granted on its strength.
///
/// The MAC is stored as `<suite>:<base64>` and verifies under the suite it names, so a node that switches suites
/// keeps verifying what it wrote before. Both suites' keys are derived from the node's sealing key with that
/// suite's HKDF (`info` "huitong row integrity v1"); the sealing key never enters the database. Until a key is
/// given (`use(_:)`) every read and write of a protected row fails: closed, never open.
public final class RowIntegrity: Sendable {
    private struct Keys: Sendable {
        var authenticators: [CryptoSuiteID: any MessageAuthenticator]
    }

    private let keys = Mutex<Keys?>(nil)
    private let writingSuite = Mutex<CryptoSuiteID>(.forNewNodes)
    let logger = Logger(label: "huitong.integrity")

    static let derivationInfo = "huitong row integrity v1"
    static let encodingLabel = "huitong.row-mac.v1"

    public init() {}

    /// Takes the node's MAC keys from its sealing key (one per suite, each with its suite's HKDF).
    public func use(_ sealingKey: SealingKey) {
        var authenticators: [CryptoSuiteID: any MessageAuthenticator] = [:]
        for id in CryptoSuiteID.allCases {
            let key = sealingKey.derivedKey(info: Self.derivationInfo, suite: id)
            authenticators[id] = id.suite.authenticator(key: key)
        }
        keys.withLock { $0 = Keys(authenticators: authenticators) }
    }

    /// The suite new MACs are made under: the node's (`NodeCryptoSuite.resolve` sets it). MACs made under the other
    /// still verify.
    public var suite: CryptoSuiteID {
        get { writingSuite.withLock { $0 } }
        set { writingSuite.withLock { $0 = newValue } }
    }

    /// Whether a key was given.
    public var isKeyed: Bool { keys.withLock { $0 != nil } }

    private func authenticator(_ suite: CryptoSuiteID) throws(StoreError) -> any MessageAuthenticator {
        guard let authenticator = keys.withLock({ $0?.authenticators[suite] }) else {
            throw StoreError.integrityKeyMissing
        }
        return authenticator
    }

    // MARK: Encoding

    /// The canonical bytes a row's MAC covers: a label, the table, the key and each covered column, every part
    /// tagged with its kind and prefixed with its length, so that no two different rows (or tables) share bytes.
    static func canonicalBytes(_ table: ProtectedTable, _ row: any SQLRow, prefix: String = "") throws -> [UInt8] {
        var bytes: [UInt8] = []
        func append(_ tag: UInt8, _ part: [UInt8]) {
            bytes.append(tag)
            let count = UInt32(part.count)
            bytes.append(contentsOf: [UInt8(count >> 24), UInt8((count >> 16) & 0xff), UInt8((count >> 8) & 0xff)])
            bytes.append(UInt8(count & 0xff))
            bytes.append(contentsOf: part)
        }
        func integer(_ value: Int64) -> [UInt8] {
            let bits = UInt64(bitPattern: value)
            return (0..<8).reversed().map { UInt8((bits >> (UInt64($0) * 8)) & 0xff) }
        }
        append(0x4c, Array(encodingLabel.utf8))
        append(0x54, Array(table.name.utf8))
        for column in table.key {
            append(0x4b, Array(column.utf8))
            append(0x49, integer(try row.decode(column: prefix + column, as: Int64.self)))
        }
        for (name, kind) in table.columns {
            append(0x43, Array(name.utf8))
            let column = prefix + name
            switch kind {
            case .text:
                if let value = try row.decode(column: column, as: String?.self) {
                    append(0x53, Array(value.utf8))
                } else {
                    append(0x00, [])
                }
            case .integer:
                if let value = try row.decode(column: column, as: Int64?.self) {
                    append(0x49, integer(value))
                } else {
                    append(0x00, [])
                }
            case .boolean:
                if let value = try row.decode(column: column, as: Bool?.self) {
                    append(0x42, [value ? 1 : 0])
                } else {
                    append(0x00, [])
                }
            case .timestamp:
                if let value = try row.decode(column: column, as: Date?.self) {
                    append(0x44, integer(Int64(bitPattern: value.timeIntervalSince1970.bitPattern)))
                } else {
                    append(0x00, [])
                }
            case .presence:
                append(0x50, [try row.decode(column: column, as: Date?.self) == nil ? 0 : 1])
            }
        }
        return bytes
    }

    /// The MAC of a row under the node's suite, as stored: `gm:…` or `intl:…`.
    func mac(_ table: ProtectedTable, _ row: any SQLRow, prefix: String = "") throws -> String {
        let suite = self.suite
        let code = try authenticator(suite).authenticationCode(for: try Self.canonicalBytes(table, row, prefix: prefix))
        return "\(suite.rawValue):\(Data(code).base64EncodedString())"
    }

    // MARK: Checking

    /// Checks a row read with its `row_mac` (named `prefix + "row_mac"` in a join); throws
    /// `StoreError.integrityViolation` naming the table and row when the MAC is missing, malformed or wrong.
    func verify(_ table: ProtectedTable, _ row: any SQLRow, prefix: String = "") throws {
        let id =
            (try? table.key.map { String(try row.decode(column: prefix + $0, as: Int64.self)) })?
            .joined(separator: ",") ?? "?"
        guard let stored = try row.decode(column: prefix + "row_mac", as: String?.self) else {
            throw refused(table, id: id, reason: "no MAC")
        }
        guard let colon = stored.firstIndex(of: ":"),
            let suite = CryptoSuiteID(rawValue: String(stored[..<colon])),
            let code = Data(base64Encoded: String(stored[stored.index(after: colon)...]))
        else {
            throw refused(table, id: id, reason: "malformed MAC")
        }
        let expected = try authenticator(suite).authenticationCode(
            for: try Self.canonicalBytes(table, row, prefix: prefix))
        guard Self.constantTimeEqual(expected, Array(code)) else {
            throw refused(table, id: id, reason: "MAC does not match")
        }
    }

    private func refused(_ table: ProtectedTable, id: String, reason: String) -> StoreError {
        // The row's values are not logged: they may include digests or sealed secrets.
        logger.error(
            "access-control row failed its integrity check; access refused",
            metadata: ["table": "\(table.name)", "row": "\(id)", "reason": "\(reason)"])
        return StoreError.integrityViolation(table: table.name, id: id)
    }

    static func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for index in lhs.indices { difference |= lhs[index] ^ rhs[index] }
        return difference == 0
    }

    // MARK: Writing

    /// Recomputes and stores the MAC of one row (by its single-column key) from what the database now holds,
    /// inside the caller's transaction. Call it after the write that changed the row, having checked the row
    /// before changing it (`verifyBeforeChange`), so that a change never blesses an edit made behind the store.
    func seal(_ table: ProtectedTable, id: Int64, _ sql: any SQLDatabase) async throws {
        guard
            let row = try await sql.raw(
                "SELECT * FROM \(ident: table.name) WHERE \(ident: table.key[0]) = \(bind: id)"
            ).first()
        else { return }
        let mac = try mac(table, row)
        try await sql.raw(
            "UPDATE \(ident: table.name) SET row_mac = \(bind: mac) WHERE \(ident: table.key[0]) = \(bind: id)"
        ).run()
    }

    /// Checks one row (by its single-column key) before a change to it; a row that does not exist passes (the
    /// caller reports it as not found).
    func verifyBeforeChange(_ table: ProtectedTable, id: Int64, _ sql: any SQLDatabase) async throws {
        guard
            let row = try await sql.raw(
                "SELECT * FROM \(ident: table.name) WHERE \(ident: table.key[0]) = \(bind: id)\(Self.lock(sql))"
            ).first()
        else { return }
        try verify(table, row)
    }

    /// Checks every row matching `condition` before a statement changes them all; the ids of the rows, to
    /// `seal(_:ids:_:)` after the change.
    @discardableResult
    func verifyAll(_ table: ProtectedTable, where condition: SQLQueryString, _ sql: any SQLDatabase) async throws
        -> [Int64]
    {
        try await sql.raw("SELECT * FROM \(ident: table.name) WHERE \(condition)\(Self.lock(sql))").all().map { row in
            try verify(table, row)
            return try row.decode(column: table.key[0], as: Int64.self)
        }
    }

    /// Locks the rows a check before a change reads, on PostgreSQL, until the change commits: nothing can slip in
    /// between the check and the new MAC. (SQLite's writers are serialised by BEGIN IMMEDIATE already.)
    private static func lock(_ sql: any SQLDatabase) -> SQLQueryString {
        sql.dialect.name == "postgresql" ? " FOR UPDATE" : ""
    }

    /// `seal(_:id:_:)` for each of `ids`.
    func seal(_ table: ProtectedTable, ids: [Int64], _ sql: any SQLDatabase) async throws {
        for id in ids { try await seal(table, id: id, sql) }
    }

    /// Recomputes the MACs of every row matching `condition`, after a statement changed them all (checked before
    /// with `verifyAll`).
    func resealAll(_ table: ProtectedTable, where condition: SQLQueryString, _ sql: any SQLDatabase) async throws {
        let rows = try await sql.raw("SELECT * FROM \(ident: table.name) WHERE \(condition)").all()
        for row in rows {
            let mac = try mac(table, row)
            let id = try row.decode(column: table.key[0], as: Int64.self)
            try await sql.raw(
                "UPDATE \(ident: table.name) SET row_mac = \(bind: mac) WHERE \(ident: table.key[0]) = \(bind: id)"
            ).run()
        }
    }
}
