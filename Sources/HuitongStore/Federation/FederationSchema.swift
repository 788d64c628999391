extension Schema {
    /// The cascade: peers and their keys, the outbox and inbox that make delivery reliable and idempotent,
    /// entries registered by children, code mappings, 回流 subscriptions and runs, and monitoring reports.
    @Sendable static func federationTables(_ t: SchemaTypes) -> [String] {
        [
            """
            CREATE TABLE federation_peers (
                region_code TEXT PRIMARY KEY,
                relation TEXT NOT NULL,
                name TEXT NOT NULL,
                base_url TEXT NOT NULL,
                public_key TEXT NOT NULL,
                created_at \(t.timestamp) NOT NULL,
                updated_at \(t.timestamp) NOT NULL
            )
            """,
            """
            CREATE TABLE federation_outbox (
                id \(t.id),
                message_id TEXT NOT NULL,
                kind TEXT NOT NULL,
                origin TEXT NOT NULL,
                destination TEXT NOT NULL,
                next_hop TEXT NOT NULL,
                body TEXT NOT NULL,
                status TEXT NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0,
                next_attempt_at \(t.timestamp) NOT NULL,
                last_error TEXT,
                created_at \(t.timestamp) NOT NULL,
                delivered_at \(t.timestamp),
                UNIQUE (origin, message_id, next_hop)
            )
            """,
            "CREATE INDEX IF NOT EXISTS federation_outbox_due ON federation_outbox (status, next_attempt_at)",
            """
            CREATE TABLE federation_inbox (
                origin TEXT NOT NULL,
                message_id TEXT NOT NULL,
                kind TEXT NOT NULL,
                from_node TEXT NOT NULL,
                received_at \(t.timestamp) NOT NULL,
                PRIMARY KEY (origin, message_id)
            )
            """,
            """
            CREATE TABLE remote_entries (
                id \(t.id),
                origin TEXT NOT NULL,
                local_code TEXT NOT NULL,
                upper_code TEXT NOT NULL UNIQUE,
                version INTEGER NOT NULL,
                name TEXT NOT NULL,
                provider_name TEXT NOT NULL,
                provider_region TEXT NOT NULL,
                registration TEXT NOT NULL,
                status TEXT NOT NULL,
                report_sequence BIGINT NOT NULL,
                registered_at \(t.timestamp) NOT NULL,
                updated_at \(t.timestamp) NOT NULL,
                UNIQUE (origin, local_code)
            )
            """,
            """
            CREATE TABLE federation_registrations (
                entry_code TEXT PRIMARY KEY,
                reported_version INTEGER NOT NULL,
                reported_status TEXT NOT NULL,
                upper_code TEXT,
                acknowledged_version INTEGER,
                acknowledged_status TEXT,
                reason TEXT,
                reported_at \(t.timestamp) NOT NULL,
                acknowledged_at \(t.timestamp)
            )
            """,
            """
            CREATE TABLE reflow_subscriptions (
                id \(t.id),
                entry_id BIGINT NOT NULL REFERENCES catalog_entries(id),
                child_region TEXT NOT NULL,
                region_column TEXT NOT NULL,
                last_source_version INTEGER,
                last_run_id TEXT,
                last_run_at \(t.timestamp),
                created_at \(t.timestamp) NOT NULL,
                UNIQUE (entry_id, child_region)
            )
            """,
            """
            CREATE TABLE reflow_targets (
                origin TEXT NOT NULL,
                source_code TEXT NOT NULL,
                entry_id BIGINT NOT NULL REFERENCES catalog_entries(id),
                created_at \(t.timestamp) NOT NULL,
                PRIMARY KEY (origin, source_code)
            )
            """,
            """
            CREATE TABLE reflow_parts (
                run_id TEXT NOT NULL,
                sequence INTEGER NOT NULL,
                is_last BOOLEAN NOT NULL,
                origin TEXT NOT NULL,
                batch TEXT NOT NULL,
                received_at \(t.timestamp) NOT NULL,
                PRIMARY KEY (run_id, sequence)
            )
            """,
            """
            CREATE TABLE reflow_runs (
                run_id TEXT PRIMARY KEY,
                origin TEXT NOT NULL,
                source_code TEXT NOT NULL,
                source_version INTEGER NOT NULL,
                entry_id BIGINT NOT NULL,
                pool_version INTEGER NOT NULL,
                rows_applied BIGINT NOT NULL,
                applied_at \(t.timestamp) NOT NULL
            )
            """,
            """
            CREATE TABLE outgoing_applications (
                reference TEXT PRIMARY KEY,
                owner TEXT NOT NULL,
                resource_code TEXT NOT NULL,
                consumer_department_id BIGINT NOT NULL REFERENCES departments(id),
                applicant_id BIGINT,
                applicant_name TEXT NOT NULL,
                draft TEXT NOT NULL,
                state TEXT NOT NULL,
                decision TEXT,
                created_at \(t.timestamp) NOT NULL,
                updated_at \(t.timestamp) NOT NULL
            )
            """,
            """
            CREATE INDEX IF NOT EXISTS outgoing_applications_consumer
            ON outgoing_applications (consumer_department_id, owner, resource_code)
            """,
            """
            CREATE TABLE incoming_applications (
                origin TEXT NOT NULL,
                reference TEXT NOT NULL,
                application_id BIGINT NOT NULL REFERENCES sharing_applications(id),
                consumer_department_id BIGINT NOT NULL REFERENCES departments(id),
                decision_sent_state TEXT,
                created_at \(t.timestamp) NOT NULL,
                PRIMARY KEY (origin, reference)
            )
            """,
            """
            CREATE TABLE monitoring_reports (
                origin TEXT PRIMARY KEY,
                report TEXT NOT NULL,
                received_at \(t.timestamp) NOT NULL
            )
            """,
        ]
    }
}
