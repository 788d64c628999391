import Foundation
import HuitongServices
import HuitongStore
import Hummingbird
import Metrics
import Prometheus

/// The process-wide Prometheus registry. swift-metrics allows one bootstrap per process, so every application
/// built in this process (tests build many) shares it.
public enum Telemetry {
    public static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(20),
            .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
            .seconds(2.5), .seconds(5), .seconds(10),
        ]
        MetricsSystem.bootstrap(factory)
        return registry
    }()
}

/// `/metrics` and `/healthz`.
struct ObservabilityRoutes {
    let store: Store
    let version: String
    var replicas: ReadReplicas? = nil
    var membership: ClusterMembership? = nil

    init(store: Store, version: String) {
        self.store = store
        self.version = version
    }

    init(useCases: UseCases, version: String) {
        self.store = useCases.store
        self.version = version
        self.replicas = useCases.readReplicas
        self.membership = useCases.membership
    }

    /// `/healthz`, on the public port: load balancers ask it.
    func registerHealth(on router: Router<HuitongRequestContext>) {
        router.get("/healthz", use: health)
    }

    /// `/metrics`, on the metrics listener only: its per-route figures are not for the public.
    func registerMetrics(on router: Router<HuitongRequestContext>) {
        router.get("/metrics", use: metrics)
    }

    static var inUse: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "huitong", subsystem: "db", metricName: "connections_in_use", unitName: "",
            helpText: "Database connections currently leased by requests or jobs")
    }
    static var waiters: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "huitong", subsystem: "db", metricName: "connection_waiters", unitName: "",
            helpText: "Requests or jobs waiting for a database connection")
    }
    static var primaryUp: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "huitong", subsystem: "db", metricName: "primary_up", unitName: "",
            helpText: "1 while the primary database answers, 0 while requests that need it are refused")
    }
    static var replicaUsable: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "huitong", subsystem: "db", metricName: "replica_usable", unitName: "",
            helpText: "1 while a read replica answers within the lag bound and takes reads, 0 while it is skipped")
    }
    static var replicaLag: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "huitong", subsystem: "db", metricName: "replica_lag", unitName: "seconds",
            helpText: "How old the newest cluster heartbeat a read replica has replayed is")
    }
    static var clusterNodes: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "huitong", subsystem: "cluster", metricName: "live_nodes", unitName: "",
            helpText: "Nodes on this database with a recent heartbeat, this one included")
    }

    func metrics(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let pool = store.provider.poolStatistics
        let backend = [("backend", store.backend.rawValue)]
        Telemetry.registry.makeGauge(descriptor: Self.inUse, labels: backend).set(Double(pool.leased))
        Telemetry.registry.makeGauge(descriptor: Self.waiters, labels: backend).set(Double(pool.waiting))
        if let postgres = store.provider as? PostgresDatabaseProvider {
            Telemetry.registry.makeGauge(descriptor: Self.primaryUp, labels: []).set(
                Double(postgres.isReachable ? 1 : 0))
        }
        for replica in replicas?.current ?? [] {
            let labels = [("replica", replica.name)]
            Telemetry.registry.makeGauge(descriptor: Self.replicaUsable, labels: labels).set(
                Double(replica.state == .ok ? 1 : 0))
            Telemetry.registry.makeGauge(descriptor: Self.replicaLag, labels: labels).set(replica.lagSeconds ?? -1)
        }
        if let membership {
            Telemetry.registry.makeGauge(descriptor: Self.clusterNodes, labels: []).set(Double(membership.liveNodes))
        }
        return Response(
            status: .ok,
            headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: Telemetry.registry.emitToBuffer())))
    }

    struct Health: Codable {
        struct Replica: Codable {
            var name: String
            var state: String
            var lagSeconds: Double?
        }

        /// `ok`; `degraded` while some replica is skipped, or while the primary is away and a replica still serves
        /// reads (writes are refused); `unavailable` when nothing answers.
        var status: String
        var version: String
        var backend: String
        var database: String
        var replicas: [Replica]?
        /// Nodes on this database with a recent heartbeat.
        var nodes: Int?
    }

    func health(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let primaryAnswers: Bool
        do {
            try await store.provider.ping()
            primaryAnswers = true
        } catch {
            context.logger.error("health check failed", metadata: ["error": "\(error)"])
            primaryAnswers = false
        }
        let replicas = (replicas?.current ?? []).map {
            Health.Replica(name: $0.name, state: $0.state.rawValue, lagSeconds: $0.lagSeconds)
        }
        let readable = replicas.contains { $0.state != "down" }
        let status =
            primaryAnswers
            ? (replicas.allSatisfy { $0.state == "ok" } ? "ok" : "degraded") : (readable ? "degraded" : "unavailable")
        return try JSONResponse.make(
            Health(
                status: status, version: version, backend: store.backend.rawValue,
                database: primaryAnswers ? "ok" : "unreachable", replicas: self.replicas == nil ? nil : replicas,
                nodes: membership?.liveNodes),
            status: status == "unavailable" ? .serviceUnavailable : .ok)
    }
}

/// Logs each request at info, except gateway calls: every one of those is on the audit log already, with more than
/// an access line would say, and at thousands of calls a second the line would cost more than the call. They are
/// logged at debug.
struct AccessLogMiddleware: RouterMiddleware {
    typealias Context = HuitongRequestContext
    let requests = LogRequestsMiddleware<HuitongRequestContext>(.info)
    let gatewayCalls = LogRequestsMiddleware<HuitongRequestContext>(.debug)

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        if request.uri.path.hasPrefix("/gateway/") {
            return try await gatewayCalls.handle(request, context: context, next: next)
        }
        return try await requests.handle(request, context: context, next: next)
    }
}
