import Foundation
import HuitongCore
import HuitongServices
import HuitongStore
import Hummingbird

/// The operator's administration of users and departments in the console, and every officer's own password:
/// forms over `AccountAdministration`, which checks the rules and writes the audit log. A consequential step
/// (disabling a user, resetting a password) first shows what it will do and asks to confirm.
extension ConsolePages {
    var administration: AccountAdministration {
        AccountAdministration(accounts: developers.accounts, audit: audit.log)
    }

    func registerAccounts(on router: Router<HuitongRequestContext>) {
        router.post("/console/departments", use: createDepartment)
        router.get("/console/departments/:id", use: departmentForm)
        router.post("/console/departments/:id", use: updateDepartment)
        router.post("/console/departments/:id/active", use: setDepartmentActive)
        router.post("/console/users", use: createUser)
        router.get("/console/users/:id", use: userPage)
        router.post("/console/users/:id/roles", use: setRoles)
        router.post("/console/users/:id/active", use: setActive)
        router.post("/console/users/:id/password", use: resetPassword)
        router.get("/console/password", use: passwordForm)
        router.post("/console/password", use: changePassword)
        router.get("/console/lists/export", use: exportLists)
        router.get("/console/review/:id", use: reviewEntry)
    }

    // MARK: Departments

    func createDepartment(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await page(request, context, .accountsManageDepartments) { user in
            let form = try await ConsoleForm.read(request, context: context)
            do {
                _ = try await administration.createDepartment(Self.departmentDraft(form), by: user)
            } catch let error as any HuitongError where error.kind == .badInput || error.kind == .conflict {
                return try await renderDepartments(
                    user: user, context: context,
                    attempt: .init(
                        form: form, errors: Self.fieldErrors(error, else: "code", context.language), kind: "department"),
                    status: error.kind.status)
            }
            return .redirect(to: "/console/departments?done=department_created", type: .normal)
        }
    }

    func departmentForm(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await page(request, context, .accountsManageDepartments) { user in
            let department = try await findDepartment(try context.id())
            return renderDepartment(department, form: nil, errors: FieldErrors(), user: user, context: context)
        }
    }

    func updateDepartment(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await page(request, context, .accountsManageDepartments) { user in
            let form = try await ConsoleForm.read(request, context: context)
            let department = try await findDepartment(try context.id())
            var draft = Self.departmentDraft(form)
            draft.parentID = department.parentID
            do {
                _ = try await administration.updateDepartment(id: department.id, draft, by: user)
            } catch let error as any HuitongError where error.kind == .badInput || error.kind == .conflict {
                return renderDepartment(
                    department, form: form, errors: Self.fieldErrors(error, else: "code", context.language), user: user,
                    context: context, status: error.kind.status)
            }
            return .redirect(to: "/console/departments?done=department_edited", type: .normal)
        }
    }

    /// A refused form's problems by field: a rule's own fields, or (a name already taken) the field given.
    static func fieldErrors(_ error: any HuitongError, else field: String, _ language: Language) -> FieldErrors {
        if let error = error as? ValidationError { return FieldErrors(error, language) }
        var errors = FieldErrors()
        if error.details.isEmpty {
            errors.add(field, error.message, language)
        } else {
            for issue in error.details { errors.add(issue.field, issue.message) }
        }
        return errors
    }

    /// Disabling a department (and with it its users) asks first; enabling does not.
    func setDepartmentActive(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await page(request, context, .accountsManageDepartments) { user in
            let form = try await ConsoleForm.read(request, context: context)
            let department = try await findDepartment(try context.id())
            let active = form["active"] == "true"
            let language = context.language
            if !active && form["confirm"] != "yes" {
                return confirm(
                    title: pages.text("department_disable", language),
                    question: pages.text("department_disable_confirm", language).replacingOccurrences(
                        of: "{department}", with: department.name),
                    action: "/console/departments/\(department.id)/active",
                    fields: [.init(name: "active", value: "false")], back: "/console/departments/\(department.id)",
                    user: user, context: context)
            }
            do {
                _ = try await administration.setDepartmentActive(id: department.id, active, by: user)
            } catch let error as any HuitongError where error.kind == .conflict {
                var errors = FieldErrors()
                errors.add("active", error.message, language)
                return renderDepartment(
                    department, form: nil, errors: errors, user: user, context: context, status: .conflict)
            }
            return .redirect(to: "/console/departments?done=department_edited", type: .normal)
        }
    }

