import Foundation
import HuitongCore
import Testing

/// What a caller streaming a pool needs from the evaluator: reference keys given batch by batch, the failures of
/// each batch for the problem queue, and rules written by a provider as a flat spec.
@Suite("Quality runs by batch, and rule specs")
struct QualityBatchTests {
    static let items = [
        InfoItem(name: "编号", columnName: "bh", dataType: .character, isKey: true),
        InfoItem(name: "身份证号码", columnName: "sfzhm", dataType: .character),
        InfoItem(name: "单位代码", columnName: "dwdm", dataType: .character),
    ]

    @Test("reference keys given per batch judge only that batch; failures drain once, masked as the rule's kind")
    func referenceKeysPerBatch() throws {
        let rules = [
            QualityRule(id: "dwdm.ref", dimension: .referential, columns: ["dwdm"], kind: .referential("entry:2")),
            QualityRule(
                id: "sfzhm.id", dimension: .accuracy, columns: ["sfzhm"], kind: .identifierCheck(.residentID)),
        ]
        var evaluator = try QualityEvaluator(rules: rules, items: Self.items, referenceKeys: ["entry:2": []])
        evaluator.setReferenceKeys(["A1"], for: "entry:2")
        try evaluator.consume(
            [["bh": "1", "dwdm": "A1", "sfzhm": "110105195001010019"], ["bh": "2", "dwdm": "B2"]], rowNumbers: [1, 2])
        let first = evaluator.drainFailures()
        #expect(first.map(\.ruleID) == ["sfzhm.id", "dwdm.ref"] && first.map(\.row) == [1, 2])
        #expect(
            first[0].maskedValue == "1***************19",
            "an unclassified column checked as ID numbers is masked as one")
        #expect(evaluator.drainFailures().isEmpty, "each failure is handed out once")

        // The next batch's keys replace the last: A1 is no longer known, B2 is.
        evaluator.setReferenceKeys(["B2"], for: "entry:2")
        try evaluator.consume([["bh": "3", "dwdm": "B2"], ["bh": "4", "dwdm": "A1"]], rowNumbers: [3, 4])
        #expect(evaluator.drainFailures().map(\.row) == [4])
        let result = evaluator.report(lastUpdated: nil, now: Date()).result(for: "dwdm.ref")
        #expect(result?.checked == 4 && result?.failed == 2 && result?.failingRows == [2, 4])
    }

    @Test("a spec becomes the rule it describes and back; missing or contradictory parameters are named")
    func specs() throws {
        let range = try QualityRuleSpec(kind: .range, columns: ["nl"], minimum: 0, maximum: 150).rule()
        #expect(range.id == "nl.range" && range.dimension == .accuracy)
        #expect(range.kind == .range(.numeric(minimum: 0, maximum: 150)))
        let reference = try QualityRuleSpec(kind: .referential, columns: ["dwdm"], referencedEntryID: 42).rule()
        #expect(reference.kind == .referential("entry:42") && reference.dimension == .referential)
        #expect(QualityRuleSpec(reference).referencedEntryID == 42)
        #expect(try QualityRuleSpec(range).rule() == range && QualityRuleSpec(reference).rule() == reference)

        func fields(_ spec: QualityRuleSpec) -> [String] {
            do {
                _ = try spec.rule()
                return []
            } catch {
                return error.issues.map(\.field)
            }
        }
        #expect(fields(QualityRuleSpec(kind: .pattern, columns: ["bh"])) == ["pattern"])
        #expect(fields(QualityRuleSpec(kind: .range, columns: ["nl"])) == ["minimum"])
        #expect(fields(QualityRuleSpec(kind: .range, columns: ["nl"], minimum: 5, maximum: 1)) == ["minimum"])
        #expect(
            fields(
                QualityRuleSpec(
                    kind: .range, columns: ["csrq"], earliest: CalendarDate(year: 2020, month: 1, day: 1),
                    latest: CalendarDate(year: 2019, month: 1, day: 1))) == ["earliest"])
        #expect(
            fields(QualityRuleSpec(kind: .referential, columns: ["dwdm"], weight: 0)) == [
                "referencedEntryID", "weight",
            ])
    }
}
