import Foundation
import HuitongCore
import HuitongFederation
import HuitongStore

/// The owning node's side of routed applications and calls (跨层级申请, 接口调用 via the tree): a department of
/// another node is filed under a department standing for it (`RemoteConsumer.localCode`), its application is
/// reviewed by the entry's provider like any other, and its calls are served under the grant that review made.
struct CrossLevelService: CrossLevelHandler {
    let store: Store
    let sharing: SharingService
    let audit: AuditTrail
    let local: NodeRegion
    /// Rate limits and daily quotas of the grants routed calls use, counted like the gateway's own.
    let limiter = CallLimiter()

    func file(_ submission: ApplicationSubmission, from origin: NodeRegion) async throws {
        if try await store.crossLevel.incoming(origin: origin, reference: submission.reference) != nil { return }
        guard let entry = try await store.catalog.find(code: submission.resourceCode), entry.status == .published
        else {
            throw FederationError.refused(
                node: local.code, code: "entry_not_found",
                message: BilingualText(
                    zh: "本节点没有已发布的目录 \(submission.resourceCode)",
                    en: "this node has no published entry \(submission.resourceCode)"))
        }
        let department = try await standIn(for: submission.consumer, origin: origin)
        var draft = submission.draft
        draft.entryID = entry.id
        draft.systemIDs = []
        let application = try await sharing.fileOnBehalf(
            draft, consumerDepartmentID: department.id,
            applicant: ChangeAuthor(userID: nil, name: "\(submission.applicantName)（\(origin.code)）"),
            routedFrom: "\(origin.code)/\(submission.reference)")
        _ = try await store.crossLevel.recordIncoming(
            origin: origin, reference: submission.reference, applicationID: application.id,
            consumerDepartmentID: department.id, at: Date())
    }

    /// The local department standing for `consumer` of node `origin`, created on its first application. It has
    /// no officers: it exists so that the application, its grant, its row filter (the consumer's region) and the
    /// audit log name the consumer as everywhere else.
    func standIn(for consumer: RemoteConsumer, origin: NodeRegion) async throws -> Department {
        let code = consumer.localCode(origin: origin)
        if let existing = try await store.departments.find(code: code) { return existing }
        guard let region = try? NodeRegion(consumer.regionCode), origin.contains(region), region.level != .national
        else {
            throw FederationError.malformed(
                BilingualText(
                    zh: "申请部门的区划 \(consumer.regionCode) 不在节点 \(origin.code) 辖区内",
                    en: "the consumer's region \(consumer.regionCode) lies outside node \(origin.code)"))
        }
        do {
            return try await store.departments.create(
                DepartmentDraft(
                    name: String("\(consumer.name)（\(origin.code)）".prefix(100)), code: code, creditCode: nil,
                    regionCode: consumer.regionCode, parentID: nil
                ).validated())
        } catch let error as StoreError {
            // Two first applications of one department at once: the other created it; use that one.
            guard case .duplicate = error, let created = try await store.departments.find(code: code) else {
                throw error
            }
            return created
        }
    }

    func notice(for incoming: IncomingApplication) async throws -> ApplicationDecisionNotice? {
        guard let application = try await store.applications.find(id: incoming.applicationID) else { return nil }
        let decided: Set<ApplicationState> = [
            .approved, .partiallyApproved, .rejected, .resolvedApproved, .resolvedRejected,
        ]
        guard decided.contains(application.state) else { return nil }
        var terms: RemoteGrantTerms?
        if let grantID = application.grantID, let grant = try await store.grants.find(id: grantID) {
            terms = RemoteGrantTerms(
                grantID: grant.id, items: grant.items, validFrom: grant.validFrom, validTo: grant.validTo,
                rateLimit: grant.rateLimit, dailyQuota: grant.dailyQuota, rowFilterPrefix: grant.rowFilter?.prefix)
        }
        return ApplicationDecisionNotice(
            reference: incoming.reference, applicationNumber: application.number, state: application.state,
            reason: application.decision.map(SharingService.explain), grant: terms)
    }

