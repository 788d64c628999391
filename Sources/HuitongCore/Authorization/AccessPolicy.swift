/// What an officer asks to do. Each action has one rule in `AccessPolicy.rules`; use cases, handlers and pages ask
/// the policy instead of checking roles and departments themselves, so that one table says who may do what. The
/// actions are grouped by feature, named after the feature's folder (`Catalog`, `Sharing`, …); the console's own
/// page gates, where a page admits other roles than the API behind it, are `console.*`.
public enum OfficerAction: String, Sendable, CaseIterable {
    // Catalog (目录), code sets and the three lists (三清单) with information systems
    case catalogManageClassifications = "catalog.manageClassifications"
    /// Reading an entry that is not published (published entries are every officer's to read).
    case catalogReadUnpublished = "catalog.readUnpublished"
    /// Reading where an entry's upstream API lives (others see the locator blanked).
    case catalogReadMountLocator = "catalog.readMountLocator"
    /// Drafting, changing, deleting, submitting, withdrawing, mounting an entry.
    case catalogManageEntry = "catalog.manageEntry"
    /// Publishing or returning a submitted entry.
    case catalogReview = "catalog.review"
    /// Changing a published entry's exposure (share type, openness) without a new review.
    case catalogChangePublishedExposure = "catalog.changePublishedExposure"
    /// Importing a catalog sheet; another department's rows need a role that reaches every department.
    case catalogImport = "catalog.import"
    case catalogManageCodeSets = "catalog.manageCodeSets"
    case catalogManageNegativeList = "catalog.manageNegativeList"
    case catalogManageResponsibilityList = "catalog.manageResponsibilityList"
    /// Raising and changing a demand-list row (需求清单).
    case catalogRaiseDemand = "catalog.raiseDemand"
    /// Closing a demand: the addressed provider department, or the bureau.
    case catalogResolveDemand = "catalog.resolveDemand"
    case catalogManageInformationSystems = "catalog.manageInformationSystems"
    // Grading (分级)
    case gradingManagePolicy = "grading.managePolicy"
    case gradingReadSuggestions = "grading.readSuggestions"
    // Gateway (共享网关)
    case gatewayReadUpstreamAllowList = "gateway.readUpstreamAllowList"
    case gatewayManageUpstreamAllowList = "gateway.manageUpstreamAllowList"
    // Accounts: departments, users, personal tokens, application systems (应用系统) and their credentials
    case accountsManageDepartments = "accounts.manageDepartments"
    case accountsReadUsers = "accounts.readUsers"
    case accountsManageUsers = "accounts.manageUsers"
    /// Setting another user's password (or one's own without giving the current one).
    case accountsResetPassword = "accounts.resetPassword"
    /// Revoking a personal token someone else owns (one's own is always one's to revoke).
    case accountsRevokeOthersTokens = "accounts.revokeOthersTokens"
    case accountsReadApplicationSystems = "accounts.readApplicationSystems"
    case accountsManageApplicationSystems = "accounts.manageApplicationSystems"
    // Sharing (共享申请, 授权) and the holiday calendar its time limits count on
    /// Reading an application or grant as the party that applied for it (object: the consumer department).
    case sharingReadAsConsumer = "sharing.readAsConsumer"
    /// Reading an application or grant as the party that provides the data (object: the provider department).
    case sharingReadAsProvider = "sharing.readAsProvider"
    case sharingApply = "sharing.apply"
    case sharingEditApplication = "sharing.editApplication"
    case sharingReviewCompliance = "sharing.reviewCompliance"
    case sharingDecide = "sharing.decide"
    case sharingEscalate = "sharing.escalate"
    case sharingResolve = "sharing.resolve"
    case sharingRevokeGrant = "sharing.revokeGrant"
    case sharingManageHolidays = "sharing.manageHolidays"
    // Assessment (考核 and 通报)
    /// Reading the 通报: every department's scorecard for a period, ranked, and its export.
    case assessmentReadReport = "assessment.readReport"
    /// Reading one department's scorecard (object: the department).
    case assessmentReadScorecard = "assessment.readScorecard"
    /// Setting a year's weights and targets.
    case assessmentManageWeights = "assessment.manageWeights"
    // Quality (数据质量)
    /// An entry's rules, runs, problems and report.
    case qualityReadEntry = "quality.readEntry"
    /// Adding, enabling and deleting an entry's rules, running them, resolving problems.
    case qualityManageEntry = "quality.manageEntry"
    case qualityReadDepartmentReport = "quality.readDepartmentReport"
    case qualityReadRanking = "quality.readRanking"
    /// Comparing two entries' data (both must be the actor's to compare).
    case qualityCompare = "quality.compare"
    // Objections (数据异议)
    /// Reading an objection as the department whose data it is about (object: the provider department).
    case objectionsReadAsProvider = "objections.readAsProvider"
    /// Reading an objection as the department that raised it (object: the raising department).
    case objectionsReadAsRaiser = "objections.readAsRaiser"
    /// Seeing the disputed record's values unmasked (object: the provider department).
    case objectionsReadRecordValues = "objections.readRecordValues"
    /// Seeing a member of the public's contact details, to follow up.
    case objectionsReadRaiserContact = "objections.readRaiserContact"
    case objectionsRaise = "objections.raise"
    case objectionsAnswer = "objections.answer"
    case objectionsWithdraw = "objections.withdraw"
    // Ingest (数据汇聚) and the pool's versions
    case ingestUpload = "ingest.upload"
    /// Listing an entry's loads.
    case ingestReadEntryJobs = "ingest.readEntryJobs"
    /// Following one load and reading its error report.
    case ingestReadJob = "ingest.readJob"
    case ingestReadPoolVersions = "ingest.readPoolVersions"
    /// Seeing corrected values in a pool version's provenance unmasked.
    case ingestReadCorrectionValues = "ingest.readCorrectionValues"
    case ingestRollback = "ingest.rollback"
    // Audit (审计) and statistics
    case auditReadLog = "audit.readLog"
    case auditVerifyLog = "audit.verifyLog"
    /// Counting the gateway calls a department made as consumer.
    case auditReadCallsMade = "audit.readCallsMade"
    /// Counting the gateway calls served from a department's resources.
    case auditReadCallsServed = "audit.readCallsServed"
    // Federation (级联): the officer side of the node's links
    case federationManagePeers = "federation.managePeers"
    case federationManageOutbox = "federation.manageOutbox"
    /// Sending the catalog up and reading what was registered.
    case federationSyncCatalog = "federation.syncCatalog"
    case federationManageReflow = "federation.manageReflow"
    case federationMonitor = "federation.monitor"
    case federationApplyCrossLevel = "federation.applyCrossLevel"
    case federationReadCrossLevelApplications = "federation.readCrossLevelApplications"
    // Developers: officers answering the portal's open-access requests (有条件开放)
    case developersDecideOpenAccess = "developers.decideOpenAccess"
    case developersRevokeOpenAccess = "developers.revokeOpenAccess"
    // E-licences (电子证照)
    /// Registering and changing the licence types the department defines (证照目录).
    case licencesDefineTypes = "licences.defineTypes"
    /// Issuing, changing, cancelling and revoking the department's licences.
    case licencesIssue = "licences.issue"
    /// Using a holder's licence for a matter (用证), under a consent or legal basis; reading the department's uses.
    case licencesUse = "licences.use"
    /// Verifying portal accounts as licence holders and recording legal bases for uses (the operator).
    case licencesAdminister = "licences.administer"
    // 政务服务事项 and 一件事
    /// Listing, importing and linking the department's matters (事项) to catalog items and licence types.
    case mattersManage = "matters.manage"
    /// Composing and changing the joint services (一件事) the department leads.
    case mattersManageJointServices = "matters.manageJointServices"
    /// Fetching shared data to fill in a joint service's form for a consenting applicant (预填).
    case mattersPrefill = "matters.prefill"
    // Console page gates whose roles differ from every API action's
    case consoleDashboard = "console.dashboard"
    case consoleDepartments = "console.departments"
    case consoleOverdue = "console.overdue"
    case consoleLists = "console.lists"
    /// The department's entries, and drafting a new one (always for the own department).
    case consoleEntries = "console.entries"
    /// The applications awaiting the department's decision, and the decision form.
    case consoleToReview = "console.toReview"
    case consoleObjections = "console.objections"
    case consoleOpenRequests = "console.openRequests"
    /// The catalog to apply from, and the application form.
    case consoleCatalog = "console.catalog"
    case consoleApplications = "console.applications"
    case consoleSystems = "console.systems"
    case consoleUsage = "console.usage"
}

