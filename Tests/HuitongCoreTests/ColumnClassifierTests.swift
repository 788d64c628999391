import Foundation
import HuitongCore
import Testing

private let today = CalendarDate(year: 2025, month: 6, day: 1)!

/// A fixed-seed generator (SplitMix64), so that every run classifies the same columns.
private struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Valid-looking values of each kind, as a provider's tables hold them.
private enum SampleValues {
    static let regions = ["340102", "341502", "341503", "110105", "440305", "510104", "320106", "500103"]

    static func residentID(_ generator: inout SeededGenerator) throws -> String {
        let year = Int.random(in: 1950...2005, using: &generator)
        let month = Int.random(in: 1...12, using: &generator)
        let day = Int.random(in: 1...28, using: &generator)
        let body =
            regions.randomElement(using: &generator)! + String(format: "%04d%02d%02d", year, month, day)
            + String(format: "%03d", Int.random(in: 1...999, using: &generator))
        return body + String(try ResidentIDNumber.checkCharacter(forFirst17: body))
    }

    static func creditCode(_ generator: inout SeededGenerator) throws -> String {
        let alphabet = Array("0123456789ABCDEFGHJKLMNPQRTUWXY")
        let organization = String((0..<9).map { _ in alphabet.randomElement(using: &generator)! })
        let body =
            ["91", "92", "12", "52"].randomElement(using: &generator)! + regions.randomElement(using: &generator)!
            + organization
        return body + String(try UnifiedSocialCreditCode.checkCharacter(forFirst17: body))
    }

    static func bankCard(_ generator: inout SeededGenerator) -> String {
        var digits = [6, 2] + (0..<15).map { _ in Int.random(in: 0...9, using: &generator) }
        // The check digit that makes the Luhn sum a multiple of 10.
        for check in 0...9 where ValueRecognizer.luhnValid(digits + [check]) {
            digits.append(check)
            break
        }
        return digits.map(String.init).joined()
    }

    static func mobile(_ generator: inout SeededGenerator) -> String {
        ["138", "139", "150", "186", "177", "199"].randomElement(using: &generator)!
            + String(format: "%08d", Int.random(in: 0...99_999_999, using: &generator))
    }

    static let names = [
        "张三", "李四", "王小明", "欧阳娜娜", "阿卜杜·热合曼", "刘德华", "陈静", "杨洋", "赵丽颖", "黄磊", "周杰", "吴刚",
        "司马光", "诸葛亮明", "买买提·艾力", "孙悦", "马云", "朱丽叶", "胡军", "郭晶晶",
    ]

    static let addresses = [
        "安徽省六安市金安区梅山南路12号", "安徽省合肥市蜀山区长江西路130号", "北京市海淀区马连洼街道289号",
        "六安市裕安区城南镇解放村三组", "重庆市渝中区解放碑街道民族路88号", "江苏省南京市鼓楼区中山北路8号3栋502室",
        "浙江省杭州市西湖区文三路90号", "霍山县衡山镇迎驾大道6号", "广东省深圳市南山区科技园南区深南大道9988号",
        "上海市浦东新区世纪大道100号",
    ]

    /// Everyday words and phrases (some holding 市 or 路 once), none of them a name or an address.
    static let words = [
        "苹果", "电脑", "桌子", "天气", "学校", "医院", "公园", "图书馆", "办公室", "城市管理", "超市", "道路", "经济发展", "环境保护",
        "教育", "文化", "体育", "卫生健康", "农业农村", "交通运输",
    ]
}

@Suite("Column classifier (domain.md §4)")
struct ColumnClassifierTests {
    let classifier = ColumnClassifier(today: today)

