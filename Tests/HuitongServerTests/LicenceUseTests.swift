import Foundation
import HTTPTypes
import HuitongCore
import HuitongServices
import HuitongStore
import HuitongTestSupport
import Hummingbird
import HummingbirdTesting
import Testing

@testable import HuitongServer

/// 用证 through the real application: a department's system reads a person's licence only with the holder's
/// consent (granted in 我的证照) or a legal basis the operator recorded, and only while the licence is valid; every
/// attempt is a use record the holder sees and an audit entry without their ID number.
@Suite("Licence use with consent")
struct LicenceUseTests {
    static let type = LicenceType(
        typeCode: "11100000000013346P002", name: "婚姻登记证（示例）", holderKind: .person,
        fields: [
            LicenceField(key: "xm", label: "姓名", type: .text, isRequired: true, isMaskedByDefault: true),
            LicenceField(key: "djrq", label: "登记日期", type: .date, isRequired: true),
        ],
        validity: .permanent, issuerCodes: ["11341500MB15001A5E"])

    struct World {
        var identifier: String
        var issuer: String
        var consumerDepartment: Department
        var consumerSystem: String
        var holder: DeveloperPortalTests.Developer
    }

    static func world(_ node: TestNode, _ client: some TestClientProtocol) async throws -> World {
        let (_, definer, issuer) = try await LicencesAPITests.parties(node)
        #expect(try await client.status(.post, "/api/v1/licence-types", token: definer, input: Self.type) == .created)
        let (_, issued) = try await client.send(
            .post, "/api/v1/licences", token: issuer,
            input: LicenceIssueRequest(
                typeCode: Self.type.typeCode, holderCode: DeveloperPortalTests.idNumber, holderName: "张小明",
                face: ["xm": "张小明", "djrq": "2020-05-20"]),
            as: LicencesAPI.LicenceBody.self)
        let lamz = try await node.department("LAMZ", region: "341500")
        let system = try await node.store.applicationSystems.create(
            departmentID: lamz.id, ApplicationSystemDraft(name: "婚姻状况核验系统", description: ""))
        let secret = Secrets.issue(.system)
        _ = try await node.store.tokens.createCredential(
            systemID: system.id, TokenDraft(name: "生产", expiresAt: nil), secret: secret,
            keyID: CredentialKeyID.generate(), sealedSecret: nil)
        let holder = try await DeveloperPortalTests.register("zhang@example.com", client)
        return World(
            identifier: issued.licence.identifier.text, issuer: issuer, consumerDepartment: lamz,
            consumerSystem: secret.plaintext, holder: holder)
    }

    @Test(
        "a use without consent is refused and audited; the holder, once verified, grants consent in 我的证照, sees the use, revokes, and the next use is refused; a revoked licence is refused even under a legal basis",
        arguments: TestBackend.available)
    func useWithConsent(_ backend: TestBackend) async throws {
        try await TestNode.run(backend) { node, client in
            let world = try await Self.world(node, client)
            let use = LicenceUseRequest(
                identifier: world.identifier, matter: "婚姻状况核验", caseNumber: "LAMZ-2026-0001", reason: "办理收养登记")
            let (refused, refusedBody) = try await client.failure(
                .post, "/api/v1/licence-uses", token: world.consumerSystem, input: use)
            #expect(refused == .forbidden && refusedBody.code == "licence_use_not_authorised")
            #expect(refusedBody.error.message.contains("没有持证人"))

            // Not yet verified as the holder: the portal says so.
            let (unverified, unverifiedPage) = try await DeveloperPortalTests.get(
                "/portal/licences", world.holder, client)
            #expect(unverified == .forbidden && unverifiedPage.contains("实名核验"))
            let developer = try #require(try await node.store.developers.credentials(email: "zhang@example.com"))
                .developer
            let holder = LicencesAPI.HolderInput(
                email: "zhang@example.com", kind: .person, documentCode: DeveloperPortalTests.idNumber)
            #expect(
                try await client.status(.post, "/api/v1/licence-holders", token: world.issuer, input: holder)
                    == .forbidden, "only the operator verifies holders")
            let (unknown, unknownBody) = try await client.failure(
                .post, "/api/v1/licence-holders", token: node.operatorToken,
                input: LicencesAPI.HolderInput(
                    email: "nobody@example.com", kind: .person, documentCode: DeveloperPortalTests.idNumber))
            #expect(unknown == .badRequest && unknownBody.fields == ["email"])
            let (mismatch, mismatchBody) = try await client.failure(
                .post, "/api/v1/licence-holders", token: node.operatorToken,
                input: LicencesAPI.HolderInput(
                    email: "zhang@example.com", kind: .person, documentCode: DeveloperPortalTests.otherIDNumber))
            #expect(
                mismatch == .badRequest && mismatchBody.fields == ["documentCode"],
                "someone who registered with another person's number is not handed their licences")
            let (verified, verifiedText) = try await client.text(
                .post, "/api/v1/licence-holders", token: node.operatorToken, input: holder)
            #expect(verified == .ok && !verifiedText.contains("holderKey"), "the digest stays inside: \(verifiedText)")

