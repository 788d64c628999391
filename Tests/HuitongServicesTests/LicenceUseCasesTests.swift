import Foundation
import HuitongCore
import HuitongServices
import HuitongStore
import HuitongTestSupport
import Testing

/// Who may define, issue and end e-licences, and what an issuer's request must hold.
@Suite("Licence use cases")
struct LicenceUseCasesTests {
    static let now = CalendarDate(iso: "2026-12-07")!.startOfDay().addingTimeInterval(10 * 3600)
    static let holderKeys = LicenceHolderKeys(digests: IdentityDigests(nodeKey: .generate(), suite: .gm))

    struct World {
        var useCases: LicenceUseCases
        var definer: User
        var issuer: User
        var issuerConsumer: User
        var stranger: User
    }

    static func world(_ store: Store) async throws -> World {
        func department(_ name: String, _ code: String, _ credit: String?) async throws -> Department {
            try await store.departments.create(
                DepartmentDraft(name: name, code: code, creditCode: credit, regionCode: "341500", parentID: nil))
        }
        func user(_ name: String, _ department: Department, _ role: Role) async throws -> User {
            try await store.users.create(
                UserDraft(username: name, displayName: name, departmentID: department.id, roles: [role]),
                passwordHash: "x")
        }
        let samr = try await department("市场监管总局（示例）", "SAMR", "11100000000013346P")
        let lasj = try await department("六安市市场监督管理局", "LASJ", "11341500MB15001A5E")
        let other = try await department("六安市民政局", "LAMZ", "11341500003260035F")
        return World(
            useCases: LicenceUseCases(store: store, sealingKey: TestBackend.sealingKey, holderKeys: Self.holderKeys),
            definer: try await user("samr", samr, .provider),
            issuer: try await user("lasj", lasj, .provider), issuerConsumer: try await user("lasj-c", lasj, .consumer),
            stranger: try await user("lamz", other, .provider))
    }

    static let type = LicenceType(
        typeCode: "11100000000013346P001", name: "营业执照", holderKind: .organisation,
        fields: [
            LicenceField(key: "mc", label: "名称", type: .text, isRequired: true),
            LicenceField(key: "clrq", label: "成立日期", type: .date, isRequired: true),
        ],
        validity: .statedOnLicence, issuerCodes: ["11341500MB15001A5E"])

    static let request = LicenceIssueRequest(
        typeCode: "11100000000013346P001", holderCode: "11341500MB1500B23Q", holderName: "六安数据科技有限公司",
        face: ["mc": "六安数据科技有限公司", "clrq": "2020-05-01"], validUntil: "2040-04-30")

    @Test(
        "only the defining department registers a type; only its issuers issue; a request's problems are all named",
        arguments: TestBackend.available)
    func defineAndIssue(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let world = try await Self.world(store)
            await #expect(throws: AccessError.self) {
                _ = try await world.useCases.registerType(Self.type, by: world.issuer, at: Self.now)
            }
            _ = try await world.useCases.registerType(Self.type, by: world.definer, at: Self.now)

            let licence = try await world.useCases.issue(Self.request, by: world.issuer, at: Self.now)
            #expect(
                licence.validUntil == CalendarDate(iso: "2040-04-30")
                    && licence.issuedOn == CalendarDate(iso: "2026-12-07"))
            #expect(licence.holder.code == "11341500MB1500B23Q" && licence.status == .valid)
            for outsider in [world.stranger, world.issuerConsumer] {
                await #expect(throws: AccessError.self) {
                    _ = try await world.useCases.issue(Self.request, by: outsider, at: Self.now)
                }
            }
            var bad = Self.request
            bad.holderCode = "11010519491231002X"
            bad.face = ["clrq": "2020-13-01", "zs": "?"]
            bad.validUntil = "2019-01-01"
            bad.issuedOn = "2020-01-01"
            let error = await #expect(throws: ValidationError.self) {
                _ = try await world.useCases.issue(bad, by: world.issuer, at: Self.now)
            }
            #expect(error?.issues.map(\.field) == ["holder.code", "face.zs", "face.mc", "face.clrq", "validUntil"])
        }
    }

    @Test(
        "the issuer changes and revokes its licence with a reason; others cannot; a revoked licence cannot change",
        arguments: TestBackend.available)
    func changeAndEnd(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let world = try await Self.world(store)
            _ = try await world.useCases.registerType(Self.type, by: world.definer, at: Self.now)
            let licence = try await world.useCases.issue(Self.request, by: world.issuer, at: Self.now)
            var renamed = Self.request
            renamed.face["mc"] = "六安数据集团有限公司"
            renamed.holderName = "六安数据集团有限公司"
            let changed = try await world.useCases.change(
                licence.identifier, to: renamed, reason: "名称变更", by: world.issuer, at: Self.now)
            #expect(changed.identifier.version == 2 && changed.holder.name == "六安数据集团有限公司")
            await #expect(throws: AccessError.self) {
                _ = try await world.useCases.end(
                    changed.identifier, as: .revoked, reason: "虚假登记", by: world.stranger, at: Self.now)
            }
            let noReason = await #expect(throws: ValidationError.self) {
                _ = try await world.useCases.end(changed.identifier, as: .revoked, reason: " ", by: world.issuer)
            }
            #expect(noReason?.issues.first?.message.contains("吊销须写明原因") == true)
            let revoked = try await world.useCases.end(
                changed.identifier, as: .revoked, reason: "虚假登记", by: world.issuer, at: Self.now)
            #expect(revoked.status == .revoked)
            await #expect(throws: StoreError.self) {
                _ = try await world.useCases.change(
                    changed.identifier, to: renamed, reason: nil, by: world.issuer, at: Self.now)
            }
        }
    }
}
