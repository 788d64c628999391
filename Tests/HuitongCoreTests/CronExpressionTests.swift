import Foundation
import HuitongCore
import Testing

/// Cron schedules of collection sources: parsing with errors that name the field, and the next run in China
/// Standard Time.
@Suite("Cron expressions")
struct CronExpressionTests {
    static let zone = CalendarDate.chinaTimeZone

    /// A minute in China Standard Time.
    static func time(_ text: String) -> Date {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = zone
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        return formatter.date(from: text)!
    }

    static func text(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = zone
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        return formatter.string(from: date)
    }

    struct Case: Sendable, CustomTestStringConvertible {
        let expression: String
        let after: String
        let next: String
        var testDescription: String { "\(expression) after \(after) → \(next)" }
    }

    static let cases: [Case] = [
        // Every minute: the next whole minute, never the same one.
        Case(expression: "* * * * *", after: "2026-03-10 08:15", next: "2026-03-10 08:16"),
        // Daily at 02:30 (the zone's, not UTC's).
        Case(expression: "30 2 * * *", after: "2026-03-10 02:30", next: "2026-03-11 02:30"),
        Case(expression: "30 2 * * *", after: "2026-03-10 02:29", next: "2026-03-10 02:30"),
        // Steps and ranges.
        Case(expression: "*/15 9-17 * * *", after: "2026-03-10 17:45", next: "2026-03-11 09:00"),
        Case(expression: "*/15 9-17 * * *", after: "2026-03-10 09:01", next: "2026-03-10 09:15"),
        Case(expression: "0 8-18/5 * * *", after: "2026-03-10 13:00", next: "2026-03-10 18:00"),
        Case(expression: "5/20 * * * *", after: "2026-03-10 10:46", next: "2026-03-10 11:05"),
        // Lists.
        Case(expression: "0 6,12,18 * * *", after: "2026-03-10 12:00", next: "2026-03-10 18:00"),
        // Month ends: the 31st skips months that have none; 29 February waits for a leap year.
        Case(expression: "0 0 31 * *", after: "2026-04-01 00:00", next: "2026-05-31 00:00"),
        Case(expression: "0 0 31 * *", after: "2026-01-31 00:00", next: "2026-03-31 00:00"),
        Case(expression: "0 0 29 2 *", after: "2026-03-01 00:00", next: "2028-02-29 00:00"),
        Case(expression: "0 0 28-31 2 *", after: "2028-02-28 00:00", next: "2028-02-29 00:00"),
        Case(expression: "59 23 31 12 *", after: "2026-12-31 23:58", next: "2026-12-31 23:59"),
        // New year.
        Case(expression: "0 0 1 1 *", after: "2026-12-31 23:59", next: "2027-01-01 00:00"),
        // Day of week: 1 Monday; 0 and 7 both Sunday; a range of workdays. 2026-03-10 is a Tuesday.
        Case(expression: "0 9 * * 1", after: "2026-03-10 09:00", next: "2026-03-16 09:00"),
        Case(expression: "0 9 * * 0", after: "2026-03-10 09:00", next: "2026-03-15 09:00"),
        Case(expression: "0 9 * * 7", after: "2026-03-10 09:00", next: "2026-03-15 09:00"),
        Case(expression: "30 18 * * 1-5", after: "2026-03-13 18:30", next: "2026-03-16 18:30"),
        // Both day fields restricted: either matches (the 1st, or any Friday).
        Case(expression: "0 0 1 * 5", after: "2026-03-10 00:00", next: "2026-03-13 00:00"),
        Case(expression: "0 0 1 * 5", after: "2026-03-27 00:00", next: "2026-04-01 00:00"),
        // A step over the day field does not count as restricting it.
        Case(expression: "0 0 */10 * 1", after: "2026-03-10 00:00", next: "2026-03-16 00:00"),
        // Quarterly, on the first of January, April, July and October.
        Case(expression: "0 3 1 */3 *", after: "2026-04-01 03:00", next: "2026-07-01 03:00"),
    ]

    @Test("the next run", arguments: cases)
    func next(_ example: Case) throws {
        let cron = try CronExpression(example.expression)
        let found = try #require(cron.next(after: Self.time(example.after), in: Self.zone))
        #expect(Self.text(found) == example.next)
    }

    @Test("the next run after a time within a minute is the following whole minute")
    func seconds() throws {
        let cron = try CronExpression("* * * * *")
        let start = Self.time("2026-03-10 08:15").addingTimeInterval(42.5)
        #expect(Self.text(try #require(cron.next(after: start, in: Self.zone))) == "2026-03-10 08:16")
    }

