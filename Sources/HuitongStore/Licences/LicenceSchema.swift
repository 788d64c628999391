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
        ]
    }

    /// 用证: who holds a licence as the portal knows them (a verified account), the authorisations a use rests on
    /// (a holder's consent, or a legal basis the operator records), and every use, allowed or refused (用证记录).
    @Sendable static func licenceUseTables(_ t: SchemaTypes) -> [String] {
        [
            """
            CREATE TABLE IF NOT EXISTS licence_holders (
                developer_id BIGINT PRIMARY KEY REFERENCES developers(id),
                holder_kind TEXT NOT NULL,
                holder_key TEXT NOT NULL,
                verified_at \(t.timestamp) NOT NULL,
                verified_by_user_id BIGINT NOT NULL REFERENCES users(id)
            )
            """,
            "CREATE INDEX IF NOT EXISTS licence_holders_key ON licence_holders (holder_key)",
            """
            CREATE TABLE IF NOT EXISTS licence_consents (
                id \(t.id),
                basis TEXT NOT NULL,
                holder_key TEXT,
                type_code TEXT NOT NULL,
                grantee_department_id BIGINT NOT NULL REFERENCES departments(id),
                matter TEXT NOT NULL,
                scope TEXT NOT NULL,
                legal_basis TEXT,
                granted_by_developer_id BIGINT REFERENCES developers(id),
                recorded_by_user_id BIGINT REFERENCES users(id),
                granted_at \(t.timestamp) NOT NULL,
                expires_at \(t.timestamp) NOT NULL,
                revoked_at \(t.timestamp)
            )
            """,
            """
            CREATE INDEX IF NOT EXISTS licence_consents_lookup
                ON licence_consents (grantee_department_id, type_code, matter)
            """,
            "CREATE INDEX IF NOT EXISTS licence_consents_holder ON licence_consents (holder_key)",
            """
            CREATE TABLE IF NOT EXISTS licence_uses (
                id \(t.id),
                identifier TEXT NOT NULL,
                holder_key TEXT,
                type_code TEXT NOT NULL,
                user_department_id BIGINT NOT NULL REFERENCES departments(id),
                application_system_id BIGINT,
                user_id BIGINT,
                matter TEXT NOT NULL,
                case_number TEXT NOT NULL,
                reason TEXT NOT NULL,
                consent_id BIGINT REFERENCES licence_consents(id),
                outcome TEXT NOT NULL,
                refusal TEXT,
                at \(t.timestamp) NOT NULL
            )
            """,
            "CREATE INDEX IF NOT EXISTS licence_uses_holder ON licence_uses (holder_key, id)",
            "CREATE INDEX IF NOT EXISTS licence_uses_department ON licence_uses (user_department_id, id)",
        ]
    }

    /// 证照回流: licences of other nodes pushed down by region (as received, verified with their issuing node's
    /// certificates), a log of what this node received, and how far each child has been sent.
    @Sendable static func licenceCascadeTables(_ t: SchemaTypes) -> [String] {
        [
            """
            CREATE TABLE IF NOT EXISTS remote_licences (
                identifier TEXT PRIMARY KEY,
                origin TEXT NOT NULL,
                type_code TEXT NOT NULL,
                holder_key TEXT NOT NULL,
                record TEXT NOT NULL,
                sequence INTEGER NOT NULL,
                received_at \(t.timestamp) NOT NULL
            )
            """,
            "CREATE INDEX IF NOT EXISTS remote_licences_holder ON remote_licences (holder_key)",
            """
            CREATE TABLE IF NOT EXISTS remote_licence_changes (
                id \(t.id),
                identifier TEXT NOT NULL,
                at \(t.timestamp) NOT NULL
            )
            """,
            // The CA certificate each issuing node's licences first arrived with: later ones must chain to the same
            // (trust on first use, as the cascade's links are pinned by their keys).
            """
            CREATE TABLE IF NOT EXISTS licence_node_authorities (
                node TEXT PRIMARY KEY,
                fingerprint TEXT NOT NULL,
                first_seen_at \(t.timestamp) NOT NULL
            )
            """,
            """
            CREATE TABLE IF NOT EXISTS licence_cascade_cursors (
                child TEXT PRIMARY KEY,
                last_event_id BIGINT NOT NULL,
                last_remote_change_id BIGINT NOT NULL
            )
            """,
        ]
    }
}
