import Foundation
import HuitongCore
import HuitongStore

/// 多源比对: two entries' pools compared on a shared key (公安 人口基础信息.身份证号码 against 人社
/// 参保人员信息.身份证号码), item pair by item pair.
public struct QualityComparisonRequest: Sendable, Hashable, Codable {
    public struct Side: Sendable, Hashable, Codable {
        public var entryID: Int64
    }

    /// A column of the left entry and the column of the right entry that holds the same thing.
    public struct Pair: Sendable, Hashable, Codable {
        public var left: String
        public var right: String
    }

    public var left: Side
    public var right: Side
    /// The key, pair by pair: each side's columns must be its pool's whole key, which is what rows are matched by.
    public var key: [Pair]
    /// The items compared for keys found on both sides.
    public var items: [Pair]
    /// The most disagreeing keys to list (all are counted); the node's limit when missing or larger.
    public var limit: Int?
}

public struct QualityComparisonResult: Sendable, Hashable, Codable {
    public struct Difference: Sendable, Hashable, Codable {
        public var left: String
        public var right: String
        public var leftValue: String
        public var rightValue: String
    }

    public struct Disagreement: Sendable, Hashable, Codable {
        /// The key, masked as its left item's kind requires.
        public var key: String
        public var differences: [Difference]
    }

    public var leftEntryID: Int64
    public var rightEntryID: Int64
    public var leftVersion: Int
    public var rightVersion: Int
    public var leftRows: Int64
    public var rightRows: Int64
    public var onlyInLeft: Int
    public var onlyInRight: Int
    public var agreeing: Int
    public var disagreeing: Int
    /// The first disagreeing keys in key order, at most the limit; values masked.
    public var disagreements: [Disagreement]
    /// Whether more keys disagree than `disagreements` lists.
    public var truncated: Bool
}

