import Foundation
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

    func metrics(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let pool = store.provider.poolStatistics
        let backend = [("backend", store.backend.rawValue)]
        Telemetry.registry.makeGauge(descriptor: Self.inUse, labels: backend).set(Double(pool.leased))
        Telemetry.registry.makeGauge(descriptor: Self.waiters, labels: backend).set(Double(pool.waiting))
        return Response(
            status: .ok,
            headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: Telemetry.registry.emitToBuffer())))
    }

    struct Health: Codable {
        var status: String
        var version: String
        var backend: String
        var database: String
    }

    func health(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        do {
            try await store.provider.ping()
            return try JSONResponse.make(
                Health(status: "ok", version: version, backend: store.backend.rawValue, database: "ok"))
        } catch {
            context.logger.error("health check failed", metadata: ["error": "\(error)"])
            return try JSONResponse.make(
                Health(
                    status: "unavailable", version: version, backend: store.backend.rawValue, database: "unreachable"),
                status: .serviceUnavailable)
        }
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
