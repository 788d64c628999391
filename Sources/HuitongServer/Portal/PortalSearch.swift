import Foundation
import HuitongCore
import HuitongServices

/// A portal search as written in its URL: `/datasets?q=营业执照&department=3&topic=101&format=CSV&cycle=monthly
/// &openness=unconditional&page=2`. Only open entries are ever searched, whatever the parameters say.
struct PortalSearch: Sendable, Hashable {
    var text = ""
    var departmentID: Int64?
    /// A 编制指南 classification code prefix (主题).
    var topic: String?
    var format: String?
    var cycle: UpdateCycle?
    var openness: Openness?
    /// A subject area (领域, `PortalSubjectArea`).
    var area: PortalSubjectArea?
    var order: CatalogOrder = .relevance
    var page = 1

    static let pageSize = 10
    /// Pages past this are not offered; a narrower search finds what is there.
    static let maximumPage = 1_000

    /// The search, and what was wrong with the parameters that had to be left out.
    static func parse(_ parameters: QueryValues) -> (PortalSearch, [FieldIssue]) {
        var search = PortalSearch()
        var issues = ValidationCollector()
        search.text = String((parameters["q"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines).prefix(200))
        if let text = nonEmpty(parameters["department"]) {
            if let id = Int64(text), id > 0 {
                search.departmentID = id
            } else {
                issues.add("department", BilingualText(zh: "部门编号须为正整数", en: "department must be a positive integer"))
            }
        }
        if let text = nonEmpty(parameters["topic"]) {
            if text.count <= 20 && text.allSatisfy({ $0.isASCII && $0.isNumber }) {
                search.topic = text
            } else {
                issues.add("topic", BilingualText(zh: "主题须为数字分类代码", en: "topic must be a digit classification code"))
            }
        }
        if let text = nonEmpty(parameters["format"]) {
            search.format = String(text.prefix(40))
        }
        if let text = nonEmpty(parameters["cycle"]) {
            if let cycle = UpdateCycle.parse(text) {
                search.cycle = cycle
            } else {
                issues.add(
                    "cycle",
                    BilingualText(
                        zh: "“\(text)”不是有效的更新周期，可选：\(UpdateCycle.choices.zh)",
                        en: "\"\(text)\" is not an update cycle; use one of \(UpdateCycle.choices.en)"))
            }
        }
        if let text = nonEmpty(parameters["openness"]) {
            if let openness = Openness.parse(text), openness.isPublic {
                search.openness = openness
            } else {
                issues.add(
                    "openness",
                    BilingualText(
                        zh: "开放属性只能是无条件开放（unconditional）或有条件开放（conditional）",
                        en: "openness must be unconditional or conditional"))
            }
        }
        if let text = nonEmpty(parameters["area"]) {
            if let area = PortalSubjectArea(rawValue: text) {
                search.area = area
            } else {
                issues.add("area", BilingualText(zh: "没有这个领域", en: "there is no such subject area"))
            }
        }
        if let text = nonEmpty(parameters["sort"]) {
            if let order = CatalogOrder(rawValue: text) {
                search.order = order
            } else {
                issues.add(
                    "sort",
                    BilingualText(
                        zh: "排序只能是 relevance、newest、views 或 downloads",
                        en: "sort must be relevance, newest, views or downloads"))
            }
        }
        if let text = nonEmpty(parameters["page"]) {
            if let page = Int(text), (1...maximumPage).contains(page) {
                search.page = page
            } else {
                issues.add(
                    "page",
                    BilingualText(zh: "页码须为 1–\(maximumPage) 的整数", en: "page must be a whole number 1–\(maximumPage)"))
            }
        }
        return (search, issues.issues)
    }

    private static func nonEmpty(_ text: String?) -> String? {
        guard let text = text?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        return text
    }

    /// The catalog query: open entries only (`OpenCatalog.query`) narrowed by the filters.
    var query: CatalogQuery {
        var query = OpenCatalog.query(
            text: text, departmentIDs: departmentID.map { [$0] } ?? [], offset: (page - 1) * Self.pageSize,
            limit: Self.pageSize)
        query.classification = topic
        query.formats = format.map { [$0] } ?? []
        query.updateCycles = cycle.map { [$0] } ?? []
        if let openness { query.openness = [openness] }
        if let area { query.keywords = area.keywords }
        query.order = order
        // The portal lists datasets that have something to give: rows to download or an API to call.
        query.requiresData = true
        return query
    }

    /// No format facet: the catalog's declared formats (a KingbaseES table, an OFD file) are how providers keep
    /// data, not what a visitor can download; every listed dataset offers its data as CSV, JSON and XLSX or as an
    /// API (`PortalDataPolicy.offeredFormats`).
    static let facets: [CatalogFacet] = [.department, .classification, .updateCycle, .openness]

    /// The URL parameter a facet filters by.
    static func parameter(for facet: CatalogFacet) -> String {
        switch facet {
        case .department: "department"
        case .classification: "topic"
        case .updateCycle: "cycle"
        default: facet.rawValue
        }
    }

    /// The filter value this search has for the facet's parameter.
    func value(of parameter: String) -> String? {
        switch parameter {
        case "department": departmentID.map(String.init)
        case "topic": topic
        case "format": format
        case "cycle": cycle?.rawValue
        case "openness": openness?.rawValue
        case "area": area?.rawValue
        case "sort": order == .relevance ? nil : order.rawValue
        default: nil
        }
    }

    /// This search's address with one parameter set (or removed with nil) and the page reset, unless `page` is given.
    func href(setting parameter: String? = nil, to value: String? = nil, page: Int? = nil) -> String {
        var pairs: [(String, String)] = []
        if !text.isEmpty { pairs.append(("q", text)) }
        for name in ["department", "topic", "format", "cycle", "openness", "area", "sort"] {
            let current = name == parameter ? value : self.value(of: name)
            if let current { pairs.append((name, current)) }
        }
        if let page, page > 1 { pairs.append(("page", String(page))) }
        if pairs.isEmpty { return "/datasets" }
        return "/datasets?" + pairs.map { "\($0)=\(Self.encode($1))" }.joined(separator: "&")
    }

    /// RFC 3986's unreserved characters; everything else (Chinese included) is percent-encoded.
    static let unreserved = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    static func encode(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: unreserved) ?? value
    }
}
