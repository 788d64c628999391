import Foundation
import HuitongCore
import HuitongIngest
import HuitongStore

extension AuditAction {
    public static let objectionRaised = AuditAction(rawValue: "objection.raised")
    public static let objectionAnswered = AuditAction(rawValue: "objection.answered")
    public static let objectionCorrected = AuditAction(rawValue: "objection.corrected")
}

/// The objection loop (异议, domain.md §3.7): raised by an officer or a member of the public, answered by the
/// entry's provider within a working-day limit (correct, confirm or reject), escalated to the operator when late.
/// A correction becomes a new version of the entry's pool, with its provenance, in the transaction that closes the
/// objection.
public struct ObjectionUseCases: Sendable {
    public let store: Store
    public let settings: ObjectionSettings
    /// Where raises, answers and corrections are recorded; nil only in tests of the workflow alone.
    public let audit: AuditLog?

    public init(store: Store, settings: ObjectionSettings, audit: AuditLog? = nil) {
        self.store = store
        self.settings = settings
        self.audit = audit
    }

    package var workflow: ObjectionWorkflow { ObjectionWorkflow(answerDays: settings.answerDays) }

    package static let platform = ChangeAuthor(userID: nil, name: "系统")

    // MARK: Raising

    /// An officer (of a consumer or a provider department) raises an objection on a published entry.
    public func raise(_ draft: ObjectionDraft, by user: User, at now: Date = Date()) async throws -> Objection {
        try AccessPolicy.require(user, .objectionsRaise)
        let entry = try await publishedEntry(draft.entryID)
        let draft = try draft.validated(for: entry)
        let objection = try await create(
            draft, entry: entry,
            raiser: ObjectionRaiser(userID: user.id, departmentID: user.departmentID, name: user.displayName),
            trackingDigest: nil, at: now)
        return objection
    }

    /// A member of the public raises an objection on an open dataset, leaving a contact. Returns the objection and
    /// the secret that lets them follow it (shown once; only its digest is kept).
    public func raisePublic(_ draft: ObjectionDraft, contact: ObjectionContact, at now: Date = Date()) async throws
        -> (objection: Objection, trackingToken: String)
    {
        guard let entry = try await store.catalog.find(id: draft.entryID), entry.isOpenToPublic else {
            throw StoreError.notFound(entity: "open dataset", key: "\(draft.entryID)")
        }
        // Both parts are checked before refusing, so that one answer lists every problem.
        var issues: [FieldIssue] = []
        var checkedContact = contact
        var checkedDraft = draft
        do { checkedContact = try contact.validated() } catch { issues += error.issues }
        do { checkedDraft = try draft.validated(for: entry) } catch { issues += error.issues }
        if !issues.isEmpty { throw ValidationError(issues) }
        let token = Secrets.issue(.objectionTracking, suite: audit?.suite ?? .intl)
        let objection = try await create(
            checkedDraft, entry: entry, raiser: .portal(checkedContact), trackingDigest: token.digest, at: now)
        return (objection, token.plaintext)
    }

    /// A portal user's objection, by its number and tracking secret; nil when either is wrong.
    public func track(number: String, token: String) async throws -> Objection? {
        try await store.objections.find(number: number, trackingDigest: Secrets.digest(of: token))
    }

    private func create(
        _ draft: ObjectionDraft, entry: CatalogEntry, raiser: ObjectionRaiser, trackingDigest: String?, at now: Date
    ) async throws -> Objection {
        let deadline = workflow.deadline(raisedAt: now, calendar: try await store.holidays.calendar())
        let due = CalendarDate(deadline.addingTimeInterval(-1)).description
        let objection = try await store.objections.create(
            draft, entry: entry, raiser: raiser, trackingDigest: trackingDigest, deadline: deadline, at: now,
            notifications: [
                NotificationDraft(
                    audience: .department(entry.provider.departmentID, .provider), kind: .objectionToAnswer,
                    title: Self.title(entry.code.text),
                    body: BilingualText(
                        zh: "收到数据异议，请于 \(due) 前核实答复", en: "an objection to your data awaits your answer by \(due)"))
            ])
        try await record(
            AuditEvent(
                action: .objectionRaised, time: now, consumerDepartmentID: raiser.departmentID, userID: raiser.userID,
                providerDepartmentID: entry.provider.departmentID, resourceCode: entry.code.text, outcome: .allowed,
                detail: [
                    "objection": objection.number, "items": objection.items.joined(separator: ","),
                    "record": objection.recordKey.isEmpty ? "no" : "yes",
                    "raiser": raiser.isPortalUser ? "public" : "officer",
                ]))
        return objection
    }

