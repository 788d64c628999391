import Foundation
import HuitongCore
import HuitongStore
import Logging

/// Runs the quality rules of an entry over its active pool version and keeps the record: rules derived from the
/// items plus the provider's own, a run per trigger (ingest, on demand, schedule), the problem queue, scores and
/// rankings, and the comparison of two sources on a shared key (domain.md §6).
///
/// A run reads the pool a page at a time and never holds more than a page of rows; referential rules look up only
/// the values of the page in the other pool, by its key. Uniqueness rules keep a 16-byte digest per distinct key
/// (`QualityEvaluator`), which is the one part of a run that grows with the pool.
public struct QualityUseCases: Sendable {
    public let store: Store
    public let settings: QualitySettings
    package let masking: MaskingPolicy
    /// What open objections take off an entry's score: data that users say is wrong is not scored as if it
    /// were right until its provider answers.
    package let objectionPenalty: ObjectionPenalty
    package let logger: Logger
    /// Where every check against another department's pool is recorded (allowed or refused); nil only in tests
    /// that build a service without a node.
    package let audit: AuditLog?
    /// Where runs started in the background go (`start`, `recheck`); nil only in tests that run nothing in the
    /// background.
    package let jobs: JobQueue?

    public init(
        store: Store, settings: QualitySettings, masking: MaskingPolicy = .builtIn,
        objectionPenalty: ObjectionPenalty = ObjectionSettings().penalty, logger: Logger, audit: AuditLog? = nil,
        jobs: JobQueue? = nil
    ) {
        self.store = store
        self.settings = settings
        self.masking = masking
        self.objectionPenalty = objectionPenalty
        self.logger = logger
        self.audit = audit
        self.jobs = jobs
    }

    // MARK: Rules

    /// The rules an entry's items imply, plus the freshness rule of its declared 更新周期.
    public func derivedRules(for entry: CatalogEntry) -> [QualityRule] {
        QualityRule.derived(from: entry.content.items) + [QualityRule.freshness(entry.content.updateCycle)]
    }

    /// The rules a run applies: the derived ones and the enabled custom ones.
    public func effectiveRules(for entry: CatalogEntry) async throws -> [QualityRule] {
        derivedRules(for: entry)
            + (try await store.quality.customRules(entryID: entry.id)).filter(\.enabled).map(\.rule)
    }

    /// Checks a provider's rule against the entry (its columns, pattern, code set, bounds, the entry it refers to)
    /// and adds it; nothing is stored when anything is wrong.
    public func addRule(_ spec: QualityRuleSpec, to entry: CatalogEntry, by userID: Int64?) async throws
        -> QualityCustomRule
    {
        let rule = try spec.rule()
        var issues = ValidationCollector()
        let taken = Set(derivedRules(for: entry).map(\.id))
        if taken.contains(rule.id) {
            throw StoreError.duplicate(field: "id", value: rule.id)
        }
        var codeSets: [CodeSet] = []
        if case .codeSet(let id) = rule.kind {
            if let set = try await store.codeSets.find(id: id) {
                codeSets = [set]
            } else {
                issues.add("codeSet", BilingualText(zh: "代码集 \(id) 不存在", en: "there is no code set \(id)"))
            }
        }
        var references: [String: Set<String>] = [:]
        if case .referential(let name) = rule.kind, let target = QualityRule.referencedEntryID(name) {
            references[name] = []
            if let problem = try await referenceProblem(target, from: entry, ruleID: rule.id, by: userID) {
                issues.add("referencedEntryID", problem)
            }
        }
        try issues.throwIfAny()
        do {
            _ = try QualityEvaluator(
                rules: [rule], items: entry.content.items, codeSets: codeSets, referenceKeys: references,
                masking: masking)
        } catch {
            // The evaluator names fields as `rules[0].columns`; here there is one rule, the request's.
            throw ValidationError(
                error.issues.map { issue in
                    var renamed = issue
                    renamed.field = issue.field.replacingOccurrences(of: "rules[0].kind", with: spec.kind.rawValue)
                        .replacingOccurrences(of: "rules[0].", with: "")
                    return renamed
                })
        }
        return try await store.quality.addRule(entryID: entry.id, rule, createdBy: userID, at: Date())
    }

