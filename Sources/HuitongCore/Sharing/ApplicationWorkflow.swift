import Foundation

/// A step of the sharing workflow (domain.md §3.4).
///
/// ```
/// draft ─submit→ submitted ─route→ complianceReview ─passCompliance→ providerReview
///                    │   └─route (no compliance review)──────────────→ providerReview
///                    └─autoApprove (无条件共享)→ approved
/// providerReview ─approve→ approved | approvePartially→ partiallyApproved | refuse→ rejected
///                ─returnForInfo→ returnedForInfo ─resubmit→ submitted
/// complianceReview ─returnForInfo→ returnedForInfo
/// rejected | providerReview (overdue) ─escalate→ coordination ─resolveApproved→ resolvedApproved
///                                                             ─resolveRejected→ resolvedRejected
/// draft | submitted | complianceReview | providerReview | returnedForInfo ─withdraw→ withdrawn (by the applicant)
/// ```
public enum ApplicationAction: String, LabeledValue {
    case create
    case submit
    case route
    case autoApprove
    case passCompliance
    case approve
    case approvePartially
    case refuse
    case returnForInfo
    case resubmit
    case escalate
    case resolveApproved
    case resolveRejected
    /// The applicant takes back an application nobody has decided yet.
    case withdraw

    public var label: BilingualText {
        switch self {
        case .create: BilingualText(zh: "创建申请", en: "create")
        case .submit: BilingualText(zh: "提交申请", en: "submit")
        case .route: BilingualText(zh: "转入审核", en: "route for review")
        case .autoApprove: BilingualText(zh: "无条件共享自动同意", en: "approve automatically (unconditional sharing)")
        case .passCompliance: BilingualText(zh: "符合性审查通过", en: "pass the compliance review")
        case .approve: BilingualText(zh: "同意", en: "approve")
        case .approvePartially: BilingualText(zh: "部分同意", en: "approve in part")
        case .refuse: BilingualText(zh: "不同意", en: "refuse")
        case .returnForInfo: BilingualText(zh: "退回补充材料", en: "return for information")
        case .resubmit: BilingualText(zh: "补充后重新提交", en: "resubmit")
        case .escalate: BilingualText(zh: "提请协调", en: "escalate for coordination")
        case .resolveApproved: BilingualText(zh: "协调后同意", en: "resolve: approve")
        case .resolveRejected: BilingualText(zh: "协调后不同意", en: "resolve: refuse")
        case .withdraw: BilingualText(zh: "撤回申请", en: "withdraw")
        }
    }

    /// The states in which this step may be taken.
    public var allowedFrom: Set<ApplicationState> {
        switch self {
        case .create: []
        case .submit: [.draft]
        case .resubmit: [.returnedForInfo]
        case .route, .autoApprove: [.submitted]
        case .passCompliance: [.complianceReview]
        case .approve, .approvePartially, .refuse: [.providerReview]
        case .returnForInfo: [.providerReview, .complianceReview]
        case .escalate: [.rejected, .providerReview]
        case .resolveApproved, .resolveRejected: [.coordination]
        case .withdraw: [.draft, .submitted, .complianceReview, .providerReview, .returnedForInfo]
        }
    }

    /// The state this step leads to; `route` depends on whether a compliance review is configured.
    public func target(complianceReview: Bool) -> ApplicationState {
        switch self {
        case .create: .draft
        case .submit, .resubmit: .submitted
        case .route: complianceReview ? .complianceReview : .providerReview
        case .autoApprove, .approve: .approved
        case .passCompliance: .providerReview
        case .approvePartially: .partiallyApproved
        case .refuse: .rejected
        case .returnForInfo: .returnedForInfo
        case .escalate: .coordination
        case .resolveApproved: .resolvedApproved
        case .resolveRejected: .resolvedRejected
        case .withdraw: .withdrawn
        }
    }

    /// Which party takes the step.
    public var actor: WorkflowActor {
        switch self {
        case .create, .submit, .resubmit, .withdraw: .consumer
        case .route, .autoApprove: .platform
        case .passCompliance, .resolveApproved, .resolveRejected: .operator
        case .approve, .approvePartially, .refuse: .provider
        case .returnForInfo: .providerOrOperator
        case .escalate: .anyParty
        }
    }

