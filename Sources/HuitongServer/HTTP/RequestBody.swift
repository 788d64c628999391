import Foundation
import Hummingbird
import HuitongCore
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
            throw APIError.malformedBody(field: nil, reason: "empty body / 请求体为空")
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
            self = .malformedBody(field: path(context.codingPath, adding: key), reason: "is required / 必填")
        case .valueNotFound(_, let context):
            self = .malformedBody(field: path(context.codingPath), reason: "must not be null / 不能为空")
        case .typeMismatch(let type, let context):
            self = .malformedBody(field: path(context.codingPath), reason: "expected \(Self.describe(type)) / 类型错误")
        case .dataCorrupted(let context):
            if let field = path(context.codingPath) {
                self = .malformedBody(field: field, reason: context.debugDescription)
            } else {
                self = .malformedBody(field: nil, reason: "cannot parse JSON")
            }
        @unknown default:
            self = .malformedBody(field: nil, reason: "cannot parse JSON")
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type: "an integer"
        case is Bool.Type: "true or false"
        case is Date.Type: "an ISO 8601 date-time"
        default: "\(type)"
        }
    }
}
