import Foundation
import HuitongCore
import HuitongStore
import HuitongTestSupport
import Testing

/// E-licences in the store: types registered by their definer, licences issued under per-issuer serials, versions
/// on 变更, and status events — proven on every backend.
@Suite("Licence store conformance")
struct LicenceStoreConformanceTests {
    static let time = Date(timeIntervalSince1970: 1_796_601_600)  // 2026-12-07 00:00 UTC
    static let today = CalendarDate(iso: "2026-12-07")!

    /// A business licence reduced to what the store needs: the face is checked above the store.
    static let businessLicence = LicenceType(
        typeCode: "11100000000013346P001", name: "营业执照", holderKind: .organisation,
        fields: [LicenceField(key: "mc", label: "名称", type: .text, isRequired: true)], validity: .statedOnLicence,
        issuerCodes: ["11341500MB15001A5E"])

    static func departments(_ store: Store) async throws -> (definer: Department, issuer: Department) {
        let definer = try await store.departments.create(
            DepartmentDraft(
                name: "国家市场监督管理总局", code: "SAMR", creditCode: "11100000000013346P", regionCode: "110000", parentID: nil)
        )
        let issuer = try await store.departments.create(
            DepartmentDraft(
                name: "六安市市场监督管理局", code: "LASJ", creditCode: "11341500MB15001A5E", regionCode: "341500",
                parentID: nil))
        return (definer, issuer)
    }

    /// Stands in for a seal: the store keeps whatever it is handed, in the transaction that writes the version.
    static let signer: LicenceSigner = { licence in
        SignedLicencePackage(
            bytes: Array("package of \(licence.identifier.text)".utf8), signature: [0x30, 0x01, 0x02],
            sealSerial: "5A01")
    }

    static func content(_ name: String, _ code: String, on day: String = "2026-12-07") throws -> LicenceContent {
        LicenceContent(
            holder: try LicenceHolder(kind: .organisation, code: code, name: name, today: today),
            face: ["tyshxydm": code, "mc": name, "fddbr": "张三", "clrq": "2020-05-01"],
            issuedOn: CalendarDate(iso: day)!, validUntil: CalendarDate(iso: "2040-04-30"), holderKey: code)
    }

    @Test(
        "a type is registered and updated by its definer only; licences get the issuer's next serial and a valid identifier",
        arguments: TestBackend.available)
    func typesAndIssue(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let (definer, issuer) = try await Self.departments(store)
            let type = try Self.businessLicence.validated()
            _ = try await store.licences.saveType(type, definerDepartmentID: definer.id, at: Self.time)
            var renamed = type
            renamed.name = "营业执照（电子）"
            _ = try await store.licences.saveType(renamed, definerDepartmentID: definer.id, at: Self.time)
            #expect(try await store.licences.types().map(\.type.name) == ["营业执照（电子）"])
            await #expect(throws: StoreError.self) {
                _ = try await store.licences.saveType(type, definerDepartmentID: issuer.id, at: Self.time)
            }

