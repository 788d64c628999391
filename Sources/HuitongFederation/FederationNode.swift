import Foundation
import HuitongCore
import HuitongCrypto
import HuitongStore
import Logging
import Synchronization

/// This node's part in the cascade: sends messages through the outbox, and checks, relays or handles the
/// messages peers deliver.
///
/// Every handler is idempotent on its own (registrations apply by sequence, acknowledgements overwrite, 回流
/// parts are kept by run and number, runs apply once), so the inbox is a fast path against repeats, not the only
/// guard: a node that dies between handling a message and recording it handles the resent message harmlessly.
public final class FederationNode: Sendable {
    public let settings: FederationSettings
    let store: Store
    public let keys: FederationKeys
    /// Encrypts and opens the bodies that carry personal data, link by link.
    let sealer: LinkSealer
    let audit: AuditLog?
    let logger: Logger
    let verifier: FederationVerifier
    /// How the owning side files routed applications and serves routed calls; nil on a node that only relays.
    let crossLevel: (any CrossLevelHandler)?
    /// The licence library, for 证照回流; nil on a node (or in a test) without one.
    let licences: (any LicenceCascadeHandler)?
    /// The node's grade policy: which columns of returned (回流) data are encrypted at rest under `gm`.
    let gradePolicy: @Sendable () async throws -> GradePolicy?
    /// Wakes the outbox deliverer when something is queued, so a message does not wait for the next poll.
    let outboxSignal = OutboxSignal()
    /// 回流 runs being applied by this process.
    let applyingRuns = Mutex<Set<String>>([])
    /// Refusals put on the audit log per remote address and minute: anyone can post garbage to the message
    /// endpoint, and the log must not grow without bound for it. Beyond the budget refusals go to the log only.
    let rejectionBudget = Mutex<[String: (minute: Int64, count: Int)]>([:])
    static let rejectionsAuditedPerMinute = 30

    public init(
        settings: FederationSettings, store: Store, keys: FederationKeys, audit: AuditLog?, logger: Logger,
        crossLevel: (any CrossLevelHandler)? = nil, gradePolicy: (@Sendable () async throws -> GradePolicy?)? = nil,
        licences: (any LicenceCascadeHandler)? = nil
    ) {
        self.crossLevel = crossLevel
        self.licences = licences
        self.gradePolicy = gradePolicy ?? { try await store.gradePolicy.current()?.policy }
        self.settings = settings
        self.store = store
        self.keys = keys
        self.sealer = LinkSealer(decryption: keys.decryption)
        self.audit = audit
        self.logger = logger
        self.verifier = FederationVerifier(clockTolerance: settings.clockTolerance)
    }

    public var local: NodeRegion { settings.profile.region }

    /// Lets the outbox deliverer look at the queue now (after an operator retried a message, say).
    public func wakeOutbox() {
        outboxSignal.notify()
    }
    public var publicKey: NodePublicKey { keys.identity.publicKey }

    func route() async throws -> FederationRoute {
        let peers = try await store.federation.peers()
        return FederationRoute(
            local: local, parent: peers.first { $0.relation == .parent }?.region,
            children: peers.filter { $0.relation == .child }.map(\.region))
    }

    /// Queues `payload` for `destination`; returns the message id.
    @discardableResult
    public func send(
        _ kind: FederationMessageKind, _ payload: some Encodable, to destination: NodeRegion,
        messageID: String = UUID().uuidString.lowercased()
    ) async throws -> String {
        guard let next = try await route().nextHop(to: destination) else {
            throw FederationError.wrongRecipient(destination.code)
        }
        try await store.federation.enqueue(
            [
                OutboxDraft(
                    messageID: messageID, kind: kind, origin: local, destination: destination, nextHop: next,
                    body: try FederationJSON.encode(payload))
            ], at: Date())
        outboxSignal.notify()
        return messageID
    }

    /// Signs one hop of a queued message for `peer`, now, its body encrypted to the peer when it must be.
    func sign(_ message: OutboxMessage, to peer: Peer) throws -> SignedFederationMessage {
        let header = HopHeader(
            id: message.messageID, kind: message.kind, origin: message.origin, destination: message.destination,
            from: local, to: message.nextHop)
        return try sign(header, body: message.body, to: peer)
    }

