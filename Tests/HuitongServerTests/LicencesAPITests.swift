import Foundation
import HuitongCore
import HuitongServices
import HuitongStore
import HuitongTestSupport
import Testing

@testable import HuitongServer

/// E-licences through the real application: a definer registers a type, its issuer issues, reads, changes and
/// revokes a licence; others are refused; every step is on the audit log by identifier, never by holder.
@Suite("Licences API")
struct LicencesAPITests {
    static let type = LicenceType(
        typeCode: "11100000000013346P001", name: "营业执照", holderKind: .organisation,
        fields: [
            LicenceField(key: "mc", label: "名称", type: .text, isRequired: true),
            LicenceField(key: "fddbr", label: "法定代表人", type: .text, isRequired: true, isMaskedByDefault: true),
            LicenceField(key: "clrq", label: "成立日期", type: .date, isRequired: true),
        ],
        validity: .statedOnLicence, issuerCodes: ["11341500MB15001A5E"])

    /// The definer (an illustrative national regulator) and the issuer (六安's market regulator), with a provider
    /// officer's token each.
    static func parties(_ node: TestNode) async throws -> (issuing: Department, definer: String, issuer: String) {
        let samr = try await node.store.departments.create(
            DepartmentDraft(
                name: "市场监管总局（示例）", code: "SAMR", creditCode: "11100000000013346P", regionCode: "110000", parentID: nil)
        )
        let lasj = try await node.store.departments.create(
            DepartmentDraft(
                name: "六安市市场监督管理局", code: "LASJ", creditCode: "11341500MB15001A5E", regionCode: "341500",
                parentID: nil))
        let (_, definer) = try await node.user("samr.p", department: samr, roles: [.provider])
        let (_, issuer) = try await node.user("lasj.p", department: lasj, roles: [.provider])
        return (lasj, definer, issuer)
    }

