import Crypto
import Foundation
import HuitongCore
import HuitongStore
import Synchronization

/// What to load, from where, and how.
public struct IngestRequest: Sendable {
    public var entry: CatalogEntry
    public var file: URL
    /// The name the provider gave the file (shown in job lists).
    public var fileName: String
    public var mode: IngestMode
    public var encoding: TextEncodingChoice
    /// The XLSX sheet to read; the first when nil.
    public var sheet: String?
    /// Abort the job when more than this share of rows is rejected (0.05 = 5 %).
    public var rejectionThreshold: Double
    /// Earlier pool versions kept for rollback.
    public var keepVersions: Int
    /// Load a file even if exactly the same file was loaded into this entry before.
    public var allowRepeat: Bool
    public var userID: Int64?
    /// Rows handed in by a collection connector instead of a file (`file` is then unused): the same validation,
    /// versioning, error report and publication as a file's.
    public var rows: (any IngestRowSource)?

    public init(
        entry: CatalogEntry, file: URL, fileName: String? = nil, mode: IngestMode = .replace,
        encoding: TextEncodingChoice = .auto, sheet: String? = nil, rejectionThreshold: Double = 0.05,
        keepVersions: Int = 3, allowRepeat: Bool = false, userID: Int64? = nil
    ) {
        self.entry = entry
        self.file = file
        self.fileName = fileName ?? file.lastPathComponent
        self.mode = mode
        self.encoding = encoding
        self.sheet = sheet
        self.rejectionThreshold = rejectionThreshold
        self.keepVersions = keepVersions
        self.allowRepeat = allowRepeat
        self.userID = userID
    }

    /// A load of the rows a collection source hands in; `sourceName` names it in job lists.
    public init(
        entry: CatalogEntry, rows: any IngestRowSource, sourceName: String, mode: IngestMode,
        rejectionThreshold: Double = 0.05, keepVersions: Int = 3, userID: Int64? = nil
    ) {
        self.init(
            entry: entry, file: URL(fileURLWithPath: "/dev/null"), fileName: sourceName, mode: mode,
            rejectionThreshold: rejectionThreshold, keepVersions: keepVersions, allowRepeat: true, userID: userID)
        self.rows = rows
    }
}

/// Rows that come from somewhere other than a file (a collection source): the header first, as row 1, then the
/// rows, in batches.
public protocol IngestRowSource: Sendable {
    func rows(batchSize: Int, _ body: ([(number: Int, cells: [String])]) async throws -> Void) async throws
}

/// Why a load could not start or was stopped; nothing of it is visible to readers.
public enum IngestFailure: HuitongError, Equatable {
    case notStructured
    case repeatedFile(jobID: Int64)
    case unreadableFile(String)
    case tooManyRejected(rejected: Int64, read: Int64, threshold: Double)
    case noKeyForChanges
    case alreadyLoading
    /// Items name code sets that do not exist: code set ids by item column name.
    case unknownCodeSets([String: String])

    public var code: String {
        switch self {
        case .notStructured: "entry_has_no_items"
        case .repeatedFile: "repeated_file"
        case .unreadableFile: "unreadable_file"
        case .tooManyRejected: "too_many_rejected_rows"
        case .noKeyForChanges: "entry_has_no_key"
        case .alreadyLoading: "load_in_progress"
        case .unknownCodeSets: "unknown_code_set"
        }
    }

    public var kind: ErrorKind {
        switch self {
        case .repeatedFile, .alreadyLoading: .conflict
        case .tooManyRejected, .unknownCodeSets: .unprocessable
        default: .badInput
        }
    }

