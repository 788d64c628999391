import AsyncHTTPClient
import Foundation
import HuitongTestSupport
import NIOCore
import NIOHTTP1
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A cluster on loopback, as README "Running a cluster" sets one up: a PostgreSQL primary, a streaming replica made
/// with `pg_basebackup`, two `huitong serve` processes on the primary reading from the replica, and nginx in front
/// (`scripts/cluster` starts the servers, `docs/cluster/nginx.conf` is nginx's configuration).
///
/// Skipped where PostgreSQL's binaries or nginx are not installed (`.ci/run` installs both).
@Suite(
    "a cluster: two nodes on one PostgreSQL with a streaming replica, behind nginx", .serialized,
    .enabled(if: Cluster.missingTools == nil, "needs PostgreSQL's server binaries (pg_basebackup) and nginx"))
struct ClusterProcessTests {
    /// The daily quota of the grant called across both nodes.
    static let quota = 40

    @Test(
        "sign-in, quotas and revocations hold across nodes; a node killed mid-load loses no committed write; while the primary restarts reads go on and writes fail closed"
    )
    func cluster() async throws {
        let started = ContinuousClock.now
        let cluster = try await Cluster.start()
        defer { cluster.shutDown() }
        let b = cluster.nodes[1]
        print("cluster: up in \(Cluster.milliseconds(since: started)) ms (primary, replica, demo, two nodes, nginx)")

        try await signInAcrossNodes(cluster)
        let setup = try await Grants.make(cluster)
        try await quotaAcrossNodes(cluster, setup)
        try await revocationAcrossNodes(cluster, setup)
        try await killMidLoad(cluster, setup)
        try await b.start()
        try await primaryRestart(cluster, setup)
        print("cluster: the whole test took \(Cluster.milliseconds(since: started)) ms")
    }

    // MARK: 1. Sign-in

    /// A session opened on node A is honoured by node B and through nginx; a token made on B with A's session works
    /// on A; signing out on B ends the session on A.
    func signInAcrossNodes(_ cluster: Cluster) async throws {
        let (a, b) = (cluster.nodes[0], cluster.nodes[1])
        let session = try await cluster.signIn("admin", at: a.url)
        let me = try await Cluster.send(.GET, b.url + "/api/v1/me", session: session)
        #expect(me.status == 200 && me.text.contains("\"admin\""), "node B honours node A's session: \(me.text)")
        for _ in 0..<4 {
            let proxied = try await Cluster.send(.GET, cluster.nginxURL + "/api/v1/me", session: session)
            #expect(proxied.status == 200, "nginx (either node) honours node A's session: \(proxied.text)")
        }
        let made = try await Cluster.send(
            .POST, b.url + "/api/v1/tokens", json: ["name": "cluster"], session: session)
        #expect(made.status == 201, "node B takes node A's session and CSRF token for a write: \(made.text)")
        let secret = try #require(made.object["secret"] as? String)
        let byToken = try await Cluster.send(.GET, a.url + "/api/v1/me", bearer: secret)
        #expect(byToken.status == 200, "a token made on node B works on node A: \(byToken.text)")
        let out = try await Cluster.send(.POST, b.url + "/api/v1/auth/logout", session: session)
        #expect(out.status < 300, "\(out.status) \(out.text)")
        let ended = try await Cluster.send(.GET, a.url + "/api/v1/me", session: session)
        #expect(ended.status == 401, "signing out on node B ends the session on node A: \(ended.status)")
        print("cluster: sign-in on node A honoured by node B and through nginx; sign-out on B seen by A")
    }

    // MARK: 2. Quota

    /// 100 calls alternating between the nodes, straight to each (not through nginx, so that both surely serve):
    /// exactly the quota is served, the rest refused with `quota_exhausted`.
    func quotaAcrossNodes(_ cluster: Cluster, _ grants: Grants) async throws {
        var served = 0
        var exhausted = 0
        var other: [String] = []
        for call in 0..<100 {
            let node = cluster.nodes[call % 2]
            let answer = try await Cluster.send(
                .GET, node.url + grants.quotaCall, bearer: grants.quotaSecret)
            switch answer.status {
            case 200: served += 1
            case 429 where answer.errorCode == "quota_exhausted": exhausted += 1
            default: other.append("\(answer.status) \(answer.errorCode ?? answer.text)")
            }
        }
        print(
            "cluster: daily quota \(Self.quota) over two nodes: \(served) of 100 calls served, \(exhausted) refused with quota_exhausted"
        )
        #expect(other.isEmpty, "every call is served or refused for its quota: \(other.prefix(5))")
        #expect(served == Self.quota, "the quota holds across the cluster: \(served) calls served, not \(Self.quota)")
        #expect(exhausted == 100 - Self.quota)
    }

