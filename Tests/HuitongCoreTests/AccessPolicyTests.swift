import Foundation
import HuitongCore
import Testing

/// The policy written out a second time, as the table a bureau would read: for every action, every kind of officer
/// and an object of their own department, of another department and of no department, what the answer is. The
/// table is literal (not worked out from `AccessPolicy.rules`), so that a changed rule fails here until the table,
/// and whoever reads it, agree.
@Suite("Access policy")
struct AccessPolicyTests {
    /// The officers asked, in the order of a row's cells.
    static let actors: [(name: String, roles: Set<Role>)] = [
        ("operator", [.operator]),
        ("provider", [.provider]),
        ("consumer", [.consumer]),
        ("auditor", [.auditor]),
        ("no role", []),
        ("provider+consumer", [.provider, .consumer]),
        ("operator+provider", [.operator, .provider]),
    ]

    static let ownDepartment: Int64 = 7
    static let otherDepartment: Int64 = 8
    /// The objects asked, in the order of a cell's three answers.
    static let objects: [(name: String, department: Int64?)] = [
        ("own", ownDepartment), ("foreign", otherDepartment), ("no department's", nil),
    ]

    /// One action's answers. `cells` holds one group of three answers per actor (operator, provider, consumer,
    /// auditor, no role, provider+consumer, operator+provider), each for an object of the own department, of
    /// another department and of no department: `+` allowed, `r` refused for the role (told `role`), `d` refused
    /// for the department (told `department`).
    struct Row: Sendable {
        var action: OfficerAction
        var cells: String
        var role: String?
        var department: String?

        init(_ action: OfficerAction, _ cells: String, role: String? = nil, department: String? = nil) {
            self.action = action
            self.cells = cells
            self.role = role
            self.department = department
        }
    }

    static let otherDepartmentText = "不能访问其他部门的数据"
    static let operatorOnly = "需要以下角色之一：平台管理员"
    static let providerOrOperator = "需要以下角色之一：数据提供方、平台管理员"
    static let consumerOrOperator = "需要以下角色之一：数据使用方、平台管理员"
    static let providerOnly = "需要以下角色之一：数据提供方"
    static let consumerOnly = "需要以下角色之一：数据使用方"
    static let bureau = "需要以下角色之一：平台管理员、审计员"
    static let bureauOrConsumer = "需要以下角色之一：平台管理员、审计员、数据使用方"
    static let bureauOrProvider = "需要以下角色之一：平台管理员、审计员、数据提供方"
    static let bureauProviderOrChief = "需要以下角色之一：平台管理员、审计员、数据提供方、首席数据官"
    static let providerOperatorOrChief = "需要以下角色之一：数据提供方、平台管理员、首席数据官"
    static let assessmentRoles = "需要以下角色之一：平台管理员、审计员、首席数据官"

