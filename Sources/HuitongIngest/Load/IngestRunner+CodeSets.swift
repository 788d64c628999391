import HuitongCore
import HuitongStore

extension IngestRunner {
    /// The code sets `items` name, read once per load. A set that does not exist fails the load before any row is
    /// read: its values could not be checked.
    func codeSets(for items: [InfoItem]) async throws -> [CodeSet] {
        let ids = Set(items.compactMap(\.codeSet))
        if ids.isEmpty { return [] }
        let found = try await store.codeSets.find(ids: ids)
        let known = Set(found.map(\.id))
        var missing: [String: String] = [:]
        for item in items {
            if let id = item.codeSet, !known.contains(id) { missing[item.columnName] = id }
        }
        guard missing.isEmpty else { throw IngestFailure.unknownCodeSets(missing) }
        return found
    }
}

extension IngestFailure {
    /// `column → code set` pairs in column order, for messages.
    static func list(_ codeSets: [String: String]) -> [String] {
        codeSets.sorted { $0.key < $1.key }.map { "\($0.key) → \($0.value)" }
    }
}
