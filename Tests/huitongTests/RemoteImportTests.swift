import Foundation
import HuitongCore
import HuitongServer
import HuitongStore
import HuitongTestSupport
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Synchronization
import Testing

@testable import HuitongServices
@testable import huitong

/// `huitong import --server`: the CLI's client against a live node on a random port.
@Suite("huitong import --server")
struct RemoteImportTests {
    /// Lines the importer printed.
    final class Output: Sendable {
        let lines = Mutex<[String]>([])
        var text: String { lines.withLock { $0.joined(separator: "\n") } }
        func clear() { lines.withLock { $0.removeAll() } }
        var print: @Sendable (String) -> Void { { line in self.lines.withLock { $0.append(line) } } }
    }

    static func write(_ text: String, name: String) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("remote-import-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let file = directory.appendingPathComponent(name)
        try Data(text.utf8).write(to: file)
        return file
    }

    /// A prepared node's database with the police department (公安局, GAJ), its provider officer `gaj` and a
    /// classification to file entries under.
    static func prepare(_ store: Store) async throws -> (Department, User, AccountUseCases) {
        try await NodeStartup.prepare(store: store)
        try await store.catalog.saveClassifications([
            ClassificationNode(scheme: "guide", code: "101001", name: "人口基本信息")
        ])
        let police = try await store.departments.create(
            DepartmentDraft(name: "公安局", code: "GAJ", creditCode: nil, regionCode: "341502", parentID: nil))
        let accounts = AccountUseCases(store: store, bcryptCost: 4)
        let (provider, _) = try await accounts.createUser(
            UserDraft(username: "gaj", displayName: "gaj", departmentID: police.id, roles: [.provider]),
            password: "password-123")
        return (police, provider, accounts)
    }

    @Test(
        "a file is streamed to the node, the job followed to its end, and failures reported with a non-zero outcome",
        arguments: TestBackend.available)
    func remoteImport(_ backend: TestBackend) async throws {
        try await backend.withFreshDatabase { store, _ in
            let (police, provider, _) = try await RemoteImportTests.prepare(store)
            let secret = Secrets.issue(.user)
            _ = try await store.tokens.create(
                owner: .user(provider.id), TokenDraft(name: "cli", expiresAt: nil), secret: secret)
            let entry = try await store.catalog.create(
                try CatalogEntryContent(
                    classificationCode: "101001", name: "人口基础信息", abstract: "全市户籍人口的基础信息。",
                    formats: [ResourceFormat(category: .database, type: "Oracle")],
                    items: [
                        InfoItem(
                            name: "身份证号码", columnName: "sfzhm", dataType: .character, length: 18, isKey: true,
                            grade: .general4, semanticKind: .residentID),
                        InfoItem(
                            name: "姓名", columnName: "xm", dataType: .character, length: 50, semanticKind: .personName),
                    ],
                    shareType: .conditional, shareCondition: "用于身份核验", updateCycle: .daily
                ).validated(), departmentID: police.id, author: ChangeAuthor(userID: provider.id, name: "gaj"))

            let app = try await HuitongApp.buildApplication(
                reader: TestConfiguration.reader(live: true), store: store)
            try await app.test(.live) { client in
                let port = try #require(client.port)
                let server = try #require(RemoteImporter.serverURL("http://127.0.0.1:\(port)/"))
                let importer = RemoteImporter(server: server, token: secret.plaintext, pollInterval: .milliseconds(20))
                let output = Output()
                func load(_ file: URL, code: String? = nil, allowRepeat: Bool = false, with importer: RemoteImporter)
                    async throws -> IngestJob
                {
                    try await importer.run(
                        RemoteImporter.Load(
                            resourceCode: code ?? entry.code.text, file: file, mode: .replace, encoding: .auto,
                            sheet: nil, allowRepeat: allowRepeat),
                        bar: ProgressBar(), print: output.print)
                }

                // Enough rows for several batches and progress reports, every one valid.
                var csv = "sfzhm,xm\n"
                for index in 0..<20_000 {
                    let body = "110105198001" + String(format: "%02d%03d", index / 900 + 1, index % 900 + 100)
                    csv += body + String(try ResidentIDNumber.checkCharacter(forFirst17: body)) + ",张三\n"
                }
                let big = try Self.write(csv, name: "rk.csv")
                let job = try await load(big, with: importer)
                #expect(job.status == .succeeded && job.rowsLoaded == 20_000 && job.fileName == "rk.csv")
                #expect(output.text.contains("任务 \(job.id) 完成"), "\(output.text)")
                #expect(try await store.pools.active(entryID: entry.id)?.rowCount == 20_000)
                #expect(try await store.catalog.find(id: entry.id)?.recordCount == 20_000)

                output.clear()
                let repeated = await #expect(throws: CommandFailure.self) { try await load(big, with: importer) }
                #expect(repeated?.message.contains("--allow-repeat") == true, "\(String(describing: repeated))")
                let good = try Self.write("sfzhm,xm\n11010519491231002X,张三\n110105195001010012,王五\n", name: "rk.csv")
                #expect(try await load(good, allowRepeat: true, with: importer).rowsLoaded == 2)

                // One row in three rejected: above the 5 % threshold, so the job fails and its rows are listed.
                output.clear()
                let bad = try Self.write(
                    "sfzhm,xm\n11010519491231002X,张三\n110105195001010019,李四\n110105195001010012,王五\n",
                    name: "bad.csv")
                let failed = await #expect(throws: CommandFailure.self) { try await load(bad, with: importer) }
                #expect(failed?.message.contains("失败") == true, "\(String(describing: failed))")
                #expect(output.text.contains("rejected rows"), "\(output.text)")
                #expect(output.text.contains("\t1***************19\t"), "masked as the API masks it: \(output.text)")
                #expect(!output.text.contains("110105195001010019"))

                let unknown = await #expect(throws: CommandFailure.self) {
                    try await load(good, code: "999999/0001", with: importer)
                }
                #expect(unknown?.message.contains("999999/0001") == true)
                let stranger = RemoteImporter(server: server, token: "htu_not-a-token")
                let refused = await #expect(throws: CommandFailure.self) { try await load(good, with: stranger) }
                #expect(refused?.message.contains("HUITONG_TOKEN") == true, "\(String(describing: refused))")
            }
        }
    }

    @Test("a file is read in chunks, every byte once, with the count reported")
    func fileChunks() async throws {
        let text = String(repeating: "0123456789", count: 1000)
        let file = try Self.write(text, name: "chunks.csv")
        let reported = Mutex<[Int64]>([])
        var chunks = FileChunks(file: file) { count in reported.withLock { $0.append(count) } }
        chunks.chunkSize = 4096
        var data = Data()
        for try await buffer in chunks { data.append(contentsOf: buffer.readableBytesView) }
        #expect(data == Data(text.utf8))
        #expect(reported.withLock { $0 } == [4096, 8192, 10000])
    }

    @Test("the server is an http(s) URL")
    func serverURL() {
        #expect(
            RemoteImporter.serverURL("https://huitong.example.gov.cn:8443/")?.absoluteString
                == "https://huitong.example.gov.cn:8443")
        #expect(
            RemoteImporter.serverURL("http://127.0.0.1:8080/huitong")?.absoluteString == "http://127.0.0.1:8080/huitong"
        )
        #expect(RemoteImporter.serverURL("ftp://example.com") == nil)
        #expect(RemoteImporter.serverURL("127.0.0.1:8080") == nil)
        #expect(RemoteImporter.serverURL("https://example.com/?x=1") == nil)
    }
}
