import Foundation
import HTTPTypes
import HuitongCore
import HuitongStore
import HuitongTestSupport
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing

@testable import HuitongServer
@testable import HuitongServices

/// A node under test: the real application over a fresh database, with an operator and a bearer token for it.
struct TestNode {
    let store: Store
    let accounts: AccountUseCases
    let operatorToken: String
    let operatorPassword = "operator-pass-1"
    let bureau: Department

    static let configuration: ServerConfiguration = {
        var configuration = ServerConfiguration(bcryptCost: 4, sealingKey: .random())
        configuration.passwordIterations = 1_000
        return configuration
    }()

    /// Runs `body` with a client of a freshly built application.
    static func run(
        _ backend: TestBackend = .sqlite, configuration: ServerConfiguration = configuration,
        routes: @escaping @Sendable (Router<HuitongRequestContext>) -> Void = { _ in },
        live: Bool = false,
        _ body: @escaping @Sendable (TestNode, any TestClientProtocol) async throws -> Void
    ) async throws {
        try await backend.withFreshDatabase { store, _ in
            try await NodeStartup.prepare(store: store)
            let accounts = AccountUseCases(store: store, bcryptCost: 4)
            let bureau = try await store.departments.create(
                DepartmentDraft(
                    name: "六安市数据资源管理局", code: "SJJ", creditCode: "11341500003010087Y", regionCode: "341500",
                    parentID: nil))
            let (admin, _) = try await accounts.createUser(
                UserDraft(username: "admin", displayName: "管理员", departmentID: bureau.id, roles: [.operator]),
                password: "operator-pass-1")
            let secret = Secrets.issue(.user)
            _ = try await store.tokens.create(
                owner: .user(admin.id), TokenDraft(name: "tests", expiresAt: nil), secret: secret)
            let node = TestNode(store: store, accounts: accounts, operatorToken: secret.plaintext, bureau: bureau)
            let app = try await HuitongApp.buildApplication(
                reader: TestConfiguration.reader(live: live), store: store,
                configure: { read in read = configuration.served(by: read) },
                routes: routes)
            try await app.test(live ? .live : .router) { client in try await body(node, client) }
        }
    }

    /// Creates a user with a known password and returns a bearer token for them.
    func user(_ username: String, department: Department, roles: Set<Role>) async throws -> (User, String) {
        let (user, _) = try await accounts.createUser(
            UserDraft(username: username, displayName: username, departmentID: department.id, roles: roles),
            password: "password-123")
        let secret = Secrets.issue(.user)
        _ = try await store.tokens.create(owner: .user(user.id), TokenDraft(name: "t", expiresAt: nil), secret: secret)
        return (user, secret.plaintext)
    }

    func department(_ code: String, region: String = "341502") async throws -> Department {
        try await store.departments.create(
            DepartmentDraft(name: "部门 \(code)", code: code, creditCode: nil, regionCode: region, parentID: nil))
    }
}

/// A request body of none, for the typed helpers below when a request carries no body.
struct NoInput: Encodable {}

/// Reads and writes JSON as the API does (`JSONResponse.encoder`, `Request.decodeJSON`): ISO 8601 dates.
enum WireJSON {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()

    /// Decodes an answer's text as the type the handler encodes.
    static func read<Output: Decodable>(_ type: Output.Type, _ text: String) throws -> Output {
        try decoder.decode(Output.self, from: Data(text.utf8))
    }

    /// Decodes `text` as `Output`; a body that does not decode fails the test with the body's text.
    static func decode<Output: Decodable>(
        _ type: Output.Type, from text: String, status: HTTPResponse.Status, request: String,
        sourceLocation: SourceLocation
    ) throws -> Output {
        do {
            return try decoder.decode(Output.self, from: Data(text.utf8))
        } catch {
            Issue.record(
                "\(request) answered \(status.code) with a body that is not \(Output.self): \(error)\n\(text)",
                sourceLocation: sourceLocation)
            throw error
        }
    }
}

extension TestClientProtocol {
    /// Sends `input` encoded as the handlers decode it (nil: no body) and returns the status, the raw body and
    /// the headers.
    func exchange(
        _ method: HTTPRequest.Method, _ uri: String, token: String?, input: (some Encodable)?,
        headers extra: HTTPFields
    ) async throws -> (HTTPResponse.Status, String, HTTPFields) {
        let body = try input.map { try WireJSON.encoder.encode($0) }
        return try await exchange(
            method, uri, token: token, raw: body.map { String(decoding: $0, as: UTF8.self) }, headers: extra)
    }

    /// Sends `raw` as the JSON body as written, for tests about malformed or unusual JSON.
    func exchange(
        _ method: HTTPRequest.Method, _ uri: String, token: String?, raw: String?, headers extra: HTTPFields
    ) async throws -> (HTTPResponse.Status, String, HTTPFields) {
        var headers = extra
        if let token { headers[.authorization] = "Bearer \(token)" }
        if raw != nil { headers[.contentType] = "application/json" }
        return try await execute(
            uri: uri, method: method, headers: headers, body: raw.map { ByteBuffer(string: $0) }
        ) { response in (response.status, String(buffer: response.body), response.headers) }
    }

