import Foundation

/// A row a department keeps on one of the lists: its content, and who keeps it.
public struct DepartmentRow<Content: Sendable & Hashable & Codable>: Sendable, Hashable, Codable, Identifiable {
    public var id: Int64
    public var departmentID: Int64
    public var content: Content
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: Int64, departmentID: Int64, content: Content, createdAt: Date, updatedAt: Date) {
        self.id = id
        self.departmentID = departmentID
        self.content = content
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// 负面清单 row (domain.md §2): data that will not be shared or opened, and the law that says so.
public typealias NegativeListRow = DepartmentRow<NegativeListDraft>

/// 责任清单 row: a resource a department has promised to supply.
public typealias ResponsibilityRow = DepartmentRow<ResponsibilityDraft>

public enum NegativeListKind: String, LabeledValue {
    case notShared
    case notOpened

    public var label: BilingualText {
        switch self {
        case .notShared: BilingualText(zh: "不予共享", en: "not shared")
        case .notOpened: BilingualText(zh: "不予开放", en: "not opened")
        }
    }
}

public struct NegativeListDraft: Sendable, Hashable, Codable {
    public var kind: NegativeListKind
    /// 目录代码 or resource name the row covers.
    public var resource: String
    /// 信息项 names, when the row covers items rather than a whole resource.
    public var items: String
    public var reason: String
    /// 法律依据: law or regulation name and article. Mandatory (国发〔2016〕51号 第九条).
    public var legalBasis: String
    public var reviewer: String
    /// 复核日期: when the row must be reviewed again.
    public var reviewBy: CalendarDate?

    public init(
        kind: NegativeListKind, resource: String, items: String = "", reason: String, legalBasis: String,
        reviewer: String = "", reviewBy: CalendarDate? = nil
    ) {
        self.kind = kind
        self.resource = resource
        self.items = items
        self.reason = reason
        self.legalBasis = legalBasis
        self.reviewer = reviewer
        self.reviewBy = reviewBy
    }

    public func validated() throws(ValidationError) -> NegativeListDraft {
        var issues = ValidationCollector()
        var result = self
        result.resource = CatalogEntryContent.clean(resource)
        result.items = CatalogEntryContent.clean(items)
        result.reason = CatalogEntryContent.clean(reason)
        result.legalBasis = CatalogEntryContent.clean(legalBasis)
        result.reviewer = CatalogEntryContent.clean(reviewer)
        if result.resource.isEmpty {
            issues.add("resource", BilingualText(zh: "须写明涉及的资源", en: "name the resource concerned"))
        }
        if result.reason.isEmpty {
            issues.add("reason", BilingualText(zh: "须写明理由", en: "a reason is required"))
        }
        if result.legalBasis.isEmpty {
            issues.add("legalBasis", Self.legalBasisRequired)
        }
        try issues.throwIfAny()
        return result
    }

    public static let legalBasisRequired = BilingualText(
        zh: "负面清单须载明法律、行政法规或党中央、国务院政策依据",
        en: "a negative-list row must cite a law, administrative regulation or central policy")
}

public struct ResponsibilityDraft: Sendable, Hashable, Codable {
    /// 职责/事项依据: the function or service matter that makes the department responsible.
    public var basis: String
    public var resourceName: String
    /// The catalog entry that fulfils the promise, once there is one.
    public var entryID: Int64?
    public var items: String
    public var shareType: ShareType
    public var openness: Openness
    public var updateCycle: UpdateCycle
    public var channel: ShareChannel
    public var office: String
    public var contact: String
    public var dueBy: CalendarDate?

    public init(
        basis: String, resourceName: String, entryID: Int64? = nil, items: String = "",
        shareType: ShareType = .conditional, openness: Openness = .closed, updateCycle: UpdateCycle = .irregular,
        channel: ShareChannel = .interface, office: String = "", contact: String = "", dueBy: CalendarDate? = nil
    ) {
        self.basis = basis
        self.resourceName = resourceName
        self.entryID = entryID
        self.items = items
        self.shareType = shareType
        self.openness = openness
        self.updateCycle = updateCycle
        self.channel = channel
        self.office = office
        self.contact = contact
        self.dueBy = dueBy
    }

    public func validated() throws(ValidationError) -> ResponsibilityDraft {
        var issues = ValidationCollector()
        var result = self
        result.basis = CatalogEntryContent.clean(basis)
        result.resourceName = CatalogEntryContent.clean(resourceName)
        result.items = CatalogEntryContent.clean(items)
        result.office = CatalogEntryContent.clean(office)
        result.contact = CatalogEntryContent.clean(contact)
        if result.basis.isEmpty {
            issues.add("basis", BilingualText(zh: "须写明职责或事项依据", en: "the duty or service basis is required"))
        }
        if result.resourceName.isEmpty || result.resourceName.count > 200 {
            issues.add(
                "resourceName", BilingualText(zh: "资源名称须为 1–200 个字符", en: "resource name must be 1–200 characters"))
        }
        try issues.throwIfAny()
        return result
    }
}

/// 对接状态 of a demand.
public enum DemandStatus: String, LabeledValue {
    case open
    case satisfied
    case partiallySatisfied
    case unsatisfiable

    public var label: BilingualText {
        switch self {
        case .open: BilingualText(zh: "待对接", en: "open")
        case .satisfied: BilingualText(zh: "已满足", en: "satisfied")
        case .partiallySatisfied: BilingualText(zh: "部分满足", en: "partly satisfied")
        case .unsatisfiable: BilingualText(zh: "无法满足", en: "cannot be satisfied")
        }
    }
}

/// 需求清单 row: data a department needs.
public struct DemandRow: Sendable, Hashable, Codable, Identifiable {
    public var id: Int64
    /// 需求编号, e.g. `XQ-2026-0001`.
    public var number: String
    public var departmentID: Int64
    public var content: DemandDraft
    public var status: DemandStatus
    public var entryID: Int64?
    /// 关联申请编号 (sharing applications).
    public var applicationID: Int64?
    /// Why the demand was closed as partly satisfied or unsatisfiable.
    public var closingReason: String?
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: Int64, number: String, departmentID: Int64, content: DemandDraft, status: DemandStatus, entryID: Int64?,
        applicationID: Int64?, closingReason: String?, createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.number = number
        self.departmentID = departmentID
        self.content = content
        self.status = status
        self.entryID = entryID
        self.applicationID = applicationID
        self.closingReason = closingReason
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

public struct DemandDraft: Sendable, Hashable, Codable {
    /// 应用场景 / 政务服务事项.
    public var scenario: String
    /// 所需资源 or 信息项, free text when not yet catalogued.
    public var requestedData: String
    public var expectedProviderID: Int64?
    public var purpose: String
    /// 履职依据.
    public var basis: String
    public var channel: ShareChannel
    public var frequency: UpdateCycle
    public var neededBy: CalendarDate?
    /// The 政务服务事项 (实施编码) the demand serves, when a matter's linkage raised it (数据共享需求标注).
    public var matterCode: String?

    public init(
        scenario: String, requestedData: String, expectedProviderID: Int64? = nil, purpose: String, basis: String,
        channel: ShareChannel = .interface, frequency: UpdateCycle = .irregular, neededBy: CalendarDate? = nil,
        matterCode: String? = nil
    ) {
        self.matterCode = matterCode
        self.scenario = scenario
        self.requestedData = requestedData
        self.expectedProviderID = expectedProviderID
        self.purpose = purpose
        self.basis = basis
        self.channel = channel
        self.frequency = frequency
        self.neededBy = neededBy
    }

    public func validated() throws(ValidationError) -> DemandDraft {
        var issues = ValidationCollector()
        var result = self
        result.scenario = CatalogEntryContent.clean(scenario)
        result.requestedData = CatalogEntryContent.clean(requestedData)
        result.purpose = CatalogEntryContent.clean(purpose)
        result.basis = CatalogEntryContent.clean(basis)
        if result.scenario.isEmpty {
            issues.add("scenario", BilingualText(zh: "须写明应用场景", en: "the scenario is required"))
        }
        if result.requestedData.isEmpty {
            issues.add("requestedData", BilingualText(zh: "须写明所需数据", en: "say which data is needed"))
        }
        if result.purpose.isEmpty {
            issues.add("purpose", BilingualText(zh: "须写明用途", en: "the purpose is required"))
        }
        if result.basis.isEmpty {
            issues.add("basis", BilingualText(zh: "须写明履职依据", en: "the legal or duty basis is required"))
        }
        try issues.throwIfAny()
        return result
    }
}

/// How a demand ends (invariant (c) of domain.md §2): linked to an entry or application, or closed with a reason.
public struct DemandResolution: Sendable, Hashable, Codable {
    public var status: DemandStatus
    public var entryID: Int64?
    public var applicationID: Int64?
    public var reason: String?

    public init(status: DemandStatus, entryID: Int64? = nil, applicationID: Int64? = nil, reason: String? = nil) {
        self.status = status
        self.entryID = entryID
        self.applicationID = applicationID
        self.reason = reason
    }

    public func validated() throws(ValidationError) -> DemandResolution {
        var result = self
        result.reason = reason.map(CatalogEntryContent.clean).flatMap { $0.isEmpty ? nil : $0 }
        let linked = entryID != nil || applicationID != nil
        switch status {
        case .open:
            throw ValidationError(
                field: "status", BilingualText(zh: "请选择对接结果", en: "choose how the demand was resolved"))
        case .satisfied where !linked:
            throw ValidationError(
                field: "entryID",
                BilingualText(
                    zh: "已满足的需求须关联目录或共享申请", en: "a satisfied demand must link a catalog entry or an application"))
        case .partiallySatisfied where !linked || result.reason == nil:
            throw ValidationError(
                field: linked ? "reason" : "entryID",
                BilingualText(
                    zh: "部分满足的需求须关联目录或申请，并说明未满足的部分",
                    en: "a partly satisfied demand needs a linked entry or application and a reason"))
        case .unsatisfiable where result.reason == nil:
            throw ValidationError(
                field: "reason", BilingualText(zh: "无法满足的需求须说明原因", en: "say why the demand cannot be satisfied"))
        default:
            return result
        }
    }
}

/// One department's line of the responsibility-list coverage report.
public struct CoverageLine: Sendable, Hashable, Codable {
    public var departmentID: Int64
    public var departmentName: String
    public var promised: Int
    public var fulfilled: Int
    /// Promised resources with no published entry yet.
    public var missing: [ResponsibilityRow]

    public init(
        departmentID: Int64, departmentName: String, promised: Int, fulfilled: Int, missing: [ResponsibilityRow]
    ) {
        self.departmentID = departmentID
        self.departmentName = departmentName
        self.promised = promised
        self.fulfilled = fulfilled
        self.missing = missing
    }

    public var rate: Double { promised == 0 ? 1 : Double(fulfilled) / Double(promised) }
}

/// 信息系统: a department's information system that data comes from.
public struct InformationSystem: Sendable, Hashable, Codable, Identifiable {
    public var id: Int64
    public var departmentID: Int64
    public var name: String
    public var description: String
    public var status: SystemStatus
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: Int64, departmentID: Int64, name: String, description: String, status: SystemStatus, createdAt: Date,
        updatedAt: Date
    ) {
        self.id = id
        self.departmentID = departmentID
        self.name = name
        self.description = description
        self.status = status
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

public enum SystemStatus: String, LabeledValue {
    case inUse
    case building
    case retired

    public var label: BilingualText {
        switch self {
        case .inUse: BilingualText(zh: "在用", en: "in use")
        case .building: BilingualText(zh: "在建", en: "being built")
        case .retired: BilingualText(zh: "停用", en: "retired")
        }
    }
}

/// 挂接率 of one department: the share of its published entries that have a mounted resource.
public struct MountRate: Sendable, Hashable, Codable {
    public var departmentID: Int64
    public var departmentName: String
    public var published: Int
    public var mounted: Int

    public init(departmentID: Int64, departmentName: String, published: Int, mounted: Int) {
        self.departmentID = departmentID
        self.departmentName = departmentName
        self.published = published
        self.mounted = mounted
    }

    public var rate: Double { published == 0 ? 0 : Double(mounted) / Double(published) }
}
