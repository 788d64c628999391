import Foundation
import HuitongCore
import HuitongIngest
import HuitongStore
import HuitongTestSupport
import Testing

/// Loads into an entry whose items take their values from code sets (代码集).
@Suite("Ingest against code sets")
struct IngestCodeSetTests {
    static let sex = CodeSet(
        id: "GB/T 2261.1-2003", name: BilingualText(zh: "人的性别代码", en: "Human sexes"),
        codes: [
            CodeSet.Code(code: "0", label: "未知的性别"), CodeSet.Code(code: "1", label: "男性", aliases: ["男"]),
            CodeSet.Code(code: "2", label: "女性", aliases: ["女"]), CodeSet.Code(code: "9", label: "未说明的性别"),
        ])

    /// The population entry of `IngestRunnerTests` with a required 性别 item coded by GB/T 2261.1-2003.
    static func population(_ store: Store) async throws -> CatalogEntry {
        try await store.codeSets.save(sex)
        let entry = try await IngestRunnerTests.population(store)
        var content = entry.content
        content.items.append(
            InfoItem(
                name: "性别", columnName: "xb", dataType: .character, length: 1, isRequired: true, codeSet: sex.id))
        return try await store.catalog.update(
            id: entry.id, with: try content.validated(), author: IngestRunnerTests.author, note: "")
    }

    @Test(
        "codes load as they are, labels as their codes, and a bad 性别 code rejects its row naming the code set",
        arguments: TestBackend.available)
    func badCode(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let entry = try await Self.population(store)
            let csv = """
                身份证号码,姓名,性别
                11010519491231002X,张三,2
                110105195001010012,李四,男性
                110105196002020014,王五,3
                110105197003030016,赵六, 女
                """
            let job = try await IngestRunner(store: store).run(
                IngestRequest(entry: entry, file: try IngestRunnerTests.file(csv), rejectionThreshold: 0.5))
            #expect(job.status == .succeeded)
            #expect(job.rowsRead == 4 && job.rowsLoaded == 3 && job.rowsRejected == 1)
            let issues = try await store.ingestJobs.issues(id: job.id)
            #expect(issues.map(\.row) == [4])
            #expect(issues.map(\.column) == ["xb"])
            #expect(issues.first?.value == "3")
            let reason = try #require(issues.first?.reason)
            #expect(reason.contains("GB/T 2261.1-2003") && reason.contains("人的性别代码"))
            #expect(reason.contains("0 未知的性别、1 男性、2 女性、9 未说明的性别"))
            func sex(_ id: String) async throws -> String? {
                try await store.pools.rows(entryID: entry.id, key: [id]).first?["xb"] ?? nil
            }
            #expect(try await sex("11010519491231002X") == "2")
            #expect(try await sex("110105195001010012") == "1", "a label is stored as its code")
            #expect(try await sex("110105197003030016") == "2", "an alias is stored as its code")
            #expect(try await store.pools.rows(entryID: entry.id, key: ["110105196002020014"]).isEmpty)
        }
    }

    @Test(
        "an item naming a code set that does not exist fails the job before any row", arguments: TestBackend.available)
    func unknownCodeSet(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            var entry = try await Self.population(store)
            // The entry as a caller held it: the store refuses to save an unknown code set, so a stale copy is the
            // way an ingest meets one.
            entry.content.items[3].codeSet = "GB/T 2261.1-1980"
            let csv = "身份证号码,姓名,性别\n11010519491231002X,张三,1\n"
            await #expect(throws: IngestFailure.unknownCodeSets(["xb": "GB/T 2261.1-1980"])) {
                try await IngestRunner(store: store).run(
                    IngestRequest(entry: entry, file: try IngestRunnerTests.file(csv)))
            }
            let job = try #require(try await store.ingestJobs.list(entryID: entry.id).first)
            #expect(job.status == .failed && job.rowsRead == 0)
            #expect(job.message.contains("GB/T 2261.1-1980") && job.message.contains("xb"))
            #expect(try await store.pools.versions(entryID: entry.id).isEmpty, "no pool version was begun")
        }
    }
}
