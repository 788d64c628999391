import Foundation
import HuitongCore
import HuitongServices

/// How catalog entries and departments look to CKAN clients: package and organization dicts shaped like CKAN 2.10's.
///
/// A package's `id` is the entry id as text and its `name` a slug of the resource code (`101001-0001`); both are
/// stable, because neither changes after publication. An organization's `name` is its department code, lower-cased.
struct CKANRepresentation: Sendable {
    let links: OpenDataLinks
    /// Every department by id, for the `organization` member of packages.
    let departments: [Int64: Department]
    /// 编制指南 classification names by code.
    let classificationNames: [String: String]

    // MARK: Names

    /// A CKAN name: lower-case ASCII letters, digits, `-` and `_`; anything else becomes `-`.
    static func slug(_ text: String) -> String {
        String(
            text.lowercased().map { character in
                character.isASCII && (character.isLetter || character.isNumber || character == "_") ? character : "-"
            })
    }

    static func packageName(_ code: ResourceCode) -> String { slug(code.text) }

    static func organizationName(_ department: Department) -> String { slug(department.code) }

    /// The resource code a package name was made from (the first `-` stands for the `/`), or nil.
    static func resourceCode(fromPackageName name: String) -> String? {
        OpenCatalog.resourceCode(fromPackageName: name)
    }

    // MARK: Packages

    func package(_ entry: CatalogEntry) -> JSONValue {
        let content = entry.content
        let licence = OpenLicence(content.openness)
        let tags = content.keywords.filter { !$0.isEmpty }
        let resources = OpenDownloadFormat.allCases.enumerated().map { position, format in
            resource(format, of: entry, position: position)
        }
        return .object([
            JSONMember("id", .string(String(entry.id))),
            JSONMember("name", .string(Self.packageName(entry.code))),
            JSONMember("title", .string(content.name)),
            JSONMember("type", "dataset"),
            JSONMember("state", "active"),
            JSONMember("private", false),
            JSONMember("notes", .string(content.abstract)),
            JSONMember("url", .string(links.landingPage(entry.id))),
            JSONMember("version", .string(String(entry.version))),
            JSONMember("author", .optional(content.contact?.name)),
            JSONMember("author_email", .null),
            JSONMember("maintainer", .optional(content.contact?.name)),
            JSONMember("maintainer_email", .optional(content.contact?.email)),
            JSONMember("license_id", .string(licence.id)),
            JSONMember("license_title", .string(licence.title)),
            JSONMember("license_url", .string(links.licence(licence))),
            JSONMember("isopen", .bool(licence.isOpen)),
            JSONMember("metadata_created", .string(CKANResponse.timestamp(entry.createdAt))),
            JSONMember("metadata_modified", .string(CKANResponse.timestamp(entry.updatedAt))),
            JSONMember("creator_user_id", .null),
            JSONMember("owner_org", .string(String(entry.provider.departmentID))),
            JSONMember("organization", providerOrganization(entry.provider)),
            JSONMember("num_resources", .int(resources.count)),
            JSONMember("num_tags", .int(tags.count)),
            JSONMember("tags", .array(tags.map(tag))),
            JSONMember("groups", []),
            JSONMember("resources", .array(resources)),
            JSONMember("extras", .array(extras(entry).map { ["key": .string($0.0), "value": .string($0.1)] })),
            JSONMember("relationships_as_object", []),
            JSONMember("relationships_as_subject", []),
        ])
    }

    func tag(_ name: String) -> JSONValue {
        ["name": .string(name), "display_name": .string(name), "state": "active", "vocabulary_id": nil]
    }

