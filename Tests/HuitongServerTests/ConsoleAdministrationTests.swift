import Foundation
import HTTPTypes
import HuitongCore
import HuitongIngest
import HuitongStore
import HuitongTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import HuitongServer
@testable import HuitongServices

/// The operator's administration in the console: users and departments, the three lists' export, the audit
/// viewer's filters and detail; every officer's own password; the 工作台 home.
@Suite("Console administration")
struct ConsoleAdministrationTests {
    static func id(in location: String?, after prefix: String) -> Int64? {
        location?.components(separatedBy: prefix).last?.components(separatedBy: "?").first.flatMap { Int64($0) }
    }

    @Test(
        "the operator adds a user (password shown once), changes roles, resets the password after confirming and disables the account after confirming; all on the audit log"
    )
    func users() async throws {
        try await ConsoleTests.withDemo(.sqlite) { store, passwords, client in
            let admin = try await ConsoleTests.signIn("admin", passwords, client)
            let department = try #require(try await store.departments.list().first)
            let (_, list) = try await ConsoleTests.get("/console/departments", admin, client)
            #expect(list.contains(#"action="/console/users""#) && list.contains(#"action="/console/departments""#))

            // A bad form comes back with its problems next to its fields and what was typed.
            let (bad, badPage, _) = try await ConsoleTests.post(
                "/console/users", "username=Wang&displayName=\(PortalTests.encoded("王芳"))", admin, client)
            #expect(bad == .badRequest)
            #expect(badPage.contains(#"id="user-roles-error""#) && badPage.contains(#"id="user-departmentID-error""#))
            #expect(badPage.contains(#"value="王芳""#))

            let (created, page, _) = try await ConsoleTests.post(
                "/console/users",
                "username=wang.fang&displayName=\(PortalTests.encoded("王芳"))&departmentID=\(department.id)&roles=provider",
                admin, client)
            #expect(created == .created)
            let user = try #require(
                try await store.users.list(departmentID: department.id).first { $0.username == "wang.fang" })
            #expect(user.roles == [.provider])
            let firstPassword = try #require(Self.issuedPassword(page))
            _ = try await ConsoleTests.signIn("wang.fang", ["wang.fang": firstPassword], client)

            let (roles, _, rolesBack) = try await ConsoleTests.post(
                "/console/users/\(user.id)/roles", "roles=provider&roles=consumer", admin, client)
            #expect(roles == .seeOther && rolesBack == "/console/users/\(user.id)?done=user_edited")
            #expect(try await store.users.find(id: user.id)?.roles == [.provider, .consumer])

            // Resetting asks first; confirmed, it shows the new password once.
            let (asked, question, _) = try await ConsoleTests.post(
                "/console/users/\(user.id)/password", "", admin, client)
            #expect(
                asked == .ok && question.contains(#"name="confirm" value="yes""#) && question.contains("王芳（wang.fang）"))
            let (reset, resetPage, _) = try await ConsoleTests.post(
                "/console/users/\(user.id)/password", "confirm=yes", admin, client)
            #expect(reset == .ok)
            let secondPassword = try #require(Self.issuedPassword(resetPage))
            #expect(secondPassword != firstPassword)
            _ = try await ConsoleTests.signIn("wang.fang", ["wang.fang": secondPassword], client)

            let (_, disableQuestion, _) = try await ConsoleTests.post(
                "/console/users/\(user.id)/active", "active=false", admin, client)
            #expect(disableQuestion.contains(#"name="active" value="false""#))
            #expect(try await store.users.find(id: user.id)?.isActive == true, "nothing happens before confirming")
            let (disabled, _, _) = try await ConsoleTests.post(
                "/console/users/\(user.id)/active", "active=false&confirm=yes", admin, client)
            let stillActive = try await store.users.find(id: user.id)?.isActive
            #expect(disabled == .seeOther && stillActive == false)

            // A provider may not do any of it.
            let provider = try await ConsoleTests.signIn("gaj.provider", passwords, client)
            let (refused, _, _) = try await ConsoleTests.post(
                "/console/users/\(user.id)/password", "confirm=yes", provider, client)
            #expect(refused == .forbidden)

            // The audit viewer filters to those steps, and shows one in detail.
            let (_, log) = try await ConsoleTests.get("/console/audit?action=account.password_reset", admin, client)
            #expect(log.contains("account.password_reset") && !log.contains("account.user_created</td>"))
            let sequence = try #require(
                log.components(separatedBy: #"href="/console/audit/"#).dropFirst()
                    .compactMap { $0.components(separatedBy: "\"").first.flatMap { Int64($0) } }.first)
            let (detailStatus, detail) = try await ConsoleTests.get("/console/audit/\(sequence)", admin, client)
            #expect(detailStatus == .ok && detail.contains("wang.fang") && detail.contains("重置密码"))
            #expect(!detail.contains(secondPassword), "never the password")
            let (csvStatus, csv) = try await ConsoleTests.get(
                "/console/audit/export?action=account.user_created&format=csv", admin, client)
            #expect(csvStatus == .ok && csv.contains("新增用户") && !csv.contains("重置密码"))
            let (badFilter, badLog) = try await ConsoleTests.get("/console/audit?from=yesterday", admin, client)
            #expect(badFilter == .ok && badLog.contains(#"id="from-error""#))
        }
    }

