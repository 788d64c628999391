import Foundation
import HuitongCore
import NIOCore
import Testing

@testable import HuitongServer
@testable import HuitongServices

/// The streamed multipart reader on its own, fed in chunks of every size.
@Suite("Multipart upload")
struct MultipartUploadTests {
    static let boundary = "----huitong-test-7MA4YWxk"

    /// Content that looks like the delimiter in part: line breaks, dashes and most of the boundary.
    static let content =
        "sfzhm,xm\r\n--\r\n------huitong-test-7MA4YWx,\"甲\r\n乙\"\r\r\n-\n" + String(repeating: "数据", count: 40)

    static func body(_ disposition: String = "form-data; name=\"file\"; filename*=UTF-8''%E4%BA%BA%E5%8F%A3.csv")
        -> [UInt8]
    {
        Array(
            ("preamble to ignore\r\n--\(boundary)\r\nContent-Disposition: form-data; name=\"mode\"\r\n\r\nupsert\r\n"
                + "--\(boundary)\r\nContent-Disposition: \(disposition)\r\nContent-Type: text/csv\r\n\r\n"
                + content + "\r\n--\(boundary)\r\nContent-Disposition: form-data; name=\"sheet\"\r\n\r\n表 1\r\n"
                + "--\(boundary)--\r\n").utf8)
    }

    static func chunks(_ bytes: [UInt8], size: Int) -> AsyncStream<ByteBuffer> {
        AsyncStream { continuation in
            for start in stride(from: 0, to: bytes.count, by: size) {
                continuation.yield(ByteBuffer(bytes: bytes[start..<min(start + size, bytes.count)]))
            }
            continuation.finish()
        }
    }

    static func receive(_ bytes: [UInt8], size: Int, limit: Int64 = 1 << 20) async throws -> (MultipartUpload, Data) {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("multipart-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: file) }
        let upload = try await MultipartUpload.receive(
            chunks(bytes, size: size), boundary: boundary, to: file, limit: limit)
        return (upload, try Data(contentsOf: file))
    }

    @Test(
        "the file part reaches the disk byte for byte however the body is split", arguments: [1, 2, 3, 7, 31, 64, 4096])
    func chunked(_ size: Int) async throws {
        let (upload, data) = try await Self.receive(Self.body(), size: size)
        #expect(data == Data(Self.content.utf8))
        #expect(upload.fileSize == Int64(Self.content.utf8.count))
        #expect(upload.fileName == "人口.csv")
        #expect(upload.fields == ["mode": "upsert", "sheet": "表 1"])
    }

    @Test("a file larger than the limit is refused")
    func limit() async throws {
        let error = await #expect(throws: APIError.self) {
            try await Self.receive(Self.body(), size: 64, limit: 10)
        }
        #expect(error?.code == "body_too_large")
    }

    @Test("a part without a form-data name is refused")
    func unnamedPart() async throws {
        await #expect(throws: APIError.self) {
            try await Self.receive(Self.body("attachment"), size: 64)
        }
    }

    @Test("header parameters: quoted, escaped, RFC 5987 and Windows paths")
    func parameters() throws {
        let (type, parameters) = HeaderParameters.parse(
            #"Form-Data; name="file"; filename="a;\"b\".csv"; x=plain"#)
        #expect(type == "form-data")
        #expect(parameters == ["name": "file", "filename": #"a;"b".csv"#, "x": "plain"])
        #expect(HeaderParameters.parse(#"form-data; filename="C:\导出\rk.csv""#).1["filename"] == #"C:\导出\rk.csv"#)
        #expect(MultipartUpload.Receiver.baseName(#"C:\导出\rk.csv"#) == "rk.csv")
        #expect(try MultipartUpload.boundary(contentType: "multipart/form-data; boundary=\"a b\"") == "a b")
        #expect(try MultipartUpload.boundary(contentType: "text/csv") == nil)
        #expect(try MultipartUpload.boundary(contentType: nil) == nil)
        #expect(throws: ValidationError.self) { try MultipartUpload.boundary(contentType: "multipart/form-data") }
    }
}
