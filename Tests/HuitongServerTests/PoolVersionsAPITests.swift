import Foundation
import HTTPTypes
import HuitongCore
import HuitongStore
import HuitongTestSupport
import Hummingbird
import HummingbirdTesting
import Testing

@testable import HuitongServices

/// The versions of an entry's resource pool, and rolling back to a kept one.
@Suite("Pool versions API")
struct PoolVersionsAPITests {
    /// Uploads `csv` and waits for its load to end; returns the job.
    static func load(
        _ client: some TestClientProtocol, entryID: Int, _ csv: String, token: String
    ) async throws -> [String: Any] {
        let (status, accepted) = try await IngestAPITests.post(
            client, "/api/v1/catalog/entries/\(entryID)/uploads?fileName=rk.csv", token: token, contentType: nil,
            body: csv)
        #expect(status == .accepted, "\(accepted)")
        let id = try #require((accepted["job"] as? [String: Any])?["id"] as? Int)
        return try await IngestAPITests.finished(client, job: id, token: token)
    }

    @Test(
        "versions list status, rows and times; a rollback switches back and updates the entry",
        arguments: TestBackend.available)
    func rollback(_ backend: TestBackend) async throws {
        try await TestNode.run(backend) { node, client in
            let city = try await CatalogAPITests.city(node)
            let (_, created, _) = try await client.json(
                .post, "/api/v1/catalog/entries", token: city.provider, body: CatalogAPITests.entryJSON())
            let entryID = created["id"] as! Int
            let first = try await Self.load(client, entryID: entryID, IngestAPITests.validRows, token: city.provider)
            #expect(first["status"] as? String == "succeeded")
            let second = try await Self.load(
                client, entryID: entryID, "sfzhm,xm\n11010519491231002X,张三丰\n", token: city.provider)
            #expect(second["status"] as? String == "succeeded")

            let versionsURI = "/api/v1/catalog/entries/\(entryID)/pool/versions"
            let rollbackURI = "/api/v1/catalog/entries/\(entryID)/pool/rollback"
            let (listed, list, _) = try await client.json(.get, versionsURI, token: city.provider)
            #expect(listed == .ok)
            let items = try #require(list["items"] as? [[String: Any]])
            #expect(items.map { $0["version"] as? Int } == [2, 1], "newest first")
            #expect(items.map { $0["status"] as? String } == ["active", "retired"])
            #expect(items.map { $0["rowCount"] as? Int } == [1, 2])
            #expect(items.map { $0["jobID"] as? Int } == [second["id"] as? Int, first["id"] as? Int])
            #expect(items.allSatisfy { $0["createdAt"] is String && $0["activatedAt"] is String })

            // Only the providing department (or an operator) sees or switches the pool.
            #expect(try await client.json(.get, versionsURI, token: city.otherProvider).0 == .notFound)
            #expect(
                try await client.json(.post, rollbackURI, token: city.otherProvider, body: #"{"version": 1}"#).0
                    == .notFound)
            #expect(
                try await client.json(.post, rollbackURI, token: city.consumer, body: #"{"version": 1}"#).0
                    == .forbidden)

            let (status, body, _) = try await client.json(
                .post, rollbackURI, token: city.provider, body: #"{"version": 1}"#)
            #expect(status == .ok, "\(body)")
            let version = try #require(body["version"] as? [String: Any])
            #expect(version["version"] as? Int == 1 && version["status"] as? String == "active")
            let entry = try #require(body["entry"] as? [String: Any])
            #expect(entry["recordCount"] as? Int == 2)
            #expect((entry["mount"] as? [String: Any])?["locator"] as? String == "pool_e\(entryID)_v1")
            let stored = try #require(try await node.store.catalog.find(id: Int64(entryID)))
            #expect(stored.recordCount == 2 && stored.mount?.locator == "pool_e\(entryID)_v1")
            #expect(try await node.store.pools.rows(entryID: Int64(entryID), key: ["110105195001010012"]).count == 1)
            let (_, after, _) = try await client.json(.get, versionsURI, token: city.provider)
            #expect(
                (after["items"] as? [[String: Any]])?.map { $0["status"] as? String } == ["retired", "active"])

            // Refusals, each naming what is wrong.
            let (active, activeBody, _) = try await client.json(
                .post, rollbackURI, token: city.provider, body: #"{"version": 1}"#)
            #expect(active == .conflict && apiError(activeBody) == ("pool_version_active", ["version"]))
            let (unknown, unknownBody, _) = try await client.json(
                .post, rollbackURI, token: city.provider, body: #"{"version": 9}"#)
            #expect(unknown == .notFound && apiError(unknownBody) == ("pool_version_not_found", ["version"]))
            #expect(
                ((unknownBody["error"] as? [String: Any])?["message"] as? String)?.contains("1, 2") == true,
                "the message lists the versions kept")
            for bad in [#"{"version": "one"}"#, #"{}"#, #"{"version": 0}"#] {
                let (status, body, _) = try await client.json(.post, rollbackURI, token: city.provider, body: bad)
                #expect(status == .badRequest && apiError(body).fields == ["version"], "\(bad): \(body)")
            }

            // While a load into the entry runs (here on another node), the pool is not switched under it.
            let running = try await node.store.ingestJobs.create(
                entryID: Int64(entryID), mode: .replace, fileName: "big.csv", contentHash: "x", totalBytes: 1,
                userID: nil, runner: "another-host|boot|4242")
            let (busy, busyBody, _) = try await client.json(
                .post, rollbackURI, token: city.provider, body: #"{"version": 2}"#)
            #expect(busy == .conflict && apiError(busyBody).code == "load_in_progress")
            _ = try await node.store.ingestJobs.finish(id: running.id, status: .failed, message: "", poolVersion: nil)
            let building = try await node.store.pools.beginVersion(
                entryID: Int64(entryID), columns: ["sfzhm", "xm"], keyColumns: ["sfzhm"], copyingActive: false)
            let (built, builtBody, _) = try await client.json(
                .post, rollbackURI, token: city.provider, body: "{\"version\": \(building.version)}")
            #expect(built == .conflict && apiError(builtBody) == ("pool_version_building", ["version"]))
            try await node.store.pools.abandon(building)

            // An operator may roll back too.
            let (byOperator, _, _) = try await client.json(
                .post, rollbackURI, token: node.operatorToken, body: #"{"version": 2}"#)
            #expect(byOperator == .ok)
            #expect(try await node.store.catalog.find(id: Int64(entryID))?.recordCount == 1)

            // Once the entry's items change, the older version no longer fits it.
            let (updated, _, _) = try await client.json(
                .put, "/api/v1/catalog/entries/\(entryID)", token: city.provider,
                body: CatalogAPITests.entryJSON(
                    extraItem: #", {"name": "手机号码", "columnName": "sjhm", "dataType": "C", "length": 11}"#))
            #expect(updated == .ok)
            let (outdated, outdatedBody, _) = try await client.json(
                .post, rollbackURI, token: city.provider, body: #"{"version": 1}"#)
            #expect(outdated == .conflict && apiError(outdatedBody) == ("pool_version_outdated", ["version"]))
        }
    }
}
