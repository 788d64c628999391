import Foundation
import HuitongCore
import SQLKit

/// A source to register, as the use case has checked it: the password already sealed.
public struct NewCollectionSource: Sendable, Hashable {
    public var entryID: Int64
    public var departmentID: Int64
    public var draft: CollectionSourceDraft
    /// `draft.location` without its password (the same text for a path).
    public var location: String
    public var sealedSecret: String?
    public var sealContext: String
    public var createdBy: Int64?
    public var nextRunAt: Date?

    public init(
        entryID: Int64, departmentID: Int64, draft: CollectionSourceDraft, location: String, sealedSecret: String?,
        sealContext: String, createdBy: Int64?, nextRunAt: Date?
    ) {
        self.entryID = entryID
        self.departmentID = departmentID
        self.draft = draft
        self.location = location
        self.sealedSecret = sealedSecret
        self.sealContext = sealContext
        self.createdBy = createdBy
        self.nextRunAt = nextRunAt
    }
}

/// Registered collection sources and their runs. A source is claimed by one run at a time (a compare-and-set on
/// its row, under a lease that a node that died lets run out), across every node on the database.
public protocol CollectionSourceRepository: Sendable {
    func create(_ source: NewCollectionSource, at time: Date) async throws -> CollectionSource
    func find(id: Int64) async throws -> CollectionSource?
    /// The sources of one department, or every source when nil; newest first.
    func list(departmentID: Int64?) async throws -> [CollectionSource]
    /// Writes the source's editable fields (name to schedule, secret, next run) as given.
    func update(_ source: CollectionSource, at time: Date) async throws -> CollectionSource
    /// Removes the source and its runs; false when there was none. A source a live run holds at `time` is not
    /// removed.
    func delete(id: Int64, at time: Date) async throws -> Bool
    /// Claims the source for a run until `leaseUntil` and records the run; nil when another run holds the claim.
    /// A claim whose lease ran out (its node died) is taken over, and its run is failed as interrupted.
    func startRun(
        sourceID: Int64, trigger: CollectionTrigger, incremental: Bool, requestedBy: Int64?, leaseUntil: Date,
        at time: Date
    ) async throws -> CollectionRun?
    /// Extends a running run's claim; false when the run no longer holds it.
    func renewRun(id: Int64, sourceID: Int64, leaseUntil: Date) async throws -> Bool
    /// Links a run to the load it made.
    func attachIngestJob(runID: Int64, ingestJobID: Int64) async throws
    /// Records how a run ended and releases the source's claim; on success the run's watermark becomes the
    /// source's. `nextRunAt` is the source's next scheduled run. Nil when the run had already ended.
    func finishRun(id: Int64, _ outcome: CollectionRunOutcome, nextRunAt: Date?, at time: Date) async throws
        -> CollectionRun?
    func run(id: Int64) async throws -> CollectionRun?
    /// A source's runs, newest first.
    func runs(sourceID: Int64, limit: Int) async throws -> [CollectionRun]
    /// Each of these sources' newest run (a running one too), in one read: what a list of sources shows.
    func latestRuns(sourceIDs: [Int64]) async throws -> [Int64: CollectionRun]
    /// Enabled sources whose scheduled run is due at `time` and that no live run holds.
    func due(at time: Date) async throws -> [CollectionSource]
    /// Marks the source's lateness as told; false when it already was (by this node or another) since its last
    /// success.
    func markLateAlerted(sourceID: Int64, at time: Date) async throws -> Bool
    /// Each source of one department (every one when nil) with its last finished run and the rows its successful
    /// runs accepted, all told.
    func activity(departmentID: Int64?) async throws -> [CollectionSourceActivity]
}

/// A source with what monitoring needs of its runs.
public struct CollectionSourceActivity: Sendable, Hashable {
    public var source: CollectionSource
    public var lastRun: CollectionRun?
    public var rowsCollected: Int64

    public init(source: CollectionSource, lastRun: CollectionRun?, rowsCollected: Int64) {
        self.source = source
        self.lastRun = lastRun
        self.rowsCollected = rowsCollected
    }
}

