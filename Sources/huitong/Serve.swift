import ArgumentParser
import Configuration
import Foundation
import HuitongCore
import HuitongIngest
import HuitongServer
import HuitongStore
import Hummingbird
import Logging
import NIOCore

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the platform (HTTP API, gateway and pages).")

    @OptionGroup var node: NodeOptions
    @OptionGroup var identity: IdentityOptions

    @Option(help: "Port to listen on (default 8080; env HUITONG_PORT).")
    var port: Int?

    @Option(help: "Address to bind (default 127.0.0.1; env HUITONG_HOST). Use 0.0.0.0 to serve other machines.")
    var host: String?

    @Flag(help: "Load the demo city (六安市) into an empty database.")
    var demo = false

    func run() async throws {
        var extra = identity.values
        if let port { extra["port"] = ConfigValue(.int(port), isSecret: false) }
        if let host { extra["host"] = ConfigValue(.string(host), isSecret: false) }
        let config = node.reader(extra: extra)
        let logger = node.makeLogger(config)
        let store: Store
        do {
            store = try await node.openStore(config, logger: logger)
        } catch {
            throw ValidationError("cannot open the database: \(error.userMessage)")
        }
        var configuration = ServerConfiguration(
            host: config.string(forKey: "huitong.host", default: "127.0.0.1"),
            port: config.int(forKey: "huitong.port", default: 8080),
            bcryptCost: UInt8(clamping: config.int(forKey: "huitong.bcrypt.cost", default: 12)),
            secureCookies: config.bool(forKey: "huitong.cookies.secure", default: false),
            publicURL: config.string(forKey: "huitong.public.url"),
            signatureWindow: .seconds(config.int(forKey: "huitong.signature.window", default: 300)),
            credentialRotationGrace: .seconds(config.int(forKey: "huitong.credential.grace", default: 24 * 3600)),
            eventLoopThreads: max(
                1, config.int(forKey: "huitong.event.loop.threads", default: max(1, System.coreCount / 2))))
        configuration.version = HuitongVersion.current
        configuration.metricsPort = config.int(forKey: "huitong.metrics.port")
        configuration.metricsHost = config.string(forKey: "huitong.metrics.host", default: "127.0.0.1")
        do {
            configuration.federation = try federationSettings(
                config, profile: try await storedNodeProfile(store, config))
        } catch {
            await store.provider.shutdown()
            throw error
        }
        let window = configuration.signatureWindow.components.seconds
        let grace = configuration.credentialRotationGrace.components.seconds
        guard (1...3600).contains(window), (0...30 * 86400).contains(grace) else {
            await store.provider.shutdown()
            throw ValidationError(
                "HUITONG_SIGNATURE_WINDOW must be 1–3600 seconds (is \(window)) and HUITONG_CREDENTIAL_GRACE 0–2592000 (is \(grace))"
            )
        }
        do {
            let (key, origin) = try SealingKeyLoader.load(
                base64: config.string(forKey: "huitong.sealing.key", isSecret: true),
                dataDirectory: config.string(forKey: "huitong.data", default: "./huitong-data"))
            configuration.sealingKey = key
            switch origin {
            case .environment, .file:
                logger.info("sealing key loaded", metadata: ["fingerprint": "\(key.fingerprint)"])
            case .created(let path):
                logger.notice(
                    "created a new sealing key; back it up apart from the database, and give every node on the same database this key (HUITONG_SEALING_KEY)",
                    metadata: ["path": "\(path)", "fingerprint": "\(key.fingerprint)"])
            }
        } catch {
            await store.provider.shutdown()
            throw ValidationError("cannot load the sealing key: \(error)")
        }
        do {
            configuration.sharing = try sharingSettings(config).validated()
        } catch {
            await store.provider.shutdown()
            throw ValidationError("sharing settings: \(error.userMessage)")
        }
        do {
            configuration.objections = try objectionSettings(config).validated()
        } catch {
            await store.provider.shutdown()
            throw ValidationError("objection settings: \(error.userMessage)")
        }
        do {
            configuration.developers = try developerSettings(config).validated()
        } catch {
            await store.provider.shutdown()
            throw ValidationError("developer settings: \(error.userMessage)")
        }
        do {
            configuration.ingest = try ingestSettings(config).validated()
        } catch {
            await store.provider.shutdown()
            throw ValidationError("upload and load settings: \(error.userMessage)")
        }
        do {
            configuration.quality = try qualitySettings(config).validated()
        } catch {
            await store.provider.shutdown()
            throw ValidationError("quality settings: \(error.userMessage)")
        }
        do {
            configuration.trustedProxies = try trustedProxies(config)
            (configuration.tokenDefaultLifetime, configuration.tokenMaximumLifetime) = try tokenLifetimes(config)
        } catch {
            await store.provider.shutdown()
            throw error
        }
        do {
            let audit = AuditTrail(
                repository: store.audit, nodeKey: try node.loadNodeKey(config, create: true),
                configuration: node.auditConfiguration(config), logger: Logger(label: "huitong.audit"))
            let accounts = AccountService(store: store, bcryptCost: configuration.bcryptCost)
            if demo {
                if let issued = try await DemoData.load(into: accounts, audit: audit.log) {
                    printAccounts(issued, heading: "演示数据已加载 (demo data loaded) — 账号 accounts:")
                } else {
                    logger.notice("the database already holds data; the demo was not loaded again")
                }
            }
            if let issued = try await Bootstrap.ensureOperator(
                accounts, bureau: .init(node: configuration.federation.profile))
            {
                printAccounts([issued], heading: "已创建平台管理员 (operator account created):")
            }
            let app = try await HuitongApp.buildApplication(
                store: store, configuration: configuration, logger: logger, audit: audit)
            print(
                "Huitong \(HuitongVersion.current) on http://\(configuration.host):\(configuration.port) (\(store.backend.rawValue))"
            )
            if let port = configuration.metricsPort {
                print("Metrics on http://\(configuration.metricsHost):\(port)/metrics")
            }
            fflush(nil)
            try await app.runService()
        } catch {
            await store.provider.shutdown()
            throw error
        }
    }
}