    func resource(_ format: OpenDownloadFormat, of entry: CatalogEntry, position: Int) -> JSONValue {
        var description = "\(entry.content.name)的全部开放数据，\(format.label) 格式。"
        if entry.content.openness == .conditional {
            description += "有条件开放：须在数据页面申请，获准后下载。"
        }
        return .object([
            JSONMember("id", .string("\(entry.id)-\(format.rawValue)")),
            JSONMember("package_id", .string(String(entry.id))),
            JSONMember("name", .string("\(entry.content.name)（\(format.label)）")),
            JSONMember("description", .string(description)),
            JSONMember("format", .string(format.label)),
            JSONMember("mimetype", .string(format.mediaType)),
            JSONMember("url", .string(links.download(entry.id, format))),
            JSONMember("url_type", .null),
            JSONMember("state", "active"),
            JSONMember("position", .int(position)),
            JSONMember("created", .string(CKANResponse.timestamp(entry.createdAt))),
            JSONMember("last_modified", .optional(entry.dataUpdatedAt.map(CKANResponse.timestamp))),
            JSONMember("metadata_modified", .string(CKANResponse.timestamp(entry.updatedAt))),
            JSONMember("resource_type", .null),
            JSONMember("size", .null),
            JSONMember("hash", ""),
        ])
    }

    /// The catalog fields CKAN has no member for, as `extras` (Chinese values, as the catalog shows them).
    func extras(_ entry: CatalogEntry) -> [(String, String)] {
        let content = entry.content
        var extras: [(String, String)] = [
            ("resource_code", entry.code.text),
            ("classification_code", content.classificationCode),
        ]
        if let name = classificationNames[content.classificationCode] { extras.append(("classification", name)) }
        extras.append(("provider", entry.provider.name))
        extras.append(("provider_code", entry.provider.code))
        if let creditCode = entry.provider.creditCode { extras.append(("provider_credit_code", creditCode)) }
        extras.append(("region_code", entry.provider.regionCode))
        extras.append(("share_type", content.shareType.label.zh))
        extras.append(("openness", content.openness.label.zh))
        if !content.openCondition.isEmpty { extras.append(("open_condition", content.openCondition)) }
        extras.append(("update_cycle", content.updateCycle.label.zh))
        let formats = content.formats.map { "\($0.category.label.zh)/\($0.type)" }
        if !formats.isEmpty { extras.append(("declared_formats", formats.joined(separator: "；"))) }
        if let publishedOn = entry.publishedOn { extras.append(("published_on", publishedOn.description)) }
        if let count = entry.recordCount { extras.append(("record_count", String(count))) }
        if let updated = entry.dataUpdatedAt { extras.append(("data_updated_at", CKANResponse.timestamp(updated))) }
        if let phone = content.contact?.phone, !phone.isEmpty { extras.append(("contact_phone", phone)) }
        return extras
    }

    /// The provider as an organization; from the department record when there is one, else from the entry.
    func providerOrganization(_ provider: EntryProvider) -> JSONValue {
        if let department = departments[provider.departmentID] { return organization(department) }
        return organization(
            Department(
                id: provider.departmentID, name: provider.name, code: provider.code, creditCode: provider.creditCode,
                regionCode: provider.regionCode, parentID: nil, createdAt: Date(timeIntervalSince1970: 0),
                updatedAt: Date(timeIntervalSince1970: 0)))
    }

    // MARK: Organizations

    func organization(_ department: Department, packageCount: Int? = nil, extra: [JSONMember] = []) -> JSONValue {
        var description = "信息资源提供方代码：\(department.code)；行政区划代码：\(department.regionCode)"
        if let creditCode = department.creditCode { description += "；统一社会信用代码：\(creditCode)" }
        var members: [JSONMember] = [
            JSONMember("id", .string(String(department.id))),
            JSONMember("name", .string(Self.organizationName(department))),
            JSONMember("title", .string(department.name)),
            JSONMember("display_name", .string(department.name)),
            JSONMember("type", "organization"),
            JSONMember("description", .string(description)),
            JSONMember("image_url", ""),
            JSONMember("image_display_url", ""),
            JSONMember("created", .string(CKANResponse.timestamp(department.createdAt))),
            JSONMember("is_organization", true),
            JSONMember("approval_status", "approved"),
            JSONMember("state", "active"),
        ]
        if let packageCount { members.append(JSONMember("package_count", .int(packageCount))) }
        return .object(members + extra)
    }

    /// The department an organization name or id refers to.
    static func department(named reference: String, in departments: [Department]) -> Department? {
        let wanted = reference.trimmingCharacters(in: .whitespaces)
        let ordered = departments.sorted { $0.id < $1.id }
        return ordered.first { organizationName($0) == wanted || String($0.id) == wanted }
            ?? ordered.first { organizationName($0) == slug(wanted) }
    }
}
