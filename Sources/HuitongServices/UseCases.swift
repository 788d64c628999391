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
    /// The store for reads a streaming replica may answer (gateway lookups, the portal, open data, statistics):
    /// over `ReplicaRoutingProvider` when the node has read replicas, else `store` itself. Writes made through it
    /// go to the primary.
    public let readStore: Store
    public let audit: AuditTrail
    /// This node among the nodes on one PostgreSQL (nil on SQLite, where a node is alone): heartbeats, the count of
    /// live nodes.
    package let membership: ClusterMembership?
    /// Grants' rate limits and daily quotas, counted once for every way a grant is called: the gateway and the
    /// joint services' prefill; shared with the other nodes on PostgreSQL.
    package let callLimiter: CallLimiter
    /// The read replicas `readStore` reads from, if any.
    package var readReplicas: ReadReplicas? { (readStore.provider as? ReplicaRoutingProvider)?.replicas }
    package let catalog: CatalogLifecycle
    public let accounts: AccountUseCases
    public let credentials: CredentialUseCases
    public let sharing: SharingUseCases
    public let quality: QualityUseCases
    public let objections: ObjectionUseCases
    public let licences: LicenceUseCases
    /// 政务服务事项 and 一件事.
    public let matters: MatterUseCases
    public let developers: DeveloperUseCases
    public let crossLevel: CrossLevelUseCases
    /// Loads of uploaded files, run as jobs of this node.
    public let uploads: UploadLoads
    /// Automated collection (归集) from registered sources, run as jobs and on schedules.
    public let collection: CollectionUseCases
    /// Work that outlives the request that started it (loads, quality runs, the run after a correction), kept in
    /// the database and shared with the other nodes on it; a service of its own (`JobQueue.run`), drained on
    /// graceful shutdown.
    public let jobs: JobQueue

    /// The settings each use case needs; `signInClock` is what sign-in throttling reads (tests move one by hand).
    public struct Settings: Sendable {
        public var accounts = AccountSettings()
        public var credentials = CredentialSettings()
        public var sealingKey: SealingKey?
        public var sharing = SharingSettings()
        public var objections = ObjectionSettings()
        public var quality = QualitySettings()
        public var developers = DeveloperSettings()
        public var licences = LicenceSettings()
        public var matterCodes = MatterCodeParser()
        public var ingest = IngestSettings()
        public var jobs = JobSettings()
        public var region: NodeRegion = NodeIdentity.defaultProfile.region
        public var signInClock: @Sendable () -> ContinuousClock.Instant = { .now }

        public init() {}
    }

    public init(store: Store, audit: AuditTrail, settings: Settings, readStore: Store? = nil) {
        self.store = store
        self.readStore = readStore ?? store
        self.audit = audit
        // Pinned jobs (loads) stay with the files of this node's spool folder.
        jobs = JobQueue(
            store: store, settings: settings.jobs, place: "\(ProcessName.host)|\(settings.ingest.spoolFolder.path)")
        if store.backend == .postgres {
            let membership = ClusterMembership(
                node: jobs.node, cluster: store.cluster, logger: Logger(label: "huitong.cluster"))
            self.membership = membership
            callLimiter = CallLimiter(
                shared: CallLimiter.Shared(cluster: store.cluster, liveNodes: { membership.liveNodes }))
        } else {
            membership = nil
            callLimiter = CallLimiter()
        }
        catalog = CatalogLifecycle(store: store)
        accounts = AccountUseCases(
            store: store, bcryptCost: settings.accounts.bcryptCost, suite: audit.suite,
            passwordIterations: settings.accounts.passwordIterations,
            throttle: SignInThrottle(now: settings.signInClock), trustedProxies: settings.accounts.trustedProxies,
            tokenDefaultLifetime: settings.accounts.tokenDefaultLifetime,
            tokenMaximumLifetime: settings.accounts.tokenMaximumLifetime)
        credentials = CredentialUseCases(
            store: store, sealingKey: settings.sealingKey, signatureWindow: settings.credentials.signatureWindow,
            rotationGrace: settings.credentials.rotationGrace, signedBodyLimit: settings.credentials.signedBodyLimit)
        sharing = SharingUseCases(store: store, settings: settings.sharing, audit: audit.log)
        quality = QualityUseCases.make(
            store: store, settings: settings.quality, objectionPenalty: settings.objections.penalty,
            audit: audit.log, jobs: jobs)
        objections = ObjectionUseCases(store: store, settings: settings.objections, audit: audit.log)
        developers = DeveloperUseCases(
            store: store, settings: settings.developers, accounts: accounts, audit: audit, readStore: readStore)
        // A person's licences are filed under the digest the portal keeps of the ID number they registered with.
        licences = LicenceUseCases(
            store: store, sealingKey: settings.sealingKey,
            holderKeys: LicenceHolderKeys(digests: developers.identityDigests), settings: settings.licences,
            region: settings.region, audit: audit.log)
        matters = MatterUseCases(
            store: store, audit: audit, licences: licences, codeParser: settings.matterCodes, limiter: callLimiter)
        crossLevel = CrossLevelUseCases(
            store: store, sharing: sharing, audit: audit, local: settings.region, limiter: callLimiter)
        let quality = quality
        uploads = UploadLoads(
            store: store, settings: settings.ingest, jobs: jobs,
            afterLoad: { job in await quality.runNow(entryID: job.entryID, trigger: .ingest, requestedBy: nil) })
        quality.register(on: jobs)
        let uploads = uploads
        jobs.register(UploadLoads.kind) { load, context in try await uploads.carryOut(load, context) }
        collection = CollectionUseCases(
            store: store, settings: settings.ingest, sealingKey: settings.sealingKey, uploads: uploads, jobs: jobs,
            audit: audit.log)
        collection.register(on: jobs)
    }

    /// The sweepers and schedulers of these use cases, each over the same instance the routes use.
    public func backgroundServices(logger: Logger) -> [any Service] {
        let (sharing, objections, developers) = (sharing, objections, developers)
        let gate = membership.map { membership in SweepGate { await membership.hold($0, for: $1) } } ?? .always
        /// A sweep that escalates what ran out of time, and logs the numbers it escalated.
        func escalation(
            _ what: String, every interval: Duration, _ sweep: @escaping @Sendable () async throws -> [String]
        )
            -> PeriodicSweep
        {
            PeriodicSweep("overdue \(what)", every: interval, gate: gate, logger: logger) {
                let numbers = try await sweep()
                if !numbers.isEmpty {
                    logger.notice(
                        "escalated overdue \(what)", metadata: ["count": "\(numbers.count)", "numbers": "\(numbers)"])
                }
            }
        }
        return [
            // Applications whose provider review has run out of time go to the operator for coordination.
            escalation("applications", every: sharing.settings.sweepInterval) {
                try await sharing.sweepOverdue(at: Date()).map(\.number)
            },
            // Grants that ran out are put on the audit log.
            PeriodicSweep("grant expiries", every: sharing.settings.sweepInterval, gate: gate, logger: logger) {
                let expired = try await sharing.recordExpiries(at: Date())
                if !expired.isEmpty {
                    logger.info("grant expiries recorded", metadata: ["count": "\(expired.count)"])
                }
            },
            // Licences past their last day get their 过期 event.
            PeriodicSweep("licence expiries", every: sharing.settings.sweepInterval, gate: gate, logger: logger) {
                [licences] in
                let expired = try await licences.recordExpiries()
                if !expired.isEmpty {
                    logger.info("licence expiries recorded", metadata: ["count": "\(expired.count)"])
                }
            },
            // Objections the provider has not answered in time are escalated.
            escalation("objections", every: objections.settings.sweepInterval) {
                try await objections.sweepOverdue(at: Date()).map(\.number)
            },
            // Applications for conditionally open data left unanswered go before the operators once (domain.md §7.3).
            escalation("open-data applications", every: developers.settings.sweepInterval) {
                try await developers.sweepOverdue().map(\.number)
            },
            QualityScheduler(service: quality, gate: gate, logger: logger),
            // Collection sources whose scheduled run is due are claimed and queued.
            PeriodicSweep("collection schedules", every: .seconds(60), gate: gate, logger: logger) { [collection] in
                let started = try await collection.sweep(at: Date())
                if !started.isEmpty { logger.info("scheduled collections", metadata: ["count": "\(started.count)"]) }
            },
            // The catalog's change log keeps its last 100,000 changes: enough for any node that is running to catch
            // up from; one further behind reads its index afresh.
            PeriodicSweep("catalog change log", every: .seconds(3600), gate: gate, logger: logger) { [store] in
                let dropped = try await store.catalog.pruneChanges(keeping: 100_000)
                if dropped > 0 { logger.info("pruned the catalog change log", metadata: ["count": "\(dropped)"]) }
            },
            // Jobs that ended a week ago leave the queue.
            PeriodicSweep("ended jobs", every: .seconds(3600), gate: gate, logger: logger) { [jobs] in
                let removed = try await jobs.purge()
                if removed > 0 { logger.info("removed ended jobs", metadata: ["count": "\(removed)"]) }
            },
        ]
    }
}
