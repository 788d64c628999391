import Foundation

/// Where an automated collection (归集) reads an entry's data from.
public enum CollectionSourceKind: String, Codable, Sendable, CaseIterable {
    /// A database that speaks the PostgreSQL protocol (PostgreSQL, openGauss, GaussDB, KingbaseES): a table or a
    /// read-only query.
    case postgres
    /// An SQLite database file on the node: a table or a read-only query.
    case sqlite
    /// A folder where delivered files (CSV, XLSX, JSON, NDJSON) appear; each is taken once and moved to `done/` or
    /// `failed/`.
    case dropDirectory
    /// An HTTP API answering JSON records, page after page.
    case httpJSON
}

/// How an HTTP JSON source is read: where the records are in each answer, how the pages follow one another, and
/// the header its secret goes in.
public struct HTTPSourceOptions: Codable, Sendable, Hashable {
    public enum Paging: String, Codable, Sendable, CaseIterable {
        /// One request.
        case none
        /// `?page=1&pageSize=100`, then page 2, … until a page holds fewer records than the size.
        case page
        /// `?offset=0&limit=100`, then offset 100, … until a page holds fewer records than the size.
        case offset
        /// `?cursor=…` with the value the previous answer gave at `nextPath`, until it gives none.
        case cursor
        /// The next page's URL, at `nextPath` in each answer (on the same host), until there is none.
        case nextLink
    }

    /// Where the records are in an answer, as dot-separated keys (`data.items`); nil: the answer itself when it is
    /// an array, else the first of `records`, `data`, `rows`, `result`, `items` that holds one.
    public var recordsPath: String?
    public var paging: Paging
    /// The query parameter of the page number, offset or cursor (`page`, `offset`, `cursor` when nil).
    public var pageParameter: String?
    /// The query parameter of the page size (`pageSize` for pages, `limit` for offsets when nil).
    public var sizeParameter: String?
    /// Records a page asks for (100 when nil).
    public var pageSize: Int?
    /// The first page's number (1 when nil).
    public var firstPage: Int?
    /// Where each answer holds the next cursor or link, as dot-separated keys.
    public var nextPath: String?
    /// The header the saved secret is sent in (`Authorization` for `Bearer …`, `X-API-Key`, …); nil: none.
    public var authHeader: String?
    /// Seconds one request may take (30 when nil).
    public var timeoutSeconds: Int?
    /// At most this many requests a second (no limit when nil).
    public var requestsPerSecond: Double?

    public init(
        recordsPath: String? = nil, paging: Paging = .none, pageParameter: String? = nil, sizeParameter: String? = nil,
        pageSize: Int? = nil, firstPage: Int? = nil, nextPath: String? = nil, authHeader: String? = nil,
        timeoutSeconds: Int? = nil, requestsPerSecond: Double? = nil
    ) {
        self.recordsPath = recordsPath
        self.paging = paging
        self.pageParameter = pageParameter
        self.sizeParameter = sizeParameter
        self.pageSize = pageSize
        self.firstPage = firstPage
        self.nextPath = nextPath
        self.authHeader = authHeader
        self.timeoutSeconds = timeoutSeconds
        self.requestsPerSecond = requestsPerSecond
    }

    func validate(_ issues: inout ValidationCollector) {
        if let size = pageSize, !(1...10_000).contains(size) {
            issues.add("http.pageSize", BilingualText(zh: "须在 1–10000 之间", en: "must be 1–10000"))
        }
        if (paging == .cursor || paging == .nextLink) && (nextPath ?? "").isEmpty {
            issues.add(
                "http.nextPath",
                BilingualText(zh: "按游标或下一页链接分页时须给出其位置", en: "cursor and next-link paging need its path"))
        }
        if let seconds = timeoutSeconds, !(1...300).contains(seconds) {
            issues.add("http.timeoutSeconds", BilingualText(zh: "须在 1–300 秒之间", en: "must be 1–300 seconds"))
        }
        if let rate = requestsPerSecond, !(rate > 0 && rate <= 1000) {
            issues.add(
                "http.requestsPerSecond", BilingualText(zh: "须大于 0 且不超过 1000", en: "must be above 0, at most 1000"))
        }
        for (field, value) in [
            ("http.pageParameter", pageParameter), ("http.sizeParameter", sizeParameter),
            ("http.authHeader", authHeader),
        ] {
            if let value, value.isEmpty || value.count > 100 || !value.allSatisfy({ $0.isASCII && !$0.isWhitespace }) {
                issues.add(
                    field, BilingualText(zh: "须为 1–100 个可见 ASCII 字符", en: "must be 1–100 visible ASCII characters"))
            }
        }
    }
}

