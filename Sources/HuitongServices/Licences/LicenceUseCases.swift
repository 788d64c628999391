import Foundation
import HuitongCore
import HuitongCrypto
import HuitongStore

extension AuditAction {
    public static let licenceTypeRegistered = AuditAction(rawValue: "licence.type_registered")
    public static let licenceIssued = AuditAction(rawValue: "licence.issued")
    public static let licenceChanged = AuditAction(rawValue: "licence.changed")
    public static let licenceEnded = AuditAction(rawValue: "licence.ended")
    public static let licenceCollected = AuditAction(rawValue: "licence.collected")
}

/// What an issuer sends for a licence: the holder and the 照面; the dates default to today and the type's term.
public struct LicenceIssueRequest: Sendable, Hashable, Codable {
    public var typeCode: String
    public var holderCode: String
    public var holderName: String
    public var face: [String: String]
    /// `YYYY-MM-DD`; today when left out.
    public var issuedOn: String?
    /// `YYYY-MM-DD`, for types whose licences state their end (营业期限, 有效期限); left out, 长期 or the type's term.
    public var validUntil: String?

    public init(
        typeCode: String, holderCode: String, holderName: String, face: [String: String], issuedOn: String? = nil,
        validUntil: String? = nil
    ) {
        self.typeCode = typeCode
        self.holderCode = holderCode
        self.holderName = holderName
        self.face = face
        self.issuedOn = issuedOn
        self.validUntil = validUntil
    }
}

/// Who acts on a department's licences: one of its officers, or one of its application systems with its credential
/// (an issuing system calls the API as it calls the gateway).
public enum LicenceActor: Sendable {
    case officer(User)
    case system(ApplicationSystem)

    public var departmentID: Int64 {
        switch self {
        case .officer(let user): user.departmentID
        case .system(let system): system.departmentID
        }
    }

    public var userID: Int64? {
        if case .officer(let user) = self { return user.id }
        return nil
    }

    public var systemID: Int64? {
        if case .system(let system) = self { return system.id }
        return nil
    }

    /// An officer must hold the provider role of the department; a system acts for its department by its credential.
    func requireIssuing() throws(AccessError) {
        switch self {
        case .officer(let user): try AccessPolicy.require(user, .licencesIssue)
        case .system(let system):
            guard system.isActive else {
                throw AccessError.forbidden(BilingualText(zh: "应用系统已停用", en: "the application system is disabled"))
            }
        }
    }
}

/// A licence with its signed package and everything that checks it: what its issuer prints and hands out.
public struct SealedLicence: Sendable {
    public var licence: Licence
    public var type: LicenceType
    public var issuerName: String
    public var package: SignedLicencePackage
    public var seal: StoredLicenceSeal
    public var authority: SM2Certificate
}

/// What a batch of licences came to: the identifiers issued, and each problem of the rows refused.
public struct LicenceBatchResult: Sendable, Hashable, Codable {
    public struct Rejection: Sendable, Hashable, Codable {
        /// The row's number in the file (the header is row 1).
        public var row: Int
        public var field: String
        public var message: String
    }

    public var read = 0
    public var issued: [LicenceIdentifier] = []
    public var rejected: [Rejection] = []
}

/// 电子证照 for the departments that define and issue them (domain-services.md §2): types registered by their
/// definer, licences issued, changed and ended by their issuer, each step on the audit log without personal data.
public struct LicenceUseCases: Sendable {
    public let store: Store
    /// Where each step is recorded; nil only in tests of the rules alone.
    public let audit: AuditLog?
    /// The node's licence CA and the issuers' seals, which sign every version issued.
    public let seals: LicenceSeals
    /// What each licence is filed under for its holder's portal account.
    public let holderKeys: LicenceHolderKeys
    let showTokens: LicenceShowTokens
    let settings: LicenceSettings

