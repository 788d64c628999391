import Foundation
import HuitongCore
import HuitongIngest
import HuitongStore
import Logging

extension AuditAction {
    public static let collectionSourceRegistered = AuditAction(rawValue: "collection.source_registered")
    public static let collectionSourceChanged = AuditAction(rawValue: "collection.source_changed")
    public static let collectionSourceRemoved = AuditAction(rawValue: "collection.source_removed")
    public static let collectionRunFinished = AuditAction(rawValue: "collection.run_finished")
}

/// A change to a source: fields left nil stay as they are.
public struct CollectionSourcePatch: Sendable, Hashable {
    public var name: String?
    /// A PostgreSQL URL without a password keeps the saved password.
    public var location: String?
    public var table: String?
    public var query: String?
    public var columnMapping: [String: String]?
    public var watermark: SourceWatermark?
    /// Drops the watermark column (the source is then read whole every run).
    public var removeWatermark = false
    public var schedule: CollectionSchedule?
    /// The expression of a `cron` schedule (given with `schedule: .cron`, or alone to change it).
    public var cron: CronExpression?
    public var enabled: Bool?
    public var http: HTTPSourceOptions?
    /// A new secret for an HTTP JSON source (nil keeps the saved one).
    public var secret: String?

    public init() {}
}

/// What testing a source found: its columns, how they map to the entry's items, and a few rows masked by the
/// entry's masking (a drop directory: the files waiting to be taken).
public struct SourceTestResult: Sendable, Hashable, Codable {
    public var columns: [String]
    /// Source column → the item it fills (mapped, or an item of the same column name).
    public var matchedItems: [String: String]
    /// The entry's items no source column fills.
    public var missingItems: [String]
    public var sample: [[String]]
    public var files: [String]
}

/// Automated collection (归集): sources registered per catalog entry, tested, run by hand or on a schedule, each run
/// read whole (`sync`) or from its watermark (`upsert`) and loaded through the same `IngestRunner` as an upload.
public struct CollectionUseCases: Sendable {
    /// A run's job: the source and the run already claimed for it.
    public struct RunJob: Codable, Sendable, Hashable {
        public var sourceID: Int64
        public var runID: Int64
    }

    public static let kind = JobKind<RunJob>("collection.run")
    /// Rows a sample shows.
    public static let sampleRows = 5

    public let store: Store
    public let settings: IngestSettings
    /// Retries of failed scheduled runs and when failures and lateness are told (the settings').
    public var retry: CollectionRetryPolicy { settings.collectionRetry }
    let sealingKey: SealingKey?
    let uploads: UploadLoads
    let jobs: JobQueue
    let audit: AuditLog?
    let logger: Logger

    public init(
        store: Store, settings: IngestSettings, sealingKey: SealingKey?, uploads: UploadLoads, jobs: JobQueue,
        audit: AuditLog?, logger: Logger = Logger(label: "huitong.collection")
    ) {
        self.store = store
        self.settings = settings
        self.sealingKey = sealingKey
        self.uploads = uploads
        self.jobs = jobs
        self.audit = audit
        self.logger = logger
    }

    public func register(on jobs: JobQueue) {
        let collection = self
        jobs.register(Self.kind) { job, context in await collection.carryOut(job, context) }
    }

    // MARK: Sources

    /// Registers a source of `entryID`: the entry's provider officers or the operator.
    public func create(entryID: Int64, _ draft: CollectionSourceDraft, by user: User, at now: Date = Date())
        async throws -> CollectionSource
    {
        let entry = try await managedEntry(entryID, by: user)
        try await check(draft, entry: entry)
        let token = UUID().uuidString.lowercased()
        let (location, secret) = try seal(draft, token: token)
        let source = try await store.collectionSources.create(
            NewCollectionSource(
                entryID: entry.id, departmentID: entry.provider.departmentID, draft: draft, location: location,
                sealedSecret: secret, sealContext: CollectionSource.sealContext(token), createdBy: user.id,
                nextRunAt: nextRun(draft, entry: entry, after: now)),
            at: now)
        await record(.collectionSourceRegistered, source, entry: entry, user: user, at: now)
        return source
    }

    /// The sources `user` may see: their department's, or every one for the operator.
    public func list(by user: User) async throws -> [CollectionSource] {
        try AccessPolicy.require(user, .ingestUpload)
        let every = AccessPolicy.reachesEveryDepartment(user, .ingestUpload)
        return try await store.collectionSources.list(departmentID: every ? nil : user.departmentID)
    }

    /// A source `user` may manage; another department's is not found.
    public func source(_ id: Int64, by user: User) async throws -> CollectionSource {
        try AccessPolicy.require(user, .ingestUpload)
        guard let source = try await store.collectionSources.find(id: id),
            AccessPolicy.allows(user, .ingestUpload, department: source.departmentID)
        else { throw StoreError.notFound(entity: "collection source", key: "\(id)") }
        return source
    }

