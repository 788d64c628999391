import Foundation
import HTTPTypes
import HuitongCore
import HuitongServices
import HuitongStore
import Hummingbird

/// The consumer's application systems (我的应用): the department's systems, a form to add one, and each system's
/// credentials with issue, rotation and revocation. A secret is shown once, on the page that issues it, which no
/// cache may keep; the steps are on the audit log.
extension ConsolePages {
    func systems(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await page(request, context, .consoleSystems) { user in
            try await renderSystems(user: user, context: context, notice: doneNotice(request, context.language))
        }
    }

    /// A secret just issued (or rotated), which the page shows this once.
    struct IssuedSecret {
        var systemID: Int64
        var keyID: String
        var secret: String
        var rotated: Bool
    }

    /// A form of the page that failed: which one, what was typed, what was wrong.
    enum SystemsFailure {
        case newSystem(name: String, description: String, errors: FieldErrors)
        case credential(systemID: Int64, name: String, errors: FieldErrors)
    }

    /// The department's systems and their credentials.
    func renderSystems(
        user: User, context: HuitongRequestContext, issued: IssuedSecret? = nil, failed: SystemsFailure? = nil,
        notice: String? = nil, status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let language = context.language
        let now = Date()
        let systems = try await store.applicationSystems.list(departmentID: user.departmentID)
        let today = CalendarDate(now)
        let grants = try await store.grants.list(SharingUseCases.grantScope(for: user)).filter { grant in
            grant.consumerDepartmentID == user.departmentID && grant.revokedAt == nil && grant.validTo >= today
        }
        var entries = EntryNames()
        for id in Set(grants.map(\.entryID)) { try await entries.load(id, from: store) }
        var rows: [ConsoleSystemsPage.System] = []
        for system in systems {
            let credentials = try await store.tokens.list(owner: .system(system.id))
            let usable = grants.filter { $0.systemIDs.isEmpty || $0.systemIDs.contains(system.id) }
            var row = ConsoleSystemsPage.System(
                id: system.id, name: system.name, description: system.description, active: system.isActive,
                credentials: credentials.sorted { $0.createdAt > $1.createdAt }.map { credential in
                    let current = credential.revokedAt == nil && credential.replacedBy == nil
                    return ConsoleSystemsPage.Credential(
                        id: credential.id, systemID: system.id, name: credential.name,
                        keyID: credential.keyID ?? "", hint: credential.hint,
                        created: PortalPages.dateTime(credential.createdAt),
                        expires: credential.expiresAt.map(PortalPages.dateTime) ?? "",
                        lastUsed: credential.lastUsedAt.map(PortalPages.dateTime) ?? "",
                        state: credential.revokedAt != nil
                            ? pages.text("credential_state_revoked", language)
                            : credential.replacedBy != nil
                                ? pages.text("credential_state_replaced", language)
                                : credential.isUsable(at: now)
                                    ? pages.text("active", language) : pages.text("credential_state_expired", language),
                        actionable: current && system.isActive)
                },
                hasCredentials: !credentials.isEmpty,
                credentialName: "",
                grants: usable.map { grant in
                    ConsoleSystemsPage.GrantLink(
                        href: "/console/grants/\(grant.id)",
                        name: entries.name(grant.entryID, code: grant.resourceCode),
                        code: grant.resourceCode)
                },
                hasGrants: !usable.isEmpty)
            if let issued, issued.systemID == system.id {
                var example: String?
                if let grant = usable.first(where: { $0.channel == .api }), let entry = entries.entries[grant.entryID] {
                    example = GatewayExample.curl(
                        base: baseURL, entry: entry, secret: issued.secret, language: language)
                }
                row.issued = ConsoleSystemsPage.Issued(
                    keyID: issued.keyID, secret: issued.secret, rotated: issued.rotated, example: example)
            }
            if case .credential(let systemID, let name, let errors) = failed, systemID == system.id {
                row.credentialName = name
                row.errors = errors.values
            }
            rows.append(row)
        }
        var page = ConsoleSystemsPage(
            title: pages.text("console_nav_systems", language), systems: rows, hasSystems: !rows.isEmpty,
            notice: notice, newName: "", newDescription: "")
        if case .newSystem(let name, let description, let errors) = failed {
            page.newName = name
            page.newDescription = description
            page.show(errors, order: pages.fieldOrder(.consoleSystems))
        }
        var response = render(
            .consoleSystems, page, user: user, section: "/console/systems", context: context, status: status)
        // A page with a secret on it must not be kept by any cache.
        if issued != nil { response.headers[.cacheControl] = "no-store" }
        return response
    }

