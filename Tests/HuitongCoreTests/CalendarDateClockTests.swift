import Foundation
import HuitongCore
import Testing

@Suite("Calendar days in China Standard Time")
struct CalendarDateClockTests {
    @Test("the day of an instant agrees with Foundation's calendar, midnight either side included")
    func agreesWithCalendar() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = CalendarDate.chinaTimeZone
        var generator = SystemRandomNumberGenerator()
        var instants: [TimeInterval] = (0..<5_000).map { _ in
            Double.random(in: 694_224_000...4_102_444_800, using: &generator)
        }
        // Around local midnight (16:00 UTC) and the turn of leap years.
        for day in [0, 59, 60, 365, 366, 1_154, 11_016] {
            let midnight = 694_224_000 + Double(day) * 86_400 - 8 * 3600
            instants += [midnight - 1, midnight, midnight + 1]
        }
        for instant in instants {
            let date = Date(timeIntervalSince1970: instant)
            let parts = calendar.dateComponents([.year, .month, .day], from: date)
            #expect(
                CalendarDate(date) == CalendarDate(year: parts.year!, month: parts.month!, day: parts.day!),
                "\(date)")
        }
    }
}
