import Foundation
import HuitongCore
import HuitongFederation
import HuitongStore

/// The owning node's side of routed applications and calls (跨层级申请, 接口调用 via the tree): a department of
/// another node is filed under a department standing for it (`RemoteConsumer.localCode`), its application is
/// reviewed by the entry's provider like any other, and its calls are served under the grant that review made.
public struct CrossLevelUseCases: CrossLevelHandler {
    package let store: Store
    package let sharing: SharingUseCases
    package let audit: AuditTrail
    package let local: NodeRegion
    /// Rate limits and daily quotas of the grants routed calls use: the gateway's own, so that a grant's calls count
    /// once whichever way they come (and across the cluster).
    package var limiter = CallLimiter()

    public func file(_ submission: ApplicationSubmission, from origin: NodeRegion) async throws {
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
    package func standIn(for consumer: RemoteConsumer, origin: NodeRegion) async throws -> Department {
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

    public func notice(for incoming: IncomingApplication) async throws -> ApplicationDecisionNotice? {
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
            reason: application.decision.map(SharingUseCases.explain), grant: terms)
    }

    /// Serves a routed key lookup with the gateway's own pieces: its grant selection, masking, key form, limits,
    /// refusals and fail-closed audit. What differs is who calls: a department of another node, through the
    /// department standing for it, with no local system.
    public func serve(_ call: RemoteCall, from origin: NodeRegion) async throws -> RemoteCallResult {
        let started = ContinuousClock.now
        let now = Date()
        guard let entry = try await store.catalog.find(code: call.resourceCode), entry.status == .published else {
            throw Self.refusal(.unknownResource(call.resourceCode), at: local)
        }
        // Malformed keys are refused before they cost the grant any of its allowance.
        let keyItems = entry.content.keyItems
        guard call.keys.allSatisfy({ $0.count == keyItems.count }) else {
            throw Self.refusal(.unevenKeys, at: local)
        }
        guard !call.keys.isEmpty, call.keys.count <= GatewayCall.keyLimit else {
            throw Self.refusal(.tooManyKeys(limit: GatewayCall.keyLimit), at: local)
        }
        let keys = call.keys.map { key in zip(key, keyItems).map { GatewayCall.canonicalKey($0, $1) } }
        let hashes = keys.map { audit.keyHasher.hash(components: $0) }
        let department = try await store.departments.find(code: call.consumer.localCode(origin: origin))
        var grant: Grant?
        if let department {
            grant = try await store.grants.activeGrants(
                consumerDepartmentID: department.id, resourceCode: entry.code.text, on: CalendarDate(now)
            ).first { $0.channel == .api && $0.status(at: now) == .active }
        }
        func record(_ outcome: AuditOutcome, rows: Int) async throws {
            try await audit.log.appendOrFailClosed(
                AuditEvent(
                    action: .gatewayLookup, consumerDepartmentID: department?.id,
                    providerDepartmentID: entry.provider.departmentID, resourceCode: entry.code.text,
                    grantID: grant?.id, purpose: grant?.purpose.rawValue ?? call.purpose, queriedKeyHashes: hashes,
                    rowsReturned: Int64(rows), outcome: outcome,
                    latencyMicroseconds: (ContinuousClock.now - started).microseconds,
                    detail: ["origin": origin.code, "system": String(call.systemName.prefix(100)), "routed": "true"]))
        }
        func refuse(_ error: GatewayError) async throws -> Never {
            try await record(.denied(reason: error.code), rows: 0)
            throw Self.refusal(error, at: local)
        }
        guard let grant else {
            try await refuse(
                .noGrant(
                    resource: entry.code.text,
                    reason: BilingualText(
                        zh: "申请部门（\(origin.code)）没有有效的接口授权", en: "the consumer (\(origin.code)) has no active API grant"
                    )))
        }
        switch try await limiter.take(
            grant: grant.id, perSecond: grant.rateLimit > 0 ? grant.rateLimit : nil,
            perDay: grant.dailyQuota > 0 ? grant.dailyQuota : nil, now: now)
        {
        case .allowed: break
        case .rateLimited: try await refuse(.rateLimited(perSecond: grant.rateLimit))
        case .quotaExhausted: try await refuse(.quotaExhausted(perDay: grant.dailyQuota))
        }
        let selection = GatewayCall.selection(entry: entry, grant: grant)
        guard entry.mount?.kind != .api,
            let rows = try await store.pools.lookup(entryID: entry.id, keys: keys, selecting: selection)?.rows
        else { try await refuse(.nothingToServe(entry.code.text)) }
        // Pseudonyms are keyed per consumer department, as at the gateway, so the stand-in's are its own.
        let pseudonymizer =
            grant.masking.values.contains(.pseudonym)
            ? audit.pseudonymizer(consumerDepartmentID: grant.consumerDepartmentID) : nil
        let masked = rows.map {
            GatewayCall.masked($0, columns: selection.columns, grant: grant, pseudonymizer: pseudonymizer)
        }
        // The call is answered only once it is on this node's log, as every gateway call is (fail closed).
        try await record(.allowed, rows: masked.count)
        return RemoteCallResult(columns: selection.columns, records: masked)
    }

    /// A gateway refusal passed back along the tree with the gateway's own code and words.
    package static func refusal(_ error: GatewayError, at node: NodeRegion) -> FederationError {
        .refused(node: node.code, code: error.code, message: error.message)
    }
}