    // swift-format-ignore
    static let table: [Row] = [
        //                                          operator provider consumer auditor  none  prov+cons op+prov
        // Catalog
        Row(.catalogManageClassifications,          "+++ rrr rrr rrr rrr rrr +++", role: operatorOnly),
        Row(.catalogReadUnpublished,                "+++ +dd +dd +++ +dd +dd +++", department: otherDepartmentText),
        Row(.catalogReadMountLocator,               "+++ +dd +dd +dd +dd +dd +++", department: otherDepartmentText),
        Row(.catalogManageEntry,                    "+++ +dd rrr rrr rrr +dd +++", role: providerOrOperator, department: otherDepartmentText),
        Row(.catalogReview,                         "+++ rrr rrr rrr rrr rrr +++", role: operatorOnly),
        Row(.catalogChangePublishedExposure,        "+++ rrr rrr rrr rrr rrr +++", role: operatorOnly),
        Row(.catalogImport,                         "+++ +dd rrr rrr rrr +dd +++", role: providerOrOperator, department: otherDepartmentText),
        Row(.catalogManageCodeSets,                 "+++ rrr rrr rrr rrr rrr +++", role: operatorOnly),
        Row(.catalogManageNegativeList,             "+++ +dd rrr rrr rrr +dd +++", role: providerOrOperator, department: otherDepartmentText),
        Row(.catalogManageResponsibilityList,       "+++ rrr rrr rrr rrr rrr +++", role: operatorOnly),
        Row(.catalogRaiseDemand,                    "+++ +dd +dd rrr rrr +dd +++", role: "需要以下角色之一：数据使用方、数据提供方、平台管理员", department: otherDepartmentText),
        Row(.catalogResolveDemand,                  "+++ +dd rrr rrr rrr +dd +++", role: providerOrOperator, department: "只有平台管理员或被请求的提供部门可以关闭需求"),
        Row(.catalogManageInformationSystems,       "+++ +dd rrr rrr rrr +dd +++", role: providerOrOperator, department: otherDepartmentText),
        // Grading
        Row(.gradingManagePolicy,                   "+++ rrr rrr rrr rrr rrr +++", role: operatorOnly),
        Row(.gradingReadSuggestions,                "+++ +dd rrr rrr rrr +dd +++", role: providerOrOperator, department: otherDepartmentText),
        // Gateway
        Row(.gatewayReadUpstreamAllowList,          "+++ rrr rrr rrr rrr rrr +++", role: operatorOnly),
        Row(.gatewayManageUpstreamAllowList,        "+++ rrr rrr rrr rrr rrr +++", role: operatorOnly),
        // Accounts
        Row(.accountsManageDepartments,             "+++ rrr rrr rrr rrr rrr +++", role: operatorOnly),
        Row(.accountsReadUsers,                     "+++ +dd +dd +++ +dd +dd +++", department: otherDepartmentText),
        Row(.accountsManageUsers,                   "+++ rrr rrr rrr rrr rrr +++", role: operatorOnly),
        Row(.accountsResetPassword,                 "+++ rrr rrr rrr rrr rrr +++", role: "只有平台管理员可以重置他人密码"),
        Row(.accountsRevokeOthersTokens,            "+++ rrr rrr rrr rrr rrr +++", role: operatorOnly),
        Row(.accountsReadApplicationSystems,        "+++ +dd +dd +++ +dd +dd +++", department: otherDepartmentText),
        Row(.accountsManageApplicationSystems,      "+++ rrr +dd rrr rrr +dd +++", role: consumerOrOperator, department: otherDepartmentText),
        // Sharing
        Row(.sharingReadAsConsumer,                 "+++ rrr +dd +++ rrr +dd +++", role: "需要以下角色之一：平台管理员、审计员、数据使用方、首席数据官", department: otherDepartmentText),
        Row(.sharingReadAsProvider,                 "+++ +dd rrr +++ rrr +dd +++", role: bureauProviderOrChief, department: otherDepartmentText),
        Row(.sharingApply,                          "rrr rrr +++ rrr rrr +++ rrr", role: "需要数据使用方角色才能提出共享申请"),
        Row(.sharingEditApplication,                "rrr rrr +dd rrr rrr +dd rrr", role: "只有申请部门的数据使用方可以修改或提交该申请", department: "只有申请部门的数据使用方可以修改或提交该申请"),
        Row(.sharingReviewCompliance,               "+++ rrr rrr rrr rrr rrr +++", role: "需要平台管理员角色才能进行符合性审查"),
        Row(.sharingDecide,                         "rrr +dd rrr rrr rrr +dd +dd", role: "只有提供部门的数据提供方可以审核该申请", department: "只有提供部门的数据提供方可以审核该申请"),
        Row(.sharingEscalate,                       "+++ rrr +dd rrr rrr +dd +++", role: "只有申请部门或平台管理员可以提请协调", department: "只有申请部门或平台管理员可以提请协调"),
        Row(.sharingResolve,                        "+++ rrr rrr rrr rrr rrr +++", role: "需要平台管理员角色才能协调申请"),
        Row(.sharingRevokeGrant,                    "+++ +dd rrr rrr rrr +dd +++", role: "只有目录的提供部门或平台管理员可以撤销授权", department: "只有目录的提供部门或平台管理员可以撤销授权"),
        Row(.sharingManageHolidays,                 "+++ rrr rrr rrr rrr rrr +++", role: operatorOnly),
        // Quality
        Row(.qualityReadEntry,                      "+++ +dd rrr rrr rrr +dd +++", role: providerOperatorOrChief, department: otherDepartmentText),
        Row(.qualityManageEntry,                    "+++ +dd rrr rrr rrr +dd +++", role: providerOrOperator, department: otherDepartmentText),
        Row(.qualityReadDepartmentReport,           "+++ +dd rrr rrr rrr +dd +++", role: providerOperatorOrChief, department: otherDepartmentText),
        Row(.qualityReadRanking,                    "+++ +++ rrr rrr rrr +++ +++", role: providerOperatorOrChief),
        Row(.qualityCompare,                        "+++ +dd rrr rrr rrr +dd +++", role: providerOrOperator, department: otherDepartmentText),
        // Objections
        Row(.objectionsReadAsProvider,              "+++ +dd rrr +++ rrr +dd +++", role: bureauProviderOrChief, department: otherDepartmentText),
        Row(.objectionsReadAsRaiser,                "+++ +dd +dd +++ rrr +dd +++", role: "需要以下角色之一：平台管理员、审计员、数据使用方、数据提供方、首席数据官", department: otherDepartmentText),
        Row(.objectionsReadRecordValues,            "rrr +dd rrr rrr rrr +dd +dd", role: providerOnly, department: otherDepartmentText),
        Row(.objectionsReadRaiserContact,           "+++ rrr rrr +++ rrr rrr +++", role: bureau),
        Row(.objectionsRaise,                       "rrr +++ +++ rrr rrr +++ +++", role: "只有部门的数据使用方或提供方可以提出异议"),
        Row(.objectionsAnswer,                      "rrr +dd rrr rrr rrr +dd +dd", role: "只有目录提供部门的数据提供方可以答复该异议", department: "只有目录提供部门的数据提供方可以答复该异议"),
        Row(.objectionsWithdraw,                    "rrr +dd +dd rrr rrr +dd +dd", role: "只有提出异议的部门可以撤回", department: "只有提出异议的部门可以撤回"),
        // Ingest
        Row(.ingestUpload,                          "+++ +dd rrr rrr rrr +dd +++", role: providerOrOperator, department: otherDepartmentText),
        Row(.ingestReadEntryJobs,                   "+++ +dd +dd +dd +dd +dd +++", department: otherDepartmentText),
        Row(.ingestReadJob,                         "+++ +dd rrr +++ rrr +dd +++", role: bureauOrProvider, department: otherDepartmentText),
        Row(.ingestReadPoolVersions,                "+++ +dd +dd +dd +dd +dd +++", department: otherDepartmentText),
        Row(.ingestReadCorrectionValues,            "rrr +dd rrr rrr rrr +dd +dd", role: providerOnly, department: otherDepartmentText),
        Row(.ingestRollback,                        "+++ +dd rrr rrr rrr +dd +++", role: providerOrOperator, department: otherDepartmentText),
        // Audit
        Row(.auditReadLog,                          "+++ rrr rrr +++ rrr rrr +++", role: bureau),
        Row(.auditVerifyLog,                        "+++ rrr rrr +++ rrr rrr +++", role: bureau),
        Row(.auditReadCallsMade,                    "+++ rrr +dd +++ rrr +dd +++", role: bureauOrConsumer, department: otherDepartmentText),
        Row(.auditReadCallsServed,                  "+++ +dd rrr +++ rrr +dd +++", role: bureauOrProvider, department: otherDepartmentText),
        // Federation
        Row(.federationManagePeers,                 "+++ rrr rrr rrr rrr rrr +++", role: operatorOnly),
        Row(.federationManageOutbox,                "+++ rrr rrr rrr rrr rrr +++", role: operatorOnly),
        Row(.federationSyncCatalog,                 "+++ rrr rrr rrr rrr rrr +++", role: operatorOnly),
        Row(.federationManageReflow,                "+++ rrr rrr rrr rrr rrr +++", role: operatorOnly),
        Row(.federationMonitor,                     "+++ rrr rrr rrr rrr rrr +++", role: operatorOnly),
        Row(.federationApplyCrossLevel,             "rrr rrr +++ rrr rrr +++ rrr", role: consumerOnly),
        Row(.federationReadCrossLevelApplications,  "+++ rrr +dd rrr rrr +dd +++", role: consumerOrOperator, department: otherDepartmentText),
        // Developers
        Row(.developersDecideOpenAccess,            "rrr +dd rrr rrr rrr +dd +dd", role: providerOnly, department: otherDepartmentText),
        Row(.developersRevokeOpenAccess,            "rrr +dd rrr rrr rrr +dd +dd", role: providerOnly, department: otherDepartmentText),
        // E-licences
        Row(.licencesDefineTypes,                   "rrr +dd rrr rrr rrr +dd +dd", role: providerOnly, department: otherDepartmentText),
        Row(.licencesIssue,                         "rrr +dd rrr rrr rrr +dd +dd", role: providerOnly, department: otherDepartmentText),
        Row(.licencesUse,                           "rrr rrr +dd rrr rrr +dd rrr", role: consumerOnly, department: otherDepartmentText),
        Row(.licencesAdminister,                    "+++ rrr rrr rrr rrr rrr +++", role: operatorOnly),
        // Matters and joint services
        Row(.mattersManage,                         "+++ +dd +dd rrr rrr +dd +++", role: "需要以下角色之一：数据提供方、数据使用方、平台管理员", department: otherDepartmentText),
        Row(.mattersManageJointServices,            "+++ +dd +dd rrr rrr +dd +++", role: "需要以下角色之一：数据提供方、数据使用方、平台管理员", department: otherDepartmentText),
        Row(.mattersPrefill,                        "rrr rrr +dd rrr rrr +dd rrr", role: consumerOnly, department: otherDepartmentText),
        // Assessment (考核 and 通报)
        Row(.assessmentReadReport,                  "+++ rrr rrr +++ rrr rrr +++", role: assessmentRoles),
        Row(.assessmentReadScorecard,               "+++ rrr rrr +++ rrr rrr +++", role: assessmentRoles),
        Row(.assessmentManageWeights,               "+++ rrr rrr rrr rrr rrr +++", role: operatorOnly),
        // Console
        Row(.consoleDashboard,                      "+++ rrr rrr rrr rrr rrr +++", role: operatorOnly),
        Row(.consoleDepartments,                    "+++ rrr rrr rrr rrr rrr +++", role: operatorOnly),
        Row(.consoleOverdue,                        "+++ rrr rrr rrr rrr rrr +++", role: operatorOnly),
        Row(.consoleLists,                          "+++ rrr rrr rrr rrr rrr +++", role: operatorOnly),
        Row(.consoleEntries,                        "rrr +dd rrr rrr rrr +dd +dd", role: providerOnly, department: otherDepartmentText),
        Row(.consoleToReview,                       "rrr +++ rrr rrr rrr +++ +++", role: providerOnly),
        Row(.consoleObjections,                     "rrr +++ rrr rrr rrr +++ +++", role: providerOnly),
        Row(.consoleOpenRequests,                   "rrr +++ rrr rrr rrr +++ +++", role: providerOnly),
        Row(.consoleCatalog,                        "rrr rrr +++ rrr rrr +++ rrr", role: consumerOnly),
        Row(.consoleApplications,                   "rrr rrr +++ rrr rrr +++ rrr", role: consumerOnly),
        Row(.consoleSystems,                        "rrr rrr +++ rrr rrr +++ rrr", role: consumerOnly),
        Row(.consoleUsage,                          "rrr rrr +++ rrr rrr +++ rrr", role: consumerOnly),
    ]

