import Foundation
import HuitongCore
import HuitongStore

/// The sharing workflow (domain.md §3): applications, decisions, coordination and the grants they compile to.
///
/// Every grant mutation (creation on approval, revocation) goes through this type and nowhere else, so that
/// auditing can be attached in one place. Each method checks who may act, applies one step of
/// `ApplicationWorkflow`, and writes the step, its history, its grant and its notifications in one transaction.
public struct SharingUseCases: Sendable {
    public let store: Store
    public let settings: SharingSettings
    /// Where grant changes are recorded; nil only where no grant can change (tests of the workflow alone).
    public let audit: AuditLog?

    public init(store: Store, settings: SharingSettings, audit: AuditLog? = nil) {
        self.store = store
        self.settings = settings
        self.audit = audit
    }

    package var workflow: ApplicationWorkflow { ApplicationWorkflow(complianceReview: settings.complianceReview) }

    /// The actor recorded for steps the platform takes by itself (automatic approval, routing, the overdue sweep).
    package static let platform = ChangeAuthor(userID: nil, name: "系统")

    // MARK: Applications

    /// Files a draft application of `user`'s department.
    public func create(_ draft: ApplicationDraft, by user: User, at now: Date = Date()) async throws
        -> SharingApplication
    {
        try AccessPolicy.require(user, .sharingApply)
        let draft = try await checked(draft, consumerDepartmentID: user.departmentID, at: now)
        return try await store.applications.create(
            draft, consumerDepartmentID: user.departmentID, applicant: user.author, at: now)
    }

    /// Replaces the content of a draft, or of an application returned for information, before it is (re)submitted.
    public func edit(id: Int64, _ draft: ApplicationDraft, by user: User, at now: Date = Date()) async throws
        -> SharingApplication
    {
        var application = try await ownApplication(id, of: user)
        guard application.state == .draft || application.state == .returnedForInfo else {
            throw WorkflowError.transitionNotAllowed(.submit, from: application.state)
        }
        if draft.entryID != application.content.entryID {
            throw ValidationError(
                field: "entryID",
                BilingualText(zh: "申请的目录不能更改，请另行申请", en: "the entry cannot change; file a new application"))
        }
        application.content = try await checked(draft, consumerDepartmentID: user.departmentID, at: now)
        return try await commit(
            ApplicationChange(application: application, expectedState: application.state, events: []))
    }

    /// Submits a draft, or resubmits an application returned for information (optionally with new content).
    /// 无条件共享 entries are approved and granted at once; others go to review with a working-day deadline.
    public func submit(
        id: Int64, by user: User, content: ApplicationDraft? = nil, comment: String = "", at now: Date = Date()
    ) async throws -> SharingApplication {
        try await submit(
            try await ownApplication(id, of: user), actor: user.author, content: content, comment: comment, at: now)
    }

    /// Files and submits an application for a department of another node (跨层级申请), written by that node's
    /// officer: the same checks, deadlines and review as a local one, with no local officer behind it.
    ///
    /// `routedFrom` (the other node and its reference) makes it idempotent: filed again, the application already
    /// filed is returned, and one left a draft by a node that stopped half-way is submitted now.
    public func fileOnBehalf(
        _ draft: ApplicationDraft, consumerDepartmentID: Int64, applicant: ChangeAuthor, routedFrom: String,
        at now: Date = Date()
    ) async throws -> SharingApplication {
        let draft = try await checked(draft, consumerDepartmentID: consumerDepartmentID, at: now)
        let filed = try await store.applications.create(
            draft, consumerDepartmentID: consumerDepartmentID, applicant: applicant, routedFrom: routedFrom, at: now)
        guard filed.state == .draft else { return filed }
        return try await submit(filed, actor: applicant, content: nil, comment: "", at: now)
    }

