import Foundation
import Hummingbird

/// The API reference for developers, rendered on the server from the OpenAPI contract (`openapi.json`, the same
/// document `/api/openapi.json` serves): an index of the operations by tag, and for each tag its operations with
/// parameters, request body, responses and a ready example (a curl command and an example body built from the
/// schemas). Read once: the contract is part of the binary.
struct APIReferencePages: Sendable {
    let pages: PageRenderer
    let reference: APIReference

    init(pages: PageRenderer, document: Data = OpenAPIDocument.data) {
        self.pages = pages
        self.reference = APIReference(document: document)
    }

    func register(on router: Router<HuitongRequestContext>) {
        router.get("/developers/api", use: page)
    }

    func page(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let tag = request.uri.queryParameters["tag"].map(String.init)
        var page = APIReferencePage(
            title: pages.text("api_reference_title", context.language),
            version: reference.version,
            tags: reference.tags.map { tag in
                APIReferencePage.TagLink(
                    name: tag.name, href: "/developers/api?tag=\(PortalSearch.encode(tag.name))",
                    count: tag.operations.count,
                    operations: tag.operations.map {
                        APIReferencePage.OperationLink(
                            method: $0.method, path: $0.path, summary: $0.summary,
                            href: "/developers/api?tag=\(PortalSearch.encode(tag.name))#\($0.anchor)")
                    })
            })
        if let tag {
            guard let found = reference.tags.first(where: { $0.name == tag }) else {
                return pages.errorPage(
                    status: .notFound, message: pages.text("api_reference_no_tag", context.language),
                    context: context)
            }
            page.current = found
            page.title = "\(page.title) · \(found.name)"
        }
        return pages.render(.developersAPI, page, context: context)
    }
}

struct APIReferencePage: PageModel {
    var title: String
    var version: String
    var tags: [TagLink]
    /// The tag shown in full, when `?tag=` names one.
    var current: APIReference.Tag?

    struct TagLink: Sendable {
        var name: String
        var href: String
        var count: Int
        var operations: [OperationLink]
    }

    struct OperationLink: Sendable {
        var method: String
        var path: String
        var summary: String
        var href: String
    }
}

/// The contract read into what the reference page shows.
struct APIReference: Sendable {
    struct Tag: Sendable {
        var name: String
        var operations: [Operation]
    }

    struct Operation: Sendable {
        var method: String
        var path: String
        var summary: String
        var description: String?
        var anchor: String
        var parameters: [Parameter]
        var hasParameters: Bool
        var requestExample: String?
        var responses: [ResponseInfo]
        var curl: String
        var security: String?
    }

    struct Parameter: Sendable {
        var name: String
        var location: String
        var required: Bool
        var type: String
        var description: String
    }

    struct ResponseInfo: Sendable {
        var status: String
        var description: String
        var example: String?
    }

    var version = ""
    var tags: [Tag] = []

    static let methods = ["get", "post", "put", "patch", "delete"]

    init(document: Data) {
        guard let root = (try? JSONSerialization.jsonObject(with: document)) as? [String: Any],
            let paths = root["paths"] as? [String: Any]
        else { return }
        version = ((root["info"] as? [String: Any])?["version"] as? String) ?? ""
        let schemas = ((root["components"] as? [String: Any])?["schemas"] as? [String: Any]) ?? [:]
        var byTag: [String: [Operation]] = [:]
        for path in paths.keys.sorted() {
            guard let item = paths[path] as? [String: Any] else { continue }
            let shared = (item["parameters"] as? [[String: Any]]) ?? []
            for method in Self.methods {
                guard let operation = item[method] as? [String: Any] else { continue }
                let tag = ((operation["tags"] as? [String])?.first) ?? "other"
                let parameters = (shared + ((operation["parameters"] as? [[String: Any]]) ?? [])).map {
                    parameter in
                    let schema = (parameter["schema"] as? [String: Any]) ?? [:]
                    return Parameter(
                        name: parameter["name"] as? String ?? "", location: parameter["in"] as? String ?? "",
                        required: parameter["required"] as? Bool ?? false,
                        type: Self.typeName(schema, schemas),
                        description: parameter["description"] as? String ?? "")
                }
                var requestExample: String?
                if let body = operation["requestBody"] as? [String: Any],
                    let content = body["content"] as? [String: Any]
                {
                    if let json = content["application/json"] as? [String: Any],
                        let schema = json["schema"] as? [String: Any]
                    {
                        requestExample = Self.pretty(Self.example(schema, schemas, depth: 0))
                    } else if let type = content.keys.sorted().first {
                        requestExample = "(\(type))"
                    }
                }
                let responses = ((operation["responses"] as? [String: Any]) ?? [:]).keys.sorted().map { status in
                    let response = (operation["responses"] as? [String: Any])?[status] as? [String: Any] ?? [:]
                    var example: String?
                    if status.hasPrefix("2"), let content = response["content"] as? [String: Any],
                        let json = content["application/json"] as? [String: Any],
                        let schema = json["schema"] as? [String: Any]
                    {
                        example = Self.pretty(Self.example(schema, schemas, depth: 0))
                    }
                    return ResponseInfo(
                        status: status, description: response["description"] as? String ?? "", example: example)
                }
                let query = parameters.filter { $0.location == "query" && $0.required }
                    .map { "\($0.name)=…" }.joined(separator: "&")
                let address = path + (query.isEmpty ? "" : "?\(query)")
                var curl = "curl -sS"
                if method != "get" { curl += " -X \(method.uppercased())" }
                let security = (operation["security"] as? [[String: Any]])?.flatMap(\.keys).sorted()
                if security?.contains("developerKey") == true {
                    curl += " -H 'X-API-Key: hdk_…'"
                } else if security?.isEmpty != true {
                    curl += " -H 'Authorization: Bearer htu_…'"
                }
                if let requestExample, requestExample.hasPrefix("{") || requestExample.hasPrefix("[") {
                    let compact = requestExample.split(separator: "\n").map {
                        $0.trimmingCharacters(in: .whitespaces)
                    }.joined(separator: " ")
                    curl +=
                        " -H 'Content-Type: application/json' -d '\(compact.replacingOccurrences(of: "'", with: "'\\''"))'"
                }
                curl += " 'http://localhost:8080\(address)'"
                byTag[tag, default: []].append(
                    Operation(
                        method: method.uppercased(), path: path, summary: operation["summary"] as? String ?? "",
                        description: operation["description"] as? String,
                        anchor: "\(method)-\(path)".map { $0.isLetter || $0.isNumber ? $0 : "-" }.reduce(into: "") {
                            $0.append($1)
                        },
                        parameters: parameters, hasParameters: !parameters.isEmpty, requestExample: requestExample,
                        responses: responses, curl: curl, security: security?.joined(separator: ", ")))
            }
        }
        tags = byTag.keys.sorted().map { Tag(name: $0, operations: byTag[$0] ?? []) }
    }

