import Foundation
import HuitongCore
import HuitongTestSupport
import Testing

@testable import HuitongStore

/// Matters and joint services, the same on every backend: a matter is its department's, saved whole or not at all,
/// and cannot be removed while a joint service joins it.
@Suite("Matter store conformance")
struct MatterStoreConformanceTests {
    static func departments(_ store: Store) async throws -> (Department, Department) {
        let police = try await store.departments.create(
            DepartmentDraft(
                name: "六安市公安局", code: "GAJ", creditCode: "1134150000301001XU", regionCode: "341500", parentID: nil))
        let health = try await store.departments.create(
            DepartmentDraft(
                name: "六安市卫生健康委员会", code: "WJW", creditCode: "11341500003010052C", regionCode: "341500",
                parentID: nil))
        return (police, health)
    }

    static func matter(_ code: String, _ name: String) -> MatterDraft {
        MatterDraft(
            implementationCode: code, name: name, legalBasis: "《户口登记条例》",
            materials: [MatterMaterial(name: "居民户口簿", licenceTypeCode: "111000000000130127001")],
            elements: [
                FormElement(
                    key: "xm", label: "姓名", maxLength: 50, isRequired: true,
                    catalogItem: ItemReference(resourceCode: "101001/0001", column: "xm"))
            ])
    }

    @Test("matters are saved whole, changed in place and kept by their department", arguments: TestBackend.available)
    func matters(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let (police, health) = try await Self.departments(store)
            let saved = try await store.matters.saveMatters([
                (Self.matter("B-2", "出生登记"), police.id), (Self.matter("A-1", "出生医学证明签发"), health.id),
            ])
            #expect(saved.map(\.implementationCode) == ["B-2", "A-1"])
            #expect(try await store.matters.matter(code: "B-2")?.content == Self.matter("B-2", "出生登记"))
            #expect(try await store.matters.matters(codes: ["A-1", "B-2", "C-3"]).map(\.name) == ["出生医学证明签发", "出生登记"])
            #expect(try await store.matters.listMatters(departmentID: police.id).map(\.implementationCode) == ["B-2"])

            var changed = Self.matter("B-2", "出生登记（户口登记）")
            changed.elements = []
            _ = try await store.matters.saveMatters([(changed, police.id)])
            #expect(try await store.matters.matter(code: "B-2")?.content.elements.isEmpty == true)

            // Another department's matter in a batch: nothing of the batch is saved.
            await #expect(throws: StoreError.self) {
                try await store.matters.saveMatters([
                    (Self.matter("C-3", "新事项"), police.id), (Self.matter("A-1", "冒名"), police.id),
                ])
            }
            #expect(try await store.matters.matter(code: "C-3") == nil)
            #expect(try await store.matters.matter(code: "A-1")?.name == "出生医学证明签发")
        }
    }

    @Test("a joint service is its lead's, and the matters it joins cannot be deleted", arguments: TestBackend.available)
    func jointServices(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let (police, health) = try await Self.departments(store)
            _ = try await store.matters.saveMatters([
                (Self.matter("A-1", "出生医学证明签发"), health.id), (Self.matter("B-2", "出生登记"), police.id),
            ])
            let draft = JointServiceDraft(
                code: "YJS-XSECS", name: "新生儿出生一件事", matterCodes: ["A-1", "B-2"],
                resolutions: ["新生儿|item:101001/0001:xb": FormDictionary(code: "GB/T 2261.1", values: ["1", "2"])])
            let service = try await store.matters.saveJointService(draft, leadDepartmentID: police.id)
            #expect(service.content == draft && service.leadDepartmentID == police.id)
            await #expect(throws: StoreError.self) {
                try await store.matters.saveJointService(draft, leadDepartmentID: health.id)
            }
            await #expect(throws: StoreError.self) { try await store.matters.deleteMatter(code: "A-1") }
            #expect(try await store.matters.listJointServices().map(\.code) == ["YJS-XSECS"])
            try await store.matters.deleteJointService(code: "YJS-XSECS")
            try await store.matters.deleteMatter(code: "A-1")
            #expect(try await store.matters.matter(code: "A-1") == nil)
            await #expect(throws: StoreError.self) { try await store.matters.deleteJointService(code: "YJS-XSECS") }
        }
    }
}