    public init(
        store: Store, sealingKey: SealingKey?, holderKeys: LicenceHolderKeys,
        settings: LicenceSettings = LicenceSettings(), region: NodeRegion = NodeIdentity.defaultProfile.region,
        audit: AuditLog? = nil
    ) {
        self.store = store
        self.audit = audit
        self.holderKeys = holderKeys
        self.settings = settings
        showTokens = LicenceShowTokens(sealingKey: sealingKey)
        seals = LicenceSeals(store: store, sealingKey: sealingKey, settings: settings, region: region, audit: audit)
    }

    // MARK: Types

    /// A provider officer of the defining department registers (or changes) a licence type: the type code must
    /// begin with that department's 统一社会信用代码.
    public func registerType(_ type: LicenceType, by user: User, at now: Date = Date()) async throws
        -> StoredLicenceType
    {
        try AccessPolicy.require(user, .licencesDefineTypes)
        let type = try type.validated()
        let department = try await department(user.departmentID)
        guard department.creditCode == type.definerCode else {
            throw AccessError.forbidden(
                BilingualText(
                    zh: "证照类型代码须以本部门的统一社会信用代码（\(department.creditCode ?? "未登记")）开头",
                    en:
                        "the type code must begin with your department's unified social credit code (\(department.creditCode ?? "none registered"))"
                ))
        }
        // Filed in the catalog as a draft of the definer's, which then goes through review like any entry; once
        // filed, the entry is the definer's to maintain there. The entry is drafted first, as its content is checked
        // against the catalog's rules: a type whose entry would be refused is not registered either.
        let existing = try await store.licences.type(code: type.typeCode)
        var entryID = existing?.catalogEntryID
        if let classification = type.catalogClassification, entryID == nil,
            existing == nil || existing?.definerDepartmentID == department.id
        {
            entryID = try await CatalogLifecycle(store: store).create(
                type.catalogContent(classification: classification), departmentID: department.id, by: user
            ).id
        }
        var stored: StoredLicenceType
        do {
            stored = try await store.licences.saveType(type, definerDepartmentID: department.id, at: now)
        } catch {
            // The draft made for this registration goes with it: nothing points to it, and a retry makes its own.
            if let entryID, existing?.catalogEntryID == nil { try? await store.catalog.delete(id: entryID) }
            throw error
        }
        if let entryID, stored.catalogEntryID != entryID {
            try await store.licences.linkCatalogEntry(typeCode: type.typeCode, entryID: entryID)
            stored.catalogEntryID = entryID
        }
        try await record(
            AuditEvent(
                action: .licenceTypeRegistered, time: now, userID: user.id, providerDepartmentID: department.id,
                resourceCode: type.typeCode, outcome: .allowed, detail: ["fields": String(type.fields.count)]))
        return stored
    }

    // MARK: Issuing

    /// Issues a licence for the department of `user`, which must be one of the type's issuers: the holder is bound
    /// by the identifier of the type's holder kind, the 照面 is checked field by field, and every problem is
    /// reported at once.
    public func issue(_ request: LicenceIssueRequest, by user: User, at now: Date = Date()) async throws -> Licence {
        try await issue(request, by: .officer(user), at: now)
    }

    /// Issues a licence for the department of `actor` (an officer or an issuing application system).
    public func issue(_ request: LicenceIssueRequest, by actor: LicenceActor, at now: Date = Date()) async throws
        -> Licence
    {
        guard let stored = try await store.licences.type(code: request.typeCode.uppercased()) else {
            try actor.requireIssuing()
            throw ValidationError(
                field: "typeCode",
                BilingualText(zh: "没有证照类型 \(request.typeCode)", en: "there is no licence type \(request.typeCode)"))
        }
        return try await issue(request, under: try await issuing(stored.type, by: actor), by: actor, at: now)
    }

    /// What issuing licences of one type by one actor rests on, checked once (a batch checks it for every row).
    struct Issuing {
        var type: LicenceType
        var issuer: Department
        var issuerCode: String
    }

