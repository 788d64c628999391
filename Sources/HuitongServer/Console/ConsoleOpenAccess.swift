import Foundation
import HuitongCore
import HuitongServices
import HuitongStore
import Hummingbird

/// The provider's queue of developers' applications for its conditionally open data (有条件开放申请): each with
/// the use case, the security measures and the deadline, answered by approving or refusing with a reason that the
/// portal publishes.
extension ConsolePages {
    static let openRequestsShown = 200

    func registerOpenAccess(on router: Router<HuitongRequestContext>) {
        router.get("/console/open-requests", use: openRequests)
        router.post("/console/open-requests/:id/decision", use: decideOpenRequest)
        router.post("/console/open-requests/:id/revoke", use: revokeOpenRequest)
    }

    func openRequests(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await page(request, context, .consoleOpenRequests) { user in
            try await renderOpenRequests(request, user: user, context: context, attempt: nil, status: .ok)
        }
    }

    /// A decision form that failed: which application, what was typed, and what is wrong.
    struct OpenDecisionAttempt {
        var id: Int64
        var form: ConsoleForm
        var errors: FieldErrors
        var message: String?
    }

    func renderOpenRequests(
        _ request: Request, user: User, context: HuitongRequestContext, attempt: OpenDecisionAttempt?,
        status: HTTPResponse.Status
    ) async throws -> Response {
        let language = context.language
        let now = Date()
        // Every waiting application is listed, however many have been answered since.
        let pending = try await store.developers.requests(
            providerDepartmentID: user.departmentID, state: .pending, limit: Int.max
        ).sorted { $0.deadline < $1.deadline }
        let answered = try await store.developers.requests(
            providerDepartmentID: user.departmentID, state: nil, limit: Self.openRequestsShown
        ).filter { $0.state != .pending }
        func row(_ filed: OpenAccessRequest) -> ConsoleOpenRequestsPage.OpenRequest {
            var row = ConsoleOpenRequestsPage.OpenRequest(
                OpenAccessPages.row(filed, now: now, language: language), purpose: filed.purpose,
                scenario: filed.scenario, securityMeasures: filed.securityMeasures, months: filed.months,
                applicant: filed.applicant, inForce: filed.grantsAccess(at: now))
            row.revocationReason = filed.revocationReason
            if let attempt, attempt.id == filed.id {
                row.comment = attempt.form["comment"]
                row.reason = attempt.form["reason"]
                row.approveChecked = attempt.form["decision"] == "approve"
                row.refuseChecked = attempt.form["decision"] == "refuse"
                row.show(attempt.errors, order: pages.fieldOrder(.consoleOpenRequests))
                row.message = attempt.message
            }
            return row
        }
        // The forms' token is the layout's `csrfToken`, as on every console page.
        let page = ConsoleOpenRequestsPage(
            pending: pending.map(row), hasPending: !pending.isEmpty, answered: answered.map(row),
            hasAnswered: !answered.isEmpty, notice: doneNotice(request, language))
        return render(
            .consoleOpenRequests, page, user: user, section: "/console/open-requests", context: context,
            status: status)
    }

    func revokeOpenRequest(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await answerOpenRequest(request, context, done: "revoked") { user, id, form in
            _ = try await developers.revoke(id: id, reason: form["reason"], by: user)
        }
    }

    func decideOpenRequest(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await answerOpenRequest(request, context, done: "decided") { user, id, form in
            // Whose request it is comes before the form: another department's answers 404 like a missing one.
            _ = try await developers.decidableRequest(id, by: user)
            guard ["approve", "refuse"].contains(form["decision"]) else {
                throw ValidationError(
                    field: "decision", BilingualText(zh: "请选择同意或不同意", en: "choose approve or refuse"))
            }
            _ = try await developers.decide(
                id: id, OpenAccessDecision(approve: form["decision"] == "approve", comment: form["comment"]),
                by: user)
        }
    }

    /// A provider's step on one application (`step`, given the officer, the application's id and the form): done,
    /// the queue says so; refused, the queue comes back with the form as typed and the problem beside it.
    private func answerOpenRequest(
        _ request: Request, _ context: HuitongRequestContext, done: String,
        _ step: (User, Int64, ConsoleForm) async throws -> Void
    ) async throws -> Response {
        try await page(request, context, .consoleOpenRequests) { user in
            let form = try await ConsoleForm.read(request, context: context)
            let id = try context.id()
            let attempt: OpenDecisionAttempt
            let status: HTTPResponse.Status
            do {
                try await step(user, id, form)
                return .redirect(to: "/console/open-requests?done=\(done)", type: .normal)
            } catch let error as ValidationError {
                attempt = OpenDecisionAttempt(id: id, form: form, errors: FieldErrors(error, context.language))
                status = .badRequest
            } catch let error as OpenAccessError {
                attempt = OpenDecisionAttempt(
                    id: id, form: form, errors: FieldErrors(), message: error.message.text(context.language))
                status = error.kind.status
            }
            return try await renderOpenRequests(
                request, user: user, context: context, attempt: attempt, status: status)
        }
    }
}
