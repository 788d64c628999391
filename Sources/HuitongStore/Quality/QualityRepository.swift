import Foundation
import HuitongCore
import SQLKit

/// A rule a provider added to an entry on top of those its items imply.
public struct QualityCustomRule: Sendable, Hashable, Codable {
    public var id: Int64
    public var entryID: Int64
    public var rule: QualityRule
    public var enabled: Bool
    public var createdBy: Int64?
    public var createdAt: Date
    public var updatedAt: Date
}

/// What started a quality run.
public enum QualityTrigger: String, LabeledValue {
    case ingest
    case manual
    case schedule
    /// An objection's correction published a new pool version.
    case correction

    public var label: BilingualText {
        switch self {
        case .ingest: BilingualText(zh: "归集后", en: "after a load")
        case .correction: BilingualText(zh: "异议更正后", en: "after a correction")
        case .manual: BilingualText(zh: "手动", en: "on demand")
        case .schedule: BilingualText(zh: "定时", en: "scheduled")
        }
    }
}

public enum QualityRunStatus: String, LabeledValue {
    case running
    case succeeded
    case failed

    public var label: BilingualText {
        switch self {
        case .running: BilingualText(zh: "运行中", en: "running")
        case .succeeded: BilingualText(zh: "已完成", en: "succeeded")
        case .failed: BilingualText(zh: "失败", en: "failed")
        }
    }
}

/// One quality run over one version of an entry's pool.
public struct QualityRun: Sendable, Hashable, Codable {
    public var id: Int64
    public var entryID: Int64
    /// The entry's provider when the run started; rankings group by it.
    public var departmentID: Int64
    public var poolVersion: Int?
    public var trigger: QualityTrigger
    public var status: QualityRunStatus
    /// Rows in the version read; with `rowsChecked`, the progress of a running run.
    public var rowsTotal: Int64
    public var rowsChecked: Int64
    /// The weighted entry score, 0–100, once the run succeeded and some rule checked something.
    public var score: Double?
    /// Per-rule counts, masked samples and per-dimension scores; nil until the run succeeded. Failing rows are in
    /// the problem queue, not here.
    public var report: QualityReport?
    /// Why a run failed, or what it noted.
    public var message: String
    public var requestedBy: Int64?
    public var startedAt: Date
    public var heartbeatAt: Date
    public var finishedAt: Date?
}

extension QualityRun {
    /// What a run whose process stopped before it ended says when it is failed.
    public static let interruptedMessage = "运行中断（进程已退出） (interrupted: the process running it stopped)"
}

/// The latest successful run of one entry, without its report: what rankings and score look-ups read.
public struct QualityScoreRecord: Sendable, Hashable {
    public var entryID: Int64
    public var departmentID: Int64
    public var runID: Int64
    public var score: Double?
    public var finishedAt: Date
}

public enum QualityProblemStatus: String, LabeledValue {
    case open
    case handled
    case ignored

    public var label: BilingualText {
        switch self {
        case .open: BilingualText(zh: "待处理", en: "open")
        case .handled: BilingualText(zh: "已处理", en: "handled")
        case .ignored: BilingualText(zh: "已忽略", en: "ignored")
        }
    }
}

/// A failing row found by a run, as the provider's 问题数据 queue shows it.
public struct QualityProblem: Sendable, Hashable, Codable {
    public var id: Int64
    public var runID: Int64
    public var entryID: Int64
    /// The row's position in the version read, in key order, from 1.
    public var row: Int64
    /// The row's key values, masked (`sfzhm=1***************1X`), or empty for a pool without a key.
    public var rowKey: String
    public var ruleID: String
    public var column: String
    public var maskedValue: String
    public var reason: BilingualText
    public var status: QualityProblemStatus
    public var note: String
    public var handledBy: Int64?
    public var handledAt: Date?
}

/// A problem as a run writes it.
public struct QualityProblemDraft: Sendable, Hashable {
    public var failure: QualityFailure
    public var rowKey: String

