import Foundation
import HuitongCore

/// Time limits and policy of the objection loop (`HUITONG_OBJECTION_*`). 51号 第十四–十六条 (domain.md §3.7) asks
/// providers to verify reported errors but its day count was not retrieved, so every figure here is configuration.
public struct ObjectionSettings: Sendable, Hashable {
    /// Working days the provider has to answer. The default mirrors the 10 working days 51号 gives a provider to
    /// answer an application, the nearest figure on record [M].
    public var answerDays: Int
    /// Points an open objection takes off its entry's quality score, and the most all of them may take.
    public var penaltyPerObjection: Double
    public var penaltyCap: Double
    /// Objections one client address may send through the public portal per window (counted per node).
    public var publicLimit: Int
    public var publicWindow: Duration
    /// Earlier pool versions kept for rollback when a correction publishes a new one (as for loads).
    public var keepVersions: Int
    /// How often the overdue sweep runs.
    public var sweepInterval: Duration

    public init(
        answerDays: Int = 10, penaltyPerObjection: Double = 5, penaltyCap: Double = 30, publicLimit: Int = 5,
        publicWindow: Duration = .seconds(3600), keepVersions: Int = 3, sweepInterval: Duration = .seconds(900)
    ) {
        self.answerDays = answerDays
        self.penaltyPerObjection = penaltyPerObjection
        self.penaltyCap = penaltyCap
        self.publicLimit = publicLimit
        self.publicWindow = publicWindow
        self.keepVersions = keepVersions
        self.sweepInterval = sweepInterval
    }

    public var penalty: ObjectionPenalty { ObjectionPenalty(perObjection: penaltyPerObjection, cap: penaltyCap) }

    /// Checks values read from flags or the environment, so that a typo stops start-up.
    public func validated() throws(ValidationError) -> ObjectionSettings {
        var issues = ValidationCollector()
        issues.require(answerDays, in: 1...60, "HUITONG_OBJECTION_ANSWER_DAYS")
        issues.require(publicLimit, in: 1...10_000, "HUITONG_OBJECTION_PUBLIC_LIMIT")
        issues.require(keepVersions, in: 0...100, "HUITONG_OBJECTION_KEEP_VERSIONS")
        if !(0...100).contains(penaltyPerObjection) || !(0...100).contains(penaltyCap) {
            issues.add(
                "HUITONG_OBJECTION_PENALTY",
                BilingualText(zh: "扣分须在 0–100 之间", en: "penalty points must be 0–100"))
        }
        issues.requireAtLeastASecond(publicWindow, "HUITONG_OBJECTION_PUBLIC_WINDOW_SECONDS")
        issues.requireAtLeastASecond(sweepInterval, "HUITONG_OBJECTION_SWEEP_SECONDS")
        try issues.throwIfAny()
        return self
    }
}