    @Test("a cycle is the time between the next two runs")
    func cycle() throws {
        #expect(try CronExpression("0 2 * * *").cycle(after: Self.time("2026-03-10 00:00")) == 86_400)
        #expect(try CronExpression("*/5 * * * *").cycle(after: Self.time("2026-03-10 00:00")) == 300)
        let cadence = CollectionCadence(.cron, cron: try CronExpression("0 9 * * 1"), entryCycle: .daily)
        #expect(cadence?.cycle(after: Self.time("2026-03-10 00:00")).map { Int($0.rounded()) } == 7 * 86_400)
        #expect(CollectionCadence(.cron, cron: nil, entryCycle: .daily) == nil)
        #expect(
            CollectionCadence(.daily, cron: nil, entryCycle: .irregular)?.next(after: Self.time("2026-03-10 00:00"))
                == Self.time("2026-03-11 00:00"))
    }

    struct Bad: Sendable, CustomTestStringConvertible {
        let expression: String
        let zh: String
        let en: String
        var testDescription: String { expression }
    }

    static let bad: [Bad] = [
        Bad(expression: "0 25 * * *", zh: "第 2 段（小时）取值 25 超出 0–23", en: "field 2 (hour) value 25 is outside 0–23"),
        Bad(expression: "60 * * * *", zh: "第 1 段（分钟）取值 60 超出 0–59", en: "field 1 (minute) value 60"),
        Bad(expression: "0 0 0 * *", zh: "第 3 段（日）取值 0 超出 1–31", en: "field 3 (day of month)"),
        Bad(expression: "0 0 * 13 *", zh: "第 4 段（月）取值 13 超出 1–12", en: "field 4 (month)"),
        Bad(expression: "0 0 * * 8", zh: "第 5 段（星期）取值 8 超出 0–7", en: "field 5 (day of week)"),
        Bad(expression: "0 0 * *", zh: "须为 5 段", en: "has 5 fields"),
        Bad(expression: "0 0 * * * *", zh: "实为 6 段", en: "not 6"),
        Bad(expression: "a * * * *", zh: "第 1 段（分钟）“a”不是数字", en: "“a” is not a number"),
        Bad(expression: "*/0 * * * *", zh: "第 1 段（分钟）步长“0”", en: "step “0”"),
        Bad(expression: "0 18-9 * * *", zh: "第 2 段（小时）范围 18-9 起点大于终点", en: "runs backwards"),
        Bad(expression: "0 1,,2 * * *", zh: "第 2 段（小时）列表中有空项", en: "empty list item"),
        Bad(expression: "0 0 30 2 *", zh: "永远不会到达", en: "never meet"),
        Bad(expression: "0 0 -1 * *", zh: "第 3 段（日）“”不是数字", en: "is not a number"),
    ]

    @Test("a bad expression names its field, in both languages", arguments: bad)
    func refused(_ example: Bad) {
        do {
            _ = try CronExpression(example.expression)
            Issue.record("accepted \(example.expression)")
        } catch {
            #expect(error.issues.count == 1)
            let message = error.issues.first?.message ?? ""
            #expect(error.issues.first?.field == "cron")
            #expect(message.contains(example.zh), "\(message)")
            #expect(message.contains(example.en), "\(message)")
        }
    }

    @Test("a draft with a cron schedule needs its expression, and only it has one")
    func draft() throws {
        let items: Set<String> = ["bh"]
        var draft = CollectionSourceDraft(name: "库", kind: .sqlite, location: "/data/a.db", table: "a", schedule: .cron)
        #expect(throws: ValidationError.self) { try draft.validate(itemColumns: items) }
        draft.cron = try CronExpression("0 2 * * *")
        try draft.validate(itemColumns: items)
        draft.schedule = .daily
        #expect(throws: ValidationError.self) { try draft.validate(itemColumns: items) }
    }

    @Test("an expression is written back as typed, spaces collapsed, and read again")
    func coding() throws {
        let cron = try CronExpression(" 0  2 * *\t1-5 ")
        #expect(cron.text == "0 2 * * 1-5")
        let data = try JSONEncoder().encode(cron)
        #expect(String(decoding: data, as: UTF8.self) == "\"0 2 * * 1-5\"")
        #expect(try JSONDecoder().decode(CronExpression.self, from: data) == cron)
    }
}