    public init(failure: QualityFailure, rowKey: String) {
        self.failure = failure
        self.rowKey = rowKey
    }
}

/// One page of a problem queue.
public struct QualityProblemPage: Sendable, Hashable {
    public var run: QualityRun?
    public var total: Int
    public var items: [QualityProblem]
}

/// Quality rules, runs and the problem queue.
public protocol QualityRepository: Sendable {
    /// The entry's custom rules, oldest first.
    func customRules(entryID: Int64) async throws -> [QualityCustomRule]
    /// Adds a rule; a rule id the entry already uses is a duplicate.
    func addRule(entryID: Int64, _ rule: QualityRule, createdBy: Int64?, at time: Date) async throws
        -> QualityCustomRule
    func setRuleEnabled(entryID: Int64, id: Int64, enabled: Bool, at time: Date) async throws -> QualityCustomRule
    func deleteRule(entryID: Int64, id: Int64) async throws

    /// Records a run as started; it is `running` until finished or failed.
    func startRun(
        entryID: Int64, departmentID: Int64, poolVersion: Int?, trigger: QualityTrigger, rowsTotal: Int64,
        requestedBy: Int64?, at time: Date
    ) async throws -> QualityRun
    /// Moves a running run's progress (and heartbeat) on.
    func recordProgress(runID: Int64, rowsChecked: Int64, at time: Date) async throws
    /// Appends failing rows to a running run's queue.
    func addProblems(runID: Int64, entryID: Int64, _ problems: [QualityProblemDraft]) async throws
    /// Marks a run succeeded with its report. Problems a provider handled or ignored in the previous run over the
    /// same pool version (the same rows in the same order) keep their status and note.
    func finishRun(id: Int64, report: QualityReport, at time: Date) async throws -> QualityRun
    /// Marks a run failed and drops the problems it had written.
    func failRun(id: Int64, message: String, at time: Date) async throws -> QualityRun
    func run(id: Int64) async throws -> QualityRun?
    /// The entry's runs, newest first, without their reports.
    func runs(entryID: Int64, limit: Int) async throws -> [QualityRun]
    /// The entry's latest successful run, report included.
    func latestRun(entryID: Int64) async throws -> QualityRun?
    /// The latest successful run of every entry that has one (of `entryIDs` only, when given).
    func latestScores(entryIDs: [Int64]?) async throws -> [QualityScoreRecord]
    /// A page of the queue of the entry's latest successful run, in row order.
    func problems(entryID: Int64, status: QualityProblemStatus?, offset: Int, limit: Int) async throws
        -> QualityProblemPage
    func problem(id: Int64) async throws -> QualityProblem?
    /// Marks a problem handled or ignored (or open again) with a note.
    func resolveProblem(id: Int64, status: QualityProblemStatus, note: String, by userID: Int64?, at time: Date)
        async throws -> QualityProblem
    /// Entries with an active pool version that no run has checked since `cutoff`, or whose active version no run has
    /// checked at all (loaded by the command line, or rolled back to), for the scheduler.
    func entriesDue(startedBefore cutoff: Date) async throws -> [Int64]
    /// Fails runs still marked running whose heartbeat stopped before `cutoff` (their process died); returns how
    /// many.
    func failStale(heartbeatBefore cutoff: Date, at time: Date) async throws -> Int
}

struct SQLQualityRepository: QualityRepository {
    let provider: any DatabaseProvider

    // MARK: Rules

    func customRules(entryID: Int64) async throws -> [QualityCustomRule] {
        try await provider.read { sql in
            try await sql.raw("SELECT * FROM quality_rules WHERE entry_id = \(bind: entryID) ORDER BY id").all().map(
                Self.decodeRule)
        }
    }

