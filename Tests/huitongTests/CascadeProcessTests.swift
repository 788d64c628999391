import AsyncHTTPClient
import Foundation
import HuitongCore
import HuitongCrypto
import HuitongDemo
import HuitongFederation
import HuitongStore
import HuitongTestSupport
import Logging
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import SQLKit
import Testing

@testable import HuitongServer
@testable import HuitongServices

#if canImport(Glibc)
    import Glibc
#endif

/// Three nodes — province 340000, city 341500, county 341502 — each its own `huitong serve` process with its own
/// database, talking over loopback.
@Suite("cascade between three node processes", .serialized)
struct CascadeProcessTests {
    static var executable: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("huitong")
    }

    /// Province records: three people of the county 341502, two of its neighbour 341503 and two of 合肥 340102.
    static let people: [(id: String, name: String, region: String)] = [
        ("341502199001010011", "回流甲", "341502"), ("341502198502020022", "回流乙", "341502"),
        ("341502197703030033", "回流丙", "341502"), ("341503199104040044", "邻县丁", "341503"),
        ("341503198805050055", "邻县戊", "341503"), ("340102199206060066", "合肥己", "340102"),
        ("340102198707070077", "合肥庚", "340102"),
    ]

    /// The province's records after 回流乙 was deleted, 回流丙 moved to 合肥 and 合肥庚 moved into the county.
    static let changedPeople: [(id: String, name: String, region: String)] = [
        ("341502199001010011", "回流甲", "341502"), ("341502197703030033", "回流丙", "340102"),
        ("341503199104040044", "邻县丁", "341503"), ("341503198805050055", "邻县戊", "341503"),
        ("340102199206060066", "合肥己", "340102"), ("340102198707070077", "合肥庚", "341502"),
    ]

    @Test(
        "on 国密: registration upward; 回流 SM4-encrypted on every link, relayed by a city killed and restarted; a cross-level application approved and used through an encrypted routed call; forged and clear messages refused"
    )
    func threeNodes() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.executable.path))
        let province = try await CascadeNode.prepare(region: "340000", name: "安徽省数据资源管理局")
        let city = try await CascadeNode.prepare(region: "341500", name: "六安市数据资源管理局")
        let county = try await CascadeNode.prepare(region: "341502", name: "金安区数据资源管理局")
        defer {
            for node in [province, city, county] {
                node.stop()
                node.remove()
            }
        }

        // Province data: the population pool with people of several counties.
        let population = try await province.withStore { store in
            let entry = try await Self.entry(named: "人口基础信息", store)
            let columns = entry.content.items.map(\.columnName)
            func column(_ name: String) -> String { entry.content.items.first { $0.name == name }!.columnName }
            let rows: [[String?]] = Self.people.map { person in
                columns.map { name -> String? in
                    switch name {
                    case column("身份证号码"): person.id
                    case column("姓名"): person.name
                    case column("行政区划代码"): person.region
                    default: nil
                    }
                }
            }
            let version = try await store.pools.beginVersion(
                entryID: entry.id, columns: columns, keyColumns: entry.content.keyItems.map(\.columnName),
                copyingActive: false)
            try await store.pools.insert(rows, into: version, replacingKeys: false)
            _ = try await store.pools.activate(version, keep: 3)
            return (
                entry: entry, regionColumn: column("行政区划代码"), idColumn: column("身份证号码"),
                nameColumn: column("姓名")
            )
        }
        let cityEntry = try await city.withStore { store in try await Self.entry(named: "人口基础信息", store) }
        let countyEntry = try await county.withStore { store in
            // The demo is a city's; on the county node its departments belong to the county.
            try await store.provider.transaction { sql in
                try await sql.raw("UPDATE departments SET region_code = '341502'").run()
            }
            return try await Self.entry(named: "人口基础信息", store)
        }

        // Peers, as each operator would register them with `huitong node add-peer`.
        try province.addPeer(city, relation: .child)
        try city.addPeer(province, relation: .parent)
        try city.addPeer(county, relation: .child)
        try county.addPeer(city, relation: .parent)
        // A county cannot be registered as the province's parent: the relation is checked.
        let wrong = Process()
        wrong.executableURL = Self.executable
        wrong.arguments = [
            "node", "add-peer", "--data", province.directory.path, "--database", "sqlite:\(province.databasePath)",
            "--log-level", "error", "--relation", "parent", "--region", "341502", "--name", "金安区",
            "--url", county.baseURL, "--public-key", county.key.publicKey.base64,
        ]
        wrong.environment = ProcessInfo.processInfo.environment.merging(["HUITONG_NODE_REGION": "340000"]) { $1 }
        wrong.standardOutput = FileHandle.nullDevice
        wrong.standardError = FileHandle.nullDevice
        try ChildProcess.launch(wrong)
        wrong.waitUntilExit()
        #expect(wrong.terminationStatus != 0)

        for node in [province, city, county] { try await node.start() }

        // 目录上报: the city registers its published catalog with the province, which answers with its codes.
        let sync = try await city.call(
            .POST, "/api/v1/federation/catalog-sync", expect: 200, returning: CatalogSyncResult.self)
        let registered = sync.registered
        #expect(registered > 10)
        let remote = try await eventually("the province lists the city's entries") {
            let list = try await province.call(
                .GET, "/api/v1/federation/remote-entries?origin=341500", expect: 200,
                returning: FederationAPI.ListBody<RemoteEntry>.self)
            return list.items.count == registered ? list.items : nil
        }
        #expect(remote.contains { !$0.registration.code.isEmpty })
        let found = try await province.call(
            .GET, "/api/v1/federation/remote-entries?q=\(Self.encoded("人口基础"))", expect: 200,
            returning: FederationAPI.ListBody<RemoteEntry>.self)
        #expect(found.items.count == 1, "remote entries are searchable by Chinese substring")
        _ = try await eventually("the city holds the province's code for every entry") {
            let list = try await city.call(
                .GET, "/api/v1/federation/registrations", expect: 200,
                returning: FederationAPI.ListBody<RegistrationRecord>.self)
            let mapped = list.items.filter { $0.upperCode?.contains("/341500") == true }
            return mapped.count == registered ? mapped : nil
        }

        // 运行监测: the city reports its figures; the province shows them beside its own.
        _ = try await city.call(
            .POST, "/api/v1/federation/monitoring/report", expect: 202, returning: MonitoringReport.self)
        let reported = try await eventually("the province holds the city's monitoring report") {
            let monitoring = try await province.call(
                .GET, "/api/v1/federation/monitoring", expect: 200, returning: FederationAPI.MonitoringBody.self)
            return monitoring.children.first { $0.node.region.code == "341500" }
        }
        #expect(reported.publishedEntries >= registered)

        // 回流: the county names the entry that receives the province's population records…
        _ = try await county.call(
            .POST, "/api/v1/federation/reflow-targets",
            input: FederationAPI.TargetInput(
                origin: "340000", sourceCode: population.entry.code.text, entryID: countyEntry.id),
            expect: 201, returning: ReflowTarget.self)
        let subscription = try await province.call(
            .POST, "/api/v1/federation/reflow-subscriptions",
            input: FederationAPI.SubscriptionInput(
                entryID: population.entry.id, child: "341502", regionColumn: population.regionColumn),
            expect: 201, returning: FederationAPI.SubscriptionBody.self)
        let subscriptionID = subscription.subscription.id

        // …and the city, which relays them, dies just as the run starts.
        city.kill()
        let run = try await province.call(
            .POST, "/api/v1/federation/reflow-subscriptions/\(subscriptionID)/run", expect: 200,
            returning: ReflowSendResult.self)
        #expect(run.rows == 3, "only the county's three people leave the province")
        _ = try await eventually("the province's outbox records failed attempts while the city is down") {
            let outbox = try await province.call(
                .GET, "/api/v1/federation/outbox?status=pending", expect: 200,
                returning: FederationAPI.ListBody<FederationAPI.OutboxSummary>.self)
            let items = outbox.items
            return items.contains { $0.attempts >= 1 && $0.lastError != nil } ? items : nil
        }
        try await city.start()
        let runs = try await eventually("the county applied the run once the city was back") {
            let list = try await county.call(
                .GET, "/api/v1/federation/reflow-runs?entryID=\(countyEntry.id)", expect: 200,
                returning: FederationAPI.ListBody<ReflowRun>.self)
            return list.items.isEmpty ? nil : list.items
        }
        #expect(runs.count == 1 && runs[0].rowsApplied == 3)

        // A second, forced run re-sends the same people, and this time the city dies holding them: the county is
        // down, so the relayed parts wait in the city's outbox when the city is killed. Restarted, it delivers
        // them; merged by key, nothing doubles.
        county.stop()
        _ = try await province.call(
            .POST, "/api/v1/federation/reflow-subscriptions/\(subscriptionID)/run?force=true", expect: 200,
            returning: ReflowSendResult.self)
        _ = try await eventually("the city holds the relayed part for the county") {
            let outbox = try await city.call(
                .GET, "/api/v1/federation/outbox?status=pending", expect: 200,
                returning: FederationAPI.ListBody<FederationAPI.OutboxSummary>.self)
            let items = outbox.items.filter { $0.kind.rawValue == "reflow.batch" && $0.nextHop == "341502" }
            return items.isEmpty ? nil : items
        }
        city.kill()
        try await city.start()
        try await county.start()
        _ = try await eventually("the second run arrives") {
            let list = try await county.call(
                .GET, "/api/v1/federation/reflow-runs?entryID=\(countyEntry.id)", expect: 200,
                returning: FederationAPI.ListBody<ReflowRun>.self)
            return list.items.count == 2 ? list.items : nil
        }

        // 回流 is a snapshot of each child's slice of the province's pool, not a merge into what it held. The city
        // subscribes too (its whole jurisdiction), naming the region item by its Chinese name.
        _ = try await city.call(
            .POST, "/api/v1/federation/reflow-targets",
            input: FederationAPI.TargetInput(
                origin: "340000", sourceCode: population.entry.code.text, entryID: cityEntry.id),
            expect: 201, returning: ReflowTarget.self)
        let citySubscription = try await province.call(
            .POST, "/api/v1/federation/reflow-subscriptions",
            input: FederationAPI.SubscriptionInput(
                entryID: population.entry.id, child: "341500", regionColumn: "行政区划代码"),
            expect: 201, returning: FederationAPI.SubscriptionBody.self)
        #expect(citySubscription.subscription.regionColumn == population.regionColumn)
        let citySubscriptionID = citySubscription.subscription.id
        // At the province 回流乙 is deleted, 回流丙 moves from the county to 合肥, and 合肥庚 moves into the county.
        province.stop()
        try await province.withStore { store in
            let columns = population.entry.content.items.map(\.columnName)
            let version = try await store.pools.beginVersion(
                entryID: population.entry.id, columns: columns,
                keyColumns: population.entry.content.keyItems.map(\.columnName), copyingActive: false)
            try await store.pools.insert(
                Self.changedPeople.map { person in
                    columns.map { name -> String? in
                        switch name {
                        case population.idColumn: person.id
                        case population.nameColumn: person.name
                        case population.regionColumn: person.region
                        default: nil
                        }
                    }
                }, into: version, replacingKeys: false)
            _ = try await store.pools.activate(version, keep: 3)
        }
        try await province.start()
        let countyRun = try await province.call(
            .POST, "/api/v1/federation/reflow-subscriptions/\(subscriptionID)/run", expect: 200,
            returning: ReflowSendResult.self)
        let countySlice = Self.changedPeople.filter { $0.region.hasPrefix("341502") }
        #expect(countyRun.rows == countySlice.count)
        let cityRun = try await province.call(
            .POST, "/api/v1/federation/reflow-subscriptions/\(citySubscriptionID)/run", expect: 200,
            returning: ReflowSendResult.self)
        let citySlice = Self.changedPeople.filter { $0.region.hasPrefix("3415") }
        #expect(cityRun.rows == citySlice.count)
        for (node, entryID, sent) in [(county, countyEntry.id, countyRun), (city, cityEntry.id, cityRun)] {
            let applied = try await eventually("node \(node.region.code) applied the run after the deletion and moves")
            {
                let list = try await node.call(
                    .GET, "/api/v1/federation/reflow-runs?entryID=\(entryID)", expect: 200,
                    returning: FederationAPI.ListBody<ReflowRun>.self)
                return list.items.first { $0.runID == sent.runID }
            }
            #expect(applied.rowsApplied == Int64(sent.rows), "rowsApplied is what the parent sent")
        }

        // 跨层级申请: the county's 人社局 applies for the province's population entry; the province's 公安 provider
        // approves; the decision comes back down, and the county's system then calls through the city.
        let today = CalendarDate(Date())
        let applied = try await county.call(
            .POST, "/api/v1/federation/applications",
            input: FederationAPI.ApplicationInput(
                owner: "340000", resourceCode: population.entry.code.text,
                items: [population.idColumn, population.nameColumn, population.regionColumn],
                purpose: .dataVerification, purposeText: "核验参保人员身份", legalBasis: "《社会保险法》第八条",
                scenario: "养老金待遇资格认证", validFrom: today, validTo: today.addingDays(30), expectedDailyCalls: 100),
            as: "rsj.officer", expect: 201, returning: OutgoingApplication.self)
        let reference = applied.reference
        let filed = try await eventually("the province's provider sees the routed application") {
            let list = try await province.call(
                .GET, "/api/v1/applications", as: "gaj.provider", expect: 200,
                returning: ListBody<SharingAPI.ApplicationBody>.self)
            // Filed under the applicant's name and node, for a department standing for the county's 人社局.
            return list.items.first { $0.application.applicantName.hasSuffix("（341502）") }
        }
        let applicationID = filed.application.id
        _ = try await province.call(
            .POST, "/api/v1/applications/\(applicationID)/decision",
            input: SharingAPI.DecisionInput(
                kind: .approve, comment: "同意，限本县数据", terms: GrantTerms(rowFilter: .consumerRegion)),
            as: "gaj.provider", expect: 200, returning: SharingAPI.ApplicationBody.self)
        _ = try await eventually("the county learns the application was approved") {
            let list = try await county.call(
                .GET, "/api/v1/federation/applications", as: "rsj.officer", expect: 200,
                returning: FederationAPI.ListBody<OutgoingApplication>.self)
            let mine = list.items.first { $0.reference == reference }
            return mine?.state == "approved" ? mine : nil
        }
        let systems = try await county.call(
            .GET, "/api/v1/application-systems", as: "rsj.officer", expect: 200,
            returning: ListBody<ApplicationSystem>.self)
        let systemID = try #require(systems.items.first?.id)
        let credential = try await county.call(
            .POST, "/api/v1/application-systems/\(systemID)/tokens", input: AccountsAPI.TokenInput(name: "跨层级核验"),
            as: "rsj.officer", expect: 201, returning: AccountsAPI.CreatedToken.self)
        let secret = credential.secret
        let gateway = "/api/v1/federation/remote-gateway/340000/\(population.entry.code.text)/records"
        let lookup = try await county.call(
            .GET, "\(gateway)?key=\(Self.people[0].id)", bearer: secret, expect: 200,
            returning: FederationAPI.RemoteRecordsBody.self)
        let records = lookup.records
        #expect(lookup.count == 1 && records.count == 1)
        let record = records.first ?? [:]
        let region = record[population.regionColumn] ?? nil
        let shownID = record[population.idColumn] ?? nil
        #expect(region == "341502")
        #expect(shownID != nil && shownID != Self.people[0].id, "the owner's grant masks the ID number: \(record)")
        let neighbour = try await county.call(
            .GET, "\(gateway)?key=\(Self.people[3].id)", bearer: secret, expect: 200,
            returning: FederationAPI.RemoteRecordsBody.self)
        #expect(neighbour.count == 0, "the grant's row filter keeps the county to its own people")
        for node in [province, county] {
            let logged = try await node.call(
                .GET, "/api/v1/audit/entries?action=gateway.lookup", expect: 200, returning: AuditAPI.EntriesBody.self)
            #expect(logged.items.count >= 2, "node \(node.region.code) logged the routed calls")
        }

        // A message signed with the wrong key, and one from a node nobody registered, are refused and audited.
        let forged = try SignedFederationMessage.sign(
            id: UUID().uuidString.lowercased(), kind: .monitoringReport, origin: city.region,
            destination: province.region,
            from: city.region, to: province.region, body: Array("{}".utf8), with: .generate())
        let refused = try await province.post(wire: WireMessage(forged))
        #expect(refused.status == 401 && refused.body.contains("bad_signature"), "\(refused.body)")
        // A genuinely signed envelope whose body was changed on the way has its own refusal.
        let signedEnvelope = try SignedFederationMessage.sign(
            id: UUID().uuidString.lowercased(), kind: .monitoringReport, origin: city.region,
            destination: province.region, from: city.region, to: province.region, body: Array("{}".utf8),
            with: city.key)
        var altered = WireMessage(signedEnvelope)
        altered.body = #"{"changed": true}"#
        let digest = try await province.post(wire: altered)
        #expect(digest.status == 401 && digest.body.contains("bad_digest"), "\(digest.body)")
        let stranger = try NodeRegion("350000")
        let unknown = try SignedFederationMessage.sign(
            id: UUID().uuidString.lowercased(), kind: .monitoringReport, origin: stranger, destination: province.region,
            from: stranger, to: province.region, body: Array("{}".utf8), with: .generate())
        let unknownAnswer = try await province.post(wire: WireMessage(unknown))
        #expect(unknownAnswer.status == 401 && unknownAnswer.body.contains("unknown_node"), "\(unknownAnswer.body)")
        let rejections = try await province.call(
            .GET, "/api/v1/audit/entries?action=federation.rejected", expect: 200, returning: AuditAPI.EntriesBody.self)
        #expect(rejections.items.count >= 2)
        // The nodes run 国密: a hop signed with the city's real SM2 key but carrying 回流 in clear is refused by the
        // county, which takes personal data only SM4-encrypted to its own key.
        for node in [province, city, county] {
            let identity = try await node.call(
                .GET, "/api/v1/federation/node", expect: 200, returning: FederationAPI.IdentityBody.self)
            #expect(identity.suite == "gm")
        }
        let clearReflow = try SignedFederationMessage.sign(
            id: UUID().uuidString.lowercased(), kind: .reflowBatch, origin: province.region,
            destination: county.region, from: city.region, to: county.region, body: Array("{}".utf8),
            with: SigningPrivateKey(sm2: city.sm2))
        let clearAnswer = try await county.post(wire: WireMessage(clearReflow))
        #expect(clearAnswer.status == 400 && clearAnswer.body.contains("not_encrypted"), "\(clearAnswer.body)")

        // A genuine message delivered twice is handled once.
        let report = MonitoringReport(
            node: NodeProfile(region: city.region, name: city.name), generatedAt: Date(), publishedEntries: 1,
            mountedResources: 0, applications: 0, approvedApplications: 0, gatewayCalls: 0, averageQuality: nil)
        let genuine = WireMessage(
            try SignedFederationMessage.sign(
                id: UUID().uuidString.lowercased(), kind: .monitoringReport, origin: city.region,
                destination: province.region, from: city.region, to: province.region,
                body: Array(try JSONEncoder.iso8601.encode(report)), with: city.key))
        #expect(try await province.post(wire: genuine).body.contains("\"handled\""))
        #expect(try await province.post(wire: genuine).body.contains("\"duplicate\""))

        for node in [province, city, county] { node.stop() }

        // Each child's pool is exactly its slice of the province's active version, row by row: the deleted person
        // and the one who moved out are gone from the county and the city, the one who moved in has arrived.
        for (node, entryID, slice) in [
            (county, countyEntry.id, Self.changedPeople.filter { $0.region.hasPrefix("341502") }),
            (city, cityEntry.id, Self.changedPeople.filter { $0.region.hasPrefix("3415") }),
        ] {
            let (held, stored) = try await node.withStore { store in
                let version = try #require(try await store.pools.active(entryID: entryID))
                var held: [[String]] = []
                _ = try await store.pools.extract(
                    entryID: entryID,
                    selecting: PoolSelection(
                        columns: [population.idColumn, population.nameColumn, population.regionColumn]),
                    pageSize: 1_000
                ) { page in held += page.map { $0.map { $0 ?? "" } } }
                let stored = try await store.provider.read { sql in
                    try await sql.raw(
                        "SELECT \(unsafeRaw: population.idColumn) AS id FROM \(unsafeRaw: version.tableName)"
                    ).all().map { try $0.decode(column: "id", as: String.self) }
                }
                return (held.sorted { $0[0] < $1[0] }, stored)
            }
            // On gm the grade policy has ID numbers (and names) SM4-encrypted at rest: the database holds none.
            #expect(!stored.isEmpty && stored.allSatisfy { $0.hasPrefix("HC1:") }, "ID numbers are stored encrypted")
            let expected = slice.sorted { $0.id < $1.id }.map { [$0.id, $0.name, $0.region] }
            #expect(held == expected, "node \(node.region.code) holds exactly the province's slice")
        }
        try await county.withStore { store in
            let version = try #require(try await store.pools.active(entryID: countyEntry.id))
            var rows: [String] = []
            _ = try await store.pools.extract(
                entryID: countyEntry.id, selecting: PoolSelection(columns: [population.idColumn]), pageSize: 1_000
            ) { page in rows += page.compactMap { $0[0] } }
            for person in Self.changedPeople {
                let copies = rows.filter { $0 == person.id }.count
                #expect(copies == (person.region == "341502" ? 1 : 0), "\(person.name): \(copies)")
            }
            #expect(Set(rows).count == rows.count, "no duplicates")
            let runs = try await store.reflows.runs(entryID: countyEntry.id)
            #expect(runs.map(\.poolVersion).contains(version.version), "the active version says where it came from")
            #expect(runs.allSatisfy { $0.origin == province.region && $0.sourceCode == population.entry.code.text })
        }
    }

    static func entry(named name: String, _ store: Store) async throws -> CatalogEntry {
        let id = try await store.provider.read { sql in
            try await sql.raw("SELECT id FROM catalog_entries WHERE name = \(bind: name)").first()?
                .decode(column: "id", as: Int64.self)
        }
        let found = try #require(id, "the demo catalog has \(name)")
        return try #require(try await store.catalog.find(id: found))
    }

    static func encoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? text
    }

    /// Polls `check` for up to two minutes: generous, because in a full `swift test` on two cores the three debug
    /// nodes share the machine with every other suite (the browser's Chromium among them). A wait, not a timing
    /// requirement: the outbox's backoff alone can take a few seconds.
    func eventually<Value>(
        _ what: Comment, _ check: () async throws -> Value?, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> Value {
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            if let value = try await check() { return value }
            try await Task.sleep(for: .milliseconds(200))
        }
        Issue.record("timed out waiting: \(what)", sourceLocation: sourceLocation)
        throw CancellationError()
    }
}

