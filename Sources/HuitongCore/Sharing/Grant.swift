import Foundation

/// A limit on the rows a grant lets through: values of one column that start with a prefix, e.g. the region code
/// column `xzqhdm` starting with `341502` for a county consumer.
public struct RowFilter: Sendable, Hashable, Codable {
    public var column: String
    public var prefix: String

    public init(column: String, prefix: String) {
        self.column = column
        self.prefix = prefix
    }

    /// The prefix that covers a region's jurisdiction: two digits for a province, four for a prefecture, all six
    /// for a county (GB/T 2260).
    public static func regionPrefix(for region: RegionCode) -> String {
        switch region.level {
        case .province: String(region.text.prefix(2))
        case .prefecture: String(region.text.prefix(4))
        case .county: region.text
        }
    }

    /// Whether `row` passes; a row without the column, or with no value in it, does not.
    public func admits(_ row: [String: String?]) -> Bool {
        guard let value = row[column] ?? nil else { return false }
        return value.hasPrefix(prefix)
    }

    /// The pattern for `column LIKE ? ESCAPE '\'` that selects exactly the rows `admits` lets through.
    public var likePattern: String {
        var pattern = ""
        for character in prefix {
            if character == "%" || character == "_" || character == "\\" { pattern.append("\\") }
            pattern.append(character)
        }
        return pattern + "%"
    }

    /// The escape character `likePattern` uses.
    public static let likeEscape = "\\"
}

extension RowFilterChoice {
    /// `"consumerRegion"` or `{"column": …, "prefix": …}` in JSON.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let word = try? container.decode(String.self) {
            guard word == "consumerRegion" else {
                throw DecodingError.dataCorruptedError(
                    in: container,
                    debugDescription:
                        "应为 \"consumerRegion\" 或 {column, prefix} (expected \"consumerRegion\" or an object)")
            }
            self = .consumerRegion
        } else {
            self = .custom(try container.decode(RowFilter.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .consumerRegion: try container.encode("consumerRegion")
        case .custom(let filter): try container.encode(filter)
        }
    }
}

/// Whether a grant is in force.
public enum GrantStatus: String, LabeledValue {
    case active
    case notYetValid
    case expired
    case revoked

    public var label: BilingualText {
        switch self {
        case .active: BilingualText(zh: "有效", en: "active")
        case .notYetValid: BilingualText(zh: "未到生效日期", en: "not yet valid")
        case .expired: BilingualText(zh: "已到期", en: "expired")
        case .revoked: BilingualText(zh: "已撤销", en: "revoked")
        }
    }
}

/// Why a call under a grant is refused. The message is safe to show the caller.
public enum GrantDenial: Sendable, Hashable, Codable {
    case revoked
    case expired(validTo: CalendarDate)
    case notYetValid(validFrom: CalendarDate)
    case otherDepartment
    case systemNotNamed
    case systemInactive
    case itemsNotGranted([String])
    case channelNotGranted(AccessChannel)

    public var code: String {
        switch self {
        case .revoked: "grant_revoked"
        case .expired: "grant_expired"
        case .notYetValid: "grant_not_yet_valid"
        case .otherDepartment: "grant_other_department"
        case .systemNotNamed: "grant_system_not_named"
        case .systemInactive: "system_inactive"
        case .itemsNotGranted: "items_not_granted"
        case .channelNotGranted: "channel_not_granted"
        }
    }

    public var message: BilingualText {
        switch self {
        case .revoked:
            BilingualText(zh: "授权已被撤销", en: "the grant has been revoked")
        case .expired(let day):
            BilingualText(zh: "授权已于 \(day) 到期", en: "the grant expired on \(day)")
        case .notYetValid(let day):
            BilingualText(zh: "授权自 \(day) 起生效", en: "the grant takes effect on \(day)")
        case .otherDepartment:
            BilingualText(zh: "授权属于其他部门", en: "the grant belongs to another department")
        case .systemNotNamed:
            BilingualText(zh: "该应用系统不在授权范围内", en: "this application system is not named in the grant")
        case .systemInactive:
            BilingualText(zh: "该应用系统已停用", en: "this application system is deactivated")
        case .itemsNotGranted(let items):
            BilingualText(
                zh: "未授权的信息项：\(items.joined(separator: "、"))", en: "items not granted: \(items.joined(separator: ", "))"
            )
        case .channelNotGranted(let channel):
            BilingualText(zh: "授权不含\(channel.label.zh)方式", en: "the grant does not cover \(channel.label.en)")
        }
    }
}

/// The outcome of checking a call against a grant.
public enum GrantDecision: Sendable, Hashable {
    case allowed
    case denied(GrantDenial)