    func addRule(entryID: Int64, _ rule: QualityRule, createdBy: Int64?, at time: Date) async throws
        -> QualityCustomRule
    {
        try await provider.transaction { sql in
            guard
                try await sql.raw("SELECT id FROM catalog_entries WHERE id = \(bind: entryID)").first() != nil
            else { throw StoreError.notFound(entity: "catalog entry", key: "\(entryID)") }
            do {
                let row = try await sql.raw(
                    """
                    INSERT INTO quality_rules (entry_id, rule_id, content, enabled, created_by, created_at, updated_at)
                    VALUES (\(bind: entryID), \(bind: rule.id), \(bind: try SQLSharingApplicationRepository.json(rule)),
                        \(bind: true), \(bind: createdBy), \(bind: time), \(bind: time))
                    RETURNING *
                    """
                ).first()
                return try Self.decodeRule(row!)
            } catch  where StoreError.uniqueViolation(in: error) != nil {
                throw StoreError.duplicate(field: "id", value: rule.id)
            }
        }
    }

    func setRuleEnabled(entryID: Int64, id: Int64, enabled: Bool, at time: Date) async throws -> QualityCustomRule {
        try await provider.transaction { sql in
            let row = try await sql.raw(
                """
                UPDATE quality_rules SET enabled = \(bind: enabled), updated_at = \(bind: time)
                WHERE id = \(bind: id) AND entry_id = \(bind: entryID)
                RETURNING *
                """
            ).first()
            guard let row else { throw StoreError.notFound(entity: "quality rule", key: "\(id)") }
            return try Self.decodeRule(row)
        }
    }

    func deleteRule(entryID: Int64, id: Int64) async throws {
        try await provider.transaction { sql in
            let gone = try await sql.raw(
                "DELETE FROM quality_rules WHERE id = \(bind: id) AND entry_id = \(bind: entryID) RETURNING id"
            ).all()
            if gone.isEmpty { throw StoreError.notFound(entity: "quality rule", key: "\(id)") }
        }
    }

    // MARK: Runs

    func startRun(
        entryID: Int64, departmentID: Int64, poolVersion: Int?, trigger: QualityTrigger, rowsTotal: Int64,
        requestedBy: Int64?, at time: Date
    ) async throws -> QualityRun {
        try await provider.transaction { sql in
            let row = try await sql.raw(
                """
                INSERT INTO quality_runs (entry_id, department_id, pool_version, run_trigger, status, rows_total,
                    rows_checked, message, requested_by, started_at, heartbeat_at)
                VALUES (\(bind: entryID), \(bind: departmentID), \(bind: poolVersion), \(bind: trigger.rawValue),
                    'running', \(bind: rowsTotal), 0, '', \(bind: requestedBy), \(bind: time), \(bind: time))
                RETURNING *
                """
            ).first()
            return try Self.decodeRun(row!)
        }
    }

    func recordProgress(runID: Int64, rowsChecked: Int64, at time: Date) async throws {
        try await provider.transaction { sql in
            try await sql.raw(
                """
                UPDATE quality_runs SET rows_checked = \(bind: rowsChecked), heartbeat_at = \(bind: time)
                WHERE id = \(bind: runID) AND status = 'running'
                """
            ).run()
        }
    }

    /// Rows per INSERT: nine values each, far below either engine's limit on bound values.
    static let problemsPerStatement = 500

    func addProblems(runID: Int64, entryID: Int64, _ problems: [QualityProblemDraft]) async throws {
        guard !problems.isEmpty else { return }
        try await provider.transaction { sql in
            for start in stride(from: 0, to: problems.count, by: Self.problemsPerStatement) {
                let batch = problems[start..<min(start + Self.problemsPerStatement, problems.count)]
                var query = SQLQueryString(
                    """
                    INSERT INTO quality_problems (run_id, entry_id, row_number, row_key, rule_id, column_name,
                        masked_value, reason_zh, reason_en, status, note) VALUES
                    """)
                for (index, problem) in batch.enumerated() {
                    let failure = problem.failure
                    query.appendLiteral(index == 0 ? " (" : ", (")
                    query.appendInterpolation(bind: runID)
                    query.appendLiteral(", ")
                    query.appendInterpolation(bind: entryID)
                    query.appendLiteral(", ")
                    query.appendInterpolation(bind: failure.row)
                    query.appendLiteral(", ")
                    query.appendInterpolation(
                        binds: [
                            problem.rowKey, failure.ruleID, failure.column, failure.maskedValue, failure.reason.zh,
                            failure.reason.en,
                        ])
                    query.appendLiteral(", 'open', '')")
                }
                try await sql.raw(query).run()
            }
        }
    }