    /// Signs the hop `header` carrying `body`. A body of personal data is first sealed to `peer`'s SM2 key when
    /// one is registered — whatever this node's suite, so that a `gm` peer gets it as it requires — and under `gm`
    /// it is never sent without.
    func sign(_ header: HopHeader, body: String, to peer: Peer) throws -> SignedFederationMessage {
        var wireBody = body
        if LinkSealer.sealedKinds.contains(header.kind) {
            if let recipient = peer.keys?.sm2 {
                wireBody = try sealer.seal(body, header, to: recipient)
            } else if keys.suite == .gm {
                throw FederationError.cannotEncrypt(node: peer.region.code)
            }
        }
        return try SignedFederationMessage.sign(
            id: header.id, kind: header.kind, origin: header.origin, destination: header.destination,
            from: header.from, to: header.to, body: Array(wireBody.utf8), with: keys.signing)
    }

    /// The clear body of an authenticated hop. A node under `gm` takes personal data only encrypted.
    func openBody(_ wire: WireMessage) throws(FederationError) -> String {
        if let opened = try sealer.open(wire.body, HopHeader(wire.envelope)) { return opened }
        if keys.suite == .gm, LinkSealer.sealedKinds.contains(wire.envelope.kind) {
            throw .notEncrypted(kind: wire.envelope.kind)
        }
        return wire.body
    }

    // MARK: Receiving

    /// Checks a delivered message, then relays or handles it. Throws `FederationError` for a message that must
    /// be refused; the refusal is written to the audit log and the log before it is thrown.
    public func receive(_ wire: WireMessage, remoteAddress: String?, now: Date = Date()) async throws -> WireReceipt {
        let envelope = wire.envelope
        let (_, body) = try await authenticate(wire, remoteAddress: remoteAddress, now: now)
        if try await store.federation.hasReceived(origin: envelope.origin, messageID: envelope.id) {
            return WireReceipt(outcome: .duplicate, messageID: envelope.id)
        }
        if envelope.destination != local {
            guard !envelope.kind.isCall else {
                throw FederationError.malformed(
                    BilingualText(
                        zh: "网关调用须发往 \(WireMessage.callPath)", en: "gateway calls go to \(WireMessage.callPath)"))
            }
            // A message is never sent back the way it came: that would bounce between two nodes until the outbox
            // gave up.
            guard let next = try await route().nextHop(to: envelope.destination), next != envelope.from else {
                throw FederationError.wrongRecipient(envelope.destination.code)
            }
            let queued = try await store.federation.acceptForRelay(
                OutboxDraft(
                    messageID: envelope.id, kind: envelope.kind, origin: envelope.origin,
                    destination: envelope.destination, nextHop: next, body: body),
                from: envelope.from, at: now)
            outboxSignal.notify()
            await recordReceived(envelope, outcome: "relayed to \(next.code)")
            return WireReceipt(outcome: queued ? .relayed : .duplicate, messageID: envelope.id)
        }
        try await handle(envelope, body: body, now: now)
        _ = try await store.federation.recordReceipt(
            origin: envelope.origin, messageID: envelope.id, kind: envelope.kind, from: envelope.from, at: now)
        await recordReceived(envelope, outcome: "handled")
        return WireReceipt(outcome: .handled, messageID: envelope.id)
    }

    /// Checks who sent a delivered hop — a registered peer, its signature, this node as recipient, the clock, and
    /// that the peer may carry a message from its origin — then opens its body; puts a refusal on the audit log
    /// before throwing it. Returns the peer and the clear body.
    func authenticate(_ wire: WireMessage, remoteAddress: String?, now: Date) async throws -> (Peer, String) {
        let envelope = wire.envelope
        do {
            guard let signed = wire.signed else {
                throw FederationError.malformed(
                    BilingualText(zh: "签名不是有效的 Base64", en: "the signature is not valid base64"))
            }
            let peer = try await store.federation.peer(envelope.from)
            try verifier.verify(signed, local: local, senderKeys: peer.map { $0.keys?.keys ?? [] }, now: now)
            guard let peer else { throw FederationError.unknownNode(envelope.from.code) }
            try Self.checkOrigin(envelope, sender: peer, local: local)
            return (peer, try openBody(wire))
        } catch let error as FederationError {
            await recordRejection(envelope, error, remoteAddress: remoteAddress)
            throw error
        }
    }

