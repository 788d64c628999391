import Foundation
import HuitongCore
import HuitongCrypto

/// Verifies a stored audit log from its first entry: shared by `huitong audit verify` and the console's
/// verification endpoint.
public enum AuditLogVerification {
    /// What a run found, with the extent it covered.
    public struct Report: Sendable {
        public var outcome: Result<AuditVerificationSummary, AuditVerificationFailure>
        /// The log as it stood when the run began; entries appended during the run are left for the next one.
        public var headSequence: Int64
        public var startedAt: Date
        public var finishedAt: Date
    }

    /// Walks every entry and checkpoint up to the head as it stands now, a page at a time (memory stays bounded),
    /// reporting `(entries checked, entries in all)` after each page.
    public static func run(
        _ repository: any AuditLogRepository, trustedKeys: [NodePublicKey], pageSize: Int = 5_000,
        progress: (@Sendable (Int64, Int64) -> Void)? = nil
    ) async throws -> Report {
        try await run(repository, trustedKeys: trustedKeys.map(\.signingKey), pageSize: pageSize, progress: progress)
    }

    /// As above, with checkpoint keys of either suite.
    public static func run(
        _ repository: any AuditLogRepository, trustedKeys: [SigningPublicKey], pageSize: Int = 5_000,
        progress: (@Sendable (Int64, Int64) -> Void)? = nil
    ) async throws -> Report {
        let startedAt = Date()
        // The latest checkpoint is read before the head: in an honest log its size is then at most the head's, and
        // a checkpoint beyond the head (or beyond the last entry) shows truncation.
        let latest = try await repository.latestCheckpoint()
        let head = try await repository.head()
        let bound = max(head.sequence, latest?.treeSize ?? 0)
        // After pruning, the live log starts at the archived boundary (the archives verify what came before); a
        // checkpoint at the boundary itself is checked against the boundary's state.
        let boundary = try await repository.prunedBoundary() ?? AuditChain()
        var verifier = AuditVerifier(trustedKeys: trustedKeys, from: boundary)
        var entryCursor: Int64 = boundary.sequence
        var checkpointCursor: Int64 = boundary.sequence - 1
        var checkpointsDone = false
        func report(_ outcome: Result<AuditVerificationSummary, AuditVerificationFailure>) -> Report {
            Report(outcome: outcome, headSequence: head.sequence, startedAt: startedAt, finishedAt: Date())
        }
        do {
            // A boundary is what pruning leaves: a signed checkpoint exactly there (archiving makes sure of one,
            // and the verifier checks it against the boundary's state) and no entry at or below it. A register
            // edited to skip entries shows as neither.
            if boundary.sequence > 0 {
                let signed = try await repository.checkpoints(
                    after: boundary.sequence - 1, through: boundary.sequence, limit: 1)
                let below = try await repository.records(after: 0, through: boundary.sequence, limit: 1)
                if signed.isEmpty || !below.isEmpty {
                    throw AuditVerificationFailure(sequence: boundary.sequence, reason: .boundaryUnproven)
                }
            }
            while true {
                let page = try await repository.records(after: entryCursor, through: bound, limit: pageSize)
                let reach = page.count < pageSize ? bound : (page.last?.sequence ?? bound)
                // Checkpoints must be in the verifier before the entries that reach their size.
                while !checkpointsDone, checkpointCursor < reach {
                    let checkpoints = try await repository.checkpoints(
                        after: checkpointCursor, through: bound, limit: 1_000)
                    for checkpoint in checkpoints { try verifier.add(checkpoint) }
                    checkpointCursor = checkpoints.last?.treeSize ?? bound
                    checkpointsDone = checkpoints.count < 1_000
                }
                for record in page {
                    switch record {
                    case .entry(let entry): try verifier.check(entry)
                    case .unreadable(let sequence, _): try verifier.checkUnreadable(sequence: sequence)
                    }
                }
                entryCursor = page.last?.sequence ?? entryCursor
                progress?(verifier.entriesChecked, head.sequence)
                if page.count < pageSize { break }
            }
            return report(.success(try verifier.finish(recordedHead: head.sequence)))
        } catch let failure as AuditVerificationFailure {
            return report(.failure(failure))
        }
    }
}
