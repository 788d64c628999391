import Foundation

/// The file a provider fills in to load an entry: a header of the items' names (what `ColumnMapping` matches), a
/// row that says each column's type, and an example row that passes the entry's own checks. A load recognises the
/// type row and skips it, so a filled-in template loads as it is.
public struct UploadTemplate: Sendable, Hashable {
    public let items: [InfoItem]
    /// The header: each item's Chinese name.
    public let header: [String]
    /// Each column's type in words, in the language asked for: `日期型 · 必填 · 例 2024-01-31`.
    public let types: [String]
    /// One row of values each item accepts.
    public let example: [String]

    /// `codeSets` are the sets the items name; an item's example is its set's first code.
    public init(items: [InfoItem], codeSets: [CodeSet] = [], english: Bool = false) {
        self.items = items
        let sets = Dictionary(codeSets.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        header = items.map(\.name)
        types = items.map { Self.describe($0, english: english) }
        example = items.map { item in
            if let id = item.codeSet, let first = sets[id]?.codes.first { return first.code }
            return Self.example(for: item)
        }
    }

    /// The rows of the template: header, types, example.
    public var rows: [[String]] { [header, types, example] }

    /// An item's type row cell in one language.
    public static func describe(_ item: InfoItem, english: Bool) -> String {
        let zh = !english
        var parts = [zh ? item.dataType.label.zh : item.dataType.label.en]
        if let length = item.length, item.dataType.isText { parts[0] += "(\(length))" }
        if item.isKey { parts.append(zh ? "主键" : "key") }
        parts.append(item.isRequired ? (zh ? "必填" : "required") : (zh ? "可空" : "optional"))
        if let codeSet = item.codeSet { parts.append(zh ? "代码集 \(codeSet)" : "code set \(codeSet)") }
        switch item.dataType {
        case .date: parts.append(zh ? "格式 YYYY-MM-DD" : "format YYYY-MM-DD")
        case .dateTime: parts.append(zh ? "格式 YYYY-MM-DD HH:MM:SS" : "format YYYY-MM-DD HH:MM:SS")
        case .logical: parts.append(zh ? "填 是 或 否" : "是 or 否 (yes or no)")
        default: break
        }
        return parts.joined(separator: " · ")
    }

    /// Whether `cells` is a template's type row (in either language) for the items `mapping` found: every column
    /// the file has holds its item's description. A load skips such a row rather than rejecting it.
    public static func isTypeRow(_ cells: [String], mapping: ColumnMapping) -> Bool {
        var matched = 0
        for (item, position) in zip(mapping.items, mapping.positions) {
            guard let position else { continue }
            let cell = position < cells.count ? cells[position].trimmingCharacters(in: .whitespacesAndNewlines) : ""
            guard cell == describe(item, english: false) || cell == describe(item, english: true) else { return false }
            matched += 1
        }
        return matched > 0
    }

    /// A value the item accepts: by its semantic kind first (an ID number with a right check digit), else by its
    /// type; text is cut to the item's length.
    public static func example(for item: InfoItem) -> String {
        let value: String
        switch item.semanticKind {
        case .residentID: value = "11010519491231002X"
        case .creditCode: value = "91110000MA0000000H"
        case .regionCode: value = "110101"
        case .mobilePhone: value = "13800138000"
        case .landline: value = "010-12345678"
        case .personName: value = "张三"
        case .email: value = "zhangsan@example.cn"
        case .address: value = "示例市示例区示例路1号"
        case .bankCard: value = "6222000000000000000"
        case .licensePlate: value = "京A12345"
        case .other:
            switch item.dataType {
            case .numeric, .currency, .double, .float: value = "12.5"
            case .integer: value = "10"
            case .date: value = "2024-01-31"
            case .dateTime: value = "2024-01-31 08:30:00"
            case .logical: value = "是"
            case .character, .memo, .general: value = "示例"
            }
        }
        if item.dataType.isText, let length = item.length, value.count > length { return String(value.prefix(length)) }
        return value
    }
}