    /// A department's 首席数据官 owns its scorecard and reads its whole picture, of its own department only, and
    /// changes nothing.
    @Test("a chief data officer reads their own department's scorecard and data work, and changes nothing")
    func chiefDataOfficer() {
        let chief = Self.officer([.chiefDataOfficer])
        let reads: [OfficerAction] = [
            .assessmentReadScorecard, .sharingReadAsConsumer, .sharingReadAsProvider, .qualityReadEntry,
            .qualityReadDepartmentReport, .objectionsReadAsProvider, .objectionsReadAsRaiser,
        ]
        for action in reads {
            #expect(AccessPolicy.allows(chief, action, department: Self.ownDepartment), "\(action.rawValue) own")
            #expect(!AccessPolicy.allows(chief, action, department: Self.otherDepartment), "\(action.rawValue) other")
        }
        #expect(AccessPolicy.allows(chief, .assessmentReadReport))
        #expect(AccessPolicy.allows(chief, .qualityReadRanking))
        let changes: [OfficerAction] = [
            .catalogManageEntry, .sharingDecide, .sharingApply, .objectionsAnswer, .accountsManageUsers,
            .qualityManageEntry, .ingestUpload,
        ]
        for action in changes {
            #expect(!AccessPolicy.allows(chief, action, department: Self.ownDepartment), "\(action.rawValue)")
        }
    }

