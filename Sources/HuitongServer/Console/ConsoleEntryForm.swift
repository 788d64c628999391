import Foundation
import HTTPTypes
import HuitongCore
import HuitongServices
import HuitongStore
import Hummingbird

/// The provider's form for drafting a catalog entry with its data items, and for editing a draft or returned
/// entry, posted to the same `CatalogLifecycle` steps as `POST` and `PUT /catalog/entries` and read into the API's
/// own input type, so its defaults apply too.
extension ConsolePages {
    /// Item rows the form offers; empty rows are ignored, and more items can be added through the API or import.
    static let itemRows = 8

    func newEntryForm(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await page(request, context, .consoleEntries) { user in
            var defaults = ConsoleForm(encoded: "")
            defaults.values = [
                "formatCategory": [FormatCategory.database.rawValue], "formatType": ["库表"],
                "shareType": [ShareType.conditional.rawValue], "openness": [Openness.closed.rawValue],
                "updateCycle": [UpdateCycle.daily.rawValue],
            ]
            return try await renderEntryForm(form: defaults, errors: FieldErrors(), user: user, context: context)
        }
    }

    /// The form of entry `id` filled with its current fields and items, for its department's provider (or an
    /// operator) while it is a draft or returned for changes.
    func editEntryForm(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await page(request, context, .catalogManageEntry) { user in
            let entry = try await editableEntry(try context.id(), by: user)
            return try await renderEntryForm(
                form: Self.form(of: entry), errors: FieldErrors(), user: user, context: context,
                editing: entry)
        }
    }

    /// The entry `id` if `user` may change it through the form: entries of other departments answer as
    /// `CatalogLifecycle.managedEntry` does (404 when invisible, 403 otherwise), and only drafts and returned
    /// entries are edited here; published entries are revised through review, entries under review wait for it.
    func editableEntry(_ id: Int64, by user: User) async throws -> CatalogEntry {
        let entry = try await catalog.managedEntry(id, by: user)
        if entry.status == .submitted { throw CatalogRuleError.underReview }
        guard entry.status.isEditableDraft else { throw EntryNotEditable.status(entry.status) }
        // Items the form could not show would be dropped on saving.
        if entry.content.items.count > Self.maximumRows { throw EntryNotEditable.tooManyItems(Self.maximumRows) }
        return entry
    }

    /// Which save of the entry a form was filled from: a form whose entry was saved since is refused, so that
    /// two officers editing at once do not silently overwrite each other.
    static func revision(of entry: CatalogEntry) -> String {
        String(Int64((entry.updatedAt.timeIntervalSince1970 * 1_000_000).rounded()))
    }

    /// The form fields that show `entry`, one item row per data item.
    static func form(of entry: CatalogEntry) -> ConsoleForm {
        let content = entry.content
        var form = ConsoleForm(encoded: "")
        let format = content.formats.first
        form.values = [
            "name": [content.name], "abstract": [content.abstract], "classificationCode": [content.classificationCode],
            "formatCategory": [(format?.category ?? .database).rawValue], "formatType": [format?.type ?? ""],
            "shareType": [content.shareType.rawValue], "openness": [content.openness.rawValue],
            "shareCondition": [content.shareCondition], "updateCycle": [content.updateCycle.rawValue],
            "keywords": [content.keywords.joined(separator: "、")],
            "rows": [String(rowCount(items: content.items.count))], "revision": [revision(of: entry)],
        ]
        for (row, item) in content.items.enumerated() {
            form.values["item_origin_\(row)"] = [item.columnName]
            form.values["item_name_\(row)"] = [item.name]
            form.values["item_column_\(row)"] = [item.columnName]
            form.values["item_type_\(row)"] = [item.dataType.rawValue]
            if item.isKey { form.values["item_key_\(row)"] = ["on"] }
            if item.isRequired { form.values["item_required_\(row)"] = ["on"] }
        }
        return form
    }

    /// Rows the form offers for `items` data items: every item, and a few empty rows to add more.
    static func rowCount(items: Int) -> Int { min(maximumRows, max(itemRows, items + 3)) }

    /// The most item rows one form carries (an entry with more items is edited through the API or import).
    static let maximumRows = 200
    /// The entry form's body at its largest: 200 item rows of percent-encoded Chinese (a name triples in size)
    /// and a long abstract come to well over the console's usual 64 KiB.
    static let formSizeLimit = 512 * 1024

