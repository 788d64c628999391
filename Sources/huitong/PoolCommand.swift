import ArgumentParser
import Foundation
import HuitongCore
import HuitongServices
import HuitongStore

/// `huitong pool versions|rollback RESOURCE_CODE`: the kept versions of an entry's resource pool, and a rollback to
/// one of them, on this node's database (the console and `POST …/pool/rollback` do the same over HTTP).
struct PoolCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pool", abstract: "List the versions of a catalog entry's resource pool, or roll back to one.",
        subcommands: [Versions.self, Rollback.self])

    static func entry(_ store: Store, code: String) async throws -> CatalogEntry {
        guard let entry = try await store.catalog.find(code: code) else {
            throw CommandFailure(message: "没有代码为 \(code) 的目录 (no catalog entry has this code)")
        }
        return entry
    }

    static func describe(_ version: PoolVersion) -> String {
        let built = version.baseVersion.map { "changes on version \($0)" } ?? "a whole load"
        return
            "\(version.version)\t\(version.status.rawValue)\t\(version.rowCount) rows\t\(built)\t\(version.tableName)"
    }

    struct Versions: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the kept versions: number, status, rows, how it was built, table.")

        @OptionGroup var node: NodeOptions

        @Argument(help: "Resource code of the entry, e.g. 101001/0001.")
        var resourceCode: String

        func run() async throws {
            try await withStore(node) { store, _, _ in
                let entry = try await PoolCommand.entry(store, code: resourceCode)
                for version in try await store.pools.versions(entryID: entry.id) {
                    print(PoolCommand.describe(version))
                }
            }
        }
    }

    struct Rollback: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a kept version the one readers see again (回滚), as the pool's provider would.")

        @OptionGroup var node: NodeOptions

        @Argument(help: "Resource code of the entry, e.g. 101001/0001.")
        var resourceCode: String

        @Argument(help: "The version to make active (see `huitong pool versions`).")
        var version: Int

        func run() async throws {
            try await withStore(node) { store, _, _ in
                let entry = try await PoolCommand.entry(store, code: resourceCode)
                do {
                    let (active, _) = try await PoolRollback(store: store).rollback(
                        entry, to: version, author: ChangeAuthor(userID: nil, name: "命令行 (huitong pool rollback)"))
                    print("已回滚 (rolled back): \(PoolCommand.describe(active))")
                } catch let error as any HuitongError {
                    throw CommandFailure(message: error.message.combined)
                }
            }
        }
    }
}
