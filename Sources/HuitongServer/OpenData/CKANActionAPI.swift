import Foundation
import HuitongCore
import HuitongServices
import HuitongStore
import Hummingbird

/// The read-only part of CKAN 2.10's action API over the open catalog, so that CKAN clients (ckanapi, harvesters,
/// portals that aggregate CKAN sites) can list and search this node's open data.
struct CKANActionAPI: Sendable {
    let catalog: OpenCatalog
    let links: OpenDataLinks
    var store: Store { catalog.store }

    /// The CKAN release whose API shapes these answers follow.
    static let ckanVersion = "2.10.4"
    static let defaultRows = 10
    static let maximumRows = CatalogQuery.maximumPageSize
    static let defaultFacetLimit = 50

    /// Each action with the one-line help `help_show` gives for it.
    static let actions: [(name: String, help: String)] = [
        ("status_show", "Return the site's title, URL, description, locale and CKAN version."),
        ("package_list", "Return the names of the open datasets (parameters: limit, offset)."),
        ("package_show", "Return one dataset (parameter: id, the dataset's id or name)."),
        (
            "package_search",
            "Search the open datasets (parameters: q, fq with organization:, tags:, res_format:, license_id: clauses, "
                + "rows (default 10, at most 1000), start, facet.field as a JSON list, facet.limit)."
        ),
        ("organization_list", "Return the names of the organizations (parameters: all_fields, sort, limit, offset)."),
        (
            "organization_show",
            "Return one organization (parameters: id, the organization's id or name; include_datasets)."
        ),
        ("help_show", "Return the help text of an action (parameter: name)."),
    ]

    func handle(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let action = context.parameters.get("action") ?? ""
        do {
            guard Self.actions.contains(where: { $0.name == action }) else { throw CKANError.unknownAction(action) }
            let parameters = try await CKANParameters.read(request, context: context)
            let result = try await perform(action, parameters)
            return CKANResponse.success(result, action: action, links: links)
        } catch let error as CKANError {
            return CKANResponse.failure(error, action: action, links: links)
        } catch {
            context.logger.error("CKAN action failed", metadata: ["action": "\(action)", "error": "\(error)"])
            let failure = CKANError(
                status: .internalServerError, type: "Internal Server Error",
                message: BilingualText(zh: "服务器内部错误，已记录日志", en: "Internal server error; it has been logged"))
            return CKANResponse.failure(failure, action: action, links: links)
        }
    }

    func perform(_ action: String, _ parameters: CKANParameters) async throws -> JSONValue {
        switch action {
        case "status_show": return statusShow()
        case "package_list": return try await packageList(parameters)
        case "package_show": return try await packageShow(parameters)
        case "package_search": return try await packageSearch(parameters)
        case "organization_list": return try await organizationList(parameters)
        case "organization_show": return try await organizationShow(parameters)
        case "help_show": return try helpShow(parameters)
        default: throw CKANError.unknownAction(action)
        }
    }

    // MARK: Site

    func statusShow() -> JSONValue {
        [
            "site_title": .string(OpenCatalog.title.zh),
            "site_description": .string(OpenCatalog.summary.zh),
            "site_url": .string(links.base),
            "ckan_version": .string(Self.ckanVersion),
            "error_emails_to": nil,
            "locale_default": "zh_Hans_CN",
            "extensions": [],
        ]
    }

    func helpShow(_ parameters: CKANParameters) throws(CKANError) -> JSONValue {
        guard let name = parameters.string("name") else { throw CKANError.missing("name") }
        guard let action = Self.actions.first(where: { $0.name == name }) else {
            throw CKANError.notFound(BilingualText(zh: "接口 \(name)", en: "Action function not found: \(name)"))
        }
        return .string(action.help)
    }

    // MARK: Packages

    func packageList(_ parameters: CKANParameters) async throws -> JSONValue {
        let offset = try parameters.natural("offset", default: 0)
        let limit = try parameters.natural("limit", default: Int.max)
        var names: [String] = []
        try await catalog.forEachPage { entries in names += entries.map { CKANRepresentation.packageName($0.code) } }
        return .array(names.sorted().dropFirst(offset).prefix(limit).map(JSONValue.string))
    }

    func packageShow(_ parameters: CKANParameters) async throws -> JSONValue {
        guard let reference = parameters.string("id") ?? parameters.string("name") else {
            throw CKANError.missing("id")
        }
        guard let entry = try await openEntry(reference) else {
            throw CKANError.notFound(BilingualText(zh: "数据集 \(reference)", en: "Dataset \(reference)"))
        }
        return try await representation().package(entry)
    }

