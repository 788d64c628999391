import HuitongCore
import Testing

@Suite("Column types")
struct ColumnTypeTests {
    @Test("numbers are written one way whatever the delivery, and anything else is not a number")
    func canonicalNumbers() {
        let cases: [(String, String?)] = [
            ("12.50", "12.5"), ("-0012.5000", "-12.5"), ("1,234.00", "1234"), ("+7", "7"), ("0", "0"),
            ("-0", "0"), ("-0.000", "0"), (".5", "0.5"), ("12.", "12"), ("1e3", "1000"), ("1.5E-2", "0.015"),
            ("-2.5e1", "-25"), ("00100", "100"), ("", nil), (".", nil), ("-", nil), ("1.2.3", nil), ("12a", nil),
            ("inf", nil), ("nan", nil), ("1e999", nil), ("0x10", nil), ("１２", nil), ("1 000", nil),
        ]
        for (delivered, canonical) in cases {
            #expect(CanonicalNumber.decimal(delivered) == canonical, "\(delivered)")
        }
    }

    @Test("items are stored in their data type, except keys, coded values and identifiers, which stay text")
    func typesFromItems() {
        func type(_ dataType: DataType, key: Bool = false, codeSet: String? = nil, kind: SemanticKind = .other)
            -> ColumnType
        {
            ColumnType(
                for: InfoItem(
                    name: "项", columnName: "x", dataType: dataType, isKey: key, semanticKind: kind, codeSet: codeSet))
        }
        #expect(type(.integer) == .integer && type(.numeric) == .decimal && type(.currency) == .decimal)
        #expect(type(.float) == .decimal && type(.double) == .decimal)
        #expect(type(.date) == .date && type(.dateTime) == .dateTime && type(.logical) == .boolean)
        #expect(type(.character) == .text && type(.memo) == .text)
        #expect(type(.integer, key: true) == .text, "a numbered key is a name")
        #expect(type(.numeric, codeSet: "GB/T 2261.1-2003") == .text, "a code keeps its leading zero")
        #expect(type(.numeric, kind: .mobilePhone) == .text)
    }
}
