import Foundation
import HuitongCore
import SQLKit

/// What the public did with an open dataset: a view of its page, a download, a call of the open-data API.
public enum OpenDataUse: String, Sendable, CaseIterable {
    case view
    case download
    case apiCall

    var column: String {
        switch self {
        case .view: "views"
        case .download: "downloads"
        case .apiCall: "api_calls"
        }
    }
}

/// Per open dataset, its views, downloads and open-data API calls.
public struct OpenDataUsageTotals: Sendable, Hashable {
    public var views: Int64 = 0
    public var downloads: Int64 = 0
    public var apiCalls: Int64 = 0

    public init(views: Int64 = 0, downloads: Int64 = 0, apiCalls: Int64 = 0) {
        self.views = views
        self.downloads = downloads
        self.apiCalls = apiCalls
    }
}

/// Migration 43 (issue 24): the open-data counters, per dataset and local day (`AuditCalendar`). Only the portal
/// and the open-data API add to them, so they count open-data use and nothing of the sharing gateway's calls.
enum OpenDataUsageSchema {
    static let tables = [
        """
        CREATE TABLE IF NOT EXISTS open_data_usage (
            entry_id BIGINT NOT NULL,
            day BIGINT NOT NULL,
            views BIGINT NOT NULL DEFAULT 0,
            downloads BIGINT NOT NULL DEFAULT 0,
            api_calls BIGINT NOT NULL DEFAULT 0,
            PRIMARY KEY (entry_id, day)
        )
        """,
        "CREATE INDEX IF NOT EXISTS open_data_usage_day ON open_data_usage (day)",
    ]
}

extension Store {
    /// Counts one use of an open dataset on the local day of `time`.
    public func countOpenDataUse(_ use: OpenDataUse, entryID: Int64, at time: Date = Date()) async throws {
        let day = AuditCalendar.day(time)
        let column = use.column
        try await provider.transaction { sql in
            try await sql.raw(
                """
                INSERT INTO open_data_usage (entry_id, day, \(unsafeRaw: column)) VALUES (\(bind: entryID), \(bind: day), 1)
                ON CONFLICT (entry_id, day) DO UPDATE SET \(unsafeRaw: column) = open_data_usage.\(unsafeRaw: column) + 1
                """
            ).run()
        }
    }

    /// Each dataset's totals over all time (only datasets with some use are present).
    public func openDataUsage() async throws -> [Int64: OpenDataUsageTotals] {
        try await provider.read { sql in try await Self.openDataUsage(sql) }
    }

    static func openDataUsage(_ sql: any SQLDatabase) async throws -> [Int64: OpenDataUsageTotals] {
        var result: [Int64: OpenDataUsageTotals] = [:]
        for row in try await sql.raw(
            """
            SELECT entry_id, CAST(SUM(views) AS BIGINT) AS views, CAST(SUM(downloads) AS BIGINT) AS downloads,
                CAST(SUM(api_calls) AS BIGINT) AS api_calls
            FROM open_data_usage GROUP BY entry_id
            """
        ).all() {
            result[try row.decode(column: "entry_id", as: Int64.self)] = OpenDataUsageTotals(
                views: try row.decode(column: "views", as: Int64.self),
                downloads: try row.decode(column: "downloads", as: Int64.self),
                apiCalls: try row.decode(column: "api_calls", as: Int64.self))
        }
        return result
    }

    /// One dataset's totals over all time.
    public func openDataUsage(entryID: Int64) async throws -> OpenDataUsageTotals {
        try await provider.read { sql in
            let row = try await sql.raw(
                """
                SELECT CAST(COALESCE(SUM(views), 0) AS BIGINT) AS views,
                    CAST(COALESCE(SUM(downloads), 0) AS BIGINT) AS downloads,
                    CAST(COALESCE(SUM(api_calls), 0) AS BIGINT) AS api_calls
                FROM open_data_usage WHERE entry_id = \(bind: entryID)
                """
            ).first()
            return OpenDataUsageTotals(
                views: try row?.decode(column: "views", as: Int64.self) ?? 0,
                downloads: try row?.decode(column: "downloads", as: Int64.self) ?? 0,
                apiCalls: try row?.decode(column: "api_calls", as: Int64.self) ?? 0)
        }
    }

    /// Open-data API calls on the local days from `from` (inclusive) to `to` (exclusive), over every dataset.
    public func openDataAPICalls(from: Date, to: Date) async throws -> Int64 {
        let first = AuditCalendar.day(from)
        let last = AuditCalendar.day(to.addingTimeInterval(-0.000_001))
        return try await provider.read { sql in
            try await sql.raw(
                """
                SELECT CAST(COALESCE(SUM(api_calls), 0) AS BIGINT) AS calls FROM open_data_usage
                WHERE day >= \(bind: first) AND day <= \(bind: last)
                """
            ).first()?.decode(column: "calls", as: Int64.self) ?? 0
        }
    }
}