/// Whose object an action may touch.
public enum AccessScope: Sendable, Hashable {
    /// The object's department does not matter (or there is no object).
    case anyDepartment
    /// Only objects of the actor's own department, unless the actor holds one of `everyDepartmentFor`: those roles
    /// act on every department's objects.
    case ownDepartment(everyDepartmentFor: Set<Role> = [])
}

/// One row of the policy: who may act, on whose objects, and what a refused actor is told.
public struct AccessRule: Sendable {
    /// The roles that may act, in the order a refusal names them; nil: every signed-in officer, whatever roles
    /// they hold.
    public var roles: [Role]?
    public var scope: AccessScope
    /// Told to an actor without one of `roles`; nil gives "requires one of the roles: …".
    public var roleRefusal: BilingualText?
    /// Told to an actor whose department is not the object's; nil gives `AccessReason.otherDepartment`.
    public var departmentRefusal: BilingualText?

    public init(
        _ roles: [Role], _ scope: AccessScope, roleRefusal: BilingualText? = nil,
        departmentRefusal: BilingualText? = nil
    ) {
        self.roles = roles
        self.scope = scope
        self.roleRefusal = roleRefusal
        self.departmentRefusal = departmentRefusal
    }

    /// A rule for every officer, whatever roles they hold, limited by `scope` only.
    public static func anyOfficer(_ scope: AccessScope, departmentRefusal: BilingualText? = nil) -> AccessRule {
        var rule = AccessRule([], scope, departmentRefusal: departmentRefusal)
        rule.roles = nil
        return rule
    }
}

