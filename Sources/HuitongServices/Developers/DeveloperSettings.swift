import Foundation
import HuitongCore

/// The portal developers' rules that a bureau sets: how long a provider has to answer an application for
/// conditionally open data, how long access may be asked for, and what a self-service key may call.
public struct DeveloperSettings: Sendable, Hashable {
    /// Working days the provider has to answer; the same 10 days 51号 gives for shared data, the nearest figure on
    /// record [M].
    public var answerDays: Int
    /// The longest period of access an application may ask for, in months [M].
    public var maximumMonths: Int
    /// Active keys one developer may hold at once.
    public var keysPerDeveloper: Int
    /// Calls per second and per day one key may make to the open-data API [M]; counted per node, like grants.
    public var keyRatePerSecond: Int
    public var keyDailyQuota: Int
    /// Registrations one client address may attempt per window, so that the form cannot mint accounts in bulk.
    public var registrationLimit: Int
    public var registrationWindow: Duration
    /// How often unanswered applications past their deadline are looked for.
    public var sweepInterval: Duration

    public init(
        answerDays: Int = 10, maximumMonths: Int = 12, keysPerDeveloper: Int = 5, keyRatePerSecond: Int = 10,
        keyDailyQuota: Int = 10_000, registrationLimit: Int = 10, registrationWindow: Duration = .seconds(3600),
        sweepInterval: Duration = .seconds(900)
    ) {
        self.answerDays = answerDays
        self.maximumMonths = maximumMonths
        self.keysPerDeveloper = keysPerDeveloper
        self.keyRatePerSecond = keyRatePerSecond
        self.keyDailyQuota = keyDailyQuota
        self.registrationLimit = registrationLimit
        self.registrationWindow = registrationWindow
        self.sweepInterval = sweepInterval
    }

    /// Checks values read from flags or the environment, so that a typo stops start-up.
    public func validated() throws(ValidationError) -> DeveloperSettings {
        var issues = ValidationCollector()
        issues.require(answerDays, in: 1...60, "HUITONG_OPEN_ACCESS_ANSWER_DAYS")
        issues.require(maximumMonths, in: 1...60, "HUITONG_OPEN_ACCESS_MAXIMUM_MONTHS")
        issues.require(keysPerDeveloper, in: 1...100, "HUITONG_DEVELOPER_KEYS")
        issues.require(keyRatePerSecond, in: 1...100_000, "HUITONG_DEVELOPER_KEY_RATE")
        issues.require(keyDailyQuota, in: 1...100_000_000, "HUITONG_DEVELOPER_KEY_DAILY_QUOTA")
        issues.require(registrationLimit, in: 1...100_000, "HUITONG_DEVELOPER_REGISTRATION_LIMIT")
        issues.requireAtLeastASecond(registrationWindow, "HUITONG_DEVELOPER_REGISTRATION_WINDOW_SECONDS")
        issues.requireAtLeastASecond(sweepInterval, "HUITONG_OPEN_ACCESS_SWEEP_SECONDS")
        try issues.throwIfAny()
        return self
    }
}
