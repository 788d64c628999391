import Foundation
import HuitongCore
import HuitongStore
import HuitongTestSupport
import Testing

@testable import HuitongServices

/// Rate limits and daily quotas of grants shared by the nodes on one database.
@Suite("Cluster limits")
struct ClusterLimitsTests {
    static let monday = Date(timeIntervalSince1970: 1_795_000_000)

    @Test(
        "two nodes serving one grant alternately serve exactly its daily quota between them, then refuse; a new day starts afresh",
        arguments: TestBackend.available)
    func sharedQuota(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, location in
            try await TestBackend.secondNode(store, location) { other in
                let nodeA = CallLimiter(shared: .init(cluster: store.cluster, liveNodes: { 2 }))
                let nodeB = CallLimiter(shared: .init(cluster: other.cluster, liveNodes: { 2 }))
                var allowed = 0
                var outcomes: [CallLimiter.Outcome] = []
                for call in 0..<100 {
                    let node = call.isMultiple(of: 2) ? nodeA : nodeB
                    let outcome = try await node.take(grant: 42, perSecond: nil, perDay: 40, now: Self.monday)
                    outcomes.append(outcome)
                    if outcome == .allowed { allowed += 1 }
                }
                #expect(allowed == 40)
                #expect(outcomes.suffix(60).allSatisfy { $0 == .quotaExhausted })
                #expect(
                    try await nodeB.take(grant: 42, perSecond: nil, perDay: 40, now: Self.monday + 86_400) == .allowed)

                // A large quota is taken in chunks: the nodes' takings never pass the limit, and calls are served
                // from the chunk a node holds.
                var served = 0
                for call in 0..<3_000 {
                    let node = call.isMultiple(of: 3) ? nodeA : nodeB
                    if try await node.take(grant: 43, perSecond: nil, perDay: 2_500, now: Self.monday) == .allowed {
                        served += 1
                    }
                }
                #expect(served == 2_500)
                #expect(try await store.cluster.quotaTaken(grant: 43, day: CalendarDate(Self.monday)) == 2_500)
            }
        }
    }

    @Test(
        "a burst of calls on one node takes one chunk of a large quota between them, not a chunk each",
        arguments: TestBackend.available)
    func burstTakesOneChunk(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let node = CallLimiter(shared: .init(cluster: store.cluster, liveNodes: { 2 }))
            let outcomes = try await withThrowingTaskGroup(of: CallLimiter.Outcome.self) { group in
                for _ in 0..<200 {
                    group.addTask {
                        try await node.take(grant: 44, perSecond: nil, perDay: 100_000, now: Self.monday)
                    }
                }
                return try await group.reduce(into: [CallLimiter.Outcome]()) { $0.append($1) }
            }
            #expect(outcomes.allSatisfy { $0 == .allowed })
            #expect(
                try await store.cluster.quotaTaken(grant: 44, day: CalendarDate(Self.monday)) == 1_000,
                "one chunk of 1,000 serves the whole burst")

            // A small quota under a burst: exactly the quota is served, whichever calls wait for whose chunk.
            let small = try await withThrowingTaskGroup(of: CallLimiter.Outcome.self) { group in
                for _ in 0..<30 {
                    group.addTask { try await node.take(grant: 45, perSecond: nil, perDay: 12, now: Self.monday) }
                }
                return try await group.reduce(into: [CallLimiter.Outcome]()) { $0.append($1) }
            }
            #expect(small.filter { $0 == .allowed }.count == 12)
            #expect(small.filter { $0 == .quotaExhausted }.count == 18)
        }
    }

    @Test("a per-second limit is split among the live nodes, each keeping a burst of at least one call")
    func rateSplit() async throws {
        let start = ContinuousClock.now
        let limiter = CallLimiter(shared: .init(cluster: NoQuotas(), liveNodes: { 2 }))
        var outcomes: [CallLimiter.Outcome] = []
        for _ in 0..<6 {
            outcomes.append(
                try await limiter.take(grant: 1, perSecond: 6, perDay: nil, now: Self.monday, instant: start))
        }
        #expect(outcomes.filter { $0 == .allowed }.count == 3, "half of 6 per second on one of two nodes")
        #expect(
            try await limiter.take(
                grant: 1, perSecond: 6, perDay: nil, now: Self.monday, instant: start + .milliseconds(340))
                == .allowed, "refilled at 3 calls a second")
        #expect(
            try await limiter.take(grant: 2, perSecond: 1, perDay: nil, now: Self.monday, instant: start) == .allowed)
        #expect(
            try await limiter.take(grant: 2, perSecond: 1, perDay: nil, now: Self.monday, instant: start)
                == .rateLimited)
        #expect(CallLimiter.quotaChunk(perDay: 40, nodes: 2) == 2)
        #expect(CallLimiter.quotaChunk(perDay: 10_000_000, nodes: 2) == 1000)
        #expect(CallLimiter.quotaChunk(perDay: 5, nodes: 4) == 1)
    }
}

/// A cluster repository for limiters with no daily quota: it is never asked.
private struct NoQuotas: ClusterRepository {
    func heartbeat(node: String, startedAt: Date, at time: Date, liveSince: Date) async throws -> [ClusterNode] { [] }
    func leave(node: String) async throws {}
    func takeQuota(grant: Int64, day: CalendarDate, chunk: Int, limit: Int) async throws -> Int {
        Issue.record("no quota was set")
        return 0
    }
    func quotaTaken(grant: Int64, day: CalendarDate) async throws -> Int { 0 }
    func purge(quotaBefore day: CalendarDate, nodesSilentSince: Date) async throws {}
    func holdLease(_ name: String, node: String, until: Date, now: Date) async throws -> Bool { true }
    func newestHeartbeat() async throws -> Date? { nil }
}
