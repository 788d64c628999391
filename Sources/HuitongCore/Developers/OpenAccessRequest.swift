import Foundation

/// Where an application for conditionally open data (有条件开放申请) stands.
public enum OpenAccessState: String, Sendable, Hashable, Codable, CaseIterable {
    /// Waiting for the providing department's answer.
    case pending
    case approved
    case refused
    /// Approved, then withdrawn by the provider before it ran out.
    case revoked

    public var label: BilingualText {
        switch self {
        case .pending: BilingualText(zh: "待审核", en: "awaiting decision")
        case .approved: BilingualText(zh: "已同意", en: "approved")
        case .refused: BilingualText(zh: "未同意", en: "refused")
        case .revoked: BilingualText(zh: "已撤销", en: "revoked")
        }
    }
}

/// What a developer submits to use a conditionally open dataset (domain.md §7.2: stated use case, security
/// capability, the signed data-use agreement), before it is checked.
public struct OpenAccessDraft: Sendable, Hashable {
    public var entryID: Int64
    /// 用途: what the data will be used for.
    public var purpose: String
    /// 应用场景: the product or study that will use it.
    public var scenario: String
    /// 安全保障能力: how the applicant will keep the data safe.
    public var securityMeasures: String
    /// For how long access is asked, in months.
    public var months: Int
    /// Whether the 数据利用协议 for conditionally open data was accepted.
    public var acceptedAgreement: Bool

    public init(
        entryID: Int64, purpose: String, scenario: String, securityMeasures: String, months: Int,
        acceptedAgreement: Bool
    ) {
        self.entryID = entryID
        self.purpose = purpose
        self.scenario = scenario
        self.securityMeasures = securityMeasures
        self.months = months
        self.acceptedAgreement = acceptedAgreement
    }

    public static let minimumPurposeLength = 10

    /// Checks the draft; `maximumMonths` is the node's longest period of access [M].
    public func validated(maximumMonths: Int) throws(ValidationError) -> OpenAccessDraft {
        var issues = ValidationCollector()
        var result = self
        result.purpose = ObjectionText.tidy(purpose)
        result.scenario = ObjectionText.tidy(scenario)
        result.securityMeasures = ObjectionText.tidy(securityMeasures)
        ObjectionText.check(result.purpose, "purpose", limit: 2000, required: true, &issues)
        if !result.purpose.isEmpty && result.purpose.count < Self.minimumPurposeLength {
            issues.add(
                "purpose",
                BilingualText(
                    zh: "请具体说明用途（至少 \(Self.minimumPurposeLength) 个字）",
                    en: "describe the purpose in at least \(Self.minimumPurposeLength) characters"))
        }
        ObjectionText.check(result.scenario, "scenario", limit: 2000, required: true, &issues)
        ObjectionText.check(result.securityMeasures, "securityMeasures", limit: 2000, required: true, &issues)
        if !(1...maximumMonths).contains(months) {
            issues.add(
                "months",
                BilingualText(zh: "使用期限须为 1–\(maximumMonths) 个月", en: "the period must be 1–\(maximumMonths) months"))
        }
        if !acceptedAgreement {
            issues.add(
                "acceptedAgreement",
                BilingualText(zh: "须同意数据利用协议", en: "the data-use agreement must be accepted"))
        }
        try issues.throwIfAny()
        return result
    }
}

/// An application for conditionally open data, and the provider's answer.
public struct OpenAccessRequest: Sendable, Hashable, Codable, Identifiable {
    public var id: Int64
    public var developerID: Int64
    /// The applicant as the public results list shows them (`Developer.publicName`).
    public var applicant: String
    public var entryID: Int64
    public var resourceCode: String
    public var entryName: String
    public var providerDepartmentID: Int64
    public var purpose: String
    public var scenario: String
    public var securityMeasures: String
    public var months: Int
    public var state: OpenAccessState
    public var submittedAt: Date
    /// When the provider's answer is due (working days, as for shared data).
    public var deadline: Date
    public var decidedAt: Date?
    public var decidedBy: Int64?
    public var decisionComment: String
    /// The end of an approved application's access.
    public var validUntil: Date?
    /// When a late answer was put before the operators.
    public var escalatedAt: Date?
    /// When and why the provider withdrew an approval.
    public var revokedAt: Date?
    public var revocationReason: String?

