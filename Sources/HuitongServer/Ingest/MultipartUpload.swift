import Foundation
import HuitongCore
import HuitongServices
import MultipartKit
import NIOCore

/// A `multipart/form-data` upload read as it arrives: the `file` part is written to disk chunk by chunk (never held
/// in memory), the other parts are small form fields kept as text.
///
/// Parsing is MultipartKit's `MultipartParser`, fed one body chunk at a time. That parser reports headers, body
/// bytes and part ends through callbacks but has no notion of the end of input, so the checks that need it (a
/// part left open, a missing closing delimiter) are made here once the body is over.
struct MultipartUpload {
    /// The file name the client gave the `file` part, without any directory; nil when it gave none.
    var fileName: String?
    /// The form fields other than the file, by name (the last one wins when a name repeats).
    var fields: [String: String]
    /// Bytes of the file written to disk.
    var fileSize: Int64

    /// The part that carries the data.
    static let filePart = "file"
    /// The longest form field accepted; only the `file` part may be large.
    static let fieldLimit = 4096
    /// What a form may carry besides its file: the other fields, part headers and delimiters.
    static let formOverhead: Int64 = 1 << 20
    /// Input the parser may take without reporting anything (a preamble or one part's headers).
    static let quietLimit = 64 * 1024

    /// The boundary of a `multipart/form-data` content type; nil when the body is something else (a raw file).
    static func boundary(contentType: String?) throws(ValidationError) -> String? {
        guard let contentType else { return nil }
        let (type, parameters) = HeaderParameters.parse(contentType)
        guard type == "multipart/form-data" else { return nil }
        guard let boundary = parameters["boundary"], !boundary.isEmpty else {
            throw ValidationError(
                field: "Content-Type",
                BilingualText(
                    zh: "multipart/form-data 须带 boundary 参数", en: "multipart/form-data needs a boundary parameter"))
        }
        guard boundary.utf8.count <= 70 else {
            throw ValidationError(
                field: "Content-Type",
                BilingualText(zh: "boundary 不能超过 70 个字符", en: "the boundary must not exceed 70 characters"))
        }
        return boundary
    }

    /// Reads a whole multipart body, writing the `file` part to `file` and refusing more than `limit` bytes of it.
    static func receive<Body: AsyncSequence>(
        _ body: Body, boundary: String, to file: URL, limit: Int64
    ) async throws -> MultipartUpload where Body.Element == ByteBuffer {
        let handle = try SpoolFile.create(file)
        defer { try? handle.close() }
        let receiver = Receiver(handle: handle, limit: limit)
        let parser = MultipartParser(boundary: boundary)
        parser.onHeader = { name, value in receiver.header(name, value) }
        parser.onBody = { buffer in receiver.body(buffer) }
        parser.onPartComplete = { receiver.complete() }
        var tail = Tail(closing: Array("--\(boundary)--".utf8))
        var headerNames = HeaderNameGuard(boundary: boundary)
        var received: Int64 = 0
        var quiet = 0
        for try await chunk in body {
            received += Int64(chunk.readableBytes)
            // The file's limit, plus room for the form's other parts (an endless epilogue would otherwise be read).
            if received > limit + formOverhead { throw APIError.uploadTooLarge(limit: limit) }
            tail.append(chunk)
            guard headerNames.accepts(chunk) else {
                throw APIError.malformedBody(
                    field: nil,
                    reason: BilingualText(
                        zh: "multipart 格式错误：某部分的头部名称含有 ASCII 以外的字节",
                        en: "malformed multipart body: a part's header name has a byte outside ASCII"))
            }
            let events = receiver.events
            do {
                try parser.execute(chunk)
            } catch {
                if receiver.parts == 0 && !receiver.isInPart && tail.isClosed { throw noFilePart }
                throw APIError.malformedBody(
                    field: nil,
                    reason: BilingualText(
                        zh: "multipart 格式错误（某部分的头部无法解析）",
                        en: "malformed multipart body: a part's headers cannot be read"
                    ))
            }
            if let failure = receiver.failure { throw failure }
            quiet = receiver.events == events ? quiet + chunk.readableBytes : 0
            if quiet > quietLimit {
                throw APIError.malformedBody(
                    field: nil,
                    reason: BilingualText(
                        zh: "multipart 格式错误：\(quietLimit / 1024) KB 内没有找到 boundary 分隔的部分或头部过长",
                        en:
                            "malformed multipart body: no part delimited by the boundary within \(quietLimit / 1024) KB, or a part's headers are too long"
                    ))
            }
        }
        if received == 0 {
            throw APIError.malformedBody(field: nil, reason: BilingualText(zh: "请求体为空", en: "the body is empty"))
        }
        if receiver.parts == 0 && !receiver.isInPart && !tail.isClosed {
            throw APIError.malformedBody(
                field: "Content-Type",
                reason: BilingualText(
                    zh: "中的 boundary 在请求体中没有出现", en: "names a boundary that does not occur in the body"))
        }
        if receiver.isInFilePart {
            throw APIError.malformedBody(
                field: filePart,
                reason: BilingualText(
                    zh: "不完整：请求体在结束分隔符之前中断", en: "is truncated: the body ended before the closing boundary"))
        }
        if receiver.isInPart || !tail.isClosed {
            throw APIError.malformedBody(
                field: nil,
                reason: BilingualText(
                    zh: "请求体在结束分隔符之前中断（上传不完整）",
                    en: "the body ended before the closing boundary (the upload is truncated)"))
        }
        guard receiver.fileSeen else { throw noFilePart }
        if receiver.written == 0 {
            throw APIError.malformedBody(field: filePart, reason: BilingualText(zh: "为空文件", en: "is an empty file"))
        }
        return MultipartUpload(fileName: receiver.fileName, fields: receiver.fields, fileSize: receiver.written)
    }

