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

/// A label and its value as a chart's data table lists them.
struct ChartValueModel: Sendable {
    var label: String
    var display: String
}

/// A figure of a page's statistics band, linking to its list when there is one.
struct StatModel: Sendable {
    var value: String
    var label: String
    var href: String?
}

/// An option chosen by a checkbox or radio button.
struct CheckedOptionModel: Sendable {
    var value: String
    var label: String
    var checked: Bool
}

// MARK: Overview

struct ConsoleOverviewPage: PageModel {
    var user: User
    var roles: [String]
    var department: Department?
    var sections: [Tile]
    /// The 工作台: what waits (soonest deadline first) and what was done, by the role the work belongs to.
    var todo: [WorkGroup]
    var hasTodo: Bool
    var todoCount: Int
    var done: [WorkGroup]
    var hasDone: Bool
    var shortcuts: [ShortcutGroup]

    struct WorkGroup: Sendable {
        var label: String
        var count: Int
        var items: [WorkItem]
    }

    struct WorkItem: Sendable {
        var kind: String
        var subject: String
        var href: String
        var deadline: String?
        var overdue: Bool
        var at: String?
    }

    struct ShortcutGroup: Sendable {
        var label: String
        var tiles: [Tile]
    }

    struct User: Sendable {
        var username: String
        var displayName: String
    }

    struct Department: Sendable {
        var name: String
        var code: String
        var regionCode: String
    }

    struct Tile: Sendable {
        var href: String
        var label: String
        var hint: String
    }
}

// MARK: Operator

struct ConsoleDashboardPage: PageModel {
    var title: String
    var stats: [StatModel]
    var callsChart: String
    var hasTop: Bool
    var topChart: String
    var top: [ChartValueModel]
    var hasRates: Bool
    var ratesChart: String
    var rates: [Rate]
    var hasQuality: Bool
    var qualityChart: String
    var quality: [Quality]
    var days: [ChartValueModel]
    /// Collection (归集) per department: sources on time and rows collected.
    var hasCollection: Bool
    var collection: [ConsoleCollectionMonitoringPage.Department]
    /// 一张图: the node's totals, departments ranked by published entries, and the cascade peers.
    var overview: [StatModel]
    var hasRanking: Bool
    var rankingChart: String
    var ranking: [ChartValueModel]
    var hasPeers: Bool
    var peers: [Peer]

    struct Peer: Sendable {
        var name: String
        var region: String
        var relation: String
        var pending: Int
        var failed: Int
        var status: String
        var ok: Bool
    }

    struct Rate: Sendable {
        var name: String
        var published: Int
        var mounted: Int
        var rate: String
    }

    struct Quality: Sendable {
        var rank: Int
        var name: String
        var score: String
        var entries: Int
    }
}

struct ConsoleDepartmentsPage: PageModel {
    var title: String
    var departments: [Department]
    var users: [User]
    var managesUsers: Bool
    var managesDepartments: Bool
    var departmentOptions: [OptionModel]
    var roleChoices: [CheckedOptionModel]
    var newUser: NewUser
    var newDepartment: NewDepartment
    var userErrors: [String: String]?
    var departmentErrors: [String: String]?
    var notice: String?

    struct NewUser: Sendable {
        var username: String
        var displayName: String
    }

    struct NewDepartment: Sendable {
        var name: String
        var code: String
        var creditCode: String
        var regionCode: String
    }

    struct Department: Sendable {
        var href: String
        var code: String
        var name: String
        var creditCode: String
        var regionCode: String
        var users: Int
        var active: Bool
    }

    struct User: Sendable {
        var href: String
        var username: String
        var displayName: String
        var department: String
        var roles: String
        var active: Bool
        var lastLogin: String
    }
}

struct ConsoleReviewPage: PageModel {
    var title: String
    var total: Int
    var hasEntries: Bool
    var entries: [Entry]
    /// Why the last step failed, when its entry has left the queue.
    var failure: String?
    var notice: String?

    struct Entry: Sendable {
        var id: Int64
        var href: String
        var name: String
        var code: String
        var provider: String
        var version: Int
        var updated: String
        var items: Int
        var shareType: String
        var openness: String
        var error: String?
        var comment: String?
    }
}

