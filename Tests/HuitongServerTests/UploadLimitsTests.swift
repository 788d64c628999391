import Foundation
import HTTPTypes
import HuitongCore
import HuitongStore
import HuitongTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import HuitongIngest
@testable import HuitongServer
@testable import HuitongServices

/// Workbooks shaped like issue 16's finding 3: a small file whose shared-strings table holds a great many strings.
enum HostileWorkbook {
    /// An XLSX with the header `sfzhm, xm` and one valid row, whose shared-strings table adds `fillers` copies of a
    /// one-letter string after the two header names. Deflate shrinks the table about 400 times (the generator
    /// `bench/hostile_xlsx.py` writes the full-size file: 13 million strings in 535 KB).
    static func data(fillers: Int) throws -> Data {
        let main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
        let office = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
        let package = "http://schemas.openxmlformats.org/package/2006/relationships"
        let strings =
            "<sst xmlns=\"\(main)\"><si><t>sfzhm</t></si><si><t>xm</t></si>"
            + String(repeating: "<si><t>x</t></si>", count: fillers) + "</sst>"
        let sheet = """
            <worksheet xmlns="\(main)"><sheetData>\
            <row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>\
            <row r="2"><c r="A2" t="inlineStr"><is><t>11010519491231002X</t></is></c>\
            <c r="B2" t="inlineStr"><is><t>张三</t></is></c></row>\
            </sheetData></worksheet>
            """
        let rootRelationships: String =
            "<Relationships xmlns=\"\(package)\"><Relationship Id=\"rId1\" Type=\"\(office)/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>"
        let workbook: String =
            "<workbook xmlns=\"\(main)\" xmlns:r=\"\(office)\"><sheets><sheet name=\"S\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>"
        var relationships = "<Relationships xmlns=\"\(package)\">"
        relationships += "<Relationship Id=\"rId1\" Type=\"\(office)/worksheet\" Target=\"worksheets/sheet1.xml\"/>"
        relationships += "<Relationship Id=\"rId2\" Type=\"\(office)/sharedStrings\" Target=\"sharedStrings.xml\"/>"
        relationships += "</Relationships>"
        let parts: [(path: String, contents: [UInt8])] = [
            ("_rels/.rels", Array(rootRelationships.utf8)),
            ("xl/workbook.xml", Array(workbook.utf8)),
            ("xl/_rels/workbook.xml.rels", Array(relationships.utf8)),
            ("xl/worksheets/sheet1.xml", Array(sheet.utf8)),
            ("xl/sharedStrings.xml", Array(strings.utf8)),
        ]
        return try ZipPackage.make(parts)
    }
}

/// What an upload may bring into a node: the size of the body, where it is spooled, and what an XLSX workbook may
/// make the load hold in memory (issue 16, findings 3 and 4).
@Suite("Upload limits")
struct UploadLimitsTests {
    /// A configuration whose uploads spool into a fresh folder, so that a test can see what is left there.
    static func configuration(_ change: (inout IngestSettings) -> Void = { _ in }) -> (ServerConfiguration, URL) {
        let spool = FileManager.default.temporaryDirectory.appendingPathComponent("huitong-spool-\(UUID())")
        var configuration = TestNode.configuration
        configuration.ingest.spoolDirectory = spool.path
        change(&configuration.ingest)
        return (configuration, spool)
    }