    public func update(_ id: Int64, _ patch: CollectionSourcePatch, by user: User, at now: Date = Date())
        async throws -> CollectionSource
    {
        var source = try await source(id, by: user)
        let entry = try await entry(source.entryID)
        var draft = source.settings
        // A table or a query given replaces both: giving both is refused below.
        if patch.table != nil || patch.query != nil { (draft.table, draft.query) = (patch.table, patch.query) }
        draft.name = patch.name ?? draft.name
        draft.columnMapping = patch.columnMapping ?? draft.columnMapping
        draft.watermark = patch.removeWatermark ? nil : patch.watermark ?? draft.watermark
        draft.schedule = patch.schedule ?? draft.schedule
        if patch.schedule != nil || patch.cron != nil { draft.cron = patch.cron }
        draft.enabled = patch.enabled ?? draft.enabled
        draft.http = patch.http ?? draft.http
        let token = String(source.sealContext.dropFirst(CollectionSource.sealContext("").count))
        if let location = patch.location {
            draft.location = location
            let (stored, sealed) = try seal(draft, token: token)
            draft.location = stored
            // A URL without a password keeps the one saved, unless it names another server or account; an API's
            // secret is not sent to another host.
            if sealed != nil || !Self.sameAccount(stored, source.location) { source.sealedSecret = sealed }
        }
        if let secret = patch.secret {
            draft.secret = secret
            source.sealedSecret = try seal(draft, token: token).1
        }
        try await check(draft, entry: entry)
        let before = source.settings
        if draft.table != before.table || draft.query != before.query || draft.watermark != before.watermark {
            // What was read before says nothing of another relation or column: the next run reads it whole.
            source.watermarkValue = nil
        }
        if draft.schedule != before.schedule || draft.cron != before.cron || draft.enabled != before.enabled {
            source.nextRunAt = nextRun(draft, entry: entry, after: now)
        }
        source.settings = draft
        let saved = try await store.collectionSources.update(source, at: now)
        await record(.collectionSourceChanged, saved, entry: entry, user: user, at: now)
        return saved
    }

    public func delete(_ id: Int64, by user: User, at now: Date = Date()) async throws {
        let source = try await source(id, by: user)
        _ = try await store.collectionSources.delete(id: id, at: now)
        let entry = try? await entry(source.entryID)
        await record(.collectionSourceRemoved, source, entry: entry, user: user, at: now)
    }

    /// Tests a saved source.
    public func test(_ id: Int64, by user: User) async throws -> SourceTestResult {
        let source = try await source(id, by: user)
        return try await test(source, entry: try await entry(source.entryID))
    }

    /// Tests a source before it is saved.
    public func test(entryID: Int64, _ draft: CollectionSourceDraft, by user: User) async throws -> SourceTestResult {
        let entry = try await managedEntry(entryID, by: user)
        try await check(draft, entry: entry)
        let token = UUID().uuidString.lowercased()
        let (location, secret) = try seal(draft, token: token)
        let source = CollectionSource(
            id: 0, entryID: entry.id, departmentID: entry.provider.departmentID, name: draft.name, kind: draft.kind,
            location: location, table: draft.table, query: draft.query, columnMapping: draft.columnMapping,
            watermark: draft.watermark, watermarkValue: nil, schedule: draft.schedule, enabled: draft.enabled,
            sealedSecret: secret, sealContext: CollectionSource.sealContext(token), createdBy: user.id,
            createdAt: Date(), updatedAt: Date(), nextRunAt: nil, http: draft.http, cron: draft.cron)
        return try await test(source, entry: entry)
    }

    func test(_ source: CollectionSource, entry: CatalogEntry) async throws -> SourceTestResult {
        let items = entry.content.items
        if source.kind == .dropDirectory {
            try checkRoot(source.location)
            let files = try DropDirectory(path: source.location, settle: settings.dropSettleSeconds).readyFiles()
            return SourceTestResult(
                columns: [], matchedItems: [:], missingItems: [], sample: [], files: files.map(\.lastPathComponent))
        }
        let sample = try await connector(for: source).sample(rows: Self.sampleRows)
        let byColumn = Dictionary(items.map { ($0.columnName, $0) }, uniquingKeysWith: { first, _ in first })
        var matched: [String: String] = [:]
        for column in sample.columns {
            let target = source.columnMapping[column] ?? column
            if byColumn[target] != nil { matched[column] = target }
        }
        let filled = Set(matched.values)
        let masked = sample.rows.map { row in
            row.enumerated().map { index, value -> String in
                guard index < sample.columns.count, !value.isEmpty else { return value }
                if let target = matched[sample.columns[index]], let item = byColumn[target] {
                    return RowValidator.reported(value, item)
                }
                // A column no item describes has no masking rule of its own: only its first character shows.
                return String(value.prefix(1)) + String(repeating: "*", count: min(6, max(1, value.count - 1)))
            }
        }
        return SourceTestResult(
            columns: sample.columns, matchedItems: matched,
            missingItems: items.map(\.columnName).filter { !filled.contains($0) }, sample: masked, files: [])
    }

