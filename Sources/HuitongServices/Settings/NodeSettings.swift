import Configuration
import Foundation
import HuitongCore
import HuitongCrypto
import HuitongFederation
import HuitongIngest
import HuitongStore
import Logging

/// Every setting a node reads from flags, the environment (`HUITONG_*`) and the defaults: the one place that names
/// the configuration keys, their defaults and their ranges. Read and checked whole before anything is opened, so that
/// a typo stops start-up with every problem listed, and nothing half-starts.
public struct NodeSettings: Sendable {
    /// Where the node keeps its database (unless `databaseURL` says otherwise), keys and spooled uploads.
    public var dataDirectory: String
    public var database: DatabaseLocation
    /// The most connections this process opens to PostgreSQL (`HUITONG_DATABASE_CONNECTIONS`, 2–1000, 20); every
    /// node's share must fit the server's `max_connections`. SQLite ignores it.
    public var databaseConnections = DatabaseConnector.defaultMaximumConnections
    /// PostgreSQL streaming replicas that take reads the primary need not answer: gateway lookups, the portal, open
    /// data and statistics (`HUITONG_DATABASE_READ_URLS`, comma-separated; `ReadReplicas`).
    public var readReplicas: [String] = []
    /// How far behind the primary a replica may fall and still be read (`HUITONG_REPLICA_MAX_LAG`, seconds, 5).
    public var replicaMaximumLag: Duration = .seconds(5)
    /// How long a request waits for a PostgreSQL connection before it is answered 503 (`HUITONG_DATABASE_WAIT`,
    /// seconds, 3): with the primary down, writes fail closed at once instead of hanging.
    public var databaseWaitLimit: Duration = .seconds(3)
    public var logLevel: Logger.Level
    /// The region and name given for this node (`HUITONG_NODE_REGION`, `HUITONG_NODE_NAME`); stored at the first
    /// start, compared with the stored ones afterwards (`NodeIdentity`).
    public var identity: NodeIdentity.Requested
    public var accounts: AccountSettings
    public var credentials: CredentialSettings
    public var sharing: SharingSettings
    public var objections: ObjectionSettings
    public var quality: QualitySettings
    public var developers: DeveloperSettings
    public var ingest: IngestSettings
    /// How large pools are laid out on PostgreSQL.
    public var poolLayout: PoolLayout
    public var federationTiming: FederationTiming
    public var jobs: JobSettings
    public var licences: LicenceSettings
    /// How implementation codes of matters are read (GB/T 39554.1 or a province's own shape).
    public var matterCodes: MatterCodeParser
    public var audit: AuditConfiguration
    /// `HUITONG_CRYPTO_SUITE` (`gm` or `intl`) as given; nil keeps the suite the node recorded, and a new node
    /// records `gm` (`NodeCryptoSuite.resolve`).
    public var requestedCryptoSuite: CryptoSuiteID?
    /// Whether this process runs the node's background services (sweepers, schedulers, outbox delivery);
    /// `HUITONG_BACKGROUND_JOBS=false` serves requests only. The job queue runs either way: it carries out the
    /// loads and quality runs that this node's requests start.
    public var backgroundJobs: Bool

