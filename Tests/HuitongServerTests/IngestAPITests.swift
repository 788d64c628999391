import Foundation
import HTTPTypes
import HuitongCore
import HuitongStore
import HuitongTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

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
            let (_, created, _) = try await client.json(
                .post, "/api/v1/catalog/entries", token: city.provider, body: CatalogAPITests.entryJSON())
            let entryID = created["id"] as! Int
            let csv = "sfzhm,xm\n11010519491231002X,张三\n110105195001010019,李四\n110105195001010012,王五\n"
            func send(_ uri: String, _ token: String, _ body: String) async throws -> (
                HTTPResponse.Status, [String: Any]
            ) {
                try await client.execute(
                    uri: uri, method: .post, headers: [.authorization: "Bearer \(token)"],
                    body: ByteBuffer(string: body)
                ) { response in
                    let object =
                        (try? JSONSerialization.jsonObject(with: Data(buffer: response.body))) as? [String: Any] ?? [:]
                    return (response.status, object)
                }
            }
            let uri = "/api/v1/catalog/entries/\(entryID)/uploads?fileName=rk.csv&mode=replace"
            #expect(
                try await send(uri, city.otherProvider, csv).0 == .notFound, "other departments cannot load into it")
            #expect(try await send(uri, city.consumer, csv).0 == .forbidden, "consumers do not load data")
            let (bad, badBody) = try await send(
                "/api/v1/catalog/entries/\(entryID)/uploads?fileName=rk.pdf&mode=merge", city.provider, csv)
            #expect(bad == .badRequest && Set(apiError(badBody).fields) == ["mode", "fileName"])

            let (status, accepted) = try await send(uri + "", city.provider, csv)
            #expect(status == .accepted)
            let jobID = try #require((accepted["job"] as? [String: Any])?["id"] as? Int)
            var job: [String: Any] = [:]
            for _ in 0..<100 {
                let (_, body, _) = try await client.json(.get, "/api/v1/ingest/jobs/\(jobID)", token: city.provider)
                job = body
                if (body["job"] as? [String: Any])?["status"] as? String != "running" { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            let state = try #require(job["job"] as? [String: Any])
            // One row of three is rejected (33 %), above the default 5 % threshold: nothing is published.
            #expect(state["status"] as? String == "failed")
            #expect(state["rowsRejected"] as? Int == 1)
            #expect(job["percent"] as? Int == 100)
            let report = try await client.execute(
                uri: "/api/v1/ingest/jobs/\(jobID)/errors", method: .get,
                headers: [.authorization: "Bearer \(city.provider)"]
            ) { String(buffer: $0.body) }
            #expect(report.contains("1***************19"), "\(report)")
            #expect(!report.contains("110105195001010019"), "the rejected ID number never appears in full")
            #expect(try await node.store.pools.active(entryID: Int64(entryID)) == nil)
            let (_, list, _) = try await client.json(
                .get, "/api/v1/catalog/entries/\(entryID)/jobs", token: city.provider)
            #expect((list["items"] as? [Any])?.count == 1)
        }
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

    /// Posts `body` with a content type and returns status and parsed body.
    static func post(
        _ client: some TestClientProtocol, _ uri: String, token: String, contentType: String?, body: String
    ) async throws -> (HTTPResponse.Status, [String: Any]) {
        var headers: HTTPFields = [.authorization: "Bearer \(token)"]
        if let contentType { headers[.contentType] = contentType }
        return try await client.execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: body)) {
            response in
            let object = (try? JSONSerialization.jsonObject(with: Data(buffer: response.body))) as? [String: Any] ?? [:]
            return (response.status, object)
        }
    }

    /// Follows a job until it is no longer running.
    static func finished(_ client: some TestClientProtocol, job id: Int, token: String) async throws -> [String: Any] {
        for _ in 0..<200 {
            let (_, body, _) = try await client.json(.get, "/api/v1/ingest/jobs/\(id)", token: token)
            let job = body["job"] as? [String: Any] ?? [:]
            if job["status"] as? String != "running" { return job }
            try await Task.sleep(for: .milliseconds(25))
        }
        Issue.record("job \(id) still running")
        return [:]
    }

    static let multipart = "multipart/form-data; boundary=----huitong-test-7MA4YWxk"
    static let validRows = "sfzhm,xm\n11010519491231002X,张三\n110105195001010012,王五\n"

    @Test(
        "a multipart form uploads the file part; its fields override the query; NDJSON and JSON are accepted",
        arguments: TestBackend.available)
    func multipartUpload(_ backend: TestBackend) async throws {
        try await TestNode.run(backend) { node, client in
            let city = try await CatalogAPITests.city(node)
            let (_, created, _) = try await client.json(
                .post, "/api/v1/catalog/entries", token: city.provider, body: CatalogAPITests.entryJSON())
            let entryID = created["id"] as! Int
            let uri = "/api/v1/catalog/entries/\(entryID)/uploads"

            // The form's mode wins over the query's; the file part comes with the form's other fields after it.
            let form = Self.form(
                fields: [("mode", "replace"), ("encoding", "utf-8")], file: ("C:\\导出\\人口.csv", Self.validRows),
                fieldsAfterFile: [("sheet", "")])
            let (status, accepted) = try await Self.post(
                client, uri + "?mode=delete", token: city.provider, contentType: Self.multipart, body: form)
            #expect(status == .accepted, "\(accepted)")
            let jobID = try #require((accepted["job"] as? [String: Any])?["id"] as? Int)
            let job = try await Self.finished(client, job: jobID, token: city.provider)
            #expect(job["status"] as? String == "succeeded", "\(job)")
            #expect(job["mode"] as? String == "replace")
            #expect(job["fileName"] as? String == "人口.csv", "only the last path component is kept")
            #expect(job["rowsLoaded"] as? Int == 2)
            #expect(try await node.store.pools.active(entryID: Int64(entryID))?.rowCount == 2)

            // The same file again is refused unless the form allows it.
            let (again, refused) = try await Self.post(
                client, uri, token: city.provider, contentType: Self.multipart, body: form)
            #expect(again == .conflict && apiError(refused).code == "repeated_file")
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
                for job in try await node.store.ingestJobs.list(entryID: Int64(entryID)) where job.status == .running {
                    _ = try await Self.finished(client, job: Int(job.id), token: city.provider)
                }
                let (status, accepted) = try await Self.post(
                    client, uri, token: city.provider, contentType: Self.multipart,
                    body: Self.form(file: (name, content)))
                #expect(status == .accepted, "\(name): \(accepted)")
                let jobID = try #require((accepted["job"] as? [String: Any])?["id"] as? Int)
                let job = try await Self.finished(client, job: jobID, token: city.provider)
                #expect(job["status"] as? String == "succeeded", "\(name): \(job)")
                #expect(job["rowsLoaded"] as? Int == 1, "\(name)")
            }
            // A raw body takes the JSON types too.
            let (raw, rawBody) = try await Self.post(
                client, uri + "?fileName=rk.jsonl&allowRepeat=true", token: city.provider, contentType: nil,
                body: #"{"sfzhm": "110105195001010012", "xm": "王五"}"#)
            #expect(raw == .accepted)
            let rawJob = try #require((rawBody["job"] as? [String: Any])?["id"] as? Int)
            #expect(
                try await Self.finished(client, job: rawJob, token: city.provider)["status"] as? String == "succeeded")
        }
    }

    @Test(
        "a malformed multipart upload is refused with a 400 that says what is wrong", arguments: TestBackend.available)
    func multipartErrors(_ backend: TestBackend) async throws {
        try await TestNode.run(backend) { node, client in
            let city = try await CatalogAPITests.city(node)
            let (_, created, _) = try await client.json(
                .post, "/api/v1/catalog/entries", token: city.provider, body: CatalogAPITests.entryJSON())
            let uri = "/api/v1/catalog/entries/\(created["id"] as! Int)/uploads"
            func refusal(_ contentType: String?, _ body: String, query: String = "") async throws -> (
                HTTPResponse.Status, code: String, fields: [String], message: String
            ) {
                let (status, object) = try await Self.post(
                    client, uri + query, token: city.provider, contentType: contentType, body: body)
                let message = (object["error"] as? [String: Any])?["message"] as? String ?? ""
                let error = apiError(object)
                return (status, error.code, error.fields, message)
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
            #expect(try await node.store.ingestJobs.list(entryID: Int64(created["id"] as! Int)).isEmpty)
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
            let (_, created, _) = try await client.json(
                .post, "/api/v1/catalog/entries", token: city.provider, body: CatalogAPITests.entryJSON())
            let uri = "/api/v1/catalog/entries/\(created["id"] as! Int)/uploads"
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
            let (after, _, _) = try await client.json(
                .get, "/api/v1/catalog/entries/\(created["id"] as! Int)", token: city.provider)
            #expect(after == .ok)
            #expect(try await node.store.ingestJobs.list(entryID: Int64(created["id"] as! Int)).isEmpty)
        }
    }
}
