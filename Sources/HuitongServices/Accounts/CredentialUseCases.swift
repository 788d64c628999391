import Foundation
import HuitongCore
import HuitongStore
import Logging
import ServiceLifecycle

/// Application-system credentials: issuing, rotating and revoking them, and checking HMAC-signed requests
/// (`RequestSignature` describes the scheme).
public struct CredentialUseCases: Sendable {
    package let store: Store
    package let sealingKey: SealingKey?
    package let signatureWindow: Duration
    package let rotationGrace: Duration
    package let signedBodyLimit: Int
    package let logger: Logger
    package let uses: TokenUseRecorder

    /// The longest grace a rotation may ask for: beyond a month, an old secret is no longer "being rolled over".
    package static let maximumGrace = Duration.seconds(30 * 86400)

    package init(
        store: Store, sealingKey: SealingKey?, signatureWindow: Duration, rotationGrace: Duration,
        signedBodyLimit: Int, logger: Logger = Logger(label: "huitong.credentials")
    ) {
        self.store = store
        self.sealingKey = sealingKey
        self.signatureWindow = signatureWindow
        self.rotationGrace = rotationGrace
        self.signedBodyLimit = signedBodyLimit
        self.logger = logger
        self.uses = TokenUseRecorder(store: store, logger: logger)
    }

    package struct Issued: Sendable {
        package var credential: APIToken
        package var secret: String
    }

    /// A new credential for `system`: a fresh key id and secret, the secret kept as a digest (bearer) and sealed
    /// (signatures).
    package func issue(for system: ApplicationSystem, _ draft: TokenDraft) async throws -> Issued {
        let secret = Secrets.issue(.system, suite: sealingKey?.suite ?? .intl)
        let keyID = CredentialKeyID.generate()
        let credential = try await store.tokens.createCredential(
            systemID: system.id, draft, secret: secret, keyID: keyID, sealedSecret: seal(secret, keyID: keyID))
        return Issued(credential: credential, secret: secret.plaintext)
    }

    /// A new secret for credential `credential`; the old secret keeps working for `grace` (the configured period
    /// when nil).
    package func rotate(_ credential: APIToken, grace: Duration?, now: Date = Date()) async throws -> (
        RotatedCredential, String
    ) {
        // Every system credential has a key id (migration 10 gave one to the older ones); personal tokens do not
        // rotate.
        guard let keyID = credential.keyID else { throw StoreError.notFound(entity: "token", key: "\(credential.id)") }
        let grace = grace ?? rotationGrace
        let secret = Secrets.issue(.system, suite: sealingKey?.suite ?? .intl)
        let rotated = try await store.tokens.rotate(
            id: credential.id, secret: secret, sealedSecret: seal(secret, keyID: keyID),
            graceEnds: now.addingTimeInterval(grace.timeInterval), now: now)
        return (rotated, secret.plaintext)
    }

    private func seal(_ secret: IssuedSecret, keyID: String) -> String? {
        sealingKey?.seal(secret.plaintext, context: keyID)
    }
}

/// Removes nonces of signed requests once no request carrying them could pass the timestamp check, so the table
/// holds about one replay window of traffic. Nonces are kept one window longer than needed, so that a node whose
/// clock runs behind the purging node's still finds them.
package struct RequestNonceSweeper: Service {
    package init(store: Store, window: Duration, logger: Logger) {
        self.store = store
        self.window = window
        self.logger = logger
    }

    package let store: Store
    package let window: Duration
    package let logger: Logger

    package func run() async throws {
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
