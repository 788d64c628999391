import Foundation
import HuitongCore
import HuitongServices
import HuitongStore
import Hummingbird

/// The portal's feedback and correction form (纠错反馈, domain.md §3.7 and §7.3): anyone may report wrong or
/// outdated open data without an account, leaving a contact; the report is an objection that the providing
/// department must answer in time. The receipt holds a tracking code, shown once, that the tracking form takes.
struct FeedbackPages {
    let objections: ObjectionUseCases
    let pages: PageRenderer
    let cookies: CookieSettings
    let limiter: PublicRequestLimiter
    var store: Store { objections.store }

    /// `limiter` is the public objection API's, so that the form and the API draw on one allowance per address.
    init(objections: ObjectionUseCases, pages: PageRenderer, cookies: CookieSettings, limiter: PublicRequestLimiter) {
        self.objections = objections
        self.pages = pages
        self.cookies = cookies
        self.limiter = limiter
    }

    /// The open datasets the form offers to report on, newest first.
    static let datasetChoices = 500

    func register(on router: Router<HuitongRequestContext>) {
        router.get("/portal/feedback", use: form)
        router.post("/portal/feedback", use: submit)
        router.get("/portal/feedback/track", use: trackForm)
        router.post("/portal/feedback/track", use: track)
    }

    // MARK: Reporting

    func form(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        var values = ConsoleForm(encoded: "")
        if let dataset = request.uri.queryParameters["dataset"].map(String.init) {
            values.values["dataset"] = [dataset]
        }
        return try await render(request, context, form: values, errors: FieldErrors(), status: .ok)
    }

    private func render(
        _ request: Request, _ context: HuitongRequestContext, form: ConsoleForm, errors: FieldErrors,
        message: String? = nil, status: HTTPResponse.Status
    ) async throws -> Response {
        let chosen = Int64(form["dataset"])
        let datasets = try await store.catalog.search(OpenCatalog.query(limit: Self.datasetChoices), facets: []).entries
            .filter(\.isOpenToPublic)
        var page = PortalFeedbackPage(
            datasets: datasets.map { entry in
                PortalFeedbackPage.Dataset(
                    id: entry.id, name: "\(entry.content.name)（\(entry.provider.name)）", selected: entry.id == chosen)
            },
            description: form["description"], evidence: form["evidence"], contactName: form["contactName"],
            contactPhone: form["contactPhone"], contactEmail: form["contactEmail"], message: message)
        page.show(errors, order: pages.fieldOrder(.portalFeedback))
        return PortalForm.page(
            .portalFeedback, page, request: request, context: context, status: status, pages: pages,
            cookies: cookies)
    }

    func submit(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let (form, genuine) = try await PortalForm.anonymous(request)
        guard genuine else {
            return try await render(
                request, context, form: form, errors: FieldErrors(),
                message: APIError.csrfFailed.message.text(context.language), status: .forbidden)
        }
        guard limiter.take(context.peerAddress ?? "unknown") else {
            return try await render(
                request, context, form: form, errors: FieldErrors(),
                message: PublicObjectionError.tooManyRequests(window: limiter.window).message.text(context.language),
                status: .tooManyRequests)
        }
        guard let entryID = Int64(form["dataset"]) else {
            var errors = FieldErrors()
            errors.add("dataset", pages.text("feedback_choose_dataset", context.language))
            return try await render(request, context, form: form, errors: errors, status: .badRequest)
        }
        let draft = ObjectionDraft(entryID: entryID, description: form["description"], evidence: form["evidence"])
        let contact = ObjectionContact(
            name: form["contactName"], phone: form["contactPhone"], email: form["contactEmail"])
        do {
            let (objection, trackingToken) = try await objections.raisePublic(draft, contact: contact)
            var response = pages.render(
                .portalFeedbackReceipt,
                PortalFeedbackReceiptPage(
                    number: objection.number, trackingToken: trackingToken,
                    deadline: PortalPages.dateTime(objection.deadline), dataset: objection.resourceCode),
                context: context, status: .created)
            response.headers[.cacheControl] = "no-store"
            return response
        } catch let error as ValidationError {
            // The form names the contact's fields flatly; the service names them by their place in the JSON.
            var errors = FieldErrors()
            for issue in error.issues {
                errors.add(Self.formField[issue.field] ?? issue.field, issue.text.text(context.language))
            }
            return try await render(request, context, form: form, errors: errors, status: .badRequest)
        } catch let error as StoreError {
            guard case .notFound = error else { throw error }
            var errors = FieldErrors()
            errors.add("dataset", pages.text("feedback_choose_dataset", context.language))
            return try await render(request, context, form: form, errors: errors, status: .badRequest)
        }
    }

    static let formField = [
        "contact.name": "contactName", "contact.phone": "contactPhone", "contact.email": "contactEmail",
        "contact": "contactPhone",
    ]

    // MARK: Tracking

    func trackForm(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        renderTrack(request, context, number: "", message: nil, status: .ok)
    }

    private func renderTrack(
        _ request: Request, _ context: HuitongRequestContext, number: String, message: String?,
        result: PortalFeedbackTrackPage.Found? = nil, status: HTTPResponse.Status
    ) -> Response {
        PortalForm.page(
            .portalFeedbackTrack, PortalFeedbackTrackPage(number: number, message: message, result: result),
            request: request, context: context, status: status, pages: pages, cookies: cookies)
    }

    /// The tracking code travels in a form body, never in an address that logs and browser history keep.
    func track(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let language = context.language
        let (form, genuine) = try await PortalForm.anonymous(request)
        guard genuine else {
            return renderTrack(
                request, context, number: String(form["number"].prefix(32)),
                message: APIError.csrfFailed.message.text(language), status: .forbidden)
        }
        let number = form["number"].trimmingCharacters(in: .whitespaces)
        let code = form["trackingToken"].trimmingCharacters(in: .whitespaces)
        guard number.count <= 32, code.count <= 128, !number.isEmpty, !code.isEmpty,
            let found = try await objections.track(number: number, token: code)
        else {
            return renderTrack(
                request, context, number: String(number.prefix(32)),
                message: pages.text("feedback_track_not_found", language), status: .notFound)
        }
        // What the JSON tracking answer shows, by the same rule: nothing of the record for anyone but its provider.
        let items = try await store.catalog.find(id: found.entryID)?.content.items ?? []
        let objection = ObjectionUseCases.view(found, for: nil, items: items)
        let result = PortalFeedbackTrackPage.Found(
            number: objection.number, dataset: objection.resourceCode, state: objection.state.label.text(language),
            created: PortalPages.dateTime(objection.createdAt), deadline: PortalPages.dateTime(objection.deadline),
            answer: objection.answer.map { answer in
                PortalFeedbackTrackPage.Answer(
                    kind: answer.kind.label.text(language), at: PortalPages.dateTime(answer.at),
                    comment: answer.comment.isEmpty ? nil : answer.comment)
            })
        return renderTrack(request, context, number: number, message: nil, result: result, status: .ok)
    }
}