/// The answer for one actor, action and object.
public enum AccessDecision: Sendable, Hashable {
    case allowed
    case denied(BilingualText)
}

/// Who may do what (actor × action × the object's department → allowed, or why not).
public enum AccessPolicy {
    private static let everyDepartmentForOperator = AccessScope.ownDepartment(everyDepartmentFor: [.operator])
    private static let everyDepartmentForBureau = AccessScope.ownDepartment(everyDepartmentFor: [.operator, .auditor])

    public static let rules: [OfficerAction: AccessRule] = [
        // Catalog
        .catalogManageClassifications: AccessRule([.operator], .anyDepartment),
        .catalogReadUnpublished: .anyOfficer(everyDepartmentForBureau),
        .catalogReadMountLocator: .anyOfficer(everyDepartmentForOperator),
        .catalogManageEntry: AccessRule([.provider, .operator], everyDepartmentForOperator),
        .catalogReview: AccessRule([.operator], .anyDepartment),
        .catalogChangePublishedExposure: AccessRule([.operator], .anyDepartment),
        .catalogImport: AccessRule([.provider, .operator], everyDepartmentForOperator),
        .catalogManageCodeSets: AccessRule([.operator], .anyDepartment),
        .catalogManageNegativeList: AccessRule([.provider, .operator], everyDepartmentForOperator),
        .catalogManageResponsibilityList: AccessRule([.operator], .anyDepartment),
        .catalogRaiseDemand: AccessRule([.consumer, .provider, .operator], everyDepartmentForOperator),
        .catalogResolveDemand: AccessRule(
            [.provider, .operator], everyDepartmentForOperator,
            departmentRefusal: BilingualText(
                zh: "只有平台管理员或被请求的提供部门可以关闭需求", en: "only the bureau or the addressed provider can resolve a demand")),
        .catalogManageInformationSystems: AccessRule([.provider, .operator], everyDepartmentForOperator),
        // Assessment: the bureau sees every department's; a chief data officer owns their department's scorecard
        // and reads the 通报 it is ranked in.
        .assessmentReadReport: AccessRule([.operator, .auditor, .chiefDataOfficer], .anyDepartment),
        .assessmentReadScorecard: AccessRule([.operator, .auditor, .chiefDataOfficer], everyDepartmentForBureau),
        .assessmentManageWeights: AccessRule([.operator], .anyDepartment),
        // Grading
        .gradingManagePolicy: AccessRule([.operator], .anyDepartment),
        .gradingReadSuggestions: AccessRule([.provider, .operator], everyDepartmentForOperator),
        // Gateway
        .gatewayReadUpstreamAllowList: AccessRule([.operator], .anyDepartment),
        .gatewayManageUpstreamAllowList: AccessRule([.operator], .anyDepartment),
        // Accounts
        .accountsManageDepartments: AccessRule([.operator], .anyDepartment),
        .accountsReadUsers: .anyOfficer(everyDepartmentForBureau),
        .accountsManageUsers: AccessRule([.operator], .anyDepartment),
        .accountsResetPassword: AccessRule(
            [.operator], .anyDepartment,
            roleRefusal: BilingualText(zh: "只有平台管理员可以重置他人密码", en: "only operators reset other users' passwords")),
        .accountsRevokeOthersTokens: AccessRule([.operator], .anyDepartment),
        .accountsReadApplicationSystems: .anyOfficer(everyDepartmentForBureau),
        .accountsManageApplicationSystems: AccessRule([.consumer, .operator], everyDepartmentForOperator),
        // Sharing
        .sharingReadAsConsumer: AccessRule(
            [.operator, .auditor, .consumer, .chiefDataOfficer], everyDepartmentForBureau),
        .sharingReadAsProvider: AccessRule(
            [.operator, .auditor, .provider, .chiefDataOfficer], everyDepartmentForBureau),
        .sharingApply: AccessRule(
            [.consumer], .anyDepartment,
            roleRefusal: BilingualText(zh: "需要数据使用方角色才能提出共享申请", en: "only a Consumer can apply for data")),
        .sharingEditApplication: AccessRule(
            [.consumer], .ownDepartment(), roleRefusal: onlyApplyingConsumer, departmentRefusal: onlyApplyingConsumer),
        .sharingReviewCompliance: AccessRule(
            [.operator], .anyDepartment,
            roleRefusal: BilingualText(zh: "需要平台管理员角色才能进行符合性审查", en: "only a Operator can review compliance")),
        .sharingDecide: AccessRule(
            [.provider], .ownDepartment(), roleRefusal: onlyEntryProvider, departmentRefusal: onlyEntryProvider),
        .sharingEscalate: AccessRule(
            [.consumer, .operator], everyDepartmentForOperator,
            roleRefusal: onlyApplicantOrOperator, departmentRefusal: onlyApplicantOrOperator),
        .sharingResolve: AccessRule(
            [.operator], .anyDepartment,
            roleRefusal: BilingualText(zh: "需要平台管理员角色才能协调申请", en: "only a Operator can coordinate applications")),
        .sharingRevokeGrant: AccessRule(
            [.provider, .operator], everyDepartmentForOperator,
            roleRefusal: onlyGrantProvider, departmentRefusal: onlyGrantProvider),
        .sharingManageHolidays: AccessRule([.operator], .anyDepartment),
        // Quality
        .qualityReadEntry: AccessRule([.provider, .operator, .chiefDataOfficer], everyDepartmentForOperator),
        .qualityManageEntry: AccessRule([.provider, .operator], everyDepartmentForOperator),
        .qualityReadDepartmentReport: AccessRule(
            [.provider, .operator, .chiefDataOfficer], everyDepartmentForOperator),
        .qualityReadRanking: AccessRule([.provider, .operator, .chiefDataOfficer], .anyDepartment),
        .qualityCompare: AccessRule([.provider, .operator], everyDepartmentForOperator),
        // Objections
        .objectionsReadAsProvider: AccessRule(
            [.operator, .auditor, .provider, .chiefDataOfficer], everyDepartmentForBureau),
        .objectionsReadAsRaiser: AccessRule(
            [.operator, .auditor, .consumer, .provider, .chiefDataOfficer], everyDepartmentForBureau),
        .objectionsReadRecordValues: AccessRule([.provider], .ownDepartment()),
        .objectionsReadRaiserContact: AccessRule([.operator, .auditor], .anyDepartment),
        .objectionsRaise: AccessRule(
            [.consumer, .provider], .anyDepartment,
            roleRefusal: BilingualText(
                zh: "只有部门的数据使用方或提供方可以提出异议", en: "only a department's data officer can raise an objection")),
        .objectionsAnswer: AccessRule(
            [.provider], .ownDepartment(), roleRefusal: onlyObjectionProvider, departmentRefusal: onlyObjectionProvider),
        .objectionsWithdraw: AccessRule(
            [.consumer, .provider], .ownDepartment(),
            roleRefusal: onlyObjectionRaiser, departmentRefusal: onlyObjectionRaiser),
        // Ingest
        .ingestUpload: AccessRule([.provider, .operator], everyDepartmentForOperator),
        .ingestReadEntryJobs: .anyOfficer(everyDepartmentForOperator),
        .ingestReadJob: AccessRule([.operator, .auditor, .provider], everyDepartmentForBureau),
        .ingestReadPoolVersions: .anyOfficer(everyDepartmentForOperator),
        .ingestReadCorrectionValues: AccessRule([.provider], .ownDepartment()),
        .ingestRollback: AccessRule([.provider, .operator], everyDepartmentForOperator),
        // Audit
        .auditReadLog: AccessRule([.operator, .auditor], .anyDepartment),
        .auditVerifyLog: AccessRule([.operator, .auditor], .anyDepartment),
        .auditReadCallsMade: AccessRule([.operator, .auditor, .consumer], everyDepartmentForBureau),
        .auditReadCallsServed: AccessRule([.operator, .auditor, .provider], everyDepartmentForBureau),
        // Federation
        .federationManagePeers: AccessRule([.operator], .anyDepartment),
        .federationManageOutbox: AccessRule([.operator], .anyDepartment),
        .federationSyncCatalog: AccessRule([.operator], .anyDepartment),
        .federationManageReflow: AccessRule([.operator], .anyDepartment),
        .federationMonitor: AccessRule([.operator], .anyDepartment),
        .federationApplyCrossLevel: AccessRule([.consumer], .anyDepartment),
        .federationReadCrossLevelApplications: AccessRule([.consumer, .operator], everyDepartmentForOperator),
        // Developers
        .developersDecideOpenAccess: AccessRule([.provider], .ownDepartment()),
        .developersRevokeOpenAccess: AccessRule([.provider], .ownDepartment()),
        .licencesDefineTypes: AccessRule([.provider], .ownDepartment()),
        .licencesIssue: AccessRule([.provider], .ownDepartment()),
        .licencesUse: AccessRule([.consumer], .ownDepartment()),
        .licencesAdminister: AccessRule([.operator], .anyDepartment),
        .mattersManage: AccessRule([.provider, .consumer, .operator], everyDepartmentForOperator),
        .mattersManageJointServices: AccessRule([.provider, .consumer, .operator], everyDepartmentForOperator),
        .mattersPrefill: AccessRule([.consumer], .ownDepartment()),
        // Console
        .consoleDashboard: AccessRule([.operator], .anyDepartment),
        .consoleDepartments: AccessRule([.operator], .anyDepartment),
        .consoleOverdue: AccessRule([.operator], .anyDepartment),
        .consoleLists: AccessRule([.operator], .anyDepartment),
        .consoleEntries: AccessRule([.provider], .ownDepartment()),
        .consoleToReview: AccessRule([.provider], .anyDepartment),
        .consoleObjections: AccessRule([.provider], .anyDepartment),
        .consoleOpenRequests: AccessRule([.provider], .anyDepartment),
        .consoleCatalog: AccessRule([.consumer], .anyDepartment),
        .consoleApplications: AccessRule([.consumer], .anyDepartment),
        .consoleSystems: AccessRule([.consumer], .anyDepartment),
        .consoleUsage: AccessRule([.consumer], .anyDepartment),
    ]

