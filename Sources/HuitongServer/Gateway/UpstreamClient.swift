import AsyncHTTPClient
import Foundation
import HuitongCore
import NIOCore

/// Calls a provider-hosted HTTP API (an entry mounted as `api`) on behalf of the gateway, which then filters and
/// masks the answer exactly as it would rows from a pool.
struct UpstreamClient: Sendable {
    var timeout: Duration
    var maximumBytes: Int

    /// GETs `locator` with `parameters` added to its query, and reads the records from the JSON answer: an array
    /// of objects, or an object holding one under `records`, `data`, `rows`, `result` or `items`.
    func records(locator: String, parameters: [(name: String, value: String)]) async throws(GatewayError)
        -> [[String: String?]]
    {
        guard var components = URLComponents(string: locator), let scheme = components.scheme,
            ["http", "https"].contains(scheme.lowercased())
        else {
            throw .upstreamFailed(BilingualText(zh: "挂接的接口地址无效", en: "the mounted API address is not a valid URL"))
        }
        components.queryItems =
            (components.queryItems ?? []) + parameters.map { URLQueryItem(name: $0.name, value: $0.value) }
        guard let url = components.url?.absoluteString else {
            throw .upstreamFailed(BilingualText(zh: "挂接的接口地址无效", en: "the mounted API address is not a valid URL"))
        }
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Accept", value: "application/json")
        let body: ByteBuffer
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .init(timeout))
            guard (200..<300).contains(Int(response.status.code)) else {
                throw GatewayError.upstreamFailed(
                    BilingualText(
                        zh: "接口返回状态 \(response.status.code)", en: "the API answered with status \(response.status.code)"
                    ))
            }
            body = try await response.body.collect(upTo: maximumBytes)
        } catch let error as GatewayError {
            throw error
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
            throw .upstreamFailed(
                BilingualText(
                    zh: "接口在 \(timeout.components.seconds) 秒内未响应",
                    en: "the API did not answer within \(timeout.components.seconds) s"))
        } catch is NIOTooManyBytesError {
            throw .upstreamFailed(
                BilingualText(
                    zh: "接口返回的数据超过 \(maximumBytes) 字节的上限",
                    en: "the API answered with more than \(maximumBytes) bytes"))
        } catch {
            throw .upstreamFailed(BilingualText(zh: "无法连接接口", en: "the API could not be reached"))
        }
        return try Self.parse(Data(buffer: body))
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
        case .string(let text): text
        case .bool(let flag): flag ? "true" : "false"
        case .int(let number): String(number)
        case .double(let number): String(number)
        case .array, .object: value.serialized
        }
    }
}
