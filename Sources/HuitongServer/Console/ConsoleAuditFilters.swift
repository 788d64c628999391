import Foundation
import HuitongCore
import HuitongIngest
import HuitongServices
import HuitongStore
import Hummingbird

/// The audit viewer's filters (time range, department, action, outcome), its pages, its export and one entry's
/// detail. The filters travel in the query string, so a filtered view can be bookmarked and its next page linked.
extension ConsolePages {
    /// Entries per page of the viewer.
    static let auditPageSize = 50
    /// Entries one export may hold.
    static let auditExportLimit = 10_000

    func registerAuditViews(on router: Router<HuitongRequestContext>) {
        router.get("/console/audit/export", use: auditExport)
        router.get("/console/audit/:sequence", use: auditEntry)
    }

    /// The viewer's filter as read from the query string, with what was typed (to show the form again).
    struct AuditQuery {
        var filter = AuditEntryFilter(limit: ConsolePages.auditPageSize)
        var from = ""
        var to = ""
        var department = ""
        var action = ""
        var outcome = ""
        /// Filters that could not be read, which the view ignores and names.
        var problems: ValidationError?

        init(_ request: Request) {
            let query = request.uri.queryParameters
            var issues = ValidationCollector()
            from = query["from"].map(String.init) ?? ""
            to = query["to"].map(String.init) ?? ""
            department = query["department"].map(String.init) ?? ""
            action = query["action"].map(String.init) ?? ""
            outcome = query["outcome"].map(String.init) ?? ""
            // Dates are days in China's time: from the start of `from` to the end of `to`.
            if !from.isEmpty {
                if let day = CalendarDate(iso: from) {
                    filter.from = day.startOfDay()
                } else {
                    issues.add("from", BilingualText(zh: "起始日期应为 YYYY-MM-DD", en: "from must be a date YYYY-MM-DD"))
                }
            }
            if !to.isEmpty {
                if let day = CalendarDate(iso: to) {
                    filter.to = day.startOfDay().addingTimeInterval(86_400)
                } else {
                    issues.add("to", BilingualText(zh: "截止日期应为 YYYY-MM-DD", en: "to must be a date YYYY-MM-DD"))
                }
            }
            if !department.isEmpty {
                if let id = Int64(department) {
                    filter.consumerDepartmentID = id
                } else {
                    issues.add("department", BilingualText(zh: "部门无效", en: "unknown department"))
                }
            }
            if !action.isEmpty { filter.action = AuditAction(rawValue: action) }
            if !outcome.isEmpty {
                if ["allowed", "denied", "failed"].contains(outcome) {
                    filter.outcome = outcome
                } else {
                    issues.add("outcome", BilingualText(zh: "结果无效", en: "unknown outcome"))
                }
            }
            if let before = query["before"].flatMap({ Int64(String($0)) }), before > 0 {
                filter.beforeSequence = before
            }
            do {
                try issues.throwIfAny()
            } catch {
                problems = error
            }
        }

