import ArgumentParser
import Foundation
import HuitongCore
import HuitongServices
import HuitongStore

/// `huitong source list|add|edit|test|run|disable`: collection sources (归集源) on this node's database, through the same
/// use cases as the API, acting as a named account (whose department and roles the use cases check and the audit log
/// records). Passwords and API secrets are never printed.
struct SourceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "source",
        abstract: "Collection sources (归集源): list, add, edit, test, run now, disable.",
        subcommands: [List.self, Add.self, Edit.self, Test.self, Run.self, Disable.self])

    /// The node's options and the account the command acts as.
    struct Options: ParsableArguments {
        @OptionGroup var node: NodeOptions

        @Option(
            name: .customLong("as"),
            help: "The account acting: a provider officer of the entry's department, or an operator.")
        var username: String

        /// Runs `body` with the node's collection use cases and the acting user.
        func withCollection<Result>(_ body: (CollectionUseCases, User, Store) async throws -> Result) async throws
            -> Result
        {
            try await withStore(node) { store, config, _ in
                guard let user = try await store.users.find(username: username), user.isActive else {
                    throw CommandFailure(message: "没有可用的账号 \(username) (no active account with this name)")
                }
                let settings = try nodeSettings(config)
                let audit = try await node.auditTrail(store, config)
                var (sealingKey, _) = try SealingKeyLoader.load(
                    base64: settings.credentials.sealingKeyText, dataDirectory: settings.dataDirectory)
                sealingKey.suite = audit.suite
                var useCaseSettings = UseCases.Settings()
                useCaseSettings.sealingKey = sealingKey
                useCaseSettings.ingest = settings.ingest
                useCaseSettings.quality = settings.quality
                useCaseSettings.jobs = settings.jobs
                let useCases = UseCases(store: store, audit: audit, settings: useCaseSettings)
                do {
                    return try await body(useCases.collection, user, store)
                } catch let error as CommandFailure {
                    throw error
                } catch {
                    throw CommandFailure(message: error.userMessage)
                }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The sources the account may see, with their last run.")

        @OptionGroup var options: Options

        func run() async throws {
            try await options.withCollection { collection, user, store in
                let sources = try await collection.list(by: user)
                print("编号 id\t名称 name\t类型 kind\t位置 location\t计划 schedule\t启用 enabled\t最近归集 last run")
                for source in sources.reversed() {
                    let last = try await store.collectionSources.runs(sourceID: source.id, limit: 1).first
                    let run = last.map { "\($0.status.rawValue) \($0.rowsAccepted)/\($0.rowsRead)" } ?? "-"
                    print(
                        "\(source.id)\t\(source.name)\t\(source.kind.rawValue)\t\(source.shownLocation)\t"
                            + "\(source.cron.map { "cron \($0.text)" } ?? source.schedule.rawValue)\t"
                            + "\(source.enabled ? "yes" : "no")\t\(run)")
                }
                if sources.isEmpty { print("（没有归集源 / no sources）") }
            }
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a source of a catalog entry (tested first; nothing is saved when the test fails).")

        @OptionGroup var options: Options

        @Option(help: "The entry's resource code, e.g. 101001/0001.")
        var entry: String

        @Option(help: "The source's name.")
        var name: String

        @Option(help: "postgres, sqlite, dropDirectory or httpJSON.")
        var kind: String

        @Option(
            help:
                "postgres://user@host:port/db?sslmode=…, a path under HUITONG_COLLECTION_ROOTS, or an http(s):// URL. A PostgreSQL password goes in HUITONG_SOURCE_SECRET, never on the command line."
        )
        var location: String

        @Option(help: "The table to read (schema.table).")
        var table: String?

        @Option(help: "One read-only SELECT, instead of a table.")
        var query: String?

        @Option(name: .customLong("map"), help: "SOURCE_COLUMN=ITEM_COLUMN, repeatable.")
        var mappings: [String] = []

        @OptionGroup var settings: SourceSettings

        func run() async throws {
            guard let kind = CollectionSourceKind(rawValue: kind) else {
                throw ArgumentParser.ValidationError(
                    "--kind 须为 postgres、sqlite、dropDirectory 或 httpJSON (must be postgres, sqlite, dropDirectory or httpJSON)"
                )
            }
            let (schedule, cron) = try settings.schedule(default: .manual)
            let (location, apiSecret) = try SourceCommand.withSecret(location, kind: kind)
            let draft = CollectionSourceDraft(
                name: name, kind: kind, location: location, table: table, query: query,
                columnMapping: try SourceCommand.mapping(mappings), watermark: try settings.watermark(),
                schedule: schedule ?? .manual, http: kind == .httpJSON ? try settings.http(over: nil) : nil,
                secret: apiSecret, cron: cron)
            try await options.withCollection { collection, user, store in
                guard let entry = try await store.catalog.find(code: entry) else {
                    throw CommandFailure(message: "没有代码为 \(self.entry) 的目录 (no catalog entry has this code)")
                }
                let test = try await collection.test(entryID: entry.id, draft, by: user)
                SourceCommand.printTest(test)
                let source = try await collection.create(entryID: entry.id, draft, by: user)
                print("归集源 \(source.id) 已登记 (source registered): \(source.name) \(source.shownLocation)")
            }
        }
    }

    struct Edit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change a source: only the options given change (a new secret from HUITONG_SOURCE_SECRET).")

        @OptionGroup var options: Options

        @Argument(help: "The source's id.")
        var id: Int64

        @Option(help: "The source's name.")
        var name: String?

        @Option(help: "The new location (a PostgreSQL URL without its password keeps the saved one).")
        var location: String?

        @Option(help: "The table to read (schema.table), instead of the query.")
        var table: String?

        @Option(help: "One read-only SELECT, instead of the table.")
        var query: String?

        @Option(name: .customLong("map"), help: "SOURCE_COLUMN=ITEM_COLUMN, repeatable; replaces the mapping.")
        var mappings: [String] = []

        @Flag(help: "Read the source whole again at every run (drops the watermark).")
        var removeWatermark = false

        @Flag(inversion: .prefixedEnableDisable, help: "Enable or disable the source.")
        var enabled: Bool?

        @OptionGroup var settings: SourceSettings

        func run() async throws {
            try await options.withCollection { collection, user, _ in
                let source = try await collection.source(id, by: user)
                var patch = CollectionSourcePatch()
                patch.name = name
                patch.table = table
                patch.query = query
                if !mappings.isEmpty { patch.columnMapping = try SourceCommand.mapping(mappings) }
                patch.watermark = try settings.watermark(over: source.watermark)
                patch.removeWatermark = removeWatermark
                (patch.schedule, patch.cron) = try settings.schedule(default: nil)
                patch.enabled = enabled
                if source.kind == .httpJSON && settings.changesHTTP {
                    patch.http = try settings.http(over: source.http)
                }
                let (location, secret) = try SourceCommand.withSecret(location ?? source.location, kind: source.kind)
                if self.location != nil || (source.kind == .postgres && location != source.location) {
                    patch.location = location
                }
                patch.secret = secret
                let saved = try await collection.update(id, patch, by: user)
                print("归集源 \(saved.id) 已修改 (source changed): \(saved.name) \(saved.shownLocation)")
            }
        }
    }

    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Test a saved source: the columns found, the items they fill and 5 masked rows.")

        @OptionGroup var options: Options

        @Argument(help: "The source's id.")
        var id: Int64

        func run() async throws {
            try await options.withCollection { collection, user, _ in
                SourceCommand.printTest(try await collection.test(id, by: user))
            }
        }
    }

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Collect a source now, here, and wait for the end (as a run by hand; the exit status is 1 when it fails)."
        )

        @OptionGroup var options: Options

        @Argument(help: "The source's id.")
        var id: Int64

        func run() async throws {
            let run = try await options.withCollection { collection, user, _ in
                try await collection.collectNow(id, by: user)
            }
            print(
                "归集 \(run.id) \(run.status.rawValue)：读取 read \(run.rowsRead)，接受 accepted \(run.rowsAccepted)，"
                    + "拒绝 rejected \(run.rowsRejected)" + (run.files.isEmpty ? "" : "，文件 files \(run.files)"))
            if let failure = run.failure {
                throw CommandFailure(message: "归集失败 (the run failed): \(failure.zh) (\(failure.en))")
            }
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable a source: no more scheduled or manual runs.")

        @OptionGroup var options: Options

        @Argument(help: "The source's id.")
        var id: Int64

        func run() async throws {
            try await options.withCollection { collection, user, _ in
                var patch = CollectionSourcePatch()
                patch.enabled = false
                let source = try await collection.update(id, patch, by: user)
                print("归集源 \(source.id) 已停用 (source disabled): \(source.name)")
            }
        }
    }

    /// `--map` pairs as a mapping.
    static func mapping(_ pairs: [String]) throws -> [String: String] {
        var mapping: [String: String] = [:]
        for pair in pairs {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else {
                throw ArgumentParser.ValidationError("--map 须为 源列=信息项列 (must be SOURCE=ITEM): \(pair)")
            }
            mapping[parts[0]] = parts[1]
        }
        return mapping
    }

    /// The location with HUITONG_SOURCE_SECRET in it (a PostgreSQL password), or beside it (an API's secret). A
    /// secret on the command line would show in the process list and the shell's history.
    static func withSecret(_ location: String, kind: CollectionSourceKind) throws -> (String, String?) {
        guard let secret = ProcessInfo.processInfo.environment["HUITONG_SOURCE_SECRET"], !secret.isEmpty else {
            return (location, nil)
        }
        switch kind {
        case .postgres:
            guard var url = URLComponents(string: location), url.password == nil else {
                throw ArgumentParser.ValidationError("--location 不应含密码 (the location must not hold the password)")
            }
            url.password = secret
            return (url.string ?? location, nil)
        case .httpJSON: return (location, secret)
        case .sqlite, .dropDirectory:
            throw ArgumentParser.ValidationError("此类归集源不用密钥 (this kind of source takes no secret)")
        }
    }

    static func printTest(_ test: SourceTestResult) {
        if !test.files.isEmpty { print("待取文件 (files waiting): \(test.files.joined(separator: ", "))") }
        guard !test.columns.isEmpty else { return }
        print("列 (columns): \(test.columns.joined(separator: ", "))")
        let matched = test.matchedItems.sorted { $0.key < $1.key }.map { "\($0.key)→\($0.value)" }
        print("对应信息项 (items filled): \(matched.joined(separator: ", "))")
        if !test.missingItems.isEmpty { print("未对应 (items missing): \(test.missingItems.joined(separator: ", "))") }
        print("样例（已脱敏）(sample, masked):")
        for row in test.sample { print("  " + row.joined(separator: "\t")) }
    }
}

