import Foundation
import HuitongCore
import HuitongTestSupport
import SQLKit
import Testing

@testable import HuitongStore

/// Pools built by changes: an increment writes the rows it changes and nothing else, earlier versions stay
/// readable, a rollback is a pointer switch, and what no kept version can see is compacted. On every backend.
@Suite("Pool increments conformance")
struct PoolIncrementConformanceTests {
    static let columns = ["sfzhm", "xm", "csrq"]
    static let zhang = "11010519491231002X"
    static let li = "110105195001010018"
    static let wang = "110105196002020021"

    /// An entry whose active version 1 holds 张三 and 李四, loaded whole.
    static func pool(_ store: Store) async throws -> (CatalogEntry, PoolVersion) {
        let entry = try await PoolStoreConformanceTests.entry(store)
        let first = try await store.pools.beginVersion(
            entryID: entry.id, columns: columns, keyColumns: ["sfzhm"], copyingActive: false)
        try await store.pools.insert(
            [[zhang, "张三", "1949-12-31"], [li, "李四", "1950-01-01"]], into: first, replacingKeys: false)
        return (entry, try await store.pools.activate(first, keep: 5))
    }

    static func change(
        _ store: Store, _ entry: CatalogEntry, keep: Int = 5, _ body: (PoolVersion) async throws -> Void
    ) async throws -> PoolVersion {
        let version = try await store.pools.beginVersion(
            entryID: entry.id, columns: columns, keyColumns: ["sfzhm"], copyingActive: true)
        try await body(version)
        return try await store.pools.activate(version, keep: keep)
    }

    /// Names by key in one version, read as the gateway reads.
    static func names(_ store: Store, _ version: PoolVersion) async throws -> [String: String] {
        let rows = try await store.pools.lookup(
            in: version, keys: [[zhang], [li], [wang]], selecting: PoolSelection(columns: ["sfzhm", "xm"]))
        return Dictionary(uniqueKeysWithValues: rows.map { ($0[0] ?? "", $0[1] ?? "") })
    }

    /// Physical rows in a pool table, current or not: what an increment costs in space.
    static func storedRows(_ store: Store, _ version: PoolVersion) async throws -> Int {
        try await store.provider.read { sql in
            try await SQLPoolRepository.count(version.tableName, where: "1 = 1", sql)
        }
    }

