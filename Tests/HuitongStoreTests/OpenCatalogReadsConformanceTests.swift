import Foundation
import HuitongCore
import HuitongStore
import HuitongTestSupport
import Testing

/// The portal's reads beside catalog search: the freshest open entries, and the rows their pools hold.
@Suite("Open catalog reads conformance")
struct OpenCatalogReadsConformanceTests {
    static func published(_ store: Store, _ department: Department, name: String, openness: Openness) async throws
        -> CatalogEntry
    {
        var content = CatalogStoreConformanceTests.population()
        content.name = name
        content.openness = openness
        let author = CatalogStoreConformanceTests.author
        let draft = try await store.catalog.create(content, departmentID: department.id, author: author)
        _ = try await store.catalog.transition(id: draft.id, .submit, author: author, comment: "")
        return try await store.catalog.transition(id: draft.id, .publish, author: author, comment: "")
    }

    static func load(_ store: Store, _ entry: CatalogEntry, rows: Int) async throws {
        let version = try await store.pools.beginVersion(
            entryID: entry.id, columns: ["sfzhm", "xm"], keyColumns: ["sfzhm"], copyingActive: false)
        try await store.pools.insert(
            (0..<rows).map { ["34150219900101\(1000 + $0)", "某\($0)"] }, into: version, replacingKeys: false)
        _ = try await store.pools.activate(version, keep: 2)
    }

    @Test(
        "recently updated open entries come freshest data first, and only published entries of the asked openness",
        arguments: TestBackend.available)
    func recentlyUpdated(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let department = try await CatalogStoreConformanceTests.prepare(store)
            let older = try await Self.published(store, department, name: "较早开放", openness: .unconditional)
            let fresher = try await Self.published(store, department, name: "较新开放", openness: .conditional)
            let closed = try await Self.published(store, department, name: "不予开放", openness: .closed)
            let author = CatalogStoreConformanceTests.author
            _ = try await store.catalog.create(
                CatalogStoreConformanceTests.population(), departmentID: department.id, author: author)
            // Loading data makes the older entry the freshest.
            _ = try await store.catalog.setMount(
                id: older.id, MountedResource(kind: .table, locator: "pool"), recordCount: 1,
                dataUpdatedAt: Date().addingTimeInterval(60), author: author)
            _ = try await store.catalog.setMount(
                id: closed.id, MountedResource(kind: .table, locator: "pool"), recordCount: 1,
                dataUpdatedAt: Date().addingTimeInterval(120), author: author)
            let open = try await store.recentlyUpdatedEntries(openness: [.unconditional, .conditional], limit: 10)
            #expect(open.map(\.id) == [older.id, fresher.id])
            let one = try await store.recentlyUpdatedEntries(openness: [.unconditional, .conditional], limit: 1)
            #expect(one.map(\.id) == [older.id])
            #expect(
                try await store.recentlyUpdatedEntries(openness: [.conditional], limit: 10).map(\.id) == [fresher.id])
        }
    }

    @Test("open pool rows count only the active versions of published open entries", arguments: TestBackend.available)
    func poolRows(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let department = try await CatalogStoreConformanceTests.prepare(store)
            #expect(try await store.activePoolRowCount(openness: [.unconditional]) == 0)
            let open = try await Self.published(store, department, name: "开放", openness: .unconditional)
            let conditional = try await Self.published(store, department, name: "有条件", openness: .conditional)
            let closed = try await Self.published(store, department, name: "不开放", openness: .closed)
            try await Self.load(store, open, rows: 2)
            // A reload replaces the count of the first version rather than adding to it.
            try await Self.load(store, open, rows: 3)
            try await Self.load(store, conditional, rows: 4)
            try await Self.load(store, closed, rows: 5)
            #expect(try await store.activePoolRowCount(openness: [.unconditional]) == 3)
            #expect(try await store.activePoolRowCount(openness: [.unconditional, .conditional]) == 7)
            _ = try await store.catalog.transition(
                id: open.id, .withdraw, author: CatalogStoreConformanceTests.author, comment: "下架")
            #expect(try await store.activePoolRowCount(openness: [.unconditional, .conditional]) == 4)
        }
    }
}