    // MARK: 3. Revocation

    /// A grant revoked on node A stops calls on node B, which had just served (and cached) it; the delay is measured.
    func revocationAcrossNodes(_ cluster: Cluster, _ grants: Grants) async throws {
        let (a, b) = (cluster.nodes[0], cluster.nodes[1])
        let before = try await Cluster.send(.GET, b.url + grants.revokedCall, bearer: grants.revokedSecret)
        #expect(before.status == 200, "the grant serves on node B before it is revoked: \(before.text)")
        let revoked = try await Cluster.send(
            .POST, a.url + "/api/v1/grants/\(grants.revokedGrant)/revoke", json: ["reason": "集群撤销测试"],
            bearer: grants.providerToken)
        #expect(revoked.status == 200, "\(revoked.text)")
        let answered = ContinuousClock.now
        var refusal: Cluster.Answer? = nil
        while refusal == nil && ContinuousClock.now - answered < .seconds(30) {
            let answer = try await Cluster.send(.GET, b.url + grants.revokedCall, bearer: grants.revokedSecret)
            if answer.status != 200 && answer.errorCode != "rate_limited" { refusal = answer }
        }
        let delay = Cluster.milliseconds(since: answered)
        print("cluster: revocation seen on the other node after \(delay) ms")
        let seen = try #require(refusal, "node B still served the revoked grant 30 s later")
        #expect(seen.status == 403 && seen.errorCode == "no_grant", "\(seen.status) \(seen.text)")
        #expect(delay <= 5_000, "a revocation reaches the other node within 5 s, not \(delay) ms")
    }

    // MARK: 4. A node killed mid-load

