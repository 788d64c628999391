// The open-data portal's page models, one per template, named as the template's keys (see `PageModel`).

/// A dataset as a search result or a featured entry shows it (`portal-card`).
struct DatasetCardModel: Sendable {
    var href: String
    var name: String
    var abstract: String
    var code: String
    var provider: String
    var openness: String
    var isConditional: Bool
    var cycle: String
    var formats: [String]
    var hasFormats: Bool
    var updated: String?
    var records: String?
    /// Open-data page views, and downloads with API calls.
    var views: String
    var downloads: String
}

/// A link to the datasets of one department or topic, with how many there are.
struct FacetLinkModel: Sendable {
    var name: String
    var count: Int
    var href: String
}

struct PortalHomePage: PageModel {
    var stats: [Stat]
    var featured: [DatasetCardModel]
    var hasFeatured: Bool
    var hasDepartments: Bool
    var hasTopics: Bool
    var departments: [FacetLinkModel]
    /// 按主题浏览: the subject areas (领域) with open datasets.
    var areas: [Area]
    var popularHref: String
    var newestHref: String
    var downloadedHref: String

    struct Area: Sendable {
        var name: String
        var count: Int
        /// An inline SVG (`PortalSubjectArea.icon`).
        var icon: String
        var href: String
    }

    struct Stat: Sendable {
        var value: String
        var label: String
    }
}

struct PortalSearchPage: PageModel {
    var q: String
    var total: Int
    var results: [DatasetCardModel]
    var hasResults: Bool
    var facets: [Facet]
    var page: Int
    var pageCount: Int
    var langHref: String
    var previous: String?
    var next: String?
    var clearHref: String?
    var issues: [Issue]?
    var hasIssues: Bool?
    /// 相关度 / 最新 / 最热 / 下载最多.
    var sorts: [Sort]
    var areaName: String?
    var areaClearHref: String?
    /// The order to keep when the search form is sent again (none for relevance).
    var sortValue: String?

    struct Sort: Sendable {
        var label: String
        var href: String
        var current: Bool
    }

    struct Facet: Sendable {
        var title: String
        var id: String
        var options: [Option]
    }

    /// A facet's value: following it adds the filter, or removes it when `selected`.
    struct Option: Sendable {
        var label: String
        var count: Int
        var selected: Bool
        var href: String
    }

    /// A search parameter that was left out, and why.
    struct Issue: Sendable {
        var field: String
        var message: String
    }
}

struct PortalDatasetPage: PageModel {
    var id: Int64
    var name: String
    var abstract: String
    var code: String
    var provider: String
    var openness: String
    var isConditional: Bool
    var metadata: [Field]
    var items: [Item]
    var withheldCount: Int
    var hasWithheld: Bool
    var licenceHref: String
    var licenceTitle: String
    var searchHref: String
    var openCondition: String?
    var applyHref: String?
    /// The signed-in developer's application in force for this conditionally open entry.
    var access: Access?
    var preview: Preview?
    var downloads: [DownloadLinkModel]?
    var hasDownloads: Bool?
    var noData: Bool?
    var history: [Version]
    var hasHistory: Bool
    var quality: Quality?
    var examples: [Example]
    /// The page's tabs (数据项, 预览, API, 质量, 版本): links to `?tab=`, so they work without JavaScript.
    var tabs: [Tab]
    var tabTitle: String
    var apiHref: String
    var showItems = false
    var showPreview = false
    var showAPI = false
    var showQuality = false
    var showVersions = false
    /// The preview's numeric column drawn as bars, and its coordinates on a map.
    var chart: PortalPreviewChart?
    var map: PortalPreviewMap?
    /// Open-data page views, and downloads with API calls.
    var views = "0"
    var downloadCount = "0"

    struct Tab: Sendable {
        var label: String
        var href: String
        var current: Bool
    }

    struct Field: Sendable {
        var label: String
        var value: String
    }

    struct Item: Sendable {
        var name: String
        var column: String
        var type: String
        var length: String
        var isKey: Bool
        var kind: String
        var masked: Bool
    }

    struct Access: Sendable {
        var number: String
        var href: String
        var validUntil: String
    }

    /// The first rows of the active version, masked.
    struct Preview: Sendable {
        var headers: [String]
        var rows: [Row]
        var shown: Int
        var total: String
        var anyMasked: Bool
    }

    struct Row: Sendable {
        var cells: [String]
    }

    struct Version: Sendable {
        var version: Int
        var rows: String
        var activated: String
        var isActive: Bool
    }

    /// The current quality score, with the last successful check's dimensions.
    struct Quality: Sendable {
        var score: String
        var checkedAt: String?
        var dimensions: [Dimension]?
        /// Whether `dimensions` has rows (a template cannot ask an array whether it is empty).
        var hasDimensions = false
    }

    struct Dimension: Sendable {
        var name: String
        var score: String
    }

    struct Example: Sendable {
        var title: String
        var command: String
    }
}

/// Why there is no data to download here, with the way back to the entry.
struct PortalNoticePage: PageModel {
    var title: String
    var message: String
    var name: String
    var href: String
    var isConditional: Bool?
    var applyHref: String?
    var openCondition: String?
}

/// The licence page reads the string catalogue only.
struct PortalLicencePage: PageModel {}

/// The dataset page's tabs, in order; `?tab=` names one, the first is the default.
enum PortalDatasetTab: String, CaseIterable, Sendable {
    case items
    case preview
    case api
    case quality
    case versions

    var titleKey: String { "dataset_tab_\(rawValue)" }
}
