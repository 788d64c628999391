import Foundation
import HuitongCore
import HuitongStore

/// An account created by the platform whose password must be shown to a person once.
public struct IssuedAccount: Sendable {
    public var username: String
    public var displayName: String
    public var department: String
    public var roles: Set<Role>
    public var password: String

    public init(username: String, displayName: String, department: String, roles: Set<Role>, password: String) {
        self.username = username
        self.displayName = displayName
        self.department = department
        self.roles = roles
        self.password = password
    }
}

/// What a node needs before anyone can sign in: the bureau's department and its first operator.
public enum Bootstrap {
    public struct BureauSettings: Sendable {
        public var name: String
        public var code: String
        public var regionCode: String

        public init(name: String = "数据资源管理局", code: String = "SJJ", regionCode: String = "341500") {
            self.name = name
            self.code = code
            self.regionCode = regionCode
        }
    }

    /// Creates the operator account `admin` when the node has no users yet; returns it with its password.
    public static func ensureOperator(_ accounts: AccountService, bureau: BureauSettings = .init()) async throws
        -> IssuedAccount?
    {
        guard try await accounts.store.users.count() == 0 else { return nil }
        let department: Department
        if let existing = try await accounts.store.departments.find(code: bureau.code) {
            department = existing
        } else {
            department = try await accounts.store.departments.create(
                DepartmentDraft(
                    name: bureau.name, code: bureau.code, creditCode: nil, regionCode: bureau.regionCode, parentID: nil
                ).validated())
        }
        let (user, password) = try await accounts.createUser(
            UserDraft(username: "admin", displayName: "平台管理员", departmentID: department.id, roles: [.operator]))
        return IssuedAccount(
            username: user.username, displayName: user.displayName, department: department.name, roles: user.roles,
            password: password)
    }
}
