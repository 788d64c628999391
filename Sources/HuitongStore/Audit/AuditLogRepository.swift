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
    /// Whether to count calls per latency bucket too (a second, larger rollup): only what shows percentiles asks.
    public var latency: Bool

    public init(
        from: Date, to: Date, groupBy: AuditStatisticsGrouping,
        visibleTo: (consumers: Set<Int64>, providers: Set<Int64>)? = nil, latency: Bool = false
    ) {
        self.from = from
        self.to = to
        self.groupBy = groupBy
        self.visibleTo = visibleTo
        self.latency = latency
    }

    /// The local days (`AuditCalendar`, UTC+8) the statistics count, first and last: statistics are read from
    /// daily rollups, so they count whole days, from the day `from` falls on through the day of the instant
    /// before `to`. Nil when the range is empty.
    public var days: ClosedRange<Int64>? {
        let first = AuditCalendar.day(from)
        let last = AuditCalendar.day(microseconds: AuditEvent.microseconds(to) - 1)
        return to > from && first <= last ? first...last : nil
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.from == rhs.from && lhs.to == rhs.to && lhs.groupBy == rhs.groupBy
            && lhs.visibleTo?.consumers == rhs.visibleTo?.consumers
            && lhs.visibleTo?.providers == rhs.visibleTo?.providers && lhs.latency == rhs.latency
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(from)
        hasher.combine(to)
        hasher.combine(groupBy)
        hasher.combine(visibleTo?.consumers)
        hasher.combine(visibleTo?.providers)
        hasher.combine(latency)
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
    /// Calls per latency bucket (`LatencyBuckets`); empty unless the query asked for `latency`.
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
    /// Gateway calls counted from the daily rollups (never by scanning entries), over whole days.
    func statistics(_ query: AuditStatisticsQuery) async throws -> [AuditStatisticsGroup]
    /// The chain's state at the end of the archived months whose entries were pruned (nil when none were): the
    /// live log starts after it.
    func prunedBoundary() async throws -> AuditChain?
}

