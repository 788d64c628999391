import Foundation

/// The days and months statistics, rollups, partitions and archives are counted in: China Standard Time (UTC+8, no
/// daylight saving), so that a day and a month are the same on every node whatever its system time zone.
public enum AuditCalendar {
    public static let utcOffsetSeconds: Int64 = 8 * 3600
    static let offsetMicroseconds = utcOffsetSeconds * 1_000_000
    static let dayMicroseconds: Int64 = 86_400 * 1_000_000

    /// The local day an instant falls on, counted from 1970-01-01.
    public static func day(microseconds: Int64) -> Int64 {
        floorDivide(microseconds + offsetMicroseconds, dayMicroseconds)
    }

    public static func day(_ date: Date) -> Int64 { day(microseconds: AuditEvent.microseconds(date)) }

    /// The first instant of a local day, in microseconds since 1970.
    public static func startOfDay(_ day: Int64) -> Int64 { day * dayMicroseconds - offsetMicroseconds }

    /// The start of the window of the last `days` local days, today among them: what "the last 30 days" counts when
    /// statistics count whole days (a start in the middle of a day would count that whole day, one too many).
    public static func windowStart(days: Int, endingAt now: Date) -> Date {
        let first = day(now) - Int64(max(1, days) - 1)
        return Date(timeIntervalSince1970: Double(startOfDay(first)) / 1_000_000)
    }

    /// `2025-03-01` for a local day number.
    public static func dayName(_ day: Int64) -> String {
        let (year, month, dayOfMonth) = civil(day)
        return String(format: "%04d-%02d-%02d", year, month, dayOfMonth)
    }

    /// The local month an instant falls on.
    public static func month(microseconds: Int64) -> AuditMonth {
        let (year, month, _) = civil(day(microseconds: microseconds))
        return AuditMonth(year: year, month: month)
    }

    static func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
        let quotient = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? quotient - 1 : quotient
    }

    /// Year, month and day of a day number.
    static func civil(_ days: Int64) -> (Int, Int, Int) {
        CalendarDate.civil(fromDaysSince1970: Int(days))
    }

    /// The day number of the first of a month.
    static func firstDay(year: Int, month: Int) -> Int64 {
        Int64(CalendarDate(year: year, month: month, day: 1)?.dayNumber ?? 0)
    }
}

/// A month of the audit calendar (UTC+8): what a partition and an archive file hold.
public struct AuditMonth: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let year: Int
    public let month: Int

    public init(year: Int, month: Int) {
        self.year = year
        self.month = month
    }

    /// Parses `YYYY-MM`.
    public init?(_ text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 4, parts[1].count == 2, let year = Int(parts[0]),
            let month = Int(parts[1]), (1...12).contains(month), year >= 1970
        else { return nil }
        self.init(year: year, month: month)
    }

    public var description: String { String(format: "%04d-%02d", year, month) }

    /// `202503`: a partition's suffix.
    public var compact: String { String(format: "%04d%02d", year, month) }

    public var next: AuditMonth {
        month == 12 ? AuditMonth(year: year + 1, month: 1) : AuditMonth(year: year, month: month + 1)
    }

    public var previous: AuditMonth {
        month == 1 ? AuditMonth(year: year - 1, month: 12) : AuditMonth(year: year, month: month - 1)
    }

    /// The first instant of the month, in microseconds since 1970.
    public var startMicroseconds: Int64 {
        AuditCalendar.startOfDay(AuditCalendar.firstDay(year: year, month: month))
    }

    /// The first instant after the month.
    public var endMicroseconds: Int64 { next.startMicroseconds }

    /// The month `count` months before this one.
    public func minus(months count: Int) -> AuditMonth {
        let index = year * 12 + (month - 1) - count
        return AuditMonth(year: index / 12, month: index % 12 + 1)
    }

    public static func < (lhs: AuditMonth, rhs: AuditMonth) -> Bool {
        (lhs.year, lhs.month) < (rhs.year, rhs.month)
    }
}
