import AsyncHTTPClient
import Foundation
import HuitongCore
import HuitongStore
import NIOCore
import NIOFoundationCompat

/// What the owning node does with routed applications and calls. It needs the sharing workflow and the
/// gateway, which live in the server, so the server provides it.
public protocol CrossLevelHandler: Sendable {
    /// Files a routed application as a local one; a repeat of one already filed does nothing.
    func file(_ submission: ApplicationSubmission, from origin: NodeRegion) async throws
    /// The notice for the application standing for a routed one, once it is decided; nil while it is not.
    func notice(for incoming: IncomingApplication) async throws -> ApplicationDecisionNotice?
    /// Serves a routed key lookup under the local grant and masking, on the local audit log.
    func serve(_ call: RemoteCall, from origin: NodeRegion) async throws -> RemoteCallResult
}

extension FederationNode {
    // MARK: The consumer's side

    /// Sends an application of `department` for the entry `resourceCode` owned by `owner`.
    public func apply(
        for resourceCode: String, owner: NodeRegion, draft: ApplicationDraft, department: Department,
        applicant: ChangeAuthor
    ) async throws -> OutgoingApplication {
        guard owner != local else {
            throw FederationError.malformed(
                BilingualText(zh: "本节点的目录请直接申请", en: "apply for this node's own entries directly"))
        }
        _ = try await route().nextHop(to: owner)  // fails now, not in the outbox, when the owner is unreachable
        let reference = UUID().uuidString.lowercased()
        let application = try await store.crossLevel.createOutgoing(
            reference: reference, owner: owner, resourceCode: resourceCode, consumerDepartmentID: department.id,
            applicant: applicant, draft: draft, at: Date())
        let submission = ApplicationSubmission(
            reference: reference, resourceCode: resourceCode,
            consumer: RemoteConsumer(
                name: department.name, code: department.code, creditCode: department.creditCode,
                regionCode: department.regionCode),
            applicantName: applicant.name, draft: draft)
        try await send(.applicationSubmission, submission, to: owner, messageID: "apply-\(reference)")
        return application
    }

    func receiveDecision(_ notice: ApplicationDecisionNotice, from origin: NodeRegion, now: Date) async throws {
        // Only the node the application went to decides it: a reference seen on the way is no authority.
        guard let sent = try await store.crossLevel.outgoing(reference: notice.reference), sent.owner == origin,
            let application = try await store.crossLevel.recordDecision(notice, at: now)
        else {
            throw FederationError.malformed(
                BilingualText(zh: "没有编号为 \(notice.reference) 的跨层级申请", en: "no routed application \(notice.reference)"))
        }
        let title = BilingualText(
            zh: "跨层级申请 \(notice.applicationNumber)：\(notice.state.label.zh)",
            en: "routed application \(notice.applicationNumber): \(notice.state.label.en)")
        let body = BilingualText(
            zh:
                "\(application.owner.code) 节点对“\(application.resourceCode)”的申请作出决定\(notice.reason.map { "：\($0)" } ?? "")",
            en:
                "node \(application.owner.code) decided on \(application.resourceCode)\(notice.reason.map { ": \($0)" } ?? "")"
        )
        let audience: NotificationAudience =
            application.applicantID.map { .user($0) } ?? .department(application.consumerDepartmentID, .consumer)
        try await store.notifications.send(
            [NotificationDraft(audience: audience, kind: .applicationDecided, title: title, body: body)], at: now)
    }

    // MARK: The owner's side

    /// Sends back the decision on every routed application decided (or decided again) since the last notice.
    /// Runs beside the outbox, so a decision taken while the consumer's node is down still reaches it.
    @discardableResult
    public func forwardDecisions() async throws -> Int {
        guard let crossLevel else { return 0 }
        var sent = 0
        for (incoming, state) in try await store.crossLevel.incomingAwaitingNotice() {
            // One decision that cannot be sent (its node was removed, say) must not hold up the others.
            do {
                if let notice = try await crossLevel.notice(for: incoming) {
                    try await send(
                        .applicationDecision, notice, to: incoming.origin,
                        messageID: "decision-\(incoming.reference.prefix(36))-\(state)")
                    sent += 1
                }
                try await store.crossLevel.markNoticeSent(
                    origin: incoming.origin, reference: incoming.reference, state: state)
            } catch {
                logger.warning(
                    "could not send back a routed decision",
                    metadata: ["origin": "\(incoming.origin.code)", "error": "\(error)"])
            }
        }
        return sent
    }

    // MARK: Routed calls

    /// Looks keys up in an entry `owner` holds, through the tree, and returns what the owner's grant lets through.
    public func call(_ call: RemoteCall, owner: NodeRegion) async throws -> RemoteCallResult {
        try FederationJSON.decode(
            RemoteCallResult.self,
            try await forwardCall(
                id: UUID().uuidString.lowercased(), kind: .gatewayCall, origin: local, destination: owner,
                body: try FederationJSON.encode(call)))
    }

    /// Asks the node that issued a licence where it stands now (routed verification), through the tree.
    public func licenceStatus(_ query: LicenceStatusQuery, issuingNode: NodeRegion) async throws -> LicenceStatusAnswer
    {
        try FederationJSON.decode(
            LicenceStatusAnswer.self,
            try await forwardCall(
                id: UUID().uuidString.lowercased(), kind: .licenceStatusCall, origin: local, destination: issuingNode,
                body: try FederationJSON.encode(query)))
    }