    private func submit(
        _ application: SharingApplication, actor: ChangeAuthor, content: ApplicationDraft?, comment: String,
        at now: Date
    ) async throws -> SharingApplication {
        var application = application
        let from = application.state
        if let content {
            if content.entryID != application.content.entryID {
                throw ValidationError(
                    field: "entryID",
                    BilingualText(zh: "申请的目录不能更改，请另行申请", en: "the entry cannot change; file a new application"))
            }
            application.content = content
        }
        // The entry or the negative list may have changed since the draft was written.
        application.content = try await checked(
            application.content, consumerDepartmentID: application.consumerDepartmentID, at: now)
        let entry = try await entry(application.content.entryID)
        let steps = try workflow.submission(from: from, shareType: entry.content.shareType)
        var events: [ApplicationEvent] = []
        for (index, step) in steps.enumerated() {
            let author = index == 0 ? actor : Self.platform
            events.append(
                ApplicationEvent(
                    action: step.action, from: step.from, to: step.to, actorID: author.userID, actorName: author.name,
                    comment: index == 0 ? Self.tidy(comment) : "", at: now))
        }
        application.state = steps.last!.to
        application.submittedAt = now
        application.decision = nil
        var grant: GrantDraft?
        var notifications: [NotificationDraft] = []
        let calendar = try await store.holidays.calendar()
        switch application.state {
        case .approved:
            application.deadline = nil
            grant = try await compile(application, entry: entry, terms: GrantTerms())
            notifications.append(
                notice(
                    application, to: applicant(application), kind: .applicationDecided,
                    BilingualText(zh: "已自动同意（无条件共享），授权已生效", en: "approved automatically (unconditional sharing)")))
        case .complianceReview:
            application.deadline = calendar.deadline(addingWorkingDays: settings.complianceReviewDays, to: now)
            notifications.append(
                notice(
                    application, to: .role(.operator), kind: .complianceReview,
                    BilingualText(zh: "待符合性审查", en: "awaits the compliance review")))
        default:
            application.deadline = calendar.deadline(addingWorkingDays: settings.providerReviewDays, to: now)
            notifications.append(toProvider(application))
        }
        return try await commit(
            ApplicationChange(
                application: application, expectedState: from, events: events, grant: grant,
                notifications: notifications))
    }

    /// The operator's 符合性审查: pass to the provider, or return to the consumer with what is missing.
    public func reviewCompliance(id: Int64, pass: Bool, comment: String, by user: User, at now: Date = Date())
        async throws -> SharingApplication
    {
        try AccessPolicy.require(user, .sharingReviewCompliance)
        var application = try await existing(id)
        let action: ApplicationAction = pass ? .passCompliance : .returnForInfo
        let from = application.state
        let comment = Self.tidy(comment)
        application.state = try workflow.apply(action, to: from, comment: comment)
        var notifications: [NotificationDraft]
        if pass {
            application.deadline = try await store.holidays.calendar()
                .deadline(addingWorkingDays: settings.providerReviewDays, to: now)
            notifications = [toProvider(application)]
        } else {
            application.deadline = nil
            notifications = [
                notice(
                    application, to: applicant(application), kind: .applicationDecided,
                    BilingualText(zh: "符合性审查退回，请补充：\(comment)", en: "returned by the compliance review: \(comment)"))
            ]
        }
        return try await commit(
            ApplicationChange(
                application: application, expectedState: from,
                events: [event(action, from, application.state, user.author, comment, now)],
                notifications: notifications))
    }

