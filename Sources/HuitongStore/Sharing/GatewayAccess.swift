import Foundation
import HuitongCore
import SQLKit

/// Who is calling the gateway and under which grants, read in one statement: the credential by its digest, its
/// application system, and the ids of the system's department's unrevoked grants of the resource still valid on
/// `day`. The gateway does this on every call, so a revoked credential or grant stops the very next one.
public struct GatewayAccess: Sendable {
    public var credential: APIToken
    public var system: ApplicationSystem
    public var grantIDs: [Int64]
}

public protocol GatewayAccessReader: Sendable {
    func gatewayAccess(credentialDigest: String, resourceCode: String, on day: CalendarDate) async throws
        -> GatewayAccess?
}

struct SQLGatewayAccessReader: GatewayAccessReader {
    let provider: any DatabaseProvider

    func gatewayAccess(credentialDigest: String, resourceCode: String, on day: CalendarDate) async throws
        -> GatewayAccess?
    {
        let tokenColumns = SQLTokenRepository.columns.map { "t.\($0)" }.joined(separator: ", ")
        let aggregate = provider.backend == .postgres ? "string_agg(g.id::text, ',')" : "group_concat(g.id, ',')"
        return try await provider.read { sql in
            guard
                let row = try await sql.raw(
                    """
                    SELECT \(unsafeRaw: tokenColumns), s.department_id AS system_department_id,
                        s.name AS system_name, s.description AS system_description, s.is_active AS system_is_active,
                        s.created_at AS system_created_at,
                        (SELECT \(unsafeRaw: aggregate) FROM grants g
                            WHERE g.consumer_department_id = s.department_id AND g.resource_code = \(bind: resourceCode)
                                AND g.valid_to >= \(bind: day.description) AND g.revoked_at IS NULL) AS grant_ids
                    FROM api_tokens t JOIN application_systems s ON s.id = t.system_id
                    WHERE t.token_digest = \(bind: credentialDigest)
                    """
                ).first()
            else { return nil }
            let ids = try row.decode(column: "grant_ids", as: String?.self)?.split(separator: ",")
                .compactMap { Int64($0) }.sorted()
            return GatewayAccess(
                credential: try SQLTokenRepository.decode(row),
                system: try SQLTokenRepository.system(row), grantIDs: ids ?? [])
        }
    }
}
