import Foundation

/// 使用用途 of a sharing application (domain.md §3.3, 51号's examples).
public enum ApplicationPurpose: String, LabeledValue {
    case administrativeBasis
    case workReference
    case dataVerification
    case businessCollaboration
    case other

    public var label: BilingualText {
        switch self {
        case .administrativeBasis: BilingualText(zh: "作为行政依据", en: "basis for administrative acts")
        case .workReference: BilingualText(zh: "工作参考", en: "work reference")
        case .dataVerification: BilingualText(zh: "数据校核", en: "data verification")
        case .businessCollaboration: BilingualText(zh: "业务协同", en: "business collaboration")
        case .other: BilingualText(zh: "其他", en: "other")
        }
    }
}

/// How the consumer will take the data: calls through the gateway, or bulk extracts (部门批量下载).
public enum AccessChannel: String, LabeledValue {
    case api
    case bulkExtract

    public var label: BilingualText {
        switch self {
        case .api: BilingualText(zh: "接口调用", en: "API calls")
        case .bulkExtract: BilingualText(zh: "批量下载", en: "bulk extract")
        }
    }
}

/// 共享申请: what a consumer department asks of one catalog entry (domain.md §3.3). The consumer writes this; the
/// platform adds the numbers, parties, state and deadline (`SharingApplication`).
public struct ApplicationDraft: Sendable, Hashable, Codable {
    public var entryID: Int64
    /// 信息项子集: column names of the entry's items, the least necessary.
    public var items: [String]
    public var purpose: ApplicationPurpose
    /// What the data is used for, in the consumer's words.
    public var purposeText: String
    /// 履职依据: the law, regulation or mandate that makes the consumer need the data.
    public var legalBasis: String
    /// 应用场景 / 关联事项: the scenario or government service matter.
    public var scenario: String
    /// The consumer's application systems that will call; empty means any of the department's systems.
    public var systemIDs: [Int64]
    public var channel: AccessChannel
    public var validFrom: CalendarDate
    public var validTo: CalendarDate
    /// 预计调用量, calls per day.
    public var expectedDailyCalls: Int

    public init(
        entryID: Int64, items: [String], purpose: ApplicationPurpose, purposeText: String, legalBasis: String,
        scenario: String, systemIDs: [Int64] = [], channel: AccessChannel = .api, validFrom: CalendarDate,
        validTo: CalendarDate, expectedDailyCalls: Int
    ) {
        self.entryID = entryID
        self.items = items
        self.purpose = purpose
        self.purposeText = purposeText
        self.legalBasis = legalBasis
        self.scenario = scenario
        self.systemIDs = systemIDs
        self.channel = channel
        self.validFrom = validFrom
        self.validTo = validTo
        self.expectedDailyCalls = expectedDailyCalls
    }

    /// The most calls a day anyone may ask for; more is a typing error, not a need.
    public static let maximumDailyCalls = 10_000_000

