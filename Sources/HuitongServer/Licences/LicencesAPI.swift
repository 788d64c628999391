import Foundation
import HuitongCore
import HuitongServices
import HuitongStore
import Hummingbird

/// E-licences for the departments that define and issue them: `/api/v1/licence-types` (证照目录) and
/// `/api/v1/licences` (issue — by an officer or the department's application system —, read, 变更, 注销/吊销). Licences are read by their issuer here; holders, users and
/// verifiers get their own routes.
struct LicencesAPI: Sendable {
    let service: LicenceUseCases

    func register(on api: RouterGroup<HuitongRequestContext>) {
        api.get("licence-types", use: types)
        api.post("licence-types", use: registerType)
        api.post("licence-types/:typeCode/batch", use: issueBatch)
        api.post("licences", use: issue)
        api.get("licences/:identifier", use: find)
        api.post("licences/:identifier/changes", use: change)
        api.post("licences/:identifier/end", use: end)
    }

    struct TypeBody: Codable {
        var type: LicenceType
        var definerDepartmentID: Int64
        var updatedAt: Date

        init(_ stored: StoredLicenceType) {
            type = stored.type
            definerDepartmentID = stored.definerDepartmentID
            updatedAt = stored.updatedAt
        }
    }

    struct LicenceBody: Codable {
        var licence: Licence
        /// The status as of today (a licence past its end reads expired before the sweep records it).
        var statusNow: LicenceStatus
        var events: [LicenceEvent]?

        init(_ licence: Licence, events: [LicenceEvent]? = nil) {
            self.licence = licence
            statusNow = licence.status(on: CalendarDate.today())
            self.events = events
        }
    }

    struct ChangeInput: Codable {
        var licence: LicenceIssueRequest
        var reason: String?
    }

    struct EndInput: Codable {
        /// `cancelled` (注销) or `revoked` (吊销).
        var kind: LicenceEventKind
        var reason: String
    }

    func types(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        _ = try context.requireUser()
        return try JSONResponse.make(["items": try await service.store.licences.types().map(TypeBody.init)])
    }

    func registerType(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let type = try await request.decodeJSON(LicenceType.self, context: context)
        return try JSONResponse.make(TypeBody(try await service.registerType(type, by: user)), status: .created)
    }

    func issue(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        // An issuing department's application system calls with its credential, as it calls the gateway.
        let actor = try Self.actor(context)
        let input = try await request.decodeJSON(LicenceIssueRequest.self, context: context)
        let licence = try await service.issue(input, by: actor)
        return try JSONResponse.make(
            LicenceBody(licence),
            status: .created)
    }

    /// A sheet of licences of one type (`?fileType=csv|xlsx`, XLSX by default): each row issued or refused with its
    /// problems by row and field; 422 when any row was refused.
    func issueBatch(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let actor = try Self.actor(context)
        let typeCode = context.parameters.get("typeCode") ?? ""
        let rows = try await request.sheetRows(upTo: CatalogTransferAPI.importLimit)
        let result = try await service.issueBatch(typeCode: typeCode, rows: rows, by: actor)
        return try JSONResponse.make(result, status: result.rejected.isEmpty ? .ok : .unprocessableContent)
    }

    /// An officer, or an application system calling with its credential.
    static func actor(_ context: HuitongRequestContext) throws -> LicenceActor {
        if let system = context.principal?.system { return .system(system.system) }
        return .officer(try context.requireUser())
    }

    func find(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let identifier = try Self.identifier(context)
        let (licence, events) = try await service.issued(identifier, readBy: user)
        return try JSONResponse.make(
            LicenceBody(licence, events: events))
    }

    func change(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let identifier = try Self.identifier(context)
        let input = try await request.decodeJSON(ChangeInput.self, context: context)
        let licence = try await service.change(identifier, to: input.licence, reason: input.reason, by: user)
        return try JSONResponse.make(
            LicenceBody(licence),
            status: .created)
    }

    func end(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let identifier = try Self.identifier(context)
        let input = try await request.decodeJSON(EndInput.self, context: context)
        let licence = try await service.end(identifier, as: input.kind, reason: input.reason, by: user)
        return try JSONResponse.make(
            LicenceBody(licence))
    }

    /// The licence named in the path, checked before anything is looked up.
    static func identifier(_ context: HuitongRequestContext) throws -> LicenceIdentifier {
        let raw = context.parameters.get("identifier") ?? ""
        do throws(IdentifierError) { return try LicenceIdentifier(raw) } catch {
            throw ValidationError(field: "identifier", error.message)
        }
    }
}
