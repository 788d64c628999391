import Foundation
import HuitongCore
import SQLKit

/// How a load changes a pool.
public enum IngestMode: String, Sendable, Hashable, Codable, CaseIterable {
    /// The file becomes the whole pool.
    case replace
    /// Rows of the file replace those with the same key; others are added.
    case upsert
    /// Rows with the file's keys are removed.
    case delete
    /// The file is the whole pool, applied as a diff: only new, changed and vanished rows are written.
    case sync
    /// The file lists every key the source still holds (key columns only): rows with other keys are retired,
    /// the rest stay as they are (the key reconciliation of an incrementally collected source).
    case reconcile

    /// The modes, for messages: `replace、upsert、delete、sync`.
    public static var choices: BilingualText {
        BilingualText(
            zh: allCases.map(\.rawValue).joined(separator: "、"), en: allCases.map(\.rawValue).joined(separator: ", "))
    }
}

public enum IngestJobStatus: String, Sendable, Hashable, Codable {
    case running
    case succeeded
    case failed
}

/// One load of a file into an entry's pool (归集任务), with its progress and outcome.
public struct IngestJob: Sendable, Hashable, Codable, Identifiable {
    public var id: Int64
    public var entryID: Int64
    public var mode: IngestMode
    public var status: IngestJobStatus
    public var fileName: String
    /// SHA-256 of the file, to recognise a file delivered twice.
    public var contentHash: String
    public var totalBytes: Int64
    public var processedBytes: Int64
    public var rowsRead: Int64
    public var rowsLoaded: Int64
    public var rowsRejected: Int64
    public var poolVersion: Int?
    public var message: String
    public var createdAt: Date
    public var finishedAt: Date?
    /// When the job last reported progress; a running job silent for long is taken for dead.
    public var heartbeatAt: Date
    /// The process running the job (see `IngestJobRunner`); kept out of API answers.
    public var runner: String = ""

    enum CodingKeys: String, CodingKey {
        case id, entryID, mode, status, fileName, contentHash, totalBytes, processedBytes, rowsRead, rowsLoaded,
            rowsRejected, poolVersion, message, createdAt, finishedAt, heartbeatAt
    }

    /// Share of the file read, 0…1.
    public var fraction: Double {
        totalBytes > 0 ? min(1, Double(processedBytes) / Double(totalBytes)) : (status == .running ? 0 : 1)
    }
}

extension IngestJobRepository {
    public func list(entryID: Int64) async throws -> [IngestJob] { try await list(entryID: entryID, limit: nil) }
    public func issues(id: Int64) async throws -> [RowIssue] { try await issues(id: id, limit: nil) }
}

public protocol IngestJobRepository: Sendable {
    func create(
        entryID: Int64, mode: IngestMode, fileName: String, contentHash: String, totalBytes: Int64, userID: Int64?,
        runner: String
    ) async throws -> IngestJob
    func progress(id: Int64, processedBytes: Int64, rowsRead: Int64, rowsLoaded: Int64, rowsRejected: Int64)
        async throws
    /// Keeps rejected rows for the error report (at most `IngestJobs.maximumStoredIssues` per job).
    func addIssues(id: Int64, _ issues: [RowIssue]) async throws
    func finish(id: Int64, status: IngestJobStatus, message: String, poolVersion: Int?) async throws -> IngestJob
    func find(id: Int64) async throws -> IngestJob?
    /// The entry's jobs, newest first; at most `limit` when given.
    func list(entryID: Int64, limit: Int?) async throws -> [IngestJob]
    /// The job's stored rejected rows in file order; at most `limit` when given.
    func issues(id: Int64, limit: Int?) async throws -> [RowIssue]
    /// The job's stored problems grouped by column and kind, the largest group first, each with its first
    /// `examples` issues in file order.
    func issueGroups(id: Int64, examples: Int) async throws -> [RowIssueGroup]
    /// The last successful load of exactly this file into this entry, if any.
    func succeeded(entryID: Int64, contentHash: String) async throws -> IngestJob?
    /// The department's entries whose latest load failed, with that load, newest first: what its 工作台 lists
    /// until a later load succeeds.
    func latestFailed(departmentID: Int64, limit: Int) async throws -> [FailedLoad]
    /// Jobs still marked as running, of one entry or of all.
    func running(entryID: Int64?) async throws -> [IngestJob]
    /// Marks running jobs whose process is gone as failed, with nothing published.
    func failInterrupted(ids: [Int64]) async throws
    /// The end of a successful load, in one transaction: switches readers to `version`, mounts it on its entry
    /// (record count, update time) and marks the job succeeded. A process killed at any moment leaves all of it or
    /// none; never a live version whose job is then declared interrupted, nor an entry counting the old rows.
    func succeed(id: Int64, publishing version: PoolVersion, keep: Int, message: String, author: ChangeAuthor)
        async throws -> (IngestJob, PoolVersion)
}