    /// Checks the fields that need nothing but the draft itself; `today` bounds the period.
    public func validated(today: CalendarDate, maximumPeriodDays: Int) throws(ValidationError) -> ApplicationDraft {
        var issues = ValidationCollector()
        var result = self
        result.items = items.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        result.purposeText = CatalogEntryContent.clean(purposeText)
        result.legalBasis = CatalogEntryContent.clean(legalBasis)
        result.scenario = CatalogEntryContent.clean(scenario)
        result.systemIDs = Array(Set(systemIDs)).sorted()
        if result.items.isEmpty {
            issues.add("items", BilingualText(zh: "请至少选择一个信息项", en: "choose at least one data item"))
        } else if Set(result.items).count != result.items.count {
            issues.add("items", BilingualText(zh: "信息项有重复", en: "an item is listed twice"))
        }
        if result.purposeText.isEmpty || result.purposeText.count > 1000 {
            issues.add(
                "purposeText", BilingualText(zh: "须说明具体用途（1–1000 字）", en: "describe the purpose (1–1000 characters)"))
        }
        if result.legalBasis.isEmpty || result.legalBasis.count > 1000 {
            issues.add(
                "legalBasis",
                BilingualText(zh: "须写明履职依据（1–1000 字）", en: "the legal basis is required (1–1000 characters)"))
        }
        if result.scenario.isEmpty || result.scenario.count > 500 {
            issues.add(
                "scenario",
                BilingualText(
                    zh: "须写明应用场景或政务服务事项（1–500 字）", en: "name the scenario or service matter (1–500 characters)"))
        }
        if validTo < validFrom {
            issues.add("validTo", BilingualText(zh: "使用期限的结束日期早于开始日期", en: "the period ends before it starts"))
        } else if validTo < today {
            issues.add("validTo", BilingualText(zh: "使用期限已过", en: "the period is already over"))
        } else if validTo.dayNumber - validFrom.dayNumber + 1 > maximumPeriodDays {
            issues.add(
                "validTo",
                BilingualText(
                    zh: "使用期限不能超过 \(maximumPeriodDays) 天，到期可重新申请",
                    en: "the period cannot exceed \(maximumPeriodDays) days; apply again when it ends"))
        }
        if !(1...Self.maximumDailyCalls).contains(expectedDailyCalls) {
            issues.add(
                "expectedDailyCalls",
                BilingualText(
                    zh: "预计日调用量须在 1–\(Self.maximumDailyCalls) 之间",
                    en: "expected calls per day must be 1–\(Self.maximumDailyCalls)"))
        }
        try issues.throwIfAny()
        return result
    }

    /// Checks the draft against the entry it asks for and the negative list: only published entries of another
    /// department, only existing items, and nothing that may not be shared (the error cites the negative-list row).
    public func checkEligible(
        entry: CatalogEntry, consumerDepartmentID: Int64, negativeList: [NegativeListRow]
    ) throws(ValidationError) {
        var issues = ValidationCollector()
        if entry.status != .published {
            issues.add(
                "entryID",
                BilingualText(
                    zh: "只能申请已发布的目录（该目录处于“\(entry.status.label.zh)”状态）",
                    en: "only published entries can be requested (this one is \(entry.status.label.en))"))
        }
        if entry.provider.departmentID == consumerDepartmentID {
            issues.add(
                "entryID",
                BilingualText(
                    zh: "不能申请本部门的目录，本部门数据无须共享申请", en: "a department does not apply for its own entries"))
        }
        let rows = Dictionary(negativeList.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        if entry.content.shareType == .notShared {
            issues.add(
                "entryID",
                Self.refusedByNegativeList(
                    what: BilingualText(zh: "目录“\(entry.content.name)”", en: "entry \(entry.code.text)"),
                    row: entry.content.negativeListID.flatMap { rows[$0] }))
        } else if let row = entry.content.negativeListID.flatMap({ rows[$0] }), row.content.kind == .notShared {
            issues.add(
                "entryID",
                Self.refusedByNegativeList(
                    what: BilingualText(zh: "目录“\(entry.content.name)”", en: "entry \(entry.code.text)"), row: row))
        }
        let byColumn = Dictionary(
            entry.content.items.map { ($0.columnName, $0) }, uniquingKeysWith: { first, _ in first })
        let listed = negativeList.filter { $0.departmentID == entry.provider.departmentID }
        for (index, column) in items.enumerated() {
            let field = "items[\(index)]"
            guard let item = byColumn[column] else {
                issues.add(
                    field,
                    BilingualText(
                        zh: "目录中没有信息项 \(column)", en: "the entry has no data item \(column)"))
                continue
            }
            let what = BilingualText(zh: "信息项“\(item.name)”（\(column)）", en: "data item \(column)")
            let cited = item.negativeListID.flatMap { rows[$0] }
            if item.shareType == .notShared {
                issues.add(field, Self.refusedByNegativeList(what: what, row: cited))
            } else if let cited, cited.content.kind == .notShared {
                issues.add(field, Self.refusedByNegativeList(what: what, row: cited))
            } else if let row = listed.first(where: { $0.covers(item: item, of: entry) }) {
                issues.add(field, Self.refusedByNegativeList(what: what, row: row))
            }
        }
        try issues.throwIfAny()
    }

    static func refusedByNegativeList(what: BilingualText, row: NegativeListRow?) -> BilingualText {
        guard let row else {
            return BilingualText(zh: "\(what.zh)不予共享", en: "\(what.en) is not shared")
        }
        return BilingualText(
            zh: "\(what.zh)列入负面清单第 \(row.id) 条，不予共享（理由：\(row.content.reason)；依据：\(row.content.legalBasis)）",
            en:
                "\(what.en) is not shared: negative-list row \(row.id) (reason: \(row.content.reason); legal basis: \(row.content.legalBasis))"
        )
    }
}

extension NegativeListRow {
    /// Whether this 不予共享 row names `item` of `entry` by text: the row's resource is the entry's code or name,
    /// and its items are empty (the whole resource), say 全部, or list the item's name or column name.
    public func covers(item: InfoItem, of entry: CatalogEntry) -> Bool {
        guard content.kind == .notShared else { return false }
        let resource = content.resource.trimmingCharacters(in: .whitespacesAndNewlines)
        guard resource == entry.code.text || resource == entry.content.name else { return false }
        let listed = content.items.trimmingCharacters(in: .whitespacesAndNewlines)
        if listed.isEmpty || listed.hasPrefix("全部") { return true }
        let separators = CharacterSet(charactersIn: "、,，;；/ \n\t")
        let names = Set(listed.components(separatedBy: separators).filter { !$0.isEmpty })
        return names.contains(item.name) || names.contains(item.columnName)
    }
}

/// Where an application stands (domain.md §3.4).
public enum ApplicationState: String, LabeledValue {
    case draft
    case submitted
    case complianceReview
    case providerReview
    case approved
    case partiallyApproved
    case rejected
    case returnedForInfo
    case coordination
    case resolvedApproved
    case resolvedRejected
    /// Taken back by the applicant before a decision.
    case withdrawn