    static func resolve(_ schema: [String: Any], _ schemas: [String: Any]) -> [String: Any] {
        if let reference = schema["$ref"] as? String, let name = reference.split(separator: "/").last,
            let resolved = schemas[String(name)] as? [String: Any]
        {
            return resolved
        }
        return schema
    }

    static func typeName(_ schema: [String: Any], _ schemas: [String: Any]) -> String {
        if let reference = schema["$ref"] as? String { return String(reference.split(separator: "/").last ?? "") }
        if let values = schema["enum"] as? [Any] { return values.map { "\($0)" }.joined(separator: " | ") }
        if let type = schema["type"] as? String {
            if type == "array", let items = schema["items"] as? [String: Any] {
                return "[\(typeName(items, schemas))]"
            }
            return (schema["format"] as? String).map { "\(type) (\($0))" } ?? type
        }
        if let types = schema["type"] as? [String] { return types.joined(separator: " | ") }
        return "any"
    }

    /// An example value for a schema: its `example`, its first `enum` value, or a value of its type; objects list
    /// their properties (required first), nested at most a few levels.
    static func example(_ raw: [String: Any], _ schemas: [String: Any], depth: Int) -> Any {
        let schema = resolve(raw, schemas)
        if let example = schema["example"] { return example }
        if let values = schema["enum"] as? [Any], let first = values.first { return first }
        if let options = (schema["oneOf"] ?? schema["anyOf"]) as? [[String: Any]], let first = options.first {
            return example(first, schemas, depth: depth)
        }
        if let all = schema["allOf"] as? [[String: Any]] {
            var merged: [String: Any] = [:]
            for part in all {
                if let object = example(part, schemas, depth: depth) as? [String: Any] {
                    merged.merge(object) { first, _ in first }
                }
            }
            return merged
        }
        let declared = (schema["type"] as? String) ?? (schema["type"] as? [String])?.first { $0 != "null" }
        switch declared ?? (schema["properties"] != nil ? "object" : "") {
        case "object":
            guard depth < 4 else { return [String: Any]() }
            var object: [String: Any] = [:]
            for (name, property) in (schema["properties"] as? [String: Any]) ?? [:] {
                if let property = property as? [String: Any] {
                    object[name] = example(property, schemas, depth: depth + 1)
                }
            }
            return object
        case "array":
            guard depth < 4, let items = schema["items"] as? [String: Any] else { return [Any]() }
            return [example(items, schemas, depth: depth + 1)]
        case "integer": return (schema["minimum"] as? Int) ?? 1
        case "number": return 1.5
        case "boolean": return true
        case "string":
            switch schema["format"] as? String {
            case "date-time": return "2026-01-01T08:00:00Z"
            case "date": return "2026-01-01"
            case "int64": return "1"
            default: return "…"
            }
        default: return NSNull()
        }
    }

    static func pretty(_ value: Any) -> String? {
        guard JSONSerialization.isValidJSONObject([value]),
            let data = try? JSONSerialization.data(
                withJSONObject: value,
                options: [.prettyPrinted, .sortedKeys, .fragmentsAllowed, .withoutEscapingSlashes])
        else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}
