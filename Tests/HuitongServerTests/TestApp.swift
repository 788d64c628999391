import Foundation
import HTTPTypes
import HuitongCore
import HuitongServer
import HuitongStore
import HuitongTestSupport
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore

@testable import HuitongServices

/// A node under test: the real application over a fresh database, with an operator and a bearer token for it.
struct TestNode {
    let store: Store
    let accounts: AccountUseCases
    let operatorToken: String
    let operatorPassword = "operator-pass-1"
    let bureau: Department

    static let configuration = ServerConfiguration(bcryptCost: 4, sealingKey: .random())

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

extension TestClientProtocol {
    /// Sends a JSON request (optionally with a bearer token) and returns status and parsed body.
    @discardableResult
    func json(
        _ method: HTTPRequest.Method, _ uri: String, token: String? = nil, body: String? = nil,
        headers extra: HTTPFields = [:]
    ) async throws -> (HTTPResponse.Status, [String: Any], HTTPFields) {
        var headers = extra
        if let token { headers[.authorization] = "Bearer \(token)" }
        if body != nil { headers[.contentType] = "application/json" }
        return try await execute(
            uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }
        ) { response in
            let text = String(buffer: response.body)
            let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
            return (response.status, object, response.headers)
        }
    }
}

/// The `error` object of an API error body.
func apiError(_ body: [String: Any]) -> (code: String, fields: [String]) {
    let error = body["error"] as? [String: Any] ?? [:]
    let details = error["details"] as? [[String: Any]] ?? []
    return (error["code"] as? String ?? "", details.compactMap { $0["field"] as? String })
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
