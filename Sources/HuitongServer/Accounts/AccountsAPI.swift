import Foundation
import HuitongCore
import HuitongServices
import HuitongStore
import Hummingbird
import NIOCore

/// `/api/v1` routes for departments, users, personal tokens and application systems with their credentials.
struct AccountsAPI {
    let accounts: AccountUseCases
    let credentials: CredentialUseCases
    var store: Store { accounts.store }

    func register(on api: RouterGroup<HuitongRequestContext>) {
        api.get("me", use: me)
        api.get("departments", use: listDepartments)
        api.post("departments", use: createDepartment)
        api.get("departments/:id", use: getDepartment)
        api.patch("departments/:id", use: updateDepartment)
        api.delete("departments/:id", use: deleteDepartment)

        api.get("users", use: listUsers)
        api.post("users", use: createUser)
        api.get("users/:id", use: getUser)
        api.patch("users/:id", use: updateUser)
        api.delete("users/:id", use: deleteUser)
        api.post("users/:id/password", use: changePassword)

        api.get("tokens", use: listTokens)
        api.post("tokens", use: createToken)
        api.delete("tokens/:id", use: revokeToken)

        api.get("application-systems", use: listSystems)
        api.post("application-systems", use: createSystem)
        api.get("application-systems/:id", use: getSystem)
        api.patch("application-systems/:id", use: updateSystem)
        api.delete("application-systems/:id", use: deleteSystem)
        api.get("application-systems/:id/credentials", use: listSystemCredentials)
        api.post("application-systems/:id/credentials", use: createSystemCredential)
        api.post("application-systems/:id/credentials/:credentialID/rotate", use: rotateSystemCredential)
        api.delete("application-systems/:id/credentials/:credentialID", use: revokeSystemCredential)
        // The first name of the same credentials, kept for clients written against it.
        api.get("application-systems/:id/tokens", use: listSystemCredentials)
        api.post("application-systems/:id/tokens", use: createSystemCredential)
        api.delete("application-systems/:id/tokens/:tokenID", use: revokeSystemCredential)
    }

    // MARK: Me

    struct MeResponse: Codable {
        var user: User?
        /// For an application system: the system and the credential it called with (never its secret), so that a
        /// consumer can check its signing set-up with one call.
        var system: ApplicationSystem?
        var credential: APIToken?
        var department: Department?
    }

    func me(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        guard let principal = context.principal else { throw APIError.unauthenticated }
        let department = try await store.departments.find(id: principal.departmentID)
        if let (system, credential) = principal.system {
            return try JSONResponse.make(MeResponse(system: system, credential: credential, department: department))
        }
        return try JSONResponse.make(MeResponse(user: try context.requireUser(), department: department))
    }

    // MARK: Departments

    struct DepartmentInput: Codable {
        var name: String?
        var code: String?
        var creditCode: String?
        var regionCode: String?
        var parentID: Int64?
    }

    func listDepartments(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        _ = try context.requireUser()
        return try JSONResponse.make(ListBody(items: try await store.departments.list()))
    }

    func createDepartment(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try context.require(.accountsManageDepartments)
        let input = try await request.decodeJSON(DepartmentInput.self, context: context)
        let draft = try DepartmentDraft(
            name: input.name ?? "", code: input.code ?? "", creditCode: input.creditCode,
            regionCode: input.regionCode ?? "", parentID: input.parentID
        ).validated()
        return try JSONResponse.make(try await store.departments.create(draft), status: .created)
    }

    func getDepartment(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        _ = try context.requireUser()
        return try JSONResponse.make(try await department(context))
    }

    func updateDepartment(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try context.require(.accountsManageDepartments)
        let existing = try await department(context)
        let input = try await request.decodeJSON(DepartmentInput.self, context: context)
        let draft = try DepartmentDraft(
            name: input.name ?? existing.name, code: input.code ?? existing.code,
            creditCode: input.creditCode ?? existing.creditCode, regionCode: input.regionCode ?? existing.regionCode,
            parentID: input.parentID ?? existing.parentID
        ).validated()
        return try JSONResponse.make(try await store.departments.update(id: existing.id, with: draft))
    }