    public var message: BilingualText {
        switch self {
        case .notStructured:
            BilingualText(zh: "该目录没有信息项，无法归集数据", en: "the entry has no data items to load into")
        case .repeatedFile(let job):
            BilingualText(
                zh: "同一文件已于任务 \(job) 归集成功；如需重新归集请明确确认",
                en: "the same file was already loaded by job \(job); confirm to load it again")
        case .unreadableFile(let reason):
            BilingualText(zh: "无法读取文件：\(reason)", en: "cannot read the file: \(reason)")
        case .tooManyRejected(let rejected, let read, _) where rejected == read:
            BilingualText(
                zh: "所有 \(read) 行均被拒绝，任务已中止，未发布任何数据",
                en: "all \(read) rows were rejected; nothing was published")
        case .tooManyRejected(let rejected, let read, let threshold):
            BilingualText(
                zh: "被拒绝的行过多（\(rejected)/\(read)，超过 \(Int(threshold * 100))%），任务已中止，未发布任何数据",
                en:
                    "too many rows rejected (\(rejected) of \(read), over \(Int(threshold * 100)) %); nothing was published"
            )
        case .noKeyForChanges:
            BilingualText(
                zh: "按主键更新或删除需要目录定义主键信息项", en: "loading by key needs the entry to have key items")
        case .alreadyLoading:
            BilingualText(
                zh: "该目录已有归集任务正在进行，请待其完成", en: "another load into this entry is running; wait for it to finish")
        case .unknownCodeSets(let missing):
            BilingualText(
                zh: "信息项引用的代码集不存在，无法校验：\(Self.list(missing).joined(separator: "、"))",
                en: "data items name code sets that do not exist, so their values cannot be checked: "
                    + Self.list(missing).joined(separator: ", "))
        }
    }
}

/// Progress of a running load, for progress bars and the job API.
public struct IngestProgress: Sendable {
    public var job: IngestJob
    public var rowsPerSecond: Double
    /// Estimated time left, when it can be told.
    public var remaining: Duration?
}

/// Streams a delivered file into a new version of the entry's pool: reads, maps the header, validates every
/// row, keeps keys unique, loads in batches and switches the pool to the new version only when the whole file
/// has been taken. Rejected rows go to the job's error report; nothing of a failed job is ever visible.
public struct IngestRunner: Sendable {
    public let store: Store
    /// Rows per insert batch. One batch is written while the next is read and checked.
    public var batchSize = 10_000
    /// How often a running load records its progress (which also tells other nodes it is alive).
    public var reportInterval: Duration = .milliseconds(500)
    /// What an XLSX workbook may make a load hold in memory, and the node's budget shared by the loads running at
    /// once (none for a process that runs one load, such as `huitong import`).
    public var xlsxLimits = XLSXReader.Limits()
    public var memoryBudget: IngestMemoryBudget?
    /// The node's grade policy, which says which columns a whole load encrypts at rest under `gm`: the operator's
    /// saved policy unless the node hands in its own reading (with its seed as the fallback).
    public var gradePolicy: @Sendable () async throws -> GradePolicy?

    public init(
        store: Store, xlsxLimits: XLSXReader.Limits = XLSXReader.Limits(), memoryBudget: IngestMemoryBudget? = nil,
        gradePolicy: (@Sendable () async throws -> GradePolicy?)? = nil
    ) {
        self.store = store
        self.xlsxLimits = xlsxLimits
        self.memoryBudget = memoryBudget
        self.gradePolicy = gradePolicy ?? { try await store.gradePolicy.current()?.policy }
    }

    /// GB/T 39786 8.4 e: the columns of `entry` a node running `gm` stores SM4-encrypted, as its grade policy
    /// says; none under `intl`.
    public func columnsEncryptedAtRest(_ entry: CatalogEntry) async throws -> Set<String> {
        try await store.columnsEncryptedAtRest(entry.content, policy: try await gradePolicy())
    }

    /// How long a running job may go without reporting progress before it counts as dead. Jobs report twice a
    /// second; several nodes (and `huitong import`) may load into one database at once, so a job of another host
    /// is never taken for dead merely because this process started. A job of a process on this host that has
    /// ended is recognised at once (see `IngestJobRunner`).
    public static let heartbeatTimeout: Duration = .seconds(600)

    /// A low guess of a delivered row's size (a population row is 100–300 bytes), so that a file's size
    /// overestimates its rows: a large pool is partitioned a little early rather than not at all (`PoolLayout`).
    static let fewestBytesPerRow: Int64 = 64

