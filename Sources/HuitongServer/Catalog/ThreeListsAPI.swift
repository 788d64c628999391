import Foundation
import HuitongCore
import HuitongServices
import HuitongStore
import Hummingbird

/// `/api/v1/lists/…` (三清单) and `/api/v1/information-systems` (信息系统).
///
/// Every officer may read the lists: they exist to make supply, demand and refusals visible across departments.
/// A department keeps its own negative-list rows and systems; the bureau keeps the responsibility list; any
/// department raises demands, and the bureau or the addressed provider closes them.
struct ThreeListsAPI {
    let store: Store

    func register(on api: RouterGroup<HuitongRequestContext>) {
        api.get("lists/negative", use: listNegative)
        api.post("lists/negative", use: createNegative)
        api.get("lists/negative/:id", use: getNegative)
        api.put("lists/negative/:id", use: updateNegative)
        api.delete("lists/negative/:id", use: deleteNegative)

        api.get("lists/responsibility", use: listResponsibility)
        api.post("lists/responsibility", use: createResponsibility)
        api.get("lists/responsibility/coverage", use: coverage)
        api.get("lists/responsibility/:id", use: getResponsibility)
        api.put("lists/responsibility/:id", use: updateResponsibility)
        api.delete("lists/responsibility/:id", use: deleteResponsibility)

        api.get("lists/demand", use: listDemand)
        api.post("lists/demand", use: createDemand)
        api.get("lists/demand/:id", use: getDemand)
        api.put("lists/demand/:id", use: updateDemand)
        api.post("lists/demand/:id/resolve", use: resolveDemand)

        api.get("information-systems", use: listSystems)
        api.post("information-systems", use: createSystem)
        api.get("information-systems/:id", use: getSystem)
        api.put("information-systems/:id", use: updateSystem)
        api.delete("information-systems/:id", use: deleteSystem)
    }

    // MARK: Negative list

    struct NegativeInput: Codable {
        var departmentID: Int64?
        var kind: NegativeListKind
        var resource: String
        var items: String?
        var reason: String
        var legalBasis: String
        var reviewer: String?
        var reviewBy: CalendarDate?

        var draft: NegativeListDraft {
            NegativeListDraft(
                kind: kind, resource: resource, items: items ?? "", reason: reason, legalBasis: legalBasis,
                reviewer: reviewer ?? "", reviewBy: reviewBy)
        }
    }

    func listNegative(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        _ = try context.requireUser()
        let department = try departmentFilter(request)
        return try JSONResponse.make(ListBody(items: try await store.lists.listNegative(departmentID: department)))
    }

    func createNegative(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let input = try await request.decodeJSON(NegativeInput.self, context: context)
        let department = try owningDepartment(input.departmentID, context, .catalogManageNegativeList)
        let row = try await store.lists.createNegative(try input.draft.validated(), departmentID: department)
        return try JSONResponse.make(row, status: .created)
    }

    func getNegative(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        _ = try context.requireUser()
        return try JSONResponse.make(try await negative(context))
    }

    func updateNegative(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let existing = try await negative(context)
        _ = try owningDepartment(existing.departmentID, context, .catalogManageNegativeList)
        let input = try await request.decodeJSON(NegativeInput.self, context: context)
        let row = try await store.lists.updateNegative(id: existing.id, with: try input.draft.validated())
        return try JSONResponse.make(row)
    }

    func deleteNegative(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let existing = try await negative(context)
        _ = try owningDepartment(existing.departmentID, context, .catalogManageNegativeList)
        try await store.lists.deleteNegative(id: existing.id)
        return Response(status: .noContent)
    }

    private func negative(_ context: HuitongRequestContext) async throws -> NegativeListRow {
        try await found("negative-list row", context) { try await store.lists.findNegative(id: $0) }
    }

    // MARK: Responsibility list

    struct ResponsibilityInput: Codable {
        var departmentID: Int64
        var basis: String
        var resourceName: String
        var entryID: Int64?
        var items: String?
        var shareType: ShareType?
        var openness: Openness?
        var updateCycle: UpdateCycle?
        var channel: ShareChannel?
        var office: String?
        var contact: String?
        var dueBy: CalendarDate?

