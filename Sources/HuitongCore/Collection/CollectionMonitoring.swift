import Foundation

/// How a failed scheduled run is tried again, and when a failing or late source is told to its provider and the
/// operator (`HUITONG_COLLECTION_*` settings).
public struct CollectionRetryPolicy: Sendable, Hashable {
    /// The wait before the first retry; each further retry waits twice as long.
    public var firstDelay: TimeInterval
    /// The longest wait between retries.
    public var maxDelay: TimeInterval
    /// Retries after a failure before the source waits for its next cycle.
    public var attempts: Int
    /// Failures in a row at which the provider and the operator are told.
    public var alertAfterFailures: Int
    /// The share of a cycle a source may run past its due time before it counts as late.
    public var graceShare: Double
    /// The longest such grace.
    public var maxGrace: TimeInterval

    public init(
        firstDelay: TimeInterval = 60, maxDelay: TimeInterval = 900, attempts: Int = 3, alertAfterFailures: Int = 3,
        graceShare: Double = 0.25, maxGrace: TimeInterval = 3600
    ) {
        self.firstDelay = firstDelay
        self.maxDelay = maxDelay
        self.attempts = attempts
        self.alertAfterFailures = alertAfterFailures
        self.graceShare = graceShare
        self.maxGrace = maxGrace
    }

    /// The time a source may run past its due time before it counts as late: a share of its cycle (a quarter),
    /// capped (an hour): a run due now takes a while, and a failed one is retried within minutes.
    public func grace(cycle: TimeInterval) -> TimeInterval { max(0, min(cycle * graceShare, maxGrace)) }

    /// Every setting out of range, named as the operator typed it.
    public func validate(_ issues: inout ValidationCollector) {
        if !(firstDelay >= 1) {
            issues.add(
                "HUITONG_COLLECTION_RETRY_FIRST_SECONDS", BilingualText(zh: "须至少 1 秒", en: "must be at least 1 s"))
        }
        if !(maxDelay >= firstDelay) {
            issues.add(
                "HUITONG_COLLECTION_RETRY_MAX_SECONDS",
                BilingualText(zh: "不能小于首次重试等待时间", en: "must not be below the first retry's wait"))
        }
        issues.require(attempts, in: 0...100, "HUITONG_COLLECTION_RETRY_ATTEMPTS")
        issues.require(alertAfterFailures, in: 1...1000, "HUITONG_COLLECTION_ALERT_FAILURES")
        if !(0...1).contains(graceShare) {
            issues.add(
                "HUITONG_COLLECTION_LATE_GRACE_SHARE", BilingualText(zh: "须在 0–1 之间", en: "must be 0–1"))
        }
        if !(maxGrace >= 0) {
            issues.add(
                "HUITONG_COLLECTION_LATE_GRACE_MAX_SECONDS", BilingualText(zh: "不能为负数", en: "must not be negative"))
        }
    }

    /// The wait before retrying a source that has failed `failures` times in a row (1 min, 2 min, 4 min, … capped),
    /// or nil once the retries are spent.
    public func retryDelay(afterFailures failures: Int) -> TimeInterval? {
        guard failures >= 1, failures <= attempts else { return nil }
        return min(maxDelay, firstDelay * pow(2, Double(failures - 1)))
    }
}

/// The last finished run of a source, as monitoring shows it.
public struct CollectionRunSummary: Codable, Sendable, Hashable {
    public var runID: Int64
    public var status: CollectionRunStatus
    public var trigger: CollectionTrigger
    public var startedAt: Date
    public var finishedAt: Date?
    public var rowsRead: Int64
    public var rowsAccepted: Int64
    public var rowsRejected: Int64
    public var durationSeconds: Double?

    public init(_ run: CollectionRun) {
        runID = run.id
        status = run.status
        trigger = run.trigger
        startedAt = run.startedAt
        finishedAt = run.finishedAt
        rowsRead = run.rowsRead
        rowsAccepted = run.rowsAccepted
        rowsRejected = run.rowsRejected
        durationSeconds = run.finishedAt.map { max(0, $0.timeIntervalSince(run.startedAt)) }
    }
}