    // MARK: Answering

    /// The provider's answer: `correct` with the new values of the record's items (a new pool version), `confirm`
    /// (the data is right), or `reject` with a reason.
    public func answer(
        id: Int64, kind: ObjectionAnswerKind, comment: String, values: [String: String] = [:], by user: User,
        at now: Date = Date()
    ) async throws -> Objection {
        var objection = try await existing(id)
        try AccessPolicy.require(user, .objectionsAnswer, department: objection.providerDepartmentID)
        let from = objection.state
        let comment = Self.tidy(comment)
        if comment.count > 2_000 {
            throw ValidationError(
                field: "comment", BilingualText(zh: "不能超过 2000 个字符", en: "must be at most 2000 characters"))
        }
        objection.state = try workflow.apply(kind.action, to: from, comment: comment)
        if kind != .correct && !values.isEmpty {
            throw ValidationError(
                field: "values",
                BilingualText(zh: "只有更正才给出更正值", en: "corrected values belong to a correction only"))
        }
        objection.answer = ObjectionAnswer(
            kind: kind, comment: comment, actorID: user.id, actorName: user.displayName, at: now)
        let event = ObjectionEvent(
            action: kind.action, from: from, to: objection.state, actorID: user.id, actorName: user.displayName,
            comment: comment, at: now)
        let change = ObjectionChange(
            objection: objection, expectedState: from, events: [event],
            notifications: answeredNotices(objection, kind: kind, comment: comment))
        if kind == .correct { return try await correct(change, values: values, by: user, at: now) }
        let answered = try await store.objections.apply(change)
        try await record(answerEvent(answered, action: .objectionAnswered, by: user, at: now))
        return answered
    }

    /// Builds the corrected version (a copy of the active one with the record's items replaced), then publishes
    /// it and closes the objection in one transaction. Nothing is published when the values are invalid, the
    /// record is gone, or the objection moved meanwhile.
    private func correct(_ change: ObjectionChange, values: [String: String], by user: User, at now: Date)
        async throws -> Objection
    {
        var change = change
        let objection = change.objection
        guard !objection.recordKey.isEmpty else { throw ObjectionError.noRecord }
        guard let entry = try await store.catalog.find(id: objection.entryID) else {
            throw StoreError.notFound(entity: "catalog entry", key: "\(objection.entryID)")
        }
        let items = entry.content.items
        guard let active = try await store.pools.active(entryID: entry.id) else { throw ObjectionError.noPool }
        guard active.columns == items.map(\.columnName) else { throw ObjectionError.poolOutdated }
        let key = active.keyColumns.map { objection.recordKey[$0] ?? "" }
        let rows = try await store.pools.rows(entryID: entry.id, key: key)
        guard rows.count == 1, let current = rows.first else { throw ObjectionError.recordNotFound }
        let codeSetIDs = Set(items.compactMap(\.codeSet))
        let codeSets = codeSetIDs.isEmpty ? [] : try await store.codeSets.find(ids: codeSetIDs)
        let correction = try ObjectionCorrection.make(
            values: values, current: current, items: items, codeSets: codeSets, today: CalendarDate(now))
        if try await IngestRunner.isLoading(store, entryID: entry.id) { throw ObjectionError.loadRunning }

        let version = try await store.pools.beginVersion(
            entryID: entry.id, columns: active.columns, types: active.columnTypes, keyColumns: active.keyColumns,
            copyingActive: true)
        let published: PoolVersion
        let closed: Objection
        do {
            try await store.pools.insert([correction.row], into: version, replacingKeys: true)
            change.objection.answer?.poolVersion = version.version
            change.objection.answer?.changes = correction.changes
            let provenance = PoolProvenance(
                entryID: entry.id, version: version.version, objectionID: objection.id,
                objectionNumber: objection.number, actorID: user.id, actorName: user.displayName,
                recordKey: objection.recordKey, changes: correction.changes, createdAt: now)
            (closed, published) = try await store.objections.correct(
                change, publishing: version, keep: settings.keepVersions, provenance: provenance)
        } catch {
            try? await store.pools.abandon(version)
            throw error
        }
        _ = try await store.catalog.setMount(
            id: entry.id, MountedResource(kind: .table, locator: published.tableName),
            recordCount: published.rowCount, dataUpdatedAt: now,
            author: ChangeAuthor(userID: user.id, name: "\(user.displayName)（异议 \(objection.number) 更正）"))
        var event = answerEvent(closed, action: .objectionCorrected, by: user, at: now)
        event.detail["poolVersion"] = "\(published.version)"
        event.detail["changed"] = correction.changes.map(\.column).joined(separator: ",")
        try await record(event)
        return closed
    }