    /// Why a referential rule cannot point at `targetID`, or nil when it can: the other entry must be another
    /// entry the rule's department may read (`readableReference`, else the same 404 as a missing entry), and have
    /// a key of one item, which is what the rule's values are looked up by.
    package func referenceProblem(_ targetID: Int64, from entry: CatalogEntry, ruleID: String, by userID: Int64?)
        async throws -> BilingualText?
    {
        guard targetID != entry.id else {
            return BilingualText(zh: "关联资源须为另一个目录", en: "the related resource must be another entry")
        }
        let (target, _) = try await readableReference(
            targetID, from: entry, ruleID: ruleID, userID: userID, purpose: "rule")
        guard target.content.keyItems.count == 1 else {
            return BilingualText(
                zh: "关联资源“\(target.content.name)”须有且仅有一个主键信息项",
                en: "the related entry \(target.content.name) must have exactly one key item")
        }
        return nil
    }

    /// The entry a referential rule of `entry` may read, with the grant it reads it under (nil for an entry of the
    /// rule's own department). Another department's entry is readable only under a grant to the rule's department
    /// that is in force today, covers the entry's key items and has no row filter (the check reads every row's
    /// key); anything else answers exactly like a missing entry (404), as `/quality/comparisons` does, so a rule
    /// tells nobody what another department holds. Every check of a pool other than the entry's own, allowed or
    /// refused, goes to the audit log; a service without an audit log refuses (fail closed).
    package func readableReference(
        _ targetID: Int64, from entry: CatalogEntry, ruleID: String, userID: Int64?, purpose: String,
        runID: Int64? = nil
    ) async throws -> (CatalogEntry, Grant?) {
        let missing = StoreError.notFound(entity: "catalog entry", key: "\(targetID)")
        guard let target = try await store.catalog.find(id: targetID) else { throw missing }
        let department = entry.provider.departmentID
        let own = target.provider.departmentID == department
        let today = CalendarDate(Date())
        let keys = target.content.keyItems.map(\.columnName)
        let grant =
            own
            ? nil
            : try await store.grants.activeGrants(
                consumerDepartmentID: department, resourceCode: target.code.text, on: today
            ).first { grant in
                grant.entryID == target.id && grant.validFrom <= today && grant.rowFilter == nil && !keys.isEmpty
                    && keys.allSatisfy(grant.items.contains)
            }
        var detail = ["entry": "\(entry.id)", "referencedEntry": "\(target.id)", "rule": ruleID, "step": purpose]
        if let runID { detail["run"] = "\(runID)" }
        let event = AuditEvent(
            action: .qualityReference, consumerDepartmentID: department, userID: userID,
            providerDepartmentID: target.provider.departmentID, resourceCode: target.code.text, grantID: grant?.id,
            purpose: "数据质量关联性检查 (quality referential check)",
            outcome: own || grant != nil ? .allowed : .denied(reason: "no_grant"), detail: detail)
        guard let audit else {
            throw StoreError.unavailable("audit log")
        }
        _ = try await audit.append(event)
        guard own || grant != nil else { throw missing }
        return (target, grant)
    }

    // MARK: Runs

    /// Records a run of the entry's active version as started and carries it out as a job (`RunJob`); the run
    /// record shows its progress. Nothing to check (no active version) is a 404.
    public func start(entry: CatalogEntry, trigger: QualityTrigger, requestedBy: Int64?) async throws -> (
        run: QualityRun, job: JobHandle
    ) {
        guard let jobs else { throw StoreError.unavailable("job queue") }
        let (run, work) = try await prepare(entry: entry, trigger: trigger, requestedBy: requestedBy)
        do {
            let job = try await jobs.enqueue(Self.runKind, RunJob(run: run.id, readable: work.readable.keys.sorted()))
            return (run, job)
        } catch {
            _ = try? await store.quality.failRun(id: run.id, message: Self.describe(error), at: Date())
            throw error
        }
    }

    /// A started run to carry out: the run and the other entries the rules read, checked (and audited) when it
    /// started. The entry, its pool version and its rules are read when the job runs.
    public struct RunJob: Codable, Sendable, Hashable {
        public var run: Int64
        public var readable: [Int64]
    }

    public static let runKind = JobKind<RunJob>("quality.run")

