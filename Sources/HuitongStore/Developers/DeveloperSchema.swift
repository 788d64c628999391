extension Schema {
    /// Registered portal developers, their sessions and API keys, and their applications for conditionally open
    /// data. Kept apart from department users: a developer belongs to no department and never signs in to the
    /// console.
    @Sendable static func developerTables(_ t: SchemaTypes) -> [String] {
        [
            """
            CREATE TABLE developers (
                id \(t.id),
                email TEXT NOT NULL UNIQUE,
                name TEXT NOT NULL,
                organisation TEXT NOT NULL,
                organisation_code TEXT,
                identity_hint TEXT NOT NULL,
                identity_digest TEXT NOT NULL UNIQUE,
                password_hash TEXT NOT NULL,
                is_active BOOLEAN NOT NULL,
                failed_logins INTEGER NOT NULL DEFAULT 0,
                locked_until \(t.timestamp),
                created_at \(t.timestamp) NOT NULL,
                last_login_at \(t.timestamp)
            )
            """,
            """
            CREATE TABLE developer_sessions (
                id \(t.id),
                token_digest TEXT NOT NULL UNIQUE,
                developer_id BIGINT NOT NULL REFERENCES developers(id) ON DELETE CASCADE,
                csrf_token TEXT NOT NULL,
                created_at \(t.timestamp) NOT NULL,
                expires_at \(t.timestamp) NOT NULL
            )
            """,
            "CREATE INDEX IF NOT EXISTS developer_sessions_developer ON developer_sessions (developer_id)",
            """
            CREATE TABLE developer_keys (
                id \(t.id),
                developer_id BIGINT NOT NULL REFERENCES developers(id) ON DELETE CASCADE,
                label TEXT NOT NULL,
                key_digest TEXT NOT NULL UNIQUE,
                hint TEXT NOT NULL,
                created_at \(t.timestamp) NOT NULL,
                last_used_at \(t.timestamp),
                revoked_at \(t.timestamp)
            )
            """,
            "CREATE INDEX IF NOT EXISTS developer_keys_developer ON developer_keys (developer_id)",
            """
            CREATE TABLE open_access_requests (
                id \(t.id),
                developer_id BIGINT NOT NULL REFERENCES developers(id) ON DELETE CASCADE,
                applicant TEXT NOT NULL,
                entry_id BIGINT NOT NULL REFERENCES catalog_entries(id),
                resource_code TEXT NOT NULL,
                entry_name TEXT NOT NULL,
                provider_department_id BIGINT NOT NULL REFERENCES departments(id),
                purpose TEXT NOT NULL,
                scenario TEXT NOT NULL,
                security_measures TEXT NOT NULL,
                months INTEGER NOT NULL,
                state TEXT NOT NULL,
                submitted_at \(t.timestamp) NOT NULL,
                deadline \(t.timestamp) NOT NULL,
                decided_at \(t.timestamp),
                decided_by BIGINT REFERENCES users(id),
                decision_comment TEXT NOT NULL,
                valid_until \(t.timestamp),
                escalated_at \(t.timestamp),
                revoked_at \(t.timestamp),
                revoked_by BIGINT REFERENCES users(id),
                revocation_reason TEXT
            )
            """,
            "CREATE INDEX IF NOT EXISTS open_access_requests_developer ON open_access_requests (developer_id, entry_id)",
            """
            CREATE INDEX IF NOT EXISTS open_access_requests_provider
                ON open_access_requests (provider_department_id, state)
            """,
            "CREATE INDEX IF NOT EXISTS open_access_requests_decided ON open_access_requests (decided_at)",
            "CREATE INDEX IF NOT EXISTS open_access_requests_deadline ON open_access_requests (state, deadline)",
            // One waiting application per developer and dataset, even when two forms are sent at once.
            """
            CREATE UNIQUE INDEX IF NOT EXISTS open_access_requests_one_pending
                ON open_access_requests (developer_id, entry_id) WHERE state = 'pending'
            """,
        ]
    }
}
