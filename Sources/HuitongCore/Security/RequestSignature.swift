import Crypto
import Foundation
import HuitongCrypto

/// How a request is signed: `HUITONG-HMAC-SM3` (国密: HMAC-SM3 over the canonical string, the body hashed with
/// SM3), or `HUITONG-HMAC-SHA256` (HMAC-SHA256, the body hashed with SHA-256). Both take the same secret and the
/// same canonical string, whose first line names the scheme.
public enum SignatureScheme: String, Sendable, Hashable, CaseIterable {
    case hmacSM3 = "HUITONG-HMAC-SM3"
    case hmacSHA256 = "HUITONG-HMAC-SHA256"

    /// Lower-case hex digest of a body under this scheme's hash.
    public func bodyDigest(_ bytes: some DataProtocol) -> String {
        switch self {
        case .hmacSHA256: Hex.lowercase(SHA256.hash(data: bytes))
        case .hmacSM3: Hex.lowercase(SM3.hash(Array(bytes)))
        }
    }

    /// The lower-case hex code of `message` under `secret`.
    func code(of message: String, secret: String) -> String {
        switch self {
        case .hmacSHA256:
            Hex.lowercase(
                HMAC<SHA256>.authenticationCode(for: Data(message.utf8), using: SymmetricKey(data: Data(secret.utf8))))
        case .hmacSM3: Hex.lowercase(HMACSM3(key: Array(secret.utf8)).authenticationCode(for: Array(message.utf8)))
        }
    }
}

/// The parts of an HTTP request that an application system signs (scheme `HUITONG-HMAC-SM3` or
/// `HUITONG-HMAC-SHA256`).
///
/// The canonical string is these lines joined by `\n`, without a trailing newline:
///
///     HUITONG-HMAC-SM3            the scheme
///     <key id>                    hk_…, as in the Authorization header
///     <METHOD>                    upper case: GET, POST, …
///     <path>                      exactly as sent, percent-encoding included, e.g. /gateway/v1/people
///     <canonical query>           see `RequestSignature.canonicalQuery`; empty line when there is none
///     <timestamp>                 X-Huitong-Timestamp, unix seconds
///     <nonce>                     X-Huitong-Nonce
///     <body digest>               lower-case hex SM3 (SHA-256) of the body bytes (of nothing, for an empty body)
///
/// The signature is HMAC-SM3 (HMAC-SHA256) keyed with the credential's secret (its UTF-8 bytes, `hts_…`) over that
/// string, in lower-case hex, sent as `Authorization: HUITONG-HMAC-SM3 Credential=<key id>, Signature=<hex>`.
public struct SignedRequest: Sendable, Hashable {
    public var scheme: SignatureScheme
    public var keyID: String
    public var method: String
    public var path: String
    /// The raw query string after `?`, nil or empty when there is none.
    public var query: String?
    public var timestamp: Int64
    public var nonce: String
    /// Lower-case hex digest of the body under the scheme's hash (`SignatureScheme.bodyDigest`).
    public var bodyDigest: String

    public init(
        scheme: SignatureScheme = .hmacSHA256, keyID: String, method: String, path: String, query: String?,
        timestamp: Int64, nonce: String, bodyDigest: String
    ) {
        self.scheme = scheme
        self.keyID = keyID
        self.method = method
        self.path = path
        self.query = query
        self.timestamp = timestamp
        self.nonce = nonce
        self.bodyDigest = bodyDigest
    }
}

