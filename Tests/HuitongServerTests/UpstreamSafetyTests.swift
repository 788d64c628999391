import Foundation
import HTTPTypes
import HuitongCore
import HuitongStore
import HuitongTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Synchronization
import Testing

@testable import HuitongServer
@testable import HuitongServices

#if canImport(Glibc)
    import Glibc
#endif

/// The gateway must not become a way into the node's own network (issue 16, finding 2): a mounted API may only
/// name public addresses or what the operator allowed, checked when mounted and again once resolved on each call;
/// redirects are not followed; a refused port and a silent one answer alike.
@Suite("Upstream safety")
struct UpstreamSafetyTests {
    static let keys = "sfzhm=34150219900101123X"

    @Test("a mount naming a local, private, link-local, multicast or oddly spelt address is refused field by field")
    func mountRefusals() async throws {
        try await TestNode.run { node, client in
            let world = try await SharingAPITests.world(node)
            let path = "/api/v1/catalog/entries/\(world.conditional.id)/mount"
            let notPublic = [
                "http://127.0.0.1:8080/api", "http://127.9.9.9/api", "http://169.254.169.254/latest/meta-data",
                "http://10.1.2.3/api", "http://172.16.5.4/api", "http://192.168.1.10/api", "http://0.0.0.0:22/",
                "http://224.0.0.1/", "http://[::1]/api", "http://[fe80::1]/api", "http://[fd00::5]/api",
                "http://[::]/", "http://[ff02::1]/", "http://[::ffff:127.0.0.1]/api", "http://[::ffff:a9fe:a9fe]/",
            ]
            let oddlySpelt = [
                "http://2130706433/api", "http://0x7f.1/api", "http://0177.0.0.1/api", "http://127.1/api",
                "https://0xA9FEA9FE/latest", "http://3232235777/",
            ]
            for locator in notPublic + oddlySpelt {
                let (status, body) = try await client.failure(
                    .put, path, token: world.providerToken, input: CatalogAPI.MountInput(kind: .api, locator: locator))
                #expect(status == .badRequest && body.fields == ["locator"], "\(locator)")
                let message = body.error.details.first?.message ?? ""
                #expect(message.contains(oddlySpelt.contains(locator) ? "十进制" : "白名单"), "\(locator): \(message)")
            }
            for accepted in ["https://gaj.example/api", "http://203.0.114.8/api", "http://[2400:3200::1]/api"] {
                let status = try await client.status(
                    .put, path, token: world.providerToken, input: CatalogAPI.MountInput(kind: .api, locator: accepted))
                #expect(status == .ok, "\(accepted)")
            }
        }
    }