    /// Writes stream through nginx, four at a time; node B is killed with SIGKILL in the middle. Every write answered
    /// 2xx is in the database afterwards (read back on node A); every other answer is nginx's 502 or a node's 503,
    /// never a 2xx for something lost.
    func killMidLoad(_ cluster: Cluster, _ grants: Grants) async throws {
        let (a, b) = (cluster.nodes[0], cluster.nodes[1])
        let total = 160
        let killAfter = 50
        let run = UUID().uuidString.prefix(8)
        let answeredCount = AnsweredCount()
        let results = try await withThrowingTaskGroup(of: [(Int, Int)].self) { group in
            for writer in 0..<4 {
                group.addTask {
                    var mine: [(Int, Int)] = []
                    for number in stride(from: writer, to: total, by: 4) {
                        let answer = try await Cluster.send(
                            .POST, cluster.nginxURL + "/api/v1/lists/demand",
                            json: [
                                "scenario": "cluster-\(run)-\(number)", "requestedData": "人口基础信息",
                                "purpose": "集群写入测试", "basis": "《政务数据共享条例》",
                            ], bearer: grants.writerToken)
                        mine.append((number, answer.status))
                        answeredCount.value.withLock { $0 += 1 }
                    }
                    return mine
                }
            }
            group.addTask {
                while answeredCount.value.withLock({ $0 }) < killAfter { try await Task.sleep(for: .milliseconds(2)) }
                b.kill()
                return []
            }
            var all: [(Int, Int)] = []
            for try await part in group { all += part }
            return all
        }
        #expect(results.count == total)
        let listed = try await Cluster.send(.GET, a.url + "/api/v1/lists/demand", bearer: grants.writerToken)
        #expect(listed.status == 200)
        let kept = Set(
            (listed.object["items"] as? [[String: Any]] ?? []).compactMap { item in
                (item["content"] as? [String: Any])?["scenario"] as? String
            })
        let succeeded = results.filter { (200..<300).contains($0.1) }
        let failed = results.filter { !(200..<300).contains($0.1) }
        let lost = succeeded.filter { !kept.contains("cluster-\(run)-\($0.0)") }
        let failedButKept = failed.filter { kept.contains("cluster-\(run)-\($0.0)") }
        print(
            "cluster: \(total) writes through nginx, node B killed after \(killAfter): \(succeeded.count) answered 2xx, all of them kept: \(lost.isEmpty); \(failed.count) failed (\(Set(failed.map(\.1)).sorted()), \(failedButKept.count) of them committed anyway)"
        )
        #expect(lost.isEmpty, "writes answered 2xx but missing: \(lost.map(\.0))")
        #expect(
            failed.allSatisfy { $0.1 == 502 || $0.1 == 503 },
            "a write that did not succeed is answered 502 or 503: \(failed.map(\.1))")
        #expect(succeeded.count >= total - 8, "nginx moves the writes to node A once node B is gone")
    }

    // MARK: 5. The primary restarts

    /// With the primary stopped: reads of the portal, catalog search and open-data API are served from the replica;
    /// writes and audited gateway calls fail closed with 503, the first within the database wait limit (3 s) and the
    /// next at once; `/healthz` says the database is
    /// unreachable and the replica fine. Started again, the primary takes writes and calls within 15 s, without
    /// restarting the nodes.
    func primaryRestart(_ cluster: Cluster, _ grants: Grants) async throws {
        for node in cluster.nodes {
            let call = try await Cluster.send(.GET, node.url + grants.outageCall, bearer: grants.outageSecret)
            #expect(call.status == 200, "node \(node.name) serves the grant before the primary stops: \(call.text)")
        }
        try cluster.script("primary", "stop")
        let stopped = ContinuousClock.now
        let reads = [
            "/datasets?q=\(Cluster.encoded("人口"))", "/api/3/action/package_search?q=\(Cluster.encoded("企业"))",
            "/portal", "/catalog.jsonld",
        ]
        var checks: [(String, Cluster.Probe)] = []
        for node in cluster.nodes {
            for path in reads { checks.append(("read \(path) on \(node.name)", Cluster.Probe(.GET, node.url + path))) }
            let write = Cluster.json([
                "scenario": "cluster-outage", "requestedData": "人口基础信息", "purpose": "写入", "basis": "无",
            ])
            checks.append(
                (
                    "write on \(node.name)",
                    Cluster.Probe(.POST, node.url + "/api/v1/lists/demand", json: write, bearer: grants.writerToken)
                ))
            checks.append(
                (
                    "gateway call on \(node.name)",
                    Cluster.Probe(.GET, node.url + grants.outageCall, bearer: grants.outageSecret)
                ))
            checks.append(("healthz on \(node.name)", Cluster.Probe(.GET, node.url + "/healthz")))
        }
        let answers = await withTaskGroup(of: (String, Cluster.Answer?, Int).self) { group in
            for (name, probe) in checks {
                group.addTask {
                    let sent = ContinuousClock.now
                    let answer = try? await probe.send(timeout: .seconds(6))
                    return (name, answer, Cluster.milliseconds(since: sent))
                }
            }
            var all: [String: (Cluster.Answer?, Int)] = [:]
            for await (name, answer, took) in group { all[name] = (answer, took) }
            return all
        }
        for (name, result) in answers.sorted(by: { $0.key < $1.key }) {
            let (answer, took) = result
            let status = answer.map { "\($0.status)" } ?? "no answer"
            print("cluster: primary down — \(name): \(status) in \(took) ms")
            // The first requests after the stop wait for a connection up to the wait limit (HUITONG_DATABASE_WAIT, 3 s).
            #expect(
                answer != nil && took <= 4_500,
                "\(name) answers within the database wait limit while the primary is down (\(took) ms)")
            guard let answer else { continue }
            if name.hasPrefix("read") {
                #expect(answer.status == 200, "\(name) is served from the replica: \(answer.status)")
            } else if name.hasPrefix("write") {
                #expect(answer.status == 503, "\(name) fails closed with 503: \(answer.status) \(answer.text)")
            } else if name.hasPrefix("gateway") {
                #expect(
                    answer.status == 503, "\(name) fails closed (audit unavailable): \(answer.status) \(answer.text)")
            } else {
                let health = answer.object
                let replicas = health["replicas"] as? [[String: Any]] ?? []
                #expect(
                    answer.status == 200 && health["status"] as? String == "degraded"
                        && health["database"] as? String == "unreachable",
                    "\(name): reads still served, the primary unreachable: \(answer.status) \(answer.text)")
                #expect(
                    replicas.count == 1 && replicas.first?["state"] as? String == "ok",
                    "\(name) shows the replica: \(answer.text)")
            }
        }

        // Once a node knows the primary is away, it refuses at once instead of waiting again.
        for node in cluster.nodes {
            let sent = ContinuousClock.now
            let again = try? await Cluster.Probe(.GET, node.url + grants.outageCall, bearer: grants.outageSecret).send(
                timeout: .seconds(6))
            let took = Cluster.milliseconds(since: sent)
            print(
                "cluster: primary down — next gateway call on \(node.name): \(again.map { "\($0.status)" } ?? "no answer") in \(took) ms"
            )
            #expect(again?.status == 503 && took <= 1_000, "\(node.name) refuses the next call at once (\(took) ms)")
        }

        try cluster.script("primary", "start")
        let restarted = ContinuousClock.now
        print("cluster: primary stopped for \(Cluster.milliseconds(since: stopped)) ms")
        var recovered: [String: Int] = [:]
        while recovered.count < 2 * cluster.nodes.count && ContinuousClock.now - restarted < .seconds(30) {
            for node in cluster.nodes {
                if recovered["call \(node.name)"] == nil,
                    let call = try? await Cluster.send(
                        .GET, node.url + grants.outageCall, bearer: grants.outageSecret, timeout: .seconds(5)),
                    call.status == 200
                {
                    recovered["call \(node.name)"] = Cluster.milliseconds(since: restarted)
                }
                if recovered["write \(node.name)"] == nil,
                    let write = try? await Cluster.send(
                        .POST, node.url + "/api/v1/lists/demand",
                        json: [
                            "scenario": "cluster-recovered-\(node.name)", "requestedData": "人口基础信息",
                            "purpose": "写入", "basis": "无",
                        ], bearer: grants.writerToken, timeout: .seconds(5)),
                    write.status == 201
                {
                    recovered["write \(node.name)"] = Cluster.milliseconds(since: restarted)
                }
            }
            if recovered.count < 2 * cluster.nodes.count { try await Task.sleep(for: .milliseconds(200)) }
        }
        let slowest = recovered.values.max() ?? -1
        print(
            "cluster: after the primary restart, gateway calls and writes succeed again within \(slowest) ms (\(recovered.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value) ms" }.joined(separator: ", ")))"
        )
        #expect(recovered.count == 2 * cluster.nodes.count, "every node recovered: \(recovered.keys.sorted())")
        #expect(slowest <= 15_000, "calls and writes succeed within 15 s of the primary's restart, not \(slowest) ms")
    }
}

