import Foundation

/// The catalog as a spreadsheet in 编制指南 field order, one row per data item (bureaus keep their catalogs this
/// way): entry columns repeat on every item row of the entry, or are left blank after its first row, as merged
/// cells are.
public enum CatalogSheet {
    /// One column of the sheet: its header and what it holds.
    public struct Column: Sendable, Hashable {
        public let header: String
        public let key: String
        /// Written on export, ignored on import (assigned by the platform).
        public let exportOnly: Bool

        init(_ header: String, _ key: String, exportOnly: Bool = false) {
            self.header = header
            self.key = key
            self.exportOnly = exportOnly
        }
    }

    public static let columns: [Column] = [
        Column("信息资源分类", "classificationCode"), Column("信息资源名称", "name"), Column("信息资源代码", "code"),
        Column("信息资源提供方", "providerName", exportOnly: true), Column("信息资源提供方代码", "providerCode"),
        Column("信息资源摘要", "abstract"), Column("信息资源格式", "formats"),
        Column("信息项名称", "item.name"), Column("字段名", "item.columnName"), Column("数据类型", "item.dataType"),
        Column("数据长度", "item.length"), Column("是否主键", "item.isKey"), Column("是否必填", "item.isRequired"),
        Column("信息项共享类型", "item.shareType"), Column("信息项安全级别", "item.grade"),
        Column("语义类别", "item.semanticKind"), Column("标准数据元", "item.standardElement"),
        Column("代码集", "item.codeSet"),
        Column("信息项负面清单编号", "item.negativeListID"), Column("信息项注释", "item.note"),
        Column("共享类型", "shareType"), Column("共享条件", "shareCondition"), Column("共享方式", "shareChannel"),
        Column("共享方式说明", "shareChannelNote"), Column("开放属性", "openness"), Column("开放条件", "openCondition"),
        Column("更新周期", "updateCycle"), Column("发布日期", "publishedOn", exportOnly: true),
        Column("关联资源代码", "relatedCodes"), Column("关键字", "keywords"), Column("安全级别", "grade"),
        Column("联系人", "contact.name"), Column("联系电话", "contact.phone"), Column("联系邮箱", "contact.email"),
        Column("来源信息系统编号", "sourceSystemID"), Column("负面清单编号", "negativeListID"),
        Column("目录状态", "status", exportOnly: true), Column("版本号", "version", exportOnly: true),
        Column("记录数", "recordCount", exportOnly: true), Column("挂接资源", "mount", exportOnly: true),
    ]

    /// The header row followed by one row per item (one row for an entry without items).
    public static func rows(for entries: [CatalogEntry]) -> [[String]] {
        var rows = [columns.map(\.header)]
        for entry in entries {
            let content = entry.content
            let shared: [String: String] = [
                "classificationCode": content.classificationCode, "name": content.name, "code": entry.code.text,
                "providerName": entry.provider.name, "providerCode": entry.provider.code, "abstract": content.abstract,
                "formats": content.formats.map { "\($0.category.label.zh)/\($0.type)" }.joined(separator: "；"),
                "shareType": content.shareType.label.zh, "shareCondition": content.shareCondition,
                "shareChannel": content.shareChannel.label.zh, "shareChannelNote": content.shareChannelNote,
                "openness": content.openness.label.zh, "openCondition": content.openCondition,
                "updateCycle": content.updateCycle.label.zh, "publishedOn": entry.publishedOn?.description ?? "",
                "relatedCodes": content.relatedCodes.joined(separator: "；"),
                "keywords": content.keywords.joined(separator: "；"), "grade": content.grade.label.zh,
                "contact.name": content.contact?.name ?? "", "contact.phone": content.contact?.phone ?? "",
                "contact.email": content.contact?.email ?? "",
                "sourceSystemID": content.sourceSystemID.map(String.init) ?? "",
                "negativeListID": content.negativeListID.map(String.init) ?? "", "status": entry.status.label.zh,
                "version": String(entry.version), "recordCount": entry.recordCount.map(String.init) ?? "",
                "mount": entry.mount.map { "\($0.kind.label.zh)：\($0.locator)" } ?? "",
            ]
            let items: [InfoItem?] = content.items.isEmpty ? [nil] : content.items
            for item in items {
                var values = shared
                if let item {
                    values["item.name"] = item.name
                    values["item.columnName"] = item.columnName
                    values["item.dataType"] = item.dataType.rawValue
                    values["item.length"] = item.length.map(String.init) ?? ""
                    values["item.isKey"] = item.isKey ? "是" : "否"
                    values["item.isRequired"] = item.isRequired ? "是" : "否"
                    values["item.shareType"] = item.shareType.label.zh
                    values["item.grade"] = item.grade.label.zh
                    values["item.semanticKind"] = item.semanticKind.label.zh
                    values["item.standardElement"] = item.standardElement ?? ""
                    values["item.codeSet"] = item.codeSet ?? ""
                    values["item.negativeListID"] = item.negativeListID.map(String.init) ?? ""
                    values["item.note"] = item.note ?? ""
                }
                rows.append(columns.map { values[$0.key] ?? "" })
            }
        }
        return rows
    }