    /// The rows a posted form carries: its `rows` field, within bounds, or the new-entry form's default.
    static func rowCount(of form: ConsoleForm) -> Int {
        guard let rows = Int(form["rows"]) else { return itemRows }
        return min(maximumRows, max(itemRows, rows))
    }

    func renderEntryForm(
        form: ConsoleForm, errors: FieldErrors, user: User, context: HuitongRequestContext,
        editing: CatalogEntry? = nil, message: String? = nil, status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let language = context.language
        func options<Value: LabeledValue>(_ type: Value.Type, _ field: String) -> [OptionModel] {
            Value.allCases.map { value in
                OptionModel(
                    value: value.rawValue, label: value.label.text(language), selected: value.rawValue == form[field])
            }
        }
        let classifications = try await store.catalog.classifications(scheme: ClassificationNode.guideScheme)
            .filter(\.acceptsEntries)
        let rows = (0..<Self.rowCount(of: form)).map { row in
            let chosen = form["item_type_\(row)"].isEmpty ? DataType.character.rawValue : form["item_type_\(row)"]
            let problems = ["name", "columnName", "dataType", "length", "shareType", "grade", "codeSet"].compactMap {
                errors.values[FieldErrors.key("items[\(row)].\($0)")]
            }
            return ConsoleEntryFormPage.Row(
                row: row, number: row + 1, name: form["item_name_\(row)"], column: form["item_column_\(row)"],
                key: form["item_key_\(row)"] == "on", required: form["item_required_\(row)"] == "on",
                types: DataType.allCases.map { type in
                    OptionModel(
                        value: type.rawValue, label: type.label.text(language), selected: type.rawValue == chosen)
                },
                error: problems.isEmpty ? nil : problems.joined(separator: "；"),
                // An empty string would open the section: a row that started as no item carries no origin at all.
                origin: form["item_origin_\(row)"].isEmpty ? nil : form["item_origin_\(row)"])
        }
        var page = ConsoleEntryFormPage(
            title: pages.text(editing == nil ? "entry_new" : "entry_edit_title", language),
            name: form["name"], abstract: form["abstract"], formatType: form["formatType"],
            revision: form["revision"],
            shareCondition: form["shareCondition"], keywords: form["keywords"],
            classifications: classifications.map { node in
                OptionModel(
                    value: node.code, label: "\(node.code) \(node.name)",
                    selected: node.code == form["classificationCode"])
            },
            formatCategories: options(FormatCategory.self, "formatCategory"),
            // 不予共享 needs a negative-list row, which the form cannot cite: it is offered only to keep it.
            shareTypes: options(ShareType.self, "shareType").filter {
                $0.value != ShareType.notShared.rawValue || form["shareType"] == ShareType.notShared.rawValue
            },
            opennesses: options(Openness.self, "openness"),
            cycles: options(UpdateCycle.self, "updateCycle"),
            rows: rows, rowCount: rows.count,
            action: editing.map { "/console/entries/\($0.id)" } ?? "/console/entries",
            submitLabel: pages.text(editing == nil ? "entry_create" : "entry_save", language),
            intro: pages.text(editing == nil ? "entry_new_intro" : "entry_edit_intro", language),
            editing: editing.map {
                ConsoleEntryFormPage.Editing(
                    id: $0.id, code: $0.code.text, status: $0.status.label.text(language),
                    href: "/console/entries/\($0.id)")
            },
            message: message)
        page.show(errors, order: pages.fieldOrder(.consoleEntryNew))
        return render(
            .consoleEntryNew, page, user: user, section: "/console/entries", context: context, status: status)
    }

    func createEntry(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await page(request, context, .consoleEntries) { user in
            let form = try await ConsoleForm.read(request, context: context, limit: Self.formSizeLimit)
            let posted = Self.entryContent(form, base: nil, language: context.language)
            var errors = posted.errors
            var created: CatalogEntry?
            do {
                if posted.errors.isEmpty {
                    created = try await catalog.create(
                        posted.content, departmentID: user.departmentID, by: user)
                } else {
                    _ = try posted.content.validated()
                }
            } catch let error as ValidationError {
                errors.merge(Self.formErrors(error.issues, rowOfItem: posted.rowOfItem, context.language))
            }
            guard let created else {
                return try await renderEntryForm(
                    form: form, errors: errors, user: user, context: context, status: .badRequest)
            }
            return .redirect(to: "/console/entries/\(created.id)?done=created", type: .normal)
        }
    }

