import ArgumentParser
import Configuration
import Foundation
import HuitongCore
import HuitongServices
import HuitongStore
import Hummingbird
import Logging
import NIOCore

/// `huitong bench-gateway-setup`: on a database holding the demo and an imported pool, makes a consumer able to
/// call the gateway the normal way — an application system with a bearer credential, an application for the entry,
/// the provider's approval through `SharingUseCases` — and writes random existing keys for the load generator.
/// Driven by `bench/gateway`; hidden from help because it files an application and issues a credential.
struct BenchGatewaySetup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-gateway-setup", abstract: "Prepare a grant and keys for bench/gateway.",
        shouldDisplay: false)

    @OptionGroup var node: NodeOptions

    @Option(help: "Resource code of the entry to call.")
    var entry = "101001/0001"

    @Option(help: "Code of the consumer department (one of the demo's departments other than the provider).")
    var consumer = "MZJ"

    @Option(help: "Column names to apply for; the default asks for every item of the entry.")
    var items: String?

    @Option(help: "Where to write random keys of the active pool version, one per line.")
    var keys: String

    @Option(help: "How many keys to write.")
    var keyCount = 100_000

    /// The highest rate a decision may grant (`SharingSettings.validated` caps the setting there): the benchmark
    /// measures the gateway, not its limiter refusing calls.
    static let rateLimit = 100_000

    func run() async throws {
        guard keyCount > 0 else { throw ValidationError("--key-count must be at least 1") }
        try await withStore(node) { store, config, _ in
            guard let entry = try await store.catalog.find(code: entry) else {
                throw ValidationError("there is no catalog entry \(self.entry); load the demo first (huitong demo)")
            }
            guard let version = try await store.pools.active(entryID: entry.id) else {
                throw ValidationError("entry \(entry.code.text) has no active pool version; import rows first")
            }
            guard version.keyColumns.count == 1, let keyColumn = version.keyColumns.first else {
                throw ValidationError(
                    "entry \(entry.code.text) has key columns \(version.keyColumns); the benchmark needs exactly one")
            }
            let (system, token) = try await credential(store, config)
            // The grant goes on the audit log like any other grant.
            let audit = try await node.auditTrail(store, config)
            // A second run on the same database (FRESH=0) keeps the grant of the first.
            let earlier = try await store.grants.activeGrants(
                consumerDepartmentID: system.departmentID, resourceCode: entry.code.text, on: CalendarDate.today()
            ).first { $0.systemIDs == [system.id] && $0.rateLimit == Self.rateLimit }
            let grant: Grant
            if let earlier {
                grant = earlier
            } else {
                grant = try await approve(store, entry: entry, system: system, audit: audit.log)
            }
            let written = try await writeKeys(store, version: version, keyColumn: keyColumn)
            // Machine-readable, one `name=value` per line: bench/gateway reads these.
            print("token=\(token)")
            print("grant=\(grant.id)")
            print("system=\(system.id)")
            print("resource=\(entry.code.text)")
            print("key_column=\(keyColumn)")
            print("table=\(version.tableName)")
            print("rows=\(version.rowCount)")
            print(
                "columns=\(entry.content.items.map(\.columnName).filter(grant.items.contains).joined(separator: ","))")
            print("masked=\(grant.masking.keys.sorted().joined(separator: ","))")
            print("rate_limit=\(grant.rateLimit)")
            print("daily_quota=\(grant.dailyQuota)")
            print("keys=\(written)")
        }
    }

    /// The consumer department's benchmark application system (made on the first run) and a new bearer credential
    /// for it, sealed with the node's key like credentials issued through the API, so that it could sign too.
    func credential(_ store: Store, _ config: ConfigReader) async throws -> (ApplicationSystem, String) {
        guard let department = try await store.departments.find(code: consumer) else {
            throw ValidationError("there is no department with code \(consumer)")
        }
        let name = "网关压测系统 (bench/gateway)"
        let system: ApplicationSystem
        if let existing = try await store.applicationSystems.list(departmentID: department.id).first(where: {
            $0.name == name
        }) {
            system = existing
        } else {
            system = try await store.applicationSystems.create(
                departmentID: department.id,
                try ApplicationSystemDraft(name: name, description: "bench/gateway 的调用方").validated())
        }
        let (sealingKey, _) = try SealingKeyLoader.load(
            base64: config.string(forKey: "huitong.sealing.key", isSecret: true),
            dataDirectory: config.string(forKey: "huitong.data", default: "./huitong-data"))
        let secret = Secrets.issue(.system)
        let keyID = CredentialKeyID.generate()
        _ = try await store.tokens.createCredential(
            systemID: system.id, try TokenDraft(name: "bench", expiresAt: nil).validated(now: Date()), secret: secret,
            keyID: keyID, sealedSecret: sealingKey.seal(secret.plaintext, context: keyID))
        return (system, secret.plaintext)
    }

    /// Applies for the entry as the consumer's officer and approves as the provider's, so the grant is compiled
    /// exactly as for any approval (masking defaults from each item's kind of data).
    func approve(_ store: Store, entry: CatalogEntry, system: ApplicationSystem, audit: AuditLog) async throws
        -> Grant
    {
        let applicant = try await officer(store, departmentID: system.departmentID, role: .consumer)
        let decider = try await officer(store, departmentID: entry.provider.departmentID, role: .provider)
        let asked =
            items.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
            ?? entry.content.items.map(\.columnName)
        let service = SharingUseCases(
            store: store,
            settings: try SharingSettings(defaultRateLimit: Self.rateLimit, maximumRateLimit: Self.rateLimit)
                .validated(), audit: audit)
        let today = CalendarDate.today()
        let application = try await service.create(
            ApplicationDraft(
                entryID: entry.id, items: asked, purpose: .dataVerification,
                purposeText: "压力测试：按公民身份号码逐条核验（bench/gateway）", legalBasis: "性能基准测试，非生产数据",
                scenario: "网关吞吐量与延迟测量", systemIDs: [system.id], validFrom: today, validTo: today.addingDays(30),
                expectedDailyCalls: ApplicationDraft.maximumDailyCalls),
            by: applicant)
        _ = try await service.submit(id: application.id, by: applicant)
        let decided = try await service.decide(
            id: application.id,
            ProviderDecision(
                kind: .approve, comment: "同意（基准测试）", terms: GrantTerms(rateLimit: Self.rateLimit)),
            by: decider)
        guard decided.state.isGranted,
            let grant = try await store.grants.activeGrants(
                consumerDepartmentID: system.departmentID, resourceCode: entry.code.text, on: today
            ).first(where: { $0.applicationID == application.id })
        else {
            throw ValidationError("the application ended \(decided.state.rawValue), without an active grant")
        }
        return grant
    }

    func officer(_ store: Store, departmentID: Int64, role: Role) async throws -> User {
        let officers = try await store.users.list(departmentID: departmentID).filter { $0.isActive && $0.has(role) }
        guard let officer = officers.min(by: { $0.id < $1.id }) else {
            throw ValidationError("department \(departmentID) has no active \(role.rawValue) officer")
        }
        return officer
    }

    /// Random keys of the active version, so that every lookup finds a row (a benchmark of misses would measure
    /// an empty index probe).
    func writeKeys(_ store: Store, version: PoolVersion, keyColumn: String) async throws -> Int {
        let count = keyCount
        let keys = try await store.benchmarks.randomKeys(of: version, column: keyColumn, limit: count)
        guard !keys.isEmpty else { throw ValidationError("the pool table \(version.tableName) is empty") }
        try Data((keys.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: self.keys))
        return keys.count
    }
}

