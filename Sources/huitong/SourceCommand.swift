import ArgumentParser
import Foundation
import HuitongCore
import HuitongServices
import HuitongStore

/// `huitong source list|add|test|run|disable`: collection sources (归集源) on this node's database, through the same
/// use cases as the API, acting as a named account (whose department and roles the use cases check and the audit log
/// records). Passwords and API secrets are never printed.
struct SourceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "source",
        abstract: "Collection sources (归集源): list, add, test, run now, disable.",
        subcommands: [List.self, Add.self, Test.self, Run.self, Disable.self])

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
                            + "\(source.schedule.rawValue)\t\(source.enabled ? "yes" : "no")\t\(run)")
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

        @Option(help: "manual (default), entryCycle, hourly, daily, weekly or monthly.")
        var schedule: String = "manual"

        @Option(help: "For httpJSON: the header HUITONG_SOURCE_SECRET is sent in (e.g. Authorization).")
        var authHeader: String?

        func run() async throws {
            guard let kind = CollectionSourceKind(rawValue: kind) else {
                throw ArgumentParser.ValidationError(
                    "--kind 须为 postgres、sqlite、dropDirectory 或 httpJSON (must be postgres, sqlite, dropDirectory or httpJSON)"
                )
            }
            guard let schedule = CollectionSchedule(rawValue: schedule) else {
                let choices = CollectionSchedule.allCases.map(\.rawValue).joined(separator: ", ")
                throw ArgumentParser.ValidationError("--schedule 须为以下之一 (must be one of): \(choices)")
            }
            var mapping: [String: String] = [:]
            for pair in mappings {
                let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2 else {
                    throw ArgumentParser.ValidationError("--map 须为 源列=信息项列 (must be SOURCE=ITEM): \(pair)")
                }
                mapping[parts[0]] = parts[1]
            }
            // A secret on the command line would show in the process list and the shell's history.
            let secret = ProcessInfo.processInfo.environment["HUITONG_SOURCE_SECRET"].flatMap { $0.isEmpty ? nil : $0 }
            var location = location
            var apiSecret: String?
            if let secret {
                switch kind {
                case .postgres:
                    guard var url = URLComponents(string: location), url.password == nil else {
                        throw ArgumentParser.ValidationError(
                            "--location 不应含密码 (the location must not hold the password)")
                    }
                    url.password = secret
                    location = url.string ?? location
                case .httpJSON: apiSecret = secret
                case .sqlite, .dropDirectory:
                    throw ArgumentParser.ValidationError("此类归集源不用密钥 (this kind of source takes no secret)")
                }
            }
            let draft = CollectionSourceDraft(
                name: name, kind: kind, location: location, table: table, query: query, columnMapping: mapping,
                schedule: schedule, http: kind == .httpJSON ? HTTPSourceOptions(authHeader: authHeader) : nil,
                secret: apiSecret)
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
