import AsyncHTTPClient
import Foundation
import HuitongCore
import NIOCore
import NIOHTTP1

/// Reads an HTTP API that answers JSON records, page after page (`HTTPSourceOptions`).
///
/// Every request goes to the one address that was checked against the upstream rules (the client's DNS override
/// pins the host to it, so TLS still checks the host's certificate); redirects are not followed, and a next link
/// must stay on the source's host. A page that fails (a connection error, a timeout, a 5xx or 429 answer) is asked
/// again up to `attempts` times, waiting longer each time; a 4xx answer is final. Records are read as uploads'
/// JSON is: the first record's keys (sorted) make the header, values as text.
public struct HTTPJSONSourceConnector: SourceConnector {
    public let url: URL
    public let connectTo: IPAddress
    public let options: HTTPSourceOptions
    /// The value of `options.authHeader`, opened from its seal.
    let secret: String?
    public var attempts = 3
    /// The first wait before a page is asked again; each later wait doubles it.
    public var backoff: Duration = .milliseconds(200)
    /// Pages read at most, whatever the paging says.
    public var maximumPages = 100_000
    /// Bytes one answer may hold.
    public var maximumBytes = 64 << 20

    public init(url: URL, connectTo: IPAddress, options: HTTPSourceOptions, secret: String?) {
        self.url = url
        self.connectTo = connectTo
        self.options = options
        self.secret = secret
    }

    public func sample(rows: Int) async throws -> SourceSample {
        var sample = SourceSample(columns: [], rows: [])
        try await pages(limit: 1) { records in
            let header = records.first.map { Array($0.keys).sorted() } ?? []
            sample = SourceSample(
                columns: header,
                rows: records.prefix(max(0, min(rows, 100))).map { record in header.map { record[$0]?.text ?? "" } })
        }
        return sample
    }

    public func highest(_ watermark: SourceWatermark) async throws -> String? {
        throw CollectionFailure.sourceRefused("接口不支持水位列 (an API source has no watermark column)")
    }

    public func read(
        from bound: (watermark: SourceWatermark, value: WatermarkValue)?, batchSize: Int,
        _ body: ([(number: Int, cells: [String])]) async throws -> Void
    ) async throws {
        var header: [String]?
        var number = 1
        try await pages(limit: maximumPages) { records in
            var batch: [(number: Int, cells: [String])] = []
            if header == nil {
                let names = records.first.map { Array($0.keys).sorted() } ?? []
                header = names
                batch.append((1, names))
            }
            for record in records {
                number += 1
                batch.append((number, (header ?? []).map { record[$0]?.text ?? "" }))
            }
            if !batch.isEmpty { try await body(batch) }
        }
        // No record at all: the header is empty, and the load refuses an empty source.
        if header == nil { try await body([(1, [])]) }
    }

    typealias Record = [String: JSONRowReader.Value]

