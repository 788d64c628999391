import HuitongCore
import SQLKit

extension Schema {
    /// The audit log's tables. On PostgreSQL they are part of the node's database (migration 9); on SQLite they
    /// live in a file of their own beside it (see `DatabaseConnector`), migrated with `auditDatabaseMigrations`.
    static func auditLogTables(_ t: SchemaTypes) -> [String] {
        let sequence = t.backend == .sqlite ? "INTEGER PRIMARY KEY" : "BIGINT PRIMARY KEY"
        return [
            // Hashes are hex text: readable in a SQL shell, and the same on both engines.
            """
            CREATE TABLE audit_entries (
                seq \(sequence),
                time_us BIGINT NOT NULL,
                action TEXT NOT NULL,
                consumer_department_id BIGINT,
                application_system_id BIGINT,
                user_id BIGINT,
                provider_department_id BIGINT,
                resource_code TEXT,
                grant_id BIGINT,
                purpose TEXT,
                key_hashes TEXT NOT NULL,
                rows_returned BIGINT NOT NULL,
                outcome TEXT NOT NULL,
                reason TEXT,
                latency_us BIGINT NOT NULL,
                latency_bucket INTEGER NOT NULL,
                detail TEXT NOT NULL,
                prev_hash TEXT NOT NULL,
                hash TEXT NOT NULL
            )
            """,
            "CREATE INDEX IF NOT EXISTS audit_entries_time ON audit_entries (time_us)",
            "CREATE INDEX IF NOT EXISTS audit_entries_consumer ON audit_entries (consumer_department_id, time_us)",
            "CREATE INDEX IF NOT EXISTS audit_entries_provider ON audit_entries (provider_department_id, time_us)",
            "CREATE INDEX IF NOT EXISTS audit_entries_resource ON audit_entries (resource_code, time_us)",
            // The chain head in one row: appends read and update it under a row lock, so several nodes on one
            // PostgreSQL number their entries without gaps or forks. It carries the Merkle frontier, so a
            // checkpoint needs no walk over the log.
            """
            CREATE TABLE audit_head (
                id INTEGER PRIMARY KEY CHECK (id = 1),
                seq BIGINT NOT NULL,
                hash TEXT NOT NULL,
                frontier TEXT NOT NULL
            )
            """,
            "INSERT INTO audit_head (id, seq, hash, frontier) VALUES (1, 0, '\(String(repeating: "0", count: 64))', '')",
            """
            CREATE TABLE audit_checkpoints (
                tree_size BIGINT PRIMARY KEY,
                root_hash TEXT NOT NULL,
                last_entry_hash TEXT NOT NULL,
                time_us BIGINT NOT NULL,
                key_id TEXT NOT NULL,
                signature TEXT NOT NULL
            )
            """,
        ]
    }

    /// The suite (`gm` or `intl`, see `CryptoSuiteID`) each entry and checkpoint was sealed under. Entries and
    /// checkpoints written before suites existed were SHA-256 and Ed25519: `intl`.
    static func auditSuiteColumns(_ t: SchemaTypes) -> [String] {
        // PostgreSQL can skip a column that exists; SQLite cannot, and its audit file migrates on its own.
        let ifAbsent = t.backend == .postgres ? "IF NOT EXISTS " : ""
        return [
            "ALTER TABLE audit_entries ADD COLUMN \(ifAbsent)suite TEXT NOT NULL DEFAULT 'intl'",
            "ALTER TABLE audit_checkpoints ADD COLUMN \(ifAbsent)suite TEXT NOT NULL DEFAULT 'intl'",
        ]
    }

    /// The separate SQLite audit file's schema. Its versions are those of the main schema that made the change.
    static let auditDatabaseMigrations: [Migration] = [
        Migration(version: 9, name: "audit log", statements: auditLogTables),
        Migration(version: 24, name: "crypto suites (issue 21)", statements: auditSuiteColumns),
        auditAtScale,
        auditLatencyByDepartments,
    ]

    /// Migration 38 (issue 26): statistics rollups maintained on append, the archive register, and on PostgreSQL
    /// the entries partitioned by month. Re-runnable: tables are made `IF NOT EXISTS`, the rollups are filled from
    /// the entries only while they are empty, and a table that is partitioned already is left as it is.
    static let auditAtScale = Migration(
        version: 38, name: "audit log at scale: rollups, monthly partitions, archives (issue 26)",
        statements: { _ in auditRollupTables + auditArchiveTables },
        converting: { sql, t in
            if try await sql.raw("SELECT 1 AS found FROM audit_rollup_calls LIMIT 1").first() == nil {
                for statement in auditRollupRebuild { try await sql.raw(SQLQueryString(unsafeRaw: statement)).run() }
            }
            if t.backend == .postgres { try await AuditPartitions.convert(sql) }
        })

    /// Calls per local day (`AuditCalendar`) × consumer department × provider department × resource × calling
    /// system × outcome, and calls per latency bucket for the same day, departments and resource: all that the
    /// statistics read. An absent id is 0 and an absent resource code '' (keys cannot hold NULL).
    static let auditRollupTables = [
        """
        CREATE TABLE IF NOT EXISTS audit_rollup_calls (
            day BIGINT NOT NULL,
            consumer_department_id BIGINT NOT NULL,
            provider_department_id BIGINT NOT NULL,
            resource_code TEXT NOT NULL,
            application_system_id BIGINT NOT NULL,
            outcome TEXT NOT NULL,
            calls BIGINT NOT NULL,
            rows_served BIGINT NOT NULL,
            PRIMARY KEY (day, consumer_department_id, provider_department_id, resource_code, application_system_id,
                outcome)
        )
        """,
        """
        CREATE TABLE IF NOT EXISTS audit_rollup_latency (
            day BIGINT NOT NULL,
            consumer_department_id BIGINT NOT NULL,
            provider_department_id BIGINT NOT NULL,
            resource_code TEXT NOT NULL,
            latency_bucket INTEGER NOT NULL,
            calls BIGINT NOT NULL,
            PRIMARY KEY (day, consumer_department_id, provider_department_id, resource_code, latency_bucket)
        )
        """,
        auditLatencyByDepartmentsTable,
        auditLatencyByDaysTable,
    ]

