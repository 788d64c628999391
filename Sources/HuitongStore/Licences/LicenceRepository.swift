import Foundation
import HuitongCore
import SQLKit

/// A licence type as registered, with the department that defined it.
public struct StoredLicenceType: Sendable, Hashable {
    public var type: LicenceType
    public var definerDepartmentID: Int64
    public var updatedAt: Date
    /// The catalog entry the type is filed as, once filed.
    public var catalogEntryID: Int64?
}

/// What an issuer states for a new licence (or a new version of one).
public struct LicenceContent: Sendable, Hashable {
    public var holder: LicenceHolder
    public var face: [String: String]
    public var issuedOn: CalendarDate
    public var validUntil: CalendarDate?
    /// What the holder's portal account finds the licence by (`LicenceHolderLink.holderKey`).
    public var holderKey: String

    public init(
        holder: LicenceHolder, face: [String: String], issuedOn: CalendarDate, validUntil: CalendarDate?,
        holderKey: String
    ) {
        self.holder = holder
        self.face = face
        self.issuedOn = issuedOn
        self.validUntil = validUntil
        self.holderKey = holderKey
    }
}

/// E-licences: types, issued licences (a row per version) and their history. Every change of a licence's status
/// and its event are written in one transaction, and only a valid licence can change.
public protocol LicenceRepository: Sendable {
    /// Registers a type, or updates it when its defining department registers it again; another department cannot.
    func saveType(_ type: LicenceType, definerDepartmentID: Int64, at now: Date) async throws -> StoredLicenceType
    func type(code: String) async throws -> StoredLicenceType?
    func types() async throws -> [StoredLicenceType]
    /// Records the catalog entry a type is filed as.
    func linkCatalogEntry(typeCode: String, entryID: Int64) async throws
    /// Issues version 1 of a licence under the issuer's next serial for the type (`yyyyMMdd` of the issue date
    /// and a six-digit count), signed by `sign` in the same transaction.
    func issue(
        typeCode: String, _ content: LicenceContent, issuerCode: String, issuerDepartmentID: Int64,
        signedBy sign: LicenceSigner, at now: Date
    ) async throws -> Licence
    /// 归集: a licence its issuer's own system issued before, kept under its identifier with the status it has
    /// (valid, or cancelled or revoked with `reason`), signed by `sign`. An identifier already held is refused.
    func collect(
        _ identifier: LicenceIdentifier, _ content: LicenceContent, status: LicenceStatus, reason: String?,
        issuerDepartmentID: Int64, signedBy sign: LicenceSigner, at now: Date
    ) async throws -> Licence
    /// 变更: a new version with `content`, signed by `sign`, replaces a valid licence, which becomes superseded.
    func change(
        _ identifier: LicenceIdentifier, to content: LicenceContent, departmentID: Int64, reason: String?,
        signedBy sign: LicenceSigner, at now: Date
    ) async throws -> Licence
    /// 注销, 吊销 or 过期 of a valid licence, with its reason.
    func end(
        _ identifier: LicenceIdentifier, as kind: LicenceEventKind, departmentID: Int64?, reason: String?, at now: Date
    ) async throws -> Licence
    func find(_ identifier: LicenceIdentifier) async throws -> Licence?
    /// Every version of every licence a holder holds, newest first.
    func licences(holderCode: String) async throws -> [Licence]
    func events(_ identifier: LicenceIdentifier) async throws -> [LicenceEvent]
    /// Records 过期 for every valid licence whose last day is before `today`; returns them.
    func expire(before today: CalendarDate, at now: Date) async throws -> [LicenceIdentifier]

    // MARK: Seals

