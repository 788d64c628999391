import Foundation

/// Who holds a licence of a type, and so which identifier binds it to its holder.
public enum LicenceHolderKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// A natural person, bound by 公民身份号码.
    case person
    /// An enterprise or other organisation, bound by 统一社会信用代码.
    case organisation

    public var label: BilingualText {
        switch self {
        case .person: BilingualText(zh: "自然人（公民身份号码）", en: "a person (resident ID number)")
        case .organisation: BilingualText(zh: "法人和其他组织（统一社会信用代码）", en: "an organisation (unified social credit code)")
        }
    }
}

/// The kind of value one 照面 field holds.
public enum LicenceFieldType: String, Sendable, Hashable, Codable, CaseIterable {
    case text
    /// `YYYY-MM-DD`.
    case date
    /// A decimal number (注册资本, 面积 …).
    case number
    /// A 公民身份号码, checked.
    case residentID
    /// A 统一社会信用代码, checked.
    case creditCode
}

/// One field of a licence's face (照面).
public struct LicenceField: Sendable, Hashable, Codable {
    /// Its key in the licence's data (`[a-z][a-z0-9_]*`).
    public var key: String
    /// As printed on the licence.
    public var label: String
    public var type: LicenceFieldType
    public var isRequired: Bool
    /// Shown masked (by the kind of data) to anyone but the holder and the issuer unless a use grants it whole.
    public var isMaskedByDefault: Bool

    public init(key: String, label: String, type: LicenceFieldType, isRequired: Bool, isMaskedByDefault: Bool = false) {
        self.key = key
        self.label = label
        self.type = type
        self.isRequired = isRequired
        self.isMaskedByDefault = isMaskedByDefault
    }
}

/// How long a licence of a type is valid.
public enum LicenceValidity: Sendable, Hashable, Codable {
    /// 长期: until it is cancelled or revoked.
    case permanent
    /// This many years from its issue date unless the licence states another end.
    case years(Int)
    /// The end is stated on each licence (营业期限, 有效期限); a licence without one is 长期.
    case statedOnLicence

    private enum CodingKeys: String, CodingKey { case kind, years }

    /// `{"kind": "permanent"}`, `{"kind": "years", "years": 5}` or `{"kind": "statedOnLicence"}`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        switch try container.decode(String.self, forKey: .kind) {
        case "permanent": self = .permanent
        case "years": self = .years(try container.decode(Int.self, forKey: .years))
        case "statedOnLicence": self = .statedOnLicence
        case let other:
            throw DecodingError.dataCorruptedError(
                forKey: .kind, in: container,
                debugDescription: "validity must be permanent, years or statedOnLicence, not \(other)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .permanent: try container.encode("permanent", forKey: .kind)
        case .years(let years):
            try container.encode("years", forKey: .kind)
            try container.encode(years, forKey: .years)
        case .statedOnLicence: try container.encode("statedOnLicence", forKey: .kind)
        }
    }
}

/// A licence type (证照目录 entry, GB/T 36902): defined by one department, issued by the departments it names.
public struct LicenceType: Sendable, Hashable, Codable {
    /// 证照类型代码: the definer's 统一社会信用代码 and a three-digit sequence.
    public var typeCode: String
    public var name: String
    public var holderKind: LicenceHolderKind
    /// The 照面 schema, in printed order.
    public var fields: [LicenceField]
    public var validity: LicenceValidity
    /// The 统一社会信用代码 of each department that may issue it.
    public var issuerCodes: [String]
    /// The 编制指南 classification (目 level, e.g. `105001` under 电子证照基础信息资源) under which the definer files
    /// the type in the catalog (政务信息资源目录); nil to register the type without a catalog entry.
    public var catalogClassification: String?

    public init(
        typeCode: String, name: String, holderKind: LicenceHolderKind, fields: [LicenceField],
        validity: LicenceValidity, issuerCodes: [String], catalogClassification: String? = nil
    ) {
        self.catalogClassification = catalogClassification
        self.typeCode = typeCode
        self.name = name
        self.holderKind = holderKind
        self.fields = fields
        self.validity = validity
        self.issuerCodes = issuerCodes
    }

    /// The 统一社会信用代码 of the defining department.
    public var definerCode: String { String(typeCode.prefix(18)) }

