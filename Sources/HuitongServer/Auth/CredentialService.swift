import Foundation
import HTTPTypes
import HuitongCore
import HuitongStore
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// Application-system credentials: issuing, rotating and revoking them, and checking HMAC-signed requests
/// (`RequestSignature` describes the scheme).
struct CredentialService: Sendable {
    let store: Store
    let sealingKey: SealingKey?
    let signatureWindow: Duration
    let rotationGrace: Duration
    let signedBodyLimit: Int
    let logger: Logger
    let uses: TokenUseRecorder

    /// The longest grace a rotation may ask for: beyond a month, an old secret is no longer "being rolled over".
    static let maximumGrace = Duration.seconds(30 * 86400)

    init(store: Store, configuration: ServerConfiguration, logger: Logger = Logger(label: "huitong.credentials")) {
        self.store = store
        self.sealingKey = configuration.sealingKey
        self.signatureWindow = configuration.signatureWindow
        self.rotationGrace = configuration.credentialRotationGrace
        self.signedBodyLimit = configuration.signedBodyLimit
        self.logger = logger
        self.uses = TokenUseRecorder(store: store, logger: logger)
    }

    struct Issued: Sendable {
        var credential: APIToken
        var secret: String
    }

    /// A new credential for `system`: a fresh key id and secret, the secret kept as a digest (bearer) and sealed
    /// (signatures).
    func issue(for system: ApplicationSystem, _ draft: TokenDraft) async throws -> Issued {
        let secret = Secrets.issue(.system)
        let keyID = CredentialKeyID.generate()
        let credential = try await store.tokens.createCredential(
            systemID: system.id, draft, secret: secret, keyID: keyID, sealedSecret: seal(secret, keyID: keyID))
        return Issued(credential: credential, secret: secret.plaintext)
    }

    /// A new secret for credential `credential`; the old secret keeps working for `grace` (the configured period
    /// when nil).
    func rotate(_ credential: APIToken, grace: Duration?, now: Date = Date()) async throws -> (
        RotatedCredential, String
    ) {
        // Every system credential has a key id (migration 10 gave one to the older ones); personal tokens do not
        // rotate.
        guard let keyID = credential.keyID else { throw StoreError.notFound(entity: "token", key: "\(credential.id)") }
        let grace = grace ?? rotationGrace
        let secret = Secrets.issue(.system)
        let rotated = try await store.tokens.rotate(
            id: credential.id, secret: secret, sealedSecret: seal(secret, keyID: keyID),
            graceEnds: now.addingTimeInterval(grace.timeInterval), now: now)
        return (rotated, secret.plaintext)
    }

    private func seal(_ secret: IssuedSecret, keyID: String) -> String? {
        sealingKey?.seal(secret.plaintext, context: keyID)
    }

    /// The application system that signed `request` (`Authorization: HUITONG-HMAC-SHA256 …`), or a 401 naming what
    /// failed. The body is read (up to `signedBodyLimit`) to be hashed and left in `request` for the handler.
    func principal(forSigned request: inout Request, authorization: String, now: Date = Date()) async throws
        -> Principal
    {
        let (keyID, signature) = try RequestSignature.parseAuthorization(authorization)
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
            keyID: keyID, method: request.method.rawValue, path: request.uri.path, query: request.uri.query,
            timestamp: timestamp, nonce: nonce,
            bodySHA256: body.withUnsafeReadableBytes { RequestSignature.bodyDigest($0) })
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

/// Removes nonces of signed requests once no request carrying them could pass the timestamp check, so the table
/// holds about one replay window of traffic. Nonces are kept one window longer than needed, so that a node whose
/// clock runs behind the purging node's still finds them.
struct RequestNonceSweeper: Service {
    let store: Store
    let window: Duration
    let logger: Logger

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                try await store.requestNonces.purge(expiredBefore: Date().addingTimeInterval(-window.timeInterval))
            } catch {
                logger.warning("request nonce clean-up failed", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: window) }
        }
    }
}
