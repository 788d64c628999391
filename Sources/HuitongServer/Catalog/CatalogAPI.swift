import Foundation
import HuitongCore
import HuitongServices
import HuitongStore
import Hummingbird

/// `/api/v1/catalog`: entries with their items, lifecycle, versions, mounted resources and search.
struct CatalogAPI {
    let store: Store
    let catalog: CatalogLifecycle

    func register(on api: RouterGroup<HuitongRequestContext>) {
        api.get("catalog/classifications", use: listClassifications)
        api.post("catalog/classifications", use: createClassification)
        api.get("catalog/entries", use: search)
        api.post("catalog/entries", use: create)
        api.get("catalog/entries/:id", use: get)
        api.put("catalog/entries/:id", use: update)
        api.delete("catalog/entries/:id", use: delete)
        for step in CatalogTransition.allCases {
            api.post("catalog/entries/:id/\(step.rawValue)") { request, context in
                try await transition(step, request, context)
            }
        }
        api.get("catalog/entries/:id/versions", use: versions)
        api.get("catalog/entries/:id/history", use: history)
        api.get("catalog/entries/:id/diff", use: diff)
        api.put("catalog/entries/:id/mount", use: mount)
        api.delete("catalog/entries/:id/mount", use: unmount)
        api.get("catalog/mount-rates", use: mountRates)
    }

    // MARK: Classifications

    struct ClassificationInput: Codable {
        var scheme: String?
        var code: String
        var name: String
    }

    func listClassifications(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        _ = try context.requireUser()
        let scheme = request.uri.queryParameters["scheme"].map(String.init) ?? ClassificationNode.guideScheme
        return try JSONResponse.make(ListBody(items: try await store.catalog.classifications(scheme: scheme)))
    }

    func createClassification(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try context.require(.catalogManageClassifications)
        let input = try await request.decodeJSON(ClassificationInput.self, context: context)
        let node = try ClassificationNode(
            scheme: input.scheme ?? ClassificationNode.guideScheme, code: input.code, name: input.name
        ).validated()
        try await store.catalog.saveClassifications([node])
        return try JSONResponse.make(node, status: .created)
    }

    // MARK: Entries

    /// An entry as a client writes it; omitted optional fields take the platform's defaults.
    struct EntryInput: Codable {
        var departmentID: Int64?
        var classificationCode: String
        var name: String
        var abstract: String
        var formats: [ResourceFormat]
        var items: [ItemInput]?
        var shareType: ShareType
        var shareCondition: String?
        var shareChannel: ShareChannel?
        var shareChannelNote: String?
        var openness: Openness?
        var openCondition: String?
        var updateCycle: UpdateCycle
        var relatedCodes: [String]?
        var keywords: [String]?
        var grade: SecurityGrade?
        var contact: ContactPoint?
        var sourceSystemID: Int64?
        var negativeListID: Int64?
        /// Why the entry changed; kept with the new version.
        var note: String?

        var content: CatalogEntryContent {
            CatalogEntryContent(
                classificationCode: classificationCode, name: name, abstract: abstract, formats: formats,
                items: (items ?? []).map { $0.item(entryShareType: shareType) }, shareType: shareType,
                shareCondition: shareCondition ?? "", shareChannel: shareChannel ?? .interface,
                shareChannelNote: shareChannelNote ?? "", openness: openness ?? .closed,
                openCondition: openCondition ?? "", updateCycle: updateCycle, relatedCodes: relatedCodes ?? [],
                keywords: keywords ?? [], grade: grade ?? .general1, contact: contact, sourceSystemID: sourceSystemID,
                negativeListID: negativeListID)
        }
    }

    struct ItemInput: Codable {
        var name: String
        var columnName: String
        var dataType: DataType
        var length: Int?
        var isKey: Bool?
        var isRequired: Bool?
        var shareType: ShareType?
        var grade: SecurityGrade?
        var semanticKind: SemanticKind?
        var standardElement: String?
        var note: String?
        var negativeListID: Int64?
        /// The id of the code set the values come from, e.g. `GB/T 2261.1-2003`.
        var codeSet: String?

        func item(entryShareType: ShareType) -> InfoItem {
            InfoItem(
                name: name, columnName: columnName, dataType: dataType, length: length, isKey: isKey ?? false,
                isRequired: isRequired ?? false, shareType: shareType ?? entryShareType, grade: grade ?? .general1,
                semanticKind: semanticKind ?? .other, standardElement: standardElement, note: note,
                negativeListID: negativeListID, codeSet: codeSet)
        }
    }

    struct SearchBody: Codable {
        var total: Int
        var page: Int
        var pageSize: Int
        var items: [CatalogEntry]
        var facets: [String: [FacetCount]]
        /// Entries the nodes below registered with this one (目录上报) that match the words, beside the node's own
        /// on the first page; apply for them across levels (`/api/v1/federation/applications`).
        var remote: [RemoteEntrySummary] = []
    }

