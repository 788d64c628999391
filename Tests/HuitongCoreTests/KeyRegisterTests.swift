import HuitongCore
import Testing

/// The register that finds repeated keys in a delivered file.
@Suite("Key register")
struct KeyRegisterTests {
    @Test("repeats are found with their first row, also after the table has grown many times")
    func growth() {
        var register = KeyRegister()
        for row in 0..<50_000 {
            #expect(register.insert(["K\(row)", "x"], positions: [0], row: row + 2) == nil)
        }
        #expect(register.count == 50_000)
        #expect(register.insert(["K0", "y"], positions: [0], row: 60_000) == 2)
        #expect(register.insert(["K49999"], positions: [0], row: 60_001) == 50_001)
        #expect(register.insert([nil], positions: [0], row: 3) == nil, "an empty key is a key too")
        #expect(register.insert([""], positions: [0], row: 4) == 3)
        #expect(register.count == 50_001)
    }

    @Test("composite keys compare part by part, whatever characters the parts hold")
    func compositeKeys() {
        var register = KeyRegister()
        #expect(register.insert(["a", "bc"], positions: [0, 1], row: 2) == nil)
        #expect(register.insert(["ab", "c"], positions: [0, 1], row: 3) == nil)
        #expect(register.insert(["a\u{1F}b", "c"], positions: [0, 1], row: 4) == nil)
        #expect(register.insert(["a", "b\u{1F}c"], positions: [0, 1], row: 5) == nil)
        #expect(register.insert(["341502", "11010519491231002X"], positions: [1, 0], row: 6) == nil)
        #expect(register.insert(["341502", "11010519491231002X"], positions: [1, 0], row: 7) == 6)
        #expect(register.insert(["ab", "c"], positions: [0, 1], row: 8) == 3)
    }
}
