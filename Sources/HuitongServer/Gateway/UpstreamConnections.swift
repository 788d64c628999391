import AsyncHTTPClient
import Foundation
import HuitongCore
import HuitongServices
import HuitongStore
import Synchronization

/// The operator's allow-list as the gateway reads it on every upstream call: kept for a moment, and forgotten at
/// once when this node's operator changes it (another node of the cluster sees a change within `lifetime`).
final class UpstreamAllowListCache: Sendable {
    private let store: Store
    private let cache: ExpiringCache<Int, UpstreamAllowList>

    init(store: Store, lifetime: Duration = .seconds(1)) {
        self.store = store
        self.cache = ExpiringCache(lifetime: lifetime, maximumCount: 1)
    }

    func current() async throws -> UpstreamAllowList {
        try await cache.value(for: 0) { try await store.upstreamAllowList.current().list }
    }

    func forget() { cache.forget(0) }
}

/// HTTP clients for upstream APIs, one per host and checked address, kept for the life of the process so that
/// calls reuse connections. A client's DNS override pins it to the address that was checked, so a client is
/// never reused for another address the host may resolve to later.
enum UpstreamConnections {
    private struct Key: Hashable {
        var host: String
        var address: String
        var timeout: Duration
    }

    /// Upstreams are a node's mounted APIs: a few dozen. Past this, the pool starts again rather than grow.
    private static let capacity = 256
    private static let clients = Mutex<[Key: HTTPClient]>([:])

    static func client(host: String, address: IPAddress, timeout: Duration) -> HTTPClient {
        let key = Key(host: host, address: address.description, timeout: timeout)
        var retired: [HTTPClient] = []
        let client = clients.withLock { clients in
            if let client = clients[key] { return client }
            if clients.count >= capacity {
                retired = Array(clients.values)
                clients.removeAll()
            }
            var configuration = HTTPClient.Configuration(
                redirectConfiguration: .disallow,
                timeout: .init(connect: .init(timeout), read: .init(timeout)))
            // The client connects to the checked address while the request (Host header, TLS name and
            // certificate check) still names the host.
            configuration.dnsOverride[host] = key.address
            configuration.dnsOverride[UpstreamTarget.normalised(host)] = key.address
            let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
            clients[key] = client
            return client
        }
        for old in retired { old.shutdown { _ in } }
        return client
    }
}
