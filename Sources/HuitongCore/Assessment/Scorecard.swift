import Foundation

/// The indicators of a department's 考核 scorecard (domain-services.md §5), each computed from what the platform
/// already records. Formulas are fixed here; weights and targets are configuration per year (`AssessmentWeights`),
/// seeded from §5's proposal (its values are marked [M]: to be confirmed, so never written as literals in code).
public enum AssessmentIndicator: String, Sendable, Hashable, Codable, CaseIterable {
    /// 目录完整率: the department's registered information systems with at least one catalog entry ÷ its systems.
    case catalogCompleteness = "catalog_completeness"
    /// 信息项规范率: data items with a type, a length (where the type needs one) and a share type ÷ items.
    case itemConformance = "item_conformance"
    /// 资源挂接率: shareable published entries with a mounted table, API or file ÷ shareable published entries.
    case mountRate = "mount_rate"
    /// 更新及时率: entries with a periodic update cycle whose data changed within the cycle ÷ such entries.
    case timelyUpdates = "timely_updates"
    /// 申请按时响应率: applications to the department due in the period answered by their deadline ÷ those due.
    case timelyAnswers = "timely_answers"
    /// 不予共享理由完备率: refusals with a stated reason ÷ refusals in the period.
    case refusalReasons = "refusal_reasons"
    /// 质量规则通过率: the mean current quality score of the department's scored entries ÷ 100.
    case qualityScore = "quality_score"
    /// 异议/校核按时办结率: objections to the department due in the period closed by their deadline ÷ those due.
    case timelyObjections = "timely_objections"
    /// 调用量 (served): gateway calls allowed on the department's resources in the period, log-scaled to a target.
    case callsServed = "calls_served"
    /// 调用量 (made): gateway calls the department's systems made in the period, log-scaled to a target.
    case callsMade = "calls_made"

    public var label: BilingualText {
        switch self {
        case .catalogCompleteness: BilingualText(zh: "目录完整率", en: "Catalogue completeness")
        case .itemConformance: BilingualText(zh: "信息项规范率", en: "Data item conformance")
        case .mountRate: BilingualText(zh: "资源挂接率", en: "Resources mounted")
        case .timelyUpdates: BilingualText(zh: "更新及时率", en: "Updates on time")
        case .timelyAnswers: BilingualText(zh: "申请按时响应率", en: "Applications answered on time")
        case .refusalReasons: BilingualText(zh: "不予共享理由完备率", en: "Refusals with reasons")
        case .qualityScore: BilingualText(zh: "质量规则通过率", en: "Quality score")
        case .timelyObjections: BilingualText(zh: "异议按时办结率", en: "Objections closed on time")
        case .callsServed: BilingualText(zh: "被调用量", en: "Calls served")
        case .callsMade: BilingualText(zh: "调用量", en: "Calls made")
        }
    }

    /// Whether the indicator counts calls (scored on a log scale) rather than a rate.
    public var isCount: Bool { self == .callsServed || self == .callsMade }
}

/// One indicator's weight and target for a year. A rate's target is a fraction (1.0: 100 %); a count's target is
/// the number of calls that earns full marks.
public struct IndicatorWeight: Sendable, Hashable, Codable {
    public var indicator: AssessmentIndicator
    public var weight: Double
    public var target: Double

    public init(indicator: AssessmentIndicator, weight: Double, target: Double) {
        self.indicator = indicator
        self.weight = weight
        self.target = target
    }
}

/// The weights of one assessment year.
public struct AssessmentWeights: Sendable, Hashable {
    public var year: Int
    public var weights: [IndicatorWeight]

    public init(year: Int, weights: [IndicatorWeight]) {
        self.year = year
        self.weights = weights
    }

    public var totalWeight: Double { weights.reduce(0) { $0 + $1.weight } }

    public func weight(of indicator: AssessmentIndicator) -> IndicatorWeight? {
        weights.first { $0.indicator == indicator }
    }
}

/// What the platform recorded about one department in one period: numerators and denominators of each rate, and
/// the call counts.
public struct AssessmentFacts: Sendable, Hashable, Codable {
    public var systems = 0
    public var systemsWithEntries = 0
    public var items = 0
    public var conformingItems = 0
    public var shareableEntries = 0
    public var mountedEntries = 0
    public var periodicEntries = 0
    public var entriesUpdatedOnTime = 0
    public var applicationsDue = 0
    public var applicationsAnsweredOnTime = 0
    public var refusals = 0
    public var refusalsWithReason = 0
    public var scoredEntries = 0
    /// The sum of the scored entries' current quality scores (0–100 each).
    public var qualityScoreSum = 0.0
    public var objectionsDue = 0
    public var objectionsClosedOnTime = 0
    public var callsServed: Int64 = 0
    public var callsMade: Int64 = 0

    public init() {}

