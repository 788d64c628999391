import Foundation
import HTTPTypes
import HuitongCore
import HuitongServices
import HuitongStore
import Hummingbird

/// The provider's pages: the department's entries (with the entry page every officer may open), the
/// applications awaiting its decision, and the objections raised against its data.
extension ConsolePages {
    // MARK: Entries

    func entries(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await page(request, context, .consoleEntries) { user in
            let language = context.language
            let result = try await store.catalog.search(
                CatalogQuery(departmentIDs: [user.departmentID], statuses: Set(EntryStatus.allCases), limit: 500),
                facets: [])
            let scores = try await quality.currentScores(entryIDs: result.entries.map(\.id))
            let page = ConsoleEntriesPage(
                title: pages.text("console_nav_entries", language),
                total: result.total,
                hasEntries: !result.entries.isEmpty,
                entries: result.entries.map { entry in
                    ConsoleEntriesPage.Entry(
                        id: entry.id, href: "/console/entries/\(entry.id)", name: entry.content.name,
                        code: entry.code.text, status: entry.status.label.text(language),
                        version: entry.version, updated: PortalPages.dateTime(entry.updatedAt),
                        mounted: entry.mount != nil,
                        score: scores[entry.id].map(Self.score) ?? "",
                        canSubmit: CatalogTransition.submit.allowedFrom.contains(entry.status),
                        canEdit: entry.status.isEditableDraft && entry.content.items.count <= Self.maximumRows,
                        editHref: "/console/entries/\(entry.id)/edit")
                },
                notice: doneNotice(request, language))
            return render(.consoleEntries, page, user: user, section: "/console/entries", context: context)
        }
    }

    /// One entry as the signed-in officer may see it, with the steps they may take from here.
    func entry(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await page(request, context) { user in
            try await renderEntry(request, id: try context.id(), user: user, context: context)
        }
    }

    /// The entry page; `upload` holds the problems of an upload that was refused, shown next to the file field.
    func renderEntry(
        _ request: Request, id: Int64, user: User, context: HuitongRequestContext, upload: UploadAttempt? = nil,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let language = context.language
        let entry = try await catalog.visibleEntry(id, to: user).redacted(for: user)
        let content = entry.content
        let manages = AccessPolicy.allows(user, .catalogManageEntry, department: entry.provider.departmentID)
        var page = ConsoleEntryPage(
            title: content.name,
            id: entry.id, name: content.name, abstract: content.abstract, code: entry.code.text,
            provider: entry.provider.name, status: entry.status.label.text(language),
            version: entry.version,
            shareType: content.shareType.label.text(language),
            openness: content.openness.label.text(language),
            cycle: content.updateCycle.label.text(language),
            grade: content.grade.label.text(language),
            updated: PortalPages.dateTime(entry.updatedAt),
            items: content.items.map { item in
                ConsoleEntryPage.Item(
                    name: item.name, column: item.columnName, type: item.dataType.label.text(language),
                    shareType: item.shareType.label.text(language), grade: item.grade.label.text(language),
                    key: item.isKey)
            },
            history: try await store.catalog.events(id: entry.id).reversed().map { event in
                ConsoleEntryPage.Event(
                    action: CatalogTransition(rawValue: event.action)?.label.text(language)
                        ?? pages.label("entry_event_", event.action, language) ?? event.action,
                    version: event.version, actor: event.actorName, comment: event.comment,
                    at: PortalPages.dateTime(event.createdAt))
            },
            canSubmit: manages && CatalogTransition.submit.allowedFrom.contains(entry.status),
            canEdit: manages && entry.status.isEditableDraft && entry.content.items.count <= Self.maximumRows,
            canReview: AccessPolicy.allows(user, .catalogReview) && entry.status == .submitted,
            // A department's own data needs no application (SharingApplication's eligibility rule).
            canApply: AccessPolicy.allows(user, .sharingApply) && entry.status == .published
                && content.shareType != .notShared && entry.provider.departmentID != user.departmentID,
            mount: entry.mount.map { ConsoleEntryPage.Mount(kind: $0.kind.label.text(language), locator: $0.locator) },
            notice: doneNotice(request, language))
        if let score = try await quality.currentScore(entryID: entry.id) { page.score = Self.score(score) }
        // Loading goes into the pool of an entry with data items (as `IngestRunner.start` requires).
        if manages && !content.items.isEmpty {
            page.upload = try await uploadForm(entry: entry, attempt: upload, language: language)
        }
        return render(.consoleEntry, page, user: user, section: "", context: context, status: status)
    }

