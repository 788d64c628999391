import Crypto
import Foundation
import HTTPTypes
import HuitongCore
import HuitongCrypto
import HuitongServices
import HuitongStore
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// The sharing gateway (`/gateway/v1/`): consumers' application systems read exactly what their grant allows —
/// by key, by verification, as a bulk extract, or through a provider's own API — and every call, served or
/// refused, is on the audit log before its answer leaves. If the log cannot take the entry, the call is not served.
struct GatewayAPI: Sendable {
    /// The primary: the caller's access, grants and revocations are read here, so that a change is seen by the next
    /// call on this node (read-your-writes), never through a replica's lag.
    let store: Store
    /// Pool rows and entries, which tolerate a replica's bounded lag: a replica-backed store when the node has one.
    let poolStore: Store
    let audit: AuditLog
    let keyHasher: AuditKeyHasher
    let watermarkAuthenticator: any MessageAuthenticator
    /// Makes a consumer's pseudonymizer under the node's suite.
    let pseudonymizer: @Sendable (Int64) -> Pseudonymizer
    let limiter: CallLimiter
    let gatewayClock: @Sendable () -> ContinuousClock.Instant
    let upstream: UpstreamClient
    let entries: GatewayEntryCache
    let grants: GatewayGrantCache
    let access: GatewayAccessCache
    let versions: GatewayVersionCache
    let uses: TokenUseRecorder
    let logger: Logger
    /// Keys per lookup call.
    static let extractPageSize = 2_000

    init(
        store: Store, poolStore: Store? = nil, audit trail: AuditTrail, configuration: ServerConfiguration,
        logger: Logger,
        allowList: UpstreamAllowListCache, limiter: CallLimiter
    ) {
        self.store = store
        self.poolStore = poolStore ?? store
        self.audit = trail.log
        self.keyHasher = trail.keyHasher
        self.watermarkAuthenticator = trail.watermarkAuthenticator
        self.pseudonymizer = { [trail] in trail.pseudonymizer(consumerDepartmentID: $0) }
        self.limiter = limiter
        self.gatewayClock = configuration.gatewayClock
        self.upstream = UpstreamClient(
            timeout: configuration.upstreamTimeout, maximumBytes: configuration.upstreamMaximumBytes,
            allowList: { try await allowList.current() })
        self.entries = GatewayEntryCache(
            store: self.poolStore, lifetime: configuration.gatewayCacheLifetime, clock: configuration.gatewayClock)
        self.grants = GatewayGrantCache(store: store)
        self.access = GatewayAccessCache(
            store: store, lifetime: configuration.gatewayCacheLifetime, clock: configuration.gatewayClock)
        self.versions = GatewayVersionCache(
            lifetime: configuration.gatewayCacheLifetime, clock: configuration.gatewayClock)
        self.uses = TokenUseRecorder(store: store)
        self.logger = logger
    }

    func register(on router: Router<HuitongRequestContext>) {
        let gateway = router.group("gateway/v1")
        gateway.get(":classification/:sequence/records", use: records)
        gateway.post(":classification/:sequence/verify", use: verify)
        gateway.get(":classification/:sequence/extract", use: extract)
    }

    // MARK: Calls

    func records(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let call = try await authorize(request, context, channel: .api, action: .gatewayLookup)
        let parameters = request.uri.queryParameters.map { (name: String($0.key), value: String($0.value)) }
        if call.entry.mount?.kind == .api {
            return try await proxy(call, parameters: parameters)
        }
        let keyItems = call.entry.content.keyItems
        let keys: [[String]]
        let hashes: [String]
        do {
            keys = try GatewayKeys.parse(
                parameters, keyColumns: keyItems.map(\.columnName), limit: GatewayCall.keyLimit
            )
            .map { key in zip(key, keyItems).map { GatewayCall.canonicalKey($0, $1) } }
            hashes = keys.map { keyHasher.hash(components: $0) }
        } catch {
            try await call.refuse(error, audit: audit)
        }
        let selection = call.selection
        guard let rows = try await rows(of: call.entry.id, keys: keys, selecting: selection) else {
            try await call.refuse(.nothingToServe(call.entry.code.text), audit: audit)
        }
        let records = rows.map { call.masked($0, columns: selection.columns) }
        try await call.record(audit: audit, rows: records.count, keyHashes: hashes)
        return Self.json(call, records: records, columns: selection.columns)
    }

