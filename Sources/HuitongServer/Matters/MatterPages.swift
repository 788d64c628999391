import Foundation
import HuitongCore
import HuitongIngest
import HuitongServices
import HuitongStore
import Hummingbird

/// The pages of matters and 一件事: in the console, the matter list, a matter with its linkage editor (catalog
/// items and licence types beside each element and material), and the 一件事 builder that shows the merged form and
/// the reduction for the matters chosen; on the portal, each 一件事 with its form, materials and 精简率.
struct MatterPages: Sendable {
    let service: MatterUseCases
    let console: ConsolePages
    let pages: PageRenderer
    /// Where an uploaded guide sheet is held while it is read.
    let spoolFolder: URL

    func register(on router: Router<HuitongRequestContext>) {
        router.get("/console/matters", use: matters)
        router.post("/console/matters/import", use: importSheet)
        router.get("/console/matters/:code", use: matter)
        router.post("/console/matters/:code", use: saveLinks)
        router.get("/console/joint-services", use: jointServices)
        router.get("/console/joint-services/new", use: newJointService)
        router.post("/console/joint-services", use: buildJointService)
        router.get("/console/joint-services/:code", use: jointService)
        router.get("/portal/joint-services", use: portalList)
        router.get("/portal/joint-services/:code", use: portalJointService)
    }

    var store: Store { service.store }

    // MARK: Matters

    func matters(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await console.page(request, context, .mattersManage) { user in
            try await renderMatters(user: user, context: context)
        }
    }

    /// A 办事指南 sheet uploaded from the matter list (CSV or XLSX, by its file name), imported as the API imports
    /// one; the page shows what was saved and every problem by row and column.
    func importSheet(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await console.page(request, context, .mattersManage) { user in
            guard let boundary = try MultipartUpload.boundary(contentType: request.headers[.contentType]) else {
                throw APIError.malformedBody(
                    field: "file", reason: BilingualText(zh: "请选择要上传的文件", en: "choose a file to upload"))
            }
            let file = try SpoolFile.path(in: spoolFolder)
            defer { try? FileManager.default.removeItem(at: file) }
            let limit = Int64(CatalogTransferAPI.importLimit)
            let form = try await MultipartUpload.receive(request.body, boundary: boundary, to: file, limit: limit)
            guard let sent = form.fields["_csrf"], let expected = context.csrfToken,
                Secrets.constantTimeEquals(sent, expected)
            else { throw APIError.csrfFailed }
            let data = try Data(contentsOf: file)
            let rows: [(number: Int, cells: [String])]
            do {
                if data.isEmpty {
                    throw ValidationError(field: "file", BilingualText(zh: "上传的文件为空", en: "the uploaded file is empty"))
                }
                if (form.fileName ?? "").lowercased().hasSuffix(".xlsx") {
                    rows = try XLSXReader(data: data).rows().map { (number: $0.number, cells: $0.cells) }
                } else {
                    rows = try CSVParser.parse(data).map { (number: $0.line, cells: $0.fields) }
                }
            } catch let error as any HuitongError {
                return try await renderMatters(
                    user: user, context: context, problem: error.message.text(context.language), status: .badRequest)
            }
            let report = try await service.importSheet(rows, by: user, dryRun: form.fields["dryRun"] == "true")
            return try await renderMatters(
                user: user, context: context, report: report,
                status: report.errors.isEmpty ? .ok : .unprocessableContent)
        }
    }

    func renderMatters(
        user: User, context: HuitongRequestContext, report: MatterImportReport? = nil, problem: String? = nil,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let everyDepartment = AccessPolicy.reachesEveryDepartment(user, .mattersManage)
        let matters = try await service.matters(departmentID: everyDepartment ? nil : user.departmentID)
        let names = try await console.departmentNames()
        let page = MatterListPage(
            title: pages.text("console_nav_matters", context.language),
            matters: matters.map { matter in
                MatterListPage.Row(
                    code: matter.implementationCode, name: matter.name,
                    department: names[matter.departmentID] ?? "",
                    type: matter.content.type.label.text(context.language),
                    elements: matter.content.elements.count,
                    linkedElements: matter.content.elements.filter { $0.catalogItem != nil }.count,
                    materials: matter.content.materials.count,
                    linkedMaterials: matter.content.materials.filter(\.isLinked).count)
            },
            report: report.map { MatterListPage.Report($0) }, problem: problem)
        return console.render(
            .consoleMatters, page, user: user, section: "/console/matters", context: context, status: status)
    }

