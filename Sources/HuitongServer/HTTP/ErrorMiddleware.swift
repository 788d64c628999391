import Foundation
import HTTPTypes
import HuitongCore
import HuitongServices
import Hummingbird
import Logging

/// Turns every error into the response its caller can use: JSON `{"error": …}` for the API, an HTML page for
/// browsers. Unexpected errors are logged in full and answered with a generic 500 so that nothing internal leaks.
/// Every response, answer or error, says `X-Content-Type-Options: nosniff`: a browser takes each for what its
/// content type says, never a JSON body with a guessed script or page in it.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = HuitongRequestContext
    let pages: PageRenderer

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            let (status, body, message) = Self.describe(error, path: request.uri.path, logger: context.logger)
            if Self.wantsHTML(request) {
                // A page speaks the reader's language only; the JSON body carries both.
                response = pages.errorPage(status: status, message: message.text(context.language), context: context)
            } else {
                response = try JSONResponse.make(body, status: status)
            }
        }
        response.headers[.xContentTypeOptions] = "nosniff"
        return response
    }

    /// The status, the JSON body and the message of `error`; a form's problems are each told as written for
    /// their field, not by the fields' codes.
    static func describe(_ error: any Error, path: String, logger: Logger) -> (
        HTTPResponse.Status, ErrorBody, BilingualText
    ) {
        let (status, body) = describeBody(error, path: path, logger: logger)
        if let error = error as? ValidationError, !error.issues.isEmpty {
            return (
                status, body,
                BilingualText(
                    zh: error.issues.map(\.text.zh).joined(separator: "；"),
                    en: error.issues.map(\.text.en).joined(separator: "; "))
            )
        }
        return (status, body, body.text)
    }

    static func describeBody(_ error: any Error, path: String, logger: Logger) -> (HTTPResponse.Status, ErrorBody) {
        switch error {
        case let error as any HuitongError:
            if error.kind == .internal || error.kind == .unavailable {
                logger.error("request failed", metadata: ["code": "\(error.code)", "error": "\(error.message.en)"])
            }
            return (error.kind.status, ErrorBody(error))
        case let error as HTTPError:
            switch error.status {
            case .notFound:
                return (.notFound, ErrorBody(APIError.notFound(path)))
            case .contentTooLarge:
                return (.contentTooLarge, ErrorBody(APIError.bodyTooLarge(limit: HuitongRequestContext.jsonBodyLimit)))
            case .methodNotAllowed:
                return (
                    .methodNotAllowed,
                    ErrorBody(
                        code: "method_not_allowed",
                        message: BilingualText(zh: "此地址不支持该请求方法", en: "method not allowed for this resource"))
                )
            default:
                let text = error.body ?? error.status.reasonPhrase
                return (
                    error.status,
                    ErrorBody(code: "http_\(error.status.code)", message: BilingualText(zh: text, en: text))
                )
            }
        default:
            logger.error("unexpected error", metadata: ["error": "\(String(reflecting: error))"])
            return (
                .internalServerError,
                ErrorBody(
                    code: "internal_error",
                    message: BilingualText(zh: "服务器内部错误，已记录日志", en: "internal server error; it has been logged"))
            )
        }
    }

    static func wantsHTML(_ request: Request) -> Bool {
        let path = request.uri.path
        if path.hasPrefix("/api/") || path.hasPrefix("/gateway/") || path == "/healthz" || path == "/metrics" {
            return false
        }
        return request.headers[.accept]?.contains("text/html") ?? false
    }
}

enum JSONResponse {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    static func make<Value: Encodable>(_ value: Value, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try encoder.encode(value)
        return Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