    /// A child speaks only for its own jurisdiction; a parent passes on messages from outside this node's.
    /// Without this, a county could forge a registration "from" its neighbour by signing the hop itself.
    static func checkOrigin(_ envelope: FederationEnvelope, sender: Peer, local: NodeRegion) throws(FederationError) {
        let allowed =
            switch sender.relation {
            case .child: sender.region.contains(envelope.origin)
            case .parent: !local.contains(envelope.origin)
            }
        guard allowed else {
            throw .malformed(
                BilingualText(
                    zh: "节点 \(sender.region.code) 不能转发来自 \(envelope.origin.code) 的消息",
                    en: "node \(sender.region.code) cannot carry a message from \(envelope.origin.code)"))
        }
    }

    func handle(_ envelope: FederationEnvelope, body: String, now: Date) async throws {
        switch envelope.kind {
        case .catalogRegistration:
            try requireBelow(envelope.origin)
            let registration = try FederationJSON.decode(CatalogRegistration.self, body)
            let mappings = try await store.remoteCatalog.applyRegistration(
                registration, from: envelope.origin, at: now)
            // The acknowledgement's id derives from the registration's, so a registration handled twice (after a
            // crash before its receipt was kept) queues one acknowledgement, not two.
            try await send(
                .catalogAcknowledgement, CatalogAcknowledgement(mappings: mappings), to: envelope.origin,
                messageID: "ack-\(envelope.id)")
        case .catalogAcknowledgement:
            // Only the parent this node registers with can tell it the codes it was given.
            guard envelope.origin == (try await route().parent) else {
                throw FederationError.malformed(
                    BilingualText(zh: "目录上报的答复只能来自上级平台", en: "registration answers come only from the parent"))
            }
            let acknowledgement = try FederationJSON.decode(CatalogAcknowledgement.self, body)
            try await store.remoteCatalog.recordAcknowledged(acknowledgement.mappings, at: now)
        case .reflowBatch:
            guard envelope.origin != local, envelope.origin.contains(local) else {
                throw FederationError.malformed(
                    BilingualText(zh: "回流数据只能来自上级平台", en: "returned data (回流) comes only from platforms above"))
            }
            let batch = try FederationJSON.decode(ReflowBatch.self, body)
            try batch.check()
            guard batch.regionPrefix.hasPrefix(local.codePrefix) else {
                throw FederationError.malformed(
                    BilingualText(
                        zh: "回流数据的区划 \(batch.regionPrefix) 不属于本节点",
                        en: "returned data for \(batch.regionPrefix) is not this node's"))
            }
            try await receiveReflow(batch, from: envelope.origin, now: now)
        case .monitoringReport:
            try requireBelow(envelope.origin)
            let report = try FederationJSON.decode(MonitoringReport.self, body)
            guard report.node.region == envelope.origin else {
                throw FederationError.malformed(
                    BilingualText(zh: "监测报告的节点与发送方不一致", en: "the monitoring report names another node"))
            }
            try await store.federation.saveMonitoringReport(body, origin: envelope.origin, at: now)
        case .applicationSubmission:
            guard let crossLevel else {
                throw FederationError.refused(
                    node: local.code, code: "applications_not_accepted",
                    message: BilingualText(zh: "本节点不受理跨层级申请", en: "this node takes no routed applications"))
            }
            let submission = try FederationJSON.decode(ApplicationSubmission.self, body)
            do {
                try await crossLevel.file(submission, from: envelope.origin)
            } catch let error as any HuitongError
                where [.badInput, .unprocessable, .notFound, .forbidden, .conflict]
                .contains(error.kind)
            {
                // An application this node can never accept is answered with a refusal, not refused as a
                // message: the sender's outbox would otherwise retry it for days.
                try await send(
                    .applicationDecision,
                    ApplicationDecisionNotice(
                        reference: submission.reference, applicationNumber: "—", state: .rejected,
                        reason: error.message.combined, grant: nil),
                    to: envelope.origin, messageID: "decision-\(submission.reference.prefix(36))-invalid")
            }
        case .applicationDecision:
            try await receiveDecision(
                try FederationJSON.decode(ApplicationDecisionNotice.self, body), from: envelope.origin, now: now)
        case .licenceIndex:
            try await receiveLicences(try FederationJSON.decode(LicenceIndexBatch.self, body), from: envelope.origin)
        case .gatewayCall, .gatewayResult, .licenceStatusCall, .licenceStatusResult:
            throw FederationError.malformed(
                BilingualText(
                    zh: "网关调用须发往 \(WireMessage.callPath)", en: "gateway calls go to \(WireMessage.callPath)"))
        }
    }