    func matter(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await console.page(request, context, .mattersManage) { user in
            let matter = try await service.matter(code: context.parameters.get("code") ?? "")
            try AccessPolicy.require(user, .mattersManage, department: matter.departmentID)
            let query = request.uri.queryParameters["q"].map(String.init) ?? ""
            return try await renderMatter(
                matter.content, matter: matter, query: query, user: user, context: context,
                notice: console.doneNotice(request, context.language))
        }
    }

    /// Saves the links the editor sent: `item.N` for element N (`资源代码:字段`, empty for none), `licence.N` and
    /// `items.N` for material N. The matter goes through the same checks as an import.
    func saveLinks(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await console.page(request, context, .mattersManage) { user in
            let form = try await ConsoleForm.read(request, context: context)
            let matter = try await service.matter(code: context.parameters.get("code") ?? "")
            try AccessPolicy.require(user, .mattersManage, department: matter.departmentID)
            var draft = matter.content
            var problems: [FieldIssue] = []
            // The editor's fields go by position: a matter changed since the page was opened (a new import) would
            // put the links on other elements.
            guard form["version"] == Self.version(of: matter) else {
                return try await renderMatter(
                    matter.content, matter: matter, query: "", user: user, context: context,
                    errors: ValidationError(
                        field: "version",
                        BilingualText(
                            zh: "事项已在别处修改，页面已刷新为最新内容，请重新填写关联后保存",
                            en: "the matter changed elsewhere; the page now shows it as it is, enter the links again")),
                    status: .conflict)
            }
            for index in draft.elements.indices {
                let text = form["item.\(index)"].trimmingCharacters(in: .whitespaces)
                if text.isEmpty {
                    draft.elements[index].catalogItem = nil
                } else if let reference = ItemReference(text) {
                    draft.elements[index].catalogItem = reference
                } else {
                    problems.append(Self.badReference(text, field: "elements[\(index)].catalogItems"))
                }
            }
            for index in draft.materials.indices {
                let licence = form["licence.\(index)"].trimmingCharacters(in: .whitespaces)
                draft.materials[index].licenceTypeCode = licence.isEmpty ? nil : licence
                var references: [ItemReference] = []
                for text in form["items.\(index)"].split(whereSeparator: { "；;，, \n".contains($0) }) {
                    if let reference = ItemReference(String(text)) {
                        references.append(reference)
                    } else {
                        problems.append(Self.badReference(String(text), field: "materials[\(index)].catalogItems"))
                    }
                }
                draft.materials[index].catalogItems = references
            }
            do {
                if !problems.isEmpty { throw ValidationError(problems) }
                _ = try await service.save(draft, departmentID: matter.departmentID, by: user)
            } catch let error as ValidationError {
                return try await renderMatter(
                    draft, matter: matter, query: "", user: user, context: context, errors: error,
                    status: .badRequest)
            }
            return .redirect(to: "/console/matters/\(matter.implementationCode)?done=edited", type: .normal)
        }
    }

    /// The matter's version as the editor carries it.
    static func version(of matter: Matter) -> String {
        String(Int64((matter.updatedAt.timeIntervalSince1970 * 1_000_000).rounded()))
    }

    static func badReference(_ text: String, field: String) -> FieldIssue {
        FieldIssue(
            field: field,
            message: BilingualText(
                zh: "“\(text)”不是“资源代码:字段”，例如 101001/0001:sfzhm",
                en: "\"\(text)\" is not resource-code:column, e.g. 101001/0001:sfzhm"))
    }

