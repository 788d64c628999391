import Foundation

/// A registered user of the open-data portal (开发者): a member of the public or an organisation's developer, who
/// applies for conditionally open data and calls the open-data API with self-service keys.
///
/// Registration is real-name (实名, domain.md §7.2): the ID number is checked (GB 11643) when it is given, and only
/// a masked hint of it is kept, so the platform never holds the number itself.
public struct Developer: Sendable, Hashable, Codable, Identifiable {
    public var id: Int64
    /// The sign-in name, lower-cased.
    public var email: String
    /// The real name given at registration.
    public var name: String
    /// The organisation the developer applies for; empty for an individual.
    public var organisation: String
    /// The organisation's 统一社会信用代码, checked at registration; nil for an individual.
    public var organisationCode: String?
    /// The ID number with all but its first three and last four characters hidden.
    public var identityHint: String
    public var isActive: Bool
    public var createdAt: Date

    public init(
        id: Int64, email: String, name: String, organisation: String, organisationCode: String?,
        identityHint: String, isActive: Bool, createdAt: Date
    ) {
        self.id = id
        self.email = email
        self.name = name
        self.organisation = organisation
        self.organisationCode = organisationCode
        self.identityHint = identityHint
        self.isActive = isActive
        self.createdAt = createdAt
    }

    /// How the applicant appears in the public list of decisions: an organisation whose credit code was checked,
    /// or else the family name only (张**, the length of the name hidden too). A name typed without a code is the
    /// applicant's own claim, so it is never published as if it were the organisation's.
    public var publicName: String {
        if organisationCode != nil && !organisation.isEmpty { return organisation }
        guard let first = name.first else { return "" }
        return String(first) + "**"
    }
}

/// What a person types into the registration form, before it is checked.
public struct DeveloperRegistration: Sendable, Hashable {
    public var email: String
    public var name: String
    public var idNumber: String
    public var organisation: String
    public var organisationCode: String
    public var password: String
    /// Whether the 开放数据利用协议 was accepted; registration requires it.
    public var acceptedAgreement: Bool

    public init(
        email: String, name: String, idNumber: String, organisation: String = "", organisationCode: String = "",
        password: String, acceptedAgreement: Bool
    ) {
        self.email = email
        self.name = name
        self.idNumber = idNumber
        self.organisation = organisation
        self.organisationCode = organisationCode
        self.password = password
        self.acceptedAgreement = acceptedAgreement
    }

    /// The checked registration: every problem is reported at once, by field. `identityDigest` turns the checked
    /// ID number into the keyed digest that keeps one account per person without keeping the number.
    public func validated(today: CalendarDate, identityDigest: (String) -> String) throws(ValidationError)
        -> CheckedDeveloperRegistration
    {
        var issues = ValidationCollector()
        let email = ObjectionText.tidy(email).lowercased()
        if !ObjectionContact.isEmail(email) {
            issues.add("email", BilingualText(zh: "不是有效的电子邮箱", en: "is not a valid e-mail address"))
        }
        let name = ObjectionText.tidy(name)
        ObjectionText.check(name, "name", limit: 50, required: true, &issues)
        var identityHint = ""
        var digest = ""
        let idNumber = ObjectionText.tidy(idNumber).uppercased()
        if idNumber.isEmpty {
            issues.add("idNumber", BilingualText(zh: "实名注册须填写身份证号码", en: "an ID number is required to register"))
        } else {
            do {
                let checked = try ResidentIDNumber(idNumber, today: today)
                identityHint = Self.hint(checked.text)
                digest = identityDigest(checked.text)
            } catch {
                issues.add(
                    "idNumber", BilingualText(zh: "身份证号码有误：\(error.message.zh)", en: "ID number: \(error.message.en)"))
            }
        }
        let organisation = ObjectionText.tidy(organisation)
        ObjectionText.check(organisation, "organisation", limit: 100, required: false, &issues)
        let code = ObjectionText.tidy(organisationCode).uppercased()
        var organisationCode: String?
        if !code.isEmpty {
            if organisation.isEmpty {
                issues.add(
                    "organisation",
                    BilingualText(zh: "填写了信用代码时须填写单位名称", en: "name the organisation the code belongs to"))
            }
            do {
                organisationCode = try UnifiedSocialCreditCode(code).text
            } catch {
                issues.add(
                    "organisationCode",
                    BilingualText(zh: "统一社会信用代码有误：\(error.message.zh)", en: "credit code: \(error.message.en)"))
            }
        }
        if let problem = PasswordRule.problem(with: password) { issues.add("password", problem) }
        if !acceptedAgreement {
            issues.add(
                "acceptedAgreement",
                BilingualText(zh: "注册须同意开放数据利用协议", en: "registering requires accepting the open-data agreement"))
        }
        try issues.throwIfAny()
        return CheckedDeveloperRegistration(
            email: email, name: name, identityHint: identityHint, identityDigest: digest, organisation: organisation,
            organisationCode: organisationCode, password: password)
    }

    /// `110***********123X`: enough for the developer to recognise, too little to be an ID number.
    static func hint(_ idNumber: String) -> String {
        String(idNumber.prefix(3)) + String(repeating: "*", count: max(idNumber.count - 7, 0))
            + String(idNumber.suffix(4))
    }
}

/// A registration that passed every check; the ID number itself is already gone.
public struct CheckedDeveloperRegistration: Sendable, Hashable {
    public var email: String
    public var name: String
    public var identityHint: String
    /// A keyed digest of the ID number: equal for the same person, useless without the node's secret.
    public var identityDigest: String
    public var organisation: String
    public var organisationCode: String?
    public var password: String
}

/// A developer's self-service key for the open-data API. Only its digest is stored; the key is shown once.
public struct DeveloperKey: Sendable, Hashable, Codable, Identifiable {
    public var id: Int64
    public var developerID: Int64
    public var label: String
    /// The first characters of the key, so that its owner can tell keys apart.
    public var hint: String
    public var createdAt: Date
    public var lastUsedAt: Date?
    public var revokedAt: Date?

    public init(
        id: Int64, developerID: Int64, label: String, hint: String, createdAt: Date, lastUsedAt: Date?,
        revokedAt: Date?
    ) {
        self.id = id
        self.developerID = developerID
        self.label = label
        self.hint = hint
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
        self.revokedAt = revokedAt
    }

    public var isActive: Bool { revokedAt == nil }

    /// A key's label: what it is for, so that a developer with several applications knows which key to revoke.
    public static func checkedLabel(_ label: String) throws(ValidationError) -> String {
        let label = ObjectionText.tidy(label)
        var issues = ValidationCollector()
        ObjectionText.check(label, "label", limit: 50, required: true, &issues)
        try issues.throwIfAny()
        return label
    }
}
