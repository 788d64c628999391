import Foundation
import HuitongCore
import Testing

/// The policy, written out a second time as the table a bureau would read: for each action, which single roles may
/// act on an object of their own department, and which on another department's. Every role × action × own/foreign
/// object is checked against it, and against the refusal a person is shown.
@Suite("Access policy")
struct AccessPolicyTests {
    struct Row {
        var own: Set<Role>
        var foreign: Set<Role>
    }

    static let table: [OfficerAction: Row] = [
        .catalogManageEntry: Row(own: [.provider, .operator], foreign: [.operator]),
        .catalogReview: Row(own: [.operator], foreign: [.operator]),
        .sharingApply: Row(own: [.consumer], foreign: [.consumer]),
        .sharingEditApplication: Row(own: [.consumer], foreign: []),
        .sharingReviewCompliance: Row(own: [.operator], foreign: [.operator]),
        .sharingDecide: Row(own: [.provider], foreign: []),
        .sharingEscalate: Row(own: [.consumer, .operator], foreign: [.operator]),
        .sharingResolve: Row(own: [.operator], foreign: [.operator]),
        .sharingRevokeGrant: Row(own: [.provider, .operator], foreign: [.operator]),
        .objectionRaise: Row(own: [.consumer, .provider], foreign: [.consumer, .provider]),
        .objectionAnswer: Row(own: [.provider], foreign: []),
        .objectionWithdraw: Row(own: [.consumer, .provider], foreign: []),
        .applicationSystemManage: Row(own: [.consumer, .operator], foreign: [.operator]),
    ]

    static let ownDepartment: Int64 = 7
    static let otherDepartment: Int64 = 8

    static func officer(_ roles: Set<Role>) -> User {
        User(
            id: 1, username: "officer", displayName: "officer", departmentID: ownDepartment, roles: roles,
            isActive: true, createdAt: Date(timeIntervalSince1970: 0), lastLoginAt: nil)
    }

    @Test("every action has a rule and a row in the table")
    func everyActionIsCovered() {
        for action in OfficerAction.allCases {
            #expect(AccessPolicy.rules[action] != nil, "no rule for \(action.rawValue)")
            #expect(Self.table[action] != nil, "no table row for \(action.rawValue)")
        }
    }

    @Test(
        "each role may act on its own and on another department's objects exactly as the table says",
        arguments: OfficerAction.allCases)
    func roleTimesObject(action: OfficerAction) throws {
        let row = try #require(Self.table[action])
        for role in Role.allCases {
            let user = Self.officer([role])
            let own = AccessPolicy.decide(user, action, department: Self.ownDepartment)
            let foreign = AccessPolicy.decide(user, action, department: Self.otherDepartment)
            #expect((own == .allowed) == row.own.contains(role), "\(role) on own object: \(action.rawValue)")
            #expect(
                (foreign == .allowed) == row.foreign.contains(role), "\(role) on foreign object: \(action.rawValue)")
        }
        // No role at all is never enough.
        #expect(AccessPolicy.decide(Self.officer([]), action, department: Self.ownDepartment) != .allowed)
    }

    @Test("an operator who is also a provider decides only their own department's applications")
    func operatorRoleDoesNotWidenAProviderOnlyAction() {
        let both = Self.officer([.operator, .provider])
        #expect(AccessPolicy.decide(both, .sharingDecide, department: Self.ownDepartment) == .allowed)
        #expect(AccessPolicy.decide(both, .sharingDecide, department: Self.otherDepartment) != .allowed)
    }

    @Test("an objection raised by the public belongs to no department, so no officer may withdraw it")
    func objectOfNoDepartment() {
        #expect(AccessPolicy.decide(Self.officer([.consumer]), .objectionWithdraw, department: nil) != .allowed)
        #expect(AccessPolicy.decide(Self.officer([.consumer]), .objectionRaise, department: nil) == .allowed)
    }

    @Test("a refusal says why: the missing role by name, or that the object is another department's")
    func refusalsExplain() throws {
        let consumer = Self.officer([.consumer])
        guard case .denied(let missingRole) = AccessPolicy.decide(consumer, .catalogManageEntry, department: 7) else {
            Issue.record("a consumer may not manage catalog entries")
            return
        }
        #expect(missingRole.zh == "需要以下角色之一：数据提供方、平台管理员")
        let provider = Self.officer([.provider])
        #expect(
            AccessPolicy.decide(provider, .catalogManageEntry, department: Self.otherDepartment)
                == .denied(AccessReason.otherDepartment))
        #expect(throws: AccessError.forbidden(AccessReason.otherDepartment)) {
            try AccessPolicy.require(provider, .catalogManageEntry, department: Self.otherDepartment)
        }
    }
}