/// A load that failed and has not been followed by another, with its entry's name.
public struct FailedLoad: Sendable, Hashable {
    public var job: IngestJob
    public var entryName: String
}

public enum IngestJobs {
    public static let maximumStoredIssues = 10_000
}

struct SQLIngestJobRepository: IngestJobRepository {
    let provider: any DatabaseProvider
    var integrity = RowIntegrity()

    func create(
        entryID: Int64, mode: IngestMode, fileName: String, contentHash: String, totalBytes: Int64, userID: Int64?,
        runner: String
    ) async throws -> IngestJob {
        let now = Date()
        return try await provider.transaction { sql in
            let row = try await sql.raw(
                """
                INSERT INTO ingest_jobs (entry_id, mode, status, file_name, content_hash, total_bytes,
                    processed_bytes, rows_read, rows_loaded, rows_rejected, message, created_by, created_at,
                    heartbeat_at, runner)
                VALUES (\(bind: entryID), \(bind: mode.rawValue), 'running', \(bind: fileName), \(bind: contentHash),
                    \(bind: totalBytes), 0, 0, 0, 0, '', \(bind: userID), \(bind: now), \(bind: now), \(bind: runner))
                RETURNING id
                """
            ).first()
            return try await Self.load(try row!.decode(column: "id", as: Int64.self), sql)!
        }
    }

    func progress(id: Int64, processedBytes: Int64, rowsRead: Int64, rowsLoaded: Int64, rowsRejected: Int64)
        async throws
    {
        try await provider.transaction { sql in
            try await sql.raw(
                """
                UPDATE ingest_jobs SET processed_bytes = \(bind: processedBytes), rows_read = \(bind: rowsRead),
                    rows_loaded = \(bind: rowsLoaded), rows_rejected = \(bind: rowsRejected),
                    heartbeat_at = \(bind: Date())
                WHERE id = \(bind: id)
                """
            ).run()
        }
    }

    func addIssues(id: Int64, _ issues: [RowIssue]) async throws {
        guard !issues.isEmpty else { return }
        try await provider.transaction { sql in
            let stored =
                try await sql.raw("SELECT COUNT(*) AS n FROM ingest_job_issues WHERE job_id = \(bind: id)").first()?
                .decode(column: "n", as: Int.self) ?? 0
            let kept = Array(issues.prefix(max(0, IngestJobs.maximumStoredIssues - stored)))
            // Several hundred rows per statement: a large file's report is written in a few round trips.
            for start in stride(from: 0, to: kept.count, by: 500) {
                var query: SQLQueryString =
                    "INSERT INTO ingest_job_issues (job_id, row_number, column_name, value, reason, kind, heading) VALUES "
                for (index, issue) in kept[start..<min(start + 500, kept.count)].enumerated() {
                    if index > 0 { query.appendLiteral(", ") }
                    query += """
                        (\(bind: id), \(bind: issue.row), \(bind: issue.column), \(bind: issue.value), \(bind: issue.reason), \(bind: issue.kind.rawValue), \(bind: issue.heading))
                        """
                }
                try await sql.raw(query).run()
            }
        }
    }

    func finish(id: Int64, status: IngestJobStatus, message: String, poolVersion: Int?) async throws -> IngestJob {
        try await provider.transaction { sql in
            try await sql.raw(
                """
                UPDATE ingest_jobs SET status = \(bind: status.rawValue), message = \(bind: message),
                    pool_version = \(bind: poolVersion), finished_at = \(bind: Date())
                WHERE id = \(bind: id)
                """
            ).run()
            return try await Self.load(id, sql)!
        }
    }

