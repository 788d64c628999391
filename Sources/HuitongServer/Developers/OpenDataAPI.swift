import Crypto
import Foundation
import HTTPTypes
import HuitongCore
import HuitongCrypto
import HuitongServices
import HuitongStore
import Hummingbird

/// The open-data API (开放接口): `GET /api/v1/open/datasets/{id}/rows` pages through an open dataset's rows with a
/// developer's self-service key in `X-API-Key`. Unconditionally open datasets answer any live key; conditionally
/// open ones only the key of a developer whose application is approved and in force. Rows hold the open items
/// only, masked as the portal shows them; every call, allowed or refused, goes on the audit log first.
struct OpenDataAPI {
    let service: DeveloperUseCases
    let audit: AuditLog
    let policy: PortalDataPolicy
    /// Seals page cursors (`Cursor`); derived from the node key, so every node of a cluster opens the others'.
    let cursorCipher: CursorCipher
    let limiter = CallLimiter()
    var store: Store { service.store }

    static let keyHeader = HTTPField.Name("X-API-Key")!
    static let defaultLimit = 100
    static let maximumLimit = 1_000
    /// A key's last use is written at most this often, so that a busy key does not write on every call.
    static let touchInterval: TimeInterval = 60

    func register(on api: RouterGroup<HuitongRequestContext>) {
        api.get("open/datasets/:reference/rows", use: rows)
    }

    struct Column: Codable {
        var column: String
        var name: String
    }

    struct Page: Codable {
        var resourceCode: String
        var name: String
        var version: Int
        var total: Int64
        var columns: [Column]
        var rows: [[String: TypedCell]]
        /// Pass as `cursor` for the next page; absent on the last one.
        var next: String?
    }

    /// Where a page ends, as an opaque token: the dataset, the developer and the version read, and the key of the
    /// last row. Sealed (`CursorCipher`), because the last key is a value the page may have masked or left out,
    /// and because a position the client could choose would let it walk the key space.
    struct Cursor: Codable, Equatable {
        var entry: Int64
        var developer: Int64
        var version: Int
        var after: [String]

        func token(_ cipher: CursorCipher) -> String {
            guard let plain = try? JSONEncoder().encode(self), let sealed = cipher.seal(plain) else { return "" }
            return Base64URL.encode(sealed)
        }

        init(entry: Int64, developer: Int64, version: Int, after: [String]) {
            self.entry = entry
            self.developer = developer
            self.version = version
            self.after = after
        }

        /// The cursor a token seals, or nil for anything this node did not hand out.
        init?(token: String, cipher: CursorCipher) {
            guard token.utf8.count <= 8_192 else { return nil }
            guard let bytes = Base64URL.decode(token), let plain = cipher.open(Data(bytes)),
                let cursor = try? JSONDecoder().decode(Cursor.self, from: plain)
            else { return nil }
            self = cursor
        }
    }

    static let badCursor = ValidationError(
        field: "cursor", BilingualText(zh: "不是本接口给出的翻页标记", en: "is not a cursor this API handed out"))