    public var label: BilingualText {
        switch self {
        case .draft: BilingualText(zh: "草稿", en: "draft")
        case .submitted: BilingualText(zh: "已提交", en: "submitted")
        case .complianceReview: BilingualText(zh: "符合性审查中", en: "in compliance review")
        case .providerReview: BilingualText(zh: "提供部门审核中", en: "in provider review")
        case .approved: BilingualText(zh: "已同意", en: "approved")
        case .partiallyApproved: BilingualText(zh: "部分同意", en: "partly approved")
        case .rejected: BilingualText(zh: "不同意", en: "refused")
        case .returnedForInfo: BilingualText(zh: "退回补充材料", en: "returned for information")
        case .coordination: BilingualText(zh: "协调中", en: "in coordination")
        case .resolvedApproved: BilingualText(zh: "协调后同意", en: "approved after coordination")
        case .resolvedRejected: BilingualText(zh: "协调后不同意", en: "refused after coordination")
        case .withdrawn: BilingualText(zh: "已撤回", en: "withdrawn")
        }
    }

    /// States in which the application has been decided for good and yields a grant.
    public var isGranted: Bool { self == .approved || self == .partiallyApproved || self == .resolvedApproved }

    /// States that run against a working-day time limit.
    public var hasDeadline: Bool { self == .complianceReview || self == .providerReview || self == .coordination }
}

/// 不予共享理由 (domain.md §3.5). Two of them are not refusals at all: asking for more than necessary is answered
/// by approving the necessary part, and missing materials by returning the application.
public enum RefusalReason: String, LabeledValue {
    case outsideDuties
    case purposeUnclear
    case beyondNecessary
    case prohibitedByLaw
    case secret
    case notOurData
    case incompleteMaterials
    case insufficientSecurity

