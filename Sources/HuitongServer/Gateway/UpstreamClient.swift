import AsyncHTTPClient
import Foundation
import HuitongCore
import HuitongIngest
import HuitongServices
import NIOCore

/// Calls a provider-hosted HTTP API (an entry mounted as `api`) on behalf of the gateway, which then filters and
/// masks the answer exactly as it would rows from a pool.
///
/// The gateway must not become a way into the node's own network: the host is resolved once, every address it
/// resolves to must be public or on the operator's allow-list (`UpstreamTarget`), and the connection goes to the
/// address that was checked, never to a second resolution. Redirects are not followed. A connection that fails,
/// however it fails (refused, unreachable, silent), is answered the same way after the same time, so that the
/// gateway cannot be used to learn which ports are open.
struct UpstreamClient: Sendable {
    var timeout: Duration
    var maximumBytes: Int
    /// The operator's allow-list (`UpstreamAllowListCache` in the node).
    var allowList: @Sendable () async throws -> UpstreamAllowList
    var resolve: @Sendable (String) async throws -> [IPAddress] = Self.systemResolve
    var now: @Sendable () -> ContinuousClock.Instant = { .now }
    /// Waits until the given instant; tests pass their own to see the wait without sleeping.
    var waitUntil: @Sendable (ContinuousClock.Instant) async -> Void = { try? await Task.sleep(until: $0) }

    static let invalidLocator = GatewayError.upstreamFailed(
        BilingualText(zh: "挂接的接口地址无效", en: "the mounted API address is not a valid URL"))

    /// GETs `locator` with `parameters` added to its query, and reads the records from the JSON answer: an array
    /// of objects, or an object holding one under `records`, `data`, `rows`, `result` or `items`.
    func records(locator: String, parameters: [(name: String, value: String)]) async throws(GatewayError)
        -> [[String: String?]]
    {
        guard var components = URLComponents(string: locator), let scheme = components.scheme,
            ["http", "https"].contains(scheme.lowercased()), let host = components.host, !host.isEmpty
        else { throw Self.invalidLocator }
        components.queryItems =
            (components.queryItems ?? []) + parameters.map { URLQueryItem(name: $0.name, value: $0.value) }
        guard let url = components.url?.absoluteString else { throw Self.invalidLocator }
        let started = now()
        let address: IPAddress
        do {
            address = try await checkedAddress(host: host)
        } catch let error as GatewayError {
            throw error
        } catch {
            throw await unreachable(since: started)
        }
        let client = UpstreamConnections.client(host: host, address: address, timeout: timeout)
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Accept", value: "application/json")
        let outcome: Result<ByteBuffer, GatewayError>?
        do {
            let response = try await client.execute(request, timeout: .init(timeout))
            if (200..<300).contains(Int(response.status.code)) {
                outcome = .success(try await response.body.collect(upTo: maximumBytes))
            } else {
                // A redirect is answered here too: it is not followed, wherever it points.
                outcome = .failure(
                    .upstreamFailed(
                        BilingualText(
                            zh: "接口返回状态 \(response.status.code)",
                            en: "the API answered with status \(response.status.code)")))
            }
        } catch is NIOTooManyBytesError {
            outcome = .failure(
                .upstreamFailed(
                    BilingualText(
                        zh: "接口返回的数据超过 \(maximumBytes) 字节的上限",
                        en: "the API answered with more than \(maximumBytes) bytes")))
        } catch {
            outcome = nil
        }
        guard let outcome else { throw await unreachable(since: started) }
        let body = try outcome.get()
        return try Self.parse(Data(buffer: body))
    }

    /// The one address the call may connect to, or a refusal naming no address (the caller is another department;
    /// where the provider's API lives is not theirs to learn).
    func checkedAddress(host: String) async throws -> IPAddress {
        let allowed = try await allowList()
        let resolved = UpstreamTarget.literal(host) == nil ? try await resolve(UpstreamTarget.normalised(host)) : []
        switch UpstreamTarget.choose(host: host, resolved: resolved, allowList: allowed) {
        case .success(let address):
            return address
        case .failure(.unresolved):
            throw UpstreamTarget.Refusal.unresolved
        case .failure:
            throw GatewayError.upstreamFailed(
                BilingualText(
                    zh: "挂接的接口地址不是公网地址，也不在运维白名单中",
                    en: "the mounted API address is neither public nor on the operator's allow-list"))
        }
    }

    /// One answer for every way a connection can fail, given when the timeout has run out whatever happened
    /// sooner: a refused port then looks like a filtered one.
    func unreachable(since started: ContinuousClock.Instant) async -> GatewayError {
        await waitUntil(started + timeout)
        let seconds = timeout.components.seconds
        return .upstreamFailed(
            BilingualText(
                zh: "无法连接接口，或接口在 \(seconds) 秒内未响应",
                en: "the API could not be reached or did not answer within \(seconds) s"))
    }

    /// Every address `host` resolves to: the resolver collection sources are checked with too.
    @Sendable static func systemResolve(_ host: String) async throws -> [IPAddress] {
        try await HostResolver.system(host)
    }

    static func parse(_ data: Data) throws(GatewayError) -> [[String: String?]] {
        let notRecords = GatewayError.upstreamFailed(
            BilingualText(
                zh: "接口返回的不是记录列表（JSON 对象数组）", en: "the API did not answer with records (a JSON array of objects)"))
        guard let json = try? JSONDecoder().decode(JSONValue.self, from: data) else { throw notRecords }
        var list: [JSONValue]? = nil
        if case .array(let elements) = json {
            list = elements
        } else {
            for name in ["records", "data", "rows", "result", "items"] {
                if case .array(let elements)? = json[name] {
                    list = elements
                    break
                }
            }
        }
        guard let list else { throw notRecords }
        var records: [[String: String?]] = []
        records.reserveCapacity(list.count)
        for element in list {
            guard case .object(let members) = element else { throw notRecords }
            var record: [String: String?] = [:]
            for member in members { record[member.key] = text(of: member.value) }
            records.append(record)
        }
        return records
    }

    /// A JSON value as the text the gateway masks and serves.
    static func text(of value: JSONValue) -> String? {
        switch value {
        case .null: nil
        case .string(let text), .literal(let text): text
        case .bool(let flag): flag ? "true" : "false"
        case .int(let number): String(number)
        case .double(let number): String(number)
        case .array, .object: value.serialized
        }
    }
}
