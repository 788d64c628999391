extension Schema {
    /// 异议 with their history, the provenance of pool versions that corrections made, and a link from
    /// notifications to the objection they are about.
    @Sendable static func objectionTables(_ t: SchemaTypes) -> [String] {
        [
            """
            CREATE TABLE objections (
                id \(t.id),
                number TEXT NOT NULL UNIQUE,
                entry_id BIGINT NOT NULL REFERENCES catalog_entries(id),
                resource_code TEXT NOT NULL,
                provider_department_id BIGINT NOT NULL REFERENCES departments(id),
                raiser_id BIGINT REFERENCES users(id) ON DELETE SET NULL,
                raiser_department_id BIGINT REFERENCES departments(id),
                raiser_name TEXT NOT NULL,
                contact TEXT,
                tracking_digest TEXT,
                record_key TEXT NOT NULL,
                items TEXT NOT NULL,
                description TEXT NOT NULL,
                evidence TEXT NOT NULL,
                state TEXT NOT NULL,
                deadline \(t.timestamp) NOT NULL,
                escalated_at \(t.timestamp),
                answer TEXT,
                created_at \(t.timestamp) NOT NULL,
                updated_at \(t.timestamp) NOT NULL
            )
            """,
            "CREATE INDEX IF NOT EXISTS objections_entry ON objections (entry_id, state)",
            "CREATE INDEX IF NOT EXISTS objections_provider ON objections (provider_department_id)",
            "CREATE INDEX IF NOT EXISTS objections_raiser ON objections (raiser_department_id)",
            // The overdue sweep looks for open objections whose deadline has passed.
            "CREATE INDEX IF NOT EXISTS objections_deadline ON objections (state, deadline)",
            """
            CREATE TABLE objection_events (
                id \(t.id),
                objection_id BIGINT NOT NULL REFERENCES objections(id) ON DELETE CASCADE,
                action TEXT NOT NULL,
                from_state TEXT,
                to_state TEXT NOT NULL,
                actor_id BIGINT,
                actor_name TEXT NOT NULL,
                comment TEXT NOT NULL,
                created_at \(t.timestamp) NOT NULL
            )
            """,
            "CREATE INDEX IF NOT EXISTS objection_events_objection ON objection_events (objection_id, id)",
            // Kept after the version's table is dropped: the history of why versions existed.
            """
            CREATE TABLE pool_provenance (
                entry_id BIGINT NOT NULL,
                version INTEGER NOT NULL,
                objection_id BIGINT NOT NULL REFERENCES objections(id),
                actor_id BIGINT,
                actor_name TEXT NOT NULL,
                record_key TEXT NOT NULL,
                changes TEXT NOT NULL,
                created_at \(t.timestamp) NOT NULL,
                PRIMARY KEY (entry_id, version)
            )
            """,
            "ALTER TABLE notifications ADD COLUMN objection_id BIGINT REFERENCES objections(id) ON DELETE CASCADE",
        ]
    }
}
