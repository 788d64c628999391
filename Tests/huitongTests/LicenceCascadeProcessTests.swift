import Foundation
import HuitongCore
import HuitongServices
import HuitongStore
import Testing

@testable import HuitongServer

extension CascadeProcessTests {
    @Test(
        "证照回流: a province's licence reaches the county of its holder through the city, verifies there with the province's certificates, is used under a legal basis, and its revocation follows"
    )
    func licencesAcrossLevels() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.executable.path))
        let province = try await CascadeNode.prepare(region: "340000", name: "安徽省数据资源管理局")
        let city = try await CascadeNode.prepare(region: "341500", name: "六安市数据资源管理局")
        let county = try await CascadeNode.prepare(region: "341502", name: "金安区数据资源管理局")
        defer {
            for node in [province, city, county] {
                node.stop()
                node.remove()
            }
        }
        try province.addPeer(city, relation: .child)
        try city.addPeer(province, relation: .parent)
        try city.addPeer(county, relation: .child)
        try county.addPeer(city, relation: .parent)
        for node in [province, city, county] { try await node.start() }

        // On the province node, its 民政 department defines and issues; one holder lives in 金安区 (341502), one in
        // the next county (341503).
        let mzj = try #require(
            try await province.withStore { try await $0.departments.list() }.first { $0.code == "MZJ" })
        let code = try #require(mzj.creditCode)
        let type = LicenceType(
            typeCode: "\(code)001", name: "婚姻登记记录证明（示例）", holderKind: .person,
            fields: [
                LicenceField(key: "xm", label: "姓名", type: .text, isRequired: true, isMaskedByDefault: true),
                LicenceField(key: "djrq", label: "登记日期", type: .date, isRequired: true),
            ],
            validity: .permanent, issuerCodes: [code])
        _ = try await province.call(
            .POST, "/api/v1/licence-types", input: type, as: "mzj.officer", expect: 201,
            returning: LicencesAPI.TypeBody.self)
        func issue(_ id: String, _ name: String) async throws -> String {
            try await province.call(
                .POST, "/api/v1/licences",
                input: LicenceIssueRequest(
                    typeCode: type.typeCode, holderCode: id, holderName: name, face: ["xm": name, "djrq": "2020-05-20"]),
                as: "mzj.officer", expect: 201, returning: LicencesAPI.LicenceBody.self
            ).licence.identifier.text
        }
        let jinan = try await issue("341502199001010017", "回流甲")
        let neighbour = try await issue("341503199104040047", "邻县丁")

        // The province sends its city both; the city sends its county only the 金安区 holder's. A change is sent once
        // it has settled (a second here), so each node is asked until it has sent what it holds.
        func publish(_ node: CascadeNode) async throws -> Int {
            try await node.call(
                .POST, "/api/v1/federation/licence-publication", expect: 200,
                returning: FederationAPI.PublicationBody.self
            ).sent
        }
        var fromProvince = 0
        _ = try await eventually("the province sends its city both licences") { () async throws -> Int? in
            fromProvince += try await publish(province)
            return fromProvince >= 2 ? fromProvince : nil
        }
        #expect(fromProvince == 2)
        _ = try await eventually("the city holds the province's licences") {
            let answer = try await city.request(
                .POST, "/api/v1/licence-verifications",
                body: try JSONEncoder().encode(LicencesAPI.VerifyInput(identifier: neighbour)))
            return answer.status == 200 ? answer : nil
        }
        var fromCity = 0
        _ = try await eventually("the city passes the county's licence on") { () async throws -> Int? in
            fromCity += try await publish(city)
            return fromCity >= 1 ? fromCity : nil
        }
        try await Task.sleep(for: .seconds(2))
        fromCity += try await publish(city)
        #expect(fromCity == 1, "only the licence of the county's holder goes down to it")
        let verified = try await eventually("the county verifies the province's licence") {
            let answer = try await county.request(
                .POST, "/api/v1/licence-verifications",
                body: try JSONEncoder().encode(LicencesAPI.VerifyInput(identifier: jinan)))
            return answer.status == 200 ? answer.body : nil
        }
        let verification = try JSONDecoder().decode(LicenceVerification.self, from: Data(verified.utf8))
        #expect(verification.isValid, "\(verification.checks)")
        #expect(verification.checks.first { $0.kind == .certificate }?.message.zh.contains("签发节点（340000）") == true)
        #expect(verification.holderName == "回**")
        let other = try await county.request(
            .POST, "/api/v1/licence-verifications",
            body: try JSONEncoder().encode(LicencesAPI.VerifyInput(identifier: neighbour)))
        #expect(other.status == 404, "the next county's licence never reached this county")

        // The county's 民政 department uses it for a matter its operator recorded a legal basis for.
        let countyMZJ = try #require(
            try await county.withStore { try await $0.departments.list() }.first { $0.code == "MZJ" })
        let use = LicenceUseRequest(
            identifier: jinan, matter: "婚姻状况核验", caseNumber: "JA-2026-0001", reason: "办理收养登记")
        let refused = try await county.request(
            .POST, "/api/v1/licence-uses", body: try JSONEncoder().encode(use),
            session: try await county.login("mzj.officer"))
        #expect(refused.status == 403, "no consent and no legal basis yet: \(refused.body)")
        _ = try await county.call(
            .POST, "/api/v1/licence-legal-bases",
            input: LicenceConsentRequest(
                typeCode: type.typeCode, granteeDepartmentID: countyMZJ.id, matter: "婚姻状况核验", scope: .face,
                expiresOn: CalendarDate.today().addingDays(30).description, legalBasis: "《收养登记办法》（示例）"),
            expect: 201, returning: LicenceConsent.self)
        let used = try await county.call(
            .POST, "/api/v1/licence-uses", input: use, as: "mzj.officer", expect: 200,
            returning: LicencesAPI.UseBody.self)
        #expect(used.licence.face["xm"] == "回流甲" && used.typeName == "婚姻登记记录证明（示例）")

        #expect(
            verification.checks.first { $0.kind == .status }?.message.zh.contains("已向签发节点 340000 实时查询") == true,
            "the status is asked of the province through the city")

        // The province revokes. Before anything is sent down, the county's verification already says so: its status
        // is asked of the province, through the city.
        _ = try await province.call(
            .POST, "/api/v1/licences/\(jinan)/end", input: LicencesAPI.EndInput(kind: .revoked, reason: "登记无效"),
            as: "mzj.officer", expect: 200, returning: LicencesAPI.LicenceBody.self)
        let routed = try await county.request(
            .POST, "/api/v1/licence-verifications",
            body: try JSONEncoder().encode(LicencesAPI.VerifyInput(identifier: jinan)))
        #expect(routed.body.contains("证照已吊销：登记无效"), "\(routed.body)")
        let refusedNow = try await county.request(
            .POST, "/api/v1/licence-uses", body: try JSONEncoder().encode(use),
            session: try await county.login("mzj.officer"))
        #expect(refusedNow.status == 409, "a use checks the status on the province too: \(refusedNow.body)")

        // The revocation also follows the same way down, for when the province cannot be reached.
        _ = try await eventually("the province sends the revocation") { () async throws -> Bool? in
            try await publish(province) > 0 ? true : nil
        }
        _ = try await eventually("the city learns of the revocation and passes it on") { () async throws -> Bool? in
            let answer = try await city.request(
                .POST, "/api/v1/licence-verifications",
                body: try JSONEncoder().encode(LicencesAPI.VerifyInput(identifier: jinan)))
            guard answer.body.contains("证照已吊销") else { return nil }
            return try await publish(city) > 0 ? true : nil
        }
        let revoked = try await eventually("the county sees the licence revoked") {
            let answer = try await county.request(
                .POST, "/api/v1/licence-verifications",
                body: try JSONEncoder().encode(LicencesAPI.VerifyInput(identifier: jinan)))
            return answer.body.contains("证照已吊销：登记无效") ? answer : nil
        }
        #expect(revoked.status == 200)
        let afterRevocation = try await county.request(
            .POST, "/api/v1/licence-uses", body: try JSONEncoder().encode(use),
            session: try await county.login("mzj.officer"))
        #expect(afterRevocation.status == 409, "\(afterRevocation.body)")
    }
}
