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

/// What every request meets before its handler: authentication first, 405 for a method a path does not have,
/// `nosniff` on every answer, Secure cookies behind https, `/metrics` off the public port, and a sign-in that a
/// stale session cookie does not undo.
@Suite("Edge hardening")
struct EdgeHardeningTests {
    /// `METHOD /path` of every operation of the contract, and whether it needs a signed-in caller.
    static func contractOperations() throws -> [(method: String, path: String, signedIn: Bool)] {
        let document = try JSONDecoder().decode(JSONValue.self, from: OpenAPIDocument.data)
        let paths = try #require(document["paths"]?.members)
        var operations: [(String, String, Bool)] = []
        for (path, methods) in paths {
            for (method, operation) in try #require(methods.members) {
                let security = operation["security"]?.elements
                operations.append((method.uppercased(), path, security == nil))
            }
        }
        return operations.sorted { "\($0.1) \($0.0)" < "\($1.1) \($1.0)" }
    }

    @Test(
        "every signed-in /api/v1 operation answers 401 to a stranger before anything else, whatever the id or the body",
        arguments: TestBackend.available)
    func authenticateFirst(_ backend: TestBackend) async throws {
        try await TestNode.run(backend) { node, client in
            // Rows that exist, so that existing and missing ids are both tried.
            let store = node.store
            let system = try await store.informationSystems.create(
                departmentID: node.bureau.id, name: "政务服务系统", description: "办件", status: .inUse)
            let negative = try await store.lists.createNegative(
                NegativeListDraft(
                    kind: .notShared, resource: "常住人口登记表信息", items: "宗教信仰", reason: "敏感个人信息",
                    legalBasis: "《中华人民共和国个人信息保护法》第二十八条"), departmentID: node.bureau.id)
            let demand = try await store.lists.createDemand(
                DemandDraft(scenario: "低保审核", requestedData: "户籍信息", purpose: "核验", basis: "《社会救助暂行办法》"),
                departmentID: node.bureau.id)
            let ids = Set(["1", "\(system.id)", "\(negative.id)", "\(demand.id)", "999999999", "0", "abc"])
            // Whatever the body, malformed or of the wrong shape: raw text, sent as written.
            let bodies: [String?] = [nil, "{", "{}", #"{"name": 1, "kind": "x"}"#, "[]"]
            let operations = try Self.contractOperations().filter { $0.path.hasPrefix("/api/v1/") }
            let anonymous = Set(operations.filter { !$0.signedIn }.map { "\($0.method) \($0.path)" })
            #expect(
                anonymous == [
                    "POST /api/v1/auth/login", "GET /api/v1/node", "GET /api/v1/federation/node",
                    "POST /api/v1/public/objections", "GET /api/v1/public/objections/{number}",
                    "GET /api/v1/open/datasets/{reference}/rows", "GET /api/v1/licence-authority",
                    "GET /api/v1/licence-seals", "POST /api/v1/licence-verifications", "GET /api/v1/joint-services",
                    "GET /api/v1/joint-services/{code}",
                ], "the contract's anonymous operations are the ones the node lets strangers use")
            #expect(operations.filter(\.signedIn).count > 100)
            var failures: [String] = []
            for operation in operations where operation.signedIn {
                let method = HTTPRequest.Method(rawValue: operation.method)!
                for id in ids {
                    let path = operation.path.replacingOccurrences(
                        of: #"\{[A-Za-z]+\}"#, with: id, options: .regularExpression)
                    for body in method == .get ? [nil] : bodies {
                        for cookie in [nil, "huitong_session=stale-or-forged"] {
                            var headers: HTTPFields = [:]
                            if let cookie { headers[.cookie] = cookie }
                            let (status, answer, _) = try await client.exchange(
                                method, path, token: nil, raw: body, headers: headers)
                            let code = (try? WireJSON.read(ErrorBody.self, answer))?.code
                            if status != .unauthorized || code != "unauthenticated" {
                                failures.append("\(operation.method) \(path) \(body ?? "-") → \(status.code)")
                            }
                        }
                    }
                }
            }
            #expect(failures.isEmpty, "\(failures.count) answers were not 401: \(failures.prefix(40))")
            // Nothing was changed by any of it.
            #expect(try await store.informationSystems.find(id: system.id) != nil)
            #expect(try await store.lists.findNegative(id: negative.id) != nil)
        }
    }

    @Test("a known path with a method it does not have answers 405 with Allow; an unknown path stays 404")
    func methodNotAllowed() async throws {
        try await TestNode.run { node, client in
            for (method, path, allow) in [
                ("TRACE", "/api/v1/lists/negative/1", "DELETE, GET, PUT"),
                ("TRACE", "/api/v1/lists/responsibility/coverage", "GET"),
                ("PATCH", "/api/v1/holidays/2025", "GET, PUT"),
                ("DELETE", "/api/v1/catalog/entries", "GET, POST"),
                ("TRACE", "/healthz", "GET"),
            ] {
                try await client.execute(
                    uri: path, method: HTTPRequest.Method(rawValue: method)!,
                    headers: [.authorization: "Bearer \(node.operatorToken)"]
                ) { response in
                    #expect(response.status == .methodNotAllowed, "\(method) \(path)")
                    #expect(response.headers[.allow] == allow, "\(method) \(path)")
                }
            }
            let unknown = try await client.status(.get, "/api/v1/nowhere", token: node.operatorToken)
            #expect(unknown == .notFound)
        }
    }

    @Test("every answer says X-Content-Type-Options: nosniff, JSON, errors and pages alike")
    func nosniff() async throws {
        try await TestNode.run { node, client in
            for (path, token) in [
                ("/api/v1/me", node.operatorToken), ("/api/v1/me", nil), ("/api/v1/nowhere", node.operatorToken),
                ("/healthz", nil), ("/api/openapi.json", nil), ("/login", nil),
            ] {
                var headers: HTTPFields = [:]
                if let token { headers[.authorization] = "Bearer \(token)" }
                try await client.execute(uri: path, method: .get, headers: headers) { response in
                    #expect(response.headers[.init("X-Content-Type-Options")!] == "nosniff", "\(path)")
                }
            }
        }
    }

    @Test("/metrics is not served on the public port")
    func metricsNotPublic() async throws {
        try await TestNode.run { _, client in
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(!String(buffer: response.body).contains("hb_requests"))
            }
        }
    }

    /// Signs in by the JSON API with `cookie` sent along; returns the status and the Set-Cookie lines.
    static func signIn(_ client: some TestClientProtocol, node: TestNode, cookie: String?) async throws
        -> (HTTPResponse.Status, [String])
    {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let cookie { headers[.cookie] = cookie }
        return try await client.execute(
            uri: "/api/v1/auth/login", method: .post, headers: headers,
            body: ByteBuffer(string: #"{"username": "admin", "password": "\#(node.operatorPassword)"}"#)
        ) { response in (response.status, response.headers[values: .setCookie]) }
    }

    @Test("a sign-in carrying a stale or unknown session cookie signs in, and the new session works")
    func signInOverStaleCookie() async throws {
        try await TestNode.run { node, client in
            let (status, cookies) = try await Self.signIn(
                client, node: node, cookie: "huitong_session=expired-long-ago")
            #expect(status == .ok)
            let sessions = cookies.filter { $0.hasPrefix("huitong_session=") }
            #expect(sessions.count == 1, "one session cookie, not a new one and then an expiry: \(cookies)")
            let session = try #require(sessions.first?.split(separator: ";").first.map(String.init))
            #expect(session != "huitong_session=")
            let (me, body) = try await client.send(
                .get, "/api/v1/me", headers: [.cookie: session], as: AccountsAPI.MeResponse.self)
            #expect(me == .ok && body.user?.username == "admin")

            // The sign-in page does the same.
            let form = try await client.execute(uri: "/login", method: .get) { response in
                (
                    String(buffer: response.body),
                    response.headers[values: .setCookie].first { $0.hasPrefix("huitong_csrf=") }?.split(separator: ";")
                        .first.map(String.init) ?? ""
                )
            }
            let token = try #require(PagesAndContractTests.hiddenField("_csrf", in: form.0))
            let page = try await client.execute(
                uri: "/login", method: .post,
                headers: [
                    .contentType: "application/x-www-form-urlencoded",
                    .cookie: "\(form.1); huitong_session=expired-long-ago",
                ],
                body: ByteBuffer(string: "username=admin&password=\(node.operatorPassword)&_csrf=\(token)")
            ) { response in response.headers[values: .setCookie].filter { $0.hasPrefix("huitong_session=") } }
            #expect(page.count == 1 && page.first?.hasPrefix("huitong_session=;") == false, "\(page)")
        }
    }

    @Test("cookies are Secure when the node's public address is https, without being told")
    func secureCookiesBehindHTTPS() async throws {
        var configuration = TestNode.configuration
        configuration.publicURL = "https://data.luan.gov.cn"
        try await TestNode.run(configuration: configuration) { node, client in
            let (status, cookies) = try await Self.signIn(client, node: node, cookie: nil)
            #expect(status == .ok)
            #expect(!cookies.isEmpty && cookies.allSatisfy { $0.contains("Secure") }, "\(cookies)")
        }
        try await TestNode.run { node, client in
            let (_, cookies) = try await Self.signIn(client, node: node, cookie: nil)
            #expect(!cookies.isEmpty && cookies.allSatisfy { !$0.contains("Secure") }, "plain http: \(cookies)")
        }
    }

    @Test("a boolean query parameter takes true or false only; anything else is a 400 naming it")
    func booleanQueries() async throws {
        try await TestNode.run { node, client in
            for (path, name) in [
                ("/api/v1/catalog/entries?mine=1", "mine"), ("/api/v1/catalog/entries?mine=null", "mine"),
                ("/api/v1/audit/verification?refresh=1", "refresh"),
                ("/api/v1/federation/remote-entries?withdrawn=null&withdrawn=null", "withdrawn"),
            ] {
                let (status, body) = try await client.failure(.get, path, token: node.operatorToken)
                #expect(status == .badRequest && body.fields == [name], "\(path)")
            }
            for path in ["/api/v1/catalog/entries?mine=true", "/api/v1/federation/remote-entries?withdrawn=false"] {
                #expect(try await client.status(.get, path, token: node.operatorToken) == .ok, "\(path)")
            }
        }
    }

    @Test(
        "the contract documents what any operation may answer: 400 with parameters or a body, 401/403 when signed in, 404 with a path id"
    )
    func contractStatuses() throws {
        let document = try JSONDecoder().decode(JSONValue.self, from: OpenAPIDocument.data)
        let paths = try #require(document["paths"]?.members)
        for (path, operations) in paths {
            for (method, operation) in try #require(operations.members) {
                #expect(operation.members != nil, "\(method) \(path) is an object")
                let responses = Set((operation["responses"]?.members ?? [:]).keys)
                let parameters = operation["parameters"]?.elements ?? []
                if !parameters.isEmpty || operation["requestBody"] != nil {
                    #expect(responses.contains("400"), "\(method) \(path)")
                }
                if operation["security"] == nil {
                    #expect(responses.isSuperset(of: ["401", "403"]), "\(method) \(path)")
                }
                if parameters.contains(where: { $0["in"] == "path" }) {
                    #expect(responses.contains("404"), "\(method) \(path)")
                }
            }
        }
        let schemas = try #require(document["components"]?["schemas"]?.members)
        let row = try #require(schemas["ResponsibilityRow"]?["properties"])
        let content = try #require(row["content"]?["$ref"]?.text?.split(separator: "/").last.map(String.init))
        #expect(
            schemas[content]?["required"]?.elements?.contains("departmentID") == false,
            "a row's content does not repeat its department")
        #expect(paths["/metrics"] == nil, "metrics are not on the public port")
    }
}
