import Configuration
import Foundation
import HuitongCore
import HuitongCrypto
import HuitongFederation
import HuitongServices
import NIOCore

/// Everything the HTTP application needs to know that is not in the database.
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// bcrypt work factor for new password hashes. 12 in production; tests lower it to stay fast.
    public var bcryptCost: UInt8
    /// PBKDF2-HMAC-SM3 iterations for new password hashes under gm; tests lower it to stay fast.
    public var passwordIterations = PasswordHashing.defaultIterations
    /// How long a browser session lasts without signing in again.
    public var sessionLifetime: Duration
    /// Mark cookies `Secure`; turn on when the node is served over HTTPS.
    public var secureCookies: Bool
    /// Reverse proxies (networks) whose `X-Forwarded-For` names the client for sign-in throttling
    /// (`HUITONG_TRUSTED_PROXIES`); other peers are the client themselves.
    public var trustedProxies: [AddressNetwork] = []
    /// A personal token's life when none is asked for, and the longest one may be given
    /// (`HUITONG_TOKEN_DEFAULT_DAYS`, `HUITONG_TOKEN_MAXIMUM_DAYS`).
    public var tokenDefaultLifetime: Duration = .seconds(90 * 86400)
    public var tokenMaximumLifetime: Duration = .seconds(365 * 86400)
    /// The clock sign-in throttling reads; tests pass one they move by hand instead of sleeping.
    public var signInClock: @Sendable () -> ContinuousClock.Instant = { .now }
    /// How long the gateway keeps an entry, its active pool version and a caller's access in memory before it
    /// reads them again: a change made on another node (a load, a withdrawal, a revocation) reaches calls within
    /// this time. Changes to access made on this node apply to the next call (see `AccessRevision`).
    public var gatewayCacheLifetime: Duration = .seconds(1)
    /// The clock the gateway's per-second rate limits and its caches read; tests pass one they move by hand
    /// instead of sleeping.
    public var gatewayClock: @Sendable () -> ContinuousClock.Instant = { .now }
    public var version: String
    /// The address the public reaches this node at (e.g. `https://data.luan.gov.cn`), used in DCAT and CKAN
    /// links; nil means `http://host:port`.
    public var publicURL: String?
    /// Time limits and defaults of the sharing workflow.
    public var sharing: SharingSettings
    /// Time limits and policy of the objection loop.
    public var objections: ObjectionSettings
    /// How quality runs go and how often the scheduler runs them.
    public var quality: QualitySettings
    /// Portal developers: the answer limit of conditional applications, key allowances, registration limits.
    public var developers: DeveloperSettings
    /// Seals application-system secrets so that HMAC-signed requests can be checked (`HUITONG_SEALING_KEY` or
    /// `<data>/sealing.key`). Without one, new credentials work as bearer tokens only.
    public var sealingKey: SealingKey?
    /// The node's SM2 keys, current first: it signs cascade hops under `gm` and opens the bodies peers encrypt to
    /// it (`HUITONG_NODE_SM2_KEY` or `<data>/node-sm2.key`); after a rotation, the retired key still opens what was
    /// sealed to it.
    public var nodeSM2Keys: [SM2PrivateKey] = []
    /// How far a signed request's timestamp may be from the server's clock, either way; nonces are remembered
    /// this long.
    public var signatureWindow: Duration
    /// How long the old secret of a rotated credential keeps working, unless the rotation asks for less.
    public var credentialRotationGrace: Duration
    /// The largest body of a signed request: it is read whole to be hashed before the handler runs.
    public var signedBodyLimit: Int
    /// How long the gateway waits for a provider's own API (entries mounted as `api`), and how much of its answer
    /// it reads.
    public var upstreamTimeout: Duration
    public var upstreamMaximumBytes: Int
    /// Threads for network I/O. HTTP parsing needs little; the rest of a request (handlers, SQLite's thread pool)
    /// needs the cores, and on two cores one I/O thread served the gateway ~10 % faster than two, with fewer
    /// thread switches.
    public var eventLoopThreads: Int
    /// This node's place in the cascade (region, name) and how it exchanges messages with its peers.
    public var federation: FederationSettings
    /// Upload limit, spool folder, and what loads may hold in memory.
    public var ingest = IngestSettings()
    /// How the job queue polls, leases and retries.
    public var jobs = JobSettings()
    /// How licences are sealed (`HUITONG_LICENCE_*`).
    public var licences = LicenceSettings()
    public var matterCodes = MatterCodeParser()
    /// Where `/metrics` (Prometheus text) is served: a listener of its own, apart from the public port, on
    /// `metricsHost` (loopback unless set) and `metricsPort`; nil serves no metrics.
    public var metricsPort: Int?
    public var metricsHost: String = "127.0.0.1"
    /// Whether the sweepers, schedulers and outbox delivery run in this process (`HUITONG_BACKGROUND_JOBS`).
    public var backgroundJobs = true

    /// Whether cookies are marked `Secure`: when asked, and whenever the public address is https (a browser
    /// reaching the node over TLS must never send its session in clear text).
    public var cookiesSecure: Bool {
        secureCookies || (publicURL?.lowercased().hasPrefix("https://") ?? false)
    }

    /// The base of every absolute link the node writes, without a trailing slash.
    public var baseURL: String {
        var base = publicURL ?? "http://\(host):\(port)"
        while base.hasSuffix("/") { base.removeLast() }
        return base
    }

    public init(
        host: String = "127.0.0.1",
        port: Int = 8080,
        bcryptCost: UInt8 = 12,
        sessionLifetime: Duration = .seconds(8 * 3600),
        secureCookies: Bool = false,
        version: String = HuitongVersion.current,
        publicURL: String? = nil,
        sharing: SharingSettings = SharingSettings(),
        objections: ObjectionSettings = ObjectionSettings(),
        quality: QualitySettings = QualitySettings(),
        developers: DeveloperSettings = DeveloperSettings(),
        sealingKey: SealingKey? = nil,
        signatureWindow: Duration = .seconds(300),
        credentialRotationGrace: Duration = .seconds(24 * 3600),
        signedBodyLimit: Int = 2 * 1024 * 1024,
        upstreamTimeout: Duration = .seconds(10),
        upstreamMaximumBytes: Int = 8 * 1024 * 1024,
        eventLoopThreads: Int = max(1, System.coreCount / 2),
        federation: FederationSettings = FederationSettings(profile: NodeIdentity.defaultProfile)
    ) {
        self.host = host
        self.port = port
        self.bcryptCost = bcryptCost
        self.sessionLifetime = sessionLifetime
        self.secureCookies = secureCookies
        self.version = version
        self.publicURL = publicURL
        self.sharing = sharing
        self.objections = objections
        self.quality = quality
        self.developers = developers
        self.sealingKey = sealingKey
        self.signatureWindow = signatureWindow
        self.credentialRotationGrace = credentialRotationGrace
        self.signedBodyLimit = signedBodyLimit
        self.upstreamTimeout = upstreamTimeout
        self.upstreamMaximumBytes = upstreamMaximumBytes
        self.eventLoopThreads = eventLoopThreads
        self.federation = federation
    }
}

