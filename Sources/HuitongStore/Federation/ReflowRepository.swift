import Foundation
import HuitongCore
import SQLKit

/// On the sending node: an entry whose records return to a child, filtered by the child's region prefix.
public struct ReflowSubscription: Sendable, Hashable, Codable {
    public var id: Int64
    public var entryID: Int64
    public var child: NodeRegion
    public var regionColumn: String
    /// The source pool version last sent in full: the watermark that lets a scheduled run skip an unchanged pool.
    public var lastSourceVersion: Int?
    public var lastRunID: String?
    public var lastRunAt: Date?
    public var createdAt: Date
}

/// On the receiving node: a completed 回流 run and the pool version it produced (the provenance of that version).
public struct ReflowRun: Sendable, Hashable, Codable {
    public var runID: String
    public var origin: NodeRegion
    public var sourceCode: String
    public var sourceVersion: Int
    public var entryID: Int64
    public var poolVersion: Int
    public var rowsApplied: Int64
    public var appliedAt: Date

    public init(
        runID: String, origin: NodeRegion, sourceCode: String, sourceVersion: Int, entryID: Int64, poolVersion: Int,
        rowsApplied: Int64, appliedAt: Date
    ) {
        self.runID = runID
        self.origin = origin
        self.sourceCode = sourceCode
        self.sourceVersion = sourceVersion
        self.entryID = entryID
        self.poolVersion = poolVersion
        self.rowsApplied = rowsApplied
        self.appliedAt = appliedAt
    }
}

/// On the receiving node: which local entry's pool receives a parent's entry.
public struct ReflowTarget: Sendable, Hashable, Codable {
    public var origin: NodeRegion
    public var sourceCode: String
    public var entryID: Int64
    public var createdAt: Date
}

public protocol ReflowRepository: Sendable {
    func subscribe(entryID: Int64, child: NodeRegion, regionColumn: String, at time: Date) async throws
        -> ReflowSubscription
    func subscriptions() async throws -> [ReflowSubscription]
    func subscription(id: Int64) async throws -> ReflowSubscription?
    /// Deletes a subscription; false when there was none. Runs already sent stay in the outbox and arrive.
    func unsubscribe(id: Int64) async throws -> Bool
    func recordSent(subscriptionID: Int64, runID: String, sourceVersion: Int, at time: Date) async throws

    func setTarget(origin: NodeRegion, sourceCode: String, entryID: Int64, at time: Date) async throws -> ReflowTarget
    func target(origin: NodeRegion, sourceCode: String) async throws -> ReflowTarget?
    func targets() async throws -> [ReflowTarget]
    /// Keeps one part of a run; a part already kept (a resent message) is left as it is. Returns whether the
    /// run is now complete: its last part and every part before it are held.
    func keepPart(_ batch: ReflowBatch, origin: NodeRegion, at time: Date) async throws -> Bool
    func parts(runID: String) async throws -> [ReflowBatch]
    /// Runs whose every part is held but which were never applied (two last parts arriving at once, or a node
    /// that stopped between keeping the last part and applying the run), with the node they came from.
    func completeUnappliedRuns() async throws -> [(runID: String, origin: NodeRegion)]
    func recordApplied(_ run: ReflowRun) async throws
    func appliedRun(runID: String) async throws -> ReflowRun?
    func runs(entryID: Int64) async throws -> [ReflowRun]
}

struct SQLReflowRepository: ReflowRepository {
    let provider: any DatabaseProvider

    func subscribe(entryID: Int64, child: NodeRegion, regionColumn: String, at time: Date) async throws
        -> ReflowSubscription
    {
        try await provider.transaction { sql in
            let rows = try await sql.raw(
                """
                INSERT INTO reflow_subscriptions (entry_id, child_region, region_column, created_at)
                VALUES (\(bind: entryID), \(bind: child.code), \(bind: regionColumn), \(bind: time))
                ON CONFLICT (entry_id, child_region) DO UPDATE SET region_column = excluded.region_column
                RETURNING *
                """
            ).all()
            return try Self.decodeSubscription(rows[0])
        }
    }