    func rows(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let started = ContinuousClock.now
        guard let presented = request.headers[Self.keyHeader]?.trimmingCharacters(in: .whitespaces),
            !presented.isEmpty
        else { throw OpenDataAPIError.keyRequired }
        guard let (key, developer) = try await service.owner(ofKey: presented) else {
            throw OpenDataAPIError.invalidKey
        }
        let reference = context.parameters.get("reference") ?? ""
        let found = try await service.openCatalog.entry(reference: reference)
        guard let entry = found else {
            throw StoreError.notFound(entity: "open dataset", key: reference.count <= 64 ? reference : "")
        }

        func record(_ outcome: AuditOutcome, rows: Int64 = 0, version: Int? = nil) async throws {
            var detail = ["developer": String(developer.id), "key": key.hint]
            if let version { detail["version"] = String(version) }
            let event = AuditEvent(
                action: .gatewayOpenRows, providerDepartmentID: entry.provider.departmentID,
                resourceCode: entry.code.text, rowsReturned: rows, outcome: outcome,
                latencyMicroseconds: (ContinuousClock.now - started).microseconds, detail: detail)
            do {
                _ = try await audit.append(event)
            } catch {
                throw GatewayError.auditUnavailable
            }
        }
        func refuse(_ error: OpenDataAPIError) async throws -> Never {
            try await record(.denied(reason: error.code))
            throw error
        }

        switch entry.content.openness {
        case .unconditional:
            break
        case .conditional:
            guard try await store.developers.access(developerID: developer.id, entryID: entry.id, at: Date()) != nil
            else { try await refuse(.accessRequired) }
        case .closed:
            throw StoreError.notFound(entity: "open dataset", key: reference.count <= 64 ? reference : "")
        }
        switch try await limiter.take(
            // Counted per developer, not per key: revoking a key and making another starts no fresh allowance.
            grant: developer.id, perSecond: service.settings.keyRatePerSecond,
            perDay: service.settings.keyDailyQuota)
        {
        case .allowed: break
        case .rateLimited: try await refuse(.rateLimited(perSecond: service.settings.keyRatePerSecond))
        case .quotaExhausted: try await refuse(.quotaExhausted(perDay: service.settings.keyDailyQuota))
        }

        let limitText = request.uri.queryParameters["limit"].map(String.init)
        guard let limit = limitText.map({ Int($0) }) ?? Self.defaultLimit, (1...Self.maximumLimit).contains(limit)
        else {
            throw ValidationError(
                field: "limit",
                BilingualText(zh: "须为 1–\(Self.maximumLimit) 的整数", en: "must be a whole number 1–\(Self.maximumLimit)"))
        }
        let cursor = try request.uri.queryParameters["cursor"].map { text throws(ValidationError) -> Cursor in
            guard let cursor = Cursor(token: String(text), cipher: cursorCipher), cursor.entry == entry.id,
                cursor.developer == developer.id
            else { throw Self.badCursor }
            return cursor
        }

        guard entry.mount?.kind != .api, let version = try await store.pools.active(entryID: entry.id) else {
            try await refuse(.noData)
        }
        let columns = PortalDataPolicy.columns(of: entry, in: version.columns)
        guard
            var extract = try await store.pools.beginExtract(
                entryID: entry.id, selecting: PoolSelection(columns: columns.map(\.columnName)), pageSize: limit)
        else { try await refuse(.noData) }
        if let cursor {
            guard cursor.version == extract.version.version else { try await refuse(.datasetUpdated) }
            guard let resumed = extract.resumed(after: cursor.after) else { throw Self.badCursor }
            extract = resumed
        }
        let rows = try await store.pools.nextPage(of: &extract) ?? []
        let masked = rows.map { policy.masked($0, items: columns) }
        let types = columns.map(ColumnType.init(for:))
        try await record(.allowed, rows: Int64(masked.count), version: extract.version.version)
        try await store.countOpenDataUse(.apiCall, entryID: entry.id)
        let due = key.lastUsedAt.map({ Date().timeIntervalSince($0) > Self.touchInterval }) ?? true
        if due {
            try? await store.developers.touchKey(id: key.id, at: Date())
        }
        let page = Page(
            resourceCode: entry.code.text, name: entry.content.name, version: extract.version.version,
            total: extract.version.rowCount,
            columns: columns.map { Column(column: $0.columnName, name: $0.name) },
            rows: masked.map { row in
                Dictionary(
                    zip(columns.indices, row).map { (columns[$0].columnName, TypedCell($1, as: types[$0])) },
                    uniquingKeysWith: { first, _ in first })
            },
            next: extract.position.map {
                Cursor(entry: entry.id, developer: developer.id, version: extract.version.version, after: $0)
                    .token(cursorCipher)
            })
        var response = try JSONResponse.make(page)
        response.headers[.cacheControl] = "no-store"
        return response
    }
}

