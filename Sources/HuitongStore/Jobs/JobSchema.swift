extension Schema {
    /// The durable job queue shared by every node on the database (`JobRepository`).
    @Sendable static func jobTables(_ t: SchemaTypes) -> [String] {
        [
            // A job waits (`queued`, not before `run_after`), runs under a lease (`running`: `claimed_by` holds it
            // until `lease_until`, and an expired lease is anyone's to take again), and ends `succeeded` or
            // `failed`. `attempts` counts the claims; `pinned_to` keeps a job on the node that holds its files.
            """
            CREATE TABLE jobs (
                id \(t.id),
                kind TEXT NOT NULL,
                payload TEXT NOT NULL,
                status TEXT NOT NULL,
                attempts INTEGER NOT NULL,
                max_attempts INTEGER NOT NULL,
                run_after \(t.timestamp) NOT NULL,
                pinned_to TEXT,
                claimed_by TEXT,
                lease_until \(t.timestamp),
                last_error TEXT,
                created_at \(t.timestamp) NOT NULL,
                finished_at \(t.timestamp)
            )
            """,
            // What a claim looks through: only the jobs not yet finished, oldest due first.
            "CREATE INDEX IF NOT EXISTS jobs_open ON jobs (run_after, id) WHERE status IN ('queued', 'running')",
            "CREATE INDEX IF NOT EXISTS jobs_finished ON jobs (finished_at) WHERE finished_at IS NOT NULL",
        ]
    }
}
