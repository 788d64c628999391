extension Schema {
    /// Catalog entries with their items, versions and events; the three lists; the information-system registry;
    /// and each backend's full-text index for Chinese substrings.
    @Sendable static func catalogTables(_ t: SchemaTypes) -> [String] {
        var statements = [
            """
            CREATE TABLE classifications (
                scheme TEXT NOT NULL,
                code TEXT NOT NULL,
                name TEXT NOT NULL,
                parent_code TEXT,
                level INTEGER NOT NULL,
                PRIMARY KEY (scheme, code)
            )
            """,
            """
            CREATE TABLE information_systems (
                id \(t.id),
                department_id BIGINT NOT NULL REFERENCES departments(id),
                name TEXT NOT NULL,
                description TEXT NOT NULL,
                status TEXT NOT NULL,
                created_at \(t.timestamp) NOT NULL,
                updated_at \(t.timestamp) NOT NULL,
                UNIQUE (department_id, name)
            )
            """,
            """
            CREATE TABLE negative_list (
                id \(t.id),
                department_id BIGINT NOT NULL REFERENCES departments(id),
                kind TEXT NOT NULL,
                resource TEXT NOT NULL,
                items TEXT NOT NULL,
                reason TEXT NOT NULL,
                legal_basis TEXT NOT NULL CHECK (length(trim(legal_basis)) > 0),
                reviewer TEXT NOT NULL,
                review_by TEXT,
                created_at \(t.timestamp) NOT NULL,
                updated_at \(t.timestamp) NOT NULL
            )
            """,
            """
            CREATE TABLE catalog_entries (
                id \(t.id),
                code TEXT NOT NULL UNIQUE,
                department_id BIGINT NOT NULL REFERENCES departments(id),
                status TEXT NOT NULL,
                version INTEGER NOT NULL,
                classification_code TEXT NOT NULL,
                name TEXT NOT NULL,
                share_type TEXT NOT NULL,
                openness TEXT NOT NULL,
                update_cycle TEXT NOT NULL,
                grade TEXT NOT NULL,
                source_system_id BIGINT REFERENCES information_systems(id),
                negative_list_id BIGINT REFERENCES negative_list(id),
                content TEXT NOT NULL,
                published_on TEXT,
                record_count BIGINT,
                data_updated_at \(t.timestamp),
                mount_kind TEXT,
                mount_locator TEXT,
                search_text TEXT NOT NULL,
                created_at \(t.timestamp) NOT NULL,
                updated_at \(t.timestamp) NOT NULL,
                CHECK (share_type <> 'notShared' OR negative_list_id IS NOT NULL)
            )
            """,
            "CREATE INDEX IF NOT EXISTS catalog_entries_department ON catalog_entries (department_id, status)",
            "CREATE INDEX IF NOT EXISTS catalog_entries_status ON catalog_entries (status, id)",
            """
            CREATE TABLE catalog_items (
                entry_id BIGINT NOT NULL REFERENCES catalog_entries(id) ON DELETE CASCADE,
                position INTEGER NOT NULL,
                column_name TEXT NOT NULL,
                name TEXT NOT NULL,
                share_type TEXT NOT NULL,
                grade TEXT NOT NULL,
                semantic_kind TEXT NOT NULL,
                negative_list_id BIGINT REFERENCES negative_list(id),
                PRIMARY KEY (entry_id, column_name),
                CHECK (share_type <> 'notShared' OR negative_list_id IS NOT NULL)
            )
            """,
            "CREATE INDEX IF NOT EXISTS catalog_items_negative ON catalog_items (negative_list_id)",
            """
            CREATE TABLE catalog_entry_tags (
                entry_id BIGINT NOT NULL REFERENCES catalog_entries(id) ON DELETE CASCADE,
                kind TEXT NOT NULL,
                value TEXT NOT NULL,
                PRIMARY KEY (entry_id, kind, value)
            )
            """,
            "CREATE INDEX IF NOT EXISTS catalog_entry_tags_value ON catalog_entry_tags (kind, value)",
            """
            CREATE TABLE catalog_entry_versions (
                entry_id BIGINT NOT NULL REFERENCES catalog_entries(id) ON DELETE CASCADE,
                version INTEGER NOT NULL,
                content TEXT NOT NULL,
                author_id BIGINT,
                author_name TEXT NOT NULL,
                note TEXT NOT NULL,
                created_at \(t.timestamp) NOT NULL,
                PRIMARY KEY (entry_id, version)
            )
            """,
            """
            CREATE TABLE catalog_events (
                id \(t.id),
                entry_id BIGINT NOT NULL REFERENCES catalog_entries(id) ON DELETE CASCADE,
                version INTEGER NOT NULL,
                action TEXT NOT NULL,
                comment TEXT NOT NULL,
                actor_id BIGINT,
                actor_name TEXT NOT NULL,
                created_at \(t.timestamp) NOT NULL
            )
            """,
            "CREATE INDEX IF NOT EXISTS catalog_events_entry ON catalog_events (entry_id, id)",
            """
            CREATE TABLE catalog_code_sequences (
                path TEXT PRIMARY KEY,
                last_number BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE responsibility_list (
                id \(t.id),
                department_id BIGINT NOT NULL REFERENCES departments(id),
                entry_id BIGINT REFERENCES catalog_entries(id) ON DELETE SET NULL,
                resource_name TEXT NOT NULL,
                content TEXT NOT NULL,
                created_at \(t.timestamp) NOT NULL,
                updated_at \(t.timestamp) NOT NULL
            )
            """,
            """
            CREATE TABLE demand_list (
                id \(t.id),
                number TEXT NOT NULL UNIQUE,
                department_id BIGINT NOT NULL REFERENCES departments(id),
                expected_provider_id BIGINT REFERENCES departments(id),
                content TEXT NOT NULL,
                status TEXT NOT NULL,
                entry_id BIGINT REFERENCES catalog_entries(id),
                application_id BIGINT,
                closing_reason TEXT,
                created_at \(t.timestamp) NOT NULL,
                updated_at \(t.timestamp) NOT NULL,
                CHECK (status = 'open' OR entry_id IS NOT NULL OR application_id IS NOT NULL
                    OR length(trim(coalesce(closing_reason, ''))) > 0)
            )
            """,
        ]
        switch t.backend {
        case .sqlite:
            // Trigram tokens match any substring of three or more characters through the index. Two-character
            // Chinese words (人口, 登记) are the commonest queries, so a second index holds every pair of adjacent
            // Chinese characters as a token; anything shorter falls back to a scan of search_text.
            statements.append("CREATE VIRTUAL TABLE catalog_search USING fts5(text, tokenize = 'trigram')")
            statements.append("CREATE VIRTUAL TABLE catalog_search_pairs USING fts5(pairs, tokenize = 'unicode61')")
        case .postgres:
            statements.append("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            statements.append(
                "CREATE INDEX IF NOT EXISTS catalog_entries_search ON catalog_entries USING gin (search_text gin_trgm_ops)"
            )
        }
        return statements
    }

    /// PostgreSQL's catalog search index (issue 25). pg_trgm finds no trigrams in Chinese text under the C.UTF-8
    /// collation, so its index made `LIKE '%营业执照%'` a scan of every entry. Instead each entry's search text is
    /// kept as the set of its characters and of its pairs of adjacent characters (white space breaks a pair),
    /// under a GIN index: a term's pairs (its character, for a one-character term) narrow the entries through the
    /// index, and `LIKE` confirms the term itself on the few left. The column is generated from `search_text`,
    /// so it changes in the same statement as the text, on every node.
    static let catalogSearchGrams: [String] = [
        """
        CREATE OR REPLACE FUNCTION huitong_search_grams(t text) RETURNS text[]
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
            SELECT coalesce(array_agg(DISTINCT g), '{}') FROM (
                SELECT substr(t, i, 1) AS g FROM generate_series(1, char_length(t)) AS i
                UNION ALL
                SELECT substr(t, i, 2) FROM generate_series(1, char_length(t) - 1) AS i
            ) grams
            WHERE g !~ '[[:space:]]'
        $$
        """,
        """
        ALTER TABLE catalog_entries ADD COLUMN IF NOT EXISTS search_grams text[]
            GENERATED ALWAYS AS (huitong_search_grams(search_text)) STORED
        """,
        "CREATE INDEX IF NOT EXISTS catalog_entries_search_grams ON catalog_entries USING gin (search_grams)",
        "DROP INDEX IF EXISTS catalog_entries_search",
    ]
}