    /// A run after a correction published a new version of the objection's entry. Every attempt runs the rules
    /// (`runNow`); a run that an interrupted attempt left running is failed by the scheduler's sweep of runs whose
    /// process stopped.
    public struct RecheckJob: Codable, Sendable, Hashable {
        public var objection: Int64
    }

    public static let recheckKind = JobKind<RecheckJob>("quality.recheck")

    /// Queues a run of the corrected entry's rules over the version the correction published, off the answer's
    /// path; a failure to queue it is logged, never the answer's (the scheduler checks the version later anyway).
    public func recheck(after objection: Objection) async {
        do {
            guard let jobs else { throw StoreError.unavailable("job queue") }
            try await jobs.enqueue(Self.recheckKind, RecheckJob(objection: objection.id))
        } catch {
            logger.warning(
                "quality run after a correction not queued",
                metadata: ["objection": "\(objection.id)", "error": "\(Self.describe(error))"])
        }
    }

    /// Carries out this module's jobs on `queue`.
    public func register(on queue: JobQueue) {
        let service = self
        queue.register(Self.runKind) { job, context in try await service.carryOut(job, context) }
        queue.register(Self.recheckKind) { job, _ in
            guard let objection = try await service.store.objections.find(id: job.objection) else { return }
            _ = await service.runNow(entryID: objection.entryID, trigger: .correction, requestedBy: nil)
        }
    }

    /// Carries out a started run. A later attempt means an earlier one was cut short (its process died, or lost
    /// the job's lease) after it may have written problems: the run fails as interrupted, as the scheduler fails
    /// runs whose process died, and the scheduler checks the version again.
    package func carryOut(_ job: RunJob, _ context: JobContext) async throws {
        guard let run = try await store.quality.run(id: job.run), run.status == .running else { return }
        guard context.attempt == 1 else {
            _ = try await store.quality.failRun(id: run.id, message: QualityRun.interruptedMessage, at: Date())
            return
        }
        let work: Work
        do {
            work = try await self.work(for: run, readable: job.readable)
        } catch {
            let message = Self.describe(error)
            logger.warning("quality run failed", metadata: ["run": "\(run.id)", "error": "\(message)"])
            _ = try await store.quality.failRun(id: run.id, message: message, at: Date())
            return
        }
        _ = await execute(run, work)
    }

    /// What a recorded run needs to go on: its entry, an extract of the version it recorded, and the other entries
    /// checked when it started.
    package func work(for run: QualityRun, readable: [Int64]) async throws -> Work {
        guard let entry = try await store.catalog.find(id: run.entryID) else {
            throw StoreError.notFound(entity: "catalog entry", key: "\(run.entryID)")
        }
        guard
            let version = try await store.pools.versions(entryID: entry.id).first(where: {
                $0.version == run.poolVersion
            })
        else { throw StoreError.notFound(entity: "pool", key: "\(entry.id)") }
        let known = Set(entry.content.items.map(\.columnName))
        let extract = try store.pools.beginExtract(
            in: version, selecting: PoolSelection(columns: version.columns.filter(known.contains)),
            pageSize: settings.pageSize)
        var checked: [Int64: CatalogEntry] = [:]
        for id in readable {
            if let other = try await store.catalog.find(id: id) { checked[id] = other }
        }
        return Work(entry: entry, extract: extract, readable: checked)
    }

    /// Runs the entry's rules over its active version and waits for the result; failures are on the run record.
    /// Nil when the entry has no active version.
    @discardableResult
    public func runNow(entryID: Int64, trigger: QualityTrigger, requestedBy: Int64?) async -> QualityRun? {
        do {
            guard let entry = try await store.catalog.find(id: entryID),
                try await store.pools.active(entryID: entryID) != nil
            else { return nil }
            let (run, work) = try await prepare(entry: entry, trigger: trigger, requestedBy: requestedBy)
            return await execute(run, work)
        } catch {
            logger.warning(
                "quality run could not start", metadata: ["entry": "\(entryID)", "error": "\(Self.describe(error))"])
            return nil
        }
    }

    /// What a run needs beyond its record.
    package struct Work: Sendable {
        var entry: CatalogEntry
        var extract: PoolExtract
        /// Other entries the rules read, checked (and audited) once when the run started.
        var readable: [Int64: CatalogEntry] = [:]
    }