    static func departmentDraft(_ form: ConsoleForm) -> DepartmentDraft {
        let credit = form["creditCode"].trimmingCharacters(in: .whitespaces)
        return DepartmentDraft(
            name: form["name"].trimmingCharacters(in: .whitespaces),
            code: form["code"].trimmingCharacters(in: .whitespaces),
            creditCode: credit.isEmpty ? nil : credit,
            regionCode: form["regionCode"].trimmingCharacters(in: .whitespaces),
            parentID: nil)
    }

    func findDepartment(_ id: Int64) async throws -> Department {
        guard let department = try await store.departments.find(id: id) else {
            throw StoreError.notFound(entity: "department", key: "\(id)")
        }
        return department
    }

    func renderDepartment(
        _ department: Department, form: ConsoleForm?, errors: FieldErrors, user: User,
        context: HuitongRequestContext, status: HTTPResponse.Status = .ok
    ) -> Response {
        let language = context.language
        let page = ConsoleDepartmentPage(
            title: "\(pages.text("department_edit", language)) · \(department.name)",
            action: "/console/departments/\(department.id)",
            name: form?["name"] ?? department.name, code: form?["code"] ?? department.code,
            creditCode: form?["creditCode"] ?? department.creditCode ?? "",
            regionCode: form?["regionCode"] ?? department.regionCode, id: department.id, active: department.isActive,
            errors: errors.isEmpty ? nil : errors.values)
        return render(
            .consoleDepartment, page, user: user, section: "/console/departments", context: context, status: status)
    }

    // MARK: Users

    /// A refused form of the departments page, shown again as it was sent.
    struct AdminAttempt {
        var form: ConsoleForm
        var errors: FieldErrors
        /// `department` or `user`: which of the page's forms it was.
        var kind: String
    }

    func createUser(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await page(request, context, .accountsManageUsers) { user in
            let form = try await ConsoleForm.read(request, context: context)
            let roles = Set(form.all("roles").compactMap(Role.init(rawValue:)))
            let created: User
            let password: String
            do {
                var issues = ValidationCollector()
                if roles.isEmpty {
                    issues.add("roles", BilingualText(zh: "请至少选择一个角色", en: "choose at least one role"))
                }
                let department = Int64(form["departmentID"])
                if department == nil {
                    issues.add("departmentID", BilingualText(zh: "请选择所属部门", en: "choose a department"))
                }
                try issues.throwIfAny()
                (created, password) = try await administration.createUser(
                    UserDraft(
                        username: form["username"].trimmingCharacters(in: .whitespaces),
                        displayName: form["displayName"].trimmingCharacters(in: .whitespaces),
                        departmentID: department!, roles: roles),
                    by: user)
            } catch let error as any HuitongError where error.kind == .badInput || error.kind == .conflict {
                return try await renderDepartments(
                    user: user, context: context,
                    attempt: .init(
                        form: form, errors: Self.fieldErrors(error, else: "username", context.language), kind: "user"),
                    status: error.kind.status)
            }
            var response = try await renderUser(
                created, user: user, context: context,
                issued: .init(password: password, notice: pages.text("user_created_password", context.language)),
                status: .created)
            response.headers[.cacheControl] = "no-store"
            return response
        }
    }

    func userPage(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await page(request, context, .consoleDepartments) { user in
            let target = try await administration.user(try context.id())
            return try await renderUser(
                target, user: user, context: context, notice: doneNotice(request, context.language))
        }
    }

    func setRoles(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await page(request, context, .accountsManageUsers) { user in
            let form = try await ConsoleForm.read(request, context: context)
            let target = try await administration.user(try context.id())
            let roles = Set(form.all("roles").compactMap(Role.init(rawValue:)))
            do {
                _ = try await administration.setRoles(userID: target.id, roles, by: user)
            } catch let error as any HuitongError where error.kind == .badInput || error.kind == .conflict {
                return try await renderUser(
                    target, user: user, context: context, failure: error.message.text(context.language),
                    status: error.kind.status)
            }
            return .redirect(to: "/console/users/\(target.id)?done=user_edited", type: .normal)
        }
    }