struct ConsoleOverduePage: PageModel {
    var title: String
    var hasOpenRequests: Bool
    var openRequests: [OpenRequest]
    var hasApplications: Bool
    var applications: [Application]

    struct OpenRequest: Sendable {
        var number: String
        var resourceCode: String
        var dataset: String
        var applicant: String
        var provider: String
        var deadline: String
    }

    struct Application: Sendable {
        var number: String
        var resourceCode: String
        var consumer: String
        var provider: String
        var state: String
        var deadline: String
        var overdue: Bool
    }
}

struct ConsoleListsPage: PageModel {
    var title: String
    var coverage: [Coverage]
    var hasCoverage: Bool
    var demands: [Demand]
    var hasDemands: Bool
    var negative: [Negative]
    var hasNegative: Bool

    struct Coverage: Sendable {
        var name: String
        var promised: Int
        var fulfilled: Int
        var rate: String
        var missing: String
    }

    struct Demand: Sendable {
        var number: String
        var department: String
        var data: String
        var scenario: String
        var provider: String
        var status: String
    }

    struct Negative: Sendable {
        var department: String
        var kind: String
        var resource: String
        var items: String
        var legalBasis: String
        var reviewBy: String
    }
}

struct ConsoleAuditPage: PageModel {
    var title: String
    var verification: Verification
    var filters: ConsoleAuditFilters
    var hasEntries: Bool
    var entries: [Entry]

    /// The last check of the log's chain: its counts when it held (`ok`), the first bad record when not.
    struct Verification: Sendable {
        var checkedAt: String
        var head: Int64
        var ok: Bool
        var status: String
        var entries: Int64?
        var checkpoints: Int64?
        var unsigned: Int64?
        var checkpoint: Checkpoint?
        var sequence: Int64?
        var message: String?
    }

    struct Checkpoint: Sendable {
        var size: Int64
        var time: String
        var keyID: String
    }

    /// A record of the log, or the column of one that cannot be read (`unreadable`, with its sequence only).
    struct Entry: Sendable {
        var sequence: Int64
        /// The entry's detail page.
        var href: String?
        var unreadable: String?
        var time: String?
        /// The action's label; nil when the catalogue has none, and the page shows `actionCode`.
        var action: String?
        var actionCode: String?
        var resourceCode: String?
        var consumer: String?
        var outcome: String?
        var allowed: Bool?
        /// The refusal's label, or nil (the page then shows `reasonCode`).
        var reason: String?
        var reasonCode: String?
        var rows: Int64?
        var hash: String?
    }
}

// MARK: Provider

struct ConsoleEntriesPage: PageModel {
    var title: String
    var total: Int
    var hasEntries: Bool
    var entries: [Entry]
    var notice: String?

    struct Entry: Sendable {
        var id: Int64
        var href: String
        var name: String
        var code: String
        var status: String
        var version: Int
        var updated: String
        var mounted: Bool
        var score: String
        var canSubmit: Bool
        var canEdit: Bool
        var editHref: String
    }
}

struct ConsoleEntryPage: PageModel {
    var title: String
    var id: Int64
    var name: String
    var abstract: String
    var code: String
    var provider: String
    var status: String
    var version: Int
    var shareType: String
    var openness: String
    var cycle: String
    var grade: String
    var updated: String
    var items: [Item]
    var history: [Event]
    var canSubmit: Bool
    var canEdit: Bool
    var canReview: Bool
    var canApply: Bool
    var mount: Mount?
    var score: String?
    var upload: ConsoleUploadForm?
    var notice: String?

    struct Item: Sendable {
        var name: String
        var column: String
        var type: String
        var shareType: String
        var grade: String
        var key: Bool
    }

    struct Event: Sendable {
        var action: String
        var version: Int
        var actor: String
        var comment: String
        var at: String
    }

    struct Mount: Sendable {
        var kind: String
        var locator: String
    }
}

