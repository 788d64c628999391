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
    ]
}
