import Foundation
import HuitongCore
import HuitongServices
import Hummingbird

/// Forms of the public portal. A signed-in developer's forms echo their session's token; the forms a stranger
/// fills in (registration, sign-in, feedback) are protected by a double-submit token instead: a random cookie the
/// form must repeat, which another site can neither read nor set.
enum PortalForm {
    /// Reads a developer's form and checks its `_csrf` field against their session's token.
    static func developer(_ request: Request, context: HuitongRequestContext) async throws -> ConsoleForm {
        let form = try await body(request)
        guard let expected = context.developerCSRF, !expected.isEmpty,
            Secrets.constantTimeEquals(form["_csrf"], expected)
        else {
            throw APIError.csrfFailed
        }
        return form
    }

    /// Reads a stranger's form and checks its `_csrf` field against the form cookie. A form that fails the check
    /// is not acted on, but comes back so that the page can show it again as typed (the usual cause is a form cookie
    /// renewed in another tab, not an attack).
    static func anonymous(_ request: Request) async throws -> (form: ConsoleForm, genuine: Bool) {
        let form = try await body(request)
        guard let expected = request.cookies[CookieSettings.formCookie]?.value, !expected.isEmpty,
            Secrets.constantTimeEquals(form["_csrf"], expected)
        else { return (form, false) }
        return (form, true)
    }

    /// A stranger's form page: `page` gains the double-submit token (`formToken`, the browser's current one or a
    /// new one), the browser gets it as a cookie, and no cache keeps the page, which may hold what was typed (an ID
    /// number, a contact).
    static func page(
        _ template: PageTemplate, _ page: some AnonymousFormModel, request: Request, context: HuitongRequestContext,
        status: HTTPResponse.Status, pages: PageRenderer, cookies: CookieSettings
    ) -> Response {
        let token = request.cookies[CookieSettings.formCookie]?.value ?? Secrets.randomBase64URL(byteCount: 24)
        var page = page
        page.formToken = token
        var response = pages.render(template, page, context: context, status: status)
        response.headers[.cacheControl] = "no-store"
        response.setCookie(cookies.form(token))
        return response
    }

    private static func body(_ request: Request) async throws -> ConsoleForm {
        var request = request
        do {
            return ConsoleForm(encoded: String(buffer: try await request.collectBody(upTo: ConsoleForm.sizeLimit)))
        } catch {
            throw APIError.bodyTooLarge(limit: ConsoleForm.sizeLimit)
        }
    }
}
