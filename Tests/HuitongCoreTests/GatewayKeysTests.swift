import HuitongCore
import Testing

@Suite("Gateway lookup keys")
struct GatewayKeysTests {
    @Test("several keys come as repeated parameters or a comma list, repeats once")
    func severalKeys() throws {
        let keys = try GatewayKeys.parse(
            [("sfzhm", "A"), ("sfzhm", "B, C"), ("sfzhm", "A"), ("lang", "en")], keyColumns: ["sfzhm"], limit: 10)
        #expect(keys == [["A"], ["B"], ["C"]])
    }

    @Test("composite keys pair up in order; uneven, missing, unknown and too many are refused")
    func compositeAndErrors() throws {
        let keys = try GatewayKeys.parse(
            [("xzqh", "341502,341503"), ("bh", "1,2")], keyColumns: ["xzqh", "bh"], limit: 10)
        #expect(keys == [["341502", "1"], ["341503", "2"]])
        #expect(throws: GatewayError.unevenKeys) {
            try GatewayKeys.parse([("xzqh", "341502,341503"), ("bh", "1")], keyColumns: ["xzqh", "bh"], limit: 10)
        }
        #expect(throws: GatewayError.missingKey(column: "bh")) {
            try GatewayKeys.parse([("xzqh", "341502")], keyColumns: ["xzqh", "bh"], limit: 10)
        }
        #expect(throws: GatewayError.unknownParameter("xm")) {
            try GatewayKeys.parse([("sfzhm", "A"), ("xm", "张三")], keyColumns: ["sfzhm"], limit: 10)
        }
        #expect(throws: GatewayError.tooManyKeys(limit: 2)) {
            try GatewayKeys.parse([("sfzhm", "A,B,C")], keyColumns: ["sfzhm"], limit: 2)
        }
        #expect(throws: GatewayError.missingKey(column: "sfzhm")) {
            try GatewayKeys.parse([("sfzhm", " , ")], keyColumns: ["sfzhm"], limit: 2)
        }
    }
}
