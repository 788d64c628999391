import Foundation
import HuitongCore

/// How quality runs go: how often the scheduler runs them, how many rows a page holds, and how much of the failures
/// each run keeps. Configuration (`HUITONG_QUALITY_*`), because the right cadence depends on the bureau's pools.
public struct QualitySettings: Sendable, Hashable {
    /// How often each entry with data is checked when nothing else triggered a run; also how often the scheduler
    /// looks for such entries.
    public var scheduleInterval: Duration
    /// Rows read per page of a pool: the most a run holds in memory at once.
    public var pageSize: Int
    /// Masked samples kept per rule, and failing rows put in the problem queue per rule.
    public var samplesPerRule: Int
    public var problemsPerRule: Int
    /// The most disagreeing keys a multi-source comparison lists (all are counted).
    public var comparisonLimit: Int

    public init(
        scheduleInterval: Duration = .seconds(86_400), pageSize: Int = 2_000, samplesPerRule: Int = 20,
        problemsPerRule: Int = 10_000, comparisonLimit: Int = 1_000
    ) {
        self.scheduleInterval = scheduleInterval
        self.pageSize = pageSize
        self.samplesPerRule = samplesPerRule
        self.problemsPerRule = problemsPerRule
        self.comparisonLimit = comparisonLimit
    }

    /// Checks values read from flags or the environment, so that a typo stops start-up.
    public func validated() throws(ValidationError) -> QualitySettings {
        var issues = ValidationCollector()
        if scheduleInterval != .zero && scheduleInterval < .seconds(60) {
            issues.add(
                "HUITONG_QUALITY_SCHEDULE_SECONDS",
                BilingualText(zh: "须为 0（不定时检测）或至少 60 秒", en: "must be 0 (no schedule) or at least 60 seconds"))
        }
        issues.require(pageSize, in: 100...50_000, "HUITONG_QUALITY_PAGE_ROWS")
        issues.require(samplesPerRule, in: 0...1_000, "HUITONG_QUALITY_SAMPLES_PER_RULE")
        issues.require(problemsPerRule, in: 0...1_000_000, "HUITONG_QUALITY_PROBLEMS_PER_RULE")
        issues.require(comparisonLimit, in: 1...100_000, "HUITONG_QUALITY_COMPARISON_LIMIT")
        try issues.throwIfAny()
        return self
    }
}
