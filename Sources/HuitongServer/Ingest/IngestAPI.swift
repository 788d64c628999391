import Foundation
import HuitongCore
import HuitongIngest
import HuitongStore
import Hummingbird
import Logging

/// Uploads of department data into an entry's pool, and the jobs that load them.
///
/// `POST /api/v1/catalog/entries/{id}/uploads` takes the file as the raw request body, streamed to a temporary
/// file (never held in memory), answers 202 with the job at once, and loads in the background; the job shows
/// progress, and its rejected rows come as CSV.
struct IngestAPI {
    let store: Store
    let logger: Logger

    /// The largest file accepted by upload.
    static let uploadLimit: Int64 = 4 << 30

    func register(on api: RouterGroup<HuitongRequestContext>) {
        api.post("catalog/entries/:id/uploads", use: upload)
        api.get("catalog/entries/:id/jobs", use: jobs)
        api.get("ingest/jobs/:id", use: job)
        api.get("ingest/jobs/:id/errors", use: errors)
    }

    struct JobBody: Encodable {
        var job: IngestJob
        var percent: Int
        var rowsPerSecond: Double
        /// Seconds left, estimated from progress so far; nil when it cannot be told.
        var secondsRemaining: Int?

        init(_ job: IngestJob, now: Date = Date()) {
            self.job = job
            percent = Int(job.fraction * 100)
            let elapsed = (job.finishedAt ?? now).timeIntervalSince(job.createdAt)
            rowsPerSecond = elapsed > 0 ? (Double(job.rowsRead) / elapsed).rounded() : 0
            let fraction = job.fraction
            secondsRemaining =
                job.status == .running && fraction > 0.01 && fraction < 1
                ? Int(elapsed / fraction * (1 - fraction)) : nil
        }
    }

    func upload(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let user = try context.requireRole(.provider, .operator)
        let entry = try await managedEntry(context, user)
        let query = request.uri.queryParameters
        var issues = ValidationCollector()
        let mode = IngestMode(rawValue: query["mode"].map(String.init) ?? "replace")
        if mode == nil {
            issues.add(
                "mode",
                BilingualText(zh: "mode 须为 replace、upsert 或 delete", en: "mode must be replace, upsert or delete"))
        }
        let encoding = TextEncodingChoice(label: query["encoding"].map(String.init) ?? "auto")
        if encoding == nil {
            issues.add(
                "encoding",
                BilingualText(zh: "encoding 须为 auto、utf-8 或 gb18030", en: "encoding must be auto, utf-8 or gb18030"))
        }
        let fileName = query["fileName"].map(String.init) ?? "upload.csv"
        let lowered = fileName.lowercased()
        if !(lowered.hasSuffix(".csv") || lowered.hasSuffix(".txt") || lowered.hasSuffix(".xlsx")) {
            issues.add(
                "fileName",
                BilingualText(zh: "仅支持 .csv、.txt 或 .xlsx 文件", en: "only .csv, .txt or .xlsx files are accepted"))
        }
        try issues.throwIfAny()
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("huitong-upload-\(UUID().uuidString)")
        do {
            try await Self.save(request.body, to: file)
        } catch {
            try? FileManager.default.removeItem(at: file)
            throw error
        }
        let ingest = IngestRequest(
            entry: entry, file: file, fileName: fileName, mode: mode!, encoding: encoding!,
            sheet: query["sheet"].map(String.init), allowRepeat: query["allowRepeat"] == "true", userID: user.id)
        let runner = IngestRunner(store: store)
        let job: IngestJob
        do {
            job = try await runner.start(ingest)
        } catch {
            try? FileManager.default.removeItem(at: file)
            throw error
        }
        let logger = logger
        // The load outlives the request; its job records progress and outcome for the client to follow.
        Task.detached {
            do {
                let done = try await runner.load(job, ingest)
                logger.info("ingest job finished", metadata: ["job": "\(done.id)", "rows": "\(done.rowsLoaded)"])
            } catch {
                logger.warning("ingest job failed", metadata: ["job": "\(job.id)", "error": "\(error)"])
            }
            try? FileManager.default.removeItem(at: file)
        }
        return try JSONResponse.make(JobBody(job), status: .accepted)
    }

    func jobs(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let entry = try await managedEntry(context, user)
        return try JSONResponse.make(
            ListBody(items: try await store.ingestJobs.list(entryID: entry.id).map { JobBody($0) }))
    }

    func job(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try JSONResponse.make(JobBody(try await visibleJob(context)))
    }

    func errors(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let job = try await visibleJob(context)
        var rows = [["行号 row", "列 column", "值 value", "原因 reason"]]
        rows += try await store.ingestJobs.issues(id: job.id).map { [String($0.row), $0.column, $0.value, $0.reason] }
        return CatalogTransferAPI.download(
            CSVWriter.encode(rows: rows, options: .init(includesByteOrderMark: true)), type: "text/csv; charset=utf-8",
            name: "job-\(job.id)-errors.csv")
    }

    /// A job of an entry the caller may load into (its department's officers, or an operator).
    func visibleJob(_ context: HuitongRequestContext) async throws -> IngestJob {
        let user = try context.requireUser()
        let id = try context.id()
        guard let job = try await store.ingestJobs.find(id: id),
            let entry = try await store.catalog.find(id: job.entryID),
            user.has(.operator) || user.has(.auditor) || entry.provider.departmentID == user.departmentID
        else { throw StoreError.notFound(entity: "ingest job", key: "\(id)") }
        return job
    }

    /// An entry of the caller's department (any entry for an operator); others answer 404 like missing ones.
    func managedEntry(_ context: HuitongRequestContext, _ user: User) async throws -> CatalogEntry {
        let entry = try await CatalogAPI(store: store).visibleEntry(context)
        guard user.has(.operator) || entry.provider.departmentID == user.departmentID else {
            throw StoreError.notFound(entity: "catalog entry", key: "\(entry.id)")
        }
        return entry
    }

    /// Writes the body to `file` as it arrives, refusing more than `uploadLimit` bytes.
    static func save(_ body: RequestBody, to file: URL) async throws {
        guard FileManager.default.createFile(atPath: file.path, contents: nil),
            let handle = try? FileHandle(forWritingTo: file)
        else {
            throw APIError.malformedBody(
                field: nil, reason: BilingualText(zh: "无法保存上传的文件", en: "cannot store the upload"))
        }
        defer { try? handle.close() }
        var written: Int64 = 0
        for try await buffer in body {
            written += Int64(buffer.readableBytes)
            if written > uploadLimit { throw APIError.bodyTooLarge(limit: Int(uploadLimit)) }
            try handle.write(contentsOf: Data(buffer: buffer))
        }
        if written == 0 {
            throw APIError.malformedBody(
                field: nil, reason: BilingualText(zh: "上传的文件为空", en: "the uploaded file is empty"))
        }
    }
}