    /// The raiser (or another officer of the raising department) takes the objection back.
    public func withdraw(id: Int64, comment: String, by user: User, at now: Date = Date()) async throws -> Objection {
        var objection = try await existing(id)
        try AccessPolicy.require(user, .objectionsWithdraw, department: objection.raiser.departmentID)
        let from = objection.state
        let comment = Self.tidy(comment)
        objection.state = try workflow.apply(.withdraw, to: from, comment: comment)
        return try await store.objections.apply(
            ObjectionChange(
                objection: objection, expectedState: from,
                events: [
                    ObjectionEvent(
                        action: .withdraw, from: from, to: objection.state, actorID: user.id,
                        actorName: user.displayName, comment: comment, at: now)
                ],
                notifications: [
                    NotificationDraft(
                        audience: .department(objection.providerDepartmentID, .provider), kind: .objectionAnswered,
                        title: Self.title(objection.resourceCode, objection.number),
                        body: BilingualText(zh: "提出方已撤回异议", en: "the raiser withdrew the objection"))
                ]))
    }

    // MARK: Overdue

    /// Escalates every open objection whose deadline has passed at `now` to the operators (and tells the
    /// provider); returns those escalated. Runs as a `PeriodicSweep` (`UseCases.backgroundServices`) and can be called directly.
    @discardableResult
    public func sweepOverdue(at now: Date = Date()) async throws -> [Objection] {
        var escalated: [Objection] = []
        for objection in try await store.objections.overdue(at: now) {
            var updated = objection
            do {
                updated.state = try workflow.escalate(objection.state, deadline: objection.deadline, at: now)
                updated.escalatedAt = now
                let reason = BilingualText(
                    zh: "提供部门逾期未答复数据异议，请督办", en: "the provider did not answer the objection in time; please follow up")
                escalated.append(
                    try await store.objections.apply(
                        ObjectionChange(
                            objection: updated, expectedState: objection.state,
                            events: [
                                ObjectionEvent(
                                    action: .escalate, from: objection.state, to: updated.state, actorID: nil,
                                    actorName: Self.platform.name, comment: "逾期未答复", at: now)
                            ],
                            notifications: [
                                NotificationDraft(
                                    audience: .role(.operator), kind: .objectionEscalated,
                                    title: Self.title(objection.resourceCode, objection.number), body: reason),
                                NotificationDraft(
                                    audience: .department(objection.providerDepartmentID, .provider),
                                    kind: .objectionEscalated,
                                    title: Self.title(objection.resourceCode, objection.number),
                                    body: reason),
                            ])))
            } catch ObjectionError.changedConcurrently {
                // The provider answered while the sweep ran.
                continue
            }
        }
        return escalated
    }

    // MARK: Quality

    /// The entry's quality score lowered by its open objections (`ObjectionPenalty` from the settings).
    public func adjustedScore(_ score: Double?, entryID: Int64) async throws -> Double? {
        settings.penalty.adjusted(score: score, openObjections: try await store.objections.openCount(entryID: entryID))
    }