    /// Posts an upload body (not JSON) and returns the status and the answer's text.
    static func send(
        _ client: some TestClientProtocol, _ uri: String, token: String, body: Data, headers extra: HTTPFields = [:]
    ) async throws -> (HTTPResponse.Status, String) {
        var headers = extra
        headers[.authorization] = "Bearer \(token)"
        return try await client.execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(data: body)) {
            response in (response.status, String(buffer: response.body))
        }
    }

    /// The API error an answer's text holds.
    static func error(_ text: String) throws -> ErrorBody {
        try WireJSON.decoder.decode(ErrorBody.self, from: Data(text.utf8))
    }

    static func files(in folder: URL) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
    }

    @Test(
        "an upload over the limit is refused with 413 naming the limit and its setting, from Content-Length before any byte is read, or while it streams; nothing is left on disk",
        arguments: TestBackend.available)
    func uploadLimit(_ backend: TestBackend) async throws {
        let (configuration, spool) = Self.configuration { $0.uploadMaximumBytes = 2048 }
        defer { try? FileManager.default.removeItem(at: spool) }
        try await TestNode.run(backend, configuration: configuration) { node, client in
            let city = try await CatalogAPITests.city(node)
            let entryID = try await IngestAPITests.entry(client, city)
            let uri = "/api/v1/catalog/entries/\(entryID)/uploads?fileName=rk.csv"
            let large = Data(("sfzhm,xm\n" + String(repeating: "11010519491231002X,张三\n", count: 200)).utf8)

            // A raw body: refused on its Content-Length, before anything is written (not even the spool folder).
            let (declared, declaredBody) = try await Self.send(client, uri, token: city.provider, body: large)
            #expect(declared == .contentTooLarge)
            #expect(try Self.error(declaredBody).code == "body_too_large")
            #expect(try Self.error(declaredBody).error.message.contains("2048"), "\(declaredBody)")
            #expect(try Self.error(declaredBody).error.message.contains("HUITONG_UPLOAD_MAX_BYTES"), "\(declaredBody)")
            #expect(!FileManager.default.fileExists(atPath: spool.path), "nothing was spooled")

            // A form may carry 1 MiB of other fields besides the file: one longer than that is refused up front too.
            let formURI = "/api/v1/catalog/entries/\(entryID)/uploads"
            let multipart: HTTPFields = [.contentType: IngestAPITests.multipart]
            let huge = Data(
                IngestAPITests.form(
                    file: ("rk.csv", "sfzhm,xm\n" + String(repeating: "11010519491231002X,张三\n", count: 50_000))
                ).utf8)
            #expect(huge.count > 2048 + (1 << 20))
            #expect(
                try await Self.send(client, formURI, token: city.provider, body: huge, headers: multipart).0
                    == .contentTooLarge)
            #expect(!FileManager.default.fileExists(atPath: spool.path), "nothing was spooled")

            // A shorter form whose file is over the limit: bytes are counted as they stream, and the partial file
            // is removed.
            let form = Data(IngestAPITests.form(file: ("rk.csv", String(decoding: large, as: UTF8.self))).utf8)
            let (streamed, streamedBody) = try await Self.send(
                client, formURI, token: city.provider, body: form, headers: multipart)
            #expect(streamed == .contentTooLarge)
            #expect(try Self.error(streamedBody).error.message.contains("HUITONG_UPLOAD_MAX_BYTES"))
            #expect(Self.files(in: spool).isEmpty, "refused uploads leave nothing: \(Self.files(in: spool))")
            #expect(try await node.store.ingestJobs.list(entryID: entryID).isEmpty)

            // Under the limit, the same route takes the file; its spool folder is the node user's only.
            let (accepted, _) = try await Self.send(
                client, uri, token: city.provider, body: Data(IngestAPITests.validRows.utf8))
            #expect(accepted == .accepted)
            let mode = try FileManager.default.attributesOfItem(atPath: spool.path)[.posixPermissions] as? Int
            #expect(mode == 0o700)
        }
    }

    /// Uploads an XLSX and follows its job to the end.
    static func load(
        _ workbook: Data, _ client: some TestClientProtocol, entry: Int64, token: String
    ) async throws -> IngestJob? {
        let (status, text) = try await send(
            client, "/api/v1/catalog/entries/\(entry)/uploads?fileName=rk.xlsx&allowRepeat=true", token: token,
            body: workbook)
        #expect(status == .accepted, "\(text)")
        let accepted = try WireJSON.decoder.decode(IngestAPI.JobBody.self, from: Data(text.utf8))
        return try await IngestAPITests.finished(client, job: accepted.job.id, token: token)
    }

    @Test(
        "a small XLSX declaring a huge shared-strings table is refused naming the limit and its setting; a normal XLSX still loads",
        arguments: TestBackend.available)
    func hostileWorkbook(_ backend: TestBackend) async throws {
        let (configuration, spool) = Self.configuration { $0.xlsxLimits.maxSharedStrings = 20_000 }
        defer { try? FileManager.default.removeItem(at: spool) }
        try await TestNode.run(backend, configuration: configuration) { node, client in
            let city = try await CatalogAPITests.city(node)
            let entry = try await IngestAPITests.entry(client, city)
            let hostile = try HostileWorkbook.data(fillers: 100_000)
            #expect(hostile.count < 10_000, "the table deflates to a small file: \(hostile.count) bytes")
            let refused = try await Self.load(hostile, client, entry: entry, token: city.provider)
            #expect(refused?.status.rawValue == "failed")
            let message = refused?.message ?? ""
            #expect(
                message.contains("20000") && message.contains("HUITONG_XLSX_SHARED_STRINGS_MAX_COUNT"), "\(message)")
            #expect(try await node.store.pools.active(entryID: entry) == nil, "nothing was published")

            let normal = try XLSXWriter.makeData(sheets: [
                (
                    "人口",
                    [["sfzhm", "xm"], ["11010519491231002X", "张三"], ["110105195001010012", "王五"]]
                )
            ])
            let loaded = try await Self.load(normal, client, entry: entry, token: city.provider)
            #expect(loaded?.status.rawValue == "succeeded", "\(String(describing: loaded))")
            #expect(loaded?.rowsLoaded == 2)
        }
    }

    @Test(
        "loads share the node's memory budget: a workbook whose shared strings need more is refused naming the budget and its setting",
        arguments: TestBackend.available)
    func memoryBudget(_ backend: TestBackend) async throws {
        let (configuration, spool) = Self.configuration { $0.memoryBudgetBytes = 1 << 20 }
        defer { try? FileManager.default.removeItem(at: spool) }
        try await TestNode.run(backend, configuration: configuration) { node, client in
            let city = try await CatalogAPITests.city(node)
            let entry = try await IngestAPITests.entry(client, city)
            // 400,000 strings take 1.6 MB of offsets: within the per-job limits, beyond the node's 1 MiB.
            let refused = try await Self.load(
                try HostileWorkbook.data(fillers: 400_000), client, entry: entry, token: city.provider)
            #expect(refused?.status.rawValue == "failed")
            let message = refused?.message ?? ""
            #expect(message.contains("1048576") && message.contains("HUITONG_INGEST_MEMORY_BUDGET"), "\(message)")
            // The budget was given back: a small workbook loads afterwards.
            let loaded = try await Self.load(
                try HostileWorkbook.data(fillers: 10), client, entry: entry, token: city.provider)
            #expect(loaded?.status.rawValue == "succeeded", "\(String(describing: loaded))")
        }
    }

    @Test("a spooled upload is created readable by the node's user only, in a folder only that user may enter")
    func spoolFileMode() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("huitong-spool-\(UUID())")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder.path)
        let file = try SpoolFile.path(in: folder)
        try SpoolFile.create(file).close()
        #expect(FileManager.default.fileExists(atPath: file.path))
        let attributes = { (url: URL) in try FileManager.default.attributesOfItem(atPath: url.path) }
        #expect(try attributes(file)[.posixPermissions] as? Int == 0o600)
        #expect(try attributes(folder)[.posixPermissions] as? Int == 0o700, "an existing folder is tightened")
    }
}