    func renderMatter(
        _ draft: MatterDraft, matter: Matter, query: String, user: User, context: HuitongRequestContext,
        errors: ValidationError? = nil, notice: String? = nil, status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let language = context.language
        let names = try await console.departmentNames()
        // Catalog items matching the search, for the datalist beside each element.
        var found: [MatterPage.Item] = []
        if !query.trimmingCharacters(in: .whitespaces).isEmpty {
            let result = try await store.catalog.search(CatalogQuery(text: query, limit: 20), facets: [])
            for entry in result.entries where entry.status == .published {
                for item in entry.content.items {
                    found.append(
                        MatterPage.Item(
                            reference: "\(entry.code.text):\(item.columnName)", entry: entry.content.name,
                            item: item.name, provider: entry.provider.name))
                }
            }
        }
        let licenceTypes = try await store.licences.types().map {
            MatterPage.LicenceType(code: $0.type.typeCode, name: $0.type.name)
        }
        let messages = (errors?.issues ?? []).map { issue in
            MatterPage.Problem(field: issue.field, message: issue.text.text(language))
        }
        let page = MatterPage(
            title: draft.name, code: matter.implementationCode, version: Self.version(of: matter), name: draft.name,
            basicCode: draft.basicCode,
            type: draft.type.label.text(language), department: names[matter.departmentID] ?? "",
            legalBasis: draft.legalBasis,
            timeLimits: [
                draft.legalTimeLimitDays.map { "\(pages.text("matter_legal_limit", language)) \($0)" },
                draft.promisedTimeLimitDays.map { "\(pages.text("matter_promised_limit", language)) \($0)" },
            ]
            .compactMap { $0 }.joined(separator: "；"),
            elements: draft.elements.enumerated().map { index, element in
                MatterPage.Element(
                    index: index, label: element.label, key: element.key, role: element.role,
                    type: element.type.label.text(language), required: element.isRequired,
                    maxLength: element.maxLength.map(String.init),
                    dictionary: element.dictionary.map { "\($0.code) \($0.values.joined(separator: "/"))" } ?? "",
                    reference: element.catalogItem?.description ?? "", heldBy: element.heldBy ?? "")
            },
            materials: draft.materials.enumerated().map { index, material in
                MatterPage.Material(
                    index: index, name: material.name, need: material.need.label.text(language),
                    condition: material.condition ?? "",
                    licenceTypes: licenceTypes.map {
                        MatterPage.Choice(code: $0.code, name: $0.name, selected: $0.code == material.licenceTypeCode)
                    },
                    references: material.catalogItems.map(\.description).joined(separator: "；"),
                    heldBy: material.heldBy ?? "")
            },
            query: query, found: found, hasFound: !found.isEmpty, problems: messages, hasProblems: !messages.isEmpty,
            notice: notice)
        return console.render(
            .consoleMatter, page, user: user, section: "/console/matters", context: context, status: status)
    }

    // MARK: 一件事 builder

    func jointServices(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await console.page(request, context, .mattersManageJointServices) { user in
            let views = try await service.jointServices()
            let page = JointServiceListPage(
                title: pages.text("console_nav_joint_services", context.language),
                services: views.map { JointServiceListPage.Row($0) })
            return console.render(
                .consoleJointServices, page, user: user, section: "/console/joint-services", context: context)
        }
    }

    func newJointService(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await console.page(request, context, .mattersManageJointServices) { user in
            try await renderBuilder(
                JointServiceDraft(code: "", name: "", matterCodes: []), form: nil, user: user, context: context)
        }
    }

    func jointService(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await console.page(request, context, .mattersManageJointServices) { user in
            let view = try await service.jointService(code: context.parameters.get("code") ?? "")
            return try await renderBuilder(
                view.service.content, form: view.form, user: user, context: context, saved: true,
                notice: console.doneNotice(request, context.language))
        }
    }

