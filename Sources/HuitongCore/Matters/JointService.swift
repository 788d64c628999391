import Foundation

/// A "一件事" (joint service): matters of several departments behind one form, one set of materials, one
/// application (国发〔2024〕3号).
public struct JointServiceDraft: Sendable, Hashable, Codable {
    /// Its code, e.g. `YJS-XSECS`.
    public var code: String
    public var name: String
    public var summary: String
    /// The matters it joins, by 实施编码, in the order the applicant meets them.
    public var matterCodes: [String]
    /// The lead department's application system that accepts applications (受理) and reads shared data for them,
    /// under that system's grants.
    public var applicationSystemID: Int64?
    /// Dictionaries chosen by a person for fields whose matters' dictionaries conflict, by merged field id.
    public var resolutions: [String: FormDictionary]

    public init(
        code: String, name: String, summary: String = "", matterCodes: [String], applicationSystemID: Int64? = nil,
        resolutions: [String: FormDictionary] = [:]
    ) {
        self.code = code
        self.name = name
        self.summary = summary
        self.matterCodes = matterCodes
        self.applicationSystemID = applicationSystemID
        self.resolutions = resolutions
    }

    public static let matterLimit = 30

    public func validated() throws(ValidationError) -> JointServiceDraft {
        var issues = ValidationCollector()
        var result = self
        result.code = code.trimmingCharacters(in: .whitespacesAndNewlines).uppercased()
        result.name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        result.summary = summary.trimmingCharacters(in: .whitespacesAndNewlines)
        result.matterCodes = matterCodes.map { $0.trimmingCharacters(in: .whitespaces).uppercased() }
        if !MatterDraft.isCode(result.code) {
            issues.add(
                "code",
                BilingualText(zh: "编码须为 1–64 位字母、数字或连字符", en: "the code must be 1–64 letters, digits or hyphens"))
        }
        if result.name.isEmpty || result.name.count > 100 {
            issues.add("name", BilingualText(zh: "名称须为 1–100 字", en: "the name must be 1–100 characters"))
        }
        if result.summary.count > 2000 {
            issues.add("summary", BilingualText(zh: "简介至多 2000 字", en: "the summary is at most 2000 characters"))
        }
        if result.matterCodes.count < 2 || result.matterCodes.count > Self.matterLimit {
            issues.add(
                "matterCodes",
                BilingualText(
                    zh: "一件事须包含 2–\(Self.matterLimit) 个事项", en: "a joint service joins 2–\(Self.matterLimit) matters"))
        }
        if Set(result.matterCodes).count != result.matterCodes.count {
            issues.add("matterCodes", BilingualText(zh: "同一事项不能重复加入", en: "a matter is listed twice"))
        }
        if result.resolutions.count > 500 {
            issues.add("resolutions", BilingualText(zh: "人工确定的字典至多 500 个", en: "at most 500 decided dictionaries"))
        }
        for (field, dictionary) in resolutions {
            var cleaned = dictionary
            cleaned.code = dictionary.code.trimmingCharacters(in: .whitespaces)
            cleaned.values = dictionary.values.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            if cleaned.code.isEmpty || cleaned.code.count > 100 || cleaned.values.count > 200 {
                issues.add(
                    "resolutions",
                    BilingualText(
                        zh: "为“\(field)”确定的字典须有代码（至多 100 字）、至多 200 个值",
                        en: "the dictionary decided for \(field) needs a code (at most 100) and at most 200 values"))
            }
            result.resolutions[field] = cleaned
        }
        try issues.throwIfAny()
        return result
    }
}

public struct JointService: Sendable, Hashable, Codable, Identifiable {
    public var id: Int64
    public var leadDepartmentID: Int64
    public var content: JointServiceDraft
    public var updatedAt: Date

    public init(id: Int64, leadDepartmentID: Int64, content: JointServiceDraft, updatedAt: Date) {
        self.id = id
        self.leadDepartmentID = leadDepartmentID
        self.content = content
        self.updatedAt = updatedAt
    }

    public var code: String { content.code }
}