struct SQLCollectionSourceRepository: CollectionSourceRepository {
    let provider: any DatabaseProvider

    func create(_ source: NewCollectionSource, at time: Date) async throws -> CollectionSource {
        let draft = source.draft
        let mapping = try SQLThreeListsRepository.json(draft.columnMapping)
        let watermark = try draft.watermark.map(SQLThreeListsRepository.json)
        let http = try draft.http.map(SQLThreeListsRepository.json)
        return try await provider.transaction { sql in
            let row = try await sql.raw(
                """
                INSERT INTO collection_sources (entry_id, department_id, name, kind, location, table_name, query,
                    column_mapping, watermark, http_options, schedule, cron, enabled, sealed_secret, seal_context,
                    created_by, created_at, updated_at, next_run_at)
                VALUES (\(bind: source.entryID), \(bind: source.departmentID), \(bind: draft.name),
                    \(bind: draft.kind.rawValue), \(bind: source.location), \(bind: draft.table), \(bind: draft.query),
                    \(bind: mapping), \(bind: watermark), \(bind: http), \(bind: draft.schedule.rawValue),
                    \(bind: draft.cron?.text), \(bind: draft.enabled),
                    \(bind: source.sealedSecret), \(bind: source.sealContext), \(bind: source.createdBy),
                    \(bind: time), \(bind: time), \(bind: source.nextRunAt))
                RETURNING *
                """
            ).first()
            return try Self.decodeSource(row!)
        }
    }

    func find(id: Int64) async throws -> CollectionSource? {
        try await provider.read { sql in
            try await sql.raw("SELECT * FROM collection_sources WHERE id = \(bind: id)").first().map(Self.decodeSource)
        }
    }

    func list(departmentID: Int64?) async throws -> [CollectionSource] {
        try await provider.read { sql in
            var filter: SQLQueryString = ""
            if let departmentID { filter = "WHERE department_id = \(bind: departmentID)" }
            return try await sql.raw("SELECT * FROM collection_sources \(filter) ORDER BY id DESC").all()
                .map(Self.decodeSource)
        }
    }

    func update(_ source: CollectionSource, at time: Date) async throws -> CollectionSource {
        let mapping = try SQLThreeListsRepository.json(source.columnMapping)
        let watermark = try source.watermark.map(SQLThreeListsRepository.json)
        let http = try source.http.map(SQLThreeListsRepository.json)
        return try await provider.transaction { sql in
            guard
                let row = try await sql.raw(
                    """
                    UPDATE collection_sources SET name = \(bind: source.name), location = \(bind: source.location),
                        table_name = \(bind: source.table), query = \(bind: source.query),
                        column_mapping = \(bind: mapping), watermark = \(bind: watermark),
                        http_options = \(bind: http),
                        watermark_value = \(bind: source.watermarkValue), schedule = \(bind: source.schedule.rawValue),
                        cron = \(bind: source.cron?.text), enabled = \(bind: source.enabled), sealed_secret = \(bind: source.sealedSecret),
                        next_run_at = \(bind: source.nextRunAt), updated_at = \(bind: time)
                    WHERE id = \(bind: source.id)
                    RETURNING *
                    """
                ).first()
            else { throw StoreError.notFound(entity: "collection source", key: "\(source.id)") }
            return try Self.decodeSource(row)
        }
    }

    func delete(id: Int64, at time: Date) async throws -> Bool {
        try await provider.transaction { sql in
            guard
                let row = try await sql.raw(
                    "SELECT claim_run, claim_until FROM collection_sources WHERE id = \(bind: id)"
                ).first()
            else { return false }
            if try row.decode(column: "claim_run", as: Int64?.self) != nil,
                let until = try row.decode(column: "claim_until", as: Date?.self), until > time
            {
                throw StoreError.conflict(
                    BilingualText(
                        zh: "该归集源正在归集，请待本次归集结束后再删除",
                        en: "the source is being collected; delete it once the run has ended"))
            }
            try await sql.raw("DELETE FROM collection_runs WHERE source_id = \(bind: id)").run()
            try await sql.raw("DELETE FROM collection_sources WHERE id = \(bind: id)").run()
            return true
        }
    }

