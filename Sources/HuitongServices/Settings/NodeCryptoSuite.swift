import Configuration
import Foundation
import HuitongCore
import HuitongCrypto
import HuitongStore

/// Which crypto suite a node runs under, and the audit trail that goes with it.
///
/// The suite is recorded in the database. A node that never recorded one takes `HUITONG_CRYPTO_SUITE`, or `gm`
/// when that is not set; a node that ran before suites existed was recorded as `intl` by the migration. Afterwards
/// the recorded suite holds until `HUITONG_CRYPTO_SUITE` names another, which is then recorded: whatever was
/// written under the old suite names that suite and keeps verifying.
public enum NodeCryptoSuite {
    public static func resolve(_ store: Store, requested: CryptoSuiteID?, at time: Date = Date()) async throws
        -> CryptoSuiteID
    {
        let recorded = try await store.crypto.recordedSuite()
        let suite = requested ?? recorded ?? CryptoSuiteID.forNewNodes
        if suite != recorded { try await store.crypto.recordSuite(suite, at: time) }
        // Access-control rows are MAC'd under the node's suite from now on; those MAC'd before still verify.
        store.rowIntegrity.suite = suite
        return suite
    }

    /// The key that signs checkpoints under `suite`: the node's SM2 key for `gm` (created when missing and
    /// `create`), its Ed25519 node key for `intl`.
    public static func checkpointKey(
        for suite: CryptoSuiteID, nodeKey: NodeIdentityKey, config: ConfigReader, create: Bool
    ) throws(NodeKeyError) -> SigningPrivateKey {
        switch suite {
        case .gm: SigningPrivateKey(sm2: try NodeSettings.loadSM2Key(config, create: create))
        case .intl: nodeKey.signingKey
        }
    }

    /// Every checkpoint key this node holds, for verifying its own log: the Ed25519 node key always, the SM2 key
    /// when its file or variable exists (a node that never ran `gm` has none), and every SM2 key rotated out.
    public static func ownCheckpointKeys(nodeKey: NodeIdentityKey, config: ConfigReader) throws(NodeKeyError)
        -> [SigningPublicKey]
    {
        var keys = [nodeKey.publicKey.signingKey]
        do {
            keys.append(SigningPublicKey(sm2: try NodeSettings.loadSM2Key(config, create: false).publicKey))
        } catch .missing {
            // No SM2 key: nothing was signed under `gm` on this node.
        }
        return keys + (try NodeSettings.retiredSM2Keys(config)).map { SigningPublicKey(sm2: $0) }
    }
}
