import Foundation
import HuitongCore
import HuitongStore
import HuitongTestSupport
import Logging
import SQLKit
import Testing

/// Pool columns encrypted at rest (GB/T 39786 8.4 e): the database holds ciphertext only, every read path hands out
/// clear text, and every change by key still finds its rows — proven on every backend.
@Suite("Pool columns encrypted at rest")
struct PoolEncryptionConformanceTests {
    static let columns = ["sfzhm", "xm", "csrq"]
    static let people: [[String?]] = [
        ["11010519491231002X", "张三", "1949-12-31"], ["110105195001010018", "李四", nil],
        ["110105196002020021", "王五", "1960-02-02"],
    ]

    /// What the pool table holds for `column`, read past the repository.
    static func stored(_ column: String, _ version: PoolVersion, _ store: Store) async throws -> [String?] {
        try await store.provider.read { sql in
            try await sql.raw("SELECT \(ident: column) AS v FROM \(ident: version.tableName)").all()
                .map { try $0.decode(column: "v", as: String?.self) }
        }
    }

    static func load(_ store: Store, _ entry: CatalogEntry) async throws -> PoolVersion {
        let version = try await store.pools.beginVersion(
            entryID: entry.id, columns: columns, types: [:], keyColumns: ["sfzhm"], copyingActive: false,
            expectedRows: 0, encrypting: ["sfzhm", "xm"])
        try await store.pools.insert(people, into: version, replacingKeys: false)
        return try await store.pools.activate(version, keep: 3)
    }

    @Test(
        "the table holds ciphertext for the encrypted columns; lookups, extracts, previews and reads by key give clear text",
        arguments: TestBackend.available)
    func reads(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let entry = try await PoolStoreConformanceTests.entry(store)
            let active = try await Self.load(store, entry)
            #expect(active.encryptedColumns == ["sfzhm", "xm"])
            #expect(try await store.pools.active(entryID: entry.id)?.encryptedColumns == ["sfzhm", "xm"])
            let ids = try await Self.stored("sfzhm", active, store)
            let names = try await Self.stored("xm", active, store)
            #expect(
                ids.allSatisfy { $0?.hasPrefix("HC1:") == true } && names.allSatisfy { $0?.hasPrefix("HC1:") == true })
            #expect(Set(ids.compactMap { $0 }).isDisjoint(with: Self.people.compactMap { $0[0] }))
            #expect(try await Self.stored("csrq", active, store).contains("1949-12-31"), "other columns stay clear")

