import Foundation
import HuitongCore
import HuitongTestSupport
import SQLKit
import Testing

@testable import HuitongStore

/// Typed pool columns: each engine stores numbers, dates and booleans in their types, gives every value back as
/// the canonical text it was given, and compares ranges in the type. On every backend.
@Suite("Pool column types conformance")
struct PoolColumnTypeConformanceTests {
    static let columns = ["bh", "nl", "je", "rq", "sj", "sfyx", "bz"]
    static let types: [String: ColumnType] = [
        "nl": .integer, "je": .decimal, "rq": .date, "sj": .dateTime, "sfyx": .boolean,
    ]
    /// Text order and typed order disagree: "9" > "10" as text, "-3" < "-20" as text.
    static let rows: [[String?]] = [
        ["A1", "9", "12.5", "2024-01-31", "2024-01-31 08:30:00", "true", "九"],
        ["A2", "10", "-3", "2023-12-01", "2023-12-01 23:59:59", "false", nil],
        ["A3", "-20", "1234567.89", "2024-02-29", "2024-02-29 00:00:00", nil, "二十"],
        ["A4", nil, "0.001", nil, nil, "true", ""],
    ]

    static func pool(_ store: Store) async throws -> (CatalogEntry, PoolVersion) {
        let entry = try await PoolStoreConformanceTests.entry(store)
        let version = try await store.pools.beginVersion(
            entryID: entry.id, columns: columns, types: types, keyColumns: ["bh"], copyingActive: false)
        try await store.pools.insert(rows, into: version, replacingKeys: false)
        return (entry, try await store.pools.activate(version, keep: 3))
    }

    static func keys(_ rows: [[String?]]) -> [String] { rows.compactMap { $0[0] } }

    @Test(
        "numbers, dates and booleans are stored in their types and read back as the text that went in",
        arguments: TestBackend.available)
    func roundTrip(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let (entry, active) = try await Self.pool(store)
            #expect(active.columnTypes == Self.types)
            let stored = try await store.provider.read { sql in
                let query: SQLQueryString =
                    store.provider.backend == .postgres
                    ? """
                    SELECT pg_typeof(nl)::text AS nl, pg_typeof(je)::text AS je, pg_typeof(rq)::text AS rq,
                        pg_typeof(sj)::text AS sj, pg_typeof(sfyx)::text AS sfyx, pg_typeof(bz)::text AS bz
                    FROM \(unsafeRaw: active.tableName) WHERE bh = 'A1'
                    """
                    : """
                    SELECT typeof(nl) AS nl, typeof(je) AS je, typeof(rq) AS rq, typeof(sj) AS sj,
                        typeof(sfyx) AS sfyx, typeof(bz) AS bz
                    FROM \(unsafeRaw: active.tableName) WHERE bh = 'A1'
                    """
                let row = try #require(try await sql.raw(query).first())
                return try ["nl", "je", "rq", "sj", "sfyx", "bz"].map { try row.decode(column: $0, as: String.self) }
            }
            #expect(
                stored
                    == (store.provider.backend == .postgres
                        ? ["bigint", "numeric", "date", "timestamp without time zone", "boolean", "text"]
                        : ["integer", "real", "text", "text", "integer", "text"]))

            let all = PoolSelection(columns: Self.columns)
            let looked = try await store.pools.lookup(
                entryID: entry.id, keys: Self.rows.map { [$0[0]!] }, selecting: all)
            #expect(Set(try #require(looked).rows) == Set(Self.rows))
            var extracted: [[String?]] = []
            _ = try await store.pools.extract(entryID: entry.id, selecting: all, pageSize: 3) { extracted += $0 }
            #expect(extracted == Self.rows, "in key order, as delivered")
            #expect(try await store.pools.firstRows(in: active, selecting: all, limit: 10) == Self.rows)
            let byKey = try await store.pools.rows(entryID: entry.id, key: ["A1"])
            #expect(byKey.first?["sfyx"] == "true" && byKey.first?["nl"] == "9" && byKey.first?["je"] == "12.5")