    /// 预览 shows the merged form of the matters ticked; 保存 saves the 一件事.
    func buildJointService(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        try await console.page(request, context, .mattersManageJointServices) { user in
            let form = try await ConsoleForm.read(request, context: context)
            var draft = JointServiceDraft(
                code: form["code"], name: form["name"], summary: form["summary"], matterCodes: form.all("matter"),
                applicationSystemID: Int64(form["system"]))
            for (name, values) in form.values where name.hasPrefix("resolution.") {
                let text = (values.first ?? "").trimmingCharacters(in: .whitespaces)
                guard !text.isEmpty else { continue }
                // `代码=值/值`: the code may hold spaces (GB/T 2261.1), the values are split on / or |; a decision
                // without a code is refused by the draft's checks.
                let parts = text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map {
                    $0.trimmingCharacters(in: .whitespaces)
                }
                draft.resolutions[String(name.dropFirst("resolution.".count))] = FormDictionary(
                    code: parts.first ?? "",
                    values: parts.count > 1
                        ? parts[1].split(whereSeparator: { "/|".contains($0) }).map(String.init) : [])
            }
            if form["action"] == "save" {
                do {
                    let view = try await service.saveJointService(draft, by: user)
                    return .redirect(to: "/console/joint-services/\(view.service.code)?done=created", type: .normal)
                } catch let error as ValidationError {
                    return try await renderBuilder(
                        draft, form: try? await service.preview(draft, by: user), user: user, context: context,
                        errors: error, status: .badRequest)
                }
            }
            do {
                return try await renderBuilder(
                    draft, form: try await service.preview(draft, by: user), user: user, context: context)
            } catch let error as ValidationError {
                return try await renderBuilder(
                    draft, form: nil, user: user, context: context, errors: error, status: .badRequest)
            }
        }
    }

    func renderBuilder(
        _ draft: JointServiceDraft, form merged: MergedForm?, user: User, context: HuitongRequestContext,
        saved: Bool = false, errors: ValidationError? = nil, notice: String? = nil,
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let language = context.language
        let names = try await console.departmentNames()
        let matters = try await service.matters()
        let matterNames = Dictionary(uniqueKeysWithValues: matters.map { ($0.implementationCode, $0.name) })
        // The accepting system is the lead department's: the operator editing another department's 一件事 sees its.
        let lead =
            try await store.matters.jointService(code: draft.code.uppercased())?.leadDepartmentID ?? user.departmentID
        let systems = try await store.applicationSystems.list(departmentID: lead)
        let problems = (errors?.issues ?? []).map {
            MatterPage.Problem(field: $0.field, message: $0.text.text(language))
        }
        let page = JointServiceBuilderPage(
            title: saved ? draft.name : pages.text("joint_service_new", language), saved: saved, code: draft.code,
            name: draft.name, summary: draft.summary,
            systems: systems.map {
                MatterPage.Choice(code: String($0.id), name: $0.name, selected: $0.id == draft.applicationSystemID)
            },
            matters: matters.map { matter in
                JointServiceBuilderPage.MatterChoice(
                    code: matter.implementationCode, name: matter.name, department: names[matter.departmentID] ?? "",
                    elements: matter.content.elements.count, materials: matter.content.materials.count,
                    selected: draft.matterCodes.contains(matter.implementationCode))
            },
            resolutions: draft.resolutions.sorted { $0.key < $1.key }.map {
                JointServiceBuilderPage.Resolution(
                    id: $0.key, text: "\($0.value.code)=\($0.value.values.joined(separator: "/"))")
            },
            form: merged.map { JointServiceBuilderPage.Merged($0, matterNames: matterNames, language: language) },
            problems: problems, hasProblems: !problems.isEmpty, notice: notice)
        return console.render(
            .consoleJointService, page, user: user, section: "/console/joint-services", context: context,
            status: status)
    }

    // MARK: Portal