    func serve(_ call: RemoteCall, from origin: NodeRegion) async throws -> RemoteCallResult {
        let started = ContinuousClock.now
        let now = Date()
        func refuse(_ code: String, _ zh: String, _ en: String) -> FederationError {
            .refused(node: local.code, code: code, message: BilingualText(zh: zh, en: en))
        }
        guard let entry = try await store.catalog.find(code: call.resourceCode), entry.status == .published else {
            throw refuse("entry_not_found", "没有已发布的目录 \(call.resourceCode)", "no published entry \(call.resourceCode)")
        }
        let department = try await store.departments.find(code: call.consumer.localCode(origin: origin))
        var grant: Grant?
        if let department {
            grant = try await store.grants.activeGrants(
                consumerDepartmentID: department.id, resourceCode: entry.code.text, on: CalendarDate(now)
            ).first { $0.channel == .api && $0.status(at: now) == .active }
        }
        func event(_ outcome: AuditOutcome, rows: Int, keys: [String]) -> AuditEvent {
            AuditEvent(
                action: .gatewayLookup, consumerDepartmentID: department?.id,
                providerDepartmentID: entry.provider.departmentID, resourceCode: entry.code.text, grantID: grant?.id,
                purpose: grant?.purpose.rawValue ?? call.purpose, queriedKeyHashes: keys, rowsReturned: Int64(rows),
                outcome: outcome, latencyMicroseconds: (ContinuousClock.now - started).microseconds,
                detail: ["origin": origin.code, "system": String(call.systemName.prefix(100)), "routed": "true"])
        }
        let keyItems = entry.content.keyItems
        let keys = call.keys.map { key in
            zip(key, keyItems).map { value, item in GatewayAPI.canonicalKey(value, item) }
        }
        let hashes = keys.map { audit.keyHasher.hash($0.joined(separator: "|")) }
        guard let grant else {
            _ = try await audit.log.append(event(.denied(reason: "no_grant"), rows: 0, keys: hashes))
            throw refuse(
                "no_grant", "申请部门对 \(entry.code.text) 没有有效的接口授权",
                "the consumer has no active API grant for \(entry.code.text)")
        }
        switch limiter.take(
            grant: grant.id, perSecond: grant.rateLimit > 0 ? grant.rateLimit : nil,
            perDay: grant.dailyQuota > 0 ? grant.dailyQuota : nil, now: now)
        {
        case .allowed:
            break
        case .rateLimited:
            _ = try await audit.log.append(event(.denied(reason: "rate_limited"), rows: 0, keys: hashes))
            throw refuse(
                "rate_limited", "超过授权的调用频率（每秒 \(grant.rateLimit) 次）",
                "over the grant's rate of \(grant.rateLimit) calls a second")
        case .quotaExhausted:
            _ = try await audit.log.append(event(.denied(reason: "quota_exhausted"), rows: 0, keys: hashes))
            throw refuse(
                "quota_exhausted", "今日调用次数已达授权上限（\(grant.dailyQuota) 次）",
                "the grant's \(grant.dailyQuota) calls for today are used up")
        }
        guard !keys.isEmpty, keys.count <= 100, call.keys.allSatisfy({ $0.count == keyItems.count }) else {
            _ = try await audit.log.append(event(.denied(reason: "bad_keys"), rows: 0, keys: []))
            throw refuse(
                "bad_keys", "须给出 1–100 个查询键，每个键含 \(keyItems.count) 个值",
                "give 1–100 keys of \(keyItems.count) values each")
        }
        let selection = PoolSelection(
            columns: grant.items,
            conditions: grant.rowFilter.map { [PoolRowCondition(column: $0.column, prefix: $0.prefix)] } ?? [])
        let rows = try await store.pools.lookup(entryID: entry.id, keys: keys, selecting: selection)?.rows ?? []
        // Pseudonyms are keyed per consumer department, as at the gateway, so the stand-in's are its own.
        let pseudonymizer =
            grant.masking.values.contains(.pseudonym)
            ? Pseudonymizer(nodeSecret: audit.pseudonymSecret, consumerDepartmentID: grant.consumerDepartmentID) : nil
        let masked = rows.map { row in
            zip(grant.items, row).map { column, value in
                value.map { grant.masking[column]?.apply(to: $0, pseudonymizer: pseudonymizer) ?? $0 }
            }
        }
        // The call is answered only once it is on this node's log, as every gateway call is (fail closed).
        _ = try await audit.log.append(event(.allowed, rows: masked.count, keys: hashes))
        return RemoteCallResult(columns: grant.items, records: masked)
    }
}
