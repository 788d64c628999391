import Foundation

/// A government department (政务部门) that provides and/or uses data on this platform.
public struct Department: Sendable, Hashable, Codable, Identifiable {
    public var id: Int64
    /// Full name, e.g. 六安市公安局.
    public var name: String
    /// The department's code in the departmental catalog (信息资源提供方代码); unique on this node.
    public var code: String
    /// 统一社会信用代码 (GB 32100), validated.
    public var creditCode: String?
    /// 行政区划代码 (GB/T 2260) of the jurisdiction the department serves.
    public var regionCode: String
    public var parentID: Int64?
    /// A disabled department takes no new users (its users were disabled with it); its catalog and grants stay.
    public var isActive: Bool
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: Int64, name: String, code: String, creditCode: String?, regionCode: String, parentID: Int64?,
        isActive: Bool = true, createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.name = name
        self.code = code
        self.creditCode = creditCode
        self.regionCode = regionCode
        self.parentID = parentID
        self.isActive = isActive
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    enum CodingKeys: String, CodingKey {
        case id, name, code, creditCode, regionCode, parentID, isActive, createdAt, updatedAt
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            id: try container.decode(Int64.self, forKey: .id), name: try container.decode(String.self, forKey: .name),
            code: try container.decode(String.self, forKey: .code),
            creditCode: try container.decodeIfPresent(String.self, forKey: .creditCode),
            regionCode: try container.decode(String.self, forKey: .regionCode),
            parentID: try container.decodeIfPresent(Int64.self, forKey: .parentID),
            // Answers of nodes from before departments could be disabled: active.
            isActive: try container.decodeIfPresent(Bool.self, forKey: .isActive) ?? true,
            createdAt: try container.decode(Date.self, forKey: .createdAt),
            updatedAt: try container.decode(Date.self, forKey: .updatedAt))
    }
}

/// The fields a person supplies to create or change a department, before they are checked.
public struct DepartmentDraft: Sendable, Hashable, Codable {
    public var name: String
    public var code: String
    public var creditCode: String?
    public var regionCode: String
    public var parentID: Int64?

    public init(name: String, code: String, creditCode: String?, regionCode: String, parentID: Int64?) {
        self.name = name
        self.code = code
        self.creditCode = creditCode
        self.regionCode = regionCode
        self.parentID = parentID
    }

    /// Checks every field and returns the draft in canonical form (trimmed, upper-cased codes).
    public func validated() throws(ValidationError) -> DepartmentDraft {
        var issues = ValidationCollector()
        let name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        if name.isEmpty {
            issues.add("name", BilingualText(zh: "部门名称不能为空", en: "department name is required"))
        } else if name.count > 100 {
            issues.add("name", BilingualText(zh: "部门名称不能超过 100 个字符", en: "name is longer than 100 characters"))
        }
        let code = code.trimmingCharacters(in: .whitespacesAndNewlines)
        if !Self.isValidCode(code) {
            issues.add(
                "code",
                BilingualText(
                    zh: "部门代码须为 1–32 位字母、数字、连字符或下划线",
                    en: "code must be 1–32 letters, digits, '-' or '_'"))
        }
        var creditCode = creditCode?.trimmingCharacters(in: .whitespacesAndNewlines).uppercased()
        if creditCode?.isEmpty == true { creditCode = nil }
        if let raw = creditCode {
            do {
                creditCode = try UnifiedSocialCreditCode(raw).text
            } catch {
                issues.add("creditCode", error.message)
            }
        }
        var region = regionCode.trimmingCharacters(in: .whitespacesAndNewlines)
        do {
            region = try RegionCode(region).text
        } catch {
            issues.add("regionCode", error.message)
        }
        if let parentID, parentID <= 0 {
            issues.add("parentID", BilingualText(zh: "上级部门编号无效", en: "parentID must be a positive id"))
        }
        try issues.throwIfAny()
        return DepartmentDraft(name: name, code: code, creditCode: creditCode, regionCode: region, parentID: parentID)
    }

    static func isValidCode(_ code: String) -> Bool {
        (1...32).contains(code.count)
            && code.unicodeScalars.allSatisfy {
                ("0"..."9").contains($0) || ("a"..."z").contains($0) || ("A"..."Z").contains($0) || $0 == "-"
                    || $0 == "_"
            }
    }
}
