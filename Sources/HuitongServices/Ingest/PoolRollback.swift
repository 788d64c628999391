import Foundation
import HuitongCore
import HuitongIngest
import HuitongStore

/// Why a rollback of an entry's pool was refused.
package enum PoolRollbackError: HuitongError {
    case unknownVersion(Int, kept: [Int])
    case loadRunning
    case alreadyActive(Int)
    case stillBuilding(Int)
    case columnsChanged(Int, version: [String], entry: [String])

    package var code: String {
        switch self {
        case .unknownVersion: "pool_version_not_found"
        case .loadRunning: "load_in_progress"
        case .alreadyActive: "pool_version_active"
        case .stillBuilding: "pool_version_building"
        case .columnsChanged: "pool_version_outdated"
        }
    }

    package var kind: ErrorKind {
        switch self {
        case .unknownVersion: .notFound
        default: .conflict
        }
    }

    package var message: BilingualText {
        switch self {
        case .unknownVersion(let version, let kept):
            let list = kept.map(String.init)
            return kept.isEmpty
                ? BilingualText(
                    zh: "资源池没有版本 \(version)，也没有可回滚的版本",
                    en: "the pool has no version \(version), nor any to roll back to")
                : BilingualText(
                    zh: "资源池没有版本 \(version)；现有版本：\(list.joined(separator: "、"))",
                    en: "the pool has no version \(version); it keeps versions \(list.joined(separator: ", "))")
        case .loadRunning:
            return BilingualText(
                zh: "该目录有归集任务正在进行，请待其完成后再回滚",
                en: "a load into this entry is running; roll back once it has finished")
        case .alreadyActive(let version):
            return BilingualText(zh: "版本 \(version) 已是当前版本", en: "version \(version) is already the active one")
        case .stillBuilding(let version):
            return BilingualText(
                zh: "版本 \(version) 正在装载，不能启用", en: "version \(version) is still being loaded and cannot be activated")
        case .columnsChanged(let version, let old, let new):
            return BilingualText(
                zh: "版本 \(version) 装载后目录的信息项已改变（该版本的字段：\(old.joined(separator: "、"))；"
                    + "现在：\(new.joined(separator: "、"))），不能回滚到该版本",
                en: "the entry's data items changed since version \(version) was loaded (its columns: "
                    + "\(old.joined(separator: ", ")); now: \(new.joined(separator: ", "))); it cannot be made active again"
            )
        }
    }

    package var details: [FieldIssue] {
        switch self {
        case .unknownVersion, .alreadyActive, .stillBuilding, .columnsChanged:
            [FieldIssue(field: "version", message: message)]
        case .loadRunning:
            []
        }
    }
}

/// Makes a kept version of an entry's pool the one readers see again (a pointer switch, whatever the pool's size),
/// for the API and `huitong pool rollback` alike. Whether the caller may is the caller's check.
package struct PoolRollback: Sendable {
    package let store: Store

    package init(store: Store) {
        self.store = store
    }

    /// Switches `entry`'s pool to `version` and records the mount; returns the version now active and the entry.
    package func rollback(_ entry: CatalogEntry, to version: Int, author: ChangeAuthor) async throws
        -> (PoolVersion, CatalogEntry)
    {
        if try await IngestRunner.isLoading(store, entryID: entry.id) { throw PoolRollbackError.loadRunning }
        let versions = try await store.pools.versions(entryID: entry.id)
        guard let target = versions.first(where: { $0.version == version }) else {
            throw PoolRollbackError.unknownVersion(version, kept: versions.map(\.version))
        }
        switch target.status {
        case .active: throw PoolRollbackError.alreadyActive(target.version)
        case .building: throw PoolRollbackError.stillBuilding(target.version)
        case .retired: break
        case .abandoned: throw PoolRollbackError.unknownVersion(version, kept: versions.map(\.version))
        }
        let columns = entry.content.items.map(\.columnName)
        guard target.columns == columns else {
            throw PoolRollbackError.columnsChanged(target.version, version: target.columns, entry: columns)
        }
        // The store checks again inside its transaction, where the switch is atomic.
        let active: PoolVersion
        do {
            active = try await store.pools.reactivate(entryID: entry.id, version: target.version)
        } catch StoreError.notFound {
            throw PoolRollbackError.unknownVersion(version, kept: [])
        }
        let updated = try await store.catalog.setMount(
            id: entry.id, MountedResource(kind: .table, locator: active.tableName), recordCount: active.rowCount,
            dataUpdatedAt: Date(), author: author)
        return (active, updated)
    }
}