/// `huitong bench-bare-lookup`: the peer of the gateway in bench/gateway — the same pool read by key, answered as
/// JSON, with no authentication, grant, masking or audit. The difference is what the platform's policy costs.
struct BenchBareLookup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-bare-lookup", abstract: "Serve raw pool lookups by key (peer for bench/gateway).",
        shouldDisplay: false)

    @OptionGroup var node: NodeOptions

    @Option(help: "Port to listen on (127.0.0.1).")
    var port: Int

    @Option(help: "Resource code of the entry whose pool is read.")
    var entry = "101001/0001"

    @Option(help: "Columns to answer, comma-separated (the gateway's selection); default every item of the entry.")
    var columns: String?

    func run() async throws {
        let config = node.reader()
        let logger = node.makeLogger(config)
        let store = try await node.openStore(config, logger: logger)
        let lookup: BareLookup
        do {
            guard let found = try await store.catalog.find(code: entry) else {
                throw ValidationError("there is no catalog entry \(entry)")
            }
            let selected =
                columns.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
                ?? found.content.items.map(\.columnName)
            lookup = BareLookup(
                store: store, entryID: found.id, keyColumns: found.content.keyItems.map(\.columnName),
                selection: PoolSelection(columns: selected))
        } catch {
            await store.provider.shutdown()
            throw error
        }
        let router = Router()
        router.get("lookup") { request, _ in try await lookup.answer(request) }
        var app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)), logger: logger)
        app.addServices(store.provider)
        print("bare lookup of \(entry) on http://127.0.0.1:\(port)/lookup")
        fflush(nil)
        try await app.runService()
    }
}

/// The bare lookup itself: parse keys as the gateway does, read the pool, write JSON.
struct BareLookup: Sendable {
    let store: Store
    let entryID: Int64
    let keyColumns: [String]
    let selection: PoolSelection

    func answer(_ request: Request) async throws -> Response {
        let parameters = request.uri.queryParameters.map { (name: String($0.key), value: String($0.value)) }
        let keys: [[String]]
        do {
            keys = try GatewayKeys.parse(parameters, keyColumns: keyColumns, limit: 100)
        } catch {
            return Self.json(#"{"error":"\#(Self.escaped(error.message.en))"}"#, status: .badRequest)
        }
        guard let found = try await store.pools.lookup(entryID: entryID, keys: keys, selecting: selection) else {
            return Self.json(#"{"error":"no active version"}"#, status: .notFound)
        }
        var body = #"{"count":\#(found.rows.count),"records":["#
        for (index, row) in found.rows.enumerated() {
            if index > 0 { body += "," }
            body += "{"
            for (position, (column, value)) in zip(selection.columns, row).enumerated() {
                if position > 0 { body += "," }
                body += "\"\(column)\":" + (value.map { "\"\(Self.escaped($0))\"" } ?? "null")
            }
            body += "}"
        }
        body += "]}"
        return Self.json(body, status: .ok)
    }

    static func json(_ body: String, status: HTTPResponse.Status) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    static func escaped(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
