import AsyncHTTPClient
import Foundation
import HuitongCore
import HuitongIngest
import HuitongServices
import HuitongStore
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// `huitong import --server URL`: the same import through a node's API. The file is streamed as the raw body of
/// `POST /api/v1/catalog/entries/{id}/uploads` (never read into memory), then the job is followed with the local
/// mode's progress bar, and the first rejected rows are printed from the job's error report.
struct RemoteImporter: Sendable {
    /// The node, e.g. `https://huitong.example.gov.cn:8443`.
    let server: URL
    let token: String
    var pollInterval: Duration = .milliseconds(500)

    /// What to load, as on the command line.
    struct Load: Sendable {
        var resourceCode: String
        var file: URL
        var mode: IngestMode
        var encoding: TextEncodingChoice
        var sheet: String?
        var allowRepeat: Bool
    }

    /// The parts of a catalog entry the import needs.
    struct EntryRef: Decodable {
        var id: Int64
        var code: String
    }

    /// A job as the API shows it.
    struct JobBody: Decodable {
        var job: IngestJob
        var percent: Int
        var rowsPerSecond: Double
        var secondsRemaining: Int?
    }

    /// Checks that `text` names an http(s) server; the path, if any, is where the node is mounted.
    static func serverURL(_ text: String) -> URL? {
        var text = text
        while text.hasSuffix("/") { text.removeLast() }
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            url.host != nil, url.query == nil
        else { return nil }
        return url
    }

    /// Runs the import to its end: the finished job, with the rejected rows printed through `print`. A job that
    /// failed, or a request the server refused, is thrown as a `CommandFailure` after its report is shown.
    func run(_ load: Load, bar: ProgressBar, print: @Sendable (String) -> Void) async throws -> IngestJob {
        let client = HTTPClient(
            eventLoopGroupProvider: .singleton,
            configuration: HTTPClient.Configuration(
                redirectConfiguration: .disallow, timeout: .init(connect: .seconds(10), read: .seconds(300))))
        do {
            let job = try await run(load, client: client, bar: bar, print: print)
            try await client.shutdown()
            return job
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    func run(_ load: Load, client: HTTPClient, bar: ProgressBar, print: @Sendable (String) -> Void) async throws
        -> IngestJob
    {
        let entry = try await find(load.resourceCode, client)
        var started = try await upload(load, entryID: entry.id, client, bar: bar)
        print("任务 \(started.job.id) 已提交 (job submitted)，目录 (entry) \(entry.code)")
        var failures = 0
        while started.job.status == .running {
            bar.show(
                job: started.job, rowsPerSecond: started.rowsPerSecond,
                remaining: started.secondsRemaining.map { .seconds($0) })
            try await Task.sleep(for: pollInterval)
            do {
                started = try await get(JobBody.self, "ingest/jobs/\(started.job.id)", client)
                failures = 0
            } catch let error as CommandFailure {
                throw error
            } catch {
                // A dropped connection while following the job is retried a few times; the load goes on regardless.
                failures += 1
                if failures >= 5 { throw error }
            }
        }
        bar.show(job: started.job, rowsPerSecond: started.rowsPerSecond, remaining: nil)
        bar.finish()
        let job = started.job
        if job.status == .succeeded {
            print("任务 \(job.id) 完成 (job done): \(job.message)，池版本 (pool version) \(job.poolVersion ?? 0)")
        }
        if job.rowsRejected > 0 { try await printIssues(job.id, client, print: print) }
        guard job.status == .succeeded else {
            throw CommandFailure(message: "任务 \(job.id) 失败 (job failed): \(job.message)")
        }
        return job
    }

    /// The entry with this resource code, if the token's user may see it.
    func find(_ code: String, _ client: HTTPClient) async throws -> EntryRef {
        struct Found: Decodable {
            var items: [EntryRef]
        }
        let query = code.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? code
        let found = try await get(Found.self, "catalog/entries?code=\(query)&facets=none", client)
        guard let entry = found.items.first else {
            throw CommandFailure(
                message: "没有代码为 \(code) 的目录，或该令牌无权查看 (no catalog entry has this code, or the token may not see it)")
        }
        return entry
    }

    func upload(_ load: Load, entryID: Int64, _ client: HTTPClient, bar: ProgressBar) async throws -> JobBody {
        let size = try FileManager.default.attributesOfItem(atPath: load.file.path)[.size] as? Int64 ?? 0
        var parameters = URLComponents()
        parameters.queryItems =
            [
                URLQueryItem(name: "fileName", value: load.file.lastPathComponent),
                URLQueryItem(name: "mode", value: load.mode.rawValue),
                URLQueryItem(name: "encoding", value: load.encoding.rawValue),
                URLQueryItem(name: "allowRepeat", value: load.allowRepeat ? "true" : "false"),
            ] + (load.sheet.map { [URLQueryItem(name: "sheet", value: $0)] } ?? [])
        var request = request("catalog/entries/\(entryID)/uploads?\(parameters.percentEncodedQuery ?? "")")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/octet-stream")
        request.body = .stream(
            FileChunks(file: load.file) { sent in bar.showUpload(sent: sent, of: size) }, length: .known(size))
        // An upload of gigabytes takes its time; the connection's read timeout still catches a server gone silent.
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, deadline: .distantFuture)
            bar.finishUpload()
        } catch {
            bar.finishUpload()
            throw error
        }
        return try await decode(JobBody.self, response)
    }

