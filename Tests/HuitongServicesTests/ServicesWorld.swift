import Foundation
import HuitongCore
import HuitongStore
import HuitongTestSupport

/// A small city for use-case tests, written straight to a fresh SQLite store (no HTTP, no server): 公安局 provides
/// a published conditional entry, 民政局 consumes, and the bureau operates.
struct ServicesWorld {
    static let author = ChangeAuthor(userID: nil, name: "测试")

    var store: Store
    var provider: Department
    var consumer: Department
    var providerOfficer: User
    var consumerOfficer: User
    /// A provider of the consuming department: an officer of another department than the entry's.
    var foreignProvider: User
    var bureauOperator: User
    var entry: CatalogEntry

    /// Runs `body` over a new world in its own SQLite database. The use-case tier runs on SQLite only: the SQL
    /// itself is proven on both engines by the store's conformance suite.
    static func with<Result: Sendable>(_ body: (ServicesWorld) async throws -> Result) async throws -> Result {
        try await TestBackend.sqlite.withFreshDatabase { store, _ in
            try await body(try await make(store))
        }
    }

    static func make(_ store: Store) async throws -> ServicesWorld {
        try await store.catalog.saveClassifications([
            ClassificationNode(scheme: "guide", code: "1", name: "基础信息资源目录"),
            ClassificationNode(scheme: "guide", code: "101", name: "国家人口基础信息资源"),
            ClassificationNode(scheme: "guide", code: "101001", name: "人口基本信息"),
        ])
        let provider = try await store.departments.create(
            DepartmentDraft(name: "市公安局", code: "GAJ", creditCode: nil, regionCode: "341500", parentID: nil))
        let consumer = try await store.departments.create(
            DepartmentDraft(name: "市民政局", code: "MZJ", creditCode: nil, regionCode: "341500", parentID: nil))
        func officer(_ name: String, _ department: Department, _ roles: Set<Role>) async throws -> User {
            try await store.users.create(
                UserDraft(username: name, displayName: name, departmentID: department.id, roles: roles),
                passwordHash: "unused")
        }
        let entry = try await publish(population(), department: provider, store)
        return ServicesWorld(
            store: store, provider: provider, consumer: consumer,
            providerOfficer: try await officer("gaj.provider", provider, [.provider]),
            consumerOfficer: try await officer("mzj.consumer", consumer, [.consumer]),
            foreignProvider: try await officer("mzj.provider", consumer, [.provider]),
            bureauOperator: try await officer("sjj.operator", provider, [.operator]),
            entry: entry)
    }

    static func population(name: String = "常住人口基本信息") -> CatalogEntryContent {
        CatalogEntryContent(
            classificationCode: "101001", name: name, abstract: "全市常住人口的基本信息。",
            formats: [ResourceFormat(category: .database, type: "PostgreSQL")],
            items: [
                InfoItem(
                    name: "身份证号码", columnName: "sfzhm", dataType: .character, length: 18, isKey: true,
                    grade: .general4, semanticKind: .residentID),
                InfoItem(name: "姓名", columnName: "xm", dataType: .character, length: 50, semanticKind: .personName),
                InfoItem(name: "出生日期", columnName: "csrq", dataType: .date),
            ],
            shareType: .conditional, shareCondition: "用于政务服务身份核验", updateCycle: .daily, keywords: ["人口"])
    }

    static func publish(_ content: CatalogEntryContent, department: Department, _ store: Store) async throws
        -> CatalogEntry
    {
        let draft = try await store.catalog.create(try content.validated(), departmentID: department.id, author: author)
        _ = try await store.catalog.transition(id: draft.id, .submit, author: author, comment: "")
        return try await store.catalog.transition(id: draft.id, .publish, author: author, comment: "同意")
    }
}