    /// Fetches page after page, handing each page's records on, until the paging ends.
    func pages(limit: Int, _ body: ([Record]) async throws -> Void) async throws {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(Int64(timeout)), read: .seconds(Int64(timeout))))
        if let host = url.host {
            configuration.dnsOverride[host] = connectTo.description
            configuration.dnsOverride[UpstreamTarget.normalised(host)] = connectTo.description
        }
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        do {
            try await walk(client, limit: limit, body)
            try await client.shutdown()
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    var timeout: Int { options.timeoutSeconds ?? 30 }

    private func walk(_ client: HTTPClient, limit: Int, _ body: ([Record]) async throws -> Void) async throws {
        let size = options.pageSize ?? 100
        var page = options.firstPage ?? 1
        var offset = 0
        var cursor: String?
        var next: URL? = url
        var fetched = 0
        var lastRequest: ContinuousClock.Instant?
        while let address = next, fetched < limit {
            var target = URLComponents(url: address, resolvingAgainstBaseURL: false) ?? URLComponents()
            var query = target.queryItems ?? []
            switch options.paging {
            case .none, .nextLink: break
            case .page:
                query.append(URLQueryItem(name: options.pageParameter ?? "page", value: String(page)))
                query.append(URLQueryItem(name: options.sizeParameter ?? "pageSize", value: String(size)))
            case .offset:
                query.append(URLQueryItem(name: options.pageParameter ?? "offset", value: String(offset)))
                query.append(URLQueryItem(name: options.sizeParameter ?? "limit", value: String(size)))
            case .cursor:
                if let cursor { query.append(URLQueryItem(name: options.pageParameter ?? "cursor", value: cursor)) }
                if let name = options.sizeParameter { query.append(URLQueryItem(name: name, value: String(size))) }
            }
            target.queryItems = query.isEmpty ? nil : query
            guard let pageURL = target.url else { throw CollectionFailure.sourceRefused("分页地址无效 (a bad page URL)") }
            if let rate = options.requestsPerSecond, let lastRequest {
                try await Task.sleep(until: lastRequest + .seconds(1 / rate), clock: .continuous)
            }
            lastRequest = .now
            let answer = try await fetch(client, pageURL)
            fetched += 1
            let records = try Self.records(in: answer, path: options.recordsPath)
            try await body(records)
            switch options.paging {
            case .none: next = nil
            case .page:
                page += 1
                if records.count < size { next = nil }
            case .offset:
                offset += records.count
                if records.count < size { next = nil }
            case .cursor:
                cursor = Self.value(in: answer, path: options.nextPath ?? "").flatMap(Self.plainText)
                if cursor?.isEmpty ?? true { next = nil }
            case .nextLink:
                next = try Self.value(in: answer, path: options.nextPath ?? "").flatMap(Self.plainText)
                    .flatMap { try sameHost($0, after: address) }
            }
        }
    }

    /// A next link, resolved against the page it came from; refused unless it stays on the source's host.
    private func sameHost(_ link: String, after page: URL) throws -> URL? {
        guard !link.isEmpty, let resolved = URL(string: link, relativeTo: page)?.absoluteURL else { return nil }
        guard resolved.host?.lowercased() == url.host?.lowercased(), resolved.scheme == url.scheme,
            resolved.port == url.port
        else {
            throw CollectionFailure.sourceRefused("下一页链接指向其他主机 (the next link leaves the source's host)")
        }
        return resolved
    }

    /// One page's answer, asked again after a failure that may pass.
    private func fetch(_ client: HTTPClient, _ pageURL: URL) async throws -> JSONRowReader.Value {
        var wait = backoff
        var attempt = 1
        while true {
            do {
                return try await fetchOnce(client, pageURL)
            } catch let failure as PageFailure where failure.retryable && attempt < attempts {
                attempt += 1
                try await Task.sleep(for: wait)
                wait *= 2
            } catch let failure as PageFailure {
                throw failure.error
            }
        }
    }

    private struct PageFailure: Error {
        let error: CollectionFailure
        let retryable: Bool
    }

    private func fetchOnce(_ client: HTTPClient, _ pageURL: URL) async throws -> JSONRowReader.Value {
        var request = HTTPClientRequest(url: pageURL.absoluteString)
        request.headers.add(name: "Accept", value: "application/json")
        if let header = options.authHeader, let secret { request.headers.add(name: header, value: secret) }
        let host = url.host ?? ""
        let port = url.port ?? (url.scheme == "https" ? 443 : 80)
        let response: HTTPClientResponse
        let bytes: ByteBuffer
        do {
            response = try await client.execute(request, timeout: .seconds(Int64(timeout)))
            bytes = try await response.body.collect(upTo: maximumBytes)
        } catch is NIOTooManyBytesError {
            throw PageFailure(
                error: .sourceRefused("一页超过 \(maximumBytes) 字节 (a page over \(maximumBytes) bytes)"), retryable: false)
        } catch {
            throw PageFailure(error: .unreachable(host: host, port: port), retryable: true)
        }
        let status = Int(response.status.code)
        if status == 401 || status == 403 { throw PageFailure(error: .authenticationFailed, retryable: false) }
        guard (200..<300).contains(status) else {
            throw PageFailure(
                error: .sourceRefused("接口返回状态 \(status) (the API answered \(status))"),
                retryable: status >= 500 || status == 429)
        }
        guard let value = try? JSONDecoder().decode(JSONRowReader.Value.self, from: Data(buffer: bytes)) else {
            throw PageFailure(error: .sourceRefused("接口返回的不是 JSON (the answer is not JSON)"), retryable: false)
        }
        return value
    }

    /// The records of an answer: at `path`, or the answer itself when it is an array, or the first of the usual
    /// keys that holds one.
    static func records(in answer: JSONRowReader.Value, path: String?) throws -> [Record] {
        let found: JSONRowReader.Value?
        if let path, !path.isEmpty {
            found = value(in: answer, path: path)
        } else if case .list = answer {
            found = answer
        } else {
            found =
                ["records", "data", "rows", "result", "items"].lazy.compactMap { key -> JSONRowReader.Value? in
                    guard case .list = value(in: answer, path: key) else { return nil }
                    return value(in: answer, path: key)
                }.first
        }
        guard case .list(let elements) = found else {
            throw CollectionFailure.sourceRefused("答复中找不到记录列表 (no list of records in the answer)")
        }
        return try elements.map { element in
            guard case .object(let record) = element else {
                throw CollectionFailure.sourceRefused("记录须为 JSON 对象 (records must be JSON objects)")
            }
            return record
        }
    }

    static func value(in answer: JSONRowReader.Value, path: String) -> JSONRowReader.Value? {
        var current = answer
        for key in path.split(separator: ".") {
            guard case .object(let members) = current, let next = members[String(key)] else { return nil }
            current = next
        }
        return current
    }

    static func plainText(_ value: JSONRowReader.Value) -> String? {
        if case .null = value { return nil }
        return value.text
    }
}