    func submitEntry(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await page(request, context, .catalogManageEntry) { user in
            let form = try await ConsoleForm.read(request, context: context)
            _ = try await catalog.apply(
                .submit, entryID: try context.id(), by: user, comment: form["comment"])
            return .redirect(to: "/console/entries?done=submitted", type: .normal)
        }
    }

    // MARK: Applications to review

    func toReview(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await page(request, context, .consoleToReview) { user in
            try await renderToReview(request, user: user, context: context)
        }
    }

    /// The form a failed decision leaves behind: which application, what was chosen and typed, what was wrong.
    struct DecisionAttempt {
        var id: Int64
        var form: ConsoleForm
        var errors: FieldErrors
        var message: String?
    }

    func renderToReview(
        _ request: Request, user: User, context: HuitongRequestContext, attempt: DecisionAttempt? = nil,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let language = context.language
        let now = Date()
        let names = try await departmentNames()
        let waiting = try await store.applications.list(
            SharingUseCases.applicationScope(for: user), state: .providerReview
        ).filter { $0.providerDepartmentID == user.departmentID }
            .sorted { ($0.deadline ?? .distantFuture) < ($1.deadline ?? .distantFuture) }
        // The requested items by name, from the entries applied for (one entry per distinct resource).
        var itemNames: [String: [String: String]] = [:]
        var entryNames: [String: String] = [:]
        for code in Set(waiting.map(\.resourceCode)) {
            guard let entry = try await store.catalog.find(code: code) else { continue }
            entryNames[code] = entry.content.name
            itemNames[code] = Dictionary(
                entry.content.items.map { ($0.columnName, $0.name) }, uniquingKeysWith: { first, _ in first })
        }
        let page = ConsoleToReviewPage(
            title: pages.text("console_nav_to_review", language),
            hasApplications: !waiting.isEmpty,
            applications: waiting.map { application in
                let content = application.content
                let mine = attempt?.id == application.id ? attempt : nil
                let chosen = mine?.form["kind"] ?? DecisionKind.approve.rawValue
                // Every requested item is granted until the provider unticks some; a failed form keeps its ticks.
                let ticked = mine.map { Set($0.form.all("grantItems")) } ?? Set(content.items)
                return ConsoleToReviewPage.Application(
                    id: application.id, number: application.number,
                    resourceName: entryNames[application.resourceCode] ?? application.resourceCode,
                    resourceCode: application.resourceCode,
                    consumer: names[application.consumerDepartmentID] ?? "", applicant: application.applicantName,
                    itemNames: content.items.map { itemNames[application.resourceCode]?[$0] ?? $0 }
                        .joined(separator: "、"),
                    purpose: content.purpose.label.text(language), purposeText: content.purposeText,
                    legalBasis: content.legalBasis, scenario: content.scenario,
                    period: "\(content.validFrom) – \(content.validTo)",
                    dailyCalls: PortalPages.grouped(Int64(content.expectedDailyCalls)),
                    deadline: application.deadline.map(PortalPages.dateTime) ?? "",
                    overdue: application.isOverdue(at: now),
                    grantItems: content.items.map { column in
                        ConsoleToReviewPage.GrantItem(
                            column: column, name: itemNames[application.resourceCode]?[column] ?? column,
                            checked: ticked.contains(column))
                    },
                    kinds: [DecisionKind.approve, .approvePartially, .refuse, .returnForInfo].map { kind in
                        OptionModel(
                            value: kind.rawValue, label: kind.label.text(language), selected: kind.rawValue == chosen)
                    },
                    reasons: RefusalReason.allCases.map { reason in
                        OptionModel(
                            value: reason.rawValue, label: reason.label.text(language),
                            selected: reason.rawValue == mine?.form["refusalReason"])
                    },
                    comment: mine?.form["comment"] ?? "",
                    errors: mine?.errors.values, error: mine?.message)
            },
            notice: doneNotice(request, language))
        return render(
            .consoleToReview, page, user: user, section: "/console/to-review", context: context, status: status)
    }