    /// The provider's decision: approve (all that was asked), approve in part (only ever less), refuse with a
    /// reason, or return for information. A refusal goes on to coordination when so configured.
    public func decide(id: Int64, _ decision: ProviderDecision, by user: User, at now: Date = Date()) async throws
        -> SharingApplication
    {
        var application = try await decidableApplication(id, by: user)
        let from = application.state
        let action = ApplicationAction.deciding(decision.kind)
        // The state is checked first, so that a late decision reads as a conflict rather than as bad input.
        _ = try workflow.apply(action, to: from, comment: "-")
        let decision = try decision.validated(for: application.content, maximumRateLimit: settings.maximumRateLimit)
        application.state = try workflow.apply(action, to: from, comment: decision.comment)
        application.decision = decision
        application.deadline = nil
        var events = [event(action, from, application.state, user.author, Self.explain(decision), now)]
        var grant: GrantDraft?
        var notifications: [NotificationDraft] = []
        switch decision.kind {
        case .approve, .approvePartially:
            grant = try await compile(
                application, entry: try await entry(application.content.entryID), terms: decision.terms)
            notifications.append(
                notice(
                    application, to: applicant(application), kind: .applicationDecided,
                    BilingualText(
                        zh: "提供部门\(decision.kind.label.zh)，授权已生效", en: "the provider decided: \(decision.kind.label.en)"
                    )))
        case .returnForInfo:
            notifications.append(
                notice(
                    application, to: applicant(application), kind: .applicationDecided,
                    BilingualText(
                        zh: "被退回，请补充：\(decision.comment)", en: "returned for information: \(decision.comment)")))
        case .refuse:
            notifications.append(
                notice(
                    application, to: applicant(application), kind: .applicationDecided,
                    BilingualText(zh: "提供部门不同意：\(decision.comment)", en: "refused by the provider: \(decision.comment)")
                ))
            if settings.escalateRefusals {
                let escalated = try workflow.apply(.escalate, to: application.state)
                events.append(
                    event(
                        .escalate, application.state, escalated, Self.platform,
                        "不同意的申请转平台协调",
                        now))
                application.state = escalated
                application.deadline = try await store.holidays.calendar()
                    .deadline(addingWorkingDays: settings.coordinationDays, to: now)
                notifications.append(
                    notice(
                        application, to: .role(.operator), kind: .escalated,
                        BilingualText(zh: "提供部门不同意，待协调", en: "refused by the provider; to coordinate")))
            }
        }
        return try await commit(
            ApplicationChange(
                application: application, expectedState: from, events: events, grant: grant,
                notifications: notifications))
    }

    /// The applicant's department takes back an application nobody has decided yet (a draft, one waiting for
    /// review, or one returned for information). The provider's queue loses it, and the step is on the audit log.
    public func withdraw(id: Int64, comment: String = "", by user: User, at now: Date = Date()) async throws
        -> SharingApplication
    {
        var application = try await ownApplication(id, of: user)
        let from = application.state
        let comment = Self.tidy(comment)
        if comment.count > 1000 {
            throw ValidationError(
                field: "comment", BilingualText(zh: "说明不能超过 1000 字", en: "the note is longer than 1000 characters"))
        }
        application.state = try workflow.apply(.withdraw, to: from)
        application.deadline = nil
        var notifications: [NotificationDraft] = []
        if from != .draft {
            notifications.append(
                notice(
                    application, to: .department(application.providerDepartmentID, .provider),
                    kind: .applicationDecided, BilingualText(zh: "申请方已撤回申请", en: "withdrawn by the applicant")))
        }
        let withdrawn = try await commit(
            ApplicationChange(
                application: application, expectedState: from,
                events: [event(.withdraw, from, application.state, user.author, comment, now)],
                notifications: notifications))
        try await record(
            AuditEvent(
                action: .applicationWithdrawn, time: now, consumerDepartmentID: withdrawn.consumerDepartmentID,
                userID: user.id, providerDepartmentID: withdrawn.providerDepartmentID,
                resourceCode: withdrawn.resourceCode, outcome: .allowed,
                detail: ["application": withdrawn.number, "from": from.rawValue]))
        return withdrawn
    }

    /// Asks the operator to coordinate: the consumer (or the operator) after a refusal, or anyone once the
    /// provider's time limit has run out.
    public func escalate(id: Int64, comment: String, by user: User, at now: Date = Date()) async throws
        -> SharingApplication
    {
        let application = try await existing(id)
        try AccessPolicy.require(user, .sharingEscalate, department: application.consumerDepartmentID)
        if application.state == .providerReview && !application.isOverdue(at: now) {
            throw WorkflowError.notOverdue
        }
        return try await escalate(application, by: user.author, comment: Self.tidy(comment), at: now)
    }

