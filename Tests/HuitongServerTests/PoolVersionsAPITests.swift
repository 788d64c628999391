import Foundation
import HTTPTypes
import HuitongCore
import HuitongStore
import HuitongTestSupport
import Hummingbird
import HummingbirdTesting
import Testing

@testable import HuitongServer
@testable import HuitongServices

/// The versions of an entry's resource pool, and rolling back to a kept one.
@Suite("Pool versions API")
struct PoolVersionsAPITests {
    /// Uploads `csv` and waits for its load to end; returns the job.
    static func load(
        _ client: some TestClientProtocol, entryID: Int64, _ csv: String, token: String
    ) async throws -> IngestJob? {
        let (status, accepted) = try await IngestAPITests.upload(
            client, "/api/v1/catalog/entries/\(entryID)/uploads?fileName=rk.csv", token: token, contentType: nil,
            body: csv)
        #expect(status == .accepted, "\(accepted)")
        return try await IngestAPITests.finished(client, job: accepted.job.id, token: token)
    }

    typealias Version = IngestAPI.PoolVersionBody

    static func rollbackTo(_ version: Int) -> IngestAPI.RollbackInput { IngestAPI.RollbackInput(version: version) }

    @Test(
        "versions list status, rows and times; a rollback switches back and updates the entry",
        arguments: TestBackend.available)
    func rollback(_ backend: TestBackend) async throws {
        try await TestNode.run(backend) { node, client in
            let city = try await CatalogAPITests.city(node)
            let entryID = try await IngestAPITests.entry(client, city)
            let first = try await Self.load(client, entryID: entryID, IngestAPITests.validRows, token: city.provider)
            #expect(first?.status.rawValue == "succeeded")
            let second = try await Self.load(
                client, entryID: entryID, "sfzhm,xm\n11010519491231002X,张三丰\n", token: city.provider)
            #expect(second?.status.rawValue == "succeeded")

            let versionsURI = "/api/v1/catalog/entries/\(entryID)/pool/versions"
            let rollbackURI = "/api/v1/catalog/entries/\(entryID)/pool/rollback"
            let (listed, list) = try await client.send(
                .get, versionsURI, token: city.provider, as: ListBody<Version>.self)
            #expect(listed == .ok)
            let items = list.items
            #expect(items.map(\.version) == [2, 1], "newest first")
            #expect(items.map(\.status.rawValue) == ["active", "retired"])
            #expect(items.map(\.rowCount) == [1, 2])
            #expect(items.map(\.jobID) == [second?.id, first?.id])
            #expect(items.allSatisfy { $0.activatedAt != nil }, "every version has its creation and activation times")

            // Only the providing department (or an operator) sees or switches the pool.
            #expect(try await client.status(.get, versionsURI, token: city.otherProvider) == .notFound)
            #expect(
                try await client.status(.post, rollbackURI, token: city.otherProvider, input: Self.rollbackTo(1))
                    == .notFound)
            #expect(
                try await client.status(.post, rollbackURI, token: city.consumer, input: Self.rollbackTo(1))
                    == .forbidden)

            let (status, body) = try await client.send(
                .post, rollbackURI, token: city.provider, input: Self.rollbackTo(1), as: IngestAPI.RollbackBody.self)
            #expect(status == .ok, "\(body)")
            let version = body.version
            #expect(version.version == 1 && version.status.rawValue == "active")
            let entry = body.entry
            #expect(entry.recordCount == 2)
            #expect(entry.mount?.locator == "pool_e\(entryID)_v1")
            let stored = try #require(try await node.store.catalog.find(id: entryID))
            #expect(stored.recordCount == 2 && stored.mount?.locator == "pool_e\(entryID)_v1")
            #expect(try await node.store.pools.rows(entryID: entryID, key: ["110105195001010012"]).count == 1)
            let (_, after) = try await client.send(.get, versionsURI, token: city.provider, as: ListBody<Version>.self)
            #expect(after.items.map(\.status.rawValue) == ["retired", "active"])

            // Refusals, each naming what is wrong.
            let (active, activeBody) = try await client.failure(
                .post, rollbackURI, token: city.provider, input: Self.rollbackTo(1))
            #expect(active == .conflict && (activeBody.code, activeBody.fields) == ("pool_version_active", ["version"]))
            let (unknown, unknownBody) = try await client.failure(
                .post, rollbackURI, token: city.provider, input: Self.rollbackTo(9))
            #expect(
                unknown == .notFound
                    && (unknownBody.code, unknownBody.fields) == ("pool_version_not_found", ["version"]))
            #expect(unknownBody.error.message.contains("1, 2"), "the message lists the versions kept")
            // A string, a missing field and zero: the first two only hand-written JSON can send.
            for bad in [#"{"version": "one"}"#, #"{}"#, #"{"version": 0}"#] {
                let (status, body) = try await client.failure(.post, rollbackURI, token: city.provider, json: bad)
                #expect(status == .badRequest && body.fields == ["version"], "\(bad): \(body)")
            }

            // While a load into the entry runs (here on another node), the pool is not switched under it.
            let running = try await node.store.ingestJobs.create(
                entryID: entryID, mode: .replace, fileName: "big.csv", contentHash: "x", totalBytes: 1,
                userID: nil, runner: "another-host|boot|4242")
            let (busy, busyBody) = try await client.failure(
                .post, rollbackURI, token: city.provider, input: Self.rollbackTo(2))
            #expect(busy == .conflict && busyBody.code == "load_in_progress")
            _ = try await node.store.ingestJobs.finish(id: running.id, status: .failed, message: "", poolVersion: nil)
            let building = try await node.store.pools.beginVersion(
                entryID: entryID, columns: ["sfzhm", "xm"], keyColumns: ["sfzhm"], copyingActive: false)
            let (built, builtBody) = try await client.failure(
                .post, rollbackURI, token: city.provider, input: Self.rollbackTo(building.version))
            #expect(built == .conflict && (builtBody.code, builtBody.fields) == ("pool_version_building", ["version"]))
            try await node.store.pools.abandon(building)

            // An operator may roll back too.
            let byOperator = try await client.status(
                .post, rollbackURI, token: node.operatorToken, input: Self.rollbackTo(2))
            #expect(byOperator == .ok)
            #expect(try await node.store.catalog.find(id: entryID)?.recordCount == 1)

            // Once the entry's items change, the older version no longer fits it.
            let updated = try await client.status(
                .put, "/api/v1/catalog/entries/\(entryID)", token: city.provider,
                input: CatalogAPITests.entry(extraItems: [CatalogAPITests.phoneItem]))
            #expect(updated == .ok)
            let (outdated, outdatedBody) = try await client.failure(
                .post, rollbackURI, token: city.provider, input: Self.rollbackTo(1))
            #expect(
                outdated == .conflict
                    && (outdatedBody.code, outdatedBody.fields) == ("pool_version_outdated", ["version"]))
        }
    }
}
