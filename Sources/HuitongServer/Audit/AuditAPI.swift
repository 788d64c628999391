import Foundation
import HuitongCore
import HuitongCrypto
import HuitongServices
import HuitongStore
import Hummingbird

/// `/api/v1/node`, `/api/v1/audit/…` and `/api/v1/statistics/gateway`.
///
/// The node's public key is public: anyone holding an exported log can check its checkpoints. The log itself is
/// for the bureau and its auditors; statistics are for everyone about their own calls.
struct AuditAPI {
    let store: Store
    let audit: AuditTrail
    let verifications: AuditVerificationCache

    func register(on api: RouterGroup<HuitongRequestContext>) {
        api.get("node", use: node)
        api.get("audit/entries", use: entries)
        api.get("audit/verification", use: verification)
        api.get("statistics/gateway", use: statistics)
    }

    // MARK: Node key

    struct NodeBody: Codable {
        /// The Ed25519 node key (cascade messages, and checkpoints signed under intl).
        var algorithm: String
        var keyID: String
        var publicKey: String
        /// The suite the node writes under now (`gm` or `intl`).
        var suite: String
        /// Every key the node's own checkpoints may carry, the current one first.
        var checkpointKeys: [CheckpointKeyBody]
    }

    struct CheckpointKeyBody: Codable {
        var algorithm: String
        var keyID: String
        /// SubjectPublicKeyInfo PEM, what `openssl pkeyutl -verify -pubin -inkey` reads.
        var publicKeyPEM: String
    }

    func node(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try JSONResponse.make(
            NodeBody(
                algorithm: NodePublicKey.algorithm, keyID: audit.publicKey.keyID, publicKey: audit.publicKey.base64,
                suite: audit.suite.rawValue,
                checkpointKeys: audit.trustedCheckpointKeys.map {
                    CheckpointKeyBody(
                        algorithm: $0.algorithm.rawValue, keyID: $0.keyID, publicKeyPEM: $0.pemRepresentation)
                }))
    }

    // MARK: Entries

    struct EntryBody: Codable {
        var sequence: Int64
        /// False when the stored row no longer decodes; only `sequence` and `unreadableColumn` are then given.
        var readable: Bool
        var unreadableColumn: String?
        var time: Date?
        var action: String?
        var consumerDepartmentID: Int64?
        var applicationSystemID: Int64?
        var userID: Int64?
        var providerDepartmentID: Int64?
        var resourceCode: String?
        var grantID: Int64?
        var purpose: String?
        var queriedKeyHashes: [String]?
        var rowsReturned: Int64?
        var outcome: String?
        var reason: String?
        var latencyMicroseconds: Int64?
        var detail: [String: String]?
        var previousHash: String?
        var hash: String?

        init(_ record: AuditEntryRecord) {
            sequence = record.sequence
            switch record {
            case .unreadable(_, let column):
                readable = false
                unreadableColumn = column
            case .entry(let entry):
                let event = entry.event
                readable = true
                time = event.time
                action = event.action.rawValue
                consumerDepartmentID = event.consumerDepartmentID
                applicationSystemID = event.applicationSystemID
                userID = event.userID
                providerDepartmentID = event.providerDepartmentID
                resourceCode = event.resourceCode
                grantID = event.grantID
                purpose = event.purpose
                queriedKeyHashes = event.queriedKeyHashes
                rowsReturned = event.rowsReturned
                outcome = event.outcome.name
                reason = event.outcome.reason
                latencyMicroseconds = event.latencyMicroseconds
                detail = event.detail
                previousHash = entry.previousHash.hex
                hash = entry.hash.hex
            }
        }
    }

    struct EntriesBody: Codable {
        var items: [EntryBody]
        /// Pass as `before` for the next (older) page; absent on the last page.
        var nextBefore: Int64?
    }

