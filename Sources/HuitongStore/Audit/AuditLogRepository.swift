import Foundation
import HuitongCore
import HuitongCrypto
import SQLKit

/// An entry as read back for verification or listing: decoded, or a row whose columns no longer decode (a
/// malformed hash, an unknown outcome, broken JSON), which can only mean it was changed outside the log.
public enum AuditEntryRecord: Sendable, Hashable {
    case entry(AuditEntry)
    case unreadable(sequence: Int64, column: String)

    public var sequence: Int64 {
        switch self {
        case .entry(let entry): entry.sequence
        case .unreadable(let sequence, _): sequence
        }
    }
}

/// Which entries `AuditLogRepository.search` returns, newest first.
public struct AuditEntryFilter: Sendable, Hashable {
    public var resourceCode: String?
    public var consumerDepartmentID: Int64?
    public var action: AuditAction?
    /// `allowed`, `denied` or `failed`.
    public var outcome: String?
    public var from: Date?
    /// Exclusive.
    public var to: Date?
    /// Only entries with a smaller sequence number: the cursor for the next page.
    public var beforeSequence: Int64?
    public var limit: Int

    public init(
        resourceCode: String? = nil, consumerDepartmentID: Int64? = nil, action: AuditAction? = nil,
        outcome: String? = nil, from: Date? = nil, to: Date? = nil, beforeSequence: Int64? = nil, limit: Int = 50
    ) {
        self.resourceCode = resourceCode
        self.consumerDepartmentID = consumerDepartmentID
        self.action = action
        self.outcome = outcome
        self.from = from
        self.to = to
        self.beforeSequence = beforeSequence
        self.limit = limit
    }
}

/// What gateway statistics are grouped by.
public enum AuditStatisticsGrouping: String, Sendable, Hashable, CaseIterable {
    case day
    case resource
    case consumer
}

/// Gateway calls between two instants, grouped, as some caller may see them.
public struct AuditStatisticsQuery: Sendable, Hashable {
    public var from: Date
    /// Exclusive.
    public var to: Date
    public var groupBy: AuditStatisticsGrouping
    /// Nil: every call. Otherwise only calls made by these consumer departments or served from these provider
    /// departments' resources.
    public var visibleTo: (consumers: Set<Int64>, providers: Set<Int64>)?
    /// Days start at midnight at this offset from UTC (China Standard Time is +8 h, with no daylight saving).
    public var utcOffsetSeconds: Int

    public init(
        from: Date, to: Date, groupBy: AuditStatisticsGrouping,
        visibleTo: (consumers: Set<Int64>, providers: Set<Int64>)? = nil, utcOffsetSeconds: Int = 8 * 3600
    ) {
        self.from = from
        self.to = to
        self.groupBy = groupBy
        self.visibleTo = visibleTo
        self.utcOffsetSeconds = utcOffsetSeconds
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.from == rhs.from && lhs.to == rhs.to && lhs.groupBy == rhs.groupBy
            && lhs.visibleTo?.consumers == rhs.visibleTo?.consumers
            && lhs.visibleTo?.providers == rhs.visibleTo?.providers && lhs.utcOffsetSeconds == rhs.utcOffsetSeconds
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(from)
        hasher.combine(to)
        hasher.combine(groupBy)
        hasher.combine(visibleTo?.consumers)
        hasher.combine(visibleTo?.providers)
        hasher.combine(utcOffsetSeconds)
    }
}

/// The counts for one group (a day `2025-03-01`, a resource code, or a consumer department id; "" when the calls
/// named none).
public struct AuditStatisticsGroup: Sendable, Hashable {
    public var key: String
    public var calls: Int64
    public var allowed: Int64
    public var denied: Int64
    public var failed: Int64
    public var rowsServed: Int64
    /// Calls per latency bucket (`LatencyBuckets`).
    public var latencyBuckets: [Int: Int64]

    public init(
        key: String, calls: Int64 = 0, allowed: Int64 = 0, denied: Int64 = 0, failed: Int64 = 0,
        rowsServed: Int64 = 0, latencyBuckets: [Int: Int64] = [:]
    ) {
        self.key = key
        self.calls = calls
        self.allowed = allowed
        self.denied = denied
        self.failed = failed
        self.rowsServed = rowsServed
        self.latencyBuckets = latencyBuckets
    }

