import Foundation

/// What an in-app notification is about.
public enum NotificationKind: String, LabeledValue {
    /// To the provider's officers: an application awaits their decision.
    case applicationToReview
    /// To the operators: an application awaits the compliance review.
    case complianceReview
    /// To the applicant: the provider or the operator decided, or returned the application.
    case applicationDecided
    /// To the operators: an application was refused or ran out of time and needs coordination.
    case escalated
    /// To the consumer: a grant was revoked.
    case grantRevoked
    /// To the provider's officers: an objection to their data awaits an answer.
    case objectionToAnswer
    /// To whoever raised an objection: the provider answered.
    case objectionAnswered
    /// To the operators and the provider: an objection was not answered in time.
    case objectionEscalated
    /// To the provider's officers: a developer applied for conditionally open data.
    case openAccessToReview
    /// To the operators and the provider: an open-data application was not answered in time.
    case openAccessEscalated
    /// To the provider's officers and the operators: a collection source failed several times in a row.
    case collectionFailing
    /// To the provider's officers and the operators: a collection source is late beyond its cycle.
    case collectionLate

    public var label: BilingualText {
        switch self {
        case .applicationToReview: BilingualText(zh: "待审核的共享申请", en: "application to review")
        case .complianceReview: BilingualText(zh: "待符合性审查", en: "compliance review needed")
        case .applicationDecided: BilingualText(zh: "申请有了结果", en: "application decided")
        case .escalated: BilingualText(zh: "待协调的申请", en: "application to coordinate")
        case .grantRevoked: BilingualText(zh: "授权被撤销", en: "grant revoked")
        case .objectionToAnswer: BilingualText(zh: "待答复的数据异议", en: "objection to answer")
        case .objectionAnswered: BilingualText(zh: "异议有了答复", en: "objection answered")
        case .objectionEscalated: BilingualText(zh: "逾期未答复的异议", en: "overdue objection")
        case .openAccessToReview: BilingualText(zh: "待审核的开放数据申请", en: "open-data application to review")
        case .openAccessEscalated:
            BilingualText(zh: "逾期未审核的开放数据申请", en: "overdue open-data application")
        case .collectionFailing: BilingualText(zh: "归集连续失败", en: "collection failing")
        case .collectionLate: BilingualText(zh: "归集逾期未更新", en: "collection late")
        }
    }
}

/// A message for one person, shown in the console until read.
public struct InAppNotification: Sendable, Hashable, Codable, Identifiable {
    public var id: Int64
    public var userID: Int64
    public var kind: NotificationKind
    public var title: BilingualText
    public var body: BilingualText
    public var applicationID: Int64?
    public var grantID: Int64?
    public var objectionID: Int64?
    public var createdAt: Date
    public var readAt: Date?

    public init(
        id: Int64, userID: Int64, kind: NotificationKind, title: BilingualText, body: BilingualText,
        applicationID: Int64?, grantID: Int64?, objectionID: Int64? = nil, createdAt: Date, readAt: Date?
    ) {
        self.id = id
        self.userID = userID
        self.kind = kind
        self.title = title
        self.body = body
        self.applicationID = applicationID
        self.grantID = grantID
        self.objectionID = objectionID
        self.createdAt = createdAt
        self.readAt = readAt
    }
}

/// Who receives a notification: resolved to active users when it is written.
public enum NotificationAudience: Sendable, Hashable {
    case user(Int64)
    /// Every active user of a department holding a role (e.g. the provider's data officers).
    case department(Int64, Role)
    /// Every active user holding a role anywhere (e.g. the operators).
    case role(Role)
}

/// A notification to write, with its audience.
public struct NotificationDraft: Sendable, Hashable {
    public var audience: NotificationAudience
    public var kind: NotificationKind
    public var title: BilingualText
    public var body: BilingualText
    public var applicationID: Int64?
    public var grantID: Int64?
    public var objectionID: Int64?

    public init(
        audience: NotificationAudience, kind: NotificationKind, title: BilingualText, body: BilingualText,
        applicationID: Int64? = nil, grantID: Int64? = nil, objectionID: Int64? = nil
    ) {
        self.audience = audience
        self.kind = kind
        self.title = title
        self.body = body
        self.applicationID = applicationID
        self.grantID = grantID
        self.objectionID = objectionID
    }
}