    func startRun(
        sourceID: Int64, trigger: CollectionTrigger, incremental: Bool, requestedBy: Int64?, leaseUntil: Date,
        at time: Date
    ) async throws -> CollectionRun? {
        try await provider.transaction { sql in
            // The compare-and-set that makes runs of one source never overlap: on PostgreSQL a second claimer
            // waits for the first's commit and then finds the claim taken.
            guard
                let claimed = try await sql.raw(
                    """
                    UPDATE collection_sources SET claim_until = \(bind: leaseUntil)
                    WHERE id = \(bind: sourceID) AND (claim_run IS NULL OR claim_until < \(bind: time))
                    RETURNING claim_run
                    """
                ).first()
            else { return nil }
            if let stale = try claimed.decode(column: "claim_run", as: Int64?.self) {
                let failure = CollectionFailure.interrupted.message
                try await sql.raw(
                    """
                    UPDATE collection_runs SET status = 'failed', finished_at = \(bind: time),
                        failure_zh = \(bind: failure.zh), failure_en = \(bind: failure.en)
                    WHERE id = \(bind: stale) AND status = 'running'
                    """
                ).run()
            }
            let row = try await sql.raw(
                """
                INSERT INTO collection_runs (source_id, trigger, status, started_at, rows_read, rows_accepted,
                    rows_rejected, incremental, files, requested_by)
                VALUES (\(bind: sourceID), \(bind: trigger.rawValue), 'running', \(bind: time), 0, 0, 0,
                    \(bind: incremental), '[]', \(bind: requestedBy))
                RETURNING *
                """
            ).first()
            let run = try Self.decodeRun(row!)
            try await sql.raw("UPDATE collection_sources SET claim_run = \(bind: run.id) WHERE id = \(bind: sourceID)")
                .run()
            return run
        }
    }

    func renewRun(id: Int64, sourceID: Int64, leaseUntil: Date) async throws -> Bool {
        try await provider.transaction { sql in
            try await sql.raw(
                """
                UPDATE collection_sources SET claim_until = \(bind: leaseUntil)
                WHERE id = \(bind: sourceID) AND claim_run = \(bind: id)
                RETURNING id
                """
            ).first() != nil
        }
    }

    func attachIngestJob(runID: Int64, ingestJobID: Int64) async throws {
        try await provider.transaction { sql in
            try await sql.raw(
                "UPDATE collection_runs SET ingest_job_id = \(bind: ingestJobID) WHERE id = \(bind: runID)"
            ).run()
        }
    }

    func finishRun(id: Int64, _ outcome: CollectionRunOutcome, nextRunAt: Date?, at time: Date) async throws
        -> CollectionRun?
    {
        let files = try SQLThreeListsRepository.json(outcome.files)
        return try await provider.transaction { sql in
            guard
                let row = try await sql.raw(
                    """
                    UPDATE collection_runs SET status = \(bind: outcome.status.rawValue),
                        finished_at = \(bind: time), ingest_job_id = COALESCE(\(bind: outcome.ingestJobID), ingest_job_id),
                        rows_read = \(bind: outcome.rowsRead), rows_accepted = \(bind: outcome.rowsAccepted),
                        rows_rejected = \(bind: outcome.rowsRejected), watermark_value = \(bind: outcome.watermarkValue),
                        failure_zh = \(bind: outcome.failure?.zh), failure_en = \(bind: outcome.failure?.en),
                        files = \(bind: files), rows_retired = \(bind: outcome.rowsRetired)
                    WHERE id = \(bind: id) AND status = 'running'
                    RETURNING *
                    """
                ).first()
            else { return nil }
            let run = try Self.decodeRun(row)
            var watermark: SQLQueryString = ""
            if outcome.status == .succeeded, let value = outcome.watermarkValue {
                watermark = ", watermark_value = \(bind: value)"
            }
            var reconciled: SQLQueryString = ""
            if outcome.status == .succeeded && outcome.reconciled {
                reconciled = ", reconciled_at = \(bind: run.startedAt)"
            }
            // The monitoring figures: a success clears the failures and the lateness told, a failure adds one.
            let health: SQLQueryString =
                outcome.status == .succeeded
                ? """
                , consecutive_failures = 0, last_success_at = \(bind: run.startedAt), last_failure_zh = NULL,
                    last_failure_en = NULL, late_alerted_at = NULL
                """
                : """
                , consecutive_failures = consecutive_failures + 1, last_failure_zh = \(bind: outcome.failure?.zh),
                    last_failure_en = \(bind: outcome.failure?.en)
                """
            try await sql.raw(
                """
                UPDATE collection_sources SET claim_run = NULL, claim_until = NULL,
                    next_run_at = \(bind: nextRunAt)\(watermark)\(reconciled)\(health)
                WHERE id = \(bind: run.sourceID) AND claim_run = \(bind: id)
                """
            ).run()
            return run
        }
    }

