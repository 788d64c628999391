import Foundation
import HTTPTypes
import HuitongCore
import HuitongStore
import HuitongTestSupport
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import HuitongServer
@testable import HuitongServices

@Suite("DCAT catalog")
struct OpenDataDCATTests {
    static let base = "http://127.0.0.1:8080"

    static func fetch(_ client: some TestClientProtocol, _ uri: String) async throws -> (
        status: HTTPResponse.Status, contentType: String?, text: String
    ) {
        try await client.execute(uri: uri, method: .get) { response in
            (response.status, response.headers[.contentType], String(buffer: response.body))
        }
    }

    /// Whether every line has an even number of unescaped double quotes, i.e. no literal runs over a line break.
    static func quotesBalancedOnEveryLine(_ text: String) -> Bool {
        text.split(separator: "\n").allSatisfy { line in
            var quotes = 0
            var escaped = false
            for character in line {
                if escaped {
                    escaped = false
                } else if character == "\\" {
                    escaped = true
                } else if character == "\"" {
                    quotes += 1
                }
            }
            return quotes % 2 == 0
        }
    }

    @Test(
        "catalog.ttl has one catalog and a dataset per open entry, with escaped literals",
        arguments: TestBackend.available)
    func turtle(backend: TestBackend) async throws {
        try await OpenDataFixture.run(backend) { fixture, client in
            let (status, contentType, text) = try await Self.fetch(client, "/catalog.ttl")
            #expect(status == .ok)
            #expect(contentType == "text/turtle; charset=utf-8")
            #expect(text.hasPrefix("@prefix dcat: <http://www.w3.org/ns/dcat#> ."))
            #expect(text.components(separatedBy: "\n    a dcat:Catalog").count == 2)
            #expect(text.components(separatedBy: "\n    a dcat:Dataset").count == 5)
            for entry in fixture.open {
                #expect(text.contains("<\(Self.base)/datasets/\(entry.id)#dataset>\n    a dcat:Dataset"))
                #expect(text.contains("dct:identifier \"\(entry.code.text)\""))
            }
            for entry in fixture.hidden {
                #expect(!text.contains(entry.content.name))
                #expect(!text.contains("/datasets/\(entry.id)#"))
            }
            #expect(text.contains(#"dct:title "婚姻登记 \"结婚\" 统计\n第二行 \\ 反斜杠"@zh"#))
            #expect(text.contains(#"dct:description "含有\"引号\"、反斜杠 \\ 和\n换行的摘要。"@zh"#))
            #expect(Self.quotesBalancedOnEveryLine(text))

            let population = fixture.population.id
            #expect(text.contains("dcat:landingPage <\(Self.base)/datasets/\(population)>"))
            #expect(text.contains("dcat:downloadURL <\(Self.base)/datasets/\(population)/download.csv>"))
            #expect(text.contains("dcat:mediaType <http://www.iana.org/assignments/media-types/text/csv>"))
            #expect(text.contains("vcard:hasEmail <mailto:zhangsan@example.gov.cn>"))
            let frequency = "http://publications.europa.eu/resource/authority/frequency/"
            for code in ["MONTHLY", "IRREG", "UPDATE_CONT", "DAILY"] { #expect(text.contains("<\(frequency)\(code)>")) }
            #expect(text.contains("dcat:keyword \"人口\"@zh, \"户籍\"@zh"))
            #expect(text.contains("skos:prefLabel \"人口基本信息\"@zh"))

            // The conditionally open entry is restricted and has an access-only distribution; open ones have none.
            let floating = fixture.floating.id
            #expect(text.contains("<\(Self.base)/datasets/\(floating)#access>\n    a dcat:Distribution"))
            #expect(!text.contains("<\(Self.base)/datasets/\(population)#access>"))
            #expect(text.contains("<http://publications.europa.eu/resource/authority/access-right/RESTRICTED>"))
        }
    }

    @Test("catalog.jsonld nests the same datasets in the catalog, with titles intact", arguments: TestBackend.available)
    func jsonLD(backend: TestBackend) async throws {
        try await OpenDataFixture.run(backend) { fixture, client in
            let (status, contentType, text) = try await Self.fetch(client, "/catalog.jsonld")
            #expect(status == .ok)
            #expect(contentType == "application/ld+json")
            let document = try WireJSON.read(JSONValue.self, text)
            #expect(document["@context"]?["dcat"] == "http://www.w3.org/ns/dcat#")
            #expect(document["@id"] == .string("\(Self.base)/catalog"))
            #expect(document["@type"] == ["dcat:Catalog"])
            let datasets = try #require(document["dcat:dataset"]?.elements)
            #expect(datasets.count == 4)
            #expect(datasets.allSatisfy { $0["@type"] == ["dcat:Dataset"] })
            #expect(
                Set(datasets.compactMap { $0["dct:identifier"]?.text }) == Set(fixture.open.map(\.code.text)))

            let marriage = try #require(
                datasets.first { $0["dct:identifier"]?.text == fixture.marriage.code.text })
            let title = try #require(marriage["dct:title"]?.members)
            #expect(title == ["@value": .string(OpenDataFixture.trickyTitle), "@language": "zh"])

            let floating = try #require(
                datasets.first { $0["@id"]?.text == "\(Self.base)/datasets/\(fixture.floating.id)#dataset" })
            let distributions = try #require(floating["dcat:distribution"]?.elements)
            #expect(distributions.count == 3)
            #expect(
                floating["dct:accessRights"]?["@id"]
                    == "http://publications.europa.eu/resource/authority/access-right/RESTRICTED")
            let issued = try #require(floating["dct:issued"])
            #expect(issued["@type"] == "xsd:date")
            #expect(issued["@value"]?.text == fixture.floating.publishedOn?.description)
        }
    }

    @Test("an empty catalog is still a valid catalog", arguments: TestBackend.available)
    func emptyCatalog(backend: TestBackend) async throws {
        try await TestNode.run(backend) { _, client in
            let (_, _, json) = try await Self.fetch(client, "/catalog.jsonld")
            let document = try WireJSON.read(JSONValue.self, json)
            #expect(document["dcat:dataset"]?.elements?.isEmpty == true)
            let publisher = try #require(document["dct:publisher"])
            #expect(publisher["foaf:name"]?["@value"] == "六安市数据资源管理局")
            let (status, _, turtle) = try await Self.fetch(client, "/catalog.ttl")
            #expect(status == .ok)
            #expect(turtle.contains("a dcat:Catalog"))
            #expect(!turtle.contains("dcat:Dataset"))
        }
    }
}