    /// The operator settles a coordination: approve (with terms no wider than the request) or refuse for good.
    public func resolve(
        id: Int64, approve: Bool, comment: String, terms: GrantTerms = GrantTerms(), by user: User,
        at now: Date = Date()
    ) async throws -> SharingApplication {
        try AccessPolicy.require(user, .sharingResolve)
        var application = try await existing(id)
        let from = application.state
        let action: ApplicationAction = approve ? .resolveApproved : .resolveRejected
        let comment = Self.tidy(comment)
        application.state = try workflow.apply(action, to: from, comment: comment)
        application.deadline = nil
        var grant: GrantDraft?
        if approve {
            try terms.check(against: application.content, maximumRateLimit: settings.maximumRateLimit)
            application.decision = ProviderDecision(
                kind: terms.narrows(application.content) ? .approvePartially : .approve, comment: comment, terms: terms)
            grant = try await compile(application, entry: try await entry(application.content.entryID), terms: terms)
        }
        let outcome = BilingualText(
            zh: "协调结果：\(action.label.zh)。\(comment)", en: "coordination outcome: \(action.label.en). \(comment)")
        return try await commit(
            ApplicationChange(
                application: application, expectedState: from,
                events: [event(action, from, application.state, user.author, comment, now)], grant: grant,
                notifications: [
                    notice(application, to: applicant(application), kind: .applicationDecided, outcome),
                    notice(
                        application, to: .department(application.providerDepartmentID, .provider),
                        kind: .applicationDecided, outcome),
                ]))
    }

    /// Puts on the audit log every grant whose validity ended before `now`'s day and is not there yet; returns
    /// them. Expiry itself needs no action (the gateway checks validity on every call); this makes it answerable
    /// from the log like creation and revocation. Written before the grant is marked, so a crash in between
    /// writes an expiry twice rather than never.
    @discardableResult
    public func recordExpiries(at now: Date = Date()) async throws -> [Grant] {
        let expired = try await store.grants.expiredUnaudited(before: CalendarDate(now), limit: 500)
        for grant in expired {
            try await record(
                .grantExpired(
                    grantID: grant.id, consumerDepartmentID: grant.consumerDepartmentID,
                    providerDepartmentID: grant.providerDepartmentID, resourceCode: grant.resourceCode, time: now))
        }
        try await store.grants.markExpiryAudited(ids: expired.map(\.id), at: now)
        return expired
    }

    /// Escalates every application whose provider review is overdue at `now`; returns those escalated. Runs as
    /// a `PeriodicSweep` (`UseCases.backgroundServices`) and can be called directly (tests pass their own `now`).
    @discardableResult
    public func sweepOverdue(at now: Date = Date()) async throws -> [SharingApplication] {
        var escalated: [SharingApplication] = []
        for application in try await store.applications.overdue(in: .providerReview, at: now) {
            do {
                escalated.append(
                    try await escalate(
                        application, by: Self.platform, comment: "提供部门逾期未答复",
                        at: now))
            } catch WorkflowError.changedConcurrently {
                // The provider decided while the sweep ran: nothing to escalate any more.
                continue
            }
        }
        return escalated
    }

    private func escalate(_ application: SharingApplication, by author: ChangeAuthor, comment: String, at now: Date)
        async throws -> SharingApplication
    {
        var application = application
        let from = application.state
        application.state = try workflow.apply(.escalate, to: from)
        application.deadline = try await store.holidays.calendar()
            .deadline(addingWorkingDays: settings.coordinationDays, to: now)
        let reason =
            from == .providerReview
            ? BilingualText(zh: "提供部门逾期未答复，待协调", en: "the provider did not answer in time; to coordinate")
            : BilingualText(zh: "申请部门提请协调", en: "the consumer asks for coordination")
        return try await commit(
            ApplicationChange(
                application: application, expectedState: from,
                events: [event(.escalate, from, application.state, author, comment, now)],
                notifications: [
                    notice(application, to: .role(.operator), kind: .escalated, reason),
                    notice(
                        application, to: .department(application.providerDepartmentID, .provider), kind: .escalated,
                        reason),
                ]))
    }

    // MARK: Grants

    /// Writes an application step and, when it created a grant, puts the grant on the audit log.
    ///
    /// The log is a separate store (its own file on SQLite), so the two cannot share a transaction. The step is
    /// committed first: a grant then exists before its log entry does, and if the entry cannot be written the
    /// caller is told (503) and the failure is logged, while every call made under the grant is audited anyway.
    package func commit(_ change: ApplicationChange) async throws -> SharingApplication {
        let application = try await store.applications.apply(change)
        if let grant = change.grant, let grantID = application.grantID {
            try await record(
                .grantCreated(
                    grantID: grantID, consumerDepartmentID: grant.consumerDepartmentID,
                    providerDepartmentID: grant.providerDepartmentID, resourceCode: grant.resourceCode,
                    purpose: grant.purpose.rawValue,
                    approvedBy: change.events.last?.actorID,
                    detail: ["items": grant.items.joined(separator: ","), "channel": grant.channel.rawValue]))
        }
        return application
    }

