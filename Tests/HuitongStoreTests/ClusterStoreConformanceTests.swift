import Foundation
import HuitongCore
import HuitongStore
import HuitongTestSupport
import Testing

/// Cluster membership and shared daily quotas, proven on every backend.
@Suite("Cluster store conformance")
struct ClusterStoreConformanceTests {
    static let time = Date(timeIntervalSince1970: 1_780_000_000)
    static let day = CalendarDate(time)

    @Test(
        "nodes taking a grant's quota at once never take more than the day's limit between them, and take all of it",
        arguments: TestBackend.available)
    func quotaNeverOverTaken(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, location in
            try await TestBackend.secondNode(store, location) { other in
                let taken = try await withThrowingTaskGroup(of: Int.self) { group in
                    for node in [store, other, store, other] {
                        group.addTask {
                            var mine = 0
                            while true {
                                let got = try await node.cluster.takeQuota(
                                    grant: 7, day: Self.day, chunk: 3, limit: 100)
                                if got == 0 { return mine }
                                #expect((1...3).contains(got))
                                mine += got
                            }
                        }
                    }
                    return try await group.reduce(0, +)
                }
                #expect(taken == 100, "every call of the quota is taken, none twice")
                #expect(try await other.cluster.quotaTaken(grant: 7, day: Self.day) == 100)
                #expect(try await store.cluster.takeQuota(grant: 7, day: Self.day, chunk: 3, limit: 100) == 0)
                // A chunk larger than what is left gets what is left; other grants and days count apart.
                #expect(try await store.cluster.takeQuota(grant: 8, day: Self.day, chunk: 30, limit: 40) == 30)
                #expect(try await store.cluster.takeQuota(grant: 8, day: Self.day, chunk: 30, limit: 40) == 10)
                let tomorrow = CalendarDate(Self.time.addingTimeInterval(86_400))
                #expect(try await store.cluster.takeQuota(grant: 7, day: tomorrow, chunk: 3, limit: 100) == 3)
            }
        }
    }

    @Test(
        "a heartbeat lists the nodes heard from within the window; a node that leaves or falls silent drops out",
        arguments: TestBackend.available)
    func membership(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let cluster = store.cluster
            let window: TimeInterval = 5
            _ = try await cluster.heartbeat(
                node: "a", startedAt: Self.time, at: Self.time, liveSince: Self.time.addingTimeInterval(-window))
            let both = try await cluster.heartbeat(
                node: "b", startedAt: Self.time, at: Self.time.addingTimeInterval(1),
                liveSince: Self.time.addingTimeInterval(1 - window))
            #expect(both.map(\.name) == ["a", "b"])
            let later = Self.time.addingTimeInterval(10)
            let alone = try await cluster.heartbeat(
                node: "b", startedAt: Self.time, at: later, liveSince: later.addingTimeInterval(-window))
            #expect(alone.map(\.name) == ["b"], "a is silent for longer than the window")
            let newest = try #require(try await cluster.newestHeartbeat())
            #expect(abs(newest.timeIntervalSince(later)) < 0.001)
            try await cluster.leave(node: "b")
            let rejoined = try await cluster.heartbeat(
                node: "a", startedAt: Self.time, at: later, liveSince: later.addingTimeInterval(-window))
            #expect(rejoined.map(\.name) == ["a"])

            _ = try await cluster.takeQuota(grant: 1, day: Self.day, chunk: 5, limit: 5)
            try await cluster.purge(
                quotaBefore: CalendarDate(later.addingTimeInterval(86_400)),
                nodesSilentSince: later.addingTimeInterval(1))
            #expect(try await cluster.quotaTaken(grant: 1, day: Self.day) == 0)
            #expect(try await cluster.newestHeartbeat() == nil)
        }
    }

    @Test(
        "a lease is held by one node at a time, renewed by its holder, and taken over once it has run out",
        arguments: TestBackend.available)
    func leases(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, location in
            try await TestBackend.secondNode(store, location) { other in
                let t = Self.time
                let takers = try await withThrowingTaskGroup(of: Bool.self) { group in
                    for (index, node) in [store, other, store, other].enumerated() {
                        group.addTask {
                            try await node.cluster.holdLease(
                                "sweep", node: "node-\(index)", until: t.addingTimeInterval(30), now: t)
                        }
                    }
                    return try await group.reduce(into: [Bool]()) { $0.append($1) }
                }
                #expect(takers.filter { $0 }.count == 1, "one node holds the lease")
                let holder = try #require(
                    try await [0, 1, 2, 3].asyncFirst { index in
                        try await store.cluster.holdLease(
                            "sweep", node: "node-\(index)", until: t.addingTimeInterval(40),
                            now: t.addingTimeInterval(5))
                    })
                let another = "node-\((holder + 1) % 4)"
                #expect(
                    try await other.cluster.holdLease(
                        "sweep", node: another, until: t.addingTimeInterval(60), now: t.addingTimeInterval(39))
                        == false,
                    "renewed to 40 s: still held at 39 s")
                #expect(
                    try await other.cluster.holdLease(
                        "sweep", node: another, until: t.addingTimeInterval(80), now: t.addingTimeInterval(41)),
                    "run out at 40 s: taken over")
                #expect(
                    try await store.cluster.holdLease("other sweep", node: "node-\(holder)", until: t, now: t),
                    "leases are named apart")
            }
        }
    }
}

extension Array {
    /// The first element for which `predicate` holds, asked in order.
    fileprivate func asyncFirst(_ predicate: (Element) async throws -> Bool) async rethrows -> Element? {
        for element in self where try await predicate(element) { return element }
        return nil
    }
}