    static let noFilePart = APIError.malformedBody(
        field: filePart,
        reason: BilingualText(
            zh: "缺失：表单中须有名为 file 且带文件名的部分", en: "is missing: the form needs a part named file with a filename"))

    /// The last bytes of the body, enough to tell whether it ended with the closing delimiter (`--boundary--`,
    /// perhaps followed by a short epilogue). The boundary never occurs inside a part, so finding it is proof.
    struct Tail {
        let closing: [UInt8]
        var bytes: [UInt8] = []
        /// Room for the delimiter and an epilogue of a few KB (clients send none, or a line break).
        var capacity: Int { closing.count + 4096 }

        init(closing: [UInt8]) {
            self.closing = closing
        }

        mutating func append(_ chunk: ByteBuffer) {
            let view = chunk.readableBytesView
            if view.count >= capacity {
                bytes = Array(view.suffix(capacity))
            } else {
                bytes.append(contentsOf: view)
                if bytes.count > capacity { bytes.removeFirst(bytes.count - capacity) }
            }
        }

        var isClosed: Bool {
            guard bytes.count >= closing.count else { return false }
            for start in 0...(bytes.count - closing.count)
            where bytes[start] == closing[0] && bytes[start..<start + closing.count].elementsEqual(closing) {
                return true
            }
            return false
        }
    }

    /// Refuses a byte outside ASCII in a part's header name before MultipartKit sees it: its parser looks such
    /// bytes up in a table of 128 entries and traps, stopping the process (found by fuzz/FuzzMultipart).
    ///
    /// It follows the parser's header grammar and errs on the strict side: after every occurrence of `--boundary`
    /// (where the parser may start reading headers) the rest of that line is skipped, then each header runs to a
    /// CR (a value may hold a bare LF) followed by LF, and the bytes before its colon must be ASCII, until an empty
    /// line. Header values (UTF-8 file names) and part bodies are not checked; a body cannot hold the boundary.
    struct HeaderNameGuard {
        private enum State {
            /// In a body, preamble or epilogue: looking for the boundary.
            case body
            case name(empty: Bool)
            case value
            case afterValueCR
            case afterEmptyCR
        }

