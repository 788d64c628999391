import Foundation
import HuitongCore
import HuitongServer
import HuitongStore
import HuitongTestSupport
import HummingbirdTesting
import Testing

@testable import HuitongServices

/// Grants that run out: the gateway refuses them by date on its own; the sweep puts each expiry on the audit log
/// once, so a grant's whole life can be answered from the log.
@Suite("Grant expiry on the audit log")
struct GrantExpiryTests {
    @Test(
        "an expired grant is put on the audit log once; a live one is not", arguments: TestBackend.available)
    func expiryRecorded(_ backend: TestBackend) async throws {
        try await TestNode.run(backend) { node, client in
            let caller = try await GatewayAPITests.caller(node, client)
            let grantID = Int64(
                try await GatewayAPITests.grant(client, caller, items: ["sfzhm", "xm", "xzqhdm", "csrq"]))
            let grant = try #require(try await node.store.grants.find(id: grantID))
            let trail = AuditTrail(repository: node.store.audit, nodeKey: .generate())
            let service = SharingUseCases(store: node.store, settings: TestNode.configuration.sharing, audit: trail.log)
            func expiries() async throws -> [AuditEntry] {
                try await node.store.audit.search(AuditEntryFilter(action: .grantExpired, limit: 50)).compactMap {
                    if case .entry(let entry) = $0 { entry } else { nil }
                }
            }

            #expect(try await service.recordExpiries(at: Date()).isEmpty, "still valid today")
            let lastDay = grant.validTo.startOfDay()
            #expect(
                try await service.recordExpiries(at: lastDay.addingTimeInterval(12 * 3600)).isEmpty, "valid all day")
            let after = lastDay.addingTimeInterval(2 * 86_400)
            #expect(try await service.recordExpiries(at: after).map(\.id) == [grantID])
            #expect(try await service.recordExpiries(at: after).isEmpty, "once")
            let logged = try await expiries()
            #expect(logged.count == 1)
            #expect(logged.first?.event.grantID == grantID && logged.first?.event.resourceCode == grant.resourceCode)
            #expect(logged.first?.event.consumerDepartmentID == grant.consumerDepartmentID)
        }
    }
}
