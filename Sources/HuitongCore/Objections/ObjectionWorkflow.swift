import Foundation

/// Where an objection (异议) stands. 51号 第十四–十六条 (domain.md §3.7): a consumer reports doubtful or erroneous
/// data and the provider verifies it (校核). The verification ends in one of three answers: the data was wrong
/// and is corrected, the data is confirmed right as it stands, or the objection is rejected with a reason.
///
/// ```
/// raise → open ─escalate (deadline passed)→ escalated
/// open | escalated ─correct→ corrected | ─confirm→ confirmed | ─reject→ rejected | ─withdraw→ withdrawn
/// ```
public enum ObjectionState: String, LabeledValue {
    /// Raised; the provider has not answered yet.
    case open
    /// Not answered within the time limit: the operator has been told. The provider may still answer.
    case escalated
    /// The data was wrong; a new pool version carries the corrected values.
    case corrected
    /// Verified (校核): the data is right as it stands.
    case confirmed
    /// Not accepted, for the reason given (not the provider's data, no evidence, not a data error, …).
    case rejected
    /// Taken back by whoever raised it.
    case withdrawn

    public var label: BilingualText {
        switch self {
        case .open: BilingualText(zh: "待核实", en: "open")
        case .escalated: BilingualText(zh: "逾期待督办", en: "overdue, escalated")
        case .corrected: BilingualText(zh: "已更正", en: "corrected")
        case .confirmed: BilingualText(zh: "核实无误", en: "confirmed as correct")
        case .rejected: BilingualText(zh: "不予采纳", en: "rejected")
        case .withdrawn: BilingualText(zh: "已撤回", en: "withdrawn")
        }
    }

    /// Not answered yet: the states that count against the entry's quality score.
    public var isOpen: Bool { self == .open || self == .escalated }

    public static let openStates: [ObjectionState] = [.open, .escalated]
}

/// A step of the objection loop.
public enum ObjectionAction: String, LabeledValue {
    case raise
    case escalate
    case correct
    case confirm
    case reject
    case withdraw

    public var label: BilingualText {
        switch self {
        case .raise: BilingualText(zh: "提出异议", en: "raise")
        case .escalate: BilingualText(zh: "逾期转平台督办", en: "escalate as overdue")
        case .correct: BilingualText(zh: "更正数据", en: "correct the data")
        case .confirm: BilingualText(zh: "核实无误", en: "confirm the data")
        case .reject: BilingualText(zh: "不予采纳", en: "reject")
        case .withdraw: BilingualText(zh: "撤回异议", en: "withdraw")
        }
    }

    /// The states in which this step may be taken.
    public var allowedFrom: Set<ObjectionState> {
        switch self {
        case .raise: []
        case .escalate: [.open]
        case .correct, .confirm, .reject, .withdraw: [.open, .escalated]
        }
    }

    public var target: ObjectionState {
        switch self {
        case .raise: .open
        case .escalate: .escalated
        case .correct: .corrected
        case .confirm: .confirmed
        case .reject: .rejected
        case .withdraw: .withdrawn
        }
    }

    /// A rejection must say why: the raiser reads it (domain.md §3.5 asks the same of refusals).
    public var requiresComment: Bool { self == .reject }
}

/// The provider's answer to an objection.
public enum ObjectionAnswerKind: String, LabeledValue {
    case correct
    case confirm
    case reject

    public var label: BilingualText { action.label }

    public var action: ObjectionAction {
        switch self {
        case .correct: .correct
        case .confirm: .confirm
        case .reject: .reject
        }
    }
}

/// The objection loop as a pure state machine, with its working-day time limit.
public struct ObjectionWorkflow: Sendable, Hashable {
    /// Working days the provider has to answer.
    public var answerDays: Int

    public init(answerDays: Int) {
        self.answerDays = answerDays
    }

