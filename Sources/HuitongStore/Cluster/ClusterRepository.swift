import Foundation
import HuitongCore
import SQLKit

/// A node of the cluster as its heartbeats tell: every `huitong serve` on one PostgreSQL writes one every
/// heartbeat interval (`ClusterMembership`).
public struct ClusterNode: Sendable, Hashable {
    public var name: String
    public var startedAt: Date
    public var heartbeatAt: Date

    public init(name: String, startedAt: Date, heartbeatAt: Date) {
        self.name = name
        self.startedAt = startedAt
        self.heartbeatAt = heartbeatAt
    }
}

/// What the nodes of one database share beyond its data: who is alive, and how much of each grant's daily quota the
/// nodes have taken between them.
public protocol ClusterRepository: Sendable {
    /// Records that `node` is alive at `time` and returns the nodes whose last heartbeat is not older than
    /// `liveSince` (this one among them).
    func heartbeat(node: String, startedAt: Date, at time: Date, liveSince: Date) async throws -> [ClusterNode]
    /// Removes the node's row: it is shutting down, and its share of per-second limits goes back to the others.
    func leave(node: String) async throws
    /// Takes up to `chunk` calls of a grant's quota of `limit` calls for `day` and returns how many it got: fewer
    /// than asked when the day's quota has fewer left, 0 when it is used up. The nodes' takings never add up to
    /// more than `limit`.
    func takeQuota(grant: Int64, day: CalendarDate, chunk: Int, limit: Int) async throws -> Int
    /// How many calls of a grant's quota the nodes have taken for `day`.
    func quotaTaken(grant: Int64, day: CalendarDate) async throws -> Int
    /// Forgets quota takings of days before `day` and the rows of nodes silent since `silentSince`.
    func purge(quotaBefore day: CalendarDate, nodesSilentSince: Date) async throws
    /// Takes or renews the lease called `name` for `node` until `until`, unless another node holds it past `now`;
    /// returns whether `node` holds it. Background sweeps take one per turn, so that a sweep runs on one node of
    /// the cluster at a time, and another node takes over once a dead holder's lease has run out.
    func holdLease(_ name: String, node: String, until: Date, now: Date) async throws -> Bool
    /// When the newest heartbeat was written, as this database sees it. Read on a replica, it tells how far the
    /// replica is behind the primary (`ReadReplicas`).
    func newestHeartbeat() async throws -> Date?
}

struct SQLClusterRepository: ClusterRepository {
    let provider: any DatabaseProvider

    func heartbeat(node: String, startedAt: Date, at time: Date, liveSince: Date) async throws -> [ClusterNode] {
        try await provider.transaction { sql in
            try await sql.raw(
                """
                INSERT INTO cluster_nodes (node, started_at, heartbeat_at)
                VALUES (\(bind: node), \(bind: startedAt), \(bind: time))
                ON CONFLICT (node) DO UPDATE SET heartbeat_at = excluded.heartbeat_at
                """
            ).run()
            return try await sql.raw(
                """
                SELECT node, started_at, heartbeat_at FROM cluster_nodes
                WHERE heartbeat_at >= \(bind: liveSince) ORDER BY node
                """
            ).all().map { row in
                ClusterNode(
                    name: try row.decode(column: "node", as: String.self),
                    startedAt: try row.decode(column: "started_at", as: Date.self),
                    heartbeatAt: try row.decode(column: "heartbeat_at", as: Date.self))
            }
        }
    }

    func leave(node: String) async throws {
        try await provider.transaction { sql in
            try await sql.raw("DELETE FROM cluster_nodes WHERE node = \(bind: node)").run()
        }
    }

    func takeQuota(grant: Int64, day: CalendarDate, chunk: Int, limit: Int) async throws -> Int {
        guard chunk > 0, limit > 0 else { return 0 }
        let lock = provider.backend == .postgres ? " FOR UPDATE" : ""
        return try await provider.transaction { sql in
            try await sql.raw(
                """
                INSERT INTO grant_quota_takings (grant_id, day, taken) VALUES (\(bind: grant), \(bind: day.description), 0)
                ON CONFLICT (grant_id, day) DO NOTHING
                """
            ).run()
            // The row lock (one writer on SQLite) makes the read and the update one step among the nodes.
            let taken =
                try await sql.raw(
                    """
                    SELECT taken FROM grant_quota_takings
                    WHERE grant_id = \(bind: grant) AND day = \(bind: day.description)\(unsafeRaw: lock)
                    """
                ).first()?.decode(column: "taken", as: Int.self) ?? limit
            let granted = max(0, min(chunk, limit - taken))
            guard granted > 0 else { return 0 }
            try await sql.raw(
                """
                UPDATE grant_quota_takings SET taken = taken + \(bind: granted)
                WHERE grant_id = \(bind: grant) AND day = \(bind: day.description)
                """
            ).run()
            return granted
        }
    }

    func quotaTaken(grant: Int64, day: CalendarDate) async throws -> Int {
        try await provider.read { sql in
            try await sql.raw(
                """
                SELECT taken FROM grant_quota_takings WHERE grant_id = \(bind: grant) AND day = \(bind: day.description)
                """
            ).first()?.decode(column: "taken", as: Int.self) ?? 0
        }
    }

    func purge(quotaBefore day: CalendarDate, nodesSilentSince: Date) async throws {
        try await provider.transaction { sql in
            try await sql.raw("DELETE FROM grant_quota_takings WHERE day < \(bind: day.description)").run()
            try await sql.raw("DELETE FROM cluster_nodes WHERE heartbeat_at < \(bind: nodesSilentSince)").run()
        }
    }

    func holdLease(_ name: String, node: String, until: Date, now: Date) async throws -> Bool {
        try await provider.transaction { sql in
            try await sql.raw(
                """
                INSERT INTO cluster_leases (name, holder, lease_until) VALUES (\(bind: name), \(bind: node), \(bind: until))
                ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, lease_until = excluded.lease_until
                WHERE cluster_leases.holder = excluded.holder OR cluster_leases.lease_until < \(bind: now)
                RETURNING holder
                """
            ).first() != nil
        }
    }

    func newestHeartbeat() async throws -> Date? {
        try await provider.read { sql in
            try await sql.raw("SELECT MAX(heartbeat_at) AS newest FROM cluster_nodes").first()?
                .decode(column: "newest", as: Date?.self)
        }
    }
}

extension Schema {
    /// Cluster membership and shared quota counters (issue 26).
    @Sendable static func clusterTables(_ t: SchemaTypes) -> [String] {
        [
            """
            CREATE TABLE IF NOT EXISTS cluster_nodes (
                node TEXT PRIMARY KEY,
                started_at \(t.timestamp) NOT NULL,
                heartbeat_at \(t.timestamp) NOT NULL
            )
            """,
            // One row per grant and day: the calls the nodes have taken from the grant's daily quota. `day` is the
            // calendar day in China Standard Time, as ISO text, so that it sorts.
            // Who runs a background sweep this turn (`holdLease`).
            """
            CREATE TABLE IF NOT EXISTS cluster_leases (
                name TEXT PRIMARY KEY,
                holder TEXT NOT NULL,
                lease_until \(t.timestamp) NOT NULL
            )
            """,
            """
            CREATE TABLE IF NOT EXISTS grant_quota_takings (
                grant_id BIGINT NOT NULL,
                day TEXT NOT NULL,
                taken BIGINT NOT NULL,
                PRIMARY KEY (grant_id, day)
            )
            """,
        ]
    }
}