    /// The actor's department, when it is one of `type`'s issuers and the actor may issue for it.
    func issuing(_ type: LicenceType, by actor: LicenceActor) async throws -> Issuing {
        try actor.requireIssuing()
        let issuer = try await department(actor.departmentID)
        guard let issuerCode = issuer.creditCode, type.issuerCodes.contains(issuerCode) else {
            throw AccessError.forbidden(
                BilingualText(
                    zh: "本部门不是“\(type.name)”的发证部门", en: "your department does not issue \(type.name)"))
        }
        return Issuing(type: type, issuer: issuer, issuerCode: issuerCode)
    }

    func issue(_ request: LicenceIssueRequest, under issuing: Issuing, by actor: LicenceActor, at now: Date)
        async throws -> Licence
    {
        var content = try Self.content(request, of: issuing.type, today: CalendarDate(now))
        content.holderKey = holderKeys.key(for: content.holder)
        let licence = try await store.licences.issue(
            typeCode: issuing.type.typeCode, content, issuerCode: issuing.issuerCode,
            issuerDepartmentID: issuing.issuer.id,
            signedBy: try await seals.signer(issuer: issuing.issuer, typeName: issuing.type.name, at: now), at: now)
        try await record(
            AuditEvent(
                action: .licenceIssued, time: now, applicationSystemID: actor.systemID, userID: actor.userID,
                providerDepartmentID: issuing.issuer.id, resourceCode: issuing.type.typeCode, outcome: .allowed,
                detail: ["licence": licence.identifier.text]))
        return licence
    }

    /// 变更: the issuer replaces a valid licence with a new version holding `request`'s holder and 照面.
    public func change(
        _ identifier: LicenceIdentifier, to request: LicenceIssueRequest, reason: String?, by user: User,
        at now: Date = Date()
    ) async throws -> Licence {
        let (current, type) = try await issued(identifier, by: user)
        guard request.typeCode.uppercased() == current.typeCode else {
            throw ValidationError(
                field: "typeCode",
                BilingualText(zh: "变更不能改变证照类型", en: "a change cannot change the licence type"))
        }
        var content = try Self.content(request, of: type, today: CalendarDate(now))
        content.holderKey = holderKeys.key(for: content.holder)
        let licence = try await store.licences.change(
            identifier, to: content, departmentID: current.issuerDepartmentID, reason: reason,
            signedBy: try await seals.signer(
                issuer: try await department(current.issuerDepartmentID), typeName: type.name, at: now),
            at: now)
        try await record(
            AuditEvent(
                action: .licenceChanged, time: now, userID: user.id, providerDepartmentID: current.issuerDepartmentID,
                resourceCode: current.typeCode, outcome: .allowed,
                detail: ["licence": licence.identifier.text, "previous": identifier.text]))
        return licence
    }

    /// 注销 or 吊销 by the issuer, with the reason every later check will show.
    public func end(
        _ identifier: LicenceIdentifier, as kind: LicenceEventKind, reason: String, by user: User,
        at now: Date = Date()
    ) async throws -> Licence {
        guard kind == .cancelled || kind == .revoked else {
            throw ValidationError(
                field: "kind", BilingualText(zh: "只能注销或吊销", en: "a licence can only be cancelled or revoked"))
        }
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty, reason.count <= 500 else {
            throw ValidationError(
                field: "reason",
                BilingualText(
                    zh: "\(kind.label.zh)须写明原因（至多 500 字）", en: "a \(kind.label.en) needs a reason (at most 500)"))
        }
        let (current, _) = try await issued(identifier, by: user)
        let licence = try await store.licences.end(
            identifier, as: kind, departmentID: current.issuerDepartmentID, reason: reason, at: now)
        try await record(
            AuditEvent(
                action: .licenceEnded, time: now, userID: user.id, providerDepartmentID: current.issuerDepartmentID,
                resourceCode: current.typeCode, outcome: .allowed,
                detail: ["licence": identifier.text, "kind": kind.rawValue]))
        return licence
    }

    // MARK: Batches

    /// The most licences one batch may carry.
    public static let batchLimit = 10_000