    @Test(
        "an upsert writes one row into the same table; the version before it still reads as it was",
        arguments: TestBackend.available)
    func upsertWritesOnlyItsRows(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let (entry, first) = try await Self.pool(store)
            let second = try await Self.change(store, entry) { version in
                try await store.pools.insert([[Self.li, "李四改", "1950-01-01"]], into: version, replacingKeys: true)
            }
            #expect(second.tableName == first.tableName && second.baseVersion == 1)
            #expect(try await Self.storedRows(store, second) == 3, "two rows, plus the one that changed")
            #expect(second.rowCount == 2)
            #expect(try await Self.names(store, second) == [Self.zhang: "张三", Self.li: "李四改"])
            #expect(try await Self.names(store, first) == [Self.zhang: "张三", Self.li: "李四"])
            #expect(try await store.pools.rows(entryID: entry.id, key: [Self.li]).map { $0["xm"] } == ["李四改"])
        }
    }

    @Test(
        "a delete retires rows, and a sync writes only the new and changed rows and retires the vanished",
        arguments: TestBackend.available)
    func deleteAndSync(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let (entry, _) = try await Self.pool(store)
            let second = try await Self.change(store, entry) { version in
                let result1 = try await store.pools.delete(keys: [[Self.zhang], ["999"]], from: version)
                #expect(result1 == 1)
            }
            #expect(second.rowCount == 1)
            #expect(try await Self.names(store, second) == [Self.li: "李四"])
            let written = LockedCount()
            let third = try await Self.change(store, entry) { version in
                // The snapshot: 李四 unchanged, 王五 new; 张三 stays deleted.
                written.add(
                    try await store.pools.sync(
                        [[Self.li, "李四", "1950-01-01"], [Self.wang, "王五", "1960-02-02"]], into: version))
                written.add(try await store.pools.retireUnseen(in: version))
            }
            #expect(written.value == 1, "only 王五 is written; 李四 did not change and nothing vanished")
            #expect(third.rowCount == 2)
            #expect(try await Self.storedRows(store, third) == 3, "张三 (retired), 李四 and 王五")
            let fourth = try await Self.change(store, entry) { version in
                // 王五 moved away; 李四 changed his name.
                let result2 = try await store.pools.sync([[Self.li, "李思", "1950-01-01"]], into: version)
                #expect(result2 == 1)
                let result3 = try await store.pools.retireUnseen(in: version)
                #expect(result3 == 1)
            }
            #expect(fourth.rowCount == 1)
            #expect(try await Self.names(store, fourth) == [Self.li: "李思"])
            #expect(try await Self.names(store, third) == [Self.li: "李四", Self.wang: "王五"])
        }
    }

    @Test(
        "a sync keeps the rows of keys it was told to keep (refused rows), and an empty snapshot retires everything",
        arguments: TestBackend.available)
    func syncKeeps(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let (entry, _) = try await Self.pool(store)
            let kept = try await Self.change(store, entry) { version in
                _ = try await store.pools.sync([[Self.li, "李四", "1950-01-01"]], into: version)
                try await store.pools.keep(keys: [[Self.zhang]], in: version)
                let result4 = try await store.pools.retireUnseen(in: version)
                #expect(result4 == 0)
            }
            #expect(kept.rowCount == 2)
            let emptied = try await Self.change(store, entry) { version in
                let result5 = try await store.pools.retireUnseen(in: version)
                #expect(result5 == 2)
            }
            #expect(emptied.rowCount == 0)
            #expect(try await Self.names(store, emptied).isEmpty)
        }
    }

    @Test(
        "after a rollback the next load builds on the version rolled back to; the abandoned branch stays readable",
        arguments: TestBackend.available)
    func rollbackThenLoad(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let (entry, first) = try await Self.pool(store)
            let second = try await Self.change(store, entry) { version in
                try await store.pools.insert([[Self.li, "李四改", nil]], into: version, replacingKeys: true)
                let result6 = try await store.pools.delete(keys: [[Self.zhang]], from: version)
                #expect(result6 == 1)
            }
            #expect(try await Self.names(store, second) == [Self.li: "李四改"])
            let back = try await store.pools.reactivate(entryID: entry.id, version: 1)
            #expect(back.version == 1)
            #expect(try await Self.names(store, back) == [Self.zhang: "张三", Self.li: "李四"])

            let third = try await Self.change(store, entry) { version in
                try await store.pools.insert([[Self.wang, "王五", nil]], into: version, replacingKeys: true)
            }
            #expect(third.baseVersion == 1 && third.rowCount == 3)
            #expect(try await Self.names(store, third) == [Self.zhang: "张三", Self.li: "李四", Self.wang: "王五"])
            #expect(try await Self.names(store, second) == [Self.li: "李四改"], "version 2 still reads as it was")
            #expect(try await Self.names(store, first) == [Self.zhang: "张三", Self.li: "李四"])
        }
    }

    @Test(
        "an abandoned increment leaves the pool as it was, and a second load of one entry waits its turn",
        arguments: TestBackend.available)
    func abandonAndOneAtATime(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let (entry, first) = try await Self.pool(store)
            let building = try await store.pools.beginVersion(
                entryID: entry.id, columns: Self.columns, keyColumns: ["sfzhm"], copyingActive: true)
            try await store.pools.insert(
                [[Self.li, "李四改", nil], [Self.wang, "王五", nil]], into: building, replacingKeys: true)
            _ = try await store.pools.delete(keys: [[Self.zhang]], from: building)
            await #expect(throws: StoreError.self, "one version of an entry is built at a time") {
                try await store.pools.beginVersion(
                    entryID: entry.id, columns: Self.columns, keyColumns: ["sfzhm"], copyingActive: false)
            }
            try await store.pools.abandon(building)
            #expect(try await Self.storedRows(store, first) == 2, "the rows it wrote are gone")
            #expect(try await Self.names(store, first) == [Self.zhang: "张三", Self.li: "李四"])
            let next = try await Self.change(store, entry) { _ in }
            #expect(next.rowCount == 2 && next.version == 3)
        }
    }

    @Test(
        "versions beyond those kept are compacted: rows none of them can see are deleted, unused tables dropped",
        arguments: TestBackend.available)
    func compaction(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let (entry, first) = try await Self.pool(store)
            var last = first
            for name in ["一", "二", "三"] {
                last = try await Self.change(store, entry, keep: 1) { version in
                    try await store.pools.insert([[Self.li, "李四\(name)", nil]], into: version, replacingKeys: true)
                }
            }
            #expect(try await store.pools.versions(entryID: entry.id).map(\.version) == [3, 4])
            #expect(try await Self.storedRows(store, last) == 3, "张三, and 李四 as versions 3 and 4 see him")
            #expect(try await Self.names(store, last) == [Self.zhang: "张三", Self.li: "李四三"])
            // A whole load starts a table of its own; the old one goes once no kept version uses it.
            for _ in 0..<2 {
                let whole = try await store.pools.beginVersion(
                    entryID: entry.id, columns: Self.columns, keyColumns: ["sfzhm"], copyingActive: false)
                try await store.pools.insert([[Self.wang, "王五", nil]], into: whole, replacingKeys: false)
                last = try await store.pools.activate(whole, keep: 1)
            }
            let exists = try await store.provider.read { sql in
                try await SQLPoolRepository.tableExists(first.tableName, sql)
            }
            #expect(!exists)
            #expect(try await Self.names(store, last) == [Self.wang: "王五"])
        }
    }
}

