import Foundation
import HTTPTypes
import HuitongCore
import HuitongServices
import HuitongStore
import HuitongTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Synchronization
import Testing

@testable import HuitongDemo
@testable import HuitongServer

/// 政务服务事项 and 一件事 through the real application over the whole demo city, loaded as `serve --demo` loads
/// it: the guide sheet's matters, the three joint services with their reductions, sharing demands for what nobody
/// shares, and forms filled in for consenting applicants from pools and e-licences.
@Suite("Matters and joint services")
struct JointServiceTests {
    struct Items<Item: Decodable>: Decodable { var items: [Item] }

    /// Runs `body` over the full demo (with licences and matters) and a credential of the bureau's platform.
    static func withDemo(
        _ backend: TestBackend,
        _ body: @escaping @Sendable (Store, any TestClientProtocol, _ platform: String) async throws -> Void
    ) async throws {
        try await withDemo(backend) { store, client, platform, _ in try await body(store, client, platform) }
    }

    /// `withDemo`, with the demo officers' one-time passwords for signing in to the console.
    static func withDemo(
        _ backend: TestBackend,
        _ body:
            @escaping @Sendable (Store, any TestClientProtocol, _ platform: String, _ passwords: [String: String])
            async throws -> Void
    ) async throws {
        let passwords = Mutex<[String: String]>([:])
        try await backend.withFreshDatabase { store, _ in
            let app = try await HuitongApp.buildApplication(
                reader: TestConfiguration.reader(), store: store,
                configure: { $0 = TestNode.configuration.served(by: $0) },
                beforeServing: { node in
                    let useCases = node.useCases
                    let issued = try #require(
                        try await DemoData.load(
                            into: useCases.accounts, sharing: useCases.sharing, licences: useCases.licences,
                            matters: useCases.matters, audit: useCases.audit.log))
                    passwords.withLock { known in
                        for account in issued { known[account.username] = account.password }
                    }
                })
            let bureau = try #require(try await store.departments.list().first { $0.code == "SJJ" })
            let platform = try #require(
                try await store.applicationSystems.list(departmentID: bureau.id).first { $0.name == "一网通办综合受理平台" })
            let secret = Secrets.issue(.system)
            _ = try await store.tokens.createCredential(
                systemID: platform.id, TokenDraft(name: "受理", expiresAt: nil), secret: secret,
                keyID: CredentialKeyID.generate(), sealedSecret: nil)
            let known = passwords.withLock { $0 }
            try await app.test(.router) { client in try await body(store, client, secret.plaintext, known) }
        }
    }

    /// The audit events appended after entry `sequence`, in order.
    static func events(_ store: Store, after sequence: Int64) async throws -> [AuditEvent] {
        try await store.audit.records(after: sequence, through: sequence + 200, limit: 200).compactMap {
            if case .entry(let entry) = $0 { entry.event } else { nil }
        }
    }

    /// A person of the demo's population register (a valid ID number), to stand as the mother.
    static func registeredPerson() throws -> (id: String, name: String) {
        let today = CalendarDate.today()
        let rows = try #require(DemoPools.generate().first { $0.entry == "人口基础信息" }).rows
        let row = try #require(rows.first { (try? ResidentIDNumber($0["sfzhm"] ?? "", today: today)) != nil })
        return (row["sfzhm"]!, row["xm"]!)
    }

    @Test(
        "the demo's 一件事 report their reductions to anyone, and what nobody shares became sharing demands",
        arguments: TestBackend.available)
    func demoReductions(_ backend: TestBackend) async throws {
        try await Self.withDemo(backend) { store, client, _ in
            let (status, list) = try await client.send(
                .get, "/api/v1/joint-services", as: Items<MattersAPI.PublicJointService>.self)
            #expect(status == .ok)
            #expect(list.items.map(\.code).sorted() == DemoMatters.jointServiceCodes.sorted())
            for view in list.items {
                let report = view.form.report
                #expect(report.elementsAfter < report.elementsBefore, "\(view.code): \(report)")
                #expect(report.materialsAfter < report.materialsBefore, "\(view.code): \(report)")
                #expect(report.materialsExempted > 0 && report.prefillable > 0, "\(view.code): \(report)")
                #expect(report.conflicts == 0, "the bureau resolved the dictionaries that disagree")
                #expect(view.leadDepartmentName == "六安市数据资源管理局")
            }
            let birth = try #require(list.items.first { $0.code == "YJS-XSECS" })
            #expect(birth.matters.count == 4)
            // The newborn's name is asked by all four departments, under four keys: one field, four projections.
            let name = try #require(birth.form.fields.first { $0.role == "新生儿" && $0.label == "新生儿姓名" })
            #expect(name.sources.count == 4 && name.maxLength == 40 && name.isRequired)
            let sex = try #require(birth.form.fields.first { $0.role == "新生儿" && $0.label == "新生儿性别" })
            #expect(sex.dictionary?.values == ["1", "2"] && sex.conflicts.map(\.isResolved) == [true])
            // The mother's and the applicant's names are the same item for different people: they stay apart.
            #expect(
                birth.form.fields.filter { $0.catalogItem?.column == "xm" }.map(\.role).sorted() == ["母亲", "父亲", "申请人"])
            let exempted = birth.form.materials.filter { $0.exemption == .licence }.map(\.name)
            #expect(Set(exempted) == ["出生医学证明", "居民户口簿"], "the licences the platform has a legal basis to use")
            #expect(!exempted.contains("结婚证"), "no legal basis for 结婚证 in this 一件事: the applicant hands it in")

            // 人社局's 社保卡申领 needs a photo 公安局 holds but nobody shares: a demand to 公安局, tagged with the
            // matter. Items a licence or a shared entry serves raise none.
            let departments = try await store.departments.list()
            let social = try #require(departments.first { $0.code == "RSJ" })
            let police = try #require(departments.first { $0.code == "GAJ" })
            let demands = try await store.lists.listDemand(departmentID: social.id).filter {
                $0.content.matterCode != nil
            }
            let photo = try #require(
                demands.first { $0.content.requestedData == "申请材料：近期免冠证件照片" }, "\(demands.map(\.content.requestedData))"
            )
            #expect(photo.content.expectedProviderID == police.id && photo.status == .open)
            #expect(
                photo.content.scenario.contains("社会保障卡申领")
                    && photo.content.matterCode?.hasPrefix(social.creditCode!) == true)
            let gaj = try await store.lists.listDemand(departmentID: police.id).filter {
                $0.departmentID == police.id && $0.content.matterCode != nil
            }
            #expect(
                gaj.isEmpty,
                "户口簿 fields come from the licence, the birth data from a shared entry: \(gaj.map(\.content.requestedData))"
            )
            let (portal, page) = try await client.text(.get, "/portal/joint-services/YJS-XSECS")
            let report = birth.form.report
            #expect(portal == .ok && page.contains("新生儿出生“一件事”"))
            #expect(page.contains("data-figure=\"elements\">\(report.elementsBefore) → \(report.elementsAfter)<"))
            let (_, raw) = try await client.text(.get, "/api/v1/joint-services/YJS-XSECS")
            #expect(
                !raw.contains("applicationSystemID") && !raw.contains("resolutions")
                    && !raw.contains("leadDepartmentID"))
        }
    }

    @Test(
        "with consent, the platform's form comes back filled in from the population pool (masked, audited) and the applicant's 户口簿 (a licence use); without consent nothing is fetched",
        arguments: TestBackend.available)
    func prefill(_ backend: TestBackend) async throws {
        try await Self.withDemo(backend) { store, client, platform in
            let mother = try Self.registeredPerson()
            let request = PrefillRequest(
                subjects: [
                    PrefillSubject(role: "申请人", identifier: DemoLicences.holderID),
                    PrefillSubject(role: "母亲", identifier: mother.id),
                ], consent: false, caseNumber: "YJS-2026-000001")
            let before = try await store.audit.head().sequence
            let (refused, empty) = try await client.send(
                .post, "/api/v1/joint-services/YJS-XSECS/prefill", token: platform, input: request,
                as: PrefilledForm.self)
            #expect(refused == .ok && !empty.consented && empty.filled == 0)
            #expect(empty.fields.allSatisfy { $0.value == nil })
            let afterRefusal = try await Self.events(store, after: before)
            #expect(afterRefusal.map(\.action) == [.jointServicePrefill], "nothing but the refusal is logged")

            var consented = request
            consented.consent = true
            let (status, form) = try await client.send(
                .post, "/api/v1/joint-services/YJS-XSECS/prefill", token: platform, input: consented,
                as: PrefilledForm.self)
            #expect(status == .ok && form.consented && form.filled > 0)
            func field(_ role: String, _ label: String) throws -> PrefilledField {
                try #require(form.fields.first { $0.field.role == role && $0.field.label == label })
            }
            let motherName = try field("母亲", "母亲姓名")
            #expect(motherName.source == .sharedData && motherName.origin == "101001/0001")
            #expect(motherName.value == mother.name, "the grant serves the name whole for the form")
            #expect(motherName.field.isReadOnly, "the population register is authoritative")
            let motherID = try field("母亲", "母亲公民身份号码")
            #expect(motherID.value == mother.id && motherID.field.isReadOnly)
            let household = try field("申请人", "户号")
            #expect(household.source == .licence && household.value != nil, "张小明's 户口簿, under the legal basis")
            let address = try field("申请人", "户籍地址")
            #expect(address.source == .licence && address.field.isReadOnly)
            let newborn = try field("新生儿", "新生儿姓名")
            #expect(newborn.value == nil && !newborn.field.isReadOnly, "nobody shares birth certificates yet")

            // The mother as the applicant: her mobile number is granted masked — shown to recognise, never locked,
            // and not counted as filled in for her.
            let (_, asMother) = try await client.send(
                .post, "/api/v1/joint-services/YJS-XSECS/prefill", token: platform,
                input: PrefillRequest(
                    subjects: [PrefillSubject(role: "申请人", identifier: mother.id)], consent: true,
                    caseNumber: "YJS-2026-000003"),
                as: PrefilledForm.self)
            let phone = try #require(asMother.fields.first { $0.field.role == "申请人" && $0.field.label == "联系电话" })
            #expect(phone.field.isMasked && !phone.field.isReadOnly)
            #expect(phone.value?.contains("*") == true, "masked as the grant says: \(String(describing: phone.value))")

            let entries = try await Self.events(store, after: before + 1).filter {
                $0.detail["case"] != "YJS-2026-000003"
            }
            let lookups = entries.filter { $0.action == .gatewayLookup }
            #expect(!lookups.isEmpty && lookups.allSatisfy { $0.detail["joint_service"] == "YJS-XSECS" })
            #expect(entries.contains { $0.action == .licenceUsed })
            #expect(entries.last?.action == .jointServicePrefill)
            let logged = entries.map { "\($0)" }.joined()
            #expect(!logged.contains(mother.id) && !logged.contains(DemoLicences.holderID), "no ID number on the log")
        }
    }

    @Test(
        "only the joint service's own platform, or a consumer officer of the lead department, may fetch; bad input is a clear 400",
        arguments: [TestBackend.sqlite])
    func prefillAccess(_ backend: TestBackend) async throws {
        try await Self.withDemo(backend) { store, client, platform in
            let request = PrefillRequest(
                subjects: [PrefillSubject(role: "申请人", identifier: DemoLicences.holderID)], consent: true,
                caseNumber: "YJS-2026-000002")
            let rsj = try await DemoPoolsTests.token(store, "rsj.officer")
            let (other, _) = try await client.failure(
                .post, "/api/v1/joint-services/YJS-XSECS/prefill", token: rsj, input: request)
            #expect(other == .forbidden)
            let services = try await DemoPoolsTests.token(store, "sjj.services")
            #expect(
                try await client.status(
                    .post, "/api/v1/joint-services/YJS-XSECS/prefill", token: services, input: request) == .ok)
            let (bad, body) = try await client.failure(
                .post, "/api/v1/joint-services/YJS-XSECS/prefill", token: platform,
                input: PrefillRequest(
                    subjects: [PrefillSubject(role: "申请人", identifier: "110105194912310021")], consent: true,
                    caseNumber: ""))
            #expect(bad == .badRequest && body.fields == ["caseNumber", "subjects[0].identifier"])
        }
    }

    @Test(
        "a guide sheet imports its good matters and reports each bad row; a department cannot import another's matters",
        arguments: TestBackend.available)
    func importSheet(_ backend: TestBackend) async throws {
        try await Self.withDemo(backend) { store, client, _ in
            let header = MatterSheet.columns.map(\.header)
            func row(_ values: [String: String]) -> [String] { header.map { values[$0] ?? "" } }
            let rows: [[String]] = [
                header,
                row([
                    "实施编码": "11341500003010095R3442300000009", "事项名称": "医疗费用零星报销", "事项类型": "行政给付",
                    "设定依据": "《中华人民共和国社会保险法》第二十九条", "法定时限": "20", "承诺时限": "10",
                ]),
                row(["行类型": "要素", "名称": "参保人姓名", "字段标识": "xm", "必填": "是", "关联信息项": "101001/0001:xm"]),
                row(["行类型": "材料", "名称": "医疗费用发票", "必要性": "必要"]),
                row([
                    "实施编码": "11341500003010095R3442300000010", "事项名称": "异地就医备案", "设定依据": "《社会保险法》",
                ]),
                row(["行类型": "要素", "名称": "参保人身份证", "字段标识": "sfzhm", "关联信息项": "101001/0001:nosuchitem"]),
                row(["行类型": "材料", "名称": "备案表", "必要性": "必须"]),
            ]
            let csv = rows.map { $0.joined(separator: ",") }.joined(separator: "\n")
            let officer = try await DemoPoolsTests.token(store, "ybj.officer")
            let (status, text) = try await client.execute(
                uri: "/api/v1/matters/import?fileType=csv", method: .post,
                headers: [.authorization: "Bearer \(officer)"], body: ByteBuffer(string: csv)
            ) { ($0.status, String(buffer: $0.body)) }
            #expect(status == .unprocessableContent)
            let report = try JSONDecoder().decode(MatterImportReport.self, from: Data(text.utf8))
            #expect(report.saved == ["11341500003010095R3442300000009"])
            #expect(report.rejected == ["11341500003010095R3442300000010"])
            #expect(report.errors.map { "\($0.row) \($0.column)" } == ["6 关联信息项", "7 必要性"])
            #expect(try await store.matters.matter(code: "11341500003010095R3442300000010") == nil)

            // The same matter under 公安局's credit code is not 医保局's to file.
            let foreign = row([
                "实施编码": "1134150000301001XU3442300000011", "事项名称": "他部门事项", "设定依据": "依据",
            ])
            let (refused, refusedText) = try await client.execute(
                uri: "/api/v1/matters/import?fileType=csv", method: .post,
                headers: [.authorization: "Bearer \(officer)"],
                body: ByteBuffer(string: [header, foreign].map { $0.joined(separator: ",") }.joined(separator: "\n"))
            ) { ($0.status, String(buffer: $0.body)) }
            #expect(refused == .unprocessableContent && refusedText.contains("实施主体代码"))
        }
    }

    @Test(
        "in the console an officer links a matter's element to a catalog item, a bad link is named, and the builder previews and saves an 一件事 of three matters",
        arguments: [TestBackend.sqlite])
    func consolePages(_ backend: TestBackend) async throws {
        try await Self.withDemo(backend) { store, client, _, passwords in
            let officer = try await ConsoleTests.signIn("rsj.officer", passwords, client)
            let (listed, list) = try await ConsoleTests.get("/console/matters", officer, client)
            #expect(listed == .ok && list.contains("社会保障卡申领") && !list.contains("出生登记（户口登记）"), "own matters only")
            let matter = try #require(
                try await store.matters.listMatters(departmentID: nil).first { $0.name == "社会保障卡申领" })
            let path = "/console/matters/\(matter.implementationCode)"
            let (found, page) = try await ConsoleTests.get(
                "\(path)?q=\(PortalTests.encoded("人口基础信息"))", officer, client)
            #expect(found == .ok && page.contains("101001/0001:sfzhm") && page.contains("id=\"matter-elements\""))

            // 邮寄地址 (element 6) linked to the population register's address; a mistyped link is refused by name.
            let index = try #require(matter.content.elements.firstIndex { $0.key == "yjdz" })
            let version = try #require(PagesAndContractTests.hiddenField("version", in: page))
            var fields = ["version=\(version)"]
            fields += matter.content.elements.indices.map { i in
                "item.\(i)=\(PortalTests.encoded(matter.content.elements[i].catalogItem?.description ?? ""))"
            }
            fields += matter.content.materials.indices.map { i in
                "licence.\(i)=\(matter.content.materials[i].licenceTypeCode ?? "")&items.\(i)="
                    + PortalTests.encoded(
                        matter.content.materials[i].catalogItems.map(\.description).joined(separator: "；"))
            }
            var bad = fields
            bad[index + 1] = "item.\(index)=\(PortalTests.encoded("101001/0001:nosuch"))"
            let (refused, refusedPage, _) = try await ConsoleTests.post(
                path, bad.joined(separator: "&"), officer, client)
            #expect(refused == .badRequest && refusedPage.contains("error-summary") && refusedPage.contains("nosuch"))
            fields[index + 1] = "item.\(index)=\(PortalTests.encoded("101001/0001:hjdz"))"
            let (saved, _, location) = try await ConsoleTests.post(path, fields.joined(separator: "&"), officer, client)
            #expect(saved == .seeOther || saved == .found)
            #expect(location == "\(path)?done=edited")
            let linked = try #require(try await store.matters.matter(code: matter.implementationCode))
            #expect(linked.content.elements[index].catalogItem?.description == "101001/0001:hjdz")
            let (stale, stalePage, _) = try await ConsoleTests.post(
                path, fields.joined(separator: "&"), officer, client)
            #expect(stale == .conflict && stalePage.contains("别处修改"), "the page was opened before the last save")

            // A guide sheet uploaded from the matter list: the good matter is saved, the bad row named in the table.
            let header = MatterSheet.columns.map(\.header)
            func row(_ values: [String: String]) -> String { header.map { values[$0] ?? "" }.joined(separator: ",") }
            let sheet = [
                header.joined(separator: ","),
                row(["实施编码": "11341500003010036N3442900000001", "事项名称": "失业保险金申领", "设定依据": "《失业保险条例》"]),
                row(["行类型": "要素", "名称": "姓名", "字段标识": "xm", "关联信息项": "101001/0001:xm"]),
                row(["实施编码": "11341500003010036N3442900000002", "事项名称": "就业登记", "设定依据": "《就业服务与就业管理规定》"]),
                row(["行类型": "要素", "名称": "姓名", "字段标识": "Bad"]),
            ].joined(separator: "\n")
            let boundary = "matter-sheet-boundary"
            let multipart = [
                "--\(boundary)", "Content-Disposition: form-data; name=\"_csrf\"", "", officer.csrf,
                "--\(boundary)", "Content-Disposition: form-data; name=\"file\"; filename=\"guide.csv\"",
                "Content-Type: text/csv", "", sheet, "--\(boundary)--", "",
            ].joined(separator: "\r\n")
            let (uploaded, report) = try await client.execute(
                uri: "/console/matters/import", method: .post,
                headers: [.cookie: officer.cookie, .contentType: "multipart/form-data; boundary=\(boundary)"],
                body: ByteBuffer(string: multipart)
            ) { ($0.status, String(buffer: $0.body)) }
            #expect(uploaded == .unprocessableContent && report.contains("id=\"import-errors\""))
            #expect(report.contains("11341500003010036N3442900000001") && report.contains("字段标识"))
            #expect(try await store.matters.matter(code: "11341500003010036N3442900000001") != nil)
            #expect(try await store.matters.matter(code: "11341500003010036N3442900000002") == nil)

            // The bureau's office composes 公积金提取 from its three matters and sees the merged form before saving.
            let services = try await ConsoleTests.signIn("sjj.services", passwords, client)
            let all = try await store.matters.listMatters(departmentID: nil)
            let codes = ["住房公积金提取（购买自住住房）", "不动产登记资料查询", "婚姻登记记录证明"].compactMap { name in
                all.first { $0.name == name }?.implementationCode
            }
            #expect(codes.count == 3)
            let chosen = codes.map { "matter=\($0)" }.joined(separator: "&")
            let form = "code=YJS-TEST&name=\(PortalTests.encoded("公积金提取（测试）"))&summary=&system=&\(chosen)"
            let (previewed, preview, _) = try await ConsoleTests.post(
                "/console/joint-services", form + "&action=preview", services, client)
            #expect(previewed == .ok && preview.contains("id=\"merged-form\"") && preview.contains("19 → 12"))
            #expect(try await store.matters.jointService(code: "YJS-TEST") == nil, "a preview saves nothing")
            let (created, _, createdAt) = try await ConsoleTests.post(
                "/console/joint-services", form + "&action=save", services, client)
            #expect(
                (created == .seeOther || created == .found)
                    && createdAt == "/console/joint-services/YJS-TEST?done=created")
            #expect(try await store.matters.jointService(code: "YJS-TEST")?.content.matterCodes == codes)
            let (_, missing, _) = try await ConsoleTests.post(
                "/console/joint-services", "code=YJS-ONE&name=x&matter=\(codes[0])&action=save", services, client)
            #expect(missing.contains("error-summary") && missing.contains("2–30"))
        }
    }
}
