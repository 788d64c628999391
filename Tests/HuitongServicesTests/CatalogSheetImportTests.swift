import Foundation
import HuitongCore
import HuitongStore
import Testing

@testable import HuitongServices

/// A catalog sheet is filed by the same rules as the form and the API, all of its rows or none.
@Suite("Catalog sheet import (use case)")
struct CatalogSheetImportTests {
    /// The sheet of `entries` as exported, with `edit` applied to the data rows (header excluded).
    static func sheet(_ entries: [CatalogEntry], edit: (inout [[String]]) -> Void = { _ in }) -> [[String]] {
        var rows = CatalogSheet.rows(for: entries)
        var data = Array(rows.dropFirst())
        edit(&data)
        rows = [rows[0]] + data
        return rows
    }

    static func column(_ header: String) -> Int { CatalogSheet.columns.firstIndex { $0.header == header }! }

    static func set(_ header: String, to value: String, in rows: inout [[String]]) {
        for index in rows.indices { rows[index][column(header)] = value }
    }

    @Test("a provider's sheet revises its own entry and files a new one; a dry run writes nothing")
    func revisesAndCreates() async throws {
        try await ServicesWorld.with { world in
            let catalog = CatalogLifecycle(store: world.store)
            let draft = try await world.store.catalog.create(
                try ServicesWorld.population(name: "流动人口信息").validated(), departmentID: world.provider.id,
                author: ServicesWorld.author)
            var fresh = Self.sheet([draft]) { rows in Self.set("信息资源代码", to: "", in: &rows) }
            fresh = fresh.map { row in
                var row = row
                if row[Self.column("信息资源名称")] == "流动人口信息" { row[Self.column("信息资源名称")] = "暂住人口信息" }
                return row
            }
            let revised = Self.sheet([draft]) { rows in Self.set("信息资源摘要", to: "流动人口的登记信息。", in: &rows) }
            let parsed = CatalogSheet.parse(revised + fresh.dropFirst())
            #expect(parsed.issues.isEmpty)

            let before = try await world.store.catalog.count(status: nil)
            let dry = try await catalog.importSheet(parsed, by: world.providerOfficer, dryRun: true)
            #expect(dry.errors.isEmpty && !dry.imported)
            #expect(dry.entries.map(\.action) == ["update", "create"])
            #expect(try await world.store.catalog.count(status: nil) == before, "a dry run writes nothing")

            let done = try await catalog.importSheet(parsed, by: world.providerOfficer, dryRun: false)
            #expect(done.imported && done.created == 1 && done.updated == 1)
            #expect(try await world.store.catalog.find(id: draft.id)?.content.abstract == "流动人口的登记信息。")
            let created = try #require(done.entries.last?.id)
            #expect(try await world.store.catalog.find(id: created)?.provider.departmentID == world.provider.id)
        }
    }

    @Test(
        "rows naming another department, an unknown or repeated code, or an entry under review are refused with row and column, and nothing is written"
    )
    func refusesRowByRow() async throws {
        try await ServicesWorld.with { world in
            let catalog = CatalogLifecycle(store: world.store)
            let underReview = try await world.store.catalog.create(
                try ServicesWorld.population(name: "迁入人口信息").validated(), departmentID: world.provider.id,
                author: ServicesWorld.author)
            _ = try await world.store.catalog.transition(
                id: underReview.id, .submit, author: ServicesWorld.author, comment: "")
            let foreign = Self.sheet([world.entry]) { rows in
                Self.set("信息资源代码", to: "", in: &rows)
                Self.set("信息资源提供方代码", to: "MZJ", in: &rows)
            }
            let unknown = Self.sheet([world.entry]) { rows in Self.set("信息资源代码", to: "101001/9999", in: &rows) }
            let reviewed = Self.sheet([underReview])
            let rows = foreign + reviewed.dropFirst() + unknown.dropFirst() + reviewed.dropFirst()
            let before = try await world.store.catalog.count(status: nil)

            let report = try await catalog.importSheet(
                CatalogSheet.parse(rows), by: world.providerOfficer, dryRun: false)

            #expect(!report.imported)
            let problems = report.errors.map { "\($0.row) \($0.column)" }
            let itemRows = world.entry.content.items.count
            #expect(
                problems == [
                    "2 信息资源提供方代码", "\(2 + itemRows) 信息资源代码", "\(2 + 2 * itemRows) 信息资源代码",
                    "\(2 + 3 * itemRows) 信息资源代码",
                ])
            #expect(report.errors[0].message.contains("只能导入本部门的目录"))
            #expect(report.errors[1].message.contains("审核中"))
            #expect(report.errors[2].message.contains("不存在"))
            #expect(report.errors[3].message.contains("不止一处"))
            #expect(try await world.store.catalog.count(status: nil) == before)
        }
    }

    @Test("a published entry's share type changes through review for its provider, at once for the operator")
    func exposureNeedsReview() async throws {
        try await ServicesWorld.with { world in
            let catalog = CatalogLifecycle(store: world.store)
            let statistics = try await ServicesWorld.publish(
                CatalogEntryContent(
                    classificationCode: "101001", name: "户籍业务办件量", abstract: "按月统计的户籍业务办件量。",
                    formats: [ResourceFormat(category: .database, type: "PostgreSQL")],
                    items: [
                        InfoItem(name: "统计月份", columnName: "tjyf", dataType: .character, length: 7, isKey: true),
                        InfoItem(name: "办件量", columnName: "bjl", dataType: .character, length: 10),
                    ],
                    shareType: .conditional, shareCondition: "用于业务统计", updateCycle: .monthly),
                department: world.provider, world.store)
            let opened = CatalogSheet.parse(
                Self.sheet([statistics]) { rows in
                    Self.set("共享类型", to: "无条件共享", in: &rows)
                    Self.set("共享条件", to: "", in: &rows)
                })
            #expect(opened.issues.isEmpty, "\(opened.issues)")

            let byProvider = try await catalog.importSheet(opened, by: world.providerOfficer, dryRun: false)
            #expect(byProvider.errors.map(\.column) == ["共享类型"])
            #expect(byProvider.errors.first?.message.contains("须经审核") == true)

            let byOperator = try await catalog.importSheet(opened, by: world.bureauOperator, dryRun: false)
            #expect(byOperator.imported, "\(byOperator.errors)")
            #expect(try await world.store.catalog.find(id: statistics.id)?.content.shareType == .unconditional)
        }
    }
}
