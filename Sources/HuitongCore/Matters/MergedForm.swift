import Foundation

/// Where a merged field came from: one matter's element (the per-matter projection of domain-services.md §3.4,
/// so each department still receives its own form's fields).
public struct ElementSource: Sendable, Hashable, Codable {
    public var matterCode: String
    public var key: String

    public init(matterCode: String, key: String) {
        self.matterCode = matterCode
        self.key = key
    }
}

/// Why elements that mean the same thing cannot be merged without a person deciding.
public enum MergeConflictKind: String, Sendable, Hashable, Codable {
    /// Their dictionaries share no value, or name different dictionaries without listing values.
    case dictionary
    /// They take different kinds of value.
    case valueType
}

public struct MergeConflict: Sendable, Hashable, Codable {
    public var kind: MergeConflictKind
    public var message: BilingualText
    /// Each source's dictionary or value type as it stands, for the person who resolves it.
    public var candidates: [String]
    /// Whether the 一件事 records a decision for it.
    public var isResolved: Bool
}

/// One field of a 一件事's merged form (一表制).
public struct MergedField: Sendable, Hashable, Codable, Identifiable {
    /// `role|canonical element`: stable while the matters keep the element.
    public var id: String
    public var role: String
    public var key: String
    public var label: String
    public var type: FormValueType
    public var maxLength: Int?
    public var isRequired: Bool
    public var dictionary: FormDictionary?
    public var catalogItem: ItemReference?
    public var standardElement: String?
    public var sources: [ElementSource]
    public var conflicts: [MergeConflict]
    /// Shared data the 一件事 may read holds it, so it can be filled in for the applicant.
    public var isPrefillable: Bool
    /// The grant masks it: a filled-in value is shown masked for the applicant to recognise, never locked, and the
    /// field still counts as one to fill in.
    public var isMasked: Bool
    /// The source is authoritative (an e-licence or a base library) and the value whole, so a filled-in value
    /// cannot be changed.
    public var isReadOnly: Bool
}

/// Why an applicant need not hand in a material (免提交).
public enum MaterialExemption: String, Sendable, Hashable, Codable {
    case licence
    case sharedData

    public var label: BilingualText {
        switch self {
        case .licence: BilingualText(zh: "以电子证照代替", en: "replaced by an e-licence")
        case .sharedData: BilingualText(zh: "以共享数据代替", en: "replaced by shared data")
        }
    }
}

/// One material of the merged list: the same material asked for by several matters is handed in once.
public struct MergedMaterial: Sendable, Hashable, Codable {
    public var name: String
    public var need: MaterialNeed
    public var condition: String?
    public var licenceTypeCode: String?
    public var catalogItems: [ItemReference]
    public var matterCodes: [String]
    public var exemption: MaterialExemption?
}

/// The Zhengzhou measure of a 一件事 (domain-services.md §0 #6): what the applicant faced before and after.
public struct ReductionReport: Sendable, Hashable, Codable {
    public var elementsBefore: Int
    public var elementsAfter: Int
    /// Fields the applicant still types: merged fields nobody can fill in for them.
    public var elementsToFill: Int
    public var prefillable: Int
    public var materialsBefore: Int
    public var materialsAfter: Int
    public var materialsExempted: Int
    public var conflicts: Int

    /// 要素精简率 and 材料精简率, in per cent, one decimal.
    public var elementReduction: Double { Self.rate(elementsBefore, elementsAfter) }
    public var materialReduction: Double { Self.rate(materialsBefore, materialsAfter) }

    static func rate(_ before: Int, _ after: Int) -> Double {
        before == 0 ? 0 : (Double(before - after) / Double(before) * 1000).rounded() / 10
    }
}

/// What shared data a 一件事 can draw on: licence types it may use, catalog items it may read whole, items it may
/// read only masked, and which come from an authoritative source.
public struct SharedDataAvailability: Sendable, Hashable {
    public var licenceTypes: Set<String>
    public var items: Set<ItemReference>
    /// Items a grant serves masked: shown for recognition, but they replace no field and no material.
    public var maskedItems: Set<ItemReference>
    public var authoritativeItems: Set<ItemReference>