    func deleteDepartment(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try context.require(.accountsManageDepartments)
        try await store.departments.delete(id: try context.id())
        return Response(status: .noContent)
    }

    private func department(_ context: HuitongRequestContext) async throws -> Department {
        let id = try context.id()
        guard let department = try await store.departments.find(id: id) else {
            throw StoreError.notFound(entity: "department", key: "\(id)")
        }
        return department
    }

    // MARK: Users

    struct CreateUserInput: Codable {
        var username: String
        var displayName: String
        var departmentID: Int64
        var roles: [String]
        var password: String?
    }

    struct UpdateUserInput: Codable {
        var displayName: String?
        var departmentID: Int64?
        var roles: [String]?
        var isActive: Bool?
    }

    struct CreatedUser: Codable {
        var user: User
        /// Present only when the platform generated the password: shown this once.
        var password: String?
    }

    func listUsers(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let departmentID = try listedDepartment(request, context, .accountsReadUsers)
        return try JSONResponse.make(ListBody(items: try await store.users.list(departmentID: departmentID)))
    }

    func createUser(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try context.require(.accountsManageUsers)
        let input = try await request.decodeJSON(CreateUserInput.self, context: context)
        let roles = try Self.parseRoles(input.roles)
        let (user, password) = try await accounts.createUser(
            UserDraft(
                username: input.username, displayName: input.displayName, departmentID: input.departmentID, roles: roles
            ),
            password: input.password)
        return try JSONResponse.make(
            CreatedUser(user: user, password: input.password == nil ? password : nil), status: .created)
    }

    func getUser(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let caller = try context.requireUser()
        let user = try await user(context)
        try AccessPolicy.require(caller, .accountsReadUsers, department: user.departmentID)
        return try JSONResponse.make(user)
    }

    func updateUser(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let caller = try context.require(.accountsManageUsers)
        let target = try await user(context)
        let input = try await request.decodeJSON(UpdateUserInput.self, context: context)
        var issues = ValidationCollector()
        var changes = UserChanges(departmentID: input.departmentID, isActive: input.isActive)
        if let name = input.displayName?.trimmingCharacters(in: .whitespacesAndNewlines) {
            if name.isEmpty || name.count > 50 {
                issues.add("displayName", BilingualText(zh: "姓名须为 1–50 个字符", en: "displayName must be 1–50 characters"))
            }
            changes.displayName = name
        }
        if let roles = input.roles { changes.roles = try Self.parseRoles(roles) }
        try issues.throwIfAny()
        if target.id == caller.id && (input.isActive == false || changes.roles?.contains(.operator) == false) {
            throw StoreError.conflict(
                BilingualText(
                    zh: "不能停用自己的账号或取消自己的管理员角色", en: "you cannot deactivate yourself or drop your own operator role"))
        }
        return try JSONResponse.make(try await store.users.update(id: target.id, changes))
    }

    func deleteUser(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let caller = try context.require(.accountsManageUsers)
        let id = try context.id()
        if id == caller.id {
            throw StoreError.conflict(BilingualText(zh: "不能删除自己的账号", en: "you cannot delete your own account"))
        }
        try await store.users.delete(id: id)
        return Response(status: .noContent)
    }

    struct PasswordInput: Codable {
        var currentPassword: String?
        var newPassword: String?
        /// Keep the user's other sessions and personal tokens open; by default a new password ends them.
        var keepOtherSessions: Bool?
    }

    struct PasswordResult: Codable {
        /// Present only when the platform generated the password.
        var password: String?
    }

