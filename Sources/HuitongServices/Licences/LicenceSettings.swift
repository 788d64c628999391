import HuitongCore

/// How a node seals and shows licences.
public struct LicenceSettings: Sendable, Hashable {
    /// Years a department's seal certificate is valid; a seal past its end is replaced by a new one at the next
    /// issue. Five years is a common term for seal certificates of government CAs, not a rule [M].
    public var sealYears: Int
    /// Years the node's licence CA certificate is valid.
    public var authorityYears: Int
    /// Verifications one client address may ask for per window without signing in (counted per node).
    public var verificationLimit: Int
    public var verificationWindow: Duration
    /// How long a 亮证 code stays valid after the holder opens it.
    public var showTokenLifetime: Duration
    /// How old a licence change must be before 证照回流 sends it: longer than any transaction that writes one, so
    /// that a change committed late is not passed over.
    public var publicationSettle: Duration

    public init(
        sealYears: Int = 5, authorityYears: Int = 20, verificationLimit: Int = 60,
        verificationWindow: Duration = .seconds(60), showTokenLifetime: Duration = .seconds(300),
        publicationSettle: Duration = .seconds(5)
    ) {
        self.showTokenLifetime = showTokenLifetime
        self.publicationSettle = publicationSettle
        self.sealYears = sealYears
        self.authorityYears = authorityYears
        self.verificationLimit = verificationLimit
        self.verificationWindow = verificationWindow
    }

    /// Checks values read from flags or the environment, so that a typo stops start-up.
    public func validated() throws(ValidationError) -> LicenceSettings {
        var issues = ValidationCollector()
        issues.require(sealYears, in: 1...20, "HUITONG_LICENCE_SEAL_YEARS")
        issues.require(authorityYears, in: 1...50, "HUITONG_LICENCE_AUTHORITY_YEARS")
        issues.require(verificationLimit, in: 1...100_000, "HUITONG_LICENCE_VERIFICATION_LIMIT")
        issues.requireAtLeastASecond(verificationWindow, "HUITONG_LICENCE_VERIFICATION_WINDOW_SECONDS")
        issues.requireAtLeastASecond(showTokenLifetime, "HUITONG_LICENCE_SHOW_SECONDS")
        issues.requireAtLeastASecond(publicationSettle, "HUITONG_LICENCE_PUBLICATION_SETTLE_SECONDS")
        if sealYears > authorityYears {
            issues.add(
                "HUITONG_LICENCE_SEAL_YEARS",
                BilingualText(zh: "印章证书的有效期不能长于 CA 证书", en: "a seal cannot outlive the CA certificate"))
        }
        try issues.throwIfAny()
        return self
    }
}