    func subscriptions() async throws -> [ReflowSubscription] {
        try await provider.read { sql in
            try await sql.raw("SELECT * FROM reflow_subscriptions ORDER BY id").all().map(Self.decodeSubscription)
        }
    }

    func subscription(id: Int64) async throws -> ReflowSubscription? {
        try await provider.read { sql in
            try await sql.raw("SELECT * FROM reflow_subscriptions WHERE id = \(bind: id)").first()
                .map(Self.decodeSubscription)
        }
    }

    func unsubscribe(id: Int64) async throws -> Bool {
        try await provider.transaction { sql in
            !(try await sql.raw("DELETE FROM reflow_subscriptions WHERE id = \(bind: id) RETURNING id").all()).isEmpty
        }
    }

    func recordSent(subscriptionID: Int64, runID: String, sourceVersion: Int, at time: Date) async throws {
        try await provider.transaction { sql in
            try await sql.raw(
                """
                UPDATE reflow_subscriptions SET last_source_version = \(bind: sourceVersion),
                    last_run_id = \(bind: runID), last_run_at = \(bind: time)
                WHERE id = \(bind: subscriptionID)
                """
            ).run()
        }
    }

    func setTarget(origin: NodeRegion, sourceCode: String, entryID: Int64, at time: Date) async throws -> ReflowTarget {
        try await provider.transaction { sql in
            let rows = try await sql.raw(
                """
                INSERT INTO reflow_targets (origin, source_code, entry_id, created_at)
                VALUES (\(bind: origin.code), \(bind: sourceCode), \(bind: entryID), \(bind: time))
                ON CONFLICT (origin, source_code) DO UPDATE SET entry_id = excluded.entry_id
                RETURNING *
                """
            ).all()
            return try Self.decodeTarget(rows[0])
        }
    }

    func target(origin: NodeRegion, sourceCode: String) async throws -> ReflowTarget? {
        try await provider.read { sql in
            try await sql.raw(
                """
                SELECT * FROM reflow_targets WHERE origin = \(bind: origin.code) AND source_code = \(bind: sourceCode)
                """
            ).first().map(Self.decodeTarget)
        }
    }

    func targets() async throws -> [ReflowTarget] {
        try await provider.read { sql in
            try await sql.raw("SELECT * FROM reflow_targets ORDER BY origin, source_code").all().map(Self.decodeTarget)
        }
    }

    func keepPart(_ batch: ReflowBatch, origin: NodeRegion, at time: Date) async throws -> Bool {
        let body = String(decoding: try JSONEncoder().encode(batch), as: UTF8.self)
        return try await provider.transaction { sql in
            try await sql.raw(
                """
                INSERT INTO reflow_parts (run_id, sequence, is_last, origin, batch, received_at)
                VALUES (\(bind: batch.runID), \(bind: batch.sequence), \(bind: batch.isLast), \(bind: origin.code),
                    \(bind: body), \(bind: time))
                ON CONFLICT (run_id, sequence) DO NOTHING
                """
            ).run()
            let row = try await sql.raw(
                """
                SELECT COUNT(*) AS held, MAX(CASE WHEN is_last THEN sequence END) AS last
                FROM reflow_parts WHERE run_id = \(bind: batch.runID)
                """
            ).first()
            let held = try row?.decode(column: "held", as: Int.self) ?? 0
            guard let last = try row?.decode(column: "last", as: Int?.self) else { return false }
            return held == last + 1
        }
    }

    func parts(runID: String) async throws -> [ReflowBatch] {
        try await provider.read { sql in
            try await sql.raw("SELECT batch FROM reflow_parts WHERE run_id = \(bind: runID) ORDER BY sequence").all()
                .map {
                    try JSONDecoder().decode(
                        ReflowBatch.self, from: Data(try $0.decode(column: "batch", as: String.self).utf8))
                }
        }
    }

