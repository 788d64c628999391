/// Where a node sits in the cascade (级联): the national platform, a province, a city (地级) or a county.
public enum NodeLevel: String, LabeledValue, Comparable {
    case national
    case province
    case city
    case county

    public var label: BilingualText {
        switch self {
        case .national: BilingualText(zh: "国家级", en: "national")
        case .province: BilingualText(zh: "省级", en: "province")
        case .city: BilingualText(zh: "市级", en: "city")
        case .county: BilingualText(zh: "县级", en: "county")
        }
    }

    /// Higher levels compare smaller: `.national < .province`.
    public static func < (lhs: NodeLevel, rhs: NodeLevel) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// The jurisdiction a node serves: the whole country, or one GB/T 2260 region whose tier gives the level.
///
/// The national platform has no region code of its own in GB/T 2260; it is written `000000`, which no real code
/// can be (province parts start at 11).
public enum NodeRegion: Sendable, Hashable, Codable, CustomStringConvertible {
    case national
    case region(RegionCode)

    public static let nationalCode = "000000"

    public init(_ text: String) throws(FederationError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed == Self.nationalCode {
            self = .national
            return
        }
        do {
            self = .region(try RegionCode(trimmed))
        } catch {
            throw .badRegion(trimmed, error.message)
        }
    }

    public var code: String {
        switch self {
        case .national: Self.nationalCode
        case .region(let region): region.text
        }
    }

    public var description: String { code }

    public var level: NodeLevel {
        switch self {
        case .national: .national
        case .region(let region):
            switch region.level {
            case .province: .province
            case .prefecture: .city
            case .county: .county
            }
        }
    }

    /// Whether `other` lies within this jurisdiction (a region contains itself; the nation contains everything).
    public func contains(_ other: NodeRegion) -> Bool {
        switch (self, other) {
        case (.national, _): true
        case (.region, .national): false
        case (.region(let mine), .region(let theirs)): mine.contains(theirs)
        }
    }

    /// The prefix every region code inside this jurisdiction starts with ("" for the nation): what 回流 filters
    /// a locality's records by.
    public var codePrefix: String {
        switch self {
        case .national: ""
        case .region(let region): RowFilter.regionPrefix(for: region)
        }
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do {
            self = try NodeRegion(text)
        } catch {
            throw DecodingError.dataCorrupted(
                DecodingError.Context(codingPath: decoder.codingPath, debugDescription: error.message.en))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(code)
    }
}

/// How a peer relates to this node.
public enum PeerRelation: String, LabeledValue {
    /// The platform one level up, to which this node reports its catalog (上级平台).
    case parent
    /// A platform below, which reports to this node (下级平台).
    case child

    public var label: BilingualText {
        switch self {
        case .parent: BilingualText(zh: "上级平台", en: "parent platform")
        case .child: BilingualText(zh: "下级平台", en: "child platform")
        }
    }

    /// Checks that `peer` can be this relation of `local`: a parent's jurisdiction contains the local one and
    /// sits at a higher level; a child's the other way round. Levels may be skipped (a county may report straight
    /// to its province), because some provinces run no city platform.
    public static func check(_ relation: PeerRelation, local: NodeRegion, peer: NodeRegion) throws(FederationError) {
        let (upper, lower) = relation == .parent ? (peer, local) : (local, peer)
        guard upper.level < lower.level, upper.contains(lower) else {
            throw .relationMismatch(relation: relation, local: local, peer: peer)
        }
    }
}

/// Who this node is in the cascade: its jurisdiction and display name. Its signing key is the node key
/// (`NodeIdentityKey`), the same one that signs audit checkpoints, so a peer that trusts a node's messages can
/// also check its audit log.
public struct NodeProfile: Sendable, Hashable, Codable {
    public var region: NodeRegion
    public var name: String

    public init(region: NodeRegion, name: String) {
        self.region = region
        self.name = name
    }

    public var level: NodeLevel { region.level }
}
