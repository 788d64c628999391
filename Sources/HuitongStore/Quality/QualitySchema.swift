extension Schema {
    /// Data quality (domain.md §6): the rules providers add to an entry on top of those its items imply, the runs
    /// of all of them over a pool version, and the 问题数据 queue of the rows a run found wanting.
    @Sendable static func qualityTables(_ t: SchemaTypes) -> [String] {
        [
            // The rule itself is JSON (`QualityRule`): its parameters depend on its kind and are read whole.
            """
            CREATE TABLE quality_rules (
                id \(t.id),
                entry_id BIGINT NOT NULL REFERENCES catalog_entries(id),
                rule_id TEXT NOT NULL,
                content TEXT NOT NULL,
                enabled BOOLEAN NOT NULL,
                created_by BIGINT,
                created_at \(t.timestamp) NOT NULL,
                updated_at \(t.timestamp) NOT NULL,
                UNIQUE (entry_id, rule_id)
            )
            """,
            // `report` holds per-rule counts, masked samples and per-dimension scores (`QualityReport` without its
            // failing rows, which are the problems below); `score` is apart so that rankings need not parse it.
            // `heartbeat_at` moves with the progress, so a run whose process died can be told from a slow one.
            """
            CREATE TABLE quality_runs (
                id \(t.id),
                entry_id BIGINT NOT NULL REFERENCES catalog_entries(id),
                department_id BIGINT NOT NULL,
                pool_version INTEGER,
                run_trigger TEXT NOT NULL,
                status TEXT NOT NULL,
                rows_total BIGINT NOT NULL,
                rows_checked BIGINT NOT NULL,
                score DOUBLE PRECISION,
                report TEXT,
                message TEXT NOT NULL,
                requested_by BIGINT,
                started_at \(t.timestamp) NOT NULL,
                heartbeat_at \(t.timestamp) NOT NULL,
                finished_at \(t.timestamp)
            )
            """,
            "CREATE INDEX IF NOT EXISTS quality_runs_entry ON quality_runs (entry_id, status, id)",
            "CREATE INDEX IF NOT EXISTS quality_runs_started ON quality_runs (started_at)",
            // Values are stored masked, as the run's samples are: the queue points at rows, it never copies them.
            """
            CREATE TABLE quality_problems (
                id \(t.id),
                run_id BIGINT NOT NULL REFERENCES quality_runs(id) ON DELETE CASCADE,
                entry_id BIGINT NOT NULL,
                row_number BIGINT NOT NULL,
                row_key TEXT NOT NULL,
                rule_id TEXT NOT NULL,
                column_name TEXT NOT NULL,
                masked_value TEXT NOT NULL,
                reason_zh TEXT NOT NULL,
                reason_en TEXT NOT NULL,
                status TEXT NOT NULL,
                note TEXT NOT NULL,
                handled_by BIGINT,
                handled_at \(t.timestamp)
            )
            """,
            "CREATE INDEX IF NOT EXISTS quality_problems_run ON quality_problems (run_id, status, id)",
            "CREATE INDEX IF NOT EXISTS quality_problems_row ON quality_problems (run_id, rule_id, row_number)",
        ]
    }
}
