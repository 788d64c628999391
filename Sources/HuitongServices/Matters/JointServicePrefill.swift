import Foundation
import HuitongCore
import HuitongStore

/// Whom an application is about: the identifier of the person (公民身份号码) or organisation (统一社会信用代码) in
/// one subject role of the form (申请人, 母亲 …).
public struct PrefillSubject: Sendable, Hashable, Codable {
    public var role: String
    public var identifier: String

    public init(role: String, identifier: String) {
        self.role = role
        self.identifier = identifier
    }
}

/// An application to a joint service, as its accepting system sends it to have the form filled in.
public struct PrefillRequest: Sendable, Hashable, Codable {
    public var subjects: [PrefillSubject]
    /// The applicant agreed that the departments fetch their data (授权调取). Without it nothing is fetched.
    public var consent: Bool
    /// 办件编号 in the accepting system.
    public var caseNumber: String

    public init(subjects: [PrefillSubject], consent: Bool, caseNumber: String) {
        self.subjects = subjects
        self.consent = consent
        self.caseNumber = caseNumber
    }
}

/// Where a filled-in value came from.
public enum PrefillSource: String, Sendable, Hashable, Codable {
    /// A resource pool, read under the accepting system's grant.
    case sharedData
    /// The applicant's e-licence, used under a consent or legal basis (用证).
    case licence
}

/// One field of the merged form for this application: its value when shared data holds it, or why not.
public struct PrefilledField: Sendable, Hashable, Codable {
    public var field: MergedField
    public var value: String?
    public var source: PrefillSource?
    /// The resource code or licence identifier the value was read from.
    public var origin: String?
    /// Why a prefillable field was left empty.
    public var note: BilingualText?
}

/// The form of a joint service for one application: filled in where shared data could, each value read-only
/// when its source is authoritative, with the materials the applicant still hands in.
public struct PrefilledForm: Sendable, Codable {
    public var service: String
    public var caseNumber: String
    public var consented: Bool
    public var fields: [PrefilledField]
    public var materials: [MergedMaterial]
    public var report: ReductionReport
    /// How many fields were filled in.
    public var filled: Int
}