    func verify(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let call = try await authorize(request, context, channel: .api, action: .gatewayVerify)
        let claims: [String: String]
        do {
            claims = try await request.decodeJSON([String: String].self, context: context)
        } catch {
            try await call.refuse(
                .badVerification(
                    BilingualText(
                        zh: "请求体须为 JSON 对象，值为字符串，例如 {\"sfzhm\":\"…\",\"xm\":\"…\"}",
                        en: "the body must be a JSON object of strings, e.g. {\"sfzhm\":\"…\",\"xm\":\"…\"}")),
                audit: audit)
        }
        let items = call.entry.content.items
        let keyItems = call.entry.content.keyItems
        let unknown = claims.keys.filter { name in !items.contains { $0.columnName == name } }.sorted()
        if !unknown.isEmpty { try await call.refuse(.unknownParameter(unknown.joined(separator: ", ")), audit: audit) }
        let notGranted = claims.keys.filter { !call.grant.items.contains($0) }.sorted()
        if !notGranted.isEmpty { try await call.refuse(.itemsNotGranted(notGranted), audit: audit) }
        var key: [String] = []
        for item in keyItems {
            guard let value = claims[item.columnName]?.trimmedOfWhitespace(), !value.isEmpty else {
                try await call.refuse(.missingKey(column: item.columnName), audit: audit)
            }
            key.append(GatewayCall.canonicalKey(value, item))
        }
        let compared = items.filter { item in claims[item.columnName] != nil && !item.isKey }
        if compared.isEmpty {
            try await call.refuse(
                .badVerification(
                    BilingualText(
                        zh: "除主键外至少要给出一个待核验的信息项", en: "give at least one item to check besides the key")),
                audit: audit)
        }
        let columns = compared.map(\.columnName)
        guard
            let found = try await rows(
                of: call.entry.id, keys: [key],
                selecting: PoolSelection(columns: columns, conditions: call.selection.conditions))
        else {
            try await call.refuse(.nothingToServe(call.entry.code.text), audit: audit)
        }
        let matches =
            found.first.map { row in
                zip(compared, row).allSatisfy { item, stored in
                    GatewayCall.canonicalKey(claims[item.columnName] ?? "", item)
                        == GatewayCall.canonicalKey(stored ?? "", item)
                }
            } ?? false
        try await call.record(
            audit: audit, rows: 0, keyHashes: [keyHasher.hash(components: key)],
            detail: ["result": matches ? "match" : "no_match", "items": columns.joined(separator: ",")])
        let body: JSONValue = [
            "resource": .string(call.entry.code.text), "grant": .int(Int(call.grant.id)), "match": .bool(matches),
        ]
        return Self.json(body)
    }