    /// The rule for `action`.
    public static func rule(_ action: OfficerAction) -> AccessRule {
        guard let rule = rules[action] else { preconditionFailure("no access rule for \(action.rawValue)") }
        return rule
    }

    /// Whether `user` may do `action` to an object of `department` (nil: an object of no department, such as a
    /// member of the public's objection, which is no officer's own).
    public static func decide(_ user: User, _ action: OfficerAction, department: Int64?) -> AccessDecision {
        let rule = rule(action)
        if let roles = rule.roles, user.roles.isDisjoint(with: roles) {
            return .denied(rule.roleRefusal ?? requiresOneOf(roles))
        }
        switch rule.scope {
        case .anyDepartment:
            return .allowed
        case .ownDepartment(let everyDepartmentFor):
            if !user.roles.isDisjoint(with: everyDepartmentFor) { return .allowed }
            guard let department, department == user.departmentID else {
                return .denied(rule.departmentRefusal ?? AccessReason.otherDepartment)
            }
            return .allowed
        }
    }

    /// Whether `user` may do `action` to an object of their own department: the check made before the object is
    /// known (the role), and the whole check where the object's department does not matter.
    public static func decide(_ user: User, _ action: OfficerAction) -> AccessDecision {
        decide(user, action, department: user.departmentID)
    }

