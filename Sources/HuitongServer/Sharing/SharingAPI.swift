import Foundation
import HuitongCore
import HuitongServices
import HuitongStore
import Hummingbird

/// `/api/v1/applications` (共享申请), `/api/v1/grants` (授权), `/api/v1/notifications` and `/api/v1/holidays`.
///
/// Who may do what is decided by `SharingUseCases`; this type reads requests and writes responses.
struct SharingAPI {
    let service: SharingUseCases

    var store: Store { service.store }

    func register(on api: RouterGroup<HuitongRequestContext>) {
        api.get("applications", use: listApplications)
        api.post("applications", use: createApplication)
        api.get("applications/:id", use: getApplication)
        api.put("applications/:id", use: editApplication)
        api.post("applications/:id/submit", use: submit)
        api.post("applications/:id/resubmit", use: resubmit)
        api.post("applications/:id/compliance-review", use: reviewCompliance)
        api.post("applications/:id/decision", use: decide)
        api.post("applications/:id/escalate", use: escalate)
        api.post("applications/:id/withdraw", use: withdraw)
        api.post("applications/:id/resolution", use: resolve)
        api.get("applications/:id/history", use: history)

        api.get("grants", use: listGrants)
        api.get("grants/:id", use: getGrant)
        api.post("grants/:id/revoke", use: revoke)

        api.get("notifications", use: listNotifications)
        api.post("notifications/:id/read", use: markRead)

        api.get("holidays", use: listHolidays)
        api.get("holidays/:year", use: getHolidays)
        api.put("holidays/:year", use: putHolidays)
    }

    // MARK: Applications

    /// The application as a client sees it: its fields, plus whether its time limit has run out.
    struct ApplicationBody: Codable {
        var application: SharingApplication
        var overdue: Bool

        init(_ application: SharingApplication, now: Date = Date()) {
            self.application = application
            self.overdue = application.isOverdue(at: now)
        }

        enum Keys: String, CodingKey { case overdue }

        init(from decoder: any Decoder) throws {
            application = try SharingApplication(from: decoder)
            overdue = try decoder.container(keyedBy: Keys.self).decode(Bool.self, forKey: .overdue)
        }

        func encode(to encoder: any Encoder) throws {
            try application.encode(to: encoder)
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode(overdue, forKey: .overdue)
        }
    }

    /// A request body naming the entry by id or by resource code.
    struct ApplicationInput: Codable {
        var entryID: Int64?
        var resourceCode: String?
        var items: [String]
        var purpose: ApplicationPurpose
        var purposeText: String
        var legalBasis: String
        var scenario: String
        var systemIDs: [Int64]?
        var channel: AccessChannel?
        var validFrom: CalendarDate
        var validTo: CalendarDate
        var expectedDailyCalls: Int
    }

    func draft(from input: ApplicationInput) async throws -> ApplicationDraft {
        let entryID: Int64
        switch (input.entryID, input.resourceCode?.trimmingCharacters(in: .whitespacesAndNewlines)) {
        case (let id?, nil), (let id?, ""):
            entryID = id
        case (nil, let code?) where !code.isEmpty:
            guard let entry = try await store.catalog.find(code: code) else {
                throw ValidationError(
                    field: "resourceCode", BilingualText(zh: "没有资源代码为 \(code) 的目录", en: "no entry has the code \(code)")
                )
            }
            entryID = entry.id
        case (_?, _?):
            throw ValidationError(
                field: "resourceCode",
                BilingualText(zh: "目录编号与资源代码只能填一个", en: "give either entryID or resourceCode, not both"))
        default:
            throw ValidationError(
                field: "entryID",
                BilingualText(zh: "请指明申请的目录（编号或资源代码）", en: "name the entry by entryID or resourceCode"))
        }
        return ApplicationDraft(
            entryID: entryID, items: input.items, purpose: input.purpose, purposeText: input.purposeText,
            legalBasis: input.legalBasis, scenario: input.scenario, systemIDs: input.systemIDs ?? [],
            channel: input.channel ?? .api, validFrom: input.validFrom, validTo: input.validTo,
            expectedDailyCalls: input.expectedDailyCalls)
    }

