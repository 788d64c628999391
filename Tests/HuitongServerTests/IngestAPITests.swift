import Foundation
import HTTPTypes
import HuitongCore
import HuitongStore
import HuitongTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// Uploading department data through the API and following the job.
@Suite("Ingest API")
struct IngestAPITests {
    @Test(
        "an uploaded CSV loads in the background; the job shows progress and the masked error report",
        arguments: TestBackend.available)
    func upload(_ backend: TestBackend) async throws {
        try await TestNode.run(backend) { node, client in
            let city = try await CatalogAPITests.city(node)
            let (_, created, _) = try await client.json(
                .post, "/api/v1/catalog/entries", token: city.provider, body: CatalogAPITests.entryJSON())
            let entryID = created["id"] as! Int
            let csv = "sfzhm,xm\n11010519491231002X,张三\n110105195001010019,李四\n110105195001010012,王五\n"
            func send(_ uri: String, _ token: String, _ body: String) async throws -> (
                HTTPResponse.Status, [String: Any]
            ) {
                try await client.execute(
                    uri: uri, method: .post, headers: [.authorization: "Bearer \(token)"],
                    body: ByteBuffer(string: body)
                ) { response in
                    let object =
                        (try? JSONSerialization.jsonObject(with: Data(buffer: response.body))) as? [String: Any] ?? [:]
                    return (response.status, object)
                }
            }
            let uri = "/api/v1/catalog/entries/\(entryID)/uploads?fileName=rk.csv&mode=replace"
            #expect(
                try await send(uri, city.otherProvider, csv).0 == .notFound, "other departments cannot load into it")
            #expect(try await send(uri, city.consumer, csv).0 == .forbidden, "consumers do not load data")
            let (bad, badBody) = try await send(
                "/api/v1/catalog/entries/\(entryID)/uploads?fileName=rk.pdf&mode=merge", city.provider, csv)
            #expect(bad == .badRequest && Set(apiError(badBody).fields) == ["mode", "fileName"])

            let (status, accepted) = try await send(uri + "", city.provider, csv)
            #expect(status == .accepted)
            let jobID = try #require((accepted["job"] as? [String: Any])?["id"] as? Int)
            var job: [String: Any] = [:]
            for _ in 0..<100 {
                let (_, body, _) = try await client.json(.get, "/api/v1/ingest/jobs/\(jobID)", token: city.provider)
                job = body
                if (body["job"] as? [String: Any])?["status"] as? String != "running" { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            let state = try #require(job["job"] as? [String: Any])
            // One row of three is rejected (33 %), above the default 5 % threshold: nothing is published.
            #expect(state["status"] as? String == "failed")
            #expect(state["rowsRejected"] as? Int == 1)
            #expect(job["percent"] as? Int == 100)
            let report = try await client.execute(
                uri: "/api/v1/ingest/jobs/\(jobID)/errors", method: .get,
                headers: [.authorization: "Bearer \(city.provider)"]
            ) { String(buffer: $0.body) }
            #expect(report.contains("1***************19"), "\(report)")
            #expect(!report.contains("110105195001010019"), "the rejected ID number never appears in full")
            #expect(try await node.store.pools.active(entryID: Int64(entryID)) == nil)
            let (_, list, _) = try await client.json(
                .get, "/api/v1/catalog/entries/\(entryID)/jobs", token: city.provider)
            #expect((list["items"] as? [Any])?.count == 1)
        }
    }
}