    /// Disabling asks first; enabling does not (it takes nothing away).
    func setActive(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await page(request, context, .accountsManageUsers) { user in
            let form = try await ConsoleForm.read(request, context: context)
            let target = try await administration.user(try context.id())
            let active = form["active"] == "true"
            let language = context.language
            if !active && form["confirm"] != "yes" {
                return confirm(
                    title: pages.text("user_disable", language),
                    question: pages.text("user_disable_confirm", language).replacingOccurrences(
                        of: "{user}", with: "\(target.displayName)（\(target.username)）"),
                    action: "/console/users/\(target.id)/active", fields: [.init(name: "active", value: "false")],
                    back: "/console/users/\(target.id)", user: user, context: context)
            }
            do {
                _ = try await administration.setActive(userID: target.id, active, by: user)
            } catch let error as any HuitongError where error.kind == .conflict {
                return try await renderUser(
                    target, user: user, context: context, failure: error.message.text(language), status: .conflict)
            }
            return .redirect(to: "/console/users/\(target.id)?done=user_edited", type: .normal)
        }
    }

    /// A new generated password, after confirmation, shown once on the user's page.
    func resetPassword(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await page(request, context, .accountsResetPassword) { user in
            let form = try await ConsoleForm.read(request, context: context)
            let target = try await administration.user(try context.id())
            let language = context.language
            if form["confirm"] != "yes" {
                return confirm(
                    title: pages.text("user_reset_password", language),
                    question: pages.text("user_reset_password_confirm", language).replacingOccurrences(
                        of: "{user}", with: "\(target.displayName)（\(target.username)）"),
                    action: "/console/users/\(target.id)/password", fields: [],
                    back: "/console/users/\(target.id)", user: user, context: context)
            }
            let password = try await administration.resetPassword(userID: target.id, by: user)
            var response = try await renderUser(
                target, user: user, context: context,
                issued: .init(password: password, notice: pages.text("user_reset_password_done", language)))
            response.headers[.cacheControl] = "no-store"
            return response
        }
    }

    func renderUser(
        _ target: User, user: User, context: HuitongRequestContext, issued: ConsoleUserPage.Issued? = nil,
        notice: String? = nil, failure: String? = nil, status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let language = context.language
        let department = try await store.departments.find(id: target.departmentID)
        let manages = AccessPolicy.allows(user, .accountsManageUsers)
        let page = ConsoleUserPage(
            title: target.displayName, id: target.id, username: target.username,
            displayName: target.displayName, department: department?.name ?? "",
            active: target.isActive, lastLogin: target.lastLoginAt.map(PortalPages.dateTime),
            roles: Role.allCases.map { role in
                CheckedOptionModel(
                    value: role.rawValue, label: role.displayName.text(language), checked: target.roles.contains(role))
            },
            manages: manages, mayReset: AccessPolicy.allows(user, .accountsResetPassword),
            isSelf: target.id == user.id, issued: issued, notice: notice, failure: failure)
        return render(.consoleUser, page, user: user, section: "/console/departments", context: context, status: status)
    }

    /// The confirmation of a consequential step: what it does, a button that posts it again with `confirm=yes`,
    /// and a way back.
    func confirm(
        title: String, question: String, action: String, fields: [ConsoleConfirmPage.Field], back: String, user: User,
        context: HuitongRequestContext
    ) -> Response {
        let page = ConsoleConfirmPage(title: title, question: question, action: action, fields: fields, back: back)
        return render(.consoleConfirm, page, user: user, section: "", context: context)
    }

    // MARK: Publishing with what changes

