import Foundation
import HTTPTypes
import HuitongCore
import HuitongServices
import Hummingbird

/// The few `/api/v1` operations a caller may use without signing in. Every other route under `/api/v1` answers
/// 401 to an anonymous caller before its handler runs — before any id is looked up or any body is read — so that
/// no answer tells a stranger whether something exists or what a body must look like. The contract marks exactly
/// these operations `security: []` (or the developer key), and a test holds the two together.
enum AnonymousRoutes {
    /// `METHOD /path` as the router names its routes (`{name}` for a path parameter).
    static let operations: Set<String> = [
        "POST /api/v1/auth/login",
        "GET /api/v1/node",
        "GET /api/v1/federation/node",
        "POST /api/v1/public/objections",
        "GET /api/v1/public/objections/{number}",
        // Answers to a portal developer's X-API-Key, checked by the route itself (401 without one).
        "GET /api/v1/open/datasets/{reference}/rows",
        // Licence verification for anyone, and the certificates it rests on (电子证照 public verification).
        "GET /api/v1/licence-authority",
        "GET /api/v1/licence-seals",
        "POST /api/v1/licence-verifications",
        // 一件事 with their merged forms and reductions, as the portal shows them.
        "GET /api/v1/joint-services",
        "GET /api/v1/joint-services/{code}",
    ]

    /// Whether the matched route (`endpointPath`, nil when no route matched) needs a signed-in caller.
    static func requireSignIn(_ method: HTTPRequest.Method, endpointPath: String?) -> Bool {
        guard let path = endpointPath, path == "/api/v1" || path.hasPrefix("/api/v1/") else { return false }
        let method = method == .head ? HTTPRequest.Method.get : method
        return !operations.contains("\(method.rawValue) \(path)")
    }
}

/// Answers 405 with an `Allow` header when the path is one of the node's routes but the method is not (TRACE on
/// an entry, DELETE on a list), instead of the 404 the router gives any request it cannot route. Added to the
/// router last, so it runs only for requests no route took.
struct MethodNotAllowedMiddleware: RouterMiddleware {
    typealias Context = HuitongRequestContext

    /// One route's path, split into segments; `nil` segments are parameters.
    struct Pattern: Sendable {
        var segments: [String?]
        var methods: Set<String>
    }

    let patterns: [Pattern]

    /// The table of `router`'s routes, as they stand.
    init(routes: [Router<HuitongRequestContext>.RouteDescription]) {
        var byPath: [String: Set<String>] = [:]
        for route in routes {
            byPath[route.path.description, default: []].insert(route.method.rawValue)
        }
        patterns = byPath.map { path, methods in
            Pattern(
                segments: path.split(separator: "/").map { segment in
                    segment.hasPrefix("{") || segment.hasPrefix(":") || segment.contains("*") ? nil : String(segment)
                },
                methods: methods)
        }
    }

    /// The methods the route that `path` resolves to accepts, or nil when no route has that path. Literal
    /// segments win over parameters from the left, as the router's trie resolves them.
    func allowed(_ path: String) -> Set<String>? {
        let parts = path.split(separator: "/")
        var best: (rank: [Int], methods: Set<String>)?
        for pattern in patterns where pattern.segments.count == parts.count {
            var rank: [Int] = []
            var matches = true
            for (segment, part) in zip(pattern.segments, parts) {
                if let segment {
                    guard segment == part else {
                        matches = false
                        break
                    }
                    rank.append(0)
                } else {
                    rank.append(1)
                }
            }
            guard matches else { continue }
            if best == nil || rank.lexicographicallyPrecedes(best!.rank) { best = (rank, pattern.methods) }
        }
        return best?.methods
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        guard context.endpointPath == nil, let methods = allowed(request.uri.path),
            !methods.contains(request.method.rawValue)
        else {
            return try await next(request, context)
        }
        var response = try JSONResponse.make(
            ErrorBody(
                code: "method_not_allowed",
                message: BilingualText(zh: "此地址不支持该请求方法", en: "method not allowed for this resource")),
            status: .methodNotAllowed)
        response.headers[.allow] = methods.sorted().joined(separator: ", ")
        return response
    }
}