    /// Marks loads whose process died as failed and drops their half-built tables. Run at start, and before a
    /// load when an earlier one into the same entry seems to be running.
    public static func recover(_ store: Store, staleAfter timeout: Duration = heartbeatTimeout) async throws
        -> [IngestJob]
    {
        let dead = interrupted(try await store.ingestJobs.running(entryID: nil), staleAfter: timeout)
        try await store.ingestJobs.failInterrupted(ids: dead.map(\.id))
        _ = try await store.pools.abandonInterrupted(
            keepingEntries: Set(try await store.ingestJobs.running(entryID: nil).map(\.entryID)))
        return dead
    }

    /// Whether a live load into the entry is under way (a job whose process died does not count).
    public static func isLoading(_ store: Store, entryID: Int64) async throws -> Bool {
        let running = try await store.ingestJobs.running(entryID: entryID)
        return running.count > interrupted(running, staleAfter: heartbeatTimeout).count
    }

    /// The running jobs among `jobs` whose process has ended or gone silent.
    static func interrupted(_ jobs: [IngestJob], staleAfter timeout: Duration) -> [IngestJob] {
        let cutoff = Date().addingTimeInterval(-Double(timeout.components.seconds))
        return jobs.filter { $0.heartbeatAt < cutoff || IngestJobRunner.isGone($0.runner) }
    }

    /// Checks and records a load, then runs it to the end.
    public func run(
        _ request: IngestRequest, onProgress: @Sendable (IngestProgress) -> Void = { _ in }
    ) async throws -> IngestJob {
        try await load(try await start(request), request, onProgress: onProgress)
    }

    /// Checks that the load may start and records its job (status running); `load` then does the work, so that
    /// an HTTP upload can answer with the job at once and let the client follow its progress.
    public func start(_ request: IngestRequest) async throws -> IngestJob {
        let items = request.entry.content.items
        guard !items.isEmpty else { throw IngestFailure.notStructured }
        if request.mode != .replace && !items.contains(where: \.isKey) { throw IngestFailure.noKeyForChanges }
        // Rows from a source have no file to recognise again: each load of them is its own.
        let (hash, size) =
            request.rows == nil ? try Self.digest(of: request.file) : ("rows:\(UUID().uuidString)", Int64(0))
        if !request.allowRepeat,
            let earlier = try await store.ingestJobs.succeeded(
                entryID: request.entry.id, contentHash: hash)
        {
            throw IngestFailure.repeatedFile(jobID: earlier.id)
        }
        let running = try await store.ingestJobs.running(entryID: request.entry.id)
        if !running.isEmpty {
            let dead = Self.interrupted(running, staleAfter: Self.heartbeatTimeout)
            guard dead.count == running.count else { throw IngestFailure.alreadyLoading }
            _ = try await Self.recover(store)
        }
        return try await store.ingestJobs.create(
            entryID: request.entry.id, mode: request.mode, fileName: request.fileName, contentHash: hash,
            totalBytes: size, userID: request.userID, runner: IngestJobRunner.current)
    }

