import Foundation

/// 事项类型 of a government service matter (政务服务事项).
public enum MatterType: String, LabeledValue {
    case licensing
    case confirmation
    case payment
    case ruling
    case reward
    case publicService
    case other

    public var label: BilingualText {
        switch self {
        case .licensing: BilingualText(zh: "行政许可", en: "administrative licensing")
        case .confirmation: BilingualText(zh: "行政确认", en: "administrative confirmation")
        case .payment: BilingualText(zh: "行政给付", en: "administrative payment")
        case .ruling: BilingualText(zh: "行政裁决", en: "administrative ruling")
        case .reward: BilingualText(zh: "行政奖励", en: "administrative reward")
        case .publicService: BilingualText(zh: "公共服务", en: "public service")
        case .other: BilingualText(zh: "其他行政权力", en: "other administrative power")
        }
    }
}

/// Whether an applicant must hand in a material (申请材料的必要性).
public enum MaterialNeed: String, LabeledValue, Comparable {
    case must
    case conditional
    case optional

    public var label: BilingualText {
        switch self {
        case .must: BilingualText(zh: "必要", en: "required")
        case .conditional: BilingualText(zh: "情形必要", en: "required in some cases")
        case .optional: BilingualText(zh: "非必要", en: "optional")
        }
    }

    /// Stricter needs sort first: `must < conditional < optional`.
    public static func < (lhs: MaterialNeed, rhs: MaterialNeed) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// The kind of value a form element (表单要素) takes.
public enum FormValueType: String, LabeledValue {
    case text
    case integer
    case decimal
    case date
    case dateTime
    case boolean

    public var label: BilingualText {
        switch self {
        case .text: BilingualText(zh: "文本", en: "text")
        case .integer: BilingualText(zh: "整数", en: "integer")
        case .decimal: BilingualText(zh: "数值", en: "decimal")
        case .date: BilingualText(zh: "日期", en: "date")
        case .dateTime: BilingualText(zh: "日期时间", en: "date-time")
        case .boolean: BilingualText(zh: "是否", en: "yes/no")
        }
    }
}

/// A catalog data item (信息项) by its entry's resource code and its column: `101001/0001:sfzhm`.
public struct ItemReference: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    public var resourceCode: String
    public var column: String

    public init(resourceCode: String, column: String) {
        self.resourceCode = resourceCode
        self.column = column
    }

    /// Parses `资源代码:字段`, e.g. `101001/0001:sfzhm`.
    public init?(_ text: String) {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, (try? NationalResourceCodeScheme().parse(String(parts[0]))) != nil,
            CatalogEntryContent.isColumnName(String(parts[1]))
        else { return nil }
        self.init(resourceCode: String(parts[0]), column: String(parts[1]))
    }

    public var description: String { "\(resourceCode):\(column)" }

    public static func < (lhs: ItemReference, rhs: ItemReference) -> Bool { lhs.description < rhs.description }

    static let formatHint = BilingualText(
        zh: "须写成“资源代码:字段”，例如 101001/0001:sfzhm", en: "write it as resource-code:column, e.g. 101001/0001:sfzhm")
}

/// A 数据字典 an element's values come from: its code, and the values it allows when they are listed.
public struct FormDictionary: Sendable, Hashable, Codable {
    public var code: String
    public var values: [String]

    public init(code: String, values: [String] = []) {
        self.code = code
        self.values = values
    }
}

/// One 表单要素 of a matter's form: what the applicant fills in, about whom, and where shared data holds it.
public struct FormElement: Sendable, Hashable, Codable {
    /// Its key in the department's form, e.g. `sqrxm`.
    public var key: String
    public var label: String
    public var type: FormValueType
    public var maxLength: Int?
    public var isRequired: Bool
    public var dictionary: FormDictionary?
    /// Whom the value is about (主体角色): 申请人, 法定代表人, 新生儿, 母亲 ….
    public var role: String
    /// The catalog data item that holds it.
    public var catalogItem: ItemReference?
    /// The 标准数据元 it is, when no catalog item holds it.
    public var standardElement: String?
    /// The department known to hold it (by name or 统一社会信用代码), when no catalog item does: a sharing demand.
    public var heldBy: String?

