import Foundation
import HuitongCore
import HuitongIngest
import HuitongStore

/// Reference data every node needs, kept as files under `Resources/seed/` so that unconfirmed values
/// (domain.md marks the 类/项 numbering [M]) are corrected by editing data, not code.
package enum CatalogSeed {
    package struct ClassificationFile: Decodable {
        var scheme: String
        var nodes: [Node]

        struct Node: Decodable {
            var code: String
            var name: String
        }
    }

    package static func classifications() throws -> [ClassificationNode] {
        let url = SeedFile.url("seed/classifications.json")
        let file = try JSONDecoder().decode(ClassificationFile.self, from: Data(contentsOf: url))
        return try file.nodes.map { node throws(ValidationError) in
            try ClassificationNode(scheme: file.scheme, code: node.code, name: node.name).validated()
        }
    }

    package struct CodeSetFile: Decodable {
        var codeSets: [CodeSet]
    }

    /// The national code sets (代码集) data items refer to, e.g. GB/T 2261.1-2003 人的性别代码.
    package static func codeSets() throws -> [CodeSet] {
        let url = SeedFile.url("seed/code-sets.json")
        let file = try JSONDecoder().decode(CodeSetFile.self, from: Data(contentsOf: url))
        return try file.codeSets.map { codeSet throws(ValidationError) in try codeSet.validated() }
    }

    /// Loads the seed into the store; classification nodes and code sets already present (possibly renamed or
    /// edited by an operator) are left alone.
    package static func apply(to store: Store) async throws {
        try await store.catalog.saveClassifications(try classifications(), replacingNames: false)
        try await store.codeSets.saveMissing(try codeSets())
    }
}