    func portalList(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let views = try await service.jointServices()
        return pages.render(
            .portalJointServices,
            JointServiceListPage(
                title: pages.text("portal_joint_services", context.language),
                services: views.map { JointServiceListPage.Row($0) }), context: context)
    }

    func portalJointService(_ request: Request, context: HuitongRequestContext) async throws -> Response {
        let view: JointServiceView
        do {
            view = try await service.jointService(code: context.parameters.get("code") ?? "")
        } catch let error as StoreError {
            guard case .notFound = error else { throw error }
            return pages.errorPage(
                status: .notFound, message: pages.text("joint_service_not_found", context.language), context: context)
        }
        let matterNames = Dictionary(uniqueKeysWithValues: view.matters.map { ($0.implementationCode, $0.name) })
        return pages.render(
            .portalJointService,
            PortalJointServicePage(
                title: view.service.content.name, summary: view.service.content.summary,
                lead: view.leadDepartmentName,
                matters: view.matters.map { .init(name: $0.name, department: $0.departmentName) },
                form: JointServiceBuilderPage.Merged(view.form, matterNames: matterNames, language: context.language)),
            context: context)
    }
}

// MARK: - Page models

struct MatterListPage: PageModel {
    var title: String
    var matters: [Row]
    /// What an upload of a guide sheet did.
    var report: Report?
    /// Why an upload could not be read at all.
    var problem: String?

    struct Report: Sendable {
        var dryRun: Bool
        var saved: String
        var rejected: String
        var demands: String
        var errors: [CatalogSheet.Issue]
        var hasErrors: Bool

        init(_ report: MatterImportReport) {
            dryRun = report.dryRun
            saved = report.saved.joined(separator: "、")
            rejected = report.rejected.joined(separator: "、")
            demands = report.demandsRaised.joined(separator: "、")
            errors = report.errors
            hasErrors = !report.errors.isEmpty
        }
    }

    struct Row: Sendable {
        var code: String
        var name: String
        var department: String
        var type: String
        var elements: Int
        var linkedElements: Int
        var materials: Int
        var linkedMaterials: Int
    }
}

struct MatterPage: PageModel {
    var title: String
    var code: String
    var version: String
    var name: String
    var basicCode: String
    var type: String
    var department: String
    var legalBasis: String
    var timeLimits: String
    var elements: [Element]
    var materials: [Material]
    var query: String
    var found: [Item]
    var hasFound: Bool
    var problems: [Problem]
    var hasProblems: Bool
    var notice: String?

    struct Element: Sendable {
        var index: Int
        var label: String
        var key: String
        var role: String
        var type: String
        var required: Bool
        var maxLength: String?
        var dictionary: String
        var reference: String
        var heldBy: String
    }

    struct Material: Sendable {
        var index: Int
        var name: String
        var need: String
        var condition: String
        var licenceTypes: [Choice]
        var references: String
        var heldBy: String
    }

    struct Choice: Sendable {
        var code: String
        var name: String
        var selected: Bool
    }

    struct Item: Sendable {
        var reference: String
        var entry: String
        var item: String
        var provider: String
    }

    struct LicenceType: Sendable {
        var code: String
        var name: String
    }

    struct Problem: Sendable {
        var field: String
        var message: String
    }
}

struct JointServiceListPage: PageModel {
    var title: String
    var services: [Row]

    struct Row: Sendable {
        var code: String
        var name: String
        var summary: String
        var lead: String
        var matters: Int
        var elementsBefore: Int
        var elementsAfter: Int
        var elementReduction: String
        var materialsBefore: Int
        var materialsAfter: Int
        var materialReduction: String
        var prefillable: Int

        init(_ view: JointServiceView) {
            let report = view.form.report
            code = view.service.code
            name = view.service.content.name
            summary = view.service.content.summary
            lead = view.leadDepartmentName
            matters = view.matters.count
            elementsBefore = report.elementsBefore
            elementsAfter = report.elementsAfter
            elementReduction = String(format: "%.1f%%", report.elementReduction)
            materialsBefore = report.materialsBefore
            materialsAfter = report.materialsAfter
            materialReduction = String(format: "%.1f%%", report.materialReduction)
            prefillable = report.prefillable
        }
    }
}