struct SQLAuditLogRepository: AuditLogRepository {
    let provider: any DatabaseProvider
    /// PostgreSQL's month partitions this process made sure of.
    var partitions = AuditPartitionCache()

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
        if provider.backend == .postgres {
            let months = Set(events.map { AuditCalendar.month(microseconds: $0.timeMicroseconds) })
            let missing = partitions.missing(months)
            if !missing.isEmpty {
                // This month's partition and the next one's, ahead of time; the default partition would catch an
                // entry meanwhile, so this is never what fails an append.
                let ahead = missing.union(missing.map(\.next))
                try await provider.transaction { sql in
                    for month in ahead.sorted() { try await AuditPartitions.create(month, sql) }
                }
                partitions.insert(ahead)
            }
        }
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
            try await Self.rollUp(events, sql)
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
        do {
            return try chain(
                sequence: try row.decode(column: "seq", as: Int64.self),
                hash: try row.decode(column: "hash", as: String.self),
                frontier: try row.decode(column: "frontier", as: String.self))
        } catch {
            throw StoreError.unsafeDatabase("the audit log's chain head row is malformed")
        }
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
        guard let days = query.days else { return [] }
        let key: String =
            switch query.groupBy {
            case .day: "day"
            case .resource: "resource_code"
            case .consumer: "consumer_department_id"
            }
        var scope = ""
        if let visible = query.visibleTo {
            let consumers = visible.consumers.sorted().map { "\($0)" }
            let providers = visible.providers.sorted().map { "\($0)" }
            // Ids are integers formatted here, never caller text, so they may be written into the statement.
            let clauses =
                (consumers.isEmpty ? [] : ["consumer_department_id IN (\(consumers.joined(separator: ",")))"])
                + (providers.isEmpty ? [] : ["provider_department_id IN (\(providers.joined(separator: ",")))"])
            scope = " AND (\(clauses.isEmpty ? "1 = 0" : clauses.joined(separator: " OR ")))"
        }
        let calls: SQLQueryString = """
            SELECT \(unsafeRaw: key) AS group_key, outcome, CAST(SUM(calls) AS BIGINT) AS calls,
                CAST(SUM(rows_served) AS BIGINT) AS rows_served
            FROM audit_rollup_calls WHERE day >= \(bind: days.lowerBound) AND day <= \(bind: days.upperBound)\(unsafeRaw: scope)
            GROUP BY 1, outcome
            """
        // The smallest rollup that holds the answer: by day for everyone, a few thousand rows a year; by day or by
        // department within a scope, without the resource; by resource, the full one.
        let latencyTable =
            switch (query.groupBy, query.visibleTo == nil) {
            case (.resource, _): "audit_rollup_latency"
            case (.day, true): "audit_rollup_latency_days"
            default: "audit_rollup_latency_departments"
            }
        let latency: SQLQueryString = """
            SELECT \(unsafeRaw: key) AS group_key, latency_bucket, CAST(SUM(calls) AS BIGINT) AS calls
            FROM \(unsafeRaw: latencyTable) WHERE day >= \(bind: days.lowerBound) AND day <= \(bind: days.upperBound)\(unsafeRaw: scope)
            GROUP BY 1, latency_bucket
            """
        let withLatency = query.latency
        // The two queries run side by side, on two connections.
        async let latencyRead = withLatency ? provider.read { sql in try await sql.raw(latency).all() } : []
        let callRows = try await provider.read { sql in try await sql.raw(calls).all() }
        let latencyRows = try await latencyRead
        let grouping = query.groupBy
        func name(_ row: any SQLRow) throws -> String {
            switch grouping {
            case .day: return AuditCalendar.dayName(try row.decode(column: "group_key", as: Int64.self))
            case .resource: return try row.decode(column: "group_key", as: String.self)
            case .consumer:
                let id = try row.decode(column: "group_key", as: Int64.self)
                return id == 0 ? "" : "\(id)"
            }
        }
        var groups: [String: AuditStatisticsGroup] = [:]
        for row in callRows {
            let key = try name(row)
            let count = try row.decode(column: "calls", as: Int64.self)
            var group = groups[key] ?? AuditStatisticsGroup(key: key)
            group.calls += count
            switch try row.decode(column: "outcome", as: String.self) {
            case "allowed": group.allowed += count
            case "denied": group.denied += count
            default: group.failed += count
            }
            group.rowsServed += try row.decode(column: "rows_served", as: Int64.self)
            groups[key] = group
        }
        for row in latencyRows {
            let key = try name(row)
            let bucket = try row.decode(column: "latency_bucket", as: Int.self)
            let count = try row.decode(column: "calls", as: Int64.self)
            groups[key, default: AuditStatisticsGroup(key: key)].latencyBuckets[bucket, default: 0] += count
        }
        return groups.values.sorted { $0.key < $1.key }
    }

    func prunedBoundary() async throws -> AuditChain? {
        try await provider.read { sql in
            try await sql.raw(
                """
                SELECT last_seq, end_hash, end_frontier FROM audit_archives WHERE pruned_at_us IS NOT NULL
                ORDER BY last_seq DESC LIMIT 1
                """
            ).first().map { row in
                try Self.chain(
                    sequence: try row.decode(column: "last_seq", as: Int64.self),
                    hash: try row.decode(column: "end_hash", as: String.self),
                    frontier: try row.decode(column: "end_frontier", as: String.self))
            }
        }
    }

    /// A chain state as the head row and the archive register keep it: hex hashes, the frontier comma-separated.
    static func chain(sequence: Int64, hash: String, frontier: String) throws -> AuditChain {
        let roots = frontier.split(separator: ",").map { AuditHash(hex: String($0)) }
        guard let hash = AuditHash(hex: hash), !roots.contains(nil),
            let frontier = MerkleFrontier(size: sequence, roots: roots.compactMap { $0 })
        else {
            throw StoreError.unsafeDatabase("an audit chain state (head or archive boundary) is malformed")
        }
        return AuditChain(sequence: sequence, lastHash: hash, frontier: frontier)
    }

    static func frontierText(_ chain: AuditChain) -> String {
        chain.frontier.roots.map(\.hex).joined(separator: ",")
    }

    /// Adds a batch's gateway calls to the rollups, in the batch's transaction.
    static func rollUp(_ events: [AuditEvent], _ sql: any SQLDatabase) async throws {
        struct CallKey: Hashable, Comparable {
            var day: Int64, consumer: Int64, provider: Int64, resource: String, system: Int64, outcome: String
            static func < (a: Self, b: Self) -> Bool {
                (a.day, a.consumer, a.provider, a.resource, a.system, a.outcome)
                    < (b.day, b.consumer, b.provider, b.resource, b.system, b.outcome)
            }
        }
        struct LatencyKey: Hashable, Comparable {
            var day: Int64, consumer: Int64, provider: Int64, resource: String, bucket: Int
            static func < (a: Self, b: Self) -> Bool {
                (a.day, a.consumer, a.provider, a.resource, a.bucket)
                    < (b.day, b.consumer, b.provider, b.resource, b.bucket)
            }
        }
        struct DepartmentLatencyKey: Hashable, Comparable {
            var day: Int64, consumer: Int64, provider: Int64, bucket: Int
            static func < (a: Self, b: Self) -> Bool {
                (a.day, a.consumer, a.provider, a.bucket) < (b.day, b.consumer, b.provider, b.bucket)
            }
        }
        struct DayLatencyKey: Hashable, Comparable {
            var day: Int64, bucket: Int
            static func < (a: Self, b: Self) -> Bool { (a.day, a.bucket) < (b.day, b.bucket) }
        }
        var calls: [CallKey: (calls: Int64, rows: Int64)] = [:]
        var latency: [LatencyKey: Int64] = [:]
        var departmentLatency: [DepartmentLatencyKey: Int64] = [:]
        var dayLatency: [DayLatencyKey: Int64] = [:]
        for event in events where event.action.isGatewayCall {
            let day = AuditCalendar.day(microseconds: event.timeMicroseconds)
            let consumer = event.consumerDepartmentID ?? 0
            let provider = event.providerDepartmentID ?? 0
            let resource = event.resourceCode ?? ""
            let key = CallKey(
                day: day, consumer: consumer, provider: provider, resource: resource,
                system: event.applicationSystemID ?? 0, outcome: event.outcome.name)
            let sum = calls[key] ?? (0, 0)
            calls[key] = (sum.calls + 1, sum.rows + event.rowsReturned)
            let bucket = LatencyBuckets.bucket(microseconds: event.latencyMicroseconds)
            latency[
                LatencyKey(day: day, consumer: consumer, provider: provider, resource: resource, bucket: bucket),
                default: 0] += 1
            departmentLatency[
                DepartmentLatencyKey(day: day, consumer: consumer, provider: provider, bucket: bucket), default: 0] += 1
            dayLatency[DayLatencyKey(day: day, bucket: bucket), default: 0] += 1
        }
        // In key order, so that two writers could never lock the same rows in opposite orders.
        for chunk in calls.keys.sorted().chunked(rowsPerStatement) {
            let insert = sql.insert(into: "audit_rollup_calls").columns(
                "day", "consumer_department_id", "provider_department_id", "resource_code", "application_system_id",
                "outcome", "calls", "rows_served")
            for key in chunk {
                let sum = calls[key] ?? (0, 0)
                insert.values(
                    SQLBind(key.day), SQLBind(key.consumer), SQLBind(key.provider), SQLBind(key.resource),
                    SQLBind(key.system), SQLBind(key.outcome), SQLBind(sum.calls), SQLBind(sum.rows))
            }
            try await insert.onConflict(
                with: [
                    "day", "consumer_department_id", "provider_department_id", "resource_code",
                    "application_system_id", "outcome",
                ]
            ) {
                $0.set(SQLColumn("calls"), to: SQLRaw("audit_rollup_calls.calls + excluded.calls"))
                    .set(SQLColumn("rows_served"), to: SQLRaw("audit_rollup_calls.rows_served + excluded.rows_served"))
            }.run()
        }
        for chunk in latency.keys.sorted().chunked(rowsPerStatement) {
            let insert = sql.insert(into: "audit_rollup_latency").columns(
                "day", "consumer_department_id", "provider_department_id", "resource_code", "latency_bucket", "calls")
            for key in chunk {
                insert.values(
                    SQLBind(key.day), SQLBind(key.consumer), SQLBind(key.provider), SQLBind(key.resource),
                    SQLBind(key.bucket), SQLBind(latency[key] ?? 0))
            }
            try await insert.onConflict(
                with: ["day", "consumer_department_id", "provider_department_id", "resource_code", "latency_bucket"]
            ) {
                $0.set(SQLColumn("calls"), to: SQLRaw("audit_rollup_latency.calls + excluded.calls"))
            }.run()
        }
        for chunk in departmentLatency.keys.sorted().chunked(rowsPerStatement) {
            let insert = sql.insert(into: "audit_rollup_latency_departments").columns(
                "day", "consumer_department_id", "provider_department_id", "latency_bucket", "calls")
            for key in chunk {
                insert.values(
                    SQLBind(key.day), SQLBind(key.consumer), SQLBind(key.provider), SQLBind(key.bucket),
                    SQLBind(departmentLatency[key] ?? 0))
            }
            try await insert.onConflict(
                with: ["day", "consumer_department_id", "provider_department_id", "latency_bucket"]
            ) {
                $0.set(SQLColumn("calls"), to: SQLRaw("audit_rollup_latency_departments.calls + excluded.calls"))
            }.run()
        }
        for chunk in dayLatency.keys.sorted().chunked(rowsPerStatement) {
            let insert = sql.insert(into: "audit_rollup_latency_days").columns("day", "latency_bucket", "calls")
            for key in chunk {
                insert.values(SQLBind(key.day), SQLBind(key.bucket), SQLBind(dayLatency[key] ?? 0))
            }
            try await insert.onConflict(with: ["day", "latency_bucket"]) {
                $0.set(SQLColumn("calls"), to: SQLRaw("audit_rollup_latency_days.calls + excluded.calls"))
            }.run()
        }
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

extension Array {
    /// The array in consecutive slices of at most `size` elements.
    func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
