import Foundation
import HTTPTypes
import HuitongCore
import HuitongStore
import Hummingbird

/// The provider's form for drafting a catalog entry with its data items, posted to the same `CatalogLifecycle`
/// step as `POST /catalog/entries` and read into the API's own input type, so its defaults apply too.
extension ConsolePages {
    /// Item rows the form offers; empty rows are ignored, and more items can be added through the API or import.
    static let itemRows = 8

    func newEntryForm(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await page(request, context, roles: [.provider]) { user in
            var defaults = ConsoleForm(encoded: "")
            defaults.values = [
                "formatCategory": [FormatCategory.database.rawValue], "formatType": ["库表"],
                "shareType": [ShareType.conditional.rawValue], "openness": [Openness.closed.rawValue],
                "updateCycle": [UpdateCycle.daily.rawValue],
            ]
            return try await renderEntryForm(form: defaults, errors: FieldErrors(), user: user, context: context)
        }
    }

    func renderEntryForm(
        form: ConsoleForm, errors: FieldErrors, user: User, context: HuitongRequestContext,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let language = context.language
        func options<Value: LabeledValue>(_ type: Value.Type, _ field: String) -> [[String: Any]] {
            Value.allCases.map { value in
                [
                    "value": value.rawValue, "label": value.label.text(language),
                    "selected": value.rawValue == form[field],
                ]
            }
        }
        let classifications = try await store.catalog.classifications(scheme: ClassificationNode.guideScheme)
            .filter(\.acceptsEntries)
        let rows = (0..<Self.itemRows).map { row -> [String: Any] in
            var values: [String: Any] = [
                "row": row, "number": row + 1, "name": form["item_name_\(row)"], "column": form["item_column_\(row)"],
                "key": form["item_key_\(row)"] == "on", "required": form["item_required_\(row)"] == "on",
                "types": DataType.allCases.map { type -> [String: Any] in
                    let chosen =
                        form["item_type_\(row)"].isEmpty ? DataType.character.rawValue : form["item_type_\(row)"]
                    return [
                        "value": type.rawValue, "label": type.label.text(language), "selected": type.rawValue == chosen,
                    ]
                },
            ]
            let problems = ["name", "columnName", "dataType", "length"].compactMap {
                errors.values[FieldErrors.key("items[\(row)].\($0)")]
            }
            if !problems.isEmpty { values["error"] = problems.joined(separator: "；") }
            return values
        }
        var values: [String: Any] = [
            "title": pages.text("entry_new", language),
            "name": form["name"], "abstract": form["abstract"], "formatType": form["formatType"],
            "shareCondition": form["shareCondition"], "keywords": form["keywords"],
            "classifications": classifications.map { node -> [String: Any] in
                [
                    "value": node.code, "label": "\(node.code) \(node.name)",
                    "selected": node.code == form["classificationCode"],
                ]
            },
            "formatCategories": options(FormatCategory.self, "formatCategory"),
            "shareTypes": options(ShareType.self, "shareType").filter { $0["value"] as? String != "notShared" },
            "opennesses": options(Openness.self, "openness"),
            "cycles": options(UpdateCycle.self, "updateCycle"),
            "rows": rows,
        ]
        if !errors.isEmpty {
            values["errors"] = errors.values
            values["hasErrors"] = true
            values["errorList"] = errors.values.sorted { $0.key < $1.key }.map {
                ["field": $0.key, "message": $0.value]
            }
        }
        return render(
            "console-entry-new", values, user: user, section: "/console/entries", context: context, status: status)
    }

    func createEntry(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await page(request, context, roles: [.provider]) { user in
            let form = try await ConsoleForm.read(request, context: context)
            let language = context.language
            var parsing = FieldErrors()
            // Filled rows become items; the API's numbering (items[0], items[1], …) is mapped back to form rows.
            var rowOfItem: [Int] = []
            var items: [CatalogAPI.ItemInput] = []
            for row in 0..<Self.itemRows {
                let name = form["item_name_\(row)"]
                let column = form["item_column_\(row)"]
                if name.trimmingCharacters(in: .whitespaces).isEmpty
                    && column.trimmingCharacters(in: .whitespaces).isEmpty
                {
                    continue
                }
                guard let type = DataType(rawValue: form["item_type_\(row)"]) else {
                    parsing.add(
                        "items[\(row)].dataType", BilingualText(zh: "请选择数据类型", en: "choose a data type"), language)
                    continue
                }
                rowOfItem.append(row)
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
            let keywords = form["keywords"].components(separatedBy: CharacterSet(charactersIn: "、,，;； "))
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            let input = CatalogAPI.EntryInput(
                classificationCode: form["classificationCode"], name: form["name"], abstract: form["abstract"],
                formats: category.map { [ResourceFormat(category: $0, type: form["formatType"])] } ?? [],
                items: items, shareType: shareType ?? .conditional, shareCondition: form["shareCondition"],
                openness: Openness(rawValue: form["openness"]), updateCycle: cycle ?? .daily, keywords: keywords)
            var errors = parsing
            var created: CatalogEntry?
            do {
                if parsing.isEmpty {
                    created = try await CatalogLifecycle(store: store).create(
                        input.content, departmentID: user.departmentID, by: user)
                } else {
                    _ = try input.content.validated()
                }
            } catch let error as ValidationError {
                var found = FieldErrors()
                for issue in error.issues {
                    found.add(Self.formField(issue.field, rowOfItem: rowOfItem), issue.message)
                }
                errors.merge(found)
            }
            guard let created else {
                return try await renderEntryForm(
                    form: form, errors: errors, user: user, context: context, status: .badRequest)
            }
            return .redirect(to: "/console/entries/\(created.id)?done=created", type: .normal)
        }
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
