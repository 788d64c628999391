import Mustache

/// What a page template reads: a struct whose stored properties are named as the template's keys (nested structs
/// for its sections and rows). Mustache (swift-mustache 2) reads stored properties by reflection (`Mirror`; a
/// computed property is not seen) and `[String: String]` dictionaries by key (`t.site_name`, `errors.kind`). An
/// optional that is nil reads as a missing key: the lookup climbs to the enclosing section, then to the page and
/// the layout. `false` and an empty array close a section; an empty string and 0 open it, so a value a template
/// tests with `{{#value}}` is an optional that stays nil when empty. `{{#list.0}}` does not index an array (the
/// mirror of an array has no labels): such a section never opens.
protocol PageModel: Sendable {}

/// The values every page's layout reads, which the renderer adds to each page: the string catalogue (`t`), the
/// language and its switch, and who is signed in (with the token their forms echo).
struct PageLayout: Sendable {
    var t: [String: String]
    var lang: String
    var htmlLang: String
    var otherLang: String
    var otherLangName: String
    /// The language switch, unless the page names its own (a search keeps its query).
    var langHref: String
    var currentUser: SignedInUser?
    var csrfToken: String?
    var currentDeveloper: SignedInDeveloper?
    var developerCSRF: String?

    struct SignedInUser: Sendable {
        var username: String
        var displayName: String
    }

    struct SignedInDeveloper: Sendable {
        var name: String
        var email: String
    }
}

/// A page model with the layout's values around it: what `PageRenderer` hands to Mustache, which asks it for each
/// top-level name (`MustacheParent`, the one untyped boundary). The layout's values come first, as the renderer
/// always set them over a page's, except the language switch, which a page may name.
struct PageScope<Page: PageModel>: MustacheParent {
    let layout: PageLayout
    let page: Page

    func child(named name: String) -> Any? {
        if name == "langHref" { return TemplateValues.value(named: name, in: page) ?? layout.langHref }
        return TemplateValues.value(named: name, in: layout) ?? TemplateValues.value(named: name, in: page)
    }
}

/// Reads a model's value the way Mustache does: a stored property by name, an optional unwrapped (nil when
/// empty), or the child of a model that names its own (`MustacheParent`).
enum TemplateValues {
    static func value(named name: String, in model: Any) -> Any? {
        if let parent = model as? any MustacheParent { return parent.child(named: name) }
        guard let child = Mirror(reflecting: model).children.first(where: { $0.label == name }) else { return nil }
        let value = Mirror(reflecting: child.value)
        guard value.displayStyle == .optional else { return child.value }
        return value.children.first?.value
    }
}

/// An option of a `<select>` or a radio or checkbox group.
struct OptionModel: Sendable {
    var value: String
    var label: String
    var selected: Bool
}

/// One line of a form's problem summary, linking to the field it names.
struct FieldErrorModel: Sendable {
    var field: String
    var message: String
}

extension FieldErrors {
    /// The summary of a form's problems in the order its fields appear in the form (`order`, the template's
    /// `field-…` ids, see `PageRenderer.fieldOrder`); a problem of a field the form does not show comes last.
    func list(order: [String]) -> [FieldErrorModel] {
        func position(_ key: String) -> Int {
            order.firstIndex { field in
                key == field || key.hasPrefix(field + "_") || key.hasPrefix(field + "[")
            } ?? order.count
        }
        return values.map { (field: $0.key, message: $0.value, position: position($0.key)) }
            .sorted { ($0.position, $0.field) < ($1.position, $1.field) }
            .map { FieldErrorModel(field: $0.field, message: $0.message) }
    }
}

/// A form page's problems: `errors` by field (read as `errors.purpose`), `hasErrors` and the summary list, all
/// absent when the form has none.
protocol FormProblemsModel {
    var errors: [String: String]? { get set }
    var hasErrors: Bool? { get set }
    var errorList: [FieldErrorModel]? { get set }
}

extension FormProblemsModel {
    /// Shows `problems` (nothing when there are none), summarised in the order of the form's fields (`order`).
    mutating func show(_ problems: FieldErrors, order: [String]) {
        guard !problems.isEmpty else { return }
        errors = problems.values
        hasErrors = true
        errorList = problems.list(order: order)
    }
}
