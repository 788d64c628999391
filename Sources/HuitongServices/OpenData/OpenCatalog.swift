import Foundation
import HuitongCore
import HuitongStore

/// The open part of the catalog as DCAT and CKAN clients see it: published entries whose openness is public.
/// Everything else (closed, draft, under review, withdrawn) is treated as if it did not exist.
package struct OpenCatalog: Sendable {
    package init(store: Store) {
        self.store = store
    }

    package let store: Store

    package static let publicOpenness = Openness.allCases.filter(\.isPublic)
    /// How many entries one search page loads when everything is listed; large enough to keep the number of
    /// queries low for catalogs of thousands, small enough to keep memory flat.
    package static let listingPageSize = 500

    package static let title = BilingualText(zh: "汇通公共数据开放目录", en: "Huitong Open Data Catalogue")
    package static let summary = BilingualText(
        zh: "本平台向社会开放的公共数据资源目录。无条件开放的数据可直接下载，有条件开放的数据须申请后使用。",
        en: "The public data this platform opens to everyone: openly licensed data can be downloaded directly; "
            + "data open on conditions is used after an application.")

    /// A search over open entries only; the other filters come from the caller.
    package static func query(
        text: String = "", departmentIDs: [Int64] = [], keywords: [String] = [], allKeywords: [String] = [],
        offset: Int = 0, limit: Int
    ) -> CatalogQuery {
        var query = CatalogQuery(
            text: text, departmentIDs: departmentIDs, openness: publicOpenness, keywords: keywords,
            statuses: [.published], offset: offset, limit: limit)
        query.allKeywords = allKeywords
        return query
    }

    /// The entry with this id, if the public may see it.
    package func entry(id: Int64) async throws -> CatalogEntry? {
        try await store.catalog.find(id: id).flatMap { $0.isOpenToPublic ? $0 : nil }
    }

    /// The entry with this resource code, if the public may see it.
    package func entry(code: String) async throws -> CatalogEntry? {
        try await store.catalog.find(code: code).flatMap { $0.isOpenToPublic ? $0 : nil }
    }

    /// The resource code a CKAN package name was made from (the first `-` stands for the `/`), or nil.
    package static func resourceCode(fromPackageName name: String) -> String? {
        guard let dash = name.firstIndex(of: "-") else { return nil }
        return String(name[..<dash]) + "/" + String(name[name.index(after: dash)...])
    }

    /// The entry a public address names, if the public may see it: its id (as DCAT and CKAN link it) or its CKAN
    /// package name (the resource code with `-` for `/`).
    package func entry(reference: String) async throws -> CatalogEntry? {
        if let id = Int64(reference) { return try await entry(id: id) }
        guard let code = Self.resourceCode(fromPackageName: reference) else { return nil }
        return try await entry(code: code)
    }

    /// Calls `body` with every open entry, newest first, one search page at a time.
    ///
    /// Pages are read by offset, so an entry published or withdrawn meanwhile can shift the pages; an entry that
    /// shifts into a page already read is skipped rather than written twice.
    package func forEachPage(_ body: ([CatalogEntry]) async throws -> Void) async throws {
        var offset = 0
        var seen = Set<Int64>()
        while true {
            let result = try await store.catalog.search(
                Self.query(offset: offset, limit: Self.listingPageSize), facets: [])
            let fresh = result.entries.filter { $0.isOpenToPublic && seen.insert($0.id).inserted }
            if !fresh.isEmpty { try await body(fresh) }
            offset += Self.listingPageSize
            if offset >= result.total { return }
        }
    }

    /// How many open entries each department provides, by department id.
    package func countsByDepartment() async throws -> [Int64: Int] {
        let result = try await store.catalog.search(Self.query(limit: 0), facets: [.department])
        var counts: [Int64: Int] = [:]
        for facet in result.facets[CatalogFacet.department.rawValue] ?? [] {
            if let id = Int64(facet.value) { counts[id] = facet.count }
        }
        return counts
    }

    /// The department that runs the node and publishes the catalog: the bureau `Bootstrap` creates, or else the
    /// first top-level department registered.
    package func publisher() async throws -> Department? {
        if let bureau = try await store.departments.find(code: Bootstrap.BureauSettings().code) { return bureau }
        return try await store.departments.list().filter { $0.parentID == nil }.min { $0.id < $1.id }
    }

    /// The names of the 编制指南 classification nodes, by code.
    package func classificationNames() async throws -> [String: String] {
        let nodes = try await store.catalog.classifications(scheme: ClassificationNode.guideScheme)
        return Dictionary(nodes.map { ($0.code, $0.name) }, uniquingKeysWith: { first, _ in first })
    }
}
