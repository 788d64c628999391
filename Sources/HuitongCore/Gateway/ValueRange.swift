/// Rows whose value in `column` lies between `lowest` and `highest` (each inclusive, either open when nil),
/// compared in the column's type: numbers as numbers, dates and date-times in time order. Bounds are canonical
/// text of that type (`RowValidator`'s).
public struct ValueRange: Sendable, Hashable, Codable {
    public var column: String
    public var lowest: String?
    public var highest: String?

    public init(column: String, lowest: String?, highest: String?) {
        self.column = column
        self.lowest = lowest
        self.highest = highest
    }

    /// The ranges asked for by `<column>.from` and `<column>.to` query parameters (other parameters are left to
    /// the caller). Only `filterable` items can be ranged: a range over an item the caller may not read in clear
    /// would reveal it a bisection at a time, so the caller passes only items it serves unmasked.
    public static func parse(
        _ parameters: [(name: String, value: String)], items: [InfoItem], filterable: Set<String>,
        today: CalendarDate
    ) throws(GatewayError) -> [ValueRange] {
        var ranges: [String: ValueRange] = [:]
        for (name, value) in parameters {
            let bound: WritableKeyPath<ValueRange, String?>
            let column: String
            if name.hasSuffix(".from") {
                (bound, column) = (\.lowest, String(name.dropLast(".from".count)))
            } else if name.hasSuffix(".to") {
                (bound, column) = (\.highest, String(name.dropLast(".to".count)))
            } else {
                continue
            }
            guard let item = items.first(where: { $0.columnName == column }) else {
                throw .unknownParameter(name)
            }
            guard filterable.contains(column) else {
                throw .badRange(
                    parameter: name,
                    BilingualText(
                        zh: "只能按已授权且不脱敏的信息项筛选", en: "only items granted to you unmasked can be filtered"))
            }
            let type = ColumnType(for: item)
            guard [.integer, .decimal, .date, .dateTime].contains(type) else {
                throw .badRange(
                    parameter: name,
                    BilingualText(zh: "只有数值和日期类信息项可以按范围筛选", en: "only numbers and dates can be filtered by range"))
            }
            guard ranges[column]?[keyPath: bound] == nil else {
                throw .badRange(parameter: name, BilingualText(zh: "重复给出", en: "is given twice"))
            }
            let trimmed = value.trimmedOfWhitespace()
            guard !trimmed.isEmpty else {
                throw .badRange(parameter: name, BilingualText(zh: "不能为空", en: "must not be empty"))
            }
            let canonical: String
            switch RowValidator.check(trimmed, against: item, today: today) {
            case .success(let value): canonical = value
            case .failure(let rejection): throw .badRange(parameter: name, rejection.reason)
            }
            var range = ranges[column] ?? ValueRange(column: column, lowest: nil, highest: nil)
            range[keyPath: bound] = canonical
            ranges[column] = range
        }
        return ranges.values.sorted { $0.column < $1.column }
    }
}
