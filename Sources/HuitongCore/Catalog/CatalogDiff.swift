import Foundation

/// One field that differs between two versions of an entry, in words a reviewer reads.
public struct FieldChange: Sendable, Hashable, Codable {
    /// A stable path, e.g. `shareType` or `items.sfzhm.length`.
    public var field: String
    public var label: BilingualText
    /// The value in the older version; nil when the field (or item) did not exist.
    public var before: String?
    /// The value in the newer version; nil when the field (or item) was removed.
    public var after: String?

    public init(field: String, label: BilingualText, before: String?, after: String?) {
        self.field = field
        self.label = label
        self.before = before
        self.after = after
    }
}

/// Compares two versions of an entry's content field by field, and items by column name.
public enum CatalogDiff {
    public static func changes(from old: CatalogEntryContent, to new: CatalogEntryContent) -> [FieldChange] {
        var changes: [FieldChange] = []
        func compare(_ field: String, _ zh: String, _ en: String, _ before: String?, _ after: String?) {
            if before != after {
                changes.append(
                    FieldChange(field: field, label: BilingualText(zh: zh, en: en), before: before, after: after))
            }
        }
        compare("classificationCode", "信息资源分类", "classification", old.classificationCode, new.classificationCode)
        compare("name", "信息资源名称", "name", old.name, new.name)
        compare("abstract", "信息资源摘要", "abstract", old.abstract, new.abstract)
        compare("formats", "信息资源格式", "formats", render(old.formats), render(new.formats))
        compare("shareType", "共享类型", "share type", old.shareType.label.zh, new.shareType.label.zh)
        compare("shareCondition", "共享条件", "share conditions", old.shareCondition, new.shareCondition)
        compare("shareChannel", "共享方式", "share channel", old.shareChannel.label.zh, new.shareChannel.label.zh)
        compare("shareChannelNote", "共享方式说明", "share channel note", old.shareChannelNote, new.shareChannelNote)
        compare("openness", "开放属性", "openness", old.openness.label.zh, new.openness.label.zh)
        compare("openCondition", "开放条件", "open conditions", old.openCondition, new.openCondition)
        compare("updateCycle", "更新周期", "update cycle", old.updateCycle.label.zh, new.updateCycle.label.zh)
        compare(
            "relatedCodes", "关联资源代码", "related codes", old.relatedCodes.joined(separator: "; "),
            new.relatedCodes.joined(separator: "; "))
        compare(
            "keywords", "关键字", "keywords", old.keywords.joined(separator: "; "), new.keywords.joined(separator: "; "))
        compare("grade", "安全级别", "security grade", old.grade.label.zh, new.grade.label.zh)
        compare("contact", "联系人", "contact", render(old.contact), render(new.contact))
        compare(
            "sourceSystemID", "来源信息系统", "source system", old.sourceSystemID.map(String.init),
            new.sourceSystemID.map(String.init))
        compare(
            "negativeListID", "负面清单依据", "negative-list row", old.negativeListID.map(String.init),
            new.negativeListID.map(String.init))

        let oldItems = Dictionary(old.items.map { ($0.columnName, $0) }, uniquingKeysWith: { first, _ in first })
        let newItems = Dictionary(new.items.map { ($0.columnName, $0) }, uniquingKeysWith: { first, _ in first })
        for item in old.items where newItems[item.columnName] == nil {
            compare("items.\(item.columnName)", "信息项", "data item", summary(item), nil)
        }
        for item in new.items {
            guard let before = oldItems[item.columnName] else {
                compare("items.\(item.columnName)", "信息项", "data item", nil, summary(item))
                continue
            }
            let path = "items.\(item.columnName)"
            let prefix = "信息项“\(item.name)”"
            compare("\(path).name", "\(prefix)名称", "item name", before.name, item.name)
            compare("\(path).dataType", "\(prefix)数据类型", "data type", before.dataType.rawValue, item.dataType.rawValue)
            compare(
                "\(path).length", "\(prefix)长度", "length", before.length.map(String.init), item.length.map(String.init))
            compare("\(path).isKey", "\(prefix)主键", "key", yesNo(before.isKey), yesNo(item.isKey))
            compare("\(path).isRequired", "\(prefix)必填", "required", yesNo(before.isRequired), yesNo(item.isRequired))
            compare(
                "\(path).shareType", "\(prefix)共享类型", "item share type", before.shareType.label.zh,
                item.shareType.label.zh)
            compare("\(path).grade", "\(prefix)安全级别", "item grade", before.grade.label.zh, item.grade.label.zh)
            compare(
                "\(path).semanticKind", "\(prefix)语义类别", "semantic kind", before.semanticKind.label.zh,
                item.semanticKind.label.zh)
            compare(
                "\(path).standardElement", "\(prefix)标准数据元", "data element", before.standardElement,
                item.standardElement)
            compare("\(path).note", "\(prefix)注释", "note", before.note, item.note)
            compare("\(path).codeSet", "\(prefix)代码集", "code set", before.codeSet, item.codeSet)
            compare(
                "\(path).negativeListID", "\(prefix)负面清单依据", "item negative-list row",
                before.negativeListID.map(String.init), item.negativeListID.map(String.init))
        }
        let oldOrder = old.items.map(\.columnName).filter { newItems[$0] != nil }
        let newOrder = new.items.map(\.columnName).filter { oldItems[$0] != nil }
        compare(
            "items.order", "信息项顺序", "item order", oldOrder.joined(separator: ", "), newOrder.joined(separator: ", "))
        return changes
    }

    static func render(_ formats: [ResourceFormat]) -> String {
        formats.map { "\($0.category.label.zh)/\($0.type)" }.joined(separator: "; ")
    }

    static func render(_ contact: ContactPoint?) -> String? {
        contact.map { [$0.name, $0.phone, $0.email].compactMap { $0 }.joined(separator: " ") }
    }

    static func summary(_ item: InfoItem) -> String {
        "\(item.name)（\(item.columnName)，\(item.dataType.rawValue)\(item.length.map { "\($0)" } ?? "")）"
    }

    static func yesNo(_ value: Bool) -> String { value ? "是" : "否" }
}
