import Foundation
import HTTPTypes
import HuitongCore
import HuitongStore
import HuitongTestSupport
import Hummingbird
import HummingbirdTesting
import Testing

@testable import HuitongServices

/// Code sets (代码集) through `/api/v1/code-sets`, and catalog items that name them.
@Suite("Code sets API")
struct CodeSetsAPITests {
    /// The path of a code set: its id percent-encoded, since ids hold `/`, spaces and dots.
    static func path(_ id: String) -> String {
        "/api/v1/code-sets/\(id.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)"
    }

    @Test(
        "every officer reads the seeded code sets; ids with / and . travel percent-encoded",
        arguments: TestBackend.available)
    func read(_ backend: TestBackend) async throws {
        try await TestNode.run(backend) { node, client in
            let city = try await CatalogAPITests.city(node)
            let (status, list, _) = try await client.json(.get, "/api/v1/code-sets", token: city.consumer)
            #expect(status == .ok)
            let ids = (list["items"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            #expect(Set(ids).isSuperset(of: ["GB/T 2261.1-2003", "GB/T 2261.2-2003", "GB/T 4658-2006"]))

            #expect(Self.path("GB/T 2261.1-2003") == "/api/v1/code-sets/GB%2FT%202261%2E1%2D2003")
            let (found, sex, _) = try await client.json(.get, Self.path("GB/T 2261.1-2003"), token: city.consumer)
            #expect(found == .ok)
            #expect(sex["id"] as? String == "GB/T 2261.1-2003")
            #expect((sex["name"] as? [String: Any])?["zh"] as? String == "人的性别代码")
            let codes = sex["codes"] as? [[String: Any]] ?? []
            #expect(codes.compactMap { $0["code"] as? String } == ["0", "1", "2", "9"])
            #expect(codes.compactMap { $0["label"] as? String } == ["未知的性别", "男性", "女性", "未说明的性别"])
            // Only "/" needs encoding for the route to match.
            #expect(try await client.json(.get, "/api/v1/code-sets/GB%2FT 4658-2006", token: city.consumer).0 == .ok)

            let (missing, body, _) = try await client.json(.get, Self.path("GB/T 9999-2099"), token: city.consumer)
            #expect(missing == .notFound && apiError(body).code == "not_found")
            #expect(
                try await client.json(.get, "/api/v1/code-sets/GB/T 2261.1-2003", token: city.consumer).0 == .notFound,
                "an unencoded / is another path")
            #expect(try await client.json(.get, "/api/v1/code-sets").0 == .unauthorized)
        }
    }

    @Test(
        "only an operator creates or replaces a code set, and a bad one names its field",
        arguments: TestBackend.available)
    func write(_ backend: TestBackend) async throws {
        try await TestNode.run(backend) { node, client in
            let city = try await CatalogAPITests.city(node)
            let id = "DB34/T 1.2-2026"
            let body = """
                {"name": {"zh": "低保类型代码"},
                 "codes": [{"code": "1", "label": "城市低保"}, {"code": "2", "label": "农村低保", "aliases": ["农村"]}]}
                """
            let (forbidden, _, _) = try await client.json(.put, Self.path(id), token: city.provider, body: body)
            #expect(forbidden == .forbidden)

            let (created, set, _) = try await client.json(.put, Self.path(id), token: node.operatorToken, body: body)
            #expect(created == .created)
            #expect(set["id"] as? String == id)
            #expect((set["name"] as? [String: Any])?["en"] as? String == "低保类型代码", "the English name defaults")
            let stored = try #require(try await node.store.codeSets.find(id: id))
            #expect(stored.codes.map(\.code) == ["1", "2"] && stored.codes[1].aliases == ["农村"])

            let replacement = """
                {"name": {"zh": "低保类型代码", "en": "Subsistence allowance types"},
                 "codes": [{"code": "1", "label": "城市低保"}, {"code": "2", "label": "农村低保"}, {"code": "3", "label": "特困"}]}
                """
            let (replaced, _, _) = try await client.json(
                .put, Self.path(id), token: node.operatorToken, body: replacement)
            #expect(replaced == .ok)
            let (_, reread, _) = try await client.json(.get, Self.path(id), token: city.consumer)
            #expect((reread["codes"] as? [Any])?.count == 3)

            for (bad, field) in [
                (#"{"name": {"zh": "空"}, "codes": []}"#, "codes"),
                (
                    #"{"name": {"zh": "重复"}, "codes": [{"code": "1", "label": "甲"}, {"code": "1", "label": "乙"}]}"#,
                    "codes[1].code"
                ),
                (#"{"name": {"zh": "空代码"}, "codes": [{"code": " ", "label": "甲"}]}"#, "codes[0].code"),
                (#"{"name": {"zh": ""}, "codes": [{"code": "1", "label": "甲"}]}"#, "name"),
            ] {
                let (status, error, _) = try await client.json(
                    .put, Self.path(id), token: node.operatorToken, body: bad)
                #expect(status == .badRequest, "\(bad)")
                #expect(apiError(error).fields == [field], "\(bad)")
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
            func entry(_ item: String) -> String { CatalogAPITests.entryJSON(extraItem: ", " + item) }

            let unknown =
                #"{"name": "性别", "columnName": "xb", "dataType": "C", "length": 1, "codeSet": "GB/T 2261.1-1980"}"#
            let (refused, error, _) = try await client.json(
                .post, "/api/v1/catalog/entries", token: city.provider, body: entry(unknown))
            #expect(refused == .badRequest)
            #expect(apiError(error).fields == ["items[2].codeSet"])

            let dated = #"{"name": "出生日期", "columnName": "csrq", "dataType": "D", "codeSet": "GB/T 2261.1-2003"}"#
            let (wrongType, typeError, _) = try await client.json(
                .post, "/api/v1/catalog/entries", token: city.provider, body: entry(dated))
            #expect(wrongType == .badRequest && apiError(typeError).fields == ["items[2].codeSet"])

            let coded =
                #"{"name": "性别", "columnName": "xb", "dataType": "C", "length": 1, "codeSet": "GB/T 2261.1-2003"}"#
            let (created, body, _) = try await client.json(
                .post, "/api/v1/catalog/entries", token: city.provider, body: entry(coded))
            #expect(created == .created)
            let id = try #require(body["id"] as? Int)
            let items = (body["content"] as? [String: Any])?["items"] as? [[String: Any]] ?? []
            #expect(items.last?["codeSet"] as? String == "GB/T 2261.1-2003")
            #expect(items.first?["codeSet"] == nil, "items without a code set leave the field out")

            let (updateRefused, updateError, _) = try await client.json(
                .put, "/api/v1/catalog/entries/\(id)", token: city.provider, body: entry(unknown))
            #expect(updateRefused == .badRequest && apiError(updateError).fields == ["items[2].codeSet"])
            let stored = try #require(try await node.store.catalog.find(id: Int64(id)))
            #expect(stored.content.items.last?.codeSet == "GB/T 2261.1-2003")
        }
    }
}
