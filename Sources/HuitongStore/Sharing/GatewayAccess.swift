import Foundation
import HuitongCore
import SQLKit
import Synchronization

/// Who is calling the gateway and under which grants, read in one statement: the credential by its digest, its
/// application system, and the references (id and row MAC) of the system's department's unrevoked grants of the
/// resource still valid on `day`. The gateway may keep an answer for a moment, under the `AccessRevision` it was read at.
public struct GatewayAccess: Sendable {
    public var credential: APIToken
    public var system: ApplicationSystem
    /// The grants with the MACs their rows held when read: the gateway takes a body it checked before only while
    /// its row still holds the same MAC (`GrantRepository.find(reference:)`).
    public var grants: [GrantReference]
}

/// Counts the changes to what gateway access is made of — grants made or revoked, credentials issued, rotated or
/// revoked, application systems changed or removed — made through this store. A remembered `GatewayAccess` is
/// used only while the revision it was read at is current, so on this node a revocation stops the very next call;
/// other nodes (which see the database, not this counter) stop within the gateway's cache lifetime.
public final class AccessRevision: Sendable {
    private let value = Atomic<Int>(0)

    public init() {}

    public var current: Int { value.load(ordering: .acquiring) }

    /// Runs a change and then moves the revision on, whether or not the change went through (a failed change
    /// costs the gateway one fresh read, never a stale answer).
    func changing<Result>(_ change: () async throws -> Result) async rethrows -> Result {
        defer { value.add(1, ordering: .releasing) }
        return try await change()
    }
}

public protocol GatewayAccessReader: Sendable {
    func gatewayAccess(credentialDigest: String, resourceCode: String, on day: CalendarDate) async throws
        -> GatewayAccess?
}

struct SQLGatewayAccessReader: GatewayAccessReader {
    let provider: any DatabaseProvider
    var integrity = RowIntegrity()

    func gatewayAccess(credentialDigest: String, resourceCode: String, on day: CalendarDate) async throws
        -> GatewayAccess?
    {
        let tokenColumns = SQLTokenRepository.columns.map { "t.\($0)" }.joined(separator: ", ")
        let aggregate = GrantReference.aggregate(provider.backend)
        return try await provider.read { sql in
            guard
                let row = try await sql.raw(
                    """
                    SELECT \(unsafeRaw: tokenColumns), s.department_id AS system_department_id,
                        s.name AS system_name, s.description AS system_description, s.is_active AS system_is_active,
                        s.created_at AS system_created_at, s.row_mac AS system_row_mac,
                        (SELECT \(unsafeRaw: aggregate) FROM grants g
                            WHERE g.consumer_department_id = s.department_id AND g.resource_code = \(bind: resourceCode)
                                AND g.valid_to >= \(bind: day.description) AND g.revoked_at IS NULL) AS grant_ids
                    FROM api_tokens t JOIN application_systems s ON s.id = t.system_id
                    WHERE t.token_digest = \(bind: credentialDigest)
                    """
                ).first()
            else { return nil }
            // The credential and its system decide who calls: both are checked here, once per cache fill.
            try integrity.verify(.apiTokens, row)
            try integrity.verify(.applicationSystems, row, prefix: "system_")
            return GatewayAccess(
                credential: try SQLTokenRepository.decode(row),
                system: try SQLTokenRepository.system(row),
                grants: GrantReference.parseList(try row.decode(column: "grant_ids", as: String?.self)))
        }
    }
}