    func extract(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let call = try await authorize(request, context, channel: .bulkExtract, action: .gatewayExtract)
        let formatName = request.uri.queryParameters["format"].map(String.init) ?? "csv"
        guard let format = ExtractFormat(rawValue: formatName) else {
            try await call.refuse(.unknownParameter("format=\(formatName)"), audit: audit)
        }
        var asked = call.selection
        do {
            asked.ranges = try ValueRange.parse(
                request.uri.queryParameters.map { (name: String($0.key), value: String($0.value)) },
                items: call.entry.content.items, filterable: call.unmaskedColumns, today: CalendarDate(Date()))
        } catch {
            try await call.refuse(error, audit: audit)
        }
        let selection = asked
        guard call.entry.mount?.kind != .api,
            let cursor = try await poolStore.pools.beginExtract(
                entryID: call.entry.id, selecting: selection, pageSize: Self.extractPageSize)
        else {
            try await call.refuse(.nothingToServe(call.entry.code.text), audit: audit)
        }
        let extractID = Secrets.randomBase64URL(byteCount: 6)
        let watermark = ExtractWatermark(
            grantID: call.grant.id, consumerDepartmentID: call.grant.consumerDepartmentID, extractID: extractID,
            authenticator: watermarkAuthenticator)
        // The extract is on the log before its first byte leaves; how many rows it carried is logged at its end.
        try await call.record(
            audit: audit, rows: 0, keyHashes: [],
            detail: [
                "phase": "started", "extract": extractID, "version": String(cursor.version.version),
                "format": format.rawValue, "ranges": selection.ranges.map(\.column).joined(separator: ","),
            ])
        let pools = poolStore.pools
        let audit = audit
        let logger = logger
        let body = ResponseBody { writer in
            var encoder = ExtractEncoder(
                format: format, columns: selection.columns, types: call.columnTypes(selection.columns),
                watermark: watermark)
            var cursor = cursor
            var sent = 0
            var failure: (any Error)? = nil
            do {
                try await writer.write(ByteBuffer(data: encoder.header()))
                while let page = try await pools.nextPage(of: &cursor) {
                    let masked = page.map { call.masked($0, columns: selection.columns) }
                    try await writer.write(ByteBuffer(data: encoder.encode(masked)))
                    sent += page.count
                }
            } catch {
                failure = error
            }
            let finished = call.event(
                outcome: failure == nil ? .allowed : .failed(reason: "extract_interrupted"), rows: sent, keyHashes: [],
                detail: ["phase": "finished", "extract": extractID])
            do {
                _ = try await audit.append(finished)
            } catch {
                // The start of the extract is on the log; its row count is not. Say so where operators look.
                logger.error(
                    "the end of a bulk extract could not be audited",
                    metadata: ["extract": "\(extractID)", "rows": "\(sent)", "grant": "\(call.grant.id)"])
            }
            if let failure { throw failure }
            try await writer.finish(nil)
        }
        var headers = HTTPFields()
        headers[.contentType] = format.contentType
        headers[.contentDisposition] =
            "attachment; filename=\"\(call.entry.code.text.replacingOccurrences(of: "/", with: "-"))-\(extractID).\(format.rawValue)\""
        headers[.cacheControl] = "no-store"
        headers[GatewayAPI.watermarkHeader] = watermark.text
        return Response(status: .ok, headers: headers, body: body)
    }

    /// An entry mounted as the provider's own API: the keys go to it, and its answer comes back through the same
    /// grant as pool rows do — only granted items, the row filter, masking.
    func proxy(_ call: GatewayCall, parameters: [(name: String, value: String)]) async throws -> Response {
        var call = call
        call.action = .gatewayProxy
        let keyItems = call.entry.content.keyItems
        let keys: [[String]]
        do {
            keys = try GatewayKeys.parse(
                parameters, keyColumns: keyItems.map(\.columnName), limit: GatewayCall.keyLimit
            )
            .map { key in zip(key, keyItems).map { GatewayCall.canonicalKey($0, $1) } }
        } catch {
            try await call.refuse(error, audit: audit)
        }
        let hashes = keys.map { keyHasher.hash(components: $0) }
        // Only the keys travel upstream, one parameter per key column, values joined by commas.
        let forwarded = keyItems.enumerated().map { index, item in
            (name: item.columnName, value: keys.map { $0[index] }.joined(separator: ","))
        }
        let answer: [[String: String?]]
        do {
            answer = try await upstream.records(locator: call.entry.mount?.locator ?? "", parameters: forwarded)
        } catch {
            try await call.refuse(error, audit: audit)
        }
        let columns = call.selection.columns
        let records = answer.filter { call.grant.admits(row: $0) }.map { record in
            call.masked(columns.map { record[$0] ?? nil }, columns: columns)
        }
        try await call.record(audit: audit, rows: records.count, keyHashes: hashes)
        return Self.json(call, records: records, columns: columns)
    }

}

extension GatewayAPI {
    static let watermarkHeader = HTTPField.Name("X-Huitong-Watermark")!