    /// Runs a started job: on success the pool shows the file's rows; on failure nothing changed but the job.
    public func load(
        _ job: IngestJob, _ request: IngestRequest, onProgress: @Sendable (IngestProgress) -> Void = { _ in }
    ) async throws -> IngestJob {
        let items = request.entry.content.items
        let keyColumns = items.filter(\.isKey).map(\.columnName)
        let size = job.totalBytes
        let codeSets: [CodeSet]
        let version: PoolVersion
        do {
            codeSets = try await self.codeSets(for: items)
            version = try await store.pools.beginVersion(
                entryID: request.entry.id, columns: items.map(\.columnName), types: ColumnType.of(items),
                keyColumns: keyColumns, copyingActive: request.mode != .replace,
                expectedRows: size / Self.fewestBytesPerRow, encrypting: try await columnsEncryptedAtRest(request.entry)
            )
        } catch {
            _ = try? await store.ingestJobs.finish(
                id: job.id, status: .failed, message: Self.failureMessage(error), poolVersion: nil)
            throw error
        }
        var load = Load(job: job, items: items, codeSets: codeSets, started: ContinuousClock.now)
        var published = false
        do {
            try await read(request, size: size) { rows, processedBytes in
                try await self.take(rows, into: version, request: request, load: &load)
                load.processedBytes = processedBytes
                if ContinuousClock.now - load.lastReport >= reportInterval { try await self.report(&load, onProgress) }
            }
            if load.mapping == nil { throw IngestFailure.unreadableFile("文件为空 (the file is empty)") }
            try await flush(into: version, request: request, load: &load)
            try await load.drain()
            load.processedBytes = size
            try await report(&load, onProgress, waiting: true)
            // Every row rejected publishes nothing, whatever the threshold: an empty version would replace the pool.
            if load.rejected > 0
                && (load.rejected == load.read
                    || Double(load.rejected) > Double(load.read) * request.rejectionThreshold)
            {
                throw IngestFailure.tooManyRejected(
                    rejected: load.rejected, read: load.read, threshold: request.rejectionThreshold)
            }
            var message = "已归集 \(load.loaded) 行，拒绝 \(load.rejected) 行"
            if request.mode == .sync {
                load.vanished = Int64(try await store.pools.retireUnseen(in: version))
                message =
                    "已同步 \(load.loaded) 行（新增或变更 \(load.changed) 行，删除 \(load.vanished) 行，其余未变），拒绝 \(load.rejected) 行"
            } else if request.mode == .reconcile {
                load.vanished = Int64(try await store.pools.retireUnseen(in: version))
                // As a delete: the rows a reconciliation changed are those it retired, as the job reports them.
                load.loaded = load.vanished
                try await report(&load, onProgress, waiting: true)
                message = "已核对 \(load.read) 个主键，删除源中已不存在的 \(load.vanished) 行"
            }
            if !load.unknownColumns.isEmpty { message += "；未识别的列已忽略：\(load.unknownColumns.joined(separator: "、"))" }
            // Switch, mount and the job's success in one transaction (a kill between them left a live version
            // whose job was later declared interrupted: found by scripts/crash-loop).
            let (done, _) = try await store.ingestJobs.succeed(
                id: job.id, publishing: version, keep: request.keepVersions, message: message,
                author: ChangeAuthor(userID: request.userID, name: "归集任务 \(job.id)"))
            published = true
            return done
        } catch {
            // Batches may still be on their way to the table; they must land or fail before the table is dropped.
            // Once published, the version is the pool readers see and stays, whatever failed after.
            try? await load.drain()
            if !published { try? await store.pools.abandon(version) }
            _ = try? await store.ingestJobs.finish(
                id: job.id, status: .failed, message: Self.failureMessage(error), poolVersion: nil)
            throw error
        }
    }

    /// The state of one load as it goes.
    struct Load {
        var job: IngestJob
        let items: [InfoItem]
        /// The code sets the items name, looked up once before the first row.
        let codeSets: [CodeSet]
        let started: ContinuousClock.Instant
        /// Where the key items sit among the row's values, worked out once rather than on every row.
        let keyPositions: [Int]
        /// Names the key in error reports, e.g. `sfzhm`.
        let keyName: String
        var mapping: ColumnMapping?
        var validator: RowValidator?
        /// The file's own heading of each item's column (出生日期 for `csrq`), for the error report.
        var headings: [String: String] = [:]
        /// The key's headings, joined as `keyName` joins its column names.
        var keyHeading = ""
        /// The row after the header, which may be a template's row of types.
        var expectingTypeRow = false
        var unknownColumns: [String] = []
        var pending: [[String?]] = []
        var pendingIssues: [RowIssue] = []
        var seenKeys = KeyRegister()
        /// Batches being written, oldest first, each after the one before it, while the next is read.
        var writing: [Task<Void, any Error>] = []
        /// The progress report being written, if any; a report due while one is still on its way is skipped.
        var reporting: (task: Task<Void, any Error>, done: ProgressWrite)?
        var lastReport: ContinuousClock.Instant
        var read: Int64 = 0
        var loaded: Int64 = 0
        /// For a sync: the rows written (new or changed) and the rows the file no longer holds.
        var changed: Int64 = 0
        var vanished: Int64 = 0
        /// For a sync: keys of refused rows, whose current rows must not count as vanished.
        var pendingKept: [[String]] = []
        var rejected: Int64 = 0
        var processedBytes: Int64 = 0

