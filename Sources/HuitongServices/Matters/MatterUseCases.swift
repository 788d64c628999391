import Foundation
import HuitongCore
import HuitongStore

extension AuditAction {
    public static let mattersImported = AuditAction(rawValue: "matters.imported")
    public static let matterSaved = AuditAction(rawValue: "matters.saved")
    public static let matterDeleted = AuditAction(rawValue: "matters.deleted")
    public static let jointServiceSaved = AuditAction(rawValue: "matters.joint_service_saved")
    public static let jointServiceDeleted = AuditAction(rawValue: "matters.joint_service_deleted")
    /// A joint service's form filled in for an applicant: one entry for the request, and a gateway entry for each
    /// pool read it made (licence reads are 用证 records of their own).
    public static let jointServicePrefill = AuditAction(rawValue: "matters.prefill")
}

/// What an import of a 办事指南 sheet did: the matters saved, every problem with its row and column, and the
/// sharing demands raised for elements and materials other departments hold but nobody shares.
public struct MatterImportReport: Sendable, Codable {
    public var dryRun: Bool
    public var saved: [String]
    public var rejected: [String]
    public var errors: [CatalogSheet.Issue]
    public var demandsRaised: [String]
}

/// A joint service as the applicant and the departments see it: its matters, the merged form and materials, and
/// the reduction.
public struct JointServiceView: Sendable, Codable {
    public var service: JointService
    public var leadDepartmentName: String
    public var matters: [MatterSummary]
    public var form: MergedForm

    public struct MatterSummary: Sendable, Codable {
        public var implementationCode: String
        public var name: String
        public var departmentName: String
        public var elements: Int
        public var materials: Int
    }
}

/// 政务服务事项 and 一件事 (domain-services.md §3): matters listed by the departments that implement them, linked
/// to catalog items and licence types; joint services merged into one form; sharing demands for what nobody shares
/// yet; and, for an applicant who consents, the form filled in from shared data and e-licences.
public struct MatterUseCases: Sendable {
    public let store: Store
    let audit: AuditTrail
    let licences: LicenceUseCases
    /// Reads implementation codes (configured: provinces use other shapes).
    public let codeParser: MatterCodeParser
    /// The grants' rate limits and quotas, shared with the gateway.
    let limiter: CallLimiter

    package init(
        store: Store, audit: AuditTrail, licences: LicenceUseCases, codeParser: MatterCodeParser,
        limiter: CallLimiter = CallLimiter()
    ) {
        self.store = store
        self.audit = audit
        self.licences = licences
        self.codeParser = codeParser
        self.limiter = limiter
    }

    // MARK: Matters

    /// Imports a 办事指南 sheet as `user`: matters of the user's department, or of the department the sheet names
    /// (the operator's import). A matter with a problem on any row — its own, or a link to a catalog item or licence
    /// type that does not exist — is not saved; the others are, in one transaction. With `dryRun` nothing is saved.
    public func importSheet(_ rows: [(number: Int, cells: [String])], by user: User, dryRun: Bool = false)
        async throws -> MatterImportReport
    {
        try AccessPolicy.require(user, .mattersManage)
        var parsed = MatterSheet.parse(numberedRows: rows)
        var errors = parsed.issues
        let departments = try await store.departments.list()
        var accepted: [(content: MatterDraft, departmentID: Int64)] = []
        let references = try await ReferenceCheck.load(parsed.matters.map(\.content), store: store)
        let owners = Dictionary(
            uniqueKeysWithValues: try await store.matters.matters(
                codes: parsed.matters.map(\.content.implementationCode)
            )
            .map { ($0.implementationCode, $0.departmentID) })
        for index in parsed.matters.indices {
            let matter = parsed.matters[index]
            var departmentID = user.departmentID
            if !matter.department.isEmpty {
                guard let department = Self.department(named: matter.department, in: departments) else {
                    errors.append(
                        CatalogSheet.Issue(
                            row: matter.firstRow, column: "实施部门",
                            message: BilingualText(
                                zh: "没有名称或代码为“\(matter.department)”的部门",
                                en: "no department is named or coded \"\(matter.department)\"")))
                    parsed.matters[index].isRejected = true
                    continue
                }
                departmentID = department.id
            }
            guard AccessPolicy.allows(user, .mattersManage, department: departmentID) else {
                errors.append(
                    CatalogSheet.Issue(
                        row: matter.firstRow, column: "实施部门",
                        message: BilingualText(
                            zh: "只能导入本部门实施的事项", en: "you can import your own department's matters only")))
                parsed.matters[index].isRejected = true
                continue
            }
            var problems = references.problems(in: matter.content, departments: departments)
            problems += codeProblems(matter.content, department: departments.first { $0.id == departmentID })
            if let owner = owners[matter.content.implementationCode], owner != departmentID {
                problems.append(
                    FieldIssue(
                        field: "implementationCode",
                        message: BilingualText(
                            zh: "该实施编码已由\(departments.first { $0.id == owner }?.name ?? "其他部门")登记",
                            en:
                                "another department (\(departments.first { $0.id == owner }?.name ?? "")) filed this code"
                        )))
            }
            if !problems.isEmpty {
                errors += problems.map { MatterSheet.locate($0, in: matter) }
                parsed.matters[index].isRejected = true
            }
            if !parsed.matters[index].isRejected { accepted.append((matter.content, departmentID)) }
        }
        let rejected = parsed.matters.filter(\.isRejected).map(\.content.implementationCode)
        var report = MatterImportReport(
            dryRun: dryRun, saved: [], rejected: rejected,
            errors: errors.sorted { ($0.row, $0.column) < ($1.row, $1.column) }, demandsRaised: [])
        guard !dryRun, !accepted.isEmpty else { return report }
        let saved = try await store.matters.saveMatters(accepted)
        report.saved = saved.map(\.implementationCode)
        report.demandsRaised = try await raiseDemands(for: saved)
        try await record(
            AuditEvent(
                action: .mattersImported, userID: user.id, providerDepartmentID: user.departmentID, outcome: .allowed,
                detail: ["saved": String(saved.count), "rejected": String(rejected.count)]))
        return report
    }

