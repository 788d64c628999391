import Foundation
import HTTPTypes
import HuitongCore
import HuitongServices
import HuitongStore
import Hummingbird

/// Errors raised by the HTTP edge itself (a missing sign-in, CSRF, malformed or oversized requests, unknown
/// addresses); what the policy refuses is an `AccessError`.
public enum APIError: HuitongError {
    case unauthenticated
    case notFound(String)
    case csrfFailed
    case bodyTooLarge(limit: Int)
    /// An upload larger than the node's upload limit (`HUITONG_UPLOAD_MAX_BYTES`).
    case uploadTooLarge(limit: Int64)
    /// The node could not write an upload to its spool folder (a full disk, the folder's permissions): its fault.
    case uploadNotStored(reason: String)
    case malformedBody(field: String?, reason: BilingualText)

    public var code: String {
        switch self {
        case .unauthenticated: "unauthenticated"
        case .notFound: "not_found"
        case .csrfFailed: "csrf_failed"
        case .bodyTooLarge, .uploadTooLarge: "body_too_large"
        case .uploadNotStored: "upload_not_stored"
        case .malformedBody: "malformed_body"
        }
    }

    public var kind: ErrorKind {
        switch self {
        case .unauthenticated: .unauthenticated
        case .csrfFailed: .forbidden
        case .notFound: .notFound
        case .bodyTooLarge, .uploadTooLarge: .tooLarge
        case .uploadNotStored: .unavailable
        case .malformedBody: .badInput
        }
    }

    public var message: BilingualText {
        switch self {
        case .unauthenticated:
            BilingualText(zh: "请先登录或提供 API 令牌", en: "sign in or present an API token")
        case .notFound(let path):
            BilingualText(zh: "没有这个地址：\(path)", en: "no such resource: \(path)")
        case .csrfFailed:
            BilingualText(
                zh: "表单已失效或来源不明，请刷新页面后重试", en: "the form has expired or did not come from this site; reload and retry")
        case .bodyTooLarge(let limit):
            BilingualText(zh: "请求体超过 \(limit) 字节的上限", en: "request body is larger than the limit of \(limit) bytes")
        case .uploadNotStored(let reason):
            BilingualText(
                zh: "本节点暂时无法保存上传的文件（\(reason)），未开始归集；请稍后重试，或告知运维人员",
                en:
                    "the node cannot store the upload right now (\(reason)); nothing was loaded; retry later or tell the operator"
            )
        case .uploadTooLarge(let limit):
            BilingualText(
                zh:
                    "上传的文件超过本节点 \(limit) 字节的上限（设置项 \(IngestSettings.uploadLimitSetting)）；更大的文件请在节点主机上用 huitong import 归集",
                en:
                    "the upload is larger than this node's limit of \(limit) bytes (setting \(IngestSettings.uploadLimitSetting)); load larger files with huitong import on the node's host"
            )
        case .malformedBody(let field, let reason):
            if let field {
                BilingualText(zh: "字段 \(field) \(reason.zh)", en: "field \(field) \(reason.en)")
            } else {
                BilingualText(zh: "请求体无效：\(reason.zh)", en: "invalid request body: \(reason.en)")
            }
        }
    }

    public var details: [FieldIssue] {
        switch self {
        case .malformedBody(let field?, _): [FieldIssue(field: field, message: message)]
        default: []
        }
    }
}

extension ErrorKind {
    var status: HTTPResponse.Status {
        switch self {
        case .badInput: .badRequest
        case .unauthenticated: .unauthorized
        case .forbidden: .forbidden
        case .notFound: .notFound
        case .conflict: .conflict
        case .unprocessable: .unprocessableContent
        case .tooLarge: .contentTooLarge
        case .tooManyRequests: .tooManyRequests
        case .unavailable: .serviceUnavailable
        case .upstreamFailed: .badGateway
        case .internal: .internalServerError
        }
    }
}

/// The JSON body of every API error: `{"error": {"code", "message", "details"}}`.
struct ErrorBody: Codable {
    struct Payload: Codable {
        var code: String
        var message: String
        var details: [FieldIssue]
    }
    var error: Payload
    /// The message in each language apart, for pages (not part of the JSON).
    var text: BilingualText

    private enum CodingKeys: String, CodingKey {
        case error
    }

    init(_ error: any HuitongError) {
        self.error = Payload(code: error.code, message: error.message.combined, details: error.details)
        self.text = error.message
    }

    init(code: String, message: BilingualText) {
        self.error = Payload(code: code, message: message.combined, details: [])
        self.text = message
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        error = try container.decode(Payload.self, forKey: .error)
        text = BilingualText(zh: error.message, en: error.message)
    }
}