    public init(
        licenceTypes: Set<String> = [], items: Set<ItemReference> = [], maskedItems: Set<ItemReference> = [],
        authoritativeItems: Set<ItemReference> = []
    ) {
        self.licenceTypes = licenceTypes
        self.items = items
        self.maskedItems = maskedItems
        self.authoritativeItems = authoritativeItems
    }

    /// 免提交 when a licence of the named type can be used, or every catalog item that replaces it can be read.
    public func exemption(for material: MatterMaterial) -> MaterialExemption? {
        if let code = material.licenceTypeCode, licenceTypes.contains(code) { return .licence }
        if !material.catalogItems.isEmpty, material.catalogItems.allSatisfy(items.contains) { return .sharedData }
        return nil
    }
}

public struct MergedForm: Sendable, Hashable, Codable {
    public var fields: [MergedField]
    public var materials: [MergedMaterial]
    public var report: ReductionReport

    /// The fields one matter's department receives, each under its own form's key.
    public func projection(for matterCode: String) -> [(key: String, field: MergedField)] {
        fields.flatMap { field in
            field.sources.filter { $0.matterCode == matterCode }.map { (key: $0.key, field: field) }
        }
    }
}

/// 一表制 (domain-services.md §3.4): the elements of several matters merged into one form.
///
/// 1. Each element maps to a canonical element: its catalog item when linked, else its 标准数据元, else its
///    normalised (key, value type, dictionary code).
/// 2. Elements with the same canonical element and the same subject role merge; the strictest constraint wins:
///    required over optional, the shorter length, the intersection of listed dictionary values. Dictionaries that
///    share no value, or differ without listing values, are a conflict for a person to resolve.
/// 3. Each merged field keeps where it came from, so every department still gets its own form.
public enum FormMerger {
    /// `resolutions` holds, by merged field id, the dictionary a person chose for a conflicting field.
    public static func merge(
        _ matters: [MatterDraft], availability: SharedDataAvailability = SharedDataAvailability(),
        resolutions: [String: FormDictionary] = [:]
    ) -> MergedForm {
        var fields: [MergedField] = []
        var groups: [String: [(source: ElementSource, element: FormElement)]] = [:]
        var order: [String] = []
        for matter in matters {
            for element in matter.elements {
                let id = "\(element.role)|\(canonical(element))"
                if groups[id] == nil { order.append(id) }
                groups[id, default: []].append(
                    (ElementSource(matterCode: matter.implementationCode, key: element.key), element))
            }
        }
        for id in order {
            fields.append(field(id: id, groups[id]!, availability: availability, resolution: resolutions[id]))
        }
        let materials = mergeMaterials(matters, availability: availability)
        let prefillable = fields.filter { $0.isPrefillable && !$0.isMasked }.count
        let exempted = materials.filter { $0.exemption != nil }.count
        let report = ReductionReport(
            elementsBefore: matters.reduce(0) { $0 + $1.elements.count }, elementsAfter: fields.count,
            elementsToFill: fields.count - prefillable, prefillable: prefillable,
            materialsBefore: matters.reduce(0) { $0 + $1.materials.count }, materialsAfter: materials.count - exempted,
            materialsExempted: exempted,
            conflicts: fields.reduce(0) { $0 + $1.conflicts.filter { !$0.isResolved }.count })
        return MergedForm(fields: fields, materials: materials, report: report)
    }

    /// The canonical element an element stands for.
    public static func canonical(_ element: FormElement) -> String {
        if let item = element.catalogItem { return "item:\(item)" }
        if let standard = element.standardElement { return "std:\(standard.uppercased())" }
        let dictionary = element.dictionary?.code.uppercased() ?? ""
        return "key:\(element.key.lowercased())|\(element.type.rawValue)|\(dictionary)"
    }