    func listApplications(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let user = try context.requireUser()
        var state: ApplicationState?
        if let text = request.uri.queryParameters["state"] {
            guard let parsed = ApplicationState.parse(String(text)) else {
                throw ValidationError(
                    field: "state",
                    BilingualText(
                        zh: "状态应为：\(ApplicationState.choices.zh)",
                        en: "state must be one of: \(ApplicationState.choices.en)"))
            }
            state = parsed
        }
        let applications = try await store.applications.list(SharingUseCases.applicationScope(for: user), state: state)
        let now = Date()
        return try JSONResponse.make(ListBody(items: applications.map { ApplicationBody($0, now: now) }))
    }

    func createApplication(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let input = try await request.decodeJSON(ApplicationInput.self, context: context)
        let application = try await service.create(try await draft(from: input), by: user)
        return try JSONResponse.make(ApplicationBody(application), status: .created)
    }

    func getApplication(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try JSONResponse.make(ApplicationBody(try await readable(context)))
    }

    func editApplication(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let user = try context.requireUser()
        _ = try await service.ownApplication(try context.id(), of: user)
        let input = try await request.decodeJSON(ApplicationInput.self, context: context)
        let application = try await service.edit(id: try context.id(), try await draft(from: input), by: user)
        return try JSONResponse.make(ApplicationBody(application))
    }

    func submit(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let id = try context.id()
        // An application returned for information comes back through `resubmit`, which says what was added.
        let existing = try await service.ownApplication(id, of: user)
        if existing.state != .draft {
            throw WorkflowError.transitionNotAllowed(.submit, from: existing.state)
        }
        return try JSONResponse.make(ApplicationBody(try await service.submit(id: id, by: user)))
    }

    struct ResubmitInput: Codable {
        /// What was added or changed, for the provider.
        var comment: String
        var application: ApplicationInput?
    }

