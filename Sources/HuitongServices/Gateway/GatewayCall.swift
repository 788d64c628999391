import Foundation
import HuitongCore
import HuitongStore

// MARK: - Authorisation and auditing of one call

/// One gateway call past authentication: who calls, for what, under which grant. Every way out of a call goes
/// through `record` or `refuse`, so nothing is answered without its audit entry.
package struct GatewayCall: Sendable {
    package init(
        action: AuditAction, started: ContinuousClock.Instant, system: ApplicationSystem, entry: CatalogEntry,
        grant: Grant, pseudonymizer: Pseudonymizer?
    ) {
        self.action = action
        self.started = started
        self.system = system
        self.entry = entry
        self.grant = grant
        self.pseudonymizer = pseudonymizer
    }

    /// The most keys one lookup may ask for.
    package static let keyLimit = 100

    /// A key as the pool stores it: identifiers in upper case, everything trimmed.
    package static func canonicalKey(_ value: String, _ item: InfoItem) -> String {
        let trimmed = value.trimmedOfWhitespace()
        switch item.semanticKind {
        case .residentID, .creditCode: return trimmed.uppercased()
        default: return trimmed
        }
    }

    package var action: AuditAction
    package let started: ContinuousClock.Instant
    package let system: ApplicationSystem
    package let entry: CatalogEntry
    package let grant: Grant
    /// Join keys for this consumer: the same value always gives the same pseudonym, other consumers get others.
    package let pseudonymizer: Pseudonymizer?

    package var selection: PoolSelection { Self.selection(entry: entry, grant: grant) }

    /// The granted items the entry still has, in the entry's order, and the grant's row filter: what any read
    /// under the grant (here, or a call routed from another node) asks the pool for.
    package static func selection(entry: CatalogEntry, grant: Grant) -> PoolSelection {
        let columns = entry.content.items.map(\.columnName).filter(grant.items.contains)
        return PoolSelection(
            columns: columns,
            conditions: grant.rowFilter.map { [PoolRowCondition(column: $0.column, prefix: $0.prefix)] } ?? [])
    }

    /// The granted items this call serves as they are (no masking rule, or `.none`): the only ones a consumer may
    /// filter by, since filtering by a masked value would reveal it.
    package var unmaskedColumns: Set<String> {
        Set(selection.columns.filter { (grant.masking[$0] ?? MaskingRule.none) == MaskingRule.none })
    }

    /// The column types of the entry's items, for numbers and booleans in JSON.
    package func columnTypes(_ columns: [String]) -> [ColumnType] {
        let types = ColumnType.of(entry.content.items)
        return columns.map { types[$0] ?? .text }
    }

    package func masked(_ row: [String?], columns: [String]) -> [String?] {
        Self.masked(row, columns: columns, grant: grant, pseudonymizer: pseudonymizer)
    }

    /// A row as the grant lets the consumer see it: each value masked by its item's rule.
    package static func masked(_ row: [String?], columns: [String], grant: Grant, pseudonymizer: Pseudonymizer?)
        -> [String?]
    {
        zip(columns, row).map { column, value in
            guard let value, let rule = grant.masking[column] else { return value }
            return rule.apply(to: value, pseudonymizer: pseudonymizer)
        }
    }

    package func event(outcome: AuditOutcome, rows: Int, keyHashes: [String], detail: [String: String]) -> AuditEvent {
        let elapsed = ContinuousClock.now - started
        return AuditEvent(
            action: action, consumerDepartmentID: system.departmentID, applicationSystemID: system.id,
            providerDepartmentID: entry.provider.departmentID, resourceCode: entry.code.text, grantID: grant.id,
            purpose: grant.purpose.rawValue, queriedKeyHashes: keyHashes, rowsReturned: Int64(rows), outcome: outcome,
            latencyMicroseconds: elapsed.microseconds,
            detail: detail)
    }

    package func record(audit: AuditLog, rows: Int, keyHashes: [String], detail: [String: String] = [:]) async throws {
        try await audit.appendOrFailClosed(
            event(outcome: .allowed, rows: rows, keyHashes: keyHashes, detail: detail))
    }

    package func refuse(_ error: GatewayError, audit: AuditLog) async throws -> Never {
        let outcome: AuditOutcome =
            error.kind == .upstreamFailed ? .failed(reason: error.code) : .denied(reason: error.code)
        try await audit.appendOrFailClosed(event(outcome: outcome, rows: 0, keyHashes: [], detail: [:]))
        throw error
    }
}

extension AuditLog {
    /// Appends a gateway call's entry, or refuses the call: nothing is served that the log does not hold.
    package func appendOrFailClosed(_ event: AuditEvent) async throws(GatewayError) {
        do {
            _ = try await append(event)
        } catch {
            throw .auditUnavailable
        }
    }
}

extension Duration {
    package var microseconds: Int64 { components.seconds * 1_000_000 + components.attoseconds / 1_000_000_000_000 }
}

extension Duration {
    package var timeInterval: TimeInterval {
        let (seconds, attoseconds) = components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}