public enum RequestSignature {
    public static let timestampHeader = "X-Huitong-Timestamp"
    public static let nonceHeader = "X-Huitong-Nonce"
    /// SHA-256 of no bytes: the body line of a GET.
    public static let emptyBodySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    /// Query parameters in a fixed order, so that clients need not keep theirs: the `&`-separated parts exactly as
    /// sent (no decoding or re-encoding, so no two spellings of a query can share a signature), empty parts
    /// dropped, sorted by name (the bytes before the first `=`), joined by `&`. The sort is stable: values of a
    /// repeated name keep their order, since handlers may read the first.
    public static func canonicalQuery(_ query: String?) -> String {
        guard let query, !query.isEmpty else { return "" }
        let parts = query.utf8.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true)
        let named = parts.enumerated().map { offset, part in
            (name: Array(part.prefix { $0 != UInt8(ascii: "=") }), offset: offset, part: part)
        }
        let sorted = named.sorted { lhs, rhs in
            lhs.name == rhs.name ? lhs.offset < rhs.offset : lhs.name.lexicographicallyPrecedes(rhs.name)
        }
        return sorted.map { String(decoding: $0.part, as: UTF8.self) }.joined(separator: "&")
    }

    public static func canonicalString(for request: SignedRequest) -> String {
        [
            request.scheme.rawValue, request.keyID, request.method.uppercased(),
            request.path.isEmpty ? "/" : request.path, canonicalQuery(request.query), String(request.timestamp),
            request.nonce, request.bodyDigest,
        ].joined(separator: "\n")
    }

    /// The lower-case hex signature of `request` under `secret`, by the request's scheme.
    public static func signature(for request: SignedRequest, secret: String) -> String {
        request.scheme.code(of: canonicalString(for: request), secret: secret)
    }

    /// Whether `signature` is the one `secret` gives for `request`, compared in constant time.
    public static func isValid(_ signature: String, for request: SignedRequest, secret: String) -> Bool {
        Secrets.constantTimeEquals(signature.lowercased(), Self.signature(for: request, secret: secret))
    }

    public static func authorization(
        scheme: SignatureScheme = .hmacSHA256, keyID: String, signature: String
    ) -> String {
        "\(scheme.rawValue) Credential=\(keyID), Signature=\(signature)"
    }

    /// The scheme an Authorization header claims, if it claims one of ours (the middleware then insists on the
    /// rest).
    public static func scheme(of authorization: String) -> SignatureScheme? {
        let utf8 = authorization.utf8
        return SignatureScheme.allCases.first { scheme in
            let name = scheme.rawValue.utf8
            return utf8.count > name.count
                && utf8.prefix(name.count).elementsEqual(name, by: { lowered($0) == lowered($1) })
                && utf8.dropFirst(name.count).first == UInt8(ascii: " ")
        }
    }

    /// Whether an Authorization header claims one of the signing schemes.
    public static func isSigned(_ authorization: String) -> Bool { scheme(of: authorization) != nil }

    private static func lowered(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte + 32 : byte
    }

    /// The scheme, key id and signature of `HUITONG-HMAC-SM3 Credential=<key id>, Signature=<hex>` (or
    /// `HUITONG-HMAC-SHA256 …`; parameters in any order, spaces after commas optional).
    public static func parseAuthorization(_ header: String) throws(SignatureError) -> (
        scheme: SignatureScheme, keyID: String, signature: String
    ) {
        guard let scheme = scheme(of: header) else {
            let names = SignatureScheme.allCases.map(\.rawValue)
            throw .malformedAuthorization(
                BilingualText(
                    zh: "应以 \(names.joined(separator: " 或 ")) 开头",
                    en: "it must start with \(names.joined(separator: " or "))"))
        }
        let parameters = header.dropFirst(scheme.rawValue.count).split(separator: ",")
        var keyID: String?
        var signature: String?
        for parameter in parameters {
            let pair = parameter.trimmingCharacters(in: .whitespaces).split(
                separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2 else {
                throw .malformedAuthorization(
                    BilingualText(zh: "参数须为 名称=值 形式", en: "parameters must be name=value"))
            }
            switch pair[0].lowercased() {
            case "credential" where keyID == nil: keyID = String(pair[1])
            case "signature" where signature == nil: signature = String(pair[1]).lowercased()
            default:
                throw .malformedAuthorization(
                    BilingualText(
                        zh: "未知或重复的参数 \(pair[0])，只接受 Credential 和 Signature 各一次",
                        en: "unknown or repeated parameter \(pair[0]); give Credential and Signature once each"))
            }
        }
        guard let keyID, CredentialKeyID.isWellFormed(keyID) else {
            throw .malformedAuthorization(
                BilingualText(
                    zh: "Credential 须为应用系统凭证的密钥编号（hk_ 加 32 位十六进制）",
                    en: "Credential must be a credential's key id (hk_ and 32 hex digits)"))
        }
        guard let signature, signature.utf8.count == 64, signature.utf8.allSatisfy(Self.isHexDigit) else {
            throw .malformedAuthorization(
                BilingualText(zh: "Signature 须为 64 位十六进制", en: "Signature must be 64 hex digits"))
        }
        return (scheme, keyID, signature)
    }

    /// The timestamp header as unix seconds, or why it is refused: missing, not a number, or further than
    /// `window` seconds from `now` either way (a clock that runs ahead is refused like a stale request).
    public static func checkTimestamp(_ text: String?, now: Date, window: TimeInterval) throws(SignatureError) -> Int64
    {
        guard let text, !text.isEmpty else { throw .missingHeader(timestampHeader) }
        guard text.utf8.count <= 12, text.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
            let seconds = Int64(text)
        else {
            throw .malformedHeader(
                timestampHeader, BilingualText(zh: "须为 Unix 时间（秒）", en: "it must be unix time in seconds"))
        }
        let skew = Int64(now.timeIntervalSince1970.rounded(.down)) - seconds
        guard abs(skew) <= Int64(window) else { throw .timestampOutOfWindow(skew: skew, window: Int64(window)) }
        return seconds
    }

    /// Characters a nonce may use: base64url, hex and UUIDs all fit.
    public static func checkNonce(_ text: String?) throws(SignatureError) -> String {
        guard let text, !text.isEmpty else { throw .missingHeader(nonceHeader) }
        guard (16...128).contains(text.utf8.count), text.utf8.allSatisfy(Self.isNonceCharacter) else {
            throw .malformedHeader(
                nonceHeader,
                BilingualText(
                    zh: "须为 16–128 个字母、数字、- 或 _ 的随机串", en: "it must be 16–128 random letters, digits, - or _"))
        }
        return text
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
    }

    private static func isNonceCharacter(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
            || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || byte == UInt8(ascii: "-")
            || byte == UInt8(ascii: "_")
    }
}

