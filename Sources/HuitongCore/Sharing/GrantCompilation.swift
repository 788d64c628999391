import Foundation

/// A grant before the store numbers it: what an approval compiles to.
public struct GrantDraft: Sendable, Hashable, Codable {
    public var applicationID: Int64
    public var entryID: Int64
    public var resourceCode: String
    public var providerDepartmentID: Int64
    public var consumerDepartmentID: Int64
    public var systemIDs: [Int64]
    public var items: [String]
    public var rowFilter: RowFilter?
    public var masking: [String: MaskingRule]
    public var purpose: ApplicationPurpose
    public var purposeText: String
    public var channel: AccessChannel
    public var rateLimit: Int
    public var dailyQuota: Int
    public var validFrom: CalendarDate
    public var validTo: CalendarDate

    public init(
        applicationID: Int64, entryID: Int64, resourceCode: String, providerDepartmentID: Int64,
        consumerDepartmentID: Int64, systemIDs: [Int64], items: [String], rowFilter: RowFilter?,
        masking: [String: MaskingRule], purpose: ApplicationPurpose, purposeText: String, channel: AccessChannel,
        rateLimit: Int, dailyQuota: Int, validFrom: CalendarDate, validTo: CalendarDate
    ) {
        self.applicationID = applicationID
        self.entryID = entryID
        self.resourceCode = resourceCode
        self.providerDepartmentID = providerDepartmentID
        self.consumerDepartmentID = consumerDepartmentID
        self.systemIDs = systemIDs
        self.items = items
        self.rowFilter = rowFilter
        self.masking = masking
        self.purpose = purpose
        self.purposeText = purposeText
        self.channel = channel
        self.rateLimit = rateLimit
        self.dailyQuota = dailyQuota
        self.validFrom = validFrom
        self.validTo = validTo
    }

    /// Compiles an approved application into its grant: the requested terms narrowed by `terms`, masking by
    /// default from each item's kind of data (overridden per item by `terms.masking`), and the row filter chosen by
    /// the decision. `consumerRegion` is the consumer department's 行政区划代码.
    public static func compile(
        application: SharingApplication, entry: CatalogEntry, consumerRegion: String, terms: GrantTerms,
        defaultRateLimit: Int
    ) throws(ValidationError) -> GrantDraft {
        let request = application.content
        let asked = Set(terms.items ?? request.items)
        let granted = entry.content.items.filter { asked.contains($0.columnName) }
        if granted.count != asked.count {
            let known = Set(entry.content.items.map(\.columnName))
            let missing = asked.subtracting(known).sorted().joined(separator: ", ")
            throw ValidationError(
                field: "terms.items",
                BilingualText(zh: "目录中已没有信息项：\(missing)", en: "the entry no longer has the items: \(missing)"))
        }
        var masking = Grant.defaultMasking(for: granted)
        for (column, rule) in terms.masking ?? [:] {
            if rule == .none { masking.removeValue(forKey: column) } else { masking[column] = rule }
        }
        return GrantDraft(
            applicationID: application.id, entryID: entry.id, resourceCode: entry.code.text,
            providerDepartmentID: entry.provider.departmentID, consumerDepartmentID: application.consumerDepartmentID,
            systemIDs: request.systemIDs, items: granted.map(\.columnName),
            rowFilter: try rowFilter(terms.rowFilter, entry: entry, consumerRegion: consumerRegion), masking: masking,
            purpose: request.purpose, purposeText: request.purposeText, channel: request.channel,
            rateLimit: terms.rateLimit ?? defaultRateLimit, dailyQuota: terms.dailyQuota ?? request.expectedDailyCalls,
            validFrom: terms.validFrom ?? request.validFrom, validTo: terms.validTo ?? request.validTo)
    }

    static func rowFilter(_ choice: RowFilterChoice?, entry: CatalogEntry, consumerRegion: String)
        throws(ValidationError) -> RowFilter?
    {
        switch choice {
        case nil:
            return nil
        case .consumerRegion:
            guard let column = entry.content.items.first(where: { $0.semanticKind == .regionCode })?.columnName else {
                throw ValidationError(
                    field: "terms.rowFilter",
                    BilingualText(
                        zh: "目录没有行政区划代码信息项，不能按使用部门的辖区筛选",
                        en: "the entry has no region-code item to filter by the consumer's jurisdiction"))
            }
            guard let region = try? RegionCode(consumerRegion) else {
                throw ValidationError(
                    field: "terms.rowFilter",
                    BilingualText(
                        zh: "使用部门的行政区划代码无效：\(consumerRegion)",
                        en: "the consumer department's region code is invalid: \(consumerRegion)"))
            }
            return RowFilter(column: column, prefix: RowFilter.regionPrefix(for: region))
        case .custom(let filter):
            var issues = ValidationCollector()
            if !entry.content.items.contains(where: { $0.columnName == filter.column }) {
                issues.add(
                    "terms.rowFilter.column",
                    BilingualText(zh: "目录中没有信息项 \(filter.column)", en: "the entry has no item \(filter.column)"))
            }
            let prefix = filter.prefix.trimmingCharacters(in: .whitespacesAndNewlines)
            if prefix.isEmpty || prefix.count > 64 {
                issues.add(
                    "terms.rowFilter.prefix",
                    BilingualText(zh: "筛选前缀须为 1–64 个字符", en: "the filter prefix must be 1–64 characters"))
            }
            try issues.throwIfAny()
            return RowFilter(column: filter.column, prefix: prefix)
        }
    }
}
