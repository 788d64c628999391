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

/// A seed file in the resources that cannot be read or decoded: the file and why.
public struct SeedFileError: Error, Sendable, CustomStringConvertible {
    public let file: String
    public let reason: String

    public var description: String { "\(file): \(reason)" }

    /// Reads and decodes `file` from the resources, keeping the outcome (a value or why not) for every caller.
    static func load<Value>(_ file: String, _ decode: (Data) throws -> Value) -> Result<Value, SeedFileError> {
        do {
            return .success(
                try decode(try Data(contentsOf: CatalogSeed.resourcesDirectory().appendingPathComponent(file))))
        } catch {
            return .failure(SeedFileError(file: file, reason: "\(error)"))
        }
    }
}