/// How many writes have been answered, shared by the writers and the task that kills a node.
final class AnsweredCount: Sendable {
    let value = Mutex(0)
}

/// The grants and credentials the test calls with, made through the API on node A.
struct Grants: Sendable {
    /// A consumer's gateway credential, its grant's daily quota `ClusterProcessTests.quota`.
    var quotaSecret: String
    var quotaCall: String
    /// The demo's grant of 人口基础信息 to 人社局, which the test revokes, and 人社局's credential.
    var revokedGrant: Int64
    var revokedSecret: String
    var revokedCall: String
    /// A grant left alone, called while the primary is down.
    var outageSecret: String
    var outageCall: String
    /// The provider's token (公安局), which revokes.
    var providerToken: String
    /// 民政局's officer, who raises demand-list rows: the writes of the test.
    var writerToken: String

    static func make(_ cluster: Cluster) async throws -> Grants {
        let a = cluster.nodes[0].url
        let civil = try await cluster.token("mzj.officer")
        let police = try await cluster.token("gaj.provider")
        let market = try await cluster.token("scjgj.officer")
        let social = try await cluster.token("rsj.officer")
        let population = try await cluster.entryCode("人口基础信息", token: civil)
        let companies = try await cluster.entryCode("企业登记信息", token: civil)

        // 民政局 registers a system and applies for two entries with it.
        let system = try await Cluster.send(
            .POST, a + "/api/v1/application-systems", json: ["name": "低保核对系统", "description": "集群测试"],
            bearer: civil)
        #expect(system.status == 201, "\(system.text)")
        let systemID = try #require(system.object["id"] as? Int)
        let credential = try await Cluster.send(
            .POST, a + "/api/v1/application-systems/\(systemID)/tokens", json: ["name": "集群测试"], bearer: civil)
        #expect(credential.status == 201, "\(credential.text)")
        let secret = try #require(credential.object["secret"] as? String)

        // 公安局 approves 人口基础信息 with a daily quota of 40 and a per-second limit far above the test's pace.
        try await cluster.approve(
            population, items: ["sfzhm", "xm"], system: systemID, applicant: civil, provider: police,
            terms: ["dailyQuota": ClusterProcessTests.quota, "rateLimit": 5_000])
        try await cluster.approve(
            companies, items: ["tyshxydm", "qymc"], system: systemID, applicant: civil, provider: market,
            terms: ["dailyQuota": 100_000, "rateLimit": 5_000])

        // 人社局's demo grant of 人口基础信息, and a credential of its system.
        let me = try await Cluster.send(.GET, a + "/api/v1/me", bearer: social)
        let department = (me.object["department"] as? [String: Any])?["id"] as? Int
        let grants = try await Cluster.send(.GET, a + "/api/v1/grants", bearer: social)
        let demo = (grants.object["items"] as? [[String: Any]] ?? []).first { grant in
            grant["resourceCode"] as? String == population && grant["consumerDepartmentID"] as? Int == department
                && grant["status"] as? String == "active"
        }
        let demoGrant = try #require(demo?["id"] as? Int, "the demo's grant to 人社局: \(grants.text.prefix(500))")
        let systems = try await Cluster.send(.GET, a + "/api/v1/application-systems", bearer: social)
        let socialSystem = try #require(
            (systems.object["items"] as? [[String: Any]])?.first?["id"] as? Int, "\(systems.text)")
        let socialCredential = try await Cluster.send(
            .POST, a + "/api/v1/application-systems/\(socialSystem)/tokens", json: ["name": "集群测试"], bearer: social)
        let socialSecret = try #require(socialCredential.object["secret"] as? String, "\(socialCredential.text)")

