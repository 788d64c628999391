import Foundation
import HuitongServices
import HuitongStore
import Logging

extension Store {
    /// A node's SQLite database (`<directory>/huitong.sqlite`) opened from the test process as the CLI opens it:
    /// keyed with the sealing key of the data directory (created when missing, as a node's first start creates it),
    /// so that access-control rows written here verify in the node's processes and the other way round.
    static func openNodeDatabase(_ directory: URL) async throws -> Store {
        let store = Store(
            provider: try await DatabaseConnector.open(
                .sqlite(path: directory.appendingPathComponent("huitong.sqlite").path), logger: Logger(label: "test")))
        do {
            let (sealingKey, _) = try SealingKeyLoader.load(base64: nil, dataDirectory: directory.path)
            store.useSealingKey(sealingKey)
            return store
        } catch {
            await store.provider.shutdown()
            throw error
        }
    }
}