    /// The state `action` leads to from `state`, or why it cannot be taken.
    public func apply(_ action: ObjectionAction, to state: ObjectionState, comment: String = "")
        throws(ObjectionError) -> ObjectionState
    {
        guard action.allowedFrom.contains(state) else { throw .transitionNotAllowed(action, from: state) }
        if action.requiresComment && comment.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw .reasonRequired
        }
        return action.target
    }

    /// The escalation of an unanswered objection, which only a passed deadline allows.
    public func escalate(_ state: ObjectionState, deadline: Date, at now: Date) throws(ObjectionError)
        -> ObjectionState
    {
        let next = try apply(.escalate, to: state)
        guard deadline <= now else { throw .notOverdue }
        return next
    }

    /// When the provider's answer is due for an objection raised at `raisedAt`: the end of the `answerDays`-th
    /// working day after it.
    public func deadline(raisedAt: Date, calendar: WorkingDayCalendar) -> Date {
        calendar.deadline(addingWorkingDays: answerDays, to: raisedAt)
    }
}

/// Rules of the objection loop broken by a request.
public enum ObjectionError: HuitongError, Equatable {
    case transitionNotAllowed(ObjectionAction, from: ObjectionState)
    case reasonRequired
    /// Someone else answered (or the sweep escalated) between reading and writing.
    case changedConcurrently(expected: ObjectionState)
    case notOverdue
    /// A correction needs the record the objection is about.
    case noRecord
    /// The record named by the objection is not in the active pool version (any more).
    case recordNotFound
    /// The entry has no pool to correct.
    case noPool
    /// A load into the entry is running; its version would replace the correction.
    case loadRunning
    /// The entry's items changed since the active version was loaded: a copy of it would lose columns.
    case poolOutdated
    /// A correction that changes nothing.
    case nothingChanged

    public var code: String {
        switch self {
        case .transitionNotAllowed: "transition_not_allowed"
        case .reasonRequired: "reason_required"
        case .changedConcurrently: "changed_concurrently"
        case .notOverdue: "not_overdue"
        case .noRecord: "objection_has_no_record"
        case .recordNotFound: "record_not_found"
        case .noPool: "entry_has_no_pool"
        case .loadRunning: "load_in_progress"
        case .poolOutdated: "pool_version_outdated"
        case .nothingChanged: "nothing_changed"
        }
    }

    public var kind: ErrorKind {
        switch self {
        case .reasonRequired, .nothingChanged: .badInput
        case .noRecord, .recordNotFound, .noPool: .unprocessable
        default: .conflict
        }
    }

    public var message: BilingualText {
        switch self {
        case .transitionNotAllowed(let action, let state):
            BilingualText(
                zh: "异议处于“\(state.label.zh)”状态，不能\(action.label.zh)",
                en: "an objection that is \(state.label.en) cannot take the step: \(action.label.en)")
        case .reasonRequired:
            BilingualText(zh: "不予采纳须说明理由", en: "a rejection must give a reason")
        case .changedConcurrently(let expected):
            BilingualText(
                zh: "异议已被他人处理，不再处于“\(expected.label.zh)”状态，请刷新后重试",
                en: "someone else has acted on the objection, which is no longer \(expected.label.en); reload and retry"
            )
        case .notOverdue:
            BilingualText(zh: "答复期限未到，不能转督办", en: "the answer is not overdue yet")
        case .noRecord:
            BilingualText(
                zh: "该异议未指明具体记录，不能以更正答复；请核实后选择“核实无误”或“不予采纳”，或重新归集数据",
                en: "the objection names no record, so it cannot be answered by a correction; confirm or reject it, "
                    + "or load corrected data")
        case .recordNotFound:
            BilingualText(
                zh: "资源池当前版本中没有异议所指的记录", en: "the record the objection names is not in the pool's active version")
        case .noPool:
            BilingualText(zh: "该目录尚未挂接资源池数据", en: "the entry has no pool data to correct")
        case .loadRunning:
            BilingualText(
                zh: "该目录有归集任务正在进行，请待其完成后再更正", en: "a load into this entry is running; correct once it has finished")
        case .poolOutdated:
            BilingualText(
                zh: "目录的信息项在当前版本装载后已改变，请先重新归集数据再更正",
                en: "the entry's data items changed since the active version was loaded; load the data again first")
        case .nothingChanged:
            BilingualText(zh: "更正值与现有值相同，没有需要更正的内容", en: "the corrected values equal the current ones")
        }
    }

    public var details: [FieldIssue] {
        switch self {
        case .reasonRequired: [FieldIssue(field: "comment", message: message)]
        case .nothingChanged: [FieldIssue(field: "values", message: message)]
        default: []
        }
    }
}