    /// Saves one matter (new or changed) of `departmentID` (the user's own unless the operator names another).
    public func save(_ draft: MatterDraft, departmentID: Int64? = nil, by user: User) async throws -> (
        matter: Matter, demandsRaised: [String]
    ) {
        let departmentID = departmentID ?? user.departmentID
        try AccessPolicy.require(user, .mattersManage, department: departmentID)
        let content = try draft.validated()
        let departments = try await store.departments.list()
        guard let department = departments.first(where: { $0.id == departmentID }) else {
            throw ValidationError(field: "departmentID", BilingualText(zh: "没有这个部门", en: "there is no such department"))
        }
        let problems =
            try await ReferenceCheck.load([content], store: store).problems(in: content, departments: departments)
            + codeProblems(content, department: department)
        if !problems.isEmpty { throw ValidationError(problems) }
        let matter = try await store.matters.saveMatters([(content, departmentID)])[0]
        let demands = try await raiseDemands(for: [matter])
        try await record(
            AuditEvent(
                action: .matterSaved, userID: user.id, providerDepartmentID: departmentID,
                resourceCode: matter.implementationCode, outcome: .allowed))
        return (matter, demands)
    }

    public func matters(departmentID: Int64? = nil) async throws -> [Matter] {
        try await store.matters.listMatters(departmentID: departmentID)
    }

    public func matter(code: String) async throws -> Matter {
        guard let matter = try await store.matters.matter(code: code.uppercased()) else {
            throw StoreError.notFound(entity: "matter", key: code)
        }
        return matter
    }

    public func delete(code: String, by user: User) async throws {
        let matter = try await matter(code: code)
        try AccessPolicy.require(user, .mattersManage, department: matter.departmentID)
        try await store.matters.deleteMatter(code: matter.implementationCode)
        try await record(
            AuditEvent(
                action: .matterDeleted, userID: user.id, providerDepartmentID: matter.departmentID,
                resourceCode: matter.implementationCode, outcome: .allowed))
    }

    /// An implementation code that carries an implementing body's credit code must carry its department's.
    func codeProblems(_ matter: MatterDraft, department: Department?) -> [FieldIssue] {
        guard let carried = codeParser.implementingBodyCode(matter.implementationCode), let department,
            let own = department.creditCode, carried != own.uppercased()
        else { return [] }
        return [
            FieldIssue(
                field: "implementationCode",
                message: BilingualText(
                    zh: "实施编码中的实施主体代码 \(carried) 不是\(department.name)的统一社会信用代码 \(own)",
                    en: "the implementing body \(carried) in the code is not \(department.name) (\(own))"))
        ]
    }

