import Foundation
import HuitongCore
import HuitongServices
import HuitongStore

/// A realistic city node for trying Huitong out: 六安市 (341500), its bureau and seven departments, with officers
/// of every role, and its catalog (see `DemoCatalog`). Later capabilities add their own demo objects here.
public enum DemoData {
    package struct DemoDepartment {
        let name: String
        let code: String
        let creditCode: String
        let officers: [(username: String, displayName: String, roles: Set<Role>)]
    }

    package static let region = "341500"

    // Credit codes are fictitious but valid under GB 32100 (机关 11, region 341500, check characters computed).
    package static let departments: [DemoDepartment] = [
        DemoDepartment(
            name: "六安市数据资源管理局", code: "SJJ", creditCode: "11341500003010087Y",
            officers: [
                ("admin", "平台管理员", [.operator]),
                ("sjj.auditor", "审计员 周敏", [.auditor]),
                // The bureau's 一网通办 office, which runs the 一件事 platform and applies for its data.
                ("sjj.services", "一网通办 林悦", [.consumer]),
            ]),
        DemoDepartment(
            name: "六安市公安局", code: "GAJ", creditCode: "1134150000301001XU",
            officers: [
                ("gaj.provider", "公安局 李强", [.provider]), ("gaj.consumer", "公安局 王芳", [.consumer]),
                // The department's 首席数据官, who owns its 考核 scorecard.
                ("gaj.cdo", "公安局首席数据官 郑伟", [.chiefDataOfficer]),
            ]),
        DemoDepartment(
            name: "六安市市场监督管理局", code: "SCJGJ", creditCode: "11341500003010028U",
            officers: [("scjgj.officer", "市场监管局 陈静", [.provider, .consumer])]),
        DemoDepartment(
            name: "六安市人力资源和社会保障局", code: "RSJ", creditCode: "11341500003010036N",
            officers: [("rsj.officer", "人社局 刘洋", [.provider, .consumer])]),
        DemoDepartment(
            name: "六安市民政局", code: "MZJ", creditCode: "11341500003010044H",
            officers: [("mzj.officer", "民政局 赵磊", [.provider, .consumer])]),
        DemoDepartment(
            name: "六安市卫生健康委员会", code: "WJW", creditCode: "11341500003010052C",
            officers: [("wjw.officer", "卫健委 孙丽", [.provider, .consumer])]),
        DemoDepartment(
            name: "六安市自然资源和规划局", code: "ZRZYJ", creditCode: "113415000030100607",
            officers: [("zrzyj.officer", "自然资源和规划局 吴刚", [.provider, .consumer])]),
        DemoDepartment(
            name: "六安市住房和城乡建设局", code: "ZJJ", creditCode: "113415000030100794",
            officers: [("zjj.officer", "住建局 郑华", [.provider, .consumer])]),
        DemoDepartment(
            name: "六安市医疗保障局", code: "YBJ", creditCode: "11341500003010095R",
            officers: [("ybj.officer", "医保局 何涛", [.provider, .consumer])]),
        DemoDepartment(
            name: "国家税务总局六安市税务局", code: "SWJ", creditCode: "11341500003010108F",
            officers: [("swj.officer", "税务局 冯雪", [.provider, .consumer])]),
        DemoDepartment(
            name: "六安市住房公积金管理中心", code: "GJJ", creditCode: "123415000030101242",
            officers: [("gjj.officer", "公积金中心 许亮", [.provider, .consumer])]),
    ]

    /// Loads the demo into an empty database and returns the accounts with their one-time passwords.
    /// Returns nil, changing nothing, when the database already holds departments or users.
    /// `sharing` is the node's own sharing use case when there is a node (`serve --demo`), so that the demo's
    /// applications follow the node's configured time limits; without one, the defaults.
    /// `licences`, the node's licence use case, seals and issues the demo licences; without one (a node without a
    /// sealing key) there are none. `matters`, the node's matter use case, imports the demo's 办事指南 and composes
    /// its three 一件事 (with licences only, which some of their materials are replaced by).
    public static func load(
        into accounts: AccountUseCases, sharing: SharingUseCases? = nil, licences: LicenceUseCases? = nil,
        matters: MatterUseCases? = nil, audit: AuditLog? = nil
    ) async throws -> [IssuedAccount]? {
        let store = accounts.store
        guard try await store.users.count() == 0, try await store.departments.count() == 0 else { return nil }
        // Read the catalog file before creating anyone: a broken file must not leave accounts whose one-time
        // passwords were never shown.
        _ = try DemoCatalog.read()
        var issued: [IssuedAccount] = []
        var created: [String: Department] = [:]
        var authors: [String: ChangeAuthor] = [:]
        var reviewer: ChangeAuthor?
        var users: [String: User] = [:]
        for demo in departments {
            let department = try await store.departments.create(
                DepartmentDraft(
                    name: demo.name, code: demo.code, creditCode: demo.creditCode, regionCode: region, parentID: nil
                ).validated())
            for officer in demo.officers {
                let (user, password) = try await accounts.createUser(
                    UserDraft(
                        username: officer.username, displayName: officer.displayName, departmentID: department.id,
                        roles: officer.roles))
                users[user.username] = user
                if user.has(.operator) && reviewer == nil { reviewer = user.author }
                if user.has(.provider) && authors[demo.code] == nil { authors[demo.code] = user.author }
                issued.append(
                    IssuedAccount(
                        username: user.username, displayName: user.displayName, department: department.name,
                        roles: user.roles, password: password))
            }
            created[demo.code] = department
            if demo.code == "RSJ" {
                _ = try await store.applicationSystems.create(
                    departmentID: department.id,
                    ApplicationSystemDraft(name: "社保待遇资格认证系统", description: "核验参保人员身份与生存状态").validated())
            }
        }
        let entries = try await DemoCatalog.load(
            into: store, departments: created, authors: authors,
            reviewer: reviewer ?? ChangeAuthor(userID: nil, name: "平台管理员"))
        try await DemoPools.load(into: store, entries: entries, authors: authors)
        let sharing = sharing ?? SharingUseCases(store: store, settings: SharingSettings(), audit: audit)
        try await DemoSharing.load(with: sharing, entries: entries, users: users)
        if let licences, let bureau = created["SJJ"] {
            try await DemoLicences.load(
                with: licences, departments: created, users: users, bureau: bureau,
                companies: CompanyRegister.generate(people: Population.generate()).companies)
            if let matters {
                try await DemoMatters.load(
                    with: matters, sharing: sharing, licences: licences, entries: entries, users: users, bureau: bureau)
            }
        }
        return issued
    }
}
