import Foundation
import HuitongCore
import HuitongStore
import HuitongTestSupport
import HummingbirdTesting
import Testing

@testable import HuitongServer
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
                let (status, report) = try await client.send(
                    .get, reportURI, token: world.providerToken, as: QualityAPI.EntryReportBody.self)
                #expect(status == .ok, "\(report)")
                return report.score
            }

            let first = try await QualityAPITests.runNow(client, entryID: entryID, token: world.providerToken)
            #expect(first?.status.rawValue == "succeeded", "\(String(describing: first))")
            let original = try #require(try await score())

            let raised = try await ObjectionsAPITests.raise(client, world)
            let id = raised.objection.id
            let penalty = ObjectionSettings().penaltyPerObjection
            #expect(try await score() == max(0, original - penalty), "an open objection costs the entry points")
            let (_, ranking) = try await client.send(
                .get, "/api/v1/quality/ranking", token: node.operatorToken,
                as: QualityAPI.ListBody<QualityUseCases.DepartmentScore>.self)
            let provider = ranking.items.first { $0.departmentID == world.provider.id }
            #expect(provider?.score == max(0, original - penalty), "the ranking counts it too")

            let (status, answer) = try await client.send(
                .post, "/api/v1/objections/\(id)/answer", token: world.providerToken,
                input: ObjectionsAPITests.answer(.correct, comment: "已核实", values: ["xzqhdm": "341502"]),
                as: ObjectionsAPI.ObjectionBody.self)
            #expect(status == .ok && answer.objection.state == .corrected, "\(answer)")

            // The correction's version gets a run of its own, started by the correction.
            var checked: QualityAPI.RunBody?
            for _ in 0..<400 {
                let (_, runs) = try await client.send(
                    .get, "/api/v1/catalog/entries/\(entryID)/quality/runs", token: world.providerToken,
                    as: QualityAPI.ListBody<QualityAPI.RunBody>.self)
                checked = runs.items.first {
                    $0.trigger.rawValue == "correction" && $0.status.rawValue != "running"
                }
                if checked != nil { break }
                try await Task.sleep(for: .milliseconds(25))
            }
            let run = try #require(checked, "a correction starts a quality run")
            #expect(run.status.rawValue == "succeeded" && run.poolVersion == 2, "\(run)")
            #expect(try await score() == original, "answered and corrected: the score is whole again")
        }
    }
}