    static func department(named text: String, in departments: [Department]) -> Department? {
        let wanted = text.trimmingCharacters(in: .whitespaces)
        return departments.first {
            $0.name == wanted || $0.code.caseInsensitiveCompare(wanted) == .orderedSame
                || $0.creditCode?.caseInsensitiveCompare(wanted) == .orderedSame
        }
    }

    // MARK: Sharing demands (数据共享需求标注)

    /// Raises a sharing demand (需求清单), tagged with the matter as its usage scenario, for each element or material
    /// that another department holds but nobody shares: one named as held by a department with no catalog link, or
    /// linked to an entry of another department that is not published or has no data (a licence type's entry is
    /// served by the licences themselves). A demand already open for the same matter and data is not raised again.
    /// Returns the numbers of the demands raised.
    func raiseDemands(for matters: [Matter]) async throws -> [String] {
        let departments = try await store.departments.list()
        let licenceEntries = try await licenceTypeEntries()
        var raised: [String] = []
        for matter in matters {
            // Every demand raised for the matter before, closed ones too: a demand closed as unsatisfiable is not
            // raised again by the next save.
            let earlier = try await store.lists.listDemand(departmentID: matter.departmentID).filter {
                $0.departmentID == matter.departmentID && $0.content.matterCode == matter.implementationCode
            }
            var asked = Set(earlier.map(\.content.requestedData))
            let references =
                matter.content.elements.compactMap(\.catalogItem)
                + matter.content.materials.flatMap(\.catalogItems)
            let entries = try await store.catalog.entries(codes: references.map(\.resourceCode).uniqued())
            /// The department that holds data nobody shares: the provider of the first linked entry without data (an
            /// item a negative list keeps unshared is not asked for), or the department named as holding it.
            func holder(_ heldBy: String?, _ items: [ItemReference]) -> Department? {
                if !items.isEmpty {
                    for item in items {
                        guard let entry = entries[item.resourceCode] else { continue }
                        if entry.content.items.first(where: { $0.columnName == item.column })?.shareType == .notShared {
                            continue
                        }
                        let hasData =
                            entry.status == .published
                            && (entry.mount != nil || (entry.recordCount ?? 0) > 0 || licenceEntries[entry.id] != nil)
                        if !hasData { return departments.first { $0.id == entry.provider.departmentID } }
                    }
                    return nil
                }
                return heldBy.flatMap { Self.department(named: $0, in: departments) }
            }
            var wanted: [(data: String, provider: Department)] = []
            for element in matter.content.elements {
                if let provider = holder(element.heldBy, element.catalogItem.map { [$0] } ?? []) {
                    wanted.append(("表单要素：\(element.label)（\(element.role)）", provider))
                }
            }
            for material in matter.content.materials where material.licenceTypeCode == nil {
                if let provider = holder(material.heldBy, material.catalogItems) {
                    wanted.append(("申请材料：\(material.name)", provider))
                }
            }
            for (data, provider) in wanted where provider.id != matter.departmentID && asked.insert(data).inserted {
                let draft = DemandDraft(
                    scenario: "政务服务事项：\(matter.name)（\(matter.implementationCode)）", requestedData: data,
                    expectedProviderID: provider.id,
                    purpose: "办理“\(matter.name)”时由共享数据代替申请人填报或提交", basis: matter.content.legalBasis,
                    matterCode: matter.implementationCode)
                raised.append(
                    try await store.lists.createDemand(try draft.validated(), departmentID: matter.departmentID).number)
            }
        }
        return raised
    }

    // MARK: Joint services (一件事)