    /// Issues a licence for each row of a sheet (`rows[0]` its header) of one type: columns name the holder
    /// (`holderCode`/持证主体代码, `holderName`/持证主体名称), the dates (`issuedOn`/签发日期, `validUntil`/有效期至) and
    /// the 照面 fields by key or label. A row with problems is refused with each of them, by row number and field;
    /// every other row is issued, each in a transaction of its own. A header naming an unknown column refuses the
    /// whole sheet.
    public func issueBatch(
        typeCode: String, rows: [(number: Int, cells: [String])], by actor: LicenceActor, at now: Date = Date()
    ) async throws -> LicenceBatchResult {
        try await batch(typeCode: typeCode, rows: rows, collecting: false, by: actor, at: now)
    }

    /// 归集 of licences an issuing department's own system issued before: a sheet like `issueBatch`'s with each
    /// licence's identifier (`identifier`/证照标识, GB/T 36904, of this type and the department as issuer), its issue
    /// date, and optionally its status (`status`/状态: 有效, 注销 or 吊销, with `reason`/原因). Each row is checked
    /// as an issue is, and its identifier for its check character, its type and issuer, and against the library
    /// and the rest of the sheet; the licences kept are sealed by the department's seal.
    public func collectBatch(
        typeCode: String, rows: [(number: Int, cells: [String])], by actor: LicenceActor, at now: Date = Date()
    ) async throws -> LicenceBatchResult {
        try await batch(typeCode: typeCode, rows: rows, collecting: true, by: actor, at: now)
    }