    func requireBelow(_ origin: NodeRegion) throws(FederationError) {
        guard origin != local, local.contains(origin) else {
            throw .malformed(
                BilingualText(
                    zh: "此类消息只能来自下级平台（来自 \(origin.code)）",
                    en: "this kind of message comes only from platforms below (came from \(origin.code))"))
        }
    }

    // MARK: Audit

    func recordRejection(_ envelope: FederationEnvelope, _ error: FederationError, remoteAddress: String?) async {
        logger.warning(
            "refused a cascade message",
            metadata: [
                "from": "\(envelope.from.code)", "origin": "\(envelope.origin.code)",
                "kind": "\(envelope.kind.rawValue)",
                "message_id": "\(envelope.id.prefix(64))", "reason": "\(error.code)",
                "remote": "\(remoteAddress ?? "-")",
            ])
        let address = remoteAddress ?? "-"
        let minute = Int64(Date().timeIntervalSince1970 / 60)
        let withinBudget = rejectionBudget.withLock { budget -> Bool in
            if budget.count > 10_000 { budget = budget.filter { $0.value.minute == minute } }
            var entry = budget[address].flatMap { $0.minute == minute ? $0 : nil } ?? (minute: minute, count: 0)
            entry.count += 1
            budget[address] = entry
            return entry.count <= Self.rejectionsAuditedPerMinute
        }
        guard withinBudget else { return }
        await appendAudit(
            AuditEvent(
                action: .federationRejected, purpose: envelope.kind.rawValue,
                outcome: .denied(reason: error.code),
                detail: [
                    "from": envelope.from.code, "origin": envelope.origin.code,
                    "message_id": String(envelope.id.prefix(64)), "remote": String((remoteAddress ?? "-").prefix(100)),
                ]))
    }

    func recordReceived(_ envelope: FederationEnvelope, outcome: String) async {
        await appendAudit(
            AuditEvent(
                action: .federationReceived, purpose: envelope.kind.rawValue, outcome: .allowed,
                detail: [
                    "from": envelope.from.code, "origin": envelope.origin.code, "message_id": envelope.id,
                    "handling": outcome,
                ]))
    }

    func appendAudit(_ event: AuditEvent) async {
        guard let audit else { return }
        do {
            _ = try await audit.append(event)
        } catch {
            logger.error("could not write a cascade event to the audit log", metadata: ["error": "\(error)"])
        }
    }
}

/// A wake-up call for the outbox deliverer: any number of notifications while it is busy collapse into one.
/// Waiting checks a flag every 50 ms instead of parking a continuation, which keeps it simple and costs nothing
/// measurable.
final class OutboxSignal: Sendable {
    private let pending = Atomic<Bool>(false)

    func notify() {
        pending.store(true, ordering: .releasing)
    }

    /// Returns when notified, after `timeout`, or when the task is cancelled.
    func wait(timeout: TimeInterval) async {
        let deadline = ContinuousClock.now + .milliseconds(Int64(timeout * 1_000))
        while ContinuousClock.now < deadline, !Task.isCancelled {
            if pending.exchange(false, ordering: .acquiringAndReleasing) { return }
            try? await Task.sleep(for: .milliseconds(50))
        }
    }
}
