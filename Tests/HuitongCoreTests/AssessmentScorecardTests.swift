import Foundation
import Testing

@testable import HuitongCore

/// The 考核 scorecard (domain-services.md §5) against a department worked out by hand.
@Suite("assessment scorecard")
struct AssessmentScorecardTests {
    /// Weights as §5 proposes them (the seed data), with full marks at 100 % and at 1,000 calls.
    static let weights = AssessmentWeights(
        year: 2026,
        weights: [
            IndicatorWeight(indicator: .catalogCompleteness, weight: 10, target: 1),
            IndicatorWeight(indicator: .itemConformance, weight: 5, target: 1),
            IndicatorWeight(indicator: .mountRate, weight: 15, target: 1),
            IndicatorWeight(indicator: .timelyUpdates, weight: 10, target: 1),
            IndicatorWeight(indicator: .timelyAnswers, weight: 15, target: 1),
            IndicatorWeight(indicator: .refusalReasons, weight: 5, target: 1),
            IndicatorWeight(indicator: .qualityScore, weight: 15, target: 1),
            IndicatorWeight(indicator: .timelyObjections, weight: 5, target: 1),
            IndicatorWeight(indicator: .callsServed, weight: 5, target: 1_000),
            IndicatorWeight(indicator: .callsMade, weight: 5, target: 1_000),
        ])

    /// 4 systems, 3 with entries; 20 items, 15 conforming; 8 shareable entries, 6 mounted; 5 periodic entries, 4 on
    /// time; 10 applications due, 9 on time; 2 refusals, 1 with a reason; 3 entries scored 90, 80 and 70; 4
    /// objections due, all on time; 999 calls served; none made.
    static var facts: AssessmentFacts {
        var facts = AssessmentFacts()
        facts.systems = 4
        facts.systemsWithEntries = 3
        facts.items = 20
        facts.conformingItems = 15
        facts.shareableEntries = 8
        facts.mountedEntries = 6
        facts.periodicEntries = 5
        facts.entriesUpdatedOnTime = 4
        facts.applicationsDue = 10
        facts.applicationsAnsweredOnTime = 9
        facts.refusals = 2
        facts.refusalsWithReason = 1
        facts.scoredEntries = 3
        facts.qualityScoreSum = 240
        facts.objectionsDue = 4
        facts.objectionsClosedOnTime = 4
        facts.callsServed = 999
        facts.callsMade = 0
        return facts
    }

    @Test("each indicator is its formula over the department's facts")
    func eachIndicator() {
        let card = Scorecard.compute(departmentID: 7, facts: Self.facts, weights: Self.weights)
        let expected: [AssessmentIndicator: (value: Double, score: Double)] = [
            .catalogCompleteness: (0.75, 75),
            .itemConformance: (0.75, 75),
            .mountRate: (0.75, 75),
            .timelyUpdates: (0.8, 80),
            .timelyAnswers: (0.9, 90),
            .refusalReasons: (0.5, 50),
            .qualityScore: (0.8, 80),
            .timelyObjections: (1, 100),
            // log(1000) ÷ log(1001) · 100 = 99.9855…
            .callsServed: (999, 99.985_532_844),
            .callsMade: (0, 0),
        ]
        for (indicator, want) in expected {
            let line = try! #require(card.line(indicator))
            #expect(abs((line.value ?? -1) - want.value) < 1e-9, "\(indicator) value")
            #expect(abs((line.score ?? -1) - want.score) < 1e-6, "\(indicator) score \(line.score ?? -1)")
        }
        // (75·10 + 75·5 + 75·15 + 80·10 + 90·15 + 50·5 + 80·15 + 100·5 + 99.9855328·5 + 0·5) ÷ 90
        let weighted = 750.0 + 375 + 1_125 + 800 + 1_350 + 250 + 1_200 + 500 + 499.927_664_22 + 0
        #expect(abs(card.total - weighted / 90) < 1e-6)
    }

    @Test("an indicator with nothing to measure neither earns nor loses, and scores are capped at 100")
    func nothingDueAndCaps() {
        var facts = AssessmentFacts()
        facts.shareableEntries = 2
        facts.mountedEntries = 1
        facts.callsMade = 50_000
        let card = Scorecard.compute(departmentID: 1, facts: facts, weights: Self.weights)
        #expect(card.line(.timelyAnswers)?.value == nil)
        #expect(card.line(.timelyAnswers)?.score == nil)
        #expect(card.line(.callsMade)?.score == 100)
        // Measured: mount rate 50 (weight 15), calls served 0 (weight 5), calls made 100 (weight 5).
        #expect(abs(card.total - (50.0 * 15 + 0 * 5 + 100 * 5) / 25) < 1e-9)
    }

    @Test("weights change the total: another year's weights rank the same facts differently")
    func weightsPerYear() {
        let callsOnly = AssessmentWeights(
            year: 2027, weights: [IndicatorWeight(indicator: .callsServed, weight: 1, target: 10)])
        let card = Scorecard.compute(departmentID: 7, facts: Self.facts, weights: callsOnly)
        #expect(card.lines.count == 1)
        #expect(card.total == 100)
        let lowTarget = AssessmentWeights(
            year: 2027, weights: [IndicatorWeight(indicator: .timelyAnswers, weight: 3, target: 0.8)])
        #expect(Scorecard.compute(departmentID: 7, facts: Self.facts, weights: lowTarget).total == 100)
    }

    @Test("weeks run Monday to Sunday and months by the calendar, in China Standard Time")
    func periods() throws {
        let week = try #require(AssessmentPeriod.parse("2026-12-09"))
        #expect(week.kind == .week)
        #expect(week.start.description == "2026-12-07")
        #expect(week.end.description == "2026-12-14")
        #expect(week.previous.start.description == "2026-11-30")
        let sunday = AssessmentPeriod.containing(
            try #require(CalendarDate(year: 2026, month: 12, day: 13)), kind: .week)
        #expect(sunday.start.description == "2026-12-07")
        let month = try #require(AssessmentPeriod.parse("2026-12"))
        #expect(month.kind == .month)
        #expect(month.start.description == "2026-12-01")
        #expect(month.end.description == "2027-01-01")
        #expect(month.previous.description == "2026-11")
        #expect(month.description == "2026-12")
        // Midnight in Beijing is 16:00 UTC the day before.
        #expect(month.startDate == Date(timeIntervalSince1970: 1_796_083_200 - 8 * 3600))
        #expect(AssessmentPeriod.parse("2026-13") == nil)
        #expect(AssessmentPeriod.parse("soon") == nil)
    }
}
