import Foundation

extension CatalogEntryContent {
    /// Checks every field against 编制指南 and the platform's rules and returns the content in canonical form
    /// (trimmed text, lower-case column names, the entry grade raised to its highest item's).
    ///
    /// Whether a cited negative-list row exists and carries a legal basis is checked by the store, which can see it.
    public func validated(
        scheme: any ResourceCodeScheme = NationalResourceCodeScheme()
    ) throws(ValidationError) -> CatalogEntryContent {
        var issues = ValidationCollector()
        var result = self
        result.classificationCode = classificationCode.trimmingCharacters(in: .whitespaces)
        let node = ClassificationNode(
            scheme: ClassificationNode.guideScheme, code: result.classificationCode, name: "-")
        if !result.classificationCode.allSatisfy(\.isASCIIDigit) || !node.acceptsEntries
            || result.classificationCode.count > 20
        {
            issues.add(
                "classificationCode",
                BilingualText(
                    zh: "信息资源分类须选到“目”一级（至少 6 位数字）", en: "choose a classification at heading level (6+ digits)"))
        }
        result.name = Self.clean(name)
        Self.require(result.name, "name", BilingualText(zh: "信息资源名称", en: "name"), max: 200, &issues)
        result.abstract = Self.clean(abstract)
        Self.require(result.abstract, "abstract", BilingualText(zh: "信息资源摘要", en: "abstract"), max: 4000, &issues)

        if formats.isEmpty {
            issues.add("formats", BilingualText(zh: "至少填写一种信息资源格式", en: "give at least one format"))
        }
        result.formats = formats.map { ResourceFormat(category: $0.category, type: Self.clean($0.type)) }
        for (index, format) in result.formats.enumerated() where format.type.isEmpty || format.type.count > 40 {
            issues.add(
                "formats[\(index)].type",
                BilingualText(zh: "格式类型须为 1–40 个字符，如 XLSX", en: "format type must be 1–40 characters, e.g. XLSX"))
        }
        let structured = result.formats.contains { $0.category == .database || $0.category == .spreadsheet }
        if structured && items.isEmpty {
            issues.add(
                "items",
                BilingualText(zh: "库表或电子表格类资源须填写信息项", en: "structured resources must list their data items"))
        }
        result.items = validatedItems(&issues)

        result.shareCondition = Self.clean(shareCondition)
        result.shareChannelNote = Self.clean(shareChannelNote)
        result.openCondition = Self.clean(openCondition)
        switch shareType {
        case .conditional where result.shareCondition.isEmpty:
            issues.add(
                "shareCondition", BilingualText(zh: "有条件共享须写明共享条件", en: "conditional sharing needs its conditions"))
        case .notShared where negativeListID == nil:
            issues.add("negativeListID", Self.negativeListRequired)
        default:
            break
        }
        if shareType != .notShared && negativeListID != nil {
            issues.add(
                "negativeListID",
                BilingualText(zh: "只有不予共享的资源才引用负面清单", en: "only a resource that is not shared cites the negative list"))
        }
        if shareType == .notShared && openness != .closed {
            issues.add(
                "openness",
                BilingualText(zh: "不予共享的资源不能向社会开放", en: "a resource that is not shared cannot be open to the public"))
        }
        if openness == .conditional && result.openCondition.isEmpty {
            issues.add(
                "openCondition", BilingualText(zh: "有条件开放须写明开放条件", en: "conditional opening needs its conditions"))
        }
        if shareChannel == .otherMeans && result.shareChannelNote.isEmpty {
            issues.add(
                "shareChannelNote",
                BilingualText(zh: "其他共享方式须说明具体方式", en: "describe the other means of sharing"))
        }

        result.relatedCodes = []
        for (index, text) in relatedCodes.enumerated() {
            do {
                let code = try scheme.parse(text).text
                if !result.relatedCodes.contains(code) { result.relatedCodes.append(code) }
            } catch {
                issues.add("relatedCodes[\(index)]", error.message)
            }
        }
        result.keywords = []
        for keyword in keywords.map(Self.clean) where !keyword.isEmpty && !result.keywords.contains(keyword) {
            result.keywords.append(keyword)
        }
        if result.keywords.count > 20 || result.keywords.contains(where: { $0.count > 30 }) {
            issues.add(
                "keywords", BilingualText(zh: "关键字最多 20 个，每个不超过 30 字", en: "up to 20 keywords of 30 characters"))
        }
        if var contact {
            contact.name = Self.clean(contact.name)
            contact.phone = contact.phone.map(Self.clean).flatMap { $0.isEmpty ? nil : $0 }
            contact.email = contact.email.map(Self.clean).flatMap { $0.isEmpty ? nil : $0 }
            if contact.name.isEmpty || contact.name.count > 50 {
                issues.add(
                    "contact.name", BilingualText(zh: "联系人姓名须为 1–50 个字符", en: "contact name must be 1–50 characters"))
            }
            if let email = contact.email, !email.contains("@") || email.count > 120 {
                issues.add("contact.email", BilingualText(zh: "联系邮箱格式不正确", en: "contact e-mail is not valid"))
            }
            result.contact = contact
        }
        if let highest = result.items.map(\.grade).max(), highest > result.grade {
            result.grade = highest
        }
        try issues.throwIfAny()
        return result
    }