        /// `--boundary`, and for each prefix the length of its longest proper prefix that is also a suffix (KMP).
        let delimiter: [UInt8]
        let failure: [Int]
        private var matched = 0
        private var state = State.body

        init(boundary: String) {
            delimiter = Array("--\(boundary)".utf8)
            var failure = [Int](repeating: 0, count: delimiter.count)
            var length = 0
            for index in delimiter.indices.dropFirst() {
                while length > 0 && delimiter[index] != delimiter[length] { length = failure[length - 1] }
                if delimiter[index] == delimiter[length] { length += 1 }
                failure[index] = length
            }
            self.failure = failure
        }

        mutating func accepts(_ chunk: ByteBuffer) -> Bool {
            for byte in chunk.readableBytesView {
                switch state {
                case .body:
                    while matched > 0 && byte != delimiter[matched] { matched = failure[matched - 1] }
                    if byte == delimiter[matched] { matched += 1 }
                    if matched == delimiter.count {
                        // The rest of the delimiter's line (CRLF, or `--` at the end) is skipped like a value.
                        state = .value
                        matched = 0
                    }
                case .value:
                    if byte == UInt8(ascii: "\r") { state = .afterValueCR }
                case .afterValueCR:
                    state = .name(empty: true)
                    if byte != UInt8(ascii: "\n") {
                        if byte >= 0x80 { return false }
                        state = .name(empty: false)
                    }
                case .name(let empty):
                    if byte >= 0x80 { return false }
                    if byte == UInt8(ascii: "\r") && empty {
                        state = .afterEmptyCR
                    } else if byte == UInt8(ascii: ":") {
                        state = .value
                    } else {
                        state = .name(empty: false)
                    }
                case .afterEmptyCR:
                    state = .body
                    matched = byte == delimiter[0] ? 1 : 0
                }
            }
            return true
        }
    }

    /// What the parser's callbacks build up; the callbacks cannot throw, so a failure is kept for the caller.
    final class Receiver {
        enum Part {
            /// Between parts, or headers of the next part still arriving.
            case none
            case file
            case field(name: String, value: [UInt8])
        }

        let handle: FileHandle
        let limit: Int64
        var headers: [String: String] = [:]
        var part = Part.none
        /// Whether a part has begun (a header or body byte seen) and not yet ended.
        var isInPart = false
        var parts = 0
        var events = 0
        var fileSeen = false
        var fileName: String?
        var fields: [String: String] = [:]
        var written: Int64 = 0
        /// File bytes not yet written.
        var pending = ByteBuffer()
        var failure: (any Error)?
        static let writeSize = 1 << 20

        init(handle: FileHandle, limit: Int64) {
            self.handle = handle
            self.limit = limit
        }

        var isInFilePart: Bool {
            if case .file = part { return true }
            return false
        }

        func header(_ name: String, _ value: String) {
            events += 1
            if !isInPart {
                isInPart = true
                headers = [:]
            }
            headers[name.lowercased()] = value
        }

        func body(_ buffer: ByteBuffer) {
            events += 1
            guard failure == nil else { return }
            if !isInPart {
                isInPart = true
                headers = [:]
            }
            if case .none = part { begin() }
            switch part {
            case .none:
                return
            case .file:
                written += Int64(buffer.readableBytes)
                if written > limit {
                    failure = APIError.uploadTooLarge(limit: limit)
                    return
                }
                // The parser hands over a piece at every CR (each line of a CRLF file): gather them into larger
                // writes.
                pending.writeImmutableBuffer(buffer)
                if pending.readableBytes >= Self.writeSize { flush() }
            case .field(let name, var value):
                value.append(contentsOf: buffer.readableBytesView)
                if value.count > MultipartUpload.fieldLimit {
                    failure = APIError.malformedBody(
                        field: name,
                        reason: BilingualText(
                            zh: "超过 \(MultipartUpload.fieldLimit) 字节；只有 file 部分可以携带文件",
                            en:
                                "is longer than \(MultipartUpload.fieldLimit) bytes; only the file part may carry a file"
                        ))
                    return
                }
                part = .field(name: name, value: value)
            }
        }

