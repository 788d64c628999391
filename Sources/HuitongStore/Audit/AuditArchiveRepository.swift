import Foundation
import HuitongCore
import SQLKit

/// A month of the audit log written to an archive file: where the chain stood at both ends, and whether the file
/// was verified and the month's entries pruned from the live log.
public struct AuditArchiveRecord: Sendable, Hashable {
    public var month: AuditMonth
    /// The chain before the month's first entry and after its last.
    public var start: AuditChain
    public var end: AuditChain
    public var fileName: String
    public var archivedAt: Date
    /// When the written file was read back and verified offline; only verified months may be pruned.
    public var verifiedAt: Date?
    public var prunedAt: Date?

    public init(
        month: AuditMonth, start: AuditChain, end: AuditChain, fileName: String, archivedAt: Date,
        verifiedAt: Date? = nil, prunedAt: Date? = nil
    ) {
        self.month = month
        self.start = start
        self.end = end
        self.fileName = fileName
        self.archivedAt = archivedAt
        self.verifiedAt = verifiedAt
        self.prunedAt = prunedAt
    }

    public var entries: Int64 { end.sequence - start.sequence }
}

/// The bookkeeping of archives and pruning, beside `AuditLogRepository`.
public protocol AuditArchiveRepository: Sendable {
    /// Every archived month, oldest first.
    func archives() async throws -> [AuditArchiveRecord]
    /// The largest sequence number of an entry stamped before `microseconds` (0 when there is none).
    func lastSequence(before microseconds: Int64) async throws -> Int64
    /// Registers an archived and verified month.
    func record(_ archive: AuditArchiveRecord) async throws
    /// Removes the entries of `archive` and every month before it from the live log and marks them pruned; refuses
    /// (`AuditArchiveRegisterError.notPrunable`) when one of them was not verified. On PostgreSQL a month
    /// partition that holds nothing newer is dropped whole.
    func prune(through archive: AuditArchiveRecord, at time: Date) async throws
    /// Recomputes the rollups from the entries (the migration's backfill; `bench/audit` after a bulk fill).
    func rebuildRollups() async throws
    /// Makes PostgreSQL's month partitions of `months` (nothing on SQLite).
    func preparePartitions(_ months: [AuditMonth]) async throws
    /// Sets the chain head after entries were loaded in bulk (`AuditBulkLoad`); nothing else may call it.
    func adoptHead(_ chain: AuditChain) async throws
}

/// Why the archive register refused.
public enum AuditArchiveRegisterError: HuitongError, Hashable {
    case notPrunable(month: String)

    public var code: String { "audit_archive_not_verified" }
    public var kind: ErrorKind { .conflict }
    public var message: BilingualText {
        switch self {
        case .notPrunable(let month):
            BilingualText(
                zh: "\(month) 的审计记录尚未归档并校验，不能删除",
                en: "the audit entries of \(month) were not archived and verified, so they cannot be pruned")
        }
    }
}

extension SQLAuditLogRepository: AuditArchiveRepository {
    func archives() async throws -> [AuditArchiveRecord] {
        try await provider.read { sql in
            try await sql.raw(
                """
                SELECT month, first_seq, last_seq, start_hash, start_frontier, end_hash, end_frontier, file_name,
                    archived_at_us, verified_at_us, pruned_at_us
                FROM audit_archives ORDER BY month
                """
            ).all().map { row in
                let time = { (column: String) throws -> Date? in
                    try row.decode(column: column, as: Int64?.self).map {
                        Date(timeIntervalSince1970: Double($0) / 1e6)
                    }
                }
                guard let month = AuditMonth(try row.decode(column: "month", as: String.self)) else {
                    throw StoreError.unsafeDatabase("an audit archive's month is malformed")
                }
                return AuditArchiveRecord(
                    month: month,
                    start: try Self.chain(
                        sequence: try row.decode(column: "first_seq", as: Int64.self) - 1,
                        hash: try row.decode(column: "start_hash", as: String.self),
                        frontier: try row.decode(column: "start_frontier", as: String.self)),
                    end: try Self.chain(
                        sequence: try row.decode(column: "last_seq", as: Int64.self),
                        hash: try row.decode(column: "end_hash", as: String.self),
                        frontier: try row.decode(column: "end_frontier", as: String.self)),
                    fileName: try row.decode(column: "file_name", as: String.self),
                    archivedAt: try time("archived_at_us") ?? Date(timeIntervalSince1970: 0),
                    verifiedAt: try time("verified_at_us"), prunedAt: try time("pruned_at_us"))
            }
        }
    }