    /// Reads and checks every setting; throws one `ValidationError` naming every key that is wrong.
    public init(reader config: ConfigReader) throws(ValidationError) {
        var issues: [FieldIssue] = []
        func collect<Value>(_ read: () throws(ValidationError) -> Value, or fallback: Value) -> Value {
            do { return try read() } catch {
                issues += error.issues
                return fallback
            }
        }
        dataDirectory = config.string(forKey: "huitong.data", default: "./huitong-data")
        let locationText = config.string(forKey: "huitong.database.url") ?? "sqlite:\(dataDirectory)/huitong.sqlite"
        let dataDirectory = dataDirectory
        database = collect(
            { () throws(ValidationError) in
                do { return try DatabaseLocation(parsing: locationText) } catch {
                    throw ValidationError(
                        field: "HUITONG_DATABASE_URL",
                        BilingualText(zh: "数据库地址无效：\(error.userText)", en: "not a database URL: \(error.userText)"))
                }
            }, or: .sqlite(path: "\(dataDirectory)/huitong.sqlite"))
        databaseConnections = config.int(forKey: "huitong.database.connections", default: databaseConnections)
        var connectionIssues = ValidationCollector()
        connectionIssues.require(databaseConnections, in: 2...1000, "HUITONG_DATABASE_CONNECTIONS")
        let lag = config.int(forKey: "huitong.replica.max.lag", default: 5)
        connectionIssues.require(lag, in: 1...3600, "HUITONG_REPLICA_MAX_LAG")
        replicaMaximumLag = .seconds(lag)
        let wait = config.int(forKey: "huitong.database.wait", default: 3)
        connectionIssues.require(wait, in: 1...300, "HUITONG_DATABASE_WAIT")
        databaseWaitLimit = .seconds(wait)
        issues += connectionIssues.issues
        let replicaText = config.string(forKey: "huitong.database.read.urls", default: "")
        let primary = database
        readReplicas = collect(
            { () throws(ValidationError) -> [String] in
                let urls = replicaText.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                    .filter { !$0.isEmpty }
                guard !urls.isEmpty else { return [] }
                guard primary.backend == .postgres else {
                    throw ValidationError(
                        field: "HUITONG_DATABASE_READ_URLS",
                        BilingualText(
                            zh: "只读副本仅用于 PostgreSQL：主库须为 postgres:// 地址",
                            en: "read replicas are for PostgreSQL only: the primary must be a postgres:// URL"))
                }
                for (index, url) in urls.enumerated() {
                    guard case .postgres = try? DatabaseLocation(parsing: url) else {
                        throw ValidationError(
                            field: "HUITONG_DATABASE_READ_URLS",
                            BilingualText(
                                zh: "第 \(index + 1) 个地址不是 postgres:// 地址",
                                en: "address \(index + 1) is not a postgres:// URL"))
                    }
                }
                return urls
            }, or: [])
        let levelText = config.string(forKey: "huitong.log.level", default: "info")
        logLevel = collect(
            { () throws(ValidationError) in
                guard let level = Logger.Level(rawValue: levelText) else {
                    throw ValidationError(
                        field: "HUITONG_LOG_LEVEL",
                        BilingualText(
                            zh: "须为 trace、debug、info、notice、warning、error 之一，实为 \(levelText)",
                            en: "must be one of trace, debug, info, notice, warning, error, not \(levelText)"))
                }
                return level
            }, or: .info)
        identity = NodeIdentity.Requested(
            region: config.string(forKey: "huitong.node.region")?.trimmingCharacters(in: .whitespaces),
            name: config.string(forKey: "huitong.node.name")?.trimmingCharacters(in: .whitespaces))
        accounts = collect({ () throws(ValidationError) in try AccountSettings(reader: config) }, or: AccountSettings())
        credentials = collect(
            { () throws(ValidationError) in try CredentialSettings(reader: config) }, or: CredentialSettings())
        sharing = collect({ () throws(ValidationError) in try SharingSettings(reader: config) }, or: SharingSettings())
        objections = collect(
            { () throws(ValidationError) in try ObjectionSettings(reader: config) }, or: ObjectionSettings())
        licences = collect(
            { () throws(ValidationError) in try LicenceSettings(reader: config) }, or: LicenceSettings())
        quality = collect({ () throws(ValidationError) in try QualitySettings(reader: config) }, or: QualitySettings())
        matterCodes = collect(
            { () throws(ValidationError) in try MatterCodeParser(reader: config) }, or: MatterCodeParser())
        developers = collect(
            { () throws(ValidationError) in try DeveloperSettings(reader: config) }, or: DeveloperSettings())
        ingest = collect(
            { () throws(ValidationError) in try IngestSettings(reader: config, dataDirectory: dataDirectory) },
            or: IngestSettings())
        poolLayout = collect({ () throws(ValidationError) in try PoolLayout(reader: config) }, or: PoolLayout())
        federationTiming = collect(
            { () throws(ValidationError) in try FederationTiming(reader: config) }, or: FederationTiming())
        jobs = collect({ () throws(ValidationError) in try JobSettings(reader: config) }, or: JobSettings())
        let auditDefaults = AuditConfiguration()
        audit = AuditConfiguration(
            checkpointEveryEntries: max(
                1, config.int(forKey: "huitong.audit.checkpoint.entries", default: auditDefaults.checkpointEveryEntries)
            ),
            checkpointInterval: .seconds(max(1, config.int(forKey: "huitong.audit.checkpoint.seconds", default: 60))),
            maximumBacklog: max(1, config.int(forKey: "huitong.audit.backlog", default: auditDefaults.maximumBacklog)))
        backgroundJobs = config.bool(forKey: "huitong.background.jobs", default: true)
        let suiteText = config.string(forKey: "huitong.crypto.suite")
        requestedCryptoSuite = collect(
            { () throws(ValidationError) -> CryptoSuiteID? in
                guard let suiteText, !suiteText.trimmingCharacters(in: .whitespaces).isEmpty else { return nil }
                do throws(CryptographyError) { return try CryptoSuiteID(parsing: suiteText) } catch {
                    throw ValidationError(field: "HUITONG_CRYPTO_SUITE", error.message)
                }
            }, or: nil)
        if !issues.isEmpty { throw ValidationError(issues) }
    }

