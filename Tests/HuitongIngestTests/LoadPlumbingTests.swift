import Foundation
import HuitongTestSupport
import Testing

@testable import HuitongIngest

/// The pieces that keep a load honest when things go wrong: the sheet hand-off and the check for dead loads.
@Suite("Load plumbing")
struct LoadPlumbingTests {
    @Test("a load that stops while batches are queued releases the reader thread and frees cleanly")
    func handoffCancelledWithBatchesQueued() async throws {
        let stopped = DispatchSemaphore(value: 0)
        let outcome = OutcomeBox()
        do {
            let handoff = RowHandoff(capacity: 2)
            Thread.detachNewThread {
                do {
                    for batch in 0..<10 { try handoff.send([(batch, ["x"])]) }
                    handoff.finish()
                    outcome.set("finished")
                } catch is CancellationError {
                    outcome.set("cancelled")
                } catch {
                    outcome.set("\(error)")
                }
                stopped.signal()
            }
            #expect(try await handoff.next()?.rows.first?.number == 0)
            // Let the reader fill both places, then give up as a failed write would.
            try await Task.sleep(for: .milliseconds(100))
            handoff.cancel()
            stopped.wait()
        }
        // Had the queued places not been given back, freeing the semaphore would have aborted the process.
        #expect(outcome.value == "cancelled")
    }

    @Test("a load is taken for dead at once only when its process on this host has ended")
    func deadProcessesOnly() throws {
        #expect(!IngestJobRunner.isGone(IngestJobRunner.current), "this process is alive")
        #expect(!IngestJobRunner.isGone("another-host|boot|4242"), "another host's process cannot be checked")
        #expect(!IngestJobRunner.isGone(""), "an old job without a runner waits for its heartbeat to go stale")
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/true")
        try ChildProcess.launch(child)
        child.waitUntilExit()
        let parts = IngestJobRunner.current.split(separator: "|").dropLast().joined(separator: "|")
        #expect(IngestJobRunner.isGone("\(parts)|\(child.processIdentifier)"), "an ended process is gone")
    }
}

final class OutcomeBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored = ""
    func set(_ value: String) { lock.withLock { stored = value } }
    var value: String { lock.withLock { stored } }
}
