import Foundation
import HuitongCore
import HuitongServices
import Hummingbird

/// A catalog search as written in a URL: `?q=营业执照&shareType=conditional&format=CSV&page=2`.
///
/// Enumerated filters accept the raw value or the Chinese or English label, and may repeat.
struct CatalogQueryParameters {
    var query: CatalogQuery
    var facets: [CatalogFacet]
    var page: Int

    static let maximumPageSize = 100

    static func parse(_ request: Request) throws(ValidationError) -> CatalogQueryParameters {
        try parse(QueryValues(request))
    }

    static func parse(_ parameters: QueryValues) throws(ValidationError) -> CatalogQueryParameters {
        var issues = ValidationCollector()
        var query = CatalogQuery()
        query.text = parameters["q"] ?? ""
        func values(_ name: String) -> [String] {
            parameters.all(name).flatMap { $0.split(separator: ",") }.map {
                $0.trimmingCharacters(in: .whitespaces)
            }.filter { !$0.isEmpty }
        }
        func labeled<Value: LabeledValue>(_ name: String, _ type: Value.Type) -> [Value] {
            values(name).compactMap { text in
                if let value = Value.parse(text) { return value }
                issues.add(
                    name,
                    BilingualText(
                        zh: "“\(text)”不是有效值，可选：\(Value.choices.zh)", en: "\"\(text)\" is not one of \(Value.choices.en)"
                    ))
                return nil
            }
        }
        query.departmentIDs = values("departmentID").compactMap { text in
            if let id = Int64(text), id > 0 { return id }
            issues.add("departmentID", BilingualText(zh: "部门编号须为正整数", en: "departmentID must be a positive integer"))
            return nil
        }
        if let classification = parameters["classification"], !classification.isEmpty {
            if classification.allSatisfy({ $0.isASCII && $0.isNumber }) && classification.count <= 20 {
                query.classification = String(classification)
            } else {
                issues.add("classification", BilingualText(zh: "分类代码须为数字", en: "classification is a digit code"))
            }
        }
        query.shareTypes = labeled("shareType", ShareType.self)
        query.openness = labeled("openness", Openness.self)
        query.updateCycles = labeled("updateCycle", UpdateCycle.self)
        query.grades = labeled("grade", SecurityGrade.self)
        query.formats = values("format")
        query.keywords = values("keyword")
        let statuses = labeled("status", EntryStatus.self)
        query.statuses = statuses.isEmpty ? [.published] : Set(statuses)

        var page = 1
        if let text = parameters["page"] {
            if let number = Int(text), number >= 1, number <= 100_000 {
                page = number
            } else {
                issues.add("page", BilingualText(zh: "页码须为正整数", en: "page must be a positive integer"))
            }
        }
        query.limit = 20
        if let text = parameters["pageSize"] {
            if let size = Int(text), (1...maximumPageSize).contains(size) {
                query.limit = size
            } else {
                issues.add(
                    "pageSize",
                    BilingualText(zh: "每页条数须为 1–\(maximumPageSize)", en: "pageSize must be 1–\(maximumPageSize)"))
            }
        }
        query.offset = (page - 1) * query.limit
        var facets = CatalogFacet.allCases
        if let text = parameters["facets"] {
            facets = []
            for name in text.split(separator: ",") where name != "none" {
                if let facet = CatalogFacet(rawValue: String(name)) {
                    facets.append(facet)
                } else {
                    issues.add(
                        "facets",
                        BilingualText(
                            zh: "未知的分面“\(name)”",
                            en: "unknown facet \"\(name)\"; use \(CatalogFacet.allCases.map(\.rawValue))"))
                }
            }
        }
        if let text = parameters["mine"], text != "true", text != "false" {
            issues.add("mine", BilingualText(zh: "须为 true 或 false", en: "must be true or false"))
        }
        try issues.throwIfAny()
        return CatalogQueryParameters(query: query, facets: facets, page: page)
    }
}

extension CatalogQueryParameters {
    /// Who sees what, for every listing of entries (search and export): operators and auditors see every
    /// department's entries in the statuses asked for; other officers see published entries of all departments
    /// and the other statuses of their own only. `mine=true` narrows to the caller's department, in every status
    /// unless `status` says otherwise.
    mutating func scope(to user: User, _ request: Request) {
        if request.uri.queryParameters["mine"] == "true" {
            query.departmentIDs = [user.departmentID]
            if request.uri.queryParameters["status"] == nil { query.statuses = Set(EntryStatus.allCases) }
        }
        if !AccessPolicy.reachesEveryDepartment(user, .catalogReadUnpublished) {
            query.unpublishedOnlyOf = user.departmentID
        }
    }
}

/// A URL's query parameters by name, each possibly repeated.
struct QueryValues: Sendable {
    var values: [String: [String]]

    init(_ request: Request) {
        var values: [String: [String]] = [:]
        for (key, value) in request.uri.queryParameters {
            values[String(key), default: []].append(String(value))
        }
        self.values = values
    }

    init(_ values: [String: [String]]) {
        self.values = values
    }

    subscript(_ name: String) -> String? { values[name]?.first }

    func all(_ name: String) -> [String] { values[name] ?? [] }
}