    func run(id: Int64) async throws -> CollectionRun? {
        try await provider.read { sql in
            try await sql.raw("SELECT * FROM collection_runs WHERE id = \(bind: id)").first().map(Self.decodeRun)
        }
    }

    func runs(sourceID: Int64, limit: Int) async throws -> [CollectionRun] {
        try await provider.read { sql in
            try await sql.raw(
                """
                SELECT * FROM collection_runs WHERE source_id = \(bind: sourceID)
                ORDER BY id DESC LIMIT \(bind: max(1, min(limit, 1000)))
                """
            ).all().map(Self.decodeRun)
        }
    }

    func due(at time: Date) async throws -> [CollectionSource] {
        try await provider.read { sql in
            try await sql.raw(
                """
                SELECT * FROM collection_sources
                WHERE enabled = \(bind: true) AND next_run_at <= \(bind: time)
                    AND (claim_run IS NULL OR claim_until < \(bind: time))
                ORDER BY next_run_at, id
                """
            ).all().map(Self.decodeSource)
        }
    }

    func markLateAlerted(sourceID: Int64, at time: Date) async throws -> Bool {
        try await provider.transaction { sql in
            try await sql.raw(
                """
                UPDATE collection_sources SET late_alerted_at = \(bind: time)
                WHERE id = \(bind: sourceID) AND late_alerted_at IS NULL
                RETURNING id
                """
            ).first() != nil
        }
    }

    func latestRuns(sourceIDs: [Int64]) async throws -> [Int64: CollectionRun] {
        guard !sourceIDs.isEmpty else { return [:] }
        return try await provider.read { sql in
            var latest: [Int64: CollectionRun] = [:]
            for row in try await sql.raw(
                """
                SELECT * FROM collection_runs WHERE id IN (SELECT MAX(id) FROM collection_runs
                    WHERE source_id IN (\(binds: sourceIDs)) GROUP BY source_id)
                """
            ).all() {
                let run = try Self.decodeRun(row)
                latest[run.sourceID] = run
            }
            return latest
        }
    }

