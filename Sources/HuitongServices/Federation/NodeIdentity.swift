import Foundation
import HuitongCore
import HuitongStore

/// The node's region and name as stored in its database. The first time (at `huitong init` or the first start)
/// they come from `--node-region`/`--node-name`, `HUITONG_NODE_REGION`/`HUITONG_NODE_NAME` or the defaults and are
/// stored; afterwards a flag or variable that disagrees stops the command instead of silently changing what the node
/// tells its peers: `huitong node set-identity` is the one way to change them.
public enum NodeIdentity {
    /// What a fresh node calls itself when nothing is given: the demo city's bureau. The one place these defaults
    /// are spelled.
    public static let defaultRegion = "341500"
    public static let defaultName = "数据资源管理局"
    public static let defaultProfile = NodeProfile(region: .region(try! RegionCode(defaultRegion)), name: defaultName)

    /// The region and name given in the configuration, if any.
    public struct Requested: Sendable, Hashable {
        public var region: String?
        public var name: String?

        public init(region: String? = nil, name: String? = nil) {
            self.region = region
            self.name = name
        }
    }

    /// The stored identity, checked against `requested`; stored from `requested` (or the defaults) when none is.
    public static func resolve(_ store: Store, requested: Requested) async throws -> NodeProfile {
        let region = requested.region
        let name = requested.name
        if let stored = try await store.federation.identity() {
            if let region, region != stored.region.code {
                throw ValidationError(
                    field: "HUITONG_NODE_REGION",
                    BilingualText(
                        zh:
                            "本节点已登记区划 \(stored.region.code)，与 HUITONG_NODE_REGION/--node-region 的 \(region) 不符；如确需变更请用 huitong node set-identity --region \(region)",
                        en:
                            "this node's stored region is \(stored.region.code), not \(region); change it with `huitong node set-identity --region \(region)`"
                    ))
            }
            if let name, !name.isEmpty, name != stored.name {
                throw ValidationError(
                    field: "HUITONG_NODE_NAME",
                    BilingualText(
                        zh:
                            "本节点已登记名称“\(stored.name)”，与 HUITONG_NODE_NAME/--node-name 的“\(name)”不符；如确需变更请用 huitong node set-identity --name",
                        en:
                            "this node's stored name is \"\(stored.name)\", not \"\(name)\"; change it with `huitong node set-identity --name`"
                    ))
            }
            return stored
        }
        let profile: NodeProfile
        do {
            profile = NodeProfile(
                region: try NodeRegion(region ?? defaultRegion), name: (name?.isEmpty ?? true) ? defaultName : name!)
        } catch {
            throw ValidationError(field: "HUITONG_NODE_REGION", error.message)
        }
        try await store.federation.setIdentity(profile, at: Date())
        return profile
    }
}
