/// Why a cryptographic operation failed. HuitongCrypto sits below HuitongCore, so it carries its user-facing
/// message as two strings; Core makes it a `HuitongError` with a `BilingualText`.
public enum CryptographyError: Error, Sendable, Hashable {
    /// libcrypto refused an operation; `detail` is its own error text (for logs, never a secret).
    case libcrypto(operation: String, detail: String)
    /// Key bytes or a key file that are not a key of the expected kind.
    case malformedKey(expected: String)
    /// A sealed value whose tag does not match: another key, another context, or altered bytes.
    case authenticationFailed
    /// A sealed value too short or without the envelope's marker.
    case malformedEnvelope
    /// Bytes that are not an X.509 certificate of the kind expected (`expected` says which).
    case malformedCertificate(expected: String)
    /// A suite name that is neither `gm` nor `intl`.
    case unknownSuite(String)
    /// A stored value written under an algorithm this suite does not have.
    case unsupportedAlgorithm(String)

    public var chinese: String {
        switch self {
        case .libcrypto(let operation, let detail): "密码运算失败（\(operation)）：\(detail)"
        case .malformedKey(let expected): "密钥无效：应为\(expected)"
        case .authenticationFailed: "密文校验失败：密钥或上下文不符，或数据已被改动"
        case .malformedEnvelope: "密文格式无效"
        case .malformedCertificate(let expected): "证书无效：应为\(expected)"
        case .unknownSuite(let name): "未知的密码套件 \(name)：须为 gm（国密 SM2/SM3/SM4）或 intl（Ed25519/SHA-256）"
        case .unsupportedAlgorithm(let name): "不支持的算法 \(name)"
        }
    }

    public var english: String {
        switch self {
        case .libcrypto(let operation, let detail): "a cryptographic operation failed (\(operation)): \(detail)"
        case .malformedKey(let expected): "the key is invalid: expected \(expected)"
        case .authenticationFailed:
            "the sealed value does not authenticate: another key or context, or the data was altered"
        case .malformedEnvelope: "the sealed value is malformed"
        case .malformedCertificate(let expected): "the certificate is invalid: expected \(expected)"
        case .unknownSuite(let name):
            "unknown crypto suite \(name): must be gm (SM2/SM3/SM4) or intl (Ed25519/SHA-256)"
        case .unsupportedAlgorithm(let name): "unsupported algorithm \(name)"
        }
    }
}
