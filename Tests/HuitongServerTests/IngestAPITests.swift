import Foundation
import HTTPTypes
import HuitongCore
import HuitongStore
import HuitongTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import HuitongServer
@testable import HuitongServices

/// Uploading department data through the API and following the job.
@Suite("Ingest API")
struct IngestAPITests {
    @Test(
        "an uploaded CSV loads in the background; the job shows progress and the masked error report",
        arguments: TestBackend.available)
    func upload(_ backend: TestBackend) async throws {
        try await TestNode.run(backend) { node, client in
            let city = try await CatalogAPITests.city(node)
            let entryID = try await Self.entry(client, city)
            let csv = "sfzhm,xm\n11010519491231002X,张三\n110105195001010019,李四\n110105195001010012,王五\n"
            let uri = "/api/v1/catalog/entries/\(entryID)/uploads?fileName=rk.csv&mode=replace"
            #expect(
                try await Self.post(client, uri, token: city.otherProvider, contentType: nil, body: csv).0 == .notFound,
                "other departments cannot load into it")
            #expect(
                try await Self.post(client, uri, token: city.consumer, contentType: nil, body: csv).0 == .forbidden,
                "consumers do not load data")
            let (bad, badBody) = try await Self.refused(
                client, "/api/v1/catalog/entries/\(entryID)/uploads?fileName=rk.pdf&mode=merge", token: city.provider,
                contentType: nil, body: csv)
            #expect(bad == .badRequest && Set(badBody.fields) == ["mode", "fileName"])

            let (status, accepted) = try await Self.upload(
                client, uri, token: city.provider, contentType: nil, body: csv)
            #expect(status == .accepted)
            let jobID = accepted.job.id
            var job = accepted
            for _ in 0..<100 {
                let (_, body) = try await client.send(
                    .get, "/api/v1/ingest/jobs/\(jobID)", token: city.provider, as: IngestAPI.JobBody.self)
                job = body
                if body.job.status.rawValue != "running" { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            let state = job.job
            // One row of three is rejected (33 %), above the default 5 % threshold: nothing is published.
            #expect(state.status.rawValue == "failed")
            #expect(state.rowsRejected == 1)
            #expect(job.percent == 100)
            let report = try await client.execute(
                uri: "/api/v1/ingest/jobs/\(jobID)/errors", method: .get,
                headers: [.authorization: "Bearer \(city.provider)"]
            ) { String(buffer: $0.body) }
            #expect(report.contains("1***************19"), "\(report)")
            #expect(!report.contains("110105195001010019"), "the rejected ID number never appears in full")
            #expect(try await node.store.pools.active(entryID: entryID) == nil)
            let (_, list) = try await client.send(
                .get, "/api/v1/catalog/entries/\(entryID)/jobs", token: city.provider,
                as: ListBody<IngestAPI.JobBody>.self)
            #expect(list.items.count == 1)
        }
    }

    /// Creates the catalog tests' entry as the city's provider and returns its id.
    static func entry(_ client: some TestClientProtocol, _ city: CatalogAPITests.City) async throws -> Int64 {
        try await client.send(
            .post, "/api/v1/catalog/entries", token: city.provider, input: CatalogAPITests.entry(),
            as: CatalogEntry.self
        ).1.id
    }

    /// A `multipart/form-data` body with the given fields and, when `file` is set, a `file` part.
    static func form(
        boundary: String = "----huitong-test-7MA4YWxk", fields: [(String, String)] = [],
        file: (name: String?, content: String)? = nil, fieldsAfterFile: [(String, String)] = []
    ) -> String {
        var body = ""
        for (name, value) in fields {
            body += "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n"
        }
        if let file {
            let fileName = file.name.map { "; filename=\"\($0)\"" } ?? ""
            body +=
                "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"\(fileName)\r\n"
                + "Content-Type: text/csv\r\n\r\n\(file.content)\r\n"
        }
        for (name, value) in fieldsAfterFile {
            body += "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n"
        }
        return body + "--\(boundary)--\r\n"
    }