        var draft: ResponsibilityDraft {
            ResponsibilityDraft(
                basis: basis, resourceName: resourceName, entryID: entryID, items: items ?? "",
                shareType: shareType ?? .conditional, openness: openness ?? .closed,
                updateCycle: updateCycle ?? .irregular, channel: channel ?? .interface, office: office ?? "",
                contact: contact ?? "", dueBy: dueBy)
        }
    }

    func listResponsibility(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        _ = try context.requireUser()
        let department = try departmentFilter(request)
        return try JSONResponse.make(
            ListBody(items: try await store.lists.listResponsibility(departmentID: department)))
    }

    func createResponsibility(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try context.require(.catalogManageResponsibilityList)
        let input = try await request.decodeJSON(ResponsibilityInput.self, context: context)
        let row = try await store.lists.createResponsibility(
            try input.draft.validated(), departmentID: input.departmentID)
        return try JSONResponse.make(row, status: .created)
    }

    func getResponsibility(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        _ = try context.requireUser()
        return try JSONResponse.make(try await responsibility(context))
    }

    func updateResponsibility(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try context.require(.catalogManageResponsibilityList)
        let existing = try await responsibility(context)
        let input = try await request.decodeJSON(ResponsibilityInput.self, context: context)
        if input.departmentID != existing.departmentID {
            throw ValidationError(
                field: "departmentID",
                BilingualText(zh: "责任部门不能更改，请删除后重新登记", en: "the department cannot change; delete and re-create"))
        }
        let row = try await store.lists.updateResponsibility(id: existing.id, with: try input.draft.validated())
        return try JSONResponse.make(row)
    }

    func deleteResponsibility(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try context.require(.catalogManageResponsibilityList)
        let existing = try await responsibility(context)
        try await store.lists.deleteResponsibility(id: existing.id)
        return Response(status: .noContent)
    }

    struct CoverageBody: Codable {
        var promised: Int
        var fulfilled: Int
        var departments: [CoverageLineBody]
    }

    struct CoverageLineBody: Codable {
        var departmentID: Int64
        var departmentName: String
        var promised: Int
        var fulfilled: Int
        var rate: Double
        var missing: [ResponsibilityRow]
    }

    func coverage(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        _ = try context.requireUser()
        let lines = try await store.lists.coverage()
        return try JSONResponse.make(
            CoverageBody(
                promised: lines.map(\.promised).reduce(0, +), fulfilled: lines.map(\.fulfilled).reduce(0, +),
                departments: lines.map {
                    CoverageLineBody(
                        departmentID: $0.departmentID, departmentName: $0.departmentName, promised: $0.promised,
                        fulfilled: $0.fulfilled, rate: ($0.rate * 1000).rounded() / 1000, missing: $0.missing)
                }))
    }

    private func responsibility(_ context: HuitongRequestContext) async throws -> ResponsibilityRow {
        try await found("responsibility-list row", context) { try await store.lists.findResponsibility(id: $0) }
    }

    // MARK: Demand list

    struct DemandInput: Codable {
        var departmentID: Int64?
        var scenario: String
        var requestedData: String
        var expectedProviderID: Int64?
        var purpose: String
        var basis: String
        var channel: ShareChannel?
        var frequency: UpdateCycle?
        var neededBy: CalendarDate?

        var draft: DemandDraft {
            DemandDraft(
                scenario: scenario, requestedData: requestedData, expectedProviderID: expectedProviderID,
                purpose: purpose, basis: basis, channel: channel ?? .interface, frequency: frequency ?? .irregular,
                neededBy: neededBy)
        }
    }

    func listDemand(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        _ = try context.requireUser()
        let department = try departmentFilter(request)
        return try JSONResponse.make(ListBody(items: try await store.lists.listDemand(departmentID: department)))
    }

    func createDemand(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let input = try await request.decodeJSON(DemandInput.self, context: context)
        let department = try owningDepartment(input.departmentID, context, .catalogRaiseDemand)
        let row = try await store.lists.createDemand(try input.draft.validated(), departmentID: department)
        return try JSONResponse.make(row, status: .created)
    }

    func getDemand(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        _ = try context.requireUser()
        return try JSONResponse.make(try await demand(context))
    }