    // MARK: Runs

    public func runs(_ id: Int64, by user: User, limit: Int = 50) async throws -> [CollectionRun] {
        _ = try await source(id, by: user)
        return try await store.collectionSources.runs(sourceID: id, limit: limit)
    }

    /// Claims the source and queues its run, answering with the run at once; a run already under way is a
    /// conflict.
    public func startRun(_ id: Int64, by user: User, at now: Date = Date()) async throws -> CollectionRun {
        let source = try await source(id, by: user)
        guard source.enabled else { throw CollectionFailure.disabled }
        guard let run = try await start(source, trigger: .manual, requestedBy: user.id, at: now) else {
            throw CollectionFailure.alreadyRunning
        }
        return run
    }

    /// Claims the source and carries out its run here and now, answering with the run as it ended (the CLI's
    /// `huitong source run`, which has no job queue serving it); a run already under way is a conflict.
    public func collectNow(_ id: Int64, by user: User, at now: Date = Date()) async throws -> CollectionRun {
        let source = try await source(id, by: user)
        guard source.enabled else { throw CollectionFailure.disabled }
        guard
            let run = try await store.collectionSources.startRun(
                sourceID: source.id, trigger: .manual,
                incremental: source.watermark != nil && source.watermarkValue != nil,
                requestedBy: user.id, leaseUntil: now.addingTimeInterval(settings.collectionLeaseSeconds), at: now)
        else { throw CollectionFailure.alreadyRunning }
        await carryOut(RunJob(sourceID: source.id, runID: run.id), JobContext(jobID: 0, attempt: 1, maxAttempts: 1))
        return try await store.collectionSources.run(id: run.id) ?? run
    }

    /// Claims and queues a run; nil when another run holds the source.
    func start(_ source: CollectionSource, trigger: CollectionTrigger, requestedBy: Int64?, at now: Date)
        async throws -> CollectionRun?
    {
        let incremental = source.watermark != nil && source.watermarkValue != nil
        guard
            let run = try await store.collectionSources.startRun(
                sourceID: source.id, trigger: trigger, incremental: incremental, requestedBy: requestedBy,
                leaseUntil: now.addingTimeInterval(settings.collectionLeaseSeconds), at: now)
        else { return nil }
        do {
            // Files are on this node's disk: their runs stay here.
            try await jobs.enqueue(
                Self.kind, RunJob(sourceID: source.id, runID: run.id),
                pinned: source.kind == .sqlite || source.kind == .dropDirectory)
        } catch {
            _ = try? await store.collectionSources.finishRun(
                id: run.id, CollectionRunOutcome(status: .failed, failure: Self.describe(error)),
                nextRunAt: source.nextRunAt, at: now)
            throw error
        }
        return run
    }

    /// The scheduler's pass: queues a run of every enabled source whose time has come, and tells the provider and
    /// the operator of every source late beyond its cycle (once, until it succeeds again); returns the runs started.
    @discardableResult
    public func sweep(at now: Date) async throws -> [CollectionRun] {
        await alertLate(at: now)
        var started: [CollectionRun] = []
        for source in try await store.collectionSources.due(at: now) {
            if Task.isCancelled { break }
            do {
                if let run = try await start(source, trigger: .schedule, requestedBy: nil, at: now) {
                    started.append(run)
                }
            } catch {
                logger.warning(
                    "scheduling a collection failed",
                    metadata: ["source": "\(source.id)", "error": "\(Self.describe(error).en)"])
            }
        }
        return started
    }

    // MARK: Monitoring

    /// Per source its last success, lag, last run and failures; per department its on-time rate (按时更新率) and
    /// rows collected (归集总量). The operator sees every department, a provider officer their own.
    public func monitoring(by user: User, at now: Date = Date()) async throws -> CollectionMonitoring {
        try AccessPolicy.require(user, .ingestUpload)
        let every = AccessPolicy.reachesEveryDepartment(user, .ingestUpload)
        return try await figures(departmentID: every ? nil : user.departmentID, at: now)
    }

    /// The monitoring figures of one department's sources (every department's when nil), for views whose caller
    /// has already been checked: the quality report's timeliness and the operator's overview.
    public func figures(departmentID: Int64?, at now: Date = Date()) async throws -> CollectionMonitoring {
        let activity = try await store.collectionSources.activity(departmentID: departmentID)
        var cycles = CycleCache(store: store)
        var statuses: [CollectionSourceStatus] = []
        for item in activity {
            statuses.append(
                CollectionSourceStatus(
                    source: item.source, cadence: try await cycles.cadence(of: item.source), lastRun: item.lastRun,
                    rowsCollected: item.rowsCollected, at: now, policy: retry))
        }
        return CollectionMonitoring(sources: statuses, at: now)
    }

