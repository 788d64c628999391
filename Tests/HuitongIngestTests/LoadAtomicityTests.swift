import Foundation
import HuitongCore
import HuitongIngest
import HuitongStore
import HuitongTestSupport
import Logging
import NIOCore
import SQLKit
import Testing

/// The end of a load is one step: a process that dies at any statement of it leaves either the new version live,
/// mounted and its job succeeded, or none of that. `scripts/crash-loop` found a kill between the switch and the
/// job's success: the version went live, the next load declared its job interrupted ("nothing was published"), and
/// the entry still counted the old rows.
@Suite("Load atomicity")
struct LoadAtomicityTests {
    struct Died: Error {}

    /// A connection whose statements matching `dies` fail as if the process had died there.
    struct DyingSQL: SQLDatabase {
        let base: any SQLDatabase
        let dies: @Sendable (String) -> Bool

        var logger: Logger { base.logger }
        var eventLoop: any EventLoop { base.eventLoop }
        var version: (any SQLDatabaseReportedVersion)? { base.version }
        var dialect: any SQLDialect { base.dialect }
        var queryLogLevel: Logger.Level? { base.queryLogLevel }

        func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void)
            -> EventLoopFuture<Void>
        {
            if dies(base.serialize(query).sql) { return eventLoop.makeFailedFuture(Died()) }
            return base.execute(sql: query, onRow)
        }

        func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
            if dies(base.serialize(query).sql) { throw Died() }
            try await base.execute(sql: query, onRow)
        }
    }

    /// The real database, whose transactions run on `DyingSQL`.
    struct DyingProvider: DatabaseProvider {
        let base: any DatabaseProvider
        let dies: @Sendable (String) -> Bool

        var backend: Backend { base.backend }
        var poolStatistics: PoolStatistics { base.poolStatistics }
        var auditProvider: any DatabaseProvider { base.auditProvider }

        func read<Result: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> Result) async throws -> Result {
            try await base.read(body)
        }

        func transaction<Result: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> Result) async throws
            -> Result
        {
            let dies = dies
            return try await base.transaction { sql in try await body(DyingSQL(base: sql, dies: dies)) }
        }

        func bulkInsert(_ insert: BulkInsert) async throws { try await base.bulkInsert(insert) }
        func shutdown() async {}
        func run() async throws {}
    }

    @Test(
        "a load whose process dies as it records the job's success publishes nothing; the entry keeps the rows it had",
        arguments: TestBackend.available)
    func diesAtTheEnd(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let entry = try await IngestRunnerTests.population(store)
            let rows = "身份证号码,姓名,出生日期\n11010519491231002X,张三,1949-12-31\n110105195001010012,李四,1950-01-01\n"
            let first = try await IngestRunner(store: store).run(
                IngestRequest(entry: entry, file: try IngestRunnerTests.file(rows)))
            #expect(first.status == .succeeded)
            let before = try #require(try await store.pools.active(entryID: entry.id))

            // The second load's process dies at the statement that marks its job done (and so can record nothing
            // after it either).
            let dying = Store(
                provider: DyingProvider(base: store.provider) { $0.hasPrefix("UPDATE ingest_jobs SET status") })
            await #expect(throws: (any Error).self) {
                _ = try await IngestRunner(store: dying).run(
                    IngestRequest(
                        entry: entry, file: try IngestRunnerTests.file(rows + "110105196002020014,赵六,1960-02-02\n")))
            }
            // The next start finds its job left running and declares it interrupted, with nothing published.
            let recovered = try await IngestRunner.recover(store, staleAfter: .zero)
            #expect(recovered.count == 1)
            let job = try #require(try await store.ingestJobs.list(entryID: entry.id).first)
            #expect(job.status == .failed && job.message.contains("nothing was published"))

            let active = try #require(try await store.pools.active(entryID: entry.id))
            #expect(active.version == before.version, "the interrupted load's version must not be live")
            let mounted = try #require(try await store.catalog.find(id: entry.id))
            #expect(mounted.recordCount == active.rowCount)
            #expect(try await store.pools.versions(entryID: entry.id).allSatisfy { $0.status != .building })
        }
    }
}
