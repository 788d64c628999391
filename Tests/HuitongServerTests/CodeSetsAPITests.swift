import Foundation
import HTTPTypes
import HuitongCore
import HuitongStore
import HuitongTestSupport
import Hummingbird
import HummingbirdTesting
import Testing

@testable import HuitongServer
@testable import HuitongServices

/// Code sets (代码集) through `/api/v1/code-sets`, and catalog items that name them.
@Suite("Code sets API")
struct CodeSetsAPITests {
    /// The path of a code set: its id percent-encoded, since ids hold `/`, spaces and dots.
    static func path(_ id: String) -> String {
        "/api/v1/code-sets/\(id.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)"
    }

    typealias Input = CodeSetsAPI.CodeSetInput

    static func codeSet(_ zh: String, en: String? = nil, _ codes: [CodeSet.Code]) -> Input {
        Input(name: Input.Name(zh: zh, en: en), codes: codes)
    }

    @Test(
        "every officer reads the seeded code sets; ids with / and . travel percent-encoded",
        arguments: TestBackend.available)
    func read(_ backend: TestBackend) async throws {
        try await TestNode.run(backend) { node, client in
            let city = try await CatalogAPITests.city(node)
            let (status, list) = try await client.send(
                .get, "/api/v1/code-sets", token: city.consumer, as: ListBody<CodeSet>.self)
            #expect(status == .ok)
            let ids = list.items.map(\.id)
            #expect(Set(ids).isSuperset(of: ["GB/T 2261.1-2003", "GB/T 2261.2-2003", "GB/T 4658-2006"]))

            #expect(Self.path("GB/T 2261.1-2003") == "/api/v1/code-sets/GB%2FT%202261%2E1%2D2003")
            let (found, sex) = try await client.send(
                .get, Self.path("GB/T 2261.1-2003"), token: city.consumer, as: CodeSet.self)
            #expect(found == .ok)
            #expect(sex.id == "GB/T 2261.1-2003")
            #expect(sex.name.zh == "人的性别代码")
            let codes = sex.codes
            #expect(codes.map(\.code) == ["0", "1", "2", "9"])
            #expect(codes.map(\.label) == ["未知的性别", "男性", "女性", "未说明的性别"])
            // Only "/" needs encoding for the route to match.
            #expect(try await client.status(.get, "/api/v1/code-sets/GB%2FT 4658-2006", token: city.consumer) == .ok)

            let (missing, body) = try await client.failure(.get, Self.path("GB/T 9999-2099"), token: city.consumer)
            #expect(missing == .notFound && body.code == "not_found")
            #expect(
                try await client.status(.get, "/api/v1/code-sets/GB/T 2261.1-2003", token: city.consumer) == .notFound,
                "an unencoded / is another path")
            #expect(try await client.status(.get, "/api/v1/code-sets") == .unauthorized)
        }
    }

    @Test(
        "only an operator creates or replaces a code set, and a bad one names its field",
        arguments: TestBackend.available)
    func write(_ backend: TestBackend) async throws {
        try await TestNode.run(backend) { node, client in
            let city = try await CatalogAPITests.city(node)
            let id = "DB34/T 1.2-2026"
            let body = Self.codeSet(
                "低保类型代码",
                [CodeSet.Code(code: "1", label: "城市低保"), CodeSet.Code(code: "2", label: "农村低保", aliases: ["农村"])])
            let forbidden = try await client.status(.put, Self.path(id), token: city.provider, input: body)
            #expect(forbidden == .forbidden)

            let (created, set) = try await client.send(
                .put, Self.path(id), token: node.operatorToken, input: body, as: CodeSet.self)
            #expect(created == .created)
            #expect(set.id == id)
            #expect(set.name.en == "低保类型代码", "the English name defaults")
            let stored = try #require(try await node.store.codeSets.find(id: id))
            #expect(stored.codes.map(\.code) == ["1", "2"] && stored.codes[1].aliases == ["农村"])

            let replacement = Self.codeSet(
                "低保类型代码", en: "Subsistence allowance types",
                [
                    CodeSet.Code(code: "1", label: "城市低保"), CodeSet.Code(code: "2", label: "农村低保"),
                    CodeSet.Code(code: "3", label: "特困"),
                ])
            let replaced = try await client.status(.put, Self.path(id), token: node.operatorToken, input: replacement)
            #expect(replaced == .ok)
            let (_, reread) = try await client.send(.get, Self.path(id), token: city.consumer, as: CodeSet.self)
            #expect(reread.codes.count == 3)

            for (bad, field) in [
                (Self.codeSet("空", []), "codes"),
                (
                    Self.codeSet("重复", [CodeSet.Code(code: "1", label: "甲"), CodeSet.Code(code: "1", label: "乙")]),
                    "codes[1].code"
                ),
                (Self.codeSet("空代码", [CodeSet.Code(code: " ", label: "甲")]), "codes[0].code"),
                (Self.codeSet("", [CodeSet.Code(code: "1", label: "甲")]), "name"),
            ] {
                let (status, error) = try await client.failure(
                    .put, Self.path(id), token: node.operatorToken, input: bad)
                #expect(status == .badRequest, "\(bad)")
                #expect(error.fields == [field], "\(bad)")
            }
            #expect(try await node.store.codeSets.find(id: id)?.codes.count == 3, "refused writes change nothing")
        }
    }

    @Test(
        "a catalog item may name only a code set that exists, on a character or integer item",
        arguments: TestBackend.available)
    func catalogItems(_ backend: TestBackend) async throws {
        try await TestNode.run(backend) { node, client in
            let city = try await CatalogAPITests.city(node)
            func entry(_ item: CatalogAPI.ItemInput) -> CatalogAPI.EntryInput {
                CatalogAPITests.entry(extraItems: [item])
            }

            let unknown = CatalogAPI.ItemInput(
                name: "性别", columnName: "xb", dataType: .character, length: 1, codeSet: "GB/T 2261.1-1980")
            let (refused, error) = try await client.failure(
                .post, "/api/v1/catalog/entries", token: city.provider, input: entry(unknown))
            #expect(refused == .badRequest)
            #expect(error.fields == ["items[2].codeSet"])

            let dated = CatalogAPI.ItemInput(
                name: "出生日期", columnName: "csrq", dataType: .date, codeSet: "GB/T 2261.1-2003")
            let (wrongType, typeError) = try await client.failure(
                .post, "/api/v1/catalog/entries", token: city.provider, input: entry(dated))
            #expect(wrongType == .badRequest && typeError.fields == ["items[2].codeSet"])

            let coded = CatalogAPI.ItemInput(
                name: "性别", columnName: "xb", dataType: .character, length: 1, codeSet: "GB/T 2261.1-2003")
            let (created, text) = try await client.text(
                .post, "/api/v1/catalog/entries", token: city.provider, input: entry(coded))
            #expect(created == .created)
            let body = try WireJSON.read(CatalogEntry.self, text)
            let id = body.id
            #expect(body.content.items.last?.codeSet == "GB/T 2261.1-2003")
            guard case .array(let items)? = try WireJSON.read(JSONValue.self, text)["content"]?["items"] else {
                Issue.record("no items in \(text)")
                return
            }
            #expect(items.first?["codeSet"] == nil, "items without a code set leave the field out")

            let (updateRefused, updateError) = try await client.failure(
                .put, "/api/v1/catalog/entries/\(id)", token: city.provider, input: entry(unknown))
            #expect(updateRefused == .badRequest && updateError.fields == ["items[2].codeSet"])
            let stored = try #require(try await node.store.catalog.find(id: id))
            #expect(stored.content.items.last?.codeSet == "GB/T 2261.1-2003")
        }
    }
}
