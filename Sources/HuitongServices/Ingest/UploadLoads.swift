import Foundation
import HuitongCore
import HuitongIngest
import HuitongStore
import Logging

/// Loads of uploaded files: the upload records its ingest job and answers at once; the load runs as a job of the
/// node that received the file (its spool folder is on that node's disk), and the job records progress and outcome
/// for the client to follow.
public struct UploadLoads: Sendable {
    /// A load's job: the ingest job it carries out and the options of the load that the ingest job does not keep.
    /// The entry, the mode and the file's name are read from the ingest job when it runs.
    public struct Load: Codable, Sendable, Hashable {
        public var ingestJob: Int64
        public var userID: Int64?
        /// The spooled file's name in the node's spool folder.
        public var spoolFile: String
        public var encoding: TextEncodingChoice
        public var sheet: String?
        public var rejectionThreshold: Double
        public var keepVersions: Int
    }

    public static let kind = JobKind<Load>("ingest.load")

    public let store: Store
    public let settings: IngestSettings
    /// The node's memory budget, shared by every load this node runs at once.
    public let memoryBudget: IngestMemoryBudget
    let jobs: JobQueue
    let logger: Logger
    /// Runs after a load went live, inside the load's job: the upload's answer and the ingest job's outcome do not
    /// wait for it, and nothing it does can fail the load.
    let afterLoad: @Sendable (IngestJob) async -> Void

    public init(
        store: Store, settings: IngestSettings, jobs: JobQueue, logger: Logger = Logger(label: "huitong.ingest"),
        afterLoad: @escaping @Sendable (IngestJob) async -> Void = { _ in }
    ) {
        self.store = store
        self.settings = settings
        self.memoryBudget = IngestMemoryBudget(limit: settings.memoryBudgetBytes)
        self.jobs = jobs
        self.logger = logger
        self.afterLoad = afterLoad
    }

    var runner: IngestRunner {
        IngestRunner(
            store: store, xlsxLimits: settings.xlsxLimits, memoryBudget: memoryBudget,
            gradePolicy: { [store] in try await GradePolicy.current(store) })
    }

    /// Records the ingest job of a received upload and queues its load, answering with the job at once; the file
    /// (which must be in the node's spool folder, where `IngestAPI.receive` puts it) is removed when the load ends,
    /// or now if it cannot start.
    public func start(_ ingest: IngestRequest) async throws -> (IngestJob, JobHandle) {
        let file = ingest.file
        do {
            let job = try await runner.start(ingest)
            let handle = try await jobs.enqueue(
                Self.kind,
                Load(
                    ingestJob: job.id, userID: ingest.userID, spoolFile: file.lastPathComponent,
                    encoding: ingest.encoding, sheet: ingest.sheet, rejectionThreshold: ingest.rejectionThreshold,
                    keepVersions: ingest.keepVersions),
                pinned: true)
            return (job, handle)
        } catch {
            // A job recorded but not queued stays running until start-up recovery, or the next load into the
            // entry, finds its process gone: the same as a load whose node died before it began.
            try? FileManager.default.removeItem(at: file)
            throw error
        }
    }

    /// Loads at once, inside the caller's own job (a collection run): the same runner as an upload's, then the same
    /// work after a successful load (the quality run). `started` is told the ingest job before any row is read.
    public func loadNow(
        _ request: IngestRequest, started: @Sendable (IngestJob) async throws -> Void = { _ in }
    ) async throws -> IngestJob {
        let job = try await runner.start(request)
        do {
            try await started(job)
        } catch {
            _ = try? await store.ingestJobs.finish(
                id: job.id, status: .failed, message: IngestRunner.failureMessage(error), poolVersion: nil)
            throw error
        }
        let done = try await runner.load(job, request)
        if done.status == .succeeded { await afterLoad(done) }
        return done
    }

    /// Fails a load whose attempt was cut short (its process died, or its job lost its lease) and drops its
    /// half-built version, so that nothing of it is ever visible.
    public func abandonInterrupted(_ ingestJobID: Int64) async throws {
        try await store.ingestJobs.failInterrupted(ids: [ingestJobID])
        _ = try await store.pools.abandonInterrupted(
            keepingEntries: Set(try await store.ingestJobs.running(entryID: nil).map(\.entryID)))
    }

    /// Carries out a load's job. The first attempt loads the file; a later one means an attempt was cut short (its
    /// process died, or lost the job's lease), and it does what start-up recovery does for such a load: the ingest
    /// job fails as interrupted and its half-built version is dropped, so that nothing of it is ever visible.
    /// Either way the spooled file goes.
    public func carryOut(_ load: Load, _ context: JobContext) async throws {
        // Only a plain name in the spool folder: the file is removed when the load ends.
        guard !load.spoolFile.contains("/"), !load.spoolFile.hasPrefix(".") else { return }
        let file = settings.spoolFolder.appendingPathComponent(load.spoolFile)
        defer { try? FileManager.default.removeItem(at: file) }
        guard let job = try await store.ingestJobs.find(id: load.ingestJob), job.status == .running else { return }
        guard context.attempt == 1 else {
            try await abandonInterrupted(job.id)
            logger.warning("ingest job interrupted", metadata: ["job": "\(job.id)", "attempt": "\(context.attempt)"])
            return
        }
        guard let entry = try await store.catalog.find(id: job.entryID) else {
            _ = try await store.ingestJobs.finish(
                id: job.id, status: .failed, message: "目录已不存在 (the entry no longer exists)", poolVersion: nil)
            return
        }
        let request = IngestRequest(
            entry: entry, file: file, fileName: job.fileName, mode: job.mode, encoding: load.encoding,
            sheet: load.sheet, rejectionThreshold: load.rejectionThreshold, keepVersions: load.keepVersions,
            userID: load.userID)
        let done: IngestJob
        do {
            done = try await runner.load(job, request)
        } catch {
            // The ingest job records the failure and its reason; the queue's job has done its work.
            logger.warning("ingest job failed", metadata: ["job": "\(job.id)", "error": "\(error)"])
            return
        }
        logger.info("ingest job finished", metadata: ["job": "\(done.id)", "rows": "\(done.rowsLoaded)"])
        // The file goes before the quality run, as it always has: nothing after the load reads it.
        try? FileManager.default.removeItem(at: file)
        if done.status == .succeeded { await afterLoad(done) }
    }
}
