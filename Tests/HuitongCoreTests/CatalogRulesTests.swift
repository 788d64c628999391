import Foundation
import HuitongCore
import Testing

@Suite("Catalog rules")
struct CatalogRulesTests {
    @Test("resource codes are parsed positionally and assigned with a padded sequence")
    func resourceCodes() throws {
        let scheme = NationalResourceCodeScheme()
        let code = try scheme.parse("111112001/2001")
        #expect(code.segments.category == "1")
        #expect(code.segments.item == "11")
        #expect(code.segments.heading == "112")
        #expect(code.segments.subheading == "001")
        #expect(code.sequence == "2001")
        #expect(try scheme.assign(classificationPath: "101001", number: 7).text == "101001/0007")
        // A code built by hand with a short path answers empty segments instead of trapping.
        #expect(ResourceCode(classificationPath: "10", sequence: "1").segments.heading == "")
        #expect(try scheme.assign(classificationPath: "101001", number: 12345).text == "101001/12345")
        for bad in ["101001", "10100/0001", "10a001/0001", "101001/", "101001/00x1"] {
            #expect(throws: ResourceCodeError.self, "\(bad)") { try scheme.parse(bad) }
        }
    }

    @Test("labels parse in Chinese, English or as raw values")
    func labels() {
        #expect(ShareType.parse("不予共享") == .notShared)
        #expect(ShareType.parse(" conditional ") == .conditional)
        #expect(UpdateCycle.parse("每季度") == .quarterly)
        #expect(DataType.parse("D") == .date)
        #expect(DataType.parse("日期型") == .date)
        #expect(Openness.parse("Open") == .unconditional)
        #expect(SemanticKind.parse("身份证号") == .residentID)
        #expect(ShareType.parse("随便") == nil)
    }

    static let base = CatalogEntryContent(
        classificationCode: "101001", name: " 人口基础信息 ", abstract: "全市户籍人口。",
        formats: [ResourceFormat(category: .database, type: "Oracle")],
        items: [
            InfoItem(
                name: "身份证号码", columnName: "SFZHM", dataType: .character, length: 18, isKey: true, grade: .general4)
        ],
        shareType: .conditional, shareCondition: "身份核验", updateCycle: .daily)

    @Test("valid content is normalised")
    func normalised() throws {
        let content = try Self.base.validated()
        #expect(content.name == "人口基础信息")
        #expect(content.items[0].columnName == "sfzhm")
        #expect(content.items[0].isRequired, "a key is always required")
        #expect(content.grade == .general4)
    }

    @Test("every rule names its field")
    func rules() {
        func fields(_ change: (inout CatalogEntryContent) -> Void) -> [String] {
            var content = Self.base
            change(&content)
            do {
                _ = try content.validated()
                return []
            } catch {
                return error.issues.map(\.field)
            }
        }
        #expect(fields { $0.name = " " } == ["name"])
        #expect(fields { $0.classificationCode = "101" } == ["classificationCode"])
        #expect(fields { $0.items = [] } == ["items"])
        #expect(fields { $0.shareCondition = "" } == ["shareCondition"])
        #expect(fields { $0.shareType = .notShared } == ["items[0].shareType", "negativeListID"])
        #expect(fields { $0.openness = .conditional } == ["openCondition"])
        #expect(fields { $0.items.append($0.items[0]) } == ["items[1].name", "items[1].columnName"])
        #expect(fields { $0.items[0].columnName = "1abc" } == ["items[0].columnName"])
        #expect(fields { $0.items[0].shareType = .unconditional } == ["items[0].shareType"])
        #expect(fields { $0.items[0].shareType = .notShared } == ["items[0].negativeListID", "items[0].isKey"])
        #expect(fields { $0.relatedCodes = ["nonsense"] } == ["relatedCodes[0]"])
        #expect(fields { $0.shareChannel = .otherMeans } == ["shareChannelNote"])
        #expect(
            fields {
                $0.shareType = .notShared
                $0.negativeListID = 1
                $0.items[0].shareType = .notShared
                $0.items[0].isKey = false
                $0.openness = .unconditional
            } == ["openness"])
    }

    @Test("lifecycle steps are allowed only from their states, and returning needs a reason")
    func lifecycle() throws {
        #expect(try CatalogTransition.submit.apply(to: .draft, comment: "") == .submitted)
        #expect(try CatalogTransition.submit.apply(to: .offline, comment: "") == .submitted)
        #expect(try CatalogTransition.publish.apply(to: .submitted, comment: "") == .published)
        #expect(throws: CatalogRuleError.transitionNotAllowed(.publish, from: .draft)) {
            try CatalogTransition.publish.apply(to: .draft, comment: "")
        }
        #expect(throws: CatalogRuleError.commentRequired(.withdraw)) {
            try CatalogTransition.withdraw.apply(to: .published, comment: "  ")
        }
    }

    @Test("demands close only when linked or explained")
    func demandResolution() throws {
        #expect(throws: ValidationError.self) { try DemandResolution(status: .satisfied).validated() }
        #expect(throws: ValidationError.self) {
            try DemandResolution(status: .partiallySatisfied, entryID: 1).validated()
        }
        #expect(throws: ValidationError.self) { try DemandResolution(status: .open).validated() }
        #expect(try DemandResolution(status: .unsatisfiable, reason: " 无此数据 ").validated().reason == "无此数据")
        #expect(try DemandResolution(status: .satisfied, applicationID: 9).validated().status == .satisfied)
    }
}