            let (_, wallet) = try await DeveloperPortalTests.get("/portal/licences", world.holder, client)
            #expect(wallet.contains(world.identifier) && wallet.contains("婚姻登记证（示例）"))
            #expect(wallet.contains("婚姻状况核验") && wallet.contains("已拒绝"), "the refused use is shown to the holder")

            let (granted, _, location) = try await DeveloperPortalTests.post(
                "/portal/licences/consents",
                [
                    ("typeCode", Self.type.typeCode), ("granteeDepartmentID", String(world.consumerDepartment.id)),
                    ("matter", "婚姻状况核验"), ("scope", "face"),
                    ("expiresOn", CalendarDate.today().addingDays(10).description),
                ], world.holder, client)
            #expect((granted == .seeOther || granted == .found) && location == "/portal/licences?done=granted")

            let (allowed, body) = try await client.send(
                .post, "/api/v1/licence-uses", token: world.consumerSystem, input: use, as: LicencesAPI.UseBody.self)
            #expect(allowed == .ok && body.licence.face["xm"] == "张小明" && body.use.outcome == .allowed)
            #expect(body.package == nil)
            var file = use
            file.scope = .file
            let (fileRefused, _) = try await client.failure(
                .post, "/api/v1/licence-uses", token: world.consumerSystem, input: file)
            #expect(fileRefused == .forbidden, "a consent to the face does not cover the file")

            let (_, withUse) = try await DeveloperPortalTests.get("/portal/licences", world.holder, client)
            #expect(withUse.contains("LAMZ-2026-0001") && withUse.contains("已使用"))
            let holderKey = try #require(try await node.store.licences.holder(developerID: developer.id)?.holderKey)
            let consentID = try #require(try await node.store.licences.consents(holderKey: holderKey).first?.id)
            let (revokedStatus, _, _) = try await DeveloperPortalTests.post(
                "/portal/licences/consents/\(consentID)/revoke", [], world.holder, client)
            #expect(revokedStatus == .seeOther || revokedStatus == .found)
            let (afterRevoke, _) = try await client.failure(
                .post, "/api/v1/licence-uses", token: world.consumerSystem, input: use)
            #expect(afterRevoke == .forbidden)