    /// Tells of every enabled scheduled source late beyond its cycle and grace that has not been told of yet.
    func alertLate(at now: Date) async {
        do {
            var cycles = CycleCache(store: store)
            for source in try await store.collectionSources.list(departmentID: nil)
            where source.enabled && source.lateAlertedAt == nil {
                let status = CollectionSourceStatus(
                    source: source, cadence: try await cycles.cadence(of: source), lastRun: nil, rowsCollected: 0,
                    at: now, policy: retry)
                guard status.isLate, try await store.collectionSources.markLateAlerted(sourceID: source.id, at: now)
                else { continue }
                await alert(
                    .collectionLate, source, entry: try await cycles.entry(source.entryID),
                    failures: source.consecutiveFailures, reason: source.lastFailure, lag: status.lagSeconds, at: now)
            }
        } catch {
            logger.warning("checking late collection sources failed", metadata: ["error": "\(Self.describe(error).en)"])
        }
    }

    /// Notifies the source's provider officers and the operators that it is failing or late.
    func alert(
        _ kind: NotificationKind, _ source: CollectionSource, entry: CatalogEntry?, failures: Int,
        reason: BilingualText?, lag: TimeInterval = 0, at now: Date
    ) async {
        let what = entry.map { "（\($0.content.name)）" } ?? ""
        let whatEN = entry.map { " (\($0.content.name))" } ?? ""
        let title: BilingualText
        var body: BilingualText
        if kind == .collectionLate {
            let hours = Int((lag / 3600).rounded(.up))
            title = BilingualText(zh: "归集源“\(source.name)”逾期未更新", en: "collection source “\(source.name)” is late")
            body = BilingualText(
                zh: "归集源“\(source.name)”\(what)已超过更新周期约 \(hours) 小时未成功归集。",
                en: "source “\(source.name)”\(whatEN) has not been collected for about \(hours) h past its cycle.")
        } else {
            title = BilingualText(
                zh: "归集源“\(source.name)”连续失败 \(failures) 次",
                en: "collection source “\(source.name)” failed \(failures) times")
            body = BilingualText(
                zh: "归集源“\(source.name)”\(what)已连续 \(failures) 次归集失败。",
                en: "source “\(source.name)”\(whatEN) has failed \(failures) runs in a row.")
        }
        if let reason {
            body = BilingualText(zh: body.zh + "最近原因：\(reason.zh)", en: body.en + " Last reason: \(reason.en)")
        }
        do {
            _ = try await store.notifications.send(
                [
                    NotificationDraft(
                        audience: .department(source.departmentID, .provider), kind: kind, title: title, body: body),
                    NotificationDraft(audience: .role(.operator), kind: kind, title: title, body: body),
                ], at: now)
        } catch {
            logger.warning(
                "a collection alert could not be sent",
                metadata: ["source": "\(source.id)", "error": "\(Self.describe(error).en)"])
        }
    }

    /// Carries out a run's job. A later attempt means the first was cut short: its run fails as interrupted (its
    /// load, if it began one, is failed and its half-built version dropped), and the next run starts afresh.
    func carryOut(_ job: RunJob, _ context: JobContext) async {
        do {
            guard let run = try await store.collectionSources.run(id: job.runID), run.status == .running else {
                return
            }
            guard let source = try await store.collectionSources.find(id: job.sourceID) else { return }
            let entry = try await store.catalog.find(id: source.entryID)
            let outcome: CollectionRunOutcome
            if context.attempt > 1 {
                if let ingestJob = run.ingestJobID,
                    try await store.ingestJobs.find(id: ingestJob)?.status == .running
                {
                    try await uploads.abandonInterrupted(ingestJob)
                }
                outcome = CollectionRunOutcome(
                    status: .failed, ingestJobID: run.ingestJobID, failure: CollectionFailure.interrupted.message)
            } else if let entry {
                outcome = await collect(source, entry: entry, run: run)
            } else {
                outcome = CollectionRunOutcome(
                    status: .failed, failure: BilingualText(zh: "目录已不存在", en: "the entry no longer exists"))
            }
            let now = Date()
            // The cadence counts from the run's start (a scheduled run starts when it is due): a long run does not
            // push the schedule back, and a run by hand counts as the cycle's collection.
            var next = entry.flatMap { nextRun(source.settings, entry: $0, after: run.startedAt) }
            let failures = outcome.status == .succeeded ? 0 : source.consecutiveFailures + 1
            // A failed scheduled run is tried again after a doubling wait (counted from its start, the sweep's
            // time), a few times, before the source waits for its next cycle.
            if run.trigger == .schedule, outcome.status == .failed, next != nil,
                let delay = retry.retryDelay(afterFailures: failures)
            {
                next = min(next!, run.startedAt.addingTimeInterval(delay))
            }
            guard let done = try await store.collectionSources.finishRun(id: run.id, outcome, nextRunAt: next, at: now)
            else { return }
            if done.status == .failed && failures == retry.alertAfterFailures {
                await alert(.collectionFailing, source, entry: entry, failures: failures, reason: done.failure, at: now)
            }
            logger.info(
                "collection run ended",
                metadata: [
                    "source": "\(source.id)", "run": "\(done.id)", "status": "\(done.status.rawValue)",
                    "rows": "\(done.rowsAccepted)",
                ])
            await recordRun(done, source: source, entry: entry, at: now)
        } catch {
            logger.warning(
                "collection run could not be recorded", metadata: ["run": "\(job.runID)", "error": "\(error)"])
        }
    }