    /// Prints the first rejected rows (row, column, masked value, reason) from the job's CSV error report.
    func printIssues(_ job: Int64, _ client: HTTPClient, print: @Sendable (String) -> Void) async throws {
        let response = try await client.execute(request("ingest/jobs/\(job)/errors"), timeout: .seconds(60))
        let body = try await response.body.collect(upTo: 64 << 20)
        guard response.status == .ok else { return }
        let records = try CSVParser.parse(body.readableBytesView).dropFirst()
        guard !records.isEmpty else { return }
        print("被拒绝的行 (rejected rows) — 行号 row, 列 column, 值 value, 原因 reason:")
        for record in records.prefix(20) {
            print("  " + record.fields.joined(separator: "\t"))
        }
        if records.count > 20 { print("  … 共 \(records.count) 条 (\(records.count) in all)") }
    }

    // MARK: HTTP

    func request(_ path: String) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: server.absoluteString + "/api/v1/" + path)
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Accept", value: "application/json")
        return request
    }

    func get<Value: Decodable>(_ type: Value.Type, _ path: String, _ client: HTTPClient) async throws -> Value {
        try await decode(type, try await client.execute(request(path), timeout: .seconds(60)))
    }

    /// The body as `Value`, or the API's error message as a `CommandFailure`.
    func decode<Value: Decodable>(_ type: Value.Type, _ response: HTTPClientResponse) async throws -> Value {
        let body = try await response.body.collect(upTo: 16 << 20)
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        guard (200..<300).contains(response.status.code) else {
            throw CommandFailure(message: Self.failure(response.status, body))
        }
        return try decoder.decode(type, from: body)
    }

    /// What went wrong, from an API error body `{"error": {"code", "message", "details"}}`.
    static func failure(_ status: HTTPResponseStatus, _ body: ByteBuffer) -> String {
        struct ErrorBody: Decodable {
            struct Payload: Decodable {
                struct Detail: Decodable {
                    var field: String
                    var message: String
                }
                var code: String
                var message: String
                var details: [Detail]?
            }
            var error: Payload
        }
        guard let error = try? JSONDecoder().decode(ErrorBody.self, from: body).error else {
            return "服务器返回 (the server answered) \(status.code) \(status.reasonPhrase)"
        }
        var message = error.message + (error.details ?? []).map { "\n  - \($0.field): \($0.message)" }.joined()
        switch error.code {
        case "repeated_file": message += "\n（加 --allow-repeat 重新归集 / add --allow-repeat to load it again）"
        case "invalid_token", "unauthenticated":
            message += "\n（用 --token 或环境变量 HUITONG_TOKEN 提供有效的个人令牌 / give a valid personal token）"
        default: break
        }
        return message
    }
}

/// A file read in chunks as an async sequence of buffers, for streaming it as a request body.
struct FileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    let file: URL
    var chunkSize = 1 << 20
    /// Told the number of bytes read so far after every chunk.
    let onRead: @Sendable (Int64) -> Void

    init(file: URL, onRead: @escaping @Sendable (Int64) -> Void = { _ in }) {
        self.file = file
        self.onRead = onRead
    }

    struct AsyncIterator: AsyncIteratorProtocol {
        let chunks: FileChunks
        var handle: FileHandle?
        var read: Int64 = 0
        var done = false

        mutating func next() async throws -> ByteBuffer? {
            guard !done else { return nil }
            if handle == nil { handle = try FileHandle(forReadingFrom: chunks.file) }
            guard let data = try handle?.read(upToCount: chunks.chunkSize), !data.isEmpty else {
                try handle?.close()
                done = true
                return nil
            }
            read += Int64(data.count)
            chunks.onRead(read)
            return ByteBuffer(data: data)
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(chunks: self) }
}
