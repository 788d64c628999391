import Foundation
import HuitongCore
import HuitongServices

/// What `package_search`'s `q` and `fq` ask for, read from the part of Solr's syntax CKAN clients use:
/// `field:value` and `field:"quoted value"` clauses, ANDed, optionally with `+` or `AND`.
struct CKANSearchFilter: Sendable, Hashable {
    /// Words that must all occur somewhere in an entry.
    var words: [String] = []
    /// Organization names (or ids), every one of which the entry's provider must be.
    var organizations: [String] = []
    /// Tags the entry must all carry.
    var tags: [String] = []
    /// Resource formats the entry must all have.
    var formats: [String] = []
    /// Licence ids, every one of which the entry must be published under.
    var licences: [String] = []
    /// Set by a clause no open entry can satisfy, such as `dataset_type:harvest`.
    var matchesNothing = false

    /// Fields whose value is searched as text when they appear in `q`.
    static let textFields: Set<String> = ["text", "title", "name", "notes"]

    /// Reads `q` (free text, where `field:value` clauses also filter) and `fq` (filter clauses only).
    static func parse(q: String?, fq: String?) throws(CKANError) -> CKANSearchFilter {
        var filter = CKANSearchFilter()
        let query = (q ?? "").trimmingCharacters(in: .whitespaces)
        if query != "*:*" && query != "*" {
            for clause in try clauses(query) {
                guard let field = clause.field else {
                    filter.words.append(clause.value)
                    continue
                }
                if Self.textFields.contains(field) {
                    filter.words.append(clause.value)
                } else if !filter.add(field: field, value: clause.value) {
                    // An unknown prefix in free text is part of the text (a URL, a time), not a field.
                    filter.words.append("\(field):\(clause.value)")
                }
            }
        }
        for clause in try clauses(fq ?? "") {
            guard let field = clause.field else {
                throw CKANError.searchQuery(
                    BilingualText(
                        zh: "fq 只接受“字段:值”形式的条件，“\(clause.value)”不是", en: "fq takes field:value clauses only"))
            }
            if Self.textFields.contains(field) {
                filter.words.append(clause.value)
            } else if !filter.add(field: field, value: clause.value) {
                throw CKANError.searchQuery(
                    BilingualText(
                        zh: "不支持按 \(field) 筛选；可用字段：organization、owner_org、tags、res_format、license_id",
                        en:
                            "field \(field) is not supported; use organization, owner_org, tags, res_format or license_id"
                    ))
            }
        }
        return filter
    }

    /// Adds a filter clause; false when the field is not one this node filters on. `*` matches any value.
    private mutating func add(field: String, value: String) -> Bool {
        let any = value == "*"
        switch field {
        case "organization", "owner_org": if !any { organizations.append(value) }
        case "tags": if !any { tags.append(value) }
        case "res_format": if !any { formats.append(value) }
        case "license_id": if !any { licences.append(value) }
        case "dataset_type", "type", "state", "capacity":
            // Every open entry is an active, public dataset; asking for anything else finds nothing.
            if !any && !["dataset", "active", "public"].contains(value.lowercased()) { matchesNothing = true }
        default: return false
        }
        return true
    }

    /// One `field:value` clause, or a bare word (`field == nil`).
    struct Clause: Sendable, Hashable {
        var field: String?
        var value: String
    }

    /// Splits Solr-style text into clauses. Quoted values may contain spaces; `\` escapes the next character;
    /// `AND` and a leading `+` are accepted; `OR`, `NOT`, `-` and parentheses are refused rather than misread.
    static func clauses(_ text: String) throws(CKANError) -> [Clause] {
        var result: [Clause] = []
        var characters = Array(text)[...]
        func unsupported(_ what: String) -> CKANError {
            CKANError.searchQuery(
                BilingualText(
                    zh: "不支持 \(what)；多个条件之间一律为“并且”", en: "\(what) is not supported; clauses are always ANDed"))
        }
        while let first = characters.first {
            if first.isWhitespace {
                characters.removeFirst()
                continue
            }
            if first == "+" {
                characters.removeFirst()
                continue
            }
            if first == "-" || first == "!" { throw unsupported("negation (\(first))") }
            if first == "(" || first == ")" { throw unsupported("grouping with parentheses") }
            // A token: up to whitespace, with quoted stretches kept whole.
            var token = ""
            var quotedValue: String?
            var field: String?
            while let next = characters.first, !next.isWhitespace {
                characters.removeFirst()
                if next == "\\" {
                    if let escaped = characters.popFirst() { token.append(escaped) }
                } else if next == ":" && field == nil && !token.isEmpty {
                    field = token
                    token = ""
                } else if next == "\"" && token.isEmpty && quotedValue == nil {
                    var quoted = ""
                    var closed = false
                    while let inner = characters.popFirst() {
                        if inner == "\\" {
                            if let escaped = characters.popFirst() { quoted.append(escaped) }
                        } else if inner == "\"" {
                            closed = true
                            break
                        } else {
                            quoted.append(inner)
                        }
                    }
                    guard closed else {
                        throw CKANError.searchQuery(BilingualText(zh: "引号未闭合", en: "unterminated quote"))
                    }
                    quotedValue = quoted
                } else if next == "(" || next == ")" {
                    throw unsupported("grouping with parentheses")
                } else {
                    token.append(next)
                }
            }
            let value = quotedValue.map { $0 + token } ?? token
            if field == nil && quotedValue == nil {
                switch value {
                case "AND", "&&": continue
                case "OR", "||", "NOT": throw unsupported(value)
                default: break
                }
            }
            if let field, value.isEmpty {
                throw CKANError.searchQuery(
                    BilingualText(zh: "字段 \(field) 缺少取值", en: "field \(field) has no value"))
            }
            if !value.isEmpty || field != nil { result.append(Clause(field: field, value: value)) }
        }
        return result
    }
}