    /// Whether `decide` allows it.
    public static func allows(_ user: User, _ action: OfficerAction, department: Int64?) -> Bool {
        decide(user, action, department: department) == .allowed
    }

    /// Whether `decide` allows it for an object of `user`'s own department.
    public static func allows(_ user: User, _ action: OfficerAction) -> Bool {
        decide(user, action) == .allowed
    }

    /// Whether `user` may do `action` to every department's objects alike: what a listing asks to know whether
    /// to narrow itself to the actor's department.
    public static func reachesEveryDepartment(_ user: User, _ action: OfficerAction) -> Bool {
        let rule = rule(action)
        if let roles = rule.roles, user.roles.isDisjoint(with: roles) { return false }
        switch rule.scope {
        case .anyDepartment: return true
        case .ownDepartment(let everyDepartmentFor): return !user.roles.isDisjoint(with: everyDepartmentFor)
        }
    }

    /// Throws `AccessError.forbidden` with the reason unless `user` may do `action` to an object of `department`.
    public static func require(_ user: User, _ action: OfficerAction, department: Int64?) throws(AccessError) {
        if case .denied(let reason) = decide(user, action, department: department) { throw .forbidden(reason) }
    }

    /// Throws `AccessError.forbidden` with the reason unless `user` may do `action` to an object of their own
    /// department (see `decide(_:_:)`).
    public static func require(_ user: User, _ action: OfficerAction) throws(AccessError) {
        try require(user, action, department: user.departmentID)
    }