    /// The node's signing key: `HUITONG_NODE_KEY`, else `<data>/node-ed25519.key` (created when asked).
    public static func loadNodeKey(_ config: ConfigReader, create: Bool) throws(NodeKeyError) -> NodeIdentityKey {
        try NodeKeyFile.load(
            environment: config.string(forKey: "huitong.node.key", isSecret: true),
            dataDirectory: config.string(forKey: "huitong.data", default: "./huitong-data"), create: create)
    }

    /// The node's SM2 key, which signs audit checkpoints under `gm`: `HUITONG_NODE_SM2_KEY`, else
    /// `<data>/node-sm2.key` (created when asked).
    public static func loadSM2Key(_ config: ConfigReader, create: Bool) throws(NodeKeyError) -> SM2PrivateKey {
        try NodeSM2KeyFile.load(
            environment: config.string(forKey: "huitong.node.sm2.key", isSecret: true),
            dataDirectory: config.string(forKey: "huitong.data", default: "./huitong-data"), create: create)
    }

    /// The SM2 key the last `huitong node rotate-key` retired, still kept to open what peers sealed to it; nil when
    /// there is none, or when the key comes from `HUITONG_NODE_SM2_KEY` (rotated where it is kept).
    public static func loadPreviousSM2Key(_ config: ConfigReader) throws(NodeKeyError) -> SM2PrivateKey? {
        guard !holdsSM2KeyOutside(config) else { return nil }
        return try NodeSM2KeyFile.loadPrevious(dataDirectory: dataDirectory(config))
    }

    /// The public halves of every SM2 key rotated out of the data directory: the checkpoints they signed verify.
    public static func retiredSM2Keys(_ config: ConfigReader) throws(NodeKeyError) -> [SM2PublicKey] {
        try NodeSM2KeyFile.retiredPublicKeys(dataDirectory: dataDirectory(config))
    }

    /// Whether the SM2 key is given by `HUITONG_NODE_SM2_KEY` rather than kept in the data directory.
    public static func holdsSM2KeyOutside(_ config: ConfigReader) -> Bool {
        !(config.string(forKey: "huitong.node.sm2.key", isSecret: true) ?? "")
            .trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
    }

    public static func dataDirectory(_ config: ConfigReader) -> String {
        config.string(forKey: "huitong.data", default: "./huitong-data")
    }

    /// The environment variables whose values are secrets: never logged or printed.
    public static let secretVariables = [
        "HUITONG_DATABASE_URL", "HUITONG_DATABASE_READ_URLS", "HUITONG_SEALING_KEY", "HUITONG_NODE_KEY",
        "HUITONG_NODE_SM2_KEY",
    ]
}

extension Error {
    fileprivate var userText: String {
        (self as? any HuitongError)?.message.en ?? String(describing: self)
    }
}

extension ValidationCollector {
    /// A boolean setting's problems are caught by swift-configuration itself; numbers read here get their range.
    fileprivate mutating func positive(_ value: Int, _ field: String) {
        require(value, in: 1...Int.max, field)
    }
}