    /// The node's certificate authority for seals, once made.
    func authority() async throws -> StoredLicenceAuthority?
    /// Keeps `authority` unless one exists; returns the one kept.
    func createAuthority(_ authority: StoredLicenceAuthority) async throws -> StoredLicenceAuthority
    /// Keeps `seal` as its department's active seal unless the department has one; returns the active one.
    func createSeal(_ seal: StoredLicenceSeal) async throws -> StoredLicenceSeal
    func retireSeal(serial: String) async throws
    func activeSeal(departmentID: Int64) async throws -> StoredLicenceSeal?
    func seal(serial: String) async throws -> StoredLicenceSeal?
    /// Every seal, active and retired, for publishing their certificates.
    func seals() async throws -> [StoredLicenceSeal]
    /// The package a licence version's seal signed; nil for a version stored before seals.
    func signedPackage(_ identifier: LicenceIdentifier) async throws -> SignedLicencePackage?

    // MARK: Holders, consents and uses

    /// Every version of every licence whose holder key is `holderKey`, newest first.
    func licences(holderKey: String) async throws -> [Licence]
    /// Records (or replaces) the operator's verification of a portal account as a holder.
    func linkHolder(_ link: LicenceHolderLink) async throws
    func holder(developerID: Int64) async throws -> LicenceHolderLink?
    /// Keeps an authorisation; its id is assigned.
    func saveConsent(_ consent: LicenceConsent) async throws -> LicenceConsent
    func consents(holderKey: String) async throws -> [LicenceConsent]
    func legalBases() async throws -> [LicenceConsent]
    /// Revokes an authorisation (a holder only their own: `holderKey`; the operator any: nil); revoking twice keeps
    /// the first time.
    func revokeConsent(id: Int64, holderKey: String?, at now: Date) async throws -> LicenceConsent
    /// The authorisations in force for a department's use of a holder's licence of a type for a matter: the
    /// holder's consents and the legal bases.
    func consentInForce(
        holderKey: String?, typeCode: String, granteeDepartmentID: Int64, matter: String, at now: Date
    ) async throws -> [LicenceConsent]
    func recordUse(_ use: LicenceUseDraft, at now: Date) async throws -> LicenceUse
    /// The uses of a holder's licences, newest first.
    func uses(holderKey: String, limit: Int) async throws -> [LicenceUse]
    /// A department's uses, newest first.
    func uses(departmentID: Int64, limit: Int) async throws -> [LicenceUse]

    // MARK: Across levels

    /// Keeps a licence of another node, or updates it when the record is newer (its `sequence`) than the one held,
    /// and notes the change for the children below; false when an older or equal record was ignored.
    func saveRemote(_ record: LicenceIndexRecord, origin: String, holderKey: String, at now: Date) async throws
        -> Bool
    /// The fingerprint of the CA certificate `node`'s licences are held to: `fingerprint` when it is the first.
    func pinAuthority(node: String, fingerprint: String, at now: Date) async throws -> String
    func remoteLicence(_ identifier: String) async throws -> RemoteLicence?
    func remoteLicences(holderKey: String) async throws -> [RemoteLicence]
    /// The type of licences received from other nodes, as they carry it.
    func remoteType(code: String) async throws -> LicenceType?
    /// What changed since `child` was last sent licences and before `settled`, at most `limit` changes of each
    /// kind. Only changes before `settled` (a few seconds ago) are read: on PostgreSQL an event's id is taken
    /// before its transaction commits, so a later id can be seen first; waiting until every earlier transaction
    /// has committed keeps the position from passing one that is still on its way.
    func changes(for child: String, before settled: Date, limit: Int) async throws -> LicenceChangesSince
    func markSent(to child: String, lastEventID: Int64, lastRemoteChangeID: Int64) async throws
}

struct SQLLicenceRepository: LicenceRepository {
    let provider: any DatabaseProvider

    // MARK: Types