/// The schedule, watermark and HTTP options of `source add` and `source edit`.
struct SourceSettings: ParsableArguments {
    @Option(help: "manual (default for add), entryCycle, hourly, daily, weekly, monthly or cron.")
    var schedule: String?

    @Option(
        help: "A cron schedule's five fields (minute hour day month weekday, China Standard Time), e.g. '30 2 * * 1-5'."
    )
    var cron: String?

    @Option(help: "The watermark column read incrementally (an update time or an increasing id).")
    var watermark: String?

    @Option(help: "What the watermark column holds: updateTime (default) or increasingID.")
    var watermarkKind: String?

    @Option(help: "How far each run reaches back behind the last watermark: seconds, or ids.")
    var overlap: Int64?

    @Option(help: "httpJSON: where the records are in each answer, e.g. data.items.")
    var recordsPath: String?

    @Option(help: "httpJSON: none, page, offset, cursor or nextLink.")
    var paging: String?

    @Option(help: "httpJSON: the page, offset or cursor parameter (page, offset, cursor by default).")
    var pageParameter: String?

    @Option(help: "httpJSON: the page size parameter (pageSize, limit by default).")
    var sizeParameter: String?

    @Option(help: "httpJSON: records a page asks for (100 by default).")
    var pageSize: Int?