    /// Composes or changes a joint service led by `leadDepartmentID` (the user's department unless the operator
    /// names another). Every matter must exist; the application system, if named, must be the lead department's.
    public func saveJointService(_ draft: JointServiceDraft, leadDepartmentID: Int64? = nil, by user: User)
        async throws -> JointServiceView
    {
        let existing = try await store.matters.jointService(
            code: draft.code.trimmingCharacters(in: .whitespaces).uppercased())
        let lead = existing?.leadDepartmentID ?? leadDepartmentID ?? user.departmentID
        try AccessPolicy.require(user, .mattersManageJointServices, department: lead)
        guard try await store.departments.find(id: lead) != nil else {
            throw ValidationError(
                field: "leadDepartmentID", BilingualText(zh: "没有这个部门", en: "there is no such department"))
        }
        let content = try draft.validated()
        let found = try await store.matters.matters(codes: content.matterCodes)
        let missing = content.matterCodes.filter { code in !found.contains { $0.implementationCode == code } }
        if !missing.isEmpty {
            throw ValidationError(
                field: "matterCodes",
                BilingualText(
                    zh: "没有这些事项：\(missing.joined(separator: "、"))",
                    en: "no such matters: \(missing.joined(separator: ", "))"))
        }
        if let systemID = content.applicationSystemID {
            guard let system = try await store.applicationSystems.find(id: systemID), system.departmentID == lead else {
                throw ValidationError(
                    field: "applicationSystemID",
                    BilingualText(zh: "受理系统须为牵头部门的应用系统", en: "the application system must be the lead department's"))
            }
        }
        // A decision must answer a conflict of dictionaries the merge finds; anything else is a mistake to say.
        let merged = FormMerger.merge(found.map(\.content))
        let decidable = Set(merged.fields.filter { $0.conflicts.contains { $0.kind == .dictionary } }.map(\.id))
        let stray = content.resolutions.keys.filter { !decidable.contains($0) }.sorted()
        if !stray.isEmpty {
            throw ValidationError(
                field: "resolutions",
                BilingualText(
                    zh: "这些字段没有需要人工确定的字典冲突：\(stray.joined(separator: "、"))",
                    en: "these fields have no dictionary conflict to decide: \(stray.joined(separator: ", "))"))
        }
        let service = try await store.matters.saveJointService(content, leadDepartmentID: lead)
        try await record(
            AuditEvent(
                action: .jointServiceSaved, userID: user.id, providerDepartmentID: lead, resourceCode: service.code,
                outcome: .allowed, detail: ["matters": String(content.matterCodes.count)]))
        return try await view(service)
    }

    /// Every joint service, read with one set of lookups (departments, licence types, legal bases) and each
    /// system's grants of an entry read once, however many services share them.
    public func jointServices() async throws -> [JointServiceView] {
        let lookups = try await Lookups.load(store)
        var grants: [String: [Grant]] = [:]
        var views: [JointServiceView] = []
        for service in try await store.matters.listJointServices() {
            views.append(try await view(service, lookups: lookups, grants: &grants))
        }
        return views
    }

    public func jointService(code: String) async throws -> JointServiceView {
        guard let service = try await store.matters.jointService(code: code.uppercased()) else {
            throw StoreError.notFound(entity: "joint service", key: code)
        }
        return try await view(service)
    }

    /// What the merged form would be for these matters, before anything is saved (the builder's preview): for an
    /// officer who may compose joint services, reading through an accepting system of their own department (any,
    /// for the operator).
    public func preview(_ draft: JointServiceDraft, by user: User) async throws -> MergedForm {
        try AccessPolicy.require(user, .mattersManageJointServices)
        let codes = draft.matterCodes.map { $0.trimmingCharacters(in: .whitespaces).uppercased() }.uniqued()
        guard codes.count <= JointServiceDraft.matterLimit else {
            throw ValidationError(
                field: "matterCodes",
                BilingualText(
                    zh: "一件事至多包含 \(JointServiceDraft.matterLimit) 个事项",
                    en: "a joint service joins at most \(JointServiceDraft.matterLimit) matters"))
        }
        let matters = try await store.matters.matters(codes: codes)
        let missing = codes.filter { code in !matters.contains { $0.implementationCode == code } }
        if !missing.isEmpty {
            throw ValidationError(
                field: "matterCodes",
                BilingualText(
                    zh: "没有这些事项：\(missing.joined(separator: "、"))",
                    en: "no such matters: \(missing.joined(separator: ", "))"))
        }
        var system: ApplicationSystem?
        if let id = draft.applicationSystemID {
            guard let found = try await store.applicationSystems.find(id: id),
                AccessPolicy.allows(user, .mattersManageJointServices, department: found.departmentID)
                    && (found.departmentID == user.departmentID
                        || AccessPolicy.reachesEveryDepartment(
                            user, .mattersManageJointServices))
            else {
                throw ValidationError(
                    field: "applicationSystemID",
                    BilingualText(zh: "只能选择本部门的应用系统", en: "choose one of your department's application systems"))
            }
            system = found
        }
        var grants: [String: [Grant]] = [:]
        let availability = try await self.availability(
            for: matters.map(\.content), system: system, leadDepartmentID: system?.departmentID ?? user.departmentID,
            lookups: try await Lookups.load(store), grants: &grants)
        return FormMerger.merge(matters.map(\.content), availability: availability, resolutions: draft.resolutions)
    }