    @Test("the operator adds and edits a department; a bad one is refused next to its fields")
    func departments() async throws {
        try await ConsoleTests.withDemo(.sqlite) { store, passwords, client in
            let admin = try await ConsoleTests.signIn("admin", passwords, client)
            let (bad, badPage, _) = try await ConsoleTests.post(
                "/console/departments", "name=&code=&regionCode=1", admin, client)
            #expect(bad == .badRequest && badPage.contains(#"id="department-name-error""#))
            let (created, page, back) = try await ConsoleTests.post(
                "/console/departments",
                "name=\(PortalTests.encoded("六安市数据资源局"))&code=SJZYJ&regionCode=341500", admin, client)
            #expect(created == .seeOther && back == "/console/departments?done=department_created", "\(page)")
            let added = try #require(try await store.departments.list().first { $0.code == "SJZYJ" })
            // A code already taken is told next to the code field.
            let (taken, takenPage, _) = try await ConsoleTests.post(
                "/console/departments", "name=\(PortalTests.encoded("另一个局"))&code=SJZYJ&regionCode=341500", admin,
                client)
            #expect(taken == .conflict && takenPage.contains(#"id="department-code-error""#))
            let (_, form) = try await ConsoleTests.get("/console/departments/\(added.id)", admin, client)
            #expect(form.contains(#"value="六安市数据资源局""#))
            let (edited, _, _) = try await ConsoleTests.post(
                "/console/departments/\(added.id)",
                "name=\(PortalTests.encoded("六安市数据局"))&code=SJZYJ&regionCode=341500", admin, client)
            let renamed = try await store.departments.find(id: added.id)?.name
            #expect(edited == .seeOther && renamed == "六安市数据局")

            // Disabling asks first, then disables its users with it; it takes no new users.
            let (member, _, _) = try await ConsoleTests.post(
                "/console/users",
                "username=li.na&displayName=\(PortalTests.encoded("李娜"))&departmentID=\(added.id)&roles=consumer",
                admin, client)
            #expect(member == .created)
            let (_, question, _) = try await ConsoleTests.post(
                "/console/departments/\(added.id)/active", "active=false", admin, client)
            #expect(question.contains("六安市数据局") && question.contains(#"name="confirm" value="yes""#))
            #expect(try await store.departments.find(id: added.id)?.isActive == true)
            let (disabled, _, _) = try await ConsoleTests.post(
                "/console/departments/\(added.id)/active", "active=false&confirm=yes", admin, client)
            let li = try await store.users.list(departmentID: added.id).first
            #expect(disabled == .seeOther && li?.isActive == false)
            #expect(try await store.departments.find(id: added.id)?.isActive == false)
            let (_, list) = try await ConsoleTests.get("/console/departments", admin, client)
            #expect(!list.contains(#"<option value="\#(added.id)""#), "no new users in a disabled department")
            let (refused, _, _) = try await ConsoleTests.post(
                "/console/users",
                "username=zhao.lei&displayName=\(PortalTests.encoded("赵磊"))&departmentID=\(added.id)&roles=consumer",
                admin, client)
            #expect(refused == .badRequest)
            // The operator's own department cannot be disabled.
            let own = try #require(try await store.users.list(departmentID: nil).first { $0.username == "admin" })
            let (mine, _, _) = try await ConsoleTests.post(
                "/console/departments/\(own.departmentID)/active", "active=false&confirm=yes", admin, client)
            #expect(mine == .conflict)
        }
    }