    /// Posts `body` (a file, a form: not JSON) with a content type and returns the status and the answer's text.
    static func post(
        _ client: some TestClientProtocol, _ uri: String, token: String, contentType: String?, body: String
    ) async throws -> (HTTPResponse.Status, String) {
        var headers: HTTPFields = [.authorization: "Bearer \(token)"]
        if let contentType { headers[.contentType] = contentType }
        return try await client.execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: body)) {
            response in (response.status, String(buffer: response.body))
        }
    }

    /// Posts an upload the node accepts and reads the job it started.
    static func upload(
        _ client: some TestClientProtocol, _ uri: String, token: String, contentType: String?, body: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> (HTTPResponse.Status, IngestAPI.JobBody) {
        let (status, text) = try await post(client, uri, token: token, contentType: contentType, body: body)
        return (
            status,
            try WireJSON.decode(
                IngestAPI.JobBody.self, from: text, status: status, request: "POST \(uri)",
                sourceLocation: sourceLocation)
        )
    }

    /// Posts an upload the node refuses and reads the error.
    static func refused(
        _ client: some TestClientProtocol, _ uri: String, token: String, contentType: String?, body: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> (HTTPResponse.Status, ErrorBody) {
        let (status, text) = try await post(client, uri, token: token, contentType: contentType, body: body)
        return (
            status,
            try WireJSON.decode(
                ErrorBody.self, from: text, status: status, request: "POST \(uri)", sourceLocation: sourceLocation)
        )
    }

    /// Follows a job until it is no longer running.
    static func finished(_ client: some TestClientProtocol, job id: Int64, token: String) async throws -> IngestJob? {
        for _ in 0..<200 {
            let (_, body) = try await client.send(
                .get, "/api/v1/ingest/jobs/\(id)", token: token, as: IngestAPI.JobBody.self)
            if body.job.status.rawValue != "running" { return body.job }
            try await Task.sleep(for: .milliseconds(25))
        }
        Issue.record("job \(id) still running")
        return nil
    }

    static let multipart = "multipart/form-data; boundary=----huitong-test-7MA4YWxk"
    static let validRows = "sfzhm,xm\n11010519491231002X,张三\n110105195001010012,王五\n"

    @Test(
        "a multipart form uploads the file part; its fields override the query; NDJSON and JSON are accepted",
        arguments: TestBackend.available)
    func multipartUpload(_ backend: TestBackend) async throws {
        try await TestNode.run(backend) { node, client in
            let city = try await CatalogAPITests.city(node)
            let entryID = try await Self.entry(client, city)
            let uri = "/api/v1/catalog/entries/\(entryID)/uploads"

            // The form's mode wins over the query's; the file part comes with the form's other fields after it.
            let form = Self.form(
                fields: [("mode", "replace"), ("encoding", "utf-8")], file: ("C:\\导出\\人口.csv", Self.validRows),
                fieldsAfterFile: [("sheet", "")])
            let (status, accepted) = try await Self.upload(
                client, uri + "?mode=delete", token: city.provider, contentType: Self.multipart, body: form)
            #expect(status == .accepted, "\(accepted)")
            let jobID = accepted.job.id
            let job = try #require(try await Self.finished(client, job: jobID, token: city.provider))
            #expect(job.status.rawValue == "succeeded", "\(job)")
            #expect(job.mode.rawValue == "replace")
            #expect(job.fileName == "人口.csv", "only the last path component is kept")
            #expect(job.rowsLoaded == 2)
            #expect(try await node.store.pools.active(entryID: entryID)?.rowCount == 2)

            // The same file again is refused unless the form allows it.
            let (again, refused) = try await Self.refused(
                client, uri, token: city.provider, contentType: Self.multipart, body: form)
            #expect(again == .conflict && refused.code == "repeated_file")
            let (allowed, _) = try await Self.post(
                client, uri, token: city.provider, contentType: Self.multipart,
                body: Self.form(fields: [("allowRepeat", "on")], file: ("人口.csv", Self.validRows)))
            #expect(allowed == .accepted)
            try await Task.sleep(for: .milliseconds(10))
            for (name, content) in [
                ("rk.ndjson", #"{"sfzhm": "11010519491231002X", "xm": "张三"}"# + "\n"),
                ("rk.jsonl", #"{"sfzhm": "110105195001010012", "xm": "王五"}"# + "\n"),
                ("rk.json", #"[{"sfzhm": "11010519491231002X", "xm": "张三丰"}]"#),
            ] {
                // Wait for the previous load into the entry to end: a second one is refused while it runs.
                for job in try await node.store.ingestJobs.list(entryID: entryID) where job.status == .running {
                    _ = try await Self.finished(client, job: job.id, token: city.provider)
                }
                let (status, accepted) = try await Self.upload(
                    client, uri, token: city.provider, contentType: Self.multipart,
                    body: Self.form(file: (name, content)))
                #expect(status == .accepted, "\(name): \(accepted)")
                let jobID = accepted.job.id
                let job = try #require(try await Self.finished(client, job: jobID, token: city.provider))
                #expect(job.status.rawValue == "succeeded", "\(name): \(job)")
                #expect(job.rowsLoaded == 1, "\(name)")
            }
            // A raw body takes the JSON types too.
            let (raw, rawBody) = try await Self.upload(
                client, uri + "?fileName=rk.jsonl&allowRepeat=true", token: city.provider, contentType: nil,
                body: #"{"sfzhm": "110105195001010012", "xm": "王五"}"#)
            #expect(raw == .accepted)
            let rawJob = rawBody.job.id
            #expect(
                try await Self.finished(client, job: rawJob, token: city.provider)?.status.rawValue == "succeeded")
        }
    }

    @Test(
        "a malformed multipart upload is refused with a 400 that says what is wrong", arguments: TestBackend.available)
    func multipartErrors(_ backend: TestBackend) async throws {
        try await TestNode.run(backend) { node, client in
            let city = try await CatalogAPITests.city(node)
            let entryID = try await Self.entry(client, city)
            let uri = "/api/v1/catalog/entries/\(entryID)/uploads"
            func refusal(_ contentType: String?, _ body: String, query: String = "") async throws -> (
                HTTPResponse.Status, code: String, fields: [String], message: String
            ) {
                let (status, error) = try await Self.refused(
                    client, uri + query, token: city.provider, contentType: contentType, body: body)
                return (status, error.code, error.fields, error.error.message)
            }

            let noFile = try await refusal(Self.multipart, Self.form(fields: [("mode", "replace")]))
            #expect(noFile.0 == .badRequest && noFile.fields == ["file"], "\(noFile)")
            let empty = try await refusal(Self.multipart, "------huitong-test-7MA4YWxk--\r\n")
            #expect(empty.0 == .badRequest && empty.fields == ["file"], "\(empty)")

            let noBoundary = try await refusal("multipart/form-data", Self.form(file: ("rk.csv", Self.validRows)))
            #expect(noBoundary.0 == .badRequest && noBoundary.fields == ["Content-Type"], "\(noBoundary)")
            let wrongBoundary = try await refusal(
                "multipart/form-data; boundary=other", Self.form(file: ("rk.csv", Self.validRows)))
            #expect(wrongBoundary.0 == .badRequest && wrongBoundary.fields == ["Content-Type"], "\(wrongBoundary)")

            let whole = Self.form(file: ("rk.csv", Self.validRows))
            for cut in [whole.utf8.count - 4, whole.utf8.count - 12, whole.utf8.count / 2] {
                let truncated = String(decoding: Array(whole.utf8.prefix(cut)), as: UTF8.self)
                let result = try await refusal(Self.multipart, truncated)
                #expect(result.0 == .badRequest && result.message.contains("truncated"), "cut at \(cut): \(result)")
            }

            let noName = try await refusal(Self.multipart, Self.form(file: (nil, Self.validRows)))
            #expect(noName.0 == .badRequest && noName.fields == ["file"], "\(noName)")
            let named = try await refusal(Self.multipart, Self.form(file: (nil, "")), query: "?fileName=rk.csv")
            #expect(named.0 == .badRequest && named.fields == ["file"] && named.message.contains("empty"), "\(named)")
            let pdf = try await refusal(
                Self.multipart, Self.form(fields: [("allowRepeat", "perhaps")], file: ("rk.pdf", Self.validRows)))
            #expect(pdf.0 == .badRequest && Set(pdf.fields) == ["file", "allowRepeat"], "\(pdf)")
            let twoFiles = try await refusal(
                Self.multipart,
                Self.form(file: ("a.csv", Self.validRows)).replacingOccurrences(
                    of: "------huitong-test-7MA4YWxk--\r\n", with: "") + Self.form(file: ("b.csv", Self.validRows)))
            #expect(twoFiles.0 == .badRequest && twoFiles.fields == ["file"], "\(twoFiles)")
            let big = try await refusal(
                Self.multipart,
                Self.form(fields: [("note", String(repeating: "x", count: 5000))], file: ("rk.csv", "a")))
            #expect(big.0 == .badRequest && big.fields == ["note"], "\(big)")
            #expect(try await node.store.ingestJobs.list(entryID: entryID).isEmpty)
        }
    }

    /// Found by fuzz/FuzzMultipart (issue 16): MultipartKit looks header-name bytes up in a table of 128 entries,
    /// so a byte from 0x80 up in a part's header name trapped and stopped the whole node.
    @Test(
        "a part header name with a byte outside ASCII is refused with a 400 and the node keeps serving",
        arguments: TestBackend.available)
    func nonASCIIHeaderName(_ backend: TestBackend) async throws {
        try await TestNode.run(backend) { node, client in
            let city = try await CatalogAPITests.city(node)
            let entryID = try await Self.entry(client, city)
            let uri = "/api/v1/catalog/entries/\(entryID)/uploads"
            // The fuzzer's inputs: a file part, then a part whose header name is "C" and 0xFF bytes; and a header
            // value holding a bare LF, after which the parser reads 0xFF bytes as the next header's name.
            var first = ByteBuffer(
                string: "------huitong-test-7MA4YWxk\r\nContent-Disposition: form-data; name=\"file\"; "
                    + "filename=\"a.csv\"\r\n\r\na\n\r\n------huitong-test-7MA4YWxk\r\nC")
            first.writeBytes([0xFF, 0xFF, 0xFF])
            first.writeString(": x\r\n\r\nb\r\n------huitong-test-7MA4YWxk--\r\n")
            var second = ByteBuffer(string: "------huitong-test-7MA4YWxk\r\nContent-Type: text/plain\u{0C}\n\r\n")
            second.writeBytes([UInt8](repeating: 0xFF, count: 40))
            second.writeString("x\r\n------huitong-test-7MA4YWxk--\r\n")
            for body in [first, second] {
                let status = try await client.execute(
                    uri: uri, method: .post,
                    headers: [.authorization: "Bearer \(city.provider)", .contentType: Self.multipart], body: body
                ) { $0.status }
                #expect(status == .badRequest)
            }
            let after = try await client.status(.get, "/api/v1/catalog/entries/\(entryID)", token: city.provider)
            #expect(after == .ok)
            #expect(try await node.store.ingestJobs.list(entryID: entryID).isEmpty)
        }
    }
}