/// SQLite uses a partial index only for a query that names the index's own condition; a query that does not scans
/// the whole pool, and an increment's cost grows with the pool (bench/scale found it: 2.6× slower at 10M than 1M).
@Suite("Pool partial indexes")
struct PoolPartialIndexTests {
    @Test("what an increment counts and undoes is found through the partial indexes, not by scanning the pool")
    func partialIndexesAreUsed() async throws {
        try await TestBackend.sqlite.withFreshDatabase { store, _ in
            let (_, first) = try await PoolIncrementConformanceTests.pool(store)
            let table = first.tableName
            func plan(_ condition: String) async throws -> [String] {
                try await store.provider.read { sql in
                    try await sql.raw(
                        SQLQueryString(
                            unsafeRaw: "EXPLAIN QUERY PLAN SELECT COUNT(*) AS n FROM \(table) WHERE \(condition)")
                    ).all().map { try $0.decode(column: "detail", as: String.self) }
                }
            }
            let added = try await plan("\(SQLPoolRepository.changedRows(table)) AND _added_in = 2")
            #expect(added.contains { $0.contains("\(table)_added") }, "\(added)")
            let retired = try await plan("_retired_in = 2 AND _added_in <= 1")
            #expect(retired.contains { $0.contains("\(table)_retired") }, "\(retired)")
        }
    }
}

/// A count a test body adds to from inside an async closure.
final class LockedCount: @unchecked Sendable {
    private let lock = NSLock()
    private var total = 0
    func add(_ value: Int) { lock.withLock { total += value } }
    var value: Int { lock.withLock { total } }
}

/// A database written by the release before pools were built by changes is converted in place.
@Suite("Pool migration")
struct PoolMigrationTests {
    @Test(
        "pools of the previous release (a table per version) keep their versions and take increments after the migration",
        arguments: TestBackend.available)
    func convertsLegacyPools(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let entry = try await PoolStoreConformanceTests.entry(store)
            let types = SchemaTypes(backend: store.provider.backend)
            let z = PoolIncrementConformanceTests.zhang
            let l = PoolIncrementConformanceTests.li
            // The schema and rows as the previous release left them.
            try await store.provider.transaction { sql in
                for statement in [
                    "DELETE FROM schema_migrations WHERE version >= 22",
                    "DROP TABLE pool_versions",
                    """
                    CREATE TABLE pool_versions (
                        entry_id BIGINT NOT NULL REFERENCES catalog_entries(id), version INTEGER NOT NULL,
                        table_name TEXT NOT NULL UNIQUE, columns TEXT NOT NULL, key_columns TEXT NOT NULL,
                        row_count BIGINT NOT NULL, status TEXT NOT NULL, created_at \(types.timestamp) NOT NULL,
                        activated_at \(types.timestamp), PRIMARY KEY (entry_id, version))
                    """,
                    "CREATE UNIQUE INDEX pool_versions_active ON pool_versions (entry_id) WHERE status = 'active'",
                    "CREATE TABLE pool_e\(entry.id)_v1 (sfzhm TEXT, xm TEXT, csrq TEXT)",
                    "INSERT INTO pool_e\(entry.id)_v1 VALUES ('\(z)', '张三', NULL), ('\(l)', '李四', NULL)",
                    "CREATE UNIQUE INDEX pool_e\(entry.id)_v1_key ON pool_e\(entry.id)_v1 (sfzhm)",
                    "CREATE TABLE pool_e\(entry.id)_v2 (sfzhm TEXT, xm TEXT, csrq TEXT)",
                    "INSERT INTO pool_e\(entry.id)_v2 VALUES ('\(l)', '李四改', NULL)",
                    "CREATE UNIQUE INDEX pool_e\(entry.id)_v2_key ON pool_e\(entry.id)_v2 (sfzhm)",
                ] {
                    try await sql.raw(SQLQueryString(unsafeRaw: statement)).run()
                }
                for (version, status, rows) in [(1, "retired", 2), (2, "active", 1)] {
                    try await sql.raw(
                        """
                        INSERT INTO pool_versions VALUES (\(bind: entry.id), \(bind: version),
                            \(bind: "pool_e\(entry.id)_v\(version)"), 'sfzhm,xm,csrq', 'sfzhm', \(bind: rows),
                            \(bind: status), \(bind: Date()), \(bind: Date()))
                        """
                    ).run()
                }
            }

            try await Migrator(provider: store.provider, logger: .init(label: "test")).migrate()

            let versions = try await store.pools.versions(entryID: entry.id)
            #expect(versions.map(\.version) == [1, 2] && versions.map(\.rowCount) == [2, 1])
            #expect(try await PoolIncrementConformanceTests.names(store, versions[0]) == [z: "张三", l: "李四"])
            #expect(try await PoolIncrementConformanceTests.names(store, versions[1]) == [l: "李四改"])
            let third = try await PoolIncrementConformanceTests.change(store, entry) { version in
                try await store.pools.insert([[z, "张三", nil]], into: version, replacingKeys: true)
            }
            #expect(third.tableName == "pool_e\(entry.id)_v2" && third.rowCount == 2)
            #expect(try await PoolIncrementConformanceTests.names(store, third) == [z: "张三", l: "李四改"])
            let back = try await store.pools.reactivate(entryID: entry.id, version: 1)
            #expect(try await PoolIncrementConformanceTests.names(store, back) == [z: "张三", l: "李四"])
        }
    }
}
