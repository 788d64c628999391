import Foundation
import HTTPTypes
import HuitongCore
import HuitongServices
import Hummingbird
import NIOCore

/// An error of the CKAN action API, answered in CKAN 2.10's shape:
/// `{"help": …, "success": false, "error": {"__type": …, "message": …}}`.
struct CKANError: Error, Sendable {
    var status: HTTPResponse.Status
    /// CKAN's error type name, which clients such as ckanapi turn back into exceptions.
    var type: String
    var message: BilingualText
    /// For validation errors, CKAN lists the problems of each parameter.
    var fieldErrors: [(field: String, problems: [String])] = []

    static func notFound(_ what: BilingualText) -> CKANError {
        CKANError(
            status: .notFound, type: "Not Found Error",
            message: BilingualText(zh: "未找到\(what.zh)", en: "Not found: \(what.en)"))
    }

    static func validation(_ field: String, _ problem: BilingualText) -> CKANError {
        CKANError(
            status: .conflict, type: "Validation Error",
            message: BilingualText(zh: "参数 \(field) \(problem.zh)", en: "\(field): \(problem.en)"),
            fieldErrors: [(field, [problem.en])])
    }

    static func missing(_ field: String) -> CKANError {
        validation(field, BilingualText(zh: "为必填项", en: "Missing value"))
    }

    /// A search that uses syntax this node does not implement (CKAN answers such Solr errors with 409 too).
    static func searchQuery(_ reason: BilingualText) -> CKANError {
        CKANError(
            status: .conflict, type: "Search Query Error",
            message: BilingualText(zh: "查询条件无效：\(reason.zh)", en: "Search Query is invalid: \(reason.en)"))
    }

    static func badRequest(_ reason: BilingualText) -> CKANError {
        CKANError(
            status: .badRequest, type: "Bad Request",
            message: BilingualText(zh: "请求无效：\(reason.zh)", en: "Bad request - \(reason.en)"))
    }

    static func unknownAction(_ name: String) -> CKANError {
        badRequest(BilingualText(zh: "未知的接口名称 \(name)", en: "Action name not known: \(name)"))
    }

    /// English first, as CKAN writes it and as clients parse it, then the Chinese.
    var text: String { message.zh == message.en ? message.en : "\(message.en)（\(message.zh)）" }

    var body: JSONValue {
        var members = [JSONMember("__type", .string(type)), JSONMember("message", .string(text))]
        for (field, problems) in fieldErrors {
            members.append(JSONMember(field, .array(problems.map(JSONValue.string))))
        }
        return .object(members)
    }
}

/// The parameters of one action call, from the query string, a form body or a JSON body, with CKAN's leniency:
/// numbers and booleans may arrive as strings, and lists as JSON text (`facet.field=["tags"]`).
struct CKANParameters: Sendable {
    var values: [String: JSONValue]

    init(_ values: [String: JSONValue] = [:]) {
        self.values = values
    }