extension MatterUseCases {
    /// Fills in a joint service's merged form for an application whose applicant consented: values come from the
    /// pools the joint service's accepting system is granted (masked by the grant, each read a gateway entry on the
    /// audit log) and from the subjects' e-licences through 用证 (each a use record under a consent or legal basis).
    /// Without consent nothing is fetched: the form comes back empty. The caller is the accepting system itself,
    /// by its credential, or a consumer officer of the lead department reading through that system.
    public func prefill(code: String, _ request: PrefillRequest, by actor: LicenceActor, at now: Date = Date())
        async throws -> PrefilledForm
    {
        let view = try await jointService(code: code)
        let service = view.service
        let system = try await acceptingSystem(of: service, for: actor)
        let caseNumber = request.caseNumber.trimmingCharacters(in: .whitespacesAndNewlines)
        var issues = ValidationCollector()
        if caseNumber.isEmpty || caseNumber.count > 64 {
            issues.add(
                "caseNumber", BilingualText(zh: "须写明办件编号（至多 64 字）", en: "the case number is required (at most 64)"))
        }
        var subjects: [String: String] = [:]
        for (index, subject) in request.subjects.prefix(20).enumerated() {
            let role = subject.role.trimmingCharacters(in: .whitespaces)
            let identifier = subject.identifier.trimmingCharacters(in: .whitespaces).uppercased()
            if role.isEmpty {
                issues.add("subjects[\(index)].role", BilingualText(zh: "须写明主体角色", en: "the role is required"))
            } else if subjects[role] != nil {
                issues.add(
                    "subjects[\(index)].role", BilingualText(zh: "主体角色“\(role)”重复", en: "the role \(role) repeats"))
            }
            if (try? ResidentIDNumber(identifier, today: CalendarDate(now))) == nil
                && (try? UnifiedSocialCreditCode(identifier)) == nil
            {
                issues.add(
                    "subjects[\(index)].identifier",
                    BilingualText(
                        zh: "须为有效的公民身份号码或统一社会信用代码",
                        en: "must be a valid resident ID number or unified social credit code"))
            }
            subjects[role] = identifier
        }
        if request.subjects.isEmpty || request.subjects.count > 20 {
            issues.add(
                "subjects", BilingualText(zh: "须写明 1–20 个主体（至少申请人）", en: "name 1–20 subjects, the applicant at least"))
        }
        try issues.throwIfAny()

        var fields = view.form.fields.map { PrefilledField(field: $0, value: nil, source: nil, origin: nil, note: nil) }
        func summary(_ outcome: AuditOutcome, filled: Int) -> AuditEvent {
            AuditEvent(
                action: .jointServicePrefill, time: now, consumerDepartmentID: system.departmentID,
                applicationSystemID: system.id, userID: actor.userID, resourceCode: service.code,
                queriedKeyHashes: subjects.values.sorted().map { audit.keyHasher.hash(components: [$0]) },
                rowsReturned: Int64(filled), outcome: outcome, detail: ["case": caseNumber])
        }
        guard request.consent else {
            try await record(summary(.denied(reason: "no_consent"), filled: 0))
            let note = BilingualText(zh: "申请人未授权调取，请自行填写", en: "the applicant did not consent; fill it in by hand")
            for index in fields.indices {
                fields[index].field.isReadOnly = false
                if fields[index].field.isPrefillable { fields[index].note = note }
            }
            return PrefilledForm(
                service: service.code, caseNumber: caseNumber, consented: false, fields: fields,
                materials: view.form.materials, report: view.form.report, filled: 0)
        }

        let licenceEntries = try await licenceTypeEntries()
        let references = fields.compactMap(\.field.catalogItem)
        let entries = try await store.catalog.entries(codes: Set(references.map(\.resourceCode)).sorted())
        // One read per resource and subject: the fields it fills, by position.
        var groups: [String: [Int]] = [:]
        for (index, prefilled) in fields.enumerated() where prefilled.field.isPrefillable {
            guard let item = prefilled.field.catalogItem else { continue }
            guard subjects[prefilled.field.role] != nil else {
                fields[index].note = BilingualText(
                    zh: "未提供“\(prefilled.field.role)”的证件号码", en: "no identifier was given for \(prefilled.field.role)")
                continue
            }
            groups["\(item.resourceCode)|\(prefilled.field.role)", default: []].append(index)
        }
        for key in groups.keys.sorted() {
            let positions = groups[key]!
            let first = fields[positions[0]].field
            guard let item = first.catalogItem, let entry = entries[item.resourceCode],
                let identifier = subjects[first.role]
            else { continue }
            // A licence may be used for any of the matters its fields serve, whichever a consent or legal basis names.
            let matterCodes = positions.flatMap { fields[$0].field.sources.map(\.matterCode) }.uniqued()
            let outcome: ReadOutcome
            if let type = licenceEntries[entry.id] {
                outcome = try await readLicence(
                    type, holder: identifier, matters: matterCodes, caseNumber: caseNumber, service: view, by: actor,
                    at: now)
            } else {
                outcome = try await readPool(
                    entry, key: identifier, columns: positions.compactMap { fields[$0].field.catalogItem?.column },
                    system: system, service: service.code, caseNumber: caseNumber, userID: actor.userID, at: now)
            }
            for position in positions {
                let column = fields[position].field.catalogItem!.column
                switch outcome {
                case .values(let values, let source, let origin):
                    if let value = values[column] ?? nil {
                        fields[position].value = value
                        fields[position].source = source
                        fields[position].origin = origin
                    } else {
                        fields[position].note = BilingualText(
                            zh: "共享数据中没有该项的值", en: "shared data holds no value for it")
                    }
                case .unavailable(let note): fields[position].note = note
                }
            }
        }
        // Only a value actually filled in is locked; an empty field is the applicant's to fill.
        for index in fields.indices where fields[index].value == nil { fields[index].field.isReadOnly = false }
        let filled = fields.filter { $0.value != nil }.count
        try await record(summary(.allowed, filled: filled))
        return PrefilledForm(
            service: service.code, caseNumber: caseNumber, consented: true, fields: fields,
            materials: view.form.materials, report: view.form.report, filled: filled)
    }

    enum ReadOutcome {
        case values([String: String?], PrefillSource, String)
        case unavailable(BilingualText)
    }

    /// The system applications to the joint service are accepted by, if the actor may read through it.
    func acceptingSystem(of service: JointService, for actor: LicenceActor) async throws -> ApplicationSystem {
        switch actor {
        case .officer(let user):
            try AccessPolicy.require(user, .mattersPrefill, department: service.leadDepartmentID)
        case .system(let caller):
            guard caller.id == service.content.applicationSystemID else {
                throw AccessError.forbidden(
                    BilingualText(
                        zh: "只有该一件事的受理系统可以调取数据预填", en: "only the joint service's accepting system can fetch data for it"
                    ))
            }
        }
        guard let id = service.content.applicationSystemID,
            let system = try await store.applicationSystems.find(id: id),
            system.isActive
        else {
            throw StoreError.conflict(
                BilingualText(
                    zh: "该一件事没有可用的受理系统，不能调取数据",
                    en: "the joint service has no active accepting system to fetch data with"))
        }
        return system
    }

