import Foundation
import HTTPTypes
import HuitongCore
import HuitongServices
import HuitongStore
import Hummingbird
import NIOCore

/// Refusals of the public objection form that are not about its content.
enum PublicObjectionError: HuitongError {
    case tooManyRequests(window: Duration)

    var code: String { "too_many_objections" }
    var kind: ErrorKind { .tooManyRequests }

    var message: BilingualText {
        switch self {
        case .tooManyRequests(let window):
            let minutes = max(1, Int(window.components.seconds / 60))
            return BilingualText(
                zh: "提交过于频繁，请 \(minutes) 分钟后再试",
                en: "too many objections from this address; try again in \(minutes) minutes")
        }
    }
}

/// `/api/v1/objections` (数据异议) for signed-in officers, and `/api/v1/public/objections` for the public portal,
/// where anyone may object to an open dataset by leaving a contact, and follow the answer with the number and the
/// secret they were given.
///
/// Who may do what is decided by `ObjectionUseCases`; this type reads requests and writes responses. Values of the
/// record in question are masked for everyone but the entry's provider.
struct ObjectionsAPI {
    let service: ObjectionUseCases
    let limiter: PublicRequestLimiter
    /// Runs after a correction published a new pool version: the composition root queues the run that checks its
    /// quality, so that the provider gets the answer at once.
    let afterCorrection: (@Sendable (Objection) async -> Void)?

    var store: Store { service.store }

    init(
        service: ObjectionUseCases, afterCorrection: (@Sendable (Objection) async -> Void)? = nil
    ) {
        self.service = service
        self.afterCorrection = afterCorrection
        limiter = PublicRequestLimiter(
            limit: service.settings.publicLimit, window: service.settings.publicWindow)
    }

    func register(on api: RouterGroup<HuitongRequestContext>) {
        api.get("objections", use: list)
        api.post("objections", use: raise)
        api.get("objections/:id", use: detail)
        api.post("objections/:id/answer", use: answer)
        api.post("objections/:id/withdraw", use: withdraw)
        api.post("public/objections", use: raisePublic)
        api.get("public/objections/:number", use: track)
    }

    /// An objection as a client sees it, with whether it is overdue and, in the detail, its history.
    struct ObjectionBody: Codable {
        var objection: Objection
        var overdue: Bool
        var history: [ObjectionEvent]?

        enum Keys: String, CodingKey { case overdue, history }

        init(objection: Objection, overdue: Bool, history: [ObjectionEvent]? = nil) {
            self.objection = objection
            self.overdue = overdue
            self.history = history
        }

        init(from decoder: any Decoder) throws {
            objection = try Objection(from: decoder)
            let container = try decoder.container(keyedBy: Keys.self)
            overdue = try container.decode(Bool.self, forKey: .overdue)
            history = try container.decodeIfPresent([ObjectionEvent].self, forKey: .history)
        }

        func encode(to encoder: any Encoder) throws {
            try objection.encode(to: encoder)
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode(overdue, forKey: .overdue)
            try container.encodeIfPresent(history, forKey: .history)
        }
    }

    struct RaiseInput: Codable {
        var entryID: Int64?
        var resourceCode: String?
        var recordKey: [String: String]?
        var items: [String]?
        var description: String
        var evidence: String?
    }

    func raise(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let input = try await request.decodeJSON(RaiseInput.self, context: context)
        let draft = ObjectionDraft(
            entryID: try await entryID(input.entryID, input.resourceCode), recordKey: input.recordKey ?? [:],
            items: input.items ?? [], description: input.description, evidence: input.evidence ?? "")
        let objection = try await service.raise(draft, by: user)
        return try JSONResponse.make(try await body(objection, for: user), status: .created)
    }