extension QualityUseCases {
    /// Compares the two active pools: the left one is read page by page, each page's keys looked up in the right
    /// one by its key index, so memory holds one page and its matches whatever the pools' sizes. Keys only on the
    /// right are counted from its row count (its key is unique).
    public func compare(_ request: QualityComparisonRequest, left: CatalogEntry, right: CatalogEntry) async throws
        -> QualityComparisonResult
    {
        var issues = ValidationCollector()
        let leftItems = Dictionary(
            left.content.items.map { ($0.columnName, $0) }, uniquingKeysWith: { first, _ in first })
        let rightItems = Dictionary(
            right.content.items.map { ($0.columnName, $0) }, uniquingKeysWith: { first, _ in first })
        for (field, pairs) in [("key", request.key), ("items", request.items)] {
            if pairs.isEmpty { issues.add(field, BilingualText(zh: "至少须有一对", en: "needs at least one pair")) }
            for (index, pair) in pairs.enumerated() {
                if leftItems[pair.left] == nil {
                    issues.add(
                        "\(field)[\(index)].left",
                        BilingualText(
                            zh: "\(pair.left) 不是“\(left.content.name)”的信息项",
                            en: "\(pair.left) is not an item of \(left.content.name)"))
                }
                if rightItems[pair.right] == nil {
                    issues.add(
                        "\(field)[\(index)].right",
                        BilingualText(
                            zh: "\(pair.right) 不是“\(right.content.name)”的信息项",
                            en: "\(pair.right) is not an item of \(right.content.name)"))
                }
            }
        }
        if let limit = request.limit, limit < 1 {
            issues.add("limit", BilingualText(zh: "须为正整数", en: "must be a positive number"))
        }
        try issues.throwIfAny()
        guard let leftVersion = try await store.pools.active(entryID: left.id) else {
            throw StoreError.conflict(
                BilingualText(zh: "“\(left.content.name)”尚无数据", en: "\(left.content.name) holds no data yet"))
        }
        guard let rightVersion = try await store.pools.active(entryID: right.id) else {
            throw StoreError.conflict(
                BilingualText(zh: "“\(right.content.name)”尚无数据", en: "\(right.content.name) holds no data yet"))
        }
        if Set(request.key.map(\.left)) != Set(leftVersion.keyColumns)
            || request.key.count != leftVersion.keyColumns.count
        {
            issues.add(
                "key",
                BilingualText(
                    zh: "左侧比对键须为其主键（\(leftVersion.keyColumns.joined(separator: "+"))）",
                    en: "the left key must be its pool's key (\(leftVersion.keyColumns.joined(separator: "+")))"))
        }
        if Set(request.key.map(\.right)) != Set(rightVersion.keyColumns)
            || request.key.count != rightVersion.keyColumns.count
        {
            issues.add(
                "key",
                BilingualText(
                    zh: "右侧比对键须为其主键（\(rightVersion.keyColumns.joined(separator: "+"))）",
                    en: "the right key must be its pool's key (\(rightVersion.keyColumns.joined(separator: "+")))"))
        }
        for pair in request.items
        where !leftVersion.columns.contains(pair.left) || !rightVersion.columns.contains(pair.right) {
            issues.add(
                "items",
                BilingualText(
                    zh: "\(pair.left)↔\(pair.right) 在当前数据版本中不存在，请先重新归集",
                    en: "\(pair.left)↔\(pair.right) is not in the current data; load it again first"))
        }
        try issues.throwIfAny()

        let limit = min(request.limit ?? settings.comparisonLimit, settings.comparisonLimit)
        // Left rows carry the key (in the right pool's key order) and then the compared items.
        let rightKeyOrder = rightVersion.keyColumns.map { column in request.key.first { $0.right == column }!.left }
        let leftColumns = rightKeyOrder + request.items.map(\.left)
        let rightColumns = rightVersion.keyColumns + request.items.map(\.right)
        let width = rightKeyOrder.count
        guard
            var extract = try await store.pools.beginExtract(
                entryID: left.id, selecting: PoolSelection(columns: leftColumns), pageSize: settings.pageSize)
        else { throw StoreError.conflict(BilingualText(zh: "“\(left.content.name)”尚无数据", en: "no data")) }
        func text(_ value: String??) -> String { (value ?? nil)?.trimmedOfWhitespace() ?? "" }
        var result = QualityComparisonResult(
            leftEntryID: left.id, rightEntryID: right.id, leftVersion: extract.version.version,
            rightVersion: rightVersion.version, leftRows: extract.version.rowCount, rightRows: rightVersion.rowCount,
            onlyInLeft: 0, onlyInRight: 0, agreeing: 0, disagreeing: 0, disagreements: [], truncated: false)
        var matched = 0
        while let rows = try await store.pools.nextPage(of: &extract) {
            let keys = rows.map { row in (0..<width).map { text(row[$0]) } }
            var found: [[String]: [String?]] = [:]
            for start in stride(from: 0, to: keys.count, by: Self.lookupBatch) {
                let batch = Array(keys[start..<min(start + Self.lookupBatch, keys.count)])
                for row in try await store.pools.lookup(
                    in: rightVersion, keys: batch, selecting: PoolSelection(columns: rightColumns))
                {
                    found[(0..<width).map { text(row[$0]) }] = row
                }
            }
            for (index, row) in rows.enumerated() {
                guard let other = found[keys[index]] else {
                    result.onlyInLeft += 1
                    continue
                }
                matched += 1
                var differences: [QualityComparisonResult.Difference] = []
                for (offset, pair) in request.items.enumerated() {
                    let mine = text(row[width + offset])
                    let theirs = text(other[width + offset])
                    if mine != theirs {
                        differences.append(
                            .init(
                                left: pair.left, right: pair.right,
                                leftValue: mask(mine, leftItems[pair.left]?.semanticKind),
                                rightValue: mask(theirs, rightItems[pair.right]?.semanticKind)))
                    }
                }
                if differences.isEmpty {
                    result.agreeing += 1
                } else {
                    result.disagreeing += 1
                    if result.disagreements.count < limit {
                        let key = zip(rightKeyOrder, keys[index]).map { column, value in
                            "\(column)=\(mask(value, leftItems[column]?.semanticKind))"
                        }
                        result.disagreements.append(.init(key: key.joined(separator: ", "), differences: differences))
                    } else {
                        result.truncated = true
                    }
                }
            }
        }
        result.onlyInRight = max(0, Int(rightVersion.rowCount) - matched)
        return result
    }

    package func mask(_ value: String, _ kind: SemanticKind?) -> String {
        let masked = masking.rule(for: kind ?? .other).apply(to: value)
        return masked.count > 64 ? String(masked.prefix(64)) + "…" : masked
    }
}