    /// The open entry a package id (`42`), name (`101001-0001`) or resource code (`101001/0001`) refers to.
    func openEntry(_ reference: String) async throws -> CatalogEntry? {
        if reference.allSatisfy({ $0.isASCII && $0.isNumber }), let id = Int64(reference) {
            return try await catalog.entry(id: id)
        }
        if reference.contains("/") { return try await catalog.entry(code: reference) }
        guard let code = CKANRepresentation.resourceCode(fromPackageName: reference),
            let entry = try await catalog.entry(code: code),
            CKANRepresentation.packageName(entry.code) == reference.lowercased()
        else { return nil }
        return entry
    }

    func packageSearch(_ parameters: CKANParameters) async throws -> JSONValue {
        let filter = try CKANSearchFilter.parse(q: parameters.string("q"), fq: parameters.string("fq"))
        let rows = min(try parameters.natural("rows", default: Self.defaultRows), Self.maximumRows)
        let start = try parameters.natural("start", default: 0)
        let facetFields = try parameters.list("facet.field") ?? []
        let facetLimit = try facetLimit(parameters)
        let departments = try await store.departments.list()

        var total = 0
        var entries: [CatalogEntry] = []
        var counts: [String: [FacetCount]] = [:]
        if let query = searchQuery(filter, departments: departments, offset: start, limit: rows) {
            var wanted: [CatalogFacet] = []
            if facetFields.contains("organization") || facetFields.contains("owner_org") { wanted.append(.department) }
            if facetFields.contains("tags") { wanted.append(.keyword) }
            if facetFields.contains("license_id") { wanted.append(.openness) }
            let result = try await store.catalog.search(query, facets: wanted)
            (total, entries, counts) = (result.total, result.entries, result.facets)
        }

        var facets: [JSONMember] = []
        var searchFacets: [JSONMember] = []
        for field in facetFields {
            let items = facetItems(field, counts: counts, total: total, departments: departments)
                .sorted { ($0.count, $1.name) > ($1.count, $0.name) }
            let limited = facetLimit.map { Array(items.prefix($0)) } ?? items
            facets.append(JSONMember(field, .object(limited.map { JSONMember($0.name, .int($0.count)) })))
            searchFacets.append(
                JSONMember(
                    field,
                    [
                        "title": .string(field),
                        "items": .array(
                            limited.map {
                                [
                                    "name": .string($0.name), "display_name": .string($0.displayName),
                                    "count": .int($0.count),
                                ]
                            }),
                    ]))
        }
        let representation = try await representation(departments: departments)
        return [
            "count": .int(total),
            "sort": "score desc, metadata_created desc",
            "facets": .object(facets),
            "search_facets": .object(searchFacets),
            "results": .array(entries.map(representation.package)),
        ]
    }

    /// `facet.limit`: how many values each facet lists; -1 (as in CKAN) or nil means all.
    private func facetLimit(_ parameters: CKANParameters) throws(CKANError) -> Int? {
        if parameters.string("facet.limit") == "-1" { return nil }
        return try parameters.natural("facet.limit", default: Self.defaultFacetLimit)
    }

    /// The catalog query a filter stands for, or nil when no open entry can match it.
    func searchQuery(_ filter: CKANSearchFilter, departments: [Department], offset: Int, limit: Int) -> CatalogQuery? {
        if filter.matchesNothing { return nil }
        var departmentIDs = Set<Int64>()
        for (index, name) in filter.organizations.enumerated() {
            guard let department = CKANRepresentation.department(named: name, in: departments) else { return nil }
            // Clauses are ANDed and an entry has one provider: two different organizations match nothing.
            if index > 0 && !departmentIDs.contains(department.id) { return nil }
            departmentIDs = [department.id]
        }
        // Every open entry has exactly the download formats, so a format filter keeps all of them or none.
        let formats = Set(OpenDownloadFormat.allCases.map(\.label))
        if filter.formats.contains(where: { !formats.contains($0.uppercased()) }) { return nil }
        var openness = Set(OpenCatalog.publicOpenness)
        for licence in filter.licences {
            openness.formIntersection(OpenCatalog.publicOpenness.filter { OpenLicence($0).id == licence })
        }
        if openness.isEmpty { return nil }
        var query = OpenCatalog.query(
            text: filter.words.joined(separator: " "), departmentIDs: Array(departmentIDs),
            allKeywords: filter.tags, offset: offset, limit: limit)
        query.openness = OpenCatalog.publicOpenness.filter(openness.contains)
        return query
    }

    struct FacetItem {
        var name: String
        var displayName: String
        var count: Int
    }

