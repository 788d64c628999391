import Foundation
import HuitongCore
import HuitongServices
import HuitongStore

/// The demo's e-licences: the six seeded types, each issued in 六安 by the department that issues it locally, and
/// licences issued and sealed through the node's own use case — 张小明's 结婚证, 社会保障卡 and 户口簿 (the person a
/// portal account registered with ID 11010519491231002X finds in 我的证照 once the operator verified it), and the
/// 营业执照 of the first companies of the demo register.
package enum DemoLicences {
    /// The demo holder: registering on the portal with this ID number and having the operator verify the account
    /// shows their licences.
    package static let holderID = "11010519491231002X"
    package static let holderName = "张小明"

    /// The demo catalog's 目 under 电子证照基础信息资源 that the types are filed under.
    static let catalogClassification = "105001"

    /// Which demo department issues each seeded type in 六安, by type name.
    static let localIssuers = [
        "营业执照": "SCJGJ", "出生医学证明": "WJW", "结婚证": "MZJ", "不动产权证书": "ZRZYJ", "社会保障卡": "RSJ", "居民户口簿": "GAJ",
    ]
    /// The officer who issues for each department.
    static let issuingOfficers = [
        "SCJGJ": "scjgj.officer", "WJW": "wjw.officer", "MZJ": "mzj.officer", "ZRZYJ": "zrzyj.officer",
        "RSJ": "rsj.officer", "GAJ": "gaj.provider",
    ]

    package static func load(
        with licences: LicenceUseCases, departments: [String: Department], users: [String: User],
        bureau: Department, companies: [Company]
    ) async throws {
        // National types arrive from the national 证照目录 (their definers are ministries, not departments of a
        // city node); the demo records them under the bureau, each issued here by the local department.
        var types: [String: LicenceType] = [:]
        let store = licences.store
        let bureauAuthor = ChangeAuthor(userID: nil, name: "平台管理员")
        for var type in try LicenceType.seeded() {
            guard let code = localIssuers[type.name], let issuer = departments[code]?.creditCode else { continue }
            type.issuerCodes = [issuer]
            _ = try await store.licences.saveType(type, definerDepartmentID: bureau.id, at: Date())
            // Each type is a published resource of the catalog (电子证照基础信息资源), under the bureau.
            var entry = try await store.catalog.create(
                type.catalogContent(classification: catalogClassification), departmentID: bureau.id,
                author: bureauAuthor)
            for step in [CatalogTransition.submit, .publish] {
                entry = try await store.catalog.transition(id: entry.id, step, author: bureauAuthor, comment: "")
            }
            try await store.licences.linkCatalogEntry(typeCode: type.typeCode, entryID: entry.id)
            types[type.name] = type
        }
        func issue(_ typeName: String, holderCode: String, holderName: String, face: [String: String]) async throws {
            guard let type = types[typeName], let department = localIssuers[typeName],
                let officer = issuingOfficers[department].flatMap({ users[$0] })
            else { return }
            _ = try await licences.issue(
                LicenceIssueRequest(
                    typeCode: type.typeCode, holderCode: holderCode, holderName: holderName, face: face),
                by: officer)
        }
        try await issue(
            "结婚证", holderCode: holderID, holderName: holderName,
            face: [
                "zh": "J341502-2019-000812", "djrq": "2019-10-01", "nfxm": holderName, "nfsfzh": holderID,
                "vfxm": "李梅", "vfsfzh": "341502199001011239", "djjg": "六安市金安区民政局",
            ])
        try await issue(
            "社会保障卡", holderCode: holderID, holderName: holderName,
            face: ["xm": holderName, "shbzhm": holderID, "kh": "A34150012", "fkrq": "2021-03-15"])
        try await issue(
            "居民户口簿", holderCode: holderID, holderName: holderName,
            face: [
                "hh": "341502000123", "hb": "家庭户", "hzxm": holderName, "hzsfzh": holderID,
                "zz": "安徽省六安市金安区梅山南路 18 号", "qfjg": "六安市公安局金安分局",
            ])
        for company in companies.filter({ $0.status == "存续" }).prefix(3) {
            var face = [
                "tyshxydm": company.code, "mc": company.name, "lx": company.kind, "fddbr": company.representative,
                "jyfw": company.scope, "zczb": company.capital, "clrq": company.founded.description,
                "zs": company.address, "djjg": company.authority, "djrq": company.approved.description,
            ]
            if let until = company.until { face["yyqxz"] = until.description }
            try await issue("营业执照", holderCode: company.code, holderName: company.name, face: face)
        }
    }
}
