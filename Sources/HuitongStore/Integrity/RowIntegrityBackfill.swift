import Foundation
import HuitongCore
import Logging
import SQLKit

/// What the start-up backfill of row MACs did.
public enum RowIntegrityBackfill: Sendable, Equatable {
    /// It had run before: nothing was done, and a row without a MAC stays refused.
    case alreadyDone
    /// It ran now and MAC'd this many rows per table (none on a new database).
    case sealed([String: Int])
    /// It did not run, and will not: rows without a MAC are refused. Either some rows already carry MACs while the
    /// record of the backfill is gone (deleted behind the store), or the record itself fails its check.
    case refused(reason: String)
}

extension RowIntegrity {
    /// Gives MACs to the rows that existed before the MAC columns did (migration `Schema.rowIntegrity`): run at
    /// every start, after the migrations and before anything is served, it does its work only once per database.
    ///
    /// A row without a MAC is accepted here only, and only while (1) the MAC'd record of a finished backfill is
    /// absent and (2) not one protected row carries a MAC yet — which is the state the migration leaves and no
    /// later one. Nulling a MAC afterwards (to slip an edited row in) therefore makes the row refused, not
    /// re-MAC'd; so does deleting the record as well, since the other rows still carry theirs. (An attacker who
    /// can erase every MAC and the record gets them all recomputed at the next start: that start logs what it MAC'd,
    /// as the first one does, for the operator to notice.)
    public func backfill(_ provider: any DatabaseProvider) async throws -> RowIntegrityBackfill {
        let outcome = try await provider.transaction { sql -> RowIntegrityBackfill in
            if provider.backend == .postgres {
                // Nodes starting together on one database backfill one at a time; the later ones find the record.
                try await sql.raw("SELECT pg_advisory_xact_lock(48226102)").run()
            }
            // The record says how many generations of tables (`ProtectedTable.generations`) were backfilled:
            // `backfilled` for the first, `backfilled N` for the first N.
            var done = 0
            let record = try await sql.raw("SELECT * FROM row_integrity WHERE id = 1").first()
            if let record {
                do {
                    try verify(.backfillRecord, record)
                } catch let error as StoreError where error != .integrityKeyMissing {
                    return .refused(reason: "the record of the backfill fails its integrity check")
                }
                let state = try record.decode(column: "state", as: String.self)
                done = state == "backfilled" ? 1 : Int(state.split(separator: " ").last ?? "") ?? 1
            }
            let generations = ProtectedTable.generations
            guard done < generations.count else { return .alreadyDone }
            var sealed: [String: Int] = [:]
            for tables in generations[done...] {
                if let refusal = try await backfill(tables, into: &sealed, sql) { return .refused(reason: refusal) }
            }
            let state = "backfilled \(generations.count)"
            if record == nil {
                try await sql.raw("INSERT INTO row_integrity (id, state) VALUES (1, \(bind: state))").run()
            } else {
                try await sql.raw("UPDATE row_integrity SET state = \(bind: state) WHERE id = 1").run()
            }
            try await seal(.backfillRecord, id: 1, sql)
            return .sealed(sealed)
        }
        switch outcome {
        case .alreadyDone:
            break
        case .sealed(let counts):
            logger.notice(
                "row integrity: MACs computed for the access-control rows that had none (once per database)",
                metadata: ["rows": "\(counts.values.reduce(0, +))", "tables": "\(counts)"])
        case .refused(let reason):
            logger.error(
                "row integrity: backfill refused; rows without a MAC stay refused", metadata: ["reason": "\(reason)"])
        }
        return outcome
    }

    /// Backfills one generation of tables: MACs every row without one, provided none of them carries a MAC yet
    /// (the state their migration leaves); otherwise the reason the rows without one stay refused.
    private func backfill(_ tables: [ProtectedTable], into sealed: inout [String: Int], _ sql: any SQLDatabase)
        async throws -> String?
    {
        var alreadySealed = false
        for table in tables {
            let row = try await sql.raw(
                "SELECT 1 AS found FROM \(ident: table.name) WHERE row_mac IS NOT NULL LIMIT 1"
            ).first()
            if row != nil {
                alreadySealed = true
                break
            }
        }
        var counts: [String: Int] = [:]
        for table in tables {
            counts[table.name] =
                try await sql.raw("SELECT COUNT(*) AS n FROM \(ident: table.name) WHERE row_mac IS NULL").first()?
                .decode(column: "n", as: Int.self) ?? 0
        }
        if alreadySealed {
            let unsealed = counts.values.reduce(0, +)
            return unsealed > 0 ? "\(unsealed) rows have no MAC while others have, and no backfill was recorded" : nil
        }
        for table in tables where counts[table.name, default: 0] > 0 {
            try await resealAll(table, where: "row_mac IS NULL", sql)
            sealed[table.name] = counts[table.name]
        }
        return nil
    }
}
