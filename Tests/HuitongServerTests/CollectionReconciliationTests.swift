import Foundation
import HuitongCore
import HuitongStore
import HuitongTestSupport
import Logging
import PostgresNIO
import Testing

@testable import HuitongServer
@testable import HuitongServices

/// Key reconciliation of watermark sources: an incremental read never sees a deleted row, so now and then the
/// source's keys alone are read and the pool's rows whose keys vanished are retired, through the same load path.
@Suite("Collection key reconciliation")
struct CollectionReconciliationTests {
    typealias SourceBody = CollectionAPI.SourceBody
    typealias Input = CollectionAPI.Input

    @Test(
        "an SQLite watermark source: deletions stay until the reconciliation is due, then leave the pool in a new version",
        arguments: TestBackend.available)
    func sqlite(_ backend: TestBackend) async throws {
        try await CollectionAPITests.run(backend) { node, client, root in
            let city = try await CatalogAPITests.city(node)
            let entryID = try await CollectionAPITests.entry(client, city)
            let provider = try #require(try await node.store.users.find(username: "gaj.provider"))
            let file = root.appendingPathComponent("jk.sqlite").path
            let rows = (1...200).map { "(\($0), 'K\(String(format: "%04d", $0))', '人\($0)', '')" }
            try await CollectionAPITests.sqliteFile(
                file,
                [
                    "CREATE TABLE jk (id INTEGER PRIMARY KEY, code TEXT NOT NULL, contact TEXT, bz TEXT)",
                    "INSERT INTO jk VALUES \(rows.joined(separator: ","))",
                ])
            let (status, source) = try await client.send(
                .post, "/api/v1/collection-sources", token: city.provider,
                input: Input(
                    entryID: entryID, name: "监控库", kind: "sqlite", location: file, table: "jk",
                    columnMapping: ["code": "bh", "contact": "xm"],
                    watermark: SourceWatermark(column: "id", kind: .increasingID)),
                as: SourceBody.self)
            #expect(status == .created)
            let collection = CollectionAPITests.scheduler(node, root: root) { $0.collectionReconcileSeconds = 3600 }
            let start = Date()

            // The first run reads whole (`sync`): that compared every key.
            let first = try await collection.collectNow(source.id, by: provider, at: start)
            #expect(first.status == .succeeded && !first.incremental && first.rowsAccepted == 200, "\(first)")
            let stored = try #require(try await node.store.collectionSources.find(id: source.id))
            #expect(stored.reconciledAt.map { abs($0.timeIntervalSince(start)) < 0.01 } == true)

            // Rows deleted at the source, one added: within the hour the run is incremental and leaves the deleted.
            try await CollectionAPITests.sqliteFile(
                file, ["DELETE FROM jk WHERE id IN (3, 50, 150)", "INSERT INTO jk VALUES (201, 'K0201', '新人', '')"])
            let soon = try await collection.collectNow(source.id, by: provider, at: start.addingTimeInterval(60))
            // Ids 200 and 201: from the last highest id, the overlap being 0.
            #expect(soon.status == .succeeded && soon.incremental && soon.rowsRead == 2 && soon.rowsRetired == 0)
            var pool = try await CollectionAPITests.pool(node, entryID)
            #expect(pool.count == 201 && pool.contains { $0[0] == "K0050" })
            let versionsBefore = try await node.store.pools.versions(entryID: entryID).count

            // An hour on, the run reconciles: the source's keys alone are read, and the three vanished rows retired
            // in a new version (the last one stays readable), by an ingest job of its own.
            let later = try await collection.collectNow(source.id, by: provider, at: start.addingTimeInterval(3700))
            #expect(later.status == .succeeded && later.incremental && later.rowsRetired == 3, "\(later)")
            pool = try await CollectionAPITests.pool(node, entryID)
            #expect(pool.count == 198 && !pool.contains { ["K0003", "K0050", "K0150"].contains($0[0]) })
            #expect(pool.first { $0[0] == "K0201" } == ["K0201", "新人", ""])
            #expect(try await node.store.pools.versions(entryID: entryID).count > versionsBefore)
            let jobs = try await node.store.ingestJobs.list(entryID: entryID, limit: 10)
            let reconciliation = try #require(jobs.first { $0.mode == .reconcile })
            #expect(reconciliation.status == .succeeded && reconciliation.rowsRead == 198)
            #expect(reconciliation.rowsLoaded == 3 && reconciliation.fileName == "归集源 监控库 主键核对")
            let reconciled = try #require(try await node.store.collectionSources.find(id: source.id)?.reconciledAt)
            #expect(abs(reconciled.timeIntervalSince(start.addingTimeInterval(3700))) < 0.01)

            // Shown through the API's run history.
            let (_, history) = try await client.send(
                .get, "/api/v1/collection-sources/\(source.id)/runs", token: city.provider,
                as: ListBody<CollectionRun>.self)
            #expect(history.items.first?.rowsRetired == 3)

            // A source whose keys all vanished is refused, not emptied.
            try await CollectionAPITests.sqliteFile(file, ["DELETE FROM jk"])
            let empty = try await collection.collectNow(source.id, by: provider, at: start.addingTimeInterval(8000))
            #expect(empty.status == .failed)
            #expect(try await CollectionAPITests.pool(node, entryID).count == 198)
        }
    }