    public var label: BilingualText {
        switch self {
        case .outsideDuties: BilingualText(zh: "超出申请方履职范围/无法定依据", en: "outside the consumer's duties or no legal basis")
        case .purposeUnclear: BilingualText(zh: "用途不明确或与职责不符", en: "purpose unclear or unrelated to duties")
        case .beyondNecessary: BilingualText(zh: "超出最小必要", en: "beyond what is necessary")
        case .prohibitedByLaw: BilingualText(zh: "法律法规禁止提供", en: "prohibited by law")
        case .secret: BilingualText(zh: "属国家秘密/工作秘密", en: "state or work secret")
        case .notOurData: BilingualText(zh: "非本部门数据", en: "not this department's data")
        case .incompleteMaterials: BilingualText(zh: "申请材料不全", en: "incomplete materials")
        case .insufficientSecurity: BilingualText(zh: "安全保障条件不足", en: "insufficient security safeguards")
        }
    }
}

/// The terms a decision grants, when they differ from what was asked. Every field may only narrow the request.
public struct GrantTerms: Sendable, Hashable, Codable {
    /// Column names; nil keeps the requested items.
    public var items: [String]?
    public var validFrom: CalendarDate?
    public var validTo: CalendarDate?
    /// Calls per day; nil keeps the expected volume.
    public var dailyQuota: Int?
    /// Requests per second; nil takes the platform default.
    public var rateLimit: Int?
    /// Rows limited to a region: `true` derives the prefix from the consumer's region code.
    public var rowFilter: RowFilterChoice?
    /// Per-item masking that replaces the default for that item.
    public var masking: [String: MaskingRule]?

    public init(
        items: [String]? = nil, validFrom: CalendarDate? = nil, validTo: CalendarDate? = nil, dailyQuota: Int? = nil,
        rateLimit: Int? = nil, rowFilter: RowFilterChoice? = nil, masking: [String: MaskingRule]? = nil
    ) {
        self.items = items
        self.validFrom = validFrom
        self.validTo = validTo
        self.dailyQuota = dailyQuota
        self.rateLimit = rateLimit
        self.rowFilter = rowFilter
        self.masking = masking
    }

    /// Whether these terms give less than `request` in items, period or quota (what makes a decision partial).
    public func narrows(_ request: ApplicationDraft) -> Bool {
        if let items, Set(items) != Set(request.items) { return true }
        if let validFrom, validFrom > request.validFrom { return true }
        if let validTo, validTo < request.validTo { return true }
        if let dailyQuota, dailyQuota < request.expectedDailyCalls { return true }
        return false
    }

