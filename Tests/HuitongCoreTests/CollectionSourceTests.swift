import Foundation
import HuitongCore
import Testing

/// The rules of a collection source that need no database: URLs, names, queries and watermarks.
@Suite("Collection sources")
struct CollectionSourceTests {
    @Test("a PostgreSQL URL is taken apart; its password is kept apart and shown masked")
    func address() throws {
        let address = try PostgresSourceAddress(url: "postgresql://reader:p%40ss@db.gov.cn:6432/rk?sslmode=require")
        #expect(address.user == "reader" && address.password == "p@ss" && address.host == "db.gov.cn")
        #expect(address.port == 6432 && address.database == "rk" && address.tls == .require)
        #expect(address.withoutPassword == "postgres://reader@db.gov.cn:6432/rk?sslmode=require")
        #expect(address.masked(hasPassword: true) == "postgres://reader:***@db.gov.cn:6432/rk?sslmode=require")
        #expect(try PostgresSourceAddress(url: "postgres://u@h/d").port == 5432)
        for bad in [
            "mysql://u:p@h/d", "postgres://h/d", "postgres://u@h/", "postgres://u@h/d?sslmode=maybe",
            "postgres://u@h/d?application_name=x",
        ] {
            #expect(throws: PostgresSourceAddress.Refusal.self, "\(bad)") { try PostgresSourceAddress(url: bad) }
        }
    }

    @Test("a draft names every problem at once, by field")
    func draft() {
        let items: Set<String> = ["bh", "xm"]
        #expect(throws: Never.self) {
            try CollectionSourceDraft(
                name: "库", kind: .postgres, location: "postgres://u:p@h/d", table: "public.qy",
                columnMapping: ["code": "bh"], watermark: SourceWatermark(column: "updated_at", kind: .updateTime)
            ).validate(itemColumns: items)
        }
        let bad = CollectionSourceDraft(
            name: " ", kind: .postgres, location: "http://x", table: "qy; drop", query: nil,
            columnMapping: ["code": "nope"], watermark: SourceWatermark(column: "1x", kind: .increasingID, overlap: -1))
        do {
            try bad.validate(itemColumns: items)
            Issue.record("accepted")
        } catch {
            #expect(
                error.issues.map(\.field)
                    == ["name", "location", "table", "columnMapping", "watermark.column", "watermark.overlap"])
        }
        let api = CollectionSourceDraft(
            name: "接口", kind: .httpJSON, location: "https://api.gov.cn/v1/qy",
            http: HTTPSourceOptions(paging: .cursor, pageSize: 0, authHeader: "Authorization"), secret: "Bearer x")
        #expect(
            throws: ValidationError([
                FieldIssue(field: "http.pageSize", message: BilingualText(zh: "须在 1–10000 之间", en: "must be 1–10000")),
                FieldIssue(
                    field: "http.nextPath",
                    message: BilingualText(zh: "按游标或下一页链接分页时须给出其位置", en: "cursor and next-link paging need its path")),
            ])
        ) { try api.validate(itemColumns: items) }
        let noHeader = CollectionSourceDraft(
            name: "接口", kind: .httpJSON, location: "ftp://api.gov.cn/x", table: "qy", secret: "k")
        do {
            try noHeader.validate(itemColumns: items)
            Issue.record("accepted")
        } catch {
            #expect(error.issues.map(\.field) == ["location", "table", "http.authHeader"])
        }
        for query in ["DELETE FROM qy", "SELECT 1; DROP TABLE qy", "SELECT * FROM qy WHERE id = $1", ""] {
            #expect(SourceIdentifier.readOnlyProblem(query) != nil, "\(query)")
        }
        #expect(SourceIdentifier.readOnlyProblem("WITH a AS (SELECT 1) SELECT * FROM a") == nil)
        #expect(SourceIdentifier.quoted("public.qy") == "\"public\".\"qy\"")
        #expect(!SourceIdentifier.isQualifiedName("a.b.c") && !SourceIdentifier.isQualifiedName("q\"y"))
    }

    @Test("a watermark's next lower bound is the last highest value less the overlap")
    func watermark() throws {
        let ids = SourceWatermark(column: "id", kind: .increasingID, overlap: 2)
        #expect(ids.lowerBound(after: "301") == .integer(299))
        #expect(ids.lowerBound(after: nil) == nil && ids.lowerBound(after: "x") == nil)
        let times = SourceWatermark(column: "t", kind: .updateTime, overlap: 60)
        let text = SourceWatermark.text(of: .time(Date(timeIntervalSince1970: 1_780_000_000.5)))
        #expect(text == "2026-05-28T20:26:40.500Z")
        #expect(times.lowerBound(after: text) == .time(Date(timeIntervalSince1970: 1_780_000_000.5 - 60)))
        #expect(SourceWatermark.parseTime("2026-05-28 20:26:40") == Date(timeIntervalSince1970: 1_780_000_000))
        #expect(CollectionSchedule.entryCycle.interval(entryCycle: .weekly) == TimeInterval(7 * 86_400))
        #expect(CollectionSchedule.entryCycle.interval(entryCycle: .irregular) == nil)
        #expect(CollectionSchedule.manual.interval(entryCycle: .daily) == nil)
    }
}