/// How often a source is collected without being asked.
public enum CollectionSchedule: String, Codable, Sendable, CaseIterable {
    /// Only when someone starts a run.
    case manual
    /// As often as the entry's declared update cycle promises (每日, 每周, …); never for an irregular entry.
    case entryCycle
    case hourly
    case daily
    case weekly
    case monthly
    /// At the minutes a cron expression names (`CollectionSourceDraft.cron`), in China Standard Time.
    case cron

    /// The time between scheduled runs, or nil when the source is not run on a fixed interval (by hand, or by a
    /// cron expression: see `CollectionCadence`).
    public func interval(entryCycle cycle: UpdateCycle) -> TimeInterval? {
        switch self {
        case .manual, .cron: nil
        case .entryCycle: cycle == .realtime ? 3600 : cycle.expectedIntervalDays.map { Double($0) * 86_400 }
        case .hourly: 3600
        case .daily: 86_400
        case .weekly: 7 * 86_400
        case .monthly: 30 * 86_400
        }
    }
}

/// When a source's runs come: every so long, or at a cron expression's minutes.
public enum CollectionCadence: Sendable, Hashable {
    case every(TimeInterval)
    case cron(CronExpression)

    /// The cadence of a schedule for an entry of `cycle`; nil for a source run only by hand (or an irregular
    /// entry's cycle, or a cron schedule without its expression).
    public init?(_ schedule: CollectionSchedule, cron: CronExpression?, entryCycle cycle: UpdateCycle) {
        if schedule == .cron {
            guard let cron else { return nil }
            self = .cron(cron)
        } else {
            guard let interval = schedule.interval(entryCycle: cycle) else { return nil }
            self = .every(interval)
        }
    }

    /// The run due after `time`: an interval later, or the cron expression's next minute.
    public func next(after time: Date, in zone: TimeZone = CalendarDate.chinaTimeZone) -> Date? {
        switch self {
        case .every(let interval): time.addingTimeInterval(interval)
        case .cron(let expression): expression.next(after: time, in: zone)
        }
    }

    /// How long the cycle that starts after `time` is.
    public func cycle(after time: Date, in zone: TimeZone = CalendarDate.chinaTimeZone) -> TimeInterval? {
        switch self {
        case .every(let interval): interval
        case .cron(let expression): expression.cycle(after: time, in: zone)
        }
    }
}

/// What a watermark column holds.
public enum WatermarkKind: String, Codable, Sendable, CaseIterable {
    /// An id that grows with every new or changed row.
    case increasingID
    /// The time a row was last changed.
    case updateTime
}

/// An increasing column by which a source is read incrementally: each run reads the rows at or past the last run's
/// highest value less the overlap, and applies them by key (`upsert`).
public struct SourceWatermark: Codable, Sendable, Hashable {
    /// The source's column (before mapping).
    public var column: String
    public var kind: WatermarkKind
    /// How far back each run reaches behind the last highest value, to catch rows written late by long
    /// transactions: ids for `increasingID`, seconds for `updateTime`.
    public var overlap: Int64

    public init(column: String, kind: WatermarkKind, overlap: Int64 = 0) {
        self.column = column
        self.kind = kind
        self.overlap = overlap
    }
}

/// What a provider writes to register or change a source. The PostgreSQL URL may carry a password: the store keeps
/// it sealed, and nothing ever shows it again.
public struct CollectionSourceDraft: Sendable, Hashable {
    public var name: String
    public var kind: CollectionSourceKind
    /// The PostgreSQL URL (`postgres://user:password@host:5432/db?sslmode=disable`), the SQLite file's path, or the
    /// drop folder's path.
    public var location: String
    public var table: String?
    public var query: String?
    /// Source column → the entry's item column; columns not named keep their own names.
    public var columnMapping: [String: String]
    public var watermark: SourceWatermark?
    public var schedule: CollectionSchedule
    /// The cron expression of a `cron` schedule.
    public var cron: CronExpression?
    public var enabled: Bool
    /// How an HTTP JSON source is read.
    public var http: HTTPSourceOptions?
    /// An HTTP JSON source's secret, sent in `http.authHeader` (e.g. `Bearer …`): sealed when saved, never shown
    /// again; nil keeps the saved one.
    public var secret: String?

