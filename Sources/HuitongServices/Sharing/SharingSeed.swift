import Foundation
import HuitongCore
import HuitongStore

/// The official holiday arrangements shipped with the node (`Resources/seed/holidays.json`).
package enum SharingSeed {
    package struct HolidayFile: Decodable {
        var years: [HolidayYear]
    }

    package static func holidayYears() throws -> [HolidayYear] {
        let url = SeedFile.url("seed/holidays.json")
        let file = try JSONDecoder().decode(HolidayFile.self, from: Data(contentsOf: url))
        return try file.years.map { year throws(ValidationError) in try year.validated() }
    }

    /// Adds the years not yet on record; a year the operator has edited is left alone.
    package static func apply(to store: Store) async throws {
        try await store.holidays.saveMissing(try holidayYears())
    }
}