        init(job: IngestJob, items: [InfoItem], codeSets: [CodeSet], started: ContinuousClock.Instant) {
            self.job = job
            self.items = items
            self.codeSets = codeSets
            self.started = started
            lastReport = started
            keyPositions = items.indices.filter { items[$0].isKey }
            keyName = keyPositions.map { items[$0].columnName }.joined(separator: "+")
        }

        func key(of values: [String?]) -> [String] { keyPositions.map { values[$0] ?? "" } }

        /// Remembers the file's heading of each column the mapping found.
        mutating func name(headings header: [String], mapping: ColumnMapping) {
            for (item, position) in zip(mapping.items, mapping.positions) {
                guard let position, position < header.count else { continue }
                headings[item.columnName] = header[position].trimmingCharacters(in: .whitespacesAndNewlines)
            }
            keyHeading = keyPositions.map { headings[items[$0].columnName] ?? items[$0].name }.joined(separator: "+")
        }

        /// The issue with its column's heading in the file.
        func headed(_ issue: RowIssue) -> RowIssue {
            var issue = issue
            issue.heading = headings[issue.column] ?? ""
            return issue
        }

        /// Waits for every batch and report under way; throws the first failure.
        mutating func drain() async throws {
            let pending = writing
            writing = []
            for task in pending { try await task.value }
            if let reporting { try await reporting.task.value }
            reporting = nil
        }
    }

    func take(
        _ rows: [(number: Int, cells: [String])], into version: PoolVersion, request: IngestRequest, load: inout Load
    ) async throws {
        if request.mode == .reconcile { return try await takeKeys(rows, into: version, request: request, load: &load) }
        for row in rows {
            guard let validator = load.validator else {
                let mapping = try ColumnMapping(header: row.cells, items: load.items)
                load.mapping = mapping
                load.unknownColumns = mapping.unknownColumns
                load.validator = RowValidator(mapping: mapping, codeSets: load.codeSets)
                load.name(headings: row.cells, mapping: mapping)
                load.expectingTypeRow = true
                continue
            }
            if load.expectingTypeRow {
                // A filled-in template keeps its row of types under the header: not data, so not a rejected row.
                load.expectingTypeRow = false
                if let mapping = load.mapping, UploadTemplate.isTypeRow(row.cells, mapping: mapping) { continue }
            }
            load.read += 1
            switch validator.validate(row.cells, row: row.number) {
            case .failure(let problems):
                load.rejected += 1
                let headed = problems.issues.map { load.headed($0) }
                load.pendingIssues += headed
                if request.mode == .sync, let mapping = load.mapping {
                    // A row refused for a defect is not a row the source deleted: its key keeps its current row.
                    let key = load.keyPositions.map { item in
                        mapping.positions[item].flatMap { $0 < row.cells.count ? row.cells[$0] : nil }?
                            .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
                    }
                    load.pendingKept += [key, key.map { $0.uppercased() }]
                }
            case .success(let values):
                if !load.keyPositions.isEmpty,
                    let first = load.seenKeys.insert(values, positions: load.keyPositions, row: row.number)
                {
                    load.rejected += 1
                    // Each part masked by its own item's rule: a key of region code + ID number shows neither whole.
                    let key = load.keyPositions.map { RowValidator.reported(values[$0] ?? "", load.items[$0]) }
                    load.pendingIssues.append(
                        RowIssue(
                            row: row.number, column: load.keyName, value: key.joined(separator: "+"),
                            reason: BilingualText(
                                zh: "主键与第 \(first) 行重复", en: "the key repeats the one in row \(first)"),
                            kind: .duplicateKey, heading: load.keyHeading))
                    continue
                }
                load.pending.append(values)
            }
            if load.pending.count >= batchSize { try await flush(into: version, request: request, load: &load) }
        }
    }

