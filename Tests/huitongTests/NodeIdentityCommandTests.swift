import Foundation
import HuitongCore
import HuitongStore
import HuitongTestSupport
import Logging
import Testing

@testable import HuitongServices

/// `huitong init`, `huitong node …`: a node's region and name are stored once and read by every command.
@Suite("huitong node identity", .serialized)
struct NodeIdentityCommandTests {
    static var executable: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("huitong")
    }

    /// Runs the CLI on `directory` with the environment given (and none of the test runner's HUITONG_NODE_*).
    static func huitong(_ arguments: [String], in directory: URL, environment: [String: String] = [:]) throws -> (
        Int32, String
    ) {
        var inherited = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("HUITONG_NODE_") }
        inherited["HUITONG_BCRYPT_COST"] = "4"
        inherited["HUITONG_PASSWORD_ITERATIONS"] = "1000"
        return try ChildProcess.run(
            executable,
            [arguments[0]] + (arguments[0] == "node" ? [arguments[1]] : [])
                + [
                    "--data", directory.path, "--database",
                    "sqlite:\(directory.appendingPathComponent("huitong.sqlite").path)",
                    "--log-level", "error",
                ] + arguments.dropFirst(arguments[0] == "node" ? 2 : 1),
            environment: inherited.merging(environment) { $1 })
    }

    @Test(
        "a province set up with `init --node-region` says so without the variable; its operator's department is the province's; only set-identity changes it"
    )
    func storedOnce() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: Self.executable.path))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("node-identity-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        var (status, output) = try Self.huitong(
            ["init", "--node-region", "340000", "--node-name", "安徽省数据资源管理局"], in: directory)
        #expect(status == 0, "\(output)")
        #expect(output.contains("340000") && output.contains("admin"), "\(output)")
        let created = try await Self.operatorDepartment(directory)
        #expect(created?.regionCode == "340000" && created?.name == "安徽省数据资源管理局", "\(String(describing: created))")
        // No HUITONG_NODE_REGION now: the stored identity is what the node reports.
        (status, output) = try Self.huitong(["node", "show"], in: directory)
        #expect(status == 0 && output.contains("region:     340000 (省级 province)"), "\(output)")
        #expect(output.contains("name:       安徽省数据资源管理局"), "\(output)")
        // The relation of a peer is checked against the stored region: a city is this province's child.
        (status, output) = try Self.huitong(
            [
                "node", "add-peer", "--relation", "child", "--region", "341500", "--name", "六安市",
                "--url", "http://127.0.0.1:9", "--public-key", NodeIdentityKey.generate().publicKey.base64,
            ], in: directory)
        #expect(status == 0 && output.contains("registered child 341500"), "\(output)")
        // A variable that disagrees with the stored identity stops the command instead of changing it.
        (status, output) = try Self.huitong(
            ["node", "show"], in: directory, environment: ["HUITONG_NODE_REGION": "341500"])
        #expect(status != 0 && output.contains("set-identity"), "\(output)")

        // The peer's address and key change in place.
        let newKey = NodeIdentityKey.generate().publicKey.base64
        (status, output) = try Self.huitong(
            ["node", "update-peer", "--region", "341500", "--url", "http://127.0.0.1:10", "--public-key", newKey],
            in: directory)
        #expect(status == 0 && output.contains("updated child 341500"), "\(output)")
        (status, output) = try Self.huitong(["node", "peers"], in: directory)
        #expect(output.contains("http://127.0.0.1:10"), "\(output)")
        (status, output) = try Self.huitong(
            ["node", "update-peer", "--region", "341502", "--url", "http://x.cn"], in: directory)
        #expect(status != 0 && output.contains("341502"), "\(output)")

        // Changing the identity is one explicit command; the operator's department follows.
        (status, output) = try Self.huitong(
            ["node", "set-identity", "--region", "340100", "--name", "合肥市数据资源管理局"], in: directory)
        #expect(status == 0, "\(output)")
        (status, output) = try Self.huitong(["node", "show"], in: directory)
        #expect(output.contains("region:     340100 (市级 city)") && output.contains("合肥市数据资源管理局"), "\(output)")

        let moved = try await Self.operatorDepartment(directory)
        #expect(moved?.regionCode == "340100" && moved?.name == "合肥市数据资源管理局", "\(String(describing: moved))")
    }

    /// The department of the operator account `admin`.
    static func operatorDepartment(_ directory: URL) async throws -> Department? {
        let store = try await Store.openNodeDatabase(directory)
        do {
            var department: Department?
            if let admin = try await store.users.find(username: "admin") {
                department = try await store.departments.find(id: admin.departmentID)
            }
            await store.provider.shutdown()
            return department
        } catch {
            await store.provider.shutdown()
            throw error
        }
    }
}
