import Synchronization

/// Memory that loads running at once in one process may hold for what a file makes them keep (today: the
/// shared-strings tables of XLSX workbooks), so that several hostile or merely large uploads together cannot take
/// the node down. A load reserves as its table grows and gives everything back when it ends; a reservation beyond
/// the budget stops that load with `TabularError.ingestMemoryBudgetExhausted`, which names the setting.
public final class IngestMemoryBudget: Sendable {
    /// The setting that sizes the budget of a node (bytes).
    public static let setting = "HUITONG_INGEST_MEMORY_BUDGET"
    /// 256 MiB: room for three workbooks at the per-job limits of `XLSXReader.Limits` at once, on a node that
    /// serves its gateway in about 100 MB.
    public static let defaultBytes = 256 << 20

    public let limit: Int
    private let used = Mutex(0)

    public init(limit: Int = IngestMemoryBudget.defaultBytes) {
        self.limit = limit
    }

    /// Bytes reserved by running loads now.
    public var inUse: Int { used.withLock { $0 } }

    /// Takes `bytes` from the budget, or nothing and false when that would go beyond it.
    public func reserve(_ bytes: Int) -> Bool {
        used.withLock { used in
            guard bytes <= limit - used else { return false }
            used += bytes
            return true
        }
    }

    public func release(_ bytes: Int) {
        used.withLock { $0 = max(0, $0 - bytes) }
    }
}

/// What one reader has taken from a budget, grown in steps so that the lock is taken rarely; given back whole by
/// `releaseAll`.
final class MemoryReservation {
    private let budget: IngestMemoryBudget?
    private(set) var reserved = 0
    static let step = 1 << 20

    init(_ budget: IngestMemoryBudget?) {
        self.budget = budget
    }

    /// Makes sure `bytes` are covered, reserving the missing part rounded up to a step.
    func cover(_ bytes: Int) throws(TabularError) {
        guard let budget, bytes > reserved else { return }
        let wanted = (bytes + Self.step - 1) / Self.step * Self.step - reserved
        guard budget.reserve(wanted) else {
            throw .ingestMemoryBudgetExhausted(budget: budget.limit)
        }
        reserved += wanted
    }

    func releaseAll() {
        budget?.release(reserved)
        reserved = 0
    }
}