    /// An entry in the review queue against the version readers see now: what publishing it changes, and the
    /// button that publishes (the queue's button leads here first).
    func reviewEntry(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await page(request, context, .catalogReview) { user in
            let language = context.language
            let id = try context.id()
            guard let entry = try await store.catalog.find(id: id) else {
                throw StoreError.notFound(entity: "catalog entry", key: "\(id)")
            }
            let events = try await store.catalog.events(id: id)
            let publishedVersion = events.filter { $0.action == CatalogTransition.publish.rawValue }.map(\.version)
                .max()
            let versions = try await store.catalog.versions(id: id)
            let published = publishedVersion.flatMap { number in versions.first { $0.version == number }?.content }
            // A first publication shows everything as new: compared with an entry that has nothing yet.
            let blank = CatalogEntryContent(
                classificationCode: "", name: "", abstract: "", formats: [], items: [],
                shareType: entry.content.shareType, updateCycle: entry.content.updateCycle)
            let changes = CatalogDiff.changes(from: published ?? blank, to: entry.content)
            let page = ConsoleReviewEntryPage(
                title: "\(pages.text("review_changes", language)) · \(entry.content.name)",
                id: entry.id, href: "/console/entries/\(entry.id)", name: entry.content.name,
                provider: entry.provider.name, version: entry.version, publishedVersion: publishedVersion,
                submitted: entry.status == .submitted, firstPublication: published == nil,
                hasChanges: !changes.isEmpty,
                changes: changes.map {
                    .init(field: $0.label.text(language), before: $0.before ?? "", after: $0.after ?? "")
                })
            return render(.consoleReviewEntry, page, user: user, section: "/console/review", context: context)
        }
    }

    // MARK: Own password

    func passwordForm(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await page(request, context) { user in
            let page = ConsolePasswordPage(
                title: pages.text("password_change", context.language), notice: doneNotice(request, context.language),
                errors: nil)
            return render(.consolePassword, page, user: user, section: "", context: context)
        }
    }

    func changePassword(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await page(request, context) { user in
            let form = try await ConsoleForm.read(request, context: context)
            var session: Int64?
            if case .user(_, .session(let current))? = context.principal { session = current.id }
            do {
                try await administration.changeOwnPassword(
                    user, current: form["currentPassword"], new: form["newPassword"],
                    confirmation: form["confirmPassword"], keeping: .current(sessionID: session, tokenID: nil),
                    address: developers.accounts.clientAddress(request, context))
            } catch let error as ValidationError {
                let errors = FieldErrors(error, context.language)
                let page = ConsolePasswordPage(
                    title: pages.text("password_change", context.language), notice: nil, errors: errors.values)
                return render(.consolePassword, page, user: user, section: "", context: context, status: .badRequest)
            }
            return .redirect(to: "/console/password?done=password", type: .normal)
        }
    }
}

struct ConsoleDepartmentPage: PageModel {
    var title: String
    var action: String
    var name: String
    var code: String
    var creditCode: String
    var regionCode: String
    var id: Int64
    var active: Bool
    var errors: [String: String]?
}

struct ConsoleUserPage: PageModel {
    var title: String
    var id: Int64
    var username: String
    var displayName: String
    var department: String
    var active: Bool
    var lastLogin: String?
    var roles: [CheckedOptionModel]
    var manages: Bool
    var mayReset: Bool
    var isSelf: Bool
    /// A password the platform generated, shown this once.
    var issued: Issued?
    var notice: String?
    var failure: String?

    struct Issued: Sendable {
        var password: String
        var notice: String
    }
}

struct ConsoleConfirmPage: PageModel {
    var title: String
    var question: String
    var action: String
    var fields: [Field]
    var back: String

    struct Field: Sendable {
        var name: String
        var value: String
    }
}

struct ConsoleReviewEntryPage: PageModel {
    var title: String
    var id: Int64
    var href: String
    var name: String
    var provider: String
    var version: Int
    var publishedVersion: Int?
    /// Whether it still waits in the queue (another operator may have decided it).
    var submitted: Bool
    var firstPublication: Bool
    var hasChanges: Bool
    var changes: [Change]

    struct Change: Sendable {
        var field: String
        var before: String
        var after: String
    }
}

struct ConsolePasswordPage: PageModel {
    var title: String
    var notice: String?
    var errors: [String: String]?
}
