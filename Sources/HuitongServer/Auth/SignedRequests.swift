import Foundation
import HTTPTypes
import HuitongCore
import HuitongServices
import HuitongStore
import Hummingbird
import NIOCore

extension CredentialUseCases {
    /// The application system that signed `request` (`Authorization: HUITONG-HMAC-SM3 …` or
    /// `HUITONG-HMAC-SHA256 …`), or a 401 naming what
    /// failed. The body is read (up to `signedBodyLimit`) to be hashed and left in `request` for the handler.
    func principal(forSigned request: inout Request, authorization: String, now: Date = Date()) async throws
        -> Principal
    {
        let (scheme, keyID, signature) = try RequestSignature.parseAuthorization(authorization)
        let window = signatureWindow.timeInterval
        let timestamp = try RequestSignature.checkTimestamp(
            request.headers[.huitongTimestamp], now: now, window: window)
        let nonce = try RequestSignature.checkNonce(request.headers[.huitongNonce])
        let generations = try await store.tokens.signingCredentials(keyID: keyID, now: now)
        guard let newest = generations.first, case .system(let systemID) = newest.token.owner else {
            throw SignatureError.unknownKey
        }
        guard let system = try await store.applicationSystems.find(id: systemID), system.isActive else {
            throw SignatureError.systemInactive
        }
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: signedBodyLimit)
        } catch {
            throw APIError.bodyTooLarge(limit: signedBodyLimit)
        }
        let signed = SignedRequest(
            scheme: scheme, keyID: keyID, method: request.method.rawValue, path: request.uri.path,
            query: request.uri.query, timestamp: timestamp, nonce: nonce,
            bodyDigest: body.withUnsafeReadableBytes { scheme.bodyDigest($0) })
        let sealed = generations.compactMap { generation in generation.sealedSecret.map { (generation.token, $0) } }
        guard !sealed.isEmpty else { throw SignatureError.cannotSign }
        guard let sealingKey else { throw SealingError.missingKey }
        var matched: APIToken?
        // During a rotation's grace period two secrets are live under one key id; either may have signed.
        for (token, sealedSecret) in sealed {
            let secret: String
            do {
                secret = try sealingKey.open(sealedSecret, context: keyID)
            } catch {
                logger.error(
                    "cannot unseal a credential; is this node's sealing key the one it was issued under?",
                    metadata: ["credential": "\(token.id)", "sealingKey": "\(sealingKey.fingerprint)"])
                throw error
            }
            if RequestSignature.isValid(signature, for: signed, secret: secret) {
                matched = token
                break
            }
        }
        guard let token = matched else { throw SignatureError.signatureMismatch }
        // Recorded only once the signature holds, so that nobody without the secret can use up a caller's nonces.
        let nonceExpiry = Date(timeIntervalSince1970: TimeInterval(timestamp) + window)
        guard try await store.requestNonces.record(keyID: keyID, nonce: nonce, expiresAt: nonceExpiry) else {
            throw SignatureError.replayedNonce
        }
        uses.record(token, at: now)
        return .system(system, token)
    }
}

extension HTTPField.Name {
    static let huitongTimestamp = HTTPField.Name(RequestSignature.timestampHeader)!
    static let huitongNonce = HTTPField.Name(RequestSignature.nonceHeader)!
}
