import Foundation

/// One year's official holiday arrangement (国务院办公厅关于 YYYY 年部分节假日安排的通知): the days off, and the
/// weekend days that are worked instead (调休上班).
public struct HolidayYear: Sendable, Hashable, Codable {
    public var year: Int
    /// The notice the dates come from, e.g. 国办发明电〔2024〕12号.
    public var source: String
    public var holidays: [HolidayPeriod]
    /// Saturdays and Sundays that are working days (调休上班).
    public var workdays: [CalendarDate]

    public init(year: Int, source: String, holidays: [HolidayPeriod], workdays: [CalendarDate]) {
        self.year = year
        self.source = source
        self.holidays = holidays
        self.workdays = workdays
    }

    /// Checks the arrangement and returns it in canonical order (periods and make-up days sorted by date).
    public func validated() throws(ValidationError) -> HolidayYear {
        var issues = ValidationCollector()
        var result = self
        result.source = source.trimmingCharacters(in: .whitespacesAndNewlines)
        if !(2000...2100).contains(year) {
            issues.add("year", BilingualText(zh: "年份须在 2000–2100 之间", en: "year must be between 2000 and 2100"))
        }
        // A period may start in the last days of the previous year (元旦 has done so), nothing further away.
        let earliest = CalendarDate(year: year - 1, month: 12, day: 1)
        let latest = CalendarDate(year: year, month: 12, day: 31)
        func inRange(_ day: CalendarDate) -> Bool {
            guard let earliest, let latest else { return false }
            return day >= earliest && day <= latest
        }
        var offDays = Set<CalendarDate>()
        for (index, period) in holidays.enumerated() {
            let field = "holidays[\(index)]"
            if period.name.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                issues.add("\(field).name", BilingualText(zh: "须写明节日名称", en: "name the holiday"))
            }
            if period.to < period.from {
                issues.add("\(field).to", BilingualText(zh: "结束日期早于开始日期", en: "the period ends before it starts"))
                continue
            }
            if !inRange(period.from) || !inRange(period.to) {
                issues.add(
                    field,
                    BilingualText(
                        zh: "放假日期须在 \(year) 年内（元旦可始于上年 12 月）",
                        en: "the days off must fall in \(year) (元旦 may start in the previous December)"))
                continue
            }
            let days = period.days
            if days.count > 15 {
                issues.add(
                    field, BilingualText(zh: "一次放假不能超过 15 天", en: "a holiday period cannot exceed 15 days"))
                continue
            }
            for day in days where !offDays.insert(day).inserted {
                issues.add(field, BilingualText(zh: "\(day) 重复列出", en: "\(day) is listed twice"))
            }
        }
        for (index, day) in workdays.enumerated() {
            let field = "workdays[\(index)]"
            if !inRange(day) {
                issues.add(field, BilingualText(zh: "调休上班日须在 \(year) 年内", en: "make-up workdays must fall in \(year)"))
            } else if !day.isWeekend {
                issues.add(
                    field,
                    BilingualText(
                        zh: "\(day) 本就是工作日，调休上班日应为周六或周日",
                        en: "\(day) is a weekday already; a make-up workday is a Saturday or Sunday"))
            } else if offDays.contains(day) {
                issues.add(
                    field, BilingualText(zh: "\(day) 既是放假日又是上班日", en: "\(day) is both a day off and a workday"))
            }
        }
        if Set(workdays).count != workdays.count {
            issues.add("workdays", BilingualText(zh: "调休上班日有重复", en: "a make-up workday is listed twice"))
        }
        try issues.throwIfAny()
        result.holidays.sort { $0.from < $1.from }
        result.workdays.sort()
        return result
    }
}

/// A run of consecutive days off, e.g. 春节 2026-02-15 … 2026-02-23.
public struct HolidayPeriod: Sendable, Hashable, Codable {
    public var name: String
    public var from: CalendarDate
    public var to: CalendarDate

