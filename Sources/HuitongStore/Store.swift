import HuitongCore

/// Every repository of a node, over one database.
public struct Store: Sendable {
    public let provider: any DatabaseProvider
    public let departments: any DepartmentRepository
    public let users: any UserRepository
    public let applicationSystems: any ApplicationSystemRepository
    public let tokens: any TokenRepository
    public let sessions: any SessionRepository
    public let catalog: any CatalogRepository
    public let codeSets: any CodeSetRepository
    public let lists: any ThreeListsRepository
    public let informationSystems: any InformationSystemRepository
    public let pools: any PoolRepository
    public let ingestJobs: any IngestJobRepository
    public let applications: any SharingApplicationRepository
    public let grants: any GrantRepository
    public let notifications: any NotificationRepository
    public let holidays: any HolidayCalendarRepository
    public let requestNonces: any RequestNonceRepository
    public let gatewayAccess: any GatewayAccessReader
    public let audit: any AuditLogRepository
    /// The same audit log with its archive register and pruning (`AuditArchiver`).
    public let auditArchives: any AuditArchiver.Repository
    public let crypto: any NodeCryptoRepository
    public let objections: any ObjectionRepository
    public let quality: any QualityRepository
    public let gradePolicy: any GradePolicyRepository
    public let federation: any FederationRepository
    public let remoteCatalog: any RemoteCatalogRepository
    public let reflows: any ReflowRepository
    public let crossLevel: any CrossLevelRepository
    public let developers: any DeveloperRepository
    public let upstreamAllowList: any UpstreamAllowListRepository
    public let jobs: any JobRepository
    public let licences: any LicenceRepository
    public let collectionSources: any CollectionSourceRepository
    public let matters: any MatterRepository
    public let cluster: any ClusterRepository
    /// Moves on with every change to grants, credentials and application systems (see `AccessRevision`).
    public let accessRevision: AccessRevision
    /// The MACs over access-control rows (GB/T 39786 8.4 b/c): keyed by whoever opens the store (`use(_:)` with the
    /// node's sealing key); until then every read of such a row is refused.
    public let rowIntegrity: RowIntegrity
    /// The key of the pool columns encrypted at rest (GB/T 39786 8.4 e), from the same sealing key.
    public let poolCipher: PoolColumnCipher

    public init(
        provider: any DatabaseProvider, resourceCodes: any ResourceCodeScheme = NationalResourceCodeScheme(),
        poolLayout: PoolLayout = PoolLayout(), rowIntegrity: RowIntegrity = RowIntegrity(),
        poolCipher: PoolColumnCipher = PoolColumnCipher(), accessRevision: AccessRevision = AccessRevision()
    ) {
        self.init(
            provider: provider, resourceCodes: resourceCodes, poolLayout: poolLayout, rowIntegrity: rowIntegrity,
            poolCipher: poolCipher, accessRevision: accessRevision, catalog: nil)
    }

    init(
        provider: any DatabaseProvider, resourceCodes: any ResourceCodeScheme, poolLayout: PoolLayout,
        rowIntegrity: RowIntegrity, poolCipher: PoolColumnCipher, accessRevision: AccessRevision,
        catalog: SQLCatalogRepository?
    ) {
        self.provider = provider
        self.accessRevision = accessRevision
        self.rowIntegrity = rowIntegrity
        self.poolCipher = poolCipher
        self.departments = SQLDepartmentRepository(provider: provider)
        self.users = SQLUserRepository(provider: provider, integrity: rowIntegrity)
        self.applicationSystems = SQLApplicationSystemRepository(
            provider: provider, accessRevision: accessRevision, integrity: rowIntegrity)
        self.tokens = SQLTokenRepository(provider: provider, accessRevision: accessRevision, integrity: rowIntegrity)
        self.sessions = SQLSessionRepository(provider: provider, integrity: rowIntegrity)
        self.catalog = SQLCatalogRepository(
            provider: provider, scheme: resourceCodes, integrity: rowIntegrity, facetIndex: catalog?.facetIndex)
        self.codeSets = SQLCodeSetRepository(provider: provider)
        self.lists = SQLThreeListsRepository(provider: provider)
        self.informationSystems = SQLInformationSystemRepository(provider: provider)
        self.pools = SQLPoolRepository(provider: provider, layout: poolLayout, cipher: poolCipher)
        self.ingestJobs = SQLIngestJobRepository(provider: provider, integrity: rowIntegrity)
        self.applications = SQLSharingApplicationRepository(
            provider: provider, accessRevision: accessRevision, integrity: rowIntegrity)
        self.grants = SQLGrantRepository(provider: provider, accessRevision: accessRevision, integrity: rowIntegrity)
        self.notifications = SQLNotificationRepository(provider: provider)
        self.holidays = SQLHolidayCalendarRepository(provider: provider)
        self.requestNonces = SQLRequestNonceRepository(provider: provider)
        self.gatewayAccess = SQLGatewayAccessReader(provider: provider, integrity: rowIntegrity)
        let audit = SQLAuditLogRepository(provider: provider.auditProvider)
        self.audit = audit
        self.auditArchives = audit
        self.crypto = SQLNodeCryptoRepository(provider: provider)
        self.objections = SQLObjectionRepository(provider: provider)
        self.quality = SQLQualityRepository(provider: provider)
        self.gradePolicy = SQLGradePolicyRepository(provider: provider, integrity: rowIntegrity)
        self.federation = SQLFederationRepository(provider: provider)
        self.remoteCatalog = SQLRemoteCatalogRepository(provider: provider, integrity: rowIntegrity)
        self.reflows = SQLReflowRepository(provider: provider)
        self.crossLevel = SQLCrossLevelRepository(provider: provider)
        self.developers = SQLDeveloperRepository(provider: provider, integrity: rowIntegrity)
        self.upstreamAllowList = SQLUpstreamAllowListRepository(provider: provider)
        self.jobs = SQLJobRepository(provider: provider)
        self.licences = SQLLicenceRepository(provider: provider)
        self.collectionSources = SQLCollectionSourceRepository(provider: provider)
        self.matters = SQLMatterRepository(provider: provider)
        self.cluster = SQLClusterRepository(provider: provider)
    }

    public var backend: Backend { provider.backend }

    /// Keys everything the store protects with the node's sealing key: the MACs of access-control rows and the
    /// pool columns encrypted at rest.
    public func useSealingKey(_ sealingKey: SealingKey) {
        rowIntegrity.use(sealingKey)
        poolCipher.use(sealingKey)
    }
}

extension Store {
    /// The same database seen through `replicas`: reads go to a replica fit to answer them (`ReplicaRoutingProvider`),
    /// writes to this store's primary. It shares this store's keys, access revision and catalog index.
    public func reading(from replicas: ReadReplicas, poolLayout: PoolLayout) -> Store {
        let primaryCatalog = catalog as? SQLCatalogRepository
        return Store(
            provider: ReplicaRoutingProvider(primary: provider, replicas: replicas),
            resourceCodes: primaryCatalog?.scheme ?? NationalResourceCodeScheme(), poolLayout: poolLayout,
            rowIntegrity: rowIntegrity, poolCipher: poolCipher, accessRevision: accessRevision,
            catalog: primaryCatalog)
    }
}