    /// One problem found while reading a sheet, where a person can find it.
    public struct Issue: Sendable, Hashable, Codable {
        /// 1-based row number as the spreadsheet shows it (the header is row 1); 0 for the sheet as a whole.
        public var row: Int
        public var column: String
        public var message: String

        public init(row: Int, column: String, message: BilingualText) {
            self.row = row
            self.column = column
            self.message = message.combined
        }
    }

    /// An entry read from the sheet, with the rows it came from.
    public struct ParsedEntry: Sendable {
        public var content: CatalogEntryContent
        /// The code given in the sheet, if any: the entry to change.
        public var code: String?
        /// The provider department code given in the sheet, if any.
        public var providerCode: String?
        public var firstRow: Int
        /// The sheet row of each item, in order.
        public var itemRows: [Int]
    }

    public struct ParseResult: Sendable {
        public var entries: [ParsedEntry]
        /// Problems that stop the import.
        public var issues: [Issue]
        /// Things the person should know that do not stop it (e.g. columns that were ignored).
        public var warnings: [Issue] = []
    }

    /// Reads rows (the first being the header) into validated entry contents, collecting every problem.
    public static func parse(_ rows: [[String]]) -> ParseResult {
        parse(numberedRows: rows.enumerated().map { (number: $0.offset + 1, cells: $0.element) })
    }