    public init(
        key: String, label: String, type: FormValueType = .text, maxLength: Int? = nil, isRequired: Bool = false,
        dictionary: FormDictionary? = nil, role: String = FormElement.applicantRole, catalogItem: ItemReference? = nil,
        standardElement: String? = nil, heldBy: String? = nil
    ) {
        self.key = key
        self.label = label
        self.type = type
        self.maxLength = maxLength
        self.isRequired = isRequired
        self.dictionary = dictionary
        self.role = role
        self.catalogItem = catalogItem
        self.standardElement = standardElement
        self.heldBy = heldBy
    }

    public static let applicantRole = "申请人"
}

/// One 申请材料 of a matter, and what can stand in for it (免提交): an e-licence or catalog data.
public struct MatterMaterial: Sendable, Hashable, Codable {
    public var name: String
    public var need: MaterialNeed
    /// When a conditional material is needed.
    public var condition: String?
    /// 材料形式, e.g. 原件, 复印件, 电子.
    public var form: String?
    /// The e-licence type (证照类型代码) that replaces it.
    public var licenceTypeCode: String?
    /// Catalog data items that together replace it.
    public var catalogItems: [ItemReference]
    /// The department known to hold it when nothing replaces it yet: a sharing demand.
    public var heldBy: String?

    public init(
        name: String, need: MaterialNeed = .must, condition: String? = nil, form: String? = nil,
        licenceTypeCode: String? = nil, catalogItems: [ItemReference] = [], heldBy: String? = nil
    ) {
        self.name = name
        self.need = need
        self.condition = condition
        self.form = form
        self.licenceTypeCode = licenceTypeCode
        self.catalogItems = catalogItems
        self.heldBy = heldBy
    }

    /// Whether anything is linked that could replace it.
    public var isLinked: Bool { licenceTypeCode != nil || !catalogItems.isEmpty }
}

/// A 政务服务事项 as its department lists it (GB/T 39554.1; domain-services.md §3.3).
public struct MatterDraft: Sendable, Hashable, Codable {
    /// 实施编码: stored as given; `MatterCodeParser` reads its parts.
    public var implementationCode: String
    /// 基本编码.
    public var basicCode: String
    public var name: String
    public var type: MatterType
    /// 法定办结时限 and 承诺办结时限, in working days.
    public var legalTimeLimitDays: Int?
    public var promisedTimeLimitDays: Int?
    /// 设定依据: the legal basis the matter rests on, cited when its data is fetched.
    public var legalBasis: String
    public var materials: [MatterMaterial]
    public var elements: [FormElement]

    public init(
        implementationCode: String, basicCode: String = "", name: String, type: MatterType = .publicService,
        legalTimeLimitDays: Int? = nil, promisedTimeLimitDays: Int? = nil, legalBasis: String,
        materials: [MatterMaterial] = [], elements: [FormElement] = []
    ) {
        self.implementationCode = implementationCode
        self.basicCode = basicCode
        self.name = name
        self.type = type
        self.legalTimeLimitDays = legalTimeLimitDays
        self.promisedTimeLimitDays = promisedTimeLimitDays
        self.legalBasis = legalBasis
        self.materials = materials
        self.elements = elements
    }

    public static let elementLimit = 500
    public static let materialLimit = 200