    func saveType(_ type: LicenceType, definerDepartmentID: Int64, at now: Date) async throws -> StoredLicenceType {
        let definition = try SQLSharingApplicationRepository.json(type)
        return try await provider.transaction { sql in
            if let existing = try await Self.type(type.typeCode, sql),
                existing.definerDepartmentID != definerDepartmentID
            {
                throw StoreError.conflict(
                    BilingualText(
                        zh: "证照类型 \(type.typeCode) 已由其他部门登记，只有定义部门可以修改",
                        en:
                            "licence type \(type.typeCode) was registered by another department; only its definer may change it"
                    ))
            }
            try await sql.raw(
                """
                INSERT INTO licence_types (type_code, name, holder_kind, definition, definer_department_id, created_at,
                    updated_at)
                VALUES (\(bind: type.typeCode), \(bind: type.name), \(bind: type.holderKind.rawValue), \(bind: definition),
                    \(bind: definerDepartmentID), \(bind: now), \(bind: now))
                ON CONFLICT (type_code) DO UPDATE SET name = excluded.name, holder_kind = excluded.holder_kind,
                    definition = excluded.definition, updated_at = excluded.updated_at
                """
            ).run()
            return try await Self.type(type.typeCode, sql)
                ?? StoredLicenceType(type: type, definerDepartmentID: definerDepartmentID, updatedAt: now)
        }
    }

    func linkCatalogEntry(typeCode: String, entryID: Int64) async throws {
        try await provider.transaction { sql in
            try await sql.raw(
                "UPDATE licence_types SET catalog_entry_id = \(bind: entryID) WHERE type_code = \(bind: typeCode)"
            ).run()
        }
    }

    func type(code: String) async throws -> StoredLicenceType? {
        try await provider.read { sql in try await Self.type(code, sql) }
    }

    func types() async throws -> [StoredLicenceType] {
        try await provider.read { sql in
            try await sql.raw("SELECT * FROM licence_types ORDER BY type_code").all().map(Self.decodeType)
        }
    }

    static func type(_ code: String, _ sql: any SQLDatabase) async throws -> StoredLicenceType? {
        try await sql.raw("SELECT * FROM licence_types WHERE type_code = \(bind: code)").first().map(decodeType)
    }

    // MARK: Licences

    func issue(
        typeCode: String, _ content: LicenceContent, issuerCode: String, issuerDepartmentID: Int64,
        signedBy sign: LicenceSigner, at now: Date
    ) async throws -> Licence {
        try await provider.transaction { sql in
            guard try await Self.type(typeCode, sql) != nil else {
                throw StoreError.notFound(entity: "licence type", key: typeCode)
            }
            try await sql.raw(
                """
                INSERT INTO licence_serials (issuer_code, type_code, next_serial) VALUES (\(bind: issuerCode),
                    \(bind: typeCode), 1)
                ON CONFLICT (issuer_code, type_code) DO NOTHING
                """
            ).run()
            let count =
                try await sql.raw(
                    """
                    UPDATE licence_serials SET next_serial = next_serial + 1
                    WHERE issuer_code = \(bind: issuerCode) AND type_code = \(bind: typeCode) RETURNING next_serial
                    """
                ).first()?.decode(column: "next_serial", as: Int64.self)
            guard let count else { throw StoreError.unavailable("the licence serial counter returned no row") }
            var number = count - 1
            var identifier: LicenceIdentifier
            // A collected licence may already hold the serial the counter reaches: the counter moves past it.
            repeat {
                let digits = String(number)
                let serial =
                    content.issuedOn.compactText + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
                do throws(IdentifierError) {
                    identifier = try LicenceIdentifier(
                        typeCode: typeCode, issuerCode: issuerCode, serial: serial, version: 1)
                } catch {
                    throw ValidationError(field: "issuerCode", error.message)
                }
                number += 1
            } while try await Self.serialTaken(identifier, sql)
            if number > count {
                try await sql.raw(
                    """
                    UPDATE licence_serials SET next_serial = \(bind: number)
                    WHERE issuer_code = \(bind: issuerCode) AND type_code = \(bind: typeCode)
                    """
                ).run()
            }
            let licence = Licence(
                identifier: identifier, typeCode: typeCode, holder: content.holder, face: content.face,
                issuedOn: content.issuedOn, validUntil: content.validUntil, status: .valid, previous: nil,
                issuerDepartmentID: issuerDepartmentID)
            try await Self.insert(licence, holderKey: content.holderKey, at: now, sql)
            try await Self.storeSignature(try sign(licence), of: identifier, sql)
            try await Self.record(
                LicenceEvent(
                    identifier: identifier, kind: .issued, at: now, departmentID: issuerDepartmentID, reason: nil),
                sql)
            return licence
        }
    }