    func activity(departmentID: Int64?) async throws -> [CollectionSourceActivity] {
        try await provider.read { sql in
            var filter: SQLQueryString = ""
            var runFilter: SQLQueryString = ""
            if let departmentID {
                filter = "WHERE department_id = \(bind: departmentID)"
                runFilter =
                    "AND source_id IN (SELECT id FROM collection_sources WHERE department_id = \(bind: departmentID))"
            }
            let sources = try await sql.raw("SELECT * FROM collection_sources \(filter) ORDER BY id DESC").all()
                .map(Self.decodeSource)
            var lastRuns: [Int64: CollectionRun] = [:]
            for row in try await sql.raw(
                """
                SELECT * FROM collection_runs WHERE id IN (SELECT MAX(id) FROM collection_runs
                    WHERE status <> 'running' \(runFilter) GROUP BY source_id)
                """
            ).all() {
                let run = try Self.decodeRun(row)
                lastRuns[run.sourceID] = run
            }
            var collected: [Int64: Int64] = [:]
            for row in try await sql.raw(
                """
                SELECT source_id, CAST(SUM(rows_accepted) AS BIGINT) AS total FROM collection_runs
                WHERE status = 'succeeded' \(runFilter) GROUP BY source_id
                """
            ).all() {
                collected[try row.decode(column: "source_id", as: Int64.self)] =
                    try row.decode(column: "total", as: Int64?.self) ?? 0
            }
            return sources.map {
                CollectionSourceActivity(source: $0, lastRun: lastRuns[$0.id], rowsCollected: collected[$0.id] ?? 0)
            }
        }
    }

    // MARK: Rows

    static func decodeSource(_ row: any SQLRow) throws -> CollectionSource {
        var source = try decodeSettings(row)
        source.consecutiveFailures = Int(try row.decode(column: "consecutive_failures", as: Int64.self))
        source.lastSuccessAt = try row.decode(column: "last_success_at", as: Date?.self)
        if let zh = try row.decode(column: "last_failure_zh", as: String?.self) {
            source.lastFailure = BilingualText(
                zh: zh, en: try row.decode(column: "last_failure_en", as: String?.self) ?? zh)
        }
        source.lateAlertedAt = try row.decode(column: "late_alerted_at", as: Date?.self)
        source.reconciledAt = try row.decode(column: "reconciled_at", as: Date?.self)
        return source
    }

    static func decodeSettings(_ row: any SQLRow) throws -> CollectionSource {
        let decoder = JSONDecoder()
        let mapping = try row.decode(column: "column_mapping", as: String.self)
        let watermark = try row.decode(column: "watermark", as: String?.self)
        let kind = try row.decode(column: "kind", as: String.self)
        let schedule = try row.decode(column: "schedule", as: String.self)
        guard let sourceKind = CollectionSourceKind(rawValue: kind),
            let sourceSchedule = CollectionSchedule(rawValue: schedule)
        else {
            // A kind or schedule this build does not know (a newer node wrote it) is never guessed at.
            throw StoreError.unavailable("a collection source of unknown kind \(kind) or schedule \(schedule)")
        }
        return CollectionSource(
            id: try row.decode(column: "id", as: Int64.self),
            entryID: try row.decode(column: "entry_id", as: Int64.self),
            departmentID: try row.decode(column: "department_id", as: Int64.self),
            name: try row.decode(column: "name", as: String.self),
            kind: sourceKind,
            location: try row.decode(column: "location", as: String.self),
            table: try row.decode(column: "table_name", as: String?.self),
            query: try row.decode(column: "query", as: String?.self),
            columnMapping: try decoder.decode([String: String].self, from: Data(mapping.utf8)),
            watermark: try watermark.map { try decoder.decode(SourceWatermark.self, from: Data($0.utf8)) },
            watermarkValue: try row.decode(column: "watermark_value", as: String?.self),
            schedule: sourceSchedule,
            enabled: try row.decode(column: "enabled", as: Bool.self),
            sealedSecret: try row.decode(column: "sealed_secret", as: String?.self),
            sealContext: try row.decode(column: "seal_context", as: String.self),
            createdBy: try row.decode(column: "created_by", as: Int64?.self),
            createdAt: try row.decode(column: "created_at", as: Date.self),
            updatedAt: try row.decode(column: "updated_at", as: Date.self),
            nextRunAt: try row.decode(column: "next_run_at", as: Date?.self),
            http: try row.decode(column: "http_options", as: String?.self).map {
                try decoder.decode(HTTPSourceOptions.self, from: Data($0.utf8))
            },
            cron: try row.decode(column: "cron", as: String?.self).map { try CronExpression($0) })
    }

