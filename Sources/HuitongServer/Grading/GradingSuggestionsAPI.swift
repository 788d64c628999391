import Foundation
import HuitongCore
import HuitongServices
import HuitongStore
import Hummingbird

/// Suggestions of each data item's kind of data, security grade and masking, from a sample of the rows the pool
/// holds (domain.md §4). They are shown to the provider beside the item's current settings and never applied here:
/// the provider confirms them by editing the entry.
struct GradingSuggestionsAPI: Sendable {
    let store: Store
    let catalog: CatalogLifecycle
    /// Rows read from the pool; enough to tell a column of ID numbers from one of phone numbers, cheap to read.
    static let sampleSize = 1_000

    func register(on api: RouterGroup<HuitongRequestContext>) {
        api.get("catalog/entries/:id/grading-suggestions", use: suggestions)
    }

    struct ItemSuggestion: Codable {
        var columnName: String
        var name: String
        var current: Current
        /// The classifier's kind and grade, with the masking the grade policy gives that grade and kind.
        var suggested: ColumnSuggestion
        /// The share type the grade policy gives the suggested grade (the loosest it allows).
        var suggestedShareType: ShareType
        /// True when the suggestion differs from what the item says now.
        var differs: Bool

        struct Current: Codable {
            var semanticKind: SemanticKind
            var grade: SecurityGrade
            var shareType: ShareType
            var masking: MaskingRule
        }
    }

    /// What the suggested item grades mean for the whole entry (就高从严: it takes its highest item's grade).
    struct EntrySuggestion: Codable {
        var grade: SecurityGrade
        var shareType: ShareType
        var openness: Openness
    }

    struct Body: Codable {
        var entryID: Int64
        var poolVersion: Int
        var sampledRows: Int
        var entry: EntrySuggestion
        var items: [ItemSuggestion]
    }

    func suggestions(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let (_, entry) = try await IngestAPI.managedEntry(context, .gradingReadSuggestions, catalog: catalog)
        let columns = entry.content.items.map(\.columnName)
        guard
            var extract = try await store.pools.beginExtract(
                entryID: entry.id, selecting: PoolSelection(columns: columns), pageSize: Self.sampleSize)
        else {
            throw APIError.notFound("/api/v1/catalog/entries/\(entry.id)/pool")
        }
        let rows = try await store.pools.nextPage(of: &extract) ?? []
        let grading = try await GradePolicy.current(store)
        let masking = try MaskingPolicy.seeded()
        let classifier = ColumnClassifier(masking: masking)
        let items = entry.content.items.enumerated().map { index, item in
            var suggestion = classifier.suggest(for: item, values: rows.lazy.map { $0[index] })
            suggestion.masking = grading.masking(for: suggestion.grade, kind: suggestion.kind, policy: masking)
            return ItemSuggestion(
                columnName: item.columnName, name: item.name,
                current: .init(
                    semanticKind: item.semanticKind, grade: item.grade, shareType: item.shareType,
                    masking: grading.masking(for: item.grade, kind: item.semanticKind, policy: masking)),
                suggested: suggestion, suggestedShareType: grading.rule(for: suggestion.grade).shareType,
                differs: suggestion.kind != item.semanticKind || suggestion.grade != item.grade)
        }
        // The entry's own grade counts too: a provider may grade it above every item (aggregated data, Annex I).
        let grade = items.map(\.suggested.grade).reduce(entry.content.grade) { max($0, $1) }
        let rule = grading.rule(for: grade)
        return try JSONResponse.make(
            Body(
                entryID: entry.id, poolVersion: extract.version.version, sampledRows: rows.count,
                entry: EntrySuggestion(grade: grade, shareType: rule.shareType, openness: rule.openness), items: items))
    }
}