    /// Sends `input` as JSON and decodes the answer into the type the handler encodes.
    func send<Output: Decodable>(
        _ method: HTTPRequest.Method, _ uri: String, token: String? = nil, input: some Encodable,
        headers: HTTPFields = [:], as type: Output.Type = Output.self, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> (HTTPResponse.Status, Output) {
        let (status, text, _) = try await exchange(method, uri, token: token, input: input, headers: headers)
        return (
            status,
            try WireJSON.decode(
                type, from: text, status: status, request: "\(method) \(uri)", sourceLocation: sourceLocation)
        )
    }

    /// Sends a request without a body and decodes the answer into the type the handler encodes.
    func send<Output: Decodable>(
        _ method: HTTPRequest.Method, _ uri: String, token: String? = nil, headers: HTTPFields = [:],
        as type: Output.Type = Output.self, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> (HTTPResponse.Status, Output) {
        let (status, text, _) = try await exchange(method, uri, token: token, raw: nil, headers: headers)
        return (
            status,
            try WireJSON.decode(
                type, from: text, status: status, request: "\(method) \(uri)", sourceLocation: sourceLocation)
        )
    }

    /// Sends `input` (nil: no body) for a request expected to fail, and decodes the API error body.
    func failure(
        _ method: HTTPRequest.Method, _ uri: String, token: String? = nil, input: (some Encodable)? = NoInput?.none,
        headers: HTTPFields = [:], sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> (HTTPResponse.Status, ErrorBody) {
        let (status, text, _) = try await exchange(method, uri, token: token, input: input, headers: headers)
        return (
            status,
            try WireJSON.decode(
                ErrorBody.self, from: text, status: status, request: "\(method) \(uri)", sourceLocation: sourceLocation)
        )
    }

    /// Sends hand-written JSON for a request expected to fail (malformed, unknown or oddly typed input), and
    /// decodes the API error body.
    func failure(
        _ method: HTTPRequest.Method, _ uri: String, token: String? = nil, json: String, headers: HTTPFields = [:],
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> (HTTPResponse.Status, ErrorBody) {
        let (status, text, _) = try await exchange(method, uri, token: token, raw: json, headers: headers)
        return (
            status,
            try WireJSON.decode(
                ErrorBody.self, from: text, status: status, request: "\(method) \(uri)", sourceLocation: sourceLocation)
        )
    }

    /// Sends `input` (nil: no body) and returns the status and the body's text, for tests that look for (or for
    /// the absence of) a string anywhere in an answer, or only show the answer when the status is not the one
    /// expected.
    func text(
        _ method: HTTPRequest.Method, _ uri: String, token: String? = nil, input: (some Encodable)? = NoInput?.none,
        headers: HTTPFields = [:]
    ) async throws -> (HTTPResponse.Status, String) {
        let (status, text, _) = try await exchange(method, uri, token: token, input: input, headers: headers)
        return (status, text)
    }

    /// Sends `input` (nil: no body) and returns only the status, for calls whose answer the test does not read.
    @discardableResult
    func status(
        _ method: HTTPRequest.Method, _ uri: String, token: String? = nil, input: (some Encodable)? = NoInput?.none,
        headers: HTTPFields = [:]
    ) async throws -> HTTPResponse.Status {
        try await exchange(method, uri, token: token, input: input, headers: headers).0
    }
}

extension ErrorBody {
    /// The error's stable code, e.g. `validation_failed`.
    var code: String { error.code }
    /// The fields the error's details name, in order.
    var fields: [String] { error.details.map(\.field) }
}

/// The node's audit log as the API shows it, oldest first (the last 100 entries).
func auditLog(_ client: any TestClientProtocol, _ node: TestNode) async throws -> [AuditAPI.EntryBody] {
    let (_, body) = try await client.send(
        .get, "/api/v1/audit/entries?limit=100", token: node.operatorToken, as: AuditAPI.EntriesBody.self)
    return body.items.reversed()
}

/// Reading JSON whose shape another system fixes (CKAN, JSON-LD) or that has no type of its own (rows of a
/// download), as the node's `JSONValue`.
extension JSONValue {
    /// The elements of an array.
    var elements: [JSONValue]? {
        guard case .array(let values) = self else { return nil }
        return values
    }

    /// The members of an object by key, for comparing objects whatever their order.
    var members: [String: JSONValue]? {
        guard case .object(let members) = self else { return nil }
        return Dictionary(members.map { ($0.key, $0.value) }) { first, _ in first }
    }

    /// The text of a string.
    var text: String? {
        guard case .string(let text) = self else { return nil }
        return text
    }

    /// A whole number.
    var number: Int? {
        guard case .int(let number) = self else { return nil }
        return number
    }
}

extension ServerConfiguration {
    /// The test configuration with a gateway that reads entries and pool versions afresh on every call, for tests
    /// that change an entry's mount or pool and call again at once.
    static var uncachedGateway: ServerConfiguration {
        var configuration = TestNode.configuration
        configuration.gatewayCacheLifetime = .zero
        return configuration
    }

    /// This test configuration on the address and with the node identity the application read.
    func served(by read: ServerConfiguration) -> ServerConfiguration {
        var configuration = self
        configuration.host = read.host
        configuration.port = read.port
        configuration.backgroundJobs = read.backgroundJobs
        configuration.ingest.spoolDirectory = configuration.ingest.spoolDirectory ?? read.ingest.spoolDirectory
        return configuration
    }
}