    /// Whether the step must say why (refusals, returns and coordination outcomes are explained to the consumer).
    public var requiresComment: Bool {
        switch self {
        case .refuse, .returnForInfo, .resolveApproved, .resolveRejected: true
        default: false
        }
    }

    /// The decision step matching a provider's decision.
    public static func deciding(_ kind: DecisionKind) -> ApplicationAction {
        switch kind {
        case .approve: .approve
        case .approvePartially: .approvePartially
        case .refuse: .refuse
        case .returnForInfo: .returnForInfo
        }
    }
}

/// Who may take a workflow step.
public enum WorkflowActor: String, Sendable, Hashable, Codable {
    case consumer
    case provider
    case `operator`
    case providerOrOperator
    /// Consumer, provider's escalation by time, or operator.
    case anyParty
    /// The platform itself, as part of another step.
    case platform
}

/// The sharing workflow as a pure state machine: which steps are legal, and where they lead.
public struct ApplicationWorkflow: Sendable, Hashable {
    /// Whether submitted applications pass the operator's 符合性审查 before the provider sees them.
    public var complianceReview: Bool

    public init(complianceReview: Bool) {
        self.complianceReview = complianceReview
    }

    /// The state `action` leads to from `state`, or the reason it cannot be taken.
    public func apply(_ action: ApplicationAction, to state: ApplicationState, comment: String = "")
        throws(WorkflowError) -> ApplicationState
    {
        guard action.allowedFrom.contains(state) else {
            throw .transitionNotAllowed(action, from: state)
        }
        if action.requiresComment && comment.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw .commentRequired(action)
        }
        return action.target(complianceReview: complianceReview)
    }

    /// The steps taken when a consumer submits (or resubmits) an application for an entry of `shareType`: into
    /// `submitted`, then straight to approval for 无条件共享, else to review.
    public func submission(from state: ApplicationState, shareType: ShareType) throws(WorkflowError)
        -> [(action: ApplicationAction, from: ApplicationState, to: ApplicationState)]
    {
        let first: ApplicationAction = state == .returnedForInfo ? .resubmit : .submit
        let submitted = try apply(first, to: state)
        let next: ApplicationAction = shareType == .unconditional ? .autoApprove : .route
        return [(first, state, submitted), (next, submitted, try apply(next, to: submitted))]
    }
}

/// Workflow rules broken by a request: the step is not possible in the application's state.
public enum WorkflowError: HuitongError, Equatable {
    case transitionNotAllowed(ApplicationAction, from: ApplicationState)
    case commentRequired(ApplicationAction)
    /// Someone else moved the application between reading and writing it.
    case changedConcurrently(expected: ApplicationState)
    /// An escalation for lateness came before the deadline.
    case notOverdue

    public var code: String {
        switch self {
        case .transitionNotAllowed: "transition_not_allowed"
        case .commentRequired: "comment_required"
        case .changedConcurrently: "changed_concurrently"
        case .notOverdue: "not_overdue"
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
        case .transitionNotAllowed(let action, let state):
            BilingualText(
                zh: "申请处于“\(state.label.zh)”状态，不能\(action.label.zh)",
                en: "an application that is \(state.label.en) cannot take the step: \(action.label.en)")
        case .commentRequired(let action):
            BilingualText(zh: "\(action.label.zh)须填写意见", en: "\(action.label.en) needs a comment")
        case .changedConcurrently(let expected):
            BilingualText(
                zh: "申请已被他人处理，不再处于“\(expected.label.zh)”状态，请刷新后重试",
                en:
                    "someone else has acted on the application, which is no longer \(expected.label.en); reload and retry"
            )
        case .notOverdue:
            BilingualText(
                zh: "提供部门的答复期限未到，暂不能提请协调",
                en: "the provider's time limit has not run out; the application cannot be escalated yet")
        }
    }

    public var details: [FieldIssue] {
        switch self {
        case .commentRequired: [FieldIssue(field: "comment", message: message)]
        default: []
        }
    }
}
