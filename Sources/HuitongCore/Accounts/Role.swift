import Foundation

/// What a user may do on the platform. A user holds one or more roles.
public enum Role: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    /// The bureau (数据主管部门): manages departments, users, lists and policy.
    case `operator`
    /// A department's data officer publishing and supplying data (提供部门).
    case provider
    /// A department's data officer applying for and using data (使用部门).
    case consumer
    /// Reads the audit log and statistics; changes nothing.
    case auditor
    /// A department's 首席数据官 (chief data officer): owns the department's 考核 scorecard and reads the whole
    /// picture of its data work (its entries, applications both ways, objections, quality); changes nothing.
    case chiefDataOfficer

    public var displayName: BilingualText {
        switch self {
        case .operator: BilingualText(zh: "平台管理员", en: "Operator")
        case .provider: BilingualText(zh: "数据提供方", en: "Provider")
        case .consumer: BilingualText(zh: "数据使用方", en: "Consumer")
        case .auditor: BilingualText(zh: "审计员", en: "Auditor")
        case .chiefDataOfficer: BilingualText(zh: "首席数据官", en: "Chief data officer")
        }
    }

    public static func < (lhs: Role, rhs: Role) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    /// Parses a stored or submitted role list such as `provider,consumer`.
    public static func parseList(_ text: String) -> Set<Role>? {
        var roles = Set<Role>()
        for part in text.split(separator: ",") {
            guard let role = Role(rawValue: part.trimmingCharacters(in: .whitespaces)) else { return nil }
            roles.insert(role)
        }
        return roles
    }

    public static func storageText(_ roles: Set<Role>) -> String {
        roles.sorted().map(\.rawValue).joined(separator: ",")
    }
}