/// Passwords, sign-in throttling and personal tokens.
public struct AccountSettings: Sendable {
    /// bcrypt work factor for new password hashes under intl (`HUITONG_BCRYPT_COST`, 12); tests lower it to stay fast.
    public var bcryptCost: UInt8 = 12
    /// PBKDF2-HMAC-SM3 iterations for new password hashes under gm (`HUITONG_PASSWORD_ITERATIONS`, 1,000–10,000,000,
    /// 300,000); a stored hash with fewer is replaced at its next sign-in. Tests lower it to stay fast.
    public var passwordIterations = PasswordHashing.defaultIterations
    /// Reverse proxies whose `X-Forwarded-For` names the client (`HUITONG_TRUSTED_PROXIES`, comma-separated).
    public var trustedProxies: [AddressNetwork] = []
    /// A personal token's life when none is asked for, and the longest one may be given
    /// (`HUITONG_TOKEN_DEFAULT_DAYS` 90, `HUITONG_TOKEN_MAXIMUM_DAYS` 365).
    public var tokenDefaultLifetime: Duration = .seconds(90 * 86400)
    public var tokenMaximumLifetime: Duration = .seconds(365 * 86400)

    public init() {}

    public init(reader config: ConfigReader) throws(ValidationError) {
        var issues = ValidationCollector()
        let cost = config.int(forKey: "huitong.bcrypt.cost", default: 12)
        issues.require(cost, in: 4...31, "HUITONG_BCRYPT_COST")
        bcryptCost = UInt8(clamping: cost)
        passwordIterations = config.int(forKey: "huitong.password.iterations", default: passwordIterations)
        issues.require(
            passwordIterations,
            in: PasswordHashing.iterationRange.lowerBound...PasswordHashing.iterationRange.upperBound,
            "HUITONG_PASSWORD_ITERATIONS")
        for entry in config.string(forKey: "huitong.trusted.proxies", default: "").split(separator: ",") {
            let entry = entry.trimmingCharacters(in: .whitespaces)
            guard !entry.isEmpty else { continue }
            if let network = AddressNetwork(entry) {
                trustedProxies.append(network)
            } else {
                issues.add(
                    "HUITONG_TRUSTED_PROXIES",
                    BilingualText(
                        zh: "\(entry) 不是地址或网段（如 10.0.0.0/8）",
                        en: "\(entry) is not an address or a network (e.g. 10.0.0.0/8)"))
            }
        }
        let maximumDays = config.int(forKey: "huitong.token.maximum.days", default: 365)
        let defaultDays = config.int(forKey: "huitong.token.default.days", default: 90)
        issues.require(maximumDays, in: 1...3650, "HUITONG_TOKEN_MAXIMUM_DAYS")
        issues.require(defaultDays, in: 1...max(1, maximumDays), "HUITONG_TOKEN_DEFAULT_DAYS")
        tokenDefaultLifetime = .seconds(defaultDays * 86400)
        tokenMaximumLifetime = .seconds(maximumDays * 86400)
        try issues.throwIfAny()
    }
}

/// The job queue (`JobQueue`): how a node finds, holds and retries jobs.
public struct JobSettings: Sendable, Hashable {
    /// How often a node looks for jobs nobody woke it for: queued by another node, due for a retry, or left by a
    /// node that died (`HUITONG_JOBS_POLL_SECONDS`, 1–3600, 2). Jobs enqueued on the node start at once.
    public var pollInterval: Duration = .seconds(2)
    /// How long a claim holds a job unless renewed; the node renews it every third of this while the job runs, so
    /// the job of a node that dies is claimed again this long after its last renewal (`HUITONG_JOBS_LEASE_SECONDS`,
    /// 10–3600, 60). Nodes compare leases against their own clocks, which must agree to well within this.
    public var lease: Duration = .seconds(60)
    /// How often a running job's lease is renewed: a third of the lease unless set, so that two renewals in a row
    /// may be late before another node claims the job.
    public var renewalInterval: Duration {
        get { renewalIntervalOverride ?? lease / 3 }
        set { renewalIntervalOverride = newValue }
    }
    private var renewalIntervalOverride: Duration?
    /// How many times a job may be claimed, counting attempts cut short by a dying node; the last failed attempt
    /// fails the job (`HUITONG_JOBS_MAXIMUM_ATTEMPTS`, 1–100, 3). With 1, a job whose node died is failed without
    /// its handler cleaning up after it (start-up recovery still does for loads).
    public var maximumAttempts = 3
    /// The wait before the first retry of a failed attempt, doubled for each attempt after it, up to an hour
    /// (`HUITONG_JOBS_RETRY_SECONDS`, 0–3600, 10).
    public var firstRetryDelay: Duration = .seconds(10)
    /// How many jobs one node runs at once; more wait on the queue (`HUITONG_JOBS_CONCURRENCY`, 1–256, 16).
    public var concurrency = 16