    /// Reads the source and loads it; never throws: a failure is the run's outcome, with its reason.
    func collect(_ source: CollectionSource, entry: CatalogEntry, run: CollectionRun) async -> CollectionRunOutcome {
        if source.kind == .dropDirectory { return await collectFiles(source, entry: entry, run: run) }
        let keyed = entry.content.items.contains(where: \.isKey)
        var outcome = CollectionRunOutcome(status: .failed)
        do {
            let connector = try await connector(for: source)
            var bound: (watermark: SourceWatermark, value: WatermarkValue)?
            var incremental = false
            if let watermark = source.watermark, keyed {
                outcome.watermarkValue = try await connector.highest(watermark)
                if let stored = source.watermarkValue, let lower = watermark.lowerBound(after: stored) {
                    incremental = true
                    // Nothing past the last highest value: nothing new to load, and no new version for it.
                    if outcome.watermarkValue == nil || outcome.watermarkValue == stored {
                        outcome.watermarkValue = stored
                    } else {
                        bound = (watermark, lower)
                    }
                }
            }
            let lease = settings.collectionLeaseSeconds
            let renewal = LeaseRenewal(every: min(60, lease / 4))
            let progress: @Sendable (Int64) async throws -> Void = { [self] _ in
                guard renewal.isDue() else { return }
                try await keepClaim(run, source: source, lease: lease)
            }
            if !incremental || bound != nil {
                let mode: IngestMode = !keyed ? .replace : bound != nil ? .upsert : .sync
                let rows = CollectedRows(
                    connector: connector, mapping: source.columnMapping, bound: bound, progress: progress)
                let request = IngestRequest(
                    entry: entry, rows: rows, sourceName: "归集源 \(source.name)", mode: mode,
                    rejectionThreshold: settings.collectionRejectionThreshold, userID: run.requestedBy)
                let (job, failure) = await load(request, run: run)
                outcome.ingestJobID = job?.id
                outcome.rowsRead = job?.rowsRead ?? 0
                outcome.rowsAccepted = job?.rowsLoaded ?? 0
                outcome.rowsRejected = job?.rowsRejected ?? 0
                if let failure { throw failure }
            }
            // A whole read compared every key; an incremental source's keys are compared now and then, so that
            // rows deleted at the source leave the pool.
            outcome.reconciled = keyed && !incremental
            if incremental && reconciliationDue(source, at: run.startedAt) {
                let rows = CollectedRows(
                    connector: connector, mapping: source.columnMapping, bound: nil,
                    columns: Self.sourceKeyColumns(source, entry: entry), progress: progress)
                let request = IngestRequest(
                    entry: entry, rows: rows, sourceName: "归集源 \(source.name) 主键核对", mode: .reconcile,
                    rejectionThreshold: settings.collectionRejectionThreshold, userID: run.requestedBy)
                let (job, failure) = await load(request, run: run, linking: false)
                if let failure { throw failure }
                outcome.reconciled = true
                outcome.rowsRetired = job?.rowsLoaded ?? 0
            }
            outcome.status = .succeeded
        } catch {
            outcome.status = .failed
            outcome.watermarkValue = nil
            outcome.failure = Self.describe(error)
            logger.warning(
                "collection run failed", metadata: ["source": "\(source.id)", "reason": "\(outcome.failure!.en)"])
        }
        return outcome
    }

