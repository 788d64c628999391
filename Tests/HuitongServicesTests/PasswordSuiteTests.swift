import Foundation
import HuitongCore
import HuitongCrypto
import HuitongStore
import HuitongTestSupport
import Testing

@testable import HuitongServices

/// Passwords on a node that moves from intl (bcrypt) to gm (PBKDF2-HMAC-SM3): old hashes keep working and are
/// replaced at the next sign-in.
@Suite("Passwords under the crypto suites")
struct PasswordSuiteTests {
    static func storedHash(_ store: Store, _ username: String) async throws -> String {
        try #require(try await store.users.credentials(username: username)).passwordHash
    }

    @Test("a bcrypt password signs in on a gm node and is re-hashed with PBKDF2-HMAC-SM3; a wrong one changes nothing")
    func bcryptUpgradedAtSignIn() async throws {
        try await TestBackend.sqlite.withFreshDatabase { store, _ in
            let department = try await store.departments.create(
                DepartmentDraft(name: "市数据局", code: "SJJ", creditCode: nil, regionCode: "341500", parentID: nil))
            let intl = AccountUseCases(store: store, bcryptCost: 4, suite: .intl)
            let (user, password) = try await intl.createUser(
                UserDraft(username: "zhang.san", displayName: "张三", departmentID: department.id, roles: [.operator]))
            #expect(try await Self.storedHash(store, "zhang.san").hasPrefix("$2"))

            let gm = AccountUseCases(store: store, bcryptCost: 4, suite: .gm, passwordIterations: 1_000)
            await #expect(throws: AccessError.signInFailed) {
                try await gm.authenticate(username: "zhang.san", password: "wrong-password", address: nil)
            }
            #expect(try await Self.storedHash(store, "zhang.san").hasPrefix("$2"), "a failed sign-in re-hashes nothing")

            #expect(try await gm.authenticate(username: "zhang.san", password: password, address: nil).id == user.id)
            let upgraded = try await Self.storedHash(store, "zhang.san")
            #expect(PasswordHashing.algorithm(of: upgraded) == .pbkdf2SM3(iterations: 1_000))
            #expect(PasswordHashing.verifyPBKDF2SM3(password, against: upgraded) == true)
            #expect(try await gm.authenticate(username: "zhang.san", password: password, address: nil).id == user.id)
            #expect(try await Self.storedHash(store, "zhang.san") == upgraded, "a current hash is left alone")

            // More iterations configured: replaced again at the next sign-in.
            let stronger = AccountUseCases(store: store, bcryptCost: 4, suite: .gm, passwordIterations: 2_000)
            _ = try await stronger.authenticate(username: "zhang.san", password: password, address: nil)
            #expect(
                PasswordHashing.algorithm(of: try await Self.storedHash(store, "zhang.san"))
                    == .pbkdf2SM3(iterations: 2_000))

            // A node switched back to intl still accepts the PBKDF2 hash and makes it bcrypt again.
            _ = try await intl.authenticate(username: "zhang.san", password: password, address: nil)
            #expect(try await Self.storedHash(store, "zhang.san").hasPrefix("$2"))
        }
    }

    @Test("new passwords on a gm node are PBKDF2-HMAC-SM3 from the start")
    func newPasswordsUnderGM() async throws {
        try await TestBackend.sqlite.withFreshDatabase { store, _ in
            let department = try await store.departments.create(
                DepartmentDraft(name: "市数据局", code: "SJJ", creditCode: nil, regionCode: "341500", parentID: nil))
            let gm = AccountUseCases(store: store, bcryptCost: 4, suite: .gm, passwordIterations: 1_000)
            let (user, _) = try await gm.createUser(
                UserDraft(username: "li.si", displayName: "李四", departmentID: department.id, roles: [.operator]))
            #expect(try await Self.storedHash(store, "li.si").hasPrefix("pbkdf2-sm3$1000$"))
            let password = try await gm.resetPassword(userID: user.id)
            #expect(try await gm.authenticate(username: "li.si", password: password, address: nil).id == user.id)
        }
    }
}