    @Test("200 valid 身份证号 with one bad check digit: 身份证号, 一般4级, masked first 1 + last 2, reason with numbers")
    func residentIDs() throws {
        var generator = SeededGenerator(seed: 1)
        var values: [String?] = try (0..<199).map { _ in try SampleValues.residentID(&generator) }
        let broken = try SampleValues.residentID(&generator)
        let wrongCheck: Character = broken.last == "0" ? "1" : "0"
        values.append(String(broken.dropLast()) + String(wrongCheck))
        values += [nil, "", "  "]
        let suggestion = classifier.suggest(columnName: "col_a", itemName: "字段一", values: values)
        #expect(suggestion.kind == .residentID)
        #expect(suggestion.sampled == 200)
        #expect(suggestion.matched == 199)
        #expect(suggestion.confidence == 0.995)
        #expect(suggestion.grade == .general4)
        #expect(suggestion.masking == .keep(first: 1, last: 2))
        #expect(
            suggestion.reason.en
                == "99% of 200 sampled values are valid resident ID numbers (身份证号) with correct check digits")
        #expect(suggestion.reason.zh == "抽样 200 个非空值中 99% 为校验位正确的身份证号")
        let item = InfoItem(name: "公民身份号码", columnName: "gmsfhm", dataType: .character)
        let forItem = classifier.suggest(for: item, values: values)
        #expect(forItem.kind == .residentID)
        #expect(forItem.reason.zh == "抽样 200 个非空值中 99% 为校验位正确的身份证号，列名或信息项名称亦如此提示")
    }

    @Test(
        "each kind of real-looking column is recognised with the default grade and masking",
        arguments: [
            (SemanticKind.creditCode, SecurityGrade.general1, MaskingRule.none),
            (.bankCard, .general4, .bankCard),
            (.mobilePhone, .general3, .keep(first: 3, last: 4)),
            (.personName, .general3, .keep(first: 1, last: 0)),
            (.address, .general3, .maskTail(count: 8)),
            (.email, .general3, .email),
            (.licensePlate, .general3, .keep(first: 3, last: 1)),
            (.landline, .general3, .keep(first: 4, last: 2)),
            (.regionCode, .general1, .none),
        ])
    func recognisesKinds(kind: SemanticKind, grade: SecurityGrade, masking: MaskingRule) throws {
        var generator = SeededGenerator(seed: 7)
        let values: [String]
        switch kind {
        case .creditCode: values = try (0..<100).map { _ in try SampleValues.creditCode(&generator) }
        case .bankCard: values = (0..<100).map { _ in SampleValues.bankCard(&generator) }
        case .mobilePhone: values = (0..<100).map { _ in SampleValues.mobile(&generator) }
        case .personName: values = SampleValues.names
        case .address: values = SampleValues.addresses
        case .email:
            values = ["zhangsan@example.com", "li.si@gov.cn", "wang_xm@163.com", "duandazhi-jack@gmail.com.cn"]
        case .licensePlate: values = ["皖N12345", "京A8B9C0", "苏D40000", "粤BD12345", "渝A·5F6G7"]
        case .landline: values = ["0564-3312345", "010-88886666", "(0551)62345678", "05516234567", "023-6388888转123"]
        case .regionCode: values = ["340000", "341500", "341502", "110105", "500103", "440305"]
        default: values = []
        }
        let suggestion = classifier.suggest(columnName: "c1", itemName: "数据", values: values)
        #expect(suggestion.kind == kind, "\(suggestion.reason.en)")
        #expect(suggestion.confidence == 1)
        #expect(suggestion.grade == grade)
        #expect(suggestion.masking == masking)
    }

    @Test("random digit strings and everyday Chinese words are left as 其他")
    func noMislabels() {
        var generator = SeededGenerator(seed: 42)
        for length in [6, 11, 16, 18] {
            let digits: [String?] = (0..<200).map { _ in
                String((0..<length).map { _ in Character(String(Int.random(in: 0...9, using: &generator))) })
            }
            let suggestion = classifier.suggest(columnName: "bh", itemName: "编号", values: digits)
            #expect(suggestion.kind == .other, "\(length) digits: \(suggestion.reason.en)")
            #expect(suggestion.confidence == 0)
            #expect(suggestion.grade == .general1)
            #expect(suggestion.masking == MaskingRule.none)
        }
        let words = classifier.suggest(columnName: "lb", itemName: "类别", values: SampleValues.words)
        #expect(words.kind == .other, "\(words.reason.en)")
    }

    @Test("a name hint lowers the bar: 70% mobile numbers pass only when the column is called 手机号码")
    func nameHint() {
        var generator = SeededGenerator(seed: 3)
        let values = (0..<70).map { _ in SampleValues.mobile(&generator) } + (0..<30).map { _ in "暂无" }
        let unhinted = classifier.suggest(columnName: "c2", itemName: "联系方式", values: values)
        #expect(unhinted.kind == .other)
        #expect(unhinted.reason.en.contains("at most 70% of 100 sampled values look like mobile phone"))
        let hinted = classifier.suggest(columnName: "sjhm", itemName: "手机号码", values: values)
        #expect(hinted.kind == .mobilePhone)
        #expect(hinted.confidence == 0.7)
        #expect(hinted.reason.en.hasSuffix("the column or item name says so too"))
        // The name alone never decides: a 手机号码 column of words stays 其他.
        #expect(classifier.suggest(columnName: "sjhm", itemName: "手机号码", values: SampleValues.words).kind == .other)
    }

    @Test("an empty sample suggests nothing")
    func emptySample() {
        let suggestion = classifier.suggest(columnName: "xm", itemName: "姓名", values: [nil, " ", ""])
        #expect(suggestion.kind == .other)
        #expect(suggestion.sampled == 0)
        #expect(suggestion.reason.en.contains("no non-empty values"))
    }

    @Test("the grading policy and thresholds are configurable")
    func configurable() throws {
        var generator = SeededGenerator(seed: 5)
        let ids = try (0..<10).map { _ in try SampleValues.residentID(&generator) } + ["张三", "李四", "王五"]
        let strictPolicy = GradingPolicy(
            grades: GradingPolicy.default.grades.merging([.residentID: .important]) { $1 }, fallback: .general2)
        let strict = ColumnClassifier(threshold: 0.95, grading: strictPolicy, today: today)
        #expect(strict.suggest(columnName: "a", itemName: "b", values: ids).kind == .other)
        #expect(strict.suggest(columnName: "a", itemName: "b", values: ids).grade == .general2)
        let lenient = ColumnClassifier(threshold: 0.7, grading: strictPolicy, today: today)
        let suggestion = lenient.suggest(columnName: "a", itemName: "b", values: ids)
        #expect(suggestion.kind == .residentID)
        #expect(suggestion.grade == .important)
    }

    @Test("value recognisers reject near misses")
    func nearMisses() {
        let recognizer = ValueRecognizer(today: today)
        #expect(!recognizer.matches("12345678901", as: .mobilePhone))
        #expect(!recognizer.matches("290105", as: .regionCode))
        #expect(recognizer.matches("4111 1111 1111 1111", as: .bankCard))
        #expect(!recognizer.matches("4111 1111 1111 1112", as: .bankCard))
        #expect(!recognizer.matches("zhangsan@localhost", as: .email))
        #expect(!recognizer.matches("沪12345", as: .licensePlate))
        #expect(!recognizer.matches("城市管理", as: .personName))
        #expect(!recognizer.matches("超市", as: .address))
        #expect(!recognizer.matches("0564-1234567-", as: .landline))
    }
}
