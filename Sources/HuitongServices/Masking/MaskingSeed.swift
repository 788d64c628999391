import Foundation
import HuitongCore

extension MaskingPolicy {
    /// The node's masking policy from `Resources/seed/masking.json`: Hutool's rules unless the bureau edited the
    /// file, which is data rather than code because §4.3's defaults are a common practice, not a standard.
    public static func seeded() throws -> MaskingPolicy {
        try seed.get()
    }

    /// Read once: the file ships inside the binary's resources and does not change while the node runs, and
    /// several services and requests ask for it.
    private static let seed: Result<MaskingPolicy, SeedFileError> = SeedFileError.load("seed/masking.json") {
        try decode(seed: $0)
    }
}