        return Grants(
            quotaSecret: secret, quotaCall: "/gateway/v1/\(population)/records?sfzhm=341502199001010011",
            revokedGrant: Int64(demoGrant), revokedSecret: socialSecret,
            revokedCall: "/gateway/v1/\(population)/records?sfzhm=341502199001010011",
            outageSecret: secret, outageCall: "/gateway/v1/\(companies)/records?tyshxydm=91341500MA2N000000",
            providerToken: police, writerToken: civil)
    }
}

/// PostgreSQL (primary and replica), two nodes and nginx, started by `scripts/cluster` and by this process.
final class Cluster: @unchecked Sendable {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static var executable: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("huitong")
    }

    /// What is missing to run the cluster here, or nil.
    static let missingTools: String? = {
        let manager = FileManager.default
        let versions = (try? manager.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        let hasPostgres = versions.contains { version in
            ["initdb", "pg_ctl", "pg_basebackup", "postgres"].allSatisfy {
                manager.isExecutableFile(atPath: "/usr/lib/postgresql/\(version)/bin/\($0)")
            }
        }
        if !hasPostgres { return "PostgreSQL's server binaries" }
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        if !(["/usr/sbin"] + path).contains(where: { manager.isExecutableFile(atPath: "\($0)/nginx") }) {
            return "nginx"
        }
        // As root, PostgreSQL runs as the user postgres (it refuses to run as root).
        if getuid() == 0
            && (getpwnam("postgres") == nil
                || !["/usr/sbin/runuser", "/sbin/runuser"].contains(where: manager.isExecutableFile(atPath:)))
        {
            return "the user postgres and runuser"
        }
        return nil
    }()

    let directory: URL
    let databaseURL: String
    let readURL: String
    let nginxURL: String
    var nodes: [ClusterNode] = []
    var nginx: Process?
    /// The demo's one-time passwords, by user name.
    var passwords: [String: String] = [:]
    private var tokens: [String: String] = [:]

    private init(directory: URL, databaseURL: String, readURL: String, nginxPort: Int) {
        self.directory = directory
        self.databaseURL = databaseURL
        self.readURL = readURL
        self.nginxURL = "http://127.0.0.1:\(nginxPort)"
    }

    /// The environment of every node and of the demo: one database, the replica to read from, nginx trusted for the
    /// client's address, and fast password hashing.
    var environment: [String: String] {
        ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("HUITONG_") }.merging([
            "HUITONG_DATABASE_URL": databaseURL, "HUITONG_DATABASE_READ_URLS": readURL,
            "HUITONG_REPLICA_MAX_LAG": "5", "HUITONG_DATABASE_CONNECTIONS": "12",
            "HUITONG_TRUSTED_PROXIES": "127.0.0.1", "HUITONG_BCRYPT_COST": "4", "HUITONG_PASSWORD_ITERATIONS": "1000",
            "HUITONG_SHARING_DEFAULT_RATE_LIMIT": "1000", "HUITONG_SHARING_MAXIMUM_RATE_LIMIT": "10000",
            "HUITONG_JOBS_POLL_SECONDS": "1",
        ]) { $1 }
    }

    static func start() async throws -> Cluster {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("huitong-cluster-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let (status, output) = try ChildProcess.run(
            URL(fileURLWithPath: "/bin/bash"),
            [root.appendingPathComponent("scripts/cluster").path, "postgres", directory.path],
            environment: ProcessInfo.processInfo.environment)
        guard status == 0 else {
            Issue.record("scripts/cluster postgres failed (\(status)):\n\(output.suffix(3_000))")
            _ = try? ChildProcess.run(
                URL(fileURLWithPath: "/bin/bash"),
                [root.appendingPathComponent("scripts/cluster").path, "down", directory.path],
                environment: ProcessInfo.processInfo.environment)
            try? FileManager.default.removeItem(at: directory)
            throw CancellationError()
        }
        var values: [String: String] = [:]
        for line in output.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2 { values[parts[0]] = parts[1] }
        }
        let cluster = Cluster(
            directory: directory, databaseURL: values["DATABASE_URL"] ?? "", readURL: values["READ_URL"] ?? "",
            nginxPort: try freePort())
        do {
            try cluster.loadDemo()
            // Both nodes hold node A's keys: the sealing key opens credentials, the node keys sign the audit log.
            cluster.nodes = [
                ClusterNode(name: "A", directory: directory.appendingPathComponent("a"), port: try freePort()),
                ClusterNode(name: "B", directory: directory.appendingPathComponent("b"), port: try freePort()),
            ]
            try FileManager.default.createDirectory(at: cluster.nodes[1].directory, withIntermediateDirectories: true)
            for file in try FileManager.default.contentsOfDirectory(atPath: cluster.nodes[0].directory.path)
            where file.hasSuffix(".key") {
                try FileManager.default.copyItem(
                    at: cluster.nodes[0].directory.appendingPathComponent(file),
                    to: cluster.nodes[1].directory.appendingPathComponent(file))
            }
            for node in cluster.nodes { node.environment = cluster.environment }
            for node in cluster.nodes { try node.launch() }
            for node in cluster.nodes { try await node.waitUntilServing() }
            try cluster.startNginx()
            try await cluster.waitForNginx()
            return cluster
        } catch {
            cluster.shutDown()
            throw error
        }
    }

    /// `huitong demo` into the empty database, from node A's data directory (where its keys are made); the
    /// accounts' passwords are read from what it prints.
    func loadDemo() throws {
        let (status, output) = try ChildProcess.run(
            Self.executable,
            ["demo", "--data", directory.appendingPathComponent("a").path, "--log-level", "error"],
            environment: environment)
        guard status == 0 else {
            Issue.record("huitong demo failed (\(status)):\n\(output.suffix(3_000))")
            throw CancellationError()
        }
        for line in output.split(separator: "\n") {
            let words = line.split(separator: " ")
            if words.count >= 3, words[2].hasPrefix("[") { passwords[String(words[0])] = String(words[1]) }
        }
    }

    func startNginx() throws {
        let port = nginxURL.split(separator: ":").last.map(String.init) ?? ""
        let (status, output) = try ChildProcess.run(
            URL(fileURLWithPath: "/bin/bash"),
            [
                Self.root.appendingPathComponent("scripts/cluster").path, "nginx-conf", directory.path,
                "127.0.0.1:\(port)",
            ]
                + nodes.map { "127.0.0.1:\($0.port)" }, environment: ProcessInfo.processInfo.environment)
        guard status == 0 else {
            Issue.record("scripts/cluster nginx-conf failed (\(status)):\n\(output)")
            throw CancellationError()
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [Self.root.appendingPathComponent("scripts/cluster").path, "nginx", directory.path]
        let log = directory.appendingPathComponent("nginx.out")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try ChildProcess.launch(process)
        nginx = process
    }

    func waitForNginx() async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if let answer = try? await Self.send(.GET, nginxURL + "/healthz", timeout: .seconds(2)),
                answer.status == 200 || answer.status == 503
            {
                return
            }
            guard nginx?.isRunning == true else { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        let output = (try? String(contentsOf: directory.appendingPathComponent("nginx.out"), encoding: .utf8)) ?? ""
        Issue.record("nginx did not start:\n\(output.suffix(3_000))")
        throw CancellationError()
    }

    /// `scripts/cluster SERVER ACTION DIR`: `primary stop`, `primary start`.
    func script(_ server: String, _ action: String) throws {
        let (status, output) = try ChildProcess.run(
            URL(fileURLWithPath: "/bin/bash"),
            [Self.root.appendingPathComponent("scripts/cluster").path, server, action, directory.path],
            environment: ProcessInfo.processInfo.environment)
        #expect(status == 0, "scripts/cluster \(server) \(action): \(output)")
    }

    /// Stops everything and deletes the directory, unless HUITONG_KEEP_CLUSTER is set (to read the logs).
    func shutDown() {
        let started = ContinuousClock.now
        // Both at once: a graceful shutdown waits for requests in flight; a node still stuck after 10 s is killed.
        for node in nodes { node.terminate() }
        let deadline = Date().addingTimeInterval(10)
        for node in nodes { node.stop(by: deadline) }
        print("cluster: nodes stopped in \(Self.milliseconds(since: started)) ms")
        if let nginx, nginx.isRunning {
            nginx.terminate()
            nginx.waitUntilExit()
        }
        let keep = ProcessInfo.processInfo.environment["HUITONG_KEEP_CLUSTER"] != nil
        var environment = ProcessInfo.processInfo.environment
        if keep {
            environment["KEEP"] = "1"
            print("cluster: kept in \(directory.path)")
        }
        _ = try? ChildProcess.run(
            URL(fileURLWithPath: "/bin/bash"),
            [Self.root.appendingPathComponent("scripts/cluster").path, "down", directory.path],
            environment: environment)
    }

    // MARK: Calls

    /// A browser's session: the cookie and the CSRF token that goes with it.
    struct Session: Sendable {
        var cookie: String
        var csrf: String
    }

    func signIn(_ user: String, at base: String) async throws -> Session {
        let answer = try await Self.send(
            .POST, base + "/api/v1/auth/login", json: ["username": user, "password": passwords[user] ?? ""])
        #expect(answer.status == 200, "sign-in of \(user): \(answer.text)")
        let cookie = answer.setCookie?.components(separatedBy: ";").first ?? ""
        return Session(cookie: cookie, csrf: answer.object["csrfToken"] as? String ?? "")
    }

    /// A personal API token of `user`, made on node A.
    func token(_ user: String) async throws -> String {
        if let token = tokens[user] { return token }
        let session = try await signIn(user, at: nodes[0].url)
        let made = try await Self.send(
            .POST, nodes[0].url + "/api/v1/tokens", json: ["name": "cluster"], session: session)
        let secret = try #require(made.object["secret"] as? String, "a token for \(user): \(made.text)")
        tokens[user] = secret
        return secret
    }

    /// The resource code of the demo entry named `name`.
    func entryCode(_ name: String, token: String) async throws -> String {
        let answer = try await Self.send(
            .GET, nodes[0].url + "/api/v1/catalog/entries?q=\(Self.encoded(name))", bearer: token)
        let entry = (answer.object["items"] as? [[String: Any]] ?? []).first { item in
            (item["content"] as? [String: Any])?["name"] as? String == name || item["name"] as? String == name
        }
        return try #require(entry?["code"] as? String, "the entry \(name): \(answer.text.prefix(500))")
    }

    /// An application for `code` by `applicant`, with `system`, submitted and approved by `provider` with `terms`
    /// (unless it was approved on submission, as 无条件共享 entries are).
    func approve(
        _ code: String, items: [String], system: Int, applicant: String, provider: String, terms: [String: Int]
    ) async throws {
        let a = nodes[0].url
        let today = Date()
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd"
        formatter.timeZone = TimeZone(identifier: "Asia/Shanghai")
        let created = try await Self.send(
            .POST, a + "/api/v1/applications",
            json: [
                "resourceCode": code, "items": items, "purpose": "dataVerification",
                "purposeText": "最低生活保障申请人身份与登记信息核对", "legalBasis": "《社会救助暂行办法》第十一条",
                "scenario": "最低生活保障审核确认", "systemIDs": [system],
                "validFrom": formatter.string(from: today),
                "validTo": formatter.string(from: today.addingTimeInterval(30 * 86_400)),
                "channel": "api", "expectedDailyCalls": terms["dailyQuota"] ?? 100,
            ], bearer: applicant)
        #expect(created.status == 201, "application for \(code): \(created.text)")
        let id = try #require(created.object["id"] as? Int)
        let submitted = try await Self.send(.POST, a + "/api/v1/applications/\(id)/submit", bearer: applicant)
        #expect(submitted.status == 200, "submitting the application for \(code): \(submitted.text)")
        if let grant = submitted.object["grantID"] as? Int, grant > 0 { return }
        let decided = try await Self.send(
            .POST, a + "/api/v1/applications/\(id)/decision",
            json: ["kind": "approve", "comment": "同意", "terms": terms], bearer: provider)
        #expect(decided.status == 200, "approving the application for \(code): \(decided.text)")
    }

    struct Answer: Sendable {
        var status: Int
        var text: String
        var setCookie: String?

        /// The body as a JSON object (empty when it is not one).
        var object: [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
        }
        /// `error.code` of an error answer.
        var errorCode: String? { (object["error"] as? [String: Any])?["code"] as? String }
    }

    /// One request, made later (all of its parts are sendable).
    struct Probe: Sendable {
        var method: HTTPMethod
        var url: String
        var json: Data?
        var bearer: String?

        init(_ method: HTTPMethod, _ url: String, json: Data? = nil, bearer: String? = nil) {
            self.method = method
            self.url = url
            self.json = json
            self.bearer = bearer
        }

        func send(timeout: TimeAmount) async throws -> Answer {
            try await Cluster.send(method, url, body: json, bearer: bearer, timeout: timeout)
        }
    }

    static func json(_ object: [String: Any]) -> Data {
        (try? JSONSerialization.data(withJSONObject: object)) ?? Data()
    }

    static func send(
        _ method: HTTPMethod, _ url: String, json object: [String: Any], session: Session? = nil, bearer: String? = nil,
        timeout: TimeAmount = .seconds(30)
    ) async throws -> Answer {
        try await send(method, url, body: json(object), session: session, bearer: bearer, timeout: timeout)
    }

    static func send(
        _ method: HTTPMethod, _ url: String, body: Data? = nil, session: Session? = nil, bearer: String? = nil,
        timeout: TimeAmount = .seconds(30)
    ) async throws -> Answer {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: body))
        }
        if let session {
            request.headers.add(name: "Cookie", value: session.cookie)
            request.headers.add(name: "X-CSRF-Token", value: session.csrf)
        }
        if let bearer { request.headers.add(name: "Authorization", value: "Bearer \(bearer)") }
        let response = try await HTTPClient.shared.execute(request, timeout: timeout)
        let buffer = try await response.body.collect(upTo: 16 * 1024 * 1024)
        return Answer(
            status: Int(response.status.code), text: String(buffer: buffer),
            setCookie: response.headers.first(name: "Set-Cookie"))
    }

    static func encoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? text
    }

    static func milliseconds(since start: ContinuousClock.Instant) -> Int {
        let elapsed = ContinuousClock.now - start
        return Int(elapsed.components.seconds * 1_000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
    }
}

