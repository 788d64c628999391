import Foundation
import HuitongCore
import SQLKit

/// Nonces of signed requests already accepted, shared by every node on the database so that a request replayed to
/// another node behind the same load balancer is refused too.
public protocol RequestNonceRepository: Sendable {
    /// Records that credential `keyID` used `nonce`; false when it had already (a replay). The row may be purged
    /// after `expiresAt`, when a request carrying the nonce would be refused for its timestamp anyway.
    func record(keyID: String, nonce: String, expiresAt: Date) async throws -> Bool
    /// Removes nonces that expired before `time`.
    func purge(expiredBefore time: Date) async throws
}

struct SQLRequestNonceRepository: RequestNonceRepository {
    let provider: any DatabaseProvider

    func record(keyID: String, nonce: String, expiresAt: Date) async throws -> Bool {
        try await provider.transaction { sql in
            // ON CONFLICT DO NOTHING rather than catching the unique violation: a replay is an expected answer,
            // not an error for PostgreSQL to log, and the transaction stays usable.
            try await sql.insert(into: "request_nonces")
                .columns("key_id", "nonce", "expires_at")
                .values(SQLBind(keyID), SQLBind(nonce), SQLBind(expiresAt))
                .ignoringConflicts()
                .returning("key_id").first() != nil
        }
    }

    func purge(expiredBefore time: Date) async throws {
        // No RETURNING: a busy node purges hundreds of thousands of rows at a time, and nobody needs them back.
        try await provider.transaction { sql in
            try await sql.delete(from: "request_nonces").where("expires_at", .lessThan, time).run()
        }
    }
}