    func entries(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try context.require(.auditReadLog)
        let parameters = request.uri.queryParameters
        var issues = ValidationCollector()
        var filter = AuditEntryFilter()
        filter.resourceCode = parameters["resourceCode"].map(String.init)
        filter.action = parameters["action"].map { AuditAction(rawValue: String($0)) }
        filter.consumerDepartmentID = Self.positive(parameters["consumerDepartmentID"], "consumerDepartmentID", &issues)
        filter.beforeSequence = Self.positive(parameters["before"], "before", &issues)
        if let outcome = parameters["outcome"].map(String.init) {
            if ["allowed", "denied", "failed"].contains(outcome) {
                filter.outcome = outcome
            } else {
                issues.add(
                    "outcome", BilingualText(zh: "须为 allowed、denied 或 failed", en: "must be allowed, denied or failed"))
            }
        }
        filter.from = Self.instant(parameters["from"], "from", endOfDay: false, &issues)
        filter.to = Self.instant(parameters["to"], "to", endOfDay: true, &issues)
        let limit = parameters["limit"].map { Int(String($0)) } ?? 50
        if let limit, (1...500).contains(limit) {
            filter.limit = limit
        } else {
            issues.add("limit", BilingualText(zh: "须为 1–500 的整数", en: "must be an integer from 1 to 500"))
        }
        try issues.throwIfAny()
        let records = try await audit.repository.search(filter)
        let next = records.count == filter.limit ? records.last?.sequence : nil
        return try JSONResponse.make(EntriesBody(items: records.map(EntryBody.init), nextBefore: next))
    }

    // MARK: Verification

    struct CheckpointBody: Codable {
        var treeSize: Int64
        var rootHash: String
        var lastEntryHash: String
        var time: Date
        var keyID: String
        var signature: String

        init(_ checkpoint: AuditCheckpoint) {
            treeSize = checkpoint.treeSize
            rootHash = checkpoint.rootHash.hex
            lastEntryHash = checkpoint.lastEntryHash.hex
            time = checkpoint.time
            keyID = checkpoint.keyID
            signature = Data(checkpoint.signature).base64EncodedString()
        }
    }

    struct VerificationBody: Codable {
        /// `ok` or `failed`.
        var status: String
        var startedAt: Date
        var finishedAt: Date
        var headSequence: Int64
        var entriesChecked: Int64?
        var checkpointsVerified: Int64?
        var unsignedEntries: Int64?
        var lastCheckpoint: CheckpointBody?
        var firstBadSequence: Int64?
        var reason: String?
        var message: String?

        init(_ report: AuditLogVerification.Report) {
            startedAt = report.startedAt
            finishedAt = report.finishedAt
            headSequence = report.headSequence
            switch report.outcome {
            case .success(let summary):
                status = "ok"
                entriesChecked = summary.entriesChecked
                checkpointsVerified = summary.checkpointsVerified
                unsignedEntries = summary.unsignedEntries
                lastCheckpoint = summary.lastCheckpoint.map(CheckpointBody.init)
            case .failure(let failure):
                status = "failed"
                firstBadSequence = failure.sequence
                reason = failure.reason.code
                message = failure.message.combined
            }
        }
    }

    func verification(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try context.require(.auditVerifyLog)
        let refresh = try request.booleanQuery("refresh")
        let report = try await verifications.report(refresh: refresh) { [audit] in
            try await AuditLogVerification.run(audit.repository, trustedKeys: audit.trustedCheckpointKeys)
        }
        return try JSONResponse.make(VerificationBody(report))
    }

    // MARK: Statistics

    struct StatisticsBody: Codable {
        var groupBy: String
        var from: Date
        var to: Date
        var groups: [GroupBody]
    }

    struct GroupBody: Codable {
        var key: String
        /// The department's or resource's name, when it still exists.
        var name: String?
        var calls: Int64
        var allowed: Int64
        var denied: Int64
        var failed: Int64
        var rowsServed: Int64
        var latencyMs: LatencyBody
    }

    struct LatencyBody: Codable {
        var p50: Double?
        var p95: Double?
        var p99: Double?
    }

    func statistics(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let parameters = request.uri.queryParameters
        var issues = ValidationCollector()
        let grouping = AuditStatisticsGrouping(rawValue: parameters["groupBy"].map(String.init) ?? "day")
        if grouping == nil {
            issues.add(
                "groupBy", BilingualText(zh: "须为 day、resource 或 consumer", en: "must be day, resource or consumer"))
        }
        let now = Date()
        let to = Self.instant(parameters["to"], "to", endOfDay: true, &issues) ?? now
        let from = Self.instant(parameters["from"], "from", endOfDay: false, &issues) ?? to - 30 * 86_400
        if from >= to {
            issues.add("from", BilingualText(zh: "须早于结束时间", en: "must be before to"))
        }
        try issues.throwIfAny()
        guard let grouping else { return Response(status: .badRequest) }
        var query = AuditStatisticsQuery(from: from, to: to, groupBy: grouping, latency: true)
        query.visibleTo = Self.visibleCalls(for: user)
        let groups = try await audit.repository.statistics(query)
        var names: [String: String] = [:]
        if grouping == .consumer {
            for department in try await store.departments.list() { names["\(department.id)"] = department.name }
        }
        let milliseconds = { (value: Double?) in value.map { ($0 / 1_000 * 1_000).rounded() / 1_000 } }
        return try JSONResponse.make(
            StatisticsBody(
                groupBy: grouping.rawValue, from: from, to: to,
                groups: groups.map { group in
                    GroupBody(
                        key: group.key, name: names[group.key], calls: group.calls, allowed: group.allowed,
                        denied: group.denied, failed: group.failed, rowsServed: group.rowsServed,
                        latencyMs: LatencyBody(
                            p50: milliseconds(group.latencyPercentile(0.5)),
                            p95: milliseconds(group.latencyPercentile(0.95)),
                            p99: milliseconds(group.latencyPercentile(0.99))))
                }))
    }

