import Foundation
import HuitongCore
import HuitongIngest
import HuitongServices
import HuitongStore
import Hummingbird

/// Why a rollback of an entry's pool was refused.
enum PoolRollbackError: HuitongError {
    case unknownVersion(Int, kept: [Int])
    case loadRunning
    case alreadyActive(Int)
    case stillBuilding(Int)
    case columnsChanged(Int, version: [String], entry: [String])

    var code: String {
        switch self {
        case .unknownVersion: "pool_version_not_found"
        case .loadRunning: "load_in_progress"
        case .alreadyActive: "pool_version_active"
        case .stillBuilding: "pool_version_building"
        case .columnsChanged: "pool_version_outdated"
        }
    }

    var kind: ErrorKind {
        switch self {
        case .unknownVersion: .notFound
        default: .conflict
        }
    }

    var message: BilingualText {
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

    var details: [FieldIssue] {
        switch self {
        case .unknownVersion, .alreadyActive, .stillBuilding, .columnsChanged:
            [FieldIssue(field: "version", message: message)]
        case .loadRunning:
            []
        }
    }
}

/// `/api/v1/catalog/entries/{id}/pool`: the versions of an entry's resource pool, and rollback to a kept one.
extension IngestAPI {
    struct PoolVersionBody: Encodable {
        var version: Int
        var status: PoolVersionStatus
        var rowCount: Int64
        var columns: [String]
        var createdAt: Date
        var activatedAt: Date?
        /// The load that built the version, while its job is on record.
        var jobID: Int64?
        var fileName: String?
        /// Why the version exists when an objection's correction made it.
        var provenance: PoolProvenance?

        init(_ version: PoolVersion, job: IngestJob?, provenance: PoolProvenance? = nil) {
            self.version = version.version
            status = version.status
            rowCount = version.rowCount
            columns = version.columns
            createdAt = version.createdAt
            activatedAt = version.activatedAt
            jobID = job?.id
            fileName = job?.fileName
            self.provenance = provenance
        }
    }

    struct RollbackInput: Decodable {
        var version: Int
    }

    struct RollbackBody: Encodable {
        var version: PoolVersionBody
        var entry: CatalogEntry
    }

    /// The pool's versions, newest first: the active one, those kept for rollback and any being loaded.
    func poolVersions(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let (user, entry) = try await managedEntry(context, .ingestReadPoolVersions)
        let jobs = try await loadingJobs(entry.id)
        // Corrected values are the provider's to see; the operator sees them masked.
        let isProvider = AccessPolicy.allows(user, .ingestReadCorrectionValues, department: entry.provider.departmentID)
        let provenance = try await store.objections.provenance(entryID: entry.id).mapValues {
            isProvider ? $0 : $0.masked(for: entry.content.items)
        }
        let versions = try await store.pools.versions(entryID: entry.id).reversed().map {
            PoolVersionBody($0, job: jobs[$0.version], provenance: provenance[$0.version])
        }
        return try JSONResponse.make(ListBody(items: Array(versions)))
    }

    /// Makes a kept version the one readers see again; the entry's record count, update time and mount follow.
    func rollback(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let (user, entry) = try await managedEntry(context, .ingestRollback)
        let input = try await request.decodeJSON(RollbackInput.self, context: context)
        guard input.version >= 1 else {
            throw ValidationError(
                field: "version", BilingualText(zh: "版本号须为正整数", en: "version must be a positive integer"))
        }
        if try await IngestRunner.isLoading(store, entryID: entry.id) { throw PoolRollbackError.loadRunning }
        let versions = try await store.pools.versions(entryID: entry.id)
        guard let target = versions.first(where: { $0.version == input.version }) else {
            throw PoolRollbackError.unknownVersion(input.version, kept: versions.map(\.version))
        }
        switch target.status {
        case .active: throw PoolRollbackError.alreadyActive(target.version)
        case .building: throw PoolRollbackError.stillBuilding(target.version)
        case .retired: break
        case .abandoned: throw PoolRollbackError.unknownVersion(input.version, kept: versions.map(\.version))
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
            throw PoolRollbackError.unknownVersion(input.version, kept: [])
        }
        let updated = try await store.catalog.setMount(
            id: entry.id, MountedResource(kind: .table, locator: active.tableName), recordCount: active.rowCount,
            dataUpdatedAt: Date(), author: user.author)
        let jobs = try await loadingJobs(entry.id)
        return try JSONResponse.make(
            RollbackBody(
                version: PoolVersionBody(active, job: jobs[active.version]), entry: updated.redacted(for: user)))
    }

    /// The successful loads of an entry by the pool version they built.
    func loadingJobs(_ entryID: Int64) async throws -> [Int: IngestJob] {
        var jobs: [Int: IngestJob] = [:]
        for job in try await store.ingestJobs.list(entryID: entryID) where job.status == .succeeded {
            if let version = job.poolVersion, jobs[version] == nil { jobs[version] = job }
        }
        return jobs
    }
}
