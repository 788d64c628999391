import Foundation

/// A catalog search: words to find anywhere in an entry plus facet filters and a page.
public struct CatalogQuery: Sendable, Hashable {
    /// Free text; every whitespace-separated term must occur (Chinese substrings match).
    public var text: String
    public var departmentIDs: [Int64]
    /// A classification code prefix, e.g. `1` (基础) or `101` (人口).
    public var classification: String?
    public var shareTypes: [ShareType]
    public var openness: [Openness]
    public var formats: [String]
    /// Entries tagged with any of these keywords.
    public var keywords: [String]
    /// Entries tagged with every one of these keywords (CKAN's `fq=tags:a tags:b`).
    public var allKeywords: [String] = []
    public var updateCycles: [UpdateCycle]
    public var grades: [SecurityGrade]
    public var statuses: Set<EntryStatus>
    /// When set, entries in a status other than published are included only from this department: an officer
    /// sees every department's published entries and the drafts of their own.
    public var unpublishedOnlyOf: Int64?
    public var offset: Int
    public var limit: Int
    /// Only entries with data: a mounted API or file, or a mounted table holding rows (the portal lists no
    /// dataset that has nothing to give).
    public var requiresData = false
    /// The order of the results; relevance ranks exact and prefix name matches first.
    public var order: CatalogOrder = .relevance

    public init(
        text: String = "", departmentIDs: [Int64] = [], classification: String? = nil, shareTypes: [ShareType] = [],
        openness: [Openness] = [], formats: [String] = [], keywords: [String] = [], updateCycles: [UpdateCycle] = [],
        grades: [SecurityGrade] = [], statuses: Set<EntryStatus> = [.published], unpublishedOnlyOf: Int64? = nil,
        offset: Int = 0, limit: Int = 20
    ) {
        self.text = text
        self.departmentIDs = departmentIDs
        self.classification = classification
        self.shareTypes = shareTypes
        self.openness = openness
        self.formats = formats
        self.keywords = keywords
        self.updateCycles = updateCycles
        self.grades = grades
        self.statuses = statuses
        self.unpublishedOnlyOf = unpublishedOnlyOf
        self.offset = offset
        self.limit = limit
    }

    /// The search terms, lower-cased, at most 8 of at most 64 characters each.
    public var terms: [String] { Self.terms(in: text) }

    /// The one rule that turns search text into terms, for the local catalog and for entries registered by
    /// nodes below alike: lower-cased, split at white space, at most 8 terms of at most 64 characters each.
    public static func terms(in text: String) -> [String] {
        text.lowercased().split(whereSeparator: \.isWhitespace).prefix(8).map { String($0.prefix(64)) }
    }

    public static let maximumPageSize = 1000
}

/// How search results are ordered.
public enum CatalogOrder: String, Sendable, Hashable, CaseIterable {
    /// Exact name matches, then names starting with the text, then names containing it, then the rest; newest
    /// first within each (newest first when there is no text).
    case relevance
    /// The most recently updated data first (entries never loaded by their last change).
    case newest
    /// The most viewed first (open-data page views).
    case views
    /// The most downloaded first (open-data downloads and API calls).
    case downloads
}

/// The facets a search reports counts for.
public enum CatalogFacet: String, Sendable, CaseIterable, Codable {
    case department
    case classification
    case shareType
    case openness
    case format
    case updateCycle
    case grade
    case keyword
}

public struct FacetCount: Sendable, Hashable, Codable {
    public var value: String
    public var label: String
    public var count: Int

    public init(value: String, label: String, count: Int) {
        self.value = value
        self.label = label
        self.count = count
    }
}

public struct CatalogSearchResult: Sendable, Hashable, Codable {
    public var total: Int
    public var entries: [CatalogEntry]
    public var facets: [String: [FacetCount]]

    public init(total: Int, entries: [CatalogEntry], facets: [String: [FacetCount]]) {
        self.total = total
        self.entries = entries
        self.facets = facets
    }
}