    /// The matter, trimmed, or every problem with its place (`elements[3].key`, `materials[0].name` …).
    public func validated() throws(ValidationError) -> MatterDraft {
        var issues = ValidationCollector()
        var result = self
        func clean(_ text: String) -> String { text.trimmingCharacters(in: .whitespacesAndNewlines) }
        func cleanOptional(_ text: String?) -> String? { text.map(clean).flatMap { $0.isEmpty ? nil : $0 } }
        result.implementationCode = clean(implementationCode).uppercased()
        result.basicCode = clean(basicCode).uppercased()
        result.name = clean(name)
        result.legalBasis = clean(legalBasis)
        if !Self.isCode(result.implementationCode) {
            issues.add(
                "implementationCode",
                BilingualText(
                    zh: "实施编码须为 1–64 位字母、数字或连字符", en: "the implementation code must be 1–64 letters, digits or hyphens")
            )
        }
        if !result.basicCode.isEmpty && !Self.isCode(result.basicCode) {
            issues.add(
                "basicCode",
                BilingualText(
                    zh: "基本编码须为至多 64 位字母、数字或连字符", en: "the basic code must be letters, digits or hyphens (at most 64)"))
        }
        if result.name.isEmpty || result.name.count > 200 {
            issues.add("name", BilingualText(zh: "事项名称须为 1–200 字", en: "the matter name must be 1–200 characters"))
        }
        if result.legalBasis.isEmpty {
            issues.add("legalBasis", BilingualText(zh: "须写明设定依据", en: "the legal basis is required"))
        }
        for (field, days) in [
            ("legalTimeLimitDays", legalTimeLimitDays), ("promisedTimeLimitDays", promisedTimeLimitDays),
        ] {
            if let days, !(0...3650).contains(days) {
                issues.add(
                    field, BilingualText(zh: "时限须在 0–3650 个工作日之间", en: "a time limit must be 0–3650 working days"))
            }
        }
        if let legal = legalTimeLimitDays, let promised = promisedTimeLimitDays, promised > legal {
            issues.add(
                "promisedTimeLimitDays",
                BilingualText(zh: "承诺时限不能长于法定时限", en: "the promised time limit cannot exceed the legal one"))
        }
        if elements.count > Self.elementLimit {
            issues.add(
                "elements",
                BilingualText(zh: "表单要素至多 \(Self.elementLimit) 个", en: "at most \(Self.elementLimit) form elements"))
        }
        if materials.count > Self.materialLimit {
            issues.add(
                "materials",
                BilingualText(zh: "申请材料至多 \(Self.materialLimit) 项", en: "at most \(Self.materialLimit) materials"))
        }
        var keys = Set<String>()
        for index in elements.indices {
            let place = "elements[\(index)]"
            var element = elements[index]
            element.key = clean(element.key)
            element.label = clean(element.label)
            element.role = clean(element.role).isEmpty ? FormElement.applicantRole : clean(element.role)
            element.standardElement = cleanOptional(element.standardElement)
            element.heldBy = cleanOptional(element.heldBy)
            if !CatalogEntryContent.isColumnName(element.key) {
                issues.add(
                    "\(place).key",
                    BilingualText(
                        zh: "字段标识“\(element.key)”须以小写字母开头，只含小写字母、数字和下划线",
                        en:
                            "the key \"\(element.key)\" must start with a lower-case letter and hold only a-z, 0-9 and _"
                    ))
            } else if !keys.insert("\(element.role)|\(element.key)").inserted {
                issues.add(
                    "\(place).key",
                    BilingualText(
                        zh: "同一主体角色下字段标识“\(element.key)”重复", en: "the key \"\(element.key)\" repeats for the same role")
                )
            }
            if element.label.isEmpty || element.label.count > 100 {
                issues.add(
                    "\(place).label", BilingualText(zh: "要素名称须为 1–100 字", en: "the label must be 1–100 characters"))
            }
            if element.role.count > 20 {
                issues.add("\(place).role", BilingualText(zh: "主体角色至多 20 字", en: "the role is at most 20 characters"))
            }
            if let length = element.maxLength, !(1...4000).contains(length) {
                issues.add("\(place).maxLength", BilingualText(zh: "长度须在 1–4000 之间", en: "the length must be 1–4000"))
            }
            if var dictionary = element.dictionary {
                dictionary.code = clean(dictionary.code)
                dictionary.values = dictionary.values.map(clean).filter { !$0.isEmpty }
                if dictionary.code.isEmpty {
                    issues.add(
                        "\(place).dictionary", BilingualText(zh: "数据字典须有代码", en: "a dictionary needs its code"))
                }
                element.dictionary = dictionary
            }
            result.elements[index] = element
        }
        var materialNames = Set<String>()
        for index in materials.indices {
            let place = "materials[\(index)]"
            var material = materials[index]
            material.name = clean(material.name)
            material.condition = cleanOptional(material.condition)
            material.form = cleanOptional(material.form)
            material.licenceTypeCode = cleanOptional(material.licenceTypeCode)?.uppercased()
            material.heldBy = cleanOptional(material.heldBy)
            if material.name.isEmpty || material.name.count > 200 {
                issues.add(
                    "\(place).name",
                    BilingualText(zh: "材料名称须为 1–200 字", en: "the material name must be 1–200 characters"))
            } else if !materialNames.insert(material.name).inserted {
                issues.add(
                    "\(place).name",
                    BilingualText(zh: "材料“\(material.name)”重复", en: "the material \"\(material.name)\" repeats"))
            }
            if material.need == .conditional && material.condition == nil {
                issues.add(
                    "\(place).condition",
                    BilingualText(zh: "情形必要的材料须写明适用情形", en: "say when a conditionally required material is needed"))
            }
            if let code = material.licenceTypeCode, !LicenceIdentifier.isTypeCode(code) {
                issues.add(
                    "\(place).licenceTypeCode",
                    BilingualText(
                        zh: "证照类型代码“\(code)”无效（统一社会信用代码加三位序号）",
                        en: "the licence type code \"\(code)\" is invalid (a credit code and three digits)"))
            }
            result.materials[index] = material
        }
        try issues.throwIfAny()
        return result
    }