struct JointServiceBuilderPage: PageModel {
    var title: String
    var saved: Bool
    var code: String
    var name: String
    var summary: String
    var systems: [MatterPage.Choice]
    var matters: [MatterChoice]
    /// Dictionaries already decided, carried through the form so a preview or save keeps them.
    var resolutions: [Resolution]
    var form: Merged?
    var problems: [MatterPage.Problem]
    var hasProblems: Bool
    var notice: String?

    struct Resolution: Sendable {
        var id: String
        var text: String
    }

    struct MatterChoice: Sendable {
        var code: String
        var name: String
        var department: String
        var elements: Int
        var materials: Int
        var selected: Bool
    }

    /// A merged form as the builder and the portal show it.
    struct Merged: Sendable {
        var elementsBefore: Int
        var elementsAfter: Int
        var elementsToFill: Int
        var prefillable: Int
        var materialsBefore: Int
        var materialsAfter: Int
        var materialsExempted: Int
        var elementReduction: String
        var materialReduction: String
        var conflicts: Int
        var hasConflicts: Bool
        var fields: [Field]
        var materials: [Material]

        struct Field: Sendable {
            var id: String
            var label: String
            var role: String
            var type: String
            var required: Bool
            var maxLength: String?
            var dictionary: String
            var sources: String
            var prefillable: Bool
            var readOnly: Bool
            var conflicts: [Conflict]
            var hasConflicts: Bool
        }

        struct Conflict: Sendable {
            var message: String
            var candidates: String
            var resolved: Bool
            /// A dictionary conflict a person decides here; one of value types is settled in the matters themselves.
            var decidable: Bool
        }

        struct Material: Sendable {
            var name: String
            var need: String
            var condition: String
            var matters: String
            var exemption: String?
        }

        init(_ form: MergedForm, matterNames: [String: String], language: Language) {
            let report = form.report
            elementsBefore = report.elementsBefore
            elementsAfter = report.elementsAfter
            elementsToFill = report.elementsToFill
            prefillable = report.prefillable
            materialsBefore = report.materialsBefore
            materialsAfter = report.materialsAfter
            materialsExempted = report.materialsExempted
            elementReduction = String(format: "%.1f%%", report.elementReduction)
            materialReduction = String(format: "%.1f%%", report.materialReduction)
            conflicts = report.conflicts
            hasConflicts = report.conflicts > 0
            fields = form.fields.map { field in
                Field(
                    id: field.id, label: field.label, role: field.role, type: field.type.label.text(language),
                    required: field.isRequired, maxLength: field.maxLength.map(String.init),
                    dictionary: field.dictionary.map { "\($0.code) \($0.values.joined(separator: "/"))" } ?? "",
                    sources: field.sources.map { "\(matterNames[$0.matterCode] ?? $0.matterCode)（\($0.key)）" }
                        .joined(separator: "、"),
                    prefillable: field.isPrefillable, readOnly: field.isReadOnly,
                    conflicts: field.conflicts.map {
                        Conflict(
                            message: $0.message.text(language), candidates: $0.candidates.joined(separator: "；"),
                            resolved: $0.isResolved, decidable: $0.kind == .dictionary)
                    },
                    hasConflicts: !field.conflicts.isEmpty)
            }
            materials = form.materials.map { material in
                Material(
                    name: material.name, need: material.need.label.text(language), condition: material.condition ?? "",
                    matters: material.matterCodes.map { matterNames[$0] ?? $0 }.joined(separator: "、"),
                    exemption: material.exemption?.label.text(language))
            }
        }
    }
}

struct PortalJointServicePage: PageModel {
    var title: String
    var summary: String
    var lead: String
    var matters: [Matter]
    var form: JointServiceBuilderPage.Merged

    struct Matter: Sendable {
        var name: String
        var department: String
    }
}