    public init() {}

    public init(reader config: ConfigReader) throws(ValidationError) {
        var issues = ValidationCollector()
        let poll = config.int(forKey: "huitong.jobs.poll.seconds", default: 2)
        let lease = config.int(forKey: "huitong.jobs.lease.seconds", default: 60)
        let retry = config.int(forKey: "huitong.jobs.retry.seconds", default: 10)
        maximumAttempts = config.int(forKey: "huitong.jobs.maximum.attempts", default: maximumAttempts)
        concurrency = config.int(forKey: "huitong.jobs.concurrency", default: concurrency)
        issues.require(poll, in: 1...3600, "HUITONG_JOBS_POLL_SECONDS")
        issues.require(lease, in: 10...3600, "HUITONG_JOBS_LEASE_SECONDS")
        issues.require(maximumAttempts, in: 1...100, "HUITONG_JOBS_MAXIMUM_ATTEMPTS")
        issues.require(retry, in: 0...3600, "HUITONG_JOBS_RETRY_SECONDS")
        issues.require(concurrency, in: 1...256, "HUITONG_JOBS_CONCURRENCY")
        pollInterval = .seconds(poll)
        self.lease = .seconds(lease)
        firstRetryDelay = .seconds(retry)
        try issues.throwIfAny()
    }

    /// How long a job waits after its `attempt`-th attempt failed.
    public func retryDelay(after attempt: Int) -> Duration {
        let doublings = max(0, min(attempt - 1, 20))
        return min(firstRetryDelay * (1 << doublings), .seconds(3600))
    }
}

/// Application-system credentials and signed requests.
public struct CredentialSettings: Sendable {
    /// How far a signed request's timestamp may be from the server's clock, either way; nonces are remembered this
    /// long (`HUITONG_SIGNATURE_WINDOW`, 1–3600 s, 300).
    public var signatureWindow: Duration = .seconds(300)
    /// How long the old secret of a rotated credential keeps working unless the rotation asks for less
    /// (`HUITONG_CREDENTIAL_GRACE`, 0–2592000 s, one day).
    public var rotationGrace: Duration = .seconds(24 * 3600)
    /// The largest body of a signed request: it is read whole to be hashed before the handler runs.
    public var signedBodyLimit: Int = 2 * 1024 * 1024
    /// `HUITONG_SEALING_KEY` as given (base64), if given; otherwise the key lives in `<data>/sealing.key`.
    public var sealingKeyText: String?

    public init() {}

    public init(reader config: ConfigReader) throws(ValidationError) {
        var issues = ValidationCollector()
        let window = config.int(forKey: "huitong.signature.window", default: 300)
        let grace = config.int(forKey: "huitong.credential.grace", default: 24 * 3600)
        issues.require(window, in: 1...3600, "HUITONG_SIGNATURE_WINDOW")
        issues.require(grace, in: 0...30 * 86400, "HUITONG_CREDENTIAL_GRACE")
        signatureWindow = .seconds(window)
        rotationGrace = .seconds(grace)
        sealingKeyText = config.string(forKey: "huitong.sealing.key", isSecret: true)
        try issues.throwIfAny()
    }
}

