import Foundation
import HuitongCore
import HuitongCrypto
import HuitongServices
import HuitongStore
import HuitongTestSupport
import Testing

/// Every licence version is sealed by its issuer's SM2 seal, whose certificate the node's licence CA issued; a
/// verifier learns which check failed.
@Suite("Licence seals and verification")
struct LicenceSealsTests {
    typealias World = LicenceUseCasesTests.World
    static let now = LicenceUseCasesTests.now

    static func issued(_ store: Store) async throws -> (World, Licence) {
        let world = try await LicenceUseCasesTests.world(store)
        _ = try await world.useCases.registerType(LicenceUseCasesTests.type, by: world.definer, at: now)
        let licence = try await world.useCases.issue(LicenceUseCasesTests.request, by: world.issuer, at: now)
        return (world, licence)
    }

    @Test(
        "an issued licence is sealed by its issuer's seal, which chains to the node's CA; every check passes",
        arguments: TestBackend.available)
    func sealedAndVerified(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let (world, licence) = try await Self.issued(store)
            let seals = world.useCases.seals
            let signed = try #require(try await store.licences.signedPackage(licence.identifier))
            let package = try #require(LicencePackage(bytes: signed.bytes))
            #expect(package.identifier == licence.identifier.text && package.face == licence.face)
            #expect(package.issuer.name == "六安市市场监督管理局" && package.typeName == "营业执照")
            #expect(package.canonicalBytes == signed.bytes, "stored as its canonical form")

            let published = try await seals.publishedSeals()
            #expect(published.count == 1 && published[0].serial == signed.sealSerial)
            let certificate = try SM2Certificate(pemRepresentation: published[0].certificatePEM)
            #expect(certificate.subject("CN") == "六安市市场监督管理局 电子证照专用章")
            #expect(certificate.subject("serialNumber") == "11341500MB15001A5E")
            #expect(certificate.isSigned(by: try await seals.authorityCertificate(at: Self.now)))
            #expect(published[0].image.contains("六安市市场监督管理局") && published[0].image.hasPrefix("<svg"))

            let verification = try await seals.verify(licence.identifier, at: Self.now)
            #expect(verification.isValid, "\(verification.checks)")
            #expect(verification.checks.map(\.kind) == [.package, .certificate, .signature, .record, .status])
            #expect(verification.status == .valid && verification.holderName == "六安数据科技有限公司")

            // A second licence of the same issuer is sealed by the same seal.
            let second = try await world.useCases.issue(LicenceUseCasesTests.request, by: world.issuer, at: Self.now)
            #expect(try await store.licences.signedPackage(second.identifier)?.sealSerial == signed.sealSerial)
            #expect(try await seals.publishedSeals().count == 1)
        }
    }

    @Test(
        "one byte of the 照面 changed in a presented package is detected and the field named; a revoked licence fails on status with its reason",
        arguments: TestBackend.available)
    func alteredAndRevoked(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let (world, licence) = try await Self.issued(store)
            let signed = try #require(try await store.licences.signedPackage(licence.identifier))
            var altered = signed
            let date = Array("2020-05-01".utf8)
            let index = try #require(altered.bytes.firstRange(of: date)?.lowerBound)
            altered.bytes[index + 3] = UInt8(ascii: "1")  // 成立日期 2020 → 2021
            let verification = try await world.useCases.seals.verify(presented: altered, at: Self.now)
            #expect(!verification.isValid)
            #expect(verification.checks.first { $0.kind == .signature }?.passed == false)
            #expect(verification.alteredFields == ["face.clrq"])
            let record = try #require(verification.checks.first { $0.kind == .record })
            #expect(!record.passed && record.message.zh.contains("照面“成立日期”(face.clrq)"), "\(record.message.zh)")

            let notAPackage = try await world.useCases.seals.verify(
                presented: SignedLicencePackage(bytes: Array("hello".utf8), signature: [1], sealSerial: ""),
                at: Self.now)
            #expect(notAPackage.failure?.kind == .package && notAPackage.checks.count == 1)

            _ = try await world.useCases.end(
                licence.identifier, as: .revoked, reason: "以欺骗手段取得登记", by: world.issuer, at: Self.now)
            let revoked = try await world.useCases.seals.verify(licence.identifier, at: Self.now)
            #expect(revoked.failure?.kind == .status && revoked.status == .revoked)
            #expect(revoked.failure?.message.zh == "证照已吊销：以欺骗手段取得登记")
            #expect(revoked.checks.filter(\.passed).map(\.kind) == [.package, .certificate, .signature, .record])
        }
    }

    @Test(
        "a change is sealed as a new version; a seal past its term is replaced and the old one still verifies what it signed",
        arguments: TestBackend.available)
    func changeAndRenewal(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let world = try await LicenceUseCasesTests.world(store)
            let useCases = LicenceUseCases(
                store: store, sealingKey: TestBackend.sealingKey, holderKeys: LicenceUseCasesTests.holderKeys,
                settings: LicenceSettings(sealYears: 1))
            _ = try await useCases.registerType(LicenceUseCasesTests.type, by: world.definer, at: Self.now)
            let first = try await useCases.issue(LicenceUseCasesTests.request, by: world.issuer, at: Self.now)
            let later = Self.now.addingTimeInterval(400 * 86_400)
            var renamed = LicenceUseCasesTests.request
            renamed.face["mc"] = "六安数据集团有限公司"
            let changed = try await useCases.change(
                first.identifier, to: renamed, reason: "名称变更", by: world.issuer, at: later)
            let firstSeal = try await store.licences.signedPackage(first.identifier)?.sealSerial
            let secondSeal = try await store.licences.signedPackage(changed.identifier)?.sealSerial
            #expect(firstSeal != nil && secondSeal != nil && firstSeal != secondSeal)
            #expect(
                try await store.licences.seals().map(\.status).sorted { $0.rawValue < $1.rawValue } == [
                    .active, .retired,
                ])
            #expect(try await useCases.seals.verify(changed.identifier, at: later).isValid)
            let old = try await useCases.seals.verify(first.identifier, at: later)
            #expect(old.failure?.kind == .status && old.status == .superseded, "\(old.checks)")
        }
    }

    @Test(
        "the expiry sweep records 过期 for a licence past its last day, once; verification then says expired",
        arguments: TestBackend.available)
    func expiry(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let world = try await LicenceUseCasesTests.world(store)
            _ = try await world.useCases.registerType(LicenceUseCasesTests.type, by: world.definer, at: Self.now)
            var request = LicenceUseCasesTests.request
            request.validUntil = "2026-12-31"
            let licence = try await world.useCases.issue(request, by: world.issuer, at: Self.now)
            #expect(try await world.useCases.recordExpiries(at: Self.now).isEmpty)
            let later = CalendarDate(iso: "2027-01-01")!.startOfDay().addingTimeInterval(3600)
            #expect(try await world.useCases.recordExpiries(at: later) == [licence.identifier])
            #expect(try await world.useCases.recordExpiries(at: later).isEmpty, "recorded once")
            #expect(try await store.licences.events(licence.identifier).map(\.kind) == [.issued, .expired])
            let verification = try await world.useCases.seals.verify(licence.identifier, at: later)
            #expect(verification.failure?.kind == .status && verification.status == .expired)
        }
    }

    @Test("without a sealing key nothing is issued, and the error says why", arguments: TestBackend.available)
    func noSealingKey(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let world = try await LicenceUseCasesTests.world(store)
            let useCases = LicenceUseCases(store: store, sealingKey: nil, holderKeys: LicenceUseCasesTests.holderKeys)
            _ = try await useCases.registerType(LicenceUseCasesTests.type, by: world.definer, at: Self.now)
            await #expect(throws: LicenceSealError.noSealingKey) {
                _ = try await useCases.issue(LicenceUseCasesTests.request, by: world.issuer, at: Self.now)
            }
            #expect(try await store.licences.licences(holderCode: "11341500MB1500B23Q").isEmpty)
        }
    }
}

