import Configuration
import Foundation
import HuitongCore
import HuitongServices
import Testing

/// The collection thresholds read from configuration (`HUITONG_COLLECTION_*`): retries, alerts, lateness and key
/// reconciliation, and what they change.
@Suite("Collection settings")
struct CollectionSettingsTests {
    static func settings(_ values: [AbsoluteConfigKey: ConfigContent]) throws -> IngestSettings {
        try IngestSettings(
            reader: ConfigReader(
                provider: InMemoryProvider(values: values.mapValues { ConfigValue($0, isSecret: false) })),
            dataDirectory: "/tmp/huitong-collection-settings")
    }

    @Test("without settings the thresholds are the documented defaults")
    func defaults() throws {
        let settings = try Self.settings([:])
        #expect(settings.collectionRetry == CollectionRetryPolicy())
        #expect(settings.collectionRetry.firstDelay == 60 && settings.collectionRetry.maxDelay == 900)
        #expect(settings.collectionRetry.attempts == 3 && settings.collectionRetry.alertAfterFailures == 3)
        #expect(settings.collectionRetry.grace(cycle: 86_400) == 3600)
        #expect(settings.collectionRetry.grace(cycle: 3600) == 900)
        #expect(settings.collectionReconcileSeconds == 86_400)
    }

    @Test("each threshold is read, and changes the retries, the grace and the reconciliation")
    func read() throws {
        let settings = try Self.settings([
            "huitong.collection.retry.first.seconds": .double(30),
            "huitong.collection.retry.max.seconds": .double(100),
            "huitong.collection.retry.attempts": .int(5),
            "huitong.collection.alert.failures": .int(2),
            "huitong.collection.late.grace.share": .double(0.5),
            "huitong.collection.late.grace.max.seconds": .double(600),
            "huitong.collection.reconcile.seconds": .double(0),
        ])
        let policy = settings.collectionRetry
        #expect((0...6).map { policy.retryDelay(afterFailures: $0) } == [nil, 30, 60, 100, 100, 100, nil])
        #expect(policy.alertAfterFailures == 2)
        #expect(policy.grace(cycle: 600) == 300 && policy.grace(cycle: 86_400) == 600)
        #expect(settings.collectionReconcileSeconds == 0)

        // A daily source 20 minutes past its due time: late under a 10-minute grace, on time by default.
        let created = Date(timeIntervalSince1970: 1_780_000_000)
        let source = CollectionSource(
            id: 1, entryID: 1, departmentID: 1, name: "库", kind: .sqlite, location: "/data/a.db", table: "a",
            query: nil, columnMapping: [:], watermark: nil, watermarkValue: nil, schedule: .daily, enabled: true,
            sealedSecret: nil, sealContext: "c", createdBy: nil, createdAt: created, updatedAt: created, nextRunAt: nil)
        let now = created.addingTimeInterval(86_400 + 1200)
        let strict = CollectionSourceStatus(
            source: source, cadence: .every(86_400), lastRun: nil, rowsCollected: 0, at: now, policy: policy)
        let lenient = CollectionSourceStatus(
            source: source, cadence: .every(86_400), lastRun: nil, rowsCollected: 0, at: now)
        #expect(strict.isLate && strict.lagSeconds == 1200)
        #expect(lenient.onTime == true)
    }

    @Test("values out of range are refused together, each naming its variable")
    func refused() throws {
        let error = #expect(throws: ValidationError.self) {
            try Self.settings([
                "huitong.collection.retry.first.seconds": .double(0),
                "huitong.collection.retry.attempts": .int(-1),
                "huitong.collection.alert.failures": .int(0),
                "huitong.collection.late.grace.share": .double(2),
                "huitong.collection.late.grace.max.seconds": .double(-5),
                "huitong.collection.reconcile.seconds": .double(-1),
            ])
        }
        #expect(
            Set(error?.issues.map(\.field) ?? []) == [
                "HUITONG_COLLECTION_RETRY_FIRST_SECONDS", "HUITONG_COLLECTION_RETRY_ATTEMPTS",
                "HUITONG_COLLECTION_ALERT_FAILURES", "HUITONG_COLLECTION_LATE_GRACE_SHARE",
                "HUITONG_COLLECTION_LATE_GRACE_MAX_SECONDS", "HUITONG_COLLECTION_RECONCILE_SECONDS",
            ])
    }
}