    /// The type, normalised (codes upper-cased, names trimmed), or every problem with its place.
    public func validated() throws(ValidationError) -> LicenceType {
        var issues = ValidationCollector()
        var type = self
        type.typeCode = typeCode.trimmingCharacters(in: .whitespaces).uppercased()
        type.name = name.trimmingCharacters(in: .whitespaces)
        type.issuerCodes = issuerCodes.map { $0.trimmingCharacters(in: .whitespaces).uppercased() }
        if !LicenceIdentifier.isTypeCode(type.typeCode) {
            issues.add(
                "typeCode", IdentifierError.badFormat(.licenceIdentifier, .badSegment(.typeCode, typeCode)).message)
        }
        if type.name.isEmpty || type.name.count > 50 {
            issues.add("name", BilingualText(zh: "证照名称不能为空，至多 50 字", en: "the name is required, at most 50 characters"))
        }
        if type.fields.isEmpty {
            issues.add("fields", BilingualText(zh: "照面至少要有一个字段", en: "the face needs at least one field"))
        }
        var seen = Set<String>()
        for (index, field) in type.fields.enumerated() {
            let place = "fields[\(index)]"
            if !CatalogEntryContent.isColumnName(field.key) {
                issues.add(
                    "\(place).key",
                    BilingualText(
                        zh: "字段标识“\(field.key)”须以小写字母开头，只含小写字母、数字和下划线",
                        en:
                            "field key \"\(field.key)\" must start with a lower-case letter and hold only a–z, 0–9 and _"
                    ))
            } else if !seen.insert(field.key).inserted {
                issues.add(
                    "\(place).key", BilingualText(zh: "字段标识“\(field.key)”重复", en: "field key \"\(field.key)\" repeats"))
            }
            if field.label.trimmingCharacters(in: .whitespaces).isEmpty {
                issues.add("\(place).label", BilingualText(zh: "字段名称不能为空", en: "the field's label is required"))
            }
        }
        if case .years(let years) = type.validity, !(1...100).contains(years) {
            issues.add("validity", BilingualText(zh: "有效年限须在 1–100 年之间", en: "the validity must be 1–100 years"))
        }
        type.catalogClassification = catalogClassification?.trimmingCharacters(in: .whitespaces)
        if let code = type.catalogClassification, code.count < 6 || !code.allSatisfy(\.isASCIIDigit) {
            issues.add(
                "catalogClassification",
                BilingualText(
                    zh: "信息资源分类须选到“目”一级（至少 6 位数字）", en: "choose a classification at heading level (6+ digits)"))
        }
        if type.issuerCodes.isEmpty {
            issues.add(
                "issuerCodes", BilingualText(zh: "至少要有一个发证部门", en: "at least one issuing department is required"))
        }
        for (index, code) in type.issuerCodes.enumerated() {
            do throws(IdentifierError) { _ = try UnifiedSocialCreditCode(code) } catch {
                issues.add("issuerCodes[\(index)]", error.message)
            }
        }
        try issues.throwIfAny()
        return type
    }

    /// The catalog entry (政务信息资源) the type is filed as: its 照面 fields as the data items, shared on condition of
    /// the holder's consent or a legal basis (用证), graded by whether a field is masked.
    public func catalogContent(classification: String) -> CatalogEntryContent {
        let items = fields.map { field in
            InfoItem(
                name: field.label, columnName: field.key,
                dataType: field.type == .date ? .date : field.type == .number ? .numeric : .character,
                isRequired: field.isRequired, shareType: .conditional,
                grade: field.isMaskedByDefault ? .general3 : .general2,
                semanticKind: field.type == .residentID ? .residentID : field.type == .creditCode ? .creditCode : .other
            )
        }
        return CatalogEntryContent(
            classificationCode: classification, name: name,
            abstract: "电子证照“\(name)”（证照类型代码 \(typeCode)，持证主体：\(holderKind.label.zh)）的照面信息。",
            formats: [ResourceFormat(category: .document, type: "OFD")], items: items, shareType: .conditional,
            shareCondition: "凭持证人的授权或法律法规依据，就具体事项使用（用证），每次使用留痕",
            shareChannel: .interface, updateCycle: .realtime, keywords: ["电子证照", name],
            grade: items.contains { $0.grade == .general3 } ? .general3 : .general2)
    }

    /// The problems of one licence's face against this schema, each named by its field: missing required fields,
    /// fields the type does not have, and values not of their field's type.
    public func problems(inFace face: [String: String], today: CalendarDate) -> [FieldIssue] {
        var issues: [FieldIssue] = []
        let known = Set(fields.map(\.key))
        for key in face.keys.sorted() where !known.contains(key) {
            issues.append(
                FieldIssue(
                    field: "face.\(key)",
                    message: BilingualText(zh: "“\(name)”的照面没有字段 \(key)", en: "the face of \(name) has no field \(key)")
                ))
        }
        for field in fields {
            let value = face[field.key]?.trimmingCharacters(in: .whitespaces) ?? ""
            guard !value.isEmpty else {
                if field.isRequired {
                    issues.append(
                        FieldIssue(
                            field: "face.\(field.key)",
                            message: BilingualText(zh: "\(field.label)不能为空", en: "\(field.label) is required")))
                }
                continue
            }
            if let problem = Self.problem(value, of: field.type, today: today) {
                issues.append(
                    FieldIssue(
                        field: "face.\(field.key)",
                        message: BilingualText(zh: "\(field.label)：\(problem.zh)", en: "\(field.label): \(problem.en)"))
                )
            }
        }
        return issues
    }

    private static func problem(_ value: String, of type: LicenceFieldType, today: CalendarDate) -> BilingualText? {
        switch type {
        case .text:
            return value.count > 2_000 ? BilingualText(zh: "至多 2000 字", en: "at most 2,000 characters") : nil
        case .date:
            return CalendarDate(iso: value) == nil
                ? BilingualText(zh: "应为有效日期，如 2024-01-31", en: "must be a valid date such as 2024-01-31") : nil
        case .number:
            return CanonicalNumber.decimal(value) == nil ? BilingualText(zh: "应为数字", en: "must be a number") : nil
        case .residentID:
            do throws(IdentifierError) {
                _ = try ResidentIDNumber(value, today: today)
                return nil
            } catch { return error.message }
        case .creditCode:
            do throws(IdentifierError) {
                _ = try UnifiedSocialCreditCode(value)
                return nil
            } catch { return error.message }
        }
    }
}
