// The portal's developer and feedback page models, one per template, named as the template's keys (see
// `PageModel`).

/// A form a stranger fills in, which echoes the double-submit token (`formToken`) that `PortalForm.page` sets.
protocol AnonymousFormModel: PageModel {
    var formToken: String { get set }
}

struct PortalRegisterPage: AnonymousFormModel, FormProblemsModel {
    var email: String
    var name: String
    var idNumber: String
    var organisation: String
    var organisationCode: String
    var acceptedAgreement: Bool
    var next: String
    var message: String?
    var errors: [String: String]?
    var hasErrors: Bool?
    var errorList: [FieldErrorModel]?
    var formToken = ""
}

struct PortalLoginPage: AnonymousFormModel {
    var email: String
    var next: String
    var error: String?
    var formToken = ""
}

/// One conditional-open application as the developer's account page lists it.
struct OpenRequestRow: Sendable {
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
}

struct PortalAccountPage: PageModel, FormProblemsModel {
    var developer: Profile
    var requests: [OpenRequestRow]
    var hasRequests: Bool
    var keys: [Key]
    var hasKeys: Bool
    var keyLimit: Int
    /// The new key's label as typed.
    var label: String
    var apiExample: String
    /// A key just created, whose secret the page shows this once.
    var newKey: NewKey?
    var notice: String?
    var message: String?
    var errors: [String: String]?
    var hasErrors: Bool?
    var errorList: [FieldErrorModel]?

    /// Mustache opens a section for an empty string: absent values are nil instead.
    struct Profile: Sendable {
        var name: String
        var email: String
        var identityHint: String
        var since: String
        var organisation: String?
        var organisationCode: String?
    }

    struct Key: Sendable {
        var id: Int64
        var label: String
        var hint: String
        var created: String
        var lastUsed: String
        var active: Bool
        var revoked: String
    }

    struct NewKey: Sendable {
        var label: String
        var secret: String
    }
}

struct PortalApplyPage: PageModel, FormProblemsModel {
    var name: String
    var code: String
    var provider: String
    var href: String
    var action: String
    var isConditional: Bool
    var purpose: String
    var scenario: String
    var securityMeasures: String
    var acceptedAgreement: Bool
    var monthOptions: [Month]
    var answerDays: Int
    var openCondition: String?
    var message: String?
    var errors: [String: String]?
    var hasErrors: Bool?
    var errorList: [FieldErrorModel]?

    struct Month: Sendable {
        var value: Int
        var selected: Bool
    }
}

/// A developer's application as its status page shows it: the account page's row, what was asked for, the answer,
/// and the ways to the data while it is in force.
struct PortalRequestPage: PageModel {
    /// What the account page lists of it.
    var request: OpenRequestRow
    var purpose: String
    var scenario: String
    var securityMeasures: String
    var months: Int
    var decisionComment: String?
    var revocationReason: String?
    var revoked: String?
    var datasetHref: String
    var access: Access?
    var notice: String?

    struct Access: Sendable {
        var downloads: [DownloadLinkModel]
        var apiExample: String
    }

    init(
        _ row: OpenRequestRow, purpose: String, scenario: String, securityMeasures: String, months: Int,
        datasetHref: String
    ) {
        request = row
        self.purpose = purpose
        self.scenario = scenario
        self.securityMeasures = securityMeasures
        self.months = months
        self.datasetHref = datasetHref
    }
}

/// A link to download data in one format.
struct DownloadLinkModel: Sendable {
    var href: String
    var label: String
}

struct PortalResultsPage: PageModel {
    var rows: [Row]
    var hasRows: Bool
    var previous: String?
    var next: String?

    /// An answered application as published: no use case, no measures, the applicant by organisation or family
    /// name.
    struct Row: Sendable {
        var number: String
        var dataset: String
        var href: String
        var applicant: String
        var submitted: String
        var decided: String
        var state: String
        var isApproved: Bool
        var comment: String
    }
}

// MARK: Feedback

struct PortalFeedbackPage: AnonymousFormModel, FormProblemsModel {
    var datasets: [Dataset]
    var description: String
    var evidence: String
    var contactName: String
    var contactPhone: String
    var contactEmail: String
    var message: String?
    var errors: [String: String]?
    var hasErrors: Bool?
    var errorList: [FieldErrorModel]?
    var formToken = ""

    struct Dataset: Sendable {
        var id: Int64
        var name: String
        var selected: Bool
    }
}

/// The receipt of a report, with its tracking code shown this once.
struct PortalFeedbackReceiptPage: PageModel {
    var number: String
    var trackingToken: String
    var deadline: String
    var dataset: String
}

struct PortalFeedbackTrackPage: AnonymousFormModel {
    var number: String
    var message: String?
    var result: Found?
    var formToken = ""

    /// The report found, as the JSON tracking answer shows it.
    struct Found: Sendable {
        var number: String
        var dataset: String
        var state: String
        var created: String
        var deadline: String
        var answer: Answer?
    }

    struct Answer: Sendable {
        var kind: String
        var at: String
        var comment: String?
    }
}