    package func prepare(entry: CatalogEntry, trigger: QualityTrigger, requestedBy: Int64?) async throws -> (
        QualityRun, Work
    ) {
        let known = Set(entry.content.items.map(\.columnName))
        guard let active = try await store.pools.active(entryID: entry.id) else {
            throw StoreError.notFound(entity: "pool", key: "\(entry.id)")
        }
        // The columns the version has and the entry still names; items added since the load read as empty.
        let columns = active.columns.filter(known.contains)
        guard
            let extract = try await store.pools.beginExtract(
                entryID: entry.id, selecting: PoolSelection(columns: columns), pageSize: settings.pageSize)
        else { throw StoreError.notFound(entity: "pool", key: "\(entry.id)") }
        // A reference to another department's pool is checked again now: its grant may have ended since the rule
        // was added. Refused, the run is not started (404, like a missing entry).
        var readable: [Int64: CatalogEntry] = [:]
        for rule in try await effectiveRules(for: entry) {
            if case .referential(let name) = rule.kind, let targetID = QualityRule.referencedEntryID(name),
                targetID != entry.id, readable[targetID] == nil
            {
                readable[targetID] = try await readableReference(
                    targetID, from: entry, ruleID: rule.id, userID: requestedBy, purpose: "run-start"
                ).0
            }
        }
        let run = try await store.quality.startRun(
            entryID: entry.id, departmentID: entry.provider.departmentID, poolVersion: extract.version.version,
            trigger: trigger, rowsTotal: extract.version.rowCount, requestedBy: requestedBy, at: Date())
        return (run, Work(entry: entry, extract: extract, readable: readable))
    }

    /// Carries out a started run; never throws: whatever goes wrong fails the run with the reason.
    package func execute(_ run: QualityRun, _ work: Work) async -> QualityRun {
        do {
            let report = try await evaluate(run, work)
            let done = try await store.quality.finishRun(id: run.id, report: report, at: Date())
            logger.info(
                "quality run finished",
                metadata: [
                    "run": "\(run.id)", "entry": "\(run.entryID)", "score": "\(done.score.map { "\($0)" } ?? "-")",
                ])
            return done
        } catch {
            let message = Self.describe(error)
            logger.warning("quality run failed", metadata: ["run": "\(run.id)", "error": "\(message)"])
            do {
                return try await store.quality.failRun(id: run.id, message: message, at: Date())
            } catch {
                logger.error("quality run failure not recorded", metadata: ["run": "\(run.id)", "error": "\(error)"])
                var failed = run
                failed.status = .failed
                failed.message = message
                return failed
            }
        }
    }