    /// A reconciliation's rows: only the key columns count, each key kept (as a sync keeps a refused row's key:
    /// trimmed, and upper-cased too); an empty key is refused.
    func takeKeys(
        _ rows: [(number: Int, cells: [String])], into version: PoolVersion, request: IngestRequest, load: inout Load
    ) async throws {
        for row in rows {
            guard let mapping = load.mapping else {
                let header = row.cells.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
                guard header.contains(where: { !$0.isEmpty }) else { throw IngestError.emptyHeader }
                let positions = load.items.map { item -> Int? in
                    guard item.isKey else { return nil }
                    return header.firstIndex { $0.lowercased() == item.columnName } ?? header.firstIndex(of: item.name)
                }
                let missing = load.keyPositions.filter { positions[$0] == nil }.map {
                    "\(load.items[$0].name)（\(load.items[$0].columnName)）"
                }
                guard missing.isEmpty else { throw IngestError.missingColumns(missing) }
                load.mapping = ColumnMapping(positions: positions, items: load.items)
                load.name(headings: header, mapping: load.mapping!)
                continue
            }
            load.read += 1
            let key = load.keyPositions.map { item in
                mapping.positions[item].flatMap { $0 < row.cells.count ? row.cells[$0] : nil }?
                    .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            }
            if key.contains(where: \.isEmpty) {
                load.rejected += 1
                load.pendingIssues.append(
                    RowIssue(
                        row: row.number, column: load.keyName, value: "",
                        reason: BilingualText(zh: "主键为空", en: "the key is empty"), kind: .emptyKey,
                        heading: load.keyHeading))
                continue
            }
            load.pendingKept += [key, key.map { $0.uppercased() }]
            if load.pendingKept.count >= 2 * batchSize { try await flush(into: version, request: request, load: &load) }
        }
    }

    /// Hands the pending rows and rejected-row reports to the database. Writes run in the background, in order,
    /// at most two batches deep, so that reading and checking the next batch overlaps with writing (and, on
    /// SQLite, with waiting for the single writer); a failed write surfaces at the next flush.
    func flush(into version: PoolVersion, request: IngestRequest, load: inout Load) async throws {
        let rows = load.pending
        let issues = load.pendingIssues
        guard !rows.isEmpty || !issues.isEmpty || !load.pendingKept.isEmpty else { return }
        load.pending = []
        load.pending.reserveCapacity(batchSize)
        load.pendingIssues = []
        let jobs = store.ingestJobs
        let jobID = load.job.id
        if request.mode == .delete {
            // A delete reports how many rows it removed, which the job needs; it runs in line.
            try await load.drain()
            let keys = rows.map(load.key(of:))
            load.loaded += Int64(try await store.pools.delete(keys: keys, from: version))
            try await jobs.addIssues(id: jobID, issues)
            return
        }
        if request.mode == .reconcile {
            try await store.pools.keep(keys: load.pendingKept, in: version)
            load.pendingKept = []
            try await jobs.addIssues(id: jobID, issues)
            return
        }
        if request.mode == .sync {
            // As a delete: how many rows changed is the job's report.
            try await load.drain()
            load.changed += Int64(try await store.pools.sync(rows, into: version))
            load.loaded += Int64(rows.count)
            try await store.pools.keep(keys: load.pendingKept, in: version)
            load.pendingKept = []
            try await jobs.addIssues(id: jobID, issues)
            return
        }
        while load.writing.count >= 2 { try await load.writing.removeFirst().value }
        let previous = load.writing.last
        let pools = store.pools
        let replacingKeys = request.mode == .upsert
        load.writing.append(
            Task {
                try await previous?.value
                if !rows.isEmpty { try await pools.insert(rows, into: version, replacingKeys: replacingKeys) }
                if !issues.isEmpty { try await jobs.addIssues(id: jobID, issues) }
            })
        load.loaded += Int64(rows.count)
    }

