/// What an officer asks to do. Each action has one rule in `AccessPolicy.rules`; use cases and handlers ask the
/// policy instead of checking roles and departments themselves, so that one table says who may do what.
public enum OfficerAction: String, Sendable, CaseIterable {
    // Catalog (目录)
    case catalogManageEntry = "catalog.manageEntry"
    case catalogReview = "catalog.review"
    // Sharing (共享申请, 授权)
    case sharingApply = "sharing.apply"
    case sharingEditApplication = "sharing.editApplication"
    case sharingReviewCompliance = "sharing.reviewCompliance"
    case sharingDecide = "sharing.decide"
    case sharingEscalate = "sharing.escalate"
    case sharingResolve = "sharing.resolve"
    case sharingRevokeGrant = "sharing.revokeGrant"
    // Objections (数据异议)
    case objectionRaise = "objection.raise"
    case objectionAnswer = "objection.answer"
    case objectionWithdraw = "objection.withdraw"
    // Application systems (应用系统) and their credentials
    case applicationSystemManage = "applicationSystem.manage"
}

/// Whose object an action may touch.
public enum AccessScope: Sendable, Hashable {
    /// The object's department does not matter (or there is no object).
    case anyDepartment
    /// Only objects of the actor's own department; the operator's too, unless `operatorAnyDepartment`.
    case ownDepartment(operatorAnyDepartment: Bool)
}

/// One row of the policy: the roles that may act, on whose objects, and what a refused actor is told.
public struct AccessRule: Sendable {
    /// In the order a refusal names them.
    public var roles: [Role]
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
}

/// The answer for one actor, action and object.
public enum AccessDecision: Sendable, Hashable {
    case allowed
    case denied(BilingualText)
}

/// Who may do what (actor × action × the object's department → allowed, or why not).
public enum AccessPolicy {
    public static let rules: [OfficerAction: AccessRule] = [
        .catalogManageEntry: AccessRule([.provider, .operator], .ownDepartment(operatorAnyDepartment: true)),
        .catalogReview: AccessRule([.operator], .anyDepartment),
        .sharingApply: AccessRule(
            [.consumer], .anyDepartment,
            roleRefusal: BilingualText(zh: "需要数据使用方角色才能提出共享申请", en: "only a Consumer can apply for data")),
        .sharingEditApplication: AccessRule(
            [.consumer], .ownDepartment(operatorAnyDepartment: false),
            roleRefusal: onlyApplyingConsumer, departmentRefusal: onlyApplyingConsumer),
        .sharingReviewCompliance: AccessRule(
            [.operator], .anyDepartment,
            roleRefusal: BilingualText(zh: "需要平台管理员角色才能进行符合性审查", en: "only a Operator can review compliance")),
        .sharingDecide: AccessRule(
            [.provider], .ownDepartment(operatorAnyDepartment: false),
            roleRefusal: onlyEntryProvider, departmentRefusal: onlyEntryProvider),
        .sharingEscalate: AccessRule(
            [.consumer, .operator], .ownDepartment(operatorAnyDepartment: true),
            roleRefusal: onlyApplicantOrOperator, departmentRefusal: onlyApplicantOrOperator),
        .sharingResolve: AccessRule(
            [.operator], .anyDepartment,
            roleRefusal: BilingualText(zh: "需要平台管理员角色才能协调申请", en: "only a Operator can coordinate applications")),
        .sharingRevokeGrant: AccessRule(
            [.provider, .operator], .ownDepartment(operatorAnyDepartment: true),
            roleRefusal: onlyGrantProvider, departmentRefusal: onlyGrantProvider),
        .objectionRaise: AccessRule(
            [.consumer, .provider], .anyDepartment,
            roleRefusal: BilingualText(
                zh: "只有部门的数据使用方或提供方可以提出异议", en: "only a department's data officer can raise an objection")),
        .objectionAnswer: AccessRule(
            [.provider], .ownDepartment(operatorAnyDepartment: false),
            roleRefusal: onlyObjectionProvider, departmentRefusal: onlyObjectionProvider),
        .objectionWithdraw: AccessRule(
            [.consumer, .provider], .ownDepartment(operatorAnyDepartment: false),
            roleRefusal: onlyObjectionRaiser, departmentRefusal: onlyObjectionRaiser),
        .applicationSystemManage: AccessRule([.consumer, .operator], .ownDepartment(operatorAnyDepartment: true)),
    ]

    /// Whether `user` may do `action` to an object of `department` (nil: an action on no department's object).
    public static func decide(_ user: User, _ action: OfficerAction, department: Int64? = nil) -> AccessDecision {
        guard let rule = rules[action] else {
            preconditionFailure("no access rule for \(action.rawValue)")
        }
        guard !user.roles.isDisjoint(with: Set(rule.roles)) else {
            return .denied(rule.roleRefusal ?? requiresOneOf(rule.roles))
        }
        switch rule.scope {
        case .anyDepartment:
            return .allowed
        case .ownDepartment(let operatorAnyDepartment):
            if operatorAnyDepartment, user.has(.operator) { return .allowed }
            // An operator who also holds the acting role, but the rule does not let operators act on other
            // departments' objects: it must be their own like everyone else's.
            let acting = Set(rule.roles).subtracting(operatorAnyDepartment ? [.operator] : [])
            guard !user.roles.isDisjoint(with: acting) else {
                return .denied(rule.roleRefusal ?? requiresOneOf(rule.roles))
            }
            // An object of no department (a member of the public's objection) is no officer's own.
            guard let department, department == user.departmentID else {
                return .denied(rule.departmentRefusal ?? AccessReason.otherDepartment)
            }
            return .allowed
        }
    }

    /// Throws `AccessError.forbidden` with the reason unless `user` may do `action` to an object of `department`.
    public static func require(_ user: User, _ action: OfficerAction, department: Int64? = nil) throws(AccessError) {
        if case .denied(let reason) = decide(user, action, department: department) { throw .forbidden(reason) }
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
