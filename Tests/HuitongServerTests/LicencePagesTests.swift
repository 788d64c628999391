import Foundation
import HuitongCore
import HuitongServices
import HuitongStore
import HuitongTestSupport
import Testing

@testable import HuitongServer

/// The verification page anyone opens from a licence's QR code, and the printable licence with its seal and QR code.
@Suite("Licence pages")
struct LicencePagesTests {
    @Test("a licence's QR code decodes (zbarimg) to the link of its verification page")
    func qrCodeDecodes() throws {
        let link =
            "http://127.0.0.1:8080/licences/verify?identifier="
            + "1.2.156.3005.2.11100000000013346P001.11341500MB15001A5E.20261207000001.001.Q"
        let code = try #require(QRCode(link))
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("qr-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let image = folder.appendingPathComponent("code.pbm")
        try Data(code.portableBitmap().utf8).write(to: image)
        let zbarimg = try #require(
            ["/usr/bin/zbarimg", "/usr/local/bin/zbarimg"].first { FileManager.default.isExecutableFile(atPath: $0) },
            "zbarimg is not installed (apt-get install zbar-tools; .ci/run installs it)")
        let (status, output) = try ChildProcess.run(
            URL(fileURLWithPath: zbarimg), ["--quiet", "--raw", image.path], environment: ["PATH": "/usr/bin:/bin"])
        #expect(status == 0 && output.contains(link), "\(output)")
        #expect(code.svg(label: "x").hasPrefix("<svg") && code.svg(label: "x").contains("<path fill=\"#000\" d=\"M"))
    }

    @Test(
        "the verification page shows a valid licence masked, then revoked after its issuer revokes it; the printable licence carries the seal and the QR code",
        arguments: TestBackend.available)
    func verifyAndPrint(_ backend: TestBackend) async throws {
        try await TestNode.run(backend) { node, client in
            let (_, definer, issuer) = try await LicencesAPITests.parties(node)
            #expect(
                try await client.status(.post, "/api/v1/licence-types", token: definer, input: LicencesAPITests.type)
                    == .created)
            let request = LicenceIssueRequest(
                typeCode: LicencesAPITests.type.typeCode, holderCode: "11341500MB1500B23Q",
                holderName: "六安数据科技有限公司",
                face: ["mc": "六安数据科技有限公司", "fddbr": "张三", "clrq": "2020-05-01"], validUntil: "2040-04-30")
            let (_, issued) = try await client.send(
                .post, "/api/v1/licences", token: issuer, input: request, as: LicencesAPI.LicenceBody.self)
            let identifier = issued.licence.identifier.text

            let (status, page) = try await client.text(.get, "/licences/verify?identifier=\(identifier)")
            #expect(status == .ok && page.contains("data-valid=\"true\"") && page.contains("证照有效"))
            #expect(page.contains("张*") && !page.contains("张三"), "the legal representative is masked")
            #expect(page.contains("data-check=\"signature\""))
            let (badStatus, badPage) = try await client.text(.get, "/licences/verify?identifier=1.2.156.3005.2.x")
            #expect(badStatus == .badRequest && badPage.contains("verify-problem"))

            let printPath = "/licences/\(identifier)/print"
            let (printStatus, printed) = try await client.text(.get, printPath, token: issuer)
            #expect(printStatus == .ok && printed.contains("张三"), "the issuer sees the whole 照面")
            #expect(printed.contains("电子证照专用章") && printed.contains("shape-rendering=\"crispEdges\""))
            #expect(printed.contains("/licences/verify?identifier=\(identifier)"))
            let other = try await node.department("LAMZ", region: "341500")
            let (_, outsider) = try await node.user("lamz.p", department: other, roles: [.provider])
            #expect(try await client.status(.get, printPath, token: outsider) == .forbidden)
            let anonymous = try await client.status(.get, printPath)
            #expect(anonymous == .seeOther || anonymous == .found, "strangers are sent to sign in")

            _ = try await client.send(
                .post, "/api/v1/licences/\(identifier)/end", token: issuer,
                input: LicencesAPI.EndInput(kind: .revoked, reason: "虚假登记"), as: LicencesAPI.LicenceBody.self)
            let (_, revoked) = try await client.text(.get, "/licences/verify?identifier=\(identifier)")
            #expect(revoked.contains("data-valid=\"false\"") && revoked.contains("证照已吊销：虚假登记"))
        }
    }
}