    /// Like `parse(_:)`, for rows that carry the row number the person sees in their file (readers skip blank
    /// rows, so positions and numbers differ).
    public static func parse(numberedRows: [(number: Int, cells: [String])]) -> ParseResult {
        let rows = numberedRows.map(\.cells)
        var issues: [Issue] = []
        var warnings: [Issue] = []
        guard let header = rows.first else {
            return ParseResult(
                entries: [],
                issues: [Issue(row: 0, column: "", message: BilingualText(zh: "文件为空", en: "the file is empty"))])
        }
        var index: [String: Int] = [:]
        for (position, text) in header.enumerated() {
            let name = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if let column = columns.first(where: { $0.header == name || $0.key == name }) {
                index[column.key] = position
            } else if !name.isEmpty {
                warnings.append(
                    Issue(
                        row: 1, column: name,
                        message: BilingualText(zh: "无法识别的列“\(name)”，已忽略", en: "unknown column \"\(name)\" was ignored"))
                )
            }
        }
        let required = ["classificationCode", "name", "abstract", "formats", "shareType", "updateCycle"]
        let missing = required.filter { index[$0] == nil }
        if !missing.isEmpty {
            let names = missing.compactMap { key in columns.first { $0.key == key }?.header }
            issues.append(
                Issue(
                    row: 1, column: names.joined(separator: "、"),
                    message: BilingualText(
                        zh: "缺少必需的列：\(names.joined(separator: "、"))", en: "required columns are missing: \(names)")))
            return ParseResult(entries: [], issues: issues, warnings: warnings)
        }
        var entries: [ParsedEntry] = []
        var currentKey: String?
        for (offset, row) in rows.enumerated().dropFirst() {
            let rowNumber = numberedRows[offset].number
            func value(_ key: String) -> String {
                guard let position = index[key], position < row.count else { return "" }
                return row[position].trimmingCharacters(in: .whitespacesAndNewlines)
            }
            if row.allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty }) { continue }
            let name = value("name")
            let key = name.isEmpty ? currentKey : "\(name)\u{1}\(value("code"))"
            if key == nil {
                issues.append(
                    Issue(
                        row: rowNumber, column: "信息资源名称",
                        message: BilingualText(zh: "第一行数据须填写信息资源名称", en: "the first data row needs a resource name")))
                continue
            }
            if key != currentKey {
                currentKey = key
                var rowIssues: [Issue] = []
                let content = entryContent(value, row: rowNumber, &rowIssues)
                issues += rowIssues
                entries.append(
                    ParsedEntry(
                        content: content, code: value("code").isEmpty ? nil : value("code"),
                        providerCode: value("providerCode").isEmpty ? nil : value("providerCode"), firstRow: rowNumber,
                        itemRows: []))
            }
            if !value("item.name").isEmpty || !value("item.columnName").isEmpty {
                var rowIssues: [Issue] = []
                let item = infoItem(
                    value, entryShareType: entries[entries.count - 1].content.shareType, row: rowNumber, &rowIssues)
                issues += rowIssues
                entries[entries.count - 1].content.items.append(item)
                entries[entries.count - 1].itemRows.append(rowNumber)
            }
        }
        for position in entries.indices {
            do {
                entries[position].content = try entries[position].content.validated()
            } catch {
                for issue in error.issues {
                    issues.append(locate(issue, in: entries[position]))
                }
            }
        }
        return ParseResult(entries: entries, issues: issues, warnings: warnings)
    }

    /// Maps a validation field such as `items[2].columnName` to the sheet row and column it came from.
    static func locate(_ issue: FieldIssue, in entry: ParsedEntry) -> Issue {
        var row = entry.firstRow
        var key = issue.field
        if issue.field.hasPrefix("items["), let close = issue.field.firstIndex(of: "]"),
            let number = Int(issue.field[issue.field.index(issue.field.startIndex, offsetBy: 6)..<close])
        {
            if number < entry.itemRows.count { row = entry.itemRows[number] }
            key = "item" + issue.field[close...].dropFirst()
        } else if let bracket = key.firstIndex(of: "[") {
            key = String(key[..<bracket])
        }
        let header = columns.first { $0.key == key }?.header ?? issue.field
        var result = Issue(row: row, column: header, message: BilingualText(zh: "", en: ""))
        result.message = issue.message
        return result
    }

    static func entryContent(_ value: (String) -> String, row: Int, _ issues: inout [Issue]) -> CatalogEntryContent {
        func labeled<Value: LabeledValue>(_ key: String, _ type: Value.Type, default fallback: Value) -> Value {
            let text = value(key)
            if text.isEmpty { return fallback }
            if let parsed = Value.parse(text) { return parsed }
            issues.append(invalid(text, key: key, row: row, choices: Value.choices))
            return fallback
        }
        func identifier(_ key: String) -> Int64? {
            let text = value(key)
            if text.isEmpty { return nil }
            if let number = Int64(text), number > 0 { return number }
            issues.append(
                Issue(
                    row: row, column: header(key),
                    message: BilingualText(zh: "“\(text)”不是有效编号", en: "\"\(text)\" is not a valid id")))
            return nil
        }
        var formats: [ResourceFormat] = []
        for part in split(value("formats")) {
            let pieces = part.split(separator: "/", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if pieces.count == 2, let category = FormatCategory.parse(pieces[0]) {
                formats.append(ResourceFormat(category: category, type: pieces[1]))
            } else {
                issues.append(
                    Issue(
                        row: row, column: "信息资源格式",
                        message: BilingualText(
                            zh: "格式“\(part)”应写作“类别/类型”，如“电子表格/XLSX”；类别可选：\(FormatCategory.choices.zh)",
                            en: "format \"\(part)\" should read category/type, e.g. spreadsheet/XLSX")))
            }
        }
        let contactName = value("contact.name")
        let shareType = labeled("shareType", ShareType.self, default: .conditional)
        return CatalogEntryContent(
            classificationCode: value("classificationCode"), name: value("name"), abstract: value("abstract"),
            formats: formats, items: [], shareType: shareType, shareCondition: value("shareCondition"),
            shareChannel: labeled("shareChannel", ShareChannel.self, default: .interface),
            shareChannelNote: value("shareChannelNote"),
            openness: labeled("openness", Openness.self, default: .closed), openCondition: value("openCondition"),
            updateCycle: labeled("updateCycle", UpdateCycle.self, default: .irregular),
            relatedCodes: split(value("relatedCodes")), keywords: split(value("keywords")),
            grade: labeled("grade", SecurityGrade.self, default: .general1),
            contact: contactName.isEmpty
                ? nil
                : ContactPoint(
                    name: contactName, phone: value("contact.phone").isEmpty ? nil : value("contact.phone"),
                    email: value("contact.email").isEmpty ? nil : value("contact.email")),
            sourceSystemID: identifier("sourceSystemID"), negativeListID: identifier("negativeListID"))
    }

    static func infoItem(
        _ value: (String) -> String, entryShareType: ShareType, row: Int, _ issues: inout [Issue]
    ) -> InfoItem {
        func labeled<Value: LabeledValue>(_ key: String, _ type: Value.Type, default fallback: Value) -> Value {
            let text = value(key)
            if text.isEmpty { return fallback }
            if let parsed = Value.parse(text) { return parsed }
            issues.append(invalid(text, key: key, row: row, choices: Value.choices))
            return fallback
        }
        func flag(_ key: String) -> Bool {
            let text = value(key).lowercased()
            if ["是", "y", "yes", "true", "1", "√"].contains(text) { return true }
            if ["", "否", "n", "no", "false", "0"].contains(text) { return false }
            issues.append(
                Issue(
                    row: row, column: header(key),
                    message: BilingualText(zh: "“\(text)”应为“是”或“否”", en: "\"\(text)\" should be 是 or 否")))
            return false
        }
        var length: Int?
        let lengthText = value("item.length")
        if !lengthText.isEmpty {
            if let number = Int(lengthText) {
                length = number
            } else {
                issues.append(
                    Issue(
                        row: row, column: "数据长度",
                        message: BilingualText(zh: "“\(lengthText)”不是整数", en: "\"\(lengthText)\" is not a whole number")
                    ))
            }
        }
        var negative: Int64?
        let negativeText = value("item.negativeListID")
        if !negativeText.isEmpty {
            negative = Int64(negativeText)
            if negative == nil {
                issues.append(
                    Issue(
                        row: row, column: "信息项负面清单编号",
                        message: BilingualText(
                            zh: "“\(negativeText)”不是有效编号", en: "\"\(negativeText)\" is not a valid id")))
            }
        }
        let dataTypeText = value("item.dataType")
        var dataType = DataType.character
        if let parsed = DataType.parse(dataTypeText) {
            dataType = parsed
        } else {
            issues.append(
                invalid(
                    dataTypeText.isEmpty ? "（空）" : dataTypeText, key: "item.dataType", row: row,
                    choices: DataType.choices))
        }
        return InfoItem(
            name: value("item.name"), columnName: value("item.columnName"), dataType: dataType, length: length,
            isKey: flag("item.isKey"), isRequired: flag("item.isRequired"),
            shareType: labeled("item.shareType", ShareType.self, default: entryShareType),
            grade: labeled("item.grade", SecurityGrade.self, default: .general1),
            semanticKind: labeled("item.semanticKind", SemanticKind.self, default: .other),
            standardElement: value("item.standardElement").isEmpty ? nil : value("item.standardElement"),
            note: value("item.note").isEmpty ? nil : value("item.note"), negativeListID: negative,
            codeSet: value("item.codeSet").isEmpty ? nil : value("item.codeSet"))
    }

    static func header(_ key: String) -> String { columns.first { $0.key == key }?.header ?? key }

    static func invalid(_ text: String, key: String, row: Int, choices: BilingualText) -> Issue {
        invalid(text, column: header(key), row: row, choices: choices)
    }

    /// A value that is not one of `choices`, in the column a person sees (any sheet's).
    static func invalid(_ text: String, column: String, row: Int, choices: BilingualText) -> Issue {
        Issue(
            row: row, column: column,
            message: BilingualText(zh: "“\(text)”不是有效值，可选：\(choices.zh)", en: "\"\(text)\" is not one of \(choices.en)")
        )
    }

    /// Splits a multi-valued cell on Chinese or ASCII semicolons, commas or line breaks.
    static func split(_ text: String) -> [String] {
        text.split { "；;，,\n".contains($0) }.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}