    func finishRun(id: Int64, report: QualityReport, at time: Date) async throws -> QualityRun {
        var stored = report
        for index in stored.rules.indices { stored.rules[index].failingRows = [] }
        let json = try SQLSharingApplicationRepository.json(stored)
        return try await provider.transaction { sql in
            let row = try await sql.raw(
                """
                UPDATE quality_runs SET status = 'succeeded', rows_checked = \(bind: Int64(report.rowsChecked)),
                    score = \(bind: report.score), report = \(bind: json), heartbeat_at = \(bind: time),
                    finished_at = \(bind: time)
                WHERE id = \(bind: id) AND status = 'running'
                RETURNING *
                """
            ).first()
            guard let row else {
                throw StoreError.conflict(
                    BilingualText(zh: "质量检测任务 \(id) 已不在运行中", en: "quality run \(id) is no longer running"))
            }
            let run = try Self.decodeRun(row)
            let previous = try await sql.raw(
                """
                SELECT MAX(id) AS previous FROM quality_runs
                WHERE entry_id = \(bind: run.entryID) AND status = 'succeeded' AND id < \(bind: id)
                    AND pool_version = \(bind: run.poolVersion)
                """
            ).first()?.decode(column: "previous", as: Int64?.self)
            if let previous {
                try await sql.raw(
                    """
                    UPDATE quality_problems SET status = p.status, note = p.note, handled_by = p.handled_by,
                        handled_at = p.handled_at
                    FROM quality_problems p
                    WHERE quality_problems.run_id = \(bind: id) AND p.run_id = \(bind: previous)
                        AND p.rule_id = quality_problems.rule_id AND p.row_number = quality_problems.row_number
                        AND p.status <> 'open'
                    """
                ).run()
            }
            return run
        }
    }

    func failRun(id: Int64, message: String, at time: Date) async throws -> QualityRun {
        try await provider.transaction { sql in
            try await sql.raw("DELETE FROM quality_problems WHERE run_id = \(bind: id)").run()
            let row = try await sql.raw(
                """
                UPDATE quality_runs SET status = 'failed', message = \(bind: message), heartbeat_at = \(bind: time),
                    finished_at = \(bind: time)
                WHERE id = \(bind: id)
                RETURNING *
                """
            ).first()
            guard let row else { throw StoreError.notFound(entity: "quality run", key: "\(id)") }
            return try Self.decodeRun(row)
        }
    }

    func run(id: Int64) async throws -> QualityRun? {
        try await provider.read { sql in
            try await sql.raw("SELECT * FROM quality_runs WHERE id = \(bind: id)").first().map(Self.decodeRun)
        }
    }

    func runs(entryID: Int64, limit: Int) async throws -> [QualityRun] {
        try await provider.read { sql in
            try await sql.raw(
                """
                SELECT \(unsafeRaw: Self.summaryColumns) FROM quality_runs WHERE entry_id = \(bind: entryID)
                ORDER BY id DESC LIMIT \(literal: max(1, min(limit, 500)))
                """
            ).all().map(Self.decodeRun)
        }
    }

    func latestRun(entryID: Int64) async throws -> QualityRun? {
        try await provider.read { sql in
            try await Self.latest(entryID, sql).map(Self.decodeRun)
        }
    }