extension SharingSettings {
    /// `HUITONG_SHARING_*` over the defaults.
    public init(reader config: ConfigReader) throws(ValidationError) {
        let defaults = SharingSettings()
        self = try SharingSettings(
            providerReviewDays: config.int(
                forKey: "huitong.sharing.provider.review.days", default: defaults.providerReviewDays),
            complianceReviewDays: config.int(
                forKey: "huitong.sharing.compliance.review.days", default: defaults.complianceReviewDays),
            coordinationDays: config.int(
                forKey: "huitong.sharing.coordination.days", default: defaults.coordinationDays),
            complianceReview: config.bool(
                forKey: "huitong.sharing.compliance.review", default: defaults.complianceReview),
            escalateRefusals: config.bool(
                forKey: "huitong.sharing.escalate.refusals", default: defaults.escalateRefusals),
            defaultRateLimit: config.int(
                forKey: "huitong.sharing.default.rate.limit", default: defaults.defaultRateLimit),
            maximumRateLimit: config.int(
                forKey: "huitong.sharing.maximum.rate.limit", default: defaults.maximumRateLimit),
            maximumPeriodDays: config.int(
                forKey: "huitong.sharing.maximum.period.days", default: defaults.maximumPeriodDays),
            sweepInterval: .seconds(config.int(forKey: "huitong.sharing.sweep.seconds", default: 900))
        ).validated()
    }
}

extension LicenceSettings {
    /// `HUITONG_LICENCE_*` over the defaults.
    public init(reader config: ConfigReader) throws(ValidationError) {
        let defaults = LicenceSettings()
        self = try LicenceSettings(
            sealYears: config.int(forKey: "huitong.licence.seal.years", default: defaults.sealYears),
            authorityYears: config.int(forKey: "huitong.licence.authority.years", default: defaults.authorityYears),
            verificationLimit: config.int(
                forKey: "huitong.licence.verification.limit", default: defaults.verificationLimit),
            verificationWindow: .seconds(
                config.int(
                    forKey: "huitong.licence.verification.window.seconds",
                    default: Int(defaults.verificationWindow.components.seconds))),
            showTokenLifetime: .seconds(
                config.int(
                    forKey: "huitong.licence.show.seconds", default: Int(defaults.showTokenLifetime.components.seconds))
            ),
            publicationSettle: .seconds(
                config.int(
                    forKey: "huitong.licence.publication.settle.seconds",
                    default: Int(defaults.publicationSettle.components.seconds)))
        ).validated()
    }
}

extension ObjectionSettings {
    /// `HUITONG_OBJECTION_*` over the defaults.
    public init(reader config: ConfigReader) throws(ValidationError) {
        let defaults = ObjectionSettings()
        self = try ObjectionSettings(
            answerDays: config.int(forKey: "huitong.objection.answer.days", default: defaults.answerDays),
            penaltyPerObjection: config.double(
                forKey: "huitong.objection.penalty.per.objection", default: defaults.penaltyPerObjection),
            penaltyCap: config.double(forKey: "huitong.objection.penalty.cap", default: defaults.penaltyCap),
            publicLimit: config.int(forKey: "huitong.objection.public.limit", default: defaults.publicLimit),
            publicWindow: .seconds(config.int(forKey: "huitong.objection.public.window.seconds", default: 3600)),
            keepVersions: config.int(forKey: "huitong.objection.keep.versions", default: defaults.keepVersions),
            sweepInterval: .seconds(config.int(forKey: "huitong.objection.sweep.seconds", default: 900))
        ).validated()
    }
}

extension DeveloperSettings {
    /// `HUITONG_OPEN_ACCESS_*` and `HUITONG_DEVELOPER_*` over the defaults.
    public init(reader config: ConfigReader) throws(ValidationError) {
        let defaults = DeveloperSettings()
        self = try DeveloperSettings(
            answerDays: config.int(forKey: "huitong.open.access.answer.days", default: defaults.answerDays),
            maximumMonths: config.int(forKey: "huitong.open.access.maximum.months", default: defaults.maximumMonths),
            keysPerDeveloper: config.int(forKey: "huitong.developer.keys", default: defaults.keysPerDeveloper),
            keyRatePerSecond: config.int(forKey: "huitong.developer.key.rate", default: defaults.keyRatePerSecond),
            keyDailyQuota: config.int(forKey: "huitong.developer.key.daily.quota", default: defaults.keyDailyQuota),
            registrationLimit: config.int(
                forKey: "huitong.developer.registration.limit", default: defaults.registrationLimit),
            registrationWindow: .seconds(
                config.int(
                    forKey: "huitong.developer.registration.window.seconds",
                    default: Int(defaults.registrationWindow.components.seconds))),
            sweepInterval: .seconds(config.int(forKey: "huitong.open.access.sweep.seconds", default: 900))
        ).validated()
    }
}