    func facetItems(_ field: String, counts: [String: [FacetCount]], total: Int, departments: [Department])
        -> [FacetItem]
    {
        switch field {
        case "organization", "owner_org":
            let byID = Dictionary(departments.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            return (counts[CatalogFacet.department.rawValue] ?? []).compactMap { count in
                guard let department = Int64(count.value).flatMap({ byID[$0] }) else { return nil }
                let name =
                    field == "owner_org" ? String(department.id) : CKANRepresentation.organizationName(department)
                return FacetItem(name: name, displayName: department.name, count: count.count)
            }
        case "tags":
            return (counts[CatalogFacet.keyword.rawValue] ?? []).map {
                FacetItem(name: $0.value, displayName: $0.label, count: $0.count)
            }
        case "res_format":
            guard total > 0 else { return [] }
            return OpenDownloadFormat.allCases.map { FacetItem(name: $0.label, displayName: $0.label, count: total) }
        case "license_id":
            return (counts[CatalogFacet.openness.rawValue] ?? []).compactMap { count in
                guard let openness = Openness(rawValue: count.value), openness.isPublic else { return nil }
                let licence = OpenLicence(openness)
                return FacetItem(name: licence.id, displayName: licence.title, count: count.count)
            }
        default:
            // CKAN would facet on any indexed field; this node knows these four and lists nothing for others.
            return []
        }
    }

    // MARK: Organizations

    func organizationList(_ parameters: CKANParameters) async throws -> JSONValue {
        let allFields = try parameters.bool("all_fields", default: false)
        let offset = try parameters.natural("offset", default: 0)
        let limit = try parameters.natural("limit", default: Int.max)
        let sort = try OrganizationSort(parameters.string("sort"))
        let counts = try await catalog.countsByDepartment()
        let departments = try await store.departments.list().sorted { lhs, rhs in
            sort.ordersBefore(lhs, rhs, counts: counts)
        }
        let page = departments.dropFirst(offset).prefix(limit)
        let representation = try await representation(departments: departments)
        return .array(
            page.map { department in
                allFields
                    ? representation.organization(department, packageCount: counts[department.id] ?? 0)
                    : .string(CKANRepresentation.organizationName(department))
            })
    }

    /// `organization_list`'s `sort`: `name`, `title` or `package_count`, each `asc` or `desc` (CKAN's default is
    /// `title asc`).
    struct OrganizationSort {
        enum Key: String {
            case name
            case title
            case packageCount = "package_count"
        }
        var key: Key
        var ascending: Bool

        init(_ text: String?) throws(CKANError) {
            let words = (text ?? "title asc").lowercased().split(separator: " ")
            guard let first = words.first, let key = Key(rawValue: String(first)), words.count <= 2,
                words.count == 1 || ["asc", "desc"].contains(words[1])
            else {
                throw CKANError.validation(
                    "sort",
                    BilingualText(
                        zh: "须为 name、title 或 package_count，后接 asc 或 desc",
                        en: "Must be name, title or package_count, then asc or desc"))
            }
            self.key = key
            self.ascending = words.count == 1 || words[1] == "asc"
        }

        func ordersBefore(_ lhs: Department, _ rhs: Department, counts: [Int64: Int]) -> Bool {
            let (first, second) = ascending ? (lhs, rhs) : (rhs, lhs)
            switch key {
            case .name:
                return CKANRepresentation.organizationName(first) < CKANRepresentation.organizationName(second)
            case .title:
                return (first.name, first.id) < (second.name, second.id)
            case .packageCount:
                let (firstCount, secondCount) = (counts[first.id] ?? 0, counts[second.id] ?? 0)
                return firstCount != secondCount
                    ? firstCount < secondCount : (first.name, first.id) < (second.name, second.id)
            }
        }
    }

    func organizationShow(_ parameters: CKANParameters) async throws -> JSONValue {
        guard let reference = parameters.string("id") else { throw CKANError.missing("id") }
        let includeDatasets = try parameters.bool("include_datasets", default: false)
        let departments = try await store.departments.list()
        guard let department = CKANRepresentation.department(named: reference, in: departments) else {
            throw CKANError.notFound(BilingualText(zh: "组织 \(reference)", en: "Organization \(reference)"))
        }
        let result = try await store.catalog.search(
            OpenCatalog.query(departmentIDs: [department.id], limit: includeDatasets ? Self.maximumRows : 0),
            facets: [])
        let representation = try await representation(departments: departments)
        var extra: [JSONMember] = []
        if includeDatasets { extra.append(JSONMember("packages", .array(result.entries.map(representation.package)))) }
        extra.append(JSONMember("users", []))
        extra.append(JSONMember("extras", []))
        extra.append(JSONMember("groups", []))
        extra.append(JSONMember("tags", []))
        return representation.organization(department, packageCount: result.total, extra: extra)
    }

    private func representation(departments: [Department]? = nil) async throws -> CKANRepresentation {
        var list = departments ?? []
        if departments == nil { list = try await store.departments.list() }
        return CKANRepresentation(
            links: links, departments: Dictionary(list.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first }),
            classificationNames: try await catalog.classificationNames())
    }
}
