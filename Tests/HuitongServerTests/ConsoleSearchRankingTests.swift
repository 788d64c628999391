import Foundation
import HuitongCore
import HuitongStore
import HuitongTestSupport
import Hummingbird
import HummingbirdTesting
import Testing

@testable import HuitongServer

/// Relevance in the console's catalog search over the demo city: the entry named by the words comes first.
@Suite("Console search ranking")
struct ConsoleSearchRankingTests {
    @Test("searching 人口 in the console lists 人口基础信息 first: exact and prefix name matches rank first")
    func populationFirst() async throws {
        try await ConsoleTests.withDemo(.sqlite) { _, passwords, client in
            let consumer = try await ConsoleTests.signIn("gaj.consumer", passwords, client)
            let (status, html) = try await ConsoleTests.get(
                "/console/catalog?q=\(PortalTests.encoded("人口"))", consumer, client)
            #expect(status == .ok)
            let names = html.components(separatedBy: #"<a href="/console/entries/"#).dropFirst().compactMap {
                tail -> String? in
                guard let start = tail.firstIndex(of: ">"), let end = tail.range(of: "</a>") else { return nil }
                return String(tail[tail.index(after: start)..<end.lowerBound])
            }
            #expect(names.first?.hasPrefix("人口") == true, "\(names.prefix(5))")
            let populationIndex = try #require(names.firstIndex(of: "人口基础信息"), "\(names)")
            // Only names starting with 人口 may come before it (those equal to the word would rank higher still).
            #expect(names.prefix(populationIndex).allSatisfy { $0.hasPrefix("人口") }, "\(names.prefix(6))")
        }
    }
}