    @Test("the operator's allow-list admits a 前置机's network; only the operator changes it, and each change is audited")
    func allowList() async throws {
        try await TestNode.run { node, client in
            let world = try await SharingAPITests.world(node)
            let path = "/api/v1/catalog/entries/\(world.conditional.id)/mount"
            let mount = CatalogAPI.MountInput(kind: .api, locator: "http://10.20.3.4:8080/rkxx")
            #expect(try await client.status(.put, path, token: world.providerToken, input: mount) == .badRequest)
            let list = "/api/v1/gateway/upstream-allowlist"
            let (empty, emptyBody) = try await client.send(
                .get, list, token: node.operatorToken, as: UpstreamAllowListAPI.Body.self)
            #expect(empty == .ok && emptyBody.entries == [])
            #expect(try await client.status(.get, list, token: world.providerToken) == .forbidden)
            #expect(
                try await client.status(
                    .put, list, token: world.providerToken, input: UpstreamAllowListAPI.Input(entries: ["10.0.0.0/8"]))
                    == .forbidden)
            let (bad, badBody) = try await client.failure(
                .put, list, token: node.operatorToken, input: UpstreamAllowListAPI.Input(entries: ["10.20.0.0/33"]))
            #expect(bad == .badRequest && badBody.fields == ["entries"])
            let (saved, savedBody) = try await client.send(
                .put, list, token: node.operatorToken,
                input: UpstreamAllowListAPI.Input(entries: ["10.20.0.0/16", "QZJ.gaj.example"]),
                as: UpstreamAllowListAPI.Body.self)
            #expect(saved == .ok && savedBody.entries == ["10.20.0.0/16", "qzj.gaj.example"])
            #expect(try await client.status(.put, path, token: world.providerToken, input: mount) == .ok)
            let (_, audit) = try await client.send(
                .get, "/api/v1/audit/entries?limit=20", token: node.operatorToken, as: AuditAPI.EntriesBody.self)
            let change = audit.items.first { $0.action == "gateway.upstream_allowlist" }
            #expect(change?.detail?["after"] == "10.20.0.0/16 qzj.gaj.example")
        }
    }

    @Test("an allow-listed loopback upstream answers; a name resolving to loopback is refused on the call; no redirect")
    func callTime() async throws {
        let hits = Mutex<[String]>([])
        let upstream = Router()
        upstream.get("people") { _, _ -> Response in
            hits.withLock { $0.append("people") }
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: ResponseBody(
                    byteBuffer: ByteBuffer(
                        string: #"[{"sfzhm":"34150219900101123X","xm":"张三丰","xzqhdm":"341502","csrq":"1990-01-01"}]"#
                    )))
        }
        upstream.get("elsewhere") { request, _ -> Response in
            // To the same server under another name.
            let port = request.head.authority?.split(separator: ":").last ?? ""
            return Response(status: .found, headers: [.location: "http://localhost:\(port)/people"])
        }
        let upstreamApp = Application(router: upstream, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await upstreamApp.test(.live) { upstreamClient in
            let port = try #require(upstreamClient.port)
            try await TestNode.run(configuration: .uncachedGateway) { node, client in
                let caller = try await GatewayAPITests.caller(node, client)
                let mountPath = "/api/v1/catalog/entries/\(caller.world.conditional.id)/mount"
                let mounted = try await client.status(
                    .put, mountPath, token: caller.world.providerToken,
                    input: CatalogAPI.MountInput(kind: .api, locator: "http://localhost:\(port)/people"))
                #expect(mounted == .ok, "a host name is checked once resolved, on each call")
                _ = try await GatewayAPITests.grant(client, caller, items: ["sfzhm", "xm", "xzqhdm", "csrq"])

                let (refused, refusedBody) = try await client.failure(
                    .get, "\(caller.path)/records?\(Self.keys)", token: caller.bearer)
                #expect(refused == .badGateway && refusedBody.code == "upstream_failed")
                #expect(hits.withLock { $0 }.isEmpty, "nothing was sent to the loopback address")

                try await client.status(
                    .put, "/api/v1/gateway/upstream-allowlist", token: node.operatorToken,
                    input: UpstreamAllowListAPI.Input(entries: ["127.0.0.1/32"]))
                // The literal address: `localhost` may also resolve to ::1, where the test server does not listen.
                try await client.status(
                    .put, mountPath, token: caller.world.providerToken,
                    input: CatalogAPI.MountInput(kind: .api, locator: "http://127.0.0.1:\(port)/people"))
                let (served, servedBody) = try await client.send(
                    .get, "\(caller.path)/records?\(Self.keys)", token: caller.bearer, as: GatewayAPITests.Records.self)
                #expect(served == .ok && servedBody.records.count == 1)
                #expect(hits.withLock { $0 } == ["people"])

                // A redirect is not followed, not even to an allowed address.
                try await client.status(
                    .put, mountPath, token: caller.world.providerToken,
                    input: CatalogAPI.MountInput(kind: .api, locator: "http://127.0.0.1:\(port)/elsewhere"))
                let (redirected, redirectedBody) = try await client.failure(
                    .get, "\(caller.path)/records?\(Self.keys)", token: caller.bearer)
                #expect(redirected == .badGateway && redirectedBody.code == "upstream_failed")
                #expect(hits.withLock { $0 } == ["people"], "the redirect's target was never called")
            }
        }
    }

    @Test("a refused port and a silent port give the caller the same answer")
    func portsLookAlike() async throws {
        var configuration = TestNode.configuration
        configuration.upstreamTimeout = .milliseconds(500)
        let closed = try ListeningSocket(backlogFull: false)
        let closedPort = closed.port
        closed.close()
        let silent = try ListeningSocket(backlogFull: true)
        defer { silent.close() }
        configuration.gatewayCacheLifetime = .zero
        try await TestNode.run(configuration: configuration) { node, client in
            let caller = try await GatewayAPITests.caller(node, client)
            try await client.status(
                .put, "/api/v1/gateway/upstream-allowlist", token: node.operatorToken,
                input: UpstreamAllowListAPI.Input(entries: ["127.0.0.1"]))
            _ = try await GatewayAPITests.grant(client, caller, items: ["sfzhm", "xm", "xzqhdm", "csrq"])
            var answers: [String] = []
            for port in [closedPort, silent.port] {
                _ = try await node.store.catalog.setMount(
                    id: caller.world.conditional.id,
                    MountedResource(kind: .api, locator: "http://127.0.0.1:\(port)/people"),
                    recordCount: nil, dataUpdatedAt: nil, author: ChangeAuthor(userID: nil, name: "测试"))
                let (status, body) = try await client.failure(
                    .get, "\(caller.path)/records?\(Self.keys)", token: caller.bearer)
                answers.append("\(status.code) \(body.code) \(body.error.message)")
            }
            #expect(answers[0].hasPrefix("502 upstream_failed"))
            #expect(answers[0] == answers[1])
        }
    }

    @Test("a refused connection is answered only once the timeout has run out, as a silent one would be")
    func refusedWaitsOutTheTimeout() async throws {
        let closed = try ListeningSocket(backlogFull: false)
        let port = closed.port
        closed.close()
        let waited = Mutex<[Duration]>([])
        let start = ContinuousClock.now
        let client = UpstreamClient(
            timeout: .seconds(7), maximumBytes: 1024, allowList: { try UpstreamAllowList.parse(["127.0.0.1"]) },
            now: { start }, waitUntil: { deadline in waited.withLock { $0.append(deadline - start) } })
        await #expect(throws: GatewayError.self) {
            _ = try await client.records(locator: "http://127.0.0.1:\(port)/x", parameters: [])
        }
        #expect(waited.withLock { $0 } == [.seconds(7)])
        // A refused address is answered at once: there is nothing to time.
        let strict = UpstreamClient(
            timeout: .seconds(7), maximumBytes: 1024, allowList: { UpstreamAllowList() },
            now: { start }, waitUntil: { deadline in waited.withLock { $0.append(deadline - start) } })
        await #expect(throws: GatewayError.self) {
            _ = try await strict.records(locator: "http://127.0.0.1:\(port)/x", parameters: [])
        }
        #expect(waited.withLock { $0 }.count == 1)
    }
}

/// A TCP socket listening on 127.0.0.1. With `backlogFull`, its one-place queue is taken by a connection nobody
/// accepts, so that further connection attempts get no answer at all: a filtered port, on loopback.
final class ListeningSocket: @unchecked Sendable {
    let port: Int
    private var descriptors: [Int32] = []

    init(backlogFull: Bool) throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { throw POSIXError(.EIO) }
        descriptors.append(listener)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) }
        }
        guard bound == 0, listen(listener, 0) == 0 else { throw POSIXError(.EADDRINUSE) }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        if backlogFull {
            let filler = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            descriptors.append(filler)
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(filler, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
        }
    }

    func close() {
        for descriptor in descriptors { _ = Glibc.close(descriptor) }
        descriptors = []
    }
}