    public func deleteJointService(code: String, by user: User) async throws {
        let view = try await jointService(code: code)
        try AccessPolicy.require(user, .mattersManageJointServices, department: view.service.leadDepartmentID)
        try await store.matters.deleteJointService(code: view.service.code)
        try await record(
            AuditEvent(
                action: .jointServiceDeleted, userID: user.id, providerDepartmentID: view.service.leadDepartmentID,
                resourceCode: view.service.code, outcome: .allowed))
    }

    func view(_ service: JointService) async throws -> JointServiceView {
        var grants: [String: [Grant]] = [:]
        return try await view(service, lookups: try await Lookups.load(store), grants: &grants)
    }

    /// What a view reads once however many services it shows.
    struct Lookups: Sendable {
        var departments: [Int64: String]
        var licenceEntries: [Int64: LicenceType]
        var legalBases: [LicenceConsent]

        static func load(_ store: Store) async throws -> Lookups {
            var licenceEntries: [Int64: LicenceType] = [:]
            for stored in try await store.licences.types() {
                if let entryID = stored.catalogEntryID { licenceEntries[entryID] = stored.type }
            }
            return Lookups(
                departments: Dictionary(
                    uniqueKeysWithValues: try await store.departments.list().map { ($0.id, $0.name) }),
                licenceEntries: licenceEntries, legalBases: try await store.licences.legalBases())
        }
    }

    func view(_ service: JointService, lookups: Lookups, grants: inout [String: [Grant]]) async throws
        -> JointServiceView
    {
        let matters = try await store.matters.matters(codes: service.content.matterCodes)
        let departments = lookups.departments
        let system =
            try await service.content.applicationSystemID.asyncMap {
                try await store.applicationSystems.find(id: $0)
            } ?? nil
        let availability = try await availability(
            for: matters.map(\.content), system: system, leadDepartmentID: service.leadDepartmentID, lookups: lookups,
            grants: &grants)
        return JointServiceView(
            service: service, leadDepartmentName: departments[service.leadDepartmentID] ?? "",
            matters: matters.map {
                JointServiceView.MatterSummary(
                    implementationCode: $0.implementationCode, name: $0.name,
                    departmentName: departments[$0.departmentID] ?? "", elements: $0.content.elements.count,
                    materials: $0.content.materials.count)
            },
            form: FormMerger.merge(
                matters.map(\.content), availability: availability, resolutions: service.content.resolutions))
    }

    /// What the joint service can draw on. Catalog items: those its accepting system may read now under a grant in
    /// force, whole or (when the grant masks them) masked. Licences: types for which a legal basis lets the lead
    /// department use every holder's licences for one of the matters (a holder's own consent, given at application
    /// time, is honoured by prefill but cannot be counted on in advance); the items of such a type's catalog entry
    /// are read from the holder's licence. Items of base libraries (基础信息资源) and licences are authoritative.
    func availability(
        for matters: [MatterDraft], system: ApplicationSystem?, leadDepartmentID: Int64, lookups: Lookups,
        grants memo: inout [String: [Grant]]
    ) async throws -> SharedDataAvailability {
        let now = Date()
        let matterCodes = Set(matters.map(\.implementationCode))
        let usable = Set(
            lookups.legalBases.filter {
                $0.isInForce(at: now) && $0.granteeDepartmentID == leadDepartmentID && matterCodes.contains($0.matter)
            }.map(\.typeCode))
        var availability = SharedDataAvailability()
        availability.licenceTypes = usable.intersection(matters.flatMap { $0.materials.compactMap(\.licenceTypeCode) })
        let references = Set(
            matters.flatMap { $0.elements.compactMap(\.catalogItem) + $0.materials.flatMap(\.catalogItems) })
        let entries = try await store.catalog.entries(codes: Set(references.map(\.resourceCode)).sorted())
        let licenceEntries = lookups.licenceEntries
        for (code, entry) in entries where entry.status == .published {
            let wanted = references.filter { $0.resourceCode == code }
            let authoritative = entry.code.segments.category == "1" || licenceEntries[entry.id] != nil
            var whole = Set<String>()
            var masked = Set<String>()
            if let type = licenceEntries[entry.id] {
                if usable.contains(type.typeCode) { whole = Set(entry.content.items.map(\.columnName)) }
            } else if let system {
                let key = "\(system.id)|\(entry.code.text)"
                if memo[key] == nil { memo[key] = try await grants(of: system, for: entry, at: now) }
                for grant in memo[key] ?? [] {
                    for item in grant.items {
                        if (grant.masking[item] ?? MaskingRule.none) == MaskingRule.none {
                            whole.insert(item)
                        } else {
                            masked.insert(item)
                        }
                    }
                }
            }
            for reference in wanted {
                if whole.contains(reference.column) {
                    availability.items.insert(reference)
                    if authoritative { availability.authoritativeItems.insert(reference) }
                } else if masked.contains(reference.column) {
                    availability.maskedItems.insert(reference)
                }
            }
        }
        return availability
    }

