import Foundation
import HuitongCore
import HuitongIngest
import HuitongServices
import HuitongStore

/// The demo's 政务服务事项 and three 一件事: 新生儿出生 (出生医学证明, 户口登记, 医保参保, 社保卡申领), 企业开办
/// (设立登记, 公章刻制, 涉税事项, 社保登记, 公积金开户) and 公积金提取 (提取, 不动产登记资料查询, 婚姻登记记录证明).
/// The matters come from `demo/matters.csv`, a 办事指南 sheet imported as any bureau would import one (catalog
/// items written `{目录名称}:字段` there, resolved to the demo's resource codes). The bureau's 一网通办 platform
/// accepts applications for all three, with grants of the population and company registers and legal bases to
/// use 户口簿, 出生医学证明, 营业执照, 结婚证 and 不动产权证书, so that filling in a form for a consenting applicant works out of the box.
package enum DemoMatters {
    package static let jointServiceCodes = ["YJS-XSECS", "YJS-QYKB", "YJS-GJJTQ"]

    package static func load(
        with matters: MatterUseCases, sharing: SharingUseCases, licences: LicenceUseCases, entries: [String: Int64],
        users: [String: User], bureau: Department
    ) async throws {
        let store = matters.store
        func user(_ name: String) throws -> User {
            guard let user = users[name] else { throw DemoCatalog.DemoError(text: "unknown demo user \(name)") }
            return user
        }
        let operatorUser = try user("admin")
        let today = CalendarDate.today()
        let yearEnd = today.addingDays(364)

        // The bureau's accepting platform and its grants, through the sharing workflow.
        let platform = try await store.applicationSystems.create(
            departmentID: bureau.id,
            ApplicationSystemDraft(name: "一网通办综合受理平台", description: "“高效办成一件事”联办受理，按申请人授权调取共享数据预填表单")
                .validated())
        // The registers are granted whole for the items a form is filled in with, so that they can stand for what
        // the applicant would type; the mobile number stays masked (shown for recognition only).
        let whole: [String: MaskingRule] = ["sfzhm": .none, "xm": .none, "xb": .none, "csrq": .none, "hjdz": .none]
        let grants: [(entry: String, items: [String], provider: String, masking: [String: MaskingRule])] = [
            ("人口基础信息", ["sfzhm", "xm", "xb", "csrq", "hjdz", "sjhm"], "gaj.provider", whole),
            ("参保人员信息", ["sfzhm", "xm", "cbzt"], "rsj.officer", whole.filter { ["sfzhm", "xm"].contains($0.key) }),
        ]
        for (name, items, provider, masking) in grants {
            guard let entryID = entries[name] else { throw DemoCatalog.DemoError(text: "unknown demo entry \(name)") }
            let application = try await sharing.create(
                ApplicationDraft(
                    entryID: entryID, items: items, purpose: .administrativeBasis,
                    purposeText: "“一件事”联办时经申请人授权调取，预填表单、免交证明材料",
                    legalBasis: "《国务院关于进一步优化政务服务提升行政效能推动“高效办成一件事”的指导意见》（国发〔2024〕3号）",
                    scenario: "新生儿出生、企业开办、公积金提取“一件事”", systemIDs: [platform.id], validFrom: today,
                    validTo: yearEnd, expectedDailyCalls: 3000), by: try user("sjj.services"))
            _ = try await sharing.submit(id: application.id, by: try user("sjj.services"))
            _ = try await sharing.decide(
                id: application.id,
                ProviderDecision(
                    kind: .approve, comment: "同意，仅限申请人授权的联办预填", terms: GrantTerms(masking: masking)),
                by: try user(provider))
        }

        // The matters, from the guide sheet.
        let url = Bundle.module.url(forResource: "Resources", withExtension: nil)!.appendingPathComponent(
            "demo/matters.csv")
        var text = try String(contentsOf: url, encoding: .utf8)
        // Licence types are filed in the catalog under their own names.
        var named = entries
        for stored in try await store.licences.types() {
            if let id = stored.catalogEntryID { named[stored.type.name] = id }
        }
        for (name, id) in named where text.contains("{\(name)}") {
            guard let entry = try await store.catalog.find(id: id) else { continue }
            text = text.replacingOccurrences(of: "{\(name)}", with: entry.code.text)
        }
        let rows = try CSVParser.parse(Array(text.utf8)).map { (number: $0.line, cells: $0.fields) }
        let report = try await matters.importSheet(rows, by: operatorUser)
        if let problem = report.errors.first {
            throw DemoCatalog.DemoError(text: "matters.csv row \(problem.row) \(problem.column): \(problem.message)")
        }
        let byName = Dictionary(
            try await matters.matters().map { ($0.name, $0.implementationCode) },
            uniquingKeysWith: { first, _ in first })
        func codes(_ names: [String]) throws -> [String] {
            try names.map { name in
                guard let code = byName[name] else { throw DemoCatalog.DemoError(text: "unknown demo matter \(name)") }
                return code
            }
        }

        // Legal bases for the platform to use the applicant's licences for the matters that read them.
        let bases: [(type: String, matter: String, basis: String)] = [
            ("居民户口簿", "出生登记（户口登记）", "《中华人民共和国户口登记条例》第七条"),
            ("出生医学证明", "出生登记（户口登记）", "《中华人民共和国户口登记条例》第七条"),
            ("营业执照", "公章刻制备案", "《印铸刻字业暨公章刻制管理办法》"),
            ("不动产权证书", "住房公积金提取（购买自住住房）", "《住房公积金管理条例》第二十四条"),
            ("结婚证", "住房公积金提取（购买自住住房）", "《住房公积金管理条例》第二十四条"),
        ]
        let types = try await store.licences.types()
        for (typeName, matterName, basis) in bases {
            guard let type = types.first(where: { $0.type.name == typeName }) else { continue }
            _ = try await licences.recordLegalBasis(
                LicenceConsentRequest(
                    typeCode: type.type.typeCode, granteeDepartmentID: bureau.id, matter: try codes([matterName])[0],
                    scope: .face, expiresOn: yearEnd.description, legalBasis: basis),
                by: operatorUser)
        }

        let services: [(code: String, name: String, summary: String, matters: [String])] = [
            (
                "YJS-XSECS", "新生儿出生“一件事”",
                "新生儿出生后，父母一次申请，同时办理出生医学证明、户口登记、城乡居民医保参保和社会保障卡申领。",
                ["出生医学证明签发", "出生登记（户口登记）", "城乡居民基本医疗保险参保登记", "社会保障卡申领"]
            ),
            (
                "YJS-QYKB", "企业开办“一件事”",
                "一表填报，同时办理企业设立登记、公章刻制、涉税事项、社保登记和住房公积金缴存登记。",
                ["企业设立登记", "公章刻制备案", "新办纳税人“套餐式”涉税事项", "单位社会保险登记", "住房公积金单位缴存登记"]
            ),
            (
                "YJS-GJJTQ", "公积金提取“一件事”",
                "购买自住住房提取住房公积金，不动产权属和婚姻状况由部门共享核验，无需另开证明。",
                ["住房公积金提取（购买自住住房）", "不动产登记资料查询", "婚姻登记记录证明"]
            ),
        ]
        for service in services {
            var draft = JointServiceDraft(
                code: service.code, name: service.name, summary: service.summary,
                matterCodes: try codes(service.matters),
                applicationSystemID: platform.id)
            // Where the departments' dictionaries disagree (新生儿性别: 1/2 against 男/女), the bureau settles on the
            // national code (GB/T 2261.1).
            for field in try await matters.preview(draft, by: operatorUser).fields
            where field.conflicts.contains(where: { $0.kind == .dictionary }) {
                draft.resolutions[field.id] = FormDictionary(code: "GB/T 2261.1", values: ["1", "2"])
            }
            _ = try await matters.saveJointService(draft, leadDepartmentID: bureau.id, by: operatorUser)
        }
    }
}
