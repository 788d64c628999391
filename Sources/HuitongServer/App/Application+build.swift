import Configuration
import Foundation
import HuitongCore
import HuitongCrypto
import HuitongFederation
import HuitongIngest
import HuitongServices
import HuitongStore
import Hummingbird
import Logging
import NIOPosix
import ServiceLifecycle

/// The composition root: the one place where settings are read, the store opened, every use case built (once)
/// and the routes and background services put together. `huitong serve` and the tests both come through
/// `buildApplication(reader:)`.
public enum HuitongApp {
    /// A node put together: what `buildApplication` hands to `beforeServing` (the demo loader, the first operator).
    public struct Node: Sendable {
        public let configuration: ServerConfiguration
        public let store: Store
        public let useCases: UseCases
        public let logger: Logger
    }

    /// Builds the application from configuration, in the Hummingbird template's shape: settings are read and
    /// checked before anything is opened (one error lists every bad key); then the store is opened and prepared
    /// (unless the caller hands one in and keeps it: tests), the node's identity and keys loaded, every use case
    /// built once, and the routes and the background services made over those same instances.
    ///
    /// `configure` adjusts what cannot come from configuration (a clock a test moves by hand); `routes` adds routes
    /// of the embedder's own (a test's probes) before the catch-all 405; `beforeServing` runs once everything is
    /// built, before the first request.
    public static func buildApplication(
        reader: ConfigReader, store given: Store? = nil,
        configure: (inout ServerConfiguration) -> Void = { _ in },
        routes: (Router<HuitongRequestContext>) -> Void = { _ in },
        beforeServing: (Node) async throws -> Void = { _ in }
    ) async throws -> some ApplicationProtocol {
        let settings = try NodeSettings(reader: reader)
        var logger = Logger(label: "huitong")
        logger.logLevel = settings.logLevel
        let (sealingKey, sealingOrigin) = try SealingKeyLoader.load(
            base64: settings.credentials.sealingKeyText, dataDirectory: settings.dataDirectory)
        let nodeKey = try NodeSettings.loadNodeKey(reader, create: true)
        let store: Store
        if let given { store = given } else { store = try await NodeStore.open(settings, logger: logger) }
        // A store handed in keyed stays as it is (its rows were MAC'd under that key); an unkeyed one takes the
        // node's sealing key, as `NodeStore.open` gives one it opens.
        if !store.rowIntegrity.isKeyed { store.useSealingKey(sealingKey) }
        do {
            let profile = try await NodeIdentity.resolve(store, requested: settings.identity)
            let suite = try await NodeCryptoSuite.resolve(store, requested: settings.requestedCryptoSuite)
            var configuration = ServerConfiguration(
                reader: reader, settings: settings, sealingKey: sealingKey, profile: profile)
            configure(&configuration)
            configuration.nodeSM2Keys =
                [try NodeSettings.loadSM2Key(reader, create: true)]
                + [try NodeSettings.loadPreviousSM2Key(reader)].compactMap { $0 }
            // New secrets are sealed under the node's suite; those sealed before open under the suite they name.
            configuration.sealingKey?.suite = suite
            switch sealingOrigin {
            case .environment, .file:
                logger.info("sealing key loaded", metadata: ["fingerprint": "\(sealingKey.fingerprint)"])
            case .created(let path):
                logger.notice(
                    "created a new sealing key; back it up apart from the database, and give every node on the same database this key (HUITONG_SEALING_KEY)",
                    metadata: ["path": "\(path)", "fingerprint": "\(sealingKey.fingerprint)"])
            }
            let checkpointKey = try NodeCryptoSuite.checkpointKey(
                for: suite, nodeKey: nodeKey, config: reader, create: true)
            logger.info(
                "crypto suite",
                metadata: ["suite": "\(suite.rawValue)", "checkpointKeyID": "\(checkpointKey.publicKey.keyID)"])
            let audit = AuditTrail(
                repository: store.audit, nodeKey: nodeKey, checkpointKey: checkpointKey,
                retiredCheckpointKeys: try NodeSettings.retiredSM2Keys(reader).map { SigningPublicKey(sm2: $0) },
                configuration: settings.audit, logger: Logger(label: "huitong.audit"))
            let readStore = try await NodeStore.openReadStore(settings, primary: store, logger: logger)
            let useCases = UseCases(
                store: store, audit: audit, settings: configuration.useCaseSettings, readStore: readStore)
            try await beforeServing(
                Node(configuration: configuration, store: store, useCases: useCases, logger: logger))
            return try await buildApplication(
                useCases: useCases, configuration: configuration, logger: logger, ownsStore: given == nil,
                routes: routes)
        } catch {
            if given == nil { await store.provider.shutdown() }
            throw error
        }
    }