    /// Checks that nothing grants more than `request` asked for; the errors name the fields at fault.
    public func check(against request: ApplicationDraft, maximumRateLimit: Int) throws(ValidationError) {
        var issues = ValidationCollector()
        if let items {
            if items.isEmpty {
                issues.add(
                    "terms.items",
                    BilingualText(
                        zh: "同意的信息项不能为空；全部不同意请选择“不同意”", en: "grant at least one item, or refuse the application"))
            }
            let asked = Set(request.items)
            for item in items where !asked.contains(item) {
                issues.add(
                    "terms.items",
                    BilingualText(zh: "信息项 \(item) 不在申请范围内", en: "item \(item) was not requested"))
            }
            if Set(items).count != items.count {
                issues.add("terms.items", BilingualText(zh: "信息项有重复", en: "an item is listed twice"))
            }
        }
        let from = validFrom ?? request.validFrom
        let to = validTo ?? request.validTo
        if from < request.validFrom {
            issues.add(
                "terms.validFrom", BilingualText(zh: "不能早于申请的开始日期", en: "cannot start before the requested period"))
        }
        if to > request.validTo {
            issues.add(
                "terms.validTo", BilingualText(zh: "不能晚于申请的结束日期", en: "cannot end after the requested period"))
        }
        if to < from {
            issues.add("terms.validTo", BilingualText(zh: "结束日期早于开始日期", en: "the period ends before it starts"))
        }
        if let dailyQuota, !(1...request.expectedDailyCalls).contains(dailyQuota) {
            issues.add(
                "terms.dailyQuota",
                BilingualText(
                    zh: "日调用限额须在 1–\(request.expectedDailyCalls)（申请量）之间",
                    en: "the daily quota must be 1–\(request.expectedDailyCalls) (the requested volume)"))
        }
        if let rateLimit, !(1...maximumRateLimit).contains(rateLimit) {
            issues.add(
                "terms.rateLimit",
                BilingualText(
                    zh: "每秒请求上限须在 1–\(maximumRateLimit) 之间",
                    en: "the rate limit must be 1–\(maximumRateLimit) requests per second"))
        }
        let granted = Set(items ?? request.items)
        for column in (masking ?? [:]).keys.sorted() where !granted.contains(column) {
            issues.add(
                "terms.masking.\(column)",
                BilingualText(zh: "脱敏规则针对的信息项 \(column) 未被授权", en: "masking names item \(column), which is not granted")
            )
        }
        try issues.throwIfAny()
    }
}

/// How a decision limits rows by region.
public enum RowFilterChoice: Sendable, Hashable, Codable {
    /// The consumer's own jurisdiction, on the entry's region-code item.
    case consumerRegion
    /// An explicit filter.
    case custom(RowFilter)
}

/// What a provider (or the operator, in coordination) decides.
public enum DecisionKind: String, LabeledValue {
    case approve
    case approvePartially
    case refuse
    case returnForInfo

    public var label: BilingualText {
        switch self {
        case .approve: BilingualText(zh: "同意", en: "approve")
        case .approvePartially: BilingualText(zh: "部分同意", en: "approve in part")
        case .refuse: BilingualText(zh: "不同意", en: "refuse")
        case .returnForInfo: BilingualText(zh: "退回补充材料", en: "return for information")
        }
    }
}

/// The provider's answer to an application.
public struct ProviderDecision: Sendable, Hashable, Codable {
    public var kind: DecisionKind
    /// Mandatory for a refusal and a return; optional otherwise.
    public var comment: String
    public var refusalReason: RefusalReason?
    public var terms: GrantTerms

    public init(
        kind: DecisionKind, comment: String = "", refusalReason: RefusalReason? = nil, terms: GrantTerms = .init()
    ) {
        self.kind = kind
        self.comment = comment
        self.refusalReason = refusalReason
        self.terms = terms
    }