/// The sharing workflow's time limits and defaults: `HUITONG_SHARING_*` over the defaults of `SharingSettings`.
func sharingSettings(_ config: ConfigReader) -> SharingSettings {
    let defaults = SharingSettings()
    return SharingSettings(
        providerReviewDays: config.int(
            forKey: "huitong.sharing.provider.review.days", default: defaults.providerReviewDays),
        complianceReviewDays: config.int(
            forKey: "huitong.sharing.compliance.review.days", default: defaults.complianceReviewDays),
        coordinationDays: config.int(forKey: "huitong.sharing.coordination.days", default: defaults.coordinationDays),
        complianceReview: config.bool(forKey: "huitong.sharing.compliance.review", default: defaults.complianceReview),
        escalateRefusals: config.bool(forKey: "huitong.sharing.escalate.refusals", default: defaults.escalateRefusals),
        defaultRateLimit: config.int(forKey: "huitong.sharing.default.rate.limit", default: defaults.defaultRateLimit),
        maximumRateLimit: config.int(forKey: "huitong.sharing.maximum.rate.limit", default: defaults.maximumRateLimit),
        maximumPeriodDays: config.int(
            forKey: "huitong.sharing.maximum.period.days", default: defaults.maximumPeriodDays),
        sweepInterval: .seconds(config.int(forKey: "huitong.sharing.sweep.seconds", default: 900)))
}

/// The objection loop's time limit and policy: `HUITONG_OBJECTION_*` over the defaults of `ObjectionSettings`.
func objectionSettings(_ config: ConfigReader) -> ObjectionSettings {
    let defaults = ObjectionSettings()
    return ObjectionSettings(
        answerDays: config.int(forKey: "huitong.objection.answer.days", default: defaults.answerDays),
        penaltyPerObjection: config.double(
            forKey: "huitong.objection.penalty.per.objection", default: defaults.penaltyPerObjection),
        penaltyCap: config.double(forKey: "huitong.objection.penalty.cap", default: defaults.penaltyCap),
        publicLimit: config.int(forKey: "huitong.objection.public.limit", default: defaults.publicLimit),
        publicWindow: .seconds(config.int(forKey: "huitong.objection.public.window.seconds", default: 3600)),
        keepVersions: config.int(forKey: "huitong.objection.keep.versions", default: defaults.keepVersions),
        sweepInterval: .seconds(config.int(forKey: "huitong.objection.sweep.seconds", default: 900)))
}

/// Portal developers' allowances: `HUITONG_OPEN_ACCESS_*` and `HUITONG_DEVELOPER_*` over `DeveloperSettings`.
func developerSettings(_ config: ConfigReader) -> DeveloperSettings {
    let defaults = DeveloperSettings()
    return DeveloperSettings(
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
        sweepInterval: .seconds(config.int(forKey: "huitong.open.access.sweep.seconds", default: 900)))
}

