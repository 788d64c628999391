import Crypto
import Foundation
import HTTPTypes
import HuitongCore
import HuitongIngest
import HuitongServices
import HuitongStore
import Hummingbird

/// Uploads from the entry page and the page that follows their job: the file goes through the upload API's own
/// steps (`IngestAPI.receive` and `start`), and the job page reads the job the API reports, refreshing itself
/// while the load runs.
extension ConsolePages {
    /// Jobs the entry page lists, newest first.
    static let recentJobs = 10
    /// Rejected rows the job page shows; the rest are in the downloadable report.
    static let shownIssues = 20
    /// Example rows the job page shows for each group of problems.
    static let shownExamples = 5

    /// The columns of `entry` whose values the job page never shows: personal data (masked by kind) and items whose
    /// grade masks them (the error report keeps such values masked).
    static func sensitiveColumns(_ entry: CatalogEntry, policy: GradePolicy) -> Set<String> {
        Set(
            entry.content.items.filter { item in
                MaskingRule.default(for: item.semanticKind) != .none || policy.rule(for: item.grade).masking != .none
            }.map(\.columnName))
    }

    /// Starts a load of the uploaded file into entry `id` and sends the browser to its job; a file that cannot be
    /// loaded comes back to the entry page with the problem next to the file field, and no job is started.
    func uploadToEntry(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await page(request, context, .ingestUpload) { user in
            let id = try context.id()
            let entry = try await catalog.managedEntry(id, by: user)
            let job: IngestJob
            var fields: [String: String] = [:]
            do {
                let load: IngestRequest
                do {
                    (load, fields) = try await ingest.receive(request, into: entry, by: user)
                } catch let refused as IngestAPI.RefusedUpload {
                    fields = refused.fields
                    throw refused.error
                }
                // The token travels in the form, so it can be read only once the body is in; no job has started,
                // and the received file is removed.
                guard let sent = fields["_csrf"], let expected = context.csrfToken,
                    Secrets.constantTimeEquals(sent, expected)
                else {
                    try? FileManager.default.removeItem(at: load.file)
                    throw APIError.csrfFailed
                }
                job = try await ingest.start(load)
            } catch let error as any HuitongError where Self.isUploadProblem(error) {
                // A forged form never gets here (403 is not an upload problem), so what is shown back was sent
                // by the signed-in officer.
                return try await renderEntry(
                    request, id: id, user: user, context: context,
                    upload: UploadAttempt(errors: Self.uploadErrors(error, context.language), fields: fields),
                    status: error.kind.status)
            }
            return .redirect(to: "/console/jobs/\(job.id)", type: .normal)
        }
    }

    /// Problems of the file or of its load that the provider can fix by choosing another file or option; others
    /// (a forged form, a missing entry, a failure of the platform) answer as errors do everywhere.
    static func isUploadProblem(_ error: any HuitongError) -> Bool {
        [.badInput, .tooLarge, .conflict, .unprocessable].contains(error.kind)
    }

    /// An upload problem as the entry page shows it: next to the option it names, else next to the file field.
    static func uploadErrors(_ error: any HuitongError, _ language: Language) -> FieldErrors {
        var errors = FieldErrors()
        let options: Set<String> = ["mode", "encoding", "allowRepeat", "sheet", "maxRejectedPercent", "publishValid"]
        if let error = error as? ValidationError {
            for issue in error.issues {
                errors.add(
                    options.contains(issue.field) ? issue.field : MultipartUpload.filePart, issue.text.text(language))
            }
        } else if case .malformedBody(MultipartUpload.filePart, let reason) = error as? APIError {
            // The API's wording names the form part ("field file is an empty file"); the page names the file.
            errors.add(
                MultipartUpload.filePart, BilingualText(zh: "上传的文件\(reason.zh)", en: "the uploaded file \(reason.en)"),
                language)
        } else {
            errors.add(MultipartUpload.filePart, error.message, language)
        }
        return errors
    }

    /// A refused upload: what is wrong, and the options the officer had chosen, shown again as they were.
    struct UploadAttempt {
        var errors: FieldErrors
        var fields: [String: String]
    }