    @Test("every officer changes their own password with the current one")
    func ownPassword() async throws {
        try await ConsoleTests.withDemo(.sqlite) { _, passwords, client in
            let officer = try await ConsoleTests.signIn("gaj.provider", passwords, client)
            let (_, form) = try await ConsoleTests.get("/console/password", officer, client)
            #expect(form.contains(#"autocomplete="current-password""#))
            let new = "荷花塘边的新密码2026"
            let (wrong, wrongPage, _) = try await ConsoleTests.post(
                "/console/password",
                "currentPassword=nope&newPassword=\(PortalTests.encoded(new))&confirmPassword=\(PortalTests.encoded(new))",
                officer, client)
            #expect(wrong == .badRequest && wrongPage.contains(#"id="currentPassword-error""#))
            let current = try #require(passwords["gaj.provider"])
            let (changed, _, back) = try await ConsoleTests.post(
                "/console/password",
                "currentPassword=\(PortalTests.encoded(current))&newPassword=\(PortalTests.encoded(new))&confirmPassword=\(PortalTests.encoded(new))",
                officer, client)
            #expect(changed == .seeOther && back == "/console/password?done=password")
            _ = try await ConsoleTests.signIn("gaj.provider", ["gaj.provider": new], client)
        }
    }

    @Test("the three lists export as XLSX (a sheet each) and CSV")
    func listsExport() async throws {
        try await ConsoleTests.withDemo(.sqlite) { _, passwords, client in
            let admin = try await ConsoleTests.signIn("admin", passwords, client)
            let (_, page) = try await ConsoleTests.get("/console/lists", admin, client)
            #expect(page.contains(#"href="/console/lists/export?format=xlsx""#))
            let (status, data) = try await client.execute(
                uri: "/console/lists/export?format=xlsx", method: .get, headers: admin.headers
            ) { ($0.status, Data(buffer: $0.body)) }
            #expect(status == .ok)
            let reader = try XLSXReader(data: data)
            #expect(try reader.rows(inSheet: "负面清单").first?.cells.first == "提供部门")
            #expect(try reader.rows(inSheet: "需求清单").count >= 1)
            let (_, csv) = try await ConsoleTests.get("/console/lists/export?format=csv", admin, client)
            #expect(csv.contains("责任清单落实情况") && csv.contains("负面清单"))
        }
    }

    @Test("the 工作台 lists a provider's applications to decide with their deadline, grouped apart from consumer work")
    func workbench() async throws {
        try await ConsoleTests.withDemo(.sqlite) { store, passwords, client in
            // An application the demo leaves waiting on a provider, and an officer who decides for that department.
            let waiting = try #require(try await store.applications.list(.all, state: .providerReview).first)
            let officer = try #require(
                try await store.users.list(departmentID: waiting.providerDepartmentID).first {
                    $0.roles.contains(.provider) && passwords[$0.username] != nil
                })
            let browser = try await ConsoleTests.signIn(officer.username, passwords, client)
            let (_, home) = try await ConsoleTests.get("/console", browser, client)
            #expect(home.contains("<h1>工作台</h1>") && home.contains("快捷入口"))
            #expect(home.contains("待审核申请") && home.contains(waiting.number))
            #expect(home.contains("期限"), "with its deadline")
            #expect(!home.contains("workbench_"), "no raw locale key")
        }
    }

    /// The password a page shows once.
    static func issuedPassword(_ page: String) -> String? {
        page.components(separatedBy: #"<code id="issued-password">"#).dropFirst().first?
            .components(separatedBy: "</code>").first
    }
}
