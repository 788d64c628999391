import Foundation
import HuitongCore
import HuitongIngest
import HuitongStore
import HuitongTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The issue's acceptance cases for loads: a file with five kinds of defect, and an import killed mid-load.
@Suite("Ingest defects and crashes")
struct IngestDefectsAndCrashTests {
    static func population(_ store: Store) async throws -> CatalogEntry {
        try await IngestRunnerTests.population(
            store,
            items: [
                InfoItem(
                    name: "身份证号码", columnName: "sfzhm", dataType: .character, length: 18, isKey: true,
                    semanticKind: .residentID),
                InfoItem(
                    name: "姓名", columnName: "xm", dataType: .character, length: 50, isRequired: true,
                    semanticKind: .personName),
                InfoItem(name: "出生日期", columnName: "csrq", dataType: .date, isRequired: true),
                InfoItem(
                    name: "手机号码", columnName: "sjhm", dataType: .character, length: 11, semanticKind: .mobilePhone),
            ])
    }

    /// A valid resident ID number for a sequence number: 341502 + a birth date in 1960–1999 + sequence + check.
    static func residentID(_ serial: Int) -> (id: String, birth: String) {
        let year = 1960 + serial % 40
        let month = 1 + (serial / 40) % 12
        let day = 1 + (serial / 480) % 28
        let birth = String(format: "%04d-%02d-%02d", year, month, day)
        let body = "341502" + String(format: "%04d%02d%02d", year, month, day) + String(format: "%03d", serial % 1000)
        let check = try! ResidentIDNumber.checkCharacter(forFirst17: body)
        return (body + String(check), birth)
    }

    @Test(
        "a file with five kinds of defect loads with exactly those rows rejected, each named with row and reason",
        arguments: TestBackend.available)
    func fiveDefects(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let entry = try await Self.population(store)
            var lines = ["sfzhm,xm,csrq,sjhm"]
            var expected: [(row: Int, column: String, reason: String)] = []
            var firstID = ""
            for serial in 1...40 {
                var (id, birth) = Self.residentID(serial * 1_001)
                var name = "居民\(serial)"
                var phone = String(format: "138%08d", serial)
                let row = lines.count + 1
                switch serial {
                case 7:
                    id = String(id.dropLast()) + (id.last == "1" ? "2" : "1")
                    expected.append((row, "sfzhm", "校验位错误"))
                case 13:
                    birth = "2023-02-30"
                    expected.append((row, "csrq", "应为有效日期"))
                case 19:
                    name = ""
                    expected.append((row, "xm", "为必填项"))
                case 25:
                    phone = "1381234567"
                    expected.append((row, "sjhm", "不是有效的手机号码"))
                case 31:
                    id = firstID
                    expected.append((row, "sfzhm", "主键与第 2 行重复"))
                default:
                    break
                }
                if serial == 1 { firstID = id }
                lines.append("\(id),\(name),\(birth),\(phone)")
            }
            let job = try await IngestRunner(store: store).run(
                IngestRequest(
                    entry: entry, file: try IngestRunnerTests.file(lines.joined(separator: "\r\n")),
                    rejectionThreshold: 0.2))
            #expect(job.status == .succeeded)
            #expect(job.rowsRead == 40 && job.rowsRejected == 5 && job.rowsLoaded == 35)
            let issues = try await store.ingestJobs.issues(id: job.id)
            #expect(issues.map(\.row) == expected.map(\.row))
            for (issue, wanted) in zip(issues, expected) {
                #expect(issue.column == wanted.column, "row \(issue.row)")
                #expect(issue.reason.contains(wanted.reason), "row \(issue.row): \(issue.reason)")
            }
            #expect(try await store.pools.active(entryID: entry.id)?.rowCount == 35)
        }
    }

    /// The `huitong` executable built beside the test bundle.
    static var executable: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("huitong")
    }

    static func argument(_ location: DatabaseLocation) -> String {
        switch location {
        case .sqlite(let path): "sqlite:\(path)"
        case .postgres(let url): url
        }
    }

    static func importProcess(_ code: String, _ file: URL, _ location: DatabaseLocation) throws -> Process {
        let process = Process()
        process.executableURL = executable
        process.arguments = ["import", code, file.path, "--database", argument(location), "--log-level", "error"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        // The catalog entry it loads into carries a row MAC keyed by the test's sealing key.
        process.environment = ProcessInfo.processInfo.environment.merging(
            ["HUITONG_SEALING_KEY": TestBackend.sealingKey.base64]) { _, ours in ours }
        try ChildProcess.launch(process)
        return process
    }

    @Test(
        "an import killed with SIGKILL mid-load publishes nothing, and running it again succeeds",
        arguments: TestBackend.available)
    func killedMidLoad(_ backend: TestBackend) async throws {
        try #require(
            FileManager.default.isExecutableFile(atPath: Self.executable.path),
            "swift test builds the huitong executable beside the tests")
        try await backend.withFreshDatabase { store, location in
            let entry = try await Self.population(store)
            let small = try IngestRunnerTests.file("sfzhm,xm,csrq\n11010519491231002X,张三,1949-12-31\n")
            let first = try await IngestRunner(store: store).run(IngestRequest(entry: entry, file: small))
            #expect(first.poolVersion == 1)

            let rows = 150_000
            var text = "sfzhm,xm,csrq,sjhm\n"
            text.reserveCapacity(rows * 48)
            for serial in 0..<rows {
                // Distinct keys: the serial spreads over the birth date and the three-digit sequence.
                let (id, birth) = Self.residentID(serial)
                text += "\(id),\"居民\(serial), 甲\",\(birth),\(String(format: "139%08d", serial))\n"
            }
            let big = try IngestRunnerTests.file(text, name: "big.csv")
            let victim = try Self.importProcess(entry.code.text, big, location)
            var loading: IngestJob?
            for _ in 0..<1_200 {
                if let job = try await store.ingestJobs.list(entryID: entry.id).first,
                    job.id != first.id, job.rowsLoaded > 0
                {
                    loading = job
                    break
                }
                try await Task.sleep(for: .milliseconds(25))
            }
            let killed = try #require(loading, "the import started loading")
            kill(victim.processIdentifier, SIGKILL)
            victim.waitUntilExit()
            #expect(victim.terminationReason == .uncaughtSignal)

            // Readers still see the first version whole; the dead load is invisible.
            #expect(try await store.pools.active(entryID: entry.id)?.version == 1)
            #expect(try await store.pools.rows(entryID: entry.id, key: ["11010519491231002X"]).count == 1)
            #expect(try await store.pools.rows(entryID: entry.id, key: [Self.residentID(0).id]).isEmpty)
            #expect(try await store.ingestJobs.find(id: killed.id)?.status == .running)

            // Running the same import again recognises the dead job at once and loads the whole file.
            let rerun = try Self.importProcess(entry.code.text, big, location)
            rerun.waitUntilExit()
            #expect(rerun.terminationStatus == 0)
            let jobs = try await store.ingestJobs.list(entryID: entry.id)
            #expect(jobs.map(\.status) == [.succeeded, .failed, .succeeded])
            #expect(jobs[1].message.contains("任务中断"))
            let active = try #require(try await store.pools.active(entryID: entry.id))
            #expect(
                active.rowCount == Int64(rows) && active.version == 3,
                "the dead version's table is gone and its number never reused")
            #expect(try await store.pools.versions(entryID: entry.id).map(\.status) == [.retired, .active])
            #expect(try await store.pools.rows(entryID: entry.id, key: [Self.residentID(rows - 1).id]).count == 1)
        }
    }
}