    /// The upload form's options and the entry's recent jobs, for the entry page of an officer who manages it.
    func uploadForm(entry: CatalogEntry, attempt: UploadAttempt?, language: Language) async throws
        -> ConsoleUploadForm
    {
        let chosenMode = attempt?.fields["mode"].flatMap(IngestMode.init(rawValue:)) ?? .replace
        let chosenEncoding = attempt?.fields["encoding"] ?? "auto"
        let jobs = try await store.ingestJobs.list(entryID: entry.id, limit: Self.recentJobs)
        return ConsoleUploadForm(
            action: "/console/entries/\(entry.id)/uploads",
            types: IngestAPI.UploadOptions.fileTypes.joined(separator: ","),
            modes: IngestMode.allCases.map { mode in
                OptionModel(
                    value: mode.rawValue, label: pages.text("upload_mode_\(mode.rawValue)", language),
                    selected: mode == chosenMode)
            },
            encodings: ["auto", "utf-8", "gb18030"].map { encoding in
                OptionModel(
                    value: encoding, label: pages.text("upload_encoding_\(encoding)", language),
                    selected: encoding == chosenEncoding)
            },
            allowRepeat: attempt?.fields["allowRepeat"] == "true",
            maxRejectedPercent: attempt?.fields["maxRejectedPercent"]
                ?? IngestAPI.UploadOptions.defaultRejectedPercent.formatted(.number.grouping(.never)),
            publishValid: attempt?.fields["publishValid"] == "true",
            templateCSV: "/api/v1/catalog/entries/\(entry.id)/template?format=csv",
            templateXLSX: "/api/v1/catalog/entries/\(entry.id)/template?format=xlsx",
            errors: attempt.flatMap { $0.errors.isEmpty ? nil : $0.errors.values },
            hasJobs: !jobs.isEmpty,
            jobs: jobs.map { job in
                ConsoleUploadForm.Job(
                    href: "/console/jobs/\(job.id)", id: job.id, fileName: job.fileName,
                    status: pages.text("job_status_\(job.status.rawValue)", language),
                    failed: job.status == .failed, percent: Int(job.fraction * 100),
                    rowsLoaded: PortalPages.grouped(job.rowsLoaded),
                    rowsRejected: PortalPages.grouped(job.rowsRejected),
                    created: PortalPages.dateTime(job.createdAt))
            })
    }

    // MARK: Job page