    public var isAllowed: Bool { self == .allowed }
}

/// 授权: the policy an approval compiles to, enforced by the gateway on every call and extract.
public struct Grant: Sendable, Hashable, Codable, Identifiable {
    public var id: Int64
    public var applicationID: Int64
    public var entryID: Int64
    public var resourceCode: String
    public var providerDepartmentID: Int64
    public var consumerDepartmentID: Int64
    /// The consumer's application systems that may call; empty means all of the department's systems.
    public var systemIDs: [Int64]
    /// Granted column names, in the entry's order.
    public var items: [String]
    public var rowFilter: RowFilter?
    /// Masking per granted item; items without a rule are shown as they are.
    public var masking: [String: MaskingRule]
    public var purpose: ApplicationPurpose
    public var purposeText: String
    public var channel: AccessChannel
    /// Requests per second.
    public var rateLimit: Int
    /// Calls per day.
    public var dailyQuota: Int
    public var validFrom: CalendarDate
    /// The last day of validity (inclusive, China Standard Time).
    public var validTo: CalendarDate
    public var createdAt: Date
    public var revokedAt: Date?
    public var revokedByID: Int64?
    public var revokedByName: String?
    public var revocationReason: String?

    public init(
        id: Int64, applicationID: Int64, entryID: Int64, resourceCode: String, providerDepartmentID: Int64,
        consumerDepartmentID: Int64, systemIDs: [Int64], items: [String], rowFilter: RowFilter?,
        masking: [String: MaskingRule], purpose: ApplicationPurpose, purposeText: String, channel: AccessChannel,
        rateLimit: Int, dailyQuota: Int, validFrom: CalendarDate, validTo: CalendarDate, createdAt: Date,
        revokedAt: Date? = nil, revokedByID: Int64? = nil, revokedByName: String? = nil,
        revocationReason: String? = nil
    ) {
        self.id = id
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
        self.createdAt = createdAt
        self.revokedAt = revokedAt
        self.revokedByID = revokedByID
        self.revokedByName = revokedByName
        self.revocationReason = revocationReason
    }

    /// The grant's status at `now`; validity is decided by the calendar day in China Standard Time.
    public func status(at now: Date) -> GrantStatus {
        if revokedAt != nil { return .revoked }
        let today = CalendarDate(now)
        if today < validFrom { return .notYetValid }
        if today > validTo { return .expired }
        return .active
    }

    /// Whether `system` may call under this grant at `now`.
    public func check(system: ApplicationSystem, at now: Date) -> GrantDecision {
        switch status(at: now) {
        case .revoked: return .denied(.revoked)
        case .expired: return .denied(.expired(validTo: validTo))
        case .notYetValid: return .denied(.notYetValid(validFrom: validFrom))
        case .active: break
        }
        if system.departmentID != consumerDepartmentID { return .denied(.otherDepartment) }
        if !system.isActive { return .denied(.systemInactive) }
        if !systemIDs.isEmpty && !systemIDs.contains(system.id) { return .denied(.systemNotNamed) }
        return .allowed
    }

    /// A full check of one call: the system, the channel and the items it asks for.
    public func check(system: ApplicationSystem, items asked: [String], channel: AccessChannel, at now: Date)
        -> GrantDecision
    {
        let decision = check(system: system, at: now)
        guard decision == .allowed else { return decision }
        if channel != self.channel { return .denied(.channelNotGranted(channel)) }
        let missing = asked.filter { !items.contains($0) }
        if !missing.isEmpty { return .denied(.itemsNotGranted(missing)) }
        return .allowed
    }

    /// Whether every one of `asked` is granted.
    public func allows(items asked: [String]) -> Bool {
        asked.allSatisfy(items.contains)
    }

    /// Whether the row filter lets `row` through (always, without a filter).
    public func admits(row: [String: String?]) -> Bool {
        rowFilter?.admits(row) ?? true
    }

    /// The row as the consumer may see it: only granted items, each masked by its rule; null stays null.
    public func project(row: [String: String?]) -> [String: String?] {
        var projected: [String: String?] = [:]
        for column in items {
            guard let value = row[column] else { continue }
            // updateValue, because assigning nil through the subscript would drop the column.
            projected.updateValue(value.map { masking[column]?.apply(to: $0) ?? $0 }, forKey: column)
        }
        return projected
    }

    /// The default masking of `items` of an entry: each item's rule for its kind of data.
    public static func defaultMasking(for items: [InfoItem]) -> [String: MaskingRule] {
        var rules: [String: MaskingRule] = [:]
        for item in items {
            let rule = MaskingRule.default(for: item.semanticKind)
            if rule != .none { rules[item.columnName] = rule }
        }
        return rules
    }
}
