import Foundation
import HuitongCore
import HuitongStore
import HuitongTestSupport
import Testing

/// A load's rejected values, grouped for the job page, and the loads a 工作台 lists as failed, on every backend.
@Suite("Ingest issue store conformance")
struct IngestIssueStoreConformanceTests {
    @Test(
        "problems group by column and kind, largest first, with their first rows in file order and the file's heading",
        arguments: TestBackend.available)
    func grouped(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let department = try await CatalogStoreConformanceTests.prepare(store)
            let entry = try await store.catalog.create(
                try CatalogStoreConformanceTests.population().validated(), departmentID: department.id,
                author: CatalogStoreConformanceTests.author)
            let job = try await store.ingestJobs.create(
                entryID: entry.id, mode: .replace, fileName: "人口.csv", contentHash: "h", totalBytes: 1, userID: nil,
                runner: "")
            let duplicate = BilingualText(zh: "主键重复", en: "duplicate key")
            var issues = (0..<7).map { index in
                RowIssue(
                    row: 100 - index, column: "sfzhm", value: "1***", reason: duplicate, kind: .duplicateKey,
                    heading: "身份证号码")
            }
            issues.append(
                RowIssue(
                    row: 3, column: "csrq", value: "2024-13-01", reason: BilingualText(zh: "日期无效", en: "bad date"),
                    kind: .invalidDate, heading: "出生日期"))
            issues.append(
                RowIssue(
                    row: 5, column: "csrq", value: "", reason: BilingualText(zh: "必填", en: "required"),
                    kind: .required, heading: "出生日期"))
            try await store.ingestJobs.addIssues(id: job.id, issues)
            let groups = try await store.ingestJobs.issueGroups(id: job.id, examples: 3)
            #expect(groups.map(\.kind) == [.duplicateKey, .invalidDate, .required])
            #expect(groups.map(\.count) == [7, 1, 1])
            #expect(groups[0].heading == "身份证号码" && groups[0].column == "sfzhm")
            #expect(groups[0].examples.map(\.row) == [94, 95, 96], "the first rows of the file, in order")
            #expect(groups[1].examples.first?.value == "2024-13-01" && groups[1].heading == "出生日期")
            let stored = try await store.ingestJobs.issues(id: job.id)
            #expect(stored.first?.kind == .invalidDate && stored.first?.heading == "出生日期")
        }
    }

    @Test(
        "an entry whose latest load failed is listed with its name until a later load succeeds",
        arguments: TestBackend.available)
    func latestFailed(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let department = try await CatalogStoreConformanceTests.prepare(store)
            let entry = try await store.catalog.create(
                try CatalogStoreConformanceTests.population().validated(), departmentID: department.id,
                author: CatalogStoreConformanceTests.author)
            func load(_ status: IngestJobStatus) async throws -> IngestJob {
                let job = try await store.ingestJobs.create(
                    entryID: entry.id, mode: .replace, fileName: "人口.csv", contentHash: UUID().uuidString,
                    totalBytes: 1, userID: nil, runner: "")
                return try await store.ingestJobs.finish(id: job.id, status: status, message: "", poolVersion: nil)
            }
            _ = try await load(.succeeded)
            #expect(try await store.ingestJobs.latestFailed(departmentID: department.id, limit: 10).isEmpty)
            let failed = try await load(.failed)
            let listed = try await store.ingestJobs.latestFailed(departmentID: department.id, limit: 10)
            #expect(listed.map(\.job.id) == [failed.id] && listed.first?.entryName == "人口基础信息")
            #expect(try await store.ingestJobs.latestFailed(departmentID: department.id + 1, limit: 10).isEmpty)
            _ = try await load(.succeeded)
            #expect(try await store.ingestJobs.latestFailed(departmentID: department.id, limit: 10).isEmpty)
        }
    }
}
