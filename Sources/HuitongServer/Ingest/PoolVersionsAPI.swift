import Foundation
import HuitongCore
import HuitongIngest
import HuitongServices
import HuitongStore
import Hummingbird

/// `/api/v1/catalog/entries/{id}/pool`: the versions of an entry's resource pool, and rollback to a kept one.
extension IngestAPI {
    struct PoolVersionBody: Codable {
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

    struct RollbackInput: Codable {
        var version: Int
    }

    struct RollbackBody: Codable {
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
        let (active, updated) = try await PoolRollback(store: store).rollback(
            entry, to: input.version, author: user.author)
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
