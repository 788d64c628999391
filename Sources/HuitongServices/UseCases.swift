import Foundation
import HuitongCore
import HuitongFederation
import HuitongStore
import Logging
import ServiceLifecycle

/// Every use case of a node, each built once over one store and one audit trail, and shared by the HTTP routes,
/// the pages and the background services (`backgroundServices`).
public struct UseCases: Sendable {
    public let store: Store
    public let audit: AuditTrail
    public let accounts: AccountUseCases
    public let credentials: CredentialUseCases
    public let sharing: SharingUseCases
    public let quality: QualityUseCases
    public let objections: ObjectionUseCases
    public let developers: DeveloperUseCases
    public let crossLevel: CrossLevelUseCases
    /// Work that outlives the request that started it (loads, the quality runs after them), drained on shutdown.
    public let background: BackgroundWork

    /// The settings each use case needs; `signInClock` is what sign-in throttling reads (tests move one by hand).
    public struct Settings: Sendable {
        public var accounts = AccountSettings()
        public var credentials = CredentialSettings()
        public var sealingKey: SealingKey?
        public var sharing = SharingSettings()
        public var objections = ObjectionSettings()
        public var quality = QualitySettings()
        public var developers = DeveloperSettings()
        public var region: NodeRegion = NodeIdentity.defaultProfile.region
        public var signInClock: @Sendable () -> ContinuousClock.Instant = { .now }

        public init() {}
    }

    public init(store: Store, audit: AuditTrail, settings: Settings) {
        self.store = store
        self.audit = audit
        background = BackgroundWork()
        accounts = AccountUseCases(
            store: store, bcryptCost: settings.accounts.bcryptCost,
            throttle: SignInThrottle(now: settings.signInClock), trustedProxies: settings.accounts.trustedProxies,
            tokenDefaultLifetime: settings.accounts.tokenDefaultLifetime,
            tokenMaximumLifetime: settings.accounts.tokenMaximumLifetime)
        credentials = CredentialUseCases(
            store: store, sealingKey: settings.sealingKey, signatureWindow: settings.credentials.signatureWindow,
            rotationGrace: settings.credentials.rotationGrace, signedBodyLimit: settings.credentials.signedBodyLimit)
        sharing = SharingUseCases(store: store, settings: settings.sharing, audit: audit.log)
        quality = QualityUseCases.make(
            store: store, settings: settings.quality, objectionPenalty: settings.objections.penalty,
            audit: audit.log, background: background)
        objections = ObjectionUseCases(store: store, settings: settings.objections, audit: audit.log)
        developers = DeveloperUseCases(store: store, settings: settings.developers, accounts: accounts, audit: audit)
        crossLevel = CrossLevelUseCases(store: store, sharing: sharing, audit: audit, local: settings.region)
    }

    /// The sweepers and schedulers of these use cases, each over the same instance the routes use.
    public func backgroundServices(logger: Logger) -> [any Service] {
        [
            OverdueSweeper(service: sharing, logger: logger),
            ObjectionSweeper(service: objections, logger: logger),
            OpenAccessSweeper(service: developers, logger: logger),
            QualityScheduler(service: quality, logger: logger),
        ]
    }
}