    struct RemoteEntrySummary: Codable {
        var upperCode: String
        var code: String
        var origin: String
        var name: String
        var provider: String
        var shareType: ShareType
        var openness: Openness
        var mountKind: MountKind?

        init(_ entry: RemoteEntry) {
            upperCode = entry.upperCode
            code = entry.registration.code
            origin = entry.origin.code
            name = entry.registration.content.name
            provider = entry.registration.provider.name
            shareType = entry.registration.content.shareType
            openness = entry.registration.content.openness
            mountKind = entry.registration.mountKind
        }
    }

    func search(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let user = try context.requireUser()
        if let code = request.uri.queryParameters["code"] {
            // One entry by its resource code (clients such as `huitong import --server` look entries up this way), in
            // any status the caller may see; the other filters do not apply.
            let found = try await store.catalog.find(code: String(code)).flatMap { $0.isVisible(to: user) ? $0 : nil }
            return try JSONResponse.make(
                SearchBody(
                    total: found == nil ? 0 : 1, page: 1, pageSize: 1,
                    items: found.map { [$0.redacted(for: user)] } ?? [],
                    facets: [:]))
        }
        var query = try CatalogQueryParameters.parse(request)
        query.scope(to: user, request)
        let result = try await store.catalog.search(query.query, facets: query.facets)
        var remote: [RemoteEntrySummary] = []
        // Entries registered from below, searched with the same terms as the local catalog.
        if query.page == 1, !query.query.terms.isEmpty {
            remote = try await store.remoteCatalog.remoteEntries(
                query: query.query.text, origin: nil, includeWithdrawn: false, limit: 20
            ).map(RemoteEntrySummary.init)
        }
        return try JSONResponse.make(
            SearchBody(
                total: result.total, page: query.page, pageSize: query.query.limit,
                items: result.entries.map { $0.redacted(for: user) },
                facets: result.facets, remote: remote))
    }

    func create(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let user = try context.require(.catalogManageEntry)
        let input = try await request.decodeJSON(EntryInput.self, context: context)
        let departmentID = input.departmentID ?? user.departmentID
        try AccessPolicy.require(user, .catalogManageEntry, department: departmentID)
        let entry = try await catalog.create(input.content, departmentID: departmentID, by: user)
        return try JSONResponse.make(entry, status: .created)
    }

    func get(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let entry = try await visibleEntry(context)
        return try JSONResponse.make(entry.redacted(for: try context.requireUser()))
    }

    func update(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let (user, existing) = try await managedEntry(context)
        let input = try await request.decodeJSON(EntryInput.self, context: context)
        if let asked = input.departmentID, asked != existing.provider.departmentID {
            throw ValidationError(
                field: "departmentID",
                BilingualText(zh: "目录的提供部门不能更改", en: "the providing department of an entry cannot change"))
        }
        let entry = try await catalog.update(
            existing, with: input.content, by: user, note: input.note ?? "")
        return try JSONResponse.make(entry)
    }

    func delete(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let (_, existing) = try await managedEntry(context)
        try await store.catalog.delete(id: existing.id)
        return Response(status: .noContent)
    }

    struct CommentInput: Codable {
        var comment: String?
    }

    func transition(_ step: CatalogTransition, _ request: Request, _ context: HuitongRequestContext) async throws
        -> Response
    {
        let user = try context.requireUser()
        let id = try context.id()
        let comment = try await optionalBody(CommentInput.self, request, context)?.comment ?? ""
        let entry = try await catalog.apply(step, entryID: id, by: user, comment: comment)
        return try JSONResponse.make(entry)
    }

    func versions(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let entry = try await visibleEntry(context)
        return try JSONResponse.make(ListBody(items: try await store.catalog.versions(id: entry.id)))
    }

    func history(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let entry = try await visibleEntry(context)
        return try JSONResponse.make(ListBody(items: try await store.catalog.events(id: entry.id)))
    }

    struct DiffBody: Codable {
        var from: Int
        /// A version number, or nil for the entry as it is now.
        var to: Int?
        var changes: [FieldChange]
    }

    func diff(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let entry = try await visibleEntry(context)
        let versions = try await store.catalog.versions(id: entry.id)
        func version(_ name: String) throws -> CatalogVersion? {
            guard let text = request.uri.queryParameters[Substring(name)] else { return nil }
            guard let number = Int(text), let found = versions.first(where: { $0.version == number }) else {
                throw ValidationError(
                    field: name,
                    BilingualText(
                        zh: "版本 \(text) 不存在（已有版本：\(versions.map { String($0.version) }.joined(separator: "、"))）",
                        en: "version \(text) does not exist"))
            }
            return found
        }
        guard let from = try version("from") else {
            throw ValidationError(field: "from", BilingualText(zh: "须指定起始版本", en: "give the version to compare from"))
        }
        let to = try version("to")
        let changes = CatalogDiff.changes(from: from.content, to: to?.content ?? entry.content)
        return try JSONResponse.make(DiffBody(from: from.version, to: to?.version, changes: changes))
    }