    /// Records progress (the job's heartbeat) and tells `onProgress`. The write goes on in the background unless
    /// `waiting`: on SQLite it waits for the writer, and the reading must not.
    func report(
        _ load: inout Load, _ onProgress: @Sendable (IngestProgress) -> Void, waiting: Bool = false
    ) async throws {
        load.lastReport = ContinuousClock.now
        let jobs = store.ingestJobs
        let (id, processedBytes, read, loaded, rejected) = (
            load.job.id, load.processedBytes, load.read, load.loaded, load.rejected
        )
        if waiting {
            if let reporting = load.reporting { try await reporting.task.value }
            load.reporting = nil
            try await jobs.progress(
                id: id, processedBytes: processedBytes, rowsRead: read, rowsLoaded: loaded, rowsRejected: rejected)
        } else if load.reporting.map({ $0.done.isDone }) ?? true {
            if let reporting = load.reporting { try await reporting.task.value }
            let done = ProgressWrite()
            load.reporting = (
                Task {
                    defer { done.finish() }
                    try await jobs.progress(
                        id: id, processedBytes: processedBytes, rowsRead: read, rowsLoaded: loaded,
                        rowsRejected: rejected)
                }, done
            )
        }
        load.job.processedBytes = load.processedBytes
        load.job.rowsRead = load.read
        load.job.rowsLoaded = load.loaded
        load.job.rowsRejected = load.rejected
        let elapsed = ContinuousClock.now - load.started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let fraction = load.job.fraction
        let remaining: Duration? =
            fraction > 0.01 && fraction < 1 ? .seconds(seconds / fraction * (1 - fraction)) : nil
        onProgress(
            IngestProgress(
                job: load.job, rowsPerSecond: seconds > 0 ? Double(load.read) / seconds : 0, remaining: remaining))
    }

    /// Feeds the file's rows to `body` in batches, with the number of bytes read so far. The file is read and
    /// parsed on a thread of its own while the load checks and writes the rows before: parsing is about a third of
    /// a load's work, and the node has more than one core.
    func read(
        _ request: IngestRequest, size: Int64,
        _ body: ([(number: Int, cells: [String])], Int64) async throws -> Void
    ) async throws {
        if let rows = request.rows {
            try await rows.rows(batchSize: batchSize) { batch in try await body(batch, 0) }
            return
        }
        let name = request.fileName.lowercased()
        if name.hasSuffix(".xlsx") {
            try await readSheet(request, size: size, body)
            return
        }
        guard let handle = try? FileHandle(forReadingFrom: request.file) else {
            throw IngestFailure.unreadableFile(request.file.path)
        }
        let encoding = request.encoding
        try await readOnThread(body) { handoff in
            defer { try? handle.close() }
            if name.hasSuffix(".ndjson") || name.hasSuffix(".jsonl") || name.hasSuffix(".json") {
                var reader = JSONRowReader(layout: name.hasSuffix(".json") ? .array : .lines)
                try Self.stream(handle, &reader, to: handoff)
            } else {
                var parser = CSVParser(options: .init(encoding: encoding))
                try Self.stream(handle, &parser, to: handoff)
            }
        }
    }

