import Foundation

/// Why the gateway refused or could not serve a call. Every case says what to do about it; none reveals data the
/// caller was not granted (a refused key lookup never says whether the key exists).
public enum GatewayError: HuitongError, Equatable {
    /// The caller is a person or anonymous: the gateway serves consumers' application systems.
    case notAnApplicationSystem
    case unknownResource(String)
    /// The resource has nothing to serve yet (no data loaded, or not mounted the way the call needs).
    case nothingToServe(String)
    /// No active grant of this resource covers the calling system.
    case noGrant(resource: String, reason: BilingualText)
    case itemsNotGranted([String])
    case missingKey(column: String)
    case unevenKeys
    case tooManyKeys(limit: Int)
    case unknownParameter(String)
    case badVerification(BilingualText)
    /// A `<column>.from` or `<column>.to` parameter that cannot be used, and why.
    case badRange(parameter: String, BilingualText)
    case rateLimited(perSecond: Int)
    case quotaExhausted(perDay: Int)
    /// The audit log could not record the call, so it was not served (fail closed).
    case auditUnavailable
    case upstreamFailed(BilingualText)

    public var code: String {
        switch self {
        case .notAnApplicationSystem: "gateway_system_required"
        case .unknownResource: "unknown_resource"
        case .nothingToServe: "nothing_to_serve"
        case .noGrant: "no_grant"
        case .itemsNotGranted: "items_not_granted"
        case .missingKey: "missing_key"
        case .unevenKeys: "uneven_keys"
        case .tooManyKeys: "too_many_keys"
        case .unknownParameter: "unknown_parameter"
        case .badVerification: "bad_verification"
        case .badRange: "bad_range"
        case .rateLimited: "rate_limited"
        case .quotaExhausted: "quota_exhausted"
        case .auditUnavailable: "audit_unavailable"
        case .upstreamFailed: "upstream_failed"
        }
    }

    public var kind: ErrorKind {
        switch self {
        case .notAnApplicationSystem, .noGrant, .itemsNotGranted: .forbidden
        case .unknownResource, .nothingToServe: .notFound
        case .missingKey, .unevenKeys, .tooManyKeys, .unknownParameter, .badVerification, .badRange: .badInput
        case .rateLimited, .quotaExhausted: .tooManyRequests
        case .auditUnavailable: .unavailable
        case .upstreamFailed: .upstreamFailed
        }
    }

    public var message: BilingualText {
        switch self {
        case .notAnApplicationSystem:
            BilingualText(
                zh: "共享网关只为使用部门的应用系统服务，请使用应用系统的凭证调用",
                en: "the gateway serves consumers' application systems; call it with an application system's credential"
            )
        case .unknownResource(let code):
            BilingualText(zh: "没有资源代码为 \(code) 的已发布目录", en: "no published catalog entry has resource code \(code)")
        case .nothingToServe(let code):
            BilingualText(zh: "资源 \(code) 尚无可提供的数据", en: "resource \(code) has no data to serve yet")
        case .noGrant(let resource, let reason):
            BilingualText(
                zh: "本应用系统没有资源 \(resource) 的有效授权：\(reason.zh)",
                en: "this application system holds no valid grant for resource \(resource): \(reason.en)")
        case .itemsNotGranted(let columns):
            BilingualText(
                zh: "授权不包含信息项：\(columns.joined(separator: "、"))",
                en: "the grant does not cover the items \(columns.joined(separator: ", "))")
        case .missingKey(let column):
            BilingualText(zh: "缺少查询主键参数 \(column)", en: "the key parameter \(column) is missing")
        case .unevenKeys:
            BilingualText(
                zh: "组合主键的各参数须给出同样多的值", en: "each part of a composite key must be given the same number of values")
        case .tooManyKeys(let limit):
            BilingualText(zh: "每次最多查询 \(limit) 个主键", en: "at most \(limit) keys per call")
        case .unknownParameter(let name):
            BilingualText(zh: "不认识的参数 \(name)", en: "unknown parameter \(name)")
        case .badVerification(let reason):
            reason
        case .badRange(let parameter, let reason):
            BilingualText(zh: "范围参数 \(parameter)：\(reason.zh)", en: "range parameter \(parameter) \(reason.en)")
        case .rateLimited(let perSecond):
            BilingualText(
                zh: "调用过于频繁：授权允许每秒 \(perSecond) 次，请稍后重试",
                en: "too many calls: the grant allows \(perSecond) per second; retry shortly")
        case .quotaExhausted(let perDay):
            BilingualText(
                zh: "今日调用次数已达授权上限 \(perDay) 次", en: "the grant's daily quota of \(perDay) calls is used up for today")
        case .auditUnavailable:
            BilingualText(
                zh: "审计日志暂时无法写入，为保证每次调用可追溯，本次调用未执行，请稍后重试",
                en: "the audit log cannot be written right now, so the call was not served; retry shortly")
        case .upstreamFailed(let reason):
            BilingualText(zh: "提供部门的接口调用失败：\(reason.zh)", en: "the provider's API failed: \(reason.en)")
        }
    }
}