    func collect(
        _ identifier: LicenceIdentifier, _ content: LicenceContent, status: LicenceStatus, reason: String?,
        issuerDepartmentID: Int64, signedBy sign: LicenceSigner, at now: Date
    ) async throws -> Licence {
        try await provider.transaction { sql in
            guard try await Self.type(identifier.typeCode, sql) != nil else {
                throw StoreError.notFound(entity: "licence type", key: identifier.typeCode)
            }
            guard try await !Self.serialTaken(identifier, sql) else {
                throw StoreError.conflict(
                    BilingualText(
                        zh: "证照 \(identifier.text) 已在证照库中", en: "licence \(identifier.text) is already in the library"))
            }
            let licence = Licence(
                identifier: identifier, typeCode: identifier.typeCode, holder: content.holder, face: content.face,
                issuedOn: content.issuedOn, validUntil: content.validUntil, status: status, previous: nil,
                issuerDepartmentID: issuerDepartmentID)
            try await Self.insert(licence, holderKey: content.holderKey, at: now, sql)
            try await Self.storeSignature(try sign(licence), of: identifier, sql)
            try await Self.record(
                LicenceEvent(
                    identifier: identifier, kind: .collected, at: now, departmentID: issuerDepartmentID, reason: nil),
                sql)
            let ended: LicenceEventKind? =
                switch status {
                case .cancelled: .cancelled
                case .revoked: .revoked
                case .expired: .expired
                case .valid, .superseded: nil
                }
            if let ended {
                try await Self.record(
                    LicenceEvent(
                        identifier: identifier, kind: ended, at: now, departmentID: issuerDepartmentID, reason: reason),
                    sql)
            }
            return licence
        }
    }

    /// Whether a version of the licence `identifier` names (its type, issuer and serial) is already held.
    static func serialTaken(_ identifier: LicenceIdentifier, _ sql: any SQLDatabase) async throws -> Bool {
        try await sql.raw(
            """
            SELECT 1 AS taken FROM licences WHERE type_code = \(bind: identifier.typeCode)
                AND issuer_code = \(bind: identifier.issuerCode) AND serial = \(bind: identifier.serial)
            """
        ).first() != nil
    }

    func change(
        _ identifier: LicenceIdentifier, to content: LicenceContent, departmentID: Int64, reason: String?,
        signedBy sign: LicenceSigner, at now: Date
    ) async throws -> Licence {
        try await provider.transaction { sql in
            let current = try await Self.valid(identifier, for: .changed, sql)
            let next: LicenceIdentifier
            do throws(IdentifierError) { next = try identifier.nextVersion() } catch {
                throw ValidationError(field: "identifier", error.message)
            }
            try await Self.setStatus(identifier, .superseded, sql)
            try await Self.record(
                LicenceEvent(
                    identifier: identifier, kind: .changed, at: now, departmentID: departmentID, reason: reason),
                sql)
            let licence = Licence(
                identifier: next, typeCode: current.typeCode, holder: content.holder, face: content.face,
                issuedOn: content.issuedOn, validUntil: content.validUntil, status: .valid, previous: identifier,
                issuerDepartmentID: current.issuerDepartmentID)
            try await Self.insert(licence, holderKey: content.holderKey, at: now, sql)
            try await Self.storeSignature(try sign(licence), of: next, sql)
            try await Self.record(
                LicenceEvent(identifier: next, kind: .issued, at: now, departmentID: departmentID, reason: reason), sql)
            return licence
        }
    }

