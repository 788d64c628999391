import Foundation
import HuitongCore
import HuitongStore

/// What one 回流 run did on the sending side.
public struct ReflowSendResult: Sendable, Hashable, Codable {
    public var runID: String?
    public var sourceVersion: Int?
    public var parts: Int
    public var rows: Int
    /// True when the source had not changed since the last run, so nothing was sent.
    public var skipped: Bool
}

extension FederationNode {
    /// Sends the active pool of the subscription's entry, filtered to the child's region prefix, as one run of
    /// parts (回流). Unless `force`, a source version already sent is not sent again.
    public func runReflow(subscriptionID: Int64, force: Bool = false) async throws -> ReflowSendResult {
        guard let subscription = try await store.reflows.subscription(id: subscriptionID) else {
            throw StoreError.notFound(entity: "reflow subscription", key: "\(subscriptionID)")
        }
        guard let entry = try await store.catalog.find(id: subscription.entryID) else {
            throw StoreError.notFound(entity: "catalog entry", key: "\(subscription.entryID)")
        }
        // Paused while no registered child leads to the subscriber (its peer was removed): an operator's call
        // is answered with what to do, not with a refusal meant for a forged message.
        guard try await reaches(subscription.child) else {
            throw FederationError.unregisteredChild(subscription.child.code)
        }
        guard let active = try await store.pools.active(entryID: entry.id) else {
            throw FederationError.malformed(
                BilingualText(
                    zh: "“\(entry.content.name)”还没有归集数据，无法回流", en: "\"\(entry.content.name)\" has no pool to return yet"
                ))
        }
        if !force, subscription.lastSourceVersion == active.version {
            return ReflowSendResult(runID: nil, sourceVersion: active.version, parts: 0, rows: 0, skipped: true)
        }
        let runID = UUID().uuidString.lowercased()
        let prefix = subscription.child.codePrefix
        let columns = active.columns
        var sequence = 0
        var rows = 0
        var pending: [[String?]]? = nil
        // Each page becomes a part once the next page shows whether it was the last, so the final part can say
        // so without a count of the whole selection up front.
        func flush(_ page: [[String?]], isLast: Bool) async throws {
            let batch = ReflowBatch(
                runID: runID, sourceCode: entry.code.text, sourceVersion: active.version,
                regionColumn: subscription.regionColumn, regionPrefix: prefix, columns: columns,
                keyColumns: active.keyColumns, sequence: sequence, isLast: isLast, rows: page)
            try await send(
                .reflowBatch, batch, to: subscription.child, messageID: "\(runID.prefix(36))-\(sequence)")
            sequence += 1
            rows += page.count
        }
        let read = try await store.pools.extract(
            entryID: entry.id,
            selecting: PoolSelection(
                columns: columns, conditions: [PoolRowCondition(column: subscription.regionColumn, prefix: prefix)]),
            pageSize: settings.reflowBatchRows
        ) { page in
            if let previous = pending { try await flush(previous, isLast: false) }
            pending = page
        }
        try await flush(pending ?? [], isLast: true)
        try await store.reflows.recordSent(
            subscriptionID: subscription.id, runID: runID, sourceVersion: read?.version ?? active.version, at: Date())
        return ReflowSendResult(
            runID: runID, sourceVersion: read?.version ?? active.version, parts: sequence, rows: rows, skipped: false)
    }

    /// Whether a registered child is, or leads to, `region` below this node. A 回流 subscription whose child no
    /// registered peer reaches is paused: scheduled runs skip it and a run on demand is refused with 422.
    public func reaches(_ region: NodeRegion) async throws -> Bool {
        guard region != local, local.contains(region) else { return false }
        return try await store.federation.peers().contains { $0.relation == .child && $0.region.contains(region) }
    }

    /// Runs every subscription whose source changed since its last run.
    public func runDueReflows() async throws -> [ReflowSendResult] {
        var results: [ReflowSendResult] = []
        for subscription in try await store.reflows.subscriptions() {
            // Paused: nothing to retry until the peer is registered again (see `reaches`).
            guard try await reaches(subscription.child) else { continue }
            // A subscription that cannot run yet (no pool) must not keep the others from running.
            do {
                results.append(try await runReflow(subscriptionID: subscription.id))
            } catch {
                logger.warning(
                    "scheduled 回流 run failed", metadata: ["subscription": "\(subscription.id)", "error": "\(error)"])
            }
        }
        return results
    }

