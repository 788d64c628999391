import Foundation
import HTTPTypes
import HuitongCore
import HuitongServices
import HuitongStore
import Hummingbird
import NIOCore

/// A grant's 接口文档 for the consumer: the gateway address, the key parameters, the items it serves, ready
/// examples, and a "try it" that calls the gateway from the console with one of the department's credentials.
///
/// The try-it call is made by this node to its own gateway handler, as the application system that owns the chosen
/// credential: the grant, masking, quota and the audit log apply exactly as to a call from outside (it is logged as
/// that system's gateway call), and no secret is needed, shown or sent. Only credentials of the officer's own
/// department's systems can be chosen, so the call reads nothing that department could not read anyway.
extension ConsolePages {
    func grant(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await page(request, context, .consoleApplications) { user in
            let (grant, entry) = try await ownGrant(context, user)
            return try await renderGrant(grant, entry, user: user, context: context)
        }
    }

    /// A grant of the officer's department and its entry; another department's grant is not found.
    func ownGrant(_ context: HuitongRequestContext, _ user: User) async throws -> (Grant, CatalogEntry) {
        let id = try context.id()
        guard let grant = try await store.grants.find(id: id), grant.consumerDepartmentID == user.departmentID,
            SharingUseCases.canRead(grant, user)
        else { throw StoreError.notFound(entity: "grant", key: "\(id)") }
        guard let entry = try await store.catalog.find(id: grant.entryID) else {
            throw StoreError.notFound(entity: "catalog entry", key: "\(grant.entryID)")
        }
        return (grant, entry)
    }

    /// The credentials the try-it may call with: current, usable ones of the department's active systems that the
    /// grant names (any of its systems when it names none).
    func tryCredentials(for grant: Grant, _ user: User) async throws -> [(ApplicationSystem, APIToken)] {
        let now = Date()
        var found: [(ApplicationSystem, APIToken)] = []
        for system in try await store.applicationSystems.list(departmentID: user.departmentID)
        where system.isActive && (grant.systemIDs.isEmpty || grant.systemIDs.contains(system.id)) {
            for credential in try await store.tokens.list(owner: .system(system.id))
            where credential.replacedBy == nil && credential.isUsable(at: now) {
                found.append((system, credential))
            }
        }
        return found
    }

    /// What a try-it call answered.
    struct TryResult {
        var form: ConsoleForm
        var status: Int
        var body: String
        var failed: Bool
        var message: String?
    }

    func renderGrant(
        _ grant: Grant, _ entry: CatalogEntry, user: User, context: HuitongRequestContext, tried: TryResult? = nil,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let language = context.language
        let today = CalendarDate.today()
        let departments = try await departmentNames()
        let items = Dictionary(entry.content.items.map { ($0.columnName, $0) }, uniquingKeysWith: { a, _ in a })
        let credentials = try await tryCredentials(for: grant, user)
        let chosen = tried?.form["credentialID"]
        let base = baseURL
        let active = grant.revokedAt == nil && grant.validFrom <= today && today <= grant.validTo
        let api = grant.channel == .api
        var page = ConsoleGrantPage(
            title: pages.text("grant_docs", language) + " · " + entry.content.name,
            id: grant.id, resourceName: entry.content.name, resourceCode: entry.code.text,
            entryHref: "/console/entries/\(entry.id)",
            provider: departments[grant.providerDepartmentID] ?? "",
            state: active
                ? pages.text("grant_active", language)
                : grant.revokedAt != nil
                    ? pages.text("grant_revoked", language) : pages.text("grant_not_in_force", language),
            active: active, period: "\(grant.validFrom) – \(grant.validTo)",
            quota: PortalPages.grouped(Int64(grant.dailyQuota)), rate: grant.rateLimit,
            channel: grant.channel.label.text(language), isAPI: api,
            address: "\(base)/gateway/v1/\(entry.code.text)/" + (api ? "records" : "extract"),
            keys: entry.content.keyItems.map { item in
                ConsoleGrantPage.Key(
                    column: item.columnName, name: item.name, type: item.dataType.label.text(language),
                    value: tried?.form["key_\(item.columnName)"] ?? "")
            },
            items: grant.items.map { column in
                let item = items[column]
                return ConsoleGrantPage.Item(
                    column: column, name: item?.name ?? column,
                    type: item.map { $0.dataType.label.text(language) } ?? "",
                    masked: grant.masking[column].map { $0 != MaskingRule.none } ?? false)
            },
            curl: api
                ? GatewayExample.curl(base: base, entry: entry, secret: nil, language: language)
                : GatewayExample.extract(base: base, entry: entry, language: language),
            http: api ? GatewayExample.http(base: base, entry: entry, language: language) : nil,
            verify: api ? GatewayExample.verify(base: base, entry: entry, items: grant.items, language: language) : nil,
            credentials: credentials.map { system, credential in
                OptionModel(
                    value: String(credential.id),
                    label: "\(system.name) · \(credential.name) (\(credential.keyID ?? ""))",
                    selected: String(credential.id) == chosen)
            },
            hasCredentials: !credentials.isEmpty)
        if let tried {
            page.result = ConsoleGrantPage.Result(
                status: tried.status, body: tried.body, failed: tried.failed, message: tried.message)
        }
        return render(
            .consoleGrant, page, user: user, section: "/console/applications", context: context, status: status)
    }