/// One `huitong serve` of the cluster: its own data directory (spooled uploads) and port, the shared database.
final class ClusterNode: @unchecked Sendable {
    let name: String
    let directory: URL
    let port: Int
    var environment: [String: String] = [:]
    private var process: Process?

    init(name: String, directory: URL, port: Int) {
        self.name = name
        self.directory = directory
        self.port = port
    }

    var url: String { "http://127.0.0.1:\(port)" }

    func launch() throws {
        let process = Process()
        process.executableURL = Cluster.executable
        process.arguments = [
            "serve", "--data", directory.path, "--port", "\(port)", "--log-level", "warning",
        ]
        process.environment = environment
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
    }

    func start() async throws {
        try launch()
        try await waitUntilServing()
    }

    func waitUntilServing() async throws {
        // Starting takes a second alone; under a full parallel test run on two cores it can take far longer.
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            if let answer = try? await Cluster.send(.GET, url + "/healthz", timeout: .seconds(2)),
                answer.status == 200
            {
                return
            }
            guard process?.isRunning == true else { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let output = (try? String(contentsOf: directory.appendingPathComponent("serve.log"), encoding: .utf8)) ?? ""
        Issue.record("node \(name) did not start:\n\(output.suffix(3_000))")
        throw CancellationError()
    }

    /// SIGKILL: no graceful shutdown, as when a machine loses power.
    func kill() {
        guard let process, process.isRunning else { return }
        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        self.process = nil
    }

    /// SIGTERM: the node shuts down gracefully.
    func terminate() {
        guard let process, process.isRunning else { return }
        process.terminate()
    }

    /// Waits for the node to end after `terminate`, and SIGKILLs it at `deadline`.
    func stop(by deadline: Date) {
        guard let process else { return }
        if process.isRunning { process.terminate() }
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        self.process = nil
    }
}