    /// Establishes the call: an application system, a published entry, and a grant of it that lets this system
    /// call through `channel` now and has allowance left. Every refusal is audited before it is answered.
    func authorize(
        _ request: Request, _ context: HuitongRequestContext, channel: AccessChannel, action: AuditAction
    ) async throws -> GatewayCall {
        let started = ContinuousClock.now
        let now = Date()
        let code =
            "\(context.parameters.get("classification") ?? "")/\(context.parameters.get("sequence") ?? "")"
        var principal = context.principal
        var knownGrants: [GrantReference]? = nil
        if principal == nil, let secret = context.gatewayBearer {
            guard
                let access = try await access.access(
                    credentialDigest: Secrets.digest(of: secret), resourceCode: code, on: CalendarDate(now)),
                access.credential.isUsable(at: now), access.system.isActive
            else {
                throw AccessError.invalidToken
            }
            principal = .system(access.system, access.credential)
            knownGrants = access.grants
            uses.record(access.credential, at: now)
        }
        guard let principal else { throw APIError.unauthenticated }
        guard case .system(let system, _) = principal else {
            try await deny(action, started, principal: principal, code: code, .notAnApplicationSystem)
        }
        let found: CatalogEntry?
        do {
            found = try await entries.entry(code: code)
        } catch let error as StoreError where error.isIntegrityViolation {
            try await deny(action, started, principal: principal, code: code, refusal: error)
        }
        guard let entry = found, entry.status == .published else {
            try await deny(action, started, principal: principal, code: code, .unknownResource(code))
        }
        let references: [GrantReference]
        if let knownGrants, entry.code.text == code {
            references = knownGrants
        } else {
            references = try await store.grants.activeGrantReferences(
                consumerDepartmentID: system.departmentID, resourceCode: entry.code.text, on: CalendarDate(now))
        }
        var firstDenial: GrantDenial? = nil
        for reference in references {
            let read: Grant?
            do {
                read = try await grants.grant(reference)
            } catch let error as StoreError where error.isIntegrityViolation {
                // An edited grant refuses the call (never skipped for another grant), on the audit log like any denial.
                try await deny(action, started, principal: principal, code: entry.code.text, refusal: error)
            }
            guard let grant = read else { continue }
            switch grant.check(system: system, items: [], channel: channel, at: now) {
            case .allowed:
                let call = GatewayCall(
                    action: action, started: started, system: system, entry: entry, grant: grant,
                    // Deriving the consumer's key costs an HKDF; only grants with pseudonymised items need it.
                    pseudonymizer: grant.masking.values.contains(.pseudonym)
                        ? pseudonymizer(system.departmentID) : nil)
                switch try await limiter.take(
                    grant: grant.id, perSecond: grant.rateLimit > 0 ? grant.rateLimit : nil,
                    perDay: grant.dailyQuota > 0 ? grant.dailyQuota : nil, now: now, instant: gatewayClock())
                {
                case .allowed: return call
                case .rateLimited: try await call.refuse(.rateLimited(perSecond: grant.rateLimit), audit: audit)
                case .quotaExhausted: try await call.refuse(.quotaExhausted(perDay: grant.dailyQuota), audit: audit)
                }
            case .denied(let denial):
                if firstDenial == nil { firstDenial = denial }
            }
        }
        let reason =
            firstDenial?.message
            ?? BilingualText(zh: "未申请或申请尚未获批", en: "nothing was applied for, or the application is not approved yet")
        try await deny(
            action, started, principal: principal, code: entry.code.text,
            .noGrant(resource: entry.code.text, reason: reason),
            detail: firstDenial.map { ["denial": $0.code] } ?? [:])
    }

    /// Audits a call refused before any grant applied to it, then refuses it.
    func deny(
        _ action: AuditAction, _ started: ContinuousClock.Instant, principal: Principal, code: String,
        _ error: GatewayError, detail: [String: String] = [:]
    ) async throws -> Never {
        try await deny(action, started, principal: principal, code: code, refusal: error, detail: detail)
    }

    /// `deny` for a refusal that is not the gateway's own: an access-control row that failed its integrity check.
    func deny(
        _ action: AuditAction, _ started: ContinuousClock.Instant, principal: Principal, code: String,
        refusal error: any HuitongError, detail: [String: String] = [:]
    ) async throws -> Never {
        let elapsed = ContinuousClock.now - started
        var system: ApplicationSystem? = nil
        if case .system(let caller, _) = principal { system = caller }
        let event = AuditEvent(
            action: action, consumerDepartmentID: principal.departmentID, applicationSystemID: system?.id,
            userID: principal.user?.id, resourceCode: String(code.prefix(100)), outcome: .denied(reason: error.code),
            latencyMicroseconds: elapsed.microseconds,
            detail: detail)
        try await audit.appendOrFailClosed(event)
        throw error
    }

    /// Rows by key from the entry's active version, nil when it has none. The version is remembered for a moment
    /// (a switch is seen within a second; retired versions stay readable meanwhile); if its table has gone, the
    /// read is repeated on the version active now.
    func rows(of entryID: Int64, keys: [[String]], selecting selection: PoolSelection) async throws -> [[String?]]? {
        if let version = versions.value(for: entryID) {
            do {
                return try await poolStore.pools.lookup(in: version, keys: keys, selecting: selection)
            } catch {
                versions.forget(entryID)
            }
        }
        guard let found = try await poolStore.pools.lookup(entryID: entryID, keys: keys, selecting: selection) else {
            return nil
        }
        versions.remember(found.version, for: entryID)
        return found.rows
    }

