import Foundation
import HTTPTypes
import HuitongCore
import HuitongStore
import HuitongTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import HuitongServer
@testable import HuitongServices

/// Ranges on a bulk extract: the engine compares dates and numbers in their types, and only over items the grant
/// serves unmasked.
@Suite("Gateway ranges")
struct GatewayRangeTests {
    static let terms = GrantTerms(
        items: ["sfzhm", "xm", "xzqhdm", "csrq"], dailyQuota: 100, rowFilter: .consumerRegion,
        masking: ["xzqhdm": MaskingRule.none, "csrq": MaskingRule.none])

    /// The caller of `GatewayAPITests` with its pool loaded again in typed columns (出生日期 as a date).
    static func typedCaller(_ node: TestNode, _ client: any TestClientProtocol) async throws -> GatewayAPITests.Caller {
        let caller = try await GatewayAPITests.caller(node, client)
        let entry = caller.world.conditional
        let columns = ["sfzhm", "xm", "zjxy", "xzqhdm", "csrq"]
        let version = try await node.store.pools.beginVersion(
            entryID: entry.id, columns: columns, types: ColumnType.of(entry.content.items), keyColumns: ["sfzhm"],
            copyingActive: false)
        try await node.store.pools.insert(GatewayAPITests.rows, into: version, replacingKeys: false)
        #expect(try await node.store.pools.activate(version, keep: 2).type(of: "csrq") == .date)
        return caller
    }

    static func extract(_ client: any TestClientProtocol, _ caller: GatewayAPITests.Caller, _ query: String)
        async throws -> (HTTPResponse.Status, String)
    {
        try await client.execute(
            uri: "\(caller.path)/extract?format=csv&\(query)", method: .get,
            headers: [.authorization: "Bearer \(caller.bearer)"]
        ) { response in (response.status, String(buffer: response.body)) }
    }

    @Test(
        "a date range narrows an extract in the engine; a masked, ungranted, text or malformed range is refused by name",
        arguments: TestBackend.available)
    func dateRanges(_ backend: TestBackend) async throws {
        // Each call a second after the last, so that the grant's per-second rate never refuses one.
        let clock = ManualClock()
        var configuration = ServerConfiguration.uncachedGateway
        configuration.gatewayClock = {
            clock.advance(.seconds(1))
            return clock.now
        }
        try await TestNode.run(backend, configuration: configuration) { node, client in
            let caller = try await Self.typedCaller(node, client)
            _ = try await GatewayAPITests.grant(
                client, caller, items: ["sfzhm", "xm", "xzqhdm", "csrq"], channel: .bulkExtract, terms: Self.terms)

            func servedBirthDates(_ query: String) async throws -> [String] {
                let (status, text) = try await Self.extract(client, caller, query)
                #expect(status == .ok, "\(query): \(text)")
                return text.split(separator: "\r\n").dropFirst().map { String($0.split(separator: ",")[3]) }
            }
            #expect(try await servedBirthDates("") == ["1990-01-01", "1992-02-02"])
            #expect(try await servedBirthDates("csrq.from=1991-01-01") == ["1992-02-02"])
            #expect(try await servedBirthDates("csrq.to=1991/12/31") == ["1990-01-01"], "bounds are read like cells")
            #expect(try await servedBirthDates("csrq.from=1993-01-01").isEmpty)
            #expect(
                try await servedBirthDates("csrq.from=1990-01-01&csrq.to=1992-02-02") == ["1990-01-01", "1992-02-02"])

            for (query, code, mentions) in [
                ("csrq.from=19910231", "bad_range", "csrq.from"),
                ("csrq.from=1990-01-01&csrq.from=1991-01-01", "bad_range", "twice"),
                ("sfzhm.from=3", "bad_range", "unmasked"),
                ("xzqhdm.from=341500", "bad_range", "numbers and dates"),
                ("zjxy.from=1", "bad_range", "unmasked"),
                ("nope.to=1", "unknown_parameter", "nope.to"),
            ] {
                let (status, text) = try await Self.extract(client, caller, query)
                #expect(status == .badRequest, "\(query)")
                #expect(text.contains("\"\(code)\"") && text.contains(mentions), "\(query): \(text)")
            }
            let refused = try await auditLog(client, node).filter {
                $0.action == "gateway.extract" && $0.outcome == "denied"
            }
            #expect(refused.count == 6, "every refusal is on the audit log")
        }
    }

    @Test("a range over a column a pool still stores as text is refused until its next whole load")
    func textColumnsRefuseRanges() async throws {
        try await TestNode.run(.sqlite, configuration: .uncachedGateway) { node, client in
            let caller = try await GatewayAPITests.caller(node, client)
            _ = try await GatewayAPITests.grant(
                client, caller, items: ["sfzhm", "xm", "xzqhdm", "csrq"], channel: .bulkExtract, terms: Self.terms)
            let (status, text) = try await Self.extract(client, caller, "csrq.from=1991-01-01")
            #expect(status == .conflict && text.contains("stored as text"), "\(text)")
        }
    }
}

@Suite("Typed values in JSON")
struct TypedJSONValueTests {
    @Test(
        "numbers and booleans go out as JSON numbers and booleans with their exact digits; dates and masked values as strings"
    )
    func typedValues() throws {
        let record: JSONValue = .object([
            JSONMember("nl", .value("34", as: .integer)),
            JSONMember("je", .value("1234567890.123456789", as: .decimal)),
            JSONMember("sfyx", .value("false", as: .boolean)), JSONMember("rq", .value("2024-01-31", as: .date)),
            JSONMember("sr", .value("1***", as: .decimal)), JSONMember("kong", .value(nil, as: .integer)),
        ])
        #expect(
            record.serialized
                == #"{"nl":34,"je":1234567890.123456789,"sfyx":false,"rq":"2024-01-31","sr":"1***","kong":null}"#)

        struct Row: Encodable { var cells: [TypedCell] }
        let encoder = JSONEncoder()
        let data = try encoder.encode(
            Row(cells: [
                TypedCell("34", as: .integer), TypedCell("12.5", as: .decimal), TypedCell("true", as: .boolean),
                TypedCell("3***", as: .integer), TypedCell(nil, as: .decimal), TypedCell("07", as: .text),
            ]))
        #expect(String(decoding: data, as: UTF8.self) == #"{"cells":[34,12.5,true,"3***",null,"07"]}"#)
    }
}
