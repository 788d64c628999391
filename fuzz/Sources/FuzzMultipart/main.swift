// libFuzzer target: the multipart/form-data upload reader (`MultipartUpload`, internal to HuitongServer, hence
// `@testable`; scripts/fuzz builds with -enable-testing) — MultipartKit's parser fed chunk by chunk, our checks
// on parts, headers, field sizes and the closing delimiter, and the Content-Type/Content-Disposition parameter
// parser.
//
// Input: the first line is the request's Content-Type header (its boundary is used when it has one, otherwise
// "fuzzboundary"); the byte after that line chooses the chunk size; the rest is the body. Besides not crashing:
// an accepted upload has a file part that is not empty, whose bytes on disk are as many as it reports and no more
// than the limit, and whose name has no directory in it; a refusal is an APIError.
import Foundation
import HuitongCore
import NIOCore

@testable import HuitongServer

struct Chunks: AsyncSequence {
    typealias Element = ByteBuffer
    let chunks: [ByteBuffer]
    struct AsyncIterator: AsyncIteratorProtocol {
        var remaining: ArraySlice<ByteBuffer>
        mutating func next() async -> ByteBuffer? { remaining.popFirst() }
    }
    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(remaining: chunks[...]) }
}

final class Outcome: @unchecked Sendable {
    var upload: MultipartUpload?
    var error: (any Error)?
}

let file = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent(
    "huitong-fuzz-multipart-\(getpid())")
let limit: Int64 = 64 * 1024

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMultipart(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let input = UnsafeBufferPointer(start: start.assumingMemoryBound(to: UInt8.self), count: count)
    guard let newline = input.firstIndex(of: UInt8(ascii: "\n")), newline + 1 < input.count else { return 0 }
    let contentType = String(decoding: input[..<newline], as: UTF8.self)
    let chunkSize = [1, 3, 17, 256, 65536][Int(input[newline + 1]) % 5]
    let body = Array(input[(newline + 2)...])

    _ = HeaderParameters.parse(contentType)
    let boundary: String
    do {
        boundary = try MultipartUpload.boundary(contentType: contentType) ?? "fuzzboundary"
    } catch {
        _ = error.message.combined
        return 0
    }
    var chunks: [ByteBuffer] = []
    var offset = 0
    while offset < body.count {
        let end = min(body.count, offset + chunkSize)
        chunks.append(ByteBuffer(bytes: body[offset..<end]))
        offset = end
    }
    let outcome = Outcome()
    let done = DispatchSemaphore(value: 0)
    Task {
        do {
            outcome.upload = try await MultipartUpload.receive(
                Chunks(chunks: chunks), boundary: boundary, to: file, limit: limit)
        } catch {
            outcome.error = error
        }
        done.signal()
    }
    done.wait()
    defer { try? FileManager.default.removeItem(at: file) }
    if let upload = outcome.upload {
        let size = (try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? NSNumber)?.int64Value
        precondition(
            size == upload.fileSize,
            "the upload reports \(upload.fileSize) bytes, the file has \(String(describing: size))")
        precondition(upload.fileSize > 0 && upload.fileSize <= limit)
        if let name = upload.fileName {
            precondition(!name.isEmpty && !name.contains("/") && !name.contains("\\"), "file name \(name)")
        }
        for (name, value) in upload.fields {
            precondition(value.utf8.count <= MultipartUpload.fieldLimit * 3, "field \(name) too long")
        }
    } else if let error = outcome.error {
        guard let apiError = error as? APIError else {
            preconditionFailure("MultipartUpload.receive threw \(type(of: error)): \(error)")
        }
        _ = apiError
    }
    return 0
}
