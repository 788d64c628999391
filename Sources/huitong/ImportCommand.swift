import ArgumentParser
import Foundation
import HuitongCore
import HuitongIngest
import HuitongServices
import HuitongStore

/// `huitong import RESOURCE_CODE FILE`: loads a department's file into the entry's pool on this node's database,
/// or with `--server` through a node's API, with a progress bar and the error report at the end.
struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Load a CSV, XLSX, NDJSON or JSON file into a catalog entry's resource pool (归集).")

    @OptionGroup var node: NodeOptions

    @Argument(help: "The entry's resource code, e.g. 101001/0001.")
    var resourceCode: String

    @Argument(help: "The file: .csv or .txt (UTF-8 or GB18030), .xlsx, .ndjson/.jsonl or .json (an array).")
    var file: String

    @Option(
        help:
            "replace (default) makes the file the whole pool; upsert and delete change rows by key; sync makes the file the whole pool but writes only what changed."
    )
    var mode: String = "replace"

    @Option(help: "auto (default), utf-8 or gb18030.")
    var encoding: String = "auto"

    @Option(help: "The XLSX sheet to read (default: the first).")
    var sheet: String?

    @Option(help: "Abort when more than this percentage of rows is rejected (default 5; local imports only).")
    var maxRejectedPercent: Double?

    @Flag(help: "Load the file even if the same file was loaded into this entry before.")
    var allowRepeat = false

    @Option(
        help: ArgumentHelp(
            "Load through this node's API instead of the local database, e.g. https://huitong.example.gov.cn:8443.",
            valueName: "url"))
    var server: String?

    @Option(
        help: ArgumentHelp(
            "Personal API token of a provider of the entry's department, for --server (or env HUITONG_TOKEN).",
            valueName: "token"))
    var token: String?

    func run() async throws {
        guard let mode = IngestMode(rawValue: mode) else {
            throw ValidationError(
                "--mode 须为以下之一：\(IngestMode.choices.zh) (must be one of: \(IngestMode.choices.en))")
        }
        guard let encoding = TextEncodingChoice(label: encoding) else {
            throw ValidationError("--encoding 须为 auto、utf-8 或 gb18030 (must be auto, utf-8 or gb18030)")
        }
        let url = URL(fileURLWithPath: file)
        guard FileManager.default.isReadableFile(atPath: url.path) else {
            throw ValidationError("无法读取文件 (cannot read the file): \(file)")
        }
        if let server {
            try await importRemotely(server, file: url, mode: mode, encoding: encoding)
            return
        }
        if token != nil { throw ValidationError("--token 只用于 --server (--token goes with --server)") }
        let maxRejectedPercent = maxRejectedPercent ?? 5
        try await withStore(node) { store, config, _ in
            guard let entry = try await store.catalog.find(code: resourceCode) else {
                throw CommandFailure(message: "没有代码为 \(resourceCode) 的目录 (no catalog entry has this code)")
            }
            // The same checks of the settings as `serve` makes: a limit of 0 would refuse every workbook.
            let xlsxLimits: XLSXReader.Limits
            do {
                xlsxLimits = try IngestSettings(
                    reader: config, dataDirectory: config.string(forKey: "huitong.data", default: "./huitong-data")
                ).xlsxLimits
            } catch {
                throw ValidationError("upload and load settings: \(error.userMessage)")
            }
            let bar = ProgressBar()
            do {
                let job = try await IngestRunner(
                    store: store, xlsxLimits: xlsxLimits, gradePolicy: { try await GradePolicy.current(store) }
                ).run(
                    IngestRequest(
                        entry: entry, file: url, mode: mode, encoding: encoding, sheet: sheet,
                        rejectionThreshold: maxRejectedPercent / 100, allowRepeat: allowRepeat),
                    onProgress: { bar.show($0) })
                bar.finish()
                print("任务 \(job.id) 完成 (job done): \(job.message)，池版本 (pool version) \(job.poolVersion ?? 0)")
                try await printIssues(store, job.id)
            } catch {
                bar.finish()
                if let job = try await store.ingestJobs.list(entryID: entry.id).first, job.status == .failed {
                    try await printIssues(store, job.id)
                }
                var message = error.userMessage
                if case IngestFailure.repeatedFile = error {
                    message += "\n（加 --allow-repeat 重新归集 / add --allow-repeat to load it again）"
                }
                throw CommandFailure(message: message)
            }
        }
    }

    /// `--server`: the file goes to the node's upload API and the job is followed there.
    func importRemotely(_ server: String, file: URL, mode: IngestMode, encoding: TextEncodingChoice) async throws {
        guard let serverURL = RemoteImporter.serverURL(server) else {
            throw ValidationError("--server 须为 http(s):// 地址 (must be an http(s):// URL): \(server)")
        }
        if node.dataDirectory != nil || node.databaseURL != nil {
            throw ValidationError("--server 不能与 --data 或 --database 同用 (--server replaces --data and --database)")
        }
        if maxRejectedPercent != nil {
            throw ValidationError(
                "--max-rejected-percent 只用于本地归集，服务器使用其自身的阈值 (local imports only; the server applies its own threshold)")
        }
        let environment = ProcessInfo.processInfo.environment["HUITONG_TOKEN"]
        guard let token = token ?? environment, !token.isEmpty else {
            throw ValidationError("--server 需要 --token 或环境变量 HUITONG_TOKEN (--server needs --token or HUITONG_TOKEN)")
        }
        let importer = RemoteImporter(server: serverURL, token: token)
        _ = try await importer.run(
            RemoteImporter.Load(
                resourceCode: resourceCode, file: file, mode: mode, encoding: encoding, sheet: sheet,
                allowRepeat: allowRepeat),
            bar: ProgressBar(), print: { Swift.print($0) })
    }

    func printIssues(_ store: Store, _ job: Int64) async throws {
        let issues = try await store.ingestJobs.issues(id: job)
        guard !issues.isEmpty else { return }
        print("被拒绝的行 (rejected rows) — 行号 row, 列 column, 值 value, 原因 reason:")
        for issue in issues.prefix(20) {
            print("  \(issue.row)\t\(issue.column)\t\(issue.value)\t\(issue.reason)")
        }
        if issues.count > 20 { print("  … 共 \(issues.count) 条 (\(issues.count) in all)") }
    }
}

