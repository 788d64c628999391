import Foundation
import HuitongCore
import HuitongIngest
import HuitongServices
import HuitongStore
import Hummingbird
import Logging

/// Uploads of department data into an entry's pool, and the jobs that load them.
///
/// `POST /api/v1/catalog/entries/{id}/uploads` takes the file as the raw request body or as the `file` part of a
/// `multipart/form-data` form, streamed to a temporary file (never held in memory), answers 202 with the job at
/// once, and loads in the background; the job shows progress, and its rejected rows come as CSV.
struct IngestAPI {
    let store: Store
    let catalog: CatalogLifecycle
    /// The upload limit and where uploads are spooled.
    let settings: IngestSettings
    /// Where loads go once received: jobs of this node, which also run the quality check after them.
    let uploads: UploadLoads

    func register(on api: RouterGroup<HuitongRequestContext>) {
        api.post("catalog/entries/:id/uploads", use: upload)
        api.get("catalog/entries/:id/jobs", use: jobs)
        api.get("catalog/entries/:id/template", use: template)
        api.get("ingest/jobs/:id", use: job)
        api.get("ingest/jobs/:id/errors", use: errors)
        api.get("catalog/entries/:id/pool/versions", use: poolVersions)
        api.post("catalog/entries/:id/pool/rollback", use: rollback)
    }

    struct JobBody: Codable {
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
        let (user, entry) = try await managedEntry(context, .ingestUpload)
        let ingest: IngestRequest
        do {
            (ingest, _) = try await receive(request, into: entry, by: user)
        } catch let refused as RefusedUpload {
            throw refused.error
        }
        return try JSONResponse.make(JobBody(try await start(ingest)), status: .accepted)
    }

    /// An upload whose options were refused once its form was in, with the form's fields, so that a page can show
    /// the form again as it was sent (a provider who chose to add rows must not find it back at "replace").
    struct RefusedUpload: Error {
        let error: any Error
        let fields: [String: String]
    }

    /// Streams an upload (the raw body, or a form's `file` part) to a temporary file and reads how to load it into
    /// `entry`, from the query string and the form's fields. Returns the load and the form's fields other than the
    /// file (none for a raw body), for a caller that checks more of them before it `start`s; on failure nothing is
    /// kept.
    func receive(_ request: Request, into entry: CatalogEntry, by user: User) async throws -> (
        IngestRequest, [String: String]
    ) {
        var options = UploadOptions(request)
        let limit = settings.uploadMaximumBytes
        let boundary = try MultipartUpload.boundary(contentType: request.headers[.contentType])
        // Refused before a byte is read or written when the client says how much it sends; a form may carry its
        // other fields (a few KB) besides the file.
        if let declared = request.headers[.contentLength].flatMap({ Int64($0) }),
            declared > (boundary == nil ? limit : limit + MultipartUpload.formOverhead)
        {
            throw APIError.uploadTooLarge(limit: limit)
        }
        let file = try SpoolFile.path(in: settings.spoolFolder)
        do {
            if let boundary {
                // A form: its fields may come after the file, so the options are checked once the body is in.
                let form = try await MultipartUpload.receive(
                    request.body, boundary: boundary, to: file, limit: limit)
                options.merge(form)
                do {
                    return (try options.request(entry: entry, file: file, userID: user.id), form.fields)
                } catch {
                    throw RefusedUpload(error: error, fields: form.fields)
                }
            }
            options.fileName = options.fileName ?? "upload.csv"
            let ingest = try options.request(entry: entry, file: file, userID: user.id)
            try await Self.save(request.body, to: file, limit: limit)
            return (ingest, [:])
        } catch {
            try? FileManager.default.removeItem(at: file)
            throw error
        }
    }

    /// Records the job of a received upload and queues its load, answering with the job at once; the file is
    /// removed when the load ends, or now if it cannot start.
    func start(_ ingest: IngestRequest) async throws -> IngestJob {
        // The load outlives the request; its job records progress and outcome for the client to follow.
        try await uploads.start(ingest).0
    }

    /// How to load an upload, from the query string and (for a form) its fields, which win.
    struct UploadOptions {
        var mode: String?
        var encoding: String?
        var sheet: String?
        var allowRepeat: String?
        /// The share of rejected rows (percent, 0–100) above which nothing is published; 5 by default.
        var maxRejectedPercent: String?
        /// `true`: publish the valid rows whatever share is rejected, and report the rest.
        var publishValid: String?
        var fileName: String?
        /// Where the file name came from, for error messages: the `fileName` parameter or the form's `file` part.
        var fileNameField = "fileName"

