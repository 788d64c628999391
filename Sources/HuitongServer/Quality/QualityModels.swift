// The quality report pages' models, one per template, named as the template's keys (see `PageModel`).

struct QualityRankingPage: PageModel {
    var rows: [Row]
    var hasRows: Bool
    var ownHref: String

    /// A department's place; `href` is empty where the officer may not open its report.
    struct Row: Sendable {
        var rank: Int
        var name: String
        var score: String
        var entries: Int
        var href: String
    }
}

struct QualityDepartmentPage: PageModel {
    var department: String
    var mean: String
    var scored: Int
    var dimensionNames: [DimensionName]
    var rows: [Row]
    var hasRows: Bool
    var csvHref: String
    /// The department's timeliness: its collection on-time rate (按时更新率), else its entries' mean.
    var timeliness: String
    /// Rows its collection sources delivered (归集总量); nil without sources.
    var rowsCollected: String?

    struct DimensionName: Sendable {
        var name: String
    }

    /// An entry's scores, one per dimension in `dimensionNames`' order.
    struct Row: Sendable {
        var name: String
        var code: String
        var href: String
        var score: String
        var dimensions: [DimensionScore]
        var finished: String
    }

    struct DimensionScore: Sendable {
        var score: String
    }
}

struct QualityEntryPage: PageModel {
    var name: String
    var code: String
    var department: String
    var departmentHref: String
    var score: String
    var openProblems: Int
    var openObjections: Int
    var hasObjections: Bool
    var csvHref: String
    /// The latest check, with its report when it produced one.
    var run: Run?
    var dimensions: [Dimension]?
    var rules: [Rule]?
    /// Whether the tables above have rows (a template cannot ask an array whether it is empty).
    var hasDimensions = false
    var hasRules = false
    var samples: [Sample]?
    var hasSamples: Bool?

    struct Run: Sendable {
        var status: String
        var trigger: String
        var version: String
        var checked: Int64
        var total: Int64
        var finished: String
        var message: String
    }

    struct Dimension: Sendable {
        var name: String
        var score: String
        var checked: Int
        var failed: Int
    }

    struct Rule: Sendable {
        var id: String
        var dimension: String
        var columns: String
        var checked: Int
        var failed: Int
        var passRate: String
        var failing: Bool
    }

    /// A failing value, masked by the evaluator before it was stored.
    struct Sample: Sendable {
        var rule: String
        var row: Int64
        var column: String
        var value: String
        var reason: String
    }
}
