import Foundation

/// A day in the proleptic Gregorian calendar, with no time of day and no time zone.
///
/// Birth dates in 公民身份号码 and similar fields are calendar days, not instants: converting them through `Date`
/// would make their meaning depend on the time zone of whoever reads them.
public struct CalendarDate: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    /// The years this type can hold; limited so that every date has a four-digit year in its text forms.
    public static let supportedYears = 1...9999

    /// China Standard Time (UTC+8), the zone in which "today" is decided for Chinese identifiers.
    public static let chinaTimeZone: TimeZone =
        TimeZone(identifier: "Asia/Shanghai") ?? TimeZone(secondsFromGMT: 8 * 3600) ?? TimeZone.current

    /// Creates a date, or returns `nil` if no such day exists (e.g. 2 月 30 日, or 2 月 29 日 in a common year).
    public init?(year: Int, month: Int, day: Int) {
        guard Self.supportedYears.contains(year),
            let days = Self.numberOfDays(inMonth: month, year: year),
            (1...days).contains(day)
        else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses the eight-digit `YYYYMMDD` form used inside identifiers, e.g. `19491231`.
    public init?(compact text: String) {
        guard
            let number = IdentifierText.withBytes(
                text,
                { bytes in
                    bytes.count == 8 ? IdentifierText.number(bytes, from: 0, count: 8) : nil
                })
        else { return nil }
        self.init(year: number / 10_000, month: number / 100 % 100, day: number % 100)
    }

    /// Parses the ISO 8601 form `YYYY-MM-DD`, e.g. `1949-12-31`.
    public init?(iso text: String) {
        guard
            let (year, month, day) = IdentifierText.withBytes(
                text,
                { bytes -> (Int, Int, Int)? in
                    guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
                        let year = IdentifierText.number(bytes, from: 0, count: 4),
                        let month = IdentifierText.number(bytes, from: 5, count: 2),
                        let day = IdentifierText.number(bytes, from: 8, count: 2)
                    else { return nil }
                    return (year, month, day)
                })
        else { return nil }
        self.init(year: year, month: month, day: day)
    }

    /// The calendar day on which `date` falls in `timeZone`.
    public init(_ date: Date, in timeZone: TimeZone = CalendarDate.chinaTimeZone) {
        // China has kept UTC+8 without daylight saving since 1992: the day is plain arithmetic, which matters where
        // it is asked on every call (grant validity in the gateway). Earlier dates go through the calendar.
        if timeZone == CalendarDate.chinaTimeZone, date.timeIntervalSince1970 >= 694_224_000 {
            let days = Int((date.timeIntervalSince1970 + 8 * 3600) / 86_400)
            (self.year, self.month, self.day) = Self.civil(fromDaysSince1970: days)
            return
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let components = calendar.dateComponents([.year, .month, .day], from: date)
        // Foundation always fills the requested components; the fallbacks only keep this initialiser non-failable.
        self.year = components.year ?? 1970
        self.month = components.month ?? 1
        self.day = components.day ?? 1
    }

    /// The proleptic Gregorian date `days` days after 1970-01-01 (H. Hinnant's civil_from_days).
    static func civil(fromDaysSince1970 days: Int) -> (Int, Int, Int) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// Today's date in `timeZone` (China Standard Time unless told otherwise).
    public static func today(in timeZone: TimeZone = CalendarDate.chinaTimeZone) -> CalendarDate {
        CalendarDate(Date(), in: timeZone)
    }

    /// Whether `year` has a 29 February: every fourth year, except centuries not divisible by 400.
    public static func isLeapYear(_ year: Int) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    /// The number of days in `month` of `year`, or `nil` if `month` is not 1...12.
    public static func numberOfDays(inMonth month: Int, year: Int) -> Int? {
        switch month {
        case 1, 3, 5, 7, 8, 10, 12: 31
        case 4, 6, 9, 11: 30
        case 2: isLeapYear(year) ? 29 : 28
        default: nil
        }
    }

    /// The eight-digit `YYYYMMDD` form, e.g. `19491231`.
    public var compactText: String {
        Self.padded(year, width: 4) + Self.padded(month, width: 2) + Self.padded(day, width: 2)
    }

    /// The ISO 8601 form `YYYY-MM-DD`, e.g. `1949-12-31`.
    public var description: String {
        "\(Self.padded(year, width: 4))-\(Self.padded(month, width: 2))-\(Self.padded(day, width: 2))"
    }

    public static func < (lhs: CalendarDate, rhs: CalendarDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let date = CalendarDate(iso: text) else {
            throw DecodingError.dataCorruptedError(
                in: container,
                debugDescription: "日期应为 YYYY-MM-DD 格式的有效日期 (expected a real date as YYYY-MM-DD): \(text)"
            )
        }
        self = date
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    private static func padded(_ number: Int, width: Int) -> String {
        let digits = String(number)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