    @Option(help: "httpJSON: the first page's number (1 by default).")
    var firstPage: Int?

    @Option(help: "httpJSON: where an answer holds the next cursor or link, e.g. meta.next.")
    var nextPath: String?

    @Option(help: "httpJSON: the header HUITONG_SOURCE_SECRET is sent in (e.g. Authorization).")
    var authHeader: String?

    @Option(help: "httpJSON: seconds one request may take (30 by default).")
    var timeout: Int?

    @Option(help: "httpJSON: at most this many requests a second.")
    var rate: Double?

    /// The schedule given (a cron expression alone means a cron schedule), or `fallback`.
    func schedule(default fallback: CollectionSchedule?) throws -> (CollectionSchedule?, CronExpression?) {
        var chosen = fallback
        if let schedule {
            guard let parsed = CollectionSchedule(rawValue: schedule) else {
                let choices = CollectionSchedule.allCases.map(\.rawValue).joined(separator: ", ")
                throw ArgumentParser.ValidationError("--schedule 须为以下之一 (must be one of): \(choices)")
            }
            chosen = parsed
        }
        guard let cron else { return (chosen, nil) }
        do {
            return (self.schedule == nil ? .cron : chosen, try CronExpression(cron))
        } catch {
            throw ArgumentParser.ValidationError(
                "--cron: " + error.issues.map(\.message).joined(separator: "; "))
        }
    }