    private func validatedItems(_ issues: inout ValidationCollector) -> [InfoItem] {
        var names = Set<String>()
        var columns = Set<String>()
        if items.count > 500 {
            issues.add("items", BilingualText(zh: "信息项不能超过 500 个", en: "at most 500 data items"))
        }
        return items.enumerated().map { index, original in
            var item = original
            let field = "items[\(index)]"
            item.name = Self.clean(item.name)
            item.columnName = item.columnName.trimmingCharacters(in: .whitespaces).lowercased()
            item.standardElement = item.standardElement.map(Self.clean).flatMap { $0.isEmpty ? nil : $0 }
            item.note = item.note.map(Self.clean).flatMap { $0.isEmpty ? nil : $0 }
            if item.name.isEmpty || item.name.count > 100 {
                issues.add(
                    "\(field).name", BilingualText(zh: "信息项名称须为 1–100 个字符", en: "item name must be 1–100 characters"))
            } else if !names.insert(item.name).inserted {
                issues.add(
                    "\(field).name", BilingualText(zh: "信息项名称重复：\(item.name)", en: "duplicate item name: \(item.name)"))
            }
            if !Self.isColumnName(item.columnName) {
                issues.add(
                    "\(field).columnName",
                    BilingualText(
                        zh: "字段名“\(item.columnName)”须以小写字母开头，由小写字母、数字和下划线组成，最长 63 位",
                        en: "column name \"\(item.columnName)\" must start with a letter and use a–z, 0–9 and _ (≤ 63)")
                )
            } else if !columns.insert(item.columnName).inserted {
                issues.add(
                    "\(field).columnName",
                    BilingualText(zh: "字段名重复：\(item.columnName)", en: "duplicate column name: \(item.columnName)"))
            }
            if let length = item.length, !(1...65_535).contains(length) {
                issues.add("\(field).length", BilingualText(zh: "数据长度须为 1–65535", en: "length must be 1–65535"))
            }
            item.codeSet = item.codeSet.map(Self.clean).flatMap { $0.isEmpty ? nil : $0 }
            if let codeSet = item.codeSet {
                if item.dataType != .character && item.dataType != .integer {
                    issues.add(
                        "\(field).codeSet",
                        BilingualText(
                            zh: "只有字符型或整数型信息项才能引用代码集", en: "only character or integer items take a code set"))
                } else if codeSet.count > CodeSet.maximumIDLength {
                    issues.add(
                        "\(field).codeSet",
                        BilingualText(
                            zh: "代码集标识不能超过 \(CodeSet.maximumIDLength) 个字符",
                            en: "a code set id has at most \(CodeSet.maximumIDLength) characters"))
                }
            }
            if item.isKey && !item.isRequired {
                item.isRequired = true
            }
            if item.shareType.strictness < shareType.strictness {
                issues.add(
                    "\(field).shareType",
                    BilingualText(
                        zh: "信息项的共享类型不能比资源的（\(shareType.label.zh)）更宽松",
                        en: "an item cannot be shared more freely than its resource (\(shareType.label.en))"))
            }
            if item.shareType == .notShared && item.negativeListID == nil && shareType != .notShared {
                issues.add("\(field).negativeListID", Self.negativeListRequired)
            }
            if item.shareType != .notShared && item.negativeListID != nil {
                issues.add(
                    "\(field).negativeListID",
                    BilingualText(
                        zh: "只有不予共享的信息项才引用负面清单", en: "only an item that is not shared cites the negative list"))
            }
            if item.isKey && item.shareType == .notShared {
                issues.add(
                    "\(field).isKey", BilingualText(zh: "主键信息项不能不予共享", en: "a key item cannot be withheld from sharing")
                )
            }
            return item
        }
    }

    static let negativeListRequired = BilingualText(
        zh: "不予共享须引用负面清单中载明法律、行政法规或党中央、国务院政策依据的条目",
        en: "not sharing requires a negative-list row that cites a law, regulation or central policy")

    public static func isColumnName(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, ("a"..."z").contains(first), text.count <= 63 else {
            return false
        }
        return text.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }

    static func clean(_ text: String) -> String { text.trimmingCharacters(in: .whitespacesAndNewlines) }

    private static func require(
        _ value: String, _ field: String, _ label: BilingualText, max: Int, _ issues: inout ValidationCollector
    ) {
        if value.isEmpty {
            issues.add(field, BilingualText(zh: "\(label.zh)不能为空", en: "\(label.en) is required"))
        } else if value.count > max {
            issues.add(
                field,
                BilingualText(zh: "\(label.zh)不能超过 \(max) 个字符", en: "\(label.en) is longer than \(max) characters"))
        }
    }
}

extension ShareType {
    /// 无条件 < 有条件 < 不予: an item may only be stricter than its entry.
    public var strictness: Int {
        switch self {
        case .unconditional: 0
        case .conditional: 1
        case .notShared: 2
        }
    }
}