extension JSONEncoder {
    static var iso8601: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }
}

extension JSONDecoder {
    /// Reads JSON as the nodes write it: ISO 8601 dates.
    static var iso8601: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}

/// No request body.
struct NoBody: Encodable {}

/// One node: its data directory, database, key and process, and an operator session on its API.
final class CascadeNode: @unchecked Sendable {
    let region: NodeRegion
    let name: String
    let directory: URL
    let port: Int
    let key: NodeIdentityKey
    /// The node's SM2 key: it runs 国密, signing hops with it and receiving 回流 and calls encrypted to it.
    let sm2: SM2PrivateKey
    /// The demo's one-time passwords, by user name.
    let passwords: [String: String]
    private var process: Process?
    /// Signed-in sessions by user name: the cookie and the CSRF token to send with it.
    private var sessions: [String: (cookie: String, csrf: String)] = [:]

    init(
        region: NodeRegion, name: String, directory: URL, port: Int, key: NodeIdentityKey, sm2: SM2PrivateKey,
        passwords: [String: String]
    ) {
        self.region = region
        self.name = name
        self.directory = directory
        self.port = port
        self.key = key
        self.sm2 = sm2
        self.passwords = passwords
    }

    var databasePath: String { directory.appendingPathComponent("huitong.sqlite").path }
    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// A database with the demo city loaded (its departments, officers and catalog stand in for any level's).
    static func prepare(region: String, name: String) async throws -> CascadeNode {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cascade-\(region)-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let store = try await Store.openNodeDatabase(directory)
        defer { Task { await store.provider.shutdown() } }
        try await NodeStartup.prepare(store: store)
        let issued = try #require(
            try await DemoData.load(into: AccountUseCases(store: store, bcryptCost: 4)))
        await store.provider.shutdown()
        return CascadeNode(
            region: try NodeRegion(region), name: name, directory: directory, port: try freePort(),
            key: .generate(), sm2: try SM2PrivateKey.generate(),
            passwords: Dictionary(issued.map { ($0.username, $0.password) }) { first, _ in first })
    }

    func withStore<Result: Sendable>(_ body: (Store) async throws -> Result) async throws -> Result {
        let store = try await Store.openNodeDatabase(directory)
        do {
            let result = try await body(store)
            await store.provider.shutdown()
            return result
        } catch {
            await store.provider.shutdown()
            throw error
        }
    }

    /// Both keys, as `huitong node show` prints them for a peer's registration.
    var publicKeys: String {
        "\(key.publicKey.base64) sm2:\(Data(sm2.publicKey.uncompressedPoint).base64EncodedString())"
    }

    /// Registers `peer` with `huitong node add-peer`, as an operator would.
    func addPeer(_ peer: CascadeNode, relation: PeerRelation) throws {
        let process = Process()
        process.executableURL = CascadeProcessTests.executable
        process.arguments = [
            "node", "add-peer", "--data", directory.path, "--database", "sqlite:\(databasePath)",
            "--log-level", "error", "--relation", relation.rawValue, "--region", peer.region.code, "--name", peer.name,
            "--url", peer.baseURL, "--public-key", peer.publicKeys,
        ]
        // The node's first command stores its identity (region and name) for every later one, `serve` included.
        process.environment = ProcessInfo.processInfo.environment.merging([
            "HUITONG_NODE_REGION": region.code, "HUITONG_NODE_NAME": name,
        ]) { $1 }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try ChildProcess.launch(process)
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(
            process.terminationStatus == 0 && text.contains("registered \(relation.rawValue) \(peer.region.code)"),
            "\(text)")
    }

    func start() async throws {
        let process = Process()
        process.executableURL = CascadeProcessTests.executable
        process.arguments = [
            "serve", "--data", directory.path, "--database", "sqlite:\(databasePath)", "--port", "\(port)",
            "--log-level", "warning",
        ]
        process.environment = ProcessInfo.processInfo.environment.merging([
            "HUITONG_NODE_REGION": region.code, "HUITONG_NODE_NAME": name,
            "HUITONG_NODE_KEY": Data(key.rawPrivateKey).base64EncodedString(),
            "HUITONG_NODE_SM2_KEY": sm2.pemRepresentation, "HUITONG_CRYPTO_SUITE": "gm",
            "HUITONG_FEDERATION_SYNC_SECONDS": "0", "HUITONG_FEDERATION_POLL_SECONDS": "1",
            "HUITONG_LICENCE_PUBLICATION_SETTLE_SECONDS": "1",
            "HUITONG_FEDERATION_RETRY_MAXIMUM_SECONDS": "1", "HUITONG_BCRYPT_COST": "4",
            "HUITONG_PASSWORD_ITERATIONS": "1000",
        ]) { $1 }
        let log = directory.appendingPathComponent("serve.log")
        if !FileManager.default.fileExists(atPath: log.path) {
            _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        }
        let handle = try FileHandle(forWritingTo: log)
        try handle.seekToEnd()
        process.standardOutput = handle
        process.standardError = handle
        try ChildProcess.launch(process)
        self.process = process
        // Starting takes a second alone; under a full parallel test run on two cores it can take far longer.
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            if let answer = try? await request(.GET, "/api/v1/federation/node", body: nil), answer.status == 200 {
                sessions = [:]
                return
            }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        Issue.record("node \(region.code) did not start:\n\(output.suffix(3_000))")
        throw CancellationError()
    }

    /// SIGKILL: no graceful shutdown, as when a machine loses power.
    func kill() {
        guard let process, process.isRunning else { return }
        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        self.process = nil
    }

    /// SIGTERM, and SIGKILL if the node has not finished its graceful shutdown within 15 s (a test must never
    /// hang on a node that does not stop).
    func stop() {
        guard let process, process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(15)
        while process.isRunning && Date() < deadline { usleep(50_000) }
        if process.isRunning {
            Issue.record("node \(region.code) ignored SIGTERM for 15 s")
            Glibc.kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
        self.process = nil
    }

    /// Deletes the node's directory, unless HUITONG_KEEP_CASCADE_NODES is set (to read the nodes' logs after a
    /// failure).
    func remove() {
        guard ProcessInfo.processInfo.environment["HUITONG_KEEP_CASCADE_NODES"] == nil else { return }
        try? FileManager.default.removeItem(at: directory)
    }

    func login(_ user: String) async throws -> (cookie: String, csrf: String) {
        if let session = sessions[user] { return session }
        let answer = try await request(
            .POST, "/api/v1/auth/login",
            body: try JSONEncoder.iso8601.encode(AuthAPI.LoginInput(username: user, password: passwords[user] ?? "")))
        #expect(answer.status == 200, "\(answer.body)")
        let result = try JSONDecoder.iso8601.decode(AuthAPI.LoginResult.self, from: Data(answer.body.utf8))
        let session = (cookie: answer.setCookie?.components(separatedBy: ";").first ?? "", csrf: result.csrfToken)
        sessions[user] = session
        return session
    }

    /// Calls the node's API as `user` (the operator unless named) with `input` encoded as the handlers decode it,
    /// and decodes the answer into the type the handler encodes; an answer that does not decode fails the test
    /// with its text.
    func call<Output: Decodable>(
        _ method: HTTPMethod, _ path: String, input: (some Encodable)? = NoBody?.none, as user: String = "admin",
        bearer: String? = nil, expect status: Int, returning type: Output.Type,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> Output {
        let session = bearer == nil ? try await login(user) : nil
        let answer = try await request(
            method, path, body: try input.map { try JSONEncoder.iso8601.encode($0) }, session: session, bearer: bearer)
        #expect(answer.status == status, "\(method) \(path): \(answer.body)", sourceLocation: sourceLocation)
        do {
            return try JSONDecoder.iso8601.decode(Output.self, from: Data(answer.body.utf8))
        } catch {
            Issue.record(
                "\(method) \(path) answered \(answer.status) with a body that is not \(Output.self): \(error)\n\(answer.body)",
                sourceLocation: sourceLocation)
            throw error
        }
    }

    func post(wire: WireMessage) async throws -> (status: Int, body: String) {
        let answer = try await request(.POST, WireMessage.path, body: try JSONEncoder.iso8601.encode(wire))
        return (answer.status, answer.body)
    }

    func request(
        _ method: HTTPMethod, _ path: String, body: Data?, session: (cookie: String, csrf: String)? = nil,
        bearer: String? = nil
    ) async throws -> (status: Int, body: String, setCookie: String?) {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        request.headers.add(name: "Content-Type", value: "application/json")
        if let session {
            request.headers.add(name: "Cookie", value: session.cookie)
            request.headers.add(name: "X-CSRF-Token", value: session.csrf)
        }
        if let bearer { request.headers.add(name: "Authorization", value: "Bearer \(bearer)") }
        if let body { request.body = .bytes(ByteBuffer(data: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let buffer = try await response.body.collect(upTo: 16 * 1024 * 1024)
        return (Int(response.status.code), String(buffer: buffer), response.headers.first(name: "Set-Cookie"))
    }
}

/// A port nothing listens on: the kernel's pick for a socket bound to port 0.
func freePort() throws -> Int {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
            bind(descriptor, generic, length) == 0 && getsockname(descriptor, generic, &length) == 0
        }
    }
    guard bound else { throw CancellationError() }
    return Int(UInt16(bigEndian: address.sin_port))
}