    public init(
        name: String, kind: CollectionSourceKind, location: String, table: String? = nil, query: String? = nil,
        columnMapping: [String: String] = [:], watermark: SourceWatermark? = nil,
        schedule: CollectionSchedule = .manual, enabled: Bool = true, http: HTTPSourceOptions? = nil,
        secret: String? = nil, cron: CronExpression? = nil
    ) {
        self.cron = cron
        self.http = http
        self.secret = secret
        self.name = name
        self.kind = kind
        self.location = location
        self.table = table
        self.query = query
        self.columnMapping = columnMapping
        self.watermark = watermark
        self.schedule = schedule
        self.enabled = enabled
    }

    /// Every problem with the draft at once, checked against the entry's item columns.
    public func validate(itemColumns: Set<String>) throws(ValidationError) {
        var issues = ValidationCollector()
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty || trimmed.count > 100 {
            issues.add("name", BilingualText(zh: "名称须为 1–100 个字符", en: "must be 1–100 characters"))
        }
        switch kind {
        case .postgres:
            do { _ = try PostgresSourceAddress(url: location) } catch { issues.add("location", error.reason) }
        case .httpJSON:
            let url = URLComponents(string: location)
            if !["http", "https"].contains(url?.scheme?.lowercased() ?? "") || (url?.host ?? "").isEmpty
                || url?.user != nil
            {
                issues.add(
                    "location",
                    BilingualText(
                        zh: "须为 http:// 或 https:// 地址，不含用户名和密码",
                        en: "must be an http:// or https:// URL without a user or password"))
            }
        case .sqlite, .dropDirectory:
            if !location.hasPrefix("/") || location.contains("\0") || location.split(separator: "/").contains("..") {
                issues.add(
                    "location",
                    BilingualText(
                        zh: "须为本节点上的绝对路径，且不含“..”", en: "must be an absolute path on this node without “..”"))
            }
        }
        if kind == .dropDirectory || kind == .httpJSON {
            if table != nil || query != nil {
                issues.add(
                    table != nil ? "table" : "query",
                    BilingualText(zh: "投放目录和接口不使用表或查询", en: "a drop directory or an API has no table or query"))
            }
            if watermark != nil {
                issues.add(
                    "watermark",
                    BilingualText(zh: "投放目录和接口不使用水位列", en: "a drop directory or an API has no watermark column"))
            }
        } else {
            switch (table, query) {
            case (nil, nil), (.some, .some):
                issues.add("table", BilingualText(zh: "须给出表名或查询之一", en: "give either a table or a query"))
            case (let table?, nil):
                if !SourceIdentifier.isQualifiedName(table) {
                    issues.add(
                        "table",
                        BilingualText(
                            zh: "表名只能由字母、数字和下划线组成，可带模式名（如 public.rk）",
                            en:
                                "a table name is letters, digits and underscores, optionally with its schema (public.rk)"
                        ))
                }
            case (nil, let query?):
                if let problem = SourceIdentifier.readOnlyProblem(query) { issues.add("query", problem) }
            }
        }
        if kind == .httpJSON {
            (http ?? HTTPSourceOptions()).validate(&issues)
            if secret != nil && http?.authHeader == nil {
                issues.add(
                    "http.authHeader", BilingualText(zh: "给出密钥时须指明请求头", en: "a secret needs the header it goes in"))
            }
        } else if http != nil || secret != nil {
            issues.add("http", BilingualText(zh: "只有接口使用这些设置", en: "only an API source has these settings"))
        }
        if schedule == .cron && cron == nil {
            issues.add("cron", BilingualText(zh: "按 cron 表达式归集时须给出表达式", en: "a cron schedule needs its expression"))
        } else if schedule != .cron && cron != nil {
            issues.add(
                "cron", BilingualText(zh: "只有 cron 计划使用表达式", en: "only a cron schedule has an expression"))
        }
        for (column, item) in columnMapping.sorted(by: { $0.key < $1.key }) {
            if !SourceIdentifier.isName(column) {
                issues.add(
                    "columnMapping",
                    BilingualText(zh: "源列名“\(column.prefix(40))”无效", en: "“\(column.prefix(40))” is not a column name"))
            }
            if !itemColumns.contains(item) {
                issues.add(
                    "columnMapping",
                    BilingualText(
                        zh: "“\(item.prefix(40))”不是该目录的信息项", en: "“\(item.prefix(40))” is not an item of the entry"))
            }
        }
        if let watermark {
            if !SourceIdentifier.isName(watermark.column) {
                issues.add("watermark.column", BilingualText(zh: "列名无效", en: "not a column name"))
            }
            if watermark.overlap < 0 {
                issues.add("watermark.overlap", BilingualText(zh: "不能为负数", en: "must not be negative"))
            }
        }
        try issues.throwIfAny()
    }
}