    public init(name: String, from: CalendarDate, to: CalendarDate) {
        self.name = name
        self.from = from
        self.to = to
    }

    /// Every day of the period, in order; empty when `to` is before `from`.
    public var days: [CalendarDate] {
        guard from <= to else { return [] }
        return (0...(to.dayNumber - from.dayNumber)).map { from.addingDays($0) }
    }
}

/// Working days in mainland China: Monday to Friday, except statutory holidays, plus the weekend days that are
/// worked in exchange (调休). Time limits of the sharing workflow (51号: "10 个工作日") count these days.
///
/// Years without a published arrangement count Monday to Friday only; `coveredYears` says which years are known.
public struct WorkingDayCalendar: Sendable, Hashable {
    private let offDays: Set<CalendarDate>
    private let workedWeekendDays: Set<CalendarDate>
    public let coveredYears: Set<Int>

    public init(years: [HolidayYear]) {
        var offDays = Set<CalendarDate>()
        var worked = Set<CalendarDate>()
        for year in years {
            for period in year.holidays { offDays.formUnion(period.days) }
            worked.formUnion(year.workdays)
        }
        self.offDays = offDays
        self.workedWeekendDays = worked.subtracting(offDays)
        self.coveredYears = Set(years.map(\.year))
    }

    public func isWorkingDay(_ day: CalendarDate) -> Bool {
        if offDays.contains(day) { return false }
        if workedWeekendDays.contains(day) { return true }
        return !day.isWeekend
    }

    /// The `count`-th working day after `day` (`day` itself is not counted, as a time limit starts the day after
    /// the act that starts it); `day` itself when `count` is zero or less.
    public func addingWorkingDays(_ count: Int, to day: CalendarDate) -> CalendarDate {
        var current = day
        var remaining = count
        while remaining > 0 {
            current = current.addingDays(1)
            if isWorkingDay(current) { remaining -= 1 }
        }
        return current
    }

    /// How many working days fall after `start` up to and including `end`; negative when `end` is before `start`.
    public func workingDays(from start: CalendarDate, to end: CalendarDate) -> Int {
        if end < start { return -workingDays(from: end, to: start) }
        var count = 0
        var current = start
        while current < end {
            current = current.addingDays(1)
            if isWorkingDay(current) { count += 1 }
        }
        return count
    }

    /// The instant a time limit of `count` working days, started at `start`, runs out: the end (midnight, China
    /// Standard Time) of the last working day.
    public func deadline(addingWorkingDays count: Int, to start: Date) -> Date {
        let last = addingWorkingDays(count, to: CalendarDate(start))
        return last.addingDays(1).startOfDay()
    }
}

extension CalendarDate {
    /// Days since 1970-01-01 (negative before it), by the proleptic Gregorian calendar.
    public var dayNumber: Int {
        // Howard Hinnant's days_from_civil.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The date `count` days later (earlier when negative).
    public func addingDays(_ count: Int) -> CalendarDate {
        // Howard Hinnant's civil_from_days.
        let z = dayNumber + count + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthPart = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthPart + 2) / 5 + 1
        let month = monthPart < 10 ? monthPart + 3 : monthPart - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return CalendarDate(year: year, month: month, day: day) ?? self
    }

    /// ISO weekday: 1 for Monday … 7 for Sunday.
    public var weekday: Int {
        // 1970-01-01 was a Thursday.
        let offset = (dayNumber + 3) % 7
        return (offset < 0 ? offset + 7 : offset) + 1
    }

    public var isWeekend: Bool { weekday >= 6 }

    /// Midnight at the start of this day in `timeZone` (China Standard Time unless told otherwise).
    public func startOfDay(in timeZone: TimeZone = CalendarDate.chinaTimeZone) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        return calendar.date(from: DateComponents(year: year, month: month, day: day))
            ?? Date(timeIntervalSince1970: TimeInterval(dayNumber) * 86_400)
    }
}
