extension Schema {
    /// The operator's grade policy matrix: one row, absent until the seed is first changed.
    static let gradePolicy = Migration(version: 13, name: "grade policy") { t in
        [
            """
            CREATE TABLE grade_policy (
                id INTEGER PRIMARY KEY CHECK (id = 1),
                content TEXT NOT NULL,
                updated_at \(t.timestamp) NOT NULL,
                updated_by_id BIGINT,
                updated_by TEXT NOT NULL
            )
            """
        ]
    }
}