    /// A provider's decision, through `SharingUseCases.decide` as `POST /applications/{id}/decision`.
    func decide(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await page(request, context, .consoleToReview) { user in
            let form = try await ConsoleForm.read(request, context: context)
            let id = try context.id()
            // Whose application it is comes before the form, as in the API: another department's (or a missing)
            // application is refused before anything about it or the form is said.
            _ = try await sharing.decidableApplication(id, by: user)
            let language = context.language
            var errors = FieldErrors()
            guard let kind = DecisionKind(rawValue: form["kind"]) else {
                errors.add("kind", BilingualText(zh: "请选择审核结论", en: "choose a decision"), language)
                return try await renderToReview(
                    request, user: user, context: context,
                    attempt: DecisionAttempt(id: id, form: form, errors: errors), status: .badRequest)
            }
            let reason = form["refusalReason"].isEmpty ? nil : RefusalReason(rawValue: form["refusalReason"])
            // The ticked items are what an approval grants: a partial approval always names them (none ticked is
            // refused by the rules, not taken as "all"), a full one when the form showed them, so that unticking
            // an item under 同意 is caught as the partial approval it is.
            var terms = GrantTerms()
            if kind == .approvePartially || (kind == .approve && !form["grantItemsShown"].isEmpty) {
                terms.items = form.all("grantItems")
            }
            let decision = ProviderDecision(
                kind: kind, comment: form["comment"], refusalReason: kind == .refuse ? reason : nil, terms: terms)
            do {
                _ = try await sharing.decide(id: id, decision, by: user)
            } catch let error as ValidationError {
                return try await renderToReview(
                    request, user: user, context: context,
                    attempt: DecisionAttempt(id: id, form: form, errors: FieldErrors(error, context.language)),
                    status: .badRequest)
            } catch let error as any HuitongError where error.kind != .internal && error.kind != .notFound {
                return try await renderToReview(
                    request, user: user, context: context,
                    attempt: DecisionAttempt(
                        id: id, form: form, errors: FieldErrors(), message: error.message.text(language)),
                    status: error.kind.status)
            }
            return .redirect(to: "/console/to-review?done=decided", type: .normal)
        }
    }

    // MARK: Objections

    func objections(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await page(request, context, .consoleObjections) { user in
            let language = context.language
            let now = Date()
            let scope = ObjectionUseCases.scope(for: user)
            var open: [Objection] = []
            for state in [ObjectionState.open, .escalated] {
                open += try await store.objections.list(scope, filter: ObjectionFilter(state: state))
            }
            let mine = open.filter { $0.providerDepartmentID == user.departmentID }.sorted { $0.deadline < $1.deadline }
            var entries: [String: CatalogEntry] = [:]
            for code in Set(mine.map(\.resourceCode)) { entries[code] = try await store.catalog.find(code: code) }
            let page = ConsoleObjectionsPage(
                title: pages.text("console_nav_objections", language),
                hasObjections: !mine.isEmpty,
                objections: mine.map { objection in
                    ConsoleObjectionsPage.Objection(
                        number: objection.number,
                        resourceName: entries[objection.resourceCode]?.content.name ?? objection.resourceCode,
                        resourceCode: objection.resourceCode, raiser: objection.raiser.name,
                        items: objection.items.map { column in
                            entries[objection.resourceCode]?.content.items.first { $0.columnName == column }?.name
                                ?? column
                        }.joined(separator: "、"),
                        description: objection.description, state: objection.state.label.text(language),
                        deadline: PortalPages.dateTime(objection.deadline), overdue: objection.deadline <= now)
                })
            return render(.consoleObjections, page, user: user, section: "/console/objections", context: context)
        }
    }
}
