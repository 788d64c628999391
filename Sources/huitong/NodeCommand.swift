import ArgumentParser
import Configuration
import Foundation
import HuitongCore
import HuitongFederation
import HuitongServer
import HuitongStore

/// `huitong node …`: this node's cascade identity, and its peers.
struct NodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node", abstract: "Show this node's cascade identity and manage its peer platforms (级联).",
        subcommands: [
            Show.self, SetIdentity.self, AddPeer.self, UpdatePeer.self, ListPeers.self, RemovePeer.self,
        ])

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the region, level and public key a peer's operator needs to register this node.")

        @OptionGroup var node: NodeOptions

        func run() async throws {
            let (profile, config) = try await withStore(node) { store, config, _ in
                (try await storedNodeProfile(store, config), config)
            }
            let key = try node.loadNodeKey(config, create: true)
            print("region:     \(profile.region.code) (\(profile.level.label.zh) \(profile.level.rawValue))")
            print("name:       \(profile.name)")
            print("key id:     \(key.publicKey.keyID)")
            print("public key: \(key.publicKey.base64)")
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
        @Option(help: "The peer's Ed25519 public key in base64 (its `huitong node show`).") var publicKey: String

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
                    parsed = try NodeRegion(region ?? current?.region.code ?? defaultNodeRegion)
                } catch {
                    throw ValidationError("--region: \(error.userMessage)")
                }
                let newName = (name ?? current?.name ?? defaultNodeName).trimmingCharacters(in: .whitespaces)
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
        @Option(help: "The peer's new Ed25519 public key in base64 (its `huitong node show`).") var publicKey: String?

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

let defaultNodeRegion = "341500"
let defaultNodeName = "数据资源管理局"

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

/// The node's region and name as stored in its database. The first time (at `huitong init` or the first start)
/// they come from `--node-region`/`--node-name`, `HUITONG_NODE_REGION`/`HUITONG_NODE_NAME` or the defaults and
/// are stored; afterwards a flag or variable that disagrees stops the command instead of silently changing what
/// the node tells its peers: `huitong node set-identity` is the one way to change them.
func storedNodeProfile(_ store: Store, _ config: ConfigReader) async throws -> NodeProfile {
    let region = config.string(forKey: "huitong.node.region")?.trimmingCharacters(in: .whitespaces)
    let name = config.string(forKey: "huitong.node.name")?.trimmingCharacters(in: .whitespaces)
    if let stored = try await store.federation.identity() {
        if let region, region != stored.region.code {
            throw ValidationError(
                "本节点已登记区划 \(stored.region.code)，与 HUITONG_NODE_REGION/--node-region 的 \(region) 不符；如确需变更请用 huitong node set-identity --region \(region) (this node's stored region is \(stored.region.code), not \(region); change it with `huitong node set-identity --region \(region)`)"
            )
        }
        if let name, !name.isEmpty, name != stored.name {
            throw ValidationError(
                "本节点已登记名称“\(stored.name)”，与 HUITONG_NODE_NAME/--node-name 的“\(name)”不符；如确需变更请用 huitong node set-identity --name (this node's stored name is \"\(stored.name)\"; change it with `huitong node set-identity --name`)"
            )
        }
        return stored
    }
    let profile: NodeProfile
    do {
        profile = NodeProfile(
            region: try NodeRegion(region ?? defaultNodeRegion),
            name: (name?.isEmpty ?? true) ? defaultNodeName : name!)
    } catch {
        throw ValidationError("HUITONG_NODE_REGION: \(error.userMessage)")
    }
    try await store.federation.setIdentity(profile, at: Date())
    return profile
}

/// Cascade timing: `HUITONG_FEDERATION_*` over the defaults of `FederationSettings`.
func federationSettings(_ config: ConfigReader, profile: NodeProfile) throws -> FederationSettings {
    var settings = FederationSettings(profile: profile)
    settings.clockTolerance = TimeInterval(
        config.int(forKey: "huitong.federation.clock.tolerance", default: Int(settings.clockTolerance)))
    settings.syncInterval = TimeInterval(
        config.int(forKey: "huitong.federation.sync.seconds", default: Int(settings.syncInterval)))
    settings.pollInterval = TimeInterval(
        config.int(forKey: "huitong.federation.poll.seconds", default: Int(settings.pollInterval)))
    settings.maximumAttempts = config.int(
        forKey: "huitong.federation.maximum.attempts", default: settings.maximumAttempts)
    settings.retry.maximumDelay = TimeInterval(
        config.int(forKey: "huitong.federation.retry.maximum.seconds", default: Int(settings.retry.maximumDelay)))
    guard (10...86_400).contains(settings.clockTolerance), settings.syncInterval >= 0, settings.pollInterval >= 1,
        settings.maximumAttempts >= 1, settings.retry.maximumDelay >= 1
    else {
        throw ValidationError(
            "HUITONG_FEDERATION_CLOCK_TOLERANCE must be 10–86400 s, _SYNC_SECONDS ≥ 0, _POLL_SECONDS ≥ 1, _MAXIMUM_ATTEMPTS ≥ 1, _RETRY_MAXIMUM_SECONDS ≥ 1"
        )
    }
    return settings
}
