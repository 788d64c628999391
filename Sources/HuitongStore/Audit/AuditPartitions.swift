import Foundation
import HuitongCore
import SQLKit
import Synchronization

/// PostgreSQL keeps the audit entries in a table partitioned by month of `time_us` (`AuditCalendar`, UTC+8): one
/// partition `audit_entries_YYYYMM` a month, created ahead as entries arrive, and a default partition that catches
/// any entry whose month has none yet, so an append never fails for want of a partition. The primary key is
/// (seq, time_us), as a partitioned table's keys must hold its partition column; sequence numbers stay unique
/// because they are handed out under the chain head's row lock. SQLite keeps one table.
enum AuditPartitions {
    static let function = """
        CREATE OR REPLACE FUNCTION huitong_audit_partition(part TEXT, low BIGINT, high BIGINT) RETURNS VOID
        LANGUAGE plpgsql AS $$
        BEGIN
            IF to_regclass(part) IS NOT NULL THEN RETURN; END IF;
            -- One node at a time; the second finds the partition made.
            PERFORM pg_advisory_xact_lock(48226138);
            IF to_regclass(part) IS NOT NULL THEN RETURN; END IF;
            EXECUTE format('CREATE TABLE %I (LIKE audit_entries INCLUDING DEFAULTS)', part);
            -- Entries the default partition caught for this month move into it before it is attached.
            EXECUTE format('WITH moved AS (DELETE FROM audit_entries_default WHERE time_us >= %s AND time_us < %s '
                || 'RETURNING *) INSERT INTO %I SELECT * FROM moved', low, high, part);
            EXECUTE format('ALTER TABLE audit_entries ATTACH PARTITION %I FOR VALUES FROM (%s) TO (%s)',
                part, low, high);
        END $$
        """

    static func name(_ month: AuditMonth) -> String { "audit_entries_\(month.compact)" }

    /// Makes the partition of `month` unless it exists.
    static func create(_ month: AuditMonth, _ sql: any SQLDatabase) async throws {
        try await sql.raw(
            """
            SELECT huitong_audit_partition(\(bind: name(month)), \(bind: month.startMicroseconds),
                \(bind: month.endMicroseconds)) AS made
            """
        ).run()
    }

    /// Converts a plain `audit_entries` table (migration 9's) into a partitioned one in place, within the
    /// migration's transaction: the rows, the hash chain and the checkpoints are untouched, only where the rows
    /// are kept changes. Leaves a partitioned table as it is.
    static func convert(_ sql: any SQLDatabase) async throws {
        let kind = try await sql.raw(
            "SELECT relkind::text AS kind FROM pg_class WHERE oid = to_regclass('audit_entries')"
        ).first()?.decode(column: "kind", as: String.self)
        try await sql.raw(SQLQueryString(unsafeRaw: function)).run()
        guard kind == "r" else { return }
        for statement in [
            "ALTER TABLE audit_entries RENAME TO audit_entries_unpartitioned",
            "ALTER TABLE audit_entries_unpartitioned DROP CONSTRAINT IF EXISTS audit_entries_pkey",
            "DROP INDEX IF EXISTS audit_entries_time",
            "DROP INDEX IF EXISTS audit_entries_consumer",
            "DROP INDEX IF EXISTS audit_entries_provider",
            "DROP INDEX IF EXISTS audit_entries_resource",
            """
            CREATE TABLE audit_entries (LIKE audit_entries_unpartitioned INCLUDING DEFAULTS)
            PARTITION BY RANGE (time_us)
            """,
            "ALTER TABLE audit_entries ADD PRIMARY KEY (seq, time_us)",
            "CREATE INDEX IF NOT EXISTS audit_entries_time ON audit_entries (time_us)",
            "CREATE INDEX IF NOT EXISTS audit_entries_consumer ON audit_entries (consumer_department_id, time_us)",
            "CREATE INDEX IF NOT EXISTS audit_entries_provider ON audit_entries (provider_department_id, time_us)",
            "CREATE INDEX IF NOT EXISTS audit_entries_resource ON audit_entries (resource_code, time_us)",
            "CREATE TABLE audit_entries_default PARTITION OF audit_entries DEFAULT",
        ] {
            try await sql.raw(SQLQueryString(unsafeRaw: statement)).run()
        }
        let range = try await sql.raw(
            "SELECT MIN(time_us) AS low, MAX(time_us) AS high FROM audit_entries_unpartitioned"
        ).first()
        let now = AuditCalendar.month(microseconds: AuditEvent.microseconds(Date()))
        var month = try range?.decode(column: "low", as: Int64?.self).map { AuditCalendar.month(microseconds: $0) }
        let last = max(
            try range?.decode(column: "high", as: Int64?.self).map { AuditCalendar.month(microseconds: $0) } ?? now,
            now
        ).next
        month = month.map { min($0, now) } ?? now
        // At most fifty years of months; entries stamped further away stay in the default partition.
        var made = 0
        while let current = month, current <= last, made < 600 {
            try await create(current, sql)
            month = current.next
            made += 1
        }
        try await sql.raw("INSERT INTO audit_entries SELECT * FROM audit_entries_unpartitioned").run()
        try await sql.raw("DROP TABLE audit_entries_unpartitioned").run()
    }

    /// The month partitions there are, oldest first (the default partition is not among them).
    static func months(_ sql: any SQLDatabase) async throws -> [AuditMonth] {
        try await sql.raw(
            """
            SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = to_regclass('audit_entries')
            """
        ).all().compactMap { row in
            let name = try row.decode(column: "name", as: String.self)
            guard name.hasPrefix("audit_entries_"), let digits = Int(name.dropFirst("audit_entries_".count)),
                digits >= 197_001, (1...12).contains(digits % 100)
            else { return nil }
            return AuditMonth(year: digits / 100, month: digits % 100)
        }.sorted()
    }
}

/// The months this process knows to have a partition: an append checks its entries' months here and makes a
/// partition (and the next month's, ahead) only for a month it has not met.
final class AuditPartitionCache: Sendable {
    private let known = Mutex(Set<AuditMonth>())

    func missing(_ months: Set<AuditMonth>) -> Set<AuditMonth> {
        known.withLock { months.subtracting($0) }
    }

    func insert(_ months: Set<AuditMonth>) {
        known.withLock { $0.formUnion(months) }
    }
}