/// The entry page's upload form with the options chosen, its problems, and the entry's recent jobs.
struct ConsoleUploadForm: Sendable {
    var action: String
    var types: String
    var modes: [OptionModel]
    var encodings: [OptionModel]
    var allowRepeat: Bool
    /// The rejected rows the load may have: a share above which nothing is published, or publish the valid rows.
    var maxRejectedPercent: String
    var publishValid: Bool
    /// The entry's template to fill in.
    var templateCSV: String
    var templateXLSX: String
    var errors: [String: String]?
    var hasJobs: Bool
    var jobs: [Job]

    struct Job: Sendable {
        var href: String
        var id: Int64
        var fileName: String
        var status: String
        var failed: Bool
        var percent: Int
        var rowsLoaded: String
        var rowsRejected: String
        var created: String
    }
}

struct ConsoleJobPage: PageModel {
    var title: String
    var id: Int64
    var entryName: String
    var entryHref: String
    var fileName: String
    var mode: String
    var status: String
    var running: Bool
    var succeeded: Bool
    var failed: Bool
    var percent: Int
    var rowsRead: String
    var rowsLoaded: String
    var rowsRejected: String
    var created: String
    var poll: String
    var finished: String?
    var poolVersion: Int?
    var message: String?
    var script: String?
    /// The rejected rows, once the load has ended with some.
    var hasIssues: Bool?
    var issueGroups: [IssueGroup]?
    var moreIssues: Bool?
    var report: String?

    /// The problems of one kind in one column, counted.
    struct IssueGroup: Sendable {
        /// The column as the file heads it.
        var heading: String
        /// The item's column name, when it differs from the heading.
        var column: String?
        var kind: String
        var count: String
        /// The first rows with the problem.
        var rows: String
        /// Their values, for columns that are not sensitive.
        var values: String?
        var valuesHidden: Bool
    }
}

struct ConsoleEntryFormPage: PageModel, FormProblemsModel {
    var title: String
    var name: String
    var abstract: String
    var formatType: String
    var revision: String
    var shareCondition: String
    var keywords: String
    var classifications: [OptionModel]
    var formatCategories: [OptionModel]
    var shareTypes: [OptionModel]
    var opennesses: [OptionModel]
    var cycles: [OptionModel]
    var rows: [Row]
    var rowCount: Int
    var action: String
    var submitLabel: String
    var intro: String
    var editing: Editing?
    var message: String?
    var errors: [String: String]?
    var hasErrors: Bool?
    var errorList: [FieldErrorModel]?

    /// A data item's row of the form.
    struct Row: Sendable {
        var row: Int
        var number: Int
        var name: String
        var column: String
        var key: Bool
        var required: Bool
        var types: [OptionModel]
        var error: String?
        /// The item the row started as; absent for a row that started empty.
        var origin: String?
    }

    /// The entry being edited.
    struct Editing: Sendable {
        var id: Int64
        var code: String
        var status: String
        var href: String
    }
}

struct ConsoleToReviewPage: PageModel {
    var title: String
    var hasApplications: Bool
    var applications: [Application]
    var notice: String?

    /// An application awaiting the provider's decision, with its decision form (as typed, when it failed).
    struct Application: Sendable {
        var id: Int64
        var number: String
        var resourceName: String
        var resourceCode: String
        var consumer: String
        var applicant: String
        /// The requested items by name (their codes are beside the boxes of the decision form).
        var itemNames: String
        var purpose: String
        var purposeText: String
        var legalBasis: String
        var scenario: String
        var period: String
        var dailyCalls: String
        var deadline: String
        var overdue: Bool
        var grantItems: [GrantItem]
        var kinds: [OptionModel]
        var reasons: [OptionModel]
        var comment: String
        var errors: [String: String]?
        var error: String?
    }

    struct GrantItem: Sendable {
        var column: String
        var name: String
        var checked: Bool
    }
}

struct ConsoleObjectionsPage: PageModel {
    var title: String
    var hasObjections: Bool
    var objections: [Objection]

    struct Objection: Sendable {
        var number: String
        var resourceName: String
        var resourceCode: String
        var raiser: String
        /// The items by name.
        var items: String
        var description: String
        var state: String
        var deadline: String
        var overdue: Bool
    }
}