extension QualitySettings {
    /// `HUITONG_QUALITY_*` over the defaults.
    public init(reader config: ConfigReader) throws(ValidationError) {
        let defaults = QualitySettings()
        self = try QualitySettings(
            scheduleInterval: .seconds(config.int(forKey: "huitong.quality.schedule.seconds", default: 86_400)),
            pageSize: config.int(forKey: "huitong.quality.page.rows", default: defaults.pageSize),
            samplesPerRule: config.int(forKey: "huitong.quality.samples.per.rule", default: defaults.samplesPerRule),
            problemsPerRule: config.int(
                forKey: "huitong.quality.problems.per.rule", default: defaults.problemsPerRule),
            comparisonLimit: config.int(forKey: "huitong.quality.comparison.limit", default: defaults.comparisonLimit)
        ).validated()
    }
}

extension IngestSettings {
    /// The upload limit, the spool folder (`<data>/uploads`) and what loads may hold in memory:
    /// `HUITONG_UPLOAD_MAX_BYTES`, `HUITONG_XLSX_SHARED_STRINGS_MAX_BYTES` / `_MAX_COUNT` and
    /// `HUITONG_INGEST_MEMORY_BUDGET` over the defaults.
    public init(reader config: ConfigReader, dataDirectory: String) throws(ValidationError) {
        var settings = IngestSettings()
        settings.uploadMaximumBytes = Int64(
            config.int(forKey: "huitong.upload.max.bytes", default: Int(settings.uploadMaximumBytes)))
        settings.xlsxLimits.maxSharedStringsBytes = config.int(
            forKey: "huitong.xlsx.shared.strings.max.bytes", default: settings.xlsxLimits.maxSharedStringsBytes)
        settings.xlsxLimits.maxSharedStrings = config.int(
            forKey: "huitong.xlsx.shared.strings.max.count", default: settings.xlsxLimits.maxSharedStrings)
        settings.memoryBudgetBytes = config.int(
            forKey: "huitong.ingest.memory.budget", default: settings.memoryBudgetBytes)
        settings.spoolDirectory = URL(fileURLWithPath: dataDirectory).appendingPathComponent("uploads").path
        settings.collectionRoots = config.string(
            forKey: "huitong.collection.roots",
            default: URL(fileURLWithPath: dataDirectory).appendingPathComponent("collection").path
        ).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let retry = settings.collectionRetry
        settings.collectionRetry = CollectionRetryPolicy(
            firstDelay: config.double(forKey: "huitong.collection.retry.first.seconds", default: retry.firstDelay),
            maxDelay: config.double(forKey: "huitong.collection.retry.max.seconds", default: retry.maxDelay),
            attempts: config.int(forKey: "huitong.collection.retry.attempts", default: retry.attempts),
            alertAfterFailures: config.int(
                forKey: "huitong.collection.alert.failures", default: retry.alertAfterFailures),
            graceShare: config.double(forKey: "huitong.collection.late.grace.share", default: retry.graceShare),
            maxGrace: config.double(forKey: "huitong.collection.late.grace.max.seconds", default: retry.maxGrace))
        settings.collectionReconcileSeconds = config.double(
            forKey: "huitong.collection.reconcile.seconds", default: settings.collectionReconcileSeconds)
        self = try settings.validated()
    }
}

