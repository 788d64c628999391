import Foundation

/// How much each dimension counts towards an entry's score; dimensions left out count 1.
public struct QualityWeights: Sendable, Hashable, Codable {
    public var weights: [QualityDimension: Double]

    public init(_ weights: [QualityDimension: Double]) {
        self.weights = weights
    }

    /// Every dimension counts the same.
    public static let equal = QualityWeights([:])

    public func weight(for dimension: QualityDimension) -> Double { weights[dimension] ?? 1 }
}

/// How much of each rule's failures a run keeps: a few masked samples to show, and the rows for the correction queue.
public struct QualityLimits: Sendable, Hashable, Codable {
    public var samplesPerRule: Int
    public var failingRowsPerRule: Int

    public init(samplesPerRule: Int = 20, failingRowsPerRule: Int = 10_000) {
        self.samplesPerRule = samplesPerRule
        self.failingRowsPerRule = failingRowsPerRule
    }
}

/// One failing value as a report may show it: masked with its item's rule, never raw.
public struct QualitySample: Sendable, Hashable, Codable {
    /// The row number given with the batch (a pool row id), or the row's position in the run counting from 1.
    public var row: Int64
    public var column: String
    public var maskedValue: String
    public var reason: BilingualText

    public init(row: Int64, column: String, maskedValue: String, reason: BilingualText) {
        self.row = row
        self.column = column
        self.maskedValue = maskedValue
        self.reason = reason
    }
}

/// One failing row as the 问题数据 queue records it: which rule, where, the value masked, and why.
public struct QualityFailure: Sendable, Hashable, Codable {
    public var ruleID: String
    public var row: Int64
    public var column: String
    public var maskedValue: String
    public var reason: BilingualText

    public init(ruleID: String, row: Int64, column: String, maskedValue: String, reason: BilingualText) {
        self.ruleID = ruleID
        self.row = row
        self.column = column
        self.maskedValue = maskedValue
        self.reason = reason
    }
}

/// What one rule found over a run.
public struct QualityRuleResult: Sendable, Hashable, Codable {
    public var rule: QualityRule
    /// Values (or rows, or for freshness the one resource) the rule looked at; empty values are only checked by
    /// `notNull`.
    public var checked: Int
    public var failed: Int
    public var samples: [QualitySample]
    /// Failing rows for the 问题数据 queue, at most `QualityLimits.failingRowsPerRule` of them.
    public var failingRows: [Int64]
    /// Whether more rows failed than `failingRows` holds.
    public var failingRowsTruncated: Bool
    /// A statement about the run as a whole, e.g. why a freshness rule failed.
    public var note: BilingualText?

    /// 0–100, or nil when the rule checked nothing (and so does not count towards any score).
    public var passRate: Double? {
        checked == 0 ? nil : Double(checked - failed) / Double(checked) * 100
    }
}

/// One dimension's score: the rule-weight-weighted mean of its rules' pass rates.
public struct QualityDimensionScore: Sendable, Hashable, Codable {
    public var dimension: QualityDimension
    /// 0–100, or nil when no rule of the dimension checked anything.
    public var score: Double?
    public var checked: Int
    public var failed: Int
}

/// The outcome of a quality run over one resource.
public struct QualityReport: Sendable, Hashable, Codable {
    public var rowsChecked: Int
    public var rules: [QualityRuleResult]
    /// Every dimension, in `QualityDimension.allCases` order.
    public var dimensions: [QualityDimensionScore]
    /// 0–100: the dimension scores weighted by `QualityWeights`, over the dimensions that have a score; nil when none
    /// has.
    public var score: Double?

    /// Scores the rule results: each dimension by its rules' weights, the whole by `weights`.
    public init(rowsChecked: Int, rules: [QualityRuleResult], weights: QualityWeights) {
        self.rowsChecked = rowsChecked
        self.rules = rules
        var dimensions: [QualityDimensionScore] = []
        var weighted = 0.0
        var totalWeight = 0.0
        for dimension in QualityDimension.allCases {
            let own = rules.filter { $0.rule.dimension == dimension }
            var sum = 0.0
            var ruleWeights = 0.0
            for result in own {
                guard let rate = result.passRate else { continue }
                sum += rate * result.rule.weight
                ruleWeights += result.rule.weight
            }
            let score = ruleWeights > 0 ? sum / ruleWeights : nil
            dimensions.append(
                QualityDimensionScore(
                    dimension: dimension, score: score, checked: own.reduce(0) { $0 + $1.checked },
                    failed: own.reduce(0) { $0 + $1.failed }))
            if let score {
                weighted += score * weights.weight(for: dimension)
                totalWeight += weights.weight(for: dimension)
            }
        }
        self.dimensions = dimensions
        self.score = totalWeight > 0 ? weighted / totalWeight : nil
    }

    public func dimension(_ dimension: QualityDimension) -> QualityDimensionScore? {
        dimensions.first { $0.dimension == dimension }
    }

    public func result(for ruleID: String) -> QualityRuleResult? {
        rules.first { $0.rule.id == ruleID }
    }
}