    /// A user changes their own password (with the current one); an operator resets anyone's.
    func changePassword(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let caller = try context.requireUser()
        let target = try await user(context)
        let input = try await request.decodeJSON(PasswordInput.self, context: context)
        // One's own password is changed with the current one; whoever may reset passwords may do without it.
        let changingOwnPassword =
            target.id == caller.id
            && (!AccessPolicy.allows(caller, .accountsResetPassword) || input.currentPassword != nil)
        if changingOwnPassword {
            guard let current = input.currentPassword, !current.isEmpty else {
                throw ValidationError(
                    field: "currentPassword", BilingualText(zh: "请输入当前密码", en: "currentPassword is required"))
            }
            do {
                _ = try await accounts.authenticate(
                    username: caller.username, password: current, address: accounts.clientAddress(request, context))
            } catch AccessError.signInFailed {
                throw ValidationError(
                    field: "currentPassword", BilingualText(zh: "当前密码不正确", en: "currentPassword is wrong"))
            }
            guard let new = input.newPassword else {
                throw ValidationError(field: "newPassword", BilingualText(zh: "请输入新密码", en: "newPassword is required"))
            }
            // The session or token the user is changing it with stays; every other one ends unless kept.
            var using: (session: Int64?, token: Int64?) = (nil, nil)
            switch context.principal {
            case .user(_, .session(let session))?: using.session = session.id
            case .user(_, .token(let token))?: using.token = token.id
            default: break
            }
            _ = try await accounts.resetPassword(
                userID: target.id, to: new,
                keeping: input.keepOtherSessions == true
                    ? .everything : .current(sessionID: using.session, tokenID: using.token))
            return try JSONResponse.make(PasswordResult(password: nil))
        }
        try AccessPolicy.require(caller, .accountsResetPassword)
        let password = try await accounts.resetPassword(
            userID: target.id, to: input.newPassword, keeping: input.keepOtherSessions == true ? .everything : .none)
        return try JSONResponse.make(PasswordResult(password: input.newPassword == nil ? password : nil))
    }

    private func user(_ context: HuitongRequestContext) async throws -> User {
        let id = try context.id()
        guard let user = try await store.users.find(id: id) else {
            throw StoreError.notFound(entity: "user", key: "\(id)")
        }
        return user
    }

    static func parseRoles(_ names: [String]) throws(ValidationError) -> Set<Role> {
        var roles = Set<Role>()
        for name in names {
            guard let role = Role(rawValue: name) else {
                throw ValidationError(
                    field: "roles",
                    BilingualText(
                        zh: "未知角色 \(name)，可选：operator、provider、consumer、auditor",
                        en: "unknown role \(name); choose from operator, provider, consumer, auditor"))
            }
            roles.insert(role)
        }
        return roles
    }

    /// The department whose records a listing for `action` shows: any (or the `departmentID` asked for) to those
    /// `action` lets reach every department (operators and auditors); other officers see their own department only.
    private func listedDepartment(_ request: Request, _ context: HuitongRequestContext, _ action: OfficerAction)
        throws -> Int64?
    {
        let caller = try context.require(action)
        var asked: Int64?
        if let text = request.uri.queryParameters["departmentID"] {
            guard let id = Int64(String(text)), id > 0 else {
                throw ValidationError(
                    field: "departmentID", BilingualText(zh: "部门编号须为正整数", en: "departmentID must be a positive integer")
                )
            }
            asked = id
        }
        if AccessPolicy.reachesEveryDepartment(caller, action) { return asked }
        if let asked { try AccessPolicy.require(caller, action, department: asked) }
        return caller.departmentID
    }

    // MARK: Personal tokens

    struct TokenInput: Codable {
        var name: String
        var expiresAt: Date?
    }

    struct CreatedToken: Codable {
        var token: APIToken
        /// The secret, shown this once.
        var secret: String
        /// An application system's key id (also in `token`), beside the secret as a consumer configures both.
        var keyID: String?
        /// After a rotation: the credential replaced, with the end of its grace period as its expiry.
        var previous: APIToken?
    }

    func listTokens(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let user = try context.requireUser()
        return try JSONResponse.make(ListBody(items: try await store.tokens.list(owner: .user(user.id))))
    }

