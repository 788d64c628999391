import Foundation
import HuitongCore
import HuitongStore
import HuitongTestSupport
import Logging
import Testing

/// The durable job queue's claims, leases and retries, proven on every backend.
@Suite("Job store conformance")
struct JobStoreConformanceTests {
    static let time = Date(timeIntervalSince1970: 1_780_000_000)
    static let lease: Duration = .seconds(30)

    static func draft(
        _ kind: String = "test.work", payload: String = #"{"id":1}"#, after delay: TimeInterval = 0,
        maxAttempts: Int = 3, pinnedTo: String? = nil
    ) -> JobDraft {
        JobDraft(
            kind: kind, payload: payload, runAfter: time.addingTimeInterval(delay), maxAttempts: maxAttempts,
            pinnedTo: pinnedTo)
    }

    @Test(
        "two nodes claiming at once never get the same job, and each job is claimed", arguments: TestBackend.available)
    func exclusiveClaims(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, location in
            var queued: Set<Int64> = []
            for index in 0..<40 {
                queued.insert(try await store.jobs.enqueue(Self.draft(payload: "\(index)"), at: Self.time).id)
            }
            try await TestBackend.secondNode(store, location) { other in
                // Four claimers, two per node, each taking jobs until none is left.
                let claimed = try await withThrowingTaskGroup(of: [JobRecord].self) { group in
                    for (index, node) in [store, other, store, other].enumerated() {
                        group.addTask {
                            var mine: [JobRecord] = []
                            while let job = try await node.jobs.claim(
                                node: "node-\(index)", place: "here", kinds: ["test.work"], lease: Self.lease,
                                at: Self.time)
                            {
                                mine.append(job)
                            }
                            return mine
                        }
                    }
                    return try await group.reduce(into: []) { $0 += $1 }
                }
                #expect(claimed.count == queued.count, "no job is handed out twice")
                #expect(Set(claimed.map(\.id)) == queued)
                #expect(claimed.allSatisfy { $0.status == .running && $0.attempts == 1 && $0.claim != nil })
                #expect(
                    claimed.allSatisfy {
                        $0.leaseUntil.map { abs($0.timeIntervalSince(Self.time) - 30) < 0.01 } ?? false
                    })
                #expect(
                    try await other.jobs.claim(
                        node: "late", place: "here", kinds: ["test.work"], lease: Self.lease,
                        at: Self.time.addingTimeInterval(29)) == nil, "leases still hold")
            }
        }
    }

    @Test(
        "a job whose lease ran out is claimed again as its next attempt; the old claim changes nothing",
        arguments: TestBackend.available)
    func expiredLease(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, location in
            let queued = try await store.jobs.enqueue(Self.draft(maxAttempts: 2), at: Self.time)
            let first = try #require(
                try await store.jobs.claim(
                    node: "dies", place: "here", kinds: ["test.work"], lease: Self.lease, at: Self.time))
            #expect(first.id == queued.id && first.claimedBy == "dies")
            let old = try #require(first.claim)
            // Renewed once, then the node dies.
            #expect(try await store.jobs.renew(old, lease: Self.lease, at: Self.time.addingTimeInterval(20)))
            try await TestBackend.secondNode(store, location) { other in
                #expect(
                    try await other.jobs.claim(
                        node: "takes", place: "here", kinds: ["test.work"], lease: Self.lease,
                        at: Self.time.addingTimeInterval(49)) == nil, "the renewed lease holds")
                let again = try #require(
                    try await other.jobs.claim(
                        node: "takes", place: "here", kinds: ["test.work"], lease: Self.lease,
                        at: Self.time.addingTimeInterval(51)))
                #expect(again.id == queued.id && again.attempts == 2 && again.claimedBy == "takes")
                // The node that lost the job can neither renew, complete nor fail it.
                #expect(try await !store.jobs.renew(old, lease: Self.lease, at: Self.time.addingTimeInterval(52)))
                #expect(try await store.jobs.complete(old, at: Self.time.addingTimeInterval(52)) == nil)
                #expect(
                    try await store.jobs.fail(
                        old, error: "late", retryAt: Self.time, at: Self.time.addingTimeInterval(52)) == nil)
                #expect(try await store.jobs.find(id: queued.id)?.claimedBy == "takes")

                // Its last attempt's lease runs out too: the job fails, it is not claimed a third time.
                #expect(
                    try await store.jobs.claim(
                        node: "third", place: "here", kinds: ["test.work"], lease: Self.lease,
                        at: Self.time.addingTimeInterval(90)) == nil)
                let ended = try #require(try await store.jobs.find(id: queued.id))
                #expect(ended.status == .failed && ended.attempts == 2 && ended.finishedAt != nil)
                #expect(ended.lastError?.contains("takes") == true, "\(ended.lastError ?? "")")
            }
        }
    }

    @Test(
        "a claim takes due jobs of its kinds and place, oldest first; completion ends the job",
        arguments: TestBackend.available)
    func completion(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let later = try await store.jobs.enqueue(Self.draft(after: 60), at: Self.time)
            let other = try await store.jobs.enqueue(Self.draft("test.other"), at: Self.time)
            let pinned = try await store.jobs.enqueue(Self.draft(pinnedTo: "there"), at: Self.time)
            let now = try await store.jobs.enqueue(Self.draft(payload: #"{"id":2}"#), at: Self.time)
            #expect(later.status == .queued && later.attempts == 0 && later.maxAttempts == 3 && later.claim == nil)

            func claim(_ place: String, _ kinds: [String], at delay: TimeInterval = 0) async throws -> JobRecord? {
                try await store.jobs.claim(
                    node: "n", place: place, kinds: kinds, lease: Self.lease, at: Self.time.addingTimeInterval(delay))
            }
            #expect(try await claim("here", []) == nil, "no kinds, no jobs")
            let first = try #require(try await claim("here", ["test.work"]))
            #expect(first.id == now.id && first.payload == #"{"id":2}"#, "not the pinned one, not the later one")
            let firstClaim = try #require(first.claim)
            let done = try #require(try await store.jobs.complete(firstClaim, at: Self.time))
            #expect(done.status == .succeeded && done.finishedAt == Self.time && done.leaseUntil == nil)
            #expect(try await store.jobs.find(id: first.id)?.status == .succeeded)
            #expect(try await store.jobs.complete(firstClaim, at: Self.time) == nil, "once")

            #expect(try await claim("here", ["test.work"]) == nil)
            #expect(try await claim("there", ["test.work"])?.id == pinned.id, "the pinned job on its own place")
            #expect(try await claim("here", ["test.other"])?.id == other.id)
            #expect(
                try await claim("here", ["test.work"], at: 60)?.id == later.id,
                "a delayed job once due; never the ended one, nor one pinned elsewhere")
            #expect(
                try await claim("here", ["test.work"], at: 3600)?.id == later.id,
                "a running one whose lease ran out is claimed again")

            #expect(try await store.jobs.purge(finishedBefore: Self.time) == 0)
            #expect(try await store.jobs.purge(finishedBefore: Self.time.addingTimeInterval(1)) == 1)
            #expect(try await store.jobs.find(id: first.id) == nil)
            #expect(try await store.jobs.find(id: later.id)?.status == .running, "running jobs stay")
        }
    }

    @Test(
        "a failed attempt is retried after its delay until the attempts run out, then the job fails",
        arguments: TestBackend.available)
    func failureAndRetry(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let queued = try await store.jobs.enqueue(Self.draft(maxAttempts: 2), at: Self.time)
            func claim(at delay: TimeInterval) async throws -> JobRecord? {
                try await store.jobs.claim(
                    node: "n", place: "here", kinds: ["test.work"], lease: Self.lease,
                    at: Self.time.addingTimeInterval(delay))
            }
            let first = try #require(try await claim(at: 0)?.claim)
            let retry = try #require(
                try await store.jobs.fail(
                    first, error: "upstream down", retryAt: Self.time.addingTimeInterval(10),
                    at: Self.time.addingTimeInterval(1)))
            #expect(retry.status == .queued && retry.attempts == 1 && retry.lastError == "upstream down")
            #expect(retry.runAfter == Self.time.addingTimeInterval(10) && retry.finishedAt == nil)
            #expect(try await claim(at: 9) == nil, "not before its retry time")
            let second = try #require(try await claim(at: 10)?.claim)
            #expect(second.jobID == queued.id && second.attempt == 2)
            let failed = try #require(
                try await store.jobs.fail(
                    second, error: "still down", retryAt: Self.time.addingTimeInterval(30),
                    at: Self.time.addingTimeInterval(11)))
            #expect(failed.status == .failed && failed.attempts == 2 && failed.lastError == "still down")
            #expect(failed.finishedAt == Self.time.addingTimeInterval(11))
            #expect(try await claim(at: 3600) == nil, "no attempts left")
            #expect(try await store.jobs.find(id: queued.id)?.status == .failed)
        }
    }
}