    package func evaluate(_ run: QualityRun, _ work: Work) async throws -> QualityReport {
        let entry = work.entry
        var extract = work.extract
        let items = entry.content.items
        let rules = try await effectiveRules(for: entry)
        let codeSetIDs = Set(
            rules.compactMap { rule -> String? in
                if case .codeSet(let id) = rule.kind { return id }
                return nil
            })
        let codeSets = try await store.codeSets.find(ids: codeSetIDs)
        // The other pools referential rules read, fixed for the run like this pool's version.
        var references: [Reference] = []
        for (index, rule) in rules.enumerated() {
            guard case .referential(let name) = rule.kind, !references.contains(where: { $0.name == name }) else {
                continue
            }
            references.append(
                try await reference(
                    name, column: rule.columns.first ?? "", ruleIndex: index, entry, ruleID: rule.id, run: run,
                    checked: work.readable))
        }
        var evaluator = try QualityEvaluator(
            rules: rules, items: items, codeSets: codeSets,
            referenceKeys: Dictionary(uniqueKeysWithValues: references.map { ($0.name, Set<String>()) }),
            limits: QualityLimits(
                samplesPerRule: settings.samplesPerRule, failingRowsPerRule: settings.problemsPerRule),
            masking: masking)
        let selected = extract.version.columns.filter(Set(items.map(\.columnName)).contains)
        // Items the version lacks come after its columns, so that every row is short of them: empty values.
        let header = selected + items.map(\.columnName).filter { !selected.contains($0) }
        let position = Dictionary(header.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        let keyColumns = extract.version.keyColumns.filter(position.keys.contains)
        let kinds = Dictionary(items.map { ($0.columnName, $0.semanticKind) }, uniquingKeysWith: { first, _ in first })
        var checked: Int64 = 0
        while let rows = try await store.pools.nextPage(of: &extract) {
            for reference in references {
                let keys = try await lookUp(reference, in: rows, at: position[reference.column])
                evaluator.setReferenceKeys(keys, for: reference.name)
            }
            let first = checked + 1
            let numbers = (0..<Int64(rows.count)).map { first + $0 }
            try evaluator.consume(header: header, rows: rows, rowNumbers: numbers)
            checked += Int64(rows.count)
            let problems = evaluator.drainFailures().map { failure in
                let row = rows[Int(failure.row - first)]
                let key = keyColumns.map { column in
                    let value = position[column].flatMap { $0 < row.count ? row[$0] : nil } ?? nil
                    return "\(column)=\(masking.rule(for: kinds[column] ?? .other).apply(to: value ?? ""))"
                }
                return QualityProblemDraft(failure: failure, rowKey: key.joined(separator: ", "))
            }
            try await store.quality.addProblems(runID: run.id, entryID: entry.id, problems)
            try await store.quality.recordProgress(runID: run.id, rowsChecked: checked, at: Date())
        }
        let lastUpdated = entry.dataUpdatedAt ?? extract.version.activatedAt
        return evaluator.report(lastUpdated: lastUpdated, now: Date())
    }

    /// The pool a referential rule reads: the other entry's active version and its one key column.
    package struct Reference: Sendable {
        var name: String
        var column: String
        var version: PoolVersion
    }

    package func reference(
        _ name: String, column: String, ruleIndex: Int, _ entry: CatalogEntry, ruleID: String, run: QualityRun,
        checked: [Int64: CatalogEntry]
    ) async throws -> Reference {
        guard let targetID = QualityRule.referencedEntryID(name) else {
            throw ValidationError(
                field: "rules[\(ruleIndex)]",
                BilingualText(zh: "无法识别的关联资源：\(name)", en: "unrecognised related resource \(name)"))
        }
        guard targetID != entry.id else {
            throw ValidationError(
                field: "referencedEntryID",
                BilingualText(zh: "关联资源须为另一个目录", en: "the related resource must be another entry"))
        }
        // Checked when the run started; a rule added since then is checked now.
        let target =
            if let target = checked[targetID] {
                target
            } else {
                try await readableReference(
                    targetID, from: entry, ruleID: ruleID, userID: run.requestedBy, purpose: "run", runID: run.id
                ).0
            }
        guard target.content.keyItems.count == 1 else {
            throw ValidationError(
                field: "referencedEntryID",
                BilingualText(
                    zh: "关联资源“\(target.content.name)”须有且仅有一个主键信息项",
                    en: "the related entry \(target.content.name) must have exactly one key item"))
        }
        guard let version = try await store.pools.active(entryID: targetID) else {
            throw StoreError.conflict(
                BilingualText(
                    zh: "关联资源（目录 \(targetID)）尚无数据，无法检查关联性",
                    en: "the related entry \(targetID) holds no data yet, so references to it cannot be checked"))
        }
        guard version.keyColumns.count == 1 else {
            throw StoreError.conflict(
                BilingualText(
                    zh: "关联资源（目录 \(targetID)）的数据没有单列主键",
                    en: "the data of the related entry \(targetID) has no single-column key"))
        }
        return Reference(name: name, column: column, version: version)
    }

    /// Values per look-up statement: a page's worth in a few keyed queries.
    package static let lookupBatch = 1_000

    /// Which of the page's values of `column` are keys of the other pool, looked up by its key index.
    package func lookUp(_ reference: Reference, in rows: [[String?]], at position: Int?) async throws -> Set<String> {
        guard let position else { return [] }
        var wanted = Set<String>()
        for row in rows where position < row.count {
            if let value = row[position]?.trimmedOfWhitespace(), !value.isEmpty { wanted.insert(value) }
        }
        let values = Array(wanted)
        var found = Set<String>()
        for start in stride(from: 0, to: values.count, by: Self.lookupBatch) {
            let batch = values[start..<min(start + Self.lookupBatch, values.count)].map { [$0] }
            let rows = try await store.pools.lookup(
                in: reference.version, keys: batch, selecting: PoolSelection(columns: reference.version.keyColumns))
            for row in rows { if let key = row.first ?? nil { found.insert(key) } }
        }
        return found
    }

    package static func describe(_ error: any Error) -> String {
        if let error = error as? any HuitongError {
            let details = error.details.map { "\($0.field): \($0.message)" }
            return ([error.message.combined] + details).joined(separator: "; ")
        }
        return "\(error)"
    }

    // MARK: Scores

    /// An entry's current quality score, 0–100, or nil when it has never been scored. Every score shown or
    /// ranked comes through `currentScores`, so that anything that moves a score (such as open objections) is
    /// applied in one place.
    public func currentScore(entryID: Int64) async throws -> Double? {
        try await currentScores(entryIDs: [entryID])[entryID]
    }

    /// Current scores of these entries (every scored entry when nil), by entry: the latest run's score less the
    /// penalty of the entry's open objections.
    public func currentScores(entryIDs: [Int64]?) async throws -> [Int64: Double] {
        try await currentScores(of: try await store.quality.latestScores(entryIDs: entryIDs), all: entryIDs == nil)
    }

    /// The current scores of entries whose latest runs the caller has read already. `all` says they are every
    /// scored entry, so the open objections are counted without listing ids.
    package func currentScores(of records: [QualityScoreRecord], all: Bool = false) async throws -> [Int64: Double] {
        let open = try await store.objections.openCounts(entryIDs: all ? nil : records.map(\.entryID))
        var scores: [Int64: Double] = [:]
        for record in records {
            let score = objectionPenalty.adjusted(
                score: Self.currentScore(of: record), openObjections: open[record.entryID] ?? 0)
            if let score { scores[record.entryID] = score }
        }
        return scores
    }

    /// The score an entry's latest successful run gives it now.
    package static func currentScore(of record: QualityScoreRecord) -> Double? {
        record.score.map { min(100, max(0, $0)) }
    }

    /// One department's place in the ranking.
    public struct DepartmentScore: Sendable, Hashable, Codable {
        public var rank: Int
        public var departmentID: Int64
        public var departmentName: String
        /// The mean of its entries' current scores.
        public var score: Double
        public var entriesScored: Int
    }

    /// Departments by the mean current score of their scored entries, best first; equal scores share a rank.
    public func ranking() async throws -> [DepartmentScore] {
        let records = try await store.quality.latestScores(entryIDs: nil)
        let scores = try await currentScores(of: records, all: true)
        var byDepartment: [Int64: [Double]] = [:]
        for record in records {
            if let score = scores[record.entryID] { byDepartment[record.departmentID, default: []].append(score) }
        }
        let names = Dictionary(
            try await store.departments.list().map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
        let sorted = byDepartment.map { id, values in
            DepartmentScore(
                rank: 0, departmentID: id, departmentName: names[id] ?? "\(id)",
                score: values.reduce(0, +) / Double(values.count), entriesScored: values.count)
        }.sorted { ($0.score, $1.departmentID) > ($1.score, $0.departmentID) }
        var ranked: [DepartmentScore] = []
        for (index, entry) in sorted.enumerated() {
            var entry = entry
            entry.rank = index > 0 && ranked[index - 1].score == entry.score ? ranked[index - 1].rank : index + 1
            ranked.append(entry)
        }
        return ranked
    }
}

extension AuditAction {
    /// A quality rule checked values against another entry's pool (关联性检查), or was refused for want of a grant.
    package static let qualityReference = AuditAction(rawValue: "quality.reference")
}

extension QualityUseCases {
    /// The service as the application builds it: the node's settings and its masking policy
    /// (`Resources/seed/masking.json`, or the built-in rules when that file cannot be read).
    package static func make(
        store: Store, settings: QualitySettings, objectionPenalty: ObjectionPenalty, audit: AuditLog?,
        jobs: JobQueue? = nil
    ) -> QualityUseCases {
        let logger = Logger(label: "huitong.quality")
        let masking: MaskingPolicy
        do {
            masking = try MaskingPolicy.seeded()
        } catch {
            logger.warning("masking policy unreadable; built-in rules used", metadata: ["error": "\(error)"])
            masking = .builtIn
        }
        return QualityUseCases(
            store: store, settings: settings, masking: masking, objectionPenalty: objectionPenalty, logger: logger,
            audit: audit, jobs: jobs)
    }
}
