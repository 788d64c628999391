import Foundation
import HuitongCore
import Testing

@Suite("Code sets")
struct CodeSetTests {
    static let sex = CodeSet(
        id: "GB/T 2261.1-2003", name: BilingualText(zh: "人的性别代码", en: "Human sexes"),
        codes: [
            CodeSet.Code(code: "0", label: "未知的性别"),
            CodeSet.Code(code: "1", label: "男性", aliases: ["男"]),
            CodeSet.Code(code: "2", label: "女性", aliases: ["女"]),
            CodeSet.Code(code: "9", label: "未说明的性别"),
        ])

    /// The fields a code set's validation names, or none when it is valid.
    static func fields(_ change: (inout CodeSet) -> Void) -> [String] {
        var set = sex
        change(&set)
        do {
            _ = try set.validated()
            return []
        } catch {
            return error.issues.map(\.field)
        }
    }

    @Test("a valid code set is trimmed, and its English name falls back to the Chinese one")
    func normalised() throws {
        var set = Self.sex
        set.id = " GB/T 2261.1-2003 "
        set.name = BilingualText(zh: " 人的性别代码 ", en: "")
        set.codes[1] = CodeSet.Code(code: " 1 ", label: " 男性", aliases: ["男", " ", "男性", "男"])
        let valid = try set.validated()
        #expect(valid.id == "GB/T 2261.1-2003")
        #expect(valid.name == BilingualText(zh: "人的性别代码", en: "人的性别代码"))
        #expect(
            valid.codes[1] == CodeSet.Code(code: "1", label: "男性", aliases: ["男"]), "repeated spellings are dropped")
    }

    @Test("every rule names its field")
    func rules() {
        #expect(Self.fields { _ in } == [])
        #expect(Self.fields { $0.id = " " } == ["id"])
        #expect(Self.fields { $0.id = String(repeating: "G", count: 65) } == ["id"])
        #expect(Self.fields { $0.name.zh = "" } == ["name"])
        #expect(Self.fields { $0.codes = [] } == ["codes"])
        #expect(Self.fields { $0.codes[2].code = "" } == ["codes[2].code"])
        #expect(Self.fields { $0.codes[3].code = "1" } == ["codes[3].code"])
        #expect(Self.fields { $0.codes[3].label = " " } == ["codes[3].label"])
        // An alias may not stand for two codes.
        #expect(Self.fields { $0.codes[0].aliases = ["1"] } == ["codes[0].aliases[0]"])
        #expect(Self.fields { $0.codes[0].aliases = ["女性"] } == ["codes[0].aliases[0]"])
        #expect(Self.fields { $0.codes[0].aliases = ["未知", "男"] } == ["codes[1].aliases[0]"], "the later one is named")
    }

    @Test("codes stand for themselves; labels and aliases for their code unless they name two codes")
    func accepted() {
        #expect(Self.sex.code(for: "1") == "1")
        #expect(Self.sex.code(for: "男性") == "1")
        #expect(Self.sex.code(for: " 女 ") == "2")
        #expect(Self.sex.code(for: "未说明的性别") == "9")
        #expect(Self.sex.code(for: "M") == nil)
        let districts = CodeSet(
            id: "区划", name: BilingualText(zh: "区划", en: "districts"),
            codes: [
                CodeSet.Code(code: "340101", label: "市辖区"), CodeSet.Code(code: "340201", label: "市辖区"),
                CodeSet.Code(code: "9", label: "340101"),
            ])
        #expect((try? districts.validated()) != nil, "two codes may share a label")
        #expect(districts.code(for: "市辖区") == nil, "a shared label names no single code")
        #expect(districts.code(for: "340101") == "340101", "a code wins over another code's label")
    }

    @Test("an item's code set survives JSON, older snapshots without one still decode, and only C and I items take one")
    func onItems() throws {
        var item = InfoItem(name: "性别", columnName: "xb", dataType: .character, length: 1, codeSet: "GB/T 2261.1-2003")
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let data = try encoder.encode(item)
        #expect(try JSONDecoder().decode(InfoItem.self, from: data) == item)
        item.codeSet = nil
        #expect(!String(decoding: try encoder.encode(item), as: UTF8.self).contains("codeSet"))
        let older =
            #"{"name":"性别","columnName":"xb","dataType":"C","isKey":false,"isRequired":false,"#
            + #""shareType":"conditional","grade":"general2","semanticKind":"other"}"#
        #expect(try JSONDecoder().decode(InfoItem.self, from: Data(older.utf8)).codeSet == nil)

        func fields(_ change: (inout InfoItem) -> Void) -> [String] {
            var content = CatalogRulesTests.base
            var coded = InfoItem(name: "性别", columnName: "xb", dataType: .character, length: 1)
            change(&coded)
            content.items.append(coded)
            do {
                let valid = try content.validated()
                return valid.items[1].codeSet.map { ["ok \($0)"] } ?? ["none"]
            } catch {
                return error.issues.map(\.field)
            }
        }
        #expect(fields { $0.codeSet = " GB/T 2261.1-2003 " } == ["ok GB/T 2261.1-2003"])
        #expect(fields { $0.codeSet = " " } == ["none"])
        #expect(
            fields {
                $0.dataType = .integer
                $0.codeSet = "GB/T 2261.1-2003"
            } == ["ok GB/T 2261.1-2003"])
        #expect(
            fields {
                $0.dataType = .date
                $0.codeSet = "GB/T 2261.1-2003"
            } == ["items[1].codeSet"])
        #expect(
            fields {
                $0.dataType = .numeric
                $0.codeSet = "GB/T 2261.1-2003"
            } == ["items[1].codeSet"])
    }

    @Test("a changed code set is a change a reviewer sees")
    func diff() {
        var changed = CatalogRulesTests.base
        changed.items[0].codeSet = "GB/T 2261.1-2003"
        let changes = CatalogDiff.changes(from: CatalogRulesTests.base, to: changed)
        #expect(changes.map(\.field) == ["items.SFZHM.codeSet"])
        #expect(changes.first?.after == "GB/T 2261.1-2003")
    }
}