            // A legal basis lets the department use every holder's licence for its matter, until the licence ends.
            let basis = LicenceConsentRequest(
                typeCode: Self.type.typeCode, granteeDepartmentID: world.consumerDepartment.id, matter: "婚姻状况核验",
                scope: .face, expiresOn: CalendarDate.today().addingDays(365).description,
                legalBasis: "《婚姻登记条例》（示例）")
            #expect(
                try await client.status(.post, "/api/v1/licence-legal-bases", token: world.issuer, input: basis)
                    == .forbidden)
            #expect(
                try await client.status(.post, "/api/v1/licence-legal-bases", token: node.operatorToken, input: basis)
                    == .created)
            #expect(
                try await client.status(.post, "/api/v1/licence-uses", token: world.consumerSystem, input: use) == .ok)
            _ = try await client.send(
                .post, "/api/v1/licences/\(world.identifier)/end", token: world.issuer,
                input: LicencesAPI.EndInput(kind: .revoked, reason: "登记无效"), as: LicencesAPI.LicenceBody.self)
            let (ended, endedBody) = try await client.failure(
                .post, "/api/v1/licence-uses", token: world.consumerSystem, input: use)
            #expect(ended == .conflict && endedBody.error.message.contains("证照已吊销"))

            var probe = use
            probe.identifier = try LicenceIdentifier(
                typeCode: Self.type.typeCode, issuerCode: "11341500MB15001A5E", serial: "20200101999999", version: 1
            ).text
            let (missing, _) = try await client.failure(
                .post, "/api/v1/licence-uses", token: world.consumerSystem, input: probe)
            #expect(missing == .notFound)

            let (_, log) = try await client.text(.get, "/api/v1/audit/entries?limit=100", token: node.operatorToken)
            #expect(log.contains("licence.used") && log.contains("licence_use_not_authorised"))
            #expect(log.contains("licence_not_found"), "probing for identifiers is audited too")
            #expect(log.contains("licence.consent_granted") && log.contains("licence.consent_revoked"))
            #expect(!log.contains(DeveloperPortalTests.idNumber) && !log.contains("张小明"), "no holder in the log")
        }
    }

    @Test(
        "亮证: the holder's short-lived code opens the verification page for that licence, without its identifier",
        arguments: TestBackend.available)
    func showLicence(_ backend: TestBackend) async throws {
        try await TestNode.run(backend) { node, client in
            let world = try await Self.world(node, client)
            #expect(
                try await client.status(
                    .post, "/api/v1/licence-holders", token: node.operatorToken,
                    input: LicencesAPI.HolderInput(
                        email: "zhang@example.com", kind: .person, documentCode: DeveloperPortalTests.idNumber)) == .ok)
            let (status, page) = try await DeveloperPortalTests.get(
                "/portal/licences/show?identifier=\(world.identifier)", world.holder, client)
            #expect(status == .ok && page.contains("shape-rendering=\"crispEdges\""))
            let link = try #require(
                page.firstRange(of: "/licences/verify?token=").map { start in
                    String(page[start.lowerBound...].prefix { $0 != "\"" })
                })
            let (verifyStatus, verification) = try await client.text(.get, link)
            #expect(verifyStatus == .ok && verification.contains("data-valid=\"true\""))
            #expect(!verification.contains(world.identifier) && verification.contains("张*"))
            // One character of the code's MAC changed.
            var forged = Array(link)
            let index = forged.count - 10
            forged[index] = forged[index] == "A" ? "B" : "A"
            let (forgedStatus, forgedPage) = try await client.text(.get, String(forged))
            #expect(forgedStatus == .badRequest && forgedPage.contains("亮证码无效"))

            let other = try await DeveloperPortalTests.register(
                "li@example.com", name: "李四", idNumber: DeveloperPortalTests.otherIDNumber, client)
            _ = try await client.status(
                .post, "/api/v1/licence-holders", token: node.operatorToken,
                input: LicencesAPI.HolderInput(
                    email: "li@example.com", kind: .person, documentCode: DeveloperPortalTests.otherIDNumber))
            let (notTheirs, _) = try await DeveloperPortalTests.get(
                "/portal/licences/show?identifier=\(world.identifier)", other, client)
            #expect(notTheirs == .notFound, "another holder cannot show this licence")
        }
    }
}
