import Foundation
import HuitongCore

/// What a holder's licences are found by: for a person the keyed digest of their ID number — the same digest the
/// portal keeps of the number a developer registered with, so that the portal never holds ID numbers — and for an
/// organisation its 统一社会信用代码, which is public.
public struct LicenceHolderKeys: Sendable {
    let digests: IdentityDigests

    package init(digests: IdentityDigests) {
        self.digests = digests
    }

    public func key(for holder: LicenceHolder) -> String {
        switch holder.kind {
        case .person: digests.digest(holder.code)
        case .organisation: holder.code
        }
    }
}

/// 亮证: a short-lived token naming one licence, shown as a QR code by its holder; a verifier who scans it sees the
/// licence's live status and a masked summary. The token is the licence identifier and an expiry sealed (SM4 and
/// HMAC-SM3) under the node's sealing key: nothing is stored, a token cannot be made or stretched without the key,
/// and the identifier cannot be read out of it to verify the licence after the token has expired.
public struct LicenceShowTokens: Sendable {
    private let sealingKey: SealingKey?
    static let context = "huitong licence show token v1"

    public init(sealingKey: SealingKey?) {
        self.sealingKey = sealingKey
    }

    /// A token for `identifier` valid until `expiry`.
    public func token(for identifier: LicenceIdentifier, until expiry: Date) throws -> String {
        guard let sealingKey else { throw LicenceSealError.noSealingKey }
        let claim = "\(identifier.text)|\(Int64(expiry.timeIntervalSince1970))"
        return Base64URL.encode(Array(sealingKey.seal(claim, context: Self.context).utf8))
    }

    /// The licence a token names, when it is authentic and not expired at `now`.
    public func identifier(of token: String, at now: Date) throws -> LicenceIdentifier {
        guard let sealingKey else { throw LicenceSealError.noSealingKey }
        guard let sealed = Base64URL.decode(token),
            let claim = try? sealingKey.open(String(decoding: sealed, as: UTF8.self), context: Self.context),
            let bar = claim.lastIndex(of: "|"), let expiry = Int64(claim[claim.index(after: bar)...])
        else { throw LicenceShowTokenError.invalid }
        guard Double(expiry) > now.timeIntervalSince1970 else { throw LicenceShowTokenError.expired }
        guard let identifier = try? LicenceIdentifier(String(claim[..<bar])) else {
            throw LicenceShowTokenError.invalid
        }
        return identifier
    }

}

public enum LicenceShowTokenError: HuitongError, Equatable {
    case invalid
    case expired

    public var code: String {
        switch self {
        case .invalid: "licence_token_invalid"
        case .expired: "licence_token_expired"
        }
    }

    public var kind: ErrorKind { .badInput }

    public var message: BilingualText {
        switch self {
        case .invalid: BilingualText(zh: "亮证码无效", en: "the licence code is not valid")
        case .expired:
            BilingualText(zh: "亮证码已过期，请持证人重新出示", en: "the licence code has expired; ask the holder to show it again")
        }
    }
}