    /// The calls `user` may count: every call for the operator and auditors; otherwise the calls their
    /// department made as consumer, and the calls served from its resources.
    static func visibleCalls(for user: User) -> (consumers: Set<Int64>, providers: Set<Int64>)? {
        if AccessPolicy.reachesEveryDepartment(user, .auditReadCallsMade)
            && AccessPolicy.reachesEveryDepartment(user, .auditReadCallsServed)
        {
            return nil
        }
        return (
            consumers: AccessPolicy.allows(user, .auditReadCallsMade) ? [user.departmentID] : [],
            providers: AccessPolicy.allows(user, .auditReadCallsServed) ? [user.departmentID] : []
        )
    }

    // MARK: Parameters

    static func positive(_ text: Substring?, _ field: String, _ issues: inout ValidationCollector) -> Int64? {
        guard let text else { return nil }
        guard let value = Int64(String(text)), value > 0 else {
            issues.add(field, BilingualText(zh: "须为正整数", en: "must be a positive integer"))
            return nil
        }
        return value
    }

    /// An ISO 8601 date-time, or a date `2025-03-01` meaning the start of that day in China Standard Time (its
    /// end, i.e. the next day's start, when `endOfDay`, so that `to=2025-03-31` includes the 31st).
    static func instant(_ text: Substring?, _ field: String, endOfDay: Bool, _ issues: inout ValidationCollector)
        -> Date?
    {
        guard let text = text.map(String.init) else { return nil }
        if let date = try? Date(text, strategy: .iso8601) { return date }
        if let day = CalendarDate(iso: text) {
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = CalendarDate.chinaTimeZone
            if let start = calendar.date(from: DateComponents(year: day.year, month: day.month, day: day.day)) {
                return endOfDay ? start + 86_400 : start
            }
        }
        issues.add(
            field,
            BilingualText(
                zh: "须为日期（2025-03-01）或 ISO 8601 时间", en: "must be a date (2025-03-01) or an ISO 8601 date-time"))
        return nil
    }
}

/// The latest verification result, so that the console does not walk the whole log on every page view; one run
/// at a time, shared by the requests that arrive while it runs.
actor AuditVerificationCache {
    private var latest: AuditLogVerification.Report?
    private var running: Task<AuditLogVerification.Report, any Error>?
    /// How old a result may be before a request runs a new verification.
    let maximumAge: TimeInterval

    init(maximumAge: TimeInterval = 300) {
        self.maximumAge = maximumAge
    }

    func report(
        refresh: Bool, run: @escaping @Sendable () async throws -> AuditLogVerification.Report
    ) async throws -> AuditLogVerification.Report {
        if !refresh, let latest, Date().timeIntervalSince(latest.finishedAt) < maximumAge { return latest }
        if let running { return try await running.value }
        let task = Task { try await run() }
        running = task
        defer { running = nil }
        let report = try await task.value
        latest = report
        return report
    }
}

extension AuditVerificationFailure.Reason {
    /// A stable code for API clients.
    var code: String {
        switch self {
        case .edited: "edited"
        case .missing: "missing"
        case .outOfOrder: "out_of_order"
        case .inserted: "inserted"
        case .brokenLink: "broken_link"
        case .truncated: "truncated"
        case .headMismatch: "head_mismatch"
        case .checkpointMismatch: "checkpoint_mismatch"
        case .badSignature: "bad_signature"
        case .unknownKey: "unknown_key"
        case .checkpointOutOfOrder: "checkpoint_out_of_order"
        case .boundaryUnproven: "boundary_unproven"
        }
    }
}