    static func decodeRun(_ row: any SQLRow) throws -> CollectionRun {
        let files = try row.decode(column: "files", as: String.self)
        let zh = try row.decode(column: "failure_zh", as: String?.self)
        let en = try row.decode(column: "failure_en", as: String?.self)
        let status = try row.decode(column: "status", as: String.self)
        let trigger = try row.decode(column: "trigger", as: String.self)
        var run = CollectionRun(
            id: try row.decode(column: "id", as: Int64.self),
            sourceID: try row.decode(column: "source_id", as: Int64.self),
            trigger: CollectionTrigger(rawValue: trigger) ?? .manual,
            // An unknown status never reads as a success.
            status: CollectionRunStatus(rawValue: status) ?? .failed,
            ingestJobID: try row.decode(column: "ingest_job_id", as: Int64?.self),
            startedAt: try row.decode(column: "started_at", as: Date.self),
            finishedAt: try row.decode(column: "finished_at", as: Date?.self),
            rowsRead: try row.decode(column: "rows_read", as: Int64.self),
            rowsAccepted: try row.decode(column: "rows_accepted", as: Int64.self),
            rowsRejected: try row.decode(column: "rows_rejected", as: Int64.self),
            incremental: try row.decode(column: "incremental", as: Bool.self),
            watermarkValue: try row.decode(column: "watermark_value", as: String?.self),
            failure: zh.map { BilingualText(zh: $0, en: en ?? $0) },
            files: try JSONDecoder().decode([String].self, from: Data(files.utf8)),
            requestedBy: try row.decode(column: "requested_by", as: Int64?.self))
        run.rowsRetired = try row.decode(column: "rows_retired", as: Int64.self)
        return run
    }
}

extension Schema {
    /// Collection sources and their runs (issue 20).
    @Sendable static func collectionTables(_ t: SchemaTypes) -> [String] {
        [
            // `claim_run` names the run that holds the source until `claim_until` (a compare-and-set claims it);
            // `sealed_secret` is the password sealed with the node's key under `seal_context`.
            """
            CREATE TABLE IF NOT EXISTS collection_sources (
                id \(t.id),
                entry_id BIGINT NOT NULL REFERENCES catalog_entries(id) ON DELETE CASCADE,
                department_id BIGINT NOT NULL,
                name TEXT NOT NULL,
                kind TEXT NOT NULL,
                location TEXT NOT NULL,
                table_name TEXT,
                query TEXT,
                column_mapping TEXT NOT NULL,
                watermark TEXT,
                http_options TEXT,
                watermark_value TEXT,
                schedule TEXT NOT NULL,
                enabled BOOLEAN NOT NULL,
                sealed_secret TEXT,
                seal_context TEXT NOT NULL,
                created_by BIGINT,
                created_at \(t.timestamp) NOT NULL,
                updated_at \(t.timestamp) NOT NULL,
                next_run_at \(t.timestamp),
                claim_run BIGINT,
                claim_until \(t.timestamp)
            )
            """,
            "CREATE INDEX IF NOT EXISTS collection_sources_department ON collection_sources (department_id)",
            "CREATE INDEX IF NOT EXISTS collection_sources_next_run ON collection_sources (next_run_at) WHERE enabled",
            """
            CREATE TABLE IF NOT EXISTS collection_runs (
                id \(t.id),
                source_id BIGINT NOT NULL REFERENCES collection_sources(id) ON DELETE CASCADE,
                trigger TEXT NOT NULL,
                status TEXT NOT NULL,
                ingest_job_id BIGINT,
                started_at \(t.timestamp) NOT NULL,
                finished_at \(t.timestamp),
                rows_read BIGINT NOT NULL,
                rows_accepted BIGINT NOT NULL,
                rows_rejected BIGINT NOT NULL,
                incremental BOOLEAN NOT NULL,
                watermark_value TEXT,
                failure_zh TEXT,
                failure_en TEXT,
                files TEXT NOT NULL,
                requested_by BIGINT
            )
            """,
            "CREATE INDEX IF NOT EXISTS collection_runs_source ON collection_runs (source_id, id)",
        ]
    }
}
