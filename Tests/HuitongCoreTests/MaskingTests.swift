import Crypto
import Foundation
import HuitongCore
import Testing

@Suite("Masking (domain.md §4.3)")
struct MaskingTests {
    @Test(
        "each kind's default rule gives the §4.3 example",
        arguments: [
            (SemanticKind.personName, "段正淳", "段**"),
            (.residentID, "51343620000320711X", "5***************1X"),
            (.mobilePhone, "18049531999", "180****1999"),
            (.landline, "09157518479", "0915*****79"),
            (.address, "北京市海淀区马连洼街道289号", "北京市海淀区马********"),
            (.bankCard, "1101 2222 3333 4444 3256", "1101 **** **** **** 3256"),
            (.email, "duandazhi-jack@gmail.com.cn", "d*************@gmail.com.cn"),
            (.licensePlate, "苏D40000", "苏D4***0"),
            (.creditCode, "91341500MA2N0XXXXX", "91341500MA2N0XXXXX"),
        ])
    func examples(kind: SemanticKind, value: String, masked: String) {
        #expect(MaskingRule.default(for: kind).apply(to: value) == masked)
        #expect(MaskingPolicy.builtIn.mask(value, as: kind) == masked)
    }

    @Test("the 身份证号 alternative keeps the first 6 and last 4, and a policy can select it")
    func residentIDAlternative() throws {
        #expect(MaskingRule.residentIDFirst6Last4.apply(to: "51343620000320711X") == "513436********711X")
        var policy = MaskingPolicy.builtIn
        #expect(policy.choices(for: .residentID) == [.keep(first: 1, last: 2), .residentIDFirst6Last4])
        try policy.select(.residentIDFirst6Last4, for: .residentID)
        #expect(policy.mask("51343620000320711X", as: .residentID) == "513436********711X")
        #expect(policy.mask("段正淳", as: .personName) == "段**")
        #expect(throws: ValidationError.self) { try policy.select(.keep(first: -1, last: 2), for: .residentID) }
    }

    @Test(
        "short and odd values never come out whole",
        arguments: [
            (MaskingRule.keep(first: 1, last: 2), "12X", "1**"),
            (.keep(first: 1, last: 2), "1X", "**"),
            (.keep(first: 1, last: 0), "段", "*"),
            (.keep(first: 1, last: 0), "段正", "段*"),
            (.keep(first: 3, last: 4), "1234567", "123****"),
            (.keep(first: 3, last: 1), "苏D4", "苏**"),
            (.keep(first: 4, last: 2), "0915-7518479", "0915******79"),
            (.maskTail(count: 8), "海淀区马连洼", "******"),
            (.maskTail(count: 8), "", ""),
            (.email, "a@x.cn", "*@x.cn"),
            (.email, "@x.cn", "*****"),
            (.email, "no-at-sign", "**********"),
            (.email, "张三丰@例子.中国", "张**@例子.中国"),
            (.email, "\"a@b\"@x.cn", "\"****@x.cn"),
            (.bankCard, "12345678", "**** ****"),
            (.bankCard, "6222-0212-3456-7890-123", "6222 **** **** ***0 123"),
            (.all, "段正淳", "***"),
            (.none, "段正淳", "段正淳"),
            (.keep(first: 1, last: 0), "👨‍👩‍👧张三", "👨‍👩‍👧**"),
        ])
    func shortAndOdd(rule: MaskingRule, value: String, masked: String) {
        #expect(rule.apply(to: value) == masked)
    }

    @Test("whatever the length, a keep rule shows at most what it allows and always hides something")
    func keepNeverRevealsMore() {
        let rules: [(Int, Int)] = [(1, 0), (1, 2), (3, 4), (4, 2), (3, 1), (6, 4)]
        for alphabet in [Array("0123456789X"), Array("段正淳北京海淀区马连洼")] {
            for length in 1...24 {
                let value = String((0..<length).map { alphabet[$0 % alphabet.count] })
                for (first, last) in rules {
                    let masked = MaskingRule.keep(first: first, last: last).apply(to: value)
                    let shown = masked.filter { $0 != "*" }.count
                    #expect(masked.count == length, "\(value) → \(masked)")
                    #expect(shown <= first + last && shown < length, "\(value) → \(masked)")
                    #expect(masked.hasPrefix(String(value.prefix(min(first, shown)))), "\(value) → \(masked)")
                }
            }
        }
    }

    @Test("a pseudonym rule needs the consumer's key and hides the value without one")
    func pseudonymRule() {
        let pseudonymizer = Pseudonymizer(
            nodeSecret: SymmetricKey(size: .bits256), consumerDepartmentID: 7, suite: .intl)
        #expect(MaskingRule.pseudonym.apply(to: "段正淳") == "***")
        let joined = MaskingRule.pseudonym.apply(to: "51343620000320711X", pseudonymizer: pseudonymizer)
        #expect(joined == pseudonymizer.pseudonym(for: "51343620000320711X"))
        #expect(joined.count == Pseudonymizer.length && !joined.contains("5134"))
    }

