import HuitongCore
import HuitongServices
import Testing

/// The demo's licence types, as shipped in the seed file.
@Suite("Licence type seed")
struct LicenceTypeSeedTests {
    @Test(
        "the six demo types validate, bind people by ID number and enterprises by credit code, and mask personal fields"
    )
    func demoTypes() throws {
        let types = try LicenceType.seeded()
        #expect(types.map(\.name) == ["营业执照", "出生医学证明", "结婚证", "不动产权证书", "社会保障卡", "居民户口簿"])
        #expect(Set(types.map(\.typeCode)).count == 6)
        #expect(types.first { $0.name == "营业执照" }?.holderKind == .organisation)
        #expect(types.filter { $0.holderKind == .person }.count == 5)
        for licenceType in types {
            let masked = licenceType.fields.filter { $0.type == .residentID }.allSatisfy(\.isMaskedByDefault)
            #expect(masked, "\(licenceType.name): ID numbers are masked by default")
        }
        #expect(types.first { $0.name == "社会保障卡" }?.validity == .years(10))
    }
}