    /// Reads the subject's row of a pool under the system's grant — its rate limit and daily quota counted with the
    /// gateway's — masked as the grant says, with a gateway entry on the audit log (naming the officer, when one
    /// asked) before the values are used.
    func readPool(
        _ entry: CatalogEntry, key identifier: String, columns: [String], system: ApplicationSystem, service: String,
        caseNumber: String, userID: Int64?, at now: Date
    ) async throws -> ReadOutcome {
        let started = ContinuousClock.now
        let keyItems = entry.content.keyItems
        guard keyItems.count == 1, [.residentID, .creditCode].contains(keyItems[0].semanticKind) else {
            return .unavailable(
                BilingualText(
                    zh: "资源“\(entry.content.name)”不以证件号码为主键，不能预填",
                    en: "\(entry.content.name) is not keyed by an identifier"))
        }
        let grants = try await grants(of: system, for: entry, at: now)
        guard
            let grant = grants.max(by: {
                Set($0.items).intersection(columns).count < Set($1.items).intersection(columns).count
            })
        else {
            return .unavailable(BilingualText(zh: "受理系统没有该资源的有效授权", en: "the accepting system has no grant of it"))
        }
        let call = GatewayCall(
            action: .gatewayLookup, started: started, system: system, entry: entry, grant: grant,
            pseudonymizer: grant.masking.values.contains(.pseudonym)
                ? audit.pseudonymizer(consumerDepartmentID: system.departmentID) : nil)
        let key = [GatewayCall.canonicalKey(identifier, keyItems[0])]
        let hashes = [audit.keyHasher.hash(components: key)]
        let detail = ["joint_service": service, "case": caseNumber]
        func record(_ outcome: AuditOutcome, rows: Int) async throws {
            var event = call.event(outcome: outcome, rows: rows, keyHashes: hashes, detail: detail)
            event.userID = userID
            try await audit.log.appendOrFailClosed(event)
        }
        switch try await limiter.take(
            grant: grant.id, perSecond: grant.rateLimit > 0 ? grant.rateLimit : nil,
            perDay: grant.dailyQuota > 0 ? grant.dailyQuota : nil, now: now)
        {
        case .allowed: break
        case .rateLimited:
            try await record(.denied(reason: GatewayError.rateLimited(perSecond: grant.rateLimit).code), rows: 0)
            return .unavailable(BilingualText(zh: "调用过于频繁，请稍后再试", en: "too many calls; try again shortly"))
        case .quotaExhausted:
            try await record(.denied(reason: GatewayError.quotaExhausted(perDay: grant.dailyQuota).code), rows: 0)
            return .unavailable(BilingualText(zh: "今日调用量已用完", en: "today's quota is used up"))
        }
        let selection = PoolSelection(
            columns: GatewayCall.selection(entry: entry, grant: grant).columns.filter(columns.contains),
            conditions: call.selection.conditions)
        guard !selection.columns.isEmpty,
            let found = try await store.pools.lookup(entryID: entry.id, keys: [key], selecting: selection)
        else {
            try await record(.allowed, rows: 0)
            return .unavailable(BilingualText(zh: "资源暂无可用数据或授权不含该项", en: "no data, or the grant does not cover it"))
        }
        let rows = found.rows.map { call.masked($0, columns: selection.columns) }
        try await record(.allowed, rows: rows.count)
        guard let row = rows.first else {
            return .unavailable(BilingualText(zh: "共享数据中没有该主体的记录", en: "shared data holds no record of this subject"))
        }
        return .values(
            Dictionary(uniqueKeysWithValues: zip(selection.columns, row)), .sharedData, entry.code.text)
    }

    /// Reads the subject's valid licence of the type through 用证, for the first of `matters` a holder's consent or
    /// a legal basis names for the lead department. The authorisation is looked for first: without one nothing is
    /// said of the subject's licences, not even whether they hold one.
    func readLicence(
        _ type: LicenceType, holder: String, matters: [String], caseNumber: String, service: JointServiceView,
        by actor: LicenceActor, at now: Date
    ) async throws -> ReadOutcome {
        let holderKey = type.holderKind == .person ? licences.holderKeys.digests.digest(holder) : holder
        var authorised: String?
        for matter in matters {
            let consents = try await store.licences.consentInForce(
                holderKey: holderKey, typeCode: type.typeCode, granteeDepartmentID: actor.departmentID,
                matter: matter, at: now)
            if !consents.isEmpty {
                authorised = matter
                break
            }
        }
        guard let matter = authorised else {
            return .unavailable(
                BilingualText(
                    zh: "没有持证人授权或法定依据使用“\(type.name)”", en: "neither a consent nor a legal basis allows \(type.name)"))
        }
        let today = CalendarDate(now)
        guard
            let licence = try await store.licences.licences(holderCode: holder).filter({
                $0.typeCode == type.typeCode && $0.status(on: today) == .valid
            }).max(by: { $0.issuedOn < $1.issuedOn })
        else {
            return .unavailable(BilingualText(zh: "未查到有效的“\(type.name)”", en: "no valid \(type.name) was found"))
        }
        do {
            let used = try await licences.use(
                LicenceUseRequest(
                    identifier: licence.identifier.text, matter: matter, caseNumber: caseNumber,
                    reason: "一件事“\(service.service.content.name)”预填表单"),
                by: actor, at: now)
            return .values(used.licence.face.mapValues { Optional($0) }, .licence, used.licence.identifier.text)
        } catch let refused as LicenceUseRefused {
            return .unavailable(refused.message)
        }
    }
}