extension PoolLayout {
    /// `HUITONG_POOL_PARTITION_ROWS` (the expected size from which a keyed pool is hash-partitioned on PostgreSQL)
    /// and `HUITONG_POOL_PARTITIONS` (into how many tables, 2–1024).
    public init(reader config: ConfigReader) throws(ValidationError) {
        let defaults = PoolLayout()
        let rows = config.int(forKey: "huitong.pool.partition.rows", default: Int(defaults.partitionRows))
        let partitions = config.int(forKey: "huitong.pool.partitions", default: defaults.partitions)
        var issues = ValidationCollector()
        issues.positive(rows, "HUITONG_POOL_PARTITION_ROWS")
        issues.require(partitions, in: 2...1024, "HUITONG_POOL_PARTITIONS")
        try issues.throwIfAny()
        self.init(partitionRows: Int64(rows), partitions: partitions)
    }
}

/// Cascade timing (`HUITONG_FEDERATION_*`); the node's region and name come from its database (`NodeIdentity`).
public struct FederationTiming: Sendable {
    public var clockTolerance: TimeInterval
    public var syncInterval: TimeInterval
    public var pollInterval: TimeInterval
    public var maximumAttempts: Int
    public var retryMaximumDelay: TimeInterval

    public init() {
        let defaults = FederationSettings(profile: NodeIdentity.defaultProfile)
        clockTolerance = defaults.clockTolerance
        syncInterval = defaults.syncInterval
        pollInterval = defaults.pollInterval
        maximumAttempts = defaults.maximumAttempts
        retryMaximumDelay = defaults.retry.maximumDelay
    }

    public init(reader config: ConfigReader) throws(ValidationError) {
        self.init()
        clockTolerance = TimeInterval(
            config.int(forKey: "huitong.federation.clock.tolerance", default: Int(clockTolerance)))
        syncInterval = TimeInterval(config.int(forKey: "huitong.federation.sync.seconds", default: Int(syncInterval)))
        pollInterval = TimeInterval(config.int(forKey: "huitong.federation.poll.seconds", default: Int(pollInterval)))
        maximumAttempts = config.int(forKey: "huitong.federation.maximum.attempts", default: maximumAttempts)
        retryMaximumDelay = TimeInterval(
            config.int(forKey: "huitong.federation.retry.maximum.seconds", default: Int(retryMaximumDelay)))
        var issues = ValidationCollector()
        issues.require(Int(clockTolerance), in: 10...86_400, "HUITONG_FEDERATION_CLOCK_TOLERANCE")
        issues.require(Int(syncInterval), in: 0...Int.max, "HUITONG_FEDERATION_SYNC_SECONDS")
        issues.positive(Int(pollInterval), "HUITONG_FEDERATION_POLL_SECONDS")
        issues.positive(maximumAttempts, "HUITONG_FEDERATION_MAXIMUM_ATTEMPTS")
        issues.positive(Int(retryMaximumDelay), "HUITONG_FEDERATION_RETRY_MAXIMUM_SECONDS")
        try issues.throwIfAny()
    }

    /// The cascade settings of a node with `profile`.
    public func settings(for profile: NodeProfile) -> FederationSettings {
        var settings = FederationSettings(profile: profile)
        settings.clockTolerance = clockTolerance
        settings.syncInterval = syncInterval
        settings.pollInterval = pollInterval
        settings.maximumAttempts = maximumAttempts
        settings.retry.maximumDelay = retryMaximumDelay
        return settings
    }
}

extension MatterCodeParser {
    /// `HUITONG_MATTER_CODE_CREDIT_LENGTH` (leading characters that are the implementing body's 统一社会信用代码,
    /// 0 for none) and `HUITONG_MATTER_CODE_HYPHEN_PART` (which hyphen-separated part is, -1 for none).
    public init(reader config: ConfigReader) throws(ValidationError) {
        let defaults = MatterCodeParser()
        let length = config.int(forKey: "huitong.matter.code.credit.length", default: defaults.creditCodeLength ?? 0)
        let part = config.int(forKey: "huitong.matter.code.hyphen.part", default: defaults.hyphenCreditCodePart ?? -1)
        var issues = ValidationCollector()
        issues.require(length, in: 0...64, "HUITONG_MATTER_CODE_CREDIT_LENGTH")
        issues.require(part, in: -1...20, "HUITONG_MATTER_CODE_HYPHEN_PART")
        try issues.throwIfAny()
        self.init(creditCodeLength: length == 0 ? nil : length, hyphenCreditCodePart: part < 0 ? nil : part)
    }
}
