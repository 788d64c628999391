import SQLKit

extension Schema {
    /// A MAC column on every table of access-control data (`ProtectedTable.all`), and the record of the start-up
    /// backfill. The key lives outside the database, so SQL cannot compute the MACs of rows that exist already:
    /// the first start after this migration does (`RowIntegrity.backfill`), once. Renumbering this migration (should
    /// another branch take its number) is a change of `version` here alone. Written to be run again harmlessly
    /// (tests rebuild an older schema and migrate it once more).
    static let rowIntegrity = Migration(
        version: 26, name: "row integrity of access-control data (issue 21)",
        statements: { t in
            // SQLite has no ADD COLUMN IF NOT EXISTS: its columns are added in `converting`, after a look.
            (t.backend == .postgres
                ? ProtectedTable.all.map { "ALTER TABLE \($0.name) ADD COLUMN IF NOT EXISTS row_mac TEXT" } : [])
                + [
                    // One row once the backfill has run (or found nothing to do), MAC'd like the rows it protects.
                    """
                    CREATE TABLE IF NOT EXISTS row_integrity (
                        id INTEGER PRIMARY KEY CHECK (id = 1),
                        state TEXT NOT NULL,
                        row_mac TEXT
                    )
                    """
                ]
        },
        converting: { sql, t in
            guard t.backend == .sqlite else { return }
            for table in ProtectedTable.all {
                let present = try await sql.raw(
                    "SELECT 1 AS found FROM pragma_table_info(\(bind: table.name)) WHERE name = 'row_mac'"
                ).first()
                if present == nil {
                    try await sql.raw("ALTER TABLE \(ident: table.name) ADD COLUMN row_mac TEXT").run()
                }
            }
        })

    /// A MAC column on the open-data portal's access-control tables (`ProtectedTable.developerTables`); the next
    /// start's backfill MACs their rows once, as it did for migration 26's.
    static let developerRowIntegrity = Migration.addingColumns(
        version: 28, name: "row integrity of the open-data portal's access data (issue 21)",
        columns: ProtectedTable.developerTables.map { ($0.name, "row_mac", "TEXT") })
}
