import Foundation
import HuitongCore
import HuitongIngest
import HuitongStore

/// Reference data every node needs, kept as files under `Resources/seed/` so that unconfirmed values
/// (domain.md marks the 类/项 numbering [M]) are corrected by editing data, not code.
enum CatalogSeed {
    struct ClassificationFile: Decodable {
        var scheme: String
        var nodes: [Node]

        struct Node: Decodable {
            var code: String
            var name: String
        }
    }

    static func classifications() throws -> [ClassificationNode] {
        let url = resourcesDirectory().appendingPathComponent("seed/classifications.json")
        let file = try JSONDecoder().decode(ClassificationFile.self, from: Data(contentsOf: url))
        return try file.nodes.map { node throws(ValidationError) in
            try ClassificationNode(scheme: file.scheme, code: node.code, name: node.name).validated()
        }
    }

    struct CodeSetFile: Decodable {
        var codeSets: [CodeSet]
    }

    /// The national code sets (代码集) data items refer to, e.g. GB/T 2261.1-2003 人的性别代码.
    static func codeSets() throws -> [CodeSet] {
        let url = resourcesDirectory().appendingPathComponent("seed/code-sets.json")
        let file = try JSONDecoder().decode(CodeSetFile.self, from: Data(contentsOf: url))
        return try file.codeSets.map { codeSet throws(ValidationError) in try codeSet.validated() }
    }

    /// Loads the seed into the store; classification nodes and code sets already present (possibly renamed or
    /// edited by an operator) are left alone.
    static func apply(to store: Store) async throws {
        try await store.catalog.saveClassifications(try classifications(), replacingNames: false)
        try await store.codeSets.saveMissing(try codeSets())
    }

    static func resourcesDirectory() -> URL {
        Bundle.module.url(forResource: "Resources", withExtension: nil)!
    }
}

extension HuitongApp {
    /// Brings reference data up to date; run once per start, after migrations, before serving.
    public static func prepare(store: Store) async throws {
        try await CatalogSeed.apply(to: store)
        try await SharingSeed.apply(to: store)
        // A load cut short by a crash never published anything; say so and clear its half-built table.
        _ = try await IngestRunner.recover(store)
    }
}
