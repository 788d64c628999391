import Foundation

/// A step of an entry's lifecycle: draft → submitted → published (or returned) → offline (下架).
public enum CatalogTransition: String, LabeledValue {
    /// The provider sends a draft, returned or withdrawn entry for review.
    case submit
    /// The operator accepts a submitted entry.
    case publish
    /// The operator sends a submitted entry back with comments.
    case `return`
    /// The operator or the provider takes a published entry offline (下架).
    case withdraw

    public var label: BilingualText {
        switch self {
        case .submit: BilingualText(zh: "提交审核", en: "submit for review")
        case .publish: BilingualText(zh: "审核通过并发布", en: "publish")
        case .return: BilingualText(zh: "退回修改", en: "return for changes")
        case .withdraw: BilingualText(zh: "下架", en: "withdraw")
        }
    }

    /// The states from which this step may be taken.
    public var allowedFrom: Set<EntryStatus> {
        switch self {
        case .submit: [.draft, .returned, .offline]
        case .publish, .return: [.submitted]
        case .withdraw: [.published]
        }
    }

    public var target: EntryStatus {
        switch self {
        case .submit: .submitted
        case .publish: .published
        case .return: .returned
        case .withdraw: .offline
        }
    }

    /// Returning and withdrawing must say why, so the provider (or the public) knows what to do.
    public var requiresComment: Bool { self == .return || self == .withdraw }

    /// The state the entry moves to from `status`, or the reason it cannot.
    public func apply(to status: EntryStatus, comment: String) throws(CatalogRuleError) -> EntryStatus {
        guard allowedFrom.contains(status) else {
            throw .transitionNotAllowed(self, from: status)
        }
        if requiresComment && comment.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw .commentRequired(self)
        }
        return target
    }
}

/// Catalog rules that depend on an entry's state rather than on one field.
public enum CatalogRuleError: HuitongError, Equatable {
    case transitionNotAllowed(CatalogTransition, from: EntryStatus)
    case commentRequired(CatalogTransition)
    case underReview
    case codeFrozen
    case publishedCannotBeDeleted
    /// A live entry's share type or openness can only change through review.
    case exposureChangeNeedsReview

    public var code: String {
        switch self {
        case .transitionNotAllowed: "transition_not_allowed"
        case .commentRequired: "comment_required"
        case .underReview: "entry_under_review"
        case .codeFrozen: "resource_code_frozen"
        case .publishedCannotBeDeleted: "entry_was_published"
        case .exposureChangeNeedsReview: "review_required"
        }
    }

    public var kind: ErrorKind {
        switch self {
        case .commentRequired: .badInput
        default: .conflict
        }
    }

    public var message: BilingualText {
        switch self {
        case .transitionNotAllowed(let step, let status):
            BilingualText(
                zh: "目录处于“\(status.label.zh)”状态，不能\(step.label.zh)",
                en:
                    "an entry that is \(status.label.en) cannot be \(step.rawValue == "return" ? "returned" : step.label.en)"
            )
        case .commentRequired(let step):
            BilingualText(zh: "\(step.label.zh)须填写意见", en: "\(step.label.en) needs a comment")
        case .underReview:
            BilingualText(
                zh: "目录正在审核中，审核完成前不能修改", en: "the entry is under review and cannot be changed until it is decided")
        case .codeFrozen:
            BilingualText(
                zh: "目录已发布，信息资源分类与代码不可更改", en: "the entry has been published: its classification and code cannot change"
            )
        case .publishedCannotBeDeleted:
            BilingualText(zh: "已发布过的目录不能删除，只能下架", en: "an entry that was published can be withdrawn, not deleted")
        case .exposureChangeNeedsReview:
            BilingualText(
                zh: "已发布目录的共享类型、开放属性或信息项共享类型须经审核才能更改：请先下架，修改后重新提交审核",
                en: "changing a published entry's share type or openness needs review: withdraw it, change it, resubmit"
            )
        }
    }

    public var details: [FieldIssue] {
        switch self {
        case .commentRequired: [FieldIssue(field: "comment", message: message)]
        case .codeFrozen: [FieldIssue(field: "classificationCode", message: message)]
        default: []
        }
    }
}

extension CatalogEntryContent {
    /// Whether going from `self` to `revised` changes who may see the data (share types or openness, of the entry
    /// or of an item): such a change to a live entry must pass the operator's review, like the first publication.
    public func changesExposure(to revised: CatalogEntryContent) -> Bool {
        if shareType != revised.shareType || openness != revised.openness { return true }
        let before = Dictionary(items.map { ($0.columnName, $0.shareType) }, uniquingKeysWith: { first, _ in first })
        return revised.items.contains { item in before[item.columnName].map { $0 != item.shareType } ?? false }
    }
}

/// A published state of an entry, kept for history and comparison.
public struct CatalogVersion: Sendable, Hashable, Codable {
    public var version: Int
    public var content: CatalogEntryContent
    public var authorName: String
    public var note: String
    public var createdAt: Date

    public init(version: Int, content: CatalogEntryContent, authorName: String, note: String, createdAt: Date) {
        self.version = version
        self.content = content
        self.authorName = authorName
        self.note = note
        self.createdAt = createdAt
    }
}

/// Something that happened to an entry: created, edited, submitted, published, returned, withdrawn, mounted.
public struct CatalogEvent: Sendable, Hashable, Codable {
    public var action: String
    public var version: Int
    public var comment: String
    public var actorName: String
    public var createdAt: Date

    public init(action: String, version: Int, comment: String, actorName: String, createdAt: Date) {
        self.action = action
        self.version = version
        self.comment = comment
        self.actorName = actorName
        self.createdAt = createdAt
    }
}

/// Who made a change, as recorded in an entry's history.
public struct ChangeAuthor: Sendable, Hashable {
    public var userID: Int64?
    public var name: String

    public init(userID: Int64?, name: String) {
        self.userID = userID
        self.name = name
    }
}