    /// A drop directory's run: each waiting file loaded as an upload of the whole data (`sync` by key), oldest
    /// first, then moved to `done/` or `failed/`.
    func collectFiles(_ source: CollectionSource, entry: CatalogEntry, run: CollectionRun) async
        -> CollectionRunOutcome
    {
        var outcome = CollectionRunOutcome(status: .succeeded)
        let keyed = entry.content.items.contains(where: \.isKey)
        let folder = DropDirectory(path: source.location, settle: settings.dropSettleSeconds)
        let files: [URL]
        do {
            try checkRoot(source.location)
            files = try folder.readyFiles()
        } catch {
            return CollectionRunOutcome(status: .failed, failure: Self.describe(error))
        }
        for file in files {
            // Each file renews the run's claim, so a long folder is not claimed again by the next sweep meanwhile.
            do { try await keepClaim(run, source: source, lease: settings.collectionLeaseSeconds) } catch {
                outcome.status = .failed
                outcome.failure = Self.describe(error)
                return outcome
            }
            let request = IngestRequest(
                entry: entry, file: file, fileName: file.lastPathComponent, mode: keyed ? .sync : .replace,
                rejectionThreshold: settings.collectionRejectionThreshold, allowRepeat: true, userID: run.requestedBy)
            let (job, failure) = await load(request, run: run)
            outcome.ingestJobID = job?.id ?? outcome.ingestJobID
            outcome.rowsRead += job?.rowsRead ?? 0
            outcome.rowsAccepted += job?.rowsLoaded ?? 0
            outcome.rowsRejected += job?.rowsRejected ?? 0
            outcome.files.append(file.lastPathComponent)
            // A file at fault goes to failed/; one the node could not load for its own reasons (another load of the
            // entry under way, a database failure) stays where it is for the next run, so nothing is set aside unread.
            if let failure, !Self.isFault(ofFile: failure) {
                outcome.status = .failed
                outcome.failure = outcome.failure ?? Self.describe(failure)
                continue
            }
            do {
                try folder.file(file, succeeded: failure == nil)
            } catch {
                logger.warning("a collected file could not be moved", metadata: ["file": "\(file.lastPathComponent)"])
            }
            if let failure, outcome.failure == nil {
                outcome.status = .failed
                let reason = Self.describe(failure)
                outcome.failure = BilingualText(
                    zh: "文件 \(file.lastPathComponent)：\(reason.zh)", en: "file \(file.lastPathComponent): \(reason.en)")
            }
        }
        return outcome
    }

    /// Renews the run's claim on its source; throws when another run has taken the source over (this one's lease
    /// ran out), so that it stops instead of loading beside it.
    func keepClaim(_ run: CollectionRun, source: CollectionSource, lease: Double) async throws {
        guard
            try await store.collectionSources.renewRun(
                id: run.id, sourceID: source.id, leaseUntil: Date().addingTimeInterval(lease))
        else {
            throw CollectionClaimLost()
        }
    }

    /// Whether a load failed because of the file (what it holds or how it is written), not because of the node.
    static func isFault(ofFile failure: any Error) -> Bool {
        switch failure {
        case let failure as IngestFailure:
            switch failure {
            case .alreadyLoading: false
            default: true
            }
        case is ValidationError: true
        default: false
        }
    }

    /// Whether a watermark source's keys are due to be compared with the pool's.
    func reconciliationDue(_ source: CollectionSource, at time: Date) -> Bool {
        guard let last = source.reconciledAt else { return true }
        return time.timeIntervalSince(last) >= settings.collectionReconcileSeconds
    }

    /// The source's columns that fill the entry's key items (named through the column mapping).
    static func sourceKeyColumns(_ source: CollectionSource, entry: CatalogEntry) -> [String] {
        let byItem = Dictionary(source.columnMapping.map { ($0.value, $0.key) }, uniquingKeysWith: min)
        return entry.content.items.filter(\.isKey).map { byItem[$0.columnName] ?? $0.columnName }
    }

    /// Loads through the uploads' runner, linking the run to its ingest job as soon as it exists (unless not
    /// `linking`: a reconciliation after the run's load leaves that load's error report linked); returns the job
    /// as it ended (when one was started) and the failure, if any.
    func load(_ request: IngestRequest, run: CollectionRun, linking: Bool = true) async -> (IngestJob?, (any Error)?) {
        let started = StartedJob()
        do {
            let job = try await uploads.loadNow(request) { [store] job in
                started.id = job.id
                if linking { try await store.collectionSources.attachIngestJob(runID: run.id, ingestJobID: job.id) }
            }
            return (job, nil)
        } catch {
            var job: IngestJob?
            if let id = started.id { job = try? await store.ingestJobs.find(id: id) }
            return (job, error)
        }
    }

    // MARK: Helpers

    /// The connector of a database or API source: its secret opened, its host checked against the upstream rules.
    func connector(for source: CollectionSource) async throws -> any SourceConnector {
        let relation = SourceRelation(table: source.table, query: source.query)
        let noRelation = ValidationError(field: "table", BilingualText(zh: "缺少表名或查询", en: "no table or query"))
        switch source.kind {
        case .postgres:
            guard let relation else { throw noRelation }
            var address: PostgresSourceAddress
            do { address = try PostgresSourceAddress(url: source.location) } catch {
                throw ValidationError(field: "location", error.reason)
            }
            address.password = try openSecret(source) ?? address.password
            let allowList = try await store.upstreamAllowList.current().list
            let target = try await HostResolver.checkedAddress(
                host: address.host, port: address.port, allowList: allowList)
            return PostgresSourceConnector(address: address, connectTo: target, relation: relation, logger: logger)
        case .httpJSON:
            guard let url = URL(string: source.location), let host = url.host else {
                throw ValidationError(field: "location", BilingualText(zh: "地址无效", en: "not a URL"))
            }
            let secret = try openSecret(source)
            let target = try await HostResolver.checkedAddress(
                host: host, port: url.port ?? (url.scheme == "https" ? 443 : 80),
                allowList: try await store.upstreamAllowList.current().list)
            return HTTPJSONSourceConnector(
                url: url, connectTo: target, options: source.http ?? HTTPSourceOptions(), secret: secret)
        case .sqlite:
            guard let relation else { throw noRelation }
            try checkRoot(source.location)
            return SQLiteSourceConnector(path: source.location, relation: relation, logger: logger)
        case .dropDirectory:
            throw ValidationError(
                field: "kind", BilingualText(zh: "投放目录没有数据库连接", en: "a drop directory is not a database"))
        }
    }