    // MARK: Reading

    /// The operator and auditors, the provider department, and the raising department.
    public static func canRead(_ objection: Objection, _ user: User) -> Bool {
        AccessPolicy.allows(user, .objectionsReadAsProvider, department: objection.providerDepartmentID)
            || AccessPolicy.allows(user, .objectionsReadAsRaiser, department: objection.raiser.departmentID)
    }

    public static func scope(for user: User) -> ObjectionScope {
        if AccessPolicy.reachesEveryDepartment(user, .objectionsReadAsProvider)
            && AccessPolicy.reachesEveryDepartment(user, .objectionsReadAsRaiser)
        {
            return .all
        }
        return .department(
            user.departmentID, asProvider: AccessPolicy.allows(user, .objectionsReadAsProvider),
            asRaiser: AccessPolicy.allows(user, .objectionsReadAsRaiser))
    }

    /// The objection as `user` may see it: whole for the entry's provider; with the record's values masked for
    /// everyone else (the operator keeps a portal raiser's contact, to follow up).
    public static func view(_ objection: Objection, for user: User?, items: [InfoItem]) -> Objection {
        if let user, AccessPolicy.allows(user, .objectionsReadRecordValues, department: objection.providerDepartmentID)
        {
            return objection
        }
        let operatorView = user.map { AccessPolicy.allows($0, .objectionsReadRaiserContact) } ?? false
        return objection.masked(for: items, keepContact: operatorView)
    }

    // MARK: Helpers

    private func existing(_ id: Int64) async throws -> Objection {
        guard let objection = try await store.objections.find(id: id) else {
            throw StoreError.notFound(entity: "objection", key: "\(id)")
        }
        return objection
    }

    private func publishedEntry(_ id: Int64) async throws -> CatalogEntry {
        guard let entry = try await store.catalog.find(id: id), entry.status == .published else {
            throw ValidationError(
                field: "entryID",
                BilingualText(zh: "没有编号为 \(id) 的已发布目录", en: "there is no published catalog entry \(id)"))
        }
        return entry
    }

    private func answeredNotices(_ objection: Objection, kind: ObjectionAnswerKind, comment: String)
        -> [NotificationDraft]
    {
        if let raiser = objection.raiser.userID { return [notice(objection, .user(raiser), kind, comment)] }
        // The account is gone: the raising department's officers hear instead. Portal raisers follow the
        // objection by its number.
        guard let department = objection.raiser.departmentID else { return [] }
        return [notice(objection, .department(department, .consumer), kind, comment)]
    }

    private func notice(
        _ objection: Objection, _ audience: NotificationAudience, _ kind: ObjectionAnswerKind, _ comment: String
    ) -> NotificationDraft {
        NotificationDraft(
            audience: audience, kind: .objectionAnswered, title: Self.title(objection.resourceCode, objection.number),
            body: BilingualText(
                zh: "提供部门答复：\(kind.label.zh)。\(comment)", en: "the provider answered: \(kind.label.en). \(comment)"))
    }

    private func answerEvent(_ objection: Objection, action: AuditAction, by user: User, at now: Date) -> AuditEvent {
        AuditEvent(
            action: action, time: now, consumerDepartmentID: objection.raiser.departmentID, userID: user.id,
            providerDepartmentID: objection.providerDepartmentID, resourceCode: objection.resourceCode,
            outcome: .allowed,
            detail: [
                "objection": objection.number, "answer": objection.answer?.kind.rawValue ?? objection.state.rawValue,
            ])
    }

    package func record(_ event: AuditEvent) async throws {
        guard let audit else { return }
        _ = try await audit.append(event)
    }

    package static func title(_ resourceCode: String, _ number: String? = nil) -> BilingualText {
        let label = number.map { " \($0)" } ?? ""
        return BilingualText(zh: "数据异议\(label)（\(resourceCode)）", en: "objection\(label) (\(resourceCode))")
    }

    package static func tidy(_ text: String) -> String { text.trimmingCharacters(in: .whitespacesAndNewlines) }
}
