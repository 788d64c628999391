import Foundation
import HuitongCore
import HuitongFederation
import HuitongIngest
import HuitongStore
import Hummingbird
import Logging
import NIOPosix
import ServiceLifecycle

/// The composition root: one place where the store, the services and the routes are put together.
public enum HuitongApp {
    /// Builds the router with every route and middleware. Tests use it through `buildApplication`.
    ///
    /// `audit` is the node's audit trail (its log, key hasher and checkpointer); without one, tests get a trail
    /// signed by a throw-away key, and nothing signs checkpoints (the checkpointer runs in `buildApplication`).
    public static func buildRouter(
        store: Store, configuration: ServerConfiguration, pages: PageRenderer, audit: AuditTrail? = nil,
        federation: FederationNode? = nil, background: BackgroundWork = BackgroundWork()
    ) -> Router<HuitongRequestContext> {
        let audit = audit ?? AuditTrail(repository: store.audit, nodeKey: .generate())
        let federation = federation ?? makeFederationNode(store: store, configuration: configuration, audit: audit)
        _ = Telemetry.registry
        let accounts = AccountService(
            store: store, bcryptCost: configuration.bcryptCost,
            throttle: SignInThrottle(now: configuration.signInClock),
            trustedProxies: configuration.trustedProxies, tokenDefaultLifetime: configuration.tokenDefaultLifetime,
            tokenMaximumLifetime: configuration.tokenMaximumLifetime)
        let cookies = CookieSettings(secure: configuration.cookiesSecure)
        let credentials = CredentialService(store: store, configuration: configuration)
        let router = Router(context: HuitongRequestContext.self)
        router.add(middleware: MetricsMiddleware())
        router.add(middleware: AccessLogMiddleware())
        router.add(middleware: ErrorMiddleware(pages: pages))
        router.add(middleware: AuthenticationMiddleware(accounts: accounts, credentials: credentials, cookies: cookies))
        router.add(middleware: FormQueryMiddleware())

        ObservabilityRoutes(store: store, version: configuration.version).registerHealth(on: router)
        OpenAPIDocument.register(on: router)
        AuthPages(accounts: accounts, pages: pages, cookies: cookies, sessionLifetime: configuration.sessionLifetime)
            .register(on: router)
        let api = router.group("api/v1")
        AuthAPI(accounts: accounts, cookies: cookies, sessionLifetime: configuration.sessionLifetime).register(on: api)
        AccountsAPI(accounts: accounts, credentials: credentials).register(on: api)
        CatalogAPI(store: store).register(on: api)
        CatalogTransferAPI(store: store).register(on: api)
        CodeSetsAPI(store: store).register(on: api)
        let quality = QualityService.make(
            store: store, configuration: configuration, audit: audit.log, background: background)
        let ingest = IngestAPI(
            store: store, logger: Logger(label: "huitong.ingest"),
            afterLoad: { job in
                await quality.runNow(entryID: job.entryID, trigger: .ingest, requestedBy: nil)
            },
            settings: configuration.ingest,
            memoryBudget: IngestMemoryBudget(limit: configuration.ingest.memoryBudgetBytes),
            background: background
        )
        ingest.register(on: api)
        ThreeListsAPI(store: store).register(on: api)
        GradingSuggestionsAPI(store: store).register(on: api)
        QualityAPI(service: quality).register(on: api)
        QualityPages(api: QualityAPI(service: quality), pages: pages).register(on: router)
        GradePolicyAPI(store: store).register(on: api)
        let sharing = SharingService(store: store, settings: configuration.sharing, audit: audit.log)
        SharingAPI(service: sharing).register(on: api)
        let objections = ObjectionsAPI(
            service: ObjectionService(store: store, settings: configuration.objections, audit: audit.log),
            afterCorrection: { objection in
                _ = await quality.runNow(entryID: objection.entryID, trigger: .correction, requestedBy: nil)
            }, background: background)
        objections.register(on: api)
        let developers = DeveloperService(
            store: store, settings: configuration.developers, accounts: accounts, audit: audit)
        let developerPages = DeveloperPages(
            service: developers, pages: pages, cookies: cookies, sessionLifetime: configuration.sessionLifetime,
            links: OpenDataLinks(base: configuration.baseURL))
        developerPages.register(on: router)
        OpenAccessPages(service: developers, pages: pages, developerPages: developerPages).register(on: router)
        FeedbackPages(objections: objections.service, pages: pages, cookies: cookies, limiter: objections.limiter)
            .register(on: router)
        OpenDataAPI(
            service: developers, audit: audit.log, policy: .seeded(),
            cursorKey: audit.nodeKey.derivedSecret(purpose: "huitong open-data cursor v1")
        ).register(on: api)
        let verifications = AuditVerificationCache()
        AuditAPI(store: store, audit: audit, verifications: verifications).register(on: api)
        ConsolePages(
            store: store, pages: pages, cookies: cookies, sharing: sharing, quality: quality, credentials: credentials,
            audit: audit, verifications: verifications, developers: developers, ingest: ingest
        ).register(on: router)
        OpenDataInterop(store: store, configuration: configuration).register(on: router)
        PortalPages(
            store: store, pages: pages, cookies: cookies, links: OpenDataLinks(base: configuration.baseURL),
            policy: .seeded(), quality: quality, audit: audit.log
        ).register(on: router)
        let upstreamAllowList = UpstreamAllowListCache(store: store)
        GatewayAPI(
            store: store, audit: audit, configuration: configuration, logger: Logger(label: "huitong.gateway"),
            allowList: upstreamAllowList
        )
        .register(on: router)
        UpstreamAllowListAPI(store: store, audit: audit.log, cache: upstreamAllowList).register(on: api)
        FederationAPI(node: federation, store: store, audit: audit, sharing: configuration.sharing).register(
            on: router, api: api)
        // Last, so that it sees only the requests no route took: a known path with another method is a 405.
        router.add(middleware: MethodNotAllowedMiddleware(routes: router.routes))
        return router
    }

