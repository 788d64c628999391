import Foundation
import HuitongCore
import HuitongIngest

/// How much an upload may bring in and what a load may hold in memory.
public struct IngestSettings: Sendable {
    /// The setting that raises the upload limit (bytes), named in the 413 answer.
    public static let uploadLimitSetting = "HUITONG_UPLOAD_MAX_BYTES"

    /// The largest file an upload may carry: 1 GiB by default. The largest files departments deliver (a
    /// million-row XLSX sheet, a few million CSV rows) are a few hundred megabytes; a bigger load goes through
    /// `huitong import` on the node's host, which has no limit. Checked against `Content-Length` before anything is
    /// written, and counted while the body streams.
    public var uploadMaximumBytes: Int64 = 1 << 30
    /// Where uploads are spooled while they arrive and load (mode 0700, files 0600): `<data>/uploads` for
    /// `huitong serve`; nil for a private folder under the system's temporary directory (tests).
    public var spoolDirectory: String?
    /// What one XLSX workbook may make a load hold.
    public var xlsxLimits = XLSXReader.Limits()
    /// What the loads running at once on this node may hold together.
    public var memoryBudgetBytes = IngestMemoryBudget.defaultBytes
    /// The folders under which collection sources may name SQLite files and drop directories
    /// (`HUITONG_COLLECTION_ROOTS`, comma-separated; `<data>/collection` for `huitong serve`): a provider must not
    /// point a source at the node's own database or any other file of its host. None: no file sources.
    public var collectionRoots: [String] = []
    /// How long a dropped file must stand unchanged before it is taken (an SFTP upload may still be writing it).
    public var dropSettleSeconds: TimeInterval = 30
    /// How long a run's claim on its source lasts without renewal; a run renews it while rows arrive.
    public var collectionLeaseSeconds: TimeInterval = 600
    /// A collection run fails, publishing nothing, when more than this share of its rows is rejected.
    public var collectionRejectionThreshold = 0.05
    /// Retries of failed scheduled runs (first wait, longest wait, how many), the failures in a row that are told,
    /// and the grace before a source counts as late (`HUITONG_COLLECTION_RETRY_*`, `_ALERT_FAILURES`,
    /// `_LATE_GRACE_*`).
    public var collectionRetry = CollectionRetryPolicy()
    /// How often a watermark source's keys are compared with the pool's, so that rows deleted at the source leave
    /// it (`HUITONG_COLLECTION_RECONCILE_SECONDS`; 0: at every run). A whole read (`sync`) compares them anyway.
    public var collectionReconcileSeconds: TimeInterval = 86_400

    public init() {}

    /// The folder spooled uploads go to.
    package var spoolFolder: URL {
        if let spoolDirectory { return URL(fileURLWithPath: spoolDirectory, isDirectory: true) }
        return FileManager.default.temporaryDirectory.appendingPathComponent(
            "huitong-uploads-\(getuid())", isDirectory: true)
    }

    /// Every setting out of range at once.
    public func validated() throws(ValidationError) -> IngestSettings {
        var issues = ValidationCollector()
        if uploadMaximumBytes < 1024 {
            issues.add(
                Self.uploadLimitSetting,
                BilingualText(zh: "须至少为 1024 字节", en: "must be at least 1024 bytes"))
        }
        if xlsxLimits.maxSharedStringsBytes < 1 || xlsxLimits.maxSharedStringsBytes > Int(UInt32.max) {
            issues.add(
                XLSXReader.Limits.bytesSetting,
                BilingualText(zh: "须在 1 到 4294967295 字节之间", en: "must be 1–4294967295 bytes"))
        }
        if xlsxLimits.maxSharedStrings < 1 {
            issues.add(XLSXReader.Limits.countSetting, BilingualText(zh: "须至少为 1", en: "must be at least 1"))
        }
        collectionRetry.validate(&issues)
        if !(collectionReconcileSeconds >= 0) {
            issues.add(
                "HUITONG_COLLECTION_RECONCILE_SECONDS", BilingualText(zh: "不能为负数", en: "must not be negative"))
        }
        if memoryBudgetBytes < 1 << 20 {
            issues.add(
                IngestMemoryBudget.setting,
                BilingualText(zh: "须至少为 1048576 字节（1 MiB）", en: "must be at least 1048576 bytes (1 MiB)"))
        }
        try issues.throwIfAny()
        return self
    }
}