    /// The watermark given, over `saved` (an edit changing only the overlap keeps the column).
    func watermark(over saved: SourceWatermark? = nil) throws -> SourceWatermark? {
        var kind: WatermarkKind?
        if let watermarkKind {
            guard let parsed = WatermarkKind(rawValue: watermarkKind) else {
                throw ArgumentParser.ValidationError(
                    "--watermark-kind 须为 updateTime 或 increasingID (must be updateTime or increasingID)")
            }
            kind = parsed
        }
        guard let column = watermark ?? (kind != nil || overlap != nil ? saved?.column : nil) else {
            if kind != nil || overlap != nil {
                throw ArgumentParser.ValidationError("须给出 --watermark 列 (--watermark names the column)")
            }
            return nil
        }
        return SourceWatermark(
            column: column, kind: kind ?? saved?.kind ?? .updateTime, overlap: overlap ?? saved?.overlap ?? 0)
    }

    /// Whether any HTTP option was given.
    var changesHTTP: Bool {
        recordsPath != nil || paging != nil || pageParameter != nil || sizeParameter != nil || pageSize != nil
            || firstPage != nil || nextPath != nil || authHeader != nil || timeout != nil || rate != nil
    }

    /// The HTTP options given, over `saved`.
    func http(over saved: HTTPSourceOptions?) throws -> HTTPSourceOptions {
        var options = saved ?? HTTPSourceOptions()
        if let paging {
            guard let parsed = HTTPSourceOptions.Paging(rawValue: paging) else {
                throw ArgumentParser.ValidationError(
                    "--paging 须为 none、page、offset、cursor 或 nextLink (must be none, page, offset, cursor or nextLink)")
            }
            options.paging = parsed
        }
        options.recordsPath = recordsPath ?? options.recordsPath
        options.pageParameter = pageParameter ?? options.pageParameter
        options.sizeParameter = sizeParameter ?? options.sizeParameter
        options.pageSize = pageSize ?? options.pageSize
        options.firstPage = firstPage ?? options.firstPage
        options.nextPath = nextPath ?? options.nextPath
        options.authHeader = authHeader ?? options.authHeader
        options.timeoutSeconds = timeout ?? options.timeoutSeconds
        options.requestsPerSecond = rate ?? options.requestsPerSecond
        return options
    }
}
