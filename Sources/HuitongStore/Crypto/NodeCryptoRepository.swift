import Foundation
import HuitongCore
import HuitongCrypto
import SQLKit

/// The crypto suite a node runs under, recorded in its database so that every command and every node of a cluster
/// agrees, and so that a node upgraded from before suites existed keeps `intl` until told otherwise.
public protocol NodeCryptoRepository: Sendable {
    /// The recorded suite; nil for a node that has not started yet.
    func recordedSuite() async throws -> CryptoSuiteID?
    func recordSuite(_ suite: CryptoSuiteID, at time: Date) async throws
}

struct SQLNodeCryptoRepository: NodeCryptoRepository {
    let provider: any DatabaseProvider

    func recordedSuite() async throws -> CryptoSuiteID? {
        try await provider.read { sql in
            guard let row = try await sql.raw("SELECT suite FROM node_crypto WHERE id = 1").first() else { return nil }
            let text = try row.decode(column: "suite", as: String.self)
            guard let suite = CryptoSuiteID(rawValue: text) else {
                throw StoreError.unsafeDatabase("node_crypto records an unknown crypto suite \(text)")
            }
            return suite
        }
    }

    func recordSuite(_ suite: CryptoSuiteID, at time: Date) async throws {
        try await provider.transaction { sql in
            try await sql.raw(
                """
                INSERT INTO node_crypto (id, suite, updated_at) VALUES (1, \(bind: suite.rawValue), \(bind: time))
                ON CONFLICT (id) DO UPDATE SET suite = excluded.suite, updated_at = excluded.updated_at
                """
            ).run()
        }
    }
}