    /// Reads a file a megabyte at a time through a reader, handing on the rows each chunk completes.
    static func stream<Reader: ChunkedRowReader>(
        _ handle: FileHandle, _ reader: inout Reader, to handoff: RowHandoff
    ) throws {
        var processed: Int64 = 0
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            processed += Int64(chunk.count)
            let rows = try reader.rows(from: chunk)
            if !rows.isEmpty { try handoff.send(rows, processedBytes: processed) }
        }
        let last = try reader.lastRows()
        if !last.isEmpty { try handoff.send(last, processedBytes: processed) }
    }

    /// An XLSX sheet, read on a thread of its own (the reader pushes rows as it decompresses) and handed over in
    /// batches; the share of rows read stands in for progress, which a compressed part cannot tell by bytes.
    func readSheet(
        _ request: IngestRequest, size: Int64,
        _ body: ([(number: Int, cells: [String])], Int64) async throws -> Void
    ) async throws {
        let reader = try XLSXReader(contentsOf: request.file, limits: xlsxLimits, budget: memoryBudget)
        let rowCount = reader.declaredRowCount(inSheet: request.sheet)
        let batchSize = batchSize
        let sheet = request.sheet
        let progress = { @Sendable (lastRow: Int) -> Int64 in
            rowCount.map { min(size, size * Int64(lastRow) / Int64(max(1, $0))) } ?? 0
        }
        try await readOnThread(body) { handoff in
            var batch: RowHandoff.Rows = []
            try reader.forEachRow(inSheet: sheet) { row in
                batch.append((row.number, row.cells))
                if batch.count >= batchSize {
                    try handoff.send(batch, processedBytes: progress(row.number))
                    batch.removeAll(keepingCapacity: true)
                }
            }
            if !batch.isEmpty { try handoff.send(batch, processedBytes: progress(batch.last?.number ?? 0)) }
        }
    }

    /// Runs `produce` on a thread of its own and feeds what it hands over to `body`. When `body` fails, the
    /// producer's next hand-over throws, so its thread ends too.
    func readOnThread(
        _ body: ([(number: Int, cells: [String])], Int64) async throws -> Void,
        produce: @escaping @Sendable (RowHandoff) throws -> Void
    ) async throws {
        let handoff = RowHandoff()
        Thread.detachNewThread {
            do {
                try produce(handoff)
                handoff.finish()
            } catch {
                handoff.finish(throwing: error)
            }
        }
        do {
            while let batch = try await handoff.next() { try await body(batch.rows, batch.processedBytes) }
        } catch {
            handoff.cancel()
            throw error
        }
    }

    /// SHA-256 and size of a file, read in chunks.
    static func digest(of file: URL) throws -> (String, Int64) {
        guard let handle = try? FileHandle(forReadingFrom: file) else {
            throw IngestFailure.unreadableFile(file.path)
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        var size: Int64 = 0
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            hasher.update(data: chunk)
            size += Int64(chunk.count)
        }
        return (Hex.lowercase(hasher.finalize()), size)
    }
}

/// Tells whether a background progress write has finished, without waiting for it.
final class ProgressWrite: Sendable {
    private let state = Atomic<Bool>(false)
    var isDone: Bool { state.load(ordering: .acquiring) }
    func finish() { state.store(true, ordering: .releasing) }
}

/// A reader that takes a file in chunks and gives back the rows each chunk completes.
protocol ChunkedRowReader {
    mutating func rows(from chunk: Data) throws -> [(number: Int, cells: [String])]
    mutating func lastRows() throws -> [(number: Int, cells: [String])]
}

extension JSONRowReader: ChunkedRowReader {
    mutating func rows(from chunk: Data) throws -> [(number: Int, cells: [String])] { try consume(chunk) }
    mutating func lastRows() throws -> [(number: Int, cells: [String])] { try finish() }
}

extension CSVParser: ChunkedRowReader {
    mutating func rows(from chunk: Data) throws -> [(number: Int, cells: [String])] {
        try consume(chunk).map { ($0.line, $0.fields) }
    }
    mutating func lastRows() throws -> [(number: Int, cells: [String])] { try finish().map { ($0.line, $0.fields) } }
}

extension IngestRunner {
    /// What a failed job tells whoever follows it: the platform's own explanation, or for anything else (a driver
    /// or file-system error, whose text may name paths or SQL) a plain statement; the caller logs the detail.
    public static func failureMessage(_ error: any Error) -> String {
        if let error = error as? any HuitongError, error.kind != .internal { return error.message.combined }
        return BilingualText(
            zh: "加载因平台内部错误失败，已记录日志", en: "the load failed on an internal error; it has been logged"
        ).combined
    }
}