    func completeUnappliedRuns() async throws -> [(runID: String, origin: NodeRegion)] {
        try await provider.read { sql in
            try await sql.raw(
                """
                SELECT p.run_id, MIN(p.origin) AS origin FROM reflow_parts p
                WHERE NOT EXISTS (SELECT 1 FROM reflow_runs r WHERE r.run_id = p.run_id)
                GROUP BY p.run_id
                HAVING COUNT(*) = MAX(CASE WHEN p.is_last THEN p.sequence END) + 1
                LIMIT 50
                """
            ).all().map {
                (
                    runID: try $0.decode(column: "run_id", as: String.self),
                    origin: try NodeRegion(try $0.decode(column: "origin", as: String.self))
                )
            }
        }
    }

    func recordApplied(_ run: ReflowRun) async throws {
        try await provider.transaction { sql in
            try await sql.raw(
                """
                INSERT INTO reflow_runs (run_id, origin, source_code, source_version, entry_id, pool_version,
                    rows_applied, applied_at)
                VALUES (\(bind: run.runID), \(bind: run.origin.code), \(bind: run.sourceCode),
                    \(bind: run.sourceVersion), \(bind: run.entryID), \(bind: run.poolVersion),
                    \(bind: run.rowsApplied), \(bind: run.appliedAt))
                ON CONFLICT (run_id) DO NOTHING
                """
            ).run()
            // The parts are only needed until the run is applied; the run record is the lasting provenance.
            try await sql.raw("DELETE FROM reflow_parts WHERE run_id = \(bind: run.runID)").run()
        }
    }

    func appliedRun(runID: String) async throws -> ReflowRun? {
        try await provider.read { sql in
            try await sql.raw("SELECT * FROM reflow_runs WHERE run_id = \(bind: runID)").first().map(Self.decodeRun)
        }
    }

    func runs(entryID: Int64) async throws -> [ReflowRun] {
        try await provider.read { sql in
            try await sql.raw("SELECT * FROM reflow_runs WHERE entry_id = \(bind: entryID) ORDER BY applied_at DESC")
                .all().map(Self.decodeRun)
        }
    }

    static func decodeSubscription(_ row: any SQLRow) throws -> ReflowSubscription {
        ReflowSubscription(
            id: try row.decode(column: "id", as: Int64.self),
            entryID: try row.decode(column: "entry_id", as: Int64.self),
            child: try NodeRegion(try row.decode(column: "child_region", as: String.self)),
            regionColumn: try row.decode(column: "region_column", as: String.self),
            lastSourceVersion: try row.decode(column: "last_source_version", as: Int?.self),
            lastRunID: try row.decode(column: "last_run_id", as: String?.self),
            lastRunAt: try row.decode(column: "last_run_at", as: Date?.self),
            createdAt: try row.decode(column: "created_at", as: Date.self))
    }

    static func decodeTarget(_ row: any SQLRow) throws -> ReflowTarget {
        ReflowTarget(
            origin: try NodeRegion(try row.decode(column: "origin", as: String.self)),
            sourceCode: try row.decode(column: "source_code", as: String.self),
            entryID: try row.decode(column: "entry_id", as: Int64.self),
            createdAt: try row.decode(column: "created_at", as: Date.self))
    }

    static func decodeRun(_ row: any SQLRow) throws -> ReflowRun {
        ReflowRun(
            runID: try row.decode(column: "run_id", as: String.self),
            origin: try NodeRegion(try row.decode(column: "origin", as: String.self)),
            sourceCode: try row.decode(column: "source_code", as: String.self),
            sourceVersion: try row.decode(column: "source_version", as: Int.self),
            entryID: try row.decode(column: "entry_id", as: Int64.self),
            poolVersion: try row.decode(column: "pool_version", as: Int.self),
            rowsApplied: try row.decode(column: "rows_applied", as: Int64.self),
            appliedAt: try row.decode(column: "applied_at", as: Date.self))
    }
}
