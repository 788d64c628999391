import Foundation
import HTTPTypes
import HuitongCore
import HuitongServices
import Hummingbird
import Mustache

/// Renders server-side HTML pages from the Mustache templates and the per-language string catalogues.
public struct PageRenderer: Sendable {
    let library: MustacheLibrary
    let catalogues: [Language: [String: String]]
    let stylesheet: String
    /// The console's script (`/static/console.js`): select all/none on item pickers and copy buttons.
    let script: String
    /// Each template's form fields in the order they appear (their `id="field-…"`), for error summaries.
    let fieldOrders: [String: [String]]

    /// The bundled templates and catalogues, read and compiled once per process: they cannot change while it runs,
    /// and every application built in it (each test builds one) would otherwise parse them again.
    private static let bundled = Task { try await read() }

    public static func load() async throws -> PageRenderer {
        try await bundled.value
    }

    private static func read() async throws -> PageRenderer {
        guard let resources = Bundle.module.url(forResource: "Resources", withExtension: nil) else {
            throw PageError.missingResources
        }
        let library = try await MustacheLibrary(directory: resources.appendingPathComponent("templates").path)
        var catalogues: [Language: [String: String]] = [:]
        for language in Language.allCases {
            let url = resources.appendingPathComponent("locales/\(language.rawValue).json")
            catalogues[language] = try JSONDecoder().decode([String: String].self, from: Data(contentsOf: url))
        }
        let stylesheet = try String(contentsOf: resources.appendingPathComponent("static/app.css"), encoding: .utf8)
        let script = try String(contentsOf: resources.appendingPathComponent("static/console.js"), encoding: .utf8)
        var fieldOrders: [String: [String]] = [:]
        for template in PageTemplate.allCases {
            let url = resources.appendingPathComponent("templates/\(template.rawValue).mustache")
            guard let text = try? String(contentsOf: url, encoding: .utf8) else { continue }
            fieldOrders[template.rawValue] = fieldOrder(of: text)
        }
        return PageRenderer(
            library: library, catalogues: catalogues, stylesheet: stylesheet, script: script, fieldOrders: fieldOrders)
    }

    /// The names of a template's fields in order of appearance: `id="field-purpose"` names `purpose`,
    /// `id="field-items[{{row}}]"` names `items`, `id="field-comment-{{id}}"` names `comment`.
    static func fieldOrder(of template: String) -> [String] {
        var names: [String] = []
        var rest = template[...]
        while let found = rest.range(of: "id=\"field-") {
            let name = rest[found.upperBound...].prefix { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
            if !name.isEmpty && !names.contains(String(name)) { names.append(String(name)) }
            rest = rest[found.upperBound...]
        }
        return names
    }

    /// The order of `template`'s form fields, for `FormProblemsModel.show(_:order:)`.
    func fieldOrder(_ template: PageTemplate) -> [String] { fieldOrders[template.rawValue] ?? [] }

    /// Every key of the Chinese catalogue must exist in the others, so a page never shows a bare key.
    /// The page templates the resources lack (none in a sound build).
    func missingTemplates() -> [PageTemplate] {
        PageTemplate.allCases.filter { library.getTemplate(named: $0.rawValue) == nil }
    }

    public func missingTranslations() -> [Language: [String]] {
        let reference = Set(catalogues[.zh]?.keys.map { $0 } ?? [])
        var missing: [Language: [String]] = [:]
        for (language, catalogue) in catalogues where language != .zh {
            let absent = reference.subtracting(catalogue.keys).sorted()
            if !absent.isEmpty { missing[language] = absent }
        }
        return missing
    }

    func text(_ key: String, _ language: Language) -> String {
        catalogues[language]?[key] ?? catalogues[.zh]?[key] ?? key
    }

    /// The label of a stored code (`prefix` + the code, dots and dashes read as `_`), nil when the catalogue has
    /// none: the page then shows the code itself, marked as code.
    func label(_ prefix: String, _ code: String, _ language: Language) -> String? {
        let key = prefix + code.replacingOccurrences(of: ".", with: "_").replacingOccurrences(of: "-", with: "_")
        return catalogues[language]?[key]
    }

    /// Renders `template` with `page`, inside the layout's values: the string catalogue (`t`), the language switch
    /// and the signed-in user or developer.
    func render(
        _ template: PageTemplate, _ page: some PageModel, context: HuitongRequestContext,
        status: HTTPResponse.Status = .ok
    ) -> Response {
        let language = context.language
        let otherLang = language == .zh ? "en" : "zh"
        var layout = PageLayout(
            t: catalogues[language] ?? [:], lang: language.rawValue, htmlLang: language == .zh ? "zh-CN" : "en",
            otherLang: otherLang, otherLangName: language == .zh ? "English" : "中文", langHref: "?lang=\(otherLang)")
        if let user = context.principal?.user {
            layout.currentUser = PageLayout.SignedInUser(username: user.username, displayName: user.displayName)
            layout.csrfToken = context.csrfToken ?? ""
        }
        if let developer = context.developer {
            layout.currentDeveloper = PageLayout.SignedInDeveloper(name: developer.name, email: developer.email)
            layout.developerCSRF = context.developerCSRF ?? ""
        }
        let data = PageScope(layout: layout, page: page)
        guard let html = library.render(data, withTemplate: template.rawValue) else {
            // A template missing from the resources is the node's fault, not a page to show as if it worked.
            context.logger.error("page template missing", metadata: ["template": "\(template.rawValue)"])
            return Response(
                status: .internalServerError, headers: [.contentType: "text/plain; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: "页面模板缺失 (page template missing)")))
        }
        return Response(
            status: status,
            headers: [
                .contentType: "text/html; charset=utf-8",
                .contentSecurityPolicy: "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
                .xContentTypeOptions: "nosniff",
                .referrerPolicy: "same-origin",
            ],
            body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    func errorPage(status: HTTPResponse.Status, message: String, context: HuitongRequestContext) -> Response {
        render(
            .error, ErrorPage(status: status.code, message: message, title: text("error_title", context.language)),
            context: context, status: status)
    }
}

/// The page of an error, for browsers (`ErrorMiddleware`, and pages that answer 404 themselves).
struct ErrorPage: PageModel {
    var status: Int
    var message: String
    var title: String
}

enum PageError: Error {
    case missingResources
}

extension HTTPField.Name {
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
    static let xContentTypeOptions = HTTPField.Name("X-Content-Type-Options")!
}