            let first = try await store.licences.issue(
                typeCode: type.typeCode, try Self.content("六安数据科技有限公司", "11341500MB15001A5E"),
                issuerCode: "11341500MB15001A5E", issuerDepartmentID: issuer.id, signedBy: Self.signer, at: Self.time)
            let second = try await store.licences.issue(
                typeCode: type.typeCode, try Self.content("六安数据科技有限公司", "11341500MB15001A5E"),
                issuerCode: "11341500MB15001A5E", issuerDepartmentID: issuer.id, signedBy: Self.signer, at: Self.time)
            #expect(first.identifier.serial == "20261207000001" && second.identifier.serial == "20261207000002")
            #expect(first.identifier.text.hasPrefix("1.2.156.3005.2.11100000000013346P001.11341500MB15001A5E."))
            #expect(try LicenceIdentifier(first.identifier.text) == first.identifier)
            #expect(try await store.licences.find(first.identifier) == first)
            #expect(
                try await store.licences.signedPackage(first.identifier)
                    == SignedLicencePackage(
                        bytes: Array("package of \(first.identifier.text)".utf8), signature: [0x30, 0x01, 0x02],
                        sealSerial: "5A01"))
            #expect(try await store.licences.licences(holderCode: "11341500MB15001A5E").count == 2)
            await #expect(throws: StoreError.self) {
                _ = try await store.licences.issue(
                    typeCode: "11100000000013346P099", try Self.content("某公司", "11341500MB15001A5E"),
                    issuerCode: "11341500MB15001A5E", issuerDepartmentID: issuer.id, signedBy: Self.signer,
                    at: Self.time)
            }
        }
    }

    @Test(
        "变更 makes version 2 and supersedes version 1; 吊销 and 过期 end a valid licence with their reasons; an ended one cannot change",
        arguments: TestBackend.available)
    func lifecycle(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let (definer, issuer) = try await Self.departments(store)
            let type = try Self.businessLicence.validated()
            _ = try await store.licences.saveType(type, definerDepartmentID: definer.id, at: Self.time)
            let original = try await store.licences.issue(
                typeCode: type.typeCode, try Self.content("六安数据科技有限公司", "11341500MB15001A5E"),
                issuerCode: "11341500MB15001A5E", issuerDepartmentID: issuer.id, signedBy: Self.signer, at: Self.time)
            var moved = try Self.content("六安数据科技有限公司", "11341500MB15001A5E")
            moved.face["zs"] = "六安市金安区梅山南路 1 号"
            let changed = try await store.licences.change(
                original.identifier, to: moved, departmentID: issuer.id, reason: "住所变更", signedBy: Self.signer,
                at: Self.time)
            #expect(changed.identifier.version == 2 && changed.previous == original.identifier)
            #expect(changed.identifier.serial == original.identifier.serial)
            #expect(
                try await store.licences.signedPackage(changed.identifier)?.bytes
                    == Array("package of \(changed.identifier.text)".utf8))
            #expect(try await store.licences.find(original.identifier)?.status == .superseded)
            await #expect(throws: StoreError.self) {
                _ = try await store.licences.change(
                    original.identifier, to: moved, departmentID: issuer.id, reason: nil, signedBy: Self.signer,
                    at: Self.time)
            }
            let revoked = try await store.licences.end(
                changed.identifier, as: .revoked, departmentID: issuer.id, reason: "虚假登记", at: Self.time)
            #expect(revoked.status == .revoked)
            let again = await #expect(throws: StoreError.self) {
                _ = try await store.licences.end(
                    changed.identifier, as: .cancelled, departmentID: issuer.id, reason: "申请注销", at: Self.time)
            }
            #expect(again?.message.zh == "证照已吊销，不能再注销")
            #expect(try await store.licences.events(original.identifier).map(\.kind) == [.issued, .changed])
            #expect(try await store.licences.events(changed.identifier).map(\.kind) == [.issued, .revoked])
            #expect(try await store.licences.events(changed.identifier).last?.reason == "虚假登记")

            let expiring = try await store.licences.issue(
                typeCode: type.typeCode,
                LicenceContent(
                    holder: try LicenceHolder(
                        kind: .organisation, code: "11341500MB15001A5E", name: "某公司", today: Self.today),
                    face: [:], issuedOn: Self.today, validUntil: CalendarDate(iso: "2026-12-31"),
                    holderKey: "11341500MB15001A5E"),
                issuerCode: "11341500MB15001A5E", issuerDepartmentID: issuer.id, signedBy: Self.signer, at: Self.time)
            #expect(try await store.licences.expire(before: CalendarDate(iso: "2026-12-31")!, at: Self.time).isEmpty)
            #expect(
                try await store.licences.expire(before: CalendarDate(iso: "2027-01-01")!, at: Self.time) == [
                    expiring.identifier
                ])
            #expect(try await store.licences.find(expiring.identifier)?.status == .expired)
        }
    }

    @Test(
        "the node keeps the first licence authority and one active seal per department; a retired seal stays published",
        arguments: TestBackend.available)
    func sealsAndAuthority(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let (_, issuer) = try await Self.departments(store)
            #expect(try await store.licences.authority() == nil)
            let first = StoredLicenceAuthority(
                certificatePEM: "CA 1", sealedPrivateKey: "sealed 1", createdAt: Self.time)
            #expect(try await store.licences.createAuthority(first) == first)
            let second = StoredLicenceAuthority(
                certificatePEM: "CA 2", sealedPrivateKey: "sealed 2", createdAt: Self.time)
            #expect(try await store.licences.createAuthority(second) == first, "a second node's authority is not kept")

            func seal(_ serial: String) -> StoredLicenceSeal {
                StoredLicenceSeal(
                    serial: serial, departmentID: issuer.id, certificatePEM: "cert \(serial)",
                    sealedPrivateKey: "key \(serial)", image: "<svg/>", validFrom: Self.time,
                    validUntil: Self.time.addingTimeInterval(86_400), status: .active, createdAt: Self.time)
            }
            #expect(try await store.licences.createSeal(seal("AA")) == seal("AA"))
            #expect(try await store.licences.createSeal(seal("BB")) == seal("AA"), "one active seal per department")
            #expect(try await store.licences.seal(serial: "BB") == nil)
            try await store.licences.retireSeal(serial: "AA")
            #expect(try await store.licences.activeSeal(departmentID: issuer.id) == nil)
            #expect(try await store.licences.createSeal(seal("CC")) == seal("CC"))
            #expect(try await store.licences.seals().map(\.serial).sorted() == ["AA", "CC"])
            #expect(try await store.licences.seal(serial: "AA")?.status == .retired)
        }
    }

    @Test(
        "a holder's licences by key; consents in force by holder or legal basis, not once revoked or expired; uses by holder and by department",
        arguments: TestBackend.available)
    func consentsAndUses(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let (definer, issuer) = try await Self.departments(store)
            let type = try Self.businessLicence.validated()
            _ = try await store.licences.saveType(type, definerDepartmentID: definer.id, at: Self.time)
            let licence = try await store.licences.issue(
                typeCode: type.typeCode, try Self.content("六安数据科技有限公司", "11341500MB1500B23Q"),
                issuerCode: "11341500MB15001A5E", issuerDepartmentID: issuer.id, signedBy: Self.signer, at: Self.time)
            #expect(
                try await store.licences.licences(holderKey: "11341500MB1500B23Q").map(\.identifier) == [
                    licence.identifier
                ])
            #expect(try await store.licences.licences(holderKey: "other").isEmpty)

            func consent(_ basis: LicenceConsentBasis, holder: String?, matter: String, days: Double) -> LicenceConsent
            {
                LicenceConsent(
                    id: 0, basis: basis, holderKey: holder, typeCode: type.typeCode, granteeDepartmentID: definer.id,
                    matter: matter, scope: .face, legalBasis: basis == .legal ? "某条例第十条" : nil,
                    grantedByDeveloperID: nil, recordedByUserID: nil, grantedAt: Self.time,
                    expiresAt: Self.time.addingTimeInterval(days * 86_400), revokedAt: nil)
            }
            let mine = try await store.licences.saveConsent(
                consent(.holder, holder: "11341500MB1500B23Q", matter: "开办", days: 30))
            _ = try await store.licences.saveConsent(consent(.holder, holder: "someone else", matter: "开办", days: 30))
            _ = try await store.licences.saveConsent(
                consent(.holder, holder: "11341500MB1500B23Q", matter: "开办", days: 1))
            let legal = try await store.licences.saveConsent(consent(.legal, holder: nil, matter: "变更登记", days: 30))
            let later = Self.time.addingTimeInterval(2 * 86_400)
            func inForce(_ matter: String) async throws -> [Int64] {
                try await store.licences.consentInForce(
                    holderKey: "11341500MB1500B23Q", typeCode: type.typeCode, granteeDepartmentID: definer.id,
                    matter: matter, at: later
                ).map(\.id)
            }
            #expect(try await inForce("开办") == [mine.id], "not another holder's, not an expired one")
            #expect(try await inForce("变更登记") == [legal.id])
            #expect(try await store.licences.consents(holderKey: "11341500MB1500B23Q").count == 2)
            await #expect(throws: StoreError.self) {
                _ = try await store.licences.revokeConsent(id: mine.id, holderKey: "someone else", at: later)
            }
            let revoked = try await store.licences.revokeConsent(
                id: mine.id, holderKey: "11341500MB1500B23Q", at: later)
            #expect(revoked.revokedAt == later)
            #expect(try await inForce("开办").isEmpty)
            #expect(try await store.licences.legalBases().map(\.id) == [legal.id])

            let use = try await store.licences.recordUse(
                LicenceUseDraft(
                    identifier: licence.identifier, holderKey: "11341500MB1500B23Q", typeCode: type.typeCode,
                    userDepartmentID: definer.id, applicationSystemID: nil, userID: nil, matter: "变更登记",
                    caseNumber: "BJ-2026-0001", reason: "核对营业执照", consentID: legal.id, outcome: .allowed,
                    refusal: nil),
                at: later)
            #expect(try await store.licences.uses(holderKey: "11341500MB1500B23Q", limit: 10) == [use])
            #expect(try await store.licences.uses(departmentID: definer.id, limit: 10) == [use])
            #expect(try await store.licences.uses(departmentID: issuer.id, limit: 10).isEmpty)
        }
    }

    @Test(
        "licences received from above are kept by identifier and holder; each child is sent the changes since its last position, local and received",
        arguments: TestBackend.available)
    func cascade(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let (definer, issuer) = try await Self.departments(store)
            let type = try Self.businessLicence.validated()
            _ = try await store.licences.saveType(type, definerDepartmentID: definer.id, at: Self.time)
            let local = try await store.licences.issue(
                typeCode: type.typeCode, try Self.content("六安数据科技有限公司", "11341500MB1500B23Q"),
                issuerCode: "11341500MB15001A5E", issuerDepartmentID: issuer.id, signedBy: Self.signer, at: Self.time)
            let record = LicenceIndexRecord(
                issuingNode: "340000", identifier: "1.2.156.3005.2.x", type: type, issuerName: "省某局",
                holder: LicenceHolder(stored: .organisation, code: "91341502MA2N0001X0", name: "某公司"), face: [:],
                issuedOn: "2026-01-01", validUntil: nil, previous: nil, status: .valid, statusReason: nil,
                package: "", signature: "", sealCertificate: "", authorityCertificate: "", sequence: 1)
            #expect(try await store.licences.saveRemote(record, origin: "340000", holderKey: "K", at: Self.time))
            var revoked = record
            revoked.status = .revoked
            revoked.sequence = 2
            #expect(try await store.licences.saveRemote(revoked, origin: "340000", holderKey: "K", at: Self.time))
            #expect(
                try await !store.licences.saveRemote(record, origin: "340000", holderKey: "K", at: Self.time),
                "a delayed resend of the older record does not undo the revocation")
            #expect(try await store.licences.remoteLicence(record.identifier)?.record.status == .revoked)
            #expect(try await store.licences.pinAuthority(node: "340000", fingerprint: "A", at: Self.time) == "A")
            #expect(try await store.licences.pinAuthority(node: "340000", fingerprint: "B", at: Self.time) == "A")
            #expect(try await store.licences.remoteLicences(holderKey: "K").count == 1)
            #expect(try await store.licences.remoteType(code: type.typeCode)?.name == type.name)

            let settled = Self.time.addingTimeInterval(1)
            #expect(
                try await store.licences.changes(for: "341502", before: Self.time, limit: 100).localIdentifiers.isEmpty,
                "a change is sent only once it has settled")
            let first = try await store.licences.changes(for: "341502", before: settled, limit: 100)
            #expect(first.localIdentifiers == [local.identifier] && first.remoteIdentifiers == [record.identifier])
            try await store.licences.markSent(
                to: "341502", lastEventID: first.lastEventID, lastRemoteChangeID: first.lastRemoteChangeID)
            let none = try await store.licences.changes(for: "341502", before: settled, limit: 100)
            #expect(none.localIdentifiers.isEmpty && none.remoteIdentifiers.isEmpty)
            #expect(
                try await store.licences.changes(for: "341503", before: settled, limit: 100).localIdentifiers == [
                    local.identifier
                ])
            _ = try await store.licences.end(
                local.identifier, as: .revoked, departmentID: issuer.id, reason: "虚假登记", at: Self.time)
            #expect(
                try await store.licences.changes(for: "341502", before: settled, limit: 100).localIdentifiers == [
                    local.identifier
                ])
        }
    }
}
