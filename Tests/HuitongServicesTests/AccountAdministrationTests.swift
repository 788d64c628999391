import Foundation
import HuitongCore
import HuitongServices
import HuitongStore
import HuitongTestSupport
import Testing

@Suite("Account administration")
struct AccountAdministrationTests {
    /// Runs `body` with the world, its administration over a real audit log, and the operator signed in with a
    /// known password.
    static func with(_ body: (ServicesWorld, AccountAdministration) async throws -> Void) async throws {
        try await ServicesWorld.with { world in
            let accounts = AccountUseCases(store: world.store, bcryptCost: 4, suite: .intl)
            let administration = AccountAdministration(
                accounts: accounts, audit: AuditLog(repository: world.store.audit, suite: .intl))
            try await body(world, administration)
        }
    }

    static func audited(_ store: Store, _ action: AuditAction) async throws -> [AuditEntry] {
        try await store.audit.search(AuditEntryFilter(action: action)).compactMap {
            if case .entry(let entry) = $0 { return entry }
            return nil
        }
    }

    @Test("the operator adds a user, who signs in with the generated password; the log names both")
    func createUser() async throws {
        try await Self.with { world, administration in
            let (user, password) = try await administration.createUser(
                UserDraft(
                    username: "wang.fang", displayName: "王芳", departmentID: world.consumer.id, roles: [.consumer]),
                by: world.bureauOperator)
            #expect(user.roles == [.consumer] && user.isActive)
            let signedIn = try await administration.accounts.authenticate(
                username: "wang.fang", password: password, address: nil)
            #expect(signedIn.id == user.id)
            let logged = try await Self.audited(world.store, AccountAdministration.Action.userCreated)
            #expect(logged.count == 1)
            #expect(logged.first?.event.userID == world.bureauOperator.id)
            #expect(logged.first?.event.detail["user"] == "wang.fang")
            #expect(logged.first?.event.detail.values.contains(password) == false, "never the password")
            // Only the operator may: a provider is refused and nothing is written.
            await #expect(throws: AccessError.self) {
                _ = try await administration.createUser(
                    UserDraft(
                        username: "li.si", displayName: "李四", departmentID: world.consumer.id, roles: [.consumer]),
                    by: world.providerOfficer)
            }
            #expect(try await world.store.users.list(departmentID: world.consumer.id).count == 3)
        }
    }

    @Test(
        "a reset password replaces the old one; disabling stops sign-in; roles change; the operator cannot lock themselves out"
    )
    func resetDisableRoles() async throws {
        try await Self.with { world, administration in
            let (user, first) = try await administration.createUser(
                UserDraft(
                    username: "wang.fang", displayName: "王芳", departmentID: world.consumer.id, roles: [.consumer]),
                by: world.bureauOperator)
            let second = try await administration.resetPassword(userID: user.id, by: world.bureauOperator)
            #expect(second != first)
            await #expect(throws: AccessError.self) {
                _ = try await administration.accounts.authenticate(username: "wang.fang", password: first, address: nil)
            }
            _ = try await administration.accounts.authenticate(username: "wang.fang", password: second, address: nil)

            let changed = try await administration.setRoles(
                userID: user.id, [.consumer, .provider], by: world.bureauOperator)
            #expect(changed.roles == [.consumer, .provider])
            let roleEntry = try await Self.audited(world.store, AccountAdministration.Action.rolesChanged).first
            #expect(roleEntry?.event.detail["before"] == "consumer")
            #expect(roleEntry?.event.detail["after"] == "consumer,provider")
            await #expect(throws: ValidationError.self) {
                _ = try await administration.setRoles(userID: user.id, [], by: world.bureauOperator)
            }

            _ = try await administration.setActive(userID: user.id, false, by: world.bureauOperator)
            await #expect(throws: AccessError.self) {
                _ = try await administration.accounts.authenticate(
                    username: "wang.fang", password: second, address: nil)
            }
            #expect(try await Self.audited(world.store, AccountAdministration.Action.userDisabled).count == 1)
            await #expect(throws: StoreError.self) {
                _ = try await administration.setActive(userID: world.bureauOperator.id, false, by: world.bureauOperator)
            }
            await #expect(throws: StoreError.self) {
                _ = try await administration.setRoles(
                    userID: world.bureauOperator.id, [.provider], by: world.bureauOperator)
            }
        }
    }

    @Test("an officer changes their own password only with the current one and a matching confirmation")
    func changeOwnPassword() async throws {
        try await Self.with { world, administration in
            let (user, password) = try await administration.createUser(
                UserDraft(
                    username: "wang.fang", displayName: "王芳", departmentID: world.consumer.id, roles: [.consumer]),
                by: world.bureauOperator)
            func change(_ current: String, _ new: String, _ again: String) async throws {
                try await administration.changeOwnPassword(
                    user, current: current, new: new, confirmation: again, keeping: .none, address: nil)
            }
            do {
                try await change("wrong-password", "荷花塘边的新密码2026", "荷花塘边的新密码2026")
                Issue.record("a wrong current password was taken")
            } catch let error as ValidationError {
                #expect(error.issues.map(\.field) == ["currentPassword"])
            }
            do {
                try await change(password, "荷花塘边的新密码2026", "荷花塘边的新密码2025")
                Issue.record("differing new passwords were taken")
            } catch let error as ValidationError {
                #expect(error.issues.map(\.field) == ["confirmPassword"])
            }
            do {
                try await change(password, "wang.fang", "wang.fang")
                Issue.record("a weak password was taken")
            } catch let error as ValidationError {
                #expect(error.issues.map(\.field) == ["newPassword"])
            }
            try await change(password, "荷花塘边的新密码2026", "荷花塘边的新密码2026")
            _ = try await administration.accounts.authenticate(
                username: "wang.fang", password: "荷花塘边的新密码2026", address: nil)
            #expect(try await Self.audited(world.store, AccountAdministration.Action.passwordChanged).count == 1)
        }
    }

    @Test("the operator adds and edits departments, on the log")
    func departments() async throws {
        try await Self.with { world, administration in
            let added = try await administration.createDepartment(
                DepartmentDraft(name: "市医保局", code: "YBJ", creditCode: nil, regionCode: "341500", parentID: nil),
                by: world.bureauOperator)
            let edited = try await administration.updateDepartment(
                id: added.id,
                DepartmentDraft(name: "市医疗保障局", code: "YBJ", creditCode: nil, regionCode: "341500", parentID: nil),
                by: world.bureauOperator)
            #expect(edited.name == "市医疗保障局")
            let entry = try await Self.audited(world.store, AccountAdministration.Action.departmentUpdated).first
            #expect(entry?.event.detail["before"] == "市医保局" && entry?.event.detail["department"] == "市医疗保障局")
            await #expect(throws: ValidationError.self) {
                _ = try await administration.createDepartment(
                    DepartmentDraft(name: "", code: "", creditCode: nil, regionCode: "1", parentID: nil),
                    by: world.bureauOperator)
            }
            await #expect(throws: AccessError.self) {
                _ = try await administration.createDepartment(
                    DepartmentDraft(name: "市某局", code: "MJ", creditCode: nil, regionCode: "341500", parentID: nil),
                    by: world.consumerOfficer)
            }
        }
    }
}