/// 亮证 codes: authentic and unexpired only.
@Suite("Licence show codes")
struct LicenceShowTokenTests {
    @Test("a code names its licence until it expires; another key, an altered code or another spelling is refused")
    func tokens() throws {
        let identifier = try LicenceIdentifier(
            typeCode: "11100000000013346P001", issuerCode: "11341500MB15001A5E", serial: "20261207000001", version: 1)
        let tokens = LicenceShowTokens(sealingKey: TestBackend.sealingKey)
        let now = Date(timeIntervalSince1970: 1_796_601_600)
        let token = try tokens.token(for: identifier, until: now.addingTimeInterval(300))
        #expect(try tokens.identifier(of: token, at: now.addingTimeInterval(299)) == identifier)
        #expect(throws: LicenceShowTokenError.expired) {
            try tokens.identifier(of: token, at: now.addingTimeInterval(300))
        }
        #expect(throws: LicenceShowTokenError.invalid) {
            try LicenceShowTokens(sealingKey: .random()).identifier(of: token, at: now)
        }
        var altered = Array(token)
        altered[3] = altered[3] == "A" ? "B" : "A"
        #expect(throws: LicenceShowTokenError.invalid) { try tokens.identifier(of: String(altered), at: now) }
        #expect(
            !token.contains(identifier.text) && !token.contains(identifier.serial), "the identifier is not readable")
        // A base64url text whose unused trailing bits are set spells the same bytes; it is refused.
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        if token.count % 4 != 0 {
            var respelled = Array(token)
            let last = respelled.count - 1
            respelled[last] = alphabet[alphabet.firstIndex(of: respelled[last])! ^ 1]
            #expect(throws: LicenceShowTokenError.invalid) { try tokens.identifier(of: String(respelled), at: now) }
        }
        #expect(throws: LicenceSealError.noSealingKey) {
            try LicenceShowTokens(sealingKey: nil).token(for: identifier, until: now)
        }
    }
}