    /// Carries a call (`kind`: a gateway call or a licence status call) one hop towards `destination`; returns the
    /// answer's body, checked and opened.
    func forwardCall(
        id: String, kind: FederationMessageKind, origin: NodeRegion, destination: NodeRegion, body: String
    ) async throws -> String {
        let resultKind: FederationMessageKind = kind == .licenceStatusCall ? .licenceStatusResult : .gatewayResult
        guard let next = try await route().nextHop(to: destination),
            let peer = try await store.federation.peer(next)
        else { throw FederationError.unknownNode(destination.code) }
        let message = try sign(
            HopHeader(id: id, kind: kind, origin: origin, destination: destination, from: local, to: next),
            body: body, to: peer)
        var request = HTTPClientRequest(url: peer.baseURL + WireMessage.callPath)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(data: try FederationJSON.encoder.encode(WireMessage(message))))
        let response: HTTPClientResponse
        let answer: ByteBuffer
        do {
            response = try await HTTPClient.shared.execute(
                request, timeout: .seconds(Int64(settings.requestTimeout)))
            answer = try await response.body.collect(upTo: WireMessage.maximumSize)
        } catch {
            throw FederationError.unreachable(node: next.code, reason: "\(error)")
        }
        guard response.status.code == 200 else {
            // The next hop's own error (the owner's refusal, passed back along the way) is handed on as it is.
            if let failure = try? FederationJSON.decoder.decode(RemoteFailure.self, from: Data(buffer: answer)) {
                throw FederationError.refused(
                    node: next.code, code: failure.error.code,
                    message: BilingualText(zh: failure.error.message, en: failure.error.message))
            }
            throw FederationError.refused(
                node: next.code, code: "http_\(response.status.code)",
                message: BilingualText(
                    zh: "对端返回 \(response.status.code)", en: "the peer answered \(response.status.code)"))
        }
        let wire: WireMessage
        do {
            wire = try FederationJSON.decoder.decode(WireMessage.self, from: Data(buffer: answer))
        } catch {
            throw FederationError.malformed(BilingualText(zh: "对端的应答无法解析", en: "the peer's answer cannot be read"))
        }
        guard let signed = wire.signed, wire.envelope.kind == resultKind, wire.envelope.id == id,
            wire.envelope.from == next
        else { throw FederationError.badSignature(next.code) }
        try verifier.verify(signed, local: local, senderKeys: peer.keys?.keys ?? [])
        return try openBody(wire)
    }

    /// Answers a forwarded call: passes it on towards its owner, or serves it here, and signs the answer for the
    /// node that asked.
    public func answerCall(_ wire: WireMessage, remoteAddress: String?, now: Date = Date()) async throws -> WireMessage
    {
        let envelope = wire.envelope
        let (caller, body) = try await authenticate(wire, remoteAddress: remoteAddress, now: now)
        guard envelope.kind == .gatewayCall || envelope.kind == .licenceStatusCall else {
            throw FederationError.malformed(
                BilingualText(zh: "此地址只接受转发的调用", en: "this address takes routed calls only"))
        }
        // A call carries no state to repeat harmlessly: a replayed one is refused, not served again.
        guard
            try await store.federation.recordReceipt(
                origin: envelope.origin, messageID: envelope.id, kind: envelope.kind, from: envelope.from, at: now)
        else {
            let replayed = FederationError.malformed(
                BilingualText(zh: "重复的调用消息已拒绝", en: "a repeated call message was refused"))
            await recordRejection(envelope, replayed, remoteAddress: remoteAddress)
            throw replayed
        }
        let result: String
        if envelope.destination == local {
            result = try await serveCall(envelope, body: body)
        } else {
            result = try await forwardCall(
                id: envelope.id, kind: envelope.kind, origin: envelope.origin, destination: envelope.destination,
                body: body)
            await recordReceived(envelope, outcome: "relayed call")
        }
        let answer = try sign(
            HopHeader(
                id: envelope.id, kind: envelope.kind == .licenceStatusCall ? .licenceStatusResult : .gatewayResult,
                origin: local, destination: envelope.origin, from: local, to: envelope.from),
            body: result, to: caller)
        return WireMessage(answer)
    }

    /// Serves a call addressed to this node: a key lookup under the local grant, or a licence's status.
    private func serveCall(_ envelope: FederationEnvelope, body: String) async throws -> String {
        if envelope.kind == .licenceStatusCall {
            guard let licences else {
                throw FederationError.refused(
                    node: local.code, code: "no_licence_library",
                    message: BilingualText(zh: "本节点未启用电子证照库", en: "this node keeps no licence library"))
            }
            return try FederationJSON.encode(
                try await licences.status(of: try FederationJSON.decode(LicenceStatusQuery.self, body)))
        }
        guard let crossLevel else {
            throw FederationError.refused(
                node: local.code, code: "calls_not_served",
                message: BilingualText(zh: "本节点不受理转发的调用", en: "this node does not serve routed calls"))
        }
        return try FederationJSON.encode(
            try await crossLevel.serve(try FederationJSON.decode(RemoteCall.self, body), from: envelope.origin))
    }
}

/// An error body as every node's API writes it: `{"error": {"code", "message"}}`.
struct RemoteFailure: Decodable {
    struct Detail: Decodable {
        var code: String
        var message: String
    }

    var error: Detail
}