    /// Saves the edited entry through `CatalogLifecycle.update`, the step `PUT /catalog/entries/{id}` takes; a
    /// form with problems comes back as typed, each problem next to its field, and nothing is saved.
    func updateEntry(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await page(request, context, .catalogManageEntry) { user in
            let form = try await ConsoleForm.read(request, context: context, limit: Self.formSizeLimit)
            let existing = try await editableEntry(try context.id(), by: user)
            if !form["revision"].isEmpty && form["revision"] != Self.revision(of: existing) {
                // Shown again with the latest revision: sending it once more, after a look, is a knowing save.
                var form = form
                form.values["revision"] = [Self.revision(of: existing)]
                return try await renderEntryForm(
                    form: form, errors: FieldErrors(), user: user, context: context, editing: existing,
                    message: pages.text("entry_edit_stale", context.language), status: .conflict)
            }
            let posted = Self.entryContent(form, base: existing.content, language: context.language)
            var errors = posted.errors
            do {
                if posted.errors.isEmpty {
                    _ = try await catalog.update(
                        existing, with: posted.content, by: user, note: "")
                    return .redirect(to: "/console/entries/\(existing.id)?done=edited", type: .normal)
                }
                _ = try posted.content.validated()
            } catch let error as ValidationError {
                errors.merge(Self.formErrors(error.issues, rowOfItem: posted.rowOfItem, context.language))
            } catch let error as any HuitongError where error.kind != .internal && error.kind != .notFound {
                // A rule of the store (a published code is frozen, a cited list row is missing): its fields, when
                // it names them, or the message above the form.
                errors.merge(Self.formErrors(error.details, rowOfItem: posted.rowOfItem, context.language))
                return try await renderEntryForm(
                    form: form, errors: errors, user: user, context: context, editing: existing,
                    message: error.details.isEmpty ? error.message.text(context.language) : nil,
                    status: error.kind.status)
            }
            return try await renderEntryForm(
                form: form, errors: errors, user: user, context: context, editing: existing, status: .badRequest)
        }
    }

