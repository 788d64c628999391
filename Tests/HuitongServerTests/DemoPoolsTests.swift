import Foundation
import HuitongCore
import HuitongStore
import HuitongTestSupport
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

@testable import HuitongDemo
@testable import HuitongServer
@testable import HuitongServices

/// The demo city's pools: generated data that is valid where registers are valid, wrong where registers are often
/// wrong, and served through the real gateway and governance APIs.
@Suite("Demo pools")
struct DemoPoolsTests {
    /// Runs `body` against the real application over a fresh database holding the whole demo.
    static func withDemo(
        _ backend: TestBackend,
        _ body: @escaping @Sendable (Store, any TestClientProtocol) async throws -> Void
    ) async throws {
        try await backend.withFreshDatabase { store, _ in
            try await NodeStartup.prepare(store: store)
            _ = try #require(try await DemoData.load(into: AccountUseCases(store: store, bcryptCost: 4)))
            let app = try await HuitongApp.buildApplication(reader: TestConfiguration.reader(), store: store) {
                $0 = TestNode.configuration.served(by: $0)
            }
            try await app.test(.router) { client in
                try await body(store, client)
            }
        }
    }

    /// A bearer token for a demo officer.
    static func token(_ store: Store, _ username: String) async throws -> String {
        let user = try #require(try await store.users.find(username: username))
        let secret = Secrets.issue(.user)
        _ = try await store.tokens.create(owner: .user(user.id), TokenDraft(name: "t", expiresAt: nil), secret: secret)
        return secret.plaintext
    }

    static func entry(_ store: Store, _ name: String) async throws -> CatalogEntry {
        let found = try await store.catalog.search(CatalogQuery(text: name, limit: 20), facets: [])
        return try #require(found.entries.first { $0.content.name == name })
    }

    @Test("the same rows every run: valid 六安 identities, with the documented defects and disagreements")
    func generatedData() throws {
        let pools = DemoPools.generate()
        let again = DemoPools.generate()
        #expect(pools.map(\.rows) == again.map(\.rows), "a fixed seed gives the same data")
        let byName = Dictionary(uniqueKeysWithValues: pools.map { ($0.entry, $0.rows) })

        let population = try #require(byName["人口基础信息"])
        #expect(population.count == DemoPools.people)
        let today = CalendarDate(year: 2025, month: 6, day: 30)!
        let counties: Set<String> = ["341502", "341503", "341504", "341522", "341523", "341524", "341525"]
        let ids = population.compactMap { row in try? ResidentIDNumber(row["sfzhm"] ?? "", today: today) }
        #expect(ids.count < population.count && ids.count >= population.count * 99 / 100, "a few bad check digits")
        #expect(ids.allSatisfy { counties.contains($0.regionCode.text) })
        let consistent = population.filter { row in
            guard let id = try? ResidentIDNumber(row["sfzhm"] ?? "", today: today) else { return true }
            return id.birthDate.description == row["csrq"]
                && (id.sex == .male ? "1" : "2") == row["xb"]
        }
        #expect(consistent.count < population.count, "some 出生日期 disagree with the ID number")
        #expect(consistent.count >= population.count * 99 / 100)
        #expect(population.contains { $0["hjdz"] == nil }, "a required item left empty")
        #expect(population.allSatisfy { counties.contains($0["xzqhdm"] ?? "") })
        #expect(Set(population.compactMap { $0["sfzhm"] }).count == population.count, "keys are unique")

        let insured = try #require(byName["参保人员信息"])
        let people = Dictionary(uniqueKeysWithValues: population.map { ($0["sfzhm"] ?? "", $0) })
        let covered = Set(insured.compactMap { $0["sfzhm"] })
        let share = Double(covered.count) / Double(population.count)
        #expect(share > 0.75 && share < 0.85)
        let renamed = insured.filter { row in people[row["sfzhm"] ?? ""].map { $0["xm"] != row["xm"] } ?? false }
        #expect(!renamed.isEmpty && renamed.count < insured.count / 50, "a handful of 姓名 disagree")
        let keys = insured.map { "\($0["sfzhm"] ?? "")/\($0["cbxz"] ?? "")" }
        #expect(Set(keys).count == insured.count)

        let register = try #require(byName["企业登记信息"])
        let codes = Set(register.compactMap { $0["tyshxydm"] })
        let valid = register.filter { UnifiedSocialCreditCode.validate($0["tyshxydm"] ?? "").isValid }
        #expect(valid.count < register.count && valid.count >= register.count * 98 / 100)
        let licences = try #require(byName["企业营业执照信息"])
        let dangling = licences.filter { !codes.contains($0["tyshxydm"] ?? "") }
        #expect(dangling.count == DemoPools.danglingLicences)
        #expect(dangling.allSatisfy { UnifiedSocialCreditCode.validate($0["tyshxydm"] ?? "").isValid })
        #expect(byName["人口出生统计信息"]?.count == 80 && byName["老年人口统计信息"]?.count == 56)
    }