    static func field(
        id: String, _ group: [(source: ElementSource, element: FormElement)], availability: SharedDataAvailability,
        resolution: FormDictionary?
    ) -> MergedField {
        let first = group[0].element
        let elements = group.map(\.element)
        var conflicts: [MergeConflict] = []
        let types = elements.map(\.type).uniqued()
        if types.count > 1 {
            conflicts.append(
                MergeConflict(
                    kind: .valueType,
                    message: BilingualText(
                        zh: "“\(first.label)”在各事项中的数据类型不同", en: "\"\(first.label)\" has different value types"),
                    candidates: zip(group.map(\.source), elements).map { "\($0.matterCode): \($1.type.label.zh)" },
                    isResolved: false))
        }
        var dictionary = mergedDictionary(elements.compactMap(\.dictionary))
        if dictionary == nil, elements.contains(where: { $0.dictionary != nil }) {
            conflicts.append(
                MergeConflict(
                    kind: .dictionary,
                    message: BilingualText(
                        zh: "“\(first.label)”的数据字典互不相容，须人工确定",
                        en: "\"\(first.label)\" has dictionaries that do not agree"),
                    candidates: zip(group.map(\.source), elements).compactMap { source, element in
                        element.dictionary.map {
                            "\(source.matterCode): \($0.code) \($0.values.joined(separator: "/"))"
                        }
                    },
                    isResolved: resolution != nil))
            dictionary = resolution
        }
        let item = first.catalogItem
        let whole = item.map(availability.items.contains) ?? false
        let masked = !whole && (item.map(availability.maskedItems.contains) ?? false)
        return MergedField(
            id: id, role: first.role, key: first.key, label: first.label, type: first.type,
            maxLength: elements.compactMap(\.maxLength).min(), isRequired: elements.contains(where: \.isRequired),
            dictionary: dictionary, catalogItem: item, standardElement: elements.compactMap(\.standardElement).first,
            sources: group.map(\.source), conflicts: conflicts, isPrefillable: whole || masked, isMasked: masked,
            isReadOnly: whole && item.map(availability.authoritativeItems.contains) == true)
    }

    /// The strictest dictionary the elements allow, or nil when they cannot agree.
    static func mergedDictionary(_ dictionaries: [FormDictionary]) -> FormDictionary? {
        guard let first = dictionaries.first else { return nil }
        // Different dictionaries are a conflict even where some values coincide: the same code can mean different
        // things in each.
        guard dictionaries.allSatisfy({ $0.code.uppercased() == first.code.uppercased() }) else { return nil }
        let listed = dictionaries.filter { !$0.values.isEmpty }
        guard var values = listed.first?.values else { return first }
        for other in listed.dropFirst() {
            let allowed = Set(other.values)
            values = values.filter(allowed.contains)
        }
        guard !values.isEmpty else { return nil }
        return FormDictionary(code: first.code, values: values)
    }

    /// Materials merged when they name the same licence type or the same material; the strictest need wins, and
    /// the cases of conditional ones are kept together.
    static func mergeMaterials(_ matters: [MatterDraft], availability: SharedDataAvailability) -> [MergedMaterial] {
        var merged: [MergedMaterial] = []
        var index: [String: Int] = [:]
        for matter in matters {
            for material in matter.materials {
                let keys = [material.licenceTypeCode.map { "licence:\($0)" }, "name:\(material.name)"].compactMap { $0 }
                if let at = keys.lazy.compactMap({ index[$0] }).first {
                    let condition = [merged[at].condition, material.condition].compactMap { $0 }.uniqued()
                    merged[at].need = min(merged[at].need, material.need)
                    merged[at].condition =
                        merged[at].need == .conditional && !condition.isEmpty ? condition.joined(separator: "；") : nil
                    merged[at].licenceTypeCode = merged[at].licenceTypeCode ?? material.licenceTypeCode
                    merged[at].catalogItems = (merged[at].catalogItems + material.catalogItems).uniqued()
                    merged[at].matterCodes.append(matter.implementationCode)
                    for key in keys { index[key] = at }
                } else {
                    for key in keys { index[key] = merged.count }
                    merged.append(
                        MergedMaterial(
                            name: material.name, need: material.need, condition: material.condition,
                            licenceTypeCode: material.licenceTypeCode, catalogItems: material.catalogItems,
                            matterCodes: [matter.implementationCode], exemption: nil))
                }
            }
        }
        for at in merged.indices {
            let candidate = MatterMaterial(
                name: merged[at].name, licenceTypeCode: merged[at].licenceTypeCode,
                catalogItems: merged[at].catalogItems)
            merged[at].exemption = availability.exemption(for: candidate)
        }
        return merged
    }
}

extension Array where Element: Hashable {
    /// The elements in order, each once.
    package func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}
