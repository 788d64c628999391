import Foundation
import HuitongCore
import SQLKit

/// Migration 44 (issue 24): the 考核 weights and targets per year. The rows for 2026 are seed data from
/// domain-services.md §5, whose weights are a proposal ([M]): the bureau changes them per year in this table
/// (`setAssessmentWeight`), and a year without rows uses the latest earlier year's.
enum AssessmentSchema {
    static let tables = [
        """
        CREATE TABLE IF NOT EXISTS assessment_weights (
            year INTEGER NOT NULL,
            indicator TEXT NOT NULL,
            weight DOUBLE PRECISION NOT NULL,
            target DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (year, indicator)
        )
        """
    ]

    /// §5's table: 目录完整率 10, 信息项规范率 5, 资源挂接率 15, 更新及时率 10, 申请按时响应率 15, 不予共享理由完备率 5,
    /// 质量规则通过率 15, 异议按时办结率 5, and 使用 10 shared between calls served and calls made (full marks at
    /// 1,000 calls a period). Rates have full marks at 100 %.
    static let seed: [(indicator: String, weight: Double, target: Double)] = [
        ("catalog_completeness", 10, 1), ("item_conformance", 5, 1), ("mount_rate", 15, 1),
        ("timely_updates", 10, 1), ("timely_answers", 15, 1), ("refusal_reasons", 5, 1), ("quality_score", 15, 1),
        ("timely_objections", 5, 1), ("calls_served", 5, 1_000), ("calls_made", 5, 1_000),
    ]

    static var statements: [String] {
        tables
            + seed.map { row in
                """
                INSERT INTO assessment_weights (year, indicator, weight, target)
                VALUES (2026, '\(row.indicator)', \(row.weight), \(row.target)) ON CONFLICT (year, indicator) DO NOTHING
                """
            }
    }
}

extension Store {
    /// The weights in force in `year`: that year's rows, or the latest earlier year's (the first configured year's
    /// for a year before it); nil when none is configured.
    public func assessmentWeights(year: Int) async throws -> AssessmentWeights? {
        try await provider.read { sql in
            // The year's own, else the latest earlier year's, else (a period before any configured year) the first.
            let earlier = try await sql.raw(
                "SELECT MAX(year) AS year FROM assessment_weights WHERE year <= \(bind: year)"
            ).first()?.decode(column: "year", as: Int?.self)
            let first = try await sql.raw("SELECT MIN(year) AS year FROM assessment_weights").first()?
                .decode(column: "year", as: Int?.self)
            guard let found = earlier ?? first else { return nil }
            let weights = try await sql.raw(
                "SELECT indicator, weight, target FROM assessment_weights WHERE year = \(bind: found) ORDER BY indicator"
            ).all().compactMap { row -> IndicatorWeight? in
                guard
                    let indicator = AssessmentIndicator(rawValue: try row.decode(column: "indicator", as: String.self))
                else { return nil }
                return IndicatorWeight(
                    indicator: indicator, weight: try row.decode(column: "weight", as: Double.self),
                    target: try row.decode(column: "target", as: Double.self))
            }
            // In the indicators' own order, whatever the table's.
            let ordered = AssessmentIndicator.allCases.compactMap { indicator in
                weights.first { $0.indicator == indicator }
            }
            return AssessmentWeights(year: found, weights: ordered)
        }
    }

    /// Sets one indicator's weight and target for `year` (a year's first row starts its own table: copy the rest).
    public func setAssessmentWeight(year: Int, _ weight: IndicatorWeight) async throws {
        try await provider.transaction { sql in
            try await sql.raw(
                """
                INSERT INTO assessment_weights (year, indicator, weight, target)
                VALUES (\(bind: year), \(bind: weight.indicator.rawValue), \(bind: weight.weight), \(bind: weight.target))
                ON CONFLICT (year, indicator) DO UPDATE SET weight = excluded.weight, target = excluded.target
                """
            ).run()
        }
    }
}
