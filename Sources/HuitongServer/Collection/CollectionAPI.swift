import Foundation
import HuitongCore
import HuitongServices
import HuitongStore
import Hummingbird

/// Collection sources (归集源) and their runs: `/api/v1/collection-sources`. The entry's provider officers (or the
/// operator) register, test, change, run and remove them. A PostgreSQL password is taken in the URL and never given
/// back: answers show the URL with `***` in its place.
struct CollectionAPI: Sendable {
    let service: CollectionUseCases

    func register(on api: RouterGroup<HuitongRequestContext>) {
        api.get("collection-sources", use: list)
        api.post("collection-sources", use: create)
        api.post("collection-sources/test", use: testDraft)
        api.get("collection-sources/:id", use: get)
        api.patch("collection-sources/:id", use: update)
        api.delete("collection-sources/:id", use: delete)
        api.post("collection-sources/:id/test", use: test)
        api.get("collection-sources/:id/runs", use: runs)
        api.post("collection-sources/:id/runs", use: run)
        api.get("collection-monitoring", use: monitoring)
    }

    /// A source as registered: `location` without its password.
    struct Input: Codable {
        var entryID: Int64
        var name: String
        var kind: String
        var location: String
        var table: String?
        var query: String?
        var columnMapping: [String: String]?
        var watermark: SourceWatermark?
        var schedule: String?
        /// A `cron` schedule's five fields (minute hour day month weekday), in China Standard Time.
        var cron: String?
        var enabled: Bool?
        var http: HTTPSourceOptions?
        /// An API source's secret, sent in `http.authHeader`; sealed, never shown again.
        var secret: String?

        func draft() throws(ValidationError) -> CollectionSourceDraft {
            var issues = ValidationCollector()
            let kind = CollectionSourceKind(rawValue: kind)
            if kind == nil {
                issues.add(
                    "kind",
                    BilingualText(
                        zh: "须为 postgres、sqlite、dropDirectory 或 httpJSON",
                        en: "must be postgres, sqlite, dropDirectory or httpJSON"))
            }
            let schedule = CollectionAPI.schedule(self.schedule ?? "manual", &issues)
            let cron = CollectionAPI.cron(self.cron, &issues)
            try issues.throwIfAny()
            return CollectionSourceDraft(
                name: name, kind: kind!, location: location, table: table, query: query,
                columnMapping: columnMapping ?? [:], watermark: watermark, schedule: schedule ?? .manual,
                enabled: enabled ?? true, http: http, secret: secret, cron: cron)
        }
    }

    struct Patch: Codable {
        var name: String?
        var location: String?
        var table: String?
        var query: String?
        var columnMapping: [String: String]?
        var watermark: SourceWatermark?
        var removeWatermark: Bool?
        var schedule: String?
        var cron: String?
        var enabled: Bool?
        var http: HTTPSourceOptions?
        var secret: String?
    }

    /// A source as shown: never the password, nor the sealed value.
    struct SourceBody: Codable {
        var id: Int64
        var entryID: Int64
        var departmentID: Int64
        var name: String
        var kind: String
        var location: String
        var hasPassword: Bool
        var table: String?
        var query: String?
        var columnMapping: [String: String]
        var watermark: SourceWatermark?
        var watermarkValue: String?
        var schedule: String
        var cron: String?
        var enabled: Bool
        var nextRunAt: Date?
        var createdAt: Date
        var updatedAt: Date
        var http: HTTPSourceOptions?
        var lastRun: CollectionRun?

        init(_ source: CollectionSource, lastRun: CollectionRun? = nil) {
            id = source.id
            entryID = source.entryID
            departmentID = source.departmentID
            name = source.name
            kind = source.kind.rawValue
            location = source.shownLocation
            hasPassword = source.sealedSecret != nil
            table = source.table
            query = source.query
            columnMapping = source.columnMapping
            watermark = source.watermark
            watermarkValue = source.watermarkValue
            schedule = source.schedule.rawValue
            cron = source.cron?.text
            enabled = source.enabled
            nextRunAt = source.nextRunAt
            createdAt = source.createdAt
            updatedAt = source.updatedAt
            self.lastRun = lastRun
            http = source.http
        }
    }

    static func schedule(_ text: String, _ issues: inout ValidationCollector) -> CollectionSchedule? {
        guard let schedule = CollectionSchedule(rawValue: text) else {
            let choices = CollectionSchedule.allCases.map(\.rawValue).joined(separator: ", ")
            issues.add("schedule", BilingualText(zh: "须为以下之一：\(choices)", en: "must be one of: \(choices)"))
            return nil
        }
        return schedule
    }

    static func cron(_ text: String?, _ issues: inout ValidationCollector) -> CronExpression? {
        guard let text else { return nil }
        do { return try CronExpression(text) } catch {
            // The message is already in both languages.
            for issue in error.issues { issues.add(issue.field, BilingualText(zh: issue.message, en: issue.message)) }
            return nil
        }
    }

    func list(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let sources = try await service.list(by: user)
        let latest = try await service.store.collectionSources.latestRuns(sourceIDs: sources.map(\.id))
        return try JSONResponse.make(
            ListBody(items: sources.map { SourceBody($0, lastRun: latest[$0.id]) }))
    }

    func create(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let input = try await request.decodeJSON(Input.self, context: context)
        let source = try await service.create(entryID: input.entryID, try input.draft(), by: user)
        return try JSONResponse.make(SourceBody(source), status: .created)
    }

    func get(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let source = try await service.source(try context.id(), by: user)
        let last = try await service.store.collectionSources.runs(sourceID: source.id, limit: 1).first
        return try JSONResponse.make(SourceBody(source, lastRun: last))
    }

    func update(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let input = try await request.decodeJSON(Patch.self, context: context)
        var issues = ValidationCollector()
        var patch = CollectionSourcePatch()
        patch.name = input.name
        patch.location = input.location
        patch.table = input.table
        patch.query = input.query
        patch.columnMapping = input.columnMapping
        patch.watermark = input.watermark
        patch.removeWatermark = input.removeWatermark ?? false
        patch.schedule = input.schedule.flatMap { Self.schedule($0, &issues) }
        patch.cron = Self.cron(input.cron, &issues)
        patch.enabled = input.enabled
        patch.http = input.http
        patch.secret = input.secret
        try issues.throwIfAny()
        return try JSONResponse.make(SourceBody(try await service.update(try context.id(), patch, by: user)))
    }

    func delete(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let user = try context.requireUser()
        try await service.delete(try context.id(), by: user)
        return Response(status: .noContent)
    }

    func test(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let user = try context.requireUser()
        return try JSONResponse.make(try await service.test(try context.id(), by: user))
    }

    func testDraft(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let input = try await request.decodeJSON(Input.self, context: context)
        return try JSONResponse.make(try await service.test(entryID: input.entryID, try input.draft(), by: user))
    }

    func runs(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let user = try context.requireUser()
        return try JSONResponse.make(ListBody(items: try await service.runs(try context.id(), by: user)))
    }

    func run(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let user = try context.requireUser()
        return try JSONResponse.make(try await service.startRun(try context.id(), by: user), status: .accepted)
    }

    /// Collection monitoring: per source its last success, lag and last run; per department its on-time rate
    /// (按时更新率) and rows collected (归集总量).
    func monitoring(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let user = try context.requireUser()
        return try JSONResponse.make(try await service.monitoring(by: user))
    }
}
