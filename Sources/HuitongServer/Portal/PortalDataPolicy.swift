import Foundation
import HuitongCore
import HuitongServices

/// What of an open entry's data the public may see (domain.md §4.2 and §7.2).
///
/// Only unconditionally open entries show rows at all; conditionally open ones show their metadata and say how to
/// apply. Within an entry, an item is shown when it may be shared and its grade is one the municipal grading
/// opens (一般数据1级 opens unconditionally, 2级 on conditions the entry already states); items of grade 3 and above
/// are opened only as aggregates, never as rows, and 不予共享 items never. Shown values are masked by their kind of
/// data with the node's masking policy.
struct PortalDataPolicy: Sendable {
    let masking: MaskingPolicy

    /// The highest item grade whose values appear on the portal.
    static let highestOpenGrade = SecurityGrade.general2

    /// Whether the public may read rows of `entry` (preview and downloads) without applying.
    static func rowsAreOpen(_ entry: CatalogEntry) -> Bool {
        entry.isOpenToPublic && entry.content.openness == .unconditional
    }

    /// Whether the entry has data to offer: a mounted API or file, or a mounted table holding rows (the same rule
    /// as the catalog search's `requiresData`).
    static func hasData(_ entry: CatalogEntry) -> Bool {
        guard let mount = entry.mount else { return false }
        return mount.kind != .table || (entry.recordCount ?? 0) > 0
    }

    /// The formats the portal really serves for the entry (its badges): CSV, JSON and XLSX (within the spreadsheet
    /// limit) of loaded rows, or API of a mounted interface. The catalog's declared 资源格式 (a KingbaseES table, an
    /// OFD file) is how the provider keeps the data, not something a visitor can download.
    static func offeredFormats(_ entry: CatalogEntry) -> [String] {
        guard hasData(entry), let mount = entry.mount else { return [] }
        if mount.kind == .api { return ["API"] }
        guard (entry.recordCount ?? 0) > 0 else { return [] }
        return PortalDownloadFormat.allCases.filter { $0.isOffered(forRows: entry.recordCount ?? 0) }.map(\.label)
    }

    static func isOpen(_ item: InfoItem) -> Bool {
        item.shareType != .notShared && item.grade <= highestOpenGrade
    }

    /// The entry's items the public may see, in the entry's order.
    static func openItems(of entry: CatalogEntry) -> [InfoItem] {
        entry.content.items.filter(isOpen)
    }

    /// The open items that the pool version holds: an item added to the entry after the last load has no column yet.
    static func columns(of entry: CatalogEntry, in poolColumns: [String]) -> [InfoItem] {
        let held = Set(poolColumns)
        return openItems(of: entry).filter { held.contains($0.columnName) }
    }

    /// One row as the public sees it: each value masked by its item's kind of data.
    func masked(_ row: [String?], items: [InfoItem]) -> [String?] {
        zip(items, row).map { item, value in
            value.map { masking.rule(for: item.semanticKind).apply(to: $0, pseudonymizer: nil) }
        }
    }

    /// The node's configured policy. The seed file ships inside the binary and a test decodes it, so the built-in
    /// (equally strict, Hutool's) rules only stand in for a build whose resources were damaged.
    static func seeded() -> PortalDataPolicy {
        PortalDataPolicy(masking: (try? MaskingPolicy.seeded()) ?? .builtIn)
    }
}
