import Foundation
import HuitongCore
import HuitongServices
import HuitongStore
import Hummingbird

/// Conditionally open data (有条件开放, domain.md §7.2) on the portal: the application form, the applicant's
/// status page, and the public list of answered applications (transparent results, applicants named by their
/// organisation or family name only).
struct OpenAccessPages {
    let service: DeveloperUseCases
    let pages: PageRenderer
    let developerPages: DeveloperPages
    var store: Store { service.store }

    static let resultsPageSize = 50

    func register(on router: Router<HuitongRequestContext>) {
        router.get("/datasets/:reference/apply", use: applicationForm)
        router.post("/datasets/:reference/apply", use: apply)
        router.get("/portal/requests/:id", use: status)
        router.get("/portal/results", use: results)
    }

    /// The conditionally open entry a `/datasets/{reference}/apply` address names, or nil.
    private func entry(_ context: HuitongRequestContext) async throws -> CatalogEntry? {
        try await service.openCatalog.entry(reference: context.parameters.get("reference") ?? "")
    }

    // MARK: Applying

    func applicationForm(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        guard let entry = try await entry(context) else { throw APIError.notFound(request.uri.path) }
        return try await developerPages.signedIn(request, context) { developer in
            try await renderForm(request, context, entry: entry, form: nil, errors: FieldErrors(), status: .ok)
        }
    }

    private func renderForm(
        _ request: Request, _ context: HuitongRequestContext, entry: CatalogEntry, form: ConsoleForm?,
        errors: FieldErrors, message: String? = nil, status: HTTPResponse.Status
    ) async throws -> Response {
        let language = context.language
        let months = Int(form?["months"] ?? "") ?? min(12, service.settings.maximumMonths)
        var page = PortalApplyPage(
            name: entry.content.name, code: entry.code.text, provider: entry.provider.name,
            href: "/datasets/\(entry.id)", action: "/datasets/\(entry.id)/apply",
            isConditional: entry.content.openness == .conditional,
            purpose: form?["purpose"] ?? "", scenario: form?["scenario"] ?? "",
            securityMeasures: form?["securityMeasures"] ?? "",
            acceptedAgreement: form?["acceptedAgreement"] == "yes",
            monthOptions: (1...service.settings.maximumMonths).map {
                PortalApplyPage.Month(value: $0, selected: $0 == months)
            },
            answerDays: service.settings.answerDays, message: message)
        if !entry.content.openCondition.isEmpty { page.openCondition = entry.content.openCondition }
        if entry.content.openness != .conditional {
            page.message = OpenAccessError.notConditional.message.text(language)
        }
        page.show(errors, order: pages.fieldOrder(.portalApply))
        return pages.render(.portalApply, page, context: context, status: status)
    }

    func apply(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        guard let entry = try await entry(context) else { throw APIError.notFound(request.uri.path) }
        return try await developerPages.signedIn(request, context) { developer in
            let form = try await PortalForm.developer(request, context: context)
            let draft = OpenAccessDraft(
                entryID: entry.id, purpose: form["purpose"], scenario: form["scenario"],
                securityMeasures: form["securityMeasures"], months: Int(form["months"]) ?? 0,
                acceptedAgreement: form["acceptedAgreement"] == "yes")
            do {
                let filed = try await service.apply(draft, by: developer)
                return .redirect(to: "/portal/requests/\(filed.id)?done=applied", type: .normal)
            } catch let error as ValidationError {
                return try await renderForm(
                    request, context, entry: entry, form: form, errors: FieldErrors(error, context.language),
                    status: .badRequest)
            } catch let error as OpenAccessError {
                return try await renderForm(
                    request, context, entry: entry, form: form, errors: FieldErrors(),
                    message: error.message.text(context.language), status: error.kind.status)
            }
        }
    }

    // MARK: Status