        /// The file types the loader reads.
        static let fileTypes = [".csv", ".txt", ".xlsx", ".ndjson", ".jsonl", ".json"]

        init(_ request: Request) {
            let query = request.uri.queryParameters
            mode = query["mode"].map(String.init)
            encoding = query["encoding"].map(String.init)
            sheet = query["sheet"].map(String.init)
            allowRepeat = query["allowRepeat"].map(String.init)
            maxRejectedPercent = query["maxRejectedPercent"].map(String.init)
            publishValid = query["publishValid"].map(String.init)
            fileName = query["fileName"].map(String.init)
        }

        mutating func merge(_ form: MultipartUpload) {
            mode = form.fields["mode"] ?? mode
            encoding = form.fields["encoding"] ?? encoding
            sheet = form.fields["sheet"] ?? sheet
            allowRepeat = form.fields["allowRepeat"] ?? allowRepeat
            maxRejectedPercent = form.fields["maxRejectedPercent"] ?? maxRejectedPercent
            publishValid = form.fields["publishValid"] ?? publishValid
            if let name = form.fileName {
                fileName = name
                fileNameField = MultipartUpload.filePart
            }
        }

        /// The load asked for, or every problem with the options at once.
        func request(entry: CatalogEntry, file: URL, userID: Int64) throws(ValidationError) -> IngestRequest {
            var issues = ValidationCollector()
            let mode = IngestMode(rawValue: mode ?? "replace")
            if mode == nil {
                issues.add(
                    "mode",
                    BilingualText(
                        zh: "mode 须为以下之一：\(IngestMode.choices.zh)", en: "mode must be one of: \(IngestMode.choices.en)")
                )
            }
            let encoding = TextEncodingChoice(label: encoding ?? "auto")
            if encoding == nil {
                issues.add(
                    "encoding",
                    BilingualText(
                        zh: "encoding 须为 auto、utf-8 或 gb18030", en: "encoding must be auto, utf-8 or gb18030"))
            }
            var repeatAllowed = false
            switch allowRepeat?.lowercased() {
            case nil, "", "false", "0", "off", "no": break
            case "true", "1", "on", "yes": repeatAllowed = true
            default:
                issues.add(
                    "allowRepeat",
                    BilingualText(zh: "allowRepeat 须为 true 或 false", en: "allowRepeat must be true or false"))
            }
            var threshold = Self.defaultRejectedPercent / 100
            let percentText = maxRejectedPercent?.trimmingCharacters(in: .whitespaces) ?? ""
            if !percentText.isEmpty {
                if let percent = Double(percentText), percent.isFinite, (0...100).contains(percent) {
                    threshold = percent / 100
                } else {
                    issues.add(
                        "maxRejectedPercent",
                        BilingualText(
                            zh: "允许拒绝的比例须为 0 到 100 之间的数字",
                            en: "the share of rejected rows must be a number from 0 to 100"))
                }
            }
            switch publishValid?.lowercased() {
            case nil, "", "false", "0", "off", "no": break
            case "true", "1", "on", "yes": threshold = 1
            default:
                issues.add(
                    "publishValid",
                    BilingualText(zh: "publishValid 须为 true 或 false", en: "publishValid must be true or false"))
            }
            if let fileName {
                let lowered = fileName.lowercased()
                if !Self.fileTypes.contains(where: { lowered.hasSuffix($0) }) {
                    issues.add(
                        fileNameField,
                        BilingualText(
                            zh: "仅支持 \(Self.fileTypes.joined(separator: "、")) 文件，“\(fileName)”不在其列",
                            en: "only \(Self.fileTypes.joined(separator: ", ")) files are accepted, not \"\(fileName)\""
                        ))
                }
            } else {
                issues.add(
                    MultipartUpload.filePart,
                    BilingualText(
                        zh: "缺少文件名：file 部分须带 filename，或在查询参数中给出 fileName",
                        en: "has no filename: give one in the file part or as the fileName parameter"))
            }
            try issues.throwIfAny()
            let sheet = sheet.flatMap { $0.isEmpty ? nil : $0 }
            return IngestRequest(
                entry: entry, file: file, fileName: fileName!, mode: mode!, encoding: encoding!, sheet: sheet,
                rejectionThreshold: threshold, allowRepeat: repeatAllowed, userID: userID)
        }

