import Foundation
import HuitongIngest
import Testing

/// An SQLite source read page by page gives every row once: a table in rowid order, a table without rowids and a
/// query by offset within the read's snapshot.
@Suite("SQLite source connector")
struct SQLiteSourceConnectorTests {
    @Test("2,500 rows read in pages of 1,000 come once each, from a table, a table without rowids and a query")
    func pages() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sqlite-source-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("source.sqlite").path
        var statements = [
            "CREATE TABLE qy (bh TEXT, mc TEXT)", "CREATE TABLE dm (bh TEXT PRIMARY KEY, mc TEXT) WITHOUT ROWID",
        ]
        // Rows inserted out of key order, so that rowid order and key order differ.
        for number in (1...2_500).reversed() {
            statements.append("INSERT INTO qy VALUES ('\(number)', '企业\(number)')")
            statements.append("INSERT INTO dm VALUES ('\(number)', '企业\(number)')")
        }
        try await CollectionAPITests.sqliteFile(path, statements)
        for relation in [SourceRelation.table("qy"), .table("dm"), .query("SELECT bh, mc FROM qy WHERE bh <> ''")] {
            var header: [String] = []
            var keys: [String] = []
            try await SQLiteSourceConnector(path: path, relation: relation).read(from: nil, batchSize: 1_000) {
                batch in
                for row in batch {
                    if row.number == 1 { header = row.cells } else { keys.append(row.cells[0]) }
                }
            }
            #expect(header == ["bh", "mc"], "\(relation)")
            #expect(keys.count == 2_500 && Set(keys).count == 2_500, "\(relation)")
        }
    }
}
