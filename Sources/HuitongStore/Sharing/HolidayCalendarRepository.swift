import Foundation
import HuitongCore
import SQLKit

/// The official holiday arrangements, one per year, that working-day time limits count on. Kept in the database
/// so that the operator adds each year's arrangement when the State Council publishes it.
public protocol HolidayCalendarRepository: Sendable {
    /// Every year on record, in order.
    func years() async throws -> [HolidayYear]
    func year(_ year: Int) async throws -> HolidayYear?
    /// Creates or replaces one year's arrangement after checking it; returns whether it was new.
    @discardableResult
    func save(_ year: HolidayYear) async throws -> Bool
    /// Creates the years not on record and leaves the others alone (seed data must not undo an operator's edits).
    @discardableResult
    func saveMissing(_ years: [HolidayYear]) async throws -> Int
}

extension HolidayCalendarRepository {
    /// The calendar made of every year on record.
    public func calendar() async throws -> WorkingDayCalendar {
        WorkingDayCalendar(years: try await years())
    }
}

struct SQLHolidayCalendarRepository: HolidayCalendarRepository {
    let provider: any DatabaseProvider

    func years() async throws -> [HolidayYear] {
        try await provider.read { sql in
            try await sql.raw("SELECT content FROM holiday_years ORDER BY year").all().map(Self.decode)
        }
    }

    func year(_ year: Int) async throws -> HolidayYear? {
        try await provider.read { sql in
            try await sql.raw("SELECT content FROM holiday_years WHERE year = \(bind: year)").first().map(Self.decode)
        }
    }

    func save(_ year: HolidayYear) async throws -> Bool {
        let year = try year.validated()
        return try await provider.transaction { sql in
            let existed =
                try await sql.raw("SELECT year FROM holiday_years WHERE year = \(bind: year.year)").first() != nil
            try await sql.raw(
                """
                INSERT INTO holiday_years (year, content, updated_at)
                VALUES (\(bind: year.year), \(bind: try SQLSharingApplicationRepository.json(year)), \(bind: Date()))
                ON CONFLICT (year) DO UPDATE SET content = excluded.content, updated_at = excluded.updated_at
                """
            ).run()
            return !existed
        }
    }

    func saveMissing(_ years: [HolidayYear]) async throws -> Int {
        let years = try years.map { year throws(ValidationError) in try year.validated() }
        return try await provider.transaction { sql in
            var created = 0
            for year in years {
                let row = try await sql.raw(
                    """
                    INSERT INTO holiday_years (year, content, updated_at)
                    VALUES (\(bind: year.year), \(bind: try SQLSharingApplicationRepository.json(year)), \(bind: Date()))
                    ON CONFLICT (year) DO NOTHING
                    RETURNING year
                    """
                ).first()
                if row != nil { created += 1 }
            }
            return created
        }
    }

    static func decode(_ row: any SQLRow) throws -> HolidayYear {
        try JSONDecoder().decode(HolidayYear.self, from: Data(try row.decode(column: "content", as: String.self).utf8))
    }
}
