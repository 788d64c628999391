import Foundation
import HuitongCore
import SQLKit

/// Loading sealed entries in bulk with PostgreSQL's COPY (`bench/audit` fills 10⁸ entries this way): the statement
/// and the rows in COPY's text format. The entries must continue the chain; the head is then set with
/// `AuditArchiveRepository.adoptHead` and the rollups rebuilt.
public enum AuditBulkLoad {
    public static var copyStatement: String {
        "COPY audit_entries (\(SQLAuditLogRepository.entryColumns.joined(separator: ", "))) FROM STDIN"
    }

    /// One entry as a line of COPY's text format, columns in `copyStatement`'s order.
    public static func copyLine(_ entry: AuditEntry) -> String {
        let event = entry.event
        var fields: [String?] = [
            String(entry.sequence), String(event.timeMicroseconds), event.action.rawValue,
            event.consumerDepartmentID.map(String.init), event.applicationSystemID.map(String.init),
            event.userID.map(String.init), event.providerDepartmentID.map(String.init), event.resourceCode,
            event.grantID.map(String.init), event.purpose,
        ]
        fields += [
            SQLAuditLogRepository.jsonArray(event.queriedKeyHashes), String(event.rowsReturned), event.outcome.name,
            event.outcome.reason, String(event.latencyMicroseconds),
            String(LatencyBuckets.bucket(microseconds: event.latencyMicroseconds)),
            SQLAuditLogRepository.jsonObject(event.detail), entry.previousHash.hex, entry.hash.hex,
            entry.suite.rawValue,
        ]
        return fields.map { $0.map(escape) ?? "\\N" }.joined(separator: "\t") + "\n"
    }

    private static func escape(_ text: String) -> String {
        guard text.contains(where: { $0 == "\\" || $0 == "\t" || $0 == "\n" || $0 == "\r" }) else { return text }
        return text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\t", with: "\\t")
            .replacingOccurrences(of: "\n", with: "\\n").replacingOccurrences(of: "\r", with: "\\r")
    }
}

extension SQLAuditLogRepository {
    func adoptHead(_ chain: AuditChain) async throws {
        try await provider.transaction { sql in
            // Only forward, and only to the last entry stored: a head moved back or off the entries would hand out
            // sequence numbers already taken (PostgreSQL's key is (seq, time_us) and cannot refuse them).
            let last = try await sql.raw("SELECT seq, hash FROM audit_entries ORDER BY seq DESC LIMIT 1").first()
            let lastSequence = try last?.decode(column: "seq", as: Int64.self) ?? 0
            let lastHash = try last?.decode(column: "hash", as: String.self)
            guard chain.sequence == lastSequence, chain.sequence == 0 || lastHash == chain.lastHash.hex else {
                throw StoreError.conflict(
                    BilingualText(
                        zh: "链头须为最后一条审计条目（序号 \(lastSequence)）", en: "the head must be the last entry (\(lastSequence))")
                )
            }
            try await sql.raw(
                """
                UPDATE audit_head SET seq = \(bind: chain.sequence), hash = \(bind: chain.lastHash.hex),
                    frontier = \(bind: Self.frontierText(chain)) WHERE id = 1
                """
            ).run()
        }
    }
}