    func find(id: Int64) async throws -> IngestJob? {
        try await provider.read { sql in try await Self.load(id, sql) }
    }

    func list(entryID: Int64, limit: Int?) async throws -> [IngestJob] {
        try await provider.read { sql in
            var query: SQLQueryString = "SELECT * FROM ingest_jobs WHERE entry_id = \(bind: entryID) ORDER BY id DESC"
            if let limit { query.appendInterpolation(unsafeRaw: " LIMIT \(max(0, limit))") }
            return try await sql.raw(query).all().map(Self.decode)
        }
    }

    func issues(id: Int64, limit: Int?) async throws -> [RowIssue] {
        try await provider.read { sql in
            var query: SQLQueryString = """
                SELECT row_number, column_name, value, reason, kind, heading FROM ingest_job_issues
                WHERE job_id = \(bind: id) ORDER BY row_number, column_name
                """
            if let limit { query.appendInterpolation(unsafeRaw: " LIMIT \(max(0, limit))") }
            return try await sql.raw(query).all().map(Self.decodeIssue)
        }
    }

    func issueGroups(id: Int64, examples: Int) async throws -> [RowIssueGroup] {
        try await provider.read { sql in
            let groups = try await sql.raw(
                """
                SELECT column_name, kind, COUNT(*) AS n, MAX(heading) AS heading FROM ingest_job_issues
                WHERE job_id = \(bind: id) GROUP BY column_name, kind ORDER BY n DESC, column_name, kind
                """
            ).all()
            var result: [RowIssueGroup] = []
            for group in groups {
                let column = try group.decode(column: "column_name", as: String.self)
                let kind = try group.decode(column: "kind", as: String.self)
                let found = try await sql.raw(
                    """
                    SELECT row_number, column_name, value, reason, kind, heading FROM ingest_job_issues
                    WHERE job_id = \(bind: id) AND column_name = \(bind: column) AND kind = \(bind: kind)
                    ORDER BY row_number LIMIT \(unsafeRaw: String(max(0, examples)))
                    """
                ).all().map(Self.decodeIssue)
                result.append(
                    RowIssueGroup(
                        column: column, heading: try group.decode(column: "heading", as: String?.self) ?? "",
                        kind: RowIssueKind(rawValue: kind) ?? .other,
                        count: try group.decode(column: "n", as: Int.self),
                        examples: found))
            }
            return result
        }
    }

    static func decodeIssue(_ row: any SQLRow) throws -> RowIssue {
        var issue = RowIssue(
            row: try row.decode(column: "row_number", as: Int.self),
            column: try row.decode(column: "column_name", as: String.self),
            value: try row.decode(column: "value", as: String.self), reason: BilingualText(zh: "", en: ""),
            kind: RowIssueKind(rawValue: try row.decode(column: "kind", as: String.self)) ?? .other,
            heading: try row.decode(column: "heading", as: String.self))
        issue.reason = try row.decode(column: "reason", as: String.self)
        return issue
    }

    func latestFailed(departmentID: Int64, limit: Int) async throws -> [FailedLoad] {
        try await provider.read { sql in
            try await sql.raw(
                """
                SELECT j.*, e.name AS entry_name FROM ingest_jobs j JOIN catalog_entries e ON e.id = j.entry_id
                WHERE e.department_id = \(bind: departmentID) AND j.status = 'failed'
                AND j.id = (SELECT MAX(k.id) FROM ingest_jobs k WHERE k.entry_id = j.entry_id)
                ORDER BY j.id DESC LIMIT \(unsafeRaw: String(max(0, limit)))
                """
            ).all().map { row in
                FailedLoad(job: try Self.decode(row), entryName: try row.decode(column: "entry_name", as: String.self))
            }
        }
    }