    func latestScores(entryIDs: [Int64]?) async throws -> [QualityScoreRecord] {
        if let entryIDs, entryIDs.isEmpty { return [] }
        return try await provider.read { sql in
            var query: SQLQueryString = """
                SELECT r.entry_id, r.department_id, r.id, r.score, r.finished_at FROM quality_runs r
                WHERE r.id IN (
                    SELECT MAX(id) FROM quality_runs WHERE status = 'succeeded'
                """
            if let entryIDs {
                query.appendLiteral(" AND entry_id IN (")
                query.appendInterpolation(binds: entryIDs)
                query.appendLiteral(")")
            }
            query.appendLiteral(" GROUP BY entry_id) ORDER BY r.entry_id")
            return try await sql.raw(query).all().map { row in
                QualityScoreRecord(
                    entryID: try row.decode(column: "entry_id", as: Int64.self),
                    departmentID: try row.decode(column: "department_id", as: Int64.self),
                    runID: try row.decode(column: "id", as: Int64.self),
                    score: try row.decode(column: "score", as: Double?.self),
                    finishedAt: try row.decode(column: "finished_at", as: Date.self))
            }
        }
    }

    // MARK: Problems

    func problems(entryID: Int64, status: QualityProblemStatus?, offset: Int, limit: Int) async throws
        -> QualityProblemPage
    {
        try await provider.read { sql in
            guard let latest = try await Self.latest(entryID, sql).map(Self.decodeRun) else {
                return QualityProblemPage(run: nil, total: 0, items: [])
            }
            let filter: SQLQueryString = status.map { " AND status = \(bind: $0.rawValue)" } ?? ""
            let total =
                try await sql.raw(
                    "SELECT COUNT(*) AS n FROM quality_problems WHERE run_id = \(bind: latest.id)\(filter)"
                ).first()?.decode(column: "n", as: Int.self) ?? 0
            let items = try await sql.raw(
                """
                SELECT * FROM quality_problems WHERE run_id = \(bind: latest.id)\(filter)
                ORDER BY row_number, id LIMIT \(literal: max(1, min(limit, 1000))) OFFSET \(literal: max(0, offset))
                """
            ).all().map(Self.decodeProblem)
            return QualityProblemPage(run: latest, total: total, items: items)
        }
    }

    func problem(id: Int64) async throws -> QualityProblem? {
        try await provider.read { sql in
            try await sql.raw("SELECT * FROM quality_problems WHERE id = \(bind: id)").first().map(Self.decodeProblem)
        }
    }

    func resolveProblem(id: Int64, status: QualityProblemStatus, note: String, by userID: Int64?, at time: Date)
        async throws -> QualityProblem
    {
        try await provider.transaction { sql in
            let handledAt: Date? = status == .open ? nil : time
            let handledBy: Int64? = status == .open ? nil : userID
            let row = try await sql.raw(
                """
                UPDATE quality_problems SET status = \(bind: status.rawValue), note = \(bind: note),
                    handled_by = \(bind: handledBy), handled_at = \(bind: handledAt)
                WHERE id = \(bind: id)
                RETURNING *
                """
            ).first()
            guard let row else { throw StoreError.notFound(entity: "quality problem", key: "\(id)") }
            return try Self.decodeProblem(row)
        }
    }

    // MARK: Scheduling

    func entriesDue(startedBefore cutoff: Date) async throws -> [Int64] {
        try await provider.read { sql in
            try await sql.raw(
                """
                SELECT v.entry_id FROM pool_versions v
                WHERE v.status = 'active' AND (
                    NOT EXISTS (
                        SELECT 1 FROM quality_runs r
                        WHERE r.entry_id = v.entry_id AND r.started_at >= \(bind: cutoff))
                    OR NOT EXISTS (
                        SELECT 1 FROM quality_runs r WHERE r.entry_id = v.entry_id AND r.pool_version = v.version))
                ORDER BY v.entry_id
                """
            ).all().map { try $0.decode(column: "entry_id", as: Int64.self) }
        }
    }

    func failStale(heartbeatBefore cutoff: Date, at time: Date) async throws -> Int {
        try await provider.transaction { sql in
            let stale = try await sql.raw(
                """
                UPDATE quality_runs SET status = 'failed', finished_at = \(bind: time),
                    message = \(bind: QualityRun.interruptedMessage)
                WHERE status = 'running' AND heartbeat_at < \(bind: cutoff)
                RETURNING id
                """
            ).all()
            for row in stale {
                let id = try row.decode(column: "id", as: Int64.self)
                try await sql.raw("DELETE FROM quality_problems WHERE run_id = \(bind: id)").run()
            }
            return stale.count
        }
    }

