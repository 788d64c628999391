import Hummingbird

/// Query strings are `application/x-www-form-urlencoded`, as a browser sends a `method="get"` form: "+" is a
/// space. Hummingbird's `uri.queryParameters` only percent-decodes, so this middleware, ahead of every route (API,
/// portal, console, gateway), rewrites each "+" of the query to "%20"; an encoded plus ("%2B") stays a plus.
///
/// It runs after authentication, because a signed request's signature covers the query exactly as sent.
struct FormQueryMiddleware: RouterMiddleware {
    typealias Context = HuitongRequestContext

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let rewritten = Self.decodingPlus(request.head.path) else { return try await next(request, context) }
        var head = request.head
        head.path = rewritten
        return try await next(Request(head: head, body: request.body), context)
    }

    /// The path with its query's "+" signs spelled "%20", or nil when there are none.
    static func decodingPlus(_ path: String?) -> String? {
        guard let path, let mark = path.firstIndex(of: "?") else { return nil }
        let query = path[mark...]
        guard query.contains("+") else { return nil }
        return String(path[..<mark]) + query.replacingOccurrences(of: "+", with: "%20")
    }
}