            let selection = PoolSelection(columns: Self.columns)
            let found = try await store.pools.lookup(
                entryID: entry.id, keys: [["110105195001010018"], ["nobody"]], selecting: selection)
            #expect(found?.rows == [["110105195001010018", "李四", nil]])
            var extracted: [[String?]] = []
            _ = try await store.pools.extract(entryID: entry.id, selecting: selection, pageSize: 2) { extracted += $0 }
            #expect(Set(extracted) == Set(Self.people), "paged through ciphertext keys, every row comes back clear")
            #expect(
                Set(try await store.pools.firstRows(in: active, selecting: selection, limit: 10)) == Set(Self.people))
            #expect(try await store.pools.rows(entryID: entry.id, key: ["11010519491231002X"]).first?["xm"] == "张三")
        }
    }

    @Test(
        "upserts, snapshots and deletions by an encrypted key change only what changed, and the table stays encrypted",
        arguments: TestBackend.available)
    func changes(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let entry = try await PoolStoreConformanceTests.entry(store)
            _ = try await Self.load(store, entry)

            let upsert = try await store.pools.beginVersion(
                entryID: entry.id, columns: Self.columns, keyColumns: ["sfzhm"], copyingActive: true)
            #expect(upsert.encryptedColumns == ["sfzhm", "xm"], "a version by changes keeps its table's encryption")
            try await store.pools.insert(
                [["110105195001010018", "李四", "1950-01-01"], ["110105197003030034", "赵六", nil]], into: upsert,
                replacingKeys: true)
            let afterUpsert = try await store.pools.activate(upsert, keep: 3)
            #expect(afterUpsert.rowCount == 4)
            #expect(
                try await store.pools.rows(entryID: entry.id, key: ["110105195001010018"]).first?["csrq"]
                    == "1950-01-01")

            // A snapshot that repeats two rows as they are and drops the third: nothing is rewritten for the two.
            let sync = try await store.pools.beginVersion(
                entryID: entry.id, columns: Self.columns, keyColumns: ["sfzhm"], copyingActive: true)
            let written = try await store.pools.sync(
                [
                    ["11010519491231002X", "张三", "1949-12-31"], ["110105195001010018", "李四", "1950-01-01"],
                    ["110105196002020021", "王五", "1960-02-03"],
                ], into: sync)
            #expect(written == 1, "unchanged rows compare equal through their ciphertext")
            try await store.pools.keep(keys: [["110105197003030034"]], in: sync)
            #expect(try await store.pools.retireUnseen(in: sync) == 0)
            _ = try await store.pools.activate(sync, keep: 3)

            let deletion = try await store.pools.beginVersion(
                entryID: entry.id, columns: Self.columns, keyColumns: ["sfzhm"], copyingActive: true)
            #expect(try await store.pools.delete(keys: [["11010519491231002X"]], from: deletion) == 1)
            let last = try await store.pools.activate(deletion, keep: 3)
            #expect(last.rowCount == 3)
            #expect(try await store.pools.rows(entryID: entry.id, key: ["11010519491231002X"]).isEmpty)
            #expect(
                try await store.pools.rows(entryID: entry.id, key: ["110105196002020021"]).first?["csrq"]
                    == "1960-02-03")
            #expect(try await Self.stored("sfzhm", last, store).allSatisfy { $0?.hasPrefix("HC1:") == true })

            // A key that changes copies the rows into a new table: copied columns keep their encryption.
            let rekeyed = try await store.pools.beginVersion(
                entryID: entry.id, columns: Self.columns, types: [:], keyColumns: ["sfzhm", "xm"],
                copyingActive: true, expectedRows: 0, encrypting: ["sfzhm"])
            #expect(rekeyed.encryptedColumns == ["sfzhm", "xm"])
            let copied = try await store.pools.activate(rekeyed, keep: 3)
            var rows: [[String?]] = []
            _ = try await store.pools.extract(
                entryID: entry.id, selecting: PoolSelection(columns: Self.columns), pageSize: 10
            ) { rows += $0 }
            #expect(rows.count == 3 && rows.contains(["110105197003030034", "赵六", nil]))
            #expect(try await Self.stored("xm", copied, store).allSatisfy { $0?.hasPrefix("HC1:") == true })
        }
    }

    @Test(
        "a value altered or moved in the database is refused, row conditions on an encrypted column are refused, and a store without the key reads nothing",
        arguments: TestBackend.available)
    func refusals(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, location in
            let entry = try await PoolStoreConformanceTests.entry(store)
            let active = try await Self.load(store, entry)
            let all = PoolSelection(columns: Self.columns)

            await #expect(throws: StoreError.self) {
                try await store.pools.lookup(
                    entryID: entry.id, keys: [["110105195001010018"]],
                    selecting: PoolSelection(
                        columns: Self.columns, conditions: [PoolRowCondition(column: "xm", prefix: "李")]))
            }

            // Another department's copy of the node's database, opened without the sealing key.
            let keyless = Store(
                provider: try await DatabaseConnector.open(
                    location, maximumConnections: TestBackend.connectionsPerStore, logger: Logger(label: "keyless")))
            let error = await #expect(throws: StoreError.self) {
                try await keyless.pools.lookup(entryID: entry.id, keys: [["110105195001010018"]], selecting: all)
            }
            #expect(error == .columnKeyMissing)
            await keyless.provider.shutdown()

            // A name's ciphertext copied over another row's ID number does not open as an ID number.
            try await store.provider.transaction { sql in
                try await sql.raw(
                    """
                    UPDATE \(ident: active.tableName) SET sfzhm = (SELECT xm FROM \(ident: active.tableName) LIMIT 1)
                    WHERE csrq = '1960-02-02'
                    """
                ).run()
            }
            let moved = await #expect(throws: StoreError.self) {
                _ = try await store.pools.extract(entryID: entry.id, selecting: all, pageSize: 10) { _ in }
            }
            #expect(moved == .encryptedValueViolation(table: active.tableName, column: "sfzhm"))
            #expect(moved?.kind == .forbidden)
        }
    }
}
