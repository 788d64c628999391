import Foundation
import HuitongCore
import HuitongStore
import Logging
import Testing

/// What a node does while its PostgreSQL server cannot be reached.
@Suite("PostgreSQL unreachable")
struct DatabaseUnreachableTests {
    /// A loopback port nothing listens on.
    static func closedPort() throws -> Int {
        let socket = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(socket, pointer, length) == 0 && getsockname(socket, pointer, &length) == 0
            }
        }
        try #require(bound)
        return Int(UInt16(bigEndian: address.sin_port))
    }

    @Test(
        "a request to an unreachable server is refused as database_unreachable (503) within the wait limit, later ones at once"
    )
    func failsClosedQuickly() async throws {
        var logger = Logger(label: "huitong.tests")
        logger.logLevel = .critical
        let provider = try await PostgresDatabaseProvider.open(
            url: "postgres://huitong@127.0.0.1:\(try Self.closedPort())/huitong?sslmode=disable",
            waitLimit: .seconds(1), probe: false, logger: logger)
        defer { Task { await provider.shutdown() } }
        let clock = ContinuousClock()
        let first = try await clock.measure {
            let error = await #expect(throws: StoreError.self) {
                try await provider.transaction { try await $0.raw("SELECT 1 AS ok").run() }
            }
            #expect(error == .databaseUnreachable)
            #expect(error?.kind == .unavailable)
        }
        // The wait limit is 1 s; a connection attempt under way when it passes (up to its own 10 s timeout) is let go
        // first. Without the limit the request would wait for as long as the server is away.
        #expect(first < .seconds(12), "refused after the wait limit, not left waiting for the server")
        #expect(!provider.isReachable)
        let later = try await clock.measure {
            await #expect(throws: StoreError.databaseUnreachable) {
                try await provider.read { try await $0.raw("SELECT 1 AS ok").run() }
            }
        }
        #expect(later < .milliseconds(500), "refused at once while the server stays unreachable")
    }
}
