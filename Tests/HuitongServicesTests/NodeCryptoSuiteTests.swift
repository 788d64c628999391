import Configuration
import Foundation
import HuitongCore
import HuitongCrypto
import HuitongServices
import HuitongStore
import HuitongTestSupport
import Testing

/// Which suite a node runs under: `gm` for a new node, then what it recorded until HUITONG_CRYPTO_SUITE says
/// otherwise.
@Suite("Node crypto suite")
struct NodeCryptoSuiteTests {
    @Test("a new node records gm; the recorded suite holds until HUITONG_CRYPTO_SUITE names another")
    func resolution() async throws {
        let suites = try await TestBackend.sqlite.withFreshDatabase { store, _ -> [CryptoSuiteID?] in
            var suites: [CryptoSuiteID?] = []
            suites.append(try await NodeCryptoSuite.resolve(store, requested: nil))
            suites.append(try await store.crypto.recordedSuite())
            suites.append(try await NodeCryptoSuite.resolve(store, requested: .intl))
            // Without the variable the recorded suite holds.
            suites.append(try await NodeCryptoSuite.resolve(store, requested: nil))
            suites.append(try await NodeCryptoSuite.resolve(store, requested: .gm))
            suites.append(try await store.crypto.recordedSuite())
            return suites
        }
        #expect(suites == [.gm, .gm, .intl, .intl, .gm, .gm])
    }

    @Test("HUITONG_CRYPTO_SUITE is read case-insensitively and anything else is refused naming the variable")
    func setting() throws {
        func settings(_ value: String?) throws -> NodeSettings {
            var values: [AbsoluteConfigKey: ConfigValue] = [:]
            if let value { values["huitong.crypto.suite"] = ConfigValue(.string(value), isSecret: false) }
            return try NodeSettings(reader: ConfigReader(provider: InMemoryProvider(values: values)))
        }
        #expect(try settings(nil).requestedCryptoSuite == nil)
        #expect(try settings("GM").requestedCryptoSuite == .gm)
        #expect(try settings("intl").requestedCryptoSuite == .intl)
        let error = #expect(throws: ValidationError.self) { try settings("sm9") }
        #expect(error?.issues.map(\.field) == ["HUITONG_CRYPTO_SUITE"])
        #expect(error?.issues.first?.message.contains("gm（国密 SM2/SM3/SM4）") == true)
    }

    @Test("the checkpoint key is the node's SM2 key under gm, kept in a 0600 PEM file, and its Ed25519 key under intl")
    func checkpointKeys() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("crypto-suite-\(UUID())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = ConfigReader(
            provider: InMemoryProvider(values: [
                "huitong.data": ConfigValue(.string(directory.path), isSecret: false)
            ]))
        let nodeKey = NodeIdentityKey.generate()
        let gm = try NodeCryptoSuite.checkpointKey(for: .gm, nodeKey: nodeKey, config: config, create: true)
        #expect(gm.algorithm == .sm2)
        let path = NodeSM2KeyFile.path(dataDirectory: directory.path)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(try String(contentsOfFile: path, encoding: .utf8).hasPrefix("-----BEGIN PRIVATE KEY-----"))
        let again = try NodeCryptoSuite.checkpointKey(for: .gm, nodeKey: nodeKey, config: config, create: false)
        #expect(again.publicKey == gm.publicKey, "the key is read back, not made anew")
        let intl = try NodeCryptoSuite.checkpointKey(for: .intl, nodeKey: nodeKey, config: config, create: false)
        #expect(intl.publicKey == nodeKey.publicKey.signingKey)
        #expect(
            try NodeCryptoSuite.ownCheckpointKeys(nodeKey: nodeKey, config: config)
                == [nodeKey.publicKey.signingKey, gm.publicKey])
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        #expect(throws: NodeKeyError.unsafePermissions(path: path, mode: "644")) {
            try NodeCryptoSuite.checkpointKey(for: .gm, nodeKey: nodeKey, config: config, create: false)
        }
    }
}