/// A registered source of one catalog entry, as the store keeps it. The sealed password is the store's and the
/// use case's only: answers are built from the other fields.
public struct CollectionSource: Sendable, Hashable, Identifiable {
    public var id: Int64
    public var entryID: Int64
    /// The entry's provider department, whose officers manage the source.
    public var departmentID: Int64
    public var name: String
    public var kind: CollectionSourceKind
    /// The PostgreSQL URL without its password, or a path.
    public var location: String
    public var table: String?
    public var query: String?
    public var columnMapping: [String: String]
    public var watermark: SourceWatermark?
    /// The highest watermark value the last successful run saw.
    public var watermarkValue: String?
    public var schedule: CollectionSchedule
    /// The cron expression of a `cron` schedule.
    public var cron: CronExpression?
    public var enabled: Bool
    public var http: HTTPSourceOptions?
    /// The password (or an API's secret), sealed with the node's sealing key under `sealContext`; nil when the source needs none.
    public var sealedSecret: String?
    /// What the secret is sealed to (random per source), so that a sealed value copied to another source does not
    /// open there.
    public var sealContext: String
    public var createdBy: Int64?
    public var createdAt: Date
    public var updatedAt: Date
    /// When the next scheduled run is due; nil when none is scheduled.
    public var nextRunAt: Date?
    /// Runs failed in a row since the last success.
    public var consecutiveFailures = 0
    /// The start of the last successful run.
    public var lastSuccessAt: Date?
    /// Why the last failed run failed.
    public var lastFailure: BilingualText?
    /// When the source's lateness was told (cleared by a success): it is told once.
    public var lateAlertedAt: Date?
    /// When the source's keys were last compared with the pool's (a whole read, or a key reconciliation of a
    /// watermark source), so that rows deleted at the source leave the pool.
    public var reconciledAt: Date?

    public init(
        id: Int64, entryID: Int64, departmentID: Int64, name: String, kind: CollectionSourceKind, location: String,
        table: String?, query: String?, columnMapping: [String: String], watermark: SourceWatermark?,
        watermarkValue: String?, schedule: CollectionSchedule, enabled: Bool, sealedSecret: String?,
        sealContext: String, createdBy: Int64?, createdAt: Date, updatedAt: Date, nextRunAt: Date?,
        http: HTTPSourceOptions? = nil, cron: CronExpression? = nil
    ) {
        self.cron = cron
        self.http = http
        self.id = id
        self.entryID = entryID
        self.departmentID = departmentID
        self.name = name
        self.kind = kind
        self.location = location
        self.table = table
        self.query = query
        self.columnMapping = columnMapping
        self.watermark = watermark
        self.watermarkValue = watermarkValue
        self.schedule = schedule
        self.enabled = enabled
        self.sealedSecret = sealedSecret
        self.sealContext = sealContext
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.nextRunAt = nextRunAt
    }

    /// The location as shown: a PostgreSQL URL with its password masked.
    public var shownLocation: String {
        guard kind == .postgres, let address = try? PostgresSourceAddress(url: location) else { return location }
        return address.masked(hasPassword: sealedSecret != nil)
    }