    package func record(_ event: AuditEvent) async throws {
        guard let audit else { return }
        _ = try await audit.append(event)
    }

    /// Revokes a grant: the provider of the entry or the operator, with a reason. The gateway reads grants on
    /// every call, so the next call is refused.
    public func revoke(grantID: Int64, reason: String, by user: User, at now: Date = Date()) async throws -> Grant {
        guard let grant = try await store.grants.find(id: grantID) else {
            throw StoreError.notFound(entity: "grant", key: "\(grantID)")
        }
        try AccessPolicy.require(user, .sharingRevokeGrant, department: grant.providerDepartmentID)
        let reason = Self.tidy(reason)
        if reason.isEmpty || reason.count > 1000 {
            throw ValidationError(
                field: "reason", BilingualText(zh: "须说明撤销理由（1–1000 字）", en: "give a reason (1–1000 characters)"))
        }
        let application = try await store.applications.find(id: grant.applicationID)
        var notifications = [
            NotificationDraft(
                audience: .department(grant.consumerDepartmentID, .consumer), kind: .grantRevoked,
                title: BilingualText(zh: "授权 \(grant.resourceCode) 已撤销", en: "grant for \(grant.resourceCode) revoked"),
                body: BilingualText(zh: "撤销理由：\(reason)", en: "reason: \(reason)"),
                applicationID: grant.applicationID, grantID: grant.id)
        ]
        if let applicantID = application?.applicantID {
            notifications.append(
                NotificationDraft(
                    audience: .user(applicantID), kind: .grantRevoked, title: notifications[0].title,
                    body: notifications[0].body, applicationID: grant.applicationID, grantID: grant.id))
        }
        let revoked = try await store.grants.revoke(
            id: grantID, by: user.author, reason: reason, at: now, notifications: notifications)
        try await record(
            .grantRevoked(
                grantID: revoked.id, consumerDepartmentID: revoked.consumerDepartmentID,
                providerDepartmentID: revoked.providerDepartmentID, resourceCode: revoked.resourceCode,
                revokedBy: user.id, reason: reason, time: now))
        return revoked
    }

    // MARK: Reading

    /// Whether `user` may read `application`: the operator and auditors, the consumer department, and the
    /// provider department once it has been submitted.
    public static func canRead(_ application: SharingApplication, _ user: User) -> Bool {
        if AccessPolicy.allows(user, .sharingReadAsConsumer, department: application.consumerDepartmentID) {
            return true
        }
        // A draft is the applying department's alone until it is submitted.
        return AccessPolicy.allows(user, .sharingReadAsProvider, department: application.providerDepartmentID)
            && application.state != .draft
    }

    public static func canRead(_ grant: Grant, _ user: User) -> Bool {
        AccessPolicy.allows(user, .sharingReadAsConsumer, department: grant.consumerDepartmentID)
            || AccessPolicy.allows(user, .sharingReadAsProvider, department: grant.providerDepartmentID)
    }

    public static func applicationScope(for user: User) -> ApplicationScope {
        if readsEveryDepartment(user) { return .all }
        return .department(
            user.departmentID, asConsumer: AccessPolicy.allows(user, .sharingReadAsConsumer),
            asProvider: AccessPolicy.allows(user, .sharingReadAsProvider))
    }

    public static func grantScope(for user: User) -> GrantScope {
        if readsEveryDepartment(user) { return .all }
        return .department(
            user.departmentID, asConsumer: AccessPolicy.allows(user, .sharingReadAsConsumer),
            asProvider: AccessPolicy.allows(user, .sharingReadAsProvider))
    }

    /// Whether `user` reads every department's applications and grants, on both sides (the operator, auditors).
    private static func readsEveryDepartment(_ user: User) -> Bool {
        AccessPolicy.reachesEveryDepartment(user, .sharingReadAsConsumer)
            && AccessPolicy.reachesEveryDepartment(user, .sharingReadAsProvider)
    }

    // MARK: Helpers

