import Foundation
import HuitongCore
import HuitongServices
import HuitongStore

/// The demo city's catalog, read from `Resources/demo/catalog.json`: classifications, information systems, the
/// three lists and about forty entries that go through the real lifecycle (submitted, published, withdrawn).
package enum DemoCatalog {
    package struct File: Decodable {
        var classifications: [Classification]
        var informationSystems: [System]
        var negativeList: [Negative]
        var entries: [Entry]
        var responsibilities: [Responsibility]
        var demands: [Demand]
    }

    package struct Classification: Decodable {
        var code: String
        var name: String
    }

    package struct System: Decodable {
        var department: String
        var name: String
        var description: String
        var status: SystemStatus
    }

    package struct Negative: Decodable {
        var key: String
        var department: String
        var kind: NegativeListKind
        var resource: String
        var items: String
        var reason: String
        var legalBasis: String
        var reviewer: String
        var reviewBy: CalendarDate?
    }

    package struct Item: Decodable {
        var name: String
        var columnName: String
        var dataType: DataType
        var length: Int?
        var isKey: Bool?
        var isRequired: Bool?
        var shareType: ShareType?
        var grade: SecurityGrade?
        var semanticKind: SemanticKind?
        var note: String?
        var negativeList: String?
        var codeSet: String?
    }

    package struct Entry: Decodable {
        var department: String
        var classificationCode: String
        var name: String
        var abstract: String
        var formats: [ResourceFormat]
        var shareType: ShareType
        var shareCondition: String?
        var shareChannel: ShareChannel?
        var shareChannelNote: String?
        var openness: Openness
        var openCondition: String?
        var updateCycle: UpdateCycle
        var keywords: [String]?
        var grade: SecurityGrade?
        var contact: ContactPoint?
        var sourceSystem: String?
        var negativeList: String?
        var status: EntryStatus
        var mount: MountedResource?
        var recordCount: Int64?
        var items: [Item]?
    }

    package struct Responsibility: Decodable {
        var department: String
        var basis: String
        var resourceName: String
        var items: String?
        var shareType: ShareType
        var openness: Openness
        var updateCycle: UpdateCycle
        var channel: ShareChannel
        var office: String?
        var contact: String?
        var dueBy: CalendarDate?
    }

    package struct Demand: Decodable {
        var department: String
        var scenario: String
        var requestedData: String
        var expectedProvider: String?
        var purpose: String
        var basis: String
        var channel: ShareChannel
        var frequency: UpdateCycle
        var neededBy: CalendarDate?
        var resolution: Resolution?

        struct Resolution: Decodable {
            var status: DemandStatus
            var entry: String?
            var reason: String?
        }
    }

    struct DemoError: HuitongError {
        var text: String
        var code: String { "demo_data_invalid" }
        var kind: ErrorKind { .internal }
        var message: BilingualText { BilingualText(zh: "演示数据有误：\(text)", en: "demo data is invalid: \(text)") }
    }

    package static func read() throws -> File {
        let url = Bundle.module.url(forResource: "Resources", withExtension: nil)!.appendingPathComponent(
            "demo/catalog.json")
        return try JSONDecoder().decode(File.self, from: Data(contentsOf: url))
    }

    /// Loads the demo catalog. `departments` maps department codes to departments, `authors` department codes to
    /// the officer who files their entries; `reviewer` is the bureau's operator.
    /// Returns the ids of the entries by name.
    @discardableResult
    package static func load(
        into store: Store, departments: [String: Department], authors: [String: ChangeAuthor], reviewer: ChangeAuthor
    ) async throws -> [String: Int64] {
        let file = try read()
        let grading = try await GradePolicy.current(store)
        try await CatalogSeed.apply(to: store)
        func department(_ code: String) throws -> Department {
            guard let department = departments[code] else { throw DemoError(text: "unknown department \(code)") }
            return department
        }
        try await store.catalog.saveClassifications(
            try file.classifications.map {
                try ClassificationNode(scheme: ClassificationNode.guideScheme, code: $0.code, name: $0.name).validated()
            })
        var systems: [String: Int64] = [:]
        for system in file.informationSystems {
            let created = try await store.informationSystems.create(
                departmentID: try department(system.department).id, name: system.name,
                description: system.description, status: system.status)
            systems["\(system.department)/\(system.name)"] = created.id
        }
        var negatives: [String: Int64] = [:]
        for row in file.negativeList {
            let draft = try NegativeListDraft(
                kind: row.kind, resource: row.resource, items: row.items, reason: row.reason,
                legalBasis: row.legalBasis, reviewer: row.reviewer, reviewBy: row.reviewBy
            ).validated()
            negatives[row.key] = try await store.lists.createNegative(
                draft, departmentID: try department(row.department).id
            ).id
        }
        var entries: [String: Int64] = [:]
        for entry in file.entries {
            let owner = try department(entry.department)
            let author = authors[entry.department] ?? reviewer
            let content = CatalogEntryContent(
                classificationCode: entry.classificationCode, name: entry.name, abstract: entry.abstract,
                formats: entry.formats,
                items: (entry.items ?? []).map { item in
                    InfoItem(
                        name: item.name, columnName: item.columnName, dataType: item.dataType, length: item.length,
                        isKey: item.isKey ?? false, isRequired: item.isRequired ?? false,
                        shareType: item.shareType ?? entry.shareType, grade: item.grade ?? .general1,
                        semanticKind: item.semanticKind ?? .other, note: item.note,
                        negativeListID: item.negativeList.flatMap { negatives[$0] }, codeSet: item.codeSet)
                },
                shareType: entry.shareType, shareCondition: entry.shareCondition ?? "",
                shareChannel: entry.shareChannel ?? .interface, shareChannelNote: entry.shareChannelNote ?? "",
                openness: entry.openness, openCondition: entry.openCondition ?? "", updateCycle: entry.updateCycle,
                keywords: entry.keywords ?? [], grade: entry.grade ?? .general1, contact: entry.contact,
                sourceSystemID: entry.sourceSystem.flatMap { systems["\(entry.department)/\($0)"] },
                negativeListID: entry.negativeList.flatMap { negatives[$0] })
            let validated: CatalogEntryContent
            do {
                validated = try content.validated()
                try grading.check(validated)
            } catch {
                throw DemoError(text: "\(entry.name): \(error.details.map(\.message).joined(separator: "; "))")
            }
            var created = try await store.catalog.create(validated, departmentID: owner.id, author: author)
            entries[entry.name] = created.id
            let steps: [CatalogTransition] =
                switch entry.status {
                case .draft, .returned: []
                case .submitted: [.submit]
                case .published: [.submit, .publish]
                case .offline: [.submit, .publish, .withdraw]
                }
            for step in steps {
                let comment =
                    switch step {
                    case .publish: "符合编制要求，同意发布"
                    case .withdraw: "源系统升级改造，暂停共享"
                    default: ""
                    }
                created = try await store.catalog.transition(
                    id: created.id, step, author: step == .submit ? author : reviewer, comment: comment)
            }
            if let mount = entry.mount {
                _ = try await store.catalog.setMount(
                    id: created.id, mount, recordCount: entry.recordCount, dataUpdatedAt: Date(), author: author)
            }
        }
        for row in file.responsibilities {
            let draft = try ResponsibilityDraft(
                basis: row.basis, resourceName: row.resourceName, items: row.items ?? "", shareType: row.shareType,
                openness: row.openness, updateCycle: row.updateCycle, channel: row.channel, office: row.office ?? "",
                contact: row.contact ?? "", dueBy: row.dueBy
            ).validated()
            _ = try await store.lists.createResponsibility(draft, departmentID: try department(row.department).id)
        }
        for demand in file.demands {
            let draft = try DemandDraft(
                scenario: demand.scenario, requestedData: demand.requestedData,
                expectedProviderID: try demand.expectedProvider.map { try department($0).id }, purpose: demand.purpose,
                basis: demand.basis, channel: demand.channel, frequency: demand.frequency, neededBy: demand.neededBy
            ).validated()
            let row = try await store.lists.createDemand(draft, departmentID: try department(demand.department).id)
            if let resolution = demand.resolution {
                _ = try await store.lists.resolveDemand(
                    id: row.id,
                    DemandResolution(
                        status: resolution.status, entryID: resolution.entry.flatMap { entries[$0] },
                        reason: resolution.reason))
            }
        }
        return entries
    }
}