    /// The latency at `quantile` in microseconds, from the bucket counts.
    public func latencyPercentile(_ quantile: Double) -> Double? {
        LatencyBuckets.percentile(quantile, of: latencyBuckets)
    }
}

/// The audit log's storage: an append-only, hash-chained table, its one-row chain head, and signed checkpoints.
public protocol AuditLogRepository: Sendable {
    /// Appends `events` in one transaction, numbered on from the chain head and sealed under `suite`, and returns
    /// the sealed entries. Several appenders (tasks or nodes) are serialised by the head's row lock; either every
    /// entry is committed or none is.
    func append(_ events: [AuditEvent], suite: CryptoSuiteID) async throws -> [AuditEntry]
    /// The chain head: last sequence number, last hash and Merkle frontier.
    func head() async throws -> AuditChain
    /// Up to `limit` entries with sequence numbers above `after` and at most `through`, in sequence order.
    func records(after: Int64, through: Int64, limit: Int) async throws -> [AuditEntryRecord]
    /// Entries matching `filter`, newest first.
    func search(_ filter: AuditEntryFilter) async throws -> [AuditEntryRecord]
    /// Up to `limit` checkpoints with tree sizes above `after` and at most `through`, smallest first.
    func checkpoints(after: Int64, through: Int64, limit: Int) async throws -> [AuditCheckpoint]
    func latestCheckpoint() async throws -> AuditCheckpoint?
    /// Stores a checkpoint; false when one with its tree size exists already (another node signed it first).
    @discardableResult
    func save(_ checkpoint: AuditCheckpoint) async throws -> Bool
    func statistics(_ query: AuditStatisticsQuery) async throws -> [AuditStatisticsGroup]
}

struct SQLAuditLogRepository: AuditLogRepository {
    let provider: any DatabaseProvider

    static let entryColumns = [
        "seq", "time_us", "action", "consumer_department_id", "application_system_id", "user_id",
        "provider_department_id", "resource_code", "grant_id", "purpose", "key_hashes", "rows_returned", "outcome",
        "reason", "latency_us", "latency_bucket", "detail", "prev_hash", "hash", "suite",
    ]
    /// Rows per INSERT: 20 binds each stays well under SQLite's 32,766 and PostgreSQL's 65,535 bind limits.
    static let rowsPerStatement = 500

    func append(_ events: [AuditEvent], suite: CryptoSuiteID) async throws -> [AuditEntry] {
        guard !events.isEmpty else { return [] }
        let rows = try events.map(Self.encodeColumns)
        return try await provider.transaction { sql in
            let lock = sql.dialect.name == "postgresql" ? " FOR UPDATE" : ""
            var chain = try await Self.readHead(sql, suffix: lock)
            var entries: [AuditEntry] = []
            entries.reserveCapacity(events.count)
            for event in events { entries.append(chain.append(event, suite: suite)) }
            var start = 0
            while start < entries.count {
                let end = min(start + Self.rowsPerStatement, entries.count)
                let insert = sql.insert(into: "audit_entries").columns(Self.entryColumns)
                for index in start..<end {
                    let entry = entries[index]
                    insert.values(
                        [SQLBind(entry.sequence)] + rows[index]
                            + [
                                SQLBind(entry.previousHash.hex), SQLBind(entry.hash.hex),
                                SQLBind(entry.suite.rawValue),
                            ])
                }
                try await insert.run()
                start = end
            }
            try await sql.raw(
                """
                UPDATE audit_head SET seq = \(bind: chain.sequence), hash = \(bind: chain.lastHash.hex),
                    frontier = \(bind: chain.frontier.roots.map(\.hex).joined(separator: ",")) WHERE id = 1
                """
            ).run()
            return entries
        }
    }

    func head() async throws -> AuditChain {
        try await provider.read { sql in try await Self.readHead(sql, suffix: "") }
    }