extension ServerConfiguration {
    /// The HTTP edge's own keys (`HUITONG_HOST`, `_PORT`, `_COOKIES_SECURE`, `_PUBLIC_URL`, `_EVENT_LOOP_THREADS`,
    /// `_METRICS_PORT`, `_METRICS_HOST`) over the node's checked `settings`; the sealing key is loaded (or created)
    /// and the cascade settings take the node's stored identity `profile`.
    public init(reader config: ConfigReader, settings: NodeSettings, sealingKey: SealingKey?, profile: NodeProfile) {
        self.init(
            host: config.string(forKey: "huitong.host", default: "127.0.0.1"),
            port: config.int(forKey: "huitong.port", default: 8080),
            bcryptCost: settings.accounts.bcryptCost,
            secureCookies: config.bool(forKey: "huitong.cookies.secure", default: false),
            publicURL: config.string(forKey: "huitong.public.url"),
            sharing: settings.sharing, objections: settings.objections, quality: settings.quality,
            developers: settings.developers, sealingKey: sealingKey,
            signatureWindow: settings.credentials.signatureWindow,
            credentialRotationGrace: settings.credentials.rotationGrace,
            signedBodyLimit: settings.credentials.signedBodyLimit,
            eventLoopThreads: max(
                1, config.int(forKey: "huitong.event.loop.threads", default: max(1, System.coreCount / 2))),
            federation: settings.federationTiming.settings(for: profile))
        trustedProxies = settings.accounts.trustedProxies
        passwordIterations = settings.accounts.passwordIterations
        tokenDefaultLifetime = settings.accounts.tokenDefaultLifetime
        tokenMaximumLifetime = settings.accounts.tokenMaximumLifetime
        ingest = settings.ingest
        jobs = settings.jobs
        licences = settings.licences
        matterCodes = settings.matterCodes
        backgroundJobs = settings.backgroundJobs
        metricsPort = config.int(forKey: "huitong.metrics.port")
        metricsHost = config.string(forKey: "huitong.metrics.host", default: "127.0.0.1")
    }

    /// What the use cases are built with.
    public var useCaseSettings: UseCases.Settings {
        var settings = UseCases.Settings()
        settings.accounts.bcryptCost = bcryptCost
        settings.accounts.passwordIterations = passwordIterations
        settings.accounts.trustedProxies = trustedProxies
        settings.accounts.tokenDefaultLifetime = tokenDefaultLifetime
        settings.accounts.tokenMaximumLifetime = tokenMaximumLifetime
        settings.credentials.signatureWindow = signatureWindow
        settings.credentials.rotationGrace = credentialRotationGrace
        settings.credentials.signedBodyLimit = signedBodyLimit
        settings.sealingKey = sealingKey
        settings.sharing = sharing
        settings.objections = objections
        settings.quality = quality
        settings.developers = developers
        settings.ingest = ingest
        settings.jobs = jobs
        settings.licences = licences
        settings.matterCodes = matterCodes
        settings.region = federation.profile.region
        settings.signInClock = signInClock
        return settings
    }
}
