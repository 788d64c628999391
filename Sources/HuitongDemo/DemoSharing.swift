import Foundation
import HuitongCore
import HuitongServices
import HuitongStore

/// A handful of sharing applications between the demo departments, taken through the real workflow so the console
/// shows every kind of outcome: a full and a partial approval (with grants), an automatic approval of 无条件共享
/// data, one application awaiting its provider, and a refusal under coordination.
package enum DemoSharing {
    package static func load(with service: SharingUseCases, entries: [String: Int64], users: [String: User])
        async throws
    {
        let store = service.store
        func user(_ name: String) throws -> User {
            guard let user = users[name] else { throw DemoCatalog.DemoError(text: "unknown demo user \(name)") }
            return user
        }
        func entry(_ name: String) throws -> Int64 {
            guard let id = entries[name] else { throw DemoCatalog.DemoError(text: "unknown demo entry \(name)") }
            return id
        }
        let today = CalendarDate.today()
        let yearEnd = today.addingDays(364)
        let systems = try await store.applicationSystems.list(departmentID: try user("rsj.officer").departmentID)

        // 人社局 verifies pensioners' identity against 公安局's population data: approved in full.
        let identity = try await service.create(
            ApplicationDraft(
                entryID: try entry("人口基础信息"), items: ["sfzhm", "xm", "csrq", "hjdz", "xzqhdm"],
                purpose: .dataVerification, purposeText: "社保待遇领取资格认证时核验参保人员身份与户籍状态",
                legalBasis: "《中华人民共和国社会保险法》第七十一条；《社会保险经办条例》第二十二条",
                scenario: "养老保险待遇资格认证", systemIDs: systems.map(\.id), validFrom: today, validTo: yearEnd,
                expectedDailyCalls: 5000), by: try user("rsj.officer"))
        _ = try await service.submit(id: identity.id, by: try user("rsj.officer"))
        _ = try await service.decide(
            id: identity.id, ProviderDecision(kind: .approve, comment: "同意，仅限资格认证使用"), by: try user("gaj.provider"))

        // 民政局 checks 低保 applicants' insurance status: approved without the employer's name and with a lower quota.
        let insured = try await service.create(
            ApplicationDraft(
                entryID: try entry("参保人员信息"), items: ["sfzhm", "xm", "cbzt", "cbdwmc"], purpose: .administrativeBasis,
                purposeText: "最低生活保障家庭经济状况核对", legalBasis: "《社会救助暂行办法》第十一条、第十二条",
                scenario: "最低生活保障审核确认", validFrom: today, validTo: yearEnd, expectedDailyCalls: 2000),
            by: try user("mzj.officer"))
        _ = try await service.submit(id: insured.id, by: try user("mzj.officer"))
        _ = try await service.decide(
            id: insured.id,
            ProviderDecision(
                kind: .approvePartially, comment: "参保单位名称超出核对所需，不予提供；日调用量按实际业务量核定",
                terms: GrantTerms(items: ["sfzhm", "xm", "cbzt"], dailyQuota: 800)),
            by: try user("rsj.officer"))

        // 卫健委 takes 市场监管局's open company register: 无条件共享, granted on submission.
        let companies = try await service.create(
            ApplicationDraft(
                entryID: try entry("企业登记信息"), items: ["tyshxydm", "qymc", "qylx", "clrq"],
                purpose: .businessCollaboration,
                purposeText: "医疗机构执业登记时核验申办主体", legalBasis: "《医疗机构管理条例》第十条",
                scenario: "医疗机构设置审批", channel: .bulkExtract, validFrom: today, validTo: yearEnd,
                expectedDailyCalls: 10), by: try user("wjw.officer"))
        _ = try await service.submit(id: companies.id, by: try user("wjw.officer"))

        // 住建局 asks 民政局 for marriage records: awaiting the provider.
        let marriage = try await service.create(
            ApplicationDraft(
                entryID: try entry("婚姻登记信息"), items: ["djlx", "nfsfzhm", "nvfsfzhm", "djrq"],
                purpose: .administrativeBasis,
                purposeText: "购房资格审核时核验家庭成员婚姻状况", legalBasis: "《六安市商品住房限购政策实施细则》",
                scenario: "商品住房购房资格审核", validFrom: today, validTo: yearEnd, expectedDailyCalls: 300),
            by: try user("zjj.officer"))
        _ = try await service.submit(id: marriage.id, by: try user("zjj.officer"))

        // 公安局 asks 卫健委 for birth certificates: refused, so the bureau coordinates.
        let births = try await service.create(
            ApplicationDraft(
                entryID: try entry("出生医学证明信息"), items: ["csyxzmbh", "xsexm", "mqxm", "mqsfzhm"],
                purpose: .workReference,
                purposeText: "新生儿户口登记参考", legalBasis: "《中华人民共和国户口登记条例》第七条",
                scenario: "新生儿出生登记", validFrom: today, validTo: yearEnd, expectedDailyCalls: 100),
            by: try user("gaj.consumer"))
        _ = try await service.submit(id: births.id, by: try user("gaj.consumer"))
        _ = try await service.decide(
            id: births.id,
            ProviderDecision(
                kind: .refuse, comment: "“工作参考”不足以支撑调取母亲身份证号码，请说明户口登记中的核验环节",
                refusalReason: .purposeUnclear), by: try user("wjw.officer"))
    }
}
