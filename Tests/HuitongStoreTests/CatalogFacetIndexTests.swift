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
        // An entry put again moves to a new row; its old row is left behind, no longer present.
        columns.put(Self.row(200_000))
        #expect(columns.row(of: 200_000) == 4 + 69_994 + 1 && columns.ids.count == 4 + 69_994 + 2)
        #expect(!columns.present[2] && columns.deadRows == 1)
    }

    @Test("the text index finds what each entry's search text holds now, and nothing it held before")
    func textRows() {
        var columns = CatalogFacetIndex.Columns()
        columns.indexesText = true
        func put(_ id: Int64, _ text: String) {
            var raw = Self.row(id)
            raw.searchText = text
            columns.put(raw)
        }
        put(1, "人口基础信息 rkjcxx")
        put(2, "常住人口 统计")
        put(3, "口基 础")
        func ids(_ terms: [String]) -> [Int64] {
            columns.rows(containing: terms).filter { columns.present[Int($0)] }.map { columns.ids[Int($0)] }
        }
        #expect(ids(["人口"]) == [1, 2])
        #expect(ids(["统"]) == [2])
        #expect(ids(["口基础"]) == [1], "a longer term's pairs must be adjacent, as in the text")
        #expect(ids(["人口", "统计"]) == [2])
        #expect(ids(["jcx"]) == [1])
        #expect(ids(["口 基"]).isEmpty && ids(["户籍"]).isEmpty)
        put(2, "流动人口")
        #expect(ids(["统计"]).isEmpty, "the entry's old text is no longer found")
        #expect(ids(["人口"]) == [1, 2])
    }
}