    func status(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await developerPages.signedIn(request, context) { developer in
            // Another developer's application answers as if it did not exist.
            guard let id = context.parameters.get("id").flatMap(Int64.init),
                let filed = try await store.developers.request(id: id), filed.developerID == developer.id
            else { throw APIError.notFound(request.uri.path) }
            let language = context.language
            let now = Date()
            var page = PortalRequestPage(
                Self.row(filed, now: now, language: language), purpose: filed.purpose, scenario: filed.scenario,
                securityMeasures: filed.securityMeasures, months: filed.months,
                datasetHref: "/datasets/\(filed.entryID)")
            if !filed.decisionComment.isEmpty { page.decisionComment = filed.decisionComment }
            if let reason = filed.revocationReason, let revoked = filed.revokedAt {
                page.revocationReason = reason
                page.revoked = PortalPages.dateTime(revoked)
            }
            if filed.grantsAccess(at: now) {
                let rows = try await store.pools.active(entryID: filed.entryID)?.rowCount
                page.access = PortalRequestPage.Access(
                    downloads: PortalDownloadFormat.allCases.filter { format in
                        rows.map { format.isOffered(forRows: $0) } ?? false
                    }.map {
                        DownloadLinkModel(
                            href: "/datasets/\(filed.entryID)/download.\($0.fileExtension)", label: $0.label)
                    },
                    apiExample:
                        "curl -sS -H 'X-API-Key: hdk_…' '\(developerPages.links.openRows(filed.entryID))?limit=100'")
            }
            if request.uri.queryParameters["done"] == "applied" {
                page.notice = pages.text("developer_done_applied", language)
            }
            var response = pages.render(.portalRequest, page, context: context)
            response.headers[.cacheControl] = "no-store"
            return response
        }
    }

    /// One application as the account page and the status page list it.
    static func row(_ filed: OpenAccessRequest, now: Date, language: Language) -> OpenRequestRow {
        OpenRequestRow(
            id: filed.id, number: filed.number, href: "/portal/requests/\(filed.id)", dataset: filed.entryName,
            code: filed.resourceCode, state: filed.state.label.text(language), stateKey: filed.state.rawValue,
            submitted: PortalPages.dateTime(filed.submittedAt), deadline: PortalPages.dateTime(filed.deadline),
            overdue: filed.isOverdue(at: now), isPending: filed.state == .pending,
            isApproved: filed.state == .approved, isRefused: filed.state == .refused,
            decided: filed.decidedAt.map(PortalPages.dateTime), validUntil: filed.validUntil.map(PortalPages.dateTime),
            expired: filed.validUntil.map { $0 <= now })
    }

    // MARK: Results

    /// Answered applications, published: which dataset, who (organisation or family name), when, and the answer.
    /// The use case, security measures and the developer's identity stay private.
    func results(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let language = context.language
        let page = max(1, request.uri.queryParameters["page"].flatMap { Int(String($0)) } ?? 1)
        let offset = min(page - 1, 10_000) * Self.resultsPageSize
        let decided = try await store.developers.decided(limit: Self.resultsPageSize + 1, offset: offset)
        let rows = decided.prefix(Self.resultsPageSize).map { filed in
            PortalResultsPage.Row(
                number: filed.number, dataset: filed.entryName, href: "/datasets/\(filed.entryID)",
                applicant: filed.applicant, submitted: PortalPages.dateTime(filed.submittedAt),
                decided: filed.decidedAt.map(PortalPages.dateTime) ?? "",
                state: filed.state.label.text(language), isApproved: filed.state == .approved,
                comment: filed.state == .revoked
                    ? (filed.revocationReason ?? "") : filed.state == .refused ? filed.decisionComment : "")
        }
        var model = PortalResultsPage(rows: rows, hasRows: !rows.isEmpty)
        if page > 1 { model.previous = "/portal/results?page=\(page - 1)" }
        if decided.count > Self.resultsPageSize { model.next = "/portal/results?page=\(page + 1)" }
        return pages.render(.portalResults, model, context: context)
    }
}