    /// Calls per latency bucket without the resource: what the statistics read for percentiles by day or by
    /// department, a fraction of the rows of `audit_rollup_latency` (a city has hundreds of resources, tens of
    /// departments). Migration 45 adds it to logs made before.
    static let auditLatencyByDepartmentsTable = """
        CREATE TABLE IF NOT EXISTS audit_rollup_latency_departments (
            day BIGINT NOT NULL,
            consumer_department_id BIGINT NOT NULL,
            provider_department_id BIGINT NOT NULL,
            latency_bucket INTEGER NOT NULL,
            calls BIGINT NOT NULL,
            PRIMARY KEY (day, consumer_department_id, provider_department_id, latency_bucket)
        )
        """

    /// Calls per latency bucket and day alone: what the operator's percentiles by day read (a year is a few
    /// thousand rows, whatever the traffic).
    static let auditLatencyByDaysTable = """
        CREATE TABLE IF NOT EXISTS audit_rollup_latency_days (
            day BIGINT NOT NULL,
            latency_bucket INTEGER NOT NULL,
            calls BIGINT NOT NULL,
            PRIMARY KEY (day, latency_bucket)
        )
        """

    /// Migration 45: the latency rollups by departments and by day, filled from the finer one when empty.
    static let auditLatencyByDepartments = Migration(
        version: 45, name: "audit latency rollups by departments and by day (issue 26)",
        statements: { _ in [auditLatencyByDepartmentsTable, auditLatencyByDaysTable] },
        converting: { sql, _ in
            if try await sql.raw("SELECT 1 AS found FROM audit_rollup_latency_days LIMIT 1").first() == nil {
                try await sql.raw(
                    """
                    INSERT INTO audit_rollup_latency_days (day, latency_bucket, calls)
                    SELECT day, latency_bucket, SUM(calls) FROM audit_rollup_latency GROUP BY 1, 2
                    """
                ).run()
            }
            guard try await sql.raw("SELECT 1 AS found FROM audit_rollup_latency_departments LIMIT 1").first() == nil
            else { return }
            try await sql.raw(
                """
                INSERT INTO audit_rollup_latency_departments (day, consumer_department_id, provider_department_id,
                    latency_bucket, calls)
                SELECT day, consumer_department_id, provider_department_id, latency_bucket, SUM(calls)
                FROM audit_rollup_latency GROUP BY 1, 2, 3, 4
                """
            ).run()
        })

    /// Rolls every gateway call in the entries up again (the migration, on empty rollups, and `bench/audit`).
    static var auditRollupRebuild: [String] {
        let day = "(time_us + \(AuditCalendar.utcOffsetSeconds * 1_000_000)) / 86400000000"
        let keys =
            "\(day), COALESCE(consumer_department_id, 0), COALESCE(provider_department_id, 0), COALESCE(resource_code, '')"
        return [
            "DELETE FROM audit_rollup_calls",
            "DELETE FROM audit_rollup_latency",
            "DELETE FROM audit_rollup_latency_departments",
            "DELETE FROM audit_rollup_latency_days",
            """
            INSERT INTO audit_rollup_calls (day, consumer_department_id, provider_department_id, resource_code,
                application_system_id, outcome, calls, rows_served)
            SELECT \(keys), COALESCE(application_system_id, 0), outcome, COUNT(*), SUM(rows_returned)
            FROM audit_entries WHERE action LIKE 'gateway.%' GROUP BY 1, 2, 3, 4, 5, 6
            """,
            """
            INSERT INTO audit_rollup_latency (day, consumer_department_id, provider_department_id, resource_code,
                latency_bucket, calls)
            SELECT \(keys), latency_bucket, COUNT(*)
            FROM audit_entries WHERE action LIKE 'gateway.%' GROUP BY 1, 2, 3, 4, 5
            """,
            """
            INSERT INTO audit_rollup_latency_departments (day, consumer_department_id, provider_department_id,
                latency_bucket, calls)
            SELECT day, consumer_department_id, provider_department_id, latency_bucket, SUM(calls)
            FROM audit_rollup_latency GROUP BY 1, 2, 3, 4
            """,
            """
            INSERT INTO audit_rollup_latency_days (day, latency_bucket, calls)
            SELECT day, latency_bucket, SUM(calls) FROM audit_rollup_latency GROUP BY 1, 2
            """,
        ]
    }

    /// The months archived to files (`AuditArchiver`), with the chain's state at both ends, when the file was
    /// verified, and when the month's entries were pruned from the live log. Instants are µs since 1970.
    static let auditArchiveTables = [
        """
        CREATE TABLE IF NOT EXISTS audit_archives (
            month TEXT PRIMARY KEY,
            first_seq BIGINT NOT NULL,
            last_seq BIGINT NOT NULL,
            start_hash TEXT NOT NULL,
            start_frontier TEXT NOT NULL,
            end_hash TEXT NOT NULL,
            end_frontier TEXT NOT NULL,
            file_name TEXT NOT NULL,
            archived_at_us BIGINT NOT NULL,
            verified_at_us BIGINT,
            pruned_at_us BIGINT
        )
        """
    ]
}