    /// The refusal for an actor holding none of `roles`.
    public static func requiresOneOf(_ roles: [Role]) -> BilingualText {
        let names = roles.map(\.displayName)
        return BilingualText(
            zh: "需要以下角色之一：\(names.map(\.zh).joined(separator: "、"))",
            en: "requires one of the roles: \(names.map(\.en).joined(separator: ", "))")
    }

    private static let onlyApplyingConsumer = BilingualText(
        zh: "只有申请部门的数据使用方可以修改或提交该申请",
        en: "only a consumer officer of the applying department can change or submit this application")
    private static let onlyEntryProvider = BilingualText(
        zh: "只有提供部门的数据提供方可以审核该申请",
        en: "only a provider officer of the entry's department can decide this application")
    private static let onlyApplicantOrOperator = BilingualText(
        zh: "只有申请部门或平台管理员可以提请协调", en: "only the applying department or the operator can ask for coordination")
    private static let onlyGrantProvider = BilingualText(
        zh: "只有目录的提供部门或平台管理员可以撤销授权", en: "only the entry's provider or the operator can revoke a grant")
    private static let onlyObjectionProvider = BilingualText(
        zh: "只有目录提供部门的数据提供方可以答复该异议",
        en: "only a provider officer of the entry's department can answer this objection")
    private static let onlyObjectionRaiser = BilingualText(
        zh: "只有提出异议的部门可以撤回", en: "only the department that raised the objection can withdraw it")
}
