import Foundation
import HuitongCore
import HuitongStore

/// Time limits and defaults of the sharing workflow. The day counts vary by jurisdiction and the 2025 条例's own
/// figures are unconfirmed (domain.md §3, §9), so they are configuration (`HUITONG_SHARING_*`), never literals.
public struct SharingSettings: Sendable, Hashable {
    /// Working days the provider has to answer (国发〔2016〕51号: 10).
    public var providerReviewDays: Int
    /// Working days the operator's 符合性审查 may take (Shanxi practice: 2).
    public var complianceReviewDays: Int
    /// Working days the operator has to settle a coordination.
    public var coordinationDays: Int
    /// Whether submitted applications pass the operator's compliance review before the provider sees them.
    public var complianceReview: Bool
    /// Whether a refusal goes to the operator for coordination at once; otherwise the consumer asks for it.
    public var escalateRefusals: Bool
    /// Requests per second a grant allows unless the decision sets fewer.
    public var defaultRateLimit: Int
    /// The most requests per second a decision may allow.
    public var maximumRateLimit: Int
    /// The longest period an application may ask for, in days.
    public var maximumPeriodDays: Int
    /// How often the overdue sweep runs.
    public var sweepInterval: Duration

    public init(
        providerReviewDays: Int = 10, complianceReviewDays: Int = 2, coordinationDays: Int = 10,
        complianceReview: Bool = false, escalateRefusals: Bool = true, defaultRateLimit: Int = 10,
        maximumRateLimit: Int = 200, maximumPeriodDays: Int = 1096, sweepInterval: Duration = .seconds(900)
    ) {
        self.providerReviewDays = providerReviewDays
        self.complianceReviewDays = complianceReviewDays
        self.coordinationDays = coordinationDays
        self.complianceReview = complianceReview
        self.escalateRefusals = escalateRefusals
        self.defaultRateLimit = defaultRateLimit
        self.maximumRateLimit = maximumRateLimit
        self.maximumPeriodDays = maximumPeriodDays
        self.sweepInterval = sweepInterval
    }

    /// Checks values read from flags or the environment, so that a typo stops start-up instead of granting
    /// nonsense.
    public func validated() throws(ValidationError) -> SharingSettings {
        var issues = ValidationCollector()
        issues.require(providerReviewDays, in: 1...60, "HUITONG_SHARING_PROVIDER_REVIEW_DAYS")
        issues.require(complianceReviewDays, in: 1...30, "HUITONG_SHARING_COMPLIANCE_REVIEW_DAYS")
        issues.require(coordinationDays, in: 1...60, "HUITONG_SHARING_COORDINATION_DAYS")
        issues.require(maximumRateLimit, in: 1...100_000, "HUITONG_SHARING_MAXIMUM_RATE_LIMIT")
        issues.require(defaultRateLimit, in: 1...max(1, maximumRateLimit), "HUITONG_SHARING_DEFAULT_RATE_LIMIT")
        issues.require(maximumPeriodDays, in: 1...3660, "HUITONG_SHARING_MAXIMUM_PERIOD_DAYS")
        issues.requireAtLeastASecond(sweepInterval, "HUITONG_SHARING_SWEEP_SECONDS")
        try issues.throwIfAny()
        return self
    }
}