/// A one-line progress bar on the terminal: percentage, rows, rows per second and time left.
struct ProgressBar: Sendable {
    func show(_ progress: IngestProgress) {
        show(job: progress.job, rowsPerSecond: progress.rowsPerSecond, remaining: progress.remaining)
    }

    func show(job: IngestJob, rowsPerSecond: Double, remaining: Duration?) {
        let percent = Int(job.fraction * 100)
        let filled = percent / 4
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: 25 - filled)
        var line = "\r\(bar) \(percent)%  \(job.rowsRead) 行 rows  \(Int(rowsPerSecond)) 行/秒"
        if let remaining { line += "  剩余约 \(remaining.components.seconds) 秒" }
        FileHandle.standardError.write(Data((line + "   ").utf8))
    }

    /// The upload before the load: bytes sent of the file's size.
    func showUpload(sent: Int64, of total: Int64) {
        let percent = total > 0 ? Int(sent * 100 / total) : 100
        let megabytes = { (bytes: Int64) in String(format: "%.1f", Double(bytes) / 1_048_576) }
        let line = "\r上传 (uploading) \(percent)%  \(megabytes(sent)) / \(megabytes(total)) MB"
        FileHandle.standardError.write(Data((line + "   ").utf8))
    }

    func finishUpload() {
        FileHandle.standardError.write(Data("\n".utf8))
    }

    func finish() {
        FileHandle.standardError.write(Data("\n".utf8))
    }
}

/// A command that ran and failed: printed as `Error: …` without the usage text meant for wrong arguments.
struct CommandFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