    /// Keys as the pool stores them: ID numbers and credit codes with upper-case letters.

    static func json(_ call: GatewayCall, records: [[String?]], columns: [String]) -> Response {
        let types = call.columnTypes(columns)
        let objects: [JSONValue] = records.map { row in
            .object(columns.indices.map { JSONMember(columns[$0], .value(row[$0], as: types[$0])) })
        }
        return json([
            "resource": .string(call.entry.code.text), "grant": .int(Int(call.grant.id)), "count": .int(records.count),
            "records": .array(objects),
        ])
    }

    static func json(_ body: JSONValue) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(
            status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: body.serialized)))
    }
}

/// Published entries by resource code, kept for a moment: the gateway reads an entry's items and mount on every
/// call, and they change rarely.
final class GatewayEntryCache: Sendable {
    private let store: Store
    private let cache: ExpiringCache<String, CatalogEntry?>

    init(store: Store, lifetime: Duration, clock: @escaping @Sendable () -> ContinuousClock.Instant) {
        self.store = store
        self.cache = ExpiringCache(lifetime: lifetime, clock: clock)
    }

    func entry(code: String) async throws -> CatalogEntry? {
        try await cache.value(for: code) { try await store.catalog.find(code: code) }
    }
}

/// Gateway access (credential, system, grant ids) by credential, resource and day, kept for a moment under the
/// store's `AccessRevision`: the access query was a third of the SQL a call ran. Any grant, credential or system
/// change made through this node moves the revision on, so the next call reads afresh; a change made by another
/// node is seen within `lifetime`. Expiry is still checked on every call (`isUsable(at:)`, `Grant.check`). The
/// credential's and system's row MACs are checked by the read that fills an entry (`RowIntegrity`), so a remembered
/// answer is one that verified; a row that fails is never remembered, and every call reads it again and is refused.
final class GatewayAccessCache: Sendable {
    private struct Key: Hashable, Sendable {
        var digest: String
        var resourceCode: String
        var day: CalendarDate
        var revision: Int
    }

    private let store: Store
    private let cache: ExpiringCache<Key, GatewayAccess?>

    init(store: Store, lifetime: Duration, clock: @escaping @Sendable () -> ContinuousClock.Instant) {
        self.store = store
        self.cache = ExpiringCache(lifetime: lifetime, clock: clock)
    }

    func access(credentialDigest: String, resourceCode: String, on day: CalendarDate) async throws -> GatewayAccess? {
        // The revision is read before the database: an answer read while a change commits is filed under the
        // revision before it, which the change retires as soon as it has committed.
        let key = Key(
            digest: credentialDigest, resourceCode: resourceCode, day: day, revision: store.accessRevision.current)
        return try await cache.value(for: key) {
            try await store.gatewayAccess.gatewayAccess(
                credentialDigest: credentialDigest, resourceCode: resourceCode, on: day)
        }
    }
}

/// Grant bodies by id and row MAC. A grant never changes after it is made except by revocation, and which grants
/// are still unrevoked and valid comes with the gateway access (`GatewayAccessCache`), so a remembered body is never
/// stale where it matters; reading it again would decode four JSON columns per call. A body is read, and its MAC
/// checked, once; it is used again only while the lookup finds the same MAC on its row, so a row edited in the
/// database (say, a revocation undone) is read and refused rather than served from memory.
final class GatewayGrantCache: Sendable {
    private let store: Store
    private let cached = Mutex<[GrantReference: Grant]>([:])

    init(store: Store) { self.store = store }

    func grant(_ reference: GrantReference) async throws -> Grant? {
        if let hit = cached.withLock({ $0[reference] }) { return hit }
        guard let grant = try await store.grants.find(reference: reference) else { return nil }
        cached.withLock { cache in
            if cache.count > 10_000 { cache.removeAll() }
            cache[reference] = grant
        }
        return grant
    }
}

/// The active pool version of each entry, remembered for a moment to save a query per lookup.
typealias GatewayVersionCache = ExpiringCache<Int64, PoolVersion>