    public init(
        id: Int64, developerID: Int64, applicant: String, entryID: Int64, resourceCode: String, entryName: String,
        providerDepartmentID: Int64, purpose: String, scenario: String, securityMeasures: String, months: Int,
        state: OpenAccessState, submittedAt: Date, deadline: Date, decidedAt: Date?, decidedBy: Int64?,
        decisionComment: String, validUntil: Date?, escalatedAt: Date? = nil, revokedAt: Date? = nil,
        revocationReason: String? = nil
    ) {
        self.id = id
        self.developerID = developerID
        self.applicant = applicant
        self.entryID = entryID
        self.resourceCode = resourceCode
        self.entryName = entryName
        self.providerDepartmentID = providerDepartmentID
        self.purpose = purpose
        self.scenario = scenario
        self.securityMeasures = securityMeasures
        self.months = months
        self.state = state
        self.submittedAt = submittedAt
        self.deadline = deadline
        self.decidedAt = decidedAt
        self.decidedBy = decidedBy
        self.decisionComment = decisionComment
        self.validUntil = validUntil
        self.escalatedAt = escalatedAt
        self.revokedAt = revokedAt
        self.revocationReason = revocationReason
    }

    /// `KF2026000042`: what the applicant quotes and the results list shows.
    public var number: String {
        let year = CalendarDate(submittedAt).year
        let digits = String(id)
        return "KF\(year)" + String(repeating: "0", count: max(6 - digits.count, 0)) + digits
    }

    /// Whether the applicant may read the dataset's rows at `now`.
    public func grantsAccess(at now: Date) -> Bool {
        state == .approved && (validUntil.map { now < $0 } ?? false)
    }

    public func isOverdue(at now: Date) -> Bool {
        state == .pending && deadline <= now
    }
}

/// The provider's answer to an application for conditionally open data.
public struct OpenAccessDecision: Sendable, Hashable {
    public var approve: Bool
    public var comment: String

    public init(approve: Bool, comment: String) {
        self.approve = approve
        self.comment = comment
    }

    /// A refusal must say why in words: the results are public, and the applicant may apply again.
    public func validated() throws(ValidationError) -> OpenAccessDecision {
        var issues = ValidationCollector()
        let comment = ObjectionText.tidy(comment)
        ObjectionText.check(comment, "comment", limit: 2000, required: !approve, &issues)
        if !approve && comment.isEmpty == false && comment.count < 5 {
            issues.add("comment", BilingualText(zh: "请具体说明不同意的理由", en: "explain the refusal in a sentence"))
        }
        try issues.throwIfAny()
        return OpenAccessDecision(approve: approve, comment: comment)
    }

    /// The reason a provider gives for withdrawing an approval: required, because the applicant and the public
    /// see it.
    public static func checkedRevocationReason(_ reason: String) throws(ValidationError) -> String {
        var issues = ValidationCollector()
        let reason = ObjectionText.tidy(reason)
        ObjectionText.check(reason, "reason", limit: 2000, required: true, &issues)
        if !reason.isEmpty && reason.count < 5 {
            issues.add("reason", BilingualText(zh: "请具体说明撤销的理由", en: "explain the revocation in a sentence"))
        }
        try issues.throwIfAny()
        return reason
    }

    /// When access ends for an application approved at `now` for `months` months.
    public static func validUntil(approvedAt now: Date, months: Int) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = CalendarDate.chinaTimeZone
        return calendar.date(byAdding: .month, value: months, to: now)
            ?? now.addingTimeInterval(Double(months) * 30 * 86_400)
    }
}

/// Rules of conditionally open data broken by a request.
public enum OpenAccessError: HuitongError, Equatable {
    /// Only conditionally open datasets are applied for; unconditional ones are simply downloaded.
    case notConditional
    /// The developer already has an application for this dataset that is waiting or in force.
    case alreadyApplied(number: String?)
    /// Someone already answered this application.
    case alreadyDecided(OpenAccessState)
    /// Only an approval still in force can be revoked.
    case notInForce

    public var code: String {
        switch self {
        case .notConditional: "not_conditionally_open"
        case .alreadyApplied: "already_applied"
        case .alreadyDecided: "already_decided"
        case .notInForce: "not_in_force"
        }
    }

    public var kind: ErrorKind {
        switch self {
        case .notConditional: .unprocessable
        case .alreadyApplied, .alreadyDecided, .notInForce: .conflict
        }
    }

    public var message: BilingualText {
        switch self {
        case .notConditional:
            BilingualText(
                zh: "该数据集不是有条件开放数据，无需申请", en: "this dataset is not conditionally open; there is nothing to apply for")
        case .alreadyApplied(let number):
            BilingualText(
                zh: "您已有该数据集的申请\(number.map { " \($0)" } ?? "")，正在审核或仍在有效期内",
                en: "your application\(number.map { " \($0)" } ?? "") for this dataset is pending or in force")
        case .alreadyDecided(let state):
            BilingualText(
                zh: "该申请已处理（\(state.label.zh)）", en: "this application was already answered (\(state.label.en))")
        case .notInForce:
            BilingualText(zh: "该申请不是有效期内的已同意申请，无法撤销", en: "only an approval still in force can be revoked")
        }
    }
}
