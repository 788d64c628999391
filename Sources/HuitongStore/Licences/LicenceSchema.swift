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

    /// Electronic seals (电子印章): the node's SM2 certificate authority, each issuing department's seal (a key pair
    /// sealed at rest, its certificate from that authority, its image), and on each licence version the package its
    /// seal signed.
    @Sendable static func licenceSealTables(_ t: SchemaTypes) -> [String] {
        [
            """
            CREATE TABLE IF NOT EXISTS licence_authority (
                id INTEGER PRIMARY KEY CHECK (id = 1),
                certificate TEXT NOT NULL,
                private_key TEXT NOT NULL,
                created_at \(t.timestamp) NOT NULL
            )
            """,
            """
            CREATE TABLE IF NOT EXISTS licence_seals (
                serial TEXT PRIMARY KEY,
                department_id BIGINT NOT NULL REFERENCES departments(id),
                certificate TEXT NOT NULL,
                private_key TEXT NOT NULL,
                image TEXT NOT NULL,
                valid_from \(t.timestamp) NOT NULL,
                valid_until \(t.timestamp) NOT NULL,
                status TEXT NOT NULL,
                created_at \(t.timestamp) NOT NULL
            )
            """,
            // One seal in use per department: two nodes making a department's first seal at once keep one.
            "CREATE UNIQUE INDEX IF NOT EXISTS licence_seals_active ON licence_seals (department_id) WHERE status = 'active'",
            "ALTER TABLE licences ADD COLUMN package TEXT",
            "ALTER TABLE licences ADD COLUMN signature TEXT",
            "ALTER TABLE licences ADD COLUMN seal_serial TEXT",
        ]
    }
}