    /// 在线调试: calls the gateway's lookup for this grant's resource as the system owning the chosen credential,
    /// and shows the answer on the grant's page. The call is the gateway's own, audited as any other.
    func tryGrant(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await page(request, context, .consoleApplications) { user in
            let form = try await ConsoleForm.read(request, context: context)
            let (grant, entry) = try await ownGrant(context, user)
            let language = context.language
            let credentials = try await tryCredentials(for: grant, user)
            guard grant.channel == .api,
                let chosen = credentials.first(where: { String($0.1.id) == form["credentialID"] })
            else {
                let result = TryResult(
                    form: form, status: 400, body: "", failed: true,
                    message: pages.text("grant_try_choose_credential", language))
                return try await renderGrant(
                    grant, entry, user: user, context: context, tried: result, status: .badRequest)
            }
            let (system, credential) = chosen
            var query: [String] = []
            for item in entry.content.keyItems {
                let value = form["key_\(item.columnName)"].trimmingCharacters(in: .whitespaces)
                query.append("\(item.columnName)=\(PortalSearch.encode(value))")
            }
            let path = "/gateway/v1/\(entry.code.text)/records?" + query.joined(separator: "&")
            var call = context
            call.principal = .system(system, credential)
            call.gatewayBearer = nil
            let parts = entry.code.text.split(separator: "/", maxSplits: 1).map(String.init)
            call.coreContext.parameters = [
                "classification": Substring(parts.first ?? ""), "sequence": Substring(parts.count > 1 ? parts[1] : ""),
            ]
            let gatewayRequest = Request(
                head: HTTPRequest(method: .get, scheme: nil, authority: nil, path: path),
                body: RequestBody(buffer: ByteBuffer()))
            var result: TryResult
            do {
                let response = try await gateway.records(gatewayRequest, context: call)
                let body = try await Self.collect(response.body)
                result = TryResult(
                    form: form, status: Int(response.status.code), body: Self.pretty(body), failed: false)
            } catch let error as any HuitongError where error.kind != .internal {
                result = TryResult(
                    form: form, status: Int(error.kind.status.code),
                    body: Self.pretty(
                        (try? JSONEncoder().encode(ErrorBody(error))).map { String(decoding: $0, as: UTF8.self) }
                            ?? ""),
                    failed: true, message: error.message.text(language))
            }
            var response = try await renderGrant(grant, entry, user: user, context: context, tried: result)
            response.headers[.cacheControl] = "no-store"
            return response
        }
    }

    /// A whole response body, as the gateway wrote it.
    static func collect(_ body: ResponseBody) async throws -> String {
        let collected = CollectingWriter.Collected()
        try await body.write(CollectingWriter(into: collected))
        return String(buffer: collected.buffer)
    }

    /// JSON indented for reading, its members in the order the gateway wrote them (columns in the grant's order);
    /// text that is not JSON as it came.
    static func pretty(_ text: String) -> String {
        guard (try? JSONSerialization.jsonObject(with: Data(text.utf8))) != nil else { return text }
        var out = ""
        var depth = 0
        var inString = false
        var escaped = false
        func newline() { out += "\n" + String(repeating: "  ", count: depth) }
        for character in text {
            if inString {
                out.append(character)
                if escaped {
                    escaped = false
                } else if character == "\\" {
                    escaped = true
                } else if character == "\"" {
                    inString = false
                }
                continue
            }
            switch character {
            case "\"":
                inString = true
                out.append(character)
            case "{", "[":
                out.append(character)
                depth += 1
                newline()
            case "}", "]":
                depth = max(0, depth - 1)
                newline()
                out.append(character)
            case ",":
                out.append(character)
                newline()
            case ":":
                out += ": "
            case " ", "\n", "\r", "\t":
                break
            default:
                out.append(character)
            }
        }
        // Empty objects and arrays stay on one line.
        return out.replacingOccurrences(of: #"\{\s*\}"#, with: "{}", options: .regularExpression)
            .replacingOccurrences(of: #"\[\s*\]"#, with: "[]", options: .regularExpression)
    }
}

/// Keeps what a response body writes, for the console's try-it.
struct CollectingWriter: ResponseBodyWriter {
    final class Collected {
        var buffer = ByteBuffer()
    }

    let into: Collected

    mutating func write(_ buffer: ByteBuffer) async throws {
        var buffer = buffer
        into.buffer.writeBuffer(&buffer)
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}

struct ConsoleGrantPage: PageModel {
    var title: String
    var id: Int64
    var resourceName: String
    var resourceCode: String
    var entryHref: String
    var provider: String
    var state: String
    var active: Bool
    var period: String
    var quota: String
    var rate: Int
    var channel: String
    var isAPI: Bool
    var address: String
    var keys: [Key]
    var items: [Item]
    var curl: String
    var http: String?
    var verify: String?
    var credentials: [OptionModel]
    var hasCredentials: Bool
    var result: Result?

    struct Key: Sendable {
        var column: String
        var name: String
        var type: String
        var value: String
    }

    struct Item: Sendable {
        var column: String
        var name: String
        var type: String
        var masked: Bool
    }

    struct Result: Sendable {
        var status: Int
        var body: String
        var failed: Bool
        var message: String?
    }
}
