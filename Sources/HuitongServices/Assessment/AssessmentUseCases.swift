import Foundation
import HuitongCore
import HuitongStore

/// One department's place in a 通报.
public struct DepartmentAssessment: Sendable, Hashable {
    public var department: Department
    public var scorecard: Scorecard
    /// 1 for the best total; equal totals share a rank.
    public var rank: Int
    /// The department's totals in earlier periods, oldest first (the trend), ending with this one.
    public var trend: [Double]
}

/// A 通报: every department's scorecard for a period, ranked, with each department's trend over earlier periods.
public struct AssessmentReport: Sendable, Hashable {
    public var period: AssessmentPeriod
    /// The periods of the trend, oldest first, ending with `period`.
    public var periods: [AssessmentPeriod]
    public var weights: AssessmentWeights
    public var departments: [DepartmentAssessment]
}

/// 考核 and 通报 (domain-services.md §5): department scorecards computed from what the platform records — catalog,
/// mounts and loads, applications, objections, quality runs and the audit rollups — weighted per year.
public struct AssessmentUseCases: Sendable {
    public let store: Store
    let quality: QualityUseCases

    public init(store: Store, quality: QualityUseCases) {
        self.store = store
        self.quality = quality
    }

    /// How many periods a report's trend shows.
    public static let trendLength = 6

    /// Everything read once for a report; each period's facts are then worked out from it.
    struct Inputs: Sendable {
        var departments: [Department]
        var systems: [InformationSystem]
        var entries: [CatalogEntry]
        var applications: [SharingApplication]
        var objections: [Objection]
        var qualityScores: [Int64: Double]
    }

