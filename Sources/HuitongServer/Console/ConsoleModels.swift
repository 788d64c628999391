import Foundation
import Mustache

// The console pages' models, one per template, named as the template's keys (see `PageModel`).

/// A console page in its frame: the section navigation, and the console's title for a page that has none.
struct ConsolePage<Page: PageModel>: PageModel, MustacheParent {
    let nav: [ConsoleNavLink]
    let title: String
    let page: Page

    func child(named name: String) -> Any? {
        if name == "nav" { return nav }
        return TemplateValues.value(named: name, in: page) ?? (name == "title" ? title : nil)
    }
}

/// A link of the console's section navigation; `current` marks the page's own section.
struct ConsoleNavLink: Sendable {
    var href: String
    var label: String
    var current: Bool
}
