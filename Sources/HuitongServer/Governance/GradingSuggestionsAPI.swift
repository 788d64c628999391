import Foundation
import HuitongCore
import HuitongStore
import Hummingbird

/// Suggestions of each data item's kind of data, security grade and masking, from a sample of the rows the pool
/// holds (domain.md §4). They are shown to the provider beside the item's current settings and never applied here:
/// the provider confirms them by editing the entry.
struct GradingSuggestionsAPI: Sendable {
    let store: Store
    /// Rows read from the pool; enough to tell a column of ID numbers from one of phone numbers, cheap to read.
    static let sampleSize = 1_000

    func register(on api: RouterGroup<HuitongRequestContext>) {
        api.get("catalog/entries/:id/grading-suggestions", use: suggestions)
    }

    struct ItemSuggestion: Encodable {
        var columnName: String
        var name: String
        var current: Current
        var suggested: ColumnSuggestion
        /// True when the suggestion differs from what the item says now.
        var differs: Bool

        struct Current: Encodable {
            var semanticKind: SemanticKind
            var grade: SecurityGrade
            var masking: MaskingRule
        }
    }

    struct Body: Encodable {
        var entryID: Int64
        var poolVersion: Int
        var sampledRows: Int
        var items: [ItemSuggestion]
    }

    func suggestions(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let user = try context.requireRole(.provider, .operator)
        let entry = try await IngestAPI(store: store, logger: context.logger).managedEntry(context, user)
        let columns = entry.content.items.map(\.columnName)
        guard
            var extract = try await store.pools.beginExtract(
                entryID: entry.id, selecting: PoolSelection(columns: columns), pageSize: Self.sampleSize)
        else {
            throw APIError.notFound("/api/v1/catalog/entries/\(entry.id)/pool")
        }
        let rows = try await store.pools.nextPage(of: &extract) ?? []
        let classifier = ColumnClassifier()
        let items = entry.content.items.enumerated().map { index, item in
            let suggestion = classifier.suggest(for: item, values: rows.lazy.map { $0[index] })
            let masking = MaskingRule.default(for: item.semanticKind)
            return ItemSuggestion(
                columnName: item.columnName, name: item.name,
                current: .init(semanticKind: item.semanticKind, grade: item.grade, masking: masking),
                suggested: suggestion,
                differs: suggestion.kind != item.semanticKind || suggestion.grade != item.grade)
        }
        return try JSONResponse.make(
            Body(entryID: entry.id, poolVersion: extract.version.version, sampledRows: rows.count, items: items))
    }
}