    func lastSequence(before microseconds: Int64) async throws -> Int64 {
        try await provider.read { sql in
            try await sql.raw("SELECT MAX(seq) AS last FROM audit_entries WHERE time_us < \(bind: microseconds)")
                .first()?.decode(column: "last", as: Int64?.self) ?? 0
        }
    }

    func record(_ archive: AuditArchiveRecord) async throws {
        let verified = archive.verifiedAt.map(AuditEvent.microseconds)
        let pruned = archive.prunedAt.map(AuditEvent.microseconds)
        try await provider.transaction { sql in
            try await sql.raw(
                """
                INSERT INTO audit_archives (month, first_seq, last_seq, start_hash, start_frontier, end_hash,
                    end_frontier, file_name, archived_at_us, verified_at_us, pruned_at_us)
                VALUES (\(bind: archive.month.description), \(bind: archive.start.sequence + 1),
                    \(bind: archive.end.sequence), \(bind: archive.start.lastHash.hex),
                    \(bind: Self.frontierText(archive.start)), \(bind: archive.end.lastHash.hex),
                    \(bind: Self.frontierText(archive.end)), \(bind: archive.fileName),
                    \(bind: AuditEvent.microseconds(archive.archivedAt)), \(bind: verified), \(bind: pruned))
                """
            ).run()
        }
    }

    func prune(through archive: AuditArchiveRecord, at time: Date) async throws {
        let backend = provider.backend
        try await provider.transaction { sql in
            let unverified = try await sql.raw(
                """
                SELECT month FROM audit_archives WHERE month <= \(bind: archive.month.description)
                    AND verified_at_us IS NULL ORDER BY month LIMIT 1
                """
            ).first()
            let present = try await sql.raw(
                "SELECT last_seq FROM audit_archives WHERE month = \(bind: archive.month.description)"
            ).first()?.decode(column: "last_seq", as: Int64.self)
            if let month = try unverified?.decode(column: "month", as: String.self) {
                throw AuditArchiveRegisterError.notPrunable(month: month)
            }
            guard let last = present else {
                throw AuditArchiveRegisterError.notPrunable(month: archive.month.description)
            }
            if backend == .postgres {
                // A partition of a month up to the archived one holds entries stamped before the month's end,
                // all archived, unless one came in late: such a partition is emptied row by row instead.
                for month in try await AuditPartitions.months(sql) where month <= archive.month {
                    let table = AuditPartitions.name(month)
                    let newer = try await sql.raw(
                        "SELECT 1 AS found FROM \(ident: table) WHERE seq > \(bind: last) LIMIT 1"
                    ).first()
                    if newer == nil { try await sql.raw("DROP TABLE \(ident: table)").run() }
                }
            }
            try await sql.raw("DELETE FROM audit_entries WHERE seq <= \(bind: last)").run()
            try await sql.raw(
                """
                UPDATE audit_archives SET pruned_at_us = \(bind: AuditEvent.microseconds(time))
                WHERE month <= \(bind: archive.month.description) AND pruned_at_us IS NULL
                """
            ).run()
        }
    }

    func rebuildRollups() async throws {
        try await provider.transaction { sql in
            // The rollups are the only count left of pruned months: a rebuild from the entries would lose them.
            let pruned = try await sql.raw("SELECT month FROM audit_archives WHERE pruned_at_us IS NOT NULL LIMIT 1")
                .first()
            if let month = try pruned?.decode(column: "month", as: String.self) {
                throw StoreError.conflict(
                    BilingualText(
                        zh: "\(month) 的审计条目已清理，统计汇总不能再从条目重建",
                        en:
                            "the audit entries of \(month) were pruned; the rollups can no longer be rebuilt from entries"
                    ))
            }
            for statement in Schema.auditRollupRebuild {
                try await sql.raw(SQLQueryString(unsafeRaw: statement)).run()
            }
        }
    }

    func preparePartitions(_ months: [AuditMonth]) async throws {
        guard provider.backend == .postgres else { return }
        try await provider.transaction { sql in
            for month in months.sorted() { try await AuditPartitions.create(month, sql) }
        }
        partitions.insert(Set(months))
    }
}