    @Test("the seed format reads every rule and reports each bad one with its place")
    func seedFormat() throws {
        let policy = try MaskingPolicy.decode(
            seed: Data(
                #"""
                {"rules": {"residentID": {"rule": "keep", "first": 6, "last": 4}, "address": {"rule": "maskTail", "count": 4},
                 "email": {"rule": "all"}, "other": {"rule": "pseudonym"}},
                 "alternatives": {"residentID": [{"rule": "keep", "first": 1, "last": 2}]}}
                """#.utf8))
        #expect(policy.rule(for: .residentID) == .keep(first: 6, last: 4))
        #expect(policy.rule(for: .address) == .maskTail(count: 4))
        #expect(policy.rule(for: .email) == .all)
        #expect(policy.rule(for: .other) == .pseudonym)
        #expect(policy.rule(for: .mobilePhone) == .keep(first: 3, last: 4))

        let error = #expect(throws: ValidationError.self) {
            try MaskingPolicy.decode(
                seed: Data(
                    #"""
                    {"rules": {"idCard": {"rule": "keep", "first": 1, "last": 2}, "address": {"rule": "maskTail"},
                     "email": {"rule": "scramble"}, "personName": {"rule": "keep", "first": 1, "last": 99}}}
                    """#.utf8))
        }
        #expect(error?.issues.map(\.field) == ["rules.address", "rules.email", "rules.idCard", "rules.personName"])
        #expect(throws: ValidationError.self) { try MaskingPolicy.decode(seed: Data("[1,2]".utf8)) }
    }
}

@Suite("Keyed pseudonyms")
struct PseudonymizerTests {
    static let nodeSecret = SymmetricKey(data: Data((1...32).map { UInt8($0) }))

    @Test("the documented construction: HKDF per department, HMAC-SHA256, first 128 bits in hex")
    func knownVector() {
        // Computed independently (Python hmac/hashlib) from the formula in Pseudonymizer's documentation.
        let pseudonymizer = Pseudonymizer(nodeSecret: Self.nodeSecret, consumerDepartmentID: 42, suite: .intl)
        #expect(pseudonymizer.pseudonym(for: "51343620000320711X") == "a917407ffff16af03826db2813fed741")
        let other = Pseudonymizer(nodeSecret: Self.nodeSecret, consumerDepartmentID: 43, suite: .intl)
        #expect(other.pseudonym(for: "51343620000320711X") == "0ecd4644fcb4dcaa9ac00e2e61a7b059")
    }

    @Test("under gm: HKDF-SM3 per department, HMAC-SM3, first 128 bits in hex; unrelated to the intl pseudonym")
    func knownGMVector() {
        // Computed independently (Python: RFC 5869 written out over hmac.new(…, 'sm3')) from the documentation.
        let pseudonymizer = Pseudonymizer(nodeSecret: Self.nodeSecret, consumerDepartmentID: 42, suite: .gm)
        #expect(pseudonymizer.pseudonym(for: "51343620000320711X") == "4c6cf6adfce80a87241b87498dafb401")
        let other = Pseudonymizer(nodeSecret: Self.nodeSecret, consumerDepartmentID: 43, suite: .gm)
        #expect(other.pseudonym(for: "51343620000320711X") == "8e1888736fcb84872585d954d4249881")
        #expect(pseudonymizer.pseudonym(for: " 51343620000320711x ") == "4c6cf6adfce80a87241b87498dafb401")
    }

    @Test("one consumer gets one pseudonym per value, whatever its spelling; others get unrelated ones")
    func determinismAndSeparation() {
        let consumer = Pseudonymizer(nodeSecret: Self.nodeSecret, consumerDepartmentID: 42, suite: .intl)
        let again = Pseudonymizer(nodeSecret: Self.nodeSecret, consumerDepartmentID: 42, suite: .intl)
        let id = "51343620000320711X"
        #expect(again.pseudonym(for: id) == consumer.pseudonym(for: id))
        #expect(consumer.pseudonym(for: " 51343620000320711x ") == consumer.pseudonym(for: id))
        #expect(consumer.pseudonym(for: "５１３４３６２００００３２０７１１Ｘ") == consumer.pseudonym(for: id))
        #expect(consumer.pseudonym(for: "51343620000320712X") != consumer.pseudonym(for: id))

        let rotated = Pseudonymizer(nodeSecret: Self.nodeSecret, consumerDepartmentID: 42, epoch: 1, suite: .intl)
        let otherNode = Pseudonymizer(nodeSecret: SymmetricKey(size: .bits256), consumerDepartmentID: 42, suite: .intl)
        let others = [
            Pseudonymizer(nodeSecret: Self.nodeSecret, consumerDepartmentID: 43, suite: .intl).pseudonym(for: id),
            rotated.pseudonym(for: id), otherNode.pseudonym(for: id),
        ]
        #expect(Set(others + [consumer.pseudonym(for: id)]).count == 4)
        #expect(consumer.pseudonym(for: "  ") == "")
        #expect(consumer.pseudonym(for: "段正淳").allSatisfy { $0.isHexDigit && !$0.isUppercase })
    }
}
