import Foundation
import HuitongCore
import HuitongCrypto
import HuitongFederation
import HuitongServices
import HuitongStore
import Hummingbird
import NIOCore

/// The cascade over HTTP: `POST /federation/v1/messages` where peers deliver signed messages, and
/// `/api/v1/federation/…` where the operator registers peers, syncs the catalog upward, sets up 回流 and watches
/// the outbox. The node's identity (`GET /api/v1/federation/node`) is public, so that a peer's operator can
/// copy the key to register this node.
struct FederationAPI {
    let node: FederationNode
    let store: Store
    /// The node's audit trail: the consumer's side logs routed calls on it, keys hashed like the gateway's.
    let audit: AuditTrail
    /// The sharing workflow's limits, which a routed application meets on this node before it is sent.
    let sharing: SharingSettings

    func register(on router: Router<HuitongRequestContext>, api: RouterGroup<HuitongRequestContext>) {
        router.post(RouterPath(WireMessage.path), use: receive)
        router.post(RouterPath(WireMessage.callPath), use: answerCall)
        api.get("federation/node", use: identity)
        api.get("federation/peers", use: listPeers)
        api.post("federation/peers", use: addPeer)
        api.patch("federation/peers/:region", use: updatePeer)
        api.delete("federation/peers/:region", use: removePeer)
        api.get("federation/outbox", use: outbox)
        api.post("federation/outbox/:id/retry", use: retry)
        api.post("federation/catalog-sync", use: syncCatalog)
        api.post("federation/licence-publication", use: publishLicences)
        api.get("federation/registrations", use: registrations)
        api.get("federation/remote-entries", use: remoteEntries)
        api.get("federation/reflow-subscriptions", use: listSubscriptions)
        api.post("federation/reflow-subscriptions", use: subscribe)
        api.delete("federation/reflow-subscriptions/:id", use: unsubscribe)
        api.post("federation/reflow-subscriptions/:id/run", use: runReflow)
        api.get("federation/reflow-targets", use: listTargets)
        api.post("federation/reflow-targets", use: setTarget)
        api.get("federation/reflow-runs", use: reflowRuns)
        api.get("federation/reflow-runs/:runID/preview", use: reflowPreview)
        api.get("federation/monitoring", use: monitoring)
        api.post("federation/monitoring/report", use: reportMonitoring)
        api.get("federation/applications", use: listApplications)
        api.post("federation/applications", use: apply)
        api.get("federation/remote-gateway/:owner/:classification/:sequence/records", use: remoteRecords)
    }

    // MARK: Messages from peers

    func receive(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let wire = try await Self.wire(request, context)
        let receipt = try await node.receive(wire, remoteAddress: context.peerAddress)
        return try JSONResponse.make(receipt)
    }

    func answerCall(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let wire = try await Self.wire(request, context)
        return try JSONResponse.make(try await node.answerCall(wire, remoteAddress: context.peerAddress))
    }