    /// The source's secret (a password, an API's token), opened from its seal; nil when it has none.
    func openSecret(_ source: CollectionSource) throws -> String? {
        guard let sealed = source.sealedSecret else { return nil }
        guard let sealingKey else { throw CollectionFailure.noSealingKey }
        do {
            return try sealingKey.open(sealed, context: source.sealContext)
        } catch {
            throw CollectionFailure.secretUnavailable
        }
    }

    /// Splits a draft's location into what is stored in the clear and the sealed secret: a PostgreSQL URL's
    /// password, or an API's `secret`.
    func seal(_ draft: CollectionSourceDraft, token: String) throws -> (String, String?) {
        var location = draft.location
        var secret: String?
        switch draft.kind {
        case .postgres:
            guard let address = try? PostgresSourceAddress(url: draft.location) else { return (location, nil) }
            location = address.withoutPassword
            secret = address.password
        case .httpJSON: secret = draft.secret
        case .sqlite, .dropDirectory: return (location, nil)
        }
        guard let secret else { return (location, nil) }
        guard let sealingKey else { throw CollectionFailure.noSealingKey }
        return (location, sealingKey.seal(secret, context: CollectionSource.sealContext(token)))
    }

    /// Whether two stored locations name the same server, database and account, or the same API host (a saved
    /// secret then still applies).
    static func sameAccount(_ first: String, _ second: String) -> Bool {
        if let a = URL(string: first), let b = URL(string: second), ["http", "https"].contains(a.scheme ?? "") {
            return a.scheme == b.scheme && a.host?.lowercased() == b.host?.lowercased() && a.port == b.port
        }
        guard let a = try? PostgresSourceAddress(url: first), let b = try? PostgresSourceAddress(url: second) else {
            return false
        }
        return a.host == b.host && a.port == b.port && a.user == b.user && a.database == b.database
    }

    /// The draft's rules, the entry's items and, for a PostgreSQL host written as an address, the upstream rules.
    func check(_ draft: CollectionSourceDraft, entry: CatalogEntry) async throws {
        guard !entry.content.items.isEmpty else { throw IngestFailure.notStructured }
        try draft.validate(itemColumns: Set(entry.content.items.map(\.columnName)))
        if draft.watermark != nil && !entry.content.items.contains(where: \.isKey) {
            throw ValidationError(
                field: "watermark",
                BilingualText(
                    zh: "增量归集按主键更新，目录须定义主键信息项", en: "incremental collection updates by key: the entry needs key items"))
        }
        switch draft.kind {
        case .postgres:
            let address = try PostgresSourceAddress(url: draft.location)
            if let refusal = UpstreamTarget.check(
                host: address.host, allowList: try await store.upstreamAllowList.current().list)
            {
                throw ValidationError(field: "location", refusal.message)
            }
        case .httpJSON:
            if let host = URL(string: draft.location)?.host,
                let refusal = UpstreamTarget.check(
                    host: host, allowList: try await store.upstreamAllowList.current().list)
            {
                throw ValidationError(field: "location", refusal.message)
            }
        case .sqlite, .dropDirectory:
            try checkRoot(draft.location)
        }
    }

    /// A file source must lie under one of the node's collection folders (`HUITONG_COLLECTION_ROOTS`): a provider
    /// must not read the node's own database or any other file of its host.
    func checkRoot(_ path: String) throws {
        let standard = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
        let allowed = settings.collectionRoots.contains { root in
            let base = URL(fileURLWithPath: root).standardizedFileURL.resolvingSymlinksInPath().path
            return standard == base || standard.hasPrefix(base.hasSuffix("/") ? base : base + "/")
        }
        guard allowed else {
            throw ValidationError(
                field: "location",
                BilingualText(
                    zh: "路径须位于本节点的归集目录（HUITONG_COLLECTION_ROOTS）之下",
                    en: "the path must lie under one of this node's collection folders (HUITONG_COLLECTION_ROOTS)"))
        }
    }

    func managedEntry(_ entryID: Int64, by user: User) async throws -> CatalogEntry {
        try AccessPolicy.require(user, .ingestUpload)
        let entry = try await entry(entryID)
        guard AccessPolicy.allows(user, .ingestUpload, department: entry.provider.departmentID) else {
            throw StoreError.notFound(entity: "catalog entry", key: "\(entryID)")
        }
        return entry
    }