    @Test(
        "define → issue → read with history → 变更 → 吊销; outsiders refused; bad requests name their fields",
        arguments: TestBackend.available)
    func lifecycle(_ backend: TestBackend) async throws {
        try await TestNode.run(backend) { node, client in
            let store = node.store
            let (lasj, definer, issuer) = try await Self.parties(node)
            let other = try await node.department("LAMZ", region: "341500")
            let (_, outsider) = try await node.user("lamz.p", department: other, roles: [.provider])

            let refusedType = try await client.status(.post, "/api/v1/licence-types", token: issuer, input: Self.type)
            #expect(refusedType == .forbidden, "only the department whose credit code begins the type code defines it")
            let (created, registered) = try await client.send(
                .post, "/api/v1/licence-types", token: definer, input: Self.type, as: LicencesAPI.TypeBody.self)
            #expect(created == .created && registered.type.name == "营业执照")

            let request = LicenceIssueRequest(
                typeCode: Self.type.typeCode, holderCode: "11341500MB1500B23Q", holderName: "六安数据科技有限公司",
                face: ["mc": "六安数据科技有限公司", "fddbr": "张三", "clrq": "2020-05-01"], validUntil: "2040-04-30")
            #expect(try await client.status(.post, "/api/v1/licences", token: outsider, input: request) == .forbidden)
            var bad = request
            bad.holderCode = "11341500MB1500B23X"
            bad.face["clrq"] = "2020-02-30"
            let (badStatus, badBody) = try await client.failure(.post, "/api/v1/licences", token: issuer, input: bad)
            #expect(badStatus == .badRequest)
            #expect(badBody.error.details.map(\.field) == ["holder.code", "face.clrq"])

            // The issuer's application system issues with its credential, as it calls the gateway; another
            // department's system cannot.
            func systemSecret(_ department: Department) async throws -> String {
                let system = try await store.applicationSystems.create(
                    departmentID: department.id, ApplicationSystemDraft(name: "发证系统", description: ""))
                let secret = Secrets.issue(.system)
                _ = try await store.tokens.createCredential(
                    systemID: system.id, TokenDraft(name: "生产", expiresAt: nil), secret: secret,
                    keyID: CredentialKeyID.generate(), sealedSecret: nil)
                return secret.plaintext
            }
            let (bySystem, systemIssued) = try await client.send(
                .post, "/api/v1/licences", token: try await systemSecret(lasj), input: request,
                as: LicencesAPI.LicenceBody.self)
            #expect(bySystem == .created && systemIssued.licence.identifier.serial.hasSuffix("000001"))
            #expect(
                try await client.status(.post, "/api/v1/licences", token: try await systemSecret(other), input: request)
                    == .forbidden)

            let (issuedStatus, issued) = try await client.send(
                .post, "/api/v1/licences", token: issuer, input: request, as: LicencesAPI.LicenceBody.self)
            #expect(issuedStatus == .created && issued.statusNow == .valid)
            let identifier = issued.licence.identifier
            #expect(try LicenceIdentifier(identifier.text) == identifier)
            let path = "/api/v1/licences/\(identifier.text)"
            #expect(try await client.status(.get, path, token: outsider) == .forbidden)
            #expect(try await client.status(.get, "/api/v1/licences/1.2.156.3005.2.x", token: issuer) == .badRequest)

            var renamed = request
            renamed.face["mc"] = "六安数据集团有限公司"
            let (changedStatus, changed) = try await client.send(
                .post, "\(path)/changes", token: issuer,
                input: LicencesAPI.ChangeInput(licence: renamed, reason: "名称变更"),
                as: LicencesAPI.LicenceBody.self)
            #expect(changedStatus == .created && changed.licence.identifier.version == 2)
            let (_, old) = try await client.send(.get, path, token: issuer, as: LicencesAPI.LicenceBody.self)
            #expect(old.licence.status == .superseded && old.events?.map(\.kind) == [.issued, .changed])

            let newPath = "/api/v1/licences/\(changed.licence.identifier.text)"
            let (_, revoked) = try await client.send(
                .post, "\(newPath)/end", token: issuer, input: LicencesAPI.EndInput(kind: .revoked, reason: "虚假登记"),
                as: LicencesAPI.LicenceBody.self)
            #expect(revoked.licence.status == .revoked)
            let (again, againBody) = try await client.failure(
                .post, "\(newPath)/changes", token: issuer,
                input: LicencesAPI.ChangeInput(licence: renamed, reason: nil))
            #expect(again == .conflict && againBody.error.message.contains("证照已吊销"))

            let (_, log) = try await client.text(.get, "/api/v1/audit/entries?limit=100", token: node.operatorToken)
            #expect(log.contains("licence.issued") && log.contains("licence.ended"))
            #expect(log.contains("\"applicationSystemID\""), "an issue by a system names the system")
            #expect(!log.contains("11341500MB1500B23Q") && !log.contains("张三"), "the log names licences, not holders")
        }
    }

    @Test(
        "a sheet of licences: good rows are issued, each bad row refused with its problems by row and field; an unknown column refuses the sheet",
        arguments: TestBackend.available)
    func batch(_ backend: TestBackend) async throws {
        try await TestNode.run(backend) { node, client in
            let store = node.store
            let (_, definer, issuer) = try await Self.parties(node)
            #expect(
                try await client.status(.post, "/api/v1/licence-types", token: definer, input: Self.type) == .created)
            let path = "/api/v1/licence-types/\(Self.type.typeCode)/batch?fileType=csv"
            let sheet = """
                持证主体代码,持证主体名称,名称,法定代表人,clrq,有效期至
                11341500MB1500B23Q,六安数据科技有限公司,六安数据科技有限公司,张三,2020-05-01,2040-04-30
                11341500MB1500B23X,坏代码公司,坏代码公司,李四,2020-02-30,
                11341500003260123X,六安市卫健委,六安市卫健委,王五,2019-01-01,
                """
            let (status, text, _) = try await client.exchange(.post, path, token: issuer, raw: sheet, headers: [:])
            #expect(status == .unprocessableContent)
            let result = try WireJSON.decoder.decode(LicenceBatchResult.self, from: Data(text.utf8))
            #expect(result.read == 3 && result.issued.count == 2)
            #expect(
                result.rejected.map(\.row) == [3, 3] && result.rejected.map(\.field) == ["holder.code", "face.clrq"])
            #expect(try await store.licences.licences(holderCode: "11341500003260123X").count == 1)

            let (unknown, unknownText, _) = try await client.exchange(
                .post, path, token: issuer, raw: "持证主体代码,持证主体名称,注册资本\n", headers: [:])
            #expect(unknown == .badRequest && unknownText.contains("第 3 列“注册资本”不是“营业执照”的照面字段"))
        }
    }

    @Test(
        "issue → seal → the package verifies with openssl against the published CA; one altered 照面 byte is named; a revoked licence is flagged",
        arguments: TestBackend.available)
    func sealedPackageVerifiesWithOpenSSL(_ backend: TestBackend) async throws {
        try await TestNode.run(backend) { node, client in
            let (_, definer, issuer) = try await Self.parties(node)
            #expect(
                try await client.status(.post, "/api/v1/licence-types", token: definer, input: Self.type) == .created)
            let request = LicenceIssueRequest(
                typeCode: Self.type.typeCode, holderCode: "11341500MB1500B23Q", holderName: "六安数据科技有限公司",
                face: ["mc": "六安数据科技有限公司", "fddbr": "张三", "clrq": "2020-05-01"], validUntil: "2040-04-30")
            let (_, issued) = try await client.send(
                .post, "/api/v1/licences", token: issuer, input: request, as: LicencesAPI.LicenceBody.self)
            let path = "/api/v1/licences/\(issued.licence.identifier.text)"
            let other = try await node.department("LAMZ", region: "341500")
            let (_, outsider) = try await node.user("lamz.p", department: other, roles: [.provider])
            #expect(try await client.status(.get, "\(path)/package", token: outsider) == .forbidden)
            let (status, package) = try await client.send(
                .get, "\(path)/package", token: issuer, as: LicencesAPI.PackageBody.self)
            #expect(status == .ok && package.package.contains("\"fddbr\":\"张三\""))

            // Anyone fetches the trust anchor and the seal certificates, without signing in.
            let (_, authority) = try await client.send(
                .get, "/api/v1/licence-authority", as: LicencesAPI.CertificateBody.self)
            #expect(authority.certificate == package.authorityCertificate)
            let (_, seals) = try await client.send(
                .get, "/api/v1/licence-seals", as: [String: [LicencesAPI.SealBody]].self)
            #expect(seals["items"]?.map(\.serial) == [package.sealSerial])

            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("licence-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            func write(_ name: String, _ data: Data) throws -> String {
                let url = folder.appendingPathComponent(name)
                try data.write(to: url)
                return url.path
            }
            let ca = try write("ca.pem", Data(authority.certificate.utf8))
            let seal = try write("seal.pem", Data(package.sealCertificate.utf8))
            let data = try write("package.json", try #require(Data(base64Encoded: package.packageBase64)))
            let signature = try write("package.sig", try #require(Data(base64Encoded: package.signature)))
            let chain = try OpenSSLCommand.run(["verify", "-CAfile", ca, "-vfyopt", "distid:1234567812345678", seal])
            #expect(chain.status == 0 && chain.output.contains("OK"), "\(chain)")
            let publicKey = folder.appendingPathComponent("seal.pub").path
            let extracted = try OpenSSLCommand.run(["x509", "-in", seal, "-pubkey", "-noout", "-out", publicKey])
            #expect(extracted.status == 0, "\(extracted)")
            let verified = try OpenSSLCommand.run([
                "pkeyutl", "-verify", "-pubin", "-inkey", publicKey, "-rawin", "-digest", "sm3", "-pkeyopt",
                "distid:1234567812345678", "-in", data, "-sigfile", signature,
            ])
            #expect(verified.status == 0 && verified.output.contains("Signature Verified Successfully"), "\(verified)")
            let digest = try OpenSSLCommand.run(["dgst", "-sm3", "-r", data])
            #expect(digest.output.hasPrefix(package.packageSM3), "\(digest)")

            // Verification for anyone: by identifier, and of a package with one byte of the 照面 changed.
            let (_, valid) = try await client.send(
                .post, "/api/v1/licence-verifications",
                input: LicencesAPI.VerifyInput(identifier: issued.licence.identifier.text),
                as: LicenceVerification.self)
            #expect(valid.isValid && valid.face.first { $0.label == "法定代表人" }?.value == "张*", "masked for strangers")
            var altered = Array(try #require(Data(base64Encoded: package.packageBase64)))
            // 名称 comes first in the package (its keys are sorted: face before holder).
            let index = try #require(altered.firstRange(of: Array("六安数据".utf8))?.lowerBound)
            altered[index + 5] ^= 0x01  // 安 → another character
            let alteredPath = try write("altered.json", Data(altered))
            let refused = try OpenSSLCommand.run([
                "pkeyutl", "-verify", "-pubin", "-inkey", publicKey, "-rawin", "-digest", "sm3", "-pkeyopt",
                "distid:1234567812345678", "-in", alteredPath, "-sigfile", signature,
            ])
            #expect(refused.status != 0, "openssl refuses the altered package too")
            let (_, tampered) = try await client.send(
                .post, "/api/v1/licence-verifications",
                input: LicencesAPI.VerifyInput(
                    package: Data(altered).base64EncodedString(), signature: package.signature),
                as: LicenceVerification.self)
            #expect(!tampered.isValid && tampered.alteredFields == ["face.mc"])
            #expect(tampered.checks.first { $0.kind == .record }?.message.zh.contains("照面“名称”") == true)
            // A masked field changed in an unsigned package is not named: strangers could test guesses that way.
            var guessed = Array(try #require(Data(base64Encoded: package.packageBase64)))
            let name = try #require(guessed.firstRange(of: Array("张三".utf8))?.lowerBound)
            guessed[name + 5] ^= 0x01
            let (_, guess) = try await client.send(
                .post, "/api/v1/licence-verifications",
                input: LicencesAPI.VerifyInput(
                    package: Data(guessed).base64EncodedString(), signature: package.signature),
                as: LicenceVerification.self)
            #expect(!guess.isValid && guess.alteredFields.isEmpty)
            #expect(guess.checks.first { $0.kind == .record }?.message.zh.contains("受保护的字段") == true)
            let (badInput, badBody) = try await client.failure(
                .post, "/api/v1/licence-verifications", input: LicencesAPI.VerifyInput(package: "%%%"))
            #expect(badInput == .badRequest && badBody.fields == ["package"])

            _ = try await client.send(
                .post, "\(path)/end", token: issuer, input: LicencesAPI.EndInput(kind: .revoked, reason: "虚假登记"),
                as: LicencesAPI.LicenceBody.self)
            let (_, revoked) = try await client.send(
                .post, "/api/v1/licence-verifications",
                input: LicencesAPI.VerifyInput(identifier: issued.licence.identifier.text),
                as: LicenceVerification.self)
            #expect(revoked.failure?.kind == .status && revoked.failure?.message.zh == "证照已吊销：虚假登记")
        }
    }

    @Test(
        "归集: existing licences are collected with their identifiers and sealed; each defect is reported by row and field; a later issue skips a collected serial",
        arguments: TestBackend.available)
    func collection(_ backend: TestBackend) async throws {
        try await TestNode.run(backend) { node, client in
            let (_, definer, issuer) = try await Self.parties(node)
            #expect(
                try await client.status(.post, "/api/v1/licence-types", token: definer, input: Self.type) == .created)
            func identifier(_ serial: String, issuer: String = "11341500MB15001A5E") throws -> String {
                try LicenceIdentifier(typeCode: Self.type.typeCode, issuerCode: issuer, serial: serial, version: 1).text
            }
            let today = CalendarDate.today().compactText
            let good = try identifier(today + "000001")
            let revoked = try identifier("2015000123")
            var badCheck = Array(try identifier("2015000124"))
            badCheck[badCheck.count - 1] = badCheck.last == "A" ? "B" : "A"
            let sheet = """
                证照标识,持证主体代码,持证主体名称,名称,法定代表人,成立日期,签发日期,状态,原因
                \(good),11341500MB1500B23Q,六安数据科技有限公司,六安数据科技有限公司,张三,2020-05-01,2020-05-02,,
                \(revoked),11341500003260123X,六安市卫健委,六安市卫健委,王五,2015-01-01,2015-01-05,吊销,虚假登记
                \(String(badCheck)),11341500003260123X,某公司,某公司,李四,2015-01-01,2015-01-05,,
                \(try identifier("2015000125", issuer: "11341500003260123X")),11341500003260123X,某公司,某公司,李四,2015-01-01,2015-01-05,,
                \(good),11341500MB1500B23Q,重复,重复,张三,2020-05-01,2020-05-02,,
                \(try identifier("2015000126")),11341500MB1500B23Q,无日期,无日期,张三,2020-05-01,,注销,
                """
            let path = "/api/v1/licence-types/\(Self.type.typeCode)/collection?fileType=csv"
            let (status, text, _) = try await client.exchange(.post, path, token: issuer, raw: sheet, headers: [:])
            #expect(status == .unprocessableContent, "\(text)")
            let result = try WireJSON.decoder.decode(LicenceBatchResult.self, from: Data(text.utf8))
            #expect(result.read == 6 && result.issued.map(\.text) == [good, revoked])
            #expect(
                result.rejected.map { "\($0.row) \($0.field)" } == [
                    "4 identifier", "5 identifier", "6 identifier", "7 issuedOn", "7 reason",
                ], "\(result.rejected)")
            #expect(result.rejected.first { $0.row == 5 }?.message.contains("不是本部门") == true)
            #expect(result.rejected.first { $0.row == 6 }?.message.contains("与第 2 行的证照标识重复") == true)

            // Collected licences are sealed, keep their status, and say they were collected.
            let (_, collected) = try await client.send(
                .post, "/api/v1/licence-verifications", input: VerifyInput(identifier: good),
                as: LicenceVerification.self)
            #expect(collected.isValid, "\(collected.checks)")
            let (_, ended) = try await client.send(
                .post, "/api/v1/licence-verifications", input: VerifyInput(identifier: revoked),
                as: LicenceVerification.self)
            #expect(ended.failure?.message.zh == "证照已吊销：虚假登记")
            let (_, history) = try await client.send(
                .get, "/api/v1/licences/\(revoked)", token: issuer, as: LicencesAPI.LicenceBody.self)
            #expect(history.events?.map(\.kind) == [.collected, .revoked])

            // Collecting the same licence again is refused by row, and an issue today skips the collected serial.
            let again =
                "证照标识,持证主体代码,持证主体名称,名称,法定代表人,成立日期,签发日期\n\(good),11341500MB1500B23Q,六安数据科技有限公司,六安数据科技有限公司,张三,2020-05-01,2020-05-02\n"
            let (againStatus, againText, _) = try await client.exchange(
                .post, path, token: issuer, raw: again, headers: [:])
            #expect(againStatus == .unprocessableContent && againText.contains("已在证照库中"))
            let (_, issued) = try await client.send(
                .post, "/api/v1/licences", token: issuer,
                input: LicenceIssueRequest(
                    typeCode: Self.type.typeCode, holderCode: "11341500MB1500B23Q", holderName: "六安数据科技有限公司",
                    face: ["mc": "六安数据科技有限公司", "fddbr": "张三", "clrq": "2020-05-01"]),
                as: LicencesAPI.LicenceBody.self)
            #expect(issued.licence.identifier.serial == today + "000002")
            let (header, headerText, _) = try await client.exchange(
                .post, "/api/v1/licence-types/\(Self.type.typeCode)/batch?fileType=csv", token: issuer,
                raw: "证照标识,持证主体代码,持证主体名称\n", headers: [:])
            #expect(header == .badRequest && headerText.contains("只用于归集已有证照"))
        }
    }

    typealias VerifyInput = LicencesAPI.VerifyInput

    @Test(
        "before any licence is sealed a stranger's request makes no CA: the authority is 404 and so is a verification",
        arguments: TestBackend.available)
    func noAuthorityYet(_ backend: TestBackend) async throws {
        try await TestNode.run(backend) { node, client in
            #expect(try await client.status(.get, "/api/v1/licence-authority") == .notFound)
            let identifier = try LicenceIdentifier(
                typeCode: Self.type.typeCode, issuerCode: "11341500MB15001A5E", serial: "20260101000001", version: 1)
            #expect(
                try await client.status(
                    .post, "/api/v1/licence-verifications", input: VerifyInput(identifier: identifier.text))
                    == .notFound)
            #expect(try await node.store.licences.authority() == nil)
        }
    }

    @Test(
        "a type registered with a classification is filed in the catalog as the definer's draft, its 照面 fields its items; a refused entry registers no type",
        arguments: TestBackend.available)
    func filedInCatalog(_ backend: TestBackend) async throws {
        try await TestNode.run(backend) { node, client in
            let (_, definer, _) = try await Self.parties(node)
            try await node.store.catalog.saveClassifications([
                ClassificationNode(scheme: ClassificationNode.guideScheme, code: "105001", name: "电子证照目录（示例）")
            ])
            var nowhere = Self.type
            nowhere.catalogClassification = "105999"
            let (refused, refusedBody) = try await client.failure(
                .post, "/api/v1/licence-types", token: definer, input: nowhere)
            #expect(refused == .badRequest && refusedBody.fields == ["classificationCode"], "\(refusedBody)")
            #expect(try await node.store.licences.types().isEmpty, "no type without its entry")
            nowhere.catalogClassification = "1050"
            let (short, shortBody) = try await client.failure(
                .post, "/api/v1/licence-types", token: definer, input: nowhere)
            #expect(short == .badRequest && shortBody.fields == ["catalogClassification"])

            var filed = Self.type
            filed.catalogClassification = "105001"
            let (created, registered) = try await client.send(
                .post, "/api/v1/licence-types", token: definer, input: filed, as: LicencesAPI.TypeBody.self)
            let entryID = try #require(registered.catalogEntryID)
            #expect(created == .created)
            let entry = try #require(try await node.store.catalog.find(id: entryID))
            #expect(
                entry.status == .draft && entry.content.name == "营业执照" && entry.content.classificationCode == "105001")
            #expect(entry.content.items.map(\.columnName) == ["mc", "fddbr", "clrq"])
            #expect(entry.content.items.first { $0.columnName == "fddbr" }?.grade == .general3, "a masked field")
            // Registered again (a change of the type), it keeps its one entry.
            let (_, again) = try await client.send(
                .post, "/api/v1/licence-types", token: definer, input: filed, as: LicencesAPI.TypeBody.self)
            #expect(again.catalogEntryID == entryID)
        }
    }
}
