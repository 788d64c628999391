import Foundation
import HuitongCore
import HuitongStore
import HuitongTestSupport
import Testing

/// Resource pools: versioned tables switched atomically, proven on every backend.
@Suite("Pool store conformance")
struct PoolStoreConformanceTests {
    static let columns = ["sfzhm", "xm", "csrq"]

    static func entry(_ store: Store) async throws -> CatalogEntry {
        let department = try await CatalogStoreConformanceTests.prepare(store)
        return try await store.catalog.create(
            try CatalogStoreConformanceTests.population().validated(), departmentID: department.id,
            author: CatalogStoreConformanceTests.author)
    }

    @Test(
        "a replace load is invisible until activated, then readers see only the new rows",
        arguments: TestBackend.available)
    func replace(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let entry = try await Self.entry(store)
            let first = try await store.pools.beginVersion(
                entryID: entry.id, columns: Self.columns, keyColumns: ["sfzhm"], copyingActive: false)
            try await store.pools.insert(
                [["11010519491231002X", "张三", "1949-12-31"], ["110105195001010018", "李四", nil]], into: first,
                replacingKeys: false)
            #expect(try await store.pools.active(entryID: entry.id) == nil, "nothing is visible while building")
            let active = try await store.pools.activate(first, keep: 1)
            #expect(active.rowCount == 2 && active.status == .active)
            #expect(try await store.pools.rows(entryID: entry.id, key: ["11010519491231002X"]).first?["xm"] == "张三")

            let second = try await store.pools.beginVersion(
                entryID: entry.id, columns: Self.columns, keyColumns: ["sfzhm"], copyingActive: false)
            try await store.pools.insert(
                [["110105195001010018", "李四", "1950-01-01"]], into: second, replacingKeys: false)
            // Readers still see version 1 while version 2 is built.
            #expect(try await store.pools.rows(entryID: entry.id, key: ["11010519491231002X"]).count == 1)
            _ = try await store.pools.activate(second, keep: 1)
            #expect(try await store.pools.rows(entryID: entry.id, key: ["11010519491231002X"]).isEmpty)
            #expect(try await store.pools.active(entryID: entry.id)?.version == 2)

            let third = try await store.pools.beginVersion(
                entryID: entry.id, columns: Self.columns, keyColumns: ["sfzhm"], copyingActive: false)
            _ = try await store.pools.activate(third, keep: 1)
            // One retired version is kept for rollback; the oldest is gone.
            #expect(try await store.pools.versions(entryID: entry.id).map(\.version) == [2, 3])
            await #expect(throws: StoreError.self) { try await store.pools.activate(third, keep: 1) }
        }
    }

    @Test(
        "a repeated key keeps a version from going live; loads by key update, add and delete",
        arguments: TestBackend.available)
    func byKey(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let entry = try await Self.entry(store)
            let repeated = try await store.pools.beginVersion(
                entryID: entry.id, columns: Self.columns, keyColumns: ["sfzhm"], copyingActive: false)
            try await store.pools.insert(
                [["11010519491231002X", "张三", nil], ["11010519491231002X", "张三丰", nil]], into: repeated,
                replacingKeys: false)
            await #expect(throws: StoreError.self) { try await store.pools.activate(repeated, keep: 3) }
            #expect(try await store.pools.active(entryID: entry.id) == nil)
            try await store.pools.abandon(repeated)

            let first = try await store.pools.beginVersion(
                entryID: entry.id, columns: Self.columns, keyColumns: ["sfzhm"], copyingActive: false)
            try await store.pools.insert(
                [["11010519491231002X", "张三", nil], ["110105195001010018", "李四", nil]], into: first,
                replacingKeys: false)
            _ = try await store.pools.activate(first, keep: 3)

            let change = try await store.pools.beginVersion(
                entryID: entry.id, columns: Self.columns, keyColumns: ["sfzhm"], copyingActive: true)
            #expect(change.rowCount == 2)
            try await store.pools.insert(
                [["11010519491231002X", "张三丰", "1949-12-31"], ["110105196002020013", "王五", nil]], into: change,
                replacingKeys: true)
            #expect(
                try await store.pools.delete(keys: [["110105195001010018"], ["000000000000000000"]], from: change) == 1)
            let active = try await store.pools.activate(change, keep: 3)
            #expect(active.rowCount == 2)
            #expect(try await store.pools.rows(entryID: entry.id, key: ["11010519491231002X"]).first?["xm"] == "张三丰")
            #expect(try await store.pools.rows(entryID: entry.id, key: ["110105195001010018"]).isEmpty)
        }
    }

    @Test(
        "bulk loads keep every character: quotes, tabs, newlines, backslashes, NULL", arguments: TestBackend.available)
    func awkwardValues(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let entry = try await Self.entry(store)
            let version = try await store.pools.beginVersion(
                entryID: entry.id, columns: Self.columns, keyColumns: ["sfzhm"], copyingActive: false)
            let awkward = "王\t\"小\"\n二\\N,\r"
            var rows: [[String?]] = [["11010519491231002X", awkward, nil], ["110105195001010018", "\\N", ""]]
            // Enough rows for several statements on SQLite and several buffers on PostgreSQL.
            for index in 0..<12_000 { rows.append([String(format: "K%017d", index), "名\(index)", "2000-01-01"]) }
            try await store.pools.insert(rows, into: version, replacingKeys: false)
            let active = try await store.pools.activate(version, keep: 1)
            #expect(active.rowCount == 12_002)
            let first = try #require(try await store.pools.rows(entryID: entry.id, key: ["11010519491231002X"]).first)
            #expect(first["xm"] == .some(awkward) && first["csrq"] == .some(nil))
            let second = try #require(try await store.pools.rows(entryID: entry.id, key: ["110105195001010018"]).first)
            #expect(second["xm"] == .some("\\N") && second["csrq"] == .some(""))
            #expect(try await store.pools.rows(entryID: entry.id, key: ["K00000000000011999"]).first?["xm"] == "名11999")
        }
    }

    @Test("loads interrupted by a restart are dropped, the active version untouched", arguments: TestBackend.available)
    func interrupted(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let entry = try await Self.entry(store)
            let first = try await store.pools.beginVersion(
                entryID: entry.id, columns: Self.columns, keyColumns: ["sfzhm"], copyingActive: false)
            try await store.pools.insert([["11010519491231002X", "张三", nil]], into: first, replacingKeys: false)
            _ = try await store.pools.activate(first, keep: 1)
            let broken = try await store.pools.beginVersion(
                entryID: entry.id, columns: Self.columns, keyColumns: ["sfzhm"], copyingActive: false)
            try await store.pools.insert([["110105195001010018", "李四", nil]], into: broken, replacingKeys: false)
            let dropped = try await store.pools.abandonInterrupted(keepingEntries: [])
            #expect(dropped.map(\.version) == [2])
            #expect(try await store.pools.versions(entryID: entry.id).map(\.version) == [1])
            #expect(try await store.pools.rows(entryID: entry.id, key: ["11010519491231002X"]).count == 1)
            await #expect(throws: ValidationError.self) {
                try await store.pools.beginVersion(
                    entryID: entry.id, columns: ["x; DROP TABLE users"], keyColumns: [], copyingActive: false)
            }
        }
    }

    @Test(
        "a retired version becomes active again in one switch; unknown, active and building versions are refused",
        arguments: TestBackend.available)
    func reactivate(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let entry = try await Self.entry(store)
            func load(_ rows: [[String?]]) async throws -> PoolVersion {
                let version = try await store.pools.beginVersion(
                    entryID: entry.id, columns: Self.columns, keyColumns: ["sfzhm"], copyingActive: false)
                try await store.pools.insert(rows, into: version, replacingKeys: false)
                return try await store.pools.activate(version, keep: 2)
            }
            _ = try await load([["11010519491231002X", "张三", nil], ["110105195001010018", "李四", nil]])
            _ = try await load([["11010519491231002X", "张三丰", nil]])
            await #expect(throws: StoreError.notFound(entity: "pool version", key: "7")) {
                try await store.pools.reactivate(entryID: entry.id, version: 7)
            }
            await #expect(throws: StoreError.self, "the active version is not switched to again") {
                try await store.pools.reactivate(entryID: entry.id, version: 2)
            }

            let back = try await store.pools.reactivate(entryID: entry.id, version: 1)
            #expect(back.version == 1 && back.status == .active && back.rowCount == 2)
            #expect(try await store.pools.active(entryID: entry.id)?.version == 1)
            #expect(try await store.pools.rows(entryID: entry.id, key: ["11010519491231002X"]).first?["xm"] == "张三")
            #expect(try await store.pools.rows(entryID: entry.id, key: ["110105195001010018"]).count == 1)
            let statuses = try await store.pools.versions(entryID: entry.id).map { [$0.version: $0.status] }
            #expect(statuses == [[1: .active], [2: .retired]], "the version that was active is kept for rollback")

            // And forward again; then a new load retires the reactivated version like any other.
            _ = try await store.pools.reactivate(entryID: entry.id, version: 2)
            #expect(try await store.pools.rows(entryID: entry.id, key: ["110105195001010018"]).isEmpty)
            let building = try await store.pools.beginVersion(
                entryID: entry.id, columns: Self.columns, keyColumns: ["sfzhm"], copyingActive: false)
            await #expect(throws: StoreError.self, "a version being built is not activated by a rollback") {
                try await store.pools.reactivate(entryID: entry.id, version: building.version)
            }
            #expect(try await store.pools.active(entryID: entry.id)?.version == 2)
            _ = try await store.pools.activate(building, keep: 1)
            #expect(try await store.pools.versions(entryID: entry.id).map(\.version) == [2, 3])
        }
    }

    @Test("two rollbacks of one entry at once leave exactly one active version", arguments: TestBackend.available)
    func concurrentReactivation(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let entry = try await Self.entry(store)
            for name in ["甲", "乙", "丙"] {
                let version = try await store.pools.beginVersion(
                    entryID: entry.id, columns: Self.columns, keyColumns: ["sfzhm"], copyingActive: false)
                try await store.pools.insert([["11010519491231002X", name, nil]], into: version, replacingKeys: false)
                _ = try await store.pools.activate(version, keep: 3)
            }
            let results = await withTaskGroup(of: Bool.self) { group in
                for version in [1, 2] {
                    group.addTask { (try? await store.pools.reactivate(entryID: entry.id, version: version)) != nil }
                }
                return await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            #expect(results.contains(true))
            let versions = try await store.pools.versions(entryID: entry.id)
            #expect(versions.filter { $0.status == .active }.count == 1)
            #expect(versions.filter { $0.status == .retired }.count == 2)
        }
    }
}