    /// Checks the decision against the application it answers and returns it with its comment tidied.
    public func validated(for request: ApplicationDraft, maximumRateLimit: Int) throws(ValidationError)
        -> ProviderDecision
    {
        var result = self
        result.comment = CatalogEntryContent.clean(comment)
        var issues = ValidationCollector()
        if result.comment.count > 2000 {
            issues.add("comment", BilingualText(zh: "意见不能超过 2000 字", en: "the comment is too long"))
        }
        switch kind {
        case .refuse:
            if result.comment.isEmpty {
                issues.add(
                    "comment", BilingualText(zh: "不同意须说明具体理由", en: "a refusal must explain its reason in words"))
            }
            switch refusalReason {
            case nil:
                issues.add(
                    "refusalReason",
                    // The choices are the form's list and the contract's enumeration; a message names none of their codes.
                    BilingualText(zh: "请选择不同意的理由", en: "choose a reason for the refusal"))
            case .beyondNecessary:
                issues.add(
                    "refusalReason",
                    BilingualText(
                        zh: "超出最小必要时应部分同意：只同意必要的信息项、期限或调用量",
                        en: "when more is asked than necessary, approve the necessary part instead"))
            case .incompleteMaterials:
                issues.add(
                    "refusalReason",
                    BilingualText(
                        zh: "申请材料不全时应退回补充材料，而不是不同意", en: "return the application for information instead"))
            default:
                break
            }
            if terms != GrantTerms() {
                issues.add("terms", BilingualText(zh: "不同意时不设授权条件", en: "a refusal grants nothing"))
            }
        case .returnForInfo:
            if result.comment.isEmpty {
                issues.add(
                    "comment", BilingualText(zh: "退回须说明需补充的内容", en: "say what information is missing"))
            }
            if terms != GrantTerms() {
                issues.add("terms", BilingualText(zh: "退回时不设授权条件", en: "a return grants nothing"))
            }
        case .approve, .approvePartially:
            if refusalReason != nil {
                issues.add("refusalReason", BilingualText(zh: "同意时不填不同意理由", en: "an approval has no refusal reason"))
            }
            do {
                try terms.check(against: request, maximumRateLimit: maximumRateLimit)
            } catch {
                for issue in error.issues {
                    issues.add(issue.field, BilingualText(zh: issue.message, en: issue.message))
                }
            }
            let narrower = terms.narrows(request)
            if kind == .approve && narrower {
                issues.add(
                    "kind",
                    BilingualText(
                        zh: "减少了信息项、期限或调用量，应选择“部分同意”",
                        en: "fewer items, a shorter period or a lower quota is a partial approval"))
            } else if kind == .approvePartially && !narrower {
                issues.add(
                    "terms",
                    BilingualText(
                        zh: "部分同意须减少信息项、缩短期限或降低调用量",
                        en: "a partial approval must grant fewer items, a shorter period or a lower quota"))
            }
        }
        try issues.throwIfAny()
        return result
    }
}

/// A sharing application as the platform keeps it.
public struct SharingApplication: Sendable, Hashable, Codable, Identifiable {
    public var id: Int64
    /// 申请编号, e.g. `SQ-2026-0001`.
    public var number: String
    public var consumerDepartmentID: Int64
    public var applicantID: Int64?
    public var applicantName: String
    public var providerDepartmentID: Int64
    public var resourceCode: String
    public var content: ApplicationDraft
    public var state: ApplicationState
    /// When the current step's time limit runs out; nil in states without one.
    public var deadline: Date?
    /// The latest decision of the provider or the coordinating operator.
    public var decision: ProviderDecision?
    public var grantID: Int64?
    public var submittedAt: Date?
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: Int64, number: String, consumerDepartmentID: Int64, applicantID: Int64?, applicantName: String,
        providerDepartmentID: Int64, resourceCode: String, content: ApplicationDraft, state: ApplicationState,
        deadline: Date?, decision: ProviderDecision?, grantID: Int64?, submittedAt: Date?, createdAt: Date,
        updatedAt: Date
    ) {
        self.id = id
        self.number = number
        self.consumerDepartmentID = consumerDepartmentID
        self.applicantID = applicantID
        self.applicantName = applicantName
        self.providerDepartmentID = providerDepartmentID
        self.resourceCode = resourceCode
        self.content = content
        self.state = state
        self.deadline = deadline
        self.decision = decision
        self.grantID = grantID
        self.submittedAt = submittedAt
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// Whether the current step's time limit has run out at `now`.
    public func isOverdue(at now: Date) -> Bool {
        guard state.hasDeadline, let deadline else { return false }
        return now >= deadline
    }
}

/// One line of an application's history: who moved it from which state to which, when, and why.
public struct ApplicationEvent: Sendable, Hashable, Codable {
    public var action: ApplicationAction
    public var from: ApplicationState?
    public var to: ApplicationState
    public var actorID: Int64?
    public var actorName: String
    public var comment: String
    public var at: Date

    public init(
        action: ApplicationAction, from: ApplicationState?, to: ApplicationState, actorID: Int64?, actorName: String,
        comment: String, at: Date
    ) {
        self.action = action
        self.from = from
        self.to = to
        self.actorID = actorID
        self.actorName = actorName
        self.comment = comment
        self.at = at
    }
}