    /// Query parameters first; a body (JSON, as ckanapi sends, or a form) adds to and overrides them.
    static func read(_ request: Request, context: HuitongRequestContext) async throws(CKANError) -> CKANParameters {
        var parameters = CKANParameters()
        for (key, value) in formPairs(request.uri.query ?? "") { parameters.values[key] = .string(value) }
        let buffer: ByteBuffer
        do {
            var request = request
            buffer = try await request.collectBody(upTo: context.maxUploadSize)
        } catch {
            throw CKANError(
                status: .contentTooLarge, type: "Bad Request",
                message: BilingualText(
                    zh: "请求体超过 \(context.maxUploadSize) 字节的上限",
                    en: "Bad request - the body is larger than \(context.maxUploadSize) bytes"))
        }
        let body = Data(buffer: buffer)
        guard !body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) else { return parameters }
        let contentType = request.headers[.contentType]?.lowercased() ?? ""
        if contentType.contains("json") || (!contentType.contains("form") && body.first == UInt8(ascii: "{")) {
            let object: [String: JSONValue]
            do {
                object = try JSONDecoder().decode([String: JSONValue].self, from: body)
            } catch {
                throw CKANError.badRequest(
                    BilingualText(zh: "请求体不是 JSON 对象", en: "JSON Error: the body is not a JSON object"))
            }
            parameters.values.merge(object) { _, body in body }
        } else if contentType.hasPrefix("multipart/") {
            throw CKANError.badRequest(
                BilingualText(zh: "不支持 multipart 请求体", en: "multipart bodies are not supported by this node"))
        } else {
            for (key, value) in formPairs(String(decoding: body, as: UTF8.self)) {
                parameters.values[key] = .string(value)
            }
        }
        return parameters
    }

    /// `application/x-www-form-urlencoded` pairs: `+` is a space, then percent-decoding (keys too).
    static func formPairs(_ text: String) -> [(String, String)] {
        text.split(separator: "&").compactMap { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ part: Substring) -> String {
                let spaced = part.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            let key = decode(parts[0])
            guard !key.isEmpty else { return nil }
            return (key, parts.count > 1 ? decode(parts[1]) : "")
        }
    }

    /// The parameter as text; absent, null and blank are all "not given".
    func string(_ key: String) -> String? {
        let text: String? =
            switch values[key] {
            case .string(let value): value
            case .int(let value): String(value)
            case .double(let value): String(value)
            case .bool(let value): value ? "true" : "false"
            default: nil
            }
        guard let text, !text.trimmingCharacters(in: .whitespaces).isEmpty else { return nil }
        return text.trimmingCharacters(in: .whitespaces)
    }

    /// A natural number (CKAN's `natural_number_validator`), or `defaultValue` when not given.
    func natural(_ key: String, default defaultValue: Int) throws(CKANError) -> Int {
        guard values[key] != nil, values[key] != .null else { return defaultValue }
        let number: Int?
        switch values[key] {
        case .int(let value): number = value
        case .double(let value) where value.rounded() == value && abs(value) < 1e15: number = Int(value)
        case .string(let value): number = Int(value.trimmingCharacters(in: .whitespaces))
        default: number = nil
        }
        guard let number else {
            throw CKANError.validation(key, BilingualText(zh: "须为整数", en: "Invalid integer"))
        }
        guard number >= 0 else {
            throw CKANError.validation(key, BilingualText(zh: "须为非负整数", en: "Must be a natural number"))
        }
        return number
    }

    func bool(_ key: String, default defaultValue: Bool) throws(CKANError) -> Bool {
        switch values[key] {
        case nil, .null: return defaultValue
        case .bool(let value): return value
        case .int(let value) where value == 0 || value == 1: return value == 1
        case .string(let value):
            switch value.trimmingCharacters(in: .whitespaces).lowercased() {
            case "true", "1", "yes", "on": return true
            case "false", "0", "no", "off", "": return false
            default: break
            }
        default: break
        }
        throw CKANError.validation(key, BilingualText(zh: "须为 true 或 false", en: "Value must be a boolean"))
    }

    /// A list given as a JSON array, as JSON text of one (CKAN's way in query strings), or as comma-separated text.
    func list(_ key: String) throws(CKANError) -> [String]? {
        switch values[key] {
        case nil, .null:
            return nil
        case .array(let items):
            return try items.map { item throws(CKANError) in
                guard case .string(let text) = item else {
                    throw CKANError.validation(key, BilingualText(zh: "须为字符串列表", en: "Must be a list of strings"))
                }
                return text
            }
        case .string(let text):
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("[") {
                guard let items = try? JSONDecoder().decode([String].self, from: Data(trimmed.utf8)) else {
                    throw CKANError.validation(
                        key, BilingualText(zh: "须为 JSON 字符串列表", en: "Must be a JSON list of strings"))
                }
                return items
            }
            return trimmed.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        default:
            throw CKANError.validation(key, BilingualText(zh: "须为字符串列表", en: "Must be a list of strings"))
        }
    }
}

/// CKAN's response envelope.
enum CKANResponse {
    static func success(_ result: JSONValue, action: String, links: OpenDataLinks) -> Response {
        make(["help": .string(links.ckanHelp(action)), "success": true, "result": result], status: .ok)
    }

    static func failure(_ error: CKANError, action: String, links: OpenDataLinks) -> Response {
        make(["help": .string(links.ckanHelp(action)), "success": false, "error": error.body], status: error.status)
    }

    private static func make(_ body: JSONValue, status: HTTPResponse.Status) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json;charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: body.serialized)))
    }

    /// CKAN's timestamps: UTC without a zone designator, to the microsecond (`2024-01-02T03:04:05.123456`).
    static func timestamp(_ date: Date) -> String {
        var seconds = date.timeIntervalSince1970.rounded(.down)
        var microseconds = Int(((date.timeIntervalSince1970 - seconds) * 1_000_000).rounded())
        if microseconds >= 1_000_000 {
            seconds += 1
            microseconds -= 1_000_000
        }
        let parts = utc.dateComponents(
            [.year, .month, .day, .hour, .minute, .second], from: Date(timeIntervalSince1970: seconds))
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%06d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0,
            parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0, microseconds)
    }

    private static let utc: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? TimeZone(secondsFromGMT: 0)!
        return calendar
    }()
}
