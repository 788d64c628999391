import Foundation
import HuitongCore
import HuitongCrypto
import HuitongFederation
import HuitongStore

extension AuditAction {
    public static let licenceReceived = AuditAction(rawValue: "licence.received")
}

/// 证照回流: each node sends its children the licences of holders in their regions — its own, and those it received
/// from above — with their signed packages, certificates and status now; a node keeps what it receives only when
/// the seal's signature, the certificate chain to the issuing node's CA and the package's agreement with the record
/// all hold. Its departments then verify and use those licences under the same rules as its own.
extension LicenceUseCases: LicenceCascadeHandler {
    /// The changes read per page when publishing.
    static let cascadePage = 500

    public func pending(for child: NodeRegion) async throws -> (
        records: [LicenceIndexRecord], changes: LicenceChangesSince
    ) {
        let changes = try await store.licences.changes(
            for: child.code, before: Date().addingTimeInterval(-Double(settings.publicationSettle.components.seconds)),
            limit: Self.cascadePage)
        // Without a CA this node never sealed a licence: only received ones can be pending.
        let authority = try await seals.publishedAuthority()
        var records: [LicenceIndexRecord] = []
        var types: [String: LicenceType] = [:]
        var issuers: [Int64: String] = [:]
        // A page's licences share a few seals, types and issuers: each is read once.
        var sealsBySerial: [String: StoredLicenceSeal] = [:]
        for identifier in authority == nil ? [] : changes.localIdentifiers {
            guard let licence = try await store.licences.find(identifier),
                licence.holder.regionCode.hasPrefix(child.codePrefix),
                let signed = try await store.licences.signedPackage(identifier)
            else { continue }
            if sealsBySerial[signed.sealSerial] == nil {
                sealsBySerial[signed.sealSerial] = try await store.licences.seal(serial: signed.sealSerial)
            }
            guard let seal = sealsBySerial[signed.sealSerial] else { continue }
            if types[licence.typeCode] == nil {
                types[licence.typeCode] = try await store.licences.type(code: licence.typeCode)?.type
            }
            if issuers[licence.issuerDepartmentID] == nil {
                issuers[licence.issuerDepartmentID] = try await store.departments.find(id: licence.issuerDepartmentID)?
                    .name
            }
            guard let type = types[licence.typeCode] else { continue }
            let events = try await store.licences.events(identifier)
            let reason = events.last { $0.kind.needsReason }?.reason
            records.append(
                LicenceIndexRecord(
                    issuingNode: seals.region.code, identifier: identifier.text, type: type,
                    issuerName: issuers[licence.issuerDepartmentID] ?? "", holder: licence.holder, face: licence.face,
                    issuedOn: licence.issuedOn.description, validUntil: licence.validUntil?.description,
                    previous: licence.previous?.text, status: licence.status, statusReason: reason,
                    package: Data(signed.bytes).base64EncodedString(),
                    signature: Data(signed.signature).base64EncodedString(), sealCertificate: seal.certificatePEM,
                    authorityCertificate: authority?.pemRepresentation ?? "", sequence: events.count,
                    sealedAt: events.first { $0.kind == .issued || $0.kind == .collected }?.at))
        }
        for identifier in changes.remoteIdentifiers {
            guard let remote = try await store.licences.remoteLicence(identifier),
                remote.record.holder.regionCode.hasPrefix(child.codePrefix)
            else { continue }
            records.append(remote.record)
        }
        return (records, changes)
    }

    public func status(of query: LicenceStatusQuery) async throws -> LicenceStatusAnswer {
        let identifier: LicenceIdentifier
        do throws(IdentifierError) { identifier = try LicenceIdentifier(query.identifier) } catch {
            throw ValidationError(field: "identifier", error.message)
        }
        guard let licence = try await store.licences.find(identifier) else {
            throw StoreError.notFound(entity: "licence", key: identifier.text)
        }
        let reason = try await store.licences.events(identifier).last { $0.kind.needsReason }?.reason
        return LicenceStatusAnswer(
            identifier: identifier.text, status: licence.status(on: CalendarDate(Date())), reason: reason)
    }

    public func receive(_ batch: LicenceIndexBatch, from origin: NodeRegion) async throws -> Int {
        var kept = 0
        for record in batch.records {
            let now = Date()
            if let problem = try await problem(with: record, at: now) {
                // Not kept, and said why on the log: resending would not mend it.
                if let audit {
                    _ = try await audit.append(
                        AuditEvent(
                            action: .licenceReceived, time: now, resourceCode: record.type.typeCode,
                            outcome: .denied(reason: "licence_record_refused"),
                            detail: ["licence": record.identifier, "origin": origin.code, "problem": problem.en]))
                }
                continue
            }
            if try await store.licences.saveRemote(
                record, origin: origin.code, holderKey: holderKeys.key(for: record.holder), at: now)
            {
                kept += 1
            }
        }
        return kept
    }

    /// Why a received record is not kept: it was not issued by a node above this one, its holder lives outside this
    /// node's region, its CA is not the one that node's licences first came with, or its package, certificate
    /// chain, signature or agreement with the record do not hold (the checks a verifier runs).
    func problem(with record: LicenceIndexRecord, at now: Date) async throws -> BilingualText? {
        let local = seals.region
        guard let issuing = try? NodeRegion(record.issuingNode), issuing != local, issuing.contains(local) else {
            return BilingualText(zh: "签发节点不是本节点的上级", en: "the issuing node is not above this node")
        }
        guard record.holder.regionCode.hasPrefix(local.codePrefix) else {
            return BilingualText(zh: "持证主体不在本节点辖区", en: "the holder is outside this node's region")
        }
        guard let signed = record.signedPackage,
            let seal = try? SM2Certificate(pemRepresentation: record.sealCertificate),
            let authority = try? SM2Certificate(pemRepresentation: record.authorityCertificate),
            let licence = try? record.licence()
        else { return BilingualText(zh: "证照记录不完整", en: "the record is incomplete") }
        let pinned = try await store.licences.pinAuthority(
            node: record.issuingNode, fingerprint: authority.fingerprintSM3, at: now)
        guard pinned == authority.fingerprintSM3 else {
            return BilingualText(
                zh: "CA 证书与该签发节点此前的不同", en: "the CA certificate is not the one this issuing node's licences came with")
        }
        let verification = LicenceVerification(
            LicenceVerificationInput(
                presented: signed, licence: licence, type: record.type, signedAt: record.sealedAt, statusReason: nil,
                sealCertificate: seal, authority: authority, issuingNode: record.issuingNode),
            now: now)
        // Status is the record's own news (a revocation travels too); every other check must hold.
        return verification.checks.first { !$0.passed && $0.kind != .status }?.message
    }
}
