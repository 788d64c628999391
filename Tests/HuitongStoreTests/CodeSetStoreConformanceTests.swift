import Foundation
import HuitongCore
import HuitongStore
import HuitongTestSupport
import SQLKit
import Testing

/// Code sets and the data items that name them, proven on every backend.
@Suite("Code set store conformance")
struct CodeSetStoreConformanceTests {
    static let sex = CodeSet(
        id: "GB/T 2261.1-2003", name: BilingualText(zh: "人的性别代码", en: "Human sexes"),
        codes: [
            CodeSet.Code(code: "0", label: "未知的性别"), CodeSet.Code(code: "1", label: "男性", aliases: ["男"]),
            CodeSet.Code(code: "2", label: "女性", aliases: ["女"]), CodeSet.Code(code: "9", label: "未说明的性别"),
        ])
    static let marital = CodeSet(
        id: "GB/T 2261.2-2003", name: BilingualText(zh: "婚姻状况代码", en: "Marital status"),
        codes: [CodeSet.Code(code: "10", label: "未婚"), CodeSet.Code(code: "20", label: "已婚")])

    @Test(
        "code sets are saved, listed, found, replaced, and seeded without undoing edits",
        arguments: TestBackend.available)
    func savedAndReplaced(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            #expect(try await store.codeSets.list().isEmpty)
            #expect(try await store.codeSets.find(ids: []).isEmpty)
            let created = try await store.codeSets.save(Self.sex)
            #expect(created, "a new set is created")
            #expect(try await store.codeSets.find(id: "GB/T 2261.1-2003") == Self.sex)
            #expect(try await store.codeSets.find(id: "GB/T 2261.1") == nil)

            var edited = Self.sex
            edited.codes.removeLast()
            edited.name.en = "Sexes"
            #expect(try await store.codeSets.save(edited) == false, "an existing set is replaced")
            #expect(try await store.codeSets.find(id: Self.sex.id) == edited)

            // The seed adds what is missing and leaves the operator's edit alone.
            #expect(try await store.codeSets.saveMissing([Self.sex, Self.marital]) == 1)
            #expect(try await store.codeSets.find(id: Self.sex.id) == edited)
            #expect(try await store.codeSets.list().map(\.id) == ["GB/T 2261.1-2003", "GB/T 2261.2-2003"])
            #expect(
                try await store.codeSets.find(ids: ["GB/T 2261.2-2003", "nothing"]).map(\.id) == ["GB/T 2261.2-2003"])

            // The store keeps only valid sets.
            var repeated = Self.marital
            repeated.codes.append(CodeSet.Code(code: "10", label: "又一个未婚"))
            await #expect(throws: ValidationError.self) { try await store.codeSets.save(repeated) }
            #expect(try await store.codeSets.find(id: Self.marital.id)?.codes.count == 2)
        }
    }

    @Test("an item keeps its code set, which must exist", arguments: TestBackend.available)
    func itemsNameCodeSets(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let department = try await CatalogStoreConformanceTests.prepare(store)
            let author = CatalogStoreConformanceTests.author
            var content = CatalogStoreConformanceTests.population()
            content.items.append(
                InfoItem(name: "性别", columnName: "xb", dataType: .character, length: 1, codeSet: Self.sex.id))
            content = try content.validated()

            await #expect {
                try await store.catalog.create(content, departmentID: department.id, author: author)
            } throws: { error in
                (error as? ValidationError)?.issues.map(\.field) == ["items[3].codeSet"]
            }

            try await store.codeSets.saveMissing([Self.sex, Self.marital])
            let entry = try await store.catalog.create(content, departmentID: department.id, author: author)
            #expect(entry.content.items[3].codeSet == Self.sex.id)
            let found = try #require(try await store.catalog.find(id: entry.id))
            #expect(found.content.items.map(\.codeSet) == [nil, nil, nil, Self.sex.id])
            #expect(try await Self.itemCodeSets(store, entryID: entry.id) == ["xb": Self.sex.id])

            var changed = content
            changed.items[3].codeSet = Self.marital.id
            changed.items[1].codeSet = "GB/T 0000-2099"
            await #expect {
                try await store.catalog.update(id: entry.id, with: changed, author: author, note: "")
            } throws: { error in
                (error as? ValidationError)?.issues.map(\.field) == ["items[1].codeSet"]
            }
            changed.items[1].codeSet = nil
            let updated = try await store.catalog.update(id: entry.id, with: changed, author: author, note: "")
            #expect(updated.content.items[3].codeSet == Self.marital.id)
            #expect(try await Self.itemCodeSets(store, entryID: entry.id) == ["xb": Self.marital.id])
        }
    }

    /// The `code_set` column of an entry's rows in `catalog_items`, by column name.
    static func itemCodeSets(_ store: Store, entryID: Int64) async throws -> [String: String] {
        try await store.provider.read { sql in
            var result: [String: String] = [:]
            for row in try await sql.raw(
                "SELECT column_name, code_set FROM catalog_items WHERE entry_id = \(bind: entryID)"
            ).all() {
                if let codeSet = try row.decode(column: "code_set", as: String?.self) {
                    result[try row.decode(column: "column_name", as: String.self)] = codeSet
                }
            }
            return result
        }
    }
}