    /// The router of the metrics listener: `/metrics` alone, apart from the public port (`metricsPort`).
    public static func buildMetricsRouter(store: Store, configuration: ServerConfiguration)
        -> Router<HuitongRequestContext>
    {
        let router = Router(context: HuitongRequestContext.self)
        router.add(middleware: AccessLogMiddleware())
        ObservabilityRoutes(store: store, version: configuration.version).registerMetrics(on: router)
        return router
    }

    /// The node's cascade endpoint: signs with the node key and audits what it receives on the node's log.
    public static func makeFederationNode(store: Store, configuration: ServerConfiguration, audit: AuditTrail)
        -> FederationNode
    {
        FederationNode(
            settings: configuration.federation, store: store, key: audit.nodeKey, audit: audit.log,
            logger: Logger(label: "huitong.federation"),
            crossLevel: CrossLevelService(
                store: store, sharing: SharingService(store: store, settings: configuration.sharing, audit: audit.log),
                audit: audit, local: configuration.federation.profile.region))
    }

    /// Builds the application; `store.provider` runs as a service so it closes cleanly on shutdown, and the audit
    /// checkpointer beside it (stopped first, so its last checkpoint still finds the database open).
    public static func buildApplication(
        store: Store, configuration: ServerConfiguration, logger: Logger, audit: AuditTrail,
        extraServices: [any Service] = []
    ) async throws -> some ApplicationProtocol {
        let pages = try await PageRenderer.load()
        let federation = makeFederationNode(store: store, configuration: configuration, audit: audit)
        let background = BackgroundWork()
        let router = buildRouter(
            store: store, configuration: configuration, pages: pages, audit: audit, federation: federation,
            background: background)
        var app = Application(
            router: router,
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port), serverName: "Huitong"),
            eventLoopGroupProvider: .shared(
                MultiThreadedEventLoopGroup(numberOfThreads: configuration.eventLoopThreads)),
            logger: logger)
        app.addServices(
            store.provider, BackgroundWorkDrain(work: background), audit.checkpointer,
            SessionSweeper(store: store, logger: logger),
            RequestNonceSweeper(store: store, window: configuration.signatureWindow, logger: logger))
        app.addServices(
            OverdueSweeper(
                service: SharingService(store: store, settings: configuration.sharing, audit: audit.log), logger: logger
            ))
        app.addServices(
            ObjectionSweeper(
                service: ObjectionService(store: store, settings: configuration.objections, audit: audit.log),
                logger: logger))
        app.addServices(
            OutboxDeliverer(node: federation, client: OutboxDeliverer.makeClient()),
            FederationScheduler(node: federation))
        app.addServices(
            OpenAccessSweeper(
                service: DeveloperService(
                    store: store, settings: configuration.developers,
                    accounts: AccountService(store: store, bcryptCost: configuration.bcryptCost), audit: audit),
                logger: logger))
        app.addServices(
            QualityScheduler(
                service: QualityService.make(store: store, configuration: configuration, audit: audit.log),
                logger: logger))
        if let port = configuration.metricsPort {
            app.addServices(
                Application(
                    router: buildMetricsRouter(store: store, configuration: configuration),
                    configuration: .init(
                        address: .hostname(configuration.metricsHost, port: port), serverName: "Huitong metrics"),
                    eventLoopGroupProvider: .shared(MultiThreadedEventLoopGroup.singleton),
                    logger: logger))
        }
        for service in extraServices { app.addServices(service) }
        return app
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