    /// One load's progress and outcome, for the entry's department's provider and the operator (404 for others,
    /// as if it did not exist). While the load runs the page follows it: a script polls the job API each second,
    /// and without scripts the page reloads itself every two seconds.
    func job(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await page(request, context) { user in
            let language = context.language
            let id = try context.id()
            guard let job = try await store.ingestJobs.find(id: id),
                let entry = try await store.catalog.find(id: job.entryID),
                IngestAPI.mayFollow(jobOf: entry, user)
            else { throw StoreError.notFound(entity: "ingest job", key: "\(id)") }
            let body = IngestAPI.JobBody(job)
            let running = job.status == .running
            var page = ConsoleJobPage(
                title: "\(pages.text("job_title", language)) \(job.id)",
                id: job.id, entryName: entry.content.name, entryHref: "/console/entries/\(entry.id)",
                fileName: job.fileName, mode: pages.text("upload_mode_\(job.mode.rawValue)", language),
                status: pages.text("job_status_\(job.status.rawValue)", language),
                running: running, succeeded: job.status == .succeeded, failed: job.status == .failed,
                percent: body.percent,
                rowsRead: PortalPages.grouped(job.rowsRead), rowsLoaded: PortalPages.grouped(job.rowsLoaded),
                rowsRejected: PortalPages.grouped(job.rowsRejected),
                created: PortalPages.dateTime(job.createdAt),
                poll: "/api/v1/ingest/jobs/\(job.id)",
                finished: job.finishedAt.map(PortalPages.dateTime), poolVersion: job.poolVersion,
                message: job.message.isEmpty ? nil : BilingualText(combined: job.message).text(language),
                script: running ? Self.jobScript : nil)
            if !running && job.rowsRejected > 0 {
                // The problems grouped by column and kind, counted; the columns named by the file's own headings.
                // The report holds each rejected row as stored (personal values masked at ingest); the page shows
                // an example value only of columns that are neither personal nor masked by their grade.
                let groups = try await store.ingestJobs.issueGroups(id: job.id, examples: Self.shownExamples)
                let hidden = Self.sensitiveColumns(entry, policy: try await GradePolicy.current(store))
                page.hasIssues = !groups.isEmpty
                page.issueGroups = groups.map { group in
                    let valuesShown = !group.column.split(separator: "+").contains { hidden.contains(String($0)) }
                    return ConsoleJobPage.IssueGroup(
                        heading: group.heading.isEmpty ? group.column : group.heading,
                        column: group.heading.isEmpty || group.heading == group.column ? nil : group.column,
                        kind: pages.text("issue_kind_\(group.kind.rawValue)", language),
                        count: PortalPages.grouped(Int64(group.count)),
                        rows: group.examples.map { String($0.row) }.joined(separator: "、")
                            + (group.count > group.examples.count ? "…" : ""),
                        values: valuesShown
                            ? group.examples.map(\.value).filter { !$0.isEmpty }.map { "“\($0)”" }.joined(
                                separator: "、") : nil,
                        valuesHidden: !valuesShown)
                }
                let stored = groups.reduce(0) { $0 + $1.count }
                page.moreIssues = Int64(stored) < job.rowsRejected || stored >= IngestJobs.maximumStoredIssues
                page.report = "/api/v1/ingest/jobs/\(job.id)/errors"
            }
            let ownEntry = AccessPolicy.allows(user, .consoleEntries, department: entry.provider.departmentID)
            var response = render(
                .consoleJob, page, user: user, section: ownEntry ? "/console/entries" : "", context: context)
            if running, let policy = response.headers[.contentSecurityPolicy] {
                response.headers[.contentSecurityPolicy] = policy + "; script-src 'self' \(Self.jobScriptHash)"
            }
            return response
        }
    }

    /// Follows a running job without reloading: polls the job API (the session cookie signs the request; a GET
    /// needs no anti-forgery token), updates the bar and the counts, and reloads once the job has ended so that
    /// the server draws the outcome. Inline so the page works from one request; allowed by its hash in the page's
    /// Content-Security-Policy, which admits no other inline script.
    static let jobScript = """
        (function () {
          var job = document.getElementById("job");
          if (!job || job.getAttribute("data-running") !== "true" || !window.fetch) return;
          var bar = document.getElementById("job-progress");
          function show(name, value) {
            var field = job.querySelector('[data-field="' + name + '"]');
            if (field) field.textContent = value;
          }
          function grouped(count) { return Number(count).toLocaleString("en-US"); }
          function poll() {
            fetch(job.getAttribute("data-poll"), { credentials: "same-origin", headers: { Accept: "application/json" } })
              .then(function (response) {
                // Signed out or the job gone: the server's own page says so, instead of a bar that never moves.
                if (response.status >= 400 && response.status < 500) { window.location.reload(); return null; }
                if (!response.ok) throw new Error(String(response.status));
                return response.json();
              })
              .then(function (body) {
                if (!body) return;
                var state = body.job;
                bar.value = body.percent;
                bar.textContent = body.percent + "%";
                show("percent", body.percent + "%");
                show("rowsRead", grouped(state.rowsRead));
                show("rowsLoaded", grouped(state.rowsLoaded));
                show("rowsRejected", grouped(state.rowsRejected));
                if (state.status !== "running") { window.location.reload(); return; }
                window.setTimeout(poll, 1000);
              })
              .catch(function () { window.setTimeout(poll, 5000); });
          }
          window.setTimeout(poll, 1000);
        })();
        """

    /// The CSP source that admits `jobScript` and nothing else inline.
    static let jobScriptHash =
        "'sha256-\(Data(SHA256.hash(data: Data(jobScript.utf8))).base64EncodedString())'"
}