    /// The draft in canonical form, after every check that does not need the database to write it.
    private func checked(_ draft: ApplicationDraft, consumerDepartmentID: Int64, at now: Date) async throws
        -> ApplicationDraft
    {
        let draft = try draft.validated(today: CalendarDate(now), maximumPeriodDays: settings.maximumPeriodDays)
        let entry = try await entry(draft.entryID)
        try draft.checkEligible(
            entry: entry, consumerDepartmentID: consumerDepartmentID,
            negativeList: try await store.lists.listNegative(departmentID: nil))
        return draft
    }

    private func entry(_ id: Int64) async throws -> CatalogEntry {
        guard let entry = try await store.catalog.find(id: id) else {
            throw ValidationError(
                field: "entryID", BilingualText(zh: "没有编号为 \(id) 的目录", en: "there is no catalog entry \(id)"))
        }
        return entry
    }

    private func existing(_ id: Int64) async throws -> SharingApplication {
        guard let application = try await store.applications.find(id: id) else {
            throw StoreError.notFound(entity: "application", key: "\(id)")
        }
        return application
    }

    /// The application, if `user` is a provider officer of the department whose entry it asks for; 403 otherwise.
    /// Asked before the decision itself is looked at, so that another department learns nothing of it.
    package func decidableApplication(_ id: Int64, by user: User) async throws -> SharingApplication {
        let application = try await existing(id)
        try AccessPolicy.require(user, .sharingDecide, department: application.providerDepartmentID)
        return application
    }

    /// An application the caller may act on as its consumer: a consumer officer of the applying department.
    /// The application, if `user` is a consumer officer of the department that filed it; 403 otherwise. Callers
    /// ask this before anything else, so that another department learns nothing of its state or its rules.
    package func ownApplication(_ id: Int64, of user: User) async throws -> SharingApplication {
        let application = try await existing(id)
        try AccessPolicy.require(user, .sharingEditApplication, department: application.consumerDepartmentID)
        return application
    }

    private func compile(_ application: SharingApplication, entry: CatalogEntry, terms: GrantTerms) async throws
        -> GrantDraft
    {
        guard let consumer = try await store.departments.find(id: application.consumerDepartmentID) else {
            throw StoreError.notFound(entity: "department", key: "\(application.consumerDepartmentID)")
        }
        return try GrantDraft.compile(
            application: application, entry: entry, consumerRegion: consumer.regionCode, terms: terms,
            defaultRateLimit: settings.defaultRateLimit)
    }

    private func toProvider(_ application: SharingApplication) -> NotificationDraft {
        let deadline = application.deadline.map { CalendarDate($0.addingTimeInterval(-1)).description } ?? ""
        return notice(
            application, to: .department(application.providerDepartmentID, .provider), kind: .applicationToReview,
            BilingualText(zh: "待审核，请于 \(deadline) 前答复", en: "awaits your decision by \(deadline)"))
    }

    private func notice(
        _ application: SharingApplication, to audience: NotificationAudience, kind: NotificationKind,
        _ body: BilingualText
    ) -> NotificationDraft {
        NotificationDraft(
            audience: audience, kind: kind,
            title: BilingualText(
                zh: "共享申请 \(application.number)（\(application.resourceCode)）",
                en: "application \(application.number) (\(application.resourceCode))"),
            body: body, applicationID: application.id)
    }

    /// The applicant, or the applying department's consumer officers when the account is gone.
    private func applicant(_ application: SharingApplication) -> NotificationAudience {
        application.applicantID.map { .user($0) } ?? .department(application.consumerDepartmentID, .consumer)
    }

    private func event(
        _ action: ApplicationAction, _ from: ApplicationState, _ to: ApplicationState, _ author: ChangeAuthor,
        _ comment: String, _ at: Date
    ) -> ApplicationEvent {
        ApplicationEvent(
            action: action, from: from, to: to, actorID: author.userID, actorName: author.name, comment: comment, at: at
        )
    }

    /// The history line of a decision: its reason and explanation.
    package static func explain(_ decision: ProviderDecision) -> String {
        guard let reason = decision.refusalReason else { return decision.comment }
        return "\(reason.label.zh)：\(decision.comment)"
    }

    package static func tidy(_ text: String) -> String { text.trimmingCharacters(in: .whitespacesAndNewlines) }

}
