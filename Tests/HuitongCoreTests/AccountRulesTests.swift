import Foundation
import HuitongCore
import HuitongCrypto
import Testing

@Suite("Account rules")
struct AccountRulesTests {
    @Test("a department draft is trimmed, upper-cased and checked field by field")
    func departmentDraft() throws {
        let draft = try DepartmentDraft(
            name: "  六安市公安局 ", code: "GAJ", creditCode: "1134150000301001xu", regionCode: "341500", parentID: nil
        ).validated()
        #expect(draft.name == "六安市公安局")
        #expect(draft.creditCode == "1134150000301001XU")
        let error = #expect(throws: ValidationError.self) {
            try DepartmentDraft(
                name: "", code: "no spaces", creditCode: "11341500003010087Z", regionCode: "34150", parentID: 0
            )
            .validated()
        }
        #expect(Set(error?.issues.map(\.field) ?? []) == ["name", "code", "creditCode", "regionCode", "parentID"])
    }

    @Test("usernames and passwords follow the published rules")
    func usernamesAndPasswords() {
        #expect(UsernameRule.problem(with: "gaj.provider") == nil)
        #expect(UsernameRule.problem(with: "9lives") != nil)
        #expect(UsernameRule.problem(with: "ab") != nil)
        #expect(UsernameRule.problem(with: "李强") != nil)
        #expect(PasswordRule.problem(with: "short1") != nil)
        #expect(PasswordRule.problem(with: "onlyletterslong") != nil)
        #expect(PasswordRule.problem(with: String(repeating: "a1", count: 40)) != nil)
        #expect(PasswordRule.problem(with: "letters-and-1") == nil)
        for _ in 0..<50 { #expect(PasswordRule.problem(with: Secrets.generatePassword()) == nil) }
    }

    @Test("secrets carry their kind, are random, and only their digest identifies them")
    func secrets() {
        let first = Secrets.issue(.user)
        let second = Secrets.issue(.user)
        #expect(first.plaintext != second.plaintext)
        #expect(Secrets.kind(of: first.plaintext) == .user)
        #expect(Secrets.kind(of: Secrets.issue(.system).plaintext) == .system)
        #expect(Secrets.kind(of: "nonsense") == nil)
        #expect(first.digest == Secrets.digest(of: first.plaintext))
        #expect(first.digest.count == 64 && !first.digest.contains(first.plaintext))
        // Issued under 国密, a secret's digest is SM3, which its own form names; one issued before keeps SHA-256.
        let gm = Secrets.issue(.system, suite: .gm)
        #expect(Secrets.kind(of: gm.plaintext) == .system && gm.plaintext.count == first.plaintext.count + 1)
        #expect(gm.digest == "sm3:" + Hex.lowercase(SM3.hash(Array(gm.plaintext.utf8))))
        #expect(Secrets.digest(of: gm.plaintext) == gm.digest)
        #expect(first.digest == Hex.lowercase(sha256(first.plaintext)), "intl: SHA-256 as before suites")
        #expect(Secrets.digest(of: "hts_g" + String(repeating: "A", count: 42)).count == 64, "a 43-character body")
        #expect(Secrets.constantTimeEquals("abc", "abc"))
        #expect(!Secrets.constantTimeEquals("abc", "abd"))
        #expect(!Secrets.constantTimeEquals("abc", "abcd"))
    }

    private func sha256(_ text: String) -> [UInt8] { InternationalSuite().digest(Array(text.utf8)) }

    @Test("roles round-trip through their stored form")
    func roles() {
        #expect(Role.parseList(Role.storageText([.consumer, .operator])) == [.consumer, .operator])
        #expect(Role.storageText([.consumer, .operator]) == "operator,consumer")
        #expect(Role.parseList("operator,root") == nil)
    }
}
