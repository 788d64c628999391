import Foundation
import Mustache

// The console pages' models, one per template, named as the template's keys (see `PageModel`).

/// A console page in its frame: the section navigation, and the console's title for a page that has none.
struct ConsolePage<Page: PageModel>: PageModel, MustacheParent {
    let nav: [ConsoleNavLink]
    let title: String
    let page: Page

    func child(named name: String) -> Any? {
        if name == "nav" { return nav }
        return TemplateValues.value(named: name, in: page) ?? (name == "title" ? title : nil)
    }
}

/// A link of the console's section navigation; `current` marks the page's own section.
struct ConsoleNavLink: Sendable {
    var href: String
    var label: String
    var current: Bool
}

// MARK: Provider: conditionally open data

struct ConsoleOpenRequestsPage: PageModel {
    var pending: [OpenRequest]
    var hasPending: Bool
    var answered: [OpenRequest]
    var hasAnswered: Bool
    var notice: String?

    /// A developer's application in the provider's queue, with the decision or revocation form as typed when it
    /// failed.
    struct OpenRequest: Sendable, FormProblemsModel {
        var id: Int64
        var number: String
        var href: String
        var dataset: String
        var code: String
        var state: String
        var stateKey: String
        var submitted: String
        var deadline: String
        var overdue: Bool
        var isPending: Bool
        var isApproved: Bool
        var isRefused: Bool
        var decided: String?
        var validUntil: String?
        var expired: Bool?
        var purpose: String
        var scenario: String
        var securityMeasures: String
        var months: Int
        var applicant: String
        var inForce: Bool
        var revocationReason: String?
        var comment: String?
        var reason: String?
        var approveChecked: Bool?
        var refuseChecked: Bool?
        var errors: [String: String]?
        var hasErrors: Bool?
        var errorList: [FieldErrorModel]?
        var message: String?

        init(
            _ row: OpenRequestRow, purpose: String, scenario: String, securityMeasures: String, months: Int,
            applicant: String, inForce: Bool
        ) {
            id = row.id
            number = row.number
            href = row.href
            dataset = row.dataset
            code = row.code
            state = row.state
            stateKey = row.stateKey
            submitted = row.submitted
            deadline = row.deadline
            overdue = row.overdue
            isPending = row.isPending
            isApproved = row.isApproved
            isRefused = row.isRefused
            decided = row.decided
            validUntil = row.validUntil
            expired = row.expired
            self.purpose = purpose
            self.scenario = scenario
            self.securityMeasures = securityMeasures
            self.months = months
            self.applicant = applicant
            self.inForce = inForce
        }
    }
}