    func updateDemand(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let existing = try await demand(context)
        _ = try owningDepartment(existing.departmentID, context, .catalogRaiseDemand)
        let input = try await request.decodeJSON(DemandInput.self, context: context)
        let row = try await store.lists.updateDemand(id: existing.id, with: try input.draft.validated())
        return try JSONResponse.make(row)
    }

    func resolveDemand(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let existing = try await demand(context)
        // Closing is the addressed provider department's (none addressed: the bureau's only).
        try context.require(.catalogResolveDemand, department: existing.content.expectedProviderID)
        let resolution = try await request.decodeJSON(DemandResolution.self, context: context)
        return try JSONResponse.make(try await store.lists.resolveDemand(id: existing.id, resolution))
    }

    private func demand(_ context: HuitongRequestContext) async throws -> DemandRow {
        try await found("demand-list row", context) { try await store.lists.findDemand(id: $0) }
    }

    // MARK: Information systems

    struct SystemInput: Codable {
        var departmentID: Int64?
        var name: String
        var description: String?
        var status: SystemStatus?
    }

    func listSystems(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        _ = try context.requireUser()
        let department = try departmentFilter(request)
        return try JSONResponse.make(
            ListBody(items: try await store.informationSystems.list(departmentID: department)))
    }

    func createSystem(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let input = try await request.decodeJSON(SystemInput.self, context: context)
        let department = try owningDepartment(input.departmentID, context, .catalogManageInformationSystems)
        let (name, description) = try Self.validated(input)
        let system = try await store.informationSystems.create(
            departmentID: department, name: name, description: description, status: input.status ?? .inUse)
        return try JSONResponse.make(system, status: .created)
    }

    func getSystem(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        _ = try context.requireUser()
        return try JSONResponse.make(try await system(context))
    }

    func updateSystem(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let existing = try await system(context)
        _ = try owningDepartment(existing.departmentID, context, .catalogManageInformationSystems)
        let input = try await request.decodeJSON(SystemInput.self, context: context)
        let (name, description) = try Self.validated(input)
        let system = try await store.informationSystems.update(
            id: existing.id, name: name, description: description, status: input.status ?? existing.status)
        return try JSONResponse.make(system)
    }

    func deleteSystem(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let existing = try await system(context)
        _ = try owningDepartment(existing.departmentID, context, .catalogManageInformationSystems)
        try await store.informationSystems.delete(id: existing.id)
        return Response(status: .noContent)
    }

    static func validated(_ input: SystemInput) throws(ValidationError) -> (String, String) {
        let name = input.name.trimmingCharacters(in: .whitespacesAndNewlines)
        let description = (input.description ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        var issues = ValidationCollector()
        if name.isEmpty || name.count > 100 {
            issues.add("name", BilingualText(zh: "系统名称须为 1–100 个字符", en: "name must be 1–100 characters"))
        }
        if description.count > 2000 {
            issues.add("description", BilingualText(zh: "描述不能超过 2000 字", en: "description is too long"))
        }
        try issues.throwIfAny()
        return (name, description)
    }

    private func system(_ context: HuitongRequestContext) async throws -> InformationSystem {
        try await found("information system", context) { try await store.informationSystems.find(id: $0) }
    }

    // MARK: Shared

    /// The record named by the path's `id`, or a 404 that says what was looked for.
    private func found<Value>(
        _ entity: String, _ context: HuitongRequestContext, _ find: (Int64) async throws -> Value?
    ) async throws -> Value {
        let id = try context.id()
        guard let value = try await find(id) else { throw StoreError.notFound(entity: entity, key: "\(id)") }
        return value
    }

    /// `?departmentID=` when given, else every department.
    private func departmentFilter(_ request: Request) throws(ValidationError) -> Int64? {
        guard let text = request.uri.queryParameters["departmentID"] else { return nil }
        guard let id = Int64(String(text)), id > 0 else {
            throw ValidationError(
                field: "departmentID", BilingualText(zh: "部门编号须为正整数", en: "departmentID must be a positive integer"))
        }
        return id
    }

    /// The department a write is for: the caller's own, or another one when `action` reaches it (the operator).
    private func owningDepartment(_ asked: Int64?, _ context: HuitongRequestContext, _ action: OfficerAction) throws
        -> Int64
    {
        let user = try context.require(action)
        guard let asked, asked != user.departmentID else { return user.departmentID }
        try AccessPolicy.require(user, action, department: asked)
        return asked
    }
}
