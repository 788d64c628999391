import Foundation
import HuitongCore
import HuitongStore

/// The operator's administration of users and departments, and each officer's change of their own password, as
/// the console does them: every change goes through the account rules (`AccountUseCases`, the repositories'
/// checks) and lands on the audit log, naming who did it and to whom.
public struct AccountAdministration: Sendable {
    public let accounts: AccountUseCases
    public let audit: AuditLog
    var store: Store { accounts.store }

    public init(accounts: AccountUseCases, audit: AuditLog) {
        self.accounts = accounts
        self.audit = audit
    }

    /// Audit actions of account administration.
    public enum Action {
        public static let userCreated = AuditAction(rawValue: "account.user_created")
        public static let userDisabled = AuditAction(rawValue: "account.user_disabled")
        public static let userEnabled = AuditAction(rawValue: "account.user_enabled")
        public static let rolesChanged = AuditAction(rawValue: "account.roles_changed")
        public static let passwordReset = AuditAction(rawValue: "account.password_reset")
        public static let passwordChanged = AuditAction(rawValue: "account.password_changed")
        public static let departmentCreated = AuditAction(rawValue: "account.department_created")
        public static let departmentUpdated = AuditAction(rawValue: "account.department_updated")
        public static let departmentDisabled = AuditAction(rawValue: "account.department_disabled")
        public static let departmentEnabled = AuditAction(rawValue: "account.department_enabled")
        public static let all = [
            userCreated, userDisabled, userEnabled, rolesChanged, passwordReset, passwordChanged, departmentCreated,
            departmentUpdated, departmentDisabled, departmentEnabled,
        ]
    }

    /// Creates a user with a generated password, shown once to the operator who hands it over.
    public func createUser(_ draft: UserDraft, by actor: User) async throws -> (User, String) {
        try AccessPolicy.require(actor, .accountsManageUsers)
        if let department = try await store.departments.find(id: draft.departmentID), !department.isActive {
            throw ValidationError(
                field: "departmentID",
                BilingualText(zh: "该部门已停用，不能新增用户", en: "the department is disabled and takes no new users"))
        }
        let (user, password) = try await accounts.createUser(draft)
        try await record(
            Action.userCreated, by: actor,
            ["user": user.username, "department": "\(user.departmentID)", "roles": Self.names(user.roles)])
        return (user, password)
    }

    /// Enables or disables a user; an operator cannot disable themselves.
    public func setActive(userID: Int64, _ active: Bool, by actor: User) async throws -> User {
        try AccessPolicy.require(actor, .accountsManageUsers)
        let target = try await user(userID)
        if target.id == actor.id && !active {
            throw StoreError.conflict(
                BilingualText(zh: "不能停用自己的账号", en: "you cannot deactivate your own account"))
        }
        let changed = try await store.users.update(id: userID, UserChanges(isActive: active))
        try await record(active ? Action.userEnabled : Action.userDisabled, by: actor, ["user": target.username])
        return changed
    }

    /// Sets a user's roles (at least one); an operator cannot drop their own operator role.
    public func setRoles(userID: Int64, _ roles: Set<Role>, by actor: User) async throws -> User {
        try AccessPolicy.require(actor, .accountsManageUsers)
        let target = try await user(userID)
        guard !roles.isEmpty else {
            throw ValidationError(field: "roles", BilingualText(zh: "请至少选择一个角色", en: "choose at least one role"))
        }
        if target.id == actor.id && !roles.contains(.operator) {
            throw StoreError.conflict(
                BilingualText(zh: "不能取消自己的管理员角色", en: "you cannot drop your own operator role"))
        }
        let changed = try await store.users.update(id: userID, UserChanges(roles: roles))
        try await record(
            Action.rolesChanged, by: actor,
            ["user": target.username, "before": Self.names(target.roles), "after": Self.names(roles)])
        return changed
    }

    /// Gives a user a new generated password, ending their sessions and personal tokens; returns it, to be shown
    /// once to the operator.
    public func resetPassword(userID: Int64, by actor: User) async throws -> String {
        try AccessPolicy.require(actor, .accountsResetPassword)
        let target = try await user(userID)
        let password = try await accounts.resetPassword(userID: target.id)
        try await record(Action.passwordReset, by: actor, ["user": target.username])
        return password
    }

