import Foundation

/// A 办事指南 sheet: one row per form element or material, the matter's columns repeated on each of its rows or left
/// blank after its first, as merged cells are. A row that names no element or material gives the matter alone.
public enum MatterSheet {
    public struct Column: Sendable, Hashable {
        public let header: String
        public let key: String

        init(_ header: String, _ key: String) {
            self.header = header
            self.key = key
        }
    }

    public static let columns: [Column] = [
        Column("实施编码", "implementationCode"), Column("基本编码", "basicCode"), Column("事项名称", "name"),
        Column("事项类型", "type"), Column("实施部门", "department"), Column("法定时限", "legalTimeLimitDays"),
        Column("承诺时限", "promisedTimeLimitDays"), Column("设定依据", "legalBasis"), Column("行类型", "rowKind"),
        Column("名称", "label"), Column("字段标识", "key"), Column("数据类型", "valueType"), Column("长度", "maxLength"),
        Column("必填", "required"), Column("必要性", "need"), Column("适用情形", "condition"), Column("材料形式", "form"),
        Column("主体角色", "role"), Column("数据字典", "dictionary"), Column("字典值", "dictionaryValues"),
        Column("关联信息项", "catalogItems"), Column("标准数据元", "standardElement"), Column("替代证照", "licenceTypeCode"),
        Column("数据来源部门", "heldBy"),
    ]

    static let matterKeys = [
        "basicCode", "name", "type", "department", "legalTimeLimitDays", "promisedTimeLimitDays", "legalBasis",
    ]

    /// A matter read from the sheet, with the department as the sheet names it and the rows it came from.
    public struct ParsedMatter: Sendable {
        public var content: MatterDraft
        /// 实施部门 as written (a department's name, code or 统一社会信用代码); blank for the importer's own.
        public var department: String
        public var firstRow: Int
        public var elementRows: [Int]
        public var materialRows: [Int]
        /// Whether any of its rows has a problem: such a matter is not imported.
        public var isRejected: Bool
    }

    public struct ParseResult: Sendable {
        public var matters: [ParsedMatter]
        public var issues: [CatalogSheet.Issue]
    }

    /// The header row, then the rows of each matter: its elements, then its materials.
    public static func rows(for matters: [(matter: MatterDraft, department: String)]) -> [[String]] {
        var rows = [columns.map(\.header)]
        for (matter, department) in matters {
            let shared: [String: String] = [
                "implementationCode": matter.implementationCode, "basicCode": matter.basicCode, "name": matter.name,
                "type": matter.type.label.zh, "department": department,
                "legalTimeLimitDays": matter.legalTimeLimitDays.map(String.init) ?? "",
                "promisedTimeLimitDays": matter.promisedTimeLimitDays.map(String.init) ?? "",
                "legalBasis": matter.legalBasis,
            ]
            var lines: [[String: String]] = matter.elements.map { element in
                [
                    "rowKind": "要素", "label": element.label, "key": element.key, "valueType": element.type.label.zh,
                    "maxLength": element.maxLength.map(String.init) ?? "", "required": element.isRequired ? "是" : "否",
                    "role": element.role, "dictionary": element.dictionary?.code ?? "",
                    "dictionaryValues": element.dictionary?.values.joined(separator: "|") ?? "",
                    "catalogItems": element.catalogItem?.description ?? "",
                    "standardElement": element.standardElement ?? "", "heldBy": element.heldBy ?? "",
                ]
            }
            lines += matter.materials.map { material in
                [
                    "rowKind": "材料", "label": material.name, "need": material.need.label.zh,
                    "condition": material.condition ?? "", "form": material.form ?? "",
                    "catalogItems": material.catalogItems.map(\.description).joined(separator: "；"),
                    "licenceTypeCode": material.licenceTypeCode ?? "", "heldBy": material.heldBy ?? "",
                ]
            }
            for line in lines.isEmpty ? [[:]] : lines {
                let values = shared.merging(line) { $1 }
                rows.append(columns.map { values[$0.key] ?? "" })
            }
        }
        return rows
    }

