import Foundation
import HuitongCore
import HuitongServer
import HuitongStore
import HuitongTestSupport
import HummingbirdTesting
import Testing

@testable import HuitongServices

/// The loop between objections and quality (issue 7): data users say is wrong scores lower until its provider
/// answers, and a correction is checked like any new version of the pool.
@Suite("Objections and quality scores")
struct ObjectionQualityLoopTests {
    @Test(
        "raise → the entry's score drops → correct → a run checks the corrected version → the score is restored",
        arguments: TestBackend.available)
    func scoreRestored(_ backend: TestBackend) async throws {
        try await TestNode.run(backend) { node, client in
            let caller = try await GatewayAPITests.caller(node, client)
            let world = caller.world
            let entryID = world.conditional.id
            let reportURI = "/api/v1/catalog/entries/\(entryID)/quality/report"
            func score() async throws -> Double? {
                let (status, report, _) = try await client.json(.get, reportURI, token: world.providerToken)
                #expect(status == .ok, "\(report)")
                return report["score"] as? Double
            }

            let first = try await QualityAPITests.runNow(client, entryID: entryID, token: world.providerToken)
            #expect(first["status"] as? String == "succeeded", "\(first)")
            let original = try #require(try await score())

            let raised = try await ObjectionsAPITests.raise(client, world)
            let id = try #require(raised["id"] as? Int)
            let penalty = ObjectionSettings().penaltyPerObjection
            #expect(try await score() == max(0, original - penalty), "an open objection costs the entry points")
            let (_, ranking, _) = try await client.json(.get, "/api/v1/quality/ranking", token: node.operatorToken)
            let provider = (ranking["items"] as? [[String: Any]])?.first {
                $0["departmentID"] as? Int == Int(world.provider.id)
            }
            #expect(provider?["score"] as? Double == max(0, original - penalty), "the ranking counts it too")

            let (status, answer, _) = try await client.json(
                .post, "/api/v1/objections/\(id)/answer", token: world.providerToken,
                body: #"{"kind": "correct", "comment": "已核实", "values": {"xzqhdm": "341502"}}"#)
            #expect(status == .ok && answer["state"] as? String == "corrected", "\(answer)")

            // The correction's version gets a run of its own, started by the correction.
            var checked: [String: Any]?
            for _ in 0..<400 {
                let (_, runs, _) = try await client.json(
                    .get, "/api/v1/catalog/entries/\(entryID)/quality/runs", token: world.providerToken)
                checked = (runs["items"] as? [[String: Any]])?.first {
                    $0["trigger"] as? String == "correction" && $0["status"] as? String != "running"
                }
                if checked != nil { break }
                try await Task.sleep(for: .milliseconds(25))
            }
            let run = try #require(checked, "a correction starts a quality run")
            #expect(run["status"] as? String == "succeeded" && run["poolVersion"] as? Int == 2, "\(run)")
            #expect(try await score() == original, "answered and corrected: the score is whole again")
        }
    }
}