    func resubmit(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let existing = try await service.ownApplication(try context.id(), of: user)
        let input = try await request.decodeJSON(ResubmitInput.self, context: context)
        if input.comment.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            throw ValidationError(
                field: "comment", BilingualText(zh: "请说明补充了哪些内容", en: "say what information was added"))
        }
        var content: ApplicationDraft?
        if let changed = input.application { content = try await draft(from: changed) }
        let id = existing.id
        if existing.state != .returnedForInfo {
            throw WorkflowError.transitionNotAllowed(.resubmit, from: existing.state)
        }
        let application = try await service.submit(id: id, by: user, content: content, comment: input.comment)
        return try JSONResponse.make(ApplicationBody(application))
    }

    struct ComplianceInput: Codable {
        var pass: Bool
        var comment: String?
    }

    func reviewCompliance(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let input = try await request.decodeJSON(ComplianceInput.self, context: context)
        let application = try await service.reviewCompliance(
            id: try context.id(), pass: input.pass, comment: input.comment ?? "", by: user)
        return try JSONResponse.make(ApplicationBody(application))
    }

    struct DecisionInput: Codable {
        var kind: DecisionKind
        var comment: String?
        var refusalReason: RefusalReason?
        var terms: GrantTerms?
    }

    func decide(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let input = try await request.decodeJSON(DecisionInput.self, context: context)
        let decision = ProviderDecision(
            kind: input.kind, comment: input.comment ?? "", refusalReason: input.refusalReason,
            terms: input.terms ?? GrantTerms())
        return try JSONResponse.make(
            ApplicationBody(try await service.decide(id: try context.id(), decision, by: user)))
    }

    struct CommentInput: Codable {
        var comment: String?
    }

    func escalate(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let input = try await request.decodeJSON(CommentInput.self, context: context)
        let application = try await service.escalate(id: try context.id(), comment: input.comment ?? "", by: user)
        return try JSONResponse.make(ApplicationBody(application))
    }

    /// The applicant takes back an application not yet decided (`SharingUseCases.withdraw`).
    func withdraw(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let input = try await request.decodeJSON(CommentInput.self, context: context)
        let application = try await service.withdraw(id: try context.id(), comment: input.comment ?? "", by: user)
        return try JSONResponse.make(ApplicationBody(application))
    }

    struct ResolutionInput: Codable {
        var approve: Bool
        var comment: String
        var terms: GrantTerms?
    }

    func resolve(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let input = try await request.decodeJSON(ResolutionInput.self, context: context)
        let application = try await service.resolve(
            id: try context.id(), approve: input.approve, comment: input.comment, terms: input.terms ?? GrantTerms(),
            by: user)
        return try JSONResponse.make(ApplicationBody(application))
    }

    func history(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let application = try await readable(context)
        return try JSONResponse.make(ListBody(items: try await store.applications.history(id: application.id)))
    }

    /// The application named by the path, if the caller may read it; 404 otherwise, so that other departments'
    /// applications do not reveal that they exist.
    private func readable(_ context: HuitongRequestContext) async throws -> SharingApplication {
        let user = try context.requireUser()
        let id = try context.id()
        guard let application = try await store.applications.find(id: id), SharingUseCases.canRead(application, user)
        else {
            throw StoreError.notFound(entity: "application", key: "\(id)")
        }
        return application
    }

    // MARK: Grants

    /// The grant as a client sees it: its fields, plus its status now.
    struct GrantBody: Codable {
        var grant: Grant
        var status: GrantStatus

        init(_ grant: Grant, now: Date = Date()) {
            self.grant = grant
            self.status = grant.status(at: now)
        }

        enum Keys: String, CodingKey { case status }

        init(from decoder: any Decoder) throws {
            grant = try Grant(from: decoder)
            status = try decoder.container(keyedBy: Keys.self).decode(GrantStatus.self, forKey: .status)
        }

        func encode(to encoder: any Encoder) throws {
            try grant.encode(to: encoder)
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode(status, forKey: .status)
        }
    }

    func listGrants(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let grants = try await store.grants.list(SharingUseCases.grantScope(for: user))
        let now = Date()
        return try JSONResponse.make(ListBody(items: grants.map { GrantBody($0, now: now) }))
    }

    func getGrant(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let id = try context.id()
        guard let grant = try await store.grants.find(id: id), SharingUseCases.canRead(grant, user) else {
            throw StoreError.notFound(entity: "grant", key: "\(id)")
        }
        return try JSONResponse.make(GrantBody(grant))
    }

    struct RevokeInput: Codable {
        var reason: String
    }

    func revoke(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let input = try await request.decodeJSON(RevokeInput.self, context: context)
        return try JSONResponse.make(
            GrantBody(try await service.revoke(grantID: try context.id(), reason: input.reason, by: user)))
    }

    // MARK: Notifications

    struct NotificationsBody: Codable {
        var unread: Int
        var items: [InAppNotification]
    }

    func listNotifications(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let user = try context.requireUser()
        var limit = 100
        if let text = request.uri.queryParameters["limit"] {
            guard let value = Int(String(text)), (1...500).contains(value) else {
                throw ValidationError(field: "limit", BilingualText(zh: "须为 1–500", en: "must be 1–500"))
            }
            limit = value
        }
        return try JSONResponse.make(
            NotificationsBody(
                unread: try await store.notifications.unreadCount(userID: user.id),
                items: try await store.notifications.list(userID: user.id, limit: limit)))
    }

    func markRead(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let user = try context.requireUser()
        return try JSONResponse.make(
            try await store.notifications.markRead(id: try context.id(), userID: user.id, at: Date()))
    }

    // MARK: Holiday calendar

    func listHolidays(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        _ = try context.requireUser()
        return try JSONResponse.make(ListBody(items: try await store.holidays.years()))
    }

    func getHolidays(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        _ = try context.requireUser()
        let year = try Self.year(context)
        guard let found = try await store.holidays.year(year) else {
            throw StoreError.notFound(entity: "holiday year", key: "\(year)")
        }
        return try JSONResponse.make(found)
    }

    struct HolidayInput: Codable {
        var source: String?
        var holidays: [HolidayPeriod]
        var workdays: [CalendarDate]
    }

    func putHolidays(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try context.require(.sharingManageHolidays)
        let year = try Self.year(context)
        let input = try await request.decodeJSON(HolidayInput.self, context: context)
        let arrangement = try HolidayYear(
            year: year, source: input.source ?? "", holidays: input.holidays, workdays: input.workdays
        ).validated()
        let created = try await store.holidays.save(arrangement)
        return try JSONResponse.make(arrangement, status: created ? .created : .ok)
    }

    static func year(_ context: HuitongRequestContext) throws(ValidationError) -> Int {
        guard let text = context.parameters.get("year"), let year = Int(text), (2000...2100).contains(year) else {
            throw ValidationError(field: "year", BilingualText(zh: "年份须为 2000–2100", en: "year must be 2000–2100"))
        }
        return year
    }
}