    func end(
        _ identifier: LicenceIdentifier, as kind: LicenceEventKind, departmentID: Int64?, reason: String?, at now: Date
    ) async throws -> Licence {
        guard [.cancelled, .revoked, .expired].contains(kind) else {
            throw StoreError.conflict(
                BilingualText(zh: "只能注销、吊销或标记过期", en: "a licence can only be cancelled, revoked or expired"))
        }
        return try await provider.transaction { sql in
            var licence = try await Self.valid(identifier, for: kind, sql)
            try await Self.setStatus(identifier, kind.resultingStatus, sql)
            try await Self.record(
                LicenceEvent(identifier: identifier, kind: kind, at: now, departmentID: departmentID, reason: reason),
                sql)
            licence.status = kind.resultingStatus
            return licence
        }
    }

    func find(_ identifier: LicenceIdentifier) async throws -> Licence? {
        try await provider.read { sql in try await Self.find(identifier, locking: false, sql) }
    }

    func licences(holderCode: String) async throws -> [Licence] {
        try await provider.read { sql in
            try await sql.raw(
                "SELECT * FROM licences WHERE holder_code = \(bind: holderCode) ORDER BY created_at DESC, identifier DESC"
            ).all().map(Self.decodeLicence)
        }
    }

    func events(_ identifier: LicenceIdentifier) async throws -> [LicenceEvent] {
        try await provider.read { sql in
            try await sql.raw("SELECT * FROM licence_events WHERE identifier = \(bind: identifier.text) ORDER BY id")
                .all().map { row in
                    LicenceEvent(
                        identifier: identifier,
                        kind: try Self.stored(LicenceEventKind.self, row, "kind"),
                        at: try row.decode(column: "at", as: Date.self),
                        departmentID: try row.decode(column: "department_id", as: Int64?.self),
                        reason: try row.decode(column: "reason", as: String?.self))
                }
        }
    }

    func expire(before today: CalendarDate, at now: Date) async throws -> [LicenceIdentifier] {
        try await provider.transaction { sql in
            // ISO dates compare as text.
            let due = try await sql.raw(
                """
                SELECT identifier FROM licences WHERE status = 'valid' AND valid_until IS NOT NULL
                    AND valid_until < \(bind: today.description)
                """
            ).all().map { try LicenceIdentifier(try $0.decode(column: "identifier", as: String.self)) }
            for identifier in due {
                try await Self.setStatus(identifier, .expired, sql)
                try await Self.record(
                    LicenceEvent(identifier: identifier, kind: .expired, at: now, departmentID: nil, reason: nil), sql)
            }
            return due
        }
    }

    // MARK: Helpers

    /// The licence; `locking` it (on PostgreSQL) until the caller's transaction ends, for a change.
    static func find(_ identifier: LicenceIdentifier, locking: Bool, _ sql: any SQLDatabase) async throws -> Licence? {
        let lock = locking && sql.dialect.name == "postgresql" ? " FOR UPDATE" : ""
        return try await sql.raw(
            "SELECT * FROM licences WHERE identifier = \(bind: identifier.text)\(unsafeRaw: lock)"
        ).first().map(decodeLicence)
    }

    /// The licence, locked for a change, when it is valid; otherwise why it cannot be changed.
    static func valid(_ identifier: LicenceIdentifier, for action: LicenceEventKind, _ sql: any SQLDatabase)
        async throws -> Licence
    {
        guard let licence = try await find(identifier, locking: true, sql) else {
            throw StoreError.notFound(entity: "licence", key: identifier.text)
        }
        guard licence.status == .valid else {
            throw StoreError.conflict(
                BilingualText(
                    zh: "证照\(licence.status.label.zh)，不能再\(action.label.zh)",
                    en: "the licence is \(licence.status.label.en) and cannot take a \(action.label.en)"))
        }
        return licence
    }