    /// 新建应用: a system of the officer's department, as `POST /application-systems` makes it.
    func createSystem(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await page(request, context, .consoleSystems) { user in
            let form = try await ConsoleForm.read(request, context: context)
            try AccessPolicy.require(user, .accountsManageApplicationSystems, department: user.departmentID)
            let failed = { (errors: FieldErrors) in
                SystemsFailure.newSystem(name: form["name"], description: form["description"], errors: errors)
            }
            let system: ApplicationSystem
            do {
                let draft = try ApplicationSystemDraft(name: form["name"], description: form["description"])
                    .validated()
                system = try await store.applicationSystems.create(departmentID: user.departmentID, draft)
            } catch let error as ValidationError {
                return try await renderSystems(
                    user: user, context: context, failed: failed(FieldErrors(error, context.language)),
                    status: .badRequest)
            } catch let error as StoreError where error.kind == .conflict {
                var errors = FieldErrors()
                errors.add("name", error.message, context.language)
                return try await renderSystems(
                    user: user, context: context, failed: failed(errors), status: .conflict)
            }
            return .redirect(to: "/console/systems?done=system_created#system-\(system.id)", type: .normal)
        }
    }

    /// A system of the officer's department that they may manage, active.
    func managedSystem(_ context: HuitongRequestContext, _ user: User) async throws -> ApplicationSystem {
        let id = try context.id()
        guard let system = try await store.applicationSystems.find(id: id) else {
            throw StoreError.notFound(entity: "application system", key: "\(id)")
        }
        try AccountsAPI.checkManages(system, by: user)
        return system
    }

    /// One of `system`'s credentials, named by the path's `credentialID`.
    func credential(of system: ApplicationSystem, _ context: HuitongRequestContext) async throws -> APIToken {
        let id = try context.id("credentialID")
        guard let credential = try await store.tokens.find(id: id), credential.owner == .system(system.id) else {
            throw StoreError.notFound(entity: "token", key: "\(id)")
        }
        return credential
    }

    /// Issues a credential as `POST /application-systems/{id}/credentials` does, and shows its secret this once.
    func createCredential(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await page(request, context, .consoleSystems) { user in
            let form = try await ConsoleForm.read(request, context: context)
            let system = try await managedSystem(context, user)
            guard system.isActive else { throw AccountsAPI.inactiveSystem }
            let draft: TokenDraft
            do {
                draft = try TokenDraft(name: form["name"], expiresAt: nil).validated(now: Date())
            } catch let error as ValidationError {
                return try await renderSystems(
                    user: user, context: context,
                    failed: .credential(
                        systemID: system.id, name: form["name"], errors: FieldErrors(error, context.language)),
                    status: .badRequest)
            }
            let issued = try await credentials.issue(for: system, draft)
            try await auditCredential(.credentialIssued, issued.credential, system, user)
            return try await renderSystems(
                user: user, context: context,
                issued: IssuedSecret(
                    systemID: system.id, keyID: issued.credential.keyID ?? "", secret: issued.secret, rotated: false),
                notice: pages.text("console_done_credential_created", context.language), status: .created)
        }
    }

    /// A new secret under the same key id, as `POST …/credentials/{id}/rotate`; the old secret keeps working for
    /// the node's grace period, so that callers can switch without a failed call.
    func rotateCredential(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await page(request, context, .consoleSystems) { user in
            _ = try await ConsoleForm.read(request, context: context)
            let system = try await managedSystem(context, user)
            guard system.isActive else { throw AccountsAPI.inactiveSystem }
            let credential = try await credential(of: system, context)
            let (rotated, secret) = try await credentials.rotate(credential, grace: nil)
            try await auditCredential(.credentialRotated, rotated.current, system, user)
            return try await renderSystems(
                user: user, context: context,
                issued: IssuedSecret(
                    systemID: system.id, keyID: rotated.current.keyID ?? "", secret: secret, rotated: true),
                notice: pages.text("console_done_credential_rotated", context.language), status: .created)
        }
    }

