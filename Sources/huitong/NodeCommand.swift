import ArgumentParser
import Configuration
import Foundation
import HuitongCore
import HuitongFederation
import HuitongStore

/// `huitong node …`: this node's cascade identity, and its peers.
struct NodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node", abstract: "Show this node's cascade identity and manage its peer platforms (级联).",
        subcommands: [Show.self, AddPeer.self, ListPeers.self, RemovePeer.self])

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the region, level and public key a peer's operator needs to register this node.")

        @OptionGroup var node: NodeOptions

        func run() async throws {
            let config = node.reader()
            let profile = try nodeProfile(config)
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
                let local = try nodeProfile(config).region
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

/// The node's region and name: `HUITONG_NODE_REGION` (default 341500, the demo city) and `HUITONG_NODE_NAME`.
func nodeProfile(_ config: ConfigReader) throws -> NodeProfile {
    let text = config.string(forKey: "huitong.node.region", default: "341500")
    do {
        return NodeProfile(
            region: try NodeRegion(text), name: config.string(forKey: "huitong.node.name", default: "数据资源管理局"))
    } catch {
        throw ValidationError("HUITONG_NODE_REGION: \(error.userMessage)")
    }
}

/// Cascade timing: `HUITONG_FEDERATION_*` over the defaults of `FederationSettings`.
func federationSettings(_ config: ConfigReader) throws -> FederationSettings {
    var settings = FederationSettings(profile: try nodeProfile(config))
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
