import Mustache
import Testing

@testable import HuitongServer

/// Typed page models read as the dictionaries they replaced: the pages' templates rely on what opens a section,
/// and on a missing value being looked up in the enclosing section, then in the layout.
@Suite("Page models")
struct PageModelTests {
    struct Row: Sendable {
        var name: String
        var note: String?
    }

    struct Page: PageModel {
        var empty = ""
        var zero = 0
        var no = false
        var none: [Row] = []
        var missing: String?
        var rows = [Row(name: "a"), Row(name: "b", note: "own")]
        var note = "outer"
        var errors: [String: String]? = ["kind": "choose one"]
        var tags = ["x", "y"]
        var nested: Row? = Row(name: "n")
        var langHref: String?
        var title: String?
    }

    static let template = """
        {{#empty}}[empty]{{/empty}}{{#zero}}[zero]{{/zero}}{{#no}}[false]{{/no}}{{^none}}[no rows]{{/none}}\
        {{#missing}}[missing]{{/missing}}{{^missing}}[not missing]{{/missing}}\
        {{#rows}}<{{name}}:{{note}}>{{/rows}}{{#errors.kind}}{{errors.kind}}{{/errors.kind}}{{#errors.other}}!{{/errors.other}}\
        {{#tags}}{{.}},{{/tags}}{{#nested}}{{name}}/{{note}}{{/nested}}\
        |{{lang}}|{{langHref}}|{{#currentUser}}{{displayName}} {{csrfToken}}{{/currentUser}}|{{title}}|{{#nav}}{{label}}{{#current}}*{{/current}}{{/nav}}
        """

    static let layout = PageLayout(
        t: [:], lang: "zh", htmlLang: "zh-CN", otherLang: "en", otherLangName: "English", langHref: "?lang=en",
        currentUser: PageLayout.SignedInUser(username: "u", displayName: "User"), csrfToken: "token")

    /// What the page rendered as a dictionary, as the renderer built it before (page values, then the layout's).
    static func dictionary(_ page: [String: Any], nav: [[String: Any]]? = nil) -> [String: Any] {
        var data = page
        data["lang"] = "zh"
        if data["langHref"] == nil { data["langHref"] = "?lang=en" }
        data["currentUser"] = ["username": "u", "displayName": "User"]
        data["csrfToken"] = "token"
        if let nav {
            data["nav"] = nav
            if data["title"] == nil { data["title"] = "Console" }
        }
        return data
    }

    static var values: [String: Any] {
        [
            "empty": "", "zero": 0, "no": false, "none": [[String: Any]](),
            "rows": [["name": "a"], ["name": "b", "note": "own"]], "note": "outer", "errors": ["kind": "choose one"],
            "tags": ["x", "y"], "nested": ["name": "n"],
        ]
    }

    @Test("empty strings and 0 open a section, false and empty lists do not, and nil reads as a missing key")
    func readsAsTheDictionary() throws {
        let template = try MustacheTemplate(string: Self.template)
        let typed = template.render(PageScope(layout: Self.layout, page: Page()))
        #expect(typed == template.render(Self.dictionary(Self.values)))
        #expect(
            typed.hasPrefix("[empty][zero][no rows][not missing]<a:outer><b:own>choose onex,y,n/outer|zh|?lang=en|"))
    }

    @Test("a page may name its own language switch; the layout's values win over the page's otherwise")
    func layoutPrecedence() throws {
        let template = try MustacheTemplate(string: "{{{langHref}}}|{{csrfToken}}|{{lang}}")
        struct Own: PageModel {
            var langHref = "/datasets?page=2&lang=en"
            var csrfToken = "page's"
            var lang = "page's"
        }
        #expect(template.render(PageScope(layout: Self.layout, page: Own())) == "/datasets?page=2&lang=en|token|zh")
    }

    @Test("a console page gets the navigation, and the console's title when it has none of its own")
    func consoleFrame() throws {
        let template = try MustacheTemplate(string: Self.template)
        let nav = [ConsoleNavLink(href: "/console", label: "Overview", current: true)]
        let dictionaryNav: [[String: Any]] = [["href": "/console", "label": "Overview", "current": true]]
        for title in [nil, "Entries"] {
            var page = Page()
            page.title = title
            var values = Self.values
            values["title"] = title
            let typed = template.render(
                PageScope(layout: Self.layout, page: ConsolePage(nav: nav, title: "Console", page: page)))
            #expect(typed == template.render(Self.dictionary(values, nav: dictionaryNav)))
            #expect(typed.hasSuffix("|\(title ?? "Console")|Overview*"))
        }
    }
}
