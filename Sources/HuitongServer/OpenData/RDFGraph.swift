import Foundation

/// A node of the small RDF model that the DCAT documents are built in, so that the Turtle and the JSON-LD
/// serialisations are written from one description and cannot drift apart.
struct RDFResource: Sendable, Hashable {
    /// The node's IRI; nil for a blank node, which is written inline where it is used.
    var iri: String?
    /// Classes as prefixed names, e.g. `dcat:Dataset`.
    var types: [String]
    var properties: [RDFProperty] = []

    init(iri: String? = nil, types: [String]) {
        self.iri = iri
        self.types = types
    }

    /// Adds a statement for each object; a property without objects is left out.
    mutating func add(_ predicate: String, _ objects: [RDFObject]) {
        guard !objects.isEmpty else { return }
        properties.append(RDFProperty(predicate: predicate, objects: objects))
    }

    mutating func add(_ predicate: String, _ object: RDFObject?) {
        if let object { add(predicate, [object]) }
    }
}

/// A predicate (a prefixed name such as `dct:title`) with its objects.
struct RDFProperty: Sendable, Hashable {
    var predicate: String
    var objects: [RDFObject]
}

/// The object of a statement.
indirect enum RDFObject: Sendable, Hashable {
    case iri(String)
    /// A plain string, with a language tag when it is prose (`"人口"@zh`).
    case text(String, language: String?)
    /// A literal of an XML Schema datatype, named by prefixed name (`xsd:date`).
    case typed(String, datatype: String)
    case resource(RDFResource)

    /// Chinese prose, the language of the catalog's content.
    static func chinese(_ text: String) -> RDFObject { .text(text, language: "zh") }

    /// A non-empty text in Chinese, or nothing.
    static func chinese(ifPresent text: String?) -> RDFObject? {
        guard let text, !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return nil }
        return .chinese(text)
    }
}

/// The vocabularies the DCAT documents use, with the prefixes both serialisations declare.
enum RDFVocabulary {
    static let prefixes: [(prefix: String, namespace: String)] = [
        ("dcat", "http://www.w3.org/ns/dcat#"),
        ("dct", "http://purl.org/dc/terms/"),
        ("foaf", "http://xmlns.com/foaf/0.1/"),
        ("vcard", "http://www.w3.org/2006/vcard/ns#"),
        ("skos", "http://www.w3.org/2004/02/skos/core#"),
        ("xsd", "http://www.w3.org/2001/XMLSchema#"),
    ]
}

/// Writes RDF in Turtle 1.1: prefixed names for the vocabulary, `<…>` for IRIs, escaped string literals.
enum TurtleWriter {
    static var prologue: String {
        RDFVocabulary.prefixes.map { "@prefix \($0.prefix): <\($0.namespace)> .\n" }.joined() + "\n"
    }

    /// A resource as a statement block ending in ` .`, followed by a block for each named resource it describes
    /// (Turtle cannot nest those as it nests blank nodes).
    static func block(_ resource: RDFResource) -> String {
        var output = ""
        var pending = [resource]
        while !pending.isEmpty {
            let next = pending.removeFirst()
            output += next.iri.map(iri) ?? "[]"
            writeBody(next, indent: "    ", to: &output, pending: &pending)
            output += " .\n\n"
        }
        return output
    }

    /// `subject predicate object, object … .` on its own.
    static func statement(subject: String, predicate: String, objects: [RDFObject]) -> String {
        var pending: [RDFResource] = []
        var output = iri(subject)
        output += " \(predicate) "
        output += objects.map { term($0, indent: "    ", pending: &pending) }.joined(separator: ",\n    ")
        output += " .\n\n"
        return output + pending.map(block).joined()
    }

    private static func writeBody(
        _ resource: RDFResource, indent: String, to output: inout String, pending: inout [RDFResource]
    ) {
        var lines: [String] = []
        if !resource.types.isEmpty { lines.append("a " + resource.types.joined(separator: ", ")) }
        for property in resource.properties {
            let objects = property.objects.map { term($0, indent: indent, pending: &pending) }
            lines.append("\(property.predicate) " + objects.joined(separator: ", "))
        }
        output += "\n" + indent + lines.joined(separator: " ;\n" + indent)
    }

    /// One object; a named resource is referred to by its IRI and queued in `pending` to be described after.
    private static func term(_ object: RDFObject, indent: String, pending: inout [RDFResource]) -> String {
        switch object {
        case .iri(let value):
            return iri(value)
        case .text(let value, let language):
            return literal(value) + (language.map { "@\($0)" } ?? "")
        case .typed(let value, let datatype):
            return literal(value) + "^^\(datatype)"
        case .resource(let resource):
            if let named = resource.iri {
                if !resource.types.isEmpty || !resource.properties.isEmpty { pending.append(resource) }
                return iri(named)
            }
            var output = "["
            writeBody(resource, indent: indent + "    ", to: &output, pending: &pending)
            output += "\n\(indent)]"
            return output
        }
    }

    /// A quoted string literal (Turtle `STRING_LITERAL_QUOTE`): quotes, backslashes and line breaks are escaped,
    /// other control characters written as `\uXXXX`; everything else, Chinese included, as UTF-8.
    static func literal(_ text: String) -> String {
        var output = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case "\u{08}": output += "\\b"
            case "\u{0C}": output += "\\f"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                output += String(format: "\\u%04X", scalar.value)
            default: output.unicodeScalars.append(scalar)
            }
        }
        return output + "\""
    }

    /// An `IRIREF`: characters Turtle forbids inside `<…>` are percent-encoded.
    static func iri(_ text: String) -> String {
        var output = "<"
        for scalar in text.unicodeScalars {
            if scalar.value <= 0x20 || "<>\"{}|^`\\".unicodeScalars.contains(scalar) {
                for byte in String(scalar).utf8 { output += String(format: "%%%02X", byte) }
            } else {
                output.unicodeScalars.append(scalar)
            }
        }
        return output + ">"
    }
}

/// Writes RDF as compacted JSON-LD 1.1 with an inline context, so no network access is needed to read it.
enum JSONLDWriter {
    static var context: JSONValue {
        .object(RDFVocabulary.prefixes.map { JSONMember($0.prefix, .string($0.namespace)) })
    }

    /// A node object; blank nodes nest where they are used, as in the Turtle.
    static func node(_ resource: RDFResource) -> JSONValue {
        var members: [JSONMember] = []
        if let iri = resource.iri { members.append(JSONMember("@id", .string(iri))) }
        if !resource.types.isEmpty { members.append(JSONMember("@type", .array(resource.types.map(JSONValue.string)))) }
        for property in resource.properties {
            let values = property.objects.map(value)
            members.append(JSONMember(property.predicate, values.count == 1 ? values[0] : .array(values)))
        }
        return .object(members)
    }

    private static func value(_ object: RDFObject) -> JSONValue {
        switch object {
        case .iri(let iri):
            return ["@id": .string(iri)]
        case .text(let text, let language?):
            return ["@value": .string(text), "@language": .string(language)]
        case .text(let text, nil):
            return .string(text)
        case .typed(let text, let datatype):
            return ["@value": .string(text), "@type": .string(datatype)]
        case .resource(let resource):
            return node(resource)
        }
    }
}