/// One source's health: when it last succeeded, how far it lags behind its cycle, its last run and its failures.
public struct CollectionSourceStatus: Codable, Sendable, Hashable {
    public var sourceID: Int64
    public var entryID: Int64
    public var departmentID: Int64
    public var name: String
    public var kind: CollectionSourceKind
    public var schedule: CollectionSchedule
    /// The cron expression of a `cron` schedule.
    public var cron: String?
    public var enabled: Bool
    /// The time between scheduled runs (for a cron schedule, the cycle after the last success); nil for a source
    /// run only by hand (or an irregular entry's).
    public var cycleSeconds: Double?
    /// The start of the last successful run: the pool holds the source as of then.
    public var lastSuccessAt: Date?
    /// When the next success is due: a cycle after the last one (or after the source was registered).
    public var dueAt: Date?
    /// Seconds past `dueAt` (0 when not yet due).
    public var lagSeconds: Double
    /// Whether the last success is within the cycle (with the policy's grace); nil without a cycle.
    public var onTime: Bool?
    public var lastRun: CollectionRunSummary?
    public var consecutiveFailures: Int
    /// Why the last run failed, while failures go on.
    public var lastFailure: BilingualText?
    public var nextRunAt: Date?
    /// Rows accepted by the source's successful runs, all told.
    public var rowsCollected: Int64

    public init(
        source: CollectionSource, cycle: TimeInterval?, lastRun: CollectionRun?, rowsCollected: Int64, at now: Date
    ) {
        self.init(
            source: source, cadence: cycle.map { .every($0) }, lastRun: lastRun, rowsCollected: rowsCollected, at: now)
    }

    /// The status of `source` run at `cadence` (nil: not scheduled), late past its due time plus `policy`'s grace.
    public init(
        source: CollectionSource, cadence: CollectionCadence?, lastRun: CollectionRun?, rowsCollected: Int64,
        at now: Date, policy: CollectionRetryPolicy = CollectionRetryPolicy()
    ) {
        sourceID = source.id
        entryID = source.entryID
        departmentID = source.departmentID
        name = source.name
        kind = source.kind
        schedule = source.schedule
        cron = source.cron?.text
        enabled = source.enabled
        let since = source.lastSuccessAt ?? source.createdAt
        let cycle = cadence?.cycle(after: since)
        cycleSeconds = cycle
        lastSuccessAt = source.lastSuccessAt
        self.lastRun = lastRun.map(CollectionRunSummary.init)
        consecutiveFailures = source.consecutiveFailures
        lastFailure = source.consecutiveFailures > 0 ? source.lastFailure : nil
        nextRunAt = source.nextRunAt
        self.rowsCollected = rowsCollected
        if let cycle, source.enabled, let due = cadence?.next(after: since) {
            dueAt = due
            lagSeconds = max(0, now.timeIntervalSince(due))
            onTime = lagSeconds <= policy.grace(cycle: cycle)
        } else {
            dueAt = nil
            lagSeconds = 0
            onTime = nil
        }
    }

    /// Whether the source is late beyond its cycle and grace.
    public var isLate: Bool { onTime == false }
}

/// A department's collection figures: its on-time rate (按时更新率) and what it has delivered (归集总量).
public struct DepartmentCollectionFigures: Codable, Sendable, Hashable {
    public var departmentID: Int64
    public var sources: Int
    /// Enabled sources with a cycle: the ones the on-time rate counts.
    public var scheduledSources: Int
    public var onTimeSources: Int
    /// `onTimeSources / scheduledSources`; nil when the department has no scheduled source.
    public var onTimeRate: Double?
    public var failingSources: Int
    public var rowsCollected: Int64
}

/// The collection monitoring figures: per source, per department, and the total collected (归集总量).
public struct CollectionMonitoring: Codable, Sendable, Hashable {
    public var generatedAt: Date
    public var rowsCollected: Int64
    public var departments: [DepartmentCollectionFigures]
    public var sources: [CollectionSourceStatus]

    public init(sources: [CollectionSourceStatus], at now: Date) {
        generatedAt = now
        self.sources = sources
        rowsCollected = sources.reduce(0) { $0 + $1.rowsCollected }
        departments = Dictionary(grouping: sources, by: \.departmentID).map { department, own in
            let scheduled = own.filter { $0.onTime != nil }
            let onTime = scheduled.filter { $0.onTime == true }.count
            return DepartmentCollectionFigures(
                departmentID: department, sources: own.count, scheduledSources: scheduled.count,
                onTimeSources: onTime,
                onTimeRate: scheduled.isEmpty ? nil : Double(onTime) / Double(scheduled.count),
                failingSources: own.filter { $0.consecutiveFailures > 0 }.count,
                rowsCollected: own.reduce(0) { $0 + $1.rowsCollected })
        }
        .sorted { $0.departmentID < $1.departmentID }
    }
}