    /// The fields a provider writes, read and changed as one (the location as stored: without a password).
    public var settings: CollectionSourceDraft {
        get {
            CollectionSourceDraft(
                name: name, kind: kind, location: location, table: table, query: query, columnMapping: columnMapping,
                watermark: watermark, schedule: schedule, enabled: enabled, http: http, cron: cron)
        }
        set {
            name = newValue.name
            kind = newValue.kind
            location = newValue.location
            table = newValue.table
            query = newValue.query
            columnMapping = newValue.columnMapping
            watermark = newValue.watermark
            schedule = newValue.schedule
            cron = newValue.cron
            enabled = newValue.enabled
            http = newValue.http
        }
    }

    /// The sealing context of a source's secret.
    public static func sealContext(_ token: String) -> String { "collection.source.\(token)" }
}

/// How a run was started.
public enum CollectionTrigger: String, Codable, Sendable, CaseIterable {
    case manual
    case schedule
}

/// How a run ended, or that it has not yet.
public enum CollectionRunStatus: String, Codable, Sendable, CaseIterable {
    case running
    case succeeded
    case failed
}

/// One collection of a source: when, how many rows, and how it ended.
public struct CollectionRun: Codable, Sendable, Hashable, Identifiable {
    public var id: Int64
    public var sourceID: Int64
    public var trigger: CollectionTrigger
    public var status: CollectionRunStatus
    /// The load into the pool that the run made (an ingest job, with its error report), once it started one.
    public var ingestJobID: Int64?
    public var startedAt: Date
    public var finishedAt: Date?
    public var rowsRead: Int64
    public var rowsAccepted: Int64
    public var rowsRejected: Int64
    /// Whether the run read only what changed since the watermark (`upsert`) rather than the whole source (`sync`).
    public var incremental: Bool
    /// The watermark the run reached (kept on the source once it succeeded).
    public var watermarkValue: String?
    /// Why it failed, in plain words, Chinese first.
    public var failure: BilingualText?
    /// For a drop directory: the files the run took.
    public var files: [String]
    public var requestedBy: Int64?
    /// Rows the run's key reconciliation retired from the pool (their keys vanished from the source).
    public var rowsRetired: Int64 = 0

    public init(
        id: Int64, sourceID: Int64, trigger: CollectionTrigger, status: CollectionRunStatus, ingestJobID: Int64?,
        startedAt: Date, finishedAt: Date?, rowsRead: Int64, rowsAccepted: Int64, rowsRejected: Int64,
        incremental: Bool, watermarkValue: String?, failure: BilingualText?, files: [String], requestedBy: Int64?
    ) {
        self.id = id
        self.sourceID = sourceID
        self.trigger = trigger
        self.status = status
        self.ingestJobID = ingestJobID
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.rowsRead = rowsRead
        self.rowsAccepted = rowsAccepted
        self.rowsRejected = rowsRejected
        self.incremental = incremental
        self.watermarkValue = watermarkValue
        self.failure = failure
        self.files = files
        self.requestedBy = requestedBy
    }
}

/// How a run ended, to record.
public struct CollectionRunOutcome: Sendable, Hashable {
    public var status: CollectionRunStatus
    public var ingestJobID: Int64?
    public var rowsRead: Int64
    public var rowsAccepted: Int64
    public var rowsRejected: Int64
    public var watermarkValue: String?
    public var failure: BilingualText?
    public var files: [String]
    /// Whether the run compared the source's keys with the pool's (a whole read, or a key reconciliation).
    public var reconciled = false
    /// Rows the key reconciliation retired.
    public var rowsRetired: Int64 = 0

    public init(
        status: CollectionRunStatus, ingestJobID: Int64? = nil, rowsRead: Int64 = 0, rowsAccepted: Int64 = 0,
        rowsRejected: Int64 = 0, watermarkValue: String? = nil, failure: BilingualText? = nil, files: [String] = []
    ) {
        self.status = status
        self.ingestJobID = ingestJobID
        self.rowsRead = rowsRead
        self.rowsAccepted = rowsAccepted
        self.rowsRejected = rowsRejected
        self.watermarkValue = watermarkValue
        self.failure = failure
        self.files = files
    }
}