    // MARK: Helpers

    /// Every column but the report, for lists.
    static let summaryColumns = """
        id, entry_id, department_id, pool_version, run_trigger, status, rows_total, rows_checked, score, \
        NULL AS report, message, requested_by, started_at, heartbeat_at, finished_at
        """

    static func latest(_ entryID: Int64, _ sql: any SQLDatabase) async throws -> (any SQLRow)? {
        try await sql.raw(
            """
            SELECT * FROM quality_runs WHERE entry_id = \(bind: entryID) AND status = 'succeeded'
            ORDER BY id DESC LIMIT 1
            """
        ).first()
    }

    static func decodeRule(_ row: any SQLRow) throws -> QualityCustomRule {
        QualityCustomRule(
            id: try row.decode(column: "id", as: Int64.self),
            entryID: try row.decode(column: "entry_id", as: Int64.self),
            rule: try JSONDecoder().decode(
                QualityRule.self, from: Data(try row.decode(column: "content", as: String.self).utf8)),
            enabled: try row.decode(column: "enabled", as: Bool.self),
            createdBy: try row.decode(column: "created_by", as: Int64?.self),
            createdAt: try row.decode(column: "created_at", as: Date.self),
            updatedAt: try row.decode(column: "updated_at", as: Date.self))
    }

    static func decodeRun(_ row: any SQLRow) throws -> QualityRun {
        let report = try row.decode(column: "report", as: String?.self).map {
            try JSONDecoder().decode(QualityReport.self, from: Data($0.utf8))
        }
        return QualityRun(
            id: try row.decode(column: "id", as: Int64.self),
            entryID: try row.decode(column: "entry_id", as: Int64.self),
            departmentID: try row.decode(column: "department_id", as: Int64.self),
            poolVersion: try row.decode(column: "pool_version", as: Int?.self),
            trigger: QualityTrigger(rawValue: try row.decode(column: "run_trigger", as: String.self)) ?? .manual,
            status: QualityRunStatus(rawValue: try row.decode(column: "status", as: String.self)) ?? .failed,
            rowsTotal: try row.decode(column: "rows_total", as: Int64.self),
            rowsChecked: try row.decode(column: "rows_checked", as: Int64.self),
            score: try row.decode(column: "score", as: Double?.self), report: report,
            message: try row.decode(column: "message", as: String.self),
            requestedBy: try row.decode(column: "requested_by", as: Int64?.self),
            startedAt: try row.decode(column: "started_at", as: Date.self),
            heartbeatAt: try row.decode(column: "heartbeat_at", as: Date.self),
            finishedAt: try row.decode(column: "finished_at", as: Date?.self))
    }

    static func decodeProblem(_ row: any SQLRow) throws -> QualityProblem {
        QualityProblem(
            id: try row.decode(column: "id", as: Int64.self),
            runID: try row.decode(column: "run_id", as: Int64.self),
            entryID: try row.decode(column: "entry_id", as: Int64.self),
            row: try row.decode(column: "row_number", as: Int64.self),
            rowKey: try row.decode(column: "row_key", as: String.self),
            ruleID: try row.decode(column: "rule_id", as: String.self),
            column: try row.decode(column: "column_name", as: String.self),
            maskedValue: try row.decode(column: "masked_value", as: String.self),
            reason: BilingualText(
                zh: try row.decode(column: "reason_zh", as: String.self),
                en: try row.decode(column: "reason_en", as: String.self)),
            status: QualityProblemStatus(rawValue: try row.decode(column: "status", as: String.self)) ?? .open,
            note: try row.decode(column: "note", as: String.self),
            handledBy: try row.decode(column: "handled_by", as: Int64?.self),
            handledAt: try row.decode(column: "handled_at", as: Date?.self))
    }
}