    static func isCode(_ text: String) -> Bool {
        (1...64).contains(text.count)
            && text.unicodeScalars.allSatisfy {
                $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-")
            }
    }
}

/// A matter as stored: its content and the department that implements it.
public struct Matter: Sendable, Hashable, Codable, Identifiable {
    public var id: Int64
    public var departmentID: Int64
    public var content: MatterDraft
    public var updatedAt: Date

    public init(id: Int64, departmentID: Int64, content: MatterDraft, updatedAt: Date) {
        self.id = id
        self.departmentID = departmentID
        self.content = content
        self.updatedAt = updatedAt
    }

    public var implementationCode: String { content.implementationCode }
    public var name: String { content.name }
}

/// Reads an implementation code's parts: the national form is the implementing body's 统一社会信用代码 (18) and a
/// 13-character remainder; provinces use other shapes (hyphen-separated in 四川), so the parser is configured, not
/// assumed (domain-services.md §3.2).
public struct MatterCodeParser: Sendable, Hashable, Codable {
    /// How many leading characters are the implementing body's credit code; nil when the shape carries none.
    public var creditCodeLength: Int?
    /// Splits a hyphen-separated code (provincial variants) and takes the part at this index as the credit code.
    public var hyphenCreditCodePart: Int?

    public init(creditCodeLength: Int? = 18, hyphenCreditCodePart: Int? = 3) {
        self.creditCodeLength = creditCodeLength
        self.hyphenCreditCodePart = hyphenCreditCodePart
    }

    /// The implementing body's 统一社会信用代码 the code carries, when it carries a valid one.
    public func implementingBodyCode(_ code: String) -> String? {
        let candidate: String?
        if code.contains("-") {
            let parts = code.split(separator: "-").map(String.init)
            candidate = hyphenCreditCodePart.flatMap { $0 < parts.count ? parts[$0] : nil }
        } else {
            candidate = creditCodeLength.flatMap { code.count > $0 ? String(code.prefix($0)) : nil }
        }
        guard let candidate, (try? UnifiedSocialCreditCode(candidate)) != nil else { return nil }
        return candidate
    }
}
