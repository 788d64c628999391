import Foundation

/// A standard five-field cron expression (minute, hour, day of month, month, day of week), each field `*`, a
/// number, a range `a-b`, a list `a,b`, or a step `*/n` / `a-b/n` / `a/n`. Day of week is 0–7 (0 and 7 Sunday).
/// As in cron, when both day fields are restricted a day matches when either does.
///
/// It is evaluated in a given time zone: the node's, China Standard Time, for collection schedules.
public struct CronExpression: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The expression as written, spaces collapsed.
    public let text: String
    let minutes: Set<Int>
    let hours: Set<Int>
    let days: Set<Int>
    let months: Set<Int>
    /// 0–6, Sunday 0.
    let weekdays: Set<Int>
    let daysRestricted: Bool
    let weekdaysRestricted: Bool

    /// The five fields: their names (Chinese, English) and ranges.
    static let fields: [(zh: String, en: String, range: ClosedRange<Int>)] = [
        ("分钟", "minute", 0...59), ("小时", "hour", 0...23), ("日", "day of month", 1...31),
        ("月", "month", 1...12), ("星期", "day of week", 0...7),
    ]

    /// Parses `text`; a bad expression is a `ValidationError` on `field` naming the bad part in both languages,
    /// e.g. “第 2 段（小时）取值 25 超出 0–23”.
    public init(_ text: String, field: String = "cron") throws(ValidationError) {
        let parts = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard parts.count == 5 else {
            throw ValidationError(
                field: field,
                BilingualText(
                    zh: "cron 表达式须为 5 段（分 时 日 月 周），实为 \(parts.count) 段",
                    en: "a cron expression has 5 fields (minute hour day month weekday), not \(parts.count)"))
        }
        var sets: [Set<Int>] = []
        for (index, part) in parts.enumerated() {
            sets.append(try Self.parse(part, index: index, field: field))
        }
        self.text = parts.joined(separator: " ")
        minutes = sets[0]
        hours = sets[1]
        days = sets[2]
        months = sets[3]
        weekdays = Set(sets[4].map { $0 % 7 })
        daysRestricted = parts[2] != "*" && !parts[2].hasPrefix("*/")
        weekdaysRestricted = parts[4] != "*" && !parts[4].hasPrefix("*/")
        // A day that never comes (30 February) would never run.
        if !daysRestricted || weekdaysRestricted { return }
        let longest = months.map { CalendarDate.numberOfDays(inMonth: $0, year: 2000) ?? 31 }.max() ?? 31
        if (days.min() ?? 1) > longest {
            throw ValidationError(
                field: field,
                BilingualText(
                    zh: "第 3 段（日）与第 4 段（月）组合后永远不会到达", en: "fields 3 (day of month) and 4 (month) never meet"))
        }
    }

    public var description: String { text }

    static func parse(_ part: String, index: Int, field: String) throws(ValidationError) -> Set<Int> {
        let (zh, en, range) = fields[index]
        let position = index + 1
        func bad(_ zhReason: String, _ enReason: String) -> ValidationError {
            ValidationError(
                field: field,
                BilingualText(
                    zh: "第 \(position) 段（\(zh)）\(zhReason)", en: "field \(position) (\(en)) \(enReason)"))
        }
        func number(_ text: Substring) throws(ValidationError) -> Int {
            guard !text.isEmpty, text.count <= 4, text.allSatisfy(\.isASCII), let value = Int(text), value >= 0 else {
                throw bad("“\(text.prefix(20))”不是数字", "“\(text.prefix(20))” is not a number")
            }
            guard range.contains(value) else {
                throw bad(
                    "取值 \(value) 超出 \(range.lowerBound)–\(range.upperBound)",
                    "value \(value) is outside \(range.lowerBound)–\(range.upperBound)")
            }
            return value
        }
        var values = Set<Int>()
        for item in part.split(separator: ",", omittingEmptySubsequences: false) {
            guard !item.isEmpty else { throw bad("列表中有空项", "has an empty list item") }
            let pieces = item.split(separator: "/", omittingEmptySubsequences: false)
            guard pieces.count <= 2 else { throw bad("“\(item.prefix(20))”有多个“/”", "“\(item.prefix(20))” has two “/”") }
            var step = 1
            if pieces.count == 2 {
                guard let value = Int(pieces[1]), pieces[1].allSatisfy(\.isASCII), value >= 1, value <= range.upperBound
                else {
                    throw bad(
                        "步长“\(pieces[1].prefix(20))”须为 1–\(range.upperBound) 的整数",
                        "step “\(pieces[1].prefix(20))” must be a whole number 1–\(range.upperBound)")
                }
                step = value
            }
            let base = pieces[0]
            var low: Int
            var high: Int
            if base == "*" {
                (low, high) = (range.lowerBound, range.upperBound)
            } else if let dash = base.firstIndex(of: "-") {
                low = try number(base[..<dash])
                high = try number(base[base.index(after: dash)...])
                guard low <= high else {
                    throw bad("范围 \(low)-\(high) 起点大于终点", "range \(low)-\(high) runs backwards")
                }
            } else {
                low = try number(base)
                // `a/n`: from a to the field's end, every n.
                high = pieces.count == 2 ? range.upperBound : low
            }
            values.formUnion(stride(from: low, through: high, by: step))
        }
        return values
    }

    /// Whether the day `components` (year, month, day, weekday) matches the day fields.
    func matchesDay(day: Int, weekday: Int) -> Bool {
        let dayMatch = days.contains(day)
        let weekdayMatch = weekdays.contains(weekday)
        switch (daysRestricted, weekdaysRestricted) {
        case (true, true): return dayMatch || weekdayMatch
        case (true, false): return dayMatch
        case (false, true): return weekdayMatch
        case (false, false): return true
        }
    }

    /// The first minute strictly after `time` that the expression names, in `zone`; nil when none comes within
    /// eight years (an expression like `0 0 29 2 1` still comes).
    public func next(after time: Date, in zone: TimeZone = CalendarDate.chinaTimeZone) -> Date? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        // The next whole minute after `time`.
        let start = time.addingTimeInterval(60 - time.timeIntervalSince1970.truncatingRemainder(dividingBy: 60))
        let startParts = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: start)
        guard var year = startParts.year, var month = startParts.month, var day = startParts.day,
            let startHour = startParts.hour, let startMinute = startParts.minute
        else { return nil }
        var firstDay = true
        let sortedHours = hours.sorted()
        let sortedMinutes = minutes.sorted()
        for _ in 0..<(366 * 8) {
            if months.contains(month),
                let date = calendar.date(from: DateComponents(year: year, month: month, day: day, hour: 12)),
                calendar.component(.day, from: date) == day,
                matchesDay(day: day, weekday: calendar.component(.weekday, from: date) - 1)
            {
                for hour in sortedHours where !firstDay || hour >= startHour {
                    for minute in sortedMinutes where !firstDay || hour > startHour || minute >= startMinute {
                        // A minute a clock change skips (none in China today) gives another date: skip it.
                        guard
                            let found = calendar.date(
                                from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute)),
                            calendar.component(.hour, from: found) == hour, found > time
                        else { continue }
                        return found
                    }
                }
            }
            firstDay = false
            day += 1
            if day > 31 {
                day = 1
                month += 1
                if month > 12 {
                    month = 1
                    year += 1
                }
            }
        }
        return nil
    }

    /// The time between the expression's next two runs after `time`: how long a cycle is, for lateness.
    public func cycle(after time: Date, in zone: TimeZone = CalendarDate.chinaTimeZone) -> TimeInterval? {
        guard let first = next(after: time, in: zone), let second = next(after: first, in: zone) else { return nil }
        return second.timeIntervalSince(first)
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        self = try Self(text)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }
}
