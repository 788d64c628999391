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

@Suite("CKAN-compatible action API")
struct OpenDataCKANTests {
    static func name(_ entry: CatalogEntry) -> String { entry.code.text.replacingOccurrences(of: "/", with: "-") }

    @Test(
        "package_search q=人口 finds the open population entries and nothing closed, draft or withdrawn",
        arguments: TestBackend.available)
    func searchFindsOpenEntries(backend: TestBackend) async throws {
        try await OpenDataFixture.run(backend) { fixture, client in
            let (status, body) = try await client.ckan("package_search", ["q": "人口"])
            #expect(status == .ok)
            #expect(body["success"] == true)
            #expect(body["help"] == "http://127.0.0.1:8080/api/3/action/help_show?name=package_search")
            let result = try #require(body["result"])
            #expect(result["count"] == 3)
            #expect(
                Set(CKAN.names(result))
                    == Set([fixture.population, fixture.floating, fixture.deaths].map(Self.name)))
            for hidden in fixture.hidden { #expect(!CKAN.names(result).contains(Self.name(hidden))) }

            let all = try #require(try await client.ckan("package_search", ["q": "*:*"]).1["result"])
            #expect(all["count"] == 4)
            let none = try #require(try await client.ckan("package_search", [:]).1["result"])
            #expect(none["count"] == 4)
        }
    }