    /// Reads numbered rows (the header first) into matters, each problem with its row and column. A matter with a
    /// problem on any of its rows is marked rejected, so that no department receives half a form.
    public static func parse(numberedRows: [(number: Int, cells: [String])]) -> ParseResult {
        guard let headerCells = numberedRows.first?.cells else {
            return ParseResult(matters: [], issues: [issue(0, "", BilingualText(zh: "文件为空", en: "the file is empty"))])
        }
        var index: [String: Int] = [:]
        var issues: [CatalogSheet.Issue] = []
        for (position, text) in headerCells.enumerated() {
            let name = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if let column = columns.first(where: { $0.header == name || $0.key == name }) {
                index[column.key] = position
            } else if !name.isEmpty {
                issues.append(
                    issue(
                        1, name,
                        BilingualText(
                            zh: "无法识别的列“\(name)”；可用的列：\(columns.map(\.header).joined(separator: "、"))",
                            en: "unknown column \"\(name)\"")))
            }
        }
        let missing = ["implementationCode", "name", "legalBasis"].filter { index[$0] == nil }
        if !missing.isEmpty {
            let names = missing.map(header(_:)).joined(separator: "、")
            issues.append(
                issue(1, names, BilingualText(zh: "缺少必需的列：\(names)", en: "required columns are missing: \(names)")))
        }
        if !issues.isEmpty { return ParseResult(matters: [], issues: issues) }

        var matters: [ParsedMatter] = []
        var positions: [String: Int] = [:]
        var current: Int?
        for row in numberedRows.dropFirst() {
            func value(_ key: String) -> String {
                guard let position = index[key], position < row.cells.count else { return "" }
                return row.cells[position].trimmingCharacters(in: .whitespacesAndNewlines)
            }
            if row.cells.allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty }) { continue }
            var rowIssues: [CatalogSheet.Issue] = []
            let code = value("implementationCode").uppercased()
            if !code.isEmpty {
                if let at = positions[code], at != current {
                    rowIssues.append(
                        issue(
                            row.number, header("implementationCode"),
                            BilingualText(
                                zh: "实施编码 \(code) 出现在不连续的行中，请把同一事项的行放在一起",
                                en: "the code \(code) appears in separate places; keep a matter's rows together")))
                    issues += rowIssues
                    matters[at].isRejected = true
                    // The rows that follow, code left blank, belong to this matter: it is refused with them.
                    current = at
                    continue
                }
                if positions[code] == nil {
                    positions[code] = matters.count
                    current = matters.count
                    matters.append(
                        ParsedMatter(
                            content: matterContent(value, row: row.number, code: code, &rowIssues),
                            department: value("department"), firstRow: row.number, elementRows: [], materialRows: [],
                            isRejected: false))
                } else {
                    // A repeated matter column must say the same as the matter's first row.
                    let first = matters[current!]
                    var ignored: [CatalogSheet.Issue] = []
                    let again = matterContent(value, row: row.number, code: code, &ignored)
                    // Compared as read, so 行政许可 and licensing, 05 and 5 are the same.
                    let differs: [String: Bool] = [
                        "basicCode": again.basicCode != first.content.basicCode,
                        "name": again.name != first.content.name,
                        "type": again.type != first.content.type, "department": value("department") != first.department,
                        "legalTimeLimitDays": again.legalTimeLimitDays != first.content.legalTimeLimitDays,
                        "promisedTimeLimitDays": again.promisedTimeLimitDays != first.content.promisedTimeLimitDays,
                        "legalBasis": again.legalBasis != first.content.legalBasis,
                    ]
                    for key in matterKeys where !value(key).isEmpty && differs[key] == true {
                        rowIssues.append(
                            issue(
                                row.number, header(key),
                                BilingualText(
                                    zh: "与该事项第 \(first.firstRow) 行所填不一致",
                                    en: "differs from the matter's row \(first.firstRow)")))
                    }
                }
            }
            guard let at = current else {
                issues.append(
                    issue(
                        row.number, header("implementationCode"),
                        BilingualText(zh: "第一行数据须填写实施编码", en: "the first data row needs the implementation code")))
                continue
            }
            switch value("rowKind") {
            case "要素", "element":
                matters[at].content.elements.append(element(value, row: row.number, &rowIssues))
                matters[at].elementRows.append(row.number)
            case "材料", "material":
                matters[at].content.materials.append(material(value, row: row.number, &rowIssues))
                matters[at].materialRows.append(row.number)
            case "":
                if !value("label").isEmpty {
                    rowIssues.append(
                        issue(
                            row.number, header("rowKind"),
                            BilingualText(
                                zh: "请写明行类型：要素或材料", en: "say whether the row is an element (要素) or a material (材料)")))
                }
            case let other:
                rowIssues.append(
                    issue(
                        row.number, header("rowKind"),
                        BilingualText(zh: "行类型“\(other)”无效，可选：要素、材料", en: "row kind \"\(other)\" must be 要素 or 材料")))
            }
            if !rowIssues.isEmpty { matters[at].isRejected = true }
            issues += rowIssues
        }
        for at in matters.indices {
            do {
                matters[at].content = try matters[at].content.validated()
            } catch {
                matters[at].isRejected = true
                issues += error.issues.map { locate($0, in: matters[at]) }
            }
        }
        return ParseResult(matters: matters, issues: issues.sorted { ($0.row, $0.column) < ($1.row, $1.column) })
    }

    static func matterContent(
        _ value: (String) -> String, row: Int, code: String, _ issues: inout [CatalogSheet.Issue]
    ) -> MatterDraft {
        var type = MatterType.publicService
        if !value("type").isEmpty {
            if let parsed = MatterType.parse(value("type")) {
                type = parsed
            } else {
                issues.append(invalid(value("type"), "type", row: row, choices: MatterType.choices))
            }
        }
        return MatterDraft(
            implementationCode: code, basicCode: value("basicCode"), name: value("name"), type: type,
            legalTimeLimitDays: number(value, "legalTimeLimitDays", row: row, &issues),
            promisedTimeLimitDays: number(value, "promisedTimeLimitDays", row: row, &issues),
            legalBasis: value("legalBasis"))
    }

    static func element(_ value: (String) -> String, row: Int, _ issues: inout [CatalogSheet.Issue]) -> FormElement {
        var type = FormValueType.text
        if !value("valueType").isEmpty {
            if let parsed = FormValueType.parse(value("valueType")) {
                type = parsed
            } else {
                issues.append(
                    invalid(value("valueType"), "valueType", row: row, choices: FormValueType.choices))
            }
        }
        var required = false
        switch value("required").lowercased() {
        case "是", "y", "yes", "true", "1", "必填": required = true
        case "", "否", "n", "no", "false", "0", "选填": required = false
        case let other:
            issues.append(
                issue(
                    row, header("required"),
                    BilingualText(zh: "“\(other)”应为“是”或“否”", en: "\"\(other)\" should be 是 or 否")))
        }
        let items = references(value, row: row, &issues)
        if items.count > 1 {
            issues.append(
                issue(
                    row, header("catalogItems"),
                    BilingualText(zh: "一个要素只能关联一个信息项", en: "an element links one data item at most")))
        }
        let dictionaryCode = value("dictionary")
        let dictionaryValues = value("dictionaryValues").split { "|｜、;；".contains($0) }.map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        if dictionaryCode.isEmpty && !dictionaryValues.isEmpty {
            issues.append(
                issue(
                    row, header("dictionary"),
                    BilingualText(zh: "列出字典值时须写明数据字典代码", en: "name the dictionary whose values are listed")))
        }
        return FormElement(
            key: value("key"), label: value("label"), type: type,
            maxLength: number(value, "maxLength", row: row, &issues), isRequired: required,
            dictionary: dictionaryCode.isEmpty ? nil : FormDictionary(code: dictionaryCode, values: dictionaryValues),
            role: value("role"), catalogItem: items.first,
            standardElement: value("standardElement").isEmpty ? nil : value("standardElement"),
            heldBy: value("heldBy").isEmpty ? nil : value("heldBy"))
    }

    static func material(_ value: (String) -> String, row: Int, _ issues: inout [CatalogSheet.Issue]) -> MatterMaterial
    {
        var need = MaterialNeed.must
        if !value("need").isEmpty {
            if let parsed = MaterialNeed.parse(value("need")) {
                need = parsed
            } else {
                issues.append(
                    invalid(value("need"), "need", row: row, choices: MaterialNeed.choices))
            }
        }
        return MatterMaterial(
            name: value("label"), need: need, condition: value("condition").isEmpty ? nil : value("condition"),
            form: value("form").isEmpty ? nil : value("form"),
            licenceTypeCode: value("licenceTypeCode").isEmpty ? nil : value("licenceTypeCode"),
            catalogItems: references(value, row: row, &issues), heldBy: value("heldBy").isEmpty ? nil : value("heldBy"))
    }

    static func references(_ value: (String) -> String, row: Int, _ issues: inout [CatalogSheet.Issue])
        -> [ItemReference]
    {
        CatalogSheet.split(value("catalogItems")).compactMap { text in
            if let reference = ItemReference(text) { return reference }
            issues.append(
                issue(
                    row, header("catalogItems"),
                    BilingualText(
                        zh: "“\(text)”无效：\(ItemReference.formatHint.zh)",
                        en: "\"\(text)\" is invalid: \(ItemReference.formatHint.en)")))
            return nil
        }
    }

    static func number(
        _ value: (String) -> String, _ key: String, row: Int, _ issues: inout [CatalogSheet.Issue]
    ) -> Int? {
        let text = value(key)
        if text.isEmpty { return nil }
        if let number = Int(text) { return number }
        issues.append(
            issue(row, header(key), BilingualText(zh: "“\(text)”不是整数", en: "\"\(text)\" is not a whole number")))
        return nil
    }

    /// Maps a validation field (`elements[2].key`, `materials[0].name`, `name`) to its sheet row and column.
    public static func locate(_ fieldIssue: FieldIssue, in matter: ParsedMatter) -> CatalogSheet.Issue {
        let field = fieldIssue.field
        var row = matter.firstRow
        var key = field
        for (prefix, rows) in [("elements[", matter.elementRows), ("materials[", matter.materialRows)]
        where field.hasPrefix(prefix) {
            let digits = field.dropFirst(prefix.count).prefix { $0.isNumber }
            if let number = Int(digits), number < rows.count { row = rows[number] }
            key = String(field.drop { $0 != "." }.dropFirst())
        }
        let column: String
        switch key {
        case "name" where field.hasPrefix("materials["): column = header("label")
        case "licenceTypeCode", "condition", "key", "label", "maxLength", "role", "dictionary":
            column = header(key)
        default: column = columns.first { $0.key == key }?.header ?? field
        }
        var located = CatalogSheet.Issue(row: row, column: column, message: BilingualText(zh: "", en: ""))
        located.message = fieldIssue.message
        return located
    }

    static func invalid(_ text: String, _ key: String, row: Int, choices: BilingualText) -> CatalogSheet.Issue {
        CatalogSheet.invalid(text, column: header(key), row: row, choices: choices)
    }

    static func header(_ key: String) -> String { columns.first { $0.key == key }?.header ?? key }

    static func issue(_ row: Int, _ column: String, _ message: BilingualText) -> CatalogSheet.Issue {
        CatalogSheet.Issue(row: row, column: column, message: message)
    }
}