    private func batch(
        typeCode: String, rows: [(number: Int, cells: [String])], collecting: Bool, by actor: LicenceActor,
        at now: Date
    ) async throws -> LicenceBatchResult {
        guard let type = try await store.licences.type(code: typeCode.uppercased())?.type else {
            try actor.requireIssuing()
            throw StoreError.notFound(entity: "licence type", key: typeCode)
        }
        let issuing = try await issuing(type, by: actor)
        guard let header = rows.first else {
            throw ValidationError(field: "file", BilingualText(zh: "文件为空", en: "the file is empty"))
        }
        guard rows.count - 1 <= Self.batchLimit else {
            throw ValidationError(
                field: "file",
                BilingualText(
                    zh: "一批至多 \(Self.batchLimit) 张证照，实为 \(rows.count - 1)",
                    en: "a batch holds at most \(Self.batchLimit) licences, not \(rows.count - 1)"))
        }
        let columns = try Self.columns(header.cells, of: type, collecting: collecting)
        var result = LicenceBatchResult()
        var seen: [String: Int] = [:]
        for row in rows.dropFirst() where !row.cells.allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
            result.read += 1
            var request = LicenceIssueRequest(typeCode: type.typeCode, holderCode: "", holderName: "", face: [:])
            var collected = CollectedColumns()
            for (index, column) in columns.enumerated() {
                let value = index < row.cells.count ? row.cells[index].trimmingCharacters(in: .whitespaces) : ""
                switch column {
                case .holderCode: request.holderCode = value
                case .holderName: request.holderName = value
                case .issuedOn: request.issuedOn = value.isEmpty ? nil : value
                case .validUntil: request.validUntil = value.isEmpty ? nil : value
                case .face(let key): if !value.isEmpty { request.face[key] = value }
                case .identifier: collected.identifier = value
                case .status: collected.status = value
                case .reason: collected.reason = value
                }
            }
            func reject(_ issues: [FieldIssue]) {
                result.rejected += issues.map {
                    LicenceBatchResult.Rejection(row: row.number, field: $0.field, message: $0.message)
                }
            }
            do {
                if collecting {
                    let (identifier, status, reason) = try Self.collected(
                        collected, request, of: type, issuerCode: issuing.issuerCode, row: row.number, seen: &seen)
                    let licence = try await collect(
                        identifier, request, status: status, reason: reason, under: issuing, by: actor, at: now)
                    result.issued.append(licence.identifier)
                } else {
                    let licence = try await issue(request, under: issuing, by: actor, at: now)
                    result.issued.append(licence.identifier)
                }
            } catch let error as ValidationError {
                reject(error.issues)
            } catch let error as StoreError {
                // One row's conflict (an identifier already held) or failure does not stop the rows after it; what
                // was kept stays kept, each row in its own transaction.
                reject([FieldIssue(field: collecting ? "identifier" : "row", message: error.message)])
            }
        }
        return result
    }

    /// What a collection row states beyond an issue's.
    struct CollectedColumns {
        var identifier = ""
        var status = ""
        var reason = ""
    }

    /// A collection row's identifier, status and reason, checked (with its issue date, which a collected licence
    /// must state); `seen` holds the identifiers of the rows before, by row.
    static func collected(
        _ columns: CollectedColumns, _ request: LicenceIssueRequest, of type: LicenceType, issuerCode: String,
        row: Int, seen: inout [String: Int]
    ) throws(ValidationError) -> (LicenceIdentifier, LicenceStatus, String?) {
        var issues = ValidationCollector()
        var identifier: LicenceIdentifier?
        do throws(IdentifierError) {
            let parsed = try LicenceIdentifier(columns.identifier)
            if parsed.typeCode != type.typeCode {
                issues.add(
                    "identifier",
                    BilingualText(
                        zh: "证照标识的类型代码 \(parsed.typeCode) 不是“\(type.name)”的 \(type.typeCode)",
                        en: "the identifier's type code \(parsed.typeCode) is not \(type.name)'s \(type.typeCode)"))
            } else if parsed.issuerCode != issuerCode {
                issues.add(
                    "identifier",
                    BilingualText(
                        zh: "证照标识的发证机构代码 \(parsed.issuerCode) 不是本部门的 \(issuerCode)",
                        en: "the identifier's issuer code \(parsed.issuerCode) is not your department's \(issuerCode)"))
            } else if let earlier = seen[parsed.text] {
                issues.add(
                    "identifier",
                    BilingualText(zh: "与第 \(earlier) 行的证照标识重复", en: "the same identifier as row \(earlier)"))
            } else {
                identifier = parsed
                seen[parsed.text] = row
            }
        } catch {
            issues.add("identifier", error.message)
        }
        if request.issuedOn == nil {
            issues.add("issuedOn", BilingualText(zh: "归集的证照须写明签发日期", en: "a collected licence needs its issue date"))
        }
        let status: LicenceStatus? =
            switch columns.status {
            case "", "有效", "valid": .valid
            case "注销", "cancelled": .cancelled
            case "吊销", "revoked": .revoked
            default: nil
            }
        if status == nil {
            issues.add(
                "status",
                BilingualText(
                    zh: "状态应为有效、注销或吊销，而非“\(columns.status)”",
                    en: "the status must be 有效, 注销 or 吊销, not \"\(columns.status)\""))
        }
        let reason = columns.reason.isEmpty ? nil : columns.reason
        if (status == .cancelled || status == .revoked) && reason == nil {
            issues.add(
                "reason", BilingualText(zh: "注销或吊销的证照须写明原因", en: "a cancelled or revoked licence needs its reason"))
        }
        try issues.throwIfAny()
        // Both are set whenever no problem was found.
        guard let identifier, let status else {
            throw ValidationError(field: "identifier", BilingualText(zh: "无法读取", en: "cannot be read"))
        }
        return (identifier, status, reason)
    }

    func collect(
        _ identifier: LicenceIdentifier, _ request: LicenceIssueRequest, status: LicenceStatus, reason: String?,
        under issuing: Issuing, by actor: LicenceActor, at now: Date
    ) async throws -> Licence {
        var content = try Self.content(request, of: issuing.type, today: CalendarDate(now))
        content.holderKey = holderKeys.key(for: content.holder)
        let licence = try await store.licences.collect(
            identifier, content, status: status, reason: reason, issuerDepartmentID: issuing.issuer.id,
            signedBy: try await seals.signer(issuer: issuing.issuer, typeName: issuing.type.name, at: now), at: now)
        try await record(
            AuditEvent(
                action: .licenceCollected, time: now, applicationSystemID: actor.systemID, userID: actor.userID,
                providerDepartmentID: issuing.issuer.id, resourceCode: issuing.type.typeCode, outcome: .allowed,
                detail: ["licence": licence.identifier.text, "status": status.rawValue]))
        return licence
    }

    enum BatchColumn: Equatable {
        case holderCode, holderName, issuedOn, validUntil
        case face(String)
        /// Collection only: what the issuing system already gave the licence.
        case identifier, status, reason
    }

    /// What each header cell names, or every cell that names nothing of the type (`collecting`: a collection's
    /// sheet, whose identifier, status and reason columns an issue's sheet cannot have).
    static func columns(_ header: [String], of type: LicenceType, collecting: Bool = false) throws(ValidationError)
        -> [BatchColumn]
    {
        var columns: [BatchColumn] = []
        var issues = ValidationCollector()
        for (index, cell) in header.enumerated() {
            let name = cell.trimmingCharacters(in: .whitespaces)
            switch name {
            case "holderCode", "持证主体代码": columns.append(.holderCode)
            case "holderName", "持证主体名称": columns.append(.holderName)
            case "issuedOn", "签发日期": columns.append(.issuedOn)
            case "validUntil", "有效期至": columns.append(.validUntil)
            case "identifier", "证照标识", "status", "状态", "reason", "原因":
                guard collecting else {
                    issues.add(
                        "header[\(index + 1)]",
                        BilingualText(
                            zh: "第 \(index + 1) 列“\(name)”只用于归集已有证照；签发时由平台编制证照标识",
                            en:
                                "column \(index + 1) \"\(name)\" is for collecting existing licences; an issue gets its identifier here"
                        ))
                    columns.append(.face(name))
                    continue
                }
                columns.append(
                    ["identifier", "证照标识"].contains(name)
                        ? .identifier : ["status", "状态"].contains(name) ? .status : .reason)
            default:
                if let field = type.fields.first(where: { $0.key == name || $0.label == name }) {
                    columns.append(.face(field.key))
                } else {
                    issues.add(
                        "header[\(index + 1)]",
                        BilingualText(
                            zh: "第 \(index + 1) 列“\(name)”不是“\(type.name)”的照面字段，也不是持证主体或日期",
                            en:
                                "column \(index + 1) \"\(name)\" is neither a face field of \(type.name) nor the holder or a date"
                        ))
                    columns.append(.face(name))
                }
            }
        }
        var required = [
            (BatchColumn.holderCode, "持证主体代码 (holderCode)"), (.holderName, "持证主体名称 (holderName)"),
        ]
        if collecting { required += [(.identifier, "证照标识 (identifier)"), (.issuedOn, "签发日期 (issuedOn)")] }
        for (required, label) in required where !columns.contains(required) {
            issues.add("header", BilingualText(zh: "缺少列 \(label)", en: "missing column \(label)"))
        }
        try issues.throwIfAny()
        return columns
    }

    // MARK: Reading

    /// A licence with its history, for an officer of its issuing department.
    public func issued(_ identifier: LicenceIdentifier, readBy user: User) async throws -> (Licence, [LicenceEvent]) {
        let (licence, _) = try await issued(identifier, by: user)
        return (licence, try await store.licences.events(identifier))
    }

    /// A licence version of the department of `user` as its seal signed it, with what checks it offline: the seal's
    /// certificate and the node's CA certificate.
    public func sealedPackage(_ identifier: LicenceIdentifier, readBy user: User) async throws -> SealedLicence {
        let (licence, type) = try await issued(identifier, by: user)
        guard let signed = try await store.licences.signedPackage(identifier),
            let seal = try await store.licences.seal(serial: signed.sealSerial),
            let issuer = try await store.departments.find(id: licence.issuerDepartmentID)
        else { throw StoreError.notFound(entity: "licence package", key: identifier.text) }
        return SealedLicence(
            licence: licence, type: type, issuerName: issuer.name, package: signed, seal: seal,
            authority: try await seals.authorityCertificate())
    }

    /// 过期: records the expiry of every valid licence whose last day has passed, so that its history and the
    /// licences sent down the cascade say so (a licence past its end reads expired before this runs, too).
    public func recordExpiries(at now: Date = Date()) async throws -> [LicenceIdentifier] {
        let expired = try await store.licences.expire(before: CalendarDate(now), at: now)
        for identifier in expired {
            try await record(
                AuditEvent(
                    action: .licenceEnded, time: now, resourceCode: identifier.typeCode, outcome: .allowed,
                    detail: ["licence": identifier.text, "kind": LicenceEventKind.expired.rawValue]))
        }
        return expired
    }

    /// The legal bases recorded for uses without consent (the operator).
    public func legalBases(readBy user: User) async throws -> [LicenceConsent] {
        try AccessPolicy.require(user, .licencesAdminister)
        return try await store.licences.legalBases()
    }

    // MARK: Helpers

    /// The holder and face of `request` checked against `type`, with its dates.
    static func content(_ request: LicenceIssueRequest, of type: LicenceType, today: CalendarDate)
        throws(ValidationError)
        -> LicenceContent
    {
        var issues: [FieldIssue] = []
        var holder: LicenceHolder?
        do {
            holder = try LicenceHolder(
                kind: type.holderKind, code: request.holderCode, name: request.holderName, today: today)
        } catch {
            issues += error.issues
        }
        issues += type.problems(inFace: request.face, today: today)
        func date(_ text: String?, _ field: String) -> CalendarDate? {
            guard let text, !text.isEmpty else { return nil }
            guard let date = CalendarDate(iso: text) else {
                issues.append(
                    FieldIssue(
                        field: field,
                        message: BilingualText(zh: "应为有效日期，如 2024-01-31", en: "must be a valid date such as 2024-01-31")
                    ))
                return nil
            }
            return date
        }
        let issuedOn = date(request.issuedOn, "issuedOn") ?? today
        let statedEnd = date(request.validUntil, "validUntil")
        if issuedOn > today {
            issues.append(
                FieldIssue(field: "issuedOn", message: BilingualText(zh: "签发日期不能晚于今天", en: "cannot be in the future")))
        }
        if let statedEnd, statedEnd < issuedOn {
            issues.append(
                FieldIssue(
                    field: "validUntil",
                    message: BilingualText(zh: "有效期截止日不能早于签发日期", en: "cannot be before the issue date")))
        }
        guard issues.isEmpty, let holder else { throw ValidationError(issues) }
        return LicenceContent(
            holder: holder, face: request.face.mapValues { $0.trimmingCharacters(in: .whitespaces) },
            issuedOn: issuedOn,
            validUntil: type.validUntil(issuedOn: issuedOn, statedEnd: statedEnd), holderKey: "")
    }

    /// A licence of the department of `user` (which must issue licences), with its type.
    private func issued(_ identifier: LicenceIdentifier, by user: User) async throws -> (Licence, LicenceType) {
        try AccessPolicy.require(user, .licencesIssue)
        guard let licence = try await store.licences.find(identifier),
            let type = try await store.licences.type(code: licence.typeCode)?.type
        else { throw StoreError.notFound(entity: "licence", key: identifier.text) }
        guard licence.issuerDepartmentID == user.departmentID else {
            throw AccessError.forbidden(
                BilingualText(
                    zh: "只有发证部门可以变更、注销或吊销该证照", en: "only the issuing department may change or end this licence"))
        }
        return (licence, type)
    }

    private func department(_ id: Int64) async throws -> Department {
        guard let department = try await store.departments.find(id: id) else {
            throw StoreError.notFound(entity: "department", key: "\(id)")
        }
        return department
    }

    private func record(_ event: AuditEvent) async throws {
        guard let audit else { return }
        _ = try await audit.append(event)
    }
}