    @Test(
        "a PostgreSQL watermark source reconciled at every run follows inserts, updates and deletes exactly",
        .enabled(if: CollectionPostgresTests.adminURL != nil), arguments: TestBackend.available)
    func postgres(_ backend: TestBackend) async throws {
        try await CollectionPostgresTests.withSourceDatabase { source, address in
            let logger = Logger(label: "test")
            try await CollectionPostgresTests.createTable(source, rows: 5000)
            try await CollectionAPITests.run(backend, adjusting: { $0.ingest.collectionReconcileSeconds = 0 }) {
                node, client, _ in
                let city = try await CatalogAPITests.city(node)
                let entryID = try await CollectionAPITests.entry(client, city)
                try await CollectionAPITests.allowLoopback(client, node)
                let (created, saved) = try await client.send(
                    .post, "/api/v1/collection-sources", token: city.provider,
                    input: Input(
                        entryID: entryID, name: "企业库", kind: "postgres",
                        location: CollectionPostgresTests.url(address, password: nil), table: "public.qy",
                        columnMapping: ["code": "bh", "contact": "xm", "note": "bz"],
                        watermark: SourceWatermark(column: "updated_at", kind: .updateTime, overlap: 1)),
                    as: SourceBody.self)
                #expect(created == .created)
                let full = try await CollectionAPITests.collect(client, source: saved.id, token: city.provider)
                #expect(full.status == .succeeded && !full.incremental && full.rowsAccepted == 5000, "\(full)")

                for round in 1...2 {
                    try await source.query(
                        PostgresQuery(
                            unsafeSQL: """
                                UPDATE qy SET note = '第 \(round) 轮变更', updated_at = now() WHERE id % 1000 = \(round)
                                """), logger: logger)
                    try await source.query(
                        PostgresQuery(unsafeSQL: "DELETE FROM qy WHERE id % 700 = \(round)"), logger: logger)
                    try await source.query(
                        PostgresQuery(
                            unsafeSQL: """
                                INSERT INTO qy (id, code, contact, note, updated_at)
                                VALUES (\(9000 + round), 'P00900\(round)', '新人', '', now())
                                """), logger: logger)
                    let run = try await CollectionAPITests.collect(client, source: saved.id, token: city.provider)
                    #expect(run.status == .succeeded && run.incremental, "\(run)")
                    #expect(run.rowsRetired == 8, "round \(round): \(run.rowsRetired)")
                    #expect(
                        try await CollectionAPITests.pool(node, entryID)
                            == (try await CollectionPostgresTests.sourceRows(source)), "round \(round)")
                }
            }
        }
    }
}