    private static func readHead(_ sql: any SQLDatabase, suffix: String) async throws -> AuditChain {
        guard
            let row = try await sql.raw("SELECT seq, hash, frontier FROM audit_head WHERE id = 1\(unsafeRaw: suffix)")
                .first()
        else {
            throw StoreError.unsafeDatabase("the audit log's chain head row is missing")
        }
        let sequence = try row.decode(column: "seq", as: Int64.self)
        let roots = try row.decode(column: "frontier", as: String.self).split(separator: ",").map {
            AuditHash(hex: String($0))
        }
        guard let hash = AuditHash(hex: try row.decode(column: "hash", as: String.self)),
            let frontier = MerkleFrontier(size: sequence, roots: roots.compactMap { $0 }),
            !roots.contains(nil)
        else {
            throw StoreError.unsafeDatabase("the audit log's chain head row is malformed")
        }
        return AuditChain(sequence: sequence, lastHash: hash, frontier: frontier)
    }

    func records(after: Int64, through: Int64, limit: Int) async throws -> [AuditEntryRecord] {
        try await provider.read { sql in
            try await sql.select().columns(Self.entryColumns).from("audit_entries")
                .where("seq", .greaterThan, after).where("seq", .lessThanOrEqual, through)
                .orderBy("seq").limit(limit).all().map(Self.decode)
        }
    }

    func search(_ filter: AuditEntryFilter) async throws -> [AuditEntryRecord] {
        try await provider.read { sql in
            let query = sql.select().columns(Self.entryColumns).from("audit_entries")
            if let code = filter.resourceCode { query.where("resource_code", .equal, code) }
            if let consumer = filter.consumerDepartmentID { query.where("consumer_department_id", .equal, consumer) }
            if let action = filter.action { query.where("action", .equal, action.rawValue) }
            if let outcome = filter.outcome { query.where("outcome", .equal, outcome) }
            if let from = filter.from { query.where("time_us", .greaterThanOrEqual, AuditEvent.microseconds(from)) }
            if let to = filter.to { query.where("time_us", .lessThan, AuditEvent.microseconds(to)) }
            if let before = filter.beforeSequence { query.where("seq", .lessThan, before) }
            return try await query.orderBy("seq", .descending).limit(max(1, filter.limit)).all().map(Self.decode)
        }
    }

    func checkpoints(after: Int64, through: Int64, limit: Int) async throws -> [AuditCheckpoint] {
        try await provider.read { sql in
            try await sql.raw(
                """
                SELECT tree_size, root_hash, last_entry_hash, time_us, key_id, signature, suite FROM audit_checkpoints
                WHERE tree_size > \(bind: after) AND tree_size <= \(bind: through) ORDER BY tree_size LIMIT \(bind: limit)
                """
            ).all().map(Self.decodeCheckpoint)
        }
    }

    func latestCheckpoint() async throws -> AuditCheckpoint? {
        try await provider.read { sql in
            try await sql.raw(
                """
                SELECT tree_size, root_hash, last_entry_hash, time_us, key_id, signature, suite FROM audit_checkpoints
                ORDER BY tree_size DESC LIMIT 1
                """
            ).first().map(Self.decodeCheckpoint)
        }
    }

    func save(_ checkpoint: AuditCheckpoint) async throws -> Bool {
        try await provider.transaction { sql in
            try await sql.raw(
                """
                INSERT INTO audit_checkpoints (tree_size, root_hash, last_entry_hash, time_us, key_id, signature, suite)
                VALUES (\(bind: checkpoint.treeSize), \(bind: checkpoint.rootHash.hex),
                    \(bind: checkpoint.lastEntryHash.hex), \(bind: checkpoint.timeMicroseconds),
                    \(bind: checkpoint.keyID), \(bind: Data(checkpoint.signature).base64EncodedString()),
                    \(bind: checkpoint.suite.rawValue))
                ON CONFLICT (tree_size) DO NOTHING
                RETURNING tree_size
                """
            ).first() != nil
        }
    }