    @Test(
        "a demo grant reads a generated person through the gateway, masked as the grant says",
        arguments: TestBackend.available)
    func gateway(_ backend: TestBackend) async throws {
        try await Self.withDemo(backend) { store, client in
            let population = try await Self.entry(store, "人口基础信息")
            #expect(population.mount?.kind == .table && population.recordCount == Int64(DemoPools.people))
            // Any generated person will do; the first of the pool in key order is stable.
            var extract = try #require(
                try await store.pools.beginExtract(
                    entryID: population.id, selecting: PoolSelection(columns: ["sfzhm", "xm", "csrq", "hjdz", "sjhm"]),
                    pageSize: 10))
            let page = try #require(try await store.pools.nextPage(of: &extract))
            let person = try #require(page.first { row in row.allSatisfy { $0 != nil } })
            let officer = try await Self.token(store, "rsj.officer")
            let rsj = try #require(try await store.users.find(username: "rsj.officer"))
            let system = try #require(try await store.applicationSystems.list(departmentID: rsj.departmentID).first)
            let (_, issued) = try await client.send(
                .post, "/api/v1/application-systems/\(system.id)/credentials", token: officer,
                input: AccountsAPI.TokenInput(name: "演示"), as: AccountsAPI.CreatedToken.self)
            let bearer = issued.secret
            let id = try #require(person[0])
            let (status, body) = try await client.send(
                .get, "/gateway/v1/\(population.code.text)/records?sfzhm=\(id)", token: bearer,
                as: GatewayAPITests.Records.self)
            #expect(status == .ok && body.count == 1)
            let record = try #require(body.records.first)
            #expect(Set(record.keys) == ["sfzhm", "xm", "csrq", "hjdz", "xzqhdm"], "the granted items, not 手机号码")
            let name = try #require(person[1])
            #expect(record["xm"] == String(name.prefix(1)) + String(repeating: "*", count: name.count - 1))
            #expect(record["sfzhm"] == MaskingRule.keep(first: 1, last: 2).apply(to: id))
            #expect(record["csrq"] == person[2], "出生日期 is not masked")
            let address = try #require(person[3])
            #expect(record["hjdz"] == MaskingRule.maskTail(count: 8).apply(to: address))
            #expect(record["hjdz"] != address)
        }
    }

    @Test("grading suggestions recognise the demo population's ID numbers, names, phones and addresses")
    func gradingSuggestions() async throws {
        try await Self.withDemo(.sqlite) { store, client in
            let population = try await Self.entry(store, "人口基础信息")
            let provider = try await Self.token(store, "gaj.provider")
            let (status, body) = try await client.send(
                .get, "/api/v1/catalog/entries/\(population.id)/grading-suggestions", token: provider,
                as: GradingSuggestionsAPI.Body.self)
            #expect(status == .ok && body.sampledRows == GradingSuggestionsAPI.sampleSize)
            let items = body.items
            let suggested = Dictionary(uniqueKeysWithValues: items.map { ($0.columnName, $0.suggested) })
            #expect(suggested["sfzhm"]?.kind == .residentID)
            #expect(suggested["xm"]?.kind == .personName)
            #expect(suggested["sjhm"]?.kind == .mobilePhone)
            #expect(suggested["hjdz"]?.kind == .address)
            #expect(suggested["xzqhdm"]?.kind == .regionCode)
            #expect(suggested["csrq"]?.kind == .other)
            #expect(suggested["sfzhm"]?.masking == .keep(first: 1, last: 2))
            #expect(suggested["xm"]?.masking == .keep(first: 1, last: 0))
            #expect(suggested["sjhm"]?.masking == .keep(first: 3, last: 4))
            #expect(suggested["hjdz"]?.masking == .maskTail(count: 8))
            let matched = items.filter { ["sfzhm", "xm", "sjhm", "hjdz"].contains($0.columnName) }
            #expect(matched.allSatisfy { $0.differs == false }, "the demo catalog already says so")
        }
    }
}
