/// The numbered migrations. Never edit one that has shipped: add the next number instead.
enum Schema {
    static let migrations: [Migration] = [
        Migration(version: 1, name: "accounts") { t in
            [
                """
                CREATE TABLE departments (
                    id \(t.id),
                    name TEXT NOT NULL,
                    code TEXT NOT NULL UNIQUE,
                    credit_code TEXT UNIQUE,
                    region_code TEXT NOT NULL,
                    parent_id BIGINT REFERENCES departments(id),
                    created_at \(t.timestamp) NOT NULL,
                    updated_at \(t.timestamp) NOT NULL
                )
                """,
                """
                CREATE TABLE users (
                    id \(t.id),
                    username TEXT NOT NULL UNIQUE,
                    display_name TEXT NOT NULL,
                    department_id BIGINT NOT NULL REFERENCES departments(id),
                    roles TEXT NOT NULL,
                    password_hash TEXT NOT NULL,
                    is_active BOOLEAN NOT NULL,
                    failed_logins INTEGER NOT NULL DEFAULT 0,
                    locked_until \(t.timestamp),
                    created_at \(t.timestamp) NOT NULL,
                    updated_at \(t.timestamp) NOT NULL,
                    last_login_at \(t.timestamp)
                )
                """,
                "CREATE INDEX IF NOT EXISTS users_department ON users (department_id)",
                """
                CREATE TABLE application_systems (
                    id \(t.id),
                    department_id BIGINT NOT NULL REFERENCES departments(id),
                    name TEXT NOT NULL,
                    description TEXT NOT NULL,
                    is_active BOOLEAN NOT NULL,
                    created_at \(t.timestamp) NOT NULL,
                    updated_at \(t.timestamp) NOT NULL,
                    UNIQUE (department_id, name)
                )
                """,
                """
                CREATE TABLE api_tokens (
                    id \(t.id),
                    user_id BIGINT REFERENCES users(id) ON DELETE CASCADE,
                    system_id BIGINT REFERENCES application_systems(id) ON DELETE CASCADE,
                    name TEXT NOT NULL,
                    token_digest TEXT NOT NULL UNIQUE,
                    hint TEXT NOT NULL,
                    created_at \(t.timestamp) NOT NULL,
                    expires_at \(t.timestamp),
                    revoked_at \(t.timestamp),
                    last_used_at \(t.timestamp),
                    CHECK ((user_id IS NULL) <> (system_id IS NULL))
                )
                """,
                "CREATE INDEX IF NOT EXISTS api_tokens_user ON api_tokens (user_id)",
                "CREATE INDEX IF NOT EXISTS api_tokens_system ON api_tokens (system_id)",
                """
                CREATE TABLE sessions (
                    id \(t.id),
                    token_digest TEXT NOT NULL UNIQUE,
                    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    csrf_token TEXT NOT NULL,
                    created_at \(t.timestamp) NOT NULL,
                    expires_at \(t.timestamp) NOT NULL
                )
                """,
                "CREATE INDEX IF NOT EXISTS sessions_user ON sessions (user_id)",
            ]
        },
        Migration(version: 2, name: "catalog", statements: catalogTables),
        Migration(version: 3, name: "catalog change log") { t in
            [
                // Every catalog write appends the entry's id here, in its transaction; each node's search index
                // applies the rows it has not seen (CatalogFacetIndex).
                "CREATE TABLE catalog_changes (id \(t.id), entry_id BIGINT NOT NULL)"
            ]
        },
        Migration(version: 4, name: "resource pools") { t in
            [
                // One row per version of an entry's pool table; at most one is active.
                """
                CREATE TABLE pool_versions (
                    entry_id BIGINT NOT NULL REFERENCES catalog_entries(id),
                    version INTEGER NOT NULL,
                    table_name TEXT NOT NULL UNIQUE,
                    columns TEXT NOT NULL,
                    key_columns TEXT NOT NULL,
                    row_count BIGINT NOT NULL,
                    status TEXT NOT NULL,
                    created_at \(t.timestamp) NOT NULL,
                    activated_at \(t.timestamp),
                    PRIMARY KEY (entry_id, version)
                )
                """,
                "CREATE UNIQUE INDEX IF NOT EXISTS pool_versions_active ON pool_versions (entry_id) WHERE status = 'active'",
            ]
        },
        Migration(version: 5, name: "ingest jobs") { t in
            [
                """
                CREATE TABLE ingest_jobs (
                    id \(t.id),
                    entry_id BIGINT NOT NULL REFERENCES catalog_entries(id),
                    mode TEXT NOT NULL,
                    status TEXT NOT NULL,
                    file_name TEXT NOT NULL,
                    content_hash TEXT NOT NULL,
                    total_bytes BIGINT NOT NULL,
                    processed_bytes BIGINT NOT NULL,
                    rows_read BIGINT NOT NULL,
                    rows_loaded BIGINT NOT NULL,
                    rows_rejected BIGINT NOT NULL,
                    pool_version INTEGER,
                    message TEXT NOT NULL,
                    created_by BIGINT,
                    created_at \(t.timestamp) NOT NULL,
                    heartbeat_at \(t.timestamp) NOT NULL,
                    finished_at \(t.timestamp)
                )
                """,
                "CREATE INDEX IF NOT EXISTS ingest_jobs_entry ON ingest_jobs (entry_id, content_hash)",
                """
                CREATE TABLE ingest_job_issues (
                    job_id BIGINT NOT NULL REFERENCES ingest_jobs(id) ON DELETE CASCADE,
                    row_number BIGINT NOT NULL,
                    column_name TEXT NOT NULL,
                    value TEXT NOT NULL,
                    reason TEXT NOT NULL
                )
                """,
                "CREATE INDEX IF NOT EXISTS ingest_job_issues_job ON ingest_job_issues (job_id, row_number)",
            ]
        },
        Migration(version: 6, name: "ingest job runners") { _ in
            // Which process runs a job, so that a load whose process died can be recognised at once on its host.
            ["ALTER TABLE ingest_jobs ADD COLUMN runner TEXT NOT NULL DEFAULT ''"]
        },
        Migration(version: 7, name: "code sets") { t in
            [
                // 代码集: the codes of a set are read and written together, so they are kept as one JSON array.
                """
                CREATE TABLE code_sets (
                    id TEXT PRIMARY KEY,
                    name_zh TEXT NOT NULL,
                    name_en TEXT NOT NULL,
                    codes TEXT NOT NULL,
                    created_at \(t.timestamp) NOT NULL,
                    updated_at \(t.timestamp) NOT NULL
                )
                """,
                "ALTER TABLE catalog_items ADD COLUMN code_set TEXT REFERENCES code_sets(id)",
                "CREATE INDEX IF NOT EXISTS catalog_items_code_set ON catalog_items (code_set)",
            ]
        },
        Migration(version: 8, name: "sharing", statements: sharingTables),
        Migration(version: 9, name: "audit log") { t in
            // On SQLite the audit log has a file of its own (`Schema.auditDatabaseMigrations`), so that gateway
            // appends never queue behind a bulk load holding this file's single writer.
            t.backend == .postgres ? auditLogTables(t) : []
        },
        Migration(version: 10, name: "system credentials and request nonces") { t in
            [
                // An application system's credential: a public key id shared by the generations a rotation makes,
                // and the secret sealed under the node's sealing key (kept outside the database) for HMAC checks.
                "ALTER TABLE api_tokens ADD COLUMN key_id TEXT",
                "ALTER TABLE api_tokens ADD COLUMN sealed_secret TEXT",
                "ALTER TABLE api_tokens ADD COLUMN replaced_by BIGINT",
                // Credentials issued before have only a digest: they get a key id and stay bearer-only until rotated.
                t.backend == .sqlite
                    ? "UPDATE api_tokens SET key_id = 'hk_' || lower(hex(randomblob(16))) WHERE system_id IS NOT NULL"
                    : "UPDATE api_tokens SET key_id = 'hk_' || md5(random()::text || clock_timestamp()::text || id::text) WHERE system_id IS NOT NULL",
                "CREATE INDEX IF NOT EXISTS api_tokens_key ON api_tokens (key_id)",
                // Nonces of signed requests, shared by every node on the database; the key makes a replay fail.
                """
                CREATE TABLE request_nonces (
                    key_id TEXT NOT NULL,
                    nonce TEXT NOT NULL,
                    expires_at \(t.timestamp) NOT NULL,
                    PRIMARY KEY (key_id, nonce)
                )
                """,
                "CREATE INDEX IF NOT EXISTS request_nonces_expiry ON request_nonces (expires_at)",
            ]
        },
        Migration(version: 11, name: "data quality", statements: qualityTables),
        Migration(version: 12, name: "objections", statements: objectionTables),
        gradePolicy,
        Migration(version: 14, name: "cascade", statements: federationTables),
        Migration(version: 15, name: "grant expiry on the audit log") { t in
            // When a grant's expiry was put on the audit log: the sweep writes each expiry once.
            ["ALTER TABLE grants ADD COLUMN expiry_audited_at \(t.timestamp)"]
        },
        Migration(version: 16, name: "routed applications filed once") { _ in
            [
                // `origin/reference` of an application routed from another node: a resent message finds it.
                "ALTER TABLE sharing_applications ADD COLUMN routed_from TEXT",
                "CREATE UNIQUE INDEX IF NOT EXISTS sharing_applications_routed ON sharing_applications (routed_from)",
            ]
        },
        Migration(version: 17, name: "portal developers", statements: developerTables),
        Migration(version: 18, name: "node identity") { t in
            [
                // The node's own region and name in the cascade: stored once (at `huitong init` or first start)
                // and read by every command, so that no later environment can make the node misreport itself.
                """
                CREATE TABLE node_identity (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    region_code TEXT NOT NULL,
                    name TEXT NOT NULL,
                    updated_at \(t.timestamp) NOT NULL
                )
                """
            ]
        },
        Migration(version: 20, name: "upstream allow-list") { t in
            [
                // The operator's non-public upstreams the gateway may call (one row: the whole list, one per line).
                """
                CREATE TABLE upstream_allowlist (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    entries TEXT NOT NULL,
                    updated_at \(t.timestamp) NOT NULL,
                    updated_by_id BIGINT,
                    updated_by TEXT NOT NULL
                )
                """
            ]
        },
        Migration(version: 21, name: "job queue", statements: jobTables),
        Migration(
            version: 22, name: "resource pools by changes",
            statements: { t in
                [
                    // Versions built by changes share their base's table, so a table name is no longer unique.
                    """
                    CREATE TABLE pool_versions_next (
                        entry_id BIGINT NOT NULL REFERENCES catalog_entries(id),
                        version INTEGER NOT NULL,
                        table_name TEXT NOT NULL,
                        columns TEXT NOT NULL,
                        key_columns TEXT NOT NULL,
                        row_count BIGINT NOT NULL,
                        status TEXT NOT NULL,
                        created_at \(t.timestamp) NOT NULL,
                        activated_at \(t.timestamp),
                        base_version INTEGER,
                        base_row_count BIGINT,
                        PRIMARY KEY (entry_id, version)
                    )
                    """,
                    """
                    INSERT INTO pool_versions_next (entry_id, version, table_name, columns, key_columns, row_count,
                        status, created_at, activated_at)
                    SELECT entry_id, version, table_name, columns, key_columns, row_count, status, created_at,
                        activated_at
                    FROM pool_versions
                    """,
                    "DROP TABLE pool_versions",
                    "ALTER TABLE pool_versions_next RENAME TO pool_versions",
                    "CREATE UNIQUE INDEX pool_versions_active ON pool_versions (entry_id) WHERE status = 'active'",
                    "CREATE INDEX pool_versions_table ON pool_versions (table_name)",
                ]
            },
            converting: { sql, _ in
                // Every kept version had a table of its own: its rows were all added by it and none is retired.
                let kept = try await sql.raw(
                    "SELECT * FROM pool_versions WHERE status IN ('active', 'retired')"
                ).all().map(SQLPoolRepository.decode)
                for version in kept {
                    try await SQLPoolRepository.convertLegacyTable(version, sql)
                }
            }),
        Migration(version: 23, name: "typed pool columns") { _ in
            // The types a pool table stores its columns in. Tables made before keep their text columns (no pool
            // is rewritten on upgrade); a pool's next whole load makes a typed table.
            ["ALTER TABLE pool_versions ADD COLUMN column_types TEXT NOT NULL DEFAULT ''"]
        },
        Migration(version: 24, name: "crypto suites (issue 21)") { t in
            [
                // The suite the node signs, hashes and seals under (`gm` or `intl`). A node that already holds
                // accounts or an identity ran before suites existed, on Ed25519 and SHA-256: it keeps `intl` until
                // its operator sets HUITONG_CRYPTO_SUITE. A new node records its suite at its first start. Written
                // to be run again harmlessly (tests rebuild an older schema and migrate it once more).
                """
                CREATE TABLE IF NOT EXISTS node_crypto (
                    id INTEGER PRIMARY KEY CHECK (id = 1),
                    suite TEXT NOT NULL,
                    updated_at \(t.timestamp)
                )
                """,
                """
                INSERT INTO node_crypto (id, suite)
                SELECT 1, 'intl' WHERE EXISTS (SELECT 1 FROM users) OR EXISTS (SELECT 1 FROM node_identity)
                ON CONFLICT (id) DO NOTHING
                """,
            ] + (t.backend == .postgres ? auditSuiteColumns(t) : [])
        },
        Migration(version: 25, name: "catalog search by character grams on PostgreSQL") { t in
            t.backend == .postgres ? Schema.catalogSearchGrams : []
        },
        rowIntegrity,
        Migration(version: 27, name: "pool columns encrypted at rest (issue 21)") { _ in
            // Which columns of a pool table hold SM4-encrypted values (`PoolColumnCipher`); tables made before hold
            // none, and a pool's next whole load encrypts what the grade policy says.
            ["ALTER TABLE pool_versions ADD COLUMN encrypted_columns TEXT NOT NULL DEFAULT ''"]
        },
        developerRowIntegrity,
        Migration(version: 29, name: "e-licences (issue 22)", statements: licenceTables),
        Migration(version: 30, name: "PostgreSQL's catalog search in each node's catalog index") { t in
            // Migration 25's gram column narrowed a common word to its entries, but PostgreSQL then visited every
            // one of them (登记: 50,000 of 100,000 entries, 135–200 ms); each node's catalog index now holds the
            // grams (`CatalogFacetIndex`), so the column, its index and its function would only slow every write.
            t.backend == .postgres
                ? [
                    "DROP INDEX IF EXISTS catalog_entries_search_grams",
                    "ALTER TABLE catalog_entries DROP COLUMN IF EXISTS search_grams",
                    "DROP FUNCTION IF EXISTS huitong_search_grams(text)",
                ] : []
        },
        // Each licence version keeps the package its seal signed.
        .addingColumns(
            version: 31, name: "electronic seals of licences (issue 22)",
            columns: [
                ("licences", "package", "TEXT"), ("licences", "signature", "TEXT"), ("licences", "seal_serial", "TEXT"),
            ],
            statements: licenceSealTables),
        Migration(version: 32, name: "collection sources and runs (issue 20)", statements: collectionTables),
        // A person's licences are found by a keyed digest of their ID number (the portal keeps no ID numbers); an
        // organisation's by its 统一社会信用代码. Versions stored before have none and are not shown.
        .addingColumns(
            version: 33, name: "licence holders, consents and uses (issue 22)",
            columns: [("licences", "holder_key", "TEXT"), ("licence_types", "catalog_entry_id", "BIGINT")],
            statements: licenceUseTables,
            afterColumns: ["CREATE INDEX IF NOT EXISTS licences_holder_key ON licences (holder_key)"]),
        Migration(version: 34, name: "licences across levels (issue 22)", statements: licenceCascadeTables),
        // Monitoring of collection sources: the failures in a row since the last success, when that was (the
        // start of the run: what the pool holds is as of then) and whether its lateness has been told.
        .addingColumns(
            version: 35, name: "collection monitoring (issue 20)",
            typedColumns: { t in
                [
                    ("collection_sources", "consecutive_failures", "BIGINT NOT NULL DEFAULT 0"),
                    ("collection_sources", "last_success_at", t.timestamp),
                    ("collection_sources", "last_failure_zh", "TEXT"),
                    ("collection_sources", "last_failure_en", "TEXT"),
                    ("collection_sources", "late_alerted_at", t.timestamp),
                ]
            },
            afterColumns: [
                """
                UPDATE collection_sources SET last_success_at = (SELECT MAX(r.started_at) FROM collection_runs r
                    WHERE r.source_id = collection_sources.id AND r.status = 'succeeded')
                WHERE last_success_at IS NULL
                """
            ]),
        Migration(version: 36, name: "matters and joint services (issue 23)", statements: matterTables),
        // Cron schedules, and the key reconciliation of watermark sources: when a source's keys were last compared
        // with the pool's, and the rows a run's reconciliation retired.
        .addingColumns(
            version: 37, name: "collection cron schedules and key reconciliation (issue 20)",
            typedColumns: { t in
                [
                    ("collection_sources", "cron", "TEXT"),
                    ("collection_sources", "reconciled_at", t.timestamp),
                    ("collection_runs", "rows_retired", "BIGINT NOT NULL DEFAULT 0"),
                ]
            }),
        // The audit log at scale (issue 26). On SQLite it belongs to the audit file (`auditDatabaseMigrations`).
        Migration(
            version: 38, name: auditAtScale.name,
            statements: { t in t.backend == .postgres ? auditAtScale.statements(t) : [] },
            converting: { sql, t in
                guard t.backend == .postgres else { return }
                try await auditAtScale.converting?(sql, t)
            }),
        Migration(version: 39, name: "cluster membership and shared quotas (issue 26)", statements: clusterTables),
        // Each rejected value's kind of problem and its column's heading in the delivered file, so that a load's
        // problems are shown grouped and named as the provider's file names them (issue 24). Issues stored before
        // count as `other`.
        .addingColumns(
            version: 41, name: "grouped ingest problems (issue 24)",
            columns: [
                ("ingest_job_issues", "kind", "TEXT NOT NULL DEFAULT 'other'"),
                ("ingest_job_issues", "heading", "TEXT NOT NULL DEFAULT ''"),
            ],
            afterColumns: [
                "CREATE INDEX IF NOT EXISTS ingest_job_issues_kind ON ingest_job_issues (job_id, column_name, kind, row_number)"
            ]),
        // Departments the operator disables (issue 24); every department so far is active.
        .addingColumns(
            version: 42, name: "departments disabled by the operator (issue 24)",
            columns: [("departments", "is_active", "BOOLEAN NOT NULL DEFAULT TRUE")]),
        Migration(
            version: 43, name: "open-data views, downloads and API calls (issue 24)",
            statements: { _ in OpenDataUsageSchema.tables }),
        Migration(
            version: 44, name: "考核 weights per year, seeded from domain-services.md §5 (issue 24)",
            statements: { _ in AssessmentSchema.statements }),
        Migration(
            version: 45, name: auditLatencyByDepartments.name,
            statements: { t in t.backend == .postgres ? auditLatencyByDepartments.statements(t) : [] },
            converting: { sql, t in
                guard t.backend == .postgres else { return }
                try await auditLatencyByDepartments.converting?(sql, t)
            }),
    ]
}
