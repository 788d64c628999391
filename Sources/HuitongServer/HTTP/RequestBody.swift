import Foundation
import HuitongCore
import HuitongIngest
import HuitongServices
import Hummingbird
import NIOCore

extension Request {
    /// Reads and decodes a JSON body, turning every failure into an error that names the field at fault.
    func decodeJSON<Value: Decodable>(_ type: Value.Type, context: HuitongRequestContext) async throws -> Value {
        let buffer: ByteBuffer
        do {
            var request = self
            buffer = try await request.collectBody(upTo: context.maxUploadSize)
        } catch {
            throw APIError.bodyTooLarge(limit: context.maxUploadSize)
        }
        if buffer.readableBytes == 0 {
            throw APIError.malformedBody(field: nil, reason: BilingualText(zh: "请求体为空", en: "the body is empty"))
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do {
            return try decoder.decode(Value.self, from: Data(buffer: buffer))
        } catch let error as DecodingError {
            throw APIError(decoding: error)
        }
    }
}

extension Request {
    /// A boolean query parameter: `true` or `false` (false when absent); anything else, or the parameter given
    /// twice, is a 400 naming it, as the contract says (`type: boolean`).
    func booleanQuery(_ name: String) throws -> Bool {
        let values = uri.queryParameters.getAll(name)
        guard let value = values.first else { return false }
        guard values.count == 1, value == "true" || value == "false" else {
            throw ValidationError(field: name, BilingualText(zh: "须为 true 或 false", en: "must be true or false"))
        }
        return value == "true"
    }
}

extension Request {
    /// Reads an `application/x-www-form-urlencoded` body, as sent by the pages' forms.
    func decodeForm<Value: Decodable>(_ type: Value.Type, context: HuitongRequestContext) async throws -> Value {
        var request = self
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: 64 * 1024)
        } catch {
            throw APIError.bodyTooLarge(limit: 64 * 1024)
        }
        do {
            return try URLEncodedFormDecoder().decode(Value.self, from: String(buffer: buffer))
        } catch let error as DecodingError {
            throw APIError(decoding: error)
        }
    }
}

extension APIError {
    init(decoding error: DecodingError) {
        func path(_ codingPath: [any CodingKey], adding key: (any CodingKey)? = nil) -> String? {
            let keys = codingPath + (key.map { [$0] } ?? [])
            guard !keys.isEmpty else { return nil }
            return keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
                .replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case .keyNotFound(let key, let context):
            self = .malformedBody(
                field: path(context.codingPath, adding: key), reason: BilingualText(zh: "为必填项", en: "is required"))
        case .valueNotFound(_, let context):
            self = .malformedBody(
                field: path(context.codingPath), reason: BilingualText(zh: "不能为 null", en: "must not be null"))
        case .typeMismatch(let type, let context):
            let expected = Self.describe(type)
            self = .malformedBody(
                field: path(context.codingPath),
                reason: BilingualText(zh: "类型错误，应为\(expected.zh)", en: "must be \(expected.en)"))
        case .dataCorrupted(let context):
            if let field = path(context.codingPath) {
                self = .malformedBody(
                    field: field, reason: BilingualText(zh: "格式错误", en: "is malformed: \(context.debugDescription)"))
            } else {
                self = .malformedBody(field: nil, reason: BilingualText(zh: "不是有效的 JSON", en: "not valid JSON"))
            }
        @unknown default:
            self = .malformedBody(field: nil, reason: BilingualText(zh: "不是有效的 JSON", en: "not valid JSON"))
        }
    }

    private static func describe(_ type: Any.Type) -> BilingualText {
        switch type {
        case is String.Type: BilingualText(zh: "字符串", en: "a string")
        case is Int.Type, is Int64.Type: BilingualText(zh: "整数", en: "an integer")
        case is Bool.Type: BilingualText(zh: "true 或 false", en: "true or false")
        case is Date.Type: BilingualText(zh: "ISO 8601 日期时间", en: "an ISO 8601 date-time")
        case is [String].Type: BilingualText(zh: "字符串数组", en: "an array of strings")
        default: BilingualText(zh: "\(type)", en: "\(type)")
        }
    }
}

extension Request {
    /// Reads an uploaded sheet (`?fileType=csv|xlsx`, XLSX by default) of at most `limit` bytes as numbered rows,
    /// the header first; an empty or oversized body, or an unreadable file, is refused saying which.
    func sheetRows(upTo limit: Int) async throws -> [(number: Int, cells: [String])] {
        let format = try CatalogTransferAPI.FileFormat.from(self)
        let buffer: ByteBuffer
        do {
            var request = self
            buffer = try await request.collectBody(upTo: limit)
        } catch {
            throw APIError.bodyTooLarge(limit: limit)
        }
        if buffer.readableBytes == 0 {
            throw APIError.malformedBody(
                field: nil, reason: BilingualText(zh: "上传的文件为空", en: "the uploaded file is empty"))
        }
        switch format {
        case .csv:
            return try CSVParser.parse(Data(buffer: buffer)).map { (number: $0.line, cells: $0.fields) }
        case .xlsx:
            return try XLSXReader(data: Data(buffer: buffer)).rows().map { (number: $0.number, cells: $0.cells) }
        }
    }
}