    /// The indicator's value: a fraction for a rate (nil when nothing was due: the indicator does not count), the
    /// number of calls for a count.
    public func value(of indicator: AssessmentIndicator) -> Double? {
        func rate(_ part: Int, _ whole: Int) -> Double? { whole > 0 ? Double(part) / Double(whole) : nil }
        return switch indicator {
        case .catalogCompleteness: rate(systemsWithEntries, systems)
        case .itemConformance: rate(conformingItems, items)
        case .mountRate: rate(mountedEntries, shareableEntries)
        case .timelyUpdates: rate(entriesUpdatedOnTime, periodicEntries)
        case .timelyAnswers: rate(applicationsAnsweredOnTime, applicationsDue)
        case .refusalReasons: rate(refusalsWithReason, refusals)
        case .qualityScore: scoredEntries > 0 ? qualityScoreSum / Double(scoredEntries) / 100 : nil
        case .timelyObjections: rate(objectionsClosedOnTime, objectionsDue)
        case .callsServed: Double(callsServed)
        case .callsMade: Double(callsMade)
        }
    }
}

/// A department's scorecard for a period.
public struct Scorecard: Sendable, Hashable {
    public struct Line: Sendable, Hashable {
        public var indicator: AssessmentIndicator
        /// Nil when the indicator had nothing to measure in the period (it then neither earns nor loses).
        public var value: Double?
        /// 0–100.
        public var score: Double?
        public var weight: Double
    }

    public var departmentID: Int64
    public var facts: AssessmentFacts
    public var lines: [Line]
    /// The weighted score out of 100, over the indicators that had something to measure.
    public var total: Double

    /// §5: indicator score `min(100, value ÷ target × 100)`; counts on a log scale, `min(100, log(1 + calls) ÷
    /// log(1 + target) × 100)`, so the first calls count most; the total is the weighted mean of the scores of the
    /// indicators that measured something, out of 100.
    public static func compute(departmentID: Int64, facts: AssessmentFacts, weights: AssessmentWeights) -> Scorecard {
        var lines: [Line] = []
        var earned = 0.0
        var possible = 0.0
        for weight in weights.weights {
            let value = facts.value(of: weight.indicator)
            var score: Double?
            if let value, weight.target > 0 {
                let raw =
                    weight.indicator.isCount
                    ? log1p(value) / log1p(weight.target) * 100 : value / weight.target * 100
                score = min(100, max(0, raw))
            }
            if let score {
                earned += score * weight.weight
                possible += weight.weight
            }
            lines.append(Line(indicator: weight.indicator, value: value, score: score, weight: weight.weight))
        }
        let total = possible > 0 ? earned / possible : 0
        return Scorecard(departmentID: departmentID, facts: facts, lines: lines, total: total)
    }

    public func line(_ indicator: AssessmentIndicator) -> Line? { lines.first { $0.indicator == indicator } }
}

/// A 通报 period: a week (Monday to Sunday) or a calendar month, in China Standard Time.
public struct AssessmentPeriod: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case week
        case month
    }

    public var kind: Kind
    /// The first day, inclusive.
    public var start: CalendarDate
    /// The day after the last, exclusive.
    public var end: CalendarDate

    static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = CalendarDate.chinaTimeZone
        return calendar
    }()

    /// Midnight at the start of `date`, China Standard Time.
    public static func midnight(_ date: CalendarDate) -> Date {
        calendar.date(from: DateComponents(year: date.year, month: date.month, day: date.day))!
    }

    /// The period of `kind` that contains `date`.
    public static func containing(_ date: CalendarDate, kind: Kind) -> AssessmentPeriod {
        switch kind {
        case .month:
            let start = CalendarDate(year: date.year, month: date.month, day: 1)!
            let next =
                date.month == 12
                ? CalendarDate(year: date.year + 1, month: 1, day: 1)!
                : CalendarDate(
                    year: date.year, month: date.month + 1, day: 1)!
            return AssessmentPeriod(kind: .month, start: start, end: next)
        case .week:
            let day = midnight(date)
            let weekday = calendar.component(.weekday, from: day)  // 1 = Sunday
            let back = (weekday + 5) % 7
            let monday = calendar.date(byAdding: .day, value: -back, to: day)!
            let start = CalendarDate(monday, in: CalendarDate.chinaTimeZone)
            let end = CalendarDate(calendar.date(byAdding: .day, value: 7, to: monday)!, in: CalendarDate.chinaTimeZone)
            return AssessmentPeriod(kind: .week, start: start, end: end)
        }
    }

    /// The period before this one.
    public var previous: AssessmentPeriod {
        let lastDay = CalendarDate(
            Self.calendar.date(byAdding: .day, value: -1, to: Self.midnight(start))!,
            in: CalendarDate.chinaTimeZone)
        return Self.containing(lastDay, kind: kind)
    }

    /// `2026-12` for a month, `2026-12-07` (its Monday) for a week.
    public var description: String {
        kind == .month ? String(start.description.prefix(7)) : start.description
    }

    /// Parses `2026-12` (a month) or a date (the week containing it).
    public static func parse(_ text: String) -> AssessmentPeriod? {
        if text.count == 7, let date = CalendarDate(iso: text + "-01") {
            return containing(date, kind: .month)
        }
        if let date = CalendarDate(iso: text) { return containing(date, kind: .week) }
        return nil
    }

    public var startDate: Date { Self.midnight(start) }
    public var endDate: Date { Self.midnight(end) }
    public var year: Int { start.year }
}
