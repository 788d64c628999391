import Foundation

/// A provider's correction of one record, checked the way a load checks rows: the corrected values pass the same
/// type, length, code-set and identifier checks as `RowValidator` applies on ingest, in canonical form.
public struct ObjectionCorrection: Sendable, Hashable {
    /// The whole corrected row, one value per item in the entry's item order (nil for empty).
    public var row: [String?]
    /// What changed, in item order.
    public var changes: [ItemChange]

    /// Applies `values` (column → new value; empty clears the item) to `current` (the record as the active version
    /// holds it). Key items cannot be corrected: the key names the record, and a wrong key is a new record for
    /// the next load.
    public static func make(
        values: [String: String], current: [String: String?], items: [InfoItem], codeSets: [CodeSet] = [],
        today: CalendarDate = .today()
    ) throws -> ObjectionCorrection {
        var issues = ValidationCollector()
        if values.isEmpty {
            issues.add("values", BilingualText(zh: "请给出更正后的值", en: "give the corrected values"))
        }
        let columns = Set(items.map(\.columnName))
        for column in values.keys.sorted() {
            if !columns.contains(column) {
                issues.add(
                    "values.\(column)", BilingualText(zh: "目录没有这个信息项", en: "the entry has no such item"))
            } else if items.contains(where: { $0.columnName == column && $0.isKey }) {
                issues.add(
                    "values.\(column)",
                    BilingualText(
                        zh: "主键信息项不能更正（主键标识记录；主键有误请重新归集）",
                        en: "a key item cannot be corrected (it names the record; load the data again instead)"))
            }
        }
        try issues.throwIfAny()
        // Each corrected item is checked on its own, so that an older value elsewhere in the row that a newer rule
        // would refuse does not block the correction.
        var corrected: [String: String?] = [:]
        for item in items {
            guard let value = values[item.columnName] else { continue }
            let mapping = try ColumnMapping(header: [item.columnName], items: [item])
            switch RowValidator(mapping: mapping, codeSets: codeSets, today: today).validate([value], row: 1) {
            case .success(let checked):
                corrected[item.columnName] = checked[0]
            case .failure(let problems):
                for issue in problems.issues {
                    issues.add("values.\(issue.column)", BilingualText(zh: issue.reason, en: issue.reason))
                }
            }
        }
        try issues.throwIfAny()
        var row: [String?] = []
        var changes: [ItemChange] = []
        for item in items {
            let old = current[item.columnName] ?? nil
            if values[item.columnName] == nil {
                row.append(old)
                continue
            }
            let new = corrected[item.columnName] ?? nil
            row.append(new)
            if new != old { changes.append(ItemChange(column: item.columnName, old: old, new: new)) }
        }
        if changes.isEmpty { throw ObjectionError.nothingChanged }
        return ObjectionCorrection(row: row, changes: changes)
    }
}
