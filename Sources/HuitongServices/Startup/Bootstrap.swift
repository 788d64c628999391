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

        /// The bureau of a node with this identity: its name, and its region unless it is the national platform.
        public init(node: NodeProfile) {
            self.init(name: node.name, regionCode: Bootstrap.bureauRegion(node.region) ?? "341500")
        }
    }

    /// The bureau's department on this node: the node's stored identity gives its name and region (the national
    /// platform, which has no GB/T 2260 code of its own, keeps the default region).
    public static func bureauRegion(_ region: NodeRegion) -> String? {
        if case .region(let code) = region { return code.text }
        return nil
    }

    /// After `huitong node set-identity`: the operator's department (created from the old identity) takes the
    /// new name and region; one an operator renamed or moved since is left alone. Returns the department changed.
    public static func updateBureau(_ store: Store, to profile: NodeProfile, from previous: NodeProfile?) async throws
        -> Department?
    {
        let fallback = NodeProfile(region: .region(try RegionCode("341500")), name: "数据资源管理局")
        let old = BureauSettings(node: previous ?? fallback)
        guard let department = try await store.departments.find(code: old.code),
            department.name == old.name, department.regionCode == old.regionCode
        else { return nil }
        let new = BureauSettings(node: profile)
        return try await store.departments.update(
            id: department.id,
            with: DepartmentDraft(
                name: new.name, code: department.code, creditCode: department.creditCode, regionCode: new.regionCode,
                parentID: department.parentID
            ).validated())
    }

    /// Creates the operator account `admin` when the node has no users yet; returns it with its password.
    public static func ensureOperator(_ accounts: AccountUseCases, bureau: BureauSettings = .init()) async throws
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