/// The public half of an application-system credential: `hk_` and 32 hex digits (128 random bits). It names the
/// credential in signed requests and stays the same when the secret is rotated.
public enum CredentialKeyID {
    public static let prefix = "hk_"

    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return prefix + Hex.lowercase(bytes)
    }

    public static func isWellFormed(_ text: String) -> Bool {
        text.utf8.count == prefix.utf8.count + 32 && text.hasPrefix(prefix)
            && text.utf8.dropFirst(prefix.utf8.count).allSatisfy {
                (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0)
                    || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0)
            }
    }
}

/// Why a signed request was refused. Every case is a 401 that says what failed, never what was expected.
public enum SignatureError: HuitongError, Equatable {
    case malformedAuthorization(BilingualText)
    case missingHeader(String)
    case malformedHeader(String, BilingualText)
    case timestampOutOfWindow(skew: Int64, window: Int64)
    case unknownKey
    case systemInactive
    case cannotSign
    case signatureMismatch
    case replayedNonce

    public var code: String {
        switch self {
        case .malformedAuthorization: "malformed_authorization"
        case .missingHeader: "missing_signature_header"
        case .malformedHeader: "malformed_signature_header"
        case .timestampOutOfWindow: "timestamp_out_of_window"
        case .unknownKey: "unknown_key"
        case .systemInactive: "system_inactive"
        case .cannotSign: "credential_cannot_sign"
        case .signatureMismatch: "signature_mismatch"
        case .replayedNonce: "replayed_nonce"
        }
    }

    public var kind: ErrorKind { .unauthenticated }

    public var message: BilingualText {
        switch self {
        case .malformedAuthorization(let reason):
            BilingualText(
                zh: "Authorization 签名头格式有误：\(reason.zh)", en: "malformed signed Authorization header: \(reason.en)")
        case .missingHeader(let name):
            BilingualText(zh: "签名请求缺少 \(name) 头", en: "a signed request needs the \(name) header")
        case .malformedHeader(let name, let reason):
            BilingualText(zh: "\(name) 头无效：\(reason.zh)", en: "invalid \(name) header: \(reason.en)")
        case .timestampOutOfWindow(let skew, let window):
            BilingualText(
                zh: "请求时间戳与服务器时间相差 \(abs(skew)) 秒，超出允许的 ±\(window) 秒（请求已过期或时钟不准）",
                en:
                    "the request timestamp is \(abs(skew)) s \(skew >= 0 ? "old" : "ahead"), outside the allowed ±\(window) s (expired request or wrong clock)"
            )
        case .unknownKey:
            BilingualText(zh: "密钥编号不存在，或凭证已吊销、已过期", en: "unknown key id, or the credential is revoked or expired")
        case .systemInactive:
            BilingualText(zh: "应用系统已停用", en: "the application system is deactivated")
        case .cannotSign:
            BilingualText(
                zh: "此凭证签发时节点没有密封密钥，只能以 Bearer 方式使用；请轮换凭证后再签名",
                en:
                    "this credential was issued while the node had no sealing key and works as a bearer token only; rotate it to sign"
            )
        case .signatureMismatch:
            BilingualText(
                zh: "签名不匹配：请检查密钥、规范请求串与请求体摘要",
                en: "signature mismatch: check the secret, the canonical request and the body hash")
        case .replayedNonce:
            BilingualText(
                zh: "此 nonce 已被使用过（重放请求），每个请求须使用新的随机 nonce",
                en: "this nonce was already used (replayed request); every request needs a fresh random nonce")
        }
    }
}