    func entry(_ id: Int64) async throws -> CatalogEntry {
        guard let entry = try await store.catalog.find(id: id) else {
            throw StoreError.notFound(entity: "catalog entry", key: "\(id)")
        }
        return entry
    }

    /// When a source's next scheduled run is due.
    func nextRun(_ draft: CollectionSourceDraft, entry: CatalogEntry, after time: Date) -> Date? {
        guard draft.enabled else { return nil }
        return CollectionCadence(draft.schedule, cron: draft.cron, entryCycle: entry.content.updateCycle)?
            .next(after: time)
    }

    /// A failure in plain words: the platform's own explanation, or for anything else a plain statement (the
    /// detail, which may name paths or SQL, goes to the log only).
    static func describe(_ error: any Error) -> BilingualText {
        if let error = error as? any HuitongError, error.kind != .internal {
            if let validation = error as? ValidationError {
                let details = validation.issues.map { "\($0.field): \($0.message)" }.joined(separator: "; ")
                return BilingualText(zh: "配置有误：\(details)", en: "invalid settings: \(details)")
            }
            return error.message
        }
        return BilingualText(
            zh: "归集因平台内部错误失败，已记录日志", en: "the run failed on an internal error; it has been logged")
    }

    func record(_ action: AuditAction, _ source: CollectionSource, entry: CatalogEntry?, user: User, at now: Date)
        async
    {
        guard let audit else { return }
        // Never the location: a URL's account is not the audit log's business, and its password never leaves.
        _ = try? await audit.append(
            AuditEvent(
                action: action, time: now, userID: user.id, providerDepartmentID: source.departmentID,
                resourceCode: entry?.code.text, outcome: .allowed,
                detail: [
                    "source": String(source.id), "kind": source.kind.rawValue, "name": String(source.name.prefix(100)),
                    "enabled": source.enabled ? "true" : "false",
                    "schedule": source.cron.map { "cron \($0.text)" } ?? source.schedule.rawValue,
                ]))
    }

    func recordRun(_ run: CollectionRun, source: CollectionSource, entry: CatalogEntry?, at now: Date) async {
        guard let audit else { return }
        var detail = [
            "source": String(source.id), "run": String(run.id), "status": run.status.rawValue,
            "trigger": run.trigger.rawValue, "rowsRead": String(run.rowsRead), "rowsAccepted": String(run.rowsAccepted),
            "rowsRejected": String(run.rowsRejected), "incremental": run.incremental ? "true" : "false",
        ]
        if let job = run.ingestJobID { detail["ingestJob"] = String(job) }
        _ = try? await audit.append(
            AuditEvent(
                action: .collectionRunFinished, time: now, userID: run.requestedBy,
                providerDepartmentID: source.departmentID, resourceCode: entry?.code.text,
                rowsReturned: run.rowsAccepted,
                outcome: run.status == .succeeded ? .allowed : .failed(reason: "collection_failed"), detail: detail))
    }
}

/// The cycles of sources' entries, each entry read once per pass.
struct CycleCache {
    let store: Store
    private var entries: [Int64: CatalogEntry?] = [:]

    init(store: Store) { self.store = store }

    mutating func entry(_ id: Int64) async throws -> CatalogEntry? {
        if let known = entries[id] { return known }
        let found = try await store.catalog.find(id: id)
        entries[id] = found
        return found
    }

    /// When the source's scheduled runs come; nil when it has none.
    mutating func cadence(of source: CollectionSource) async throws -> CollectionCadence? {
        var cycle = UpdateCycle.irregular
        if source.schedule == .entryCycle {
            guard let entry = try await entry(source.entryID) else { return nil }
            cycle = entry.content.updateCycle
        }
        return CollectionCadence(source.schedule, cron: source.cron, entryCycle: cycle)
    }
}

/// The ingest job a load started, told from inside the load.
private final class StartedJob: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Int64?

    var id: Int64? {
        get { lock.withLock { value } }
        set { lock.withLock { value = newValue } }
    }
}

/// Says when a run's claim is due for renewal, at most once per interval.
private final class LeaseRenewal: @unchecked Sendable {
    private let lock = NSLock()
    private var last = Date()
    private let interval: TimeInterval

    init(every interval: TimeInterval) { self.interval = interval }

    func isDue() -> Bool {
        lock.withLock {
            guard Date().timeIntervalSince(last) >= interval else { return false }
            last = Date()
            return true
        }
    }
}

/// A run whose claim on its source another run has taken over (its lease ran out while it worked).
struct CollectionClaimLost: HuitongError {
    var code: String { "collection_claim_lost" }
    var kind: ErrorKind { .conflict }
    var message: BilingualText {
        BilingualText(
            zh: "本次归集运行超时，已由另一次运行接手，本次停止",
            en: "the run's claim on its source was taken over by another run; this one stopped")
    }
}