    func statistics(_ query: AuditStatisticsQuery) async throws -> [AuditStatisticsGroup] {
        let key: SQLQueryString =
            switch query.groupBy {
            case .day: "(time_us + \(bind: Int64(query.utcOffsetSeconds) * 1_000_000)) / 86400000000"
            case .resource: "resource_code"
            case .consumer: "consumer_department_id"
            }
        var scope: SQLQueryString = ""
        if let visible = query.visibleTo {
            let consumers = visible.consumers.sorted().map { "\($0)" }
            let providers = visible.providers.sorted().map { "\($0)" }
            // Ids are integers formatted here, never caller text, so they may be written into the statement.
            let clauses =
                (consumers.isEmpty ? [] : ["consumer_department_id IN (\(consumers.joined(separator: ",")))"])
                + (providers.isEmpty ? [] : ["provider_department_id IN (\(providers.joined(separator: ",")))"])
            scope = " AND (\(unsafeRaw: clauses.isEmpty ? "1 = 0" : clauses.joined(separator: " OR ")))"
        }
        var statement: SQLQueryString = "SELECT "
        statement.appendInterpolation(key)
        statement.appendLiteral(
            """
             AS group_key, latency_bucket, COUNT(*) AS calls,
                CAST(SUM(CASE WHEN outcome = 'allowed' THEN 1 ELSE 0 END) AS BIGINT) AS allowed,
                CAST(SUM(CASE WHEN outcome = 'denied' THEN 1 ELSE 0 END) AS BIGINT) AS denied,
                CAST(SUM(CASE WHEN outcome = 'failed' THEN 1 ELSE 0 END) AS BIGINT) AS failed,
                CAST(SUM(rows_returned) AS BIGINT) AS rows_served
            FROM audit_entries WHERE action LIKE 'gateway.%' AND time_us >= 
            """)
        statement.appendInterpolation(bind: AuditEvent.microseconds(query.from))
        statement.appendLiteral(" AND time_us < ")
        statement.appendInterpolation(bind: AuditEvent.microseconds(query.to))
        statement.appendInterpolation(scope)
        statement.appendLiteral(" GROUP BY 1, latency_bucket")
        let grouping = query.groupBy
        let finished = statement
        let rows = try await provider.read { sql in try await sql.raw(finished).all() }
        var groups: [String: AuditStatisticsGroup] = [:]
        for row in rows {
            let name: String
            switch grouping {
            case .day:
                name = Self.dayName(try row.decode(column: "group_key", as: Int64.self))
            case .resource:
                name = try row.decode(column: "group_key", as: String?.self) ?? ""
            case .consumer:
                name = try row.decode(column: "group_key", as: Int64?.self).map { "\($0)" } ?? ""
            }
            let calls = try row.decode(column: "calls", as: Int64.self)
            var group = groups[name] ?? AuditStatisticsGroup(key: name)
            group.calls += calls
            group.allowed += try row.decode(column: "allowed", as: Int64.self)
            group.denied += try row.decode(column: "denied", as: Int64.self)
            group.failed += try row.decode(column: "failed", as: Int64.self)
            group.rowsServed += try row.decode(column: "rows_served", as: Int64.self)
            group.latencyBuckets[try row.decode(column: "latency_bucket", as: Int.self), default: 0] += calls
            groups[name] = group
        }
        return groups.values.sorted { $0.key < $1.key }
    }