    /// A personal token lives `HUITONG_TOKEN_DEFAULT_DAYS` unless asked otherwise, at most
    /// `HUITONG_TOKEN_MAXIMUM_DAYS`, and never longer than the bearer token that asks for it.
    func createToken(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let input = try await request.decodeJSON(TokenInput.self, context: context)
        let now = Date()
        var draft = try TokenDraft(name: input.name, expiresAt: input.expiresAt).validated(now: now)
        let longest = now.addingTimeInterval(accounts.tokenMaximumLifetime.timeInterval)
        var presentedEnd: Date? = nil
        if case .user(_, .token(let presented))? = context.principal {
            // A token without an end (made before lifetimes were limited) is held to the maximum like any other.
            presentedEnd = presented.expiresAt ?? longest
        }
        if let asked = draft.expiresAt {
            let days = accounts.tokenMaximumLifetime.components.seconds / 86400
            if asked > longest {
                throw ValidationError(
                    field: "expiresAt",
                    BilingualText(zh: "令牌有效期最长 \(days) 天", en: "a token lives at most \(days) days"))
            }
            if let presentedEnd, asked > presentedEnd {
                throw ValidationError(
                    field: "expiresAt",
                    BilingualText(
                        zh: "新令牌不能晚于当前使用的令牌过期", en: "a token cannot outlive the token that creates it"))
            }
        } else {
            let standard = now.addingTimeInterval(accounts.tokenDefaultLifetime.timeInterval)
            draft.expiresAt = min(standard, presentedEnd ?? standard)
        }
        let secret = Secrets.issue(.user, suite: accounts.suite)
        let token = try await store.tokens.create(owner: .user(user.id), draft, secret: secret)
        return try JSONResponse.make(CreatedToken(token: token, secret: secret.plaintext), status: .created)
    }

    func revokeToken(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let id = try context.id()
        // Someone else's token answers 404 like a missing one, unless the caller may revoke others' tokens.
        guard let token = try await store.tokens.find(id: id),
            token.owner == .user(user.id) || AccessPolicy.allows(user, .accountsRevokeOthersTokens)
        else {
            throw StoreError.notFound(entity: "token", key: "\(id)")
        }
        return try JSONResponse.make(try await store.tokens.revoke(id: token.id, at: Date()))
    }

    // MARK: Application systems

    struct SystemInput: Codable {
        var name: String?
        var description: String?
        var departmentID: Int64?
        var isActive: Bool?
    }

    func listSystems(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let departmentID = try listedDepartment(request, context, .accountsReadApplicationSystems)
        return try JSONResponse.make(
            ListBody(items: try await store.applicationSystems.list(departmentID: departmentID)))
    }

    func createSystem(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let caller = try context.require(.accountsManageApplicationSystems)
        let input = try await request.decodeJSON(SystemInput.self, context: context)
        let departmentID = input.departmentID ?? caller.departmentID
        try AccessPolicy.require(caller, .accountsManageApplicationSystems, department: departmentID)
        let draft = try ApplicationSystemDraft(name: input.name ?? "", description: input.description ?? "").validated()
        return try JSONResponse.make(
            try await store.applicationSystems.create(departmentID: departmentID, draft), status: .created)
    }

    func getSystem(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let caller = try context.requireUser()
        let system = try await system(context)
        try AccessPolicy.require(caller, .accountsReadApplicationSystems, department: system.departmentID)
        return try JSONResponse.make(system)
    }

    func updateSystem(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let system = try await managedSystem(context)
        let input = try await request.decodeJSON(SystemInput.self, context: context)
        if let departmentID = input.departmentID, departmentID != system.departmentID {
            throw ValidationError(
                field: "departmentID",
                BilingualText(zh: "应用系统不能转移到其他部门", en: "a system cannot move to another department"))
        }
        var draft: ApplicationSystemDraft?
        if input.name != nil || input.description != nil {
            draft = try ApplicationSystemDraft(
                name: input.name ?? system.name, description: input.description ?? system.description
            ).validated()
        }
        return try JSONResponse.make(
            try await store.applicationSystems.update(id: system.id, draft: draft, isActive: input.isActive))
    }

    func deleteSystem(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let system = try await managedSystem(context)
        try await store.applicationSystems.delete(id: system.id)
        return Response(status: .noContent)
    }

    func listSystemCredentials(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let system = try await managedSystem(context)
        return try JSONResponse.make(ListBody(items: try await store.tokens.list(owner: .system(system.id))))
    }