        func complete() {
            events += 1
            guard failure == nil else { return }
            if case .none = part { begin() }
            switch part {
            case .none: break
            case .file: flush()
            case .field(let name, let value): fields[name] = String(decoding: value, as: UTF8.self)
            }
            parts += 1
            isInPart = false
            part = .none
            headers = [:]
        }

        func flush() {
            guard pending.readableBytes > 0 else { return }
            do {
                try pending.withUnsafeReadableBytes { try handle.write(contentsOf: $0) }
            } catch {
                failure = APIError.malformedBody(
                    field: nil, reason: BilingualText(zh: "无法保存上传的文件", en: "cannot store the upload"))
            }
            pending.clear()
        }

        /// Decides what the part is from its headers, once they are all in.
        func begin() {
            guard failure == nil else { return }
            let (disposition, parameters) = HeaderParameters.parse(headers["content-disposition"] ?? "")
            guard disposition == "form-data", let name = parameters["name"], !name.isEmpty else {
                failure = APIError.malformedBody(
                    field: nil,
                    reason: BilingualText(
                        zh: "multipart 的每个部分都须有 Content-Disposition: form-data; name=…",
                        en: "every part of a multipart form needs Content-Disposition: form-data; name=…"))
                return
            }
            guard name == MultipartUpload.filePart else {
                part = .field(name: name, value: [])
                return
            }
            guard !fileSeen else {
                failure = APIError.malformedBody(
                    field: MultipartUpload.filePart,
                    reason: BilingualText(zh: "只能有一个", en: "may occur only once"))
                return
            }
            fileSeen = true
            fileName = (parameters["filename*"] ?? parameters["filename"]).map(Self.baseName).flatMap {
                $0.isEmpty ? nil : $0
            }
            part = .file
        }

        /// Browsers on Windows used to send the whole path; only the last component is the file's name.
        static func baseName(_ name: String) -> String {
            String(name.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last ?? "")
        }
    }
}

/// Parameters of a header such as `Content-Type: multipart/form-data; boundary="x"` or
/// `Content-Disposition: form-data; name="file"; filename="人口.csv"` (quoted strings may hold `;` and escaped
/// quotes; RFC 5987 `filename*=UTF-8''…` values are percent-decoded).
enum HeaderParameters {
    /// The lower-cased value before the first `;`, and the parameters by lower-cased name.
    static func parse(_ header: String) -> (String, [String: String]) {
        var pieces: [String] = []
        var current = ""
        var quoted = false
        var escaped = false
        for character in header {
            if escaped {
                current.append(character)
                escaped = false
            } else if quoted && character == "\\" {
                escaped = true
                current.append(character)
            } else if character == "\"" {
                quoted.toggle()
                current.append(character)
            } else if character == ";" && !quoted {
                pieces.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        pieces.append(current)
        let value = pieces[0].trimmingCharacters(in: .whitespaces).lowercased()
        var parameters: [String: String] = [:]
        for piece in pieces.dropFirst() {
            guard let equals = piece.firstIndex(of: "=") else { continue }
            let name = piece[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            var text = piece[piece.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if name.hasSuffix("*") {
                // charset'language'percent-encoded
                let parts = text.split(separator: "'", maxSplits: 2, omittingEmptySubsequences: false)
                if parts.count == 3, parts[0].lowercased() == "utf-8", let decoded = parts[2].removingPercentEncoding {
                    parameters[name] = decoded
                }
                continue
            }
            if text.count >= 2 && text.hasPrefix("\"") && text.hasSuffix("\"") {
                // Only `\"` and `\\` are escapes; any other backslash (a Windows path) stays as it is.
                text = String(text.dropFirst().dropLast()).replacingOccurrences(of: "\\\"", with: "\"")
                    .replacingOccurrences(of: "\\\\", with: "\\")
            }
            parameters[name] = text
        }
        return (value, parameters)
    }
}