        /// The share of rejected rows (percent) above which a load publishes nothing, unless the upload says.
        static let defaultRejectedPercent = 5.0
    }

    /// The file to fill in for an upload into the entry: the items' names as the header, a row of types and an
    /// example row, as CSV (`format=csv`, the default) or XLSX; the load skips the row of types.
    func template(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let (_, entry) = try await managedEntry(context, .ingestUpload)
        let format = request.uri.queryParameters["format"].map(String.init) ?? "csv"
        guard format == "csv" || format == "xlsx" else {
            throw ValidationError(
                field: "format", BilingualText(zh: "文件类型须为 csv 或 xlsx", en: "format must be csv or xlsx"))
        }
        let items = entry.content.items
        guard !items.isEmpty else { throw IngestFailure.notStructured }
        let ids = Set(items.compactMap(\.codeSet))
        let codeSets = ids.isEmpty ? [] : try await store.codeSets.find(ids: ids)
        let template = UploadTemplate(items: items, codeSets: codeSets, english: context.language == .en)
        let name = "template-\(entry.id)"
        if format == "xlsx" {
            let data = try XLSXWriter.makeData(
                sheets: [(name: "数据", rows: template.rows.map { $0.map { XLSXCell.text($0) } })])
            return CatalogTransferAPI.download(
                data, type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", name: "\(name).xlsx")
        }
        return CatalogTransferAPI.download(
            CSVWriter.encode(rows: template.rows, options: .init(includesByteOrderMark: true)),
            type: "text/csv; charset=utf-8", name: "\(name).csv")
    }

    func jobs(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let (_, entry) = try await managedEntry(context, .ingestReadEntryJobs)
        return try JSONResponse.make(
            ListBody(items: try await store.ingestJobs.list(entryID: entry.id).map { JobBody($0) }))
    }

    func job(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try JSONResponse.make(JobBody(try await visibleJob(context)))
    }

    func errors(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let job = try await visibleJob(context)
        var rows = [["行号 row", "列 column", "表头 heading", "值 value", "原因 reason"]]
        rows += try await store.ingestJobs.issues(id: job.id).map {
            [String($0.row), $0.column, $0.heading, $0.value, $0.reason]
        }
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
            Self.mayFollow(jobOf: entry, user)
        else { throw StoreError.notFound(entity: "ingest job", key: "\(id)") }
        return job
    }

    /// Who may follow a load and read its error report (rejected rows, masked): the providing department's data
    /// officers, the operator and the auditor. The department's consumer-only officers may not: they never see the
    /// rows their department provides. The console's job page asks the same.
    static func mayFollow(jobOf entry: CatalogEntry, _ user: User) -> Bool {
        AccessPolicy.allows(user, .ingestReadJob, department: entry.provider.departmentID)
    }

    /// The entry named by the path, if the caller may do `action` to it: 403 for an officer without a role for
    /// `action`; an entry they may not read, or of a department `action` does not reach, answers 404 like a
    /// missing one.
    func managedEntry(_ context: HuitongRequestContext, _ action: OfficerAction) async throws -> (User, CatalogEntry) {
        try await Self.managedEntry(context, action, catalog: catalog)
    }

    /// `managedEntry` for routes of their own (the grading suggestions read the same entries).
    static func managedEntry(_ context: HuitongRequestContext, _ action: OfficerAction, catalog: CatalogLifecycle)
        async throws
        -> (User, CatalogEntry)
    {
        let user = try context.require(action)
        let entry = try await catalog.visibleEntry(try context.id(), to: user)
        guard AccessPolicy.allows(user, action, department: entry.provider.departmentID) else {
            throw StoreError.notFound(entity: "catalog entry", key: "\(entry.id)")
        }
        return (user, entry)
    }

    /// Writes the body to `file` as it arrives, refusing more than `limit` bytes.
    static func save(_ body: RequestBody, to file: URL, limit: Int64) async throws {
        let handle = try SpoolFile.create(file)
        defer { try? handle.close() }
        var written: Int64 = 0
        for try await buffer in body {
            written += Int64(buffer.readableBytes)
            if written > limit { throw APIError.uploadTooLarge(limit: limit) }
            try handle.write(contentsOf: Data(buffer: buffer))
        }
        if written == 0 {
            throw APIError.malformedBody(
                field: nil, reason: BilingualText(zh: "上传的文件为空", en: "the uploaded file is empty"))
        }
    }
}