    func succeeded(entryID: Int64, contentHash: String) async throws -> IngestJob? {
        try await provider.read { sql in
            try await sql.raw(
                """
                SELECT * FROM ingest_jobs WHERE entry_id = \(bind: entryID) AND content_hash = \(bind: contentHash)
                AND status = 'succeeded' ORDER BY id DESC LIMIT 1
                """
            ).first().map(Self.decode)
        }
    }

    func running(entryID: Int64?) async throws -> [IngestJob] {
        try await provider.read { sql in
            if let entryID {
                return try await sql.raw(
                    "SELECT * FROM ingest_jobs WHERE status = 'running' AND entry_id = \(bind: entryID) ORDER BY id"
                ).all().map(Self.decode)
            }
            return try await sql.raw("SELECT * FROM ingest_jobs WHERE status = 'running' ORDER BY id").all().map(
                Self.decode)
        }
    }

    func succeed(id: Int64, publishing version: PoolVersion, keep: Int, message: String, author: ChangeAuthor)
        async throws -> (IngestJob, PoolVersion)
    {
        // As `PoolRepository.activate`: the key index and the row count are settled first, so the switch stays short.
        try await provider.transaction { sql in
            try await SQLPoolRepository.prepare(version, sql)
        }
        let now = Date()
        return try await provider.transaction { sql in
            // Mounting writes the catalog's change log, whose turn is taken before any other lock.
            try await SQLCatalogRepository.serializeCatalogWrites(sql)
            let active = try await SQLPoolRepository.publish(version, keep: keep, at: now, sql)
            _ = try await SQLCatalogRepository.setMount(
                id: version.entryID, MountedResource(kind: .table, locator: active.tableName),
                recordCount: active.rowCount, dataUpdatedAt: now, author: author, at: now, integrity: integrity, sql)
            try await sql.raw(
                """
                UPDATE ingest_jobs SET status = \(bind: IngestJobStatus.succeeded.rawValue), message = \(bind: message),
                    pool_version = \(bind: active.version), finished_at = \(bind: now)
                WHERE id = \(bind: id)
                """
            ).run()
            return (try await Self.load(id, sql)!, active)
        }
    }

    func failInterrupted(ids: [Int64]) async throws {
        guard !ids.isEmpty else { return }
        try await provider.transaction { sql in
            for id in ids {
                try await sql.raw(
                    """
                    UPDATE ingest_jobs SET status = 'failed', finished_at = \(bind: Date()),
                        message = '任务中断（进程退出或节点重启），未发布任何数据；可重新提交 (interrupted: its process ended or the node restarted; nothing was published; run it again)'
                    WHERE id = \(bind: id) AND status = 'running'
                    """
                ).run()
            }
        }
    }

    static func load(_ id: Int64, _ sql: any SQLDatabase) async throws -> IngestJob? {
        try await sql.raw("SELECT * FROM ingest_jobs WHERE id = \(bind: id)").first().map(decode)
    }

    static func decode(_ row: any SQLRow) throws -> IngestJob {
        IngestJob(
            id: try row.decode(column: "id", as: Int64.self),
            entryID: try row.decode(column: "entry_id", as: Int64.self),
            mode: IngestMode(rawValue: try row.decode(column: "mode", as: String.self)) ?? .replace,
            status: IngestJobStatus(rawValue: try row.decode(column: "status", as: String.self)) ?? .failed,
            fileName: try row.decode(column: "file_name", as: String.self),
            contentHash: try row.decode(column: "content_hash", as: String.self),
            totalBytes: try row.decode(column: "total_bytes", as: Int64.self),
            processedBytes: try row.decode(column: "processed_bytes", as: Int64.self),
            rowsRead: try row.decode(column: "rows_read", as: Int64.self),
            rowsLoaded: try row.decode(column: "rows_loaded", as: Int64.self),
            rowsRejected: try row.decode(column: "rows_rejected", as: Int64.self),
            poolVersion: try row.decode(column: "pool_version", as: Int?.self),
            message: try row.decode(column: "message", as: String.self),
            createdAt: try row.decode(column: "created_at", as: Date.self),
            finishedAt: try row.decode(column: "finished_at", as: Date?.self),
            heartbeatAt: try row.decode(column: "heartbeat_at", as: Date.self),
            runner: try row.decode(column: "runner", as: String.self))
    }
}