    /// What a posted entry form says: the content (on top of `base`, the entry being edited, so that what the
    /// form does not show is kept), the problems found while reading it, and which form row each item came from.
    static func entryContent(_ form: ConsoleForm, base: CatalogEntryContent?, language: Language) -> (
        content: CatalogEntryContent, errors: FieldErrors, rowOfItem: [Int]
    ) {
        var parsing = FieldErrors()
        // Filled rows become items; the API's numbering (items[0], items[1], …) is mapped back to form rows.
        var rowOfItem: [Int] = []
        var items: [CatalogAPI.ItemInput] = []
        var origins: [String] = []
        for row in 0..<rowCount(of: form) {
            let name = form["item_name_\(row)"]
            let column = form["item_column_\(row)"]
            if name.trimmingCharacters(in: .whitespaces).isEmpty && column.trimmingCharacters(in: .whitespaces).isEmpty
            {
                continue
            }
            guard let type = DataType(rawValue: form["item_type_\(row)"]) else {
                parsing.add("items[\(row)].dataType", BilingualText(zh: "请选择数据类型", en: "choose a data type"), language)
                continue
            }
            rowOfItem.append(row)
            origins.append(form["item_origin_\(row)"])
            items.append(
                CatalogAPI.ItemInput(
                    name: name, columnName: column, dataType: type, isKey: form["item_key_\(row)"] == "on",
                    isRequired: form["item_required_\(row)"] == "on"))
        }
        let category = FormatCategory(rawValue: form["formatCategory"])
        if category == nil {
            parsing.add("formats", BilingualText(zh: "请选择格式类别", en: "choose a format category"), language)
        }
        let shareType = ShareType(rawValue: form["shareType"])
        if shareType == nil {
            parsing.add("shareType", BilingualText(zh: "请选择共享类型", en: "choose how the data is shared"), language)
        }
        let cycle = UpdateCycle(rawValue: form["updateCycle"])
        if cycle == nil {
            parsing.add("updateCycle", BilingualText(zh: "请选择更新周期", en: "choose an update cycle"), language)
        }
        // Spaces stay inside a keyword ("open data"): the form joins keywords with 、, and splits on marks only.
        let keywords = form["keywords"].components(separatedBy: CharacterSet(charactersIn: "、,，;；"))
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let format = category.map { ResourceFormat(category: $0, type: form["formatType"]) }
        let input = CatalogAPI.EntryInput(
            classificationCode: form["classificationCode"], name: form["name"], abstract: form["abstract"],
            formats: format.map { [$0] } ?? [], items: items, shareType: shareType ?? .conditional,
            shareCondition: form["shareCondition"], openness: Openness(rawValue: form["openness"]),
            updateCycle: cycle ?? .daily, keywords: keywords)
        guard var content = base else { return (input.content, parsing, rowOfItem) }
        // Editing: the form shows the fields a provider keeps up; the rest (channel, contact, further formats,
        // an item's grade, length or code set) stays as it was. An item keeps its own details when its row
        // started as that item, whatever was renamed.
        let earlier = Dictionary(content.items.map { ($0.columnName, $0) }, uniquingKeysWith: { first, _ in first })
        let entryShareType = shareType ?? content.shareType
        content.items = zip(items, origins).map { input, origin in
            // A row keeps the item it started as (its hidden origin), renamed or not, with the details the form
            // does not show.
            guard var item = earlier[origin] else { return input.item(entryShareType: entryShareType) }
            if input.dataType != item.dataType {
                // A length means something else for another type, and only text and whole numbers take codes.
                item.length = nil
                if input.dataType != .character && input.dataType != .integer { item.codeSet = nil }
            }
            item.name = input.name
            item.columnName = input.columnName
            item.dataType = input.dataType
            item.isKey = input.isKey ?? false
            item.isRequired = input.isRequired ?? false
            // The form has no per-item share type: an entry made stricter takes its items with it.
            if item.shareType.strictness < entryShareType.strictness { item.shareType = entryShareType }
            return item
        }
        content.classificationCode = input.classificationCode
        content.name = input.name
        content.abstract = input.abstract
        if let format {
            content.formats = [format] + content.formats.dropFirst()
        }
        content.shareType = input.shareType
        content.shareCondition = input.shareCondition ?? ""
        content.openness = input.openness ?? content.openness
        content.updateCycle = input.updateCycle
        content.keywords = keywords
        return (content, parsing, rowOfItem)
    }

    /// Problems named by API fields, keyed by the form fields that show them.
    static func formErrors(_ issues: [FieldIssue], rowOfItem: [Int], _ language: Language) -> FieldErrors {
        var found = FieldErrors()
        for issue in issues { found.add(formField(issue.field, rowOfItem: rowOfItem), issue.text.text(language)) }
        return found
    }

    /// The form field an API field names: `items[1].columnName` is the second *filled* row, which may be a later
    /// row of the form.
    static func formField(_ field: String, rowOfItem: [Int]) -> String {
        if field.hasPrefix("formats") { return "formats" }
        guard field.hasPrefix("items["), let close = field.firstIndex(of: "]"),
            let index = Int(field[field.index(field.startIndex, offsetBy: 6)..<close]), index < rowOfItem.count
        else { return field }
        return "items[\(rowOfItem[index])]" + field[field.index(after: close)...]
    }
}

/// Why an entry cannot be opened in the console's form: only drafts and entries returned for changes are edited
/// there (a published entry changes through a new version and review), and only as many items as the form has rows.
enum EntryNotEditable: HuitongError {
    case status(EntryStatus)
    case tooManyItems(Int)

    var code: String { "entry_not_editable" }
    var kind: ErrorKind { .conflict }
    var message: BilingualText {
        switch self {
        case .status(let status):
            BilingualText(
                zh: "目录处于“\(status.label.zh)”状态，不能编辑：只有草稿或已退回的目录可以修改",
                en: "the entry is \(status.label.en) and cannot be edited: only drafts and returned entries can")
        case .tooManyItems(let rows):
            BilingualText(
                zh: "目录的信息项超过表单的 \(rows) 行，请通过接口或批量导入修改",
                en: "the entry has more items than the form's \(rows) rows; change it through the API or an import")
        }
    }
}
