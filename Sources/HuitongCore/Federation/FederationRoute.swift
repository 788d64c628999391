/// Where a message goes next on its way through the tree. A node knows only its parent and its children, so a
/// message for a node further away climbs to the parent unless one of the children's jurisdictions contains
/// the destination, in which case it descends there.
public struct FederationRoute: Sendable, Hashable {
    public var local: NodeRegion
    public var parent: NodeRegion?
    public var children: [NodeRegion]

    public init(local: NodeRegion, parent: NodeRegion?, children: [NodeRegion]) {
        self.local = local
        self.parent = parent
        self.children = children
    }

    /// The peer to hand a message for `destination` to, or nil when it has arrived.
    public func nextHop(to destination: NodeRegion) throws(FederationError) -> NodeRegion? {
        if destination == local { return nil }
        // The most specific child first: a province with both a city and one of its counties as children sends
        // the county's messages straight to the county.
        if let child = children.filter({ $0.contains(destination) }).max(by: { $0.level < $1.level }) {
            return child
        }
        if !local.contains(destination), let parent { return parent }
        throw .unknownNode(destination.code)
    }
}
