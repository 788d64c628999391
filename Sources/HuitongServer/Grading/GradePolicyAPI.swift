import Foundation
import HuitongCore
import HuitongServices
import HuitongStore
import Hummingbird

/// The grade policy matrix (`/api/v1/governance/grade-policy`): every signed-in user may read what each security
/// grade allows; only the operator changes it, and a change is checked whole before it is saved.
struct GradePolicyAPI: Sendable {
    let store: Store

    func register(on api: RouterGroup<HuitongRequestContext>) {
        api.get("governance/grade-policy", use: get)
        api.put("governance/grade-policy", use: put)
    }

    struct Body: Codable {
        var grades: [String: GradeRule]
        /// `seed` until an operator saves a policy, then `operator`.
        var source: String
        var updatedAt: Date?
        var updatedBy: String?

        init(_ policy: GradePolicy, stored: StoredGradePolicy?) {
            grades = Dictionary(uniqueKeysWithValues: policy.rules.map { ($0.key.rawValue, $0.value) })
            source = stored == nil ? "seed" : "operator"
            updatedAt = stored?.updatedAt
            updatedBy = stored?.updatedBy.name
        }
    }

    func get(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        _ = try context.requireUser()
        let stored = try await store.gradePolicy.current()
        return try JSONResponse.make(Body(try stored?.policy ?? GradePolicy.seeded(), stored: stored))
    }

    func put(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let user = try context.require(.gradingManagePolicy)
        let policy = try await request.decodeJSON(GradePolicy.self, context: context)
        let stored = try await store.gradePolicy.save(policy, author: user.author)
        return try JSONResponse.make(Body(policy, stored: stored))
    }
}
