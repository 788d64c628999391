import Foundation

/// Runs quality rules over a resource's rows, one batch at a time, and scores the result.
///
/// Memory stays bounded whatever the row count, except for uniqueness: each uniqueness rule remembers a 128-bit
/// digest (two independently keyed 64-bit `Hasher` values) of every key it has seen, 16 bytes plus set overhead per
/// distinct key, so that a duplicate is caught however many batches apart the two rows arrive. Raw key values are
/// never kept. `Hasher` is seeded per process, which is fine because digests live only as long as one run; two
/// distinct keys colliding needs on the order of 2^64 keys.
public struct QualityEvaluator: Sendable {
    public let rules: [QualityRule]
    public let limits: QualityLimits
    public let weights: QualityWeights
    private var checks: [Check]
    private let items: [String: InfoItem]
    private let masking: MaskingPolicy
    private let recognizer: ValueRecognizer
    private let today: CalendarDate
    private var tallies: [Tally]
    private var rowsSeen = 0
    private var failures: [QualityFailure] = []

    /// Checks the rules against the items before any row is read: every column must be an item's, every code set and
    /// reference key set named must be supplied, patterns must compile, weights must be positive.
    ///
    /// - Parameters:
    ///   - codeSets: the code sets `codeSet` rules name.
    ///   - referenceKeys: for each `referential` rule's set name, the keys of the other resource.
    public init(
        rules: [QualityRule], items: [InfoItem], codeSets: [CodeSet] = [], referenceKeys: [String: Set<String>] = [:],
        weights: QualityWeights = .equal, limits: QualityLimits = QualityLimits(), masking: MaskingPolicy = .builtIn,
        today: CalendarDate = .today()
    ) throws(ValidationError) {
        let byColumn = Dictionary(items.map { ($0.columnName, $0) }, uniquingKeysWith: { first, _ in first })
        let sets = Dictionary(codeSets.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var issues = ValidationCollector()
        var checks: [Check] = []
        var ids = Set<String>()
        for (index, rule) in rules.enumerated() {
            let field = "rules[\(index)]"
            if !ids.insert(rule.id).inserted {
                issues.add(
                    "\(field).id", BilingualText(zh: "规则编号 \(rule.id) 重复", en: "rule id \(rule.id) is used twice"))
            }
            if !(rule.weight > 0 && rule.weight.isFinite) {
                issues.add(
                    "\(field).weight",
                    BilingualText(zh: "规则 \(rule.id) 的权重须为正数", en: "rule \(rule.id) needs a positive weight"))
            }
            for column in rule.columns where byColumn[column] == nil {
                issues.add(
                    "\(field).columns",
                    BilingualText(
                        zh: "规则 \(rule.id) 引用的列 \(column) 不是本资源的信息项",
                        en: "rule \(rule.id) reads column \(column), which is not an item of this resource"))
            }
            let needed = Self.columnCount(of: rule.kind)
            if !needed.contains(rule.columns.count) {
                issues.add(
                    "\(field).columns",
                    BilingualText(
                        zh: "规则 \(rule.id) 须指定 \(Self.describe(needed, zh: true)) 列，实际为 \(rule.columns.count) 列",
                        en:
                            "rule \(rule.id) needs \(Self.describe(needed, zh: false)) columns, not \(rule.columns.count)"
                    ))
                continue
            }
            let column = rule.columns.first ?? ""
            switch rule.kind {
            case .notNull: checks.append(.notNull(column))
            case .typeAndLength:
                let item = byColumn[column].map { item in
                    var plain = item
                    plain.semanticKind = .other
                    return plain
                }
                checks.append(.typeAndLength(column, item))
            case .pattern(let pattern):
                do {
                    // Anchored so that the pattern must describe the whole value, as a data standard's format does.
                    checks.append(.pattern(column, try NSRegularExpression(pattern: "\\A(?:\(pattern))\\z")))
                } catch {
                    issues.add(
                        "\(field).kind",
                        BilingualText(
                            zh: "规则 \(rule.id) 的正则表达式无效：\(pattern)",
                            en: "rule \(rule.id) has an invalid regular expression: \(pattern)"))
                }
            case .codeSet(let id):
                if sets[id] == nil {
                    issues.add(
                        "\(field).kind",
                        BilingualText(
                            zh: "规则 \(rule.id) 引用的代码集 \(id) 未提供",
                            en: "rule \(rule.id) names code set \(id), which was not supplied"))
                }
                checks.append(.codeSet(column, CodeLookup(id: id, set: sets[id])))
            case .identifierCheck(let kind):
                if !ValueRecognizer.checkableKinds.contains(kind) {
                    issues.add(
                        "\(field).kind",
                        BilingualText(
                            zh: "\(kind.label.zh)没有可校验的格式，不能用作校验规则",
                            en: "\(kind.label.en) has no definite format to check against"))
                }
                checks.append(.identifier(column, kind))
            case .crossField: checks.append(.crossField(column, rule.columns.count > 1 ? rule.columns[1] : column))
            case .range(let range): checks.append(.range(column, range))
            case .uniqueness: checks.append(.uniqueness(rule.columns))
            case .referential(let name):
                if referenceKeys[name] == nil {
                    issues.add(
                        "\(field).kind",
                        BilingualText(
                            zh: "规则 \(rule.id) 所需的关联资源键集 \(name) 未提供",
                            en:
                                "rule \(rule.id) needs the key set \(name) of the related resource, which was not supplied"
                        ))
                }
                checks.append(.referential(column, referenceKeys[name] ?? []))
            case .freshness(let cycle): checks.append(.freshness(cycle))
            }
        }
        for (dimension, weight) in weights.weights.sorted(by: { $0.key.rawValue < $1.key.rawValue })
        where !(weight >= 0 && weight.isFinite) {
            issues.add(
                "weights.\(dimension.rawValue)",
                BilingualText(
                    zh: "\(dimension.label.zh)的权重不能为负数", en: "the weight of \(dimension.label.en) cannot be negative"))
        }
        if limits.samplesPerRule < 0 || limits.failingRowsPerRule < 0 {
            issues.add(
                "limits", BilingualText(zh: "样例和问题行上限不能为负数", en: "sample and failing-row limits cannot be negative"))
        }
        // A rule with a problem adds no check, so `checks` lines up with `rules` only when nothing was wrong, which is
        // the only case in which the evaluator is built.
        try issues.throwIfAny()
        self.rules = rules
        self.checks = checks
        self.items = byColumn
        self.limits = limits
        self.weights = weights
        self.masking = masking
        self.recognizer = ValueRecognizer(today: today)
        self.today = today
        self.tallies = Array(repeating: Tally(), count: rules.count)
    }

    /// Checks a batch of rows keyed by column name; a missing key is an empty value.
    ///
    /// - Parameter rowNumbers: one per row (pool row ids, file line numbers), for samples and the correction queue;
    ///   without them rows are numbered by their position in the run, from 1.
    public mutating func consume(_ rows: [[String: String?]], rowNumbers: [Int64]? = nil) throws(ValidationError) {
        try checkRowNumbers(rowNumbers, count: rows.count)
        for (offset, row) in rows.enumerated() {
            evaluate(number: rowNumbers?[offset] ?? Int64(rowsSeen + 1)) { column in row[column] ?? nil }
        }
    }

    /// Checks a batch of positional rows whose columns are named by `header`; a short row has empty trailing cells.
    public mutating func consume(header: [String], rows: [[String?]], rowNumbers: [Int64]? = nil)
        throws(ValidationError)
    {
        try checkRowNumbers(rowNumbers, count: rows.count)
        var positions: [String: Int] = [:]
        for (index, name) in header.enumerated() where positions[name] == nil { positions[name] = index }
        let missing = Set(rules.flatMap(\.columns)).subtracting(positions.keys).sorted()
        guard missing.isEmpty else {
            throw ValidationError(
                field: "header",
                BilingualText(
                    zh: "表头缺少规则所需的列：\(missing.joined(separator: "、"))",
                    en: "the header lacks columns the rules read: \(missing.joined(separator: ", "))"))
        }
        for (offset, row) in rows.enumerated() {
            evaluate(number: rowNumbers?[offset] ?? Int64(rowsSeen + 1)) { column in
                guard let position = positions[column], position < row.count else { return nil }
                return row[position]
            }
        }
    }

    /// The scored results. Freshness rules are judged here, once, from when the resource was last updated (nil when
    /// it never was); the evaluator can go on consuming rows afterwards.
    public func report(lastUpdated: Date?, now: Date) -> QualityReport {
        var results: [QualityRuleResult] = []
        for (index, rule) in rules.enumerated() {
            var tally = tallies[index]
            var note: BilingualText?
            if case .freshness(let cycle) = checks[index] {
                (tally, note) = Self.freshness(cycle, lastUpdated: lastUpdated, now: now)
            }
            results.append(
                QualityRuleResult(
                    rule: rule, checked: tally.checked, failed: tally.failed, samples: tally.samples,
                    failingRows: tally.failingRows, failingRowsTruncated: tally.failingRowsTruncated, note: note))
        }
        return QualityReport(rowsChecked: rowsSeen, rules: results, weights: weights)
    }

    /// Replaces the keys a `referential` rule named `name` checks against, for the rows consumed from now on. A
    /// caller that looks the related resource up batch by batch (only the values the next batch holds) passes each
    /// batch's answer here instead of the whole key set at once.
    public mutating func setReferenceKeys(_ keys: Set<String>, for name: String) {
        for index in checks.indices {
            if case .referential(let column, _) = checks[index], case .referential(name) = rules[index].kind {
                checks[index] = .referential(column, keys)
            }
        }
    }

    /// The failures recorded since the last call (at most `QualityLimits.failingRowsPerRule` per rule over the
    /// run), masked like samples: what a caller writes to the 问题数据 queue as the rows go by.
    public mutating func drainFailures() -> [QualityFailure] {
        defer { failures.removeAll(keepingCapacity: true) }
        return failures
    }

    // MARK: - Rows

    private func checkRowNumbers(_ numbers: [Int64]?, count: Int) throws(ValidationError) {
        if let numbers, numbers.count != count {
            throw ValidationError(
                field: "rowNumbers",
                BilingualText(
                    zh: "行号个数 \(numbers.count) 与行数 \(count) 不符",
                    en: "\(numbers.count) row numbers were given for \(count) rows"))
        }
    }

    private mutating func evaluate(number: Int64, cell: (String) -> String?) {
        rowsSeen += 1
        for index in checks.indices {
            func value(_ column: String) -> String? {
                guard let raw = cell(column)?.trimmedOfWhitespace(), !raw.isEmpty else { return nil }
                return raw
            }
            switch checks[index] {
            case .notNull(let column):
                record(index, row: number, failure: value(column) == nil ? (column, "", Self.missing) : nil)
            case .typeAndLength(let column, let item):
                guard let text = value(column), let item else { continue }
                if case .failure(let rejection) = RowValidator.check(text, against: item, today: today) {
                    record(index, row: number, failure: (column, text, rejection.reason))
                } else {
                    record(index, row: number, failure: nil)
                }
            case .pattern(let column, let regex):
                guard let text = value(column) else { continue }
                let whole = NSRange(text.startIndex..., in: text)
                let matched = regex.firstMatch(in: text, range: whole) != nil
                record(index, row: number, failure: matched ? nil : (column, text, Self.patternMismatch))
            case .codeSet(let column, let lookup):
                guard let text = value(column) else { continue }
                let known = lookup.code(for: text, dataType: items[column]?.dataType ?? .character) != nil
                record(index, row: number, failure: known ? nil : (column, text, lookup.rejection))
            case .identifier(let column, let kind):
                guard let text = value(column) else { continue }
                let valid = recognizer.matches(text, as: kind)
                record(index, row: number, failure: valid ? nil : (column, text, Self.invalid(kind)))
            case .crossField(let idColumn, let dateColumn):
                guard let idText = value(idColumn), let dateText = value(dateColumn),
                    let id = ResidentIDNumber.validate(idText, today: today).value
                else { continue }
                let date = RowValidator.parseDate(String(dateText.prefix(10)))
                let agrees = date == id.birthDate
                record(
                    index, row: number, failure: agrees ? nil : (idColumn, idText, Self.birthDateMismatch(dateColumn)))
            case .range(let column, let range):
                guard let text = value(column) else { continue }
                record(index, row: number, failure: Self.outOfRange(text, range).map { (column, text, $0) })
            case .uniqueness(let columns):
                var parts: [String] = []
                for column in columns {
                    guard let text = value(column) else { break }
                    parts.append(text)
                }
                guard parts.count == columns.count else { continue }
                if tallies[index].seen.insert(KeyDigest(parts)).inserted {
                    record(index, row: number, failure: nil)
                } else {
                    let shown = zip(columns, parts).map { mask($1, column: $0) }.joined(separator: " | ")
                    record(
                        index, row: number, failure: (columns.joined(separator: "+"), shown, Self.duplicate),
                        alreadyMasked: true)
                }
            case .referential(let column, let keys):
                guard let text = value(column) else { continue }
                record(index, row: number, failure: keys.contains(text) ? nil : (column, text, Self.dangling))
            case .freshness:
                continue
            }
        }
    }

    private mutating func record(
        _ index: Int, row: Int64, failure: (column: String, value: String, reason: BilingualText)?,
        alreadyMasked: Bool = false
    ) {
        tallies[index].checked += 1
        guard let failure else { return }
        tallies[index].failed += 1
        if tallies[index].samples.count < limits.samplesPerRule {
            let shown = alreadyMasked ? failure.value : mask(failure.value, column: failure.column, rule: index)
            tallies[index].samples.append(
                QualitySample(
                    row: row, column: failure.column,
                    maskedValue: shown.count > 64 ? String(shown.prefix(64)) + "…" : shown, reason: failure.reason))
        }
        if tallies[index].failingRows.count < limits.failingRowsPerRule {
            tallies[index].failingRows.append(row)
            let shown = alreadyMasked ? failure.value : mask(failure.value, column: failure.column, rule: index)
            failures.append(
                QualityFailure(
                    ruleID: rules[index].id, row: row, column: failure.column,
                    maskedValue: shown.count > 64 ? String(shown.prefix(64)) + "…" : shown, reason: failure.reason))
        } else {
            tallies[index].failingRowsTruncated = true
        }
    }

    /// Masks by the item's kind; where the item declares none but the rule says what the column holds (an
    /// identifier check, the 身份证号 of a cross-field check), by that kind, so that an ID number checked as one is
    /// masked as one even when its item was never graded.
    private func mask(_ value: String, column: String, rule: Int? = nil) -> String {
        guard let item = items[column] else { return MaskingRule.all.apply(to: value) }
        var kind = item.semanticKind
        if kind == .other, let rule {
            switch rules[rule].kind {
            case .identifierCheck(let checked): kind = checked
            case .crossField where rules[rule].columns.first == column: kind = .residentID
            default: break
            }
        }
        return masking.rule(for: kind).apply(to: value)
    }

    // MARK: - Checks

    private enum Check: Sendable {
        case notNull(String)
        case typeAndLength(String, InfoItem?)
        case pattern(String, NSRegularExpression)
        case codeSet(String, CodeLookup)
        case identifier(String, SemanticKind)
        case crossField(String, String)
        case range(String, QualityRange)
        case uniqueness([String])
        case referential(String, Set<String>)
        case freshness(UpdateCycle)
    }

    private struct Tally: Sendable {
        var checked = 0
        var failed = 0
        var samples: [QualitySample] = []
        var failingRows: [Int64] = []
        var failingRowsTruncated = false
        var seen: Set<KeyDigest> = []
    }

    private struct KeyDigest: Hashable {
        let high: UInt64
        let low: UInt64

        init(_ parts: [String]) {
            var first = Hasher()
            var second = Hasher()
            first.combine(0x51)
            second.combine(0xA7)
            for part in parts {
                first.combine(part)
                second.combine(part)
            }
            high = UInt64(bitPattern: Int64(first.finalize()))
            low = UInt64(bitPattern: Int64(second.finalize()))
        }
    }

    private static func columnCount(of kind: QualityRule.Kind) -> ClosedRange<Int> {
        switch kind {
        case .freshness: 0...Int.max
        case .crossField: 2...2
        case .uniqueness: 1...Int.max
        default: 1...1
        }
    }

    private static func describe(_ range: ClosedRange<Int>, zh: Bool) -> String {
        if range.lowerBound == range.upperBound { return "\(range.lowerBound)" }
        return zh ? "至少 \(range.lowerBound)" : "at least \(range.lowerBound)"
    }

    private static func freshness(
        _ cycle: UpdateCycle, lastUpdated: Date?, now: Date
    ) -> (Tally, BilingualText?) {
        var tally = Tally()
        guard let days = cycle.expectedIntervalDays else {
            return (
                tally,
                BilingualText(
                    zh: "更新周期为\(cycle.label.zh)，不评价时效",
                    en: "the update cycle is \(cycle.label.en), so timeliness is not judged")
            )
        }
        tally.checked = 1
        guard let lastUpdated else {
            tally.failed = 1
            return (tally, BilingualText(zh: "资源从未更新", en: "the resource has never been updated"))
        }
        let elapsed = Int(now.timeIntervalSince(lastUpdated) / 86_400)
        if now.timeIntervalSince(lastUpdated) > Double(days) * 86_400 {
            tally.failed = 1
            return (
                tally,
                BilingualText(
                    zh: "距上次更新已 \(elapsed) 天，超过更新周期\(cycle.label.zh)允许的 \(days) 天",
                    en: "last updated \(elapsed) days ago, beyond the \(days) days a \(cycle.label.en) cycle allows")
            )
        }
        return (
            tally,
            BilingualText(
                zh: "距上次更新 \(elapsed) 天，在更新周期\(cycle.label.zh)允许的 \(days) 天内",
                en: "last updated \(elapsed) days ago, within the \(days) days a \(cycle.label.en) cycle allows")
        )
    }

    private static func outOfRange(_ text: String, _ range: QualityRange) -> BilingualText? {
        switch range {
        case .numeric(let minimum, let maximum):
            guard let number = Double(text.replacingOccurrences(of: ",", with: "")), number.isFinite else {
                return BilingualText(zh: "应为数值", en: "must be a number")
            }
            if let minimum, number < minimum {
                return BilingualText(zh: "小于下限 \(minimum.formatted)", en: "is below the minimum \(minimum.formatted)")
            }
            if let maximum, number > maximum {
                return BilingualText(zh: "大于上限 \(maximum.formatted)", en: "is above the maximum \(maximum.formatted)")
            }
        case .date(let earliest, let latest):
            guard let date = RowValidator.parseDate(String(text.prefix(10))) else {
                return BilingualText(zh: "应为有效日期，如 2024-01-31", en: "must be a valid date such as 2024-01-31")
            }
            if let earliest, date < earliest {
                return BilingualText(zh: "早于 \(earliest)", en: "is before \(earliest)")
            }
            if let latest, date > latest {
                return BilingualText(zh: "晚于 \(latest)", en: "is after \(latest)")
            }
        }
        return nil
    }

    private static let missing = BilingualText(zh: "必填值为空", en: "a required value is empty")
    private static let patternMismatch = BilingualText(zh: "不符合规定格式", en: "does not match the required pattern")
    private static let duplicate = BilingualText(zh: "与之前的行重复", en: "repeats the key of an earlier row")
    private static let dangling = BilingualText(zh: "在关联资源中不存在", en: "does not exist in the related resource")

    private static func invalid(_ kind: SemanticKind) -> BilingualText {
        BilingualText(zh: "不是有效的\(kind.label.zh)", en: "is not a valid \(kind.label.en)")
    }

    private static func birthDateMismatch(_ dateColumn: String) -> BilingualText {
        BilingualText(
            zh: "身份证号中的出生日期与 \(dateColumn) 不一致", en: "the birth date inside the ID number differs from \(dateColumn)")
    }
}

extension Double {
    /// `18` rather than `18.0` for whole bounds.
    fileprivate var formatted: String {
        rounded() == self && abs(self) < 1e15 ? String(Int64(self)) : String(self)
    }
}
