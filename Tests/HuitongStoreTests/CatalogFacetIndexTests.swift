import Testing

@testable import HuitongStore

/// The facet index's id → row lookup, dense where ids are, a dictionary where they are not.
@Suite("catalog facet index")
struct CatalogFacetIndexTests {
    static func row(_ id: Int64) -> CatalogFacetIndex.RawRow {
        CatalogFacetIndex.RawRow(
            id: id, status: "published", departmentID: 1, classification: "101001", shareType: "conditional",
            openness: "closed", updateCycle: "daily", grade: "general1", name: "条目 \(id)")
    }

    @Test("every placed entry is found, whether its id was near the others or far out when it came")
    func rowsByID() {
        var columns = CatalogFacetIndex.Columns()
        // 5 and 6 are dense; 9,000,000,000 is far out when it comes; 200,000 is far out then too, but lies
        // inside the dense range once later ids have grown it.
        for id: Int64 in [5, 9_000_000_000, 200_000, 6] { columns.put(Self.row(id)) }
        for id: Int64 in 7...70_000 { columns.put(Self.row(id)) }
        columns.put(Self.row(300_000))
        #expect(columns.row(of: 5) == 0 && columns.row(of: 9_000_000_000) == 1)
        #expect(columns.row(of: 200_000) == 2 && columns.row(of: 6) == 3)
        #expect(columns.row(of: 7) == 4 && columns.row(of: 70_000) == 70_000 - 7 + 4)
        #expect(columns.row(of: 300_000).map { columns.ids[$0] } == 300_000)
        #expect(columns.row(of: 4) == nil && columns.row(of: 250_000) == nil && columns.row(of: -1) == nil)
        // An entry put again keeps its row.
        columns.put(Self.row(200_000))
        #expect(columns.row(of: 200_000) == 2 && columns.ids.count == 4 + 69_994 + 1)
    }
}