    /// Ends a credential at once, as `DELETE …/credentials/{id}`: every secret under its key id stops working.
    func revokeCredential(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await page(request, context, .consoleSystems) { user in
            _ = try await ConsoleForm.read(request, context: context)
            let system = try await managedSystem(context, user)
            let credential = try await credential(of: system, context)
            let revoked = try await store.tokens.revokeCredential(id: credential.id, at: Date())
            try await auditCredential(.credentialRevoked, revoked, system, user)
            return .redirect(to: "/console/systems?done=credential_revoked#system-\(system.id)", type: .normal)
        }
    }

    private func auditCredential(
        _ action: AuditAction, _ credential: APIToken, _ system: ApplicationSystem, _ user: User
    ) async throws {
        _ = try await audit.log.append(
            AuditEvent(
                action: action, consumerDepartmentID: system.departmentID, applicationSystemID: system.id,
                userID: user.id, outcome: .allowed,
                detail: ["credential": credential.keyID ?? String(credential.id), "name": credential.name]))
    }
}

/// The examples a grant's documentation and a new credential show: a call to the gateway as curl would make it.
enum GatewayExample {
    /// A lookup of one record by the entry's key items, with `secret` (or a placeholder) as the bearer.
    static func curl(base: String, entry: CatalogEntry, secret: String?, language: Language) -> String {
        let query = entry.content.keyItems.map { "\($0.columnName)=<\($0.name)>" }.joined(separator: "&")
        let bearer = secret ?? (language == .zh ? "<应用凭证密钥>" : "<credential secret>")
        return """
            curl -sS -H "Authorization: Bearer \(bearer)" \\
              "\(base)/gateway/v1/\(entry.code.text)/records?\(query)"
            """
    }

    /// The same lookup as an HTTP request.
    static func http(base: String, entry: CatalogEntry, language: Language) -> String {
        let query = entry.content.keyItems.map { "\($0.columnName)=<\($0.name)>" }.joined(separator: "&")
        let host = URL(string: base).flatMap { url in url.host.map { host in url.port.map { "\(host):\($0)" } ?? host }
        }
        let bearer = language == .zh ? "<应用凭证密钥>" : "<credential secret>"
        return """
            GET /gateway/v1/\(entry.code.text)/records?\(query) HTTP/1.1
            Host: \(host ?? base)
            Authorization: Bearer \(bearer)
            Accept: application/json
            """
    }

    /// A 核验 call: the key and the values to check, answered with match or no match.
    static func verify(base: String, entry: CatalogEntry, items: [String], language: Language) -> String? {
        let keys = entry.content.keyItems
        guard let checked = entry.content.items.first(where: { !$0.isKey && items.contains($0.columnName) }) else {
            return nil
        }
        let fields = (keys + [checked]).map { "\"\($0.columnName)\":\"<\($0.name)>\"" }.joined(separator: ",")
        let bearer = language == .zh ? "<应用凭证密钥>" : "<credential secret>"
        return """
            curl -sS -X POST -H "Authorization: Bearer \(bearer)" -H "Content-Type: application/json" \\
              -d '{\(fields)}' "\(base)/gateway/v1/\(entry.code.text)/verify"
            """
    }

    /// A bulk extract as CSV.
    static func extract(base: String, entry: CatalogEntry, language: Language) -> String {
        let bearer = language == .zh ? "<应用凭证密钥>" : "<credential secret>"
        let file = entry.code.text.replacingOccurrences(of: "/", with: "-")
        return """
            curl -sS -H "Authorization: Bearer \(bearer)" -o \(file).csv \\
              "\(base)/gateway/v1/\(entry.code.text)/extract?format=csv"
            """
    }
}
