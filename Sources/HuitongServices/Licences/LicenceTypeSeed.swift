import Foundation
import HuitongCore

extension LicenceType {
    /// The demo licence types in `Resources/seed/licence-types.json`, each validated: data rather than code, because
    /// their type codes and 照面 fields must be confirmed against the national 证照目录 by each bureau.
    public static func seeded() throws -> [LicenceType] {
        try seed.get()
    }

    private struct File: Decodable {
        var types: [LicenceType]
    }

    private static let seed: Result<[LicenceType], SeedFileError> = SeedFileError.load("seed/licence-types.json") {
        data in
        let types = try JSONDecoder().decode(File.self, from: data).types
        return try types.map { type throws(ValidationError) in try type.validated() }
    }
}