    static func wire(_ request: Request, _ context: HuitongRequestContext) async throws -> WireMessage {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: WireMessage.maximumSize)
        } catch {
            throw APIError.bodyTooLarge(limit: WireMessage.maximumSize)
        }
        do {
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            return try decoder.decode(WireMessage.self, from: Data(buffer: buffer))
        } catch let error as DecodingError {
            throw APIError(decoding: error)
        }
    }

    // MARK: Identity and peers

    struct IdentityBody: Codable {
        var region: String
        var level: NodeLevel
        var name: String
        var algorithm: String
        var keyID: String
        var publicKey: String
        /// What this node signs cascade messages with (`gm` or `intl`).
        var suite: String
        /// Every key a peer's operator registers for this node, as one line to paste into the registration's
        /// `publicKey`: the Ed25519 key, then the SM2 key (`sm2:` and its point in base64).
        var publicKeys: String
        var keys: [KeyBody]
    }

    struct KeyBody: Codable {
        var algorithm: String
        var keyID: String
        var publicKeyPEM: String
    }

    func identity(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let profile = node.settings.profile
        let keys = node.keys.publicKeys
        return try JSONResponse.make(
            IdentityBody(
                region: profile.region.code, level: profile.level, name: profile.name,
                algorithm: NodePublicKey.algorithm, keyID: node.publicKey.keyID, publicKey: node.publicKey.base64,
                suite: node.keys.suite.rawValue, publicKeys: (try? PeerKeys(keys).stored) ?? node.publicKey.base64,
                keys: keys.map {
                    KeyBody(algorithm: $0.algorithm.rawValue, keyID: $0.keyID, publicKeyPEM: $0.pemRepresentation)
                }))
    }

    struct ListBody<Item: Encodable>: Encodable {
        var items: [Item]
    }

    func listPeers(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        _ = try context.require(.federationManagePeers)
        return try JSONResponse.make(ListBody(items: try await store.federation.peers()))
    }

    func addPeer(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        _ = try context.require(.federationManagePeers)
        let draft = try await request.decodeJSON(PeerDraft.self, context: context)
        let peer = try await store.federation.addPeer(draft, local: node.local, at: Date())
        return try JSONResponse.make(peer, status: .created)
    }

    struct PeerChange: Codable {
        var name: String?
        var baseURL: String?
        var publicKey: String?
    }

    /// Changes a peer in place: its address, or its keys (adding the SM2 key of a peer about to move to 国密, so
    /// that the link stays up through the switch).
    func updatePeer(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        _ = try context.require(.federationManagePeers)
        let region = try NodeRegion(try context.parameters.require("region"))
        let change = try await request.decodeJSON(PeerChange.self, context: context)
        let peer = try await store.federation.updatePeer(
            region, name: change.name, baseURL: change.baseURL, publicKey: change.publicKey, local: node.local,
            at: Date())
        return try JSONResponse.make(peer)
    }

    func removePeer(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        _ = try context.require(.federationManagePeers)
        let region = try NodeRegion(try context.parameters.require("region"))
        guard try await store.federation.removePeer(region) else { throw FederationError.unknownPeer(region.code) }
        return Response(status: .noContent)
    }

    // MARK: Outbox

    func outbox(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        _ = try context.require(.federationManageOutbox)
        var status: OutboxStatus?
        if let text = request.uri.queryParameters["status"] {
            guard let parsed = OutboxStatus(rawValue: String(text)) else {
                throw ValidationError(
                    field: "status",
                    BilingualText(zh: "须为 pending、delivered 或 failed", en: "must be pending, delivered or failed"))
            }
            status = parsed
        }
        // Bodies can hold returned records: the listing shows what was sent where, never the data itself.
        let messages = try await store.federation.outbox(status: status, limit: 200).map(OutboxSummary.init)
        return try JSONResponse.make(ListBody(items: messages))
    }

    struct OutboxSummary: Codable {
        var id: Int64
        var messageID: String
        var kind: FederationMessageKind
        var origin: String
        var destination: String
        var nextHop: String
        var status: OutboxStatus
        var attempts: Int
        var nextAttemptAt: Date
        var lastError: String?
        var createdAt: Date
        var deliveredAt: Date?
        var bodyBytes: Int

        init(_ message: OutboxMessage) {
            id = message.id
            messageID = message.messageID
            kind = message.kind
            origin = message.origin.code
            destination = message.destination.code
            nextHop = message.nextHop.code
            status = message.status
            attempts = message.attempts
            nextAttemptAt = message.nextAttemptAt
            lastError = message.lastError
            createdAt = message.createdAt
            deliveredAt = message.deliveredAt
            bodyBytes = message.body.utf8.count
        }
    }

    func retry(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        _ = try context.require(.federationManageOutbox)
        let message = try await store.federation.retry(id: try context.id(), at: Date())
        node.wakeOutbox()
        return try JSONResponse.make(OutboxSummary(message))
    }

    // MARK: Catalog registration

    func syncCatalog(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        _ = try context.require(.federationSyncCatalog)
        return try JSONResponse.make(try await node.syncCatalog())
    }

    struct PublicationBody: Codable {
        /// Licence records queued for the children.
        var sent: Int
    }

    /// 证照回流 now rather than at the next scheduled run (the operator).
    func publishLicences(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        _ = try context.require(.federationManageReflow)
        return try JSONResponse.make(PublicationBody(sent: try await node.publishLicences()))
    }

    func registrations(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        _ = try context.require(.federationSyncCatalog)
        return try JSONResponse.make(ListBody(items: try await store.remoteCatalog.registrations()))
    }

    func remoteEntries(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        _ = try context.requireUser()
        let query = request.uri.queryParameters["q"].map(String.init)
        let origin = try request.uri.queryParameters["origin"].map { try NodeRegion(String($0)) }
        let entries = try await store.remoteCatalog.remoteEntries(
            query: query, origin: origin, includeWithdrawn: try request.booleanQuery("withdrawn"),
            limit: 200)
        return try JSONResponse.make(ListBody(items: entries))
    }

    // MARK: 回流

    struct SubscriptionInput: Codable {
        var entryID: Int64
        var child: String
        var regionColumn: String
    }

    /// A subscription as the operator sees it: paused while no registered child leads to its node.
    struct SubscriptionBody: Codable {
        var subscription: ReflowSubscription
        var paused: Bool

        enum Keys: String, CodingKey { case paused }

        init(subscription: ReflowSubscription, paused: Bool) {
            self.subscription = subscription
            self.paused = paused
        }

        init(from decoder: any Decoder) throws {
            subscription = try ReflowSubscription(from: decoder)
            paused = try decoder.container(keyedBy: Keys.self).decode(Bool.self, forKey: .paused)
        }

        func encode(to encoder: any Encoder) throws {
            try subscription.encode(to: encoder)
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode(paused, forKey: .paused)
        }
    }

    func listSubscriptions(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        _ = try context.require(.federationManageReflow)
        var items: [SubscriptionBody] = []
        for subscription in try await store.reflows.subscriptions() {
            items.append(
                SubscriptionBody(subscription: subscription, paused: !(try await node.reaches(subscription.child))))
        }
        return try JSONResponse.make(ListBody(items: items))
    }

    func unsubscribe(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        _ = try context.require(.federationManageReflow)
        let id = try context.id()
        guard try await store.reflows.unsubscribe(id: id) else {
            throw StoreError.notFound(entity: "reflow subscription", key: "\(id)")
        }
        return Response(status: .noContent)
    }

    func subscribe(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        _ = try context.require(.federationManageReflow)
        let input = try await request.decodeJSON(SubscriptionInput.self, context: context)
        var issues = ValidationCollector()
        let child = try? NodeRegion(input.child)
        if let child {
            if try await store.federation.peer(child).map({ $0.relation != .child }) ?? true,
                !node.local.contains(child) || child == node.local
            {
                issues.add(
                    "child",
                    BilingualText(zh: "须为本节点辖区内的下级节点", en: "must be a node below this one, in its jurisdiction"))
            }
        } else {
            issues.add("child", BilingualText(zh: "不是有效的区划代码", en: "is not a valid region code"))
        }
        let entry = try await store.catalog.find(id: input.entryID)
        // The region item by its column name or its Chinese name (户籍地), as the operator knows it.
        let wanted = input.regionColumn.trimmingCharacters(in: .whitespaces)
        let regionItem =
            entry?.content.items.first { $0.columnName == wanted }
            ?? entry?.content.items.first { $0.name == wanted }
        if let entry {
            if regionItem == nil {
                let names = entry.content.items.map { "\($0.name)（\($0.columnName)）" }.joined(separator: "、")
                issues.add(
                    "regionColumn",
                    BilingualText(
                        zh: "“\(entry.content.name)”没有信息项 \(input.regionColumn)，可选：\(names)",
                        en: "\"\(entry.content.name)\" has no item \(input.regionColumn); its items: \(names)"))
            }
            if entry.content.keyItems.isEmpty {
                issues.add(
                    "entryID",
                    BilingualText(
                        zh: "回流按主键合并，“\(entry.content.name)”没有主键信息项",
                        en: "returned records merge by key, and \"\(entry.content.name)\" has no key item"))
            }
        } else {
            issues.add("entryID", BilingualText(zh: "目录不存在", en: "no such catalog entry"))
        }
        try issues.throwIfAny()
        // Well formed, but nothing would carry the records there: refused now rather than failing every run.
        guard try await node.reaches(child!) else { throw FederationError.unregisteredChild(child!.code) }
        let subscription = try await store.reflows.subscribe(
            entryID: input.entryID, child: child!, regionColumn: regionItem!.columnName, at: Date())
        return try JSONResponse.make(SubscriptionBody(subscription: subscription, paused: false), status: .created)
    }

    func runReflow(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        _ = try context.require(.federationManageReflow)
        let force = try request.booleanQuery("force")
        return try JSONResponse.make(try await node.runReflow(subscriptionID: try context.id(), force: force))
    }

    struct TargetInput: Codable {
        var origin: String
        var sourceCode: String
        var entryID: Int64
    }

    func listTargets(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        _ = try context.require(.federationManageReflow)
        return try JSONResponse.make(ListBody(items: try await store.reflows.targets()))
    }

    func setTarget(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        _ = try context.require(.federationManageReflow)
        let input = try await request.decodeJSON(TargetInput.self, context: context)
        var issues = ValidationCollector()
        let origin = try? NodeRegion(input.origin)
        if let origin {
            if origin == node.local || !origin.contains(node.local) {
                issues.add(
                    "origin",
                    BilingualText(
                        zh: "回流数据来自上级平台，须为管辖本节点的上级节点",
                        en: "returned data comes from a node above this one, whose region contains it"))
            }
        } else {
            issues.add("origin", BilingualText(zh: "不是有效的区划代码", en: "is not a valid region code"))
        }
        if input.sourceCode.trimmingCharacters(in: .whitespaces).isEmpty {
            issues.add("sourceCode", BilingualText(zh: "不能为空", en: "must not be empty"))
        }
        if let entry = try await store.catalog.find(id: input.entryID) {
            if entry.content.keyItems.isEmpty {
                issues.add(
                    "entryID",
                    BilingualText(
                        zh: "接收目录须有主键信息项", en: "the receiving entry needs a key item to merge returned records by"))
            }
        } else {
            issues.add("entryID", BilingualText(zh: "目录不存在", en: "no such catalog entry"))
        }
        try issues.throwIfAny()
        let target = try await store.reflows.setTarget(
            origin: origin!, sourceCode: input.sourceCode.trimmingCharacters(in: .whitespaces),
            entryID: input.entryID, at: Date())
        return try JSONResponse.make(target, status: .created)
    }

    func reflowRuns(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        _ = try context.require(.federationManageReflow)
        guard let text = request.uri.queryParameters["entryID"], let entryID = Int64(String(text)) else {
            throw ValidationError(field: "entryID", BilingualText(zh: "须给出目录编号", en: "give the entry id"))
        }
        return try JSONResponse.make(ListBody(items: try await store.reflows.runs(entryID: entryID)))
    }

    struct PreviewColumn: Codable {
        var column: String
        var name: String
        var masked: Bool
    }

    struct PreviewBody: Codable {
        var runID: String
        var origin: String
        var sourceCode: String
        var entryID: Int64
        var poolVersion: Int
        var rowCount: Int64
        var columns: [PreviewColumn]
        var rows: [[String?]]
    }

    /// The first rows of the pool version a 回流 run produced, masked by each item's kind of data as the portal
    /// masks them: enough for the operator to check what arrived without showing anyone the records in full.
    func reflowPreview(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        _ = try context.require(.federationManageReflow)
        let runID = try context.parameters.require("runID")
        guard let run = try await store.reflows.appliedRun(runID: runID) else {
            throw StoreError.notFound(entity: "reflow run", key: runID)
        }
        guard let entry = try await store.catalog.find(id: run.entryID),
            let version = try await store.pools.versions(entryID: run.entryID).first(where: {
                $0.version == run.poolVersion && ($0.status == .active || $0.status == .retired)
            })
        else {
            throw StoreError.notFound(entity: "pool version", key: "\(run.entryID)/\(run.poolVersion)")
        }
        var limit = 20
        if let text = request.uri.queryParameters["limit"] {
            guard let number = Int(String(text)), (1...100).contains(number) else {
                throw ValidationError(field: "limit", BilingualText(zh: "须为 1–100", en: "must be 1–100"))
            }
            limit = number
        }
        let items = entry.content.items.filter { version.columns.contains($0.columnName) }
        let policy = PortalDataPolicy.seeded()
        let rows: [[String?]]
        do {
            rows = try await store.pools.firstRows(
                in: version, selecting: PoolSelection(columns: items.map(\.columnName)), limit: limit)
        } catch {
            // The version's table may have been dropped as the oldest kept one since the listing above was read;
            // any other failure is the database's, and says so.
            let kept = try await store.pools.versions(entryID: run.entryID).contains {
                $0.version == run.poolVersion && ($0.status == .active || $0.status == .retired)
            }
            if kept { throw error }
            throw StoreError.notFound(entity: "pool version", key: "\(run.entryID)/\(run.poolVersion)")
        }
        return try JSONResponse.make(
            PreviewBody(
                runID: run.runID, origin: run.origin.code, sourceCode: run.sourceCode, entryID: run.entryID,
                poolVersion: run.poolVersion, rowCount: version.rowCount,
                columns: items.map {
                    PreviewColumn(
                        column: $0.columnName, name: $0.name,
                        masked: policy.masking.rule(for: $0.semanticKind) != .none)
                },
                rows: rows.map { policy.masked($0, items: items) }))
    }

    // MARK: Monitoring

    struct MonitoringBody: Codable {
        var local: MonitoringReport
        var children: [MonitoringReport]
    }

    func monitoring(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        _ = try context.require(.federationMonitor)
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let children = try await store.federation.monitoringReports().compactMap {
            try? decoder.decode(MonitoringReport.self, from: Data($0.report.utf8))
        }
        return try JSONResponse.make(MonitoringBody(local: try await node.monitoringReport(), children: children))
    }

    func reportMonitoring(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        _ = try context.require(.federationMonitor)
        return try JSONResponse.make(try await node.reportMonitoring(), status: .accepted)
    }

    // MARK: Cross-level applications and routed calls (the consumer's side)

    struct ApplicationInput: Codable {
        var owner: String
        var resourceCode: String
        var items: [String]
        var purpose: ApplicationPurpose
        var purposeText: String
        var legalBasis: String
        var scenario: String
        var channel: AccessChannel?
        var validFrom: CalendarDate
        var validTo: CalendarDate
        var expectedDailyCalls: Int
    }

    func apply(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let user = try context.require(.federationApplyCrossLevel)
        let input = try await request.decodeJSON(ApplicationInput.self, context: context)
        var issues = ValidationCollector()
        let owner = try? NodeRegion(input.owner)
        if owner == nil { issues.add("owner", BilingualText(zh: "不是有效的区划代码", en: "is not a valid region code")) }
        if input.resourceCode.trimmingCharacters(in: .whitespaces).isEmpty {
            issues.add("resourceCode", BilingualText(zh: "不能为空", en: "must not be empty"))
        }
        try issues.throwIfAny()
        // The owner's review checks the items against its entry; the checks that need no entry happen here, so
        // that a typing error is answered at once instead of by a refusal days later.
        let draft = try ApplicationDraft(
            entryID: 0, items: input.items, purpose: input.purpose, purposeText: input.purposeText,
            legalBasis: input.legalBasis, scenario: input.scenario, channel: input.channel ?? .api,
            validFrom: input.validFrom, validTo: input.validTo, expectedDailyCalls: input.expectedDailyCalls
        ).validated(today: CalendarDate(Date()), maximumPeriodDays: sharing.maximumPeriodDays)
        guard let department = try await store.departments.find(id: user.departmentID) else {
            throw StoreError.notFound(entity: "department", key: "\(user.departmentID)")
        }
        let application = try await node.apply(
            for: input.resourceCode.trimmingCharacters(in: .whitespaces), owner: owner!, draft: draft,
            department: department, applicant: user.author)
        return try JSONResponse.make(application, status: .created)
    }

    func listApplications(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let user = try context.require(.federationReadCrossLevelApplications)
        let scope: Int64? =
            AccessPolicy.reachesEveryDepartment(user, .federationReadCrossLevelApplications) ? nil : user.departmentID
        return try JSONResponse.make(ListBody(items: try await store.crossLevel.outgoing(departmentID: scope)))
    }

    struct RemoteRecordsBody: Codable {
        var owner: String
        var resourceCode: String
        var count: Int
        var records: [[String: String?]]
    }

    /// A consumer system's key lookup on an entry another node owns, under an approved routed application. The
    /// call goes hop by hop to the owner, which applies its grant and masking; both nodes audit it.
    func remoteRecords(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let started = ContinuousClock.now
        let (system, _) = try context.requireSystem()
        let owner = try NodeRegion(try context.parameters.require("owner"))
        let code = "\(try context.parameters.require("classification"))/\(try context.parameters.require("sequence"))"
        let keys = request.uri.queryParameters.getAll("key").map { $0.split(separator: "|").map(String.init) }
        guard !keys.isEmpty else {
            throw ValidationError(
                field: "key",
                BilingualText(
                    zh: "须给出查询键 ?key=…（复合键的各值以 | 分隔）", en: "give the key as ?key=… (composite keys joined by |)"))
        }
        let today = CalendarDate(Date())
        let applications = try await store.crossLevel.outgoing(departmentID: system.departmentID)
        guard
            applications.contains(where: {
                $0.owner == owner && $0.resourceCode == code && $0.allowsCalls(on: today)
            })
        else {
            throw AccessError.forbidden(
                BilingualText(
                    zh: "本部门没有经 \(owner.code) 批准且在有效期内的 \(code) 申请",
                    en: "this department has no approved, current application to \(owner.code) for \(code)"))
        }
        guard let department = try await store.departments.find(id: system.departmentID) else {
            throw StoreError.notFound(entity: "department", key: "\(system.departmentID)")
        }
        let call = RemoteCall(
            resourceCode: code,
            consumer: RemoteConsumer(
                name: department.name, code: department.code, creditCode: department.creditCode,
                regionCode: department.regionCode),
            systemName: system.name, keys: keys, purpose: nil)
        let result: RemoteCallResult
        do {
            result = try await node.call(call, owner: owner)
        } catch let error as FederationError {
            try await recordRoutedCall(system, owner, code, keys, .failed(reason: error.code), 0, started)
            throw error
        }
        try await recordRoutedCall(system, owner, code, keys, .allowed, result.records.count, started)
        let records = result.records.map { row in
            Dictionary(zip(result.columns, row).map { ($0, $1) }, uniquingKeysWith: { first, _ in first })
        }
        return try JSONResponse.make(
            RemoteRecordsBody(owner: owner.code, resourceCode: code, count: records.count, records: records))
    }

    /// The caller's node logs the call too, so each side can answer for it from its own log.
    func recordRoutedCall(
        _ system: ApplicationSystem, _ owner: NodeRegion, _ code: String, _ keys: [[String]], _ outcome: AuditOutcome,
        _ rows: Int, _ started: ContinuousClock.Instant
    ) async throws {
        _ = try await audit.log.append(
            AuditEvent(
                action: .gatewayLookup, consumerDepartmentID: system.departmentID, applicationSystemID: system.id,
                resourceCode: code, queriedKeyHashes: keys.map { audit.keyHasher.hash(components: $0) },
                rowsReturned: Int64(rows), outcome: outcome,
                latencyMicroseconds: (ContinuousClock.now - started).microseconds,
                detail: ["owner": owner.code, "routed": "true"]))
    }
}

extension FederationAPI.ListBody: Decodable where Item: Decodable {}
