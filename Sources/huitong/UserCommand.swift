import ArgumentParser
import Foundation
import HuitongCore
import HuitongServices
import HuitongStore

struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "Manage user accounts.",
        subcommands: [Add.self, ResetPassword.self, List.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a user; prints the generated password once.")

        @OptionGroup var node: NodeOptions

        @Argument(help: "Username (3–40 lower-case letters, digits, '.', '-', '_').")
        var username: String

        @Option(help: "Code of the user's department, e.g. GAJ.")
        var department: String

        @Option(name: .customLong("role"), help: "Role: operator, provider, consumer or auditor (repeatable).")
        var roles: [String] = []

        @Option(help: "Display name (defaults to the username).")
        var name: String?

        func run() async throws {
            let roleSet = try Set(
                roles.map { text in
                    guard let role = Role(rawValue: text) else {
                        throw ValidationError("unknown role '\(text)': choose operator, provider, consumer or auditor")
                    }
                    return role
                })
            try await withStore(node) { store, config, _ in
                guard let department = try await store.departments.find(code: department) else {
                    throw ValidationError("no department with code '\(department)' (未找到该部门)")
                }
                do {
                    let (user, password) = try await accountService(config, store).createUser(
                        UserDraft(
                            username: username, displayName: name ?? username, departmentID: department.id,
                            roles: roleSet))
                    printAccounts(
                        [
                            IssuedAccount(
                                username: user.username, displayName: user.displayName, department: department.name,
                                roles: user.roles, password: password)
                        ], heading: "已创建用户 (user created):")
                } catch {
                    throw ValidationError(error.userMessage)
                }
            }
        }
    }

    struct ResetPassword: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reset-password", abstract: "Set a new generated password and end the user's sessions.")

        @OptionGroup var node: NodeOptions

        @Argument var username: String

        func run() async throws {
            try await withStore(node) { store, config, _ in
                guard let user = try await store.users.find(username: username) else {
                    throw ValidationError("no user named '\(username)' (未找到该用户)")
                }
                let password = try await accountService(config, store).resetPassword(userID: user.id)
                let department = try await store.departments.find(id: user.departmentID)
                printAccounts(
                    [
                        IssuedAccount(
                            username: user.username, displayName: user.displayName, department: department?.name ?? "",
                            roles: user.roles, password: password)
                    ], heading: "密码已重置 (password reset):")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List users.")

        @OptionGroup var node: NodeOptions

        func run() async throws {
            try await withStore(node) { store, _, _ in
                let departments = Dictionary(
                    uniqueKeysWithValues: try await store.departments.list().map { ($0.id, $0) })
                for user in try await store.users.list(departmentID: nil) {
                    let roles = user.roles.sorted().map(\.rawValue).joined(separator: ",")
                    let state = user.isActive ? "" : " (inactive)"
                    print(
                        "\(user.username)\t\(user.displayName)\t\(departments[user.departmentID]?.code ?? "?")\t\(roles)\(state)"
                    )
                }
            }
        }
    }
}
