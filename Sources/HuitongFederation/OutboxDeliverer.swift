import AsyncHTTPClient
import Foundation
import HuitongCore
import HuitongStore
import Logging
import NIOCore
import NIOFoundationCompat
import ServiceLifecycle

/// Delivers queued messages to the next hop, signing each attempt afresh, and retries failures with backoff.
/// Everything it needs is in the database, so a node that restarts picks up where it stopped.
public struct OutboxDeliverer: Service {
    let node: FederationNode
    let client: HTTPClient

    public init(node: FederationNode, client: HTTPClient) {
        self.node = node
        self.client = client
    }

    /// A client of the deliverer's own: a peer that refuses connections fails the attempt at once, since the
    /// outbox's backoff retries it (the shared client would keep retrying the connection until the request's
    /// time limit, holding up every other message meanwhile).
    public static func makeClient() -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(60))
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    /// How often routed decisions are sent back and whole 回流 runs applied: sweeps of the database that need
    /// not follow every poll of the queue.
    static let housekeepingInterval: TimeInterval = 10

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var lastHousekeeping = Date.distantPast
            while !Task.isCancelled {
                // A node with no peers has nothing to send or receive: it only looks again later.
                let peers = (try? await node.store.federation.peers()) ?? []
                if peers.isEmpty {
                    await node.outboxSignal.wait(timeout: node.settings.pollInterval * 5)
                    continue
                }
                if Date().timeIntervalSince(lastHousekeeping) >= Self.housekeepingInterval {
                    lastHousekeeping = Date()
                    do {
                        try await node.forwardDecisions()
                        try await node.applyCompletedReflows()
                    } catch {
                        node.logger.warning("cascade housekeeping failed", metadata: ["error": "\(error)"])
                    }
                }
                let delivered = await deliverDue()
                if delivered == 0 { await node.outboxSignal.wait(timeout: node.settings.pollInterval) }
            }
        }
        try await client.shutdown()
    }

    /// Tries every message due now; returns how many were attempted.
    @discardableResult
    public func deliverDue(now: Date = Date()) async -> Int {
        let settings = node.settings
        let claimed: [OutboxMessage]
        do {
            // The lease outlasts the batch even when every delivery in it runs to its time limit, so another
            // node on the same database never takes a message this one is still sending.
            let batch = 5
            let lease = max(settings.lease, Double(batch) * settings.requestTimeout + 30)
            claimed = try await node.store.federation.claimDue(
                now: now, leaseUntil: now.addingTimeInterval(lease), limit: batch)
        } catch {
            node.logger.error("could not read the cascade outbox", metadata: ["error": "\(error)"])
            return 0
        }
        for message in claimed {
            await deliver(message)
        }
        return claimed.count
    }

    func deliver(_ message: OutboxMessage) async {
        let federation = node.store.federation
        do {
            guard let peer = try await federation.peer(message.nextHop) else {
                throw FederationError.unknownPeer(message.nextHop.code)
            }
            let wire = WireMessage(try node.sign(message, to: peer))
            var request = HTTPClientRequest(url: peer.baseURL + WireMessage.path)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: try FederationJSON.encoder.encode(wire)))
            let response = try await client.execute(request, timeout: .seconds(Int64(node.settings.requestTimeout)))
            let answer = try await response.body.collect(upTo: 64 * 1024)
            guard (200..<300).contains(response.status.code) else {
                throw FederationError.refused(
                    node: message.nextHop.code, code: "http_\(response.status.code)",
                    message: BilingualText(
                        zh: String(buffer: answer).prefix(500).description,
                        en: String(buffer: answer).prefix(500).description))
            }
            try await federation.markDelivered(id: message.id, at: Date())
        } catch {
            let attempts = message.attempts + 1
            let giveUp = attempts >= node.settings.maximumAttempts
            let delay = node.settings.retry.delay(afterFailures: attempts, unit: Double.random(in: 0..<1))
            let reason = (error as? any HuitongError)?.message.en ?? "\(error)"
            node.logger.warning(
                "cascade delivery failed",
                metadata: [
                    "message_id": "\(message.messageID)", "to": "\(message.nextHop.code)",
                    "kind": "\(message.kind.rawValue)", "attempt": "\(attempts)", "error": "\(reason)",
                    "next": giveUp ? "given up" : "in \(Int(delay)) s",
                ])
            do {
                try await federation.markFailed(
                    id: message.id, error: reason, retryAt: giveUp ? nil : Date().addingTimeInterval(delay))
            } catch {
                // The lease expires and the message is tried again; nothing is lost.
                node.logger.error("could not record a failed delivery", metadata: ["error": "\(error)"])
            }
        }
    }
}

/// Registers the catalog upward, reports monitoring figures and runs due 回流 subscriptions on a schedule.
public struct FederationScheduler: Service {
    let node: FederationNode

    public init(node: FederationNode) {
        self.node = node
    }

    public func run() async throws {
        let interval = node.settings.syncInterval
        guard interval > 0 else {
            // Scheduling is off; a service that returned early would stop the whole node, so it idles instead.
            try? await gracefulShutdown()
            return
        }
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await runOnce()
                try await Task.sleep(for: .seconds(interval))
            }
        }
    }

    public func runOnce() async {
        do {
            if try await node.route().parent != nil {
                try await node.syncCatalog()
                try await node.reportMonitoring()
            }
            _ = try await node.runDueReflows()
            try await node.publishLicences()
        } catch {
            node.logger.warning("scheduled cascade sync failed", metadata: ["error": "\(error)"])
        }
    }
}
