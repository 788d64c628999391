import Foundation
import HuitongCore

extension MaskingPolicy {
    /// The node's masking policy from `Resources/seed/masking.json`: Hutool's rules unless the bureau edited the
    /// file, which is data rather than code because §4.3's defaults are a common practice, not a standard.
    public static func seeded() throws -> MaskingPolicy {
        let url = CatalogSeed.resourcesDirectory().appendingPathComponent("seed/masking.json")
        return try decode(seed: try Data(contentsOf: url))
    }
}