            // A snapshot that delivers the same values again changes nothing: what is read back equals what went in.
            let sync = try await store.pools.beginVersion(
                entryID: entry.id, columns: Self.columns, types: Self.types, keyColumns: ["bh"], copyingActive: true)
            #expect(try await store.pools.sync(Self.rows, into: sync) == 0)
            #expect(try await store.pools.retireUnseen(in: sync) == 0)
            #expect(try await store.pools.activate(sync, keep: 3).rowCount == 4)
        }
    }

    @Test(
        "ranges are compared by the engine in the column's type, and a range on a text column is refused",
        arguments: TestBackend.available)
    func ranges(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let (entry, active) = try await Self.pool(store)
            func keys(_ ranges: [ValueRange]) async throws -> [String] {
                var found: [[String?]] = []
                let selection = PoolSelection(columns: ["bh"], ranges: ranges)
                _ = try await store.pools.extract(entryID: entry.id, selecting: selection, pageSize: 2) { found += $0 }
                #expect(try await store.pools.firstRows(in: active, selecting: selection, limit: 10) == found)
                return Self.keys(found)
            }
            #expect(try await keys([ValueRange(column: "nl", lowest: "5", highest: nil)]) == ["A1", "A2"])
            #expect(try await keys([ValueRange(column: "nl", lowest: nil, highest: "9")]) == ["A1", "A3"])
            #expect(try await keys([ValueRange(column: "je", lowest: "-5", highest: "100")]) == ["A1", "A2", "A4"])
            #expect(
                try await keys([ValueRange(column: "rq", lowest: "2024-01-01", highest: "2024-02-29")]) == ["A1", "A3"])
            #expect(
                try await keys([ValueRange(column: "sj", lowest: "2024-01-31 08:30:00", highest: nil)]) == ["A1", "A3"])
            #expect(
                try await keys([
                    ValueRange(column: "nl", lowest: "-100", highest: "100"),
                    ValueRange(column: "rq", lowest: nil, highest: "2023-12-31"),
                ]) == ["A2"])
            let looked = try await store.pools.lookup(
                entryID: entry.id, keys: [["A1"], ["A2"]],
                selecting: PoolSelection(
                    columns: ["bh"], ranges: [ValueRange(column: "nl", lowest: "10", highest: nil)]))
            #expect(looked?.rows == [["A2"]])

            await #expect(throws: StoreError.self) {
                _ = try await keys([ValueRange(column: "bz", lowest: "a", highest: nil)])
            }
        }
    }

    @Test(
        "a value that does not fit its column's type is refused naming the column, never the value, and nothing is written",
        arguments: TestBackend.available.filter { $0 == .postgres })
    func valueOutOfType(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let (entry, _) = try await Self.pool(store)
            let version = try await store.pools.beginVersion(
                entryID: entry.id, columns: Self.columns, types: Self.types, keyColumns: ["bh"], copyingActive: true)
            for replacing in [false, true] {
                let bad: [[String?]] = [
                    ["B\(replacing)1", "1", "1", "2024-01-01", nil, nil, nil],
                    ["B\(replacing)2", "2", "2", "1990-13-01", nil, nil, nil],
                ]
                do {
                    try await store.pools.insert(bad, into: version, replacingKeys: replacing)
                    Issue.record("a month 13 was taken into a date column")
                } catch let error as ValidationError {
                    #expect(error.issues.map(\.field) == ["rq"])
                    #expect(!"\(error.message.zh)\(error.message.en)\(error.issues)".contains("1990-13-01"))
                }
            }
            try await store.pools.abandon(version)
            let rows = try await store.pools.lookup(
                entryID: entry.id, keys: [["Bfalse1"], ["Btrue1"], ["A1"]], selecting: PoolSelection(columns: ["bh"]))
            #expect(rows?.rows == [["A1"]], "neither batch left a row behind")
        }
    }

    @Test(
        "an increment keeps the table's types, and a new item gets its type in the same table",
        arguments: TestBackend.available)
    func incrementsKeepTypes(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let (entry, active) = try await Self.pool(store)
            let columns = Self.columns + ["cs"]
            var types = Self.types
            types["cs"] = .integer
            types["nl"] = .text  // asked for, but the table's column stays an integer
            let version = try await store.pools.beginVersion(
                entryID: entry.id, columns: columns, types: types, keyColumns: ["bh"], copyingActive: true)
            #expect(version.tableName == active.tableName)
            #expect(version.type(of: "nl") == .integer && version.type(of: "cs") == .integer)
            try await store.pools.insert(
                [["A5", "11", "7", "2025-05-05", "2025-05-05 05:05:05", "false", "五", "3"]], into: version,
                replacingKeys: true)
            let next = try await store.pools.activate(version, keep: 3)
            #expect(try await store.pools.versions(entryID: entry.id).last?.columnTypes == next.columnTypes)
            var found: [[String?]] = []
            _ = try await store.pools.extract(
                entryID: entry.id,
                selecting: PoolSelection(
                    columns: ["bh", "cs"], ranges: [ValueRange(column: "nl", lowest: "10", highest: nil)]), pageSize: 10
            ) { found += $0 }
            #expect(found == [["A2", nil], ["A5", "3"]])
        }
    }
}