        /// The query string of this filter (without paging), for the next page's and the export's links.
        var queryString: String {
            [("from", from), ("to", to), ("department", department), ("action", action), ("outcome", outcome)]
                .filter { !$0.1.isEmpty }
                .map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }
                .joined(separator: "&")
        }
    }

    /// The filter form's choices and the paging link, for the viewer page.
    func auditFilters(_ query: AuditQuery, records: [AuditEntryRecord], language: Language) async throws
        -> ConsoleAuditFilters
    {
        let departments = try await store.departments.list()
        let actions =
            [
                AuditAction.gatewayLookup, .gatewayVerify, .gatewayExtract, .gatewayProxy, .grantCreated, .grantRevoked,
                .grantExpired, .credentialIssued, .credentialRevoked, .federationReceived, .federationRejected,
            ]
            + AccountAdministration.Action.all
        let base = query.queryString
        let next =
            records.count >= query.filter.limit
            ? records.last.map { "/console/audit?" + (base.isEmpty ? "" : base + "&") + "before=\($0.sequence)" } : nil
        return ConsoleAuditFilters(
            from: query.from, to: query.to,
            departments: departments.map {
                OptionModel(value: "\($0.id)", label: $0.name, selected: query.department == "\($0.id)")
            },
            actions: actions.map {
                OptionModel(
                    value: $0.rawValue, label: Self.auditActionLabel($0, pages: pages, language),
                    selected: query.action == $0.rawValue)
            },
            outcomes: ["allowed", "denied", "failed"].map {
                OptionModel(
                    value: $0, label: pages.text("audit_result_\($0)", language), selected: query.outcome == $0)
            },
            next: next, exportCSV: "/console/audit/export?" + (base.isEmpty ? "" : base + "&") + "format=csv",
            filtered: !base.isEmpty,
            errors: query.problems.map { FieldErrors($0, language).values })
    }

    /// An action's name for people: its locale label when there is one, else its code.
    static func auditActionLabel(_ action: AuditAction, pages: PageRenderer, _ language: Language) -> String {
        let key = "audit_kind_" + action.rawValue.replacingOccurrences(of: ".", with: "_")
        let label = pages.text(key, language)
        return label == key ? action.rawValue : label
    }

    func auditExport(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await page(request, context, .auditReadLog) { _ in
            let language = context.language
            var query = AuditQuery(request)
            if let problems = query.problems { throw problems }
            query.filter.limit = 500
            let names = try await departmentNames()
            var rows = [
                [
                    pages.text("audit_sequence", language), pages.text("time", language),
                    pages.text("audit_action", language), pages.text("resource_code", language),
                    pages.text("consumer_department", language), pages.text("provider_department", language),
                    pages.text("audit_outcome", language), pages.text("audit_reason", language),
                    pages.text("audit_rows", language), pages.text("audit_hash", language),
                ]
            ]
            var taken = 0
            while taken < Self.auditExportLimit {
                let records = try await audit.repository.search(query.filter)
                for record in records {
                    guard case .entry(let entry) = record else {
                        rows.append([String(record.sequence), "", pages.text("audit_unreadable", language)])
                        continue
                    }
                    let event = entry.event
                    rows.append([
                        String(entry.sequence), PortalPages.dateTime(event.time),
                        Self.auditActionLabel(event.action, pages: pages, language), event.resourceCode ?? "",
                        event.consumerDepartmentID.flatMap { names[$0] } ?? "",
                        event.providerDepartmentID.flatMap { names[$0] } ?? "",
                        pages.text("audit_result_\(event.outcome.name)", language), event.outcome.reason ?? "",
                        String(event.rowsReturned), entry.hash.hex,
                    ])
                }
                taken += records.count
                guard records.count == query.filter.limit, let last = records.last else { break }
                query.filter.beforeSequence = last.sequence
            }
            return CatalogTransferAPI.download(
                CSVWriter.encode(rows: rows, options: .init(includesByteOrderMark: true)),
                type: "text/csv; charset=utf-8", name: "audit-\(CalendarDate.today()).csv")
        }
    }

    /// One entry in full: every field of its event (queried keys only as their keyed hashes, as stored), its hash
    /// and the hash it chains to.
    func auditEntry(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await page(request, context, .auditReadLog) { user in
            let language = context.language
            guard let sequence = context.parameters.get("sequence").flatMap({ Int64($0) }), sequence > 0,
                let record = try await audit.repository.search(
                    AuditEntryFilter(beforeSequence: sequence + 1, limit: 1)
                ).first, record.sequence == sequence
            else { throw StoreError.notFound(entity: "audit entry", key: context.parameters.get("sequence") ?? "") }
            let names = try await departmentNames()
            var fields: [ConsoleAuditEntryPage.Field] = []
            func add(_ key: String, _ value: String?) {
                guard let value, !value.isEmpty else { return }
                fields.append(.init(label: pages.text(key, language), value: value))
            }
            switch record {
            case .unreadable(_, let column):
                add("audit_unreadable", column)
            case .entry(let entry):
                let event = entry.event
                add("time", PortalPages.dateTime(event.time))
                add("audit_action", Self.auditActionLabel(event.action, pages: pages, language))
                add("audit_outcome", pages.text("audit_result_\(event.outcome.name)", language))
                add("audit_reason", event.outcome.reason)
                add("resource_code", event.resourceCode)
                add("consumer_department", event.consumerDepartmentID.flatMap { names[$0] })
                add("provider_department", event.providerDepartmentID.flatMap { names[$0] })
                if let userID = event.userID {
                    add("audit_user", try await store.users.find(id: userID)?.username ?? String(userID))
                }
                add("audit_system", event.applicationSystemID.map(String.init))
                add("audit_grant", event.grantID.map(String.init))
                add("audit_purpose", event.purpose)
                add("audit_rows", String(event.rowsReturned))
                add("audit_latency", "\(event.latencyMicroseconds / 1000) ms")
                add("audit_keys", event.queriedKeyHashes.isEmpty ? nil : event.queriedKeyHashes.joined(separator: " "))
                for (key, value) in event.detail.sorted(by: { $0.key < $1.key }) {
                    fields.append(.init(label: key, value: value))
                }
                add("audit_hash", entry.hash.hex)
                add("audit_previous_hash", entry.previousHash.hex)
            }
            let page = ConsoleAuditEntryPage(
                title: "\(pages.text("audit_entry", language)) \(sequence)", fields: fields)
            return render(.consoleAuditEntry, page, user: user, section: "/console/audit", context: context)
        }
    }
}

struct ConsoleAuditFilters: Sendable {
    var from: String
    var to: String
    var departments: [OptionModel]
    var actions: [OptionModel]
    var outcomes: [OptionModel]
    /// The next (older) page, when this one is full.
    var next: String?
    var exportCSV: String
    var filtered: Bool
    var errors: [String: String]?
}

struct ConsoleAuditEntryPage: PageModel {
    var title: String
    var fields: [Field]

    struct Field: Sendable {
        var label: String
        var value: String
    }
}
