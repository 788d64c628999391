import Foundation
import HuitongCore
import HuitongServices
import HuitongStore
import Hummingbird

/// `/api/v1/code-sets`: the code sets (代码集) data items take their values from. Every officer may read them; the
/// bureau keeps them.
///
/// Ids such as `GB/T 2261.1-2003` contain `/` and spaces, so the path carries them percent-encoded:
/// `/api/v1/code-sets/GB%2FT%202261.1-2003`.
struct CodeSetsAPI {
    let store: Store

    func register(on api: RouterGroup<HuitongRequestContext>) {
        api.get("code-sets", use: list)
        api.get("code-sets/:id", use: get)
        api.put("code-sets/:id", use: put)
    }

    /// A code set as a client writes it; the id comes from the path.
    struct CodeSetInput: Codable {
        var name: Name
        var codes: [CodeSet.Code]

        /// The English name may be left out; it then repeats the Chinese one.
        struct Name: Codable {
            var zh: String
            var en: String?
        }
    }

    func list(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        _ = try context.requireUser()
        return try JSONResponse.make(ListBody(items: try await store.codeSets.list()))
    }

    func get(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        _ = try context.requireUser()
        let id = try context.codeSetID()
        guard let codeSet = try await store.codeSets.find(id: id) else {
            throw StoreError.notFound(entity: "code set", key: id)
        }
        return try JSONResponse.make(codeSet)
    }

    /// Creates the code set, or replaces its name and codes (201 when new, 200 when replaced).
    func put(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try context.require(.catalogManageCodeSets)
        let id = try context.codeSetID()
        let input = try await request.decodeJSON(CodeSetInput.self, context: context)
        let codeSet = try CodeSet(
            id: id, name: BilingualText(zh: input.name.zh, en: input.name.en ?? ""), codes: input.codes
        ).validated()
        let created = try await store.codeSets.save(codeSet)
        return try JSONResponse.make(codeSet, status: created ? .created : .ok)
    }
}

extension HuitongRequestContext {
    /// The code set id of the path, percent-decoded (`GB%2FT%202261.1-2003` → `GB/T 2261.1-2003`).
    func codeSetID() throws(ValidationError) -> String {
        guard let raw = parameters.get("id"), let id = raw.removingPercentEncoding, !id.isEmpty else {
            throw ValidationError(
                field: "id",
                BilingualText(
                    zh: "代码集标识须按 URL 编码，如 GB%2FT%202261.1-2003",
                    en: "give the code set id URL-encoded, e.g. GB%2FT%202261.1-2003"))
        }
        return id
    }
}