    /// The application over built use cases: the public listener with every route, the metrics listener when
    /// configured, and the background services. `ownsStore`: the database closes with the application.
    static func buildApplication(
        useCases: UseCases, configuration: ServerConfiguration, logger: Logger, ownsStore: Bool,
        routes: (Router<HuitongRequestContext>) -> Void
    ) async throws -> some ApplicationProtocol {
        let store = useCases.store
        let pages = try await PageRenderer.load()
        let federation = makeFederationNode(useCases: useCases, configuration: configuration)
        // Routed verification: the status of another node's licence is asked of that node.
        useCases.licences.seals.useLiveStatus { identifier, node in
            try await federation.licenceStatus(LicenceStatusQuery(identifier: identifier), issuingNode: node)
        }
        let router = buildRouter(
            useCases: useCases, configuration: configuration, pages: pages, federation: federation, routes: routes)
        var app = Application(
            router: router,
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port), serverName: "Huitong"),
            eventLoopGroupProvider: .shared(
                MultiThreadedEventLoopGroup(numberOfThreads: configuration.eventLoopThreads)),
            logger: logger)
        // Services stop in the reverse order of their start: the database last, after the work that uses it.
        if ownsStore { app.addServices(store.provider) }
        // The job queue runs whether or not the other background services do: it carries out the loads and quality
        // runs this node's requests start. It stops before the database closes, once the jobs under way have ended.
        app.addServices(useCases.audit.checkpointer, useCases.jobs)
        // Heartbeats and replica checks run on every node: shared limits and replica reads depend on them.
        if let membership = useCases.membership { app.addServices(membership) }
        if let replicas = useCases.readReplicas {
            app.addServices(ReplicaMonitor(replicas: replicas, membership: useCases.membership))
        }
        if configuration.backgroundJobs {
            app.addServices(
                SessionSweeper(store: store, logger: logger),
                RequestNonceSweeper(store: store, window: configuration.signatureWindow, logger: logger))
            for service in useCases.backgroundServices(logger: logger) { app.addServices(service) }
            app.addServices(
                OutboxDeliverer(node: federation, client: OutboxDeliverer.makeClient()),
                FederationScheduler(node: federation))
        }
        if let port = configuration.metricsPort {
            app.addServices(
                Application(
                    router: buildMetricsRouter(
                        store: store, configuration: configuration,
                        observing: ObservabilityRoutes(useCases: useCases, version: configuration.version)),
                    configuration: .init(
                        address: .hostname(configuration.metricsHost, port: port), serverName: "Huitong metrics"),
                    eventLoopGroupProvider: .shared(MultiThreadedEventLoopGroup.singleton),
                    logger: logger))
        }
        return app
    }

    /// Every route and middleware, over the node's use cases.
    static func buildRouter(
        useCases: UseCases, configuration: ServerConfiguration, pages: PageRenderer, federation: FederationNode,
        routes: (Router<HuitongRequestContext>) -> Void = { _ in }
    ) -> Router<HuitongRequestContext> {
        let store = useCases.store
        let audit = useCases.audit
        let accounts = useCases.accounts
        let credentials = useCases.credentials
        let quality = useCases.quality
        let sharing = useCases.sharing
        let developers = useCases.developers
        _ = Telemetry.registry
        let cookies = CookieSettings(secure: configuration.cookiesSecure)
        let router = Router(context: HuitongRequestContext.self)
        router.add(middleware: MetricsMiddleware())
        router.add(middleware: AccessLogMiddleware())
        router.add(middleware: ErrorMiddleware(pages: pages))
        router.add(middleware: AuthenticationMiddleware(accounts: accounts, credentials: credentials, cookies: cookies))
        router.add(middleware: FormQueryMiddleware())

        ObservabilityRoutes(useCases: useCases, version: configuration.version).registerHealth(on: router)
        OpenAPIDocument.register(on: router)
        StaticAssets.bundled.register(on: router)
        AuthPages(accounts: accounts, pages: pages, cookies: cookies, sessionLifetime: configuration.sessionLifetime)
            .register(on: router)
        let api = router.group("api/v1")
        AuthAPI(accounts: accounts, cookies: cookies, sessionLifetime: configuration.sessionLifetime).register(on: api)
        AccountsAPI(accounts: accounts, credentials: credentials).register(on: api)
        CatalogAPI(store: store, catalog: useCases.catalog).register(on: api)
        CatalogTransferAPI(store: store, catalog: useCases.catalog).register(on: api)
        CodeSetsAPI(store: store).register(on: api)
        let ingest = IngestAPI(
            store: store, catalog: useCases.catalog, settings: configuration.ingest, uploads: useCases.uploads)
        ingest.register(on: api)
        ThreeListsAPI(store: store).register(on: api)
        GradingSuggestionsAPI(store: store, catalog: useCases.catalog).register(on: api)
        let qualityAPI = QualityAPI(service: quality, collection: useCases.collection)
        qualityAPI.register(on: api)
        QualityPages(api: qualityAPI, pages: pages).register(on: router)
        GradePolicyAPI(store: store).register(on: api)
        let licences = LicencesAPI(service: useCases.licences, settings: configuration.licences)
        licences.register(on: api)
        LicencePages(
            service: useCases.licences, pages: pages, limiter: licences.verificationLimiter,
            baseURL: configuration.baseURL
        ).register(on: router)
        LicenceWalletPages(service: useCases.licences, pages: pages, baseURL: configuration.baseURL).register(
            on: router)
        CollectionAPI(service: useCases.collection).register(on: api)
        MattersAPI(service: useCases.matters).register(on: api)
        SharingAPI(service: sharing).register(on: api)
        let objections = ObjectionsAPI(
            service: useCases.objections, afterCorrection: { objection in await quality.recheck(after: objection) })
        objections.register(on: api)
        let developerPages = DeveloperPages(
            service: developers, pages: pages, cookies: cookies, sessionLifetime: configuration.sessionLifetime,
            links: OpenDataLinks(base: configuration.baseURL))
        developerPages.register(on: router)
        APIReferencePages(pages: pages).register(on: router)
        OpenAccessPages(service: developers, pages: pages, developerPages: developerPages).register(on: router)
        FeedbackPages(objections: objections.service, pages: pages, cookies: cookies, limiter: objections.limiter)
            .register(on: router)
        OpenDataAPI(
            service: developers, audit: audit.log, policy: .seeded(),
            cursorCipher: CursorCipher(nodeKey: audit.nodeKey, suite: audit.suite)
        ).register(on: api)
        let verifications = AuditVerificationCache()
        AuditAPI(store: store, audit: audit, verifications: verifications).register(on: api)
        let upstreamAllowList = UpstreamAllowListCache(store: store)
        // Gateway lookups read pool rows from a replica when the node has one; access and grants from the primary.
        let gateway = GatewayAPI(
            store: store, poolStore: useCases.readStore, audit: audit, configuration: configuration,
            logger: Logger(label: "huitong.gateway"),
            allowList: upstreamAllowList, limiter: useCases.callLimiter)
        let console = ConsolePages(
            store: store, catalog: useCases.catalog, pages: pages, cookies: cookies, sharing: sharing, quality: quality,
            credentials: credentials,
            audit: audit, verifications: verifications, developers: developers, ingest: ingest,
            collection: useCases.collection, gateway: gateway, baseURL: configuration.baseURL)
        console.register(on: router)
        AssessmentPages(
            service: AssessmentUseCases(store: store, quality: quality), console: console, pages: pages
        ).register(on: router)
        MatterPages(
            service: useCases.matters, console: console, pages: pages, spoolFolder: configuration.ingest.spoolFolder
        ).register(on: router)
        // The portal and open-data interfaces read from a replica when the node has one.
        let readStore = useCases.readStore
        OpenDataInterop(store: readStore, openCatalog: developers.openCatalog, configuration: configuration).register(
            on: router)
        PortalPages(
            store: readStore, openCatalog: developers.openCatalog, pages: pages, cookies: cookies,
            links: OpenDataLinks(base: configuration.baseURL),
            policy: .seeded(), quality: quality, audit: audit.log
        ).register(on: router)
        gateway.register(on: router)
        UpstreamAllowListAPI(store: store, audit: audit.log, cache: upstreamAllowList).register(on: api)
        FederationAPI(node: federation, store: store, audit: audit, sharing: configuration.sharing).register(
            on: router, api: api)
        routes(router)
        // Last, so that it sees only the requests no route took: a known path with another method is a 405.
        router.add(middleware: MethodNotAllowedMiddleware(routes: router.routes))
        return router
    }

    /// The router of the metrics listener: `/metrics` alone, apart from the public port (`metricsPort`).
    public static func buildMetricsRouter(store: Store, configuration: ServerConfiguration)
        -> Router<HuitongRequestContext>
    {
        buildMetricsRouter(
            store: store, configuration: configuration,
            observing: ObservabilityRoutes(store: store, version: configuration.version))
    }

    static func buildMetricsRouter(
        store: Store, configuration: ServerConfiguration, observing: ObservabilityRoutes
    ) -> Router<HuitongRequestContext> {
        let router = Router(context: HuitongRequestContext.self)
        router.add(middleware: AccessLogMiddleware())
        observing.registerMetrics(on: router)
        return router
    }

    /// The node's cascade endpoint: signs with the node key and audits what it receives on the node's log.
    static func makeFederationNode(useCases: UseCases, configuration: ServerConfiguration) -> FederationNode {
        let audit = useCases.audit
        let keys = FederationKeys(
            identity: audit.nodeKey, signing: audit.checkpointKey,
            decryption: configuration.nodeSM2Keys.isEmpty
                ? [audit.checkpointKey.sm2Key].compactMap { $0 } : configuration.nodeSM2Keys)
        return FederationNode(
            settings: configuration.federation, store: useCases.store, keys: keys,
            audit: useCases.audit.log, logger: Logger(label: "huitong.federation"), crossLevel: useCases.crossLevel,
            gradePolicy: { [store = useCases.store] in try await GradePolicy.current(store) },
            licences: useCases.licences)
    }
}

/// Removes expired sessions (of officers and of portal developers) every hour so the tables do not grow without
/// bound.
struct SessionSweeper: Service {
    let store: Store
    let logger: Logger

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                let removed =
                    try await store.sessions.purgeExpired(now: Date())
                    + store.developers.purgeExpiredSessions(now: Date())
                if removed > 0 { logger.info("removed expired sessions", metadata: ["count": "\(removed)"]) }
            } catch {
                logger.warning("session clean-up failed", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(3600)) }
        }
    }
}