    /// An officer changes their own password with the current one; `keeping` is the session they are using, which
    /// stays open while their others end.
    public func changeOwnPassword(
        _ actor: User, current: String, new: String, confirmation: String, keeping: PasswordChangeKeeps,
        address: String?
    ) async throws {
        var issues = ValidationCollector()
        if current.isEmpty {
            issues.add("currentPassword", BilingualText(zh: "请输入当前密码", en: "enter your current password"))
        }
        if new.isEmpty {
            issues.add("newPassword", BilingualText(zh: "请输入新密码", en: "enter a new password"))
        } else if new != confirmation {
            issues.add(
                "confirmPassword", BilingualText(zh: "两次输入的新密码不一致", en: "the two new passwords differ"))
        }
        try issues.throwIfAny()
        do {
            _ = try await accounts.authenticate(username: actor.username, password: current, address: address)
        } catch AccessError.signInFailed {
            throw ValidationError(
                field: "currentPassword", BilingualText(zh: "当前密码不正确", en: "the current password is wrong"))
        }
        do {
            _ = try await accounts.resetPassword(userID: actor.id, to: new, keeping: keeping)
        } catch let error as ValidationError {
            // The rule names the field `password`; the form names it `newPassword`.
            throw ValidationError(
                error.issues.map { issue in
                    var renamed = issue
                    renamed.field = "newPassword"
                    return renamed
                })
        }
        try await record(Action.passwordChanged, by: actor, ["user": actor.username])
    }

    public func createDepartment(_ draft: DepartmentDraft, by actor: User) async throws -> Department {
        try AccessPolicy.require(actor, .accountsManageDepartments)
        let department = try await store.departments.create(try draft.validated())
        try await record(
            Action.departmentCreated, by: actor, ["department": department.name, "code": department.code])
        return department
    }

    public func updateDepartment(id: Int64, _ draft: DepartmentDraft, by actor: User) async throws -> Department {
        try AccessPolicy.require(actor, .accountsManageDepartments)
        guard let before = try await store.departments.find(id: id) else {
            throw StoreError.notFound(entity: "department", key: "\(id)")
        }
        let after = try await store.departments.update(id: id, with: try draft.validated())
        var detail = ["department": after.name, "code": after.code]
        if before.name != after.name { detail["before"] = before.name }
        try await record(Action.departmentUpdated, by: actor, detail)
        return after
    }

    /// The user with `id`, or not found.
    public func user(_ id: Int64) async throws -> User {
        guard let user = try await store.users.find(id: id) else {
            throw StoreError.notFound(entity: "user", key: "\(id)")
        }
        return user
    }

    /// Disables a department with its users (they can no longer sign in), or enables it again (its users stay
    /// disabled until enabled one by one). The operator's own department cannot be disabled.
    public func setDepartmentActive(id: Int64, _ active: Bool, by actor: User) async throws -> Department {
        try AccessPolicy.require(actor, .accountsManageDepartments)
        if !active && id == actor.departmentID {
            throw StoreError.conflict(
                BilingualText(zh: "不能停用自己所在的部门", en: "you cannot disable your own department"))
        }
        let department = try await store.departments.setActive(id: id, active)
        if !active {
            // Through the user repository, which keeps each row's integrity MAC.
            for user in try await store.users.list(departmentID: id) where user.isActive {
                _ = try await store.users.update(id: user.id, UserChanges(isActive: false))
            }
        }
        try await record(
            active ? Action.departmentEnabled : Action.departmentDisabled, by: actor,
            ["department": department.name, "code": department.code])
        return department
    }

    func record(_ action: AuditAction, by actor: User, _ detail: [String: String]) async throws {
        _ = try await audit.append(
            AuditEvent(
                action: action, userID: actor.id, providerDepartmentID: actor.departmentID, outcome: .allowed,
                detail: detail.mapValues { String($0.prefix(200)) }))
    }

    static func names(_ roles: Set<Role>) -> String { roles.map(\.rawValue).sorted().joined(separator: ",") }
}