    struct MountInput: Codable {
        var kind: MountKind
        var locator: String
        var recordCount: Int64?
    }

    func mount(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let (user, existing) = try await managedEntry(context)
        let input = try await request.decodeJSON(MountInput.self, context: context)
        let locator = input.locator.trimmingCharacters(in: .whitespacesAndNewlines)
        var issues = ValidationCollector()
        if locator.isEmpty || locator.count > 500 {
            issues.add("locator", BilingualText(zh: "挂接地址须为 1–500 个字符", en: "locator must be 1–500 characters"))
        }
        if input.kind == .api {
            if !(locator.hasPrefix("https://") || locator.hasPrefix("http://")) {
                issues.add(
                    "locator", BilingualText(zh: "接口地址须以 http:// 或 https:// 开头", en: "an API locator is an http(s) URL")
                )
            } else if let url = URLComponents(string: locator), url.user != nil || url.password != nil {
                // Credentials in the URL would be shown to whoever reads the entry; they belong in the gateway's
                // upstream configuration.
                issues.add(
                    "locator",
                    BilingualText(zh: "接口地址中不能包含用户名或密码", en: "an API locator must not carry a user name or password"))
            } else if let host = URLComponents(string: locator)?.host, !host.isEmpty {
                // The gateway would call this address for any granted department: nothing on the node's own
                // network unless the operator allowed it. Names are checked again on each call, once resolved.
                if let refusal = UpstreamTarget.check(
                    host: host, allowList: try await store.upstreamAllowList.current().list)
                {
                    issues.add("locator", refusal.message)
                }
            } else {
                issues.add("locator", BilingualText(zh: "接口地址缺少主机名", en: "an API locator names a host"))
            }
        }
        if let count = input.recordCount, count < 0 {
            issues.add("recordCount", BilingualText(zh: "记录数不能为负", en: "recordCount cannot be negative"))
        }
        try issues.throwIfAny()
        let entry = try await store.catalog.setMount(
            id: existing.id, MountedResource(kind: input.kind, locator: locator),
            recordCount: input.recordCount ?? existing.recordCount, dataUpdatedAt: Date(), author: user.author)
        return try JSONResponse.make(entry)
    }

    func unmount(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let (user, existing) = try await managedEntry(context)
        let entry = try await store.catalog.setMount(
            id: existing.id, nil, recordCount: nil, dataUpdatedAt: existing.dataUpdatedAt, author: user.author)
        return try JSONResponse.make(entry)
    }

    struct MountRateLine: Codable {
        var departmentID: Int64
        var departmentName: String
        var published: Int
        var mounted: Int
        var rate: Double
    }

    func mountRates(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        _ = try context.requireUser()
        let lines = try await store.catalog.mountRates().map {
            MountRateLine(
                departmentID: $0.departmentID, departmentName: $0.departmentName, published: $0.published,
                mounted: $0.mounted, rate: ($0.rate * 1000).rounded() / 1000)
        }
        return try JSONResponse.make(ListBody(items: lines))
    }

    // MARK: Access

    /// The entry named by the path, if the caller may read it: published entries are visible to every officer,
    /// others only to their department, operators and auditors. Invisible entries answer 404 like missing ones.
    func visibleEntry(_ context: HuitongRequestContext) async throws -> CatalogEntry {
        let user = try context.requireUser()
        return try await catalog.visibleEntry(try context.id(), to: user)
    }

    /// The entry named by the path, if the caller may change it (`CatalogLifecycle.managedEntry`).
    func managedEntry(_ context: HuitongRequestContext) async throws -> (User, CatalogEntry) {
        let user = try context.requireUser()
        return (user, try await catalog.managedEntry(try context.id(), by: user))
    }
}

/// Reads a JSON body that may be absent (e.g. a comment on a lifecycle step).
func optionalBody<Value: Decodable>(_ type: Value.Type, _ request: Request, _ context: HuitongRequestContext)
    async throws -> Value?
{
    var request = request
    let buffer: ByteBuffer
    do {
        buffer = try await request.collectBody(upTo: context.maxUploadSize)
    } catch {
        throw APIError.bodyTooLarge(limit: context.maxUploadSize)
    }
    if buffer.readableBytes == 0 { return nil }
    request.body = .init(buffer: buffer)
    return try await request.decodeJSON(type, context: context)
}