/// Upload limit, spool folder (`<data>/uploads`) and what loads may hold in memory: `HUITONG_UPLOAD_MAX_BYTES`,
/// `HUITONG_XLSX_SHARED_STRINGS_MAX_BYTES` / `_MAX_COUNT` and `HUITONG_INGEST_MEMORY_BUDGET` over the defaults.
func ingestSettings(_ config: ConfigReader) -> IngestSettings {
    var settings = IngestSettings()
    settings.uploadMaximumBytes = Int64(
        config.int(forKey: "huitong.upload.max.bytes", default: Int(settings.uploadMaximumBytes)))
    settings.xlsxLimits.maxSharedStringsBytes = config.int(
        forKey: "huitong.xlsx.shared.strings.max.bytes", default: settings.xlsxLimits.maxSharedStringsBytes)
    settings.xlsxLimits.maxSharedStrings = config.int(
        forKey: "huitong.xlsx.shared.strings.max.count", default: settings.xlsxLimits.maxSharedStrings)
    settings.memoryBudgetBytes = config.int(forKey: "huitong.ingest.memory.budget", default: settings.memoryBudgetBytes)
    settings.spoolDirectory =
        URL(fileURLWithPath: config.string(forKey: "huitong.data", default: "./huitong-data"))
        .appendingPathComponent("uploads").path
    return settings
}

/// Reverse proxies whose `X-Forwarded-For` is believed: `HUITONG_TRUSTED_PROXIES`, networks or addresses separated
/// by commas.
func trustedProxies(_ config: ConfigReader) throws -> [AddressNetwork] {
    let text = config.string(forKey: "huitong.trusted.proxies", default: "")
    return try text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        .map { entry in
            guard let network = AddressNetwork(entry) else {
                throw ValidationError(
                    "HUITONG_TRUSTED_PROXIES: \(entry) is not an address or a network (e.g. 10.0.0.0/8)")
            }
            return network
        }
}

/// Personal tokens' default and longest life: `HUITONG_TOKEN_DEFAULT_DAYS` (90) and `HUITONG_TOKEN_MAXIMUM_DAYS` (365).
func tokenLifetimes(_ config: ConfigReader) throws -> (default: Duration, maximum: Duration) {
    let defaultDays = config.int(forKey: "huitong.token.default.days", default: 90)
    let maximumDays = config.int(forKey: "huitong.token.maximum.days", default: 365)
    guard (1...3650).contains(maximumDays), (1...maximumDays).contains(defaultDays) else {
        throw ValidationError(
            "HUITONG_TOKEN_MAXIMUM_DAYS must be 1–3650 (is \(maximumDays)) and HUITONG_TOKEN_DEFAULT_DAYS 1 up to it (is \(defaultDays))"
        )
    }
    return (.seconds(defaultDays * 86400), .seconds(maximumDays * 86400))
}

/// How quality runs go: `HUITONG_QUALITY_*` over the defaults of `QualitySettings`.
func qualitySettings(_ config: ConfigReader) -> QualitySettings {
    let defaults = QualitySettings()
    return QualitySettings(
        scheduleInterval: .seconds(config.int(forKey: "huitong.quality.schedule.seconds", default: 86_400)),
        pageSize: config.int(forKey: "huitong.quality.page.rows", default: defaults.pageSize),
        samplesPerRule: config.int(forKey: "huitong.quality.samples.per.rule", default: defaults.samplesPerRule),
        problemsPerRule: config.int(forKey: "huitong.quality.problems.per.rule", default: defaults.problemsPerRule),
        comparisonLimit: config.int(forKey: "huitong.quality.comparison.limit", default: defaults.comparisonLimit))
}

struct Initialize: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init", abstract: "Create or upgrade the database and the first operator account.")

    @OptionGroup var node: NodeOptions
    @OptionGroup var identity: IdentityOptions

    func run() async throws {
        let config = node.reader(extra: identity.values)
        let logger = node.makeLogger(config)
        let store = try await node.openStore(config, logger: logger)
        do {
            let profile = try await storedNodeProfile(store, config)
            print(
                "节点 node: \(profile.region.code) (\(profile.level.label.zh) \(profile.level.rawValue)) \(profile.name)")
            if let issued = try await Bootstrap.ensureOperator(
                accountService(store, config), bureau: .init(node: profile))
            {
                printAccounts([issued], heading: "已创建平台管理员 (operator account created):")
            } else {
                print("数据库已是最新 (database is up to date); operator accounts already exist.")
            }
        } catch {
            await store.provider.shutdown()
            throw error
        }
        await store.provider.shutdown()
    }
}

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Load the demo city (六安市) into an empty database.")

    @OptionGroup var node: NodeOptions

    func run() async throws {
        try await withStore(node) { store, config, _ in
            // The demo's grants go on the audit log like any other grant.
            let audit = AuditTrail(repository: store.audit, nodeKey: try node.loadNodeKey(config, create: true))
            guard let issued = try await DemoData.load(into: accountService(store, config), audit: audit.log) else {
                throw ValidationError("数据库中已有数据，未加载演示数据 (the database already holds data; demo not loaded)")
            }
            printAccounts(issued, heading: "演示数据已加载 (demo data loaded) — 账号 accounts:")
        }
    }
}
