import Foundation
import HTTPTypes
import HuitongCore
import HuitongStore
import HuitongTestSupport
import NIOCore
import NIOHTTP1
import NIOPosix
import Testing

@testable import HuitongServer
@testable import HuitongServices

/// An HTTP JSON source: a small server of the test's own pages through 10,000 records, with one page failing once.
@Suite("Collection from an HTTP API")
struct CollectionHTTPTests {
    @Test(
        "an API is paged through whole, a failing page asked again; its key is sealed and never answered; a wrong key is a clear error",
        arguments: TestBackend.available)
    func httpSource(_ backend: TestBackend) async throws {
        let api = try await RecordsServer.start(
            key: "api-key-\(UUID().uuidString.prefix(8))",
            records: (1...10_000).map {
                ["code": "H\(String(format: "%05d", $0))", "contact": "联系人\($0)", "note": "第\($0)条"]
            })
        do {
            try await CollectionAPITests.run(backend) { node, client, _ in
                let city = try await CatalogAPITests.city(node)
                let entryID = try await CollectionAPITests.entry(client, city)
                try await CollectionAPITests.allowLoopback(client, node)
                let options = HTTPSourceOptions(
                    recordsPath: "data.items", paging: .page, pageSize: 500, authHeader: "X-API-Key")
                var input = CollectionAPITests.Input(
                    entryID: entryID, name: "企业接口", kind: "httpJSON",
                    location: "http://127.0.0.1:\(api.port)/records",
                    columnMapping: ["code": "bh", "contact": "xm", "note": "bz"],
                    http: options, secret: "wrong-key")
                var responses: [String] = []

                let (wrongStatus, wrongBody) = try await client.send(
                    .post, "/api/v1/collection-sources/test", token: city.provider, input: input, as: ErrorBody.self)
                #expect(wrongStatus == .unprocessableContent && wrongBody.code == "source_authentication_failed")
                var closed = input
                closed.location = "http://127.0.0.1:1/records"
                // The client keeps trying to connect until a request's time is up, and asks a page three times.
                closed.http?.timeoutSeconds = 1
                let (closedStatus, closedBody) = try await client.send(
                    .post, "/api/v1/collection-sources/test", token: city.provider, input: closed, as: ErrorBody.self)
                #expect(closedStatus == .unprocessableContent && closedBody.code == "source_unreachable")

                input.secret = api.key
                let (testStatus, testText, _) = try await client.exchange(
                    .post, "/api/v1/collection-sources/test", token: city.provider, input: input, headers: [:])
                #expect(testStatus == .ok, "\(testText)")
                responses.append(testText)
                let tested = try WireJSON.read(SourceTestResult.self, testText)
                #expect(tested.columns == ["code", "contact", "note"] && tested.sample.count == 5)

                let (created, createdText, _) = try await client.exchange(
                    .post, "/api/v1/collection-sources", token: city.provider, input: input, headers: [:])
                #expect(created == .created, "\(createdText)")
                responses.append(createdText)
                let source = try WireJSON.read(CollectionAPITests.SourceBody.self, createdText)
                #expect(source.hasPassword && source.http?.authHeader == "X-API-Key")

                api.failOnce(page: 3)
                let first = try await CollectionAPITests.collect(client, source: source.id, token: city.provider)
                #expect(first.status == .succeeded && first.rowsAccepted == 10_000, "\(first)")
                #expect(api.requests(page: 3) == 2, "the failing page was asked again")
                #expect(try await CollectionAPITests.pool(node, entryID) == api.expected())

                // The API's data changes: the next run syncs the pool to it.
                api.change { records in
                    records.removeLast(7)
                    records[0]["note"] = "已变更"
                    records.append(["code": "H20001", "contact": "新人", "note": "新增"])
                }
                let second = try await CollectionAPITests.collect(client, source: source.id, token: city.provider)
                #expect(second.status == .succeeded && second.rowsRead == 9_994, "\(second)")
                #expect(try await CollectionAPITests.pool(node, entryID) == api.expected())

                for uri in ["/api/v1/collection-sources/\(source.id)", "/api/v1/collection-sources"] {
                    responses.append(
                        try await client.exchange(.get, uri, token: city.provider, input: NoInput?.none, headers: [:]).1
                    )
                }
                for text in responses {
                    #expect(!text.contains(api.key), "the key never comes back: \(text.prefix(200))")
                }
            }
            try await api.stop()
        } catch {
            try? await api.stop()
            throw error
        }
    }
}

/// A JSON API of records in pages (`?page=&pageSize=`, answers `{"data": {"items": […]}}`) behind an `X-API-Key`.
final class RecordsServer: @unchecked Sendable {
    let key: String
    private let lock = NSLock()
    private var records: [[String: String]]
    private var failing: Set<Int> = []
    private var counts: [Int: Int] = [:]
    private var channel: (any Channel)?

    init(key: String, records: [[String: String]]) {
        self.key = key
        self.records = records
    }

    var port: Int { channel?.localAddress?.port ?? 0 }

    static func start(key: String, records: [[String: String]]) async throws -> RecordsServer {
        let server = RecordsServer(key: key, records: records)
        server.channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(Handler(server: server))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return server
    }

    func stop() async throws { try await channel?.close() }

    func failOnce(page: Int) { lock.withLock { _ = failing.insert(page) } }
    func requests(page: Int) -> Int { lock.withLock { counts[page] ?? 0 } }
    func change(_ body: (inout [[String: String]]) -> Void) { lock.withLock { body(&records) } }

    /// The records as the pool should hold them.
    func expected() -> [[String]] {
        lock.withLock { records.map { [$0["code"] ?? "", $0["contact"] ?? "", $0["note"] ?? ""] } }
            .sorted { $0[0] < $1[0] }
    }

    /// The status and body for a request.
    func answer(uri: String, key: String?) -> (HTTPResponseStatus, String) {
        guard key == self.key else { return (.unauthorized, #"{"error":"bad key"}"#) }
        let query = URLComponents(string: uri)?.queryItems ?? []
        let page = query.first { $0.name == "page" }.flatMap { Int($0.value ?? "") } ?? 1
        let size = query.first { $0.name == "pageSize" }.flatMap { Int($0.value ?? "") } ?? 100
        return lock.withLock {
            counts[page, default: 0] += 1
            if failing.remove(page) != nil { return (.serviceUnavailable, "{}") }
            let slice = records.dropFirst((page - 1) * size).prefix(size)
            let items = try! JSONSerialization.data(withJSONObject: Array(slice))
            return (.ok, #"{"data":{"items":"# + String(decoding: items, as: UTF8.self) + "}}")
        }
    }

    final class Handler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let server: RecordsServer
        private var head: HTTPRequestHead?

        init(server: RecordsServer) { self.server = server }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let request): head = request
            case .body: break
            case .end:
                guard let head else { return }
                let (status, text) = server.answer(uri: head.uri, key: head.headers.first(name: "X-API-Key"))
                var buffer = context.channel.allocator.buffer(capacity: text.utf8.count)
                buffer.writeString(text)
                var headers = HTTPHeaders()
                headers.add(name: "Content-Type", value: "application/json")
                headers.add(name: "Content-Length", value: String(buffer.readableBytes))
                context.write(
                    wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))),
                    promise: nil)
                context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            }
        }
    }
}
