import Foundation
import HuitongCore
import HuitongStore
import HuitongTestSupport
import Logging
import Testing

@testable import HuitongServer
@testable import HuitongServices

/// The scheduler checks entries no run has looked at for the configured interval, and cleans up after dead runs.
@Suite("Quality scheduler")
struct QualitySchedulerTests {
    @Test(
        "a due entry gets a scheduled run; one checked recently does not; a dead run is failed",
        arguments: TestBackend.available)
    func schedule(_ backend: TestBackend) async throws {
        try await TestNode.run(backend) { node, _ in
            let department = try await node.department("GAJ")
            let entry = try await QualityAPITests.entry(
                node, department: department, name: "人口基础信息",
                items: [
                    InfoItem(
                        name: "身份证号码", columnName: "sfzhm", dataType: .character, isKey: true,
                        semanticKind: .residentID),
                    InfoItem(name: "姓名", columnName: "xm", dataType: .character, isRequired: true),
                ])
            let version = try await node.store.pools.beginVersion(
                entryID: entry.id, columns: ["sfzhm", "xm"], keyColumns: ["sfzhm"], copyingActive: false)
            let id = try QualityAPITests.residentID(born: "19900101", sequence: 1)
            try await node.store.pools.insert(
                [[id, "张三"], [try QualityAPITests.residentID(born: "19900101", sequence: 2), nil]], into: version,
                replacingKeys: false)
            _ = try await node.store.pools.activate(version, keep: 1)
            let orphan = try await node.store.quality.startRun(
                entryID: entry.id, departmentID: department.id, poolVersion: 1, trigger: .manual, rowsTotal: 2,
                requestedBy: nil, at: Date().addingTimeInterval(-7_200))

            var logger = Logger(label: "test")
            logger.logLevel = .critical
            let service = QualityUseCases(
                store: node.store, settings: QualitySettings(scheduleInterval: .seconds(3_600), pageSize: 1),
                logger: logger)
            let scheduler = QualityScheduler(service: service, logger: logger)
            let runs = try await scheduler.sweep(at: Date())
            #expect(try await node.store.quality.run(id: orphan.id)?.status == .failed)
            #expect(runs.count == 1 && runs.first?.trigger == .schedule && runs.first?.status == .succeeded)
            #expect(runs.first?.report?.result(for: "xm.notNull")?.failed == 1)
            // One row per page: the failing row's key is taken from its own page.
            let queue = try await node.store.quality.problems(entryID: entry.id, status: nil, offset: 0, limit: 10)
            let second = try QualityAPITests.residentID(born: "19900101", sequence: 2)
            #expect(
                queue.items.map(\.row) == [2]
                    && queue.items.first?.rowKey == "sfzhm=3***************\(second.suffix(2))")
            #expect(runs.first?.rowsChecked == 2)
            #expect(try await service.currentScore(entryID: entry.id) == runs.first?.score)
            #expect(try await scheduler.sweep(at: Date()).isEmpty, "checked within the interval")
            #expect(try await scheduler.sweep(at: Date().addingTimeInterval(3_700)).count == 1, "due again later")
        }
    }

    @Test("the schedule is a day by default, may be turned off with 0, and refuses intervals under a minute")
    func scheduleSetting() throws {
        #expect(throws: Never.self) { try QualitySettings().validated() }
        #expect(throws: Never.self) { try QualitySettings(scheduleInterval: .zero).validated() }
        #expect(throws: ValidationError.self) { try QualitySettings(scheduleInterval: .seconds(30)).validated() }
    }
}