    static func insert(_ licence: Licence, holderKey: String, at now: Date, _ sql: any SQLDatabase) async throws {
        let face = try SQLSharingApplicationRepository.json(licence.face)
        try await sql.raw(
            """
            INSERT INTO licences (identifier, type_code, issuer_code, serial, version, holder_kind, holder_code,
                holder_name, face, issued_on, valid_until, status, previous_identifier, issuer_department_id, created_at,
                holder_key)
            VALUES (\(bind: licence.identifier.text), \(bind: licence.typeCode), \(bind: licence.identifier.issuerCode),
                \(bind: licence.identifier.serial), \(bind: licence.identifier.version),
                \(bind: licence.holder.kind.rawValue), \(bind: licence.holder.code), \(bind: licence.holder.name),
                \(bind: face), \(bind: licence.issuedOn.description), \(bind: licence.validUntil?.description),
                \(bind: licence.status.rawValue), \(bind: licence.previous?.text), \(bind: licence.issuerDepartmentID),
                \(bind: now), \(bind: holderKey))
            """
        ).run()
    }

    static func setStatus(_ identifier: LicenceIdentifier, _ status: LicenceStatus, _ sql: any SQLDatabase) async throws
    {
        try await sql.raw(
            "UPDATE licences SET status = \(bind: status.rawValue) WHERE identifier = \(bind: identifier.text)"
        ).run()
    }

    static func record(_ event: LicenceEvent, _ sql: any SQLDatabase) async throws {
        try await sql.raw(
            """
            INSERT INTO licence_events (identifier, kind, at, department_id, reason)
            VALUES (\(bind: event.identifier.text), \(bind: event.kind.rawValue), \(bind: event.at),
                \(bind: event.departmentID), \(bind: event.reason))
            """
        ).run()
    }

    static func decodeType(_ row: any SQLRow) throws -> StoredLicenceType {
        StoredLicenceType(
            type: try JSONDecoder().decode(
                LicenceType.self, from: Data(try row.decode(column: "definition", as: String.self).utf8)),
            definerDepartmentID: try row.decode(column: "definer_department_id", as: Int64.self),
            updatedAt: try row.decode(column: "updated_at", as: Date.self),
            catalogEntryID: try row.decode(column: "catalog_entry_id", as: Int64?.self))
    }

    /// A coded column read back; a value the code does not know is refused, never read as some default (an unknown
    /// status must not pass as valid).
    static func stored<Value: RawRepresentable<String>>(_ type: Value.Type, _ row: any SQLRow, _ column: String) throws
        -> Value
    {
        let text = try row.decode(column: column, as: String.self)
        guard let value = Value(rawValue: text) else {
            throw StoreError.unavailable("licences: unknown \(column) \(text)")
        }
        return value
    }

    static func decodeLicence(_ row: any SQLRow) throws -> Licence {
        func date(_ column: String) throws -> CalendarDate? {
            try row.decode(column: column, as: String?.self).flatMap { CalendarDate(iso: $0) }
        }
        let kind = try stored(LicenceHolderKind.self, row, "holder_kind")
        guard let issuedOn = try date("issued_on") else {
            throw StoreError.unavailable(
                "licence \(try row.decode(column: "identifier", as: String.self)) has no issue date")
        }
        return Licence(
            identifier: try LicenceIdentifier(try row.decode(column: "identifier", as: String.self)),
            typeCode: try row.decode(column: "type_code", as: String.self),
            holder: LicenceHolder(
                stored: kind, code: try row.decode(column: "holder_code", as: String.self),
                name: try row.decode(column: "holder_name", as: String.self)),
            face: try JSONDecoder().decode(
                [String: String].self, from: Data(try row.decode(column: "face", as: String.self).utf8)),
            issuedOn: issuedOn,
            validUntil: try date("valid_until"),
            status: try stored(LicenceStatus.self, row, "status"),
            previous: try row.decode(column: "previous_identifier", as: String?.self).map { try LicenceIdentifier($0) },
            issuerDepartmentID: try row.decode(column: "issuer_department_id", as: Int64.self))
    }
}
