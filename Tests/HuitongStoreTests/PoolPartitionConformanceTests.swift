import Foundation
import HuitongCore
import HuitongTestSupport
import SQLKit
import Testing

@testable import HuitongStore

/// Large pools on PostgreSQL are hash-partitioned by their key; everything a pool does works the same on them.
/// SQLite ignores the layout.
@Suite("Pool partitions conformance")
struct PoolPartitionConformanceTests {
    /// The store over the same database, with every keyed pool partitioned into four tables.
    static func partitioned(_ store: Store) -> Store {
        Store(
            provider: store.provider, poolLayout: PoolLayout(partitionRows: 0, partitions: 4),
            rowIntegrity: store.rowIntegrity)
    }

    /// The tables a pool table is split into, with their rows (all of them, current or not).
    static func partitions(_ store: Store, _ table: String) async throws -> [String: Int] {
        try await store.provider.read { sql in
            guard store.provider.backend == .postgres else { return [:] }
            var counts: [String: Int] = [:]
            let children = try await sql.raw(
                """
                SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                WHERE i.inhparent = to_regclass(\(bind: table))
                """
            ).all().map { try $0.decode(column: "name", as: String.self) }
            for child in children {
                counts[child] = try await SQLPoolRepository.count(child, where: "1 = 1", sql)
            }
            return counts
        }
    }

    @Test(
        "a large pool's table is split by key, and increments, syncs, rollbacks and retention work on it",
        arguments: TestBackend.available)
    func partitionedPool(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { plain, _ in
            let store = Self.partitioned(plain)
            let z = PoolIncrementConformanceTests.zhang
            let l = PoolIncrementConformanceTests.li
            let w = PoolIncrementConformanceTests.wang
            let (entry, first) = try await PoolIncrementConformanceTests.pool(store)
            let split = try await Self.partitions(store, first.tableName)
            if backend == .postgres {
                #expect(split.count == 4 && split.values.reduce(0, +) == 2)
            } else {
                #expect(split.isEmpty)
            }
            #expect(try await PoolIncrementConformanceTests.names(store, first) == [z: "张三", l: "李四"])

            let second = try await PoolIncrementConformanceTests.change(store, entry, keep: 1) { version in
                try await store.pools.insert([[l, "李四改", nil], [w, "王五", nil]], into: version, replacingKeys: true)
                let deleted = try await store.pools.delete(keys: [[z]], from: version)
                #expect(deleted == 1)
            }
            #expect(second.tableName == first.tableName && second.rowCount == 2)
            #expect(try await PoolIncrementConformanceTests.names(store, second) == [l: "李四改", w: "王五"])
            #expect(try await PoolIncrementConformanceTests.names(store, first) == [z: "张三", l: "李四"])

            let third = try await PoolIncrementConformanceTests.change(store, entry, keep: 1) { version in
                let written = try await store.pools.sync([[l, "李四改", nil]], into: version)
                let vanished = try await store.pools.retireUnseen(in: version)
                #expect(written == 0 && vanished == 1)
            }
            #expect(try await PoolIncrementConformanceTests.names(store, third) == [l: "李四改"])
            if backend == .postgres {
                #expect(
                    try await Self.partitions(store, first.tableName).values.reduce(0, +) == 2,
                    "version 1 fell out of retention: 张三 and the first 李四 were compacted away; 王五 stays for version 2")
            }
            let back = try await store.pools.reactivate(entryID: entry.id, version: 2)
            #expect(try await PoolIncrementConformanceTests.names(store, back) == [l: "李四改", w: "王五"])
            var extracted: [[String?]] = []
            _ = try await store.pools.extract(
                entryID: entry.id, selecting: PoolSelection(columns: ["sfzhm", "xm"]), pageSize: 1
            ) { extracted += $0 }
            #expect(extracted == [[l, "李四改"], [w, "王五"]], "pages follow the key across partitions")

            let reloaded = try await store.pools.beginVersion(
                entryID: entry.id, columns: PoolIncrementConformanceTests.columns, keyColumns: ["sfzhm"],
                copyingActive: false)
            try await store.pools.insert([[z, "张三", nil], [z, "张三", nil]], into: reloaded, replacingKeys: false)
            await #expect(throws: StoreError.self, "a repeated key still fails the whole load") {
                _ = try await store.pools.activate(reloaded, keep: 1)
            }
            try await store.pools.abandon(reloaded)
            #expect(try await Self.partitions(store, reloaded.tableName).isEmpty, "its table and partitions are gone")
        }
    }

    @Test(
        "keys spread over every partition are upserted, deleted and counted exactly, each in its own partition",
        arguments: TestBackend.available)
    func manyKeys(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { plain, _ in
            let store = Self.partitioned(plain)
            let (entry, first) = try await PoolIncrementConformanceTests.pool(store)
            let keys = (0..<300).map { String(format: "K%05d", $0) }
            let loaded = try await PoolIncrementConformanceTests.change(store, entry) { version in
                try await store.pools.insert(keys.map { [$0, "甲", nil] }, into: version, replacingKeys: true)
            }
            #expect(loaded.rowCount == 302)
            let changed = try await PoolIncrementConformanceTests.change(store, entry) { version in
                try await store.pools.insert(keys.map { [$0, "乙", nil] }, into: version, replacingKeys: true)
                let deleted = try await store.pools.delete(keys: keys.prefix(100).map { [$0] }, from: version)
                #expect(
                    deleted == 100, "the rows this version added go; the rows they replaced were retired by the upsert")
            }
            #expect(changed.rowCount == 202)
            let rows = try await store.pools.lookup(
                in: changed, keys: keys.map { [$0] }, selecting: PoolSelection(columns: ["sfzhm", "xm"]))
            #expect(rows.count == 200 && rows.allSatisfy { $0[1] == "乙" })
            if backend == .postgres {
                let split = try await Self.partitions(store, first.tableName)
                #expect(split.count == 4 && split.values.allSatisfy { $0 > 20 }, "\(split)")
            }
        }
    }

    @Test(
        "a pool below the size stays one table; the expected size of a load decides", arguments: TestBackend.available)
    func smallPoolsStayWhole(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { plain, _ in
            let store = Store(
                provider: plain.provider, poolLayout: PoolLayout(partitionRows: 1_000, partitions: 4),
                rowIntegrity: plain.rowIntegrity)
            let entry = try await PoolStoreConformanceTests.entry(store)
            let small = try await store.pools.beginVersion(
                entryID: entry.id, columns: ["sfzhm"], types: [:], keyColumns: ["sfzhm"], copyingActive: false,
                expectedRows: 999)
            #expect(try await Self.partitions(store, small.tableName).isEmpty)
            try await store.pools.abandon(small)
            let large = try await store.pools.beginVersion(
                entryID: entry.id, columns: ["sfzhm"], types: [:], keyColumns: ["sfzhm"], copyingActive: false,
                expectedRows: 1_000)
            #expect(try await Self.partitions(store, large.tableName).count == (backend == .postgres ? 4 : 0))
            try await store.pools.abandon(large)
        }
    }
}