    @Test("fq filters by organization, tags (quoted, ANDed) and resource format", arguments: TestBackend.available)
    func filters(backend: TestBackend) async throws {
        try await OpenDataFixture.run(backend) { fixture, client in
            func found(_ parameters: [String: String]) async throws -> Set<String> {
                let (status, body) = try await client.ckan("package_search", parameters)
                #expect(status == .ok, "\(parameters): \(body)")
                return Set(CKAN.names(try #require(body["result"])))
            }
            let police = Set([fixture.population, fixture.floating].map(Self.name))
            #expect(try await found(["fq": "organization:gaj"]) == police)
            #expect(try await found(["fq": "organization:\"gaj\""]) == police)
            #expect(try await found(["fq": "tags:\"流动人口\""]) == [Self.name(fixture.floating)])
            #expect(try await found(["fq": "+tags:人口 +tags:户籍"]) == [Self.name(fixture.population)])
            #expect(try await found(["fq": "tags:人口 AND organization:mzj"]) == [Self.name(fixture.deaths)])
            #expect(try await found(["q": "人口", "fq": "organization:mzj"]) == [Self.name(fixture.deaths)])
            #expect(try await found(["fq": "organization:gaj organization:mzj"]).isEmpty)
            #expect(try await found(["fq": "organization:no-such-department"]).isEmpty)
            #expect(try await found(["fq": "res_format:CSV"]).count == 4)
            #expect(try await found(["fq": "res_format:XLSX"]).isEmpty)
            #expect(try await found(["fq": "license_id:huitong-conditional"]) == [Self.name(fixture.floating)])

            let (status, body) = try await client.ckan("package_search", ["fq": "tags:人口 OR tags:婚姻"])
            #expect(status == .conflict)
            #expect(CKAN.error(body)["__type"] == "Search Query Error")
        }
    }

    @Test(
        "rows and start page through the results; bad numbers are validation errors", arguments: TestBackend.available)
    func paging(backend: TestBackend) async throws {
        try await OpenDataFixture.run(backend) { fixture, client in
            var seen: [String] = []
            for start in [0, 2] {
                let (_, body) = try await client.ckan("package_search", ["rows": "2", "start": "\(start)"])
                let result = try #require(body["result"])
                #expect(result["count"] == 4)
                #expect(CKAN.names(result).count == 2)
                seen += CKAN.names(result)
            }
            #expect(Set(seen) == Set(fixture.open.map(Self.name)))
            #expect(seen.count == 4)
            let (_, past) = try await client.ckan("package_search", ["rows": "2", "start": "4"])
            #expect(CKAN.names(try #require(past["result"])).isEmpty)
            let (_, countOnly) = try await client.ckan("package_search", ["rows": "0"])
            let counted = try #require(countOnly["result"])
            #expect(counted["count"] == 4 && CKAN.names(counted).isEmpty)
            let (_, many) = try await client.ckan("package_search", ["rows": "5000"])
            #expect(CKAN.names(try #require(many["result"])).count == 4)

            let (status, body) = try await client.ckan("package_search", ["rows": "ten"])
            #expect(status == .conflict)
            #expect(CKAN.error(body)["__type"] == "Validation Error")
            #expect(CKAN.error(body)["rows"] == ["Invalid integer"])
            let (negative, _) = try await client.ckan("package_search", ["start": "-1"])
            #expect(negative == .conflict)
        }
    }

    @Test("facet.field counts organizations, tags and formats like CKAN", arguments: TestBackend.available)
    func facets(backend: TestBackend) async throws {
        try await OpenDataFixture.run(backend) { _, client in
            let (status, body) = try await client.ckan(
                "package_search", ["q": "人口", "facet.field": #"["organization","tags","res_format"]"#, "rows": "0"])
            #expect(status == .ok)
            let result = try #require(body["result"])
            let facets = try #require(result["facets"])
            #expect(facets["organization"]?.members == ["gaj": 2, "mzj": 1])
            #expect(facets["tags"]?.members == ["人口": 3, "户籍": 1, "流动人口": 1])
            #expect(facets["res_format"]?.members == ["CSV": 3, "JSON": 3])
            let searchFacets = try #require(result["search_facets"])
            let organizations = try #require(searchFacets["organization"])
            #expect(organizations["title"] == "organization")
            let items = try #require(organizations["items"]?.elements)
            #expect(items.first?["name"] == "gaj")
            #expect(items.first?["display_name"] == "六安市公安局")
            #expect(items.first?["count"] == 2)

            let (_, limited) = try await client.ckan(
                "package_search", ["q": "人口", "facet.field": #"["tags"]"#, "facet.limit": "1"])
            let limitedFacets = try #require(limited["result"]?["facets"])
            #expect(limitedFacets["tags"]?.members == ["人口": 3])
        }
    }

    @Test("package_show finds a dataset by name and by id, shaped like CKAN 2.10", arguments: TestBackend.available)
    func packageShow(backend: TestBackend) async throws {
        try await OpenDataFixture.run(backend) { fixture, client in
            let entry = fixture.population
            let (status, byName) = try await client.ckan("package_show", ["id": Self.name(entry)])
            #expect(status == .ok)
            let package = try #require(byName["result"])
            let (_, byID) = try await client.ckan("package_show", ["id": String(entry.id)])
            let sameByID = try #require(byID["result"])
            #expect(package == sameByID)

            #expect(package["id"] == .string(String(entry.id)))
            #expect(package["name"] == .string(Self.name(entry)))
            #expect(package["title"] == "人口基本信息")
            #expect(package["notes"] == .string(entry.content.abstract))
            #expect(package["state"] == "active")
            #expect(package["type"] == "dataset")
            #expect(package["private"] == false)
            #expect(package["license_id"] == "huitong-open")
            #expect(package["license_url"] == "http://127.0.0.1:8080/licence")
            #expect(package["isopen"] == true)
            #expect(package["maintainer"] == "张三")
            #expect(package["maintainer_email"] == "zhangsan@example.gov.cn")
            #expect(package["url"] == .string("http://127.0.0.1:8080/datasets/\(entry.id)"))
            let created = try #require(package["metadata_created"]?.text)
            #expect(created.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}/) != nil, "\(created)")
            let organization = try #require(package["organization"])
            #expect(organization["name"] == "gaj")
            #expect(organization["title"] == "六安市公安局")
            #expect(organization["is_organization"] == true)
            #expect(package["owner_org"] == organization["id"])
            let tags = try #require(package["tags"]?.elements)
            #expect(tags.compactMap { $0["name"]?.text } == ["人口", "户籍"])
            #expect(tags.allSatisfy { $0["vocabulary_id"] == .null && $0["state"] == "active" })
            #expect(package["num_tags"] == 2)
            let resources = try #require(package["resources"]?.elements)
            #expect(resources.compactMap { $0["format"]?.text } == ["CSV", "JSON"])
            #expect(resources.first?["url"] == .string("http://127.0.0.1:8080/datasets/\(entry.id)/download.csv"))
            #expect(resources.first?["mimetype"] == "text/csv")
            #expect(resources.first?["package_id"] == .string(String(entry.id)))
            #expect(package["num_resources"] == 2)
            let extras = try #require(package["extras"]?.elements)
            let extraValues = Dictionary(extras.map { ($0["key"]?.text ?? "", $0["value"]?.text ?? "") }) { first, _ in
                first
            }
            #expect(extraValues["resource_code"] == entry.code.text)
            #expect(extraValues["provider_code"] == "GAJ")
            #expect(extraValues["openness"] == "无条件开放")
            #expect(extraValues["update_cycle"] == "每月")

            let (_, conditional) = try await client.ckan("package_show", ["id": Self.name(fixture.floating)])
            let restricted = try #require(conditional["result"])
            #expect(restricted["license_id"] == "huitong-conditional")
            #expect(restricted["isopen"] == false)
        }
    }

    @Test(
        "closed, draft, withdrawn and unknown datasets are 404 in CKAN's error shape", arguments: TestBackend.available)
    func notFound(backend: TestBackend) async throws {
        try await OpenDataFixture.run(backend) { fixture, client in
            var references = ["no-such-dataset", "999999", "101001-9999"]
            for entry in fixture.hidden { references += [String(entry.id), Self.name(entry), entry.code.text] }
            for reference in references {
                let (status, body) = try await client.ckan("package_show", ["id": reference])
                #expect(status == .notFound, "\(reference)")
                #expect(body["success"] == false)
                #expect(body["help"] == "http://127.0.0.1:8080/api/3/action/help_show?name=package_show")
                #expect(CKAN.error(body)["__type"] == "Not Found Error")
                #expect(CKAN.error(body)["message"]?.text?.hasPrefix("Not found") == true)
            }
            let (missing, body) = try await client.ckan("package_show", [:])
            #expect(missing == .conflict)
            #expect(CKAN.error(body)["id"] == ["Missing value"])
        }
    }

    @Test("an unknown action is a 400 bad request, as in CKAN", arguments: TestBackend.available)
    func unknownAction(backend: TestBackend) async throws {
        try await TestNode.run(backend) { _, client in
            for method in [HTTPRequest.Method.get, .post] {
                let (status, text, headers) = try await client.exchange(
                    method, "/api/3/action/package_delete", token: nil, raw: nil, headers: [:])
                #expect(status == .badRequest)
                #expect(headers[.contentType]?.hasPrefix("application/json") == true)
                let body = try WireJSON.read(JSONValue.self, text)
                #expect(body["success"] == false)
                let message = try #require(CKAN.error(body)["message"]?.text)
                #expect(message.hasPrefix("Bad request - Action name not known: package_delete"))
            }
        }
    }

    @Test(
        "POST bodies work as JSON (as ckanapi sends them) and as forms, on /api/3/action and /api/action",
        arguments: TestBackend.available)
    func postBodies(backend: TestBackend) async throws {
        try await OpenDataFixture.run(backend) { fixture, client in
            for path in ["/api/3/action/package_search", "/api/action/package_search"] {
                // The JSON as ckanapi writes it, escaped characters and all: hand-written on purpose.
                let (status, text, _) = try await client.exchange(
                    .post, path, token: nil, raw: #"{"q": "\u4eba\u53e3", "rows": 1, "facet.field": ["tags"]}"#,
                    headers: [:])
                #expect(status == .ok)
                let result = try #require(try WireJSON.read(JSONValue.self, text)["result"])
                #expect(result["count"] == 3)
                #expect(CKAN.names(result).count == 1)
                #expect(result["facets"]?["tags"]?["人口"] == 3)
            }
            let form = try await client.execute(
                uri: "/api/3/action/package_search", method: .post,
                headers: [.contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "q=%E4%BA%BA%E5%8F%A3&fq=organization%3Agaj+tags%3A%E6%88%B7%E7%B1%8D")
            ) { response in (response.status, String(buffer: response.body)) }
            #expect(form.0 == .ok)
            let formResult = try #require(try WireJSON.read(JSONValue.self, form.1)["result"])
            #expect(CKAN.names(formResult) == [Self.name(fixture.population)])

            // Not JSON at all.
            let (badStatus, badText, _) = try await client.exchange(
                .post, "/api/3/action/package_search", token: nil, raw: "{nope", headers: [:])
            #expect(badStatus == .badRequest)
            #expect(CKAN.error(try WireJSON.read(JSONValue.self, badText))["__type"] == "Bad Request")
        }
    }

    @Test(
        "organization_list and organization_show count the open datasets of each department",
        arguments: TestBackend.available)
    func organizations(backend: TestBackend) async throws {
        try await OpenDataFixture.run(backend) { fixture, client in
            let (_, names) = try await client.ckan("organization_list", ["sort": "name asc"])
            #expect(names["result"] == ["gaj", "mzj", "sjj"])
            let (_, full) = try await client.ckan("organization_list", ["all_fields": "true"])
            let organizations = try #require(full["result"]?.elements)
            let counts = Dictionary(
                organizations.map { ($0["name"]?.text ?? "", $0["package_count"]?.number ?? -1) }
            ) { first, _ in first }
            #expect(counts == ["gaj": 2, "mzj": 2, "sjj": 0])
            #expect(organizations.allSatisfy { $0["type"] == "organization" })

            let (status, shown) = try await client.ckan("organization_show", ["id": "gaj", "include_datasets": "true"])
            #expect(status == .ok)
            let organization = try #require(shown["result"])
            #expect(organization["title"] == "六安市公安局")
            #expect(organization["package_count"] == 2)
            let packages = try #require(organization["packages"]?.elements)
            #expect(
                Set(packages.compactMap { $0["name"]?.text })
                    == Set([fixture.population, fixture.floating].map(Self.name)))
            let (_, withoutDatasets) = try await client.ckan(
                "organization_show", ["id": organization["id"]?.text ?? ""])
            #expect(withoutDatasets["result"]?["packages"] == nil)

            let (missing, body) = try await client.ckan("organization_show", ["id": "nope"])
            #expect(missing == .notFound)
            #expect(CKAN.error(body)["__type"] == "Not Found Error")
        }
    }

    @Test("status_show, package_list and help_show answer like CKAN", arguments: TestBackend.available)
    func siteActions(backend: TestBackend) async throws {
        try await OpenDataFixture.run(backend) { fixture, client in
            let (status, body) = try await client.ckan("status_show", [:])
            #expect(status == .ok)
            let site = try #require(body["result"])
            #expect(site["ckan_version"] == "2.10.4")
            #expect(site["site_url"] == "http://127.0.0.1:8080")
            #expect(site["locale_default"] == "zh_Hans_CN")
            #expect(site["site_title"]?.text?.isEmpty == false)
            #expect(site["site_description"]?.text != nil)
            #expect(site["extensions"]?.elements?.isEmpty == true)

            let (_, list) = try await client.ckan("package_list", [:])
            #expect(list["result"]?.elements?.compactMap(\.text) == fixture.open.map(Self.name).sorted())
            let (_, page) = try await client.ckan("package_list", ["limit": "1", "offset": "1"])
            #expect(page["result"]?.elements?.compactMap(\.text) == [fixture.open.map(Self.name).sorted()[1]])

            let (_, help) = try await client.ckan("help_show", ["name": "package_search"])
            #expect(help["result"]?.text?.contains("facet.field") == true)
        }
    }

    @Test("a CKAN client's own API key (ckanapi -a) does not stop it reading open metadata")
    func clientKeysAreIgnored() async throws {
        try await OpenDataFixture.run(.sqlite) { _, client in
            for key in ["some-ckan-key", "Bearer htu_not-a-token"] {
                let status = try await client.execute(
                    uri: "/api/3/action/status_show", method: .post,
                    headers: [.authorization: key, .contentType: "application/json"],
                    body: ByteBuffer(string: "{}")
                ) { $0.status }
                #expect(status == .ok, "\(key)")
            }
        }
    }
}

extension TestClientProtocol {
    /// Calls a CKAN action with GET and query parameters; returns the status and the answer as the node's
    /// `JSONValue` (CKAN's shape is CKAN's, not a type of this node).
    func ckan(
        _ action: String, _ parameters: [String: String], sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> (HTTPResponse.Status, JSONValue) {
        let query = parameters.sorted { $0.key < $1.key }.map { key, value in
            "\(key)=\(value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? value)"
        }.joined(separator: "&")
        return try await send(
            .get, "/api/3/action/\(action)" + (query.isEmpty ? "" : "?\(query)"), as: JSONValue.self,
            sourceLocation: sourceLocation)
    }
}

/// Reading CKAN answers.
enum CKAN {
    static func names(_ result: JSONValue) -> [String] {
        (result["results"]?.elements ?? []).compactMap { $0["name"]?.text }
    }

    static func error(_ body: JSONValue) -> JSONValue { body["error"] ?? .null }
}