    func list(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let query = request.uri.queryParameters
        var filter = ObjectionFilter()
        if let text = query["status"] {
            guard let state = ObjectionState.parse(String(text)) else {
                throw ValidationError(
                    field: "status",
                    BilingualText(
                        zh: "状态应为：\(ObjectionState.choices.zh)",
                        en: "status must be one of: \(ObjectionState.choices.en)"))
            }
            filter.state = state
        }
        let now = Date()
        if let text = query["overdue"] {
            switch String(text) {
            case "true", "1": filter.overdueAt = now
            case "false", "0": break
            default:
                throw ValidationError(
                    field: "overdue", BilingualText(zh: "应为 true 或 false", en: "must be true or false"))
            }
        }
        if let text = query["entryID"] {
            guard let id = Int64(String(text)), id > 0 else {
                throw ValidationError(field: "entryID", BilingualText(zh: "应为正整数", en: "must be a positive integer"))
            }
            filter.entryID = id
        }
        let objections = try await store.objections.list(ObjectionUseCases.scope(for: user), filter: filter)
        var items: [[InfoItem]?] = []
        var entries: [Int64: [InfoItem]] = [:]
        for objection in objections {
            if entries[objection.entryID] == nil {
                entries[objection.entryID] = try await store.catalog.find(id: objection.entryID)?.content.items ?? []
            }
            items.append(entries[objection.entryID])
        }
        return try JSONResponse.make(
            ListBody(
                items: zip(objections, items).map { objection, items in
                    ObjectionBody(
                        objection: ObjectionUseCases.view(objection, for: user, items: items ?? []),
                        overdue: objection.isOverdue(at: now))
                }))
    }

    func detail(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let objection = try await readable(context, user)
        var body = try await body(objection, for: user)
        body.history = try await store.objections.history(id: objection.id)
        return try JSONResponse.make(body)
    }

    struct AnswerInput: Codable {
        var kind: ObjectionAnswerKind
        var comment: String?
        var values: [String: String]?
    }

    func answer(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let input = try await request.decodeJSON(AnswerInput.self, context: context)
        let objection = try await service.answer(
            id: try context.id(), kind: input.kind, comment: input.comment ?? "", values: input.values ?? [:], by: user)
        if objection.state == .corrected, let afterCorrection {
            await afterCorrection(objection)
        }
        var body = try await body(objection, for: user)
        body.history = try await store.objections.history(id: objection.id)
        return try JSONResponse.make(body)
    }

    struct WithdrawInput: Codable {
        var comment: String?
    }

    func withdraw(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let input = try await request.decodeJSON(WithdrawInput.self, context: context)
        let objection = try await service.withdraw(id: try context.id(), comment: input.comment ?? "", by: user)
        return try JSONResponse.make(try await body(objection, for: user))
    }

    // MARK: Public portal

    struct PublicRaiseInput: Codable {
        var resourceCode: String
        var recordKey: [String: String]?
        var items: [String]?
        var description: String
        var evidence: String?
        var contact: ObjectionContact
    }

    /// What a portal user gets back: the number and the secret to follow the objection, never the text they sent.
    struct PublicReceipt: Codable {
        var number: String
        var trackingToken: String
        var state: ObjectionState
        var deadline: Date
    }

    /// The public form's body is small; larger is refused before it is read.
    static let publicBodyLimit = 16 * 1024

    func raisePublic(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        guard limiter.take(context.peerAddress ?? "unknown") else {
            throw PublicObjectionError.tooManyRequests(window: limiter.window)
        }
        let input = try await Self.decodePublic(request)
        let code = input.resourceCode.trimmingCharacters(in: .whitespacesAndNewlines)
        guard code.count <= 64, !code.isEmpty, let entry = try await store.catalog.find(code: code),
            entry.isOpenToPublic
        else {
            throw ValidationError(
                field: "resourceCode",
                BilingualText(zh: "没有该资源代码的开放数据集", en: "there is no open dataset with that resource code"))
        }
        let draft = ObjectionDraft(
            entryID: entry.id, recordKey: input.recordKey ?? [:], items: input.items ?? [],
            description: input.description, evidence: input.evidence ?? "")
        let (objection, token) = try await service.raisePublic(draft, contact: input.contact)
        return try JSONResponse.make(
            PublicReceipt(
                number: objection.number, trackingToken: token, state: objection.state, deadline: objection.deadline),
            status: .created)
    }

    /// What a portal user sees of their objection: where it stands and the answer, masked.
    struct PublicStatus: Codable {
        var number: String
        var resourceCode: String
        var state: ObjectionState
        var deadline: Date
        var createdAt: Date
        var answer: ObjectionAnswer?
    }

    static let trackingHeader = HTTPField.Name("X-Objection-Token")!