    public func report(for period: AssessmentPeriod, now: Date = Date()) async throws -> AssessmentReport {
        guard let weights = try await store.assessmentWeights(year: period.year) else {
            throw StoreError.notFound(entity: "assessment weights", key: String(period.year))
        }
        let inputs = try await inputs()
        var periods = [period]
        while periods.count < Self.trendLength { periods.insert(periods[0].previous, at: 0) }
        var totals: [Int64: [Double]] = [:]
        var current: [Scorecard] = []
        for each in periods {
            let facts = try await facts(for: each, inputs: inputs, now: now)
            for department in inputs.departments {
                let card = Scorecard.compute(
                    departmentID: department.id, facts: facts[department.id] ?? AssessmentFacts(), weights: weights)
                totals[department.id, default: []].append(card.total)
                if each == period { current.append(card) }
            }
        }
        let byID = Dictionary(inputs.departments.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let sorted = current.sorted { $0.total != $1.total ? $0.total > $1.total : $0.departmentID < $1.departmentID }
        var ranked: [DepartmentAssessment] = []
        for (index, card) in sorted.enumerated() {
            guard let department = byID[card.departmentID] else { continue }
            let rank = index > 0 && sorted[index - 1].total == card.total ? ranked[index - 1].rank : index + 1
            ranked.append(
                DepartmentAssessment(
                    department: department, scorecard: card, rank: rank, trend: totals[card.departmentID] ?? []))
        }
        return AssessmentReport(period: period, periods: periods, weights: weights, departments: ranked)
    }

    func inputs() async throws -> Inputs {
        var entries: [CatalogEntry] = []
        var offset = 0
        while true {
            let page = try await store.catalog.search(
                CatalogQuery(statuses: [.published], offset: offset, limit: CatalogQuery.maximumPageSize), facets: [])
            entries += page.entries
            offset += CatalogQuery.maximumPageSize
            if page.entries.isEmpty || offset >= page.total { break }
        }
        return Inputs(
            departments: try await store.departments.list(),
            systems: try await store.informationSystems.list(departmentID: nil),
            entries: entries,
            applications: try await store.applications.list(.all, state: nil),
            objections: try await store.objections.list(.all, filter: ObjectionFilter()),
            qualityScores: try await quality.currentScores(entryIDs: nil))
    }

    /// The states in which the provider has answered an application.
    static let answered: Set<ApplicationState> = [
        .approved, .partiallyApproved, .rejected, .returnedForInfo, .coordination, .resolvedApproved,
        .resolvedRejected,
    ]

    /// Each department's facts for the period. Catalog facts (completeness, conformance, mounts) are the state
    /// now; updates count entries whose data changed within their cycle before the period's end; applications and
    /// objections count those due in the period; calls come from the audit rollups.
    func facts(for period: AssessmentPeriod, inputs: Inputs, now: Date) async throws -> [Int64: AssessmentFacts] {
        var facts: [Int64: AssessmentFacts] = [:]
        let start = period.startDate
        let end = period.endDate
        let reference = min(end, now)
        var systemsWithEntries = Set<Int64>()
        var codeToDepartment: [String: Int64] = [:]
        for entry in inputs.entries {
            let department = entry.provider.departmentID
            codeToDepartment[entry.code.text] = department
            if let system = entry.content.sourceSystemID { systemsWithEntries.insert(system) }
            var fact = facts[department] ?? AssessmentFacts()
            for item in entry.content.items {
                fact.items += 1
                if Self.conforms(item) { fact.conformingItems += 1 }
            }
            if entry.content.shareType != .notShared {
                fact.shareableEntries += 1
                if entry.mount != nil { fact.mountedEntries += 1 }
            }
            if let days = entry.content.updateCycle.expectedIntervalDays, entry.mount != nil {
                fact.periodicEntries += 1
                if let updated = entry.dataUpdatedAt, updated <= reference,
                    reference.timeIntervalSince(updated) <= Double(days) * 86_400
                {
                    fact.entriesUpdatedOnTime += 1
                }
            }
            if let score = inputs.qualityScores[entry.id] {
                fact.scoredEntries += 1
                fact.qualityScoreSum += score
            }
            facts[department] = fact
        }
        for system in inputs.systems {
            facts[system.departmentID, default: AssessmentFacts()].systems += 1
            if systemsWithEntries.contains(system.id) {
                facts[system.departmentID, default: AssessmentFacts()].systemsWithEntries += 1
            }
        }
        for application in inputs.applications {
            let department = application.providerDepartmentID
            if let deadline = application.deadline, deadline >= start, deadline < end, deadline <= now {
                facts[department, default: AssessmentFacts()].applicationsDue += 1
                if Self.answered.contains(application.state), application.updatedAt <= deadline {
                    facts[department, default: AssessmentFacts()].applicationsAnsweredOnTime += 1
                }
            }
            if application.decision?.kind == .refuse, application.updatedAt >= start, application.updatedAt < end {
                facts[department, default: AssessmentFacts()].refusals += 1
                let decision = application.decision
                if decision?.refusalReason != nil
                    && !(decision?.comment.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ?? true)
                {
                    facts[department, default: AssessmentFacts()].refusalsWithReason += 1
                }
            }
        }
        for objection in inputs.objections where objection.state != .withdrawn {
            let deadline = objection.deadline
            guard deadline >= start, deadline < end, deadline <= now else { continue }
            facts[objection.providerDepartmentID, default: AssessmentFacts()].objectionsDue += 1
            if let answer = objection.answer, answer.at <= deadline {
                facts[objection.providerDepartmentID, default: AssessmentFacts()].objectionsClosedOnTime += 1
            }
        }
        // Calls allowed through the gateway in the period: made, by the consumer department; served, by the
        // department whose resource answered.
        let made = try await store.audit.statistics(AuditStatisticsQuery(from: start, to: end, groupBy: .consumer))
        for group in made {
            guard let department = Int64(group.key) else { continue }
            facts[department, default: AssessmentFacts()].callsMade += group.allowed
        }
        let served = try await store.audit.statistics(AuditStatisticsQuery(from: start, to: end, groupBy: .resource))
        for group in served {
            guard let department = codeToDepartment[group.key] else { continue }
            facts[department, default: AssessmentFacts()].callsServed += group.allowed
        }
        return facts
    }

    /// 信息项规范: named, with a column, and a length where its type needs one (character and numeric types).
    static func conforms(_ item: InfoItem) -> Bool {
        guard !item.name.trimmingCharacters(in: .whitespaces).isEmpty, !item.columnName.isEmpty else { return false }
        switch item.dataType {
        case .character, .numeric, .currency: return (item.length ?? 0) > 0
        default: return true
        }
    }
}