    /// Licence types filed in the catalog, by their entry's id.
    func licenceTypeEntries() async throws -> [Int64: LicenceType] {
        var result: [Int64: LicenceType] = [:]
        for stored in try await store.licences.types() {
            if let entryID = stored.catalogEntryID { result[entryID] = stored.type }
        }
        return result
    }

    /// The system's grants of the entry that let it call by key now.
    func grants(of system: ApplicationSystem, for entry: CatalogEntry, at now: Date) async throws -> [Grant] {
        var found: [Grant] = []
        for reference in try await store.grants.activeGrantReferences(
            consumerDepartmentID: system.departmentID, resourceCode: entry.code.text, on: CalendarDate(now))
        {
            if let grant = try await store.grants.find(reference: reference),
                grant.check(system: system, items: [], channel: .api, at: now) == .allowed
            {
                found.append(grant)
            }
        }
        return found
    }

    func record(_ event: AuditEvent) async throws {
        _ = try await audit.log.append(event)
    }
}

/// Checks a matter's links against the store: each catalog item must be an item of an existing entry, each licence
/// type registered. Loaded once for a whole import.
struct ReferenceCheck {
    var entries: [String: CatalogEntry]
    var licenceTypes: Set<String>

    static func load(_ matters: [MatterDraft], store: Store) async throws -> ReferenceCheck {
        let codes = Set(
            matters.flatMap { $0.elements.compactMap(\.catalogItem) + $0.materials.flatMap(\.catalogItems) }.map(
                \.resourceCode))
        var types = Set<String>()
        for code in Set(matters.flatMap { $0.materials.compactMap(\.licenceTypeCode) })
        where try await store.licences.type(code: code) != nil {
            types.insert(code)
        }
        return ReferenceCheck(entries: try await store.catalog.entries(codes: codes.sorted()), licenceTypes: types)
    }

    func problems(in matter: MatterDraft, departments: [Department]) -> [FieldIssue] {
        var issues = ValidationCollector()
        func checkHolder(_ heldBy: String?, _ field: String) {
            guard let heldBy, MatterUseCases.department(named: heldBy, in: departments) == nil else { return }
            issues.add(
                field,
                BilingualText(
                    zh: "没有名称或代码为“\(heldBy)”的部门", en: "no department is named or coded \"\(heldBy)\""))
        }
        func check(_ reference: ItemReference, _ field: String) {
            guard let entry = entries[reference.resourceCode] else {
                issues.add(
                    field,
                    BilingualText(
                        zh: "目录中没有资源 \(reference.resourceCode)",
                        en: "the catalog has no resource \(reference.resourceCode)"))
                return
            }
            if !entry.content.items.contains(where: { $0.columnName == reference.column }) {
                issues.add(
                    field,
                    BilingualText(
                        zh: "资源“\(entry.content.name)”没有信息项 \(reference.column)",
                        en: "the resource \(entry.content.name) has no item \(reference.column)"))
            }
        }
        for (index, element) in matter.elements.enumerated() {
            if let item = element.catalogItem { check(item, "elements[\(index)].catalogItems") }
            checkHolder(element.heldBy, "elements[\(index)].heldBy")
        }
        for (index, material) in matter.materials.enumerated() {
            for item in material.catalogItems { check(item, "materials[\(index)].catalogItems") }
            checkHolder(material.heldBy, "materials[\(index)].heldBy")
            if let code = material.licenceTypeCode, !licenceTypes.contains(code) {
                issues.add(
                    "materials[\(index)].licenceTypeCode",
                    BilingualText(zh: "没有证照类型 \(code)", en: "there is no licence type \(code)"))
            }
        }
        return issues.issues
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
