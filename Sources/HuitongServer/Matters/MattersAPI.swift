import Foundation
import HuitongCore
import HuitongServices
import HuitongStore
import Hummingbird

/// `/api/v1/matters` (政务服务事项) and `/api/v1/joint-services` (一件事): departments list and link their matters,
/// compose joint services, and accepting systems have a joint service's form filled in for consenting applicants.
/// Joint services with their merged forms are public, as the portal shows them.
struct MattersAPI: Sendable {
    let service: MatterUseCases

    func register(on api: RouterGroup<HuitongRequestContext>) {
        api.get("matters", use: list)
        api.post("matters", use: save)
        api.post("matters/import", use: importSheet)
        api.get("matters/:code", use: find)
        api.delete("matters/:code", use: delete)
        api.get("joint-services", use: jointServices)
        api.post("joint-services", use: saveJointService)
        api.post("joint-services/preview", use: preview)
        api.get("joint-services/:code", use: jointService)
        api.delete("joint-services/:code", use: deleteJointService)
        api.post("joint-services/:code/prefill", use: prefill)
    }

    struct MatterInput: Codable {
        var matter: MatterDraft
        /// The implementing department; the caller's own when absent (the operator may name another).
        var departmentID: Int64?
    }

    struct SavedMatter: Codable {
        var matter: Matter
        var demandsRaised: [String]
    }

    struct JointServiceInput: Codable {
        var jointService: JointServiceDraft
        var leadDepartmentID: Int64?
    }

    func list(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        _ = try context.requireUser()
        var department: Int64?
        if let text = request.uri.queryParameters["department"] {
            guard let id = Int64(String(text)), id > 0 else {
                throw ValidationError(
                    field: "department",
                    BilingualText(zh: "部门编号须为正整数", en: "the department id must be a positive whole number"))
            }
            department = id
        }
        return try JSONResponse.make(["items": try await service.matters(departmentID: department)])
    }

    func find(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        _ = try context.requireUser()
        return try JSONResponse.make(try await service.matter(code: context.parameters.get("code") ?? ""))
    }

    func save(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let input = try await request.decodeJSON(MatterInput.self, context: context)
        let (matter, demands) = try await service.save(input.matter, departmentID: input.departmentID, by: user)
        return try JSONResponse.make(SavedMatter(matter: matter, demandsRaised: demands), status: .created)
    }

    /// A 办事指南 sheet (CSV or XLSX); `?dryRun=true` checks it without saving. 422 when any row was refused.
    func importSheet(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let dryRun = request.uri.queryParameters["dryRun"].map { $0 == "true" || $0 == "1" } ?? false
        let rows = try await request.sheetRows(upTo: CatalogTransferAPI.importLimit)
        let report = try await service.importSheet(rows, by: user, dryRun: dryRun)
        return try JSONResponse.make(report, status: report.errors.isEmpty ? .ok : .unprocessableContent)
    }

    func delete(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let user = try context.requireUser()
        try await service.delete(code: context.parameters.get("code") ?? "", by: user)
        return Response(status: .noContent)
    }

    /// A joint service as anyone may see it: what it joins and what the applicant fills in and hands in — not the
    /// node's internal ids, the accepting system or the decisions behind the form.
    struct PublicJointService: Codable {
        var code: String
        var name: String
        var summary: String
        var leadDepartmentName: String
        var matters: [JointServiceView.MatterSummary]
        var form: MergedForm

        init(_ view: JointServiceView) {
            code = view.service.code
            name = view.service.content.name
            summary = view.service.content.summary
            leadDepartmentName = view.leadDepartmentName
            matters = view.matters
            form = view.form
        }
    }

    func jointServices(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try JSONResponse.make(["items": try await service.jointServices().map(PublicJointService.init)])
    }

    func jointService(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try JSONResponse.make(
            PublicJointService(try await service.jointService(code: context.parameters.get("code") ?? "")))
    }

    func saveJointService(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let input = try await request.decodeJSON(JointServiceInput.self, context: context)
        let view = try await service.saveJointService(
            input.jointService, leadDepartmentID: input.leadDepartmentID, by: user)
        return try JSONResponse.make(view, status: .created)
    }

    /// The merged form of matters not yet saved as a joint service: the builder's preview.
    func preview(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let input = try await request.decodeJSON(JointServiceInput.self, context: context)
        return try JSONResponse.make(try await service.preview(input.jointService, by: user))
    }

    func deleteJointService(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let user = try context.requireUser()
        try await service.deleteJointService(code: context.parameters.get("code") ?? "", by: user)
        return Response(status: .noContent)
    }

    /// Called by the joint service's accepting system with its credential, or by a consumer officer of the lead
    /// department.
    func prefill(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let actor = try LicencesAPI.actor(context)
        let input = try await request.decodeJSON(PrefillRequest.self, context: context)
        return try JSONResponse.make(
            try await service.prefill(code: context.parameters.get("code") ?? "", input, by: actor))
    }
}
