import Dispatch
import Synchronization

/// Hands batches of rows from a reader running on a thread of its own (a file being parsed, or the XLSX reader,
/// driven by ZIP decompression) to the async load, one or two batches at a time: the reader's thread blocks while
/// the load is behind, so memory stays bounded however large the file.
final class RowHandoff: Sendable {
    typealias Rows = [(number: Int, cells: [String])]
    /// Rows, and how many bytes of the file were read to get them (for progress).
    typealias Batch = (rows: Rows, processedBytes: Int64)

    private struct State {
        var ready: [Batch] = []
        var waiting: CheckedContinuation<Batch?, any Error>?
        var finished = false
        var failure: (any Error)?
        var cancelled = false
    }

    private let state = Mutex(State())
    /// Free places for batches; the producer waits on it.
    private let space: DispatchSemaphore

    init(capacity: Int = 2) {
        space = DispatchSemaphore(value: capacity)
    }

    /// Producer: hands over a batch, blocking while the consumer has `capacity` batches unread. Throws
    /// `CancellationError` once the consumer has stopped, so that the reader stops too.
    func send(_ rows: Rows, processedBytes: Int64 = 0) throws {
        let batch = (rows: rows, processedBytes: processedBytes)
        space.wait()
        let waiting: CheckedContinuation<Batch?, any Error>? = try state.withLock { state in
            if state.cancelled { throw CancellationError() }
            if let waiting = state.waiting {
                state.waiting = nil
                return waiting
            }
            state.ready.append(batch)
            return nil
        }
        if let waiting {
            space.signal()
            waiting.resume(returning: batch)
        }
    }

    /// Producer: no more batches; `error` when reading failed.
    func finish(throwing error: (any Error)? = nil) {
        let waiting = state.withLock { state in
            state.finished = true
            state.failure = error
            defer { state.waiting = nil }
            return state.waiting
        }
        if let error { waiting?.resume(throwing: error) } else { waiting?.resume(returning: nil) }
    }

    /// Consumer: the next batch, or nil at the end.
    func next() async throws -> Batch? {
        try await withCheckedThrowingContinuation { continuation in
            let outcome: Result<Batch?, any Error>? = state.withLock { state in
                if !state.ready.isEmpty { return .success(state.ready.removeFirst()) }
                if state.finished { return state.failure.map { .failure($0) } ?? .success(nil) }
                state.waiting = continuation
                return nil
            }
            guard let outcome else { return }
            if case .success(let batch) = outcome, batch != nil { space.signal() }
            continuation.resume(with: outcome)
        }
    }

    /// Consumer: stops early (the load failed); unblocks the producer, whose next `send` throws.
    func cancel() {
        let dropped = state.withLock { state in
            state.cancelled = true
            defer { state.ready.removeAll() }
            return state.ready.count
        }
        // Every place taken by a batch nobody will read is given back, plus one to wake a blocked producer:
        // libdispatch aborts the process if a semaphore is freed below its starting count.
        for _ in 0...dropped { space.signal() }
    }
}