    /// `2025-03-01` for a day number counted from 1970-01-01 (already shifted to local time).
    static func dayName(_ day: Int64) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 0)!
        let date = Date(timeIntervalSince1970: Double(day) * 86_400)
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
    }

    // MARK: Encoding

    /// Every column but the sequence number and the two hashes, in `entryColumns` order.
    static func encodeColumns(_ event: AuditEvent) throws -> [SQLBind] {
        let event = try event.validated()
        return [
            SQLBind(event.timeMicroseconds), SQLBind(event.action.rawValue), SQLBind(event.consumerDepartmentID),
            SQLBind(event.applicationSystemID), SQLBind(event.userID), SQLBind(event.providerDepartmentID),
            SQLBind(event.resourceCode), SQLBind(event.grantID), SQLBind(event.purpose),
            SQLBind(jsonArray(event.queriedKeyHashes)), SQLBind(event.rowsReturned), SQLBind(event.outcome.name),
            SQLBind(event.outcome.reason), SQLBind(event.latencyMicroseconds),
            SQLBind(LatencyBuckets.bucket(microseconds: event.latencyMicroseconds)),
            SQLBind(jsonObject(event.detail)),
        ]
    }

    // The two JSON columns are written by hand: JSONEncoder cost about 1 % of a gateway call's CPU for a list of
    // hex hashes and a mostly empty dictionary. Only the decoded values matter (the entry's hash is computed from
    // the event, not from this text); keys are sorted so the same detail is always stored alike.

    static func jsonArray(_ values: [String]) -> String {
        var text = "["
        for (index, value) in values.enumerated() {
            if index > 0 { text += "," }
            JSONString.append(value, to: &text)
        }
        return text + "]"
    }

    static func jsonObject(_ members: [String: String]) -> String {
        var text = "{"
        for (index, key) in members.keys.sorted().enumerated() {
            if index > 0 { text += "," }
            JSONString.append(key, to: &text)
            text += ":"
            JSONString.append(members[key] ?? "", to: &text)
        }
        return text + "}"
    }

    /// Decodes a row; a column that no longer decodes makes the record unreadable rather than failing the read,
    /// so that verification can name the entry and listing can still show its neighbours.
    static func decode(_ row: any SQLRow) throws -> AuditEntryRecord {
        let sequence = try row.decode(column: "seq", as: Int64.self)
        var column = ""
        do {
            column = "outcome"
            let name = try row.decode(column: "outcome", as: String.self)
            let reason = try row.decode(column: "reason", as: String?.self)
            guard let outcome = AuditOutcome(name: name, reason: reason) else {
                return .unreadable(sequence: sequence, column: column)
            }
            column = "key_hashes"
            let keys = try JSONDecoder().decode(
                [String].self, from: Data(try row.decode(column: "key_hashes", as: String.self).utf8))
            column = "detail"
            let detail = try JSONDecoder().decode(
                [String: String].self, from: Data(try row.decode(column: "detail", as: String.self).utf8))
            column = "prev_hash"
            guard let previous = AuditHash(hex: try row.decode(column: "prev_hash", as: String.self)) else {
                return .unreadable(sequence: sequence, column: column)
            }
            column = "hash"
            guard let hash = AuditHash(hex: try row.decode(column: "hash", as: String.self)) else {
                return .unreadable(sequence: sequence, column: column)
            }
            column = "suite"
            guard let suite = CryptoSuiteID(rawValue: try row.decode(column: "suite", as: String.self)) else {
                return .unreadable(sequence: sequence, column: column)
            }
            column = "fields"
            var event = AuditEvent(
                action: AuditAction(rawValue: try row.decode(column: "action", as: String.self)),
                consumerDepartmentID: try row.decode(column: "consumer_department_id", as: Int64?.self),
                applicationSystemID: try row.decode(column: "application_system_id", as: Int64?.self),
                userID: try row.decode(column: "user_id", as: Int64?.self),
                providerDepartmentID: try row.decode(column: "provider_department_id", as: Int64?.self),
                resourceCode: try row.decode(column: "resource_code", as: String?.self),
                grantID: try row.decode(column: "grant_id", as: Int64?.self),
                purpose: try row.decode(column: "purpose", as: String?.self), queriedKeyHashes: keys,
                rowsReturned: try row.decode(column: "rows_returned", as: Int64.self), outcome: outcome,
                latencyMicroseconds: try row.decode(column: "latency_us", as: Int64.self), detail: detail)
            event.timeMicroseconds = try row.decode(column: "time_us", as: Int64.self)
            return .entry(
                AuditEntry(sequence: sequence, previousHash: previous, event: event, suite: suite, hash: hash))
        } catch {
            return .unreadable(sequence: sequence, column: column)
        }
    }

    static func decodeCheckpoint(_ row: any SQLRow) throws -> AuditCheckpoint {
        let size = try row.decode(column: "tree_size", as: Int64.self)
        // A checkpoint whose hashes do not parse keeps zero hashes and no signature: it then fails verification
        // by name instead of stopping the walk with a decoding error. So does one of an unknown suite.
        let suite = CryptoSuiteID(rawValue: try row.decode(column: "suite", as: String.self))
        return AuditCheckpoint(
            treeSize: size, rootHash: AuditHash(hex: try row.decode(column: "root_hash", as: String.self)) ?? .zero,
            lastEntryHash: AuditHash(hex: try row.decode(column: "last_entry_hash", as: String.self)) ?? .zero,
            timeMicroseconds: try row.decode(column: "time_us", as: Int64.self),
            keyID: try row.decode(column: "key_id", as: String.self), suite: suite ?? .gm,
            signature: suite == nil
                ? [] : Data(base64Encoded: try row.decode(column: "signature", as: String.self)).map { Array($0) } ?? []
        )
    }
}