/// Refusals of the open-data API.
enum OpenDataAPIError: HuitongError, Equatable {
    case keyRequired
    case invalidKey
    /// A conditionally open dataset, and the key's developer holds no approved application in force.
    case accessRequired
    case rateLimited(perSecond: Int)
    case quotaExhausted(perDay: Int)
    /// A new version went live since the cursor's page: the pages would mix two versions.
    case datasetUpdated
    /// The dataset has no rows to serve (nothing loaded yet, or it is served by its provider's own API).
    case noData

    var code: String {
        switch self {
        case .keyRequired: "api_key_required"
        case .invalidKey: "invalid_api_key"
        case .accessRequired: "open_access_required"
        case .rateLimited: "rate_limited"
        case .quotaExhausted: "quota_exhausted"
        case .datasetUpdated: "dataset_updated"
        case .noData: "no_data"
        }
    }

    var kind: ErrorKind {
        switch self {
        case .keyRequired, .invalidKey: .unauthenticated
        case .accessRequired: .forbidden
        case .rateLimited, .quotaExhausted: .tooManyRequests
        case .datasetUpdated: .conflict
        case .noData: .notFound
        }
    }

    var message: BilingualText {
        switch self {
        case .keyRequired:
            BilingualText(
                zh: "请在 X-API-Key 请求头中提供开发者密钥（在门户注册后自助申请）",
                en: "send your developer key in the X-API-Key header (register on the portal to get one)")
        case .invalidKey:
            BilingualText(zh: "密钥无效或已吊销", en: "the key is not valid or was revoked")
        case .accessRequired:
            BilingualText(
                zh: "该数据集为有条件开放，须在门户申请并获批后使用",
                en: "this dataset is conditionally open: apply on the portal and wait for approval")
        case .rateLimited(let perSecond):
            BilingualText(zh: "调用过于频繁（每秒最多 \(perSecond) 次）", en: "too many calls (at most \(perSecond) per second)")
        case .quotaExhausted(let perDay):
            BilingualText(zh: "今日调用次数已用完（每日 \(perDay) 次）", en: "today's quota of \(perDay) calls is used up")
        case .datasetUpdated:
            BilingualText(zh: "数据集已更新，请从第一页重新读取", en: "the dataset was updated; start again from the first page")
        case .noData:
            BilingualText(zh: "该数据集暂无可读取的数据", en: "this dataset has no rows to read yet")
        }
    }
}

/// Seals open-data cursors under the node's suite: the HT1 envelope (SM4-CBC + HMAC-SM3) under `gm`,
/// ChaCha20-Poly1305 under `intl`, each under a key derived from the node key for cursors alone. A switch of suite
/// only ends the paging of lists under way (a client starts again from the first page).
struct CursorCipher: Sendable {
    private enum Cipher: Sendable {
        case ht1(HT1Envelope)
        case chaChaPoly(SymmetricKey)
    }

    private let cipher: Cipher

    init(nodeKey: NodeIdentityKey, suite: CryptoSuiteID) {
        let purpose = "huitong open-data cursor v1"
        switch suite {
        case .gm:
            let material = nodeKey.derivedSecret(
                purpose: purpose, suite: .gm, byteCount: HT1Envelope.keyMaterialByteCount)
            // Key material of HT1's own length is always taken.
            cipher = .ht1(try! HT1Envelope(keyMaterial: material))
        case .intl:
            cipher = .chaChaPoly(nodeKey.derivedSecret(purpose: purpose))
        }
    }

    func seal(_ plain: Data) -> Data? {
        switch cipher {
        case .ht1(let envelope): (try? envelope.seal(Array(plain))).map { Data($0) }
        case .chaChaPoly(let key): try? ChaChaPoly.seal(plain, using: key).combined
        }
    }

    /// The plaintext, or nil for anything this cipher did not seal.
    func open(_ sealed: Data) -> Data? {
        switch cipher {
        case .ht1(let envelope): (try? envelope.open(Array(sealed))).map { Data($0) }
        case .chaChaPoly(let key):
            (try? ChaChaPoly.SealedBox(combined: sealed)).flatMap { try? ChaChaPoly.open($0, using: key) }
        }
    }
}