    func track(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let number = context.parameters.get("number") ?? ""
        let token = request.headers[Self.trackingHeader] ?? ""
        // One answer for a wrong number and a wrong secret, so that numbers cannot be probed; the number is named
        // only when it has the shape of one, so that nothing else typed into the address comes back.
        let wellFormed =
            number.count <= 32 && number.allSatisfy { $0.isASCII && ($0.isNumber || $0 == "-" || $0 == "Y") }
        guard wellFormed, token.count <= 128, !token.isEmpty,
            let objection = try await service.track(number: number, token: token)
        else { throw StoreError.notFound(entity: "objection", key: wellFormed ? number : "") }
        let items = try await store.catalog.find(id: objection.entryID)?.content.items ?? []
        let masked = ObjectionUseCases.view(objection, for: nil, items: items)
        return try JSONResponse.make(
            PublicStatus(
                number: masked.number, resourceCode: masked.resourceCode, state: masked.state,
                deadline: masked.deadline, createdAt: masked.createdAt, answer: masked.answer))
    }

    /// Decodes the public form strictly: a small body, and refusals that name fields by their schema only (a key
    /// sent by the client is never repeated back).
    static func decodePublic(_ request: Request) async throws -> PublicRaiseInput {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: publicBodyLimit)
        } catch {
            throw APIError.bodyTooLarge(limit: publicBodyLimit)
        }
        let decoder = JSONDecoder()
        do {
            return try decoder.decode(PublicRaiseInput.self, from: Data(buffer: buffer))
        } catch let error as DecodingError {
            // Paths through `recordKey` hold keys the client chose, and a corrupted value's description may quote
            // it: only the schema's own field names and fixed reasons are sent back.
            let known = ["resourceCode", "recordKey", "items", "description", "evidence", "contact"]
            guard case .malformedBody(let field?, let reason) = APIError(decoding: error) else {
                throw APIError.malformedBody(field: nil, reason: BilingualText(zh: "不是有效的 JSON", en: "not valid JSON"))
            }
            let top = field.split(whereSeparator: { $0 == "." || $0 == "[" }).first.map(String.init) ?? ""
            let plain = field.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._[]".contains($0)) }
            let named = known.contains(top) ? (plain && top != "recordKey" ? field : top) : nil
            if case .dataCorrupted = error {
                throw APIError.malformedBody(field: named, reason: BilingualText(zh: "格式错误", en: "is malformed"))
            }
            throw APIError.malformedBody(field: named, reason: reason)
        } catch {
            throw APIError.malformedBody(field: nil, reason: BilingualText(zh: "不是有效的 JSON", en: "not valid JSON"))
        }
    }

    // MARK: Helpers

    private func entryID(_ id: Int64?, _ code: String?) async throws -> Int64 {
        let code = code?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        switch (id, code.isEmpty) {
        case (let id?, true):
            return id
        case (nil, false):
            guard let entry = try await store.catalog.find(code: code) else {
                throw ValidationError(
                    field: "resourceCode", BilingualText(zh: "没有资源代码为 \(code) 的目录", en: "no entry has the code \(code)")
                )
            }
            return entry.id
        case (_?, false):
            throw ValidationError(
                field: "resourceCode",
                BilingualText(zh: "目录编号与资源代码只能填一个", en: "give either entryID or resourceCode, not both"))
        default:
            throw ValidationError(
                field: "entryID", BilingualText(zh: "请指明目录（编号或资源代码）", en: "name the entry by entryID or resourceCode"))
        }
    }

    /// The objection named by the path, if the caller may read it; 404 otherwise, so that other departments'
    /// objections do not reveal that they exist.
    private func readable(_ context: HuitongRequestContext, _ user: User) async throws -> Objection {
        let id = try context.id()
        guard let objection = try await store.objections.find(id: id), ObjectionUseCases.canRead(objection, user) else {
            throw StoreError.notFound(entity: "objection", key: "\(id)")
        }
        return objection
    }

    private func body(_ objection: Objection, for user: User) async throws -> ObjectionBody {
        let items = try await store.catalog.find(id: objection.entryID)?.content.items ?? []
        return ObjectionBody(
            objection: ObjectionUseCases.view(objection, for: user, items: items),
            overdue: objection.isOverdue(at: Date()))
    }
}