    func createSystemCredential(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let system = try await managedSystem(context)
        guard system.isActive else { throw Self.inactiveSystem }
        let input = try await request.decodeJSON(TokenInput.self, context: context)
        let draft = try TokenDraft(name: input.name, expiresAt: input.expiresAt).validated(now: Date())
        let issued = try await credentials.issue(for: system, draft)
        return try JSONResponse.make(
            CreatedToken(token: issued.credential, secret: issued.secret, keyID: issued.credential.keyID),
            status: .created)
    }

    struct RotateInput: Codable {
        /// How long the old secret keeps working; the node's configured grace when absent.
        var graceSeconds: Int?
    }

    /// A new secret under the same key id; the old one keeps working for the grace period. The body is optional.
    func rotateSystemCredential(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let system = try await managedSystem(context)
        guard system.isActive else { throw Self.inactiveSystem }
        let credential = try await systemCredential(of: system, context)
        var grace: Duration?
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: context.maxUploadSize)
        } catch {
            throw APIError.bodyTooLarge(limit: context.maxUploadSize)
        }
        if body.readableBytes > 0 {
            let input = try await request.decodeJSON(RotateInput.self, context: context)
            if let seconds = input.graceSeconds {
                let limit = Int(CredentialUseCases.maximumGrace.components.seconds)
                guard (0...limit).contains(seconds) else {
                    throw ValidationError(
                        field: "graceSeconds",
                        BilingualText(zh: "宽限期须在 0–\(limit) 秒之间", en: "graceSeconds must be between 0 and \(limit)"))
                }
                grace = .seconds(seconds)
            }
        }
        let (rotated, secret) = try await credentials.rotate(credential, grace: grace)
        return try JSONResponse.make(
            CreatedToken(
                token: rotated.current, secret: secret, keyID: rotated.current.keyID, previous: rotated.previous),
            status: .created)
    }

    /// Ends a credential at once, with every secret under its key id (a rotated one in its grace period too).
    func revokeSystemCredential(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let system = try await managedSystem(context)
        let credential = try await systemCredential(of: system, context)
        return try JSONResponse.make(try await store.tokens.revokeCredential(id: credential.id, at: Date()))
    }

    private func systemCredential(of system: ApplicationSystem, _ context: HuitongRequestContext) async throws
        -> APIToken
    {
        let name = context.parameters.get("credentialID") != nil ? "credentialID" : "tokenID"
        let id = try context.id(name)
        guard let credential = try await store.tokens.find(id: id), credential.owner == .system(system.id) else {
            throw StoreError.notFound(entity: "token", key: "\(id)")
        }
        return credential
    }

    static let inactiveSystem = StoreError.conflict(
        BilingualText(zh: "应用系统已停用", en: "the application system is deactivated"))

    private func system(_ context: HuitongRequestContext) async throws -> ApplicationSystem {
        let id = try context.id()
        guard let system = try await store.applicationSystems.find(id: id) else {
            throw StoreError.notFound(entity: "application system", key: "\(id)")
        }
        return system
    }

    /// A system the caller may change: a consumer officer of its own department, or an operator.
    private func managedSystem(_ context: HuitongRequestContext) async throws -> ApplicationSystem {
        let caller = try context.require(.accountsManageApplicationSystems)
        let system = try await system(context)
        try Self.checkManages(system, by: caller)
        return system
    }

    /// A system is managed by its department's consumer officers and by the operator (the console asks too).
    static func checkManages(_ system: ApplicationSystem, by caller: User) throws(AccessError) {
        try AccessPolicy.require(caller, .accountsManageApplicationSystems, department: system.departmentID)
    }
}

/// Collections are wrapped so that paging fields can be added later without breaking clients.
struct ListBody<Item: Encodable>: Encodable {
    var items: [Item]
}

extension ListBody: Decodable where Item: Decodable {}

extension HuitongRequestContext {
    /// A positive integer path parameter, or a 400 naming it.
    func id(_ name: String = "id") throws(ValidationError) -> Int64 {
        guard let text = parameters.get(name), let id = Int64(text), id > 0 else {
            throw ValidationError(field: name, BilingualText(zh: "编号须为正整数", en: "\(name) must be a positive integer"))
        }
        return id
    }
}
