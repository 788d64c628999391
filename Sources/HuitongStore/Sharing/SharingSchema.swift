extension Schema {
    /// 共享申请 with their history, the grants approvals compile to, in-app notifications and the holiday
    /// calendar that working-day time limits count on.
    @Sendable static func sharingTables(_ t: SchemaTypes) -> [String] {
        [
            """
            CREATE TABLE sharing_applications (
                id \(t.id),
                number TEXT NOT NULL UNIQUE,
                consumer_department_id BIGINT NOT NULL REFERENCES departments(id),
                applicant_id BIGINT REFERENCES users(id) ON DELETE SET NULL,
                applicant_name TEXT NOT NULL,
                entry_id BIGINT NOT NULL REFERENCES catalog_entries(id),
                resource_code TEXT NOT NULL,
                provider_department_id BIGINT NOT NULL REFERENCES departments(id),
                state TEXT NOT NULL,
                content TEXT NOT NULL,
                decision TEXT,
                deadline \(t.timestamp),
                submitted_at \(t.timestamp),
                created_at \(t.timestamp) NOT NULL,
                updated_at \(t.timestamp) NOT NULL
            )
            """,
            "CREATE INDEX IF NOT EXISTS sharing_applications_consumer ON sharing_applications (consumer_department_id)",
            "CREATE INDEX IF NOT EXISTS sharing_applications_provider ON sharing_applications (provider_department_id)",
            // The overdue sweep looks for applications in one state whose deadline has passed.
            "CREATE INDEX IF NOT EXISTS sharing_applications_deadline ON sharing_applications (state, deadline)",
            """
            CREATE TABLE sharing_application_events (
                id \(t.id),
                application_id BIGINT NOT NULL REFERENCES sharing_applications(id) ON DELETE CASCADE,
                action TEXT NOT NULL,
                from_state TEXT,
                to_state TEXT NOT NULL,
                actor_id BIGINT,
                actor_name TEXT NOT NULL,
                comment TEXT NOT NULL,
                created_at \(t.timestamp) NOT NULL
            )
            """,
            "CREATE INDEX IF NOT EXISTS sharing_application_events_application ON sharing_application_events (application_id, id)",
            """
            CREATE TABLE grants (
                id \(t.id),
                application_id BIGINT NOT NULL UNIQUE REFERENCES sharing_applications(id),
                entry_id BIGINT NOT NULL REFERENCES catalog_entries(id),
                resource_code TEXT NOT NULL,
                provider_department_id BIGINT NOT NULL REFERENCES departments(id),
                consumer_department_id BIGINT NOT NULL REFERENCES departments(id),
                system_ids TEXT NOT NULL,
                items TEXT NOT NULL,
                row_filter TEXT,
                masking TEXT NOT NULL,
                purpose TEXT NOT NULL,
                purpose_text TEXT NOT NULL,
                channel TEXT NOT NULL,
                rate_limit INTEGER NOT NULL,
                daily_quota INTEGER NOT NULL,
                valid_from TEXT NOT NULL,
                valid_to TEXT NOT NULL,
                created_at \(t.timestamp) NOT NULL,
                revoked_at \(t.timestamp),
                revoked_by_id BIGINT,
                revoked_by_name TEXT,
                revocation_reason TEXT
            )
            """,
            // The gateway's lookup on every call: a consumer's unrevoked grants for one resource.
            """
            CREATE INDEX IF NOT EXISTS grants_gateway ON grants (consumer_department_id, resource_code, valid_to)
            WHERE revoked_at IS NULL
            """,
            "CREATE INDEX IF NOT EXISTS grants_provider ON grants (provider_department_id)",
            """
            CREATE TABLE notifications (
                id \(t.id),
                user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                kind TEXT NOT NULL,
                title_zh TEXT NOT NULL,
                title_en TEXT NOT NULL,
                body_zh TEXT NOT NULL,
                body_en TEXT NOT NULL,
                application_id BIGINT REFERENCES sharing_applications(id) ON DELETE CASCADE,
                grant_id BIGINT REFERENCES grants(id) ON DELETE CASCADE,
                created_at \(t.timestamp) NOT NULL,
                read_at \(t.timestamp)
            )
            """,
            "CREATE INDEX IF NOT EXISTS notifications_user ON notifications (user_id, read_at)",
            """
            CREATE TABLE holiday_years (
                year INTEGER PRIMARY KEY,
                content TEXT NOT NULL,
                updated_at \(t.timestamp) NOT NULL
            )
            """,
        ]
    }
}
