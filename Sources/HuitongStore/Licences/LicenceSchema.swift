extension Schema {
    /// 电子证照: licence types (证照目录), the licences issued (one row per version), their history, and each
    /// issuer's serial counter.
    @Sendable static func licenceTables(_ t: SchemaTypes) -> [String] {
        [
            """
            CREATE TABLE IF NOT EXISTS licence_types (
                type_code TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                holder_kind TEXT NOT NULL,
                definition TEXT NOT NULL,
                definer_department_id BIGINT NOT NULL REFERENCES departments(id),
                created_at \(t.timestamp) NOT NULL,
                updated_at \(t.timestamp) NOT NULL
            )
            """,
            """
            CREATE TABLE IF NOT EXISTS licences (
                identifier TEXT PRIMARY KEY,
                type_code TEXT NOT NULL REFERENCES licence_types(type_code),
                issuer_code TEXT NOT NULL,
                serial TEXT NOT NULL,
                version INTEGER NOT NULL,
                holder_kind TEXT NOT NULL,
                holder_code TEXT NOT NULL,
                holder_name TEXT NOT NULL,
                face TEXT NOT NULL,
                issued_on TEXT NOT NULL,
                valid_until TEXT,
                status TEXT NOT NULL,
                previous_identifier TEXT REFERENCES licences(identifier),
                issuer_department_id BIGINT NOT NULL REFERENCES departments(id),
                created_at \(t.timestamp) NOT NULL,
                UNIQUE (type_code, issuer_code, serial, version)
            )
            """,
            "CREATE INDEX IF NOT EXISTS licences_holder ON licences (holder_code, status)",
            "CREATE INDEX IF NOT EXISTS licences_expiry ON licences (status, valid_until)",
            """
            CREATE TABLE IF NOT EXISTS licence_events (
                id \(t.id),
                identifier TEXT NOT NULL REFERENCES licences(identifier),
                kind TEXT NOT NULL,
                at \(t.timestamp) NOT NULL,
                department_id BIGINT REFERENCES departments(id),
                reason TEXT
            )
            """,
            "CREATE INDEX IF NOT EXISTS licence_events_identifier ON licence_events (identifier, id)",
            """
            CREATE TABLE IF NOT EXISTS licence_serials (
                issuer_code TEXT NOT NULL,
                type_code TEXT NOT NULL,
                next_serial BIGINT NOT NULL,
                PRIMARY KEY (issuer_code, type_code)
            )
            """,
        ]
    }
}