// MARK: Consumer

struct ConsoleCatalogPage: PageModel {
    var title: String
    var q: String
    var total: Int
    var hasResults: Bool
    var results: [Entry]
    var previous: String?
    var next: String?

    struct Entry: Sendable {
        var href: String
        var name: String
        var abstract: String
        var code: String
        var provider: String
        var shareType: String
        var canApply: Bool
        var applyHref: String
    }
}

struct ConsoleApplyPage: PageModel, FormProblemsModel {
    var title: String
    var entryID: Int64
    var entryName: String
    var code: String
    var provider: String
    var entryHref: String
    var shareType: String
    var items: [Item]
    var purposes: [OptionModel]
    var channels: [CheckedOptionModel]
    var systems: [System]
    var hasSystems: Bool
    var purposeText: String
    var legalBasis: String
    var scenario: String
    var validFrom: String
    var validTo: String
    var expectedDailyCalls: String
    var errors: [String: String]?
    var hasErrors: Bool?
    var errorList: [FieldErrorModel]?

    struct Item: Sendable {
        var column: String
        var name: String
        var checked: Bool
        var grade: String
    }

    struct System: Sendable {
        var id: Int64
        var name: String
        var checked: Bool
    }
}

struct ConsoleApplicationsPage: PageModel {
    var title: String
    var hasApplications: Bool
    var applications: [Application]
    var hasGrants: Bool
    var grants: [Grant]
    var notice: String?

    struct Application: Sendable {
        var id: Int64
        var number: String
        var href: String
        var resourceName: String
        var resourceCode: String
        var provider: String
        var state: String
        var deadline: String
        var overdue: Bool
        var created: String
        var isDraft: Bool
        var decision: String
    }

    struct Grant: Sendable {
        var id: Int64
        var href: String
        var resourceName: String
        var resourceCode: String
        var provider: String
        var items: [ConsolePages.ItemName]
        var period: String
        var quota: String
        var rate: Int
        var channel: String
        var active: Bool
        var revoked: Bool
    }
}

struct ConsoleSystemsPage: PageModel, FormProblemsModel {
    var title: String
    var systems: [System]
    var hasSystems: Bool
    var notice: String?
    /// The 新建应用 form, as typed when it failed.
    var newName: String
    var newDescription: String
    var errors: [String: String]?
    var hasErrors: Bool?
    var errorList: [FieldErrorModel]?

    /// An application system with its credentials, the secret of one just issued, and the new-credential form.
    struct System: Sendable {
        var id: Int64
        var name: String
        var description: String
        var active: Bool
        var credentials: [Credential]
        var hasCredentials: Bool
        var credentialName: String
        /// The grants this system may call under, each linking to its 接口文档.
        var grants: [GrantLink]
        var hasGrants: Bool
        var issued: Issued?
        var errors: [String: String]?
    }

    struct Credential: Sendable {
        var id: Int64
        var systemID: Int64
        var name: String
        var keyID: String
        var hint: String
        var created: String
        var expires: String
        var lastUsed: String
        var state: String
        /// Current and not revoked: it may be rotated or revoked.
        var actionable: Bool
    }

    struct GrantLink: Sendable {
        var href: String
        var name: String
        var code: String
    }

    struct Issued: Sendable {
        var keyID: String
        var secret: String
        var rotated: Bool
        /// A call with this secret under one of the system's grants, ready to paste.
        var example: String?
    }
}

struct ConsoleUsagePage: PageModel {
    var title: String
    var total: String
    var chart: String
    var days: [ChartValueModel]
    var hasResources: Bool
    var resources: [Resource]

    struct Resource: Sendable {
        var name: String
        var code: String
        var calls: String
        var allowed: String
        var denied: String
        var failed: String
        var rows: String
    }
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
        /// What the developer's account page lists of it.
        var request: OpenRequestRow
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
            request = row
            self.purpose = purpose
            self.scenario = scenario
            self.securityMeasures = securityMeasures
            self.months = months
            self.applicant = applicant
            self.inForce = inForce
        }
    }
}