    static func officer(_ roles: Set<Role>) -> User {
        User(
            id: 1, username: "officer", displayName: "officer", departmentID: ownDepartment, roles: roles,
            isActive: true, createdAt: Date(timeIntervalSince1970: 0), lastLoginAt: nil)
    }

    @Test("every action has a rule, and exactly one row in the table")
    func everyActionIsCovered() {
        for action in OfficerAction.allCases {
            #expect(AccessPolicy.rules[action] != nil, "no rule for \(action.rawValue)")
            #expect(Self.table.filter { $0.action == action }.count == 1, "not one table row for \(action.rawValue)")
        }
        #expect(AccessPolicy.rules.count == OfficerAction.allCases.count)
        #expect(Self.table.count == OfficerAction.allCases.count)
    }

    @Test(
        "each officer may act on an own, a foreign and a department-less object exactly as the table says",
        arguments: OfficerAction.allCases)
    func actorTimesObject(action: OfficerAction) throws {
        let row = try #require(Self.table.first { $0.action == action }, "no table row for \(action.rawValue)")
        let groups = row.cells.split(separator: " ").map(Array.init)
        try #require(groups.count == Self.actors.count && groups.allSatisfy { $0.count == Self.objects.count })
        for (actor, answers) in zip(Self.actors, groups) {
            let user = Self.officer(actor.roles)
            for (object, answer) in zip(Self.objects, answers) {
                let decision = AccessPolicy.decide(user, action, department: object.department)
                let what = "\(actor.name) on \(object.name) object: \(action.rawValue)"
                switch answer {
                case "+":
                    #expect(decision == .allowed, "\(what) should be allowed")
                case "r":
                    #expect(decision.refusal == row.role, "\(what) should be refused for the role")
                    #expect(row.role != nil)
                case "d":
                    #expect(decision.refusal == row.department, "\(what) should be refused for the department")
                    #expect(row.department != nil)
                default:
                    Issue.record("unknown answer \(answer) in the row of \(action.rawValue)")
                }
            }
            // Before the object is known, the officer is asked as if for their own department's object.
            #expect(
                AccessPolicy.decide(user, action) == AccessPolicy.decide(user, action, department: Self.ownDepartment),
                "\(actor.name) before the object: \(action.rawValue)")
            // A listing shows every department's objects exactly to those allowed on all three.
            #expect(
                AccessPolicy.reachesEveryDepartment(user, action) == (answers == ["+", "+", "+"]),
                "\(actor.name) reaching every department: \(action.rawValue)")
        }
    }

    @Test("an operator who is also a provider decides only their own department's applications")
    func operatorRoleDoesNotWidenAProviderOnlyAction() {
        let both = Self.officer([.operator, .provider])
        #expect(AccessPolicy.decide(both, .sharingDecide, department: Self.ownDepartment) == .allowed)
        #expect(AccessPolicy.decide(both, .sharingDecide, department: Self.otherDepartment) != .allowed)
    }

    @Test("an objection raised by the public belongs to no department, so no officer may withdraw it")
    func objectOfNoDepartment() {
        #expect(AccessPolicy.decide(Self.officer([.consumer]), .objectionsWithdraw, department: nil) != .allowed)
        #expect(AccessPolicy.decide(Self.officer([.consumer]), .objectionsRaise, department: nil) == .allowed)
    }

    @Test("a refusal says why: the missing role by name, or that the object is another department's")
    func refusalsExplain() throws {
        let consumer = Self.officer([.consumer])
        #expect(
            AccessPolicy.decide(consumer, .catalogManageEntry, department: Self.ownDepartment)
                == .denied(
                    BilingualText(
                        zh: "需要以下角色之一：数据提供方、平台管理员", en: "requires one of the roles: Provider, Operator")))
        let provider = Self.officer([.provider])
        #expect(
            AccessPolicy.decide(provider, .catalogManageEntry, department: Self.otherDepartment)
                == .denied(AccessReason.otherDepartment))
        #expect(throws: AccessError.forbidden(AccessReason.otherDepartment)) {
            try AccessPolicy.require(provider, .catalogManageEntry, department: Self.otherDepartment)
        }
        #expect(throws: Never.self) { try AccessPolicy.require(provider, .catalogManageEntry) }
    }
}

extension AccessDecision {
    /// The Chinese text of a refusal; nil when allowed.
    fileprivate var refusal: String? {
        guard case .denied(let reason) = self else { return nil }
        return reason.zh
    }
}