    /// Keeps a received part; once every part of the run is held, applies the run as one new version of the
    /// target entry's pool holding exactly the run's rows: a run is a snapshot of this node's slice of the
    /// parent's pool, so people deleted there or moved out of this region leave this node's copy too.
    func receiveReflow(_ batch: ReflowBatch, from origin: NodeRegion, now: Date) async throws {
        guard let target = try await store.reflows.target(origin: origin, sourceCode: batch.sourceCode) else {
            // Refused, so the sender's outbox keeps it and retries: once an operator names the receiving entry,
            // the data arrives without anyone resending it.
            throw FederationError.refused(
                node: local.code, code: "no_reflow_target",
                message: BilingualText(
                    zh: "本节点尚未指定接收 \(origin.code) 资源 \(batch.sourceCode) 回流数据的目录",
                    en: "this node has not named the entry that receives \(origin.code)'s \(batch.sourceCode)"))
        }
        if try await store.reflows.appliedRun(runID: batch.runID) != nil { return }
        guard try await store.reflows.keepPart(batch, origin: origin, at: now) else { return }
        try await applyReflow(runID: batch.runID, origin: origin, target: target, now: now)
    }

    /// Applies every run that is whole but was never applied; runs beside the outbox.
    @discardableResult
    public func applyCompletedReflows(now: Date = Date()) async throws -> Int {
        var applied = 0
        for (runID, origin) in try await store.reflows.completeUnappliedRuns() {
            do {
                guard let first = try await store.reflows.parts(runID: runID).first,
                    let target = try await store.reflows.target(origin: origin, sourceCode: first.sourceCode)
                else { continue }
                try await applyReflow(runID: runID, origin: origin, target: target, now: now)
                applied += 1
            } catch {
                logger.warning("could not apply returned data", metadata: ["run": "\(runID)", "error": "\(error)"])
            }
        }
        return applied
    }

    func applyReflow(runID: String, origin: NodeRegion, target: ReflowTarget, now: Date) async throws {
        // One run is applied by one task of this node at a time: its last part and the sweep may both try.
        guard applyingRuns.withLock({ $0.insert(runID).inserted }) else { return }
        defer { _ = applyingRuns.withLock { $0.remove(runID) } }
        if try await store.reflows.appliedRun(runID: runID) != nil { return }
        guard let entry = try await store.catalog.find(id: target.entryID) else {
            throw StoreError.notFound(entity: "catalog entry", key: "\(target.entryID)")
        }
        let columns = entry.content.items.map(\.columnName)
        let keys = entry.content.keyItems.map(\.columnName)
        let parts = try await store.reflows.parts(runID: runID)
        guard let first = parts.first else { return }
        guard !keys.isEmpty, keys.allSatisfy(first.columns.contains) else {
            throw FederationError.refused(
                node: local.code, code: "reflow_key_mismatch",
                message: BilingualText(
                    zh: "接收目录“\(entry.content.name)”的主键 \(keys.joined(separator: "、")) 不在回流数据的列中",
                    en:
                        "the key \(keys.joined(separator: ", ")) of \"\(entry.content.name)\" is not among the returned columns"
                ))
        }
        // Not a merge into the previous version: a row the parent no longer sends (deleted, or its region changed
        // to another node's) must not stay here.
        let version = try await store.pools.beginVersion(
            entryID: entry.id, columns: columns, types: ColumnType.of(entry.content.items), keyColumns: keys,
            copyingActive: false, expectedRows: 0,
            encrypting: try await store.columnsEncryptedAtRest(entry.content, policy: try await gradePolicy()))
        var applied: Int64 = 0
        let active: PoolVersion
        do {
            for part in parts {
                let positions = columns.map { part.columns.firstIndex(of: $0) }
                let rows = part.rows.map { row in positions.map { $0.map { row[$0] } ?? nil } }
                // Each part is kept once however often it was resent, and the parent's pool holds each key once,
                // so the rows go straight in; the key's unique index is built when the version goes live.
                if !rows.isEmpty { try await store.pools.insert(rows, into: version, replacingKeys: false) }
                applied += Int64(rows.count)
            }
            active = try await store.pools.activate(version, keep: 5)
        } catch {
            try? await store.pools.abandon(version)
            throw error
        }
        try await store.reflows.recordApplied(
            ReflowRun(
                runID: runID, origin: origin, sourceCode: first.sourceCode, sourceVersion: first.sourceVersion,
                entryID: entry.id, poolVersion: active.version, rowsApplied: applied, appliedAt: now))
        logger.info(
            "applied returned data",
            metadata: [
                "origin": "\(origin.code)", "source": "\(first.sourceCode)", "entry": "\(entry.code.text)",
                "pool_version": "\(active.version)", "rows": "\(applied)",
            ])
    }
}
