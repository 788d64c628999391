import Foundation
import HuitongCore
import HuitongStore
import HuitongTestSupport
import Testing

/// The gateway's reads of a pool: by key with a grant's row conditions, and extracts page by page.
@Suite("Pool read conformance")
struct PoolReadConformanceTests {
    static let columns = ["sfzhm", "xm", "csrq"]
    static let rows: [[String?]] = [
        ["341502199001010011", "张三", "1990-01-01"],
        ["341502199102020022", "李四", nil],
        ["341522199203030033", "王五", "1992-03-03"],
        ["110105199304040044", "赵六", "1993-04-04"],
        ["34150219940505005X", "钱%七", "1994-05-05"],
    ]

    static func loaded(_ store: Store, keyColumns: [String] = ["sfzhm"]) async throws -> CatalogEntry {
        let entry = try await PoolStoreConformanceTests.entry(store)
        let version = try await store.pools.beginVersion(
            entryID: entry.id, columns: columns, keyColumns: keyColumns, copyingActive: false)
        try await store.pools.insert(rows, into: version, replacingKeys: false)
        _ = try await store.pools.activate(version, keep: 2)
        return entry
    }

    @Test(
        "several keys in one call return only the selected columns of rows meeting the conditions",
        arguments: TestBackend.available)
    func lookupByKeys(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let entry = try await Self.loaded(store)
            let keys = [["341502199001010011"], ["341522199203030033"], ["110105199304040044"], ["000000000000000000"]]
            let all = try #require(
                try await store.pools.lookup(
                    entryID: entry.id, keys: keys, selecting: PoolSelection(columns: ["xm", "sfzhm"])))
            #expect(Set(all.rows.map { $0[0] ?? "" }) == ["张三", "王五", "赵六"])
            #expect(all.rows.allSatisfy { $0.count == 2 })

            let county = PoolSelection(
                columns: ["xm"], conditions: [PoolRowCondition(column: "sfzhm", prefix: "341502")])
            let filtered = try #require(try await store.pools.lookup(entryID: entry.id, keys: keys, selecting: county))
            #expect(filtered.rows == [["张三"]], "rows outside the consumer's region are never returned")

            let unknown = PoolSelection(columns: ["xm", "password"])
            await #expect(throws: StoreError.self) {
                _ = try await store.pools.lookup(entryID: entry.id, keys: keys, selecting: unknown)
            }
        }
    }

    @Test("an entry with nothing loaded has no rows to look up or extract", arguments: TestBackend.available)
    func nothingLoaded(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let entry = try await PoolStoreConformanceTests.entry(store)
            #expect(
                try await store.pools.lookup(
                    entryID: entry.id, keys: [["x"]], selecting: PoolSelection(columns: ["xm"])) == nil)
            let version = try await store.pools.extract(
                entryID: entry.id, selecting: PoolSelection(columns: ["xm"]), pageSize: 2
            ) { _ in
                Issue.record("no page expected")
            }
            #expect(version == nil)
        }
    }

    @Test(
        "an extract hands over every matching row once, in pages, with or without a key",
        arguments: TestBackend.available)
    func extractInPages(_ backend: TestBackend) async throws {
        for keyColumns in [["sfzhm"], []] {
            try await backend.withFreshDatabase { store, _ in
                let entry = try await Self.loaded(store, keyColumns: keyColumns)
                let pages = Pages()
                let version = try await store.pools.extract(
                    entryID: entry.id, selecting: PoolSelection(columns: ["sfzhm", "xm"]), pageSize: 2
                ) { page in await pages.add(page) }
                #expect(version?.version == 1)
                let seen = await pages.all
                #expect(seen.map(\.count) == [2, 2, 1])
                #expect(Set(seen.flatMap { $0 }.map { $0[0] ?? "" }) == Set(Self.rows.map { $0[0] ?? "" }))

                let county = PoolSelection(
                    columns: ["xm"], conditions: [PoolRowCondition(column: "sfzhm", prefix: "341502")])
                let countyPages = Pages()
                _ = try await store.pools.extract(entryID: entry.id, selecting: county, pageSize: 2) { page in
                    await countyPages.add(page)
                }
                #expect(Set(await countyPages.all.flatMap { $0 }.map { $0[0] ?? "" }) == ["张三", "李四", "钱%七"])
            }
        }
    }

    @Test(
        "an extract keeps reading the version it started on when a new load goes live", arguments: TestBackend.available
    )
    func extractIsPinned(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let entry = try await Self.loaded(store)
            let pages = Pages()
            _ = try await store.pools.extract(entryID: entry.id, selecting: PoolSelection(columns: ["xm"]), pageSize: 2)
            { page in
                if await pages.all.isEmpty {
                    let next = try await store.pools.beginVersion(
                        entryID: entry.id, columns: Self.columns, keyColumns: ["sfzhm"], copyingActive: false)
                    try await store.pools.insert([["999999199001010011", "新", nil]], into: next, replacingKeys: false)
                    _ = try await store.pools.activate(next, keep: 2)
                }
                await pages.add(page)
            }
            let names = await pages.all.flatMap { $0 }.map { $0[0] ?? "" }
            #expect(names.count == Self.rows.count && !names.contains("新"))
        }
    }
}

actor Pages {
    private(set) var all: [[[String?]]] = []
    func add(_ page: [[String?]]) { all.append(page) }
}
