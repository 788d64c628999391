import ArgumentParser
import Configuration
import Foundation
import HuitongCore
import HuitongCrypto
import HuitongFederation
import HuitongServices
import HuitongStore

/// `huitong node …`: this node's cascade identity, and its peers.
struct NodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node", abstract: "Show this node's cascade identity and manage its peer platforms (级联).",
        subcommands: [
            Show.self, SetIdentity.self, RotateKey.self, AddPeer.self, UpdatePeer.self, ListPeers.self,
            RemovePeer.self,
        ])

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: """
                Print the region, level and public key a peer's operator needs to register this node, and the SM2 \
                public key (PEM) its audit checkpoints verify with.
                """)

        @OptionGroup var node: NodeOptions

        func run() async throws {
            let (profile, suite, config) = try await withStore(node) { store, config, _ in
                (try await storedNodeProfile(store, config), try await store.crypto.recordedSuite(), config)
            }
            let key = try node.loadNodeKey(config, create: true)
            let sm2 = try NodeSettings.loadSM2Key(config, create: true).publicKey
            print("region:     \(profile.region.code) (\(profile.level.label.zh) \(profile.level.rawValue))")
            print("name:       \(profile.name)")
            print(
                "suite:      \(suite?.rawValue ?? "\(CryptoSuiteID.forNewNodes.rawValue) (recorded at the first start)")"
            )
            print("key id:     \(key.publicKey.keyID)")
            print("public key: \(key.publicKey.base64)")
            print("SM2 key id: \(SigningPublicKey(sm2: sm2).keyID)")
            let keys = try PeerKeys([key.publicKey.signingKey, SigningPublicKey(sm2: sm2)])
            print("for a peer's registration (--public-key): \(keys.stored)")
            print(
                "SM2 public key (signs cascade messages and audit checkpoints under gm, receives encrypted 回流; openssl pkeyutl -verify -pubin -inkey reads it):"
            )
            print(sm2.pemRepresentation, terminator: "")
        }
    }

    struct RotateKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-key",
            abstract: "Replace the node's SM2 key; the old one keeps verifying what it signed.",
            discussion: """
                The new key signs audit checkpoints and cascade messages once the node restarts. The old key's \
                public half is archived for good (its checkpoints verify); its private half is kept until the next \
                rotation, only to open what peers encrypted to it before they registered the new key, and then \
                destroyed. Peers' operators register the printed line (huitong node update-peer, or \
                PATCH /api/v1/federation/peers/{region}); until they do, messages to them wait in the outbox.
                """)

        @OptionGroup var node: NodeOptions

        func run() async throws {
            let config = node.reader()
            guard !NodeSettings.holdsSM2KeyOutside(config) else {
                throw ValidationError(
                    """
                    HUITONG_NODE_SM2_KEY 提供的密钥须在其保管处（密码机、KMS）轮换；请生成新密钥后替换该变量，并把旧公钥放入 \
                    \(NodeSettings.dataDirectory(config))/\(NodeSM2KeyFile.retiredDirectoryName)/ \
                    (the key given by HUITONG_NODE_SM2_KEY is rotated where it is kept: set the variable to the new key \
                    and put the old public key in that directory)
                    """)
            }
            let identity = try node.loadNodeKey(config, create: true)
            _ = try NodeSettings.loadSM2Key(config, create: true)
            let rotation = try NodeSM2KeyFile.rotate(dataDirectory: NodeSettings.dataDirectory(config))
            let current = SigningPublicKey(sm2: rotation.current.publicKey)
            print("new SM2 key id:      \(current.keyID)")
            print("retired SM2 key id:  \(SigningPublicKey(sm2: rotation.retired).keyID) (public key archived)")
            if let destroyed = rotation.destroyed {
                print("destroyed SM2 key:   \(SigningPublicKey(sm2: destroyed).keyID) (retired by the rotation before)")
            }
            print(
                "for peers' registrations (--public-key): \(try PeerKeys([identity.publicKey.signingKey, current]).stored)"
            )
            print("restart the node to sign with the new key (重启节点后以新密钥签名)")
        }
    }

    struct AddPeer: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add-peer", abstract: "Register a parent or child platform with its public key.")

        @OptionGroup var node: NodeOptions
        @Option(help: "parent or child.") var relation: String
        @Option(help: "The peer's region code (GB/T 2260; 000000 for the national platform).") var region: String
        @Option(help: "The peer's display name.") var name: String
        @Option(help: "Where the peer listens, e.g. https://sjj.example.gov.cn.") var url: String
        @Option(
            help: """
                The peer's public keys, as its `huitong node show` prints them for a registration: its Ed25519 key in \
                base64 and its SM2 key (sm2:… or a PEM block), separated by a space.
                """) var publicKey: String

        func run() async throws {
            guard let relation = PeerRelation(rawValue: relation) else {
                throw ValidationError("--relation must be parent or child")
            }
            try await withStore(node) { store, config, _ in
                let local = try await storedNodeProfile(store, config).region
                do {
                    let peer = try await store.federation.addPeer(
                        PeerDraft(region: region, relation: relation, name: name, baseURL: url, publicKey: publicKey),
                        local: local, at: Date())
                    print("registered \(peer.relation.rawValue) \(peer.region.code) \(peer.name) at \(peer.baseURL)")
                } catch let error as any HuitongError {
                    throw ValidationError(error.userMessage)
                }
            }
        }
    }

    struct SetIdentity: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set-identity",
            abstract: "Change this node's stored region or name (peers must then update their registration of it).")

        @OptionGroup var node: NodeOptions
        @Option(help: "The node's new region code (GB/T 2260; 000000 for the national platform).") var region: String?
        @Option(help: "The node's new display name.") var name: String?

        func run() async throws {
            guard region != nil || name != nil else { throw ValidationError("give --region, --name or both") }
            try await withStore(node) { store, _, _ in
                let current = try await store.federation.identity()
                let parsed: NodeRegion
                do {
                    parsed = try NodeRegion(region ?? current?.region.code ?? NodeIdentity.defaultRegion)
                } catch {
                    throw ValidationError("--region: \(error.userMessage)")
                }
                let newName = (name ?? current?.name ?? NodeIdentity.defaultName).trimmingCharacters(in: .whitespaces)
                guard !newName.isEmpty else { throw ValidationError("--name must not be empty") }
                let profile = NodeProfile(region: parsed, name: newName)
                try await store.federation.setIdentity(profile, at: Date())
                let bureau = try await Bootstrap.updateBureau(store, to: profile, from: current)
                print(
                    "identity:   \(profile.region.code) (\(profile.level.label.zh) \(profile.level.rawValue)) \(profile.name)"
                )
                if let bureau { print("department: \(bureau.name) \(bureau.regionCode)") }
                print("peers that registered this node keep its key; tell their operators the new region or name.")
            }
        }
    }

    struct UpdatePeer: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "update-peer",
            abstract: "Change a registered peer's address, key or name in place; messages keep flowing meanwhile.")

        @OptionGroup var node: NodeOptions
        @Option(help: "The peer's region code.") var region: String
        @Option(help: "The peer's new display name.") var name: String?
        @Option(help: "Where the peer now listens.") var url: String?
        @Option(
            help: """
                The peer's public keys, replacing those registered: its Ed25519 key and its SM2 key (sm2:… or PEM), \
                as its `huitong node show` prints them.
                """) var publicKey: String?

        func run() async throws {
            guard name != nil || url != nil || publicKey != nil else {
                throw ValidationError("give --name, --url, --public-key or several")
            }
            try await withStore(node) { store, config, _ in
                let local = try await storedNodeProfile(store, config).region
                do {
                    let peer = try await store.federation.updatePeer(
                        try NodeRegion(region), name: name, baseURL: url, publicKey: publicKey, local: local,
                        at: Date())
                    print("updated \(peer.relation.rawValue) \(peer.region.code) \(peer.name) at \(peer.baseURL)")
                } catch let error as any HuitongError {
                    throw ValidationError(error.userMessage)
                }
            }
        }
    }

    struct ListPeers: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "peers", abstract: "List registered peers.")

        @OptionGroup var node: NodeOptions

        func run() async throws {
            try await withStore(node) { store, _, _ in
                for peer in try await store.federation.peers() {
                    print("\(peer.relation.rawValue)\t\(peer.region.code)\t\(peer.name)\t\(peer.baseURL)")
                }
            }
        }
    }

    struct RemovePeer: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "remove-peer", abstract: "Forget a peer.")

        @OptionGroup var node: NodeOptions
        @Option(help: "The peer's region code.") var region: String

        func run() async throws {
            try await withStore(node) { store, _, _ in
                let parsed: NodeRegion
                do {
                    parsed = try NodeRegion(region)
                } catch {
                    throw ValidationError(error.userMessage)
                }
                guard try await store.federation.removePeer(parsed) else {
                    throw ValidationError("no registered peer \(parsed.code)")
                }
                print("removed \(parsed.code)")
            }
        }
    }
}

/// `--node-region` and `--node-name`: the node's identity the first time it is stored.
struct IdentityOptions: ParsableArguments {
    @Option(
        help:
            "This node's region code, stored at the first start (default 341500; env HUITONG_NODE_REGION); change it later with `huitong node set-identity`."
    )
    var nodeRegion: String?

    @Option(help: "This node's name, stored at the first start (env HUITONG_NODE_NAME).")
    var nodeName: String?

    var values: [String: ConfigValue] {
        var values: [String: ConfigValue] = [:]
        if let nodeRegion { values["node.region"] = ConfigValue(.string(nodeRegion), isSecret: false) }
        if let nodeName { values["node.name"] = ConfigValue(.string(nodeName), isSecret: false) }
        return values
    }
}

/// The node's stored identity, checked against the one configured (`NodeIdentity.resolve`).
func storedNodeProfile(_ store: Store, _ config: ConfigReader) async throws -> NodeProfile {
    try await NodeIdentity.resolve(store, requested: try nodeSettings(config).identity)
}
